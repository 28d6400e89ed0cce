import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Design: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Plan a holdout test before the launch: power, smallest detectable effect, control share.",
      discussion: """
        Simulates the rollout's test from a fitted chain (a model file, or a lifecycle model \
        fitted on the data): every customer of the base, and the entrants the history brings, \
        walks a before and an after window; treated customers move with the lever pulled from \
        the launch. The difference in differences of the measure, tested as `journey evaluate \
        --control` tests it (against --measures-tested measures), gives the power, the \
        minimum detectable effect and the smallest control share with the target power.

        The chain has no customers who buy more or less often than their state says, so real \
        data is noisier: take the power as an upper bound.

        Example:
          journey design --data transactions.csv --lever churn --effect -20% --horizon 12 --control 10%
          journey design --model model.json --measure "at_risk -> lapsed" --effect -30% --control 20%
        """
    )

    @Option(help: "A model file from `journey fit`.")
    var model: String?

    @Option(help: "Transactions (customer_id,date,amount[,event]) to fit a lifecycle model on.")
    var data: String?

    @Option(help: "The measure the test is judged on: active_share, churn_rate, or a move such as 'at_risk -> lapsed'.")
    var measure: String = "active_share"

    @Option(help: "The lever the rollout pulls: churn, conversion or upgrade (as in scenarios).")
    var lever: RolloutDesignOptions.Lever = .churn

    @Option(parsing: .unconditional, help: "The relative change the rollout is expected to make to the lever, e.g. -20%.")
    var effect: String = "-20%"

    @Option(parsing: .unconditional, help: "Periods after the launch the test runs (the before window is as long).")
    var horizon: Int = 12

    @Option(parsing: .unconditional, help: "Share of customers held out, e.g. 10%.")
    var control: String = "10%"

    @Option(parsing: .unconditional, help: "Measures the evaluation's verdict tests together (its false-discovery control).")
    var measuresTested: Int = 20

    @Option(parsing: .unconditional, help: "Simulated replicates.")
    var replicates: Int = 200

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 1

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
      guard (model == nil) != (data == nil) else { throw ValidationError("give one of --model FILE and --data FILE") }
      _ = try options()
    }

    func options() throws -> RolloutDesignOptions {
      var o = RolloutDesignOptions()
      o.measure = measure
      o.lever = lever
      o.effect = try change(effect, flag: "effect")
      guard o.effect != 0, o.effect >= -1 else { throw ValidationError("--effect: '\(effect)' must be a change other than 0%, at least -100%") }
      guard let share = RelativeChange(parsing: control)?.value, share > 0, share < 1 else {
        throw ValidationError("--control: '\(control)' is not a share; expected a percentage above 0% and below 100%, e.g. 10%")
      }
      o.controlShare = share
      guard (1...120).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 120 periods") }
      o.horizonPeriods = horizon
      guard (1...500).contains(measuresTested) else { throw ValidationError("--measures-tested: '\(measuresTested)' must be from 1 to 500") }
      o.measuresTested = measuresTested
      guard (20...100_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 20 to 100000") }
      o.replicates = replicates
      o.seed = seed
      return o
    }

    func run() throws {
      let fitted: MarkovModel
      if let model {
        fitted = try MarkovModel.load(path: model)
      } else {
        let ingest: IngestResult
        do {
          ingest = try TransactionReader().read(path: data!)
        } catch {
          printError(error.description)
          throw ExitCode(65)
        }
        fitted = try ModelFitter.fit(ingest.table, options: FitOptions())
      }
      let design = try RolloutDesign.run(model: fitted, options: options())
      print(json ? try JSONOutput.encode(design) : design.text(period: fitted.window.period), terminator: json ? "" : "\n")
    }
  }
}

extension RolloutDesignOptions.Lever: ExpressibleByArgument {}

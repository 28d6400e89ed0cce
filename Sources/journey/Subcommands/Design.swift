import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Design: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Plan a holdout test before the launch: power, smallest detectable effect, control share.",
      discussion: """
        With --data (the transactions up to the launch) the design simulates the verdict of \
        `journey evaluate --control`: the primary test, dormancy_rate (each customer's \
        dormancy score after the launch under the activity model fitted before it, \
        treated against control, regression-adjusted, at 80% of alpha), then every other measure by Benjamini-Hochberg \
        (the fallback). The launch is the day after the data's last complete period: the \
        before window is the data's last horizon periods, as they are; each customer's \
        horizon periods after the launch are drawn from the activity model fitted on its \
        history, without and with the lever (dropout: its dormancy rate changed; churn, \
        conversion, upgrade: its buying changed by the fitted lifecycle chain from its state), \
        and the customers who arrived in the last horizon periods stand in for the entrants \
        after it (their lives after the first purchase drawn from the model, with and without \
        the lever). Customers are drawn from that, held out at random, and judged as the \
        evaluation would. The power is the share of simulated evaluations whose verdict names \
        a measure; other shares scale it by the normal approximation.

        With --measure active_share, churn_rate or a move (or with --model), every customer of \
        the chain's base walks the chain instead, and the difference in differences of the \
        measure is tested against --measures-tested measures. The chain has no customers who \
        buy more or less often than their state says: take that power as an upper bound.

        Example:
          journey design --data before-launch.csv --lever dropout --effect -20% --horizon 12 --control 10%
          journey design --model model.json --measure "at_risk -> lapsed" --effect -30% --control 20%
        """
    )

    @Option(help: "A model file from `journey fit`.")
    var model: String?

    @Option(help: "Transactions (customer_id,date,amount[,event]) to fit a lifecycle model on; the column and format flags below say how they are written.")
    var data: String?

    @OptionGroup var format: InputFormatOptions

    @Option(help: "The measure the test is judged on: dormancy_rate (the evaluation's primary test; needs --data), active_share, churn_rate, or a move such as 'at_risk -> lapsed' (default: dormancy_rate with --data, active_share with --model).")
    var measure: String?

    @Option(help: "The lever the rollout pulls: dropout (the rate at which buying customers fall dormant, from their histories; needs --data), or churn, conversion or upgrade (the chain's, as in scenarios). Default: dropout with --data, churn with --model.")
    var lever: RolloutDesignOptions.Lever?

    @Option(parsing: .unconditional, help: "The relative change the rollout is expected to make to the lever, e.g. -20%.")
    var effect: String = "-20%"

    @Option(parsing: .unconditional, help: "Periods after the launch the test runs (the before window is as long).")
    var horizon: Int = 12

    @Option(parsing: .unconditional, help: "Share of customers held out, e.g. 10%.")
    var control: String = "10%"

    @Option(parsing: .unconditional, help: "Measures the evaluation's verdict tests together (its false-discovery control).")
    var measuresTested: Int = 20

    @Option(parsing: .unconditional, help: "Simulated replicates.")
    var replicates: Int = MonteCarloDefaults.designReplicates

    @Option(parsing: .unconditional, help: "Bootstrap resamples of each simulated evaluation (with --data).")
    var bootstrap: Int = MonteCarloDefaults.designBootstrap

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = MonteCarloDefaults.seed

    @Option(parsing: .unconditional, help: "Chance of a false verdict the evaluation's tests allow (as its --alpha).")
    var alpha: Double = 0.05

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
      guard (model == nil) != (data == nil) else { throw ValidationError("give one of --model FILE and --data FILE") }
      _ = try options()
    }

    func options() throws -> RolloutDesignOptions {
      var o = RolloutDesignOptions()
      o.measure = measure ?? (data != nil ? LaunchBaseComparison.measureName : "active_share")
      o.lever = lever ?? (data != nil && o.measure == LaunchBaseComparison.measureName ? .dropout : .churn)
      if data == nil && o.measure == LaunchBaseComparison.measureName || o.lever == .dropout && (data == nil || o.measure != LaunchBaseComparison.measureName) {
        throw ValidationError(RolloutDesignError.needsData(measure: o.measure).description)
      }
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
      guard (20...10_000).contains(bootstrap) else { throw ValidationError("--bootstrap: '\(bootstrap)' must be from 20 to 10000") }
      o.bootstrap = bootstrap
      o.seed = seed
      o.alpha = try significanceLevel(alpha)
      o.progress = TerminalProgress.reporter("simulating the test", unit: "replicates")
      return o
    }

    func run() throws {
      try guardOutputs(format.outputs, inputs: [data, model])
      let o = try options()
      let fitted: MarkovModel
      let table: TransactionTable?
      if let model {
        fitted = try MarkovModel.load(path: model)
        table = nil
      } else {
        let ingest = try format.read(path: data!)
        table = ingest.table
        fitted = try ModelFitter.fit(ingest.table, options: FitOptions())
      }
      let design: RolloutDesign
      if let table, o.measure == LaunchBaseComparison.measureName {
        design = try RolloutDesign.runOnData(table, model: fitted, options: o)
      } else {
        design = try RolloutDesign.run(model: fitted, options: o)
      }
      print(json ? try JSONOutput.encode(design) : design.text(period: fitted.window.period), terminator: json ? "" : "\n")
    }
  }
}

extension RolloutDesignOptions.Lever: ExpressibleByArgument {}

import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare CRM strategies: revenue, cost, profit, ROI and payback against a baseline.",
      discussion: """
        Forecasts each scenario file with the same replicates and random numbers, so the
        differences between them are the strategies', not noise. The first scenario is the
        baseline. Scenario files are described in scenarios/README.md.

        Example:
          journey compare --model model.json scenarios/baseline.yaml scenarios/winback.yaml scenarios/onboarding.yaml
          journey compare --model model.json scenarios/*.yaml --horizon 24 --replicates 2000 --csv compare.csv
        """
    )

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @Argument(help: "Scenario files (YAML); the first is the baseline.")
    var scenarios: [String]

    @Option(help: "Periods to forecast.")
    var horizon: Int = 12

    @Option(help: "New customers: historical, trend, seasonal, none, or a number per period.")
    var acquisition: String = "historical"

    @Option(help: "Monte Carlo replicates (0 for expected values only).")
    var replicates: Int = 1_000

    @Option(help: "Random seed, shared by every scenario.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Move whole customers at random in the replicates.")
    var processNoise = true

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write one row per scenario as CSV to this file.")
    var csv: String?

    func validate() throws {
      guard !scenarios.isEmpty else { throw ValidationError("give at least one scenario file, e.g. scenarios/baseline.yaml") }
      guard (1...600).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 600 periods") }
      guard (0...1_000_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 0 to 1000000") }
      guard AcquisitionAssumption(parsing: acquisition) != nil else {
        throw ValidationError("--acquisition: '\(acquisition)' is not historical, trend, seasonal, none or a number of new customers per period")
      }
    }

    func run() throws {
      let fitted = try MarkovModel.load(path: model)
      let plans = try scenarios.map { try ScenarioPlan(try Scenario.load(path: $0), model: fitted) }
      var options = ForecastOptions()
      options.horizon = horizon
      options.acquisition = AcquisitionAssumption(parsing: acquisition)!
      options.replicates = replicates
      options.seed = seed
      options.processNoise = processNoise
      let comparison = try ScenarioComparison.run(model: fitted, plans: plans, options: options)
      if let csv { try AtomicFile.write(comparison.csv(), to: csv) }
      print(json ? try JSONOutput.encode(comparison) : comparison.text(), terminator: json ? "" : "\n")
    }
  }
}

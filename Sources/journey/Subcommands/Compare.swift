import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare CRM strategies: revenue, cost, profit, ROI and payback against a baseline.",
      discussion: """
        Forecasts each scenario file with the same replicates and random numbers, so the \
        differences between them are the strategies', not noise. The first scenario is the \
        baseline. Scenario files are described in scenarios/README.md.

        Example:
          journey compare --model model.json scenarios/baseline.yaml scenarios/winback.yaml
          journey compare --model model.json scenarios/*.yaml --horizon 24 --csv c.csv
          journey compare --model model.json scenarios/baseline.yaml scenarios/winback.yaml --report compare.html
        """
    )

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @OptionGroup var forecast: ForecastFlags
    @OptionGroup var replicates: ReplicateFlags

    @Argument(help: "Scenario files (YAML); the first is the baseline.")
    var scenarios: [String]

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write one row per scenario as CSV to this file.")
    var csv: String?

    @OptionGroup var report: ReportOption

    func validate() throws {
      guard !scenarios.isEmpty else { throw ValidationError("give at least one scenario file, e.g. scenarios/baseline.yaml") }
      try replicates.checkVolume(forecast, runs: scenarios.count)
    }

    func run() throws {
      try guardOutputs([("--csv", csv), ("--report", report.report)], inputs: [model] + scenarios)
      let fitted = try MarkovModel.load(path: model)
      let plans = try scenarios.map { try ScenarioPlan(try Scenario.load(path: $0), model: fitted) }
      let comparison = try ScenarioComparison.run(model: fitted, plans: plans, options: replicates.options(forecast))
      if let csv { try AtomicFile.write(comparison.csv(), to: csv) }
      try report.write { ComparisonReport(comparison: comparison, model: fitted).document() }
      print(json ? try JSONOutput.encode(comparison) : comparison.text(), terminator: json ? "" : "\n")
    }
  }
}

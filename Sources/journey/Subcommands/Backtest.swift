import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fit on the data up to a date and score the predictions of the periods after it.",
      discussion: """
        Fits the model on the complete periods up to --calibration-end (as evaluate fits its \
        pre-launch model: the first churn-after periods left out, seasons when a year remains), \
        forecasts the holdout periods from the actual base with the customers actually acquired \
        entering as new, and compares transactions (purchase occasions), revenue, active and \
        churned customers per period and in total, beside naive baselines. --per-customer also \
        scores each customer's predicted purchases (MAE, RMSE, correlation, by repeat purchases) \
        and churn risk (Brier score, reliability bins). --states auto chooses the state space by \
        rolling-origin validation inside the calibration window first.

        Example:
          journey backtest transactions.csv --calibration-end 2025-06-30
          journey backtest data.csv --calibration-end 2024-12-31 --holdout-periods 6 --per-customer --json backtest.json
          journey backtest data.csv --calibration-end 2024-12-31 --states auto --report backtest.html
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Last day the model may see (YYYY-MM-DD); calibration ends with the last complete period on or before it.")
    var calibrationEnd: String

    @Option(parsing: .unconditional, help: "Periods after the calibration to predict (default: every complete period the data has).")
    var holdoutPeriods: Int?

    @Flag(help: "Also score each customer's predicted purchases and churn risk.")
    var perCustomer = false

    @Flag(inversion: .prefixedNo, help: "Weigh each customer's prediction by its own purchase rate and spend (empirical Bayes); off: the state's prediction alone.")
    var ownHistory = true

    @Option(parsing: .unconditional, help: "Periods the run-rate baselines average (default: the holdout length).")
    var baselinePeriods: Int?

    @Option(parsing: .unconditional, help: "Monte Carlo replicates for the per-period ranges (0 for expected values only).")
    var replicates: Int = MonteCarloDefaults.backtestReplicates

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = MonteCarloDefaults.seed

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @OptionGroup var report: ReportOption

    func validate() throws {
      _ = try day(calibrationEnd, flag: "calibration-end")
      if let holdoutPeriods, holdoutPeriods < 1 { throw ValidationError("--holdout-periods: '\(holdoutPeriods)' must be at least 1 period") }
      if let baselinePeriods, baselinePeriods < 1 { throw ValidationError("--baseline-periods: '\(baselinePeriods)' must be at least 1 period") }
      guard (0...100_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 0 to 100000") }
    }

    func run() throws {
      try guardOutputs([("--json", json), ("--report", report.report)] + input.outputs, inputs: [input.file] + model.inputs)
      var options = BacktestOptions(calibrationEnd: try day(calibrationEnd, flag: "calibration-end"))
      options.holdoutPeriods = holdoutPeriods
      options.fit = try model.fitOptions(source: input.file, allowAuto: true)
      if model.autoStates { options.selection = try model.selectionOptions() }
      options.perCustomer = perCustomer
      options.ownHistory = ownHistory
      options.baselinePeriods = baselinePeriods
      options.replicates = replicates
      options.seed = seed
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      let backtest = try JourneyKit.Backtest.run(ingest.table, options: options)
      if let json { try AtomicFile.write(try JSONOutput.encode(backtest), to: json) }
      try report.write { BacktestReport(backtest.reportInput()).document() }
      print(backtest.text())
    }
  }
}

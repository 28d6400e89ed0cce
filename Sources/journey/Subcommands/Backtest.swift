import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fit on the data up to a date and score the predictions of the periods after it.",
      discussion: """
        Fits the model on the complete periods up to --calibration-end (or up to the data's \
        last --holdout-periods complete periods, when no date is given; as evaluate fits its \
        pre-launch model: the first churn-after periods left out, seasons when a year remains), \
        forecasts the holdout periods from the actual base with the customers actually acquired \
        entering as new, and compares transactions (purchase occasions), revenue, active and \
        churned customers per period and in total, beside naive baselines. --per-customer also \
        scores each customer's predicted purchases (MAE, RMSE, correlation, by repeat purchases) \
        and churn risk (Brier score, reliability bins). --states auto chooses the state space by \
        rolling-origin validation inside the calibration window first. --origins N backtests \
        from N calibration ends one period apart and summarises the errors and ranges over them.

        Example:
          journey backtest transactions.csv --calibration-end 2025-06-30
          journey backtest data.csv --calibration-end 2024-12-31 --holdout-periods 6 --per-customer --json backtest.json
          journey backtest data.csv --holdout-periods 6
          journey backtest data.csv --holdout-periods 6 --origins 6
          journey backtest data.csv --calibration-end 2024-12-31 --states auto --report backtest.html
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Last day the model may see (YYYY-MM-DD); calibration ends with the last complete period on or before it. Without it, --holdout-periods N holds out the data's last N complete periods.")
    var calibrationEnd: String?

    @Option(parsing: .unconditional, help: "Periods after the calibration to predict (default: every complete period the data has); alone, the data's last N complete periods.")
    var holdoutPeriods: Int?

    @Option(parsing: .unconditional, help: "Backtest from this many calibration ends, one period apart and ending with --calibration-end's, each predicting as many periods, and summarise the errors over them (default: 1).")
    var origins: Int = 1

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
      if let calibrationEnd {
        _ = try day(calibrationEnd, flag: "calibration-end")
      } else if holdoutPeriods == nil {
        throw ValidationError("give --calibration-end DATE (the last day the model may see) or --holdout-periods N (hold out the data's last N complete periods)")
      }
      if let holdoutPeriods, holdoutPeriods < 1 { throw ValidationError("--holdout-periods: '\(holdoutPeriods)' must be at least 1 period") }
      if let baselinePeriods, baselinePeriods < 1 { throw ValidationError("--baseline-periods: '\(baselinePeriods)' must be at least 1 period") }
      guard origins >= 1 else { throw ValidationError("--origins: '\(origins)' must be at least 1 calibration end") }
      guard (0...100_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 0 to 100000") }
    }

    func run() throws {
      try guardOutputs([("--json", json), ("--report", report.report)] + input.outputs, inputs: [input.file] + model.inputs)
      let fit = try model.fitOptions(source: input.file, allowAuto: true)
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      let end = try calibrationEnd.map { try day($0, flag: "calibration-end") }
        ?? JourneyKit.Backtest.calibrationEnd(holdingOut: holdoutPeriods!, of: ingest.table, period: fit.period, from: fit.from)
      var options = BacktestOptions(calibrationEnd: end)
      options.holdoutPeriods = holdoutPeriods
      options.fit = fit
      if model.autoStates { options.selection = try model.selectionOptions() }
      options.perCustomer = perCustomer
      options.ownHistory = ownHistory
      options.baselinePeriods = baselinePeriods
      options.replicates = replicates
      options.seed = seed
      if origins > 1 {
        let rolling = try RollingBacktest.run(ingest.table, options: options, origins: origins)
        if let json { try AtomicFile.write(try JSONOutput.encode(rolling), to: json) }
        try report.write { RollingBacktestReport(rolling.reportInput()).document() }
        print(rolling.text())
        return
      }
      let backtest = try JourneyKit.Backtest.run(ingest.table, options: options)
      if let json { try AtomicFile.write(try JSONOutput.encode(backtest), to: json) }
      try report.write { BacktestReport(backtest.reportInput()).document() }
      print(backtest.text())
    }
  }
}

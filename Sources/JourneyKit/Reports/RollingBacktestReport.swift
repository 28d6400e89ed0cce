import Foundation

/// What a report of backtests from several calibration ends shows, in plain values (the
/// backtesting layer fills it: `RollingBacktest.reportInput()`).
public struct RollingBacktestReportInput: Sendable {
  /// One calibration end.
  public struct Origin: Sendable {
    /// The calibration's last day.
    public var calibrationEnd: CalendarDay
    /// The state space fitted there.
    public var states: String
    /// The periods predicted, as labels (`2025-07 to 2025-12`).
    public var holdout: String
    /// Total error per KPI, in `kpis`' order (nil: no actual to compare with).
    public var errors: [Double?]
    /// The run-rate baseline's total error on transactions.
    public var runRateTransactions: Double?
    /// Periods inside the predicted range, per KPI, as "t/r/a/c of n" (nil without ranges).
    public var inside: String?
    /// One origin's row.
    public init(calibrationEnd: CalendarDay, states: String, holdout: String, errors: [Double?], runRateTransactions: Double?, inside: String?) {
      (self.calibrationEnd, self.states, self.holdout, self.errors) = (calibrationEnd, states, holdout, errors)
      (self.runRateTransactions, self.inside) = (runRateTransactions, inside)
    }
  }

  /// One KPI over the origins.
  public struct KPI: Sendable {
    /// Its name ("transactions").
    public var name: String
    /// Mean |total error|, mean total error, the worst and where it came from.
    public var meanAbsoluteError: Double
    /// (see `meanAbsoluteError`)
    public var meanError: Double
    /// (see `meanAbsoluteError`)
    public var worstError: Double
    /// (see `meanAbsoluteError`)
    public var worstCalibrationEnd: CalendarDay
    /// The run rate's mean |total error|, and the origins where the model's error is smaller.
    public var runRateMeanAbsoluteError: Double
    /// (see `runRateMeanAbsoluteError`)
    public var originsBetterThanRunRate: Int
    /// Origins with an error.
    public var origins: Int
    /// Periods inside the predicted range over every origin, and how many had one (nil without ranges).
    public var inside: (count: Int, of: Int)?
    /// One KPI's summary.
    public init(
      name: String, meanAbsoluteError: Double, meanError: Double, worstError: Double, worstCalibrationEnd: CalendarDay,
      runRateMeanAbsoluteError: Double, originsBetterThanRunRate: Int, origins: Int, inside: (count: Int, of: Int)?
    ) {
      (self.name, self.meanAbsoluteError, self.meanError, self.worstError) = (name, meanAbsoluteError, meanError, worstError)
      (self.worstCalibrationEnd, self.runRateMeanAbsoluteError) = (worstCalibrationEnd, runRateMeanAbsoluteError)
      (self.originsBetterThanRunRate, self.origins, self.inside) = (originsBetterThanRunRate, origins, inside)
    }
  }

  /// The period length.
  public var period: PeriodKind
  /// Periods each origin predicts.
  public var holdoutPeriods: Int
  /// The KPIs, in the order of each origin's `errors`.
  public var kpis: [KPI]
  /// The origins, earliest first.
  public var origins: [Origin]

  /// A report's input.
  public init(period: PeriodKind, holdoutPeriods: Int, kpis: [KPI], origins: [Origin]) {
    (self.period, self.holdoutPeriods, self.kpis, self.origins) = (period, holdoutPeriods, kpis, origins)
  }
}

/// Backtests from several calibration ends as a document: the errors per origin drawn and listed,
/// and each KPI's spread over them in words.
public struct RollingBacktestReport: Sendable {
  /// What the report shows.
  public var input: RollingBacktestReportInput

  /// The report of `input`.
  public init(_ input: RollingBacktestReportInput) { self.input = input }

  /// The report as a standalone document (HTML or Markdown).
  public func document() -> ReportDocument {
    let i = input
    return ReportDocument(
      title: "Backtest from \(i.origins.count) calibration ends",
      // An input built by hand may have no origins: the subtitle then names none.
      subtitle: "Each predicting \(ReportWording.periods(i.holdoutPeriods, i.period)) from data up to its end"
        + (i.origins.first.flatMap { first in i.origins.last.map { ", \(first.calibrationEnd) to \($0.calibrationEnd)" } } ?? ""),
      summary: summarySentences(),
      assumptions: [.init("Origins", "one \(i.period.rawValue) apart; each model saw the data up to its calibration end only")],
      sections: [section()])
  }

  func summarySentences() -> [String] {
    input.kpis.map { k in
      var sentence = "\(k.name.capitalizedFirst): off by \(Format.percent(k.meanAbsoluteError)) on average over \(k.origins) calibration ends "
        + "(mean error \(ReportWording.signedPercent(k.meanError, decimals: 1)); the worst \(ReportWording.signedPercent(k.worstError, decimals: 1)), from \(k.worstCalibrationEnd)); "
        + "the run rate \(Format.percent(k.runRateMeanAbsoluteError)), beaten at \(k.originsBetterThanRunRate) of \(k.origins)"
      if let inside = k.inside { sentence += "; \(inside.count) of \(inside.of) actual \(input.period.rawValue) values fell inside the predicted range" }
      return sentence + "."
    }
  }

  /// The report as one section.
  public func section() -> ReportSection {
    let ends = input.origins.map(\.calibrationEnd.description)
    let drawn = input.kpis.indices.filter { input.kpis[$0].name == "transactions" || input.kpis[$0].name == "revenue" }
    let chart = BarChart(
      title: "Total error over each holdout, by calibration end", categories: ends,
      series: drawn.enumerated().map { n, k in
        .init(name: input.kpis[k].name, values: input.origins.map { o in o.errors[k].map { .init($0) } }, colour: Palette.series(n == 0 ? 0 : 2))
      },
      yTitle: "Predicted / actual - 1", xTitle: "Calibration end", format: .percent)
    let origins = ReportTable(
      name: "rolling-backtest-origins", title: "Total error per calibration end",
      columns: ["calibration end", "states", "holdout"] + input.kpis.map(\.name) + ["run rate (transactions)", "inside range"],
      rows: input.origins.map { o in
        [ReportTable.Cell(o.calibrationEnd.description), ReportTable.Cell(o.states), ReportTable.Cell(o.holdout)]
          + o.errors.map { e in .number(e) { ReportWording.signedPercent($0, decimals: 1) } }
          + [.number(o.runRateTransactions) { ReportWording.signedPercent($0, decimals: 1) }, ReportTable.Cell(o.inside ?? "-")]
      })
    let kpis = ReportTable(
      name: "rolling-backtest-summary", title: "Each KPI over the calibration ends",
      columns: ["kpi", "mean |error|", "mean error", "worst", "from", "run rate mean |error|", "better than run rate"],
      rows: input.kpis.map { k in
        [ReportTable.Cell(k.name), .number(k.meanAbsoluteError) { Format.percent($0) }, .number(k.meanError) { ReportWording.signedPercent($0, decimals: 1) },
         .number(k.worstError) { ReportWording.signedPercent($0, decimals: 1) }, ReportTable.Cell(k.worstCalibrationEnd.description),
         .number(k.runRateMeanAbsoluteError) { Format.percent($0) }, ReportTable.Cell("\(k.originsBetterThanRunRate) of \(k.origins)")]
      })
    return ReportSection(title: "Backtest from several calibration ends", blocks: [
      .paragraph("One backtest is one draw: the same model can land close from one calibration end and far from the next. Each bar is one backtest's error over its whole holdout."),
      .chart(chart), .table(origins), .table(kpis),
    ])
  }
}

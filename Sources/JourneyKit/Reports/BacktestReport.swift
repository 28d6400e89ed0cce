/// What a backtest found, in plain arrays, for the report: KPIs predicted from a model fitted
/// on the data up to a cut-off against what happened after it, and churn-risk calibration.
public struct BacktestReportInput: Sendable {
  /// One period after the cut-off.
  public struct Period: Sendable {
    /// The first day of the period.
    public var start: CalendarDay
    /// What the data shows.
    public var actual: Double
    /// The model's prediction.
    public var predicted: Double
    /// The prediction's range (e.g. P5-P95), when the backtest simulated one.
    public var low: Double?
    /// The top of the prediction's range.
    public var high: Double?
    /// A period's actual and predicted values, with the prediction's range when there is one.
    public init(start: CalendarDay, actual: Double, predicted: Double, low: Double? = nil, high: Double? = nil) {
      self.start = start
      self.actual = actual
      self.predicted = predicted
      self.low = low
      self.high = high
    }
  }

  /// One KPI over the periods after the cut-off.
  public struct Series: Sendable {
    /// As people say it: "active customers", "revenue", "churn rate".
    public var name: String
    /// Fractions shown as percentages (`.percent`) or amounts (`.number`).
    public var format: AxisFormat
    /// Actual against predicted, one per period after the cut-off.
    public var periods: [Period]
    /// A KPI's series; `format` says how its axis writes numbers.
    public init(name: String, format: AxisFormat = .number, periods: [Period]) {
      self.name = name
      self.format = format
      self.periods = periods
    }
  }

  /// Customers grouped by predicted churn risk: the mean prediction against the observed share.
  public struct CalibrationBin: Sendable {
    /// The bin's mean predicted churn risk (a fraction).
    public var predicted: Double
    /// The share of the bin's customers who actually churned.
    public var observed: Double
    /// Customers in the bin.
    public var customers: Double
    /// A calibration bin: mean prediction, observed share, customers.
    public init(predicted: Double, observed: Double, customers: Double) {
      self.predicted = predicted
      self.observed = observed
      self.customers = customers
    }
  }

  /// Customers grouped by repeat purchases before the cut-off: mean purchases after it.
  public struct CustomerGroup: Sendable {
    /// The group, as written in the report (`0 repeats`, `3+`).
    public var label: String
    /// Customers in the group.
    public var customers: Double
    /// Mean purchases per customer after the cut-off, as observed.
    public var actualMean: Double
    /// Mean purchases per customer after the cut-off, as predicted.
    public var predictedMean: Double
    /// A group of customers: its size and mean purchases, actual and predicted.
    public init(label: String, customers: Double, actualMean: Double, predictedMean: Double) {
      self.label = label
      self.customers = customers
      self.actualMean = actualMean
      self.predictedMean = predictedMean
    }
  }

  /// The period length of the backtest.
  public var period: PeriodKind
  /// The last day of data the backtest's model saw.
  public var cutoff: CalendarDay
  /// One series per KPI.
  public var series: [Series]
  /// Churn-risk calibration bins (empty without per-customer scoring).
  public var calibration: [CalibrationBin]
  /// Customers grouped by repeat purchases (empty without per-customer scoring).
  public var customerGroups: [CustomerGroup] = []
  /// Anything the reader should know (how the bins were cut, what was left out).
  public var notes: [String]

  /// The report's input; everything but the period, cut-off and series may be left empty.
  public init(
    period: PeriodKind, cutoff: CalendarDay, series: [Series], calibration: [CalibrationBin] = [], customerGroups: [CustomerGroup] = [],
    notes: [String] = []
  ) {
    self.period = period
    self.cutoff = cutoff
    self.series = series
    self.calibration = calibration
    self.customerGroups = customerGroups
    self.notes = notes
  }
}

/// A backtest as a report: actual against predicted per period, and the calibration plot.
public struct BacktestReport: Sendable {
  /// What the report shows.
  public var input: BacktestReportInput

  /// The report of `input`.
  public init(_ input: BacktestReportInput) { self.input = input }

  /// The report as a standalone document (HTML or Markdown).
  public func document() -> ReportDocument {
    ReportDocument(
      title: "Backtest", subtitle: "Predictions from data up to \(input.cutoff) against what happened after it",
      summary: summarySentences(),
      assumptions: [.init("Cut-off", "the model saw data up to \(input.cutoff) only")],
      sections: [section()])
  }

  /// Mean absolute percentage error over the periods with a non-zero actual.
  static func meanAbsolutePercentageError(_ periods: [BacktestReportInput.Period]) -> Double? {
    let errors = periods.filter { $0.actual != 0 }.map { abs($0.predicted / $0.actual - 1) }
    return errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
  }

  func summarySentences() -> [String] {
    var out: [String] = []
    for s in input.series where !s.periods.isEmpty {
      var sentence = "\(s.name.capitalizedFirst) over \(ReportWording.periods(s.periods.count, input.period)) after the cut-off: "
      if let mape = Self.meanAbsolutePercentageError(s.periods) {
        sentence += "predictions were off by \(Format.percent(mape)) on average"
      } else {
        sentence += "every actual value was zero, so the error cannot be given in percent"
      }
      let ranged = s.periods.filter { $0.low != nil && $0.high != nil }
      if !ranged.isEmpty {
        let inside = ranged.filter { $0.actual >= $0.low! && $0.actual <= $0.high! }.count
        sentence += "; \(inside) of \(ranged.count) actual values fell inside the predicted range"
      }
      out.append(sentence + ".")
    }
    let bins = input.calibration.filter { $0.customers > 0 }
    let total = bins.reduce(0) { $0 + $1.customers }
    if total > 0 {
      let predicted = bins.reduce(0) { $0 + $1.predicted * $1.customers } / total
      let observed = bins.reduce(0) { $0 + $1.observed * $1.customers } / total
      let worst = bins.max { abs($0.predicted - $0.observed) < abs($1.predicted - $1.observed) }!
      out.append("Churn risk: \(Format.percent(predicted)) predicted against \(Format.percent(observed)) observed over \(Format.number(total)) customers; the largest gap in one risk group is \(AxisFormat.trimmed(abs(worst.predicted - worst.observed) * 100, decimals: 1)) points (predicted \(Format.percent(worst.predicted)), observed \(Format.percent(worst.observed))).")
    }
    return out.isEmpty ? ["The backtest has no periods after the cut-off to compare."] : out
  }

  /// The report as one section, to gather with others in one document.
  public func section() -> ReportSection {
    var blocks: [ReportBlock] = [
      .paragraph("A model fitted only on the data up to \(input.cutoff) predicts the \(input.period.rawValue)s after it; the black line is what happened.")
    ]
    for (k, s) in input.series.enumerated() {
      let axis = PeriodAxis(starts: s.periods.map(\.start), kind: input.period)
      let hasBand = s.periods.contains { $0.low != nil && $0.high != nil }
      blocks.append(.chart(BandedLineChart(
        title: "\(s.name.capitalizedFirst): actual and predicted", axis: axis, yTitle: s.name.capitalizedFirst, format: s.format,
        bands: hasBand ? [.init(name: "predicted range", low: s.periods.map { $0.low ?? .nan }, high: s.periods.map { $0.high ?? .nan }, colour: Palette.series(k % 2 == 0 ? 0 : 2))] : [],
        lines: [
          .init(name: "predicted", values: s.periods.map(\.predicted), colour: Palette.series(k % 2 == 0 ? 0 : 2), dashed: true),
          .init(name: "actual", values: s.periods.map(\.actual), colour: Palette.actual, markers: true),
        ],
        includeZero: s.format != .percent)))
      let show: (Double) -> String = { s.format == .percent ? Format.percent($0) : Format.number($0) }
      blocks.append(.table(ReportTable(
        name: "backtest-" + s.name.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "-"),
        title: "\(s.name.capitalizedFirst) per \(input.period.rawValue)", columns: [input.period.rawValue, "actual", "predicted", "error"],
        rows: s.periods.map { p in
          [ReportTable.Cell(PeriodAxis.shortName(p.start, input.period), raw: p.start.description), .number(p.actual, show),
           ReportTable.Cell(show(p.predicted), detail: p.low.flatMap { lo in p.high.map { "\(show(lo)) to \(show($0))" } }, raw: String(p.predicted)),
           .number(p.actual != 0 ? p.predicted / p.actual - 1 : nil) { ReportWording.signedPercent($0) }]
        },
        csvColumns: ["period_start", "actual", "predicted", "predicted_low", "predicted_high"],
        csvRows: s.periods.map { p in [p.start.description, String(p.actual), String(p.predicted), p.low.map { String($0) } ?? "", p.high.map { String($0) } ?? ""] })))
    }
    if !input.customerGroups.isEmpty {
      blocks.append(.paragraph("Customers grouped by their repeat purchases before the cut-off: a model that ignores how often each customer buys predicts too little for heavy buyers and too much for one-time buyers."))
      blocks.append(.table(ReportTable(
        name: "backtest-customer-groups", title: "Purchases per customer after the cut-off, by repeat purchases before it",
        columns: ["repeat purchases", "customers", "actual mean", "predicted mean", "error"],
        rows: input.customerGroups.map { g in
          [ReportTable.Cell(g.label), .number(g.customers) { Format.number($0) }, .number(g.actualMean) { Format.number($0, decimals: 2) },
           .number(g.predictedMean) { Format.number($0, decimals: 2) },
           .number(g.actualMean != 0 ? g.predictedMean / g.actualMean - 1 : nil) { ReportWording.signedPercent($0) }]
        })))
    }
    if !input.calibration.isEmpty {
      blocks.append(.paragraph("Customers grouped by their predicted churn risk: a well-calibrated model puts each group on the dashed diagonal."))
      blocks.append(.chart(CalibrationChart(
        title: "Churn calibration: predicted against observed",
        bins: input.calibration.map { .init(predicted: $0.predicted, observed: $0.observed, count: $0.customers) })))
      blocks.append(.table(ReportTable(
        name: "backtest-calibration", title: "Churn risk groups", columns: ["predicted", "observed", "customers"],
        rows: input.calibration.map { b in [.number(b.predicted) { Format.percent($0) }, .number(b.observed) { Format.percent($0) }, .number(b.customers) { Format.number($0) }] })))
    }
    blocks += input.notes.map { .paragraph($0) }
    return ReportSection(title: "Backtest", blocks: blocks)
  }
}

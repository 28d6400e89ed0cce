import Foundation

/// Backtests from several calibration ends, one period apart, each predicting the same number of
/// periods: how the forecast holds as the origin moves (rolling-origin evaluation).
///
/// One backtest is one draw: on CDNOW the same model reads -19% from one month-end and +13% from
/// another two months later. A planner deciding whether to trust the forecast on their own data
/// needs the spread over origins, not the luck of one, and how often the ranges held over all of
/// them. Each origin is a whole `Backtest.run` as a user would make it from that date (the state
/// space chosen again when it is chosen, nothing after the origin read), so the figures are what
/// the tool would have said at each date.
public struct RollingBacktest: Encodable, Sendable {
  /// One origin's backtest, in brief.
  public struct Origin: Encodable, Sendable {
    /// The last day of the calibration.
    public var calibrationEnd: CalendarDay
    /// The state space fitted there.
    public var states: String
    /// The holdout as period labels (`2025-07 to 2025-12`).
    public var holdout: String
    /// predicted total / actual total - 1, per KPI (nil where the actual total is 0).
    public var totalError: [Backtest.Measure: Double]
    /// The run-rate baseline's total error, per KPI.
    public var runRateError: [Backtest.Measure: Double]
    /// Periods inside the predicted P5-P95 range (nil without ranges).
    public var insideRange: Backtest.RangeCoverage?
    /// Per-customer purchases: RMSE and correlation (with `perCustomer`).
    public var perCustomerRMSE: Double?
    /// (see `perCustomerRMSE`)
    public var perCustomerCorrelation: Double?

    enum CodingKeys: String, CodingKey {
      case calibrationEnd, states, holdout, totalError, runRateError, insideRange, perCustomerRMSE = "per_customer_rmse", perCustomerCorrelation
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(calibrationEnd, forKey: .calibrationEnd)
      try c.encode(states, forKey: .states)
      try c.encode(holdout, forKey: .holdout)
      // Keyed by the KPI's name, not an array of alternating keys and values.
      try c.encode(Dictionary(uniqueKeysWithValues: totalError.map { ($0.key.rawValue, $0.value) }), forKey: .totalError)
      try c.encode(Dictionary(uniqueKeysWithValues: runRateError.map { ($0.key.rawValue, $0.value) }), forKey: .runRateError)
      try c.encodeIfPresent(insideRange, forKey: .insideRange)
      try c.encodeIfPresent(perCustomerRMSE, forKey: .perCustomerRMSE)
      try c.encodeIfPresent(perCustomerCorrelation, forKey: .perCustomerCorrelation)
    }
  }

  /// One KPI's errors over the origins.
  public struct KPISummary: Codable, Sendable, Equatable {
    /// The KPI.
    public var kpi: Backtest.Measure
    /// Origins with an error (an actual total above 0).
    public var origins: Int
    /// Mean of |total error| over the origins.
    public var meanAbsoluteError: Double
    /// Mean of the total errors: a forecast that leans one way has a mean near its absolute mean.
    public var meanError: Double
    /// The largest error by size, signed, and the calibration end it came from.
    public var worstError: Double
    /// (see `worstError`)
    public var worstCalibrationEnd: CalendarDay
    /// The run-rate baseline's mean |total error| over the same origins.
    public var runRateMeanAbsoluteError: Double
    /// Origins where the model's |error| is below the run rate's.
    public var originsBetterThanRunRate: Int
  }

  /// The period length.
  public var period: PeriodKind
  /// Periods each origin predicts.
  public var holdoutPeriods: Int
  /// The origins, earliest first.
  public var origins: [Origin]
  /// Per KPI, the errors over the origins.
  public var summary: [KPISummary]
  /// The ranges over every origin's periods (nil without ranges). Overlapping holdouts count a
  /// period once per origin that predicts it.
  public var insideRange: Backtest.RangeCoverage?

  /// Backtests from `origins` calibration ends: `options.calibrationEnd`'s period and the
  /// `origins - 1` periods before it, each predicting `options.holdoutPeriods` periods (default:
  /// every complete period after the latest origin, so that every origin predicts as many).
  ///
  /// - Throws: `BacktestError.tooManyOrigins` when the earliest origin would leave fewer than two
  ///   complete periods to fit on, `.holdoutTooLong` when the latest cannot predict as many as
  ///   asked; whatever `Backtest.run` throws for an origin.
  public static func run(_ table: TransactionTable, options: BacktestOptions, origins: Int) throws -> RollingBacktest {
    guard origins >= 1 else { throw BacktestError.invalidOption(flag: "--origins", value: "\(origins)", expected: "at least 1") }
    let period = options.fit.period
    let latest = try Backtest.calibrationWindow(table, options: options)
    // The earliest origin must keep the 2 periods a fit needs.
    let possible = latest.lastPeriod - latest.firstPeriod
    guard origins <= possible else {
      // Named by the earliest end that fits: the one asked for may lie before any calendar date.
      throw BacktestError.tooManyOrigins(
        asked: origins, possible: possible, period: period, earliestCalibrationEnd: period.end(of: latest.lastPeriod - possible + 1),
        latestCalibrationEnd: period.end(of: latest.lastPeriod))
    }
    // The latest origin has the fewest periods after it: a holdout it cannot fill is refused
    // before any origin is run.
    let available = try FitWindow.make(table: table, period: period).lastPeriod - latest.lastPeriod
    let steps = options.holdoutPeriods ?? max(1, available)
    if available >= 1, steps > available { throw BacktestError.holdoutTooLong(asked: steps, available: available, period: period) }
    var results: [Origin] = []
    var rows: [Backtest.PeriodRow] = []
    for back in (0..<origins).reversed() {
      var o = options
      o.calibrationEnd = period.end(of: latest.lastPeriod - back)
      o.holdoutPeriods = steps
      let b = try Backtest.run(table, options: o)
      rows += b.holdout.periods
      var errors: [Backtest.Measure: Double] = [:], runRate: [Backtest.Measure: Double] = [:]
      for (x, r) in zip(b.holdout.accuracy, b.baselines.runRate.accuracy) {
        errors[x.kpi] = x.totalError
        runRate[r.kpi] = r.totalError
      }
      results.append(Origin(
        calibrationEnd: o.calibrationEnd, states: b.states,
        holdout: "\(b.holdout.periods.first!.label) to \(b.holdout.periods.last!.label)",
        totalError: errors, runRateError: runRate, insideRange: b.holdout.insideRange,
        perCustomerRMSE: b.holdout.perCustomer?.rmse, perCustomerCorrelation: b.holdout.perCustomer?.correlation))
    }
    return RollingBacktest(
      period: period, holdoutPeriods: steps, origins: results, summary: Backtest.Measure.allCases.compactMap { summarize($0, results) },
      insideRange: Backtest.RangeCoverage(rows).map { c in
        // The half-widths of overlapping holdouts are not one set of ranges: left to each origin.
        Backtest.RangeCoverage(periods: c.periods, transactions: c.transactions, revenue: c.revenue, active: c.active, churned: c.churned)
      })
  }

  /// One KPI over the origins with an error for it and for the run rate; nil when none has.
  static func summarize(_ kpi: Backtest.Measure, _ origins: [Origin]) -> KPISummary? {
    let scored = origins.compactMap { o in o.totalError[kpi].flatMap { e in o.runRateError[kpi].map { (o.calibrationEnd, e, $0) } } }
    guard let worst = scored.max(by: { abs($0.1) < abs($1.1) }) else { return nil }
    let n = Double(scored.count)
    return KPISummary(
      kpi: kpi, origins: scored.count,
      meanAbsoluteError: scored.reduce(0) { $0 + abs($1.1) } / n, meanError: scored.reduce(0) { $0 + $1.1 } / n,
      worstError: worst.1, worstCalibrationEnd: worst.0,
      runRateMeanAbsoluteError: scored.reduce(0) { $0 + abs($1.2) } / n,
      originsBetterThanRunRate: scored.filter { abs($0.1) < abs($0.2) }.count)
  }

  /// The terminal rendering.
  public func text() -> String {
    let unit = period.rawValue
    var out = ["Rolling backtest: \(origins.count) calibration ends, one \(unit) apart, each predicting \(holdoutPeriods) \(unit)\(holdoutPeriods == 1 ? "" : "s") (each fitted as `journey backtest` fits it from that date)."]
    var t = TextTable(header: ["calibration end", "states", "holdout", "transactions", "revenue", "active", "churned", "run rate (transactions)", "inside range t/r/a/c"])
    for o in origins {
      t.append([
        o.calibrationEnd.description, o.states, o.holdout,
        Backtest.percentText(o.totalError[.transactions]), Backtest.percentText(o.totalError[.revenue]), Backtest.percentText(o.totalError[.active]), Backtest.percentText(o.totalError[.churned]),
        Backtest.percentText(o.runRateError[.transactions]),
        o.insideRange.map { "\($0.transactions)/\($0.revenue)/\($0.active)/\($0.churned) of \($0.periods)" } ?? "-",
      ])
    }
    out.append(t.render())
    out.append("")
    out.append("Over the \(origins.count) origins (total error = predicted / actual - 1 over each holdout):")
    var s = TextTable(header: ["kpi", "mean |error|", "mean error", "worst", "from", "run rate mean |error|", "better than run rate"])
    for k in summary {
      s.append([
        k.kpi.rawValue, Backtest.percentText(k.meanAbsoluteError, signed: false), Backtest.percentText(k.meanError), Backtest.percentText(k.worstError), k.worstCalibrationEnd.description,
        Backtest.percentText(k.runRateMeanAbsoluteError, signed: false), "\(k.originsBetterThanRunRate) of \(k.origins)",
      ])
    }
    out.append(s.render())
    if let c = insideRange {
      func share(_ k: Int) -> String { "\(k) of \(c.periods) (\(Format.percent(Double(k) / Double(c.periods), decimals: 0)))" }
      out.append("Inside the predicted P5-P95 range (90%) over every origin's \(unit)s: transactions \(share(c.transactions)), revenue \(share(c.revenue)), active \(share(c.active)), churned \(share(c.churned)); a range that means what it says holds about 9 in 10.")
    }
    let rmse = origins.compactMap(\.perCustomerRMSE)
    if !rmse.isEmpty {
      let correlations = origins.compactMap(\.perCustomerCorrelation)
      out.append("Per customer (purchases over each holdout): RMSE \(Format.number(rmse.min()!, decimals: 3)) to \(Format.number(rmse.max()!, decimals: 3))"
        + (correlations.isEmpty ? "" : ", correlation \(String(format: "%.3f", correlations.min()!)) to \(String(format: "%.3f", correlations.max()!))") + ".")
    }
    return out.joined(separator: "\n")
  }
}

extension RollingBacktest {
  /// The report's view of these backtests.
  public func reportInput() -> RollingBacktestReportInput {
    let kpis = summary.map(\.kpi)
    return RollingBacktestReportInput(
      period: period, holdoutPeriods: holdoutPeriods,
      kpis: summary.map { k in
        .init(
          name: k.kpi.rawValue, meanAbsoluteError: k.meanAbsoluteError, meanError: k.meanError, worstError: k.worstError,
          worstCalibrationEnd: k.worstCalibrationEnd, runRateMeanAbsoluteError: k.runRateMeanAbsoluteError,
          originsBetterThanRunRate: k.originsBetterThanRunRate, origins: k.origins,
          inside: insideRange.map { c in (count: c[k.kpi], of: c.periods) })
      },
      origins: origins.map { o in
        .init(
          calibrationEnd: o.calibrationEnd, states: o.states, holdout: o.holdout, errors: kpis.map { o.totalError[$0] },
          runRateTransactions: o.runRateError[.transactions],
          inside: o.insideRange.map { "\($0.transactions)/\($0.revenue)/\($0.active)/\($0.churned) of \($0.periods)" })
      })
  }
}

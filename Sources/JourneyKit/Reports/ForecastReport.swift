import Foundation

/// Renders a forecast for people (terminal tables) and machines (JSON, CSV).
public struct ForecastReport: Sendable {
  /// The forecast reported.
  public var forecast: Forecast
  /// The model it was run on (states, window, diagnostics).
  public var model: MarkovModel

  /// The report of `forecast`, run on `model`.
  public init(forecast: Forecast, model: MarkovModel) {
    self.forecast = forecast
    self.model = model
  }

  static func format(_ kpi: KPI, _ value: Double) -> String {
    if kpi.isRate { return Format.percent(value) }
    return Format.number(value, decimals: kpi == .averageOrderValue ? 2 : 0)
  }

  /// `12,400 (11,900-12,800)` when bands exist, else the expected value.
  func cell(_ kpi: KPI, _ t: Int) -> String {
    let value = Self.format(kpi, forecast.expected[kpi]![t])
    guard let band = forecast.bands[kpi]?[t] else { return value }
    return "\(value) (\(Self.format(kpi, band.p5))-\(Self.format(kpi, band.p95)))"
  }

  /// The terminal rendering: KPIs per period with their P5-P95 ranges.
  public func text() -> String {
    let f = forecast
    var out: [String] = []
    out.append("Forecast from \(model.input.source): \(f.periods.count) \(model.window.period.rawValue)s after \(model.window.period.label(of: model.window.lastPeriod)), states \(model.stateSpace.kind.label)")
    let spread = f.acquisitionSpread > 0
      ? "; the ranges let a period's entrants stray as the window's did around it (\(Format.percent(f.acquisitionSpread, decimals: 0)) beyond chance)" : ""
    out.append("Acquisition: \(f.acquisition) (\(Format.number(f.inflowPerPeriod.first ?? 0)) entrants in the first period\(spread)); discount \(Format.percent(f.discountPerPeriod, decimals: 2)) per \(model.window.period.rawValue)")
    out.append(f.replicates > 0 ? "Expected values, with P5-P95 ranges from \(f.replicates) replicates (seed \(f.seed))" : "Expected values (no replicates)")
    out.append("Own histories: " + Self.ownHistoryWords(f, model: model))
    out.append("")
    let hasTiers = model.stateSpace.states.contains { $0.tier != nil }
    let undefined = KPI.allCases.filter { f.undefinedRates[$0] != nil }
    let tables: [(String, [KPI])] = [
      ("Customer base", [.customers, .active, .newCustomers, .churned, .churnRate] + (hasTiers ? [.upgrades, .downgrades] : [])),
      ("Conversion and money", [.leadConversion, .secondPurchaseConversion, .purchases, .revenue, .cumulativeRevenue].filter { !undefined.contains($0) }),
    ]
    if !undefined.isEmpty {
      let why = undefined.map { $0 == .leadConversion ? "no leads" : "no new customers" }.joined(separator: " and ")
      out.append("Not shown: \(undefined.map(\.rawValue).joined(separator: ", ")), with \(why) in the base or the forecast to convert (left out of --json's expected values, empty in --csv)")
      out.append("")
    }
    for (title, kpis) in tables {
      out.append("\(title):")
      var t = TextTable(header: ["period"] + kpis.map(\.rawValue))
      for p in 0..<f.periods.count { t.append([f.periods[p]] + kpis.map { cell($0, p) }) }
      out.append(t.render())
      out.append("")
    }
    let startLiving = model.livingCustomers
    let end = f.expected[.customers]!.last!
    out.append("Living customers: \(Format.number(startLiving)) now -> \(Format.number(end)) after \(f.periods.count) \(model.window.period.rawValue)s (\(Format.percent(end / max(1, startLiving) - 1)))"
      + (f.bands[.customers].map { " range \(Format.number($0.last!.p5))-\(Format.number($0.last!.p95))" } ?? ""))
    return out.joined(separator: "\n")
  }

  /// Where the purchases, revenue and active count come from, in words.
  static func ownHistoryWords(_ f: Forecast, model: MarkovModel) -> String {
    let chain = chainErrorWords(f, model: model)
    guard let customers = f.ownHistoryCustomers else {
      return "not used: every KPI is the chain's (a model without the activity model, or --no-own-history); "
        + (chain ?? "the ranges hold the chain's process and parameter noise, not its own error (the model file has no measured chain error; backtest --no-own-history measures it)")
    }
    let (own, chainCounts) = f.ownHistoryChurn
      ? ("purchases, revenue, active, churn events and living customers", "the segment counts")
      : ("purchases, revenue and active", "the counts of customers, segments and churn")
    return "\(own) of the \(Format.number(Double(customers))) customers who have bought come from each one's history (the activity model, as in backtest's default); "
      + "leads, new customers, a scenario's changes and \(chainCounts) come from the chain; "
      + (f.ownHistoryError ? activityErrorWords(model, churn: f.ownHistoryChurn) : "the ranges are the chain's (the model file has no measured error)")
      + (chain.map { "; " + $0 } ?? "")
  }

  /// What the ranges hold of the activity model's own error (`ActivityBase.error`), with its
  /// figures: a planner reading a range 0 to twice the forecast learns that one measured period
  /// made it so, not that the customers are that uncertain.
  static func activityErrorWords(_ model: MarkovModel, churn: Bool) -> String {
    guard let error = model.activity?.base?.error else { return "the ranges add the activity model's error" }
    let period = model.window.period
    let figures = "\(Format.percent(error.purchases)) on purchases, \(Format.percent(error.revenue)) on revenue and \(Format.percent(error.buying)) on active"
      + (churn ? " (which churn events and living customers carry too)" : "")
    guard let n = error.periods, let measuredOn = error.measuredOnWords(period: period) else {
      return "the ranges add the activity model's error per \(period.rawValue), a guess (the history was too short to measure it out of sample): \(figures) one \(period.rawValue) ahead, growing with the square root of the lead"
    }
    return "the ranges add the activity model's own error per \(period.rawValue), \(measuredWords(on: measuredOn)): "
      + "\(figures), \(wideningWords(periods: n))"
      + (n == 1 ? " (one measured \(period.rawValue) makes the ranges wide; a model fitted on a longer history measures more)" : "")
      + (error.withinCountNoiseWords.map { " (\($0))" } ?? "")
  }

  /// Where an error measured out of sample at the fit was measured, from what
  /// `OutOfSampleError.measuredOnWords` says.
  static func measuredWords(on measured: String) -> String {
    "measured out of sample at the fit on \(measured) before the model's end"
  }

  /// How a range widens an error measured on `n` periods.
  static func wideningWords(periods n: Int) -> String {
    "widened \(String(format: "%.2fx", OutOfSampleError.widening(periods: n))) as Student's t and growing with the lead"
  }

  /// What the ranges hold of the chain's own error (`Forecast.chainErrorKPIs`); nil when nothing.
  static func chainErrorWords(_ f: Forecast, model: MarkovModel) -> String? {
    guard let error = model.chainError, !f.chainErrorKPIs.isEmpty else { return nil }
    let period = model.window.period
    let errors = f.chainErrorKPIs.map { kpi -> String in
      switch kpi {
      case .purchases: "\(Format.percent(error.transactions)) on purchases"
      case .revenue: "\(Format.percent(error.revenue)) on revenue"
      case .active: "\(Format.percent(error.active)) on active"
      default: "\(Format.percent(error.churned)) on churned" + (error.churnedIsAGuess ? " (a guess: nobody churned in those periods)" : "")
      }
    }
    return "the ranges of \(f.chainErrorKPIs.map(\.rawValue).joined(separator: ", ")) add the chain's own error per \(period.rawValue), "
      + errors.joined(separator: ", ")
      + " (\(measuredWords(on: error.growth.measuredOnWords(period: period) ?? "the periods")), \(wideningWords(periods: error.periods)))"
  }


  /// One row per period and KPI: `period,kpi,expected,mean,p5,p50,p95`; the cells of a rate with
  /// nothing to convert (`Forecast.undefinedRates`) are empty.
  public func csv() -> String {
    var lines = ["period,kpi,expected,mean,p5,p50,p95"]
    for t in 0..<forecast.periods.count {
      for kpi in KPI.allCases {
        let defined = forecast.undefinedRates[kpi] == nil
        let e = defined ? forecast.expected[kpi]![t] : nil
        let b = defined ? forecast.bands[kpi]?[t] : nil
        let cells = [e, b?.mean, b?.p5, b?.p50, b?.p95].map { $0.map { String($0) } ?? "" }
        lines.append("\(forecast.periods[t]),\(kpi.rawValue),\(cells.joined(separator: ","))")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The forecast as JSON (`JSONOutput`).
  public func json() throws -> String { try JSONOutput.encode(forecast) }
}

import Foundation

/// Scenarios forecast side by side with common random numbers, against a baseline.
public struct ScenarioComparison: Codable, Sendable {
  /// A value with its P5-P95 range across replicates (nil without replicates).
  public struct Ranged: Codable, Sendable, Equatable {
    /// The expected value.
    public var expected: Double
    /// The 5th percentile across replicates.
    public var p5: Double?
    /// The 95th percentile across replicates.
    public var p95: Double?
  }

  /// One scenario's results over the horizon.
  public struct Row: Codable, Sendable {
    /// The scenario's name.
    public var name: String
    /// The file it came from.
    public var source: String
    /// At the horizon.
    public var customers: Ranged
    /// Active customers at the horizon.
    public var active: Ranged
    /// Summed over the horizon.
    public var revenue: Ranged
    /// Cost of the interventions and extra acquisition, summed over the horizon.
    public var cost: Double
    /// Profit summed over the horizon: revenue times margin, minus cost.
    public var profit: Ranged
    /// Discounted profit (net present value of the horizon).
    public var discountedProfit: Ranged
    /// Against the baseline (zero for the baseline itself).
    public var incrementalRevenue: Ranged
    /// Profit against the baseline.
    public var incrementalProfit: Ranged
    /// Discounted profit against the baseline.
    public var incrementalDiscountedProfit: Ranged
    /// Incremental profit / cost; nil when the scenario costs nothing.
    public var roi: Double?
    /// First period from which the cumulative incremental profit stays at or above zero; nil if never within the horizon.
    public var paybackPeriod: Int?
    /// Share of replicates in which the scenario's profit beats the baseline's.
    public var probabilityBeatsBaseline: Double?
    /// Expected cumulative profit per period, for charts.
    public var cumulativeProfitPath: [Double]
  }

  /// The name of the scenario the others are measured against.
  public var baseline: String
  /// Periods forecast.
  public var horizon: Int
  /// The forecast periods, as labels.
  public var periods: [String]
  /// Monte Carlo replicates (0: expected values only).
  public var replicates: Int
  /// Seed of the replicates; scenarios share random numbers for the same seed.
  public var seed: UInt64
  /// One row per scenario, the baseline first.
  public var rows: [Row]
  /// What a reader must know before the numbers (e.g. scenarios with different margins).
  public var notes: [String] = []

  /// Forecasts every plan with the same options and seed; the first plan is the baseline.
  public static func run(model: MarkovModel, plans: [ScenarioPlan], options: ForecastOptions) throws -> ScenarioComparison {
    precondition(!plans.isEmpty, "compare needs at least one scenario")
    // Margins and timing are checked before any forecast runs.
    _ = try marginNotes(plans.map(\.scenario))
    for plan in plans { try plan.checkTiming(horizon: options.horizon) }
    let forecasts = try plans.map { try ForecastEngine.run(model: model, options: options, adjustment: $0.adjustment) }
    return try assemble(plans: plans, forecasts: forecasts, options: options)
  }

  /// The comparison of plans already forecast, each with `options` (the workspace keeps
  /// forecasts of unchanged scenarios, so a change forecasts only the scenario that changed).
  static func assemble(plans: [ScenarioPlan], forecasts: [Forecast], options: ForecastOptions) throws -> ScenarioComparison {
    precondition(!plans.isEmpty && plans.count == forecasts.count, "one forecast per plan")
    let notes = try marginNotes(plans.map(\.scenario))
    let base = forecasts[0]
    let h = options.horizon
    func ranged(_ f: Forecast, _ kpi: KPI) -> Ranged {
      Ranged(expected: f.expected[kpi]![h - 1], p5: f.bands[kpi]?[h - 1].p5, p95: f.bands[kpi]?[h - 1].p95)
    }
    func difference(_ f: Forecast, _ kpi: KPI) -> Ranged {
      let expected = f.expected[kpi]![h - 1] - base.expected[kpi]![h - 1]
      guard let a = f.finalSamples[kpi], let b = base.finalSamples[kpi], !a.isEmpty else { return Ranged(expected: expected) }
      let band = ForecastEngine.band(zip(a, b).map { $0 - $1 }[...])
      return Ranged(expected: expected, p5: band.p5, p95: band.p95)
    }
    var rows: [Row] = []
    for (plan, f) in zip(plans, forecasts) {
      let cost = f.expected[.cost]!.reduce(0, +)
      let incremental = difference(f, .cumulativeProfit)
      let path = zip(f.expected[.cumulativeProfit]!, base.expected[.cumulativeProfit]!).map { $0 - $1 }
      var payback: Int? = nil
      if cost > 0 || path.contains(where: { $0 != 0 }) {
        if let last = path.lastIndex(where: { $0 < 0 }) {
          payback = last + 1 < h ? last + 2 : nil
        } else {
          payback = 1
        }
      }
      var beats: Double? = nil
      if let a = f.finalSamples[.cumulativeProfit], let b = base.finalSamples[.cumulativeProfit], !a.isEmpty {
        beats = Double(zip(a, b).filter { $0 > $1 }.count) / Double(a.count)
      }
      rows.append(
        Row(
          name: plan.scenario.name, source: plan.scenario.source, customers: ranged(f, .customers), active: ranged(f, .active),
          revenue: ranged(f, .cumulativeRevenue), cost: cost, profit: ranged(f, .cumulativeProfit),
          discountedProfit: ranged(f, .discountedProfit), incrementalRevenue: difference(f, .cumulativeRevenue),
          incrementalProfit: incremental, incrementalDiscountedProfit: difference(f, .discountedProfit),
          roi: cost > 0 ? incremental.expected / cost : nil, paybackPeriod: payback, probabilityBeatsBaseline: beats,
          cumulativeProfitPath: f.expected[.cumulativeProfit]!))
    }
    return ScenarioComparison(
      baseline: plans[0].scenario.name, horizon: h, periods: base.periods, replicates: options.replicates, seed: options.seed, rows: rows,
      notes: notes)
  }

  /// Profits are comparable only under one margin. A scenario that leaves `margin:` out (revenue
  /// taken as profit) next to one that gives it is refused: one would "win" by the margin alone.
  /// Different margins all given on purpose (a strategy that changes the margin) are stated first.
  /// - Throws: `YAMLFileError` naming the scenario without a margin.
  static func marginNotes(_ scenarios: [Scenario]) throws -> [String] {
    let margins = Set(scenarios.map(\.margin))
    guard margins.count > 1 else { return [] }
    if let implicit = scenarios.first(where: { !$0.marginIsExplicit }), let explicit = scenarios.first(where: { $0.marginIsExplicit }) {
      throw YAMLFileError(
        file: implicit.source, path: "margin",
        message: "missing, so revenue counts as profit (100%), while '\(explicit.name)' has margin \(Format.percent(explicit.margin, decimals: 1)); profits under different margins are not comparable",
        hint: "add margin: \(Format.percent(explicit.margin, decimals: 0)) to '\(implicit.name)' (or the same margin to every scenario)")
    }
    let list = scenarios.map { "'\($0.name)' \(Format.percent($0.margin, decimals: 1))" }.joined(separator: ", ")
    return ["The scenarios assume different margins (\(list)): part of each profit difference is the margin, not the strategy."]
  }

  /// The terminal rendering.
  public func text() -> String {
    func money(_ r: Ranged) -> String {
      let value = Format.number(r.expected)
      guard let lo = r.p5, let hi = r.p95 else { return value }
      return "\(value) (\(Format.number(lo))..\(Format.number(hi)))"
    }
    var out: [String] = notes.map { "Note: \($0)" }
    if !notes.isEmpty { out.append("") }
    out.append("Scenarios over \(horizon) periods (\(periods.first ?? "")..\(periods.last ?? "")), against '\(baseline)'"
      + (replicates > 0 ? "; ranges P5..P95 of \(replicates) replicates with common random numbers (seed \(seed))" : ""))
    out.append("")
    var t = TextTable(header: ["scenario", "customers at end", "revenue", "cost", "profit", "incremental profit", "ROI", "payback", "P(beats baseline)"])
    for r in rows {
      t.append([
        r.name, money(r.customers), money(r.revenue), Format.number(r.cost), money(r.profit),
        r.name == baseline ? "-" : money(r.incrementalProfit),
        r.roi.map { Format.percent($0, decimals: 0) } ?? "-",
        r.name == baseline ? "-" : (r.paybackPeriod.map { "period \($0)" } ?? "not within horizon"),
        r.name == baseline ? "-" : (r.probabilityBeatsBaseline.map { Format.percent($0, decimals: 0) } ?? "-"),
      ])
    }
    out.append(t.render())
    out.append("")
    out.append("Profit = margin x revenue - cost, summed over the horizon; incremental = scenario - baseline, replicate by replicate.")
    return out.joined(separator: "\n")
  }

  /// One row per scenario.
  public func csv() -> String {
    var lines = ["scenario,customers_end,revenue,revenue_p5,revenue_p95,cost,profit,profit_p5,profit_p95,discounted_profit,incremental_profit,incremental_profit_p5,incremental_profit_p95,roi,payback_period,probability_beats_baseline"]
    func n(_ v: Double?) -> String { v.map { String($0) } ?? "" }
    for r in rows {
      let name = OutputEscaping.csvField(r.name)
      lines.append([name, n(r.customers.expected), n(r.revenue.expected), n(r.revenue.p5), n(r.revenue.p95), n(r.cost), n(r.profit.expected), n(r.profit.p5), n(r.profit.p95), n(r.discountedProfit.expected), n(r.incrementalProfit.expected), n(r.incrementalProfit.p5), n(r.incrementalProfit.p95), n(r.roi), r.paybackPeriod.map(String.init) ?? "", n(r.probabilityBeatsBaseline)].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Scenarios compared, as a report: which strategy pays, by how much, how sure.
public struct ComparisonReport: Sendable {
  /// The comparison reported.
  public var comparison: ScenarioComparison
  /// The model the scenarios ran on: its periods date the axes, its diagnostics fill the appendix.
  public var model: MarkovModel

  /// The report of `comparison`, run on `model`.
  public init(comparison: ScenarioComparison, model: MarkovModel) {
    self.comparison = comparison
    self.model = model
  }

  /// The report as a document; `ingest` adds the data's account to the appendix.
  public func document(ingest: IngestSummary? = nil) -> ReportDocument {
    let c = comparison
    let kind = model.window.period
    return ReportDocument(
      title: "Strategies compared",
      subtitle: "\(c.rows.count) scenarios over \(ReportWording.periods(c.horizon, kind)) against '\(c.baseline)', from \(model.input.source)",
      summary: summarySentences(),
      assumptions: [
        .init("Baseline", "'\(c.baseline)': the first scenario; every other is measured against it"),
        .init("Scenarios", c.rows.map { "\($0.name) (\($0.source))" }.joined(separator: ", ")),
        .init("Horizon", "\(ReportWording.periods(c.horizon, kind)): \(c.periods.first ?? "") to \(c.periods.last ?? "")"),
        .init("Profit", "margin x revenue - cost, summed over the horizon"),
        .init("Ranges", c.replicates > 0 ? "P5 to P95 of \(Format.number(Double(c.replicates))) simulated paths with common random numbers (seed \(c.seed)), differences taken path by path" : "none: expected values only"),
      ],
      sections: [chartsSection(), tableSection()],
      appendix: ModelAppendix(model: model, ingest: ingest).sections, warnings: model.warnings)
  }

  var challengers: [ScenarioComparison.Row] { comparison.rows.filter { $0.name != comparison.baseline } }

  func summarySentences() -> [String] {
    let c = comparison
    let kind = model.window.period
    let over = "over \(ReportWording.periods(c.horizon, kind))"
    guard let base = c.rows.first else { return ["No scenario was compared."] }
    var out = c.notes + ["Under the baseline ('\(base.name)') profit \(over) is \(ReportWording.amount(base.profit.expected))\(range(base.profit))."]
    guard !challengers.isEmpty else { return out + ["Only the baseline was forecast; give more scenario files to compare strategies."] }
    let best = challengers.max { $0.incrementalProfit.expected < $1.incrementalProfit.expected }!
    if best.incrementalProfit.expected > 0 {
      var s = "'\(best.name)' adds the most profit: \(ReportWording.amount(best.incrementalProfit.expected)) more than the baseline \(over)\(range(best.incrementalProfit))"
      if best.cost > 0, let roi = best.roi { s += " for a cost of \(ReportWording.amount(best.cost)), a return on it of \(Format.percent(roi, decimals: 0))" }
      s += best.paybackPeriod.map { "; it pays back in \(kind.rawValue) \($0)" } ?? "; it does not pay back within the horizon"
      s += best.probabilityBeatsBaseline.map { ", and beats the baseline in \(Format.percent($0, decimals: 0)) of simulated paths." } ?? "."
      out.append(s)
    } else {
      out.append("No scenario beats the baseline on expected profit; the closest is '\(best.name)' at \(ReportWording.amount(best.incrementalProfit.expected))\(range(best.incrementalProfit)).")
    }
    for r in challengers where r.name != best.name {
      let verb = r.incrementalProfit.expected >= 0 ? "adds" : "loses"
      out.append("'\(r.name)' \(verb) \(ReportWording.amount(abs(r.incrementalProfit.expected)))\(range(r.incrementalProfit))"
        + (r.probabilityBeatsBaseline.map { "; it beats the baseline in \(Format.percent($0, decimals: 0)) of paths." } ?? "."))
    }
    return out
  }

  func range(_ r: ScenarioComparison.Ranged) -> String {
    ReportWording.amountRange(low: r.p5, high: r.p95)
  }

  /// ROI with the range its incremental profit gives (the cost is the same in every path).
  static func roiRange(_ r: ScenarioComparison.Row) -> BarChart.Value? {
    guard let roi = r.roi, r.cost > 0 else { return nil }
    return BarChart.Value(roi, low: r.incrementalProfit.p5.map { $0 / r.cost }, high: r.incrementalProfit.p95.map { $0 / r.cost })
  }

  func chartsSection() -> ReportSection {
    let c = comparison
    let kind = model.window.period
    let names = challengers.map(\.name)
    let whisker = c.replicates > 0 ? "P5-P95 range" : nil
    let profit = BarChart(
      title: "Profit against '\(c.baseline)' over \(ReportWording.periods(c.horizon, kind))", categories: names,
      series: [.init(name: "incremental profit", values: challengers.map { .init($0.incrementalProfit.expected, low: $0.incrementalProfit.p5, high: $0.incrementalProfit.p95) }, colour: Palette.series(0))],
      yTitle: "Incremental profit", xTitle: "Scenario", whiskerLabel: whisker)
    let roiRows = challengers.filter { $0.roi != nil }
    let roi = BarChart(
      title: "Return on the scenario's cost", categories: roiRows.map(\.name),
      series: [.init(name: "ROI", values: roiRows.map(Self.roiRange), colour: Palette.series(2))],
      yTitle: "Incremental profit / cost", xTitle: "Scenario", format: .percent, whiskerLabel: whisker)
    let base = c.rows.first?.cumulativeProfitPath ?? []
    let last = model.window.lastPeriod
    let paths = BandedLineChart(
      title: "Cumulative profit against '\(c.baseline)'", axis: PeriodAxis(periods: (last + 1)...(last + max(1, c.horizon)), kind: kind),
      yTitle: "Cumulative incremental profit",
      lines: challengers.enumerated().map { k, r in
        .init(name: r.name, values: zip(r.cumulativeProfitPath, base).map { $0 - $1 }, colour: Palette.series(k))
      })
    var blocks: [ReportBlock] = [
      .paragraph("Bars are expected values; whiskers the range from the 5th to the 95th percentile of the simulated paths. A range that crosses zero means the scenario may not beat the baseline."),
      .chart(profit),
    ]
    blocks.append(roiRows.isEmpty ? .note("No scenario has a cost, so there is no return on cost to show.") : .chart(roi))
    blocks.append(.paragraph("A line crossing zero from below is the payback: from then on the scenario has earned back what it cost."))
    blocks.append(.chart(paths))
    return ReportSection(title: "Strategies compared", blocks: blocks)
  }

  func tableSection() -> ReportSection {
    let c = comparison
    func ranged(_ r: ScenarioComparison.Ranged) -> ReportTable.Cell {
      ReportTable.Cell(
        Format.number(r.expected), detail: r.p5.flatMap { lo in r.p95.map { "\(Format.number(lo))..\(Format.number($0))" } }, raw: String(r.expected))
    }
    let rows = c.rows.map { r -> [ReportTable.Cell] in
      let isBase = r.name == c.baseline
      let roi = Self.roiRange(r)
      return [
        ReportTable.Cell(r.name), ranged(r.customers), ranged(r.revenue), .number(r.cost) { Format.number($0) }, ranged(r.profit),
        isBase ? ReportTable.Cell("-", raw: "") : ranged(r.incrementalProfit),
        roi.map { v in ReportTable.Cell(Format.percent(v.value, decimals: 0), detail: v.low.flatMap { lo in v.high.map { "\(Format.percent(lo, decimals: 0))..\(Format.percent($0, decimals: 0))" } }, raw: String(v.value)) } ?? ReportTable.Cell("-", raw: ""),
        isBase ? ReportTable.Cell("-", raw: "") : ReportTable.Cell(r.paybackPeriod.map { "\(model.window.period.rawValue) \($0)" } ?? "not within horizon", raw: r.paybackPeriod.map(String.init) ?? ""),
        isBase ? ReportTable.Cell("-", raw: "") : .number(r.probabilityBeatsBaseline) { Format.percent($0, decimals: 0) },
      ]
    }
    func n(_ v: Double?) -> String { v.map { String($0) } ?? "" }
    let csvRows = c.rows.map { r -> [String] in
      let roi = Self.roiRange(r)
      return [
        r.name, n(r.customers.expected), n(r.revenue.expected), n(r.revenue.p5), n(r.revenue.p95), n(r.cost), n(r.profit.expected), n(r.profit.p5),
        n(r.profit.p95), n(r.discountedProfit.expected), n(r.incrementalProfit.expected), n(r.incrementalProfit.p5), n(r.incrementalProfit.p95),
        n(roi?.value), n(roi?.low), n(roi?.high), r.paybackPeriod.map(String.init) ?? "", n(r.probabilityBeatsBaseline),
      ]
    }
    let table = ReportTable(
      name: "scenarios", title: "Scenarios over the horizon, P5..P95 range below",
      columns: ["scenario", "customers at end", "revenue", "cost", "profit", "incremental profit", "ROI", "payback", "P(beats baseline)"], rows: rows,
      csvColumns: [
        "scenario", "customers_end", "revenue", "revenue_p5", "revenue_p95", "cost", "profit", "profit_p5", "profit_p95", "discounted_profit",
        "incremental_profit", "incremental_profit_p5", "incremental_profit_p95", "roi", "roi_p5", "roi_p95", "payback_period", "probability_beats_baseline",
      ], csvRows: csvRows)
    return ReportSection(title: "Scenario table", blocks: [.table(table)])
  }
}

/// A CRM rollout judged, as a report: what moved, by how much, and against which baseline.
///
/// Everything this report reads from `RolloutEvaluation` is here, so changes to the
/// evaluation's internals meet the report in this one file.
public struct EvaluationReport: Sendable {
  /// The evaluation reported.
  public var evaluation: RolloutEvaluation
  /// How the transactions were read, for the appendix.
  public var ingest: IngestSummary?

  /// The report of `evaluation`; `ingest` adds the data's account to the appendix.
  public init(evaluation: RolloutEvaluation, ingest: IngestSummary? = nil) {
    self.evaluation = evaluation
    self.ingest = ingest
  }

  /// The report as a document.
  public func document() -> ReportDocument {
    let e = evaluation
    return ReportDocument(
      title: "Rollout evaluation",
      subtitle: "CRM rollout launched \(e.launch): before \(e.preWindow), after \(e.postWindow)",
      summary: summarySentences(),
      assumptions: [
        .init("Launch", "\(e.launch); \(e.launchPeriodNote)"),
        .init("Before", e.preWindow),
        .init("After", e.postWindow),
        .init("Intervals", "\(confidence) from a bootstrap over customers, the same customers resampled in both windows"),
        .init("Counterfactual", "the model fitted before the launch, run over the post window from the actual base at the launch with the acquisitions that actually happened"),
        .init("Changed moves", "t-test per move against its pre-launch trend and seasons, \(e.correction)-adjusted over states, at \(Format.level(e.alpha))"),
      ],
      sections: [beforeAfterSection(), counterfactualSection(), tablesSection()],
      appendix: appendix(), warnings: e.warnings)
  }

  var confidence: String { Format.level(1 - evaluation.alpha) }

  static func name(_ kpi: String) -> String {
    kpi == "second_purchase_conversion" ? "second-purchase conversion" : kpi.replacingOccurrences(of: "_", with: " ")
  }

  static func isRate(_ kpi: String) -> Bool { kpi.hasSuffix("rate") || kpi.hasSuffix("conversion") }

  static func show(_ kpi: String, _ v: Double) -> String {
    isRate(kpi) ? Format.percent(v, decimals: 1) : Format.number(v, decimals: kpi == "active_base" || kpi == "revenue" || kpi == "purchases" ? 0 : 2)
  }

  /// A change: percentage points for rates, the amount otherwise.
  static func showChange(_ kpi: String, _ v: Double) -> String {
    let sign = v > 0 ? "+" : v < 0 ? "-" : ""
    return isRate(kpi) ? sign + AxisFormat.trimmed(abs(v) * 100, decimals: 1) + " points" : sign + show(kpi, abs(v))
  }

  func summarySentences() -> [String] {
    let e = evaluation
    var out: [String] = []
    let flagged = e.kpis.filter { $0.flagged && $0.kpi != "retention_rate" }
    for k in flagged {
      guard let pre = k.pre, let post = k.post, let change = k.change else { continue }
      out.append("\(Self.name(k.kpi).capitalizedFirst) \(post.value > pre.value ? "rose" : "fell") from \(Self.show(k.kpi, pre.value)) before the launch to \(Self.show(k.kpi, post.value)) after it (\(Self.showChange(k.kpi, change.value)), \(confidence) interval \(Self.showChange(k.kpi, change.low)) to \(Self.showChange(k.kpi, change.high))): more than chance explains.")
    }
    let steady = e.kpis.filter { !$0.flagged && $0.change != nil && $0.kpi != "retention_rate" }.map { Self.name($0.kpi) }
    if flagged.isEmpty { out.append("No KPI changed between the windows by more than chance explains.") }
    if !steady.isEmpty { out.append("No clear change in \(steady.joined(separator: ", ")).") }
    for l in e.lifts {
      out.append("\(Self.name(l.kpi).capitalizedFirst) after the launch was \(Self.show(l.kpi, l.actual)) against \(Self.show(l.kpi, l.counterfactual.value)) projected without the rollout (\(confidence) band \(Self.show(l.kpi, l.counterfactual.low)) to \(Self.show(l.kpi, l.counterfactual.high))): "
        + (!l.judged ? "\(ReportWording.signedPercent(l.relativeLift)), not judged: the model's error on periods it was not fitted on could not be measured."
          : l.flagged ? "\(ReportWording.signedPercent(l.relativeLift)), beyond what the old trend explains." : "within the old trend."))
    }
    let changed = e.transitions.filter(\.flagged)
    out.append(changed.isEmpty ? "No state's moves changed beyond their pre-launch trend by more than chance explains."
      : "The moves out of \(changed.count) of \(e.transitions.count) states changed: \(changed.sorted { $0.t > $1.t }.map(\.from).joined(separator: ", ")).")
    if !e.newMoves.isEmpty {
      out.append("\(e.newMoves.count == 1 ? "1 state has" : "\(e.newMoves.count) states have") moves no customer made before the launch (\(e.newMoves.map(\.from).joined(separator: ", "))): not tested, as the base may have grown into them; a control group can tell.")
    }
    let judged = e.targets.compactMap(\.passed)
    if !judged.isEmpty { out.append("\(judged.filter { $0 }.count) of \(judged.count) targets were met.") }
    return out
  }

  func beforeAfterSection() -> ReportSection {
    let e = evaluation
    func bars(_ kpis: [String], title: String, yTitle: String, format: AxisFormat) -> BarChart {
      let rows = kpis.compactMap { name in e.kpis.first { $0.kpi == name && $0.pre != nil && $0.post != nil } }
      func value(_ i: RolloutEvaluation.Interval?) -> BarChart.Value? { i.map { .init($0.value, low: $0.low, high: $0.high) } }
      return BarChart(
        title: title, categories: rows.map { Self.name($0.kpi) },
        series: [
          .init(name: "before", values: rows.map { value($0.pre) }, colour: Palette.series(4)),
          .init(name: "after", values: rows.map { value($0.post) }, colour: Palette.series(0)),
        ],
        yTitle: yTitle, format: format, whiskerLabel: "\(confidence) interval")
    }
    let rates = ["churn_rate", "lead_conversion", "second_purchase_conversion", "repeat_purchase_rate", "upgrade_rate", "downgrade_rate"]
    return ReportSection(title: "Before and after the launch", blocks: [
      .paragraph("Each KPI over the window before the launch and the window after it, with \(confidence) intervals. Non-overlapping intervals suggest a change; the tables say which changes are clear."),
      .chart(bars(rates, title: "Rates before and after", yTitle: "Rate per \(e.period.rawValue)", format: .percent)),
      .chart(bars(["average_order_value", "revenue_per_active_customer"], title: "Money per purchase and per active customer", yTitle: "Amount", format: .number)),
    ])
  }

  func counterfactualSection() -> ReportSection {
    let path = evaluation.path
    let axis = PeriodAxis(starts: path.map(\.start), kind: evaluation.period)
    let launchIndex = path.firstIndex { $0.counterfactualActive != nil }
    func chart(title: String, yTitle: String, actual: [Double], projected: [RolloutEvaluation.Interval?]) -> BandedLineChart {
      BandedLineChart(
        title: title, axis: axis, yTitle: yTitle,
        bands: [.init(name: "without the rollout (\(confidence) band)", low: projected.map { $0?.low ?? .nan }, high: projected.map { $0?.high ?? .nan }, colour: Palette.series(1))],
        lines: [
          .init(name: "projected without the rollout", values: projected.map { $0?.value }, colour: Palette.series(1), dashed: true),
          .init(name: "actual", values: actual, colour: Palette.actual, markers: true),
        ],
        marker: launchIndex.map { ($0, "launch") })
    }
    let kind = evaluation.period.rawValue
    return ReportSection(title: "Against the old trend", blocks: [
      .paragraph("The pre-launch model projects each \(kind) after the launch as if nothing had changed; the black line is what happened."),
      .chart(chart(title: "Active customers per \(kind): actual and without the rollout", yTitle: "Customers buying in the \(kind)", actual: path.map(\.activeCustomers), projected: path.map(\.counterfactualActive))),
      .chart(chart(title: "Revenue per \(kind): actual and without the rollout", yTitle: "Revenue per \(kind)", actual: path.map(\.revenue), projected: path.map(\.counterfactualRevenue))),
    ])
  }

  func tablesSection() -> ReportSection {
    let e = evaluation
    func cell(_ kpi: String, _ i: RolloutEvaluation.Interval?, change: Bool = false) -> ReportTable.Cell {
      guard let i else { return ReportTable.Cell("-", raw: "") }
      let show = change ? Self.showChange : Self.show
      return ReportTable.Cell(show(kpi, i.value), detail: "\(show(kpi, i.low)) to \(show(kpi, i.high))", raw: String(i.value))
    }
    func n(_ i: RolloutEvaluation.Interval?) -> [String] { [i?.value, i?.low, i?.high].map { $0.map { String($0) } ?? "" } }
    let kpiTable = ReportTable(
      name: "evaluation-kpis", title: "KPIs per window, \(confidence) interval below",
      columns: ["kpi", "before", "after", "change", "clear change?"],
      rows: e.kpis.map { k in
        [ReportTable.Cell(Self.name(k.kpi), raw: k.kpi), cell(k.kpi, k.pre), cell(k.kpi, k.post), k.note.map { ReportTable.Cell($0, raw: "") } ?? cell(k.kpi, k.change, change: true), ReportTable.Cell(k.flagged ? "yes" : "no", raw: String(k.flagged))]
      },
      csvColumns: ["kpi", "before", "before_low", "before_high", "after", "after_low", "after_high", "change", "change_low", "change_high", "flagged", "note"],
      csvRows: e.kpis.map { k in [k.kpi] + n(k.pre) + n(k.post) + n(k.change) + [String(k.flagged), k.note ?? ""] })
    let liftTable = ReportTable(
      name: "evaluation-lifts", title: "Actual against the counterfactual over the post window",
      columns: ["kpi", "actual", "without the rollout", "lift", "relative", "beyond the model?"],
      rows: e.lifts.map { l in
        [ReportTable.Cell(Self.name(l.kpi), raw: l.kpi), .number(l.actual) { Self.show(l.kpi, $0) }, cell(l.kpi, l.counterfactual), cell(l.kpi, l.lift, change: true),
         .number(l.relativeLift) { ReportWording.signedPercent($0) },
         ReportTable.Cell(l.judged ? (l.flagged ? "yes" : "no") : "not judged", raw: String(l.flagged))]
      },
      csvColumns: ["kpi", "actual", "counterfactual", "counterfactual_low", "counterfactual_high", "lift", "lift_low", "lift_high", "relative_lift", "flagged"],
      csvRows: e.lifts.map { l in [l.kpi, String(l.actual)] + n(l.counterfactual) + n(l.lift) + [String(l.relativeLift), String(l.flagged)] })
    let pathTable = ReportTable(
      name: "evaluation-periods", title: "Per \(e.period.rawValue): actual and projected without the rollout",
      columns: [e.period.rawValue, "active customers", "projected active", "revenue", "projected revenue"],
      rows: e.path.map { p in
        [ReportTable.Cell(PeriodAxis.shortName(p.start, e.period), raw: p.period), .number(p.activeCustomers) { Format.number($0) }, cell("active_base", p.counterfactualActive),
         .number(p.revenue) { Format.number($0) }, cell("revenue", p.counterfactualRevenue)]
      },
      csvColumns: ["period", "active_customers", "projected_active", "projected_active_low", "projected_active_high", "revenue", "projected_revenue", "projected_revenue_low", "projected_revenue_high"],
      csvRows: e.path.map { p in [p.period, String(p.activeCustomers)] + n(p.counterfactualActive) + [String(p.revenue)] + n(p.counterfactualRevenue) })
    let moves = e.transitions.filter(\.flagged).sorted { $0.t > $1.t }.flatMap { t in
      t.largestChanges.map { m in
        [ReportTable.Cell(t.from), ReportTable.Cell(m.to), .number(m.pre) { Format.percent($0) }, .number(m.expected) { Format.percent($0) }, .number(m.post) { Format.percent($0) }, .number(t.adjustedPValue) { String(format: "%.2g", $0) }]
      }
    }
    var blocks: [ReportBlock] = [.table(kpiTable), .table(liftTable), .table(pathTable)]
    blocks.append(moves.isEmpty ? .paragraph("No state's moves changed clearly beyond their pre-launch trend.")
      : .table(ReportTable(name: "evaluation-transitions", title: "Moves that changed most against their trend, in states whose moves changed clearly", columns: ["from", "to", "before", "on trend", "after", "adjusted p"], rows: moves)))
    if !e.newMoves.isEmpty {
      blocks.append(.table(ReportTable(
        name: "evaluation-new-moves", title: "Moves never seen before the launch (not tested: the base may have grown into them; a control group can tell)",
        columns: ["from", "to", "after"],
        rows: e.newMoves.flatMap { n in n.moves.map { [ReportTable.Cell(n.from), ReportTable.Cell($0.to), .number($0.post) { Format.percent($0) }] } })))
    }
    if !e.targets.isEmpty {
      blocks.append(.table(ReportTable(
        name: "evaluation-targets", title: "Targets", columns: ["kpi", "goal", "actual", "result", "note"],
        rows: e.targets.map { t in
          [ReportTable.Cell(Self.name(t.kpi), raw: t.kpi), ReportTable.Cell(t.goal), .number(t.actual) { Self.show(t.kpi, $0) },
           ReportTable.Cell(t.passed.map { $0 ? "met" : "missed" } ?? "n/a"), ReportTable.Cell(t.note)]
        })))
    }
    return ReportSection(title: "Evaluation tables", blocks: blocks)
  }

  func appendix() -> [ReportSection] {
    guard let i = ingest else { return [] }
    let rows: [[ReportTable.Cell]] = [
      [ReportTable.Cell("rows read"), .number(Double(i.rowsRead)) { Format.number($0) }],
      [ReportTable.Cell("rows merged (same-day purchases)"), .number(Double(i.rowsMerged)) { Format.number($0) }],
      [ReportTable.Cell("rows rejected"), .number(Double(i.rowsRejected)) { Format.number($0) }],
      [ReportTable.Cell("customers"), .number(Double(i.customers)) { Format.number($0) }],
    ]
    return [ReportSection(title: "Data quality", blocks: [
      .paragraph("Read from \(i.source)."), .table(ReportTable(name: "data-quality", title: "Rows and customers", columns: ["item", "count"], rows: rows)),
    ])]
  }
}

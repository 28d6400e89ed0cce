/// A rollout judged against its control group, as a report: the verdict, the effect by month
/// since the launch, every measure's difference in differences, and the effect in money.
public struct ControlledEvaluationReport: Sendable {
  /// The evaluation reported.
  public var evaluation: ControlledEvaluation

  /// The report of `evaluation`.
  public init(evaluation: ControlledEvaluation) { self.evaluation = evaluation }

  /// The report as a document.
  public func document() -> ReportDocument {
    let e = evaluation
    var summary = ["Verdict: \(e.verdict)."]
    if let p = e.primary {
      let test = "p \(String(format: "%.2g", p.pValue)), \(e.primaryFlagged ? "beyond noise" : "within noise")"
      if let r = p.rateChange {
        summary.append(
          "After the launch the treated customers' rate of falling dormant was \(String(format: "%+.0f%%", 100 * r.value)) against the control's (\(Format.level(1 - e.alpha)) interval \(String(format: "%+.0f%%", 100 * r.low)) to \(String(format: "%+.0f%%", 100 * r.high)); \(test)), by each customer's purchases under the activity model fitted before the launch.")
      } else {
        summary.append("The dormancy score of the treated differs from the control's by \(Format.number(p.effect.value, decimals: 3)) (\(test)).")
      }
    }
    if let r = e.rollout {
      summary.append(
        "Rolled out to everyone, the measured changes are worth \(signed(r.incrementalRevenue.value)) revenue over \(r.horizonPeriods) \(e.period.rawValue)s (range \(signed(r.incrementalRevenue.low)) to \(signed(r.incrementalRevenue.high))).")
    }
    let late = e.estimates.filter { !$0.respondsInTime }.map(\.measure)
    if !late.isEmpty { summary.append("Too slow to respond within the post window: \(late.joined(separator: ", ")).") }
    return ReportDocument(
      title: "Rollout against its control group",
      subtitle: "Launched \(e.launch): \(e.treatedCustomers) treated and \(e.controlCustomers) control customers, before \(e.preWindow), after \(e.postWindow)",
      summary: summary,
      assumptions: [
        .init("Effect", "difference in differences: (treated after - before) - (control after - before)"),
        .init("Intervals", "\(Format.level(1 - e.alpha)) from a bootstrap over customers within each group"),
        .init("Verdict", e.procedure),
      ],
      sections: [eventTimeSection(), tableSection()], appendix: [], warnings: e.warnings)
  }

  private func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + Format.number(v, decimals: 0) }

  func eventTimeSection() -> ReportSection {
    let e = evaluation
    let series = e.activeShareByPeriod
    guard !series.isEmpty, series.count == e.eventPeriodStarts.count else {
      return ReportSection(title: "Effect by month since the launch", blocks: [.paragraph("Too few periods after the launch for a chart.")])
    }
    let chart = BandedLineChart(
      title: "Active share, treated minus control, against the months before the launch", axis: PeriodAxis(starts: e.eventPeriodStarts, kind: e.period),
      yTitle: "Difference in differences (share)",
      bands: [.init(name: "\(Format.level(1 - e.alpha)) interval", low: series.map(\.effect.low), high: series.map(\.effect.high), colour: Palette.series(1))],
      lines: [
        .init(name: "no effect", values: series.map { _ in 0 }, colour: Palette.series(4), dashed: true),
        .init(name: "effect", values: series.map(\.effect.value), colour: Palette.actual, markers: true),
      ],
      marker: (0, "launch"))
    return ReportSection(title: "Effect by month since the launch", blocks: [
      .paragraph("Each month after the launch, the change of the treated group's active share against its months before the launch, minus the same change in the control group. An effect that builds up month by month is what a programme that keeps customers buying looks like."),
      .chart(chart),
    ])
  }

  func tableSection() -> ReportSection {
    let e = evaluation
    func show(_ x: ControlledEvaluation.Estimate, _ v: Double) -> String {
      let share = x.isMove || x.measure == "active_share" || x.measure.hasSuffix("rate") || x.measure.hasSuffix("conversion")
      return share ? Format.percent(v, decimals: 1) : Format.number(v, decimals: 2)
    }
    func change(_ x: ControlledEvaluation.Estimate, _ v: Double) -> String {
      let share = x.isMove || x.measure == "active_share" || x.measure.hasSuffix("rate") || x.measure.hasSuffix("conversion")
      return share ? (v >= 0 ? "+" : "-") + AxisFormat.trimmed(abs(v) * 100, decimals: 2) + " points" : (v >= 0 ? "+" : "") + Format.number(v, decimals: 3)
    }
    let table = ReportTable(
      name: "evaluation-control", title: "Difference in differences per measure, interval below",
      columns: ["measure", "treated before", "treated after", "control before", "control after", "effect", "adjusted p", "changed", "responds"],
      rows: e.estimates.map { x in
        [
          ReportTable.Cell(x.measure), .number(x.treatedBefore) { show(x, $0) }, .number(x.treatedAfter) { show(x, $0) },
          .number(x.controlBefore) { show(x, $0) }, .number(x.controlAfter) { show(x, $0) },
          ReportTable.Cell(change(x, x.effect.value), detail: "\(change(x, x.effect.low)) to \(change(x, x.effect.high))", raw: String(x.effect.value)),
          .number(x.adjustedPValue) { String(format: "%.2g", $0) }, ReportTable.Cell(x.flagged ? "yes" : "no", raw: String(x.flagged)),
          ReportTable.Cell(x.respondsInTime ? (x.lagPeriods == 0 ? "at once" : "after \(x.lagPeriods)") : "too late (\(x.lagPeriods))"),
        ]
      },
      csvColumns: ["measure", "treated_before", "treated_after", "control_before", "control_after", "effect", "low", "high", "adjusted_p_value", "changed", "lag_periods"],
      csvRows: e.estimates.map { x in
        [x.measure] + [x.treatedBefore, x.treatedAfter, x.controlBefore, x.controlAfter, x.effect.value, x.effect.low, x.effect.high, x.adjustedPValue].map { String($0) }
          + [String(x.flagged), String(x.lagPeriods)]
      })
    return ReportSection(title: "Treated against control", blocks: [.table(table)])
  }
}

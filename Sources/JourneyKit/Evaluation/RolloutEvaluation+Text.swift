extension RolloutEvaluation {
  /// The terminal rendering.
  public func text() -> String {
    let confidence = Format.level(1 - alpha)
    func show(_ kpi: String, _ v: Double) -> String {
      kpi.hasSuffix("rate") || kpi.hasSuffix("conversion") ? Format.percent(v, decimals: 2)
        : Format.number(v, decimals: kpi == "purchase_frequency" ? 3 : 2)
    }
    func interval(_ kpi: String, _ i: Interval?) -> String {
      guard let i else { return "-" }
      return "\(show(kpi, i.value)) (\(show(kpi, i.low))..\(show(kpi, i.high)))"
    }
    var out: [String] = []
    out.append("Rollout on \(launch): before \(preWindow), after \(postWindow); \(launchPeriodNote).")
    out.append("")
    out.append("KPIs per window, descriptive only (\(confidence) intervals, bootstrap over customers): trend, seasons and the base's")
    out.append("changing mix are all in the change, so it says what moved, not what the rollout did; a control group can say that:")
    var t = TextTable(header: ["kpi", "before", "after", "change"])
    for k in kpis {
      t.append([k.kpi, interval(k.kpi, k.pre), interval(k.kpi, k.post), k.note ?? interval(k.kpi, k.change)])
    }
    out.append(t.render())
    out.append("")
    out.append("Before and after describe what moved, trend included. Against the counterfactual (the pre-launch model run over")
    out.append("the post window from the actual base at the launch, with the actual acquisitions; simultaneous \(confidence) bands")
    out.append("from its parameter and process uncertainty and its error on pre-launch periods it was not fitted on):")
    var l = TextTable(header: ["kpi", "actual", "without the rollout", "lift", "relative", "model error", "beyond the model?"])
    for x in lifts {
      l.append([
        x.kpi, show(x.kpi, x.actual), interval(x.kpi, x.counterfactual), interval(x.kpi, x.lift),
        RelativeChange(value: x.relativeLift).description, x.modelError.map { Format.percent($0) } ?? "-",
        x.judged ? (x.flagged ? "yes" : "no") : "not judged",
      ])
    }
    out.append(l.render())
    let unjudged = lifts.filter { !$0.judged }.map(\.kpi)
    if !unjudged.isEmpty {
      out.append("Not judged: \(unjudged.joined(separator: ", ")); the pre-launch model's error on periods it was not fitted on could not be measured, "
        + "so the band holds only its parameter and process uncertainty, too narrow to call a lift (a longer history before the launch, or a control group, can)")
    }
    if !counterfactualNotes.isEmpty { out.append("Pre-launch model: " + counterfactualNotes.joined(separator: "; ") + ".") }
    let detectable = lifts.compactMap { x in x.minimumDetectableEffect.map { "\(x.kpi) smaller than \(Format.percent($0, decimals: 1))" } }
    if !detectable.isEmpty {
      out.append("With this base and this model error, effects (either way, 80% power) on " + detectable.joined(separator: ", ")
        + " cannot be told from noise without a control group.")
    }
    out.append("")
    let changed = transitions.filter(\.flagged)
    out.append("Moves that changed beyond their pre-launch trend (t-test per move against the extrapolated trend, \(correction)-adjusted over states, at \(Format.level(alpha))): "
      + (changed.isEmpty ? "none" : "\(changed.count) of \(transitions.count) states"))
    for c in changed.sorted(by: { $0.t > $1.t }) {
      let moves = c.largestChanges.map {
        "\(c.from) -> \($0.to) \(Format.percent($0.pre)) before, \(Format.percent($0.expected)) on trend, \(Format.percent($0.post)) after"
      }.joined(separator: "; ")
      out.append("  \(c.from) (p = \(String(format: "%.2g", c.adjustedPValue))): \(moves)")
    }
    if !newMoves.isEmpty {
      out.append("Moves never seen before the launch, not tested: \(newMoves.count == 1 ? "1 state" : "\(newMoves.count) states"). The base may have grown into them rather than been moved by the launch (in rf states, a frequency tier can only fall once purchases age out of its window); a control group can tell.")
      for n in newMoves {
        out.append("  " + n.moves.map { "\(n.from) -> \($0.to) \(Format.percent($0.post)) after" }.joined(separator: "; "))
      }
    }
    if !targets.isEmpty {
      out.append("")
      out.append("Targets:")
      var g = TextTable(header: ["kpi", "goal", "actual", "result", "note"], leftAligned: [0, 1, 3, 4])
      for r in targets {
        g.append([r.kpi, r.goal, r.actual.map { show(r.kpi, $0) } ?? "-", r.passed.map { $0 ? "pass" : "fail" } ?? "n/a", r.note])
      }
      out.append(g.render())
    }
    if !warnings.isEmpty {
      out.append("")
      out.append("Warnings:")
      for w in warnings { out.append("  - \(w)") }
    }
    return out.joined(separator: "\n")
  }

  /// One row per KPI and window, then the lifts.
  public func csv() -> String {
    var lines = ["section,kpi,value,low,high,flagged"]
    func row(_ section: String, _ kpi: String, _ i: Interval?, _ flagged: Bool) {
      guard let i else { return }
      lines.append("\(section),\(kpi),\(i.value),\(i.low),\(i.high),\(flagged)")
    }
    for k in kpis {
      row("before", k.kpi, k.pre, false)
      row("after", k.kpi, k.post, false)
      row("change", k.kpi, k.change, k.flagged)
    }
    for x in lifts {
      row("counterfactual", x.kpi, x.counterfactual, false)
      row("lift", x.kpi, x.lift, x.flagged)
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

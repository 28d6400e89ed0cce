import Foundation

extension ControlledEvaluation {
  /// The terminal rendering.
  public func text() -> String {
    let confidence = Format.level(1 - alpha)
    func show(_ e: Estimate, _ v: Double) -> String {
      guard v.isFinite else { return "-" }
      let share = e.isMove || e.measure.hasSuffix("rate") || e.measure.hasSuffix("conversion")
      return share ? Format.percent(v, decimals: 2) : Format.number(v, decimals: e.measure == "purchase_frequency" ? 3 : 2)
    }
    func points(_ e: Estimate, _ v: Double) -> String {
      let share = e.isMove || e.measure.hasSuffix("rate") || e.measure.hasSuffix("conversion")
      return share ? String(format: "%+.2f pt", v * 100) : (v >= 0 ? "+" : "") + Format.number(v, decimals: 3)
    }
    var out: [String] = []
    out.append("Rollout on \(launch) against its control group: before \(preWindow), after \(postWindow).")
    out.append("Treated \(treatedCustomers) customers, control \(controlCustomers).")
    out.append("")
    out.append("Verdict: \(verdict).")
    out.append("Tests: \(procedure).")
    if let p = primary {
      out.append("")
      out.append(
        "Primary: the rate of falling dormant after the launch (\(p.treatedCustomers) treated, \(p.controlCustomers) control customers who bought by the window's end), "
          + "by each customer's dormancy score under the activity model fitted before the launch, adjusted for \(p.covariates.joined(separator: ", ")) (slopes \(p.slopes.map { Format.number($0, decimals: 3) }.joined(separator: ", "))):")
      let rate = p.rateChange.map { r in
        "the treated's rate of falling dormant \(String(format: "%+.0f%%", 100 * r.value)) against control (\(confidence) interval \(String(format: "%+.0f%%", 100 * r.low)) .. \(String(format: "%+.0f%%", 100 * r.high))); "
      } ?? ""
      let scores = "mean score treated \(Format.number(p.treatedMean, decimals: 3)), control \(Format.number(p.controlMean, decimals: 3)), adjusted difference \(Format.number(p.effect.value, decimals: 3)); "
      let outcome: String = primaryFlagged ? "changed" : "no change beyond noise"
      let test = "p \(String(format: "%.2g", p.pValue)) against \(Format.level(primaryLevel)): \(outcome)"
      out.append("  " + rate + scores + test)
    }
    out.append("")
    out.append("Difference in differences ((treated after - before) - (control after - before)), \(confidence) intervals from a bootstrap over customers;")
    out.append("\(correction)-adjusted p-values over the other \(estimates.count) measures, changed below \(Format.level(secondaryLevel)); 'responds' says whether the measure can move within the post window:")
    var t = TextTable(header: ["measure", "treated before", "treated after", "control before", "control after", "effect", "interval", "adjusted p", "changed", "responds"])
    for e in estimates {
      t.append([
        e.measure, show(e, e.treatedBefore), show(e, e.treatedAfter), show(e, e.controlBefore), show(e, e.controlAfter),
        points(e, e.effect.value), "\(points(e, e.effect.low)) .. \(points(e, e.effect.high))",
        String(format: "%.2g", e.adjustedPValue), e.flagged ? "yes" : "no",
        e.respondsInTime ? (e.lagPeriods == 0 ? "at once" : "after \(e.lagPeriods)") : "too late (\(e.lagPeriods))",
      ])
    }
    out.append(t.render())
    if let r = rollout {
      out.append("")
      out.append(
        "Rolled out to everyone (the measured move changes on the pre-launch model, from the base at the launch): "
          + "\(signed(r.incrementalRevenue.value)) revenue over \(r.horizonPeriods) \(period.rawValue)s, range \(signed(r.incrementalRevenue.low)) to \(signed(r.incrementalRevenue.high)) (5% to 95% over the moves' bootstrap).")
    }
    if !warnings.isEmpty {
      out.append("")
      out.append("Warnings:")
      for w in warnings { out.append("  - \(w)") }
    }
    return out.joined(separator: "\n")
  }

  private func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + Format.number(v, decimals: 0) }

  /// One row per measure.
  public func csv() -> String {
    var lines = ["measure,treated_before,treated_after,control_before,control_after,effect,low,high,p_value,adjusted_p_value,changed,lag_periods"]
    if let p = primary {
      // The primary row: unadjusted means in the after columns, its own p-value twice (it is not adjusted).
      lines.append(
        "\"\(p.measure)\",,\(p.treatedMean),,\(p.controlMean),\(p.effect.value),\(p.effect.low),\(p.effect.high),\(p.pValue),\(p.pValue),\(primaryFlagged),0")
    }
    for e in estimates {
      lines.append(
        "\"\(e.measure)\",\(e.treatedBefore),\(e.treatedAfter),\(e.controlBefore),\(e.controlAfter),\(e.effect.value),\(e.effect.low),\(e.effect.high),\(e.pValue),\(e.adjustedPValue),\(e.flagged),\(e.lagPeriods)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

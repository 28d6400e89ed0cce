extension RolloutDesign {
  /// The terminal rendering.
  public func text(period: PeriodKind) -> String {
    let unit = period.rawValue + "s"
    // Every measure is a share: of customer-periods (the chain's), or of the launch base (the data's).
    let onData = method != "chain"
    // The data's primary test is a mean dormancy score (no unit); the chain's measures are shares.
    func change(_ v: Double) -> String { onData ? String(format: "%+.4f", v) : Format.points(v) }
    func size(_ v: Double) -> String { onData ? String(format: "%.4f", v) : String(format: "%.2f pt", v * 100) }
    var out: [String] = []
    if onData {
      out.append(
        "Holdout test of \(RelativeChange(value: effect)) on \(lever), judged by the evaluation's verdict (primary: \(measure), the customers' dormancy scores under the activity model after the launch, treated against control; then every other measure) after \(horizonPeriods) \(unit), "
          + "\(Format.percent(controlShare, decimals: 0)) held out, \(Format.number(Double(customers), decimals: 0)) customers in the base at the launch "
          + "(\(replicates) replicates drawn from the data's customers, covariates from \(beforeWindow ?? "the data's last periods"), "
          + "each customer's \(afterWindow ?? "periods after the launch") drawn from the activity model, "
          + "the lever's change \(lever == RolloutDesignOptions.Lever.dropout.rawValue ? "to its dormancy rate" : "from the fitted chain")):")
    } else {
      out.append(
        "Holdout test of \(RelativeChange(value: effect)) on \(lever), judged on \(measure) after \(horizonPeriods) \(unit), "
          + "\(Format.percent(controlShare, decimals: 0)) held out, about \(Format.number(Double(customers), decimals: 0)) customers (\(replicates) simulated replicates from the chain):")
    }
    out.append("  expected change of \(measure): \(change(expectedChange)) (standard error \(size(standardError)))")
    if onData {
      out.append(
        "  power: \(Format.percent(power, decimals: 0)) (the verdict names a measure: the primary test at |change| > \(String(format: "%.2f", criticalZ)) standard errors, "
          + "or another measure by the fallback)" + (primaryPower.map { "; the primary test alone: \(Format.percent($0, decimals: 0))" } ?? ""))
      if let f = falseFlagRate { out.append("  verdict names a measure without an effect: \(Format.percent(f, decimals: 1)) of replicates") }
    } else {
      out.append("  power: \(Format.percent(power, decimals: 0)) (flagged when |change| > \(String(format: "%.2f", criticalZ)) standard errors, the first step of the verdict's false-discovery control)")
    }
    out.append(
      "  minimum detectable effect at \(Format.percent(targetPower, decimals: 0)) power: \(size(minimumDetectableChange)) either way on \(measure)"
        + (minimumDetectableEffect.map { ", \(RelativeChange(value: ((effect < 0 ? -$0 : $0) * 1000).rounded() / 1000)) on \(lever)" } ?? "")
        + (onData ? " (of the primary test; the whole verdict's is at most this)" : ""))
    out.append("")
    var t = TextTable(header: ["control share", onData ? "power (the simulated verdict's, scaled)" : "power"])
    for row in powerByShare { t.append([Format.percent(row.controlShare, decimals: 0), Format.percent(row.power, decimals: 0)]) }
    out.append(t.render())
    out.append("")
    if let r = recommendedControlShare {
      out.append("Recommended: hold out \(Format.percent(r, decimals: 0)) of customers (the smallest share with \(Format.percent(targetPower, decimals: 0)) power).")
    } else {
      out.append("No control share up to 50% reaches \(Format.percent(targetPower, decimals: 0)) power: run longer, judge on a faster measure, or expect only a larger effect to show.")
    }
    if !onData {
      out.append("The chain knows no customers who buy more or less often than their state says; real data is noisier, so take the power as an upper bound.")
    }
    return out.joined(separator: "\n")
  }
}

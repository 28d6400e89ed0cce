import Foundation

extension Backtest {
  /// The terminal rendering.
  public func text() -> String {
    let unit = period.rawValue
    let h = holdout.periods
    var out: [String] = []
    out.append("Backtest: \(states) states (\(stateCount)), fitted on \(calibrationPeriods); predicting \(h.count) \(unit)s, \(h.first!.label) to \(h.last!.label).")
    out.append("Model: " + notes.joined(separator: "; ") + ".")
    if let stateSelection {
      out.append("")
      out.append(stateSelection.text(period: period))
    }
    out.append("")
    out.append("Per \(unit), actual against predicted:")
    var t = TextTable(header: ["\(unit)", "transactions", "predicted", "revenue", "predicted", "active", "predicted", "churned", "predicted", "acquired"])
    for r in h {
      t.append([
        r.label, Format.number(r.actual.transactions), Format.number(r.predicted.transactions), Format.number(r.actual.revenue),
        Format.number(r.predicted.revenue), Format.number(r.actual.active), Format.number(r.predicted.active),
        Format.number(r.actual.churned), Format.number(r.predicted.churned), Format.number(r.acquired),
      ])
    }
    out.append(t.render())
    if let c = holdout.insideRange {
      out.append(
        "Inside the predicted P5-P95 range (90%): transactions \(c.transactions) of \(c.periods) \(unit)s, revenue \(c.revenue), "
          + "active \(c.active), churned \(c.churned); a range that means what it says holds about 9 in 10."
          + (c.halfWidth.map { w in
            " Their mean half-width, as a share of the forecast: transactions \(Format.percent(w.transactions, decimals: 0)), revenue "
              + "\(Format.percent(w.revenue, decimals: 0)), active \(Format.percent(w.active, decimals: 0)), churned \(Format.percent(w.churned, decimals: 0)) "
              + "(beside the MAPE below: a range far wider than the errors holds everything and says little)"
          } ?? ""))
    }
    out.append("")
    out.append("Accuracy over the holdout (total error = predicted / actual - 1; MAPE over \(unit)s; bias = mean predicted - actual per \(unit)):")
    var a = TextTable(header: ["kpi", "actual", "predicted", "total error", "MAPE", "bias", "assumed acquisition", "run rate", "seasonal naive"])
    for (i, x) in holdout.accuracy.enumerated() {
      let kpi = x.kpi
      a.append([
        kpi.rawValue + (kpi == .active ? " (mean)" : ""), Format.number(holdout.totals.actual[kpi]),
        Format.number(holdout.totals.predicted[kpi]), Self.percentText(x.totalError), Self.percentText(x.mape, signed: false),
        Format.number(x.bias, decimals: 1), Self.percentText(relative(holdout.totals.predictedAssumedAcquisition[kpi], holdout.totals.actual[kpi])),
        Self.percentText(baselines.runRate.accuracy[i].totalError), Self.percentText(baselines.seasonalNaive?.accuracy[i].totalError),
      ])
    }
    out.append(a.render())
    out.append("Baselines: run rate = \(baselines.runRate.method)\(baselines.seasonalNaive.map { "; seasonal naive = \($0.method)" } ?? ""). They are not told the acquisitions; 'assumed acquisition' is the model without them too.")
    if let c = holdout.perCustomer {
      out.append("")
      out.append(c.text(baselines: baselines.perCustomer, unit: unit, periods: h.count))
    }
    return out.joined(separator: "\n")
  }

  private func relative(_ predicted: Double, _ actual: Double) -> Double? { actual != 0 ? predicted / actual - 1 : nil }
}

extension Backtest {
  /// A share as text, signed by default; "-" for none (also `RollingBacktest`'s).
  static func percentText(_ value: Double?, signed: Bool = true) -> String {
    guard let value, value.isFinite else { return "-" }
    return signed ? ReportWording.signedPercent(value, decimals: 1) : Format.percent(value)
  }
}

extension CustomerAccuracy {
  func text(baselines: CustomerBaselines?, unit: String, periods: Int) -> String {
    var out: [String] = []
    out.append("Per customer: purchase occasions over the \(periods) \(unit)s, predicted \(ownHistory ? "from each customer's own purchase history (the activity model)" : "from each customer's state") at the calibration end (\(Format.number(Double(customers))) customers with a purchase before it; \(leadsLeftOut) leads left out):")
    var t = TextTable(header: ["prediction", "MAE", "RMSE", "correlation", "total"])
    func row(_ name: String, _ e: Errors, _ total: String) {
      t.append([name, Format.number(e.mae, decimals: 3), Format.number(e.rmse, decimals: 3), e.correlation.map { String(format: "%.3f", $0) } ?? "-", total])
    }
    row(ownHistory ? "model (own history)" : "model (state)", Errors(mae: mae, rmse: rmse, correlation: correlation), Format.number(predictedTotal))
    if ownHistory { row("chain (state only)", stateOnly, "-") }
    if let baselines {
      row("run rate (last \(baselines.periods) \(unit)s)", baselines.runRate, "-")
      row("all zero", baselines.allZero, "0")
    }
    t.append(["actual", "", "", "", Format.number(actualTotal)])
    out.append(t.render())
    out.append("")
    out.append("By repeat purchases before the calibration end (a chain that ignores frequency under-predicts heavy buyers and over-predicts one-time buyers):")
    var g = TextTable(header: ["repeats", "customers", "actual mean", "predicted", "state only", "run rate", "MAE", "miss"])
    for x in byCalibrationRepeats {
      g.append([
        x.repeats, Format.number(Double(x.customers)), Format.number(x.actualMean, decimals: 2), Format.number(x.predictedMean, decimals: 2),
        Format.number(x.stateOnlyMean, decimals: 2), Format.number(x.runRateMean, decimals: 2), Format.number(x.mae, decimals: 2),
        x.actualMean > 0 ? ReportWording.signedPercent(x.predictedMean / x.actualMean - 1, decimals: 1) : "-",
      ])
    }
    out.append(g.render())
    let missed = byCalibrationRepeats.filter { $0.customers >= 30 && $0.actualMean > 0 && abs($0.predictedMean / $0.actualMean - 1) > 0.2 }
    out.append(
      missed.isEmpty ? "No group with 30+ customers is missed by more than 20%."
        : "Missed by more than 20%: " + missed.map { "\($0.repeats) repeats (\(ReportWording.signedPercent($0.predictedMean / $0.actualMean - 1, decimals: 1)))" }.joined(separator: ", ") + ".")
    out.append("")
    out.append("Churned at the end of the holdout, \(Format.number(Double(churn.customers))) customers living at the calibration end: observed \(Format.percent(churn.observedRate)); Brier score \(String(format: "%.4f", churn.brier)) against \(String(format: "%.4f", churn.referenceBrier)) for the rate alone (skill \(churn.skill.map { Format.percent($0) } ?? "-")).")
    var b = TextTable(header: ["predicted", "customers", "predicted mean", "observed"])
    for bin in churn.bins {
      b.append([
        "\(Format.percent(bin.low, decimals: 0))-\(Format.percent(bin.high, decimals: 0))", Format.number(Double(bin.customers)),
        Format.percent(bin.predictedMean), Format.percent(bin.observedRate),
      ])
    }
    out.append(b.render())
    return out.joined(separator: "\n")
  }
}

extension StateSpaceSelection {
  /// The comparison table and the choice.
  public func text(period: PeriodKind) -> String {
    // Too short a history to validate on: nothing was compared, only the fallback is to say.
    guard !origins.isEmpty else { return "State space: \(reason)." }
    var out: [String] = []
    out.append("State spaces compared by rolling-origin validation (origins \(origins.joined(separator: ", ")), each predicting the next \(horizon) \(period.rawValue)s from data up to it; lower score is better):")
    var t = TextTable(header: ["states", "count", "score", "per-customer purchases", "per-customer revenue", "transactions", "revenue", "one-time buyers", "heavy buyers (7+)"])
    func mean(_ c: Candidate, _ value: (Fold) -> Double) -> Double { c.folds.reduce(0) { $0 + value($1) } / Double(max(1, c.folds.count)) }
    func pair(_ c: Candidate, _ value: (Fold) -> Pair?) -> String {
      let pairs = c.folds.compactMap(value)
      guard !pairs.isEmpty else { return "-" }
      let p = pairs.reduce(0) { $0 + $1.predicted } / Double(pairs.count), a = pairs.reduce(0) { $0 + $1.actual } / Double(pairs.count)
      return "\(Format.number(p, decimals: 2)) vs \(Format.number(a, decimals: 2))"
    }
    for c in candidates {
      guard let score = c.score else {
        t.append([c.states, "-", "failed", c.error ?? "", "", "", "", "", ""])
        continue
      }
      t.append([
        c.states + (c.states == chosenLabel ? " *" : ""), "\(c.stateCount)", String(format: "%.3f", score),
        String(format: "%.3f", mean(c) { $0.occasionsRelativeRMSE }), String(format: "%.3f", mean(c) { $0.revenueRelativeRMSE }),
        ReportWording.signedPercent(mean(c) { $0.transactionsTotalError }, decimals: 1), ReportWording.signedPercent(mean(c) { $0.revenueTotalError }, decimals: 1),
        pair(c) { $0.oneTimeBuyers }, pair(c) { $0.heavyBuyers },
      ])
    }
    out.append(t.render())
    out.append("Score = (per-customer RMSE of purchases and of revenue, each relative to predicting zero) / 2 + (|transactions error| + |revenue error|) / 2, averaged over the origins.")
    out.append("Chosen: \(reason).")
    return out.joined(separator: "\n")
  }
}

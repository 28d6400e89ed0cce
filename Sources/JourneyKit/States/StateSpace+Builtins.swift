import Foundation

extension StateSpace {
  /// Value tier names of the `value` space.
  public static let tierNames = ["less_valuable", "more_valuable"]

  /// Builds the state list of a space whose frozen parameters (cuts) are known.
  ///
  /// States are ordered base state first, repeated for each split level, so a
  /// state's index is `level * baseCount + base`.
  public init(
    kind: StateSpaceKind, period: PeriodKind, rules: LifecycleRules, valueCut: Double? = nil,
    valueCutQuantile: Double = 0.8, rfmCuts: RFMCuts? = nil, splitBy: String? = nil, splitLevels: [String] = []
  ) {
    self.kind = kind
    self.period = period
    self.rules = rules
    self.valueCut = valueCut
    self.valueCutQuantile = valueCutQuantile
    self.rfmCuts = rfmCuts
    self.splitBy = splitBy
    self.splitLevels = splitBy == nil ? [] : splitLevels
    let base = StateSpace.baseStates(kind: kind, rules: rules, valueCut: valueCut, period: period)
    if splitBy == nil || splitLevels.isEmpty {
      states = base
    } else {
      states = splitLevels.flatMap { level in
        base.map { s in
          var t = s
          t.name = "\(s.name)|\(level)"
          t.segment = level
          t.rule = "\(s.rule); \(splitBy!) = \(level)"
          return t
        }
      }
    }
  }

  static func baseStates(kind: StateSpaceKind, rules: LifecycleRules, valueCut: Double?, period: PeriodKind) -> [StateDefinition] {
    let unit = period.rawValue + "s"
    let a = rules.atRiskPeriods
    let c = rules.churnAfterPeriods
    let churnedAbsorbing = !rules.reactivation
    func state(_ name: String, _ stage: Stage, _ rule: String, tier: String? = nil, absorbing: Bool = false) -> StateDefinition {
      StateDefinition(name: name, stage: stage, tier: tier, segment: nil, rule: rule, isAbsorbing: absorbing)
    }
    let lead = state("lead", .lead, "a lead event, no purchase yet, for at most \(c) \(unit)")
    let churned = state(
      "churned", .churned,
      "no purchase for more than \(c) \(unit) (or a lead that never bought within \(c) \(unit))"
        + (churnedAbsorbing ? "; absorbing" : ""), absorbing: churnedAbsorbing)
    let lifecycle: [StateDefinition] = [
      state("new", .new, "first purchase in this period"),
      state("active", .active, "a repeat purchase in this period, not loyal"),
      state("loyal", .loyal, "a purchase in this period and in at least \(rules.loyalMinPeriods) of the last \(rules.loyalWindowPeriods) \(unit)"),
      state("at_risk", .atRisk, "no purchase for 1 to \(a) \(unit)"),
      state("lapsed", .lapsed, "no purchase for \(a + 1) to \(c) \(unit)"),
    ]
    switch kind {
    case .lifecycle:
      return [lead] + lifecycle + [churned]
    case .value:
      let cut = valueCut.map { String(format: "%.2f", $0) } ?? "the cut"
      let w = rules.trailingWindowPeriods
      return [lead]
        + lifecycle.flatMap { s in
          [
            state("\(s.name)|less_valuable", s.stage, "\(s.rule); spend over the last \(w) \(unit) below \(cut)", tier: "less_valuable"),
            state("\(s.name)|more_valuable", s.stage, "\(s.rule); spend over the last \(w) \(unit) at least \(cut)", tier: "more_valuable"),
          ]
        } + [churned]
    case let .rfm(k):
      var cells: [StateDefinition] = []
      for r in 1...k {
        for f in 1...k {
          for m in 1...k {
            // Stages let scenarios target RFM cells: recent buyers are active, then at risk, then lapsed.
            let stage: Stage = r == k ? .active : (r * 2 > k ? .atRisk : .lapsed)
            cells.append(state("R\(r)F\(f)M\(m)", stage, "recency score \(r), frequency score \(f), monetary score \(m) of \(k)"))
          }
        }
      }
      return [lead] + cells + [churned]
    case let .recencyFrequency(k):
      // Frequency levels may be fewer than asked when the trailing counts have few distinct values.
      var cells: [StateDefinition] = []
      for f in 1...k {
        cells.append(state("bought|F\(f)", .active, "a repeat purchase in this period; frequency level \(f) of \(k) (purchases in the last \(rules.trailingWindowPeriods) \(unit))"))
        for q in 1...c {
          cells.append(state("quiet\(q)|F\(f)", q <= a ? .atRisk : .lapsed, "no purchase for exactly \(q) \(q == 1 ? period.rawValue : unit); frequency level \(f) of \(k)"))
        }
      }
      return [lead, lifecycle[0]] + cells + [churned]
    case let .custom(rules):
      return rules.states.map { s in
        state(s.name, s.stage, s.describe(), absorbing: s.absorbing)
      }
    }
  }

  /// The base state (before splitting) of a customer-period.
  @inline(__always)
  func baseState(_ f: PeriodFeatures) -> Int {
    switch kind {
    case .lifecycle:
      return lifecycleIndex(f)
    case .value:
      let stage = lifecycleIndex(f)
      if stage == 0 { return 0 }
      if stage == 6 { return 11 }
      let more = f.trailingSpend >= (valueCut ?? .infinity) ? 1 : 0
      return 1 + (stage - 1) * 2 + more
    case let .rfm(k):
      let stage = lifecycleIndex(f)
      if stage == 0 { return 0 }
      if stage == 6 { return k * k * k + 1 }
      let cuts = rfmCuts!
      let r = k + 1 - StateSpace.score(Double(f.periodsSinceLastPurchase), cuts.recency)
      let fr = StateSpace.score(Double(f.trailingOccasions), cuts.frequency)
      let m = StateSpace.score(f.trailingSpend, cuts.monetary)
      return 1 + ((r - 1) * k + (fr - 1)) * k + (m - 1)
    case let .recencyFrequency(k):
      let stage = lifecycleIndex(f)
      if stage <= 1 { return stage }
      let c = rules.churnAfterPeriods
      if stage == 6 { return 2 + k * (c + 1) }
      let level = StateSpace.score(Double(f.trailingOccasions), rfmCuts!.frequency)
      let quiet = f.occasions > 0 ? 0 : Int(f.periodsSinceLastPurchase)
      return 2 + (level - 1) * (c + 1) + quiet
    case let .custom(rules):
      return rules.firstMatch(f)
    }
  }

  /// Whether a customer whose period was `last` is in the churned state in every later period
  /// without a row: true for the built-in spaces, whose churned state depends on the quiet time
  /// alone (`lifecycleIndex` 6), which only grows; custom rules are not read ahead.
  func staysChurnedWhileQuiet(after last: PeriodFeatures) -> Bool {
    if case .custom = kind { return false }
    return last.occasions == 0 && lifecycleIndex(last) == 6
  }

  /// Lifecycle stage index: lead 0, new 1, active 2, loyal 3, at_risk 4, lapsed 5, churned 6.
  @inline(__always)
  func lifecycleIndex(_ f: PeriodFeatures) -> Int {
    if !f.everPurchased { return f.tenure > rules.churnAfterPeriods ? 6 : 0 }
    if f.occasions > 0 {
      if f.isFirstPurchasePeriod { return 1 }
      return f.purchasePeriodsInLoyalWindow >= rules.loyalMinPeriods ? 3 : 2
    }
    let quiet = Int(f.periodsSinceLastPurchase)
    if quiet <= rules.atRiskPeriods { return 4 }
    if quiet <= rules.churnAfterPeriods { return 5 }
    return 6
  }

  /// 1 + the number of ascending `cuts` that `value` exceeds: bins are (-inf, c1], (c1, c2], ...,
  /// so a cut at the q quantile puts about a share q of the values at or below it.
  @inline(__always)
  static func score(_ value: Double, _ cuts: [Double]) -> Int {
    var s = 1
    for c in cuts where value > c { s += 1 }
    return s
  }
}

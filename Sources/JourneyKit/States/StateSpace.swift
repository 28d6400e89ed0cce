/// Where a state sits in the customer journey; scenarios and KPIs talk in stages.
public enum Stage: String, Codable, Sendable, CaseIterable {
  case lead, new, active, loyal
  case atRisk = "at_risk"
  case lapsed, churned
  /// A state of a custom (YAML) space whose stage the file does not say.
  case custom

  /// Whether a customer in this stage made a purchase in the period.
  public var isPurchasing: Bool { self == .new || self == .active || self == .loyal }
}

/// One state of a state space, as a planner reads it.
public struct StateDefinition: Codable, Sendable, Equatable {
  /// Unique name, e.g. `active`, `at_risk|more_valuable`, `R5F3M2`, `active|web`.
  public var name: String
  /// Its lifecycle stage.
  public var stage: Stage
  /// Value tier (`less_valuable`, `more_valuable`) when the space has tiers.
  public var tier: String?
  /// The `--split-by` level, when the space is split.
  public var segment: String?
  /// The rule in words.
  public var rule: String
  /// Whether the chain never leaves this state.
  public var isAbsorbing: Bool
}

/// Thresholds of the lifecycle stages, in periods.
///
/// Defaults scale with the period so that they mean about the same time:
///
/// | period  | at risk after no purchase for | lapsed  | churned after | loyal               | trailing window |
/// |---------|-------------------------------|---------|---------------|---------------------|-----------------|
/// | week    | 1-8 weeks                     | 9-26    | > 26 weeks    | 6 of the last 13    | 52 weeks        |
/// | month   | 1-2 months                    | 3-6     | > 6 months    | 3 of the last 4     | 12 months       |
/// | quarter | 1 quarter                     | 2       | > 2 quarters  | 2 of the last 2     | 4 quarters      |
///
/// `--churn-after N` sets the churn threshold and moves the at-risk threshold to a third of it.
public struct LifecycleRules: Codable, Sendable, Equatable {
  /// No purchase for 1...atRiskPeriods periods is at risk.
  public var atRiskPeriods: Int
  /// No purchase for more than churnAfterPeriods periods is churned; in between is lapsed.
  public var churnAfterPeriods: Int
  /// Loyal: purchases in at least loyalMinPeriods of the last loyalWindowPeriods periods (this one included).
  public var loyalMinPeriods: Int
  /// (see `loyalMinPeriods`)
  public var loyalWindowPeriods: Int
  /// Periods of the trailing window for spend and frequency (value tiers, RFM, custom rules).
  public var trailingWindowPeriods: Int
  /// Whether churned customers can come back (estimated from data) instead of churned being absorbing.
  public var reactivation: Bool

  /// The rules of the period length's defaults (monthly: at risk after 2 months, churned after 6).
  public static func defaults(for period: PeriodKind) -> LifecycleRules {
    switch period {
    case .week:
      LifecycleRules(atRiskPeriods: 8, churnAfterPeriods: 26, loyalMinPeriods: 6, loyalWindowPeriods: 13, trailingWindowPeriods: 52, reactivation: false)
    case .month:
      LifecycleRules(atRiskPeriods: 2, churnAfterPeriods: 6, loyalMinPeriods: 3, loyalWindowPeriods: 4, trailingWindowPeriods: 12, reactivation: false)
    case .quarter:
      LifecycleRules(atRiskPeriods: 1, churnAfterPeriods: 2, loyalMinPeriods: 2, loyalWindowPeriods: 2, trailingWindowPeriods: 4, reactivation: false)
    }
  }

  /// The defaults with the churn threshold moved to `periods`.
  public func withChurnAfter(_ periods: Int) -> LifecycleRules {
    var r = self
    r.churnAfterPeriods = periods
    r.atRiskPeriods = max(1, min(periods, periods / 3))
    return r
  }
}

/// The kind of state space and the parameters that define it.
public enum StateSpaceKind: Codable, Sendable, Equatable {
  /// lead, new, active, loyal, at_risk, lapsed, churned.
  case lifecycle
  /// Recency, frequency and monetary scores 1...levels, plus lead and churned.
  case rfm(levels: Int)
  /// Lifecycle crossed with two value tiers by trailing spend.
  case value
  /// Exact periods since the last purchase (0 up to the churn threshold) crossed with
  /// frequency levels 1...levels (purchase occasions in the trailing window), plus lead, new
  /// and churned. Churn timing is exact: the last quiet state moves to churned unless the
  /// customer buys.
  case recencyFrequency(levels: Int)
  /// Named states with ordered rules, from a YAML file.
  case custom(CustomStateRules)

  /// How the space is written on the command line.
  public var label: String {
    switch self {
    case .lifecycle: "lifecycle"
    case let .rfm(levels): "rfm:\(levels)"
    case .value: "value"
    case let .recencyFrequency(levels): "rf:\(levels)"
    case let .custom(rules): "file:\(rules.source)"
    }
  }
}

/// Frozen cut points of the RFM scores: score = 1 + number of cuts the value exceeds
/// (recency reversed: the most recent buyers score highest).
public struct RFMCuts: Codable, Sendable, Equatable {
  /// Periods since the last purchase; ascending cuts.
  public var recency: [Double]
  /// Purchase occasions in the trailing window; ascending cuts.
  public var frequency: [Double]
  /// Spend in the trailing window; ascending cuts.
  public var monetary: [Double]
}

/// A state space: the states, and everything needed to assign them again to new data
/// exactly as they were assigned when the model was fitted.
public struct StateSpace: Codable, Sendable, Equatable {
  /// Which space: lifecycle, value, RFM, recency x frequency or custom rules.
  public var kind: StateSpaceKind
  /// The period length the states are assigned at.
  public var period: PeriodKind
  /// The lifecycle rules every space builds on.
  public var rules: LifecycleRules
  /// `value`: trailing spend at or above this amount is "more valuable" (frozen at fit).
  public var valueCut: Double?
  /// `value`: the quantile of trailing spend the cut was taken at.
  public var valueCutQuantile: Double
  /// `rfm`: frozen score cut points.
  public var rfmCuts: RFMCuts?
  /// `--split-by`: the column, and its levels in order.
  public var splitBy: String?
  /// (see `splitBy`)
  public var splitLevels: [String]
  /// The states, in matrix order: base states repeated for each split level.
  public var states: [StateDefinition]

  /// The quiet periods after which a customer churns, when churned is the lifecycle's (every
  /// built-in space); nil for custom rules, whose churned state is their own.
  public var lifecycleChurnAfter: Int? {
    if case .custom = kind { return nil }
    return rules.churnAfterPeriods
  }

  /// Whether a customer is in a purchasing stage (`Stage.isPurchasing`) exactly when it bought in
  /// the period: so in the lifecycle, value and rf spaces. An RFM space's active stage is its top
  /// recency score, which holds customers who last bought a few periods ago; a custom space's
  /// stages are what its file says.
  public var purchasingMeansBoughtInPeriod: Bool {
    switch kind {
    case .lifecycle, .value, .recencyFrequency: true
    case .rfm, .custom: false
    }
  }

  /// States in the space.
  public var count: Int { states.count }
  /// Number of states before splitting.
  public var baseCount: Int { states.count / max(1, splitLevels.count) }

  /// The index of the state named `name`, if any.
  public func index(of name: String) -> Int? { states.firstIndex { $0.name == name } }

  /// Indices of the states in `stage`.
  public func indices(in stage: Stage) -> [Int] { states.indices.filter { states[$0].stage == stage } }

  /// Indices of absorbing states.
  public var absorbingIndices: [Int] { states.indices.filter { states[$0].isAbsorbing } }
}

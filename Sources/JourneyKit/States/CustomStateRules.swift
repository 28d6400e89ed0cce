/// A state space written by the user: named states with ordered rules, first match wins.
///
/// Loaded from YAML by `CustomStateRules.load(yaml:source:)`; see `Tests/Fixtures/states/` and
/// `scenarios/states-example.yaml` for the format.
public struct CustomStateRules: Codable, Sendable, Equatable {
  /// Where the rules came from (a file name), for messages and the model file.
  public var source: String
  /// Periods of the trailing window for `frequency` and `spend`, when the file sets it.
  public var windowPeriods: Int?
  /// The states, in the order the rules are tried: a customer-period gets the first that matches.
  public var states: [CustomState]

  /// Rules read from `source`.
  public init(source: String, windowPeriods: Int?, states: [CustomState]) {
    self.source = source
    self.windowPeriods = windowPeriods
    self.states = states
  }

  /// The index of the first state whose conditions all hold; the catch-all guarantees one.
  @inline(__always)
  func firstMatch(_ f: PeriodFeatures) -> Int {
    for i in 0..<states.count where states[i].matches(f) { return i }
    return states.count - 1
  }
}

/// One named state of a custom space.
public struct CustomState: Codable, Sendable, Equatable {
  /// The state's name.
  public var name: String
  /// Its lifecycle stage (for churn, retention and reaching loyal).
  public var stage: Stage
  /// Whether customers never leave it.
  public var absorbing: Bool
  /// All must hold; empty for the catch-all (`when: always`).
  public var conditions: [StateCondition]

  /// A state that matches when all `conditions` hold.
  public init(name: String, stage: Stage, absorbing: Bool, conditions: [StateCondition]) {
    self.name = name
    self.stage = stage
    self.absorbing = absorbing
    self.conditions = conditions
  }

  @inline(__always)
  func matches(_ f: PeriodFeatures) -> Bool {
    for c in conditions where !c.holds(f) { return false }
    return true
  }

  func describe() -> String {
    conditions.isEmpty ? "always (catch-all)" : conditions.map(\.description).joined(separator: " and ")
  }
}

/// A comparison of one per-period feature with a number.
public struct StateCondition: Codable, Sendable, Equatable, CustomStringConvertible {
  /// The features a rule can test.
  public enum Feature: String, Codable, Sendable, CaseIterable {
    /// Periods since the last purchase (0 = purchased this period; never purchased: periods since entry).
    case recency
    /// Purchase occasions in the trailing window.
    case frequency
    /// Purchases minus refunds in the trailing window.
    case spend
    /// Purchase occasions in this period.
    case purchases
    /// Purchases minus refunds in this period.
    case revenue
    /// Periods since entry (0 in the entry period).
    case tenure
    /// 1 if the customer has ever purchased, else 0 (`true`/`false` in YAML).
    case everPurchased = "ever_purchased"
    /// 1 if a lead event happened this period, else 0.
    case lead
  }

  /// How a feature is compared with the value.
  public enum Comparison: String, Codable, Sendable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="
  }

  /// What is measured of the customer-period.
  public var feature: Feature
  /// How it is compared.
  public var comparison: Comparison
  /// The value it is compared with.
  public var value: Double

  /// The condition `feature comparison value`.
  public init(feature: Feature, comparison: Comparison, value: Double) {
    self.feature = feature
    self.comparison = comparison
    self.value = value
  }

  @inline(__always)
  func holds(_ f: PeriodFeatures) -> Bool {
    let x: Double
    switch feature {
    case .recency: x = Double(f.periodsSinceLastPurchase)
    case .frequency: x = Double(f.trailingOccasions)
    case .spend: x = f.trailingSpend
    case .purchases: x = Double(f.occasions)
    case .revenue: x = f.revenue
    case .tenure: x = Double(f.tenure)
    case .everPurchased: x = f.everPurchased ? 1 : 0
    case .lead: x = f.leadEvent ? 1 : 0
    }
    switch comparison {
    case .less: return x < value
    case .lessOrEqual: return x <= value
    case .greater: return x > value
    case .greaterOrEqual: return x >= value
    case .equal: return x == value
    case .notEqual: return x != value
    }
  }

  /// The condition as written in YAML (`recency >= 3`).
  public var description: String {
    let number = value == value.rounded() ? value.checkedInt.map(String.init) ?? String(value) : String(value)
    return "\(feature.rawValue) \(comparison.rawValue) \(number)"
  }
}

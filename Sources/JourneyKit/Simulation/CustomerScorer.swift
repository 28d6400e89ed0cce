/// Per-state results a score table looks up: computed once, used for every customer.
public struct StateOutlook: Codable, Sendable {
  /// Periods ahead the results look.
  public var horizon: Int
  /// Per state: chance of being churned within `horizon` periods (churned made absorbing).
  public var churnWithinHorizon: [Double]
  /// Per state: expected purchase occasions over the next `horizon` periods.
  public var expectedPurchases: [Double]
  /// Per state: expected revenue over the next `horizon` periods (undiscounted).
  public var expectedRevenue: [Double]
  /// Per state: lifetime value, the discounted expected revenue of the periods after this one
  /// over `valueYears`, `sum_{t=1..T} (P / (1 + d))^t r` at the chain's discount `d`. It starts
  /// where the other figures start, at the next period; `journey show`'s lifetime value counts
  /// the current period too (Pfeifer & Carraway).
  public var lifetimeValue: [Double]

  /// - Complexity: O((horizon + valueYears x periods a year) S^2) through dgemv.
  public init(model: MarkovModel, horizon: Int, valueYears: Int = CustomerScores.defaultValueYears) {
    let p = model.matrix
    let s = p.rowCount
    let churned = model.stateSpace.indices(in: .churned)
    // Hitting churned within the horizon: make churned absorbing, then push the indicator
    // of the churned states back `horizon` steps: u_{t+1} = P_abs u_t.
    var absorbing = p
    for i in churned {
      for j in 0..<s { absorbing[i, j] = i == j ? 1 : 0 }
    }
    var hit = [Double](repeating: 0, count: s)
    for i in churned { hit[i] = 1 }
    var purchases = [Double](repeating: 0, count: s)
    var revenue = [Double](repeating: 0, count: s)
    var occasionsAhead = model.rewards.map(\.occasionsMean)
    var revenueAhead = model.rewards.map(\.revenueMean)
    for _ in 0..<horizon {
      hit = absorbing.multiplied(byColumnVector: hit)
      occasionsAhead = p.multiplied(byColumnVector: occasionsAhead)
      revenueAhead = p.multiplied(byColumnVector: revenueAhead)
      for i in 0..<s {
        purchases[i] += occasionsAhead[i]
        revenue[i] += revenueAhead[i]
      }
    }
    self.horizon = horizon
    churnWithinHorizon = hit.map { min(1, max(0, $0)) }
    expectedPurchases = purchases
    expectedRevenue = revenue
    let discount = 1 / (1 + model.analysis.discountPerPeriod)
    var value = [Double](repeating: 0, count: s)
    var discountedAhead = model.rewards.map(\.revenueMean)
    for _ in 0..<(valueYears * model.stateSpace.period.periodsPerYear) {
      discountedAhead = p.multiplied(byColumnVector: discountedAhead).map { $0 * discount }
      for i in 0..<s { value[i] += discountedAhead[i] }
    }
    lifetimeValue = value
  }
}

/// A model's state space applied to new data: each customer's current state.
public enum CustomerScorer {
  /// Scores every customer of `table` as of its last complete period (or `asOf`).
  ///
  /// - Returns: per customer, the state index (-1 for customers not yet in the base then).
  /// - Throws: `FitError` when the data window is too short, or split levels are unknown to the model.
  public static func currentStates(_ table: TransactionTable, model: MarkovModel, asOf: CalendarDay? = nil) throws -> [Int32] {
    let space = model.stateSpace
    var data = table
    if let split = space.splitBy {
      guard let attribute = table.attributes[split] else {
        throw FitError.unknownSplitColumn(name: split, available: table.attributes.keys.sorted())
      }
      // Renumber the data's levels in the model's order.
      var position: [String: Int32] = [:]
      for (k, level) in space.splitLevels.enumerated() { position[level] = Int32(k) }
      let unknown = attribute.levels.filter { position[$0] == nil }
      guard unknown.isEmpty else {
        throw FitError.invalidOption(
          flag: "--split-by \(split)", value: unknown.prefix(5).joined(separator: ", "),
          expected: "levels the model was fitted with (\(space.splitLevels.prefix(8).joined(separator: ", "))\(space.splitLevels.count > 8 ? ", ..." : ""))")
      }
      data.attributes[split] = CustomerAttribute(
        levels: space.splitLevels, levelOfCustomer: attribute.levelOfCustomer.map { position[attribute.levels[Int($0)]]! })
    }
    let window = try FitWindow.make(table: data, period: space.period, asOf: asOf)
    return StateAssigner.assign(data, space: space, window: window).finalState
  }
}

/// One row per customer: the list a campaign team targets.
public struct CustomerScores: Sendable {
  /// Periods ahead the scores look.
  public var horizon: Int
  /// Customer ids, as in the data.
  public var customerIDs: [String]
  /// Per customer: state index, or -1 when the customer was not yet in the base at the as-of period.
  public var states: [Int32]
  /// Per-state results the scores look up.
  public var outlook: StateOutlook
  /// The state names, in model order.
  public var stateNames: [String]
  /// The customers with a purchase forecast one by one, when the model has an activity model
  /// (read for the per-customer totals: its per-period sums hold one value, the whole horizon).
  public var activity: ActivityForecast?

  /// Set when the as-of day runs whole periods past the data (`FitWindow.warningAfter(dataEnd:)`).
  public var asOfWarning: String?

  /// Years a lifetime value sums by default: at 10% a year, what lies beyond is 0.007% of it.
  public static let defaultValueYears = 100

  /// Scores every customer of `table` with `model`; lifetime values sum `valueYears` years.
  public init(table: TransactionTable, model: MarkovModel, horizon: Int, asOf: CalendarDay? = nil, valueYears: Int = defaultValueYears) throws {
    self.horizon = horizon
    customerIDs = table.customerIDs
    states = try CustomerScorer.currentStates(table, model: model, asOf: asOf)
    outlook = StateOutlook(model: model, horizon: horizon, valueYears: valueYears)
    stateNames = model.stateNames
    let period = model.stateSpace.period
    let window = try FitWindow.make(table: table, period: period, asOf: asOf)
    asOfWarning = table.dayRange.flatMap { window.warningAfter(dataEnd: $0.upperBound) }
    if let activityModel = model.activity {
      let histories = PurchaseHistories(table, through: period.end(of: window.lastPeriod))
      // Churn by the lifecycle's rule for the built-in spaces; a custom space's is its own.
      activity = ActivityForecast(
        histories, model: activityModel, period: period, origin: window.lastPeriod, steps: horizon,
        churnAfter: model.stateSpace.lifecycleChurnAfter, countsChurnEvents: false,
        value: ValueIntervals(period: period, origin: window.lastPeriod, discountPerPeriod: model.analysis.discountPerPeriod, years: valueYears),
        perPeriod: false)
    }
  }

  /// A customer's chance of being churned: with the activity model, for a customer who has
  /// bought, its own chance of being churned at the end of the horizon (it may buy again after a
  /// churn, or before one); otherwise its state's chance of reaching churned within the horizon
  /// (churned taken as absorbing, so the same thing in the chain's world).
  public func churnProbability(_ c: Int) -> Double {
    if let activity, activity.hasHistory[c], let own = activity.customerChurnedAtEnd { return own[c] }
    return outlook.churnWithinHorizon[Int(states[c])]
  }

  /// A customer's expected purchases and revenue over the horizon, and lifetime value: its own
  /// (activity model) when it has bought, its state's otherwise. Its own lifetime value is the
  /// discounted expected revenue of every period after the last complete one, at the chain's
  /// discount (`ValueIntervals`), so a customer in a churned state who may still come back is
  /// worth what it may still spend.
  public func expectations(_ c: Int) -> (purchases: Double, revenue: Double, lifetimeValue: Double, activeProbability: Double?) {
    let s = Int(states[c])
    guard let activity, activity.hasHistory[c] else {
      return (outlook.expectedPurchases[s], outlook.expectedRevenue[s], outlook.lifetimeValue[s], nil)
    }
    let value = activity.customerValue?[c] ?? outlook.lifetimeValue[s]
    return (activity.customerPurchases[c], activity.customerRevenue[c], value, activity.activeProbability[c])
  }

  /// Customers with a state (in the base at the as-of period).
  public var scoredCount: Int { states.filter { $0 >= 0 }.count }

  /// `customer_id,state,churn_probability,expected_purchases,expected_revenue,clv`, built in one
  /// byte buffer (a million rows through string interpolation would dominate the run), in chunks
  /// of customers on every core.
  public func csvBytes() -> [UInt8] {
    var out: [UInt8] = []
    out.append(contentsOf: Array("customer_id,state,churn_probability_\(horizon),expected_purchases_\(horizon),expected_revenue_\(horizon),clv\(activity == nil ? "" : ",active_probability")\n".utf8))
    // Per state, its name, and without the activity model the rest of the row too: computed once.
    let heads: [[UInt8]] = stateNames.indices.map { i in Array(",\(csvField(stateNames[i])),".utf8) }
    let tails: [[UInt8]] = stateNames.indices.map { i in
      Array(",\(csvField(stateNames[i])),\(fixed(outlook.churnWithinHorizon[i], 4)),\(fixed(outlook.expectedPurchases[i], 3)),\(fixed(outlook.expectedRevenue[i], 2)),\(fixed(outlook.lifetimeValue[i], 2))\n".utf8)
    }
    let chunk = 65_536
    let chunks = (customerIDs.count + chunk - 1) / chunk
    let parts = Partials<[UInt8]>(count: chunks)
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
      let customers = (k * chunk)..<min(customerIDs.count, (k + 1) * chunk)
      var part: [UInt8] = []
      part.reserveCapacity(customers.count * 64)
      for c in customers where states[c] >= 0 {
        let state = Int(states[c])
        OutputEscaping.appendCSVField(customerIDs[c], to: &part)
        guard activity != nil else {
          part.append(contentsOf: tails[state])
          continue
        }
        // The customer's own figures, written as digits straight into the buffer
        // (`String(format:)` for 6 million numbers took 70% of `score`).
        let e = expectations(c)
        part.append(contentsOf: heads[state])
        FixedDecimal.append(churnProbability(c), decimals: 4, to: &part)
        part.append(UInt8(ascii: ","))
        FixedDecimal.append(e.purchases, decimals: 3, to: &part)
        part.append(UInt8(ascii: ","))
        FixedDecimal.append(e.revenue, decimals: 2, to: &part)
        part.append(UInt8(ascii: ","))
        FixedDecimal.append(e.lifetimeValue, decimals: 2, to: &part)
        part.append(UInt8(ascii: ","))
        if let p = e.activeProbability { FixedDecimal.append(p, decimals: 4, to: &part) }
        part.append(UInt8(ascii: "\n"))
      }
      parts.store(part, at: k)
    }
    let all = parts.all()
    out.reserveCapacity(out.count + all.reduce(0) { $0 + $1.count })
    for part in all { out.append(contentsOf: part) }
    return out
  }
}

private func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

/// Numbers with a fixed count of decimals, byte for byte as `String(format: "%.Nf")` writes them,
/// without its cost: digits from the value scaled to an integer. Values whose scaled fraction is
/// too near one half to tell which way printf rounds (ties included), and very large or not
/// finite ones, go through `String(format:)` itself.
enum FixedDecimal {
  private static let scales: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

  static func append(_ value: Double, decimals: Int, to out: inout [UInt8]) {
    precondition((0..<scales.count).contains(decimals), "0 to \(scales.count - 1) decimals")
    let scaled = abs(value) * scales[decimals]
    let fraction = scaled - scaled.rounded(.down)
    // The product's own rounding error is below scaled x 2^-53; a margin far above it.
    guard value.isFinite, scaled < 1e15, abs(fraction - 0.5) > 1e-12 + scaled * 1e-15 else {
      out.append(contentsOf: Array(String(format: "%.\(decimals)f", value).utf8))
      return
    }
    // printf writes the sign of every negative value, -0.000 included.
    if value.sign == .minus { out.append(UInt8(ascii: "-")) }
    let units = UInt64(scaled.rounded())
    let unit = UInt64(scales[decimals])
    appendDigits(units / unit, minimumCount: 1, to: &out)
    guard decimals > 0 else { return }
    out.append(UInt8(ascii: "."))
    appendDigits(units % unit, minimumCount: decimals, to: &out)
  }

  private static func appendDigits(_ n: UInt64, minimumCount: Int, to out: inout [UInt8]) {
    // Right to left into a buffer on the stack (a UInt64 has at most 20 digits).
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
      var n = n, start = buffer.count
      repeat {
        start -= 1
        buffer[start] = UInt8(ascii: "0") + UInt8(n % 10)
        n /= 10
      } while n > 0 || buffer.count - start < minimumCount
      out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
    }
  }
}

/// Quotes a CSV field when it needs it (RFC 4180), with the formula guard for ids and names.
func csvField(_ text: String) -> String { OutputEscaping.csvField(text) }

import Foundation

import Foundation

/// What a fitted chain says about customers in each state.
public struct ChainAnalysis: Codable, Sendable, Equatable {
  /// Per state: expected periods until reaching a churned state (0 for churned states), from the
  /// fundamental matrix of the chain with churned states made absorbing: `t = (I - Q)^-1 1`; nil
  /// for a state that never reaches churned (a state nobody was in keeps its customers), whose
  /// time is infinite.
  public var expectedPeriodsToChurn: [Double?]?
  /// Per state: the chance of reaching a loyal state before churning (1 for loyal states), when the
  /// space has loyal states: `B = (I - Q)^-1 R` with loyal and churned absorbing; nil for a state
  /// that reaches neither.
  public var probabilityOfReachingLoyal: [Double?]?
  /// Per state: expected purchase occasions before churning, `(I - Q)^-1 r_occasions`; nil where
  /// the time to churn is.
  public var expectedPurchasesBeforeChurn: [Double?]?
  /// Per state: customer lifetime value, `v = (I - P/(1+d))^-1 r_revenue` (Pfeifer & Carraway, 2000).
  public var lifetimeValue: [Double]
  /// Discount rate per period used for the lifetime value.
  public var discountPerPeriod: Double
  /// Customer equity: the current base (customers per state at the last period) times `v`.
  public var customerEquity: Double
  /// Stationary distribution, when the chain has a unique one and no absorbing state.
  public var stationaryDistribution: [Double]?
  /// Why a quantity above is missing.
  public var notes: [String]

  /// The default discount: 10% a year, converted to the period.
  public static func defaultDiscount(for period: PeriodKind) -> Double {
    pow(1.10, 1 / Double(period.periodsPerYear)) - 1
  }

  /// Lifetime value per state, `v = sum_t (P/(1+d))^t r`, solved as one linear system
  /// `(I - P/(1+d)) v = r` (LAPACK dgesv) rather than a truncated sum.
  public static func lifetimeValue(p: Matrix, revenuePerPeriod r: [Double], discountPerPeriod d: Double) throws(LinearAlgebraError) -> [Double] {
    try (Matrix.identity(p.rowCount) - (1 / (1 + d)) * p).solve(vector: r)
  }

  /// - Parameters:
  ///   - p: the transition matrix.
  ///   - revenuePerPeriod: expected revenue of a customer-period in each state (the reward vector).
  ///   - occasionsPerPeriod: expected purchase occasions of a customer-period in each state.
  ///   - currentBase: customers per state now.
  /// - Throws: `LinearAlgebraError` only if `I - P/(1+d)` is singular, which needs `d <= 0`.
  public static func analyse(
    p: Matrix, space: StateSpace, revenuePerPeriod: [Double], occasionsPerPeriod: [Double],
    currentBase: [Double], discountPerPeriod d: Double
  ) throws(LinearAlgebraError) -> ChainAnalysis {
    let s = p.rowCount
    var notes: [String] = []
    let v = try lifetimeValue(p: p, revenuePerPeriod: revenuePerPeriod, discountPerPeriod: d)
    let equity = zip(currentBase, v).reduce(0) { $0 + $1.0 * $1.1 }

    let churned = Set(space.indices(in: .churned))
    func names(_ states: [Int]) -> String { states.map { space.states[$0].name }.joined(separator: ", ") }
    var toChurn: [Double?]? = nil
    var purchases: [Double?]? = nil
    if churned.isEmpty {
      notes.append("the state space has no churned state: no time to churn")
    } else {
      // Only states with a path to churned are transient; with one that has none (a state nobody
      // was in keeps everyone), I - Q would be singular and no state would get a time.
      let reaching = statesReaching(churned, in: p)
      let transient = (0..<s).filter { !churned.contains($0) && reaching.contains($0) }
      let never = (0..<s).filter { !churned.contains($0) && !reaching.contains($0) }
      if !never.isEmpty { notes.append("expected time to churn is infinite for \(names(never)): no path to churned") }
      let q = p.submatrix(rows: transient, columns: transient)
      do {
        let n = try q.fundamentalMatrix()
        let t = n.multiplied(byColumnVector: Array(repeating: 1, count: transient.count))
        let e = n.multiplied(byColumnVector: transient.map { occasionsPerPeriod[$0] })
        var full: [Double?] = (0..<s).map { churned.contains($0) ? 0 : nil }
        var fullPurchases = full
        // Both are sums of non-negative terms; LAPACK's solve can leave -5e-15 where they are 0
        // (a state whose path buys nothing), which the model file's check then refuses.
        for (k, i) in transient.enumerated() {
          full[i] = max(0, t[k])
          fullPurchases[i] = max(0, e[k])
        }
        toChurn = full
        purchases = fullPurchases
      } catch {
        notes.append("expected time to churn is undefined: \(error)")
      }
    }

    var reachLoyal: [Double?]? = nil
    let loyal = Set(space.indices(in: .loyal))
    if !loyal.isEmpty && !churned.isEmpty {
      let targets = loyal.union(churned)
      let reaching = statesReaching(targets, in: p)
      let transient = (0..<s).filter { !targets.contains($0) && reaching.contains($0) }
      let never = (0..<s).filter { !targets.contains($0) && !reaching.contains($0) }
      if !never.isEmpty { notes.append("chance of reaching loyal is undefined for \(names(never)): no path to loyal or churned") }
      let loyalList = loyal.sorted()
      let q = p.submatrix(rows: transient, columns: transient)
      let r = p.submatrix(rows: transient, columns: loyalList)
      do {
        let b = try (Matrix.identity(transient.count) - q).solve(r)
        var full: [Double?] = (0..<s).map { loyal.contains($0) ? 1 : churned.contains($0) ? 0 : nil }
        for (k, i) in transient.enumerated() { full[i] = min(1, max(0, b.row(k).reduce(0, +))) }
        reachLoyal = full
      } catch {
        notes.append("chance of reaching loyal is undefined: \(error)")
      }
    }

    var stationary: [Double]? = nil
    if space.absorbingIndices.isEmpty {
      do {
        stationary = try p.stationaryDistribution()
      } catch {
        notes.append("no stationary distribution: \(error)")
      }
    } else {
      notes.append("no stationary distribution reported: churned is absorbing, so in the long run every customer churns")
    }
    return ChainAnalysis(
      expectedPeriodsToChurn: toChurn, probabilityOfReachingLoyal: reachLoyal, expectedPurchasesBeforeChurn: purchases,
      lifetimeValue: v, discountPerPeriod: d, customerEquity: equity, stationaryDistribution: stationary, notes: notes)
  }

  /// The states with a path of positive transitions to one of `targets` (the targets included).
  static func statesReaching(_ targets: Set<Int>, in p: Matrix) -> Set<Int> {
    var reached = targets
    var frontier = Array(targets)
    while let j = frontier.popLast() {
      for i in 0..<p.rowCount where !reached.contains(i) && p[i, j] > 0 {
        reached.insert(i)
        frontier.append(i)
      }
    }
    return reached
  }
}

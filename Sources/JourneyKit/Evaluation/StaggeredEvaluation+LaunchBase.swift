import Foundation

/// The primary test of a staggered rollout: each launched group's launch base against the
/// group(s) launching last, by the share still buying of `LaunchBaseComparison`.
///
/// For every group g but the last, the after window runs from g's launch until the last launch
/// (at most `post` periods), so the groups launching last are untouched through it and serve as
/// controls; the before window is the `pre` periods before g's launch. Per comparison the
/// regression-adjusted difference d(g) is taken as for a holdout, and
///
/// ```
/// effect = sum over g of d(g)        (the extra share still buying in the later half, summed over groups)
/// se     = bootstrap over customers: Poisson(1) weights per customer, the same in every
///          comparison (a control customer serves in several), slopes held at their estimates
/// p      = 2 (1 - Phi(|effect| / se))
/// ```
public struct StaggeredLaunchBase: Codable, Sendable {
  /// An estimate with its interval, as in the before-and-after evaluation.
  public typealias Interval = RolloutEvaluation.Interval

  /// One launched group's launch base against the groups launching last.
  public struct Comparison: Codable, Sendable {
    /// The launched group (a value of the column).
    public var group: String
    /// The after window as period labels, with its length in periods.
    public var afterWindow: String
    /// The groups launching last, which serve as its controls.
    public var controls: [String]
    /// Launch-base customers of the group.
    public var treatedCustomers: Int
    /// Launch-base customers of the control groups.
    public var controlCustomers: Int
    /// The covariates' slopes (both sides pooled), in the order of `LaunchBaseComparison.covariates`.
    public var slopes: [Double]
    /// The adjusted difference in the share still buying, d(g).
    public var effect: Double
  }

  /// The measure's name (`LaunchBaseComparison.stillBuyingName`).
  public var measure = LaunchBaseComparison.stillBuyingName
  /// One comparison per launched group that has customers on both sides.
  public var comparisons: [Comparison]
  /// The sum of the comparisons' effects, with its normal interval at 1 - alpha.
  public var effect: Interval
  /// Standard error of the summed effect over the Poisson bootstrap.
  public var standardError: Double
  /// Two-sided normal p-value of effect / standardError.
  public var pValue: Double

  /// - Parameters:
  ///   - groupOfCustomer: cohort number per customer, in launch order.
  ///   - starts: first launched period per cohort.
  /// - Returns: nil when no comparison has customers on both sides.
  static func run(
    _ table: TransactionTable, space: StateSpace, groupOfCustomer: [Int8], names: [String], starts: [Int], pre: Int, post: Int,
    bootstrap: Int, seed: UInt64, alpha: Double
  ) -> StaggeredLaunchBase? {
    guard let lastStart = starts.last else { return nil }
    let controls = starts.indices.filter { starts[$0] >= lastStart }
    struct Side { var x: [[Double]]; var y: [Double]; var treated: [Bool]; var customers: [Int]; var fit: AdjustedOutcome? }
    var sides: [Side] = []
    var comparisons: [Comparison] = []
    for g in starts.indices where starts[g] < lastStart {
      let after = starts[g]..<min(starts[g] + post, lastStart)
      let base = LaunchBase.collect(table, space: space, before: (starts[g] - pre)..<starts[g], after: after)
      let columns = base.covariates
      var side = Side(x: columns.map { _ in [] }, y: [], treated: [], customers: [], fit: nil)
      for (k, c) in base.customers.enumerated() {
        let cohort = Int(groupOfCustomer[c])
        guard cohort == g || controls.contains(cohort) else { continue }
        for j in columns.indices { side.x[j].append(columns[j][k]) }
        side.y.append(base.after[k])
        side.treated.append(cohort == g)
        side.customers.append(c)
      }
      guard let point = LaunchBaseComparison.estimate(outcome: side.y, covariates: side.x, treated: side.treated, alpha: alpha) else { continue }
      side.fit = AdjustedOutcome(outcome: side.y, covariates: side.x)
      sides.append(side)
      comparisons.append(
        Comparison(
          group: names[g], afterWindow: "\(space.period.label(of: after.lowerBound)) .. \(space.period.label(of: after.upperBound - 1)) (\(after.count))",
          controls: controls.map { names[$0] }, treatedCustomers: point.treatedCustomers, controlCustomers: point.controlCustomers,
          slopes: point.slopes, effect: point.effect.value))
    }
    guard !sides.isEmpty else { return nil }
    // The adjusted difference of one comparison with customer weights (slopes held).
    func difference(_ s: Side, _ weight: (Int) -> Double) -> Double? {
      guard let fit = s.fit else { return nil }
      var sum = [0.0, 0.0], count = [0.0, 0.0]
      for i in s.y.indices {
        let w = weight(s.customers[i])
        guard w > 0 else { continue }
        let g = s.treated[i] ? 0 : 1
        sum[g] += w * fit.adjusted(i)
        count[g] += w
      }
      guard count[0] > 0, count[1] > 0 else { return nil }
      return sum[0] / count[0] - sum[1] / count[1]
    }
    let effect = comparisons.reduce(0) { $0 + $1.effect }
    var rng = RandomSource(seed: seed, stream: 0x5BA5E)
    var samples: [Double] = []
    for _ in 0..<bootstrap {
      let weights = (0..<table.customerCount).map { _ in Double(poisson1(&rng)) }
      let parts = sides.map { difference($0) { weights[$0] } }
      guard parts.allSatisfy({ $0 != nil }) else { continue }
      samples.append(parts.reduce(0) { $0 + $1! })
    }
    guard samples.count > 1 else { return nil }
    let mean = samples.reduce(0, +) / Double(samples.count)
    let se = (samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count - 1)).squareRoot()
    let z = se > 0 ? abs(effect) / se : (effect == 0 ? 0 : .infinity)
    let half = Normal.quantile(1 - alpha / 2) * se
    return StaggeredLaunchBase(
      comparisons: comparisons, effect: Interval(value: effect, low: effect - half, high: effect + half), standardError: se,
      pValue: 2 * (1 - Normal.cdf(z)))
  }

  /// A Poisson(1) draw by inversion (the weights of a Poisson bootstrap).
  static func poisson1(_ rng: inout RandomSource) -> Int {
    let u = rng.uniform()
    var k = 0, p = exp(-1.0), cumulative = p
    while u > cumulative && k < 20 {
      k += 1
      p /= Double(k)
      cumulative += p
    }
    return k
  }
}

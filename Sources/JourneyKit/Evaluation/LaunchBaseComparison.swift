import Foundation

/// The primary test of a holdout: how many periods the customers of the launch base bought in
/// after the launch, treated against control, adjusted for how many they bought in before.
///
/// The launch base is every customer who had bought before the post window. Per customer i,
/// x(i) counts the periods of the before window with a purchase and y(i) those of the after
/// window. With the random holdout, the regression-adjusted difference (ANCOVA; "CUPED",
/// Deng, Xu, Kohavi & Walker 2013) is
///
/// ```
/// theta    = cov(x, y) / var(x)                      (both groups pooled)
/// y'(i)    = y(i) - theta (x(i) - mean x)
/// effect   = mean over treated of y' - mean over control of y'
/// se       = sqrt(var_treated(y') / n_treated + var_control(y') / n_control)
/// p        = 2 (1 - Phi(|effect| / se))
/// ```
///
/// It is measured per customer, so it sees a customer kept buying whatever state the chain
/// puts them in: fewer dropouts show as more buying periods at once, where the moves toward
/// lapsed see only the few customers who would have gone quiet. The covariate takes out most
/// of the spread between heavy and light buyers, which the holdout's randomness leaves equal in
/// both groups, so the difference stays unbiased (Lin 2013 on regression adjustment).
public struct LaunchBaseComparison: Codable, Sendable, Equatable {
  /// An estimate with its interval, as in the before-and-after evaluation.
  public typealias Interval = RolloutEvaluation.Interval

  /// The measure's name in verdicts and outputs.
  public static let measureName = "launch_base_buying_periods"

  /// The measure's name (`measureName`).
  public var measure = LaunchBaseComparison.measureName
  /// Customers of the launch base in the treated group.
  public var treatedCustomers: Int
  /// Customers of the launch base in the control group.
  public var controlCustomers: Int
  /// Mean buying periods in the after window, unadjusted.
  public var treatedMean: Double
  /// Mean buying periods of the control group in the after window, unadjusted.
  public var controlMean: Double
  /// The covariate's slope.
  public var theta: Double
  /// The adjusted difference in buying periods per customer, with its normal interval.
  public var effect: Interval
  /// The effect over the control group's adjusted mean (-0.05: treated bought 5% fewer periods).
  public var relativeEffect: Double
  /// Standard error of the effect (`se` above: each group's variance of y' over its size).
  public var standardError: Double
  /// Two-sided normal p-value of effect / standardError.
  public var pValue: Double

  /// The comparison from per-customer outcomes and covariates.
  ///
  /// - Parameters:
  ///   - outcome: y per customer.
  ///   - covariate: x per customer.
  ///   - treated: per customer, treated (true) or control.
  ///   - alpha: 1 minus the interval's coverage.
  /// - Returns: nil when a group has fewer than 2 customers.
  /// - Complexity: O(n).
  public static func estimate(outcome y: [Double], covariate x: [Double], treated: [Bool], alpha: Double) -> LaunchBaseComparison? {
    precondition(y.count == x.count && y.count == treated.count, "one outcome, covariate and group per customer")
    let n = Double(y.count)
    let nTreated = treated.filter { $0 }.count, nControl = y.count - nTreated
    guard nTreated >= 2, nControl >= 2 else { return nil }
    let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0
    for i in y.indices {
      sxy += (x[i] - meanX) * (y[i] - meanY)
      sxx += (x[i] - meanX) * (x[i] - meanX)
    }
    // A covariate with no spread adjusts nothing.
    let theta = sxx > 0 ? sxy / sxx : 0
    var sum = [0.0, 0.0], sumSquares = [0.0, 0.0], raw = [0.0, 0.0]
    for i in y.indices {
      let g = treated[i] ? 0 : 1
      let adjusted = y[i] - theta * (x[i] - meanX)
      sum[g] += adjusted
      sumSquares[g] += adjusted * adjusted
      raw[g] += y[i]
    }
    let counts = [Double(nTreated), Double(nControl)]
    let means = [sum[0] / counts[0], sum[1] / counts[1]]
    let variances = (0..<2).map { g in max(0, (sumSquares[g] - counts[g] * means[g] * means[g]) / (counts[g] - 1)) }
    let se = (variances[0] / counts[0] + variances[1] / counts[1]).squareRoot()
    let effect = means[0] - means[1]
    let z = se > 0 ? abs(effect) / se : (effect == 0 ? 0 : .infinity)
    let half = Normal.quantile(1 - alpha / 2) * se
    return LaunchBaseComparison(
      treatedCustomers: nTreated, controlCustomers: nControl, treatedMean: raw[0] / counts[0], controlMean: raw[1] / counts[1],
      theta: theta, effect: Interval(value: effect, low: effect - half, high: effect + half),
      relativeEffect: means[1] != 0 ? effect / means[1] : 0, standardError: se, pValue: 2 * (1 - Normal.cdf(z)))
  }
}

/// Per customer of a launch base: buying periods before and after, and the state at the launch.
struct LaunchBase {
  /// Customer numbers of the table in the base.
  var customers: [Int] = []
  /// Periods with a purchase in the before window.
  var before: [Double] = []
  /// Periods with a purchase in the after window.
  var after: [Double] = []
  /// The state in the before window's last period.
  var stateAtLaunch: [Int] = []

  /// Customers who bought before `after`'s first period, with their buying periods in `before`
  /// and `after` (absolute period numbers; `before` ends where `after` starts or earlier).
  static func collect(_ table: TransactionTable, space: StateSpace, before: Range<Int>, after: Range<Int>) -> LaunchBase {
    precondition(before.upperBound <= after.lowerBound, "the before window ends before the after window")
    let walker = CustomerPeriodWalker(table: table, period: space.period, lastPeriod: after.upperBound - 1, rules: space.rules)
    var visitor = Visitor(space: space, before: before, after: after)
    walker.walk(0..<table.customerCount, &visitor)
    visitor.finish()
    return visitor.base
  }

  private struct Visitor: CustomerPeriodVisitor {
    let space: StateSpace
    let before: Range<Int>
    let after: Range<Int>
    var base = LaunchBase()
    var customer = -1
    var boughtBefore = false
    var x = 0.0, y = 0.0
    var state = -1

    mutating func finish() {
      if customer >= 0 && boughtBefore {
        base.customers.append(customer)
        base.before.append(x)
        base.after.append(y)
        base.stateAtLaunch.append(state)
      }
    }

    mutating func beginCustomer(_ c: Int) {
      finish()
      customer = c
      boughtBefore = false
      x = 0
      y = 0
      state = -1
    }

    mutating func visit(_ f: PeriodFeatures) {
      let bought = f.occasions > 0
      if f.period < after.lowerBound {
        if f.everPurchased { boughtBefore = true }
        if before.contains(f.period) && bought { x += 1 }
        // The split level is not known here; the design reads states of an unsplit space.
        state = space.baseState(f)
      } else if after.contains(f.period) && bought {
        y += 1
      }
    }
  }
}

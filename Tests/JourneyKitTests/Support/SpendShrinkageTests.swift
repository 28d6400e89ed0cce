import Foundation
import Testing
@testable import JourneyKit

/// The spend pseudo-count against Bühlmann's credibility constant, known in closed form for a
/// lognormal base.
@Suite("Spend shrinkage")
struct SpendShrinkageTests {
  /// A base of `customers` whose mean spends are lognormal (log-sd `between`, median about 30),
  /// each purchase its customer's mean times a lognormal factor of mean 1 (log-sd `within`), and
  /// 1 + Poisson purchases, `2 (m / 30)^2` on average when `heavierSpendMore` (heavy buyers
  /// spend more, as on CDNOW) or 2 otherwise. Per customer: purchases, spend, squared amounts.
  static func base(customers: Int, between: Double, within: Double, heavierSpendMore: Bool, seed: UInt64)
    -> [(occasions: Double, revenue: Double, squaredAmounts: Double)]
  {
    var rng = RandomSource(seed: seed)
    return (0..<customers).map { _ in
      let m = 30 * exp(between * rng.normal() - between * between / 2)
      let n = 1 + rng.poisson(mean: heavierSpendMore ? 2 * (m / 30) * (m / 30) : 2)
      var spend = 0.0, squares = 0.0
      for _ in 0..<n {
        let z = m * exp(within * rng.normal() - within * within / 2)
        spend += z
        squares += z * z
      }
      return (Double(n), spend, squares)
    }
  }

  /// Bühlmann's k = E[process variance] / variance of the means. With a purchase's coefficient of
  /// variation v (v^2 = e^(within^2) - 1) and lognormal means: E[v^2 m^2] / Var(m) =
  /// v^2 e^(between^2) / (e^(between^2) - 1); for within = between = 0.5 that is e^0.25 = 1.284.
  /// The estimate reads it within 10% (1.26-1.34 over five seeds in a numpy check), whether or not
  /// heavy buyers spend more. The raw within variance of the repeat buyers, the estimate before,
  /// read a negative between variance on the first base and gave everyone the base's mean.
  @Test(arguments: [true, false])
  func pseudoCountIsBuhlmannsConstant(heavierSpendMore: Bool) throws {
    let customers = Self.base(customers: 20_000, between: 0.5, within: 0.5, heavierSpendMore: heavierSpendMore, seed: 41)
    let (mean, pseudoCount) = SpendShrinkage.estimate(spending: { customers[$0] }, customers: customers.indices)
    let expected = (exp(0.25) - 1) * exp(0.25) / (exp(0.25) - 1)
    let k = try #require(pseudoCount)
    #expect(abs(k / expected - 1) < 0.10, "k \(k) against \(expected)")
    // The target is the spend per purchase over all purchases.
    let purchases = customers.reduce(0) { $0 + $1.occasions }, spend = customers.reduce(0) { $0 + $1.revenue }
    #expect(abs(mean - spend / purchases) < 1e-9 * mean)
  }

  /// The same amounts in cents: the pseudo-count is a number of purchases and does not change.
  @Test func pseudoCountDoesNotDependOnTheCurrency() throws {
    let customers = Self.base(customers: 2_000, between: 0.5, within: 0.5, heavierSpendMore: true, seed: 42)
    let cents = customers.map { ($0.occasions, $0.revenue * 100, $0.squaredAmounts * 10_000) }
    let k = try #require(SpendShrinkage.estimate(spending: { customers[$0] }, customers: customers.indices).pseudoCount)
    let kCents = try #require(SpendShrinkage.estimate(spending: { cents[$0] }, customers: cents.indices).pseudoCount)
    #expect(abs(kCents / k - 1) < 1e-9)
  }

  /// A hand-worked base: 30 customers buying twice, (10, 30) and (20, 60) alternately, and 10
  /// buying once at 40. Deviations: 200 and 800 a pair, 15,000 in all; sum (n - 1) zbar^2 n =
  /// 2 (15 x 400 + 15 x 1,600) = 60,000, so v^2 = 15,000 / (60,000 / (2 + v^2)): v^2 = 2/3.
  /// Means 20 (15 customers), 40 (25); grand 32.5; spread 15 x 156.25 + 25 x 56.25 = 3,750 over
  /// 39. Noise v^2 sum zbar^2 / (n + v^2) = (2/3)(15 x 400 / (8/3) + 15 x 1,600 / (8/3) +
  /// 10 x 1,600 / (5/3)) = 13,900, over 40 = 347.5. Between: 3,750 / 39 - 347.5 < 0, so the customers
  /// do not differ beyond noise: nil.
  @Test func noisyMeansGiveNoShrinkage() {
    var customers: [(occasions: Double, revenue: Double, squaredAmounts: Double)] = []
    for i in 0..<30 { customers.append(i.isMultiple(of: 2) ? (2, 40, 1_000) : (2, 80, 4_000)) }
    for _ in 0..<10 { customers.append((1, 40, 1_600)) }
    let estimate = SpendShrinkage.estimate(spending: { customers[$0] }, customers: customers.indices)
    #expect(estimate.pseudoCount == nil)
    // The target: 2,200 spent over 70 purchases.
    #expect(abs(estimate.mean - 2_200.0 / 70) < 1e-12)
  }

  /// The same repeat buyers with one-time buyers far apart (10 at 40 and 10 at 400) show a
  /// between variance, and the constant follows by hand: means 20 (15), 40 (25), 400 (10);
  /// grand (300 + 1,000 + 4,000) / 50 = 106; v^2 = 2/3 as above.
  /// E[m^2] = (15 x 400 x 3/4 + 15 x 1,600 x 3/4 + 10 x 1,600 x 3/5 + 10 x 160,000 x 3/5) / 50 =
  /// (4,500 + 18,000 + 9,600 + 960,000) / 50 = 19,842; spread = sum zbar^2 - 50 x 106^2 =
  /// 6,000 + 40,000 + 1,600,000 - 561,800 = 1,084,200, over 49 = 22,126.53; noise = (2/3)(6,000 x
  /// 3/8 + 24,000 x 3/8 + 16,000 x 3/5 + 1,600,000 x 3/5) / 50 = (2/3)(980,850) / 50 = 13,078.
  /// k = (2/3) 19,842 / (22,126.53 - 13,078) = 13,228 / 9,048.53 = 1.46189.
  @Test func handWorkedConstant() throws {
    var customers: [(occasions: Double, revenue: Double, squaredAmounts: Double)] = []
    for i in 0..<30 { customers.append(i.isMultiple(of: 2) ? (2, 40, 1_000) : (2, 80, 4_000)) }
    for _ in 0..<10 { customers.append((1, 40, 1_600)) }
    for _ in 0..<10 { customers.append((1, 400, 160_000)) }
    let k = try #require(SpendShrinkage.estimate(spending: { customers[$0] }, customers: customers.indices).pseudoCount)
    #expect(abs(k - (2.0 / 3) * 19_842 / (1_084_200.0 / 49 - 13_078)) < 1e-9)
    #expect(abs(k - 1.46189) < 1e-5)
  }
}

import Foundation
import Testing
@testable import JourneyKit

/// The prior on the mixing distribution: pseudo-customers spread along purchase rates.
@Suite("Mixing distribution prior")
struct MixingPriorTests {
  /// Worked by hand on a 4 x 2 grid (purchase rates 1, 2, 4, 8; purchase rate major) with half
  /// of each inner point's weight passed on: the point at rate 2 sends 2/3 of it down to 1 and
  /// 1/3 up to 4 (2/3 x 1 + 1/3 x 4 = 2), the point at 4 sends 2/3 to 2 and 1/3 to 8; the ends
  /// keep theirs. Fails if the smoothing runs along dormancy rates, moves the mean rate (an even
  /// split), loses weight, or mixes the two dormancy rates.
  @Test func smoothingRunsAlongPurchaseRatesKeepingTheMeanRateAndEachDormancyRatesWeight() {
    let model = ActivityModel(
      purchaseRates: [1, 2, 4, 8], dormancyRates: [0.001, 0.01], weights: [0.1, 0.2, 0.3, 0, 0.3, 0, 0.1, 0],
      wakeRate: 0, spendMean: 0, spendPseudoCount: nil, through: CalendarDay(dayNumber: 100), fittedCustomers: 0,
      logLikelihood: 0)
    let smoothed = model.smoothedAlongPurchaseRates(model.weights, share: 0.5)
    // Column 0: 0.1 0.3 0.3 0.1 -> the point at 2 sends 0.15 (0.1 down, 0.05 up), at 4 sends 0.15
    // (0.1 down, 0.05 up): 0.2, 0.25, 0.2, 0.15. Column 1: 0.2 0 0 0 stays (an end keeps its weight).
    let expected = [0.2, 0.2, 0.25, 0, 0.2, 0, 0.15, 0]
    for g in expected.indices { #expect(abs(smoothed[g] - expected[g]) < 1e-12, "point \(g): \(smoothed[g])") }
    func meanRate(_ w: [Double]) -> Double {
      var sum = 0.0
      for g in w.indices { sum += model.purchaseRates[g / 2] * w[g] }
      return sum
    }
    #expect(abs(meanRate(smoothed) - meanRate(model.weights)) < 1e-12)
  }

  /// On a small base (300 customers, purchase rates drawn from an exponential, two dormancy
  /// rates), the fitted weights are the fixed point of the map the prior defines, computed here
  /// from the likelihoods on their own: w = S(EM(w)), S passing s = 220 / (300 + 220) of each
  /// point's weight to its purchase-rate neighbours.
  /// Fails on a wrong share (a prior that does not fade with the base), a step that is not EM's,
  /// or smoothing along the wrong axis.
  @Test func fittedWeightsAreTheFixedPointOfTheSmoothedEM() throws {
    var rng = RandomSource(seed: 11)
    var days: [[Int32]] = []
    for c in 0..<300 {
      let lambda = -Foundation.log(max(rng.uniform(), 1e-12)) * 0.02, mu = c % 3 == 0 ? 0.01 : 0.001
      var t = rng.uniform() * 90, list = [Int32(t)]
      while true {
        t += rng.exponential() / (lambda + mu)
        guard t < 365, rng.uniform() < lambda / (lambda + mu) else { break }
        list.append(Int32(t))
      }
      days.append(Array(Set(list)).sorted())
    }
    let h = PurchaseHistories(purchaseDays: days, through: CalendarDay(dayNumber: 364))
    var model = try #require(ActivityModel.fit(h))
    let groups = LikelihoodGroups(h, customers: Array(0..<h.customerCount), clock: ActivityClock(index: nil, period: nil, from: 0, through: 365))
    model.runEM(groups, iterations: 10_000, prior: 1)
    #expect(model.weights.allSatisfy { $0 >= 0 } && abs(model.weights.reduce(0, +) - 1) < 1e-9)

    let blocks = groups.likelihood(model, columns: Array(model.weights.indices)).blocks
    try #require(blocks.count == 1)
    let likelihood = blocks[0]
    let w = model.weights, n = groups.multiplicity.reduce(0, +)
    #expect(n == 300)
    let share = 220.0 / (300 + 220)
    var em = [Double](repeating: 0, count: w.count)
    for i in 0..<likelihood.rowCount {
      var mixture = 0.0
      for g in w.indices { mixture += likelihood[i, g] * w[g] }
      for g in w.indices { em[g] += groups.multiplicity[i] * likelihood[i, g] * w[g] / mixture / n }
    }
    // The smoothing on its own: each inner point passes `share` of its weight to its neighbours,
    // split so that the mean purchase rate stays.
    let rates = model.purchaseRates, dormancy = model.dormancyRates.count
    var mapped = em.map { $0 }
    for i in 1..<(rates.count - 1) {
      let up = (rates[i] - rates[i - 1]) / (rates[i + 1] - rates[i - 1])
      for j in 0..<dormancy {
        let moved = share * em[i * dormancy + j]
        mapped[i * dormancy + j] -= moved
        mapped[(i - 1) * dormancy + j] += moved * (1 - up)
        mapped[(i + 1) * dormancy + j] += moved * up
      }
    }
    for g in w.indices { #expect(abs(mapped[g] - w[g]) < 1e-5, "point \(g): \(mapped[g]) against \(w[g])") }
  }
}

import Foundation
import JourneyKit
import Testing

@Suite("Estimator options and diagnostics")
struct EstimatorTests {
  /// Three states x, y, z (z absorbing), two steps of counts.
  func counts() -> (TransitionCounts, StateSpace) {
    let states = [
      CustomState(name: "x", stage: .active, absorbing: false, conditions: []),
      CustomState(name: "y", stage: .atRisk, absorbing: false, conditions: []),
      CustomState(name: "z", stage: .churned, absorbing: true, conditions: []),
    ]
    let space = StateSpace(kind: .custom(CustomStateRules(source: "t", windowPeriods: nil, states: states)), period: .month, rules: .defaults(for: .month))
    var c = TransitionCounts(stateCount: 3, firstPeriod: 24_000, periodCount: 3, keepSecondOrder: false)
    // step 0: x->x 8, x->y 2; step 1: x->x 2, x->y 8; y never left.
    c.perPeriod = [
      [.init(from: 0, to: 0, count: 8), .init(from: 0, to: 1, count: 2)],
      [.init(from: 0, to: 0, count: 2), .init(from: 0, to: 1, count: 8)],
    ]
    c.pooled = [10, 10, 0, 0, 0, 0, 0, 0, 0]
    c.rewards[1].customerPeriods = 5
    return (c, space)
  }

  @Test func priorIsAddedOnTheObservedSupportOnly() {
    let (c, space) = counts()
    var o = EstimatorOptions()
    o.prior = 1
    let r = Estimator.fit(c, space: space, options: o)
    #expect(r.matrix.row(0) == [0.5, 0.5, 0])  // (10 + 1) / 22 each; z never observed from x stays 0
    #expect(r.posterior.row(0) == [11, 11, 0])
  }

  @Test func neverLeftStateStaysPutWithAWarning() {
    let (c, space) = counts()
    let r = Estimator.fit(c, space: space, options: EstimatorOptions())
    #expect(r.matrix.row(1) == [0, 1, 0])
    #expect(r.warnings == ["state 'y' was never seen leaving (no transitions out); it is treated as staying put (P = 1 on itself)"])
    #expect(r.matrix.row(2) == [0, 0, 1])
  }

  @Test func halfLifeWeighsRecentPeriodsMore() {
    let (c, space) = counts()
    var o = EstimatorOptions()
    o.prior = 0
    o.halfLifePeriods = 1
    // Weights: step 0 -> 0.5, step 1 -> 1. x->x = 8*0.5 + 2 = 6, x->y = 2*0.5 + 8 = 9.
    let p = Estimator.fit(c, space: space, options: o).matrix
    #expect(abs(p[0, 0] - 6.0 / 15) < 1e-15 && abs(p[0, 1] - 9.0 / 15) < 1e-15)
  }

  @Test func seasonalMatricesShrinkTowardThePooledOne() {
    let (c, space) = counts()
    var o = EstimatorOptions()
    o.prior = 0
    o.seasonal = true
    o.seasonalStrength = 10
    let r = Estimator.fit(c, space: space, options: o)
    let seasonal = try! #require(r.seasonal)
    #expect(seasonal.count == 12)
    // Period 24000 is January 2000 (season 0): x->x = (8 + 10 * 0.5) / (10 + 10) = 0.65.
    #expect(abs(seasonal[0][0, 0] - 0.65) < 1e-15)
    #expect(abs(seasonal[1][0, 0] - 0.35) < 1e-15)
    // A season without data is the pooled matrix.
    #expect(seasonal[5].row(0) == r.matrix.row(0))
    #expect(seasonal.allSatisfy { $0.isRowStochastic() })
  }

  @Test func homogeneityGTestByHand() {
    let (c, space) = counts()
    let p = Estimator.fit(c, space: space, options: EstimatorOptions()).matrix
    let d = FitDiagnostics.compute(counts: c, p: p, space: space, subWindows: 2)
    // Table for x: [[8, 2], [2, 8]], expected 5 everywhere: G = 2 (2*8 ln(8/5) + 2*2 ln(2/5)).
    let g = 2 * (16 * log(8.0 / 5) + 4 * log(2.0 / 5))
    let row = try! #require(d.homogeneity.first { $0.state == "x" })
    #expect(abs(row.g - g) < 1e-12)
    #expect(row.degreesOfFreedom == 1)
    #expect(abs(row.pValue - ChiSquared.survival(g, degreesOfFreedom: 1)) < 1e-15)
    #expect(row.pValue < 0.01)
  }

  @Test func holmAdjustment() {
    // p = 0.01, 0.04, 0.03 -> Holm: 0.03, 0.06, 0.06 (monotone).
    let (c, space) = counts()
    var d = FitDiagnostics.compute(counts: c, p: .identity(3), space: space, subWindows: 2)
    d.homogeneity = [0.01, 0.04, 0.03].enumerated().map {
      .init(state: "s\($0.offset)", g: 0, degreesOfFreedom: 1, pValue: $0.element, adjustedPValue: 1)
    }
    let adjusted = FitDiagnostics.holmAdjusted(d.homogeneity).map(\.adjustedPValue)
    expectClose(adjusted, [0.03, 0.06, 0.06], tolerance: 1e-15)
  }
}

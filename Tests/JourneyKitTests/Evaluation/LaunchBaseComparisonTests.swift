import Foundation
import Testing

@testable import JourneyKit

@Suite("The primary test: a regression-adjusted difference (the dormancy score; the launch base still buying)")
struct LaunchBaseComparisonTests {
  @Test func adjustedDifferenceByHand() throws {
    // x = 1, 3 | 2, 0 and y = 2, 4 | 1, 1 (treated | control). mean x 1.5, mean y 2;
    // cov sum = 0 + 3 - 0.5 + 1.5 = 4, var sum = 0.25 + 2.25 + 0.25 + 2.25 = 5: theta 0.8.
    // Adjusted y - 0.8 (x - 1.5): 2.4, 2.8 | 0.6, 2.2; means 2.6 and 1.4, effect 1.2;
    // variances 0.08 and 1.28, se = sqrt(0.08 / 2 + 1.28 / 2) = sqrt(0.68);
    // p = 2 (1 - Phi(1.2 / sqrt(0.68))) = 0.14561 (Python: math.erf).
    let c = try #require(
      LaunchBaseComparison.estimate(outcome: [2, 4, 1, 1], covariates: [[1, 3, 2, 0]], treated: [true, true, false, false], alpha: 0.05))
    #expect(c.slopes.count == 1 && abs(c.slopes[0] - 0.8) < 1e-12)
    #expect(abs(c.effect.value - 1.2) < 1e-12)
    #expect(abs(c.standardError - 0.68.squareRoot()) < 1e-12)
    #expect(abs(c.pValue - 0.1456100953968671) < 1e-6, "\(c.pValue)")
    #expect(abs(c.relativeEffect - 1.2 / 1.4) < 1e-12)
    #expect(c.treatedMean == 3 && c.controlMean == 1 && c.treatedCustomers == 2 && c.controlCustomers == 2)
    // 95% normal interval: 1.2 -+ 1.959964 sqrt(0.68).
    #expect(abs(c.effect.low - (1.2 - 1.959963984540054 * 0.68.squareRoot())) < 1e-9)
    // A group of one has no spread to test against.
    #expect(LaunchBaseComparison.estimate(outcome: [1, 2, 3], covariates: [[0, 0, 0]], treated: [true, true, false], alpha: 0.05) == nil)
  }

  @Test func aCovariateWithoutSpreadLeavesThePlainDifference() throws {
    let c = try #require(
      LaunchBaseComparison.estimate(outcome: [3, 5, 1, 2], covariates: [[2, 2, 2, 2]], treated: [true, true, false, false], alpha: 0.05))
    #expect(c.slopes == [0] && c.effect.value == 2.5)
  }

  @Test func twoCovariatesMatchLeastSquares() throws {
    // Expected values from numpy: lstsq of the centred y on the centred [x1 x2], y' = y - Xc b,
    // the difference of the groups' means of y', se from their sample variances, p from math.erf.
    let y: [Double] = [1, 1, 0, 1, 0, 0]
    let x1: [Double] = [3, 1, 2, 0, 2, 1], x2 = [1, 0.5, 0.25, 1, 0.2, 0.5]
    let treated = [true, true, true, false, false, false]
    let c = try #require(LaunchBaseComparison.estimate(outcome: y, covariates: [x1, x2], treated: treated, alpha: 0.05))
    #expect(abs(c.slopes[0] - -0.02892561983471077) < 1e-12 && abs(c.slopes[1] - 1.2396694214876032) < 1e-12, "\(c.slopes)")
    #expect(abs(c.effect.value - 0.3415977961432508) < 1e-12)
    #expect(abs(c.standardError - 0.24144005706553862) < 1e-12)
    #expect(abs(c.pValue - 0.15711693659339643) < 1e-6)
    #expect(abs(c.relativeEffect - 0.3415977961432508 / 0.3292011019283747) < 1e-9)
    // A covariate that repeats another (twice x1) adds nothing: the slope stays x1's alone.
    let alone = try #require(LaunchBaseComparison.estimate(outcome: y, covariates: [x1], treated: treated, alpha: 0.05))
    let twice = try #require(LaunchBaseComparison.estimate(outcome: y, covariates: [x1, x1.map { 2 * $0 }], treated: treated, alpha: 0.05))
    #expect(abs(twice.slopes[0] - alone.slopes[0]) < 1e-12 && twice.slopes[1] == 0 && abs(twice.effect.value - alone.effect.value) < 1e-12)
  }

  @Test func launchBaseCountsBuyingPeriodsByHand() throws {
    // Launch 2025-01, before 2024-01 .. 2024-12, after 2025-01 .. 2025-12 (later half 2025-07 .. 12).
    // A bought in 2024-01 and twice in 2024-03 (one period): before 2; last purchase 2024-03, 9
    // quiet months to the launch: recency 1/10; then 2025-02 (first half) and 2025-12 (later): 1.
    // B first bought after the launch: not in the base. D bought in 2023-06 only: before 0, 18
    // quiet months: recency 1/19, after 0. E bought in 2024-12 and 2025-06 (first half): recency 1, after 0.
    func r(_ id: String, _ y: Int, _ m: Int, _ d: Int = 5) -> TransactionRecord { TransactionRecord(id, CalendarDay(year: y, month: m, day: d)!, 10) }
    let table = TransactionTable(records: [
      r("A", 2024, 1), r("A", 2024, 3), r("A", 2024, 3, 20), r("A", 2025, 2), r("B", 2025, 3), r("D", 2023, 6), r("A", 2025, 12, 31),
      r("E", 2024, 12, 31), r("E", 2025, 6, 30),
    ])
    let period = PeriodKind.month
    let space = StateSpace(kind: .lifecycle, period: period, rules: .defaults(for: period))
    let launch = period.index(of: day("2025-01-01"))
    let base = LaunchBase.collect(table, space: space, before: (launch - 12)..<launch, after: launch..<(launch + 12))
    let ids = base.customers.map { table.customerIDs[$0] }
    #expect(ids.sorted() == ["A", "D", "E"])
    let a = try #require(ids.firstIndex(of: "A")), d = try #require(ids.firstIndex(of: "D")), e = try #require(ids.firstIndex(of: "E"))
    #expect(base.before[a] == 2 && base.recency[a] == 1.0 / 10 && base.after[a] == 1, "2025-12 is in the later half")
    #expect(base.before[d] == 0 && base.recency[d] == 1.0 / 19 && base.after[d] == 0)
    #expect(base.before[e] == 1 && base.recency[e] == 1 && base.after[e] == 0, "2025-06 is in the first half")
    #expect(LaunchBase.laterHalf(of: 12..<24) == 18..<24 && LaunchBase.laterHalf(of: 0..<5) == 2..<5 && LaunchBase.laterHalf(of: 3..<4) == 3..<4)
  }

  @Test func fallbackProcedureSpendsAlphaAsStated() {
    // Primary at 0.8 x 5% = 4%; the rest at 5% when it is flagged, at 1% when not.
    let hit = ControlledEvaluation.fallbackTest(primaryP: 0.03, others: [0.02, 0.5], alpha: 0.05)
    #expect(hit.primaryFlagged && abs(hit.primaryLevel - 0.04) < 1e-12 && abs(hit.secondaryLevel - 0.05) < 1e-12)
    // BH of [0.02, 0.5]: 0.04 and 0.5; 0.04 < 5% is flagged.
    #expect(abs(hit.adjusted[0] - 0.04) < 1e-12)
    let miss = ControlledEvaluation.fallbackTest(primaryP: 0.045, others: [0.02, 0.5], alpha: 0.05)
    #expect(!miss.primaryFlagged && abs(miss.secondaryLevel - 0.01) < 1e-12)
    #expect(!ControlledEvaluation.fallbackTest(primaryP: nil, others: [], alpha: 0.05).primaryFlagged)
    // The levels in words, exact at any alpha: 0.8 x 1% is 0.8%, not "1%".
    let words = ControlledEvaluation.procedure(alpha: 0.01)
    #expect(words.contains(" at 0.8%; ") && words.contains("at 1% if the primary is flagged, at 0.2% if not"), "\(words)")
    #expect(Format.level(0.05) == "5%" && Format.level(0.992) == "99.2%" && Format.level(0.0125) == "1.25%" && Format.level(1.0 / 3) == "33.33%")
  }

  @Test func plantedDropoutCutIsFlaggedByThePrimaryAndANullIsNot() throws {
    var o = EvaluationOptions(launch: day("2025-01-01"))
    o.bootstrap = 100
    o.fit.stateSpace = .lifecycle
    for (seed, churn) in [(UInt64(31), -0.5), (32, 0)] {
      let h = try ControlledEvaluationTests.history(customers: 5_000, seed: seed, churn: churn)
      let table = TransactionTable(history: h)
      let groups = try RolloutGroup.fromControlList(h.controlIDs(), source: "c", table: table)
      let e = try ControlledEvaluation.run(table, groups: groups, options: o)
      let p = try #require(e.primary, "seed \(seed)")
      // Control customers with a purchase by the after window's end (2025-12-31), counted from
      // the groups directly: the launch base and the entrants after the launch.
      let end = day("2025-12-31").dayNumber
      let controlTested = (0..<table.customerCount).filter { c in
        groups[c] == .control && table.rows(of: c).contains { table.event[$0] == .purchase && table.day[$0] <= end }
      }
      #expect(p.controlCustomers == controlTested.count, "seed \(seed)")
      if churn < 0 {
        // Fewer dormant spells: the treated's scores are lower, and the rate they mean is cut.
        let rate = try #require(p.rateChange)
        #expect(e.primaryFlagged && p.effect.value < 0 && rate.high < 0, "seed \(seed): \(p)")
        #expect(e.verdict.contains(LaunchBaseComparison.measureName))
      } else {
        #expect(!e.primaryFlagged, "seed \(seed): \(p)")
      }
    }
  }
}

@Suite("Holdout test design on the data (the primary test)")
struct RolloutDesignOnDataTests {
  @Test func buyingChangeOfOnePeriodIsTheMatrixDifference() throws {
    // Over one period, delta(i) = sum over purchasing k of (P'[i, k] - P[i, k]): the definition,
    // read off the two matrices.
    let h = try ControlledEvaluationTests.history(customers: 2_000, seed: 5, churn: 0)
    let model = try ModelFitter.fit(TransactionTable(history: h), options: FitOptions())
    let pulled = try RolloutDesign.leverMatrix(model: model, lever: .churn, effect: -0.3)
    let buying = model.stateSpace.states.indices.filter { model.stateSpace.states[$0].stage.isPurchasing }
    let delta = try RolloutDesign.expectedBuyingChange(model: model, lever: .churn, effect: -0.3, horizon: 1)
    for i in delta.indices {
      let expected = buying.reduce(0.0) { $0 + pulled[i, $1] - model.matrix[i, $1] }
      #expect(abs(delta[i] - expected) < 1e-12, "state \(model.stateSpace.states[i].name)")
    }
    // Less churn means more buying, from every state that can still buy.
    let year = try RolloutDesign.expectedBuyingChange(model: model, lever: .churn, effect: -0.3, horizon: 12)
    #expect(year.allSatisfy { $0 >= -1e-12 } && year.contains { $0 > 0.01 })
  }

  @Test func strongEffectHasPowerAndNoEffectIsRarelyFlagged() throws {
    let h = try ControlledEvaluationTests.history(customers: 4_000, seed: 8, churn: 0)
    let table = TransactionTable(history: h).truncated(through: day("2024-12-31"))
    let model = try ModelFitter.fit(table, options: FitOptions())
    var o = RolloutDesignOptions()
    o.measure = LaunchBaseComparison.measureName
    o.effect = -0.6
    o.controlShare = 0.3
    o.replicates = 150
    // Few resamples: they only set each simulated evaluation's standard errors (debug builds are slow).
    o.bootstrap = 50
    let d = try RolloutDesign.runOnData(table, model: model, options: o)
    #expect(d.method == "data" && d.beforeWindow == "2024-01 .. 2024-12" && d.afterWindow == "2025-01 .. 2025-12")
    // A cut of dropout lowers the treated's dormancy scores.
    #expect(d.power > 0.8 && d.expectedChange < 0, "\(d.power) \(d.expectedChange)")
    // Without an effect the verdict flags at most at alpha, 5%: 150 replicates give at most about 10%.
    #expect(try #require(d.falseFlagRate) < 0.1)
    o.effect = -0.01
    let weak = try RolloutDesign.runOnData(table, model: model, options: o)
    #expect(weak.power < 0.3 && weak.minimumDetectableEffect! > 0.01)
  }

  @Test func shortDataIsNamed() throws {
    let h = try ControlledEvaluationTests.history(customers: 500, seed: 9, churn: 0)
    // Two complete months: the before window needs 3, whatever the horizon (the model, which
    // needs 2 complete months of its own, comes from a longer stretch: only its states are read).
    let table = TransactionTable(history: h).truncated(through: day("2023-02-28"))
    let model = try ModelFitter.fit(TransactionTable(history: h).truncated(through: day("2023-10-31")), options: FitOptions())
    var o = RolloutDesignOptions()
    o.horizonPeriods = 12
    do {
      _ = try RolloutDesign.runOnData(table, model: model, options: o)
      Issue.record("no error")
    } catch {
      #expect("\(error)".hasSuffix("complete months before the launch; the design of dormancy_rate needs at least 3 and at least 20 customers who bought before the launch; give more history"), "\(error)")
    }
  }
}

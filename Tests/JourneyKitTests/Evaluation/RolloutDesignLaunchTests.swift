import Foundation
import Testing

@testable import JourneyKit

@Suite("Holdout test design on the data: the launch as the evaluation sees it")
struct RolloutDesignLaunchTests {
  /// A history of `customers` people over 2023-2025 with a launch on 2025-01-01 and a control group.
  func history(customers: Int, seed: UInt64, acquisitionMonths: Int, churn: Double = 0, control: Double = 0.3) throws -> SyntheticHistory {
    var g = GeneratorParameters()
    g.customers = customers
    g.seed = seed
    g.leadShare = 0
    g.refundRate = 0
    g.acquisitionMonths = acquisitionMonths
    g.launch = day("2025-01-01")
    g.launchChurn = churn
    g.controlShare = control
    return try SyntheticHistoryGenerator.generate(g)
  }

  @Test func simulatedFuturesFollowTheOutlookAndTheChangeOnlyAddsBuying() throws {
    // The two worlds share every candidate event: with fewer dormancy events the changed world is
    // active whenever the plain one is, so it never buys less in any period; without a change
    // they are the same. Each world alone is the model's process, so the share of customers
    // buying in a month is the outlook's expected share, within sampling error (sd of a sum of
    // Bernoullis, sqrt(sum p (1 - p)), over about 2,000 customers: under 22 customers a month).
    let table = TransactionTable(history: try history(customers: 3_000, seed: 37, acquisitionMonths: 0))
    let through = day("2024-12-31")
    let histories = PurchaseHistories(table.truncated(through: through), through: through)
    let model = try #require(ActivityModel.fitWithSeasons(histories))
    let jan25 = PeriodKind.month.index(of: day("2025-01-01"))
    let days = (0..<12).map { k in (from: PeriodKind.month.start(of: jan25 + k).dayNumber, to: PeriodKind.month.end(of: jan25 + k).dayNumber + 1) }
    let cut = model.simulate(histories, days: days, dormancyChange: -0.5, seed: 3)
    let same = model.simulate(histories, days: days, dormancyChange: 0, seed: 3)
    #expect(same.plain == same.changed)
    #expect(cut.plain == same.plain, "the plain world does not depend on the change")
    var gained = 0
    for c in cut.plain.indices {
      #expect(cut.plain[c].count == cut.changed[c].count)
      for t in cut.plain[c].indices {
        #expect(cut.changed[c][t] >= cut.plain[c][t])
        gained += cut.changed[c][t] - cut.plain[c][t]
      }
    }
    #expect(gained > 100, "\(gained)")
    let outlook = model.outlook(histories, days: days)
    for t in [0, 5, 11] {
      var expected = 0.0, variance = 0.0, drawn = 0
      for c in 0..<histories.customerCount where outlook.hasHistory[c] {
        let p = outlook.buying[c][t]
        expected += p
        variance += p * (1 - p)
        drawn += cut.plain[c][t] > 0 ? 1 : 0
      }
      #expect(abs(Double(drawn) - expected) < 4 * variance.squareRoot(), "month \(t): \(drawn) drawn, \(expected) expected")
    }
  }

  @Test func standardErrorIsTheLaunchsWhenTheFirstYearIsStillBeingAcquired() throws {
    // A cohort acquired over the whole first year of 24 months before the launch. The primary
    // test at the launch compares the customers' dormancy scores over 2025 under the activity
    // model fitted before it, adjusted for their 2024. The design must give the standard error
    // that test will have (its futures drawn from the same model).
    //
    // The bound: the launch's standard error is one draw. se^2 = v_T / n_T + v_C / n_C, each
    // group's variance of the adjusted outcome y' with sampling variance (m4 - v^2) / n (m4 the
    // fourth central moment), so sd(se) = sqrt(sum (m4 - v^2) / n^3) / (2 se); the design's own
    // spread (its mean over 30 replicates) is smaller. The design must be within 4 of those sds
    // plus 3% for the activity model's fit.
    let h = try history(customers: 6_000, seed: 41, acquisitionMonths: 12)
    let full = TransactionTable(history: h)
    let groups = try RolloutGroup.fromControlList(h.controlIDs(), source: "control.txt", table: full)
    let before = full.truncated(through: day("2024-12-31"))
    let model = try ModelFitter.fit(before, options: FitOptions())
    let space = model.stateSpace
    let jan24 = PeriodKind.month.index(of: day("2024-01-01")), jan25 = jan24 + 12
    let launch = day("2025-01-01")
    let activity = try #require(DormancyOutcomes.model(full, launch: launch))
    let outcomes = DormancyOutcomes.collect(full, space: space, before: jan24..<jan25, after: jan25..<(jan25 + 12), launch: launch, model: activity)
    let treated = outcomes.customers.map { groups[$0] == .treated }
    let y = outcomes.scores.map(\.score)
    let truth = try #require(LaunchBaseComparison.estimate(outcome: y, covariates: outcomes.covariates, treated: treated, alpha: 0.05))
    let fit = AdjustedOutcome(outcome: y, covariates: outcomes.covariates)
    var spread = 0.0
    for g in [true, false] {
      let adjusted = outcomes.customers.indices.filter { treated[$0] == g }.map { fit.adjusted($0) }
      let n = Double(adjusted.count), mean = adjusted.reduce(0, +) / n
      let v = adjusted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
      let m4 = adjusted.reduce(0) { $0 + pow($1 - mean, 4) } / n
      spread += (m4 - v * v) / (n * n * n)
    }
    let relativeSD = spread.squareRoot() / (2 * truth.standardError * truth.standardError)
    let bound = 4 * relativeSD + 0.03

    var o = RolloutDesignOptions()
    o.measure = LaunchBaseComparison.measureName
    o.lever = .dropout
    o.effect = -0.2
    o.controlShare = 0.3
    o.replicates = 30
    o.bootstrap = 20
    let d = try RolloutDesign.runOnData(before, model: model, options: o)
    #expect(d.method == "data" && d.beforeWindow == "2024-01 .. 2024-12" && d.afterWindow == "2025-01 .. 2025-12")
    #expect(d.customers == LaunchBase.collect(full, space: space, before: jan24..<jan25, after: jan25..<(jan25 + 12)).customers.count)
    let ratio = d.standardError / truth.standardError
    #expect(abs(ratio - 1) < bound, "design se \(d.standardError), at the launch \(truth.standardError), bound \(bound)")
  }
}

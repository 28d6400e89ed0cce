import Foundation
import Testing

@testable import JourneyKit

@Suite("Holdout test design on the data: the whole verdict")
struct RolloutDesignVerdictTests {
  func r(_ id: String, _ y: Int, _ m: Int, _ d: Int = 5, _ amount: Double = 10, _ event: TransactionEvent = .purchase) -> TransactionRecord {
    TransactionRecord(id, CalendarDay(year: y, month: m, day: d)!, amount, event)
  }

  /// Periods (months) with a purchase of customer `id` in `table`.
  func buyingMonths(_ table: TransactionTable, _ id: String) -> Set<Int> {
    let c = table.customerIDs.firstIndex(of: id)!
    return Set(table.rows(of: c).filter { table.event[$0] == .purchase }.map { PeriodKind.month.index(of: CalendarDay(dayNumber: table.day[$0])) })
  }

  @Test func buyingChangeByHandWhereChancesAreCertain() throws {
    // A bought in 2024-01 and 2024-03 (quiet in 2024-02); B bought in 2024-01 and 2024-02 and has a
    // lead row in 2024-02; C is left alone (no chances).
    let table = TransactionTable(records: [
      r("A", 2024, 1), r("A", 2024, 3, 9, 30), r("B", 2024, 1, 5, 20), r("B", 2024, 2, 3, 0, .lead), r("B", 2024, 2, 7, 40), r("C", 2024, 2),
    ])
    let jan = PeriodKind.month.index(of: CalendarDay(year: 2024, month: 1, day: 1)!)
    let ids = table.customerIDs
    // From 2024-02 on, two months: A from 0 to 1 (a quiet month gains a purchase with chance
    // (1 - 0) / (1 - 0) = 1; a month with one has nothing to gain); B from 1 to 0 (a month with a
    // purchase loses it with chance (1 - 0) / 1 = 1).
    let plain = ids.map { $0 == "A" ? [0.0, 0.0] : $0 == "B" ? [1.0, 1.0] : [] }
    let changed = ids.map { $0 == "A" ? [1.0, 1.0] : $0 == "B" ? [0.0, 0.0] : [] }
    var rng = RandomSource(seed: 3)
    let out = table.withBuyingChanged(period: .month, from: jan + 1, plain: plain, changed: changed, rng: &rng)
    #expect(buyingMonths(out, "A") == [jan, jan + 1, jan + 2])
    #expect(buyingMonths(out, "B") == [jan])
    #expect(buyingMonths(out, "C") == buyingMonths(table, "C"))
    // A's added purchase: in 2024-02, with A's mean purchase amount (10 + 30) / 2 = 20, and A's rows in day order.
    let a = ids.firstIndex(of: "A")!
    let added = out.rows(of: a).filter { PeriodKind.month.index(of: CalendarDay(dayNumber: out.day[$0])) == jan + 1 }
    #expect(added.count == 1 && out.amount[added[0]] == 20)
    #expect(out.rows(of: a).map { out.day[$0] } == out.rows(of: a).map { out.day[$0] }.sorted())
    // B's lead row stays; its purchase in 2024-02 is gone.
    let b = ids.firstIndex(of: "B")!
    #expect(out.rows(of: b).map { out.event[$0] } == [.purchase, .lead])
  }

  @Test func buyingChangeRaisesTheChanceToTheChangedOne() throws {
    // 4,000 customers who bought in 2024-01 only; from 2024-02, chance 0.2 without and 0.4 with
    // the change. A quiet month gains a purchase with chance (0.4 - 0.2) / (1 - 0.2) = 0.25, so
    // each of the 2 months has a purchase in a quarter of the customers: 2,000 added, sd about
    // sqrt(8,000 x 0.25 x 0.75) = 39.
    let n = 4_000
    let table = TransactionTable(records: (0..<n).map { r("C\($0)", 2024, 1) })
    let jan = PeriodKind.month.index(of: CalendarDay(year: 2024, month: 1, day: 1)!)
    var rng = RandomSource(seed: 4)
    let out = table.withBuyingChanged(
      period: .month, from: jan + 1, plain: Array(repeating: [0.2, 0.2], count: n), changed: Array(repeating: [0.4, 0.4], count: n), rng: &rng)
    #expect(abs(out.rowCount - n - 2_000) < 200, "\(out.rowCount - n) added")
  }

  @Test func perCustomerTallyAddsUpToTheBucketedOne() throws {
    // The design regroups customers from their own tallies; summed over customers they must give
    // the evaluation's totals, term by term and move by move.
    let h = try ControlledEvaluationTests.history(customers: 1_500, seed: 21, churn: 0)
    let table = TransactionTable(history: h).truncated(through: day("2024-12-31"))
    let space = try ModelFitter.fit(table, options: FitOptions()).stateSpace
    let jan24 = PeriodKind.month.index(of: day("2024-01-01"))
    let windows = [(jan24 - 12)..<jan24, jan24..<(jan24 + 12)]
    let bucketed = WindowTally.tally(table, space: space, lastPeriod: jan24 + 11, windows: windows, countingMoves: true)
    let own = WindowTally.tally(table, space: space, lastPeriod: jan24 + 11, windows: windows, countingMoves: true, perCustomer: true)
    #expect(own.bucketCount == table.customerCount)
    for w in 0..<2 {
      #expect(zip(own.totals(window: w), bucketed.totals(window: w)).allSatisfy { abs($0 - $1) < 1e-6 }, "window \(w)")
      #expect(own.moveTotals(window: w) == bucketed.moveTotals(window: w), "window \(w)")
    }
    // Bucket c holds customer c alone: the tally of a table of that customer only.
    for c in [0, 7, table.customerCount - 1] {
      let rows = table.rows(of: c)
      let alone = TransactionTable(
        customerIDs: [table.customerIDs[c]], day: Array(table.day[rows]), amount: Array(table.amount[rows]),
        event: Array(table.event[rows]), rowStart: [0, rows.count])
      let single = WindowTally.tally(alone, space: space, lastPeriod: jan24 + 11, windows: windows, countingMoves: true)
      var onlyC = [Double](repeating: 0, count: own.bucketCount)
      onlyC[c] = 1
      for w in 0..<2 {
        #expect(own.totals(window: w, weights: onlyC) == single.totals(window: w), "customer \(c), window \(w)")
        #expect(own.moveTotals(window: w, weights: onlyC) == single.moveTotals(window: w), "customer \(c), window \(w)")
      }
    }
  }

  @Test func aChangeToLeadsAloneIsFound() throws {
    // Every lead still quiet after the placebo launch buys in every month of the change: lead
    // conversion among the treated jumps, and the converted leads keep buying (their dormancy
    // scores fall), so the verdict names a measure in most replicates. Without the change the
    // same replicates keep to the verdict's level.
    var g = GeneratorParameters()
    g.customers = 3_000
    g.seed = 23
    g.refundRate = 0
    g.leadShare = 0.5
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g)).truncated(through: day("2024-12-31"))
    let space = try ModelFitter.fit(table, options: FitOptions()).stateSpace
    let placebo = PeriodKind.month.index(of: day("2024-01-01"))
    let states = RolloutDesign.statesAt(table, space: space, period: placebo - 1)
    let isLead = states.map { $0 >= 0 && space.states[$0].stage == .lead }
    #expect(isLead.filter { $0 }.count > 100)
    let plain = isLead.map { $0 ? [Double](repeating: 0.1, count: 12) : [] }
    let changed = isLead.map { $0 ? [Double](repeating: 1, count: 12) : [] }
    var rng = RandomSource(seed: 5)
    let changedTable = table.withBuyingChanged(period: .month, from: placebo, plain: plain, changed: changed, rng: &rng)
    let launch = day("2024-01-01")
    let model = try #require(DormancyOutcomes.model(table, launch: launch))
    let simulation = VerdictSimulation(
      plainTable: table, changedTable: changedTable, space: space, before: (placebo - 12)..<placebo, after: placebo..<(placebo + 12),
      launch: launch, model: model, alpha: 0.05, bootstrap: 50)
    let outcomes = (0..<40).map {
      simulation.replicate($0, baseDraws: simulation.baseCount, otherDraws: table.customerCount - simulation.baseCount, controlShare: 0.3, seed: 1)
    }
    let verdict = Double(outcomes.filter(\.effectFound).count) / 40
    let falseVerdict = Double(outcomes.filter(\.nullFound).count) / 40
    #expect(verdict > 0.8, "verdict \(verdict)")
    // 40 replicates at 5%: 2 expected, 6 or more has chance under 2%.
    #expect(falseVerdict < 0.15, "false verdict \(falseVerdict)")
  }

  @Test func noEffectGivesPowerAtTheVerdictsLevel() throws {
    // Nothing changes: the treated histories are the data's, so the power is the share of
    // replicates with a false verdict, which the fallback keeps at most alpha = 5% (200
    // replicates at 5%: sd 2.2 points, so at most 12%), and the same replicates without a change
    // give it exactly.
    let h = try ControlledEvaluationTests.history(customers: 2_000, seed: 27, churn: 0)
    let table = TransactionTable(history: h).truncated(through: day("2024-12-31"))
    let model = try ModelFitter.fit(table, options: FitOptions())
    var o = RolloutDesignOptions()
    o.measure = LaunchBaseComparison.measureName
    o.lever = .dropout
    o.effect = 0
    o.controlShare = 0.3
    o.replicates = 100
    o.bootstrap = 50
    let d = try RolloutDesign.runOnData(table, model: model, options: o)
    #expect(d.power <= 0.12, "\(d.power)")
    #expect(d.power == d.falseFlagRate)
    #expect(abs(d.expectedChange) < 1e-12)
    #expect(d.powerByShare.allSatisfy { $0.power <= 0.12 }, "\(d.powerByShare.map(\.power))")
  }

  @Test func verdictPowerIsAtLeastThePrimaryTestsAndGrowsWithTheEffect() throws {
    // The verdict flags whenever the primary test does, so its power is never below the primary's;
    // a larger cut of dropout gives more power.
    let h = try ControlledEvaluationTests.history(customers: 3_000, seed: 29, churn: 0)
    let table = TransactionTable(history: h).truncated(through: day("2024-12-31"))
    let model = try ModelFitter.fit(table, options: FitOptions())
    var o = RolloutDesignOptions()
    o.measure = LaunchBaseComparison.measureName
    o.lever = .dropout
    o.controlShare = 0.5
    o.replicates = 60
    o.bootstrap = 50
    o.effect = -0.9
    let strong = try RolloutDesign.runOnData(table, model: model, options: o)
    o.effect = -0.2
    let weak = try RolloutDesign.runOnData(table, model: model, options: o)
    for d in [strong, weak] { #expect(d.power >= d.primaryPower!, "\(d.power) \(d.primaryPower!)") }
    #expect(strong.power > weak.power + 0.2, "\(strong.power) \(weak.power)")
    // A cut of dropout lowers the treated's dormancy scores, a larger cut more.
    #expect(strong.expectedChange < weak.expectedChange && weak.expectedChange < 0)
    // Drawn customers: every customer of the data (the launch base, and those who never bought),
    // and again those who first appeared in the last 12 months, standing in for the entrants
    // after the launch.
    let jan24 = PeriodKind.month.index(of: day("2024-01-01"))
    let recent = (0..<table.customerCount).filter { c in
      table.rows(of: c).first.map { PeriodKind.month.index(of: CalendarDay(dayNumber: table.day[$0])) >= jan24 } ?? false
    }.count
    #expect(recent > 100)
    #expect(strong.simulatedCustomers == table.customerCount + recent)
    #expect(strong.customers == LaunchBase.collect(table, space: model.stateSpace, before: jan24..<(jan24 + 12), after: (jan24 + 12)..<(jan24 + 13)).customers.count)
  }
}

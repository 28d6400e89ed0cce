import Foundation
import Testing
@testable import JourneyKit

/// The activity model's count of churn events (`ChurnRule`, `ChurnCount`), against paths of the
/// model's own process with the churn rule applied to them by its definition.
@Suite("Churn count")
struct ChurnCountTests {
  /// Customers with a purchase on these days of the 12 months before the origin (2024-01 .. 2024-12).
  static let purchaseMonths: [[(month: Int, day: Int)]] = [
    [(1, 5), (2, 10), (3, 3)],  // quiet since March: churns in the first holdout months or buys
    [(4, 20), (9, 1)],
    [(2, 2), (6, 14), (11, 30)],
    [(12, 28)],  // first and last purchase in the origin month
  ]

  /// Churn after `quiet` periods, by its definition on purchase periods (`lifecycleIndex`: quiet
  /// for more than `quiet` periods since the last purchase): per step after the origin, whether
  /// the customer churned in it.
  static func churnSteps(buyingPeriods: [Int], origin: Int, steps: Int, quiet: Int) -> [Int] {
    var out: [Int] = []
    for (i, p) in buyingPeriods.enumerated() {
      let churn = p + quiet + 1
      let next = i + 1 < buyingPeriods.count ? buyingPeriods[i + 1] : Int.max
      if churn < next && churn > origin && churn <= origin + steps { out.append(churn - origin - 1) }
    }
    return out
  }

  /// A defect in the spans, the step a customer's churn falls in, or the later churns' difference
  /// (a purchase after the origin, then quiet) makes the means differ; a wrong variance makes the
  /// spread of the simulated counts differ.
  @Test(arguments: [2, 4])
  func churnCountMatchesPathsOfTheProcess(quiet: Int) {
    let period = PeriodKind.month
    let origin = period.index(of: CalendarDay(year: 2024, month: 12, day: 1)!)
    let steps = 9
    let days = Self.purchaseMonths.map { list in list.map { CalendarDay(year: 2024, month: $0.month, day: $0.day)!.dayNumber } }
    let through = period.end(of: origin).dayNumber
    let h = PurchaseHistories(purchaseDays: days, through: CalendarDay(dayNumber: through))
    let lambda = 0.05, mu = 0.02, omega = 0.004
    let model = ActivityModelTests.singlePoint(lambda: lambda, mu: mu, omega: omega, through: through)
    let rule = ChurnRule(period: period, origin: origin, steps: steps, quietPeriods: quiet)
    let months = (1...steps).map { (from: period.start(of: origin + $0).dayNumber, to: period.end(of: origin + $0).dayNumber + 1) }
    let outlook = model.outlook(h, days: months, churn: rule)
    let count = try! #require(outlook.churned)

    // Paths: each customer starts active with the outlook's chance, then the two-state process.
    var rng = RandomSource(seed: 11)
    let paths = 100_000
    let next = Double(through + 1), end = Double(period.end(of: origin + steps).dayNumber + 1)
    var sums = [Double](repeating: 0, count: steps), squares = sums
    var churnedAtEnd = [Double](repeating: 0, count: days.count)
    for _ in 0..<paths {
      var counts = [Double](repeating: 0, count: steps)
      for (c, list) in days.enumerated() {
        var periods = [period.index(of: CalendarDay(dayNumber: list.last!))]
        var active = rng.uniform() < outlook.activeProbability[c]
        var t = next
        while true {
          let rate = active ? lambda + mu : omega
          t += rng.exponential() / rate
          if t >= end { break }
          if !active {
            // Waking is the model's return to buying, not a purchase.
            active = true
          } else if rng.uniform() < lambda / (lambda + mu) {
            let p = period.index(of: CalendarDay(dayNumber: Int32(t)))
            if p != periods.last { periods.append(p) }
          } else {
            active = false
          }
        }
        for s in Self.churnSteps(buyingPeriods: periods, origin: origin, steps: steps, quiet: quiet) { counts[s] += 1 }
        // Churned at the end: the last purchase more than `quiet` periods before the last step.
        if periods.last! < origin + steps - quiet { churnedAtEnd[c] += 1 }
      }
      for s in 0..<steps {
        sums[s] += counts[s]
        squares[s] += counts[s] * counts[s]
      }
    }
    var later = false
    for s in 0..<steps {
      let mean = sums[s] / Double(paths), variance = squares[s] / Double(paths) - mean * mean
      let se = (variance / Double(paths)).squareRoot()
      #expect(abs(count.expected[s] - mean) < 4 * se + 1e-9, "step \(s + 1): \(count.expected[s]) against \(mean) from paths")
      #expect(abs(count.variance[s] - variance) < 0.03 * max(variance, 0.01), "step \(s + 1): variance \(count.variance[s]) against \(variance)")
      later = later || s + 1 > quiet + 1 && mean > 0.01
    }
    // The later churns (after a purchase in the holdout) are exercised.
    #expect(later)
    let atEnd = try! #require(outlook.churnedAtEnd)
    for c in days.indices {
      let share = churnedAtEnd[c] / Double(paths)
      let se = (share * (1 - share) / Double(paths)).squareRoot()
      #expect(abs(atEnd[c] - share) < 4 * se + 1e-9, "customer \(c): churned at the end \(atEnd[c]) against \(share) from paths")
    }
    // Counting only the chance at the end gives the same chances.
    let alone = model.outlook(h, days: months, churn: ChurnRule(period: period, origin: origin, steps: steps, quietPeriods: quiet, countsEvents: false))
    #expect(alone.churnedAtEnd == atEnd)
  }

  /// Worked by hand: one customer, quiet since a month `quiet` months before the origin's, churns
  /// in the first month after the origin exactly when it buys nothing in it; its chance of
  /// buying, 1 - q, moves its churn by -(1 - q) per unit, relative (1 - q) / q.
  @Test func sensitivityOfASettledChurnIsItsChanceOfBuyingOverItsChanceOfChurning() {
    let period = PeriodKind.month
    let origin = period.index(of: CalendarDay(year: 2024, month: 12, day: 1)!)
    let through = period.end(of: origin).dayNumber
    let last = period.start(of: origin - 2).dayNumber + 9
    let h = PurchaseHistories(purchaseDays: [[last - 40, last]], through: CalendarDay(dayNumber: through))
    let model = ActivityModelTests.singlePoint(lambda: 0.05, mu: 0.02, omega: 0, through: through)
    let rule = ChurnRule(period: period, origin: origin, steps: 3, quietPeriods: 2)
    let january = (from: period.start(of: origin + 1).dayNumber, to: period.end(of: origin + 1).dayNumber + 1)
    let outlook = model.outlook(h, days: [january], churn: rule)
    let count = try! #require(outlook.churned)
    // Pareto/NBD: P(no purchase in s days) = 1 - v + v (e^-(l+m)s + m/(l+m) (1 - e^-(l+m)s)).
    let v = outlook.activeProbability[0], s = 31.0, e = Foundation.exp(-0.07 * s)
    let q = 1 - v + v * (e + 0.02 / 0.07 * (1 - e))
    #expect(abs(count.expected[0] - q) < 1e-9)
    #expect(count.expected[1] == 0 && count.expected[2] == 0)
    #expect(abs(count.variance[0] - q * (1 - q)) < 1e-9)
    #expect(abs(count.buyingSensitivity(0) - (1 - q) / q) < 1e-9)
  }
}

extension ChurnCountTests {
  /// The rule the count and the paths above apply is the state machine's: on a generated history
  /// without leads (whose churn is the chain's), the churn events `backtest` tallies from the
  /// lifecycle states are, step by step, those the rule finds in the purchase days.
  @Test func ruleIsTheLifecycleStatesChurn() throws {
    var g = GeneratorParameters()
    g.customers = 3_000
    g.months = 24
    g.leadShare = 0
    g.seed = 5
    let table = try TransactionTable(history: SyntheticHistoryGenerator.generate(g))
    let period = PeriodKind.month
    var o = BacktestOptions(calibrationEnd: CalendarDay(year: 2024, month: 3, day: 31)!)
    o.holdoutPeriods = 9
    o.perCustomer = false
    o.replicates = 0
    o.fit.stateSpace = .lifecycle
    let b = try Backtest.run(table, options: o)
    let origin = period.index(of: CalendarDay(year: 2024, month: 3, day: 1)!)
    let quiet = LifecycleRules.defaults(for: period).churnAfterPeriods
    let h = PurchaseHistories(table, through: period.end(of: origin + 9))
    var byRule = [Double](repeating: 0, count: 9)
    for days in h.purchaseDays where !days.isEmpty {
      var periods: [Int] = []
      for d in days where periods.last != period.index(of: CalendarDay(dayNumber: d)) { periods.append(period.index(of: CalendarDay(dayNumber: d))) }
      for s in Self.churnSteps(buyingPeriods: periods, origin: origin, steps: 9, quiet: quiet) { byRule[s] += 1 }
    }
    #expect(b.holdout.periods.map(\.actual.churned) == byRule)
    #expect(byRule.reduce(0, +) > 100)
  }
}

extension ChurnCountTests {
  /// `score`'s churn column for a customer who has bought is its own chance of being churned at
  /// the end of the horizon: exactly 0 for one whose last purchase is too recent to be churned by
  /// then (the rule's window ends with the horizon, not the origin), above 0 for one quiet long
  /// enough; leads keep their state's. A column still reading the state's, or a horizon counted
  /// from the wrong period, fails.
  @Test func scoreWritesEachBuyersOwnChanceOfBeingChurnedAtTheEnd() throws {
    let (table, model) = try ScoredBase.fitted()
    let horizon = 3
    let scores = try CustomerScores(table: table, model: model, horizon: horizon)
    let period = PeriodKind.month
    let origin = model.window.lastPeriod
    let quiet = model.stateSpace.rules.churnAfterPeriods
    let h = PurchaseHistories(table, through: period.end(of: origin))
    let rows = String(decoding: scores.csvBytes(), as: UTF8.self).split(separator: "\n").dropFirst()
      .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    var row = 0, tooRecent = 0, quietLong = 0, leads = 0
    for c in scores.states.indices where scores.states[c] >= 0 {
      defer { row += 1 }
      let written = try #require(Double(rows[row][2]))
      guard let last = h.purchaseDays[c].last else {
        leads += 1
        #expect(written == (scores.outlook.churnWithinHorizon[Int(scores.states[c])] * 10_000).rounded() / 10_000)
        continue
      }
      if period.index(of: CalendarDay(dayNumber: last)) > origin + horizon - quiet - 1 {
        tooRecent += 1
        #expect(written == 0, "customer \(c): bought in the last \(quiet - horizon + 1) periods, yet \(written)")
      } else {
        quietLong += 1
        #expect(written > 0 && abs(written - scores.churnProbability(c)) < 5e-5)
      }
    }
    #expect(tooRecent > 100 && quietLong > 100 && leads > 10)
  }
}

extension ChurnCountTests {
  /// Custom rules define churned their own way (here after 2 quiet months, not the lifecycle's
  /// 6): the backtest keeps the chain's churn for them, with the chain's own error, instead of
  /// counting the lifecycle's churn against their tally.
  @Test func customStatesKeepTheirOwnChurn() throws {
    let rules = try CustomStateRules.load(yaml: """
      states:
        - name: prospect
          stage: lead
          when: {ever_purchased: false}
        - name: buyer
          stage: active
          when: {purchases: ">= 1"}
        - name: quiet
          stage: at_risk
          when: {recency: "<= 2"}
        - name: gone
          stage: churned
          when: always
      """, source: "quick.yaml")
    var g = GeneratorParameters()
    g.customers = 2_000
    g.months = 24
    g.seed = 4
    let table = try TransactionTable(history: SyntheticHistoryGenerator.generate(g))
    var o = BacktestOptions(calibrationEnd: CalendarDay(year: 2024, month: 6, day: 30)!)
    o.holdoutPeriods = 6
    o.replicates = 50
    o.fit.stateSpace = .custom(rules)
    let b = try Backtest.run(table, options: o)
    #expect(!b.notes.contains { $0.contains("churn events too") })
    #expect(b.notes.contains { $0.contains("the churned range adds") })
    o.fit.stateSpace = .lifecycle
    let lifecycle = try Backtest.run(table, options: o)
    #expect(lifecycle.notes.contains { $0.contains("churn events too") })
    #expect(!lifecycle.notes.contains { $0.contains("the churned range adds") })
  }
}

import Foundation
import Testing

@testable import JourneyKit

@Suite("Rollout evaluation against a control group")
struct ControlledEvaluationTests {
  static func history(customers: Int = 6_000, seed: UInt64 = 11, churn: Double = 0, control: Double = 0.3) throws -> SyntheticHistory {
    var g = GeneratorParameters()
    g.customers = customers
    g.seed = seed
    g.leadShare = 0
    g.refundRate = 0
    g.launch = day("2025-01-01")
    g.launchChurn = churn
    g.controlShare = control
    return try SyntheticHistoryGenerator.generate(g)
  }

  func options() -> EvaluationOptions {
    var o = EvaluationOptions(launch: day("2025-01-01"))
    o.bootstrap = 200
    o.fit.stateSpace = .lifecycle
    return o
  }

  @Test func benjaminiHochbergByHand() {
    // Sorted: 0.005 (rank 1), 0.01 (2), 0.03 (3), 0.04 (4); m p / rank = 0.02, 0.02, 0.04, 0.04;
    // running minimum from the largest rank down leaves them as they are.
    let adjusted = ControlledEvaluation.benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
    #expect(zip(adjusted, [0.02, 0.04, 0.04, 0.02]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(adjusted)")
    // A larger p-value earlier in rank order pulls smaller ranks down: 0.02 x 3 / 2 = 0.03 > 0.025 x 3 / 3.
    let pulled = ControlledEvaluation.benjaminiHochberg([0.02, 0.025, 0.001])
    #expect(zip(pulled, [0.025, 0.025, 0.003]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(pulled)")
  }

  /// Average order value per group and window straight from the rows (no leads, no refunds:
  /// revenue is the sum of amounts, one occasion per purchase row), against the evaluation.
  @Test func differenceInDifferencesMatchesTheRowsByHand() throws {
    let h = try Self.history()
    let table = TransactionTable(history: h)
    let groups = try RolloutGroup.fromControlList(h.controlIDs(), source: "control.txt", table: table)
    let e = try ControlledEvaluation.run(table, groups: groups, options: options())
    #expect(e.preWindow == "2024-01 .. 2024-12 (12)" && e.postWindow == "2025-01 .. 2025-12 (12)")
    #expect(e.controlCustomers == h.truth.effects.controlCustomers && e.treatedCustomers + e.controlCustomers == 6_000)
    var revenue = [[0.0, 0.0], [0.0, 0.0]], orders = [[0.0, 0.0], [0.0, 0.0]]
    let windows = [day("2024-01-01").dayNumber..<day("2025-01-01").dayNumber, day("2025-01-01").dayNumber..<day("2026-01-01").dayNumber]
    for c in 0..<table.customerCount {
      let g = groups[c] == .control ? 1 : 0
      for r in table.rows(of: c) {
        guard let w = windows.firstIndex(where: { $0.contains(table.day[r]) }) else { continue }
        revenue[g][w] += table.amount[r]
        orders[g][w] += 1
      }
    }
    let aov = (0..<2).map { g in (0..<2).map { w in revenue[g][w] / orders[g][w] } }
    let expected = (aov[0][1] - aov[0][0]) - (aov[1][1] - aov[1][0])
    let row = try #require(e.estimates.first { $0.measure == "average_order_value" })
    #expect(abs(row.effect.value - expected) < 1e-9 * max(1, abs(expected)), "\(row.effect.value) vs \(expected)")
    #expect(abs(row.treatedBefore - aov[0][0]) < 1e-9 && abs(row.controlAfter - aov[1][1]) < 1e-9)
    for x in e.estimates { #expect(x.effect.low <= x.effect.value + 1e-12 && x.effect.value <= x.effect.high + 1e-12, "\(x.measure)") }
  }

  /// The measures named by purchases read the purchases, whatever the state space: the lifecycle's
  /// stages say whether and when a customer bought, an RFM space's do not (its active stage is the
  /// top recency score, and it has no first-purchase stage: by stage, its repeat purchase rate read
  /// 100% and its lead conversion 0). The treated group's repeat purchase rate before the launch is
  /// also counted from the rows: customer-months with a purchase by a customer who bought in an
  /// earlier month, over customer-months with a purchase.
  @Test func purchaseMeasuresAreTheSameInEveryStateSpace() throws {
    var g = GeneratorParameters()
    g.customers = 4_000
    g.seed = 12
    g.refundRate = 0
    g.launch = day("2025-01-01")
    g.controlShare = 0.3
    let h = try SyntheticHistoryGenerator.generate(g)
    let table = TransactionTable(history: h)
    let groups = try RolloutGroup.fromControlList(h.controlIDs(), source: "c", table: table)
    func run(_ states: StateSpaceKind) throws -> [String: ControlledEvaluation.Estimate] {
      var o = options()
      o.fit.stateSpace = states
      let e = try ControlledEvaluation.run(table, groups: groups, options: o)
      return Dictionary(uniqueKeysWithValues: e.estimates.filter { !$0.isMove }.map { ($0.measure, $0) })
    }
    let lifecycle = try run(.lifecycle), rfm = try run(.rfm(levels: 3))
    let named = ["repeat_purchase_rate", "lead_conversion", "second_purchase_conversion", "active_share"]
    for name in named {
      let a = try #require(lifecycle[name], "\(name) missing beside lifecycle states")
      let b = try #require(rfm[name], "\(name) missing beside rfm states")
      for (x, y) in [(a.treatedBefore, b.treatedBefore), (a.treatedAfter, b.treatedAfter), (a.controlBefore, b.controlBefore), (a.controlAfter, b.controlAfter)] {
        #expect(abs(x - y) < 1e-12, "\(name): \(x) with lifecycle states, \(y) with rfm")
      }
    }
    var repeatBuying = 0.0, buying = 0.0
    let pre = day("2024-01-01").dayNumber..<day("2025-01-01").dayNumber
    for c in 0..<table.customerCount where groups[c] != .control {
      let months = table.rows(of: c).filter { table.event[$0] == .purchase }.map { PeriodKind.month.index(of: CalendarDay(dayNumber: table.day[$0])) }
      guard let first = months.min() else { continue }
      for m in Set(months) where pre.contains(PeriodKind.month.start(of: m).dayNumber) {
        buying += 1
        if m > first { repeatBuying += 1 }
      }
    }
    let rate = try #require(rfm["repeat_purchase_rate"]).treatedBefore
    #expect(abs(rate - repeatBuying / buying) < 1e-12, "\(rate) against \(repeatBuying / buying) from the rows")
  }

  @Test func plantedDropoutCutIsFoundAndPriced() throws {
    // A strong cut (dropout hazard -60%) with a 30% control: the moves out of at_risk and lapsed
    // respond within the post window, and the rollout is worth more revenue.
    let h = try Self.history(customers: 8_000, seed: 21, churn: -0.6)
    let table = TransactionTable(history: h)
    let e = try ControlledEvaluation.run(table, groups: try RolloutGroup.fromControlList(h.controlIDs(), source: "c", table: table), options: options())
    #expect(e.flagged.contains { $0.measure.hasPrefix("at_risk ->") || $0.measure.hasPrefix("lapsed ->") }, "\(e.verdict)")
    let value = try #require(e.rollout)
    #expect(value.incrementalRevenue.value > 0 && value.incrementalRevenue.low <= value.incrementalRevenue.value)
    // The scenario loads and binds to the model it was measured on.
    let scenario = try Scenario.load(yaml: value.scenarioYAML, source: "measured.yaml")
    #expect(scenario.interventions.first?.effects.moves.isEmpty == false)
  }

  @Test func lateMeasuresAreNamed() {
    let rules = LifecycleRules.defaults(for: .month)
    #expect(ControlledEvaluation.lagPeriods(to: .churned, rules: rules) == 7)
    #expect(ControlledEvaluation.lagPeriods(to: .lapsed, rules: rules) == 3)
    #expect(ControlledEvaluation.lagPeriods(to: .active, rules: rules) == 0)
  }

  static let errorCases: [(String, @Sendable () throws -> Void, String)] = [
    (
      "control ids not in the data",
      { _ = try RolloutGroup.fromControlList("customer_id\nC0000001\nX1\nX2\n", source: "held.txt", table: try small()) },
      "held.txt: 2 of 3 control ids are not in the data (e.g. X1, X2); expected ids as in the customer_id column, one a line; check that the file belongs to this data and that the ids are spelled the same"
    ),
    (
      "unknown group labels",
      { _ = try RolloutGroup.fromColumn("group", table: try small(groups: ["control", "treated", "maybe"])) },
      "group column 'group': unknown group 'maybe'; expected control (or holdout) and treated (or treatment, test, target) per customer"
    ),
    (
      "missing group column",
      { _ = try RolloutGroup.fromColumn("arm", table: try small()) },
      "group column 'arm': not in the data; give the name of a column holding control or treated per customer"
    ),
    (
      "control group with no one before the launch",
      {
        let t = try small()
        // Only the customer who enters after the launch is held out.
        let groups = t.customerIDs.map { $0 == "late" ? RolloutGroup.control : .treated }
        var o = EvaluationOptions(launch: day("2024-07-01"))
        o.fit.stateSpace = .lifecycle
        _ = try ControlledEvaluation.run(t, groups: groups, options: o)
      },
      "the control group has no customers before the launch 2024-07-01 (1 in all); a difference in differences needs both groups before and after; check that the control ids or group labels cover customers who bought before the launch"
    ),
  ]

  /// Three customers over 2024 (one entering after the launch), with a group column.
  static func small(groups: [String] = ["control", "treated", "treated"]) throws -> TransactionTable {
    var records: [TransactionRecord] = []
    for (k, id) in ["C0000001", "C0000002", "late"].enumerated() {
      let months = id == "late" ? 8...12 : 1...12
      for m in months {
        records.append(TransactionRecord(id, CalendarDay(year: 2024, month: m, day: 5)!, 10, attributes: ["group": groups[k]]))
      }
    }
    return TransactionTable(records: records)
  }

  @Test(arguments: errorCases.indices)
  func badInputIsNamed(_ k: Int) {
    let (name, body, message) = Self.errorCases[k]
    do {
      try body()
      Issue.record("\(name): no error")
    } catch {
      #expect(String(describing: error) == message, "\(name)")
    }
  }
}

@Suite("Holdout test design")
struct RolloutDesignTests {
  static func model() throws -> MarkovModel {
    var g = GeneratorParameters()
    g.customers = 3_000
    g.months = 24
    g.seed = 4
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    return try ModelFitter.fit(table, options: FitOptions())
  }

  @Test func aMovesChangeIsTheChainsChange() throws {
    // In a Markov chain a move's probability does not depend on who is in the row, so the
    // expected difference in differences of `at_risk -> lapsed` under churn -20% is the scenario
    // rule's change of that cell: lapsed and churned are the row's churnward set, scaled by 0.8.
    let m = try Self.model()
    let space = m.stateSpace
    let i = try #require(space.index(of: "at_risk")), j = try #require(space.index(of: "lapsed"))
    let expected = -0.2 * m.transitionMatrix[i][j]
    var o = RolloutDesignOptions()
    o.measure = "at_risk -> lapsed"
    o.effect = -0.2
    o.controlShare = 0.3
    o.replicates = 60
    let d = try RolloutDesign.run(model: m, options: o)
    // The mean of 60 replicates is off by about sd / sqrt(60).
    #expect(abs(d.expectedChange - expected) < 4 * d.standardError / 60.0.squareRoot() + 1e-4, "\(d.expectedChange) vs \(expected)")
    #expect(d.power >= 0 && d.power <= 1)
    // Power grows with the holdout up to half the base, and the recommendation has the target power.
    #expect(zip(d.powerByShare, d.powerByShare.dropFirst()).allSatisfy { $0.power <= $1.power + 1e-12 })
    if let r = d.recommendedControlShare {
      #expect(d.powerByShare.first { $0.controlShare == r }!.power >= 0.8)
    }
  }

  /// The design tells its progress once per finished replicate, counting to the total: a
  /// counter that counted a replicate twice, or missed one, would not end on 40 of 40.
  @Test func theDesignCountsItsReplicatesAsTheyFinish() throws {
    final class Told: @unchecked Sendable {
      let lock = NSLock()
      var counts: [Int] = [], totals: Set<Int> = []
    }
    let told = Told()
    var o = RolloutDesignOptions()
    o.replicates = 40
    o.progress = { done, total, _ in
      told.lock.lock()
      told.counts.append(done)
      told.totals.insert(total)
      told.lock.unlock()
    }
    _ = try RolloutDesign.run(model: try Self.model(), options: o)
    #expect(told.counts.sorted() == Array(1...40) && told.totals == [40])
  }

  @Test func unknownMeasureIsNamed() throws {
    var o = RolloutDesignOptions()
    o.measure = "at_rsk -> lapsed"
    o.replicates = 20
    #expect(throws: RolloutDesignError.unknownMeasure("at_rsk -> lapsed", hint: "no state 'at_rsk'; did you mean 'at_risk'?")) {
      try RolloutDesign.run(model: try Self.model(), options: o)
    }
  }
}

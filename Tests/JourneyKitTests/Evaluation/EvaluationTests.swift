import Foundation
import JourneyKit
import Testing

@Suite("Rollout evaluation")
struct EvaluationTests {
  static func table(customers: Int = 3_000, seed: UInt64 = 2, leads: Bool = true, planted: Bool = false) throws -> TransactionTable {
    var g = GeneratorParameters()
    g.customers = customers
    g.seed = seed
    if !leads { g.leadShare = 0 }
    if planted {
      g.launch = CalendarDay(year: 2025, month: 3, day: 1)
      g.launchChurn = -0.4
      g.launchConversion = 0.3
    }
    return TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
  }

  func options(_ launch: String) -> EvaluationOptions {
    var o = EvaluationOptions(launch: day(launch))
    o.bootstrap = 100
    o.replicates = 100
    return o
  }

  @Test func windowsAndLaunchPeriodAreExplicit() throws {
    let e = try RolloutEvaluation.run(try Self.table(), options: options("2025-03-01"))
    #expect(e.preWindow == "2024-03 .. 2025-02 (12)")
    #expect(e.postWindow == "2025-03 .. 2025-12 (10)")
    #expect(e.launchPeriodNote.contains("opens the post window"))
    let mid = try RolloutEvaluation.run(try Self.table(), options: options("2025-03-15"))
    #expect(mid.postWindow.hasPrefix("2025-04"))
    #expect(mid.launchPeriodNote.contains("belongs to neither window"))
    #expect(e.kpis.allSatisfy { k in [k.pre?.value, k.post?.value, k.change?.value].allSatisfy { $0 == nil || $0!.isFinite } })
  }

  @Test func kpiIntervalsHoldTheirEstimates() throws {
    let e = try RolloutEvaluation.run(try Self.table(), options: options("2025-03-01"))
    for k in e.kpis {
      for i in [k.pre, k.post, k.change].compactMap({ $0 }) { #expect(i.low <= i.value + 1e-12 && i.value <= i.high + 1e-12, "\(k.kpi)") }
    }
  }

  @Test func plantedEffectShowsInTheTransitions() throws {
    // Dropout -40% and lead conversion +30% after the launch: the lead row must be flagged.
    let e = try RolloutEvaluation.run(try Self.table(customers: 20_000, seed: 5, planted: true), options: options("2025-03-01"))
    #expect(e.transitions.contains { $0.from == "lead" && $0.flagged })
    let lead = try #require(e.kpis.first { $0.kpi == "lead_conversion" })
    #expect(lead.flagged && lead.change!.value > 0)
  }

  static func generated(seed: UInt64, frequency: Double = 0) throws -> TransactionTable {
    var g = GeneratorParameters()
    g.customers = 20_000
    g.seed = seed
    if frequency != 0 {
      g.launch = CalendarDay(year: 2025, month: 1, day: 1)
      g.launchFrequency = frequency
    }
    return TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
  }

  @Test func plantedFrequencyIsRecoveredInsideItsBand() throws {
    // Purchase frequency +30% from the launch: purchases rise by 30% against what would have happened.
    let e = try RolloutEvaluation.run(try Self.generated(seed: 5, frequency: 0.3), options: options("2025-01-01"))
    let purchases = try #require(e.lifts.first { $0.kpi == "purchases" })
    #expect(purchases.flagged)
    let low = purchases.actual / purchases.counterfactual.high - 1, high = purchases.actual / purchases.counterfactual.low - 1
    #expect(low < 0.3 && 0.3 < high, "relative lift band \(low)...\(high)")
    #expect(e.transitions.contains { $0.flagged })
  }

  @Test func withNoEffectFlagsStayWithinTheErrorRate() throws {
    // 20 histories with nothing planted, 20,000 customers each (large enough for the drift of a
    // maturing base to show). Each family of flags (lifts, moves) is at 5% family-wise, so at
    // most 3 of 20 seeds may flag (P(4 or more) = 1.6% for an exact 5% test).
    var liftSeeds: [UInt64] = [], moveSeeds: [UInt64] = []
    for seed in UInt64(101)...120 {
      let e = try RolloutEvaluation.run(try Self.generated(seed: seed), options: options("2025-01-01"))
      if e.lifts.contains { $0.flagged } { liftSeeds.append(seed) }
      if e.transitions.contains { $0.flagged } { moveSeeds.append(seed) }
    }
    #expect(liftSeeds.count <= 3, "lifts flagged in seeds \(liftSeeds)")
    #expect(moveSeeds.count <= 3, "moves flagged in seeds \(moveSeeds)")
  }

  @Test func launchOutsideTheDataIsAClearError() throws {
    #expect(throws: EvaluationError.launchOutsideData(launch: day("2030-01-01"), first: day("2023-01-01"), last: day("2025-12-31"))) {
      try RolloutEvaluation.run(try Self.table(), options: options("2030-01-01"))
    }
    #expect(
      EvaluationError.launchOutsideData(launch: day("2030-01-01"), first: day("2023-01-01"), last: day("2025-12-31")).description
        == "--launch: '2030-01-01' is outside the data (2023-01-01 to 2025-12-31); give a launch date inside it, with data before and after")
  }

  @Test func windowsTooShortAreClearErrors() throws {
    do {
      _ = try RolloutEvaluation.run(try Self.table(), options: options("2023-02-15"))
      Issue.record("no error")
    } catch {
      #expect("\(error)".hasPrefix("the pre-launch window has 1 complete period(s), at least 3 needed"))
    }
    do {
      _ = try RolloutEvaluation.run(try Self.table(), options: options("2025-12-10"))
      Issue.record("no error")
    } catch {
      #expect("\(error)".hasPrefix("the post-launch window has 0 complete period(s), at least 1 needed"))
    }
  }

  @Test func kpisThatCannotBeComputedSaySo() throws {
    let e = try RolloutEvaluation.run(try Self.table(leads: false), options: options("2025-03-01"))
    let lead = try #require(e.kpis.first { $0.kpi == "lead_conversion" })
    #expect(lead.pre == nil && lead.post == nil && !lead.flagged)
    #expect(lead.note == "not computable: no leads in the data")
    #expect(e.text().contains("not computable: no leads in the data"))
    #expect(!e.text().contains("nan"))
  }

  @Test func targetsPassAndFail() throws {
    let targets = try EvaluationTarget.load(yaml: """
      targets:
        - {kpi: active_base, direction: increase, change: +5%}
        - {kpi: churn_rate, direction: decrease, value: 0.0001}
      """, source: "t.yaml")
    var e = try RolloutEvaluation.run(try Self.table(), options: options("2025-03-01"))
    e.check(targets)
    #expect(e.targets.map(\.passed) == [true, false])
    #expect(throws: ScenarioError.self) { try EvaluationTarget.load(yaml: "targets:\n  - {kpi: churn, direction: decrease, value: 1}\n", source: "t.yaml") }
  }
}

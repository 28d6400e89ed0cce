import Foundation
import Testing

@testable import JourneyKit

@Suite("Staggered rollouts")
struct StaggeredEvaluationTests {
  @Test func launchesFileWithHeaderNamesTheColumn() throws {
    let parsed = try StaggeredEvaluation.parseLaunches("region,launch\nR1,2024-07-01\n# later\nR2, 2024-10-01\n", source: "l.csv")
    #expect(parsed.column == "region")
    #expect(parsed.launches == ["R1": day("2024-07-01"), "R2": day("2024-10-01")])
    #expect(try StaggeredEvaluation.parseLaunches("R1,2024-07-01\nR2,2024-10-01\n", source: "l.csv").column == nil)
  }

  static let badFiles: [(String, String)] = [
    ("region,launch\nR1,2024-07-01\nR2,2024-13-01\n", "l.csv:3: '2024-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2024-07-01"),
    ("R1,2024-07-01\nR1,2024-10-01\n", "l.csv:2: 'R1' has a launch date already; give each value one line"),
    ("R1;2024-07-01\n", "l.csv:1: 'R1;2024-07-01' is not `value,YYYY-MM-DD`; one group value and its launch date per line, e.g. R1,2024-07-01"),
    ("region,launch\nR1,2024-07-01\n", "l.csv: 1 launch given; a staggered rollout needs at least two groups launching at different dates"),
  ]

  @Test(arguments: badFiles.indices)
  func badLaunchesFilesAreNamed(_ k: Int) {
    #expect(throws: (any Error).self) { try StaggeredEvaluation.parseLaunches(Self.badFiles[k].0, source: "l.csv") }
    do { _ = try StaggeredEvaluation.parseLaunches(Self.badFiles[k].0, source: "l.csv") } catch {
      #expect(String(describing: error) == Self.badFiles[k].1)
    }
  }

  static func table(churn: Double) throws -> TransactionTable {
    var g = GeneratorParameters()
    g.customers = 8_000
    g.seed = 12
    g.leadShare = 0
    g.launch = day("2024-07-01")
    g.launchChurn = churn
    g.launchFrequency = churn == 0 ? 0 : 0.3
    g.regions = 4
    let h = try SyntheticHistoryGenerator.generate(g)
    var records: [TransactionRecord] = []
    for r in 0..<h.rowCount {
      let c = Int(h.customer[r])
      records.append(
        TransactionRecord(
          h.customerID(c), CalendarDay(dayNumber: h.day[r]), Double(h.amountCents[r]) / 100, h.event[r],
          attributes: ["region": GeneratorParameters.regionName(Int(h.region[c]))]))
    }
    return TransactionTable(records: records)
  }

  static let launches = ["R1": day("2024-07-01"), "R2": day("2024-10-01"), "R3": day("2025-01-01"), "R4": day("2025-04-01")]

  @Test func aPlantedEffectShowsAgainstTheGroupsNotYetLaunched() throws {
    var o = EvaluationOptions(launch: day("2024-07-01"))
    o.fit.stateSpace = .lifecycle
    o.bootstrap = 100
    let e = try StaggeredEvaluation.run(try Self.table(churn: -0.5), column: "region", launches: Self.launches, source: "l.csv", options: o)
    #expect(e.cohorts.map(\.value) == ["R1", "R2", "R3", "R4"])
    #expect(e.cohorts.map(\.firstPeriod) == ["2024-07", "2024-10", "2025-01", "2025-04"])
    // R1 has not-yet-launched comparisons for 9 months (until R4 launches).
    #expect(e.postPeriods == 9)
    let active = try #require(e.estimates.first { $0.measure == "active_share" })
    #expect(active.flagged && active.effect.value > 0, "\(e.verdict)")
    #expect(active.byTimeSinceLaunch.first?.groups == 3 && active.byTimeSinceLaunch.last?.groups == 1)
    // The primary test: R1, R2, R3 each against R4 (launching last), from their launch until R4's.
    let primary = try #require(e.primary)
    #expect(primary.comparisons.map(\.group) == ["R1", "R2", "R3"])
    #expect(primary.comparisons.map(\.afterWindow) == ["2024-07 .. 2025-03 (9)", "2024-10 .. 2025-03 (6)", "2025-01 .. 2025-03 (3)"])
    #expect(primary.comparisons.allSatisfy { $0.controls == ["R4"] })
    // The effect is the sum of the comparisons' differences, and the cut shows in it.
    #expect(abs(primary.effect.value - primary.comparisons.reduce(0) { $0 + $1.effect }) < 1e-12)
    #expect(e.primaryFlagged && primary.effect.value > 0, "\(primary)")
  }

  @Test func poissonWeightsHaveMeanAndVarianceOne() {
    // The Poisson bootstrap's weights: Poisson(1) has mean 1 and variance 1 (the definition);
    // 200,000 draws put both within 0.02.
    var rng = RandomSource(seed: 3)
    let draws = (0..<200_000).map { _ in Double(StaggeredLaunchBase.poisson1(&rng)) }
    let mean = draws.reduce(0, +) / Double(draws.count)
    let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count - 1)
    #expect(abs(mean - 1) < 0.02 && abs(variance - 1) < 0.02, "\(mean) \(variance)")
    // P(0) = e^-1.
    #expect(abs(Double(draws.filter { $0 == 0 }.count) / Double(draws.count) - exp(-1.0)) < 0.005)
  }

  @Test func valuesWithoutALaunchAreNamed() throws {
    var o = EvaluationOptions(launch: day("2024-07-01"))
    o.fit.stateSpace = .lifecycle
    var partial = Self.launches
    partial["R4"] = nil
    #expect(throws: EvaluationError.badGroupColumn(
      column: "region", problem: "value 'R4' has no launch date in l.csv",
      hint: "give every value of the column a line `value,YYYY-MM-DD` (a value that never launches gets a date after the data)")) {
      try StaggeredEvaluation.run(try Self.table(churn: 0), column: "region", launches: partial, source: "l.csv", options: o)
    }
  }
}

import Foundation
import Testing
@testable import JourneyKit

/// A base acquired once gets no invented entrants; a base still acquiring keeps its mean.
@Suite("Closed cohorts")
struct ClosedCohortTests {
  /// `perMonth` customers first buy in each of the months in `entryMonths` of 2024 (day 5), and
  /// every customer buys again on day 20 of every later month of 2024, and the first buys on
  /// 2024-12-31 too, so that December is a complete period. Monthly: the window runs from the first
  /// entry month to December.
  static func model(entryMonths: [Int], perMonth: Int = 20) throws -> MarkovModel {
    try model(entrants: entryMonths.map { ($0, perMonth) })
  }

  /// The same with `count` customers first buying in each `month`.
  static func model(entrants: [(month: Int, count: Int)]) throws -> MarkovModel {
    var records: [TransactionRecord] = []
    let entryMonths = entrants.map(\.month)
    for (k, (month, count)) in entrants.enumerated() {
      for c in 0..<count {
        let id = "m\(month)-\(c)-\(k)"
        records.append(TransactionRecord(id, CalendarDay(year: 2024, month: month, day: 5)!, 10))
        for later in stride(from: month + 1, through: 12, by: 1) {
          records.append(TransactionRecord(id, CalendarDay(year: 2024, month: later, day: 20)!, 10))
        }
      }
    }
    records.append(TransactionRecord("m\(entryMonths[0])-0-0", CalendarDay(year: 2024, month: 12, day: 31)!, 10))
    var o = FitOptions()
    o.period = .month
    o.stateSpace = .lifecycle
    return try ModelFitter.fit(TransactionTable(records: records), options: o)
  }

  @Test func aCohortAcquiredInTheFirstQuarterGetsNoEntrants() throws {
    let m = try Self.model(entryMonths: [1, 2, 3])
    // Nobody entered April to December: 9 quiet months, more than the 3 that make a closed cohort.
    #expect(AcquisitionAssumption.closedCohortPeriods(m) == 9)
    for assumption in [AcquisitionAssumption.historical, .trend, .seasonal] {
      let inflow = assumption.inflow(model: m, horizon: 4)
      #expect(inflow.allSatisfy { $0.allSatisfy { $0 == 0 } }, "\(assumption)")
      #expect(assumption.description(for: m).hasPrefix("none: a closed cohort (nobody entered in the last 9 months of the data)"))
    }
    // Stated numbers still count: the planner can add entrants on purpose.
    #expect(AcquisitionAssumption.perPeriod(15).inflow(model: m, horizon: 2).map { $0.reduce(0, +) } == [15, 15])
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    let f = try ForecastEngine.run(model: m, options: o)
    #expect(f.inflowPerPeriod == [0, 0, 0])
    #expect(f.acquisition.contains("closed cohort"))
  }

  @Test func aFlowThatStopsIsClosedSoonerWhenItCouldNotHaveStoppedByChance() throws {
    // 20 a month in September to November, nobody in December: at 20 a month, a quiet month has
    // probability e^-20, so the base is closed after one month (CDNOW from 1997-04-30 and -05-31).
    let m = try Self.model(entryMonths: [9, 10, 11])
    #expect(m.window.periodCount == 4)
    #expect(AcquisitionAssumption.closedCohortPeriods(m) == 1)
    #expect(AcquisitionAssumption.historical.inflow(model: m, horizon: 2).allSatisfy { $0.allSatisfy { $0 == 0 } })
    #expect(AcquisitionAssumption.historical.description(for: m).hasPrefix("none: a closed cohort (nobody entered in the last month of the data)"))
    // At 3 a month a quiet month happens by chance (e^-3 = 5%): the mean is kept (3 + 3 over
    // October and November, the window's first period left out).
    let small = try Self.model(entryMonths: [9, 10, 11], perMonth: 3)
    #expect(AcquisitionAssumption.closedCohortPeriods(small) == nil)
    #expect(abs(AcquisitionAssumption.historical.inflow(model: small, horizon: 1)[0].reduce(0, +) - 2) < 1e-9)
    // A flow that paused as long before and came back is not closed by one quiet month: 20 in
    // September, none in October, 20 in November, none in December.
    let paused = try Self.model(entryMonths: [9, 11])
    #expect(AcquisitionAssumption.closedCohortPeriods(paused) == nil)
  }

  @Test func aBaseStillAcquiringKeepsItsMean() throws {
    // Entrants in January, February and October: 2 quiet months at the end, fewer than 3.
    let m = try Self.model(entryMonths: [1, 2, 10])
    #expect(AcquisitionAssumption.closedCohortPeriods(m) == nil)
    // The historical mean leaves out the window's first period: 20 + 20 (February, October) over 11 months.
    let total = AcquisitionAssumption.historical.inflow(model: m, horizon: 1)[0].reduce(0, +)
    #expect(abs(total - 40.0 / 11) < 1e-9, "\(total)")
    #expect(AcquisitionAssumption.historical.description(for: m) == "historical mean")
  }

  /// Entrants per month of 20 in January (the window's first period, left out), then 10 and 30 in
  /// turn from February to November, and 20 in December: a mean of 20 over 11 months, scattered
  /// well beyond Poisson noise.
  static func scattered() throws -> MarkovModel {
    try model(entrants: [(1, 20)] + (2...11).map { ($0, $0 % 2 == 0 ? 10 : 30) } + [(12, 20)])
  }

  @Test func theSpreadOfTheWindowsEntrantsBeyondChance() throws {
    // By hand: squared misses 10 x 100 = 1,000, less the Poisson variance 11 x 20 = 220, over
    // 11 - 1 degrees of freedom: 78 beyond chance. A period: log(1 + 78 / 20^2); the level:
    // log(1 + (78 + 20) / (11 x 20^2)).
    let m = try Self.scattered()
    let spread = AcquisitionAssumption.historical.spread(model: m)
    #expect(abs(spread.period - Foundation.log(1 + 78.0 / 400).squareRoot()) < 1e-12, "\(spread)")
    #expect(abs(spread.level - Foundation.log(1 + 98.0 / 4_400).squareRoot()) < 1e-12, "\(spread)")
    // Stated entrants and closed cohorts have none.
    #expect(AcquisitionAssumption.perPeriod(20).spread(model: m) == (0, 0))
    #expect(AcquisitionAssumption.none.spread(model: m) == (0, 0))
    #expect(AcquisitionAssumption.historical.spread(model: try Self.model(entryMonths: [1, 2, 3])) == (0, 0))
    // Entrants that vary no more than Poisson noise (20 every month) have no period scatter; the
    // level is still as uncertain as Poisson makes a mean of 11 periods.
    let steady = AcquisitionAssumption.historical.spread(model: try Self.model(entryMonths: Array(1...12)))
    #expect(steady.period == 0 && abs(steady.level - Foundation.log(1 + 20.0 / 4_400).squareRoot()) < 1e-12, "\(steady)")
  }

  @Test func theForecastsEntrantsVaryAsTheWindowsDid() throws {
    // Each replicate's first-period entrants are Poisson with a lognormal mean factor (variance
    // e^(period^2 + level^2) - 1): variance 20 + 20^2 (e^(period^2 + level^2) - 1) = 108.6. Every
    // entrant is a first buyer, in `new` for its first period only.
    let m = try Self.scattered()
    let spread = AcquisitionAssumption.historical.spread(model: m)
    let expected = 20 + 400 * (Foundation.exp(spread.period * spread.period + spread.level * spread.level) - 1)
    func variance(_ acquisition: AcquisitionAssumption) throws -> (mean: Double, variance: Double) {
      var o = ForecastOptions()
      o.horizon = 2
      o.replicates = 4_000
      o.parameterUncertainty = false
      o.acquisition = acquisition
      let f = try ForecastEngine.run(model: m, options: o)
      let first = try #require(f.samples[.newCustomers]?.first)
      let mean = first.reduce(0, +) / Double(first.count)
      return (mean, first.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(first.count - 1))
    }
    let scattered = try variance(.historical)
    #expect(abs(scattered.mean - 20) < 0.6, "\(scattered)")
    #expect(abs(scattered.variance / expected - 1) < 0.08, "\(scattered) against \(expected)")
    // Stated, the entrants are Poisson alone.
    let stated = try variance(.perPeriod(20))
    #expect(abs(stated.variance / 20 - 1) < 0.08, "\(stated)")
  }
}

import Foundation
import Testing
@testable import JourneyKit

/// A base acquired once gets no invented entrants; a base still acquiring keeps its mean.
@Suite("Closed cohorts")
struct ClosedCohortTests {
  /// 60 customers: 20 first buy in each of the months in `entryMonths` of 2024 (day 5), and every
  /// customer buys again on day 20 of every later month of 2024, and the first buys on 2024-12-31
  /// too, so that December is a complete period. Monthly: the window is January to December.
  static func model(entryMonths: [Int]) throws -> MarkovModel {
    var records: [TransactionRecord] = []
    for (k, month) in entryMonths.enumerated() {
      for c in 0..<20 {
        let id = "m\(month)-\(c)-\(k)"
        records.append(TransactionRecord(id, CalendarDay(year: 2024, month: month, day: 5)!, 10))
        for later in (month + 1)...12 where later <= 12 {
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

  @Test func aBaseStillAcquiringKeepsItsMean() throws {
    // Entrants in January, February and October: 2 quiet months at the end, fewer than 3.
    let m = try Self.model(entryMonths: [1, 2, 10])
    #expect(AcquisitionAssumption.closedCohortPeriods(m) == nil)
    // The historical mean leaves out the window's first period: 20 + 20 (February, October) over 11 months.
    let total = AcquisitionAssumption.historical.inflow(model: m, horizon: 1)[0].reduce(0, +)
    #expect(abs(total - 40.0 / 11) < 1e-9, "\(total)")
    #expect(AcquisitionAssumption.historical.description(for: m) == "historical mean")
  }
}

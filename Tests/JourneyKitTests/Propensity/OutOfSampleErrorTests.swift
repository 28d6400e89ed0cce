import Foundation
import Testing
@testable import JourneyKit

/// The activity model's error measured out of sample, which the backtest's ranges add.
@Suite("Out-of-sample error")
struct OutOfSampleErrorTests {
  /// Student's t over the normal at 90%, from standard tables: t(0.95; 1) = 6.313752,
  /// t(0.95; 6) = 1.943180, z(0.95) = 1.644854; a guessed error is not widened.
  @Test func wideningIsStudentsTOverTheNormal() {
    func error(_ n: Int?) -> OutOfSampleError { OutOfSampleError(purchases: 0.1, revenue: 0.1, buying: 0.1, periods: n) }
    #expect(abs(error(1).widening() - 6.313752 / 1.644854) < 1e-5)
    #expect(abs(error(6).widening() - 1.943180 / 1.644854) < 1e-5)
    #expect(error(nil).widening() == 1)
    #expect(OutOfSampleError.unmeasured.widening() == 1)
  }

  /// Each measure is scored against its own actuals: with every amount in the scored periods
  /// half as large again, revenue's error moves to about predicted / (1.5 x actual) - 1 = -1/3
  /// (the forecast, fitted before those periods, cannot see the change) while purchases' and
  /// buying customers' stay exactly as they were. Scoring revenue by purchases, or counting
  /// revenue outside the scored periods, fails this.
  @Test func revenueIsScoredOnItsOwn() throws {
    let table = BacktestTests.small
    let period = PeriodKind.month
    let origin = period.index(of: CalendarDay(year: 2025, month: 6, day: 30)!)
    let first = period.index(of: table.dayRange!.lowerBound)
    let plain = ActivityModel.outOfSampleError(table, period: period, origin: origin, firstPeriod: first, steps: 6)
    // 30 months of data: a third is 10, so the 6 steps are all measured.
    #expect(plain.periods == 6)
    #expect(plain.purchases < 0.1 && plain.revenue < 0.1, "\(plain)")

    let scoredFrom = period.start(of: origin - 5).dayNumber
    var amounts = [Double](table.amount)
    for r in 0..<table.rowCount where table.day[r] >= scoredFrom { amounts[r] *= 1.5 }
    let raised = TransactionTable(
      customerIDs: table.customerIDs, day: table.day, amount: amounts, event: table.event, rowStart: table.rowStart)
    let e = ActivityModel.outOfSampleError(raised, period: period, origin: origin, firstPeriod: first, steps: 6)
    #expect(e.purchases == plain.purchases)
    #expect(e.buying == plain.buying)
    // Each period's ratio r becomes r / 1.5; with |r - 1| below 0.1 the RMS lies within 0.07 of 1/3.
    #expect(abs(e.revenue - 1.0 / 3) < 0.07, "\(e.revenue)")
  }

  /// Fewer periods than a third of the history's three: nothing to measure on, a guess.
  @Test func tooShortAHistoryIsAGuess() throws {
    let table = BacktestTests.small
    let period = PeriodKind.month
    let first = period.index(of: table.dayRange!.lowerBound)
    #expect(ActivityModel.outOfSampleError(table, period: period, origin: first + 1, firstPeriod: first, steps: 6) == .unmeasured)
  }
}

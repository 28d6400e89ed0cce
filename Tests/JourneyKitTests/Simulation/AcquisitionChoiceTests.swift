import Foundation
import Testing
@testable import JourneyKit

/// `--acquisition auto` (the default) takes, of the assumptions read from the window, the one that
/// forecast the window's own last periods best from the periods before them. On the default
/// generated base (acquisition growing 15% a year with a season) the historical mean put 6-month
/// purchase forecasts 5-13% low; the seasonal trend the choice takes, 0-8%.
@Suite("Acquisition chosen from the history")
struct AcquisitionChoiceTests {
  @Test func growingEntrantsAreForecastByTheTrend() throws {
    // 10, 20, ..., 120 customers first buy in January to December. The window's first period is
    // left out: 11 periods, the last 3 held out (a third). Read from February to September (20 to
    // 90), the mean is 55 and misses October to December (100, 110, 120) by 45, 55, 65: 55 a
    // period, half of their mean 110. The line is exact. No held-out month was seen before, so the
    // seasonal means fall back to the mean, and the seasons' ratios to 1.
    let m = try ClosedCohortTests.model(entrants: (1...12).map { ($0, 10 * $0) })
    let choice = AcquisitionAssumption.choice(for: m)
    #expect(choice.heldOut == 3)
    #expect(choice.errors.map(\.assumption) == [.historical, .trend, .seasonal, .seasonalTrend])
    for (got, byHand) in zip(choice.errors.map(\.error), [0.5, 0, 0.5, 0]) { #expect(abs(got - byHand) < 1e-12, "\(choice.errors)") }
    // The trend and the trend with seasons tie: the simpler is taken.
    #expect(choice.assumption == .trend)
    // The forecast enters what the line says: 130 next January, 140 in February.
    let inflow = AcquisitionAssumption.auto.inflow(model: m, horizon: 2).map { $0.reduce(0, +) }
    #expect(abs(inflow[0] - 130) < 1e-9 && abs(inflow[1] - 140) < 1e-9, "\(inflow)")
    var o = ForecastOptions()
    o.horizon = 2
    o.replicates = 0
    let f = try ForecastEngine.run(model: m, options: o)
    #expect(f.acquisition.hasPrefix("linear trend, chosen: read from the periods before the window's last 3 months"), "\(f.acquisition)")
    #expect(abs(f.inflowPerPeriod[0] - 130) < 1e-9)
  }

  @Test func steadyEntrantsKeepTheMean() throws {
    // 20 a month: every assumption forecasts the held-out months exactly, and the simplest is taken.
    let m = try ClosedCohortTests.model(entryMonths: Array(1...12))
    let choice = AcquisitionAssumption.choice(for: m)
    #expect(choice.errors.allSatisfy { abs($0.error) < 1e-12 }, "\(choice.errors)")
    #expect(choice.assumption == .historical)
    #expect(AcquisitionAssumption.auto.spread(model: m) == AcquisitionAssumption.historical.spread(model: m))
  }

  @Test func aTrendThatWinsByLessThanItsStandardErrorIsNotTaken() throws {
    // By hand, February to December: 18, 20, 20, 20, 24, 24, 22, 22, then 24, 22, 24 held out.
    // Read from the first eight (offsets 1...8), the mean is 21.25 and misses by 2.75, 0.75, 2.75:
    // 2.083 a period. The line (slope 27 / 42 about their middle, 4.5) says 24.143, 24.786, 25.429
    // and misses by 0.143, 2.786, 1.429: 1.452 a period, the best, with a standard deviation of
    // 1.322 over the three, a standard error of 0.763. The mean's 2.083 is within 1.452 + 0.763:
    // the simpler is taken. (Scaled by the held-out mean, 70 / 3, as the errors are reported.)
    let m = try ClosedCohortTests.model(entrants: [(1, 20)] + zip(2...12, [18, 20, 20, 20, 24, 24, 22, 22, 24, 22, 24]).map { ($0, $1) })
    let choice = AcquisitionAssumption.choice(for: m)
    let scale = 70.0 / 3
    for (got, byHand) in zip(choice.errors.map(\.error), [25.0 / 12, 1.452381, 25.0 / 12, 1.452381]) {
      #expect(abs(got * scale - byHand) < 1e-6, "\(choice.errors.map { $0.error * scale })")
    }
    #expect(choice.assumption == .historical)
  }

  @Test func aShortWindowTakesTheMeanAndSaysWhy() throws {
    // August to December: 4 periods read (the first left out), too few to hold 2 out.
    let m = try ClosedCohortTests.model(entryMonths: Array(8...12))
    let choice = AcquisitionAssumption.choice(for: m)
    #expect(choice.assumption == .historical && choice.errors.isEmpty)
    #expect(AcquisitionAssumption.auto.description(for: m).hasPrefix("historical mean (too few periods in the window"))
    // A closed cohort gets no entrants under auto either, and the output says why.
    let closed = try ClosedCohortTests.model(entryMonths: [1, 2, 3])
    #expect(AcquisitionAssumption.auto.inflow(model: closed, horizon: 2).allSatisfy { $0.allSatisfy { $0 == 0 } })
    #expect(AcquisitionAssumption.auto.description(for: closed).hasPrefix("none: a closed cohort"))
  }

  @Test func theTrendWithSeasonsIsTheLineTimesEachSeasonsRatio() throws {
    // By hand, months February to December: 20 a month, 40 in even months. The line through them
    // (offsets 1...11), and each season's single ratio to it, give back every month exactly.
    let m = try ClosedCohortTests.model(entrants: [(1, 20)] + (2...12).map { ($0, $0 % 2 == 0 ? 40 : 20) })
    let (used, totals) = AcquisitionAssumption.windowTotals(m)
    let fitted = AcquisitionAssumption.totals(.seasonalTrend, ahead: used, used: used, totals: totals, firstPeriod: m.counts.firstPeriod, period: .month)
    for (a, b) in zip(fitted, totals) { #expect(abs(a - b) < 1e-9, "\(fitted) against \(totals)") }
    // A month not in the window (next January) is the line alone: its mean 340 / 11 (6 x 40 +
    // 5 x 20 over 11 months) plus its slope times 6 periods past the middle offset, 6.
    let slope = AcquisitionAssumption.line(used, totals).slope
    let january = AcquisitionAssumption.totals(.seasonalTrend, ahead: [12], used: used, totals: totals, firstPeriod: m.counts.firstPeriod, period: .month)
    #expect(abs(january[0] - (340.0 / 11 + slope * 6)) < 1e-9, "\(january)")
  }
}

@testable import JourneyKit
import Testing

@Suite("Chart scales and axes")
struct ScaleTests {
  struct TickCase: Sendable, CustomTestStringConvertible {
    var values: [Double]
    var includeZero: Bool
    var ticks: [Double]
    var testDescription: String { "\(values) zero: \(includeZero)" }
  }

  static let tickCases: [TickCase] = [
    .init(values: [0, 1], includeZero: false, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1]),
    .init(values: [0, 12_400], includeZero: false, ticks: [0, 5_000, 10_000, 15_000]),
    .init(values: [10_900, 12_400], includeZero: false, ticks: [10_500, 11_000, 11_500, 12_000, 12_500]),
    .init(values: [-70_681, 11_450], includeZero: true, ticks: [-80_000, -60_000, -40_000, -20_000, 0, 20_000]),
    .init(values: [-0.55, -0.03], includeZero: false, ticks: [-0.6, -0.4, -0.2, 0]),
    .init(values: [0.031, 0.052], includeZero: false, ticks: [0.03, 0.04, 0.05, 0.06]),
    // One value: a range around it; zero alone becomes 0...1.
    .init(values: [500], includeZero: false, ticks: [440, 460, 480, 500, 520, 540, 560]),
    .init(values: [500], includeZero: true, ticks: [0, 100, 200, 300, 400, 500]),
    .init(values: [0], includeZero: false, ticks: [-1, -0.5, 0, 0.5, 1]),
    .init(values: [], includeZero: false, ticks: [-1, -0.5, 0, 0.5, 1]),
  ]

  @Test(arguments: tickCases) func niceTicks(_ c: TickCase) {
    let scale = LinearScale(covering: c.values, to: 0...100, includeZero: c.includeZero)
    #expect(scale.ticks == c.ticks)
    // The domain is widened to whole steps and covers the data.
    #expect(scale.lower == c.ticks.first && scale.upper == c.ticks.last)
    for v in c.values { #expect(v >= scale.lower && v <= scale.upper) }
  }

  @Test func stepsAreOneTwoOrFiveTimesAPowerOfTen() {
    for high in [0.7, 3.0, 17.0, 123.0, 999.0, 12_345.0, 4.2e6] {
      let step = LinearScale(covering: [0, high], to: 0...1).step
      var mantissa = step
      while mantissa >= 10 { mantissa /= 10 }
      while mantissa < 1 { mantissa *= 10 }
      #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 }, "step \(step) for 0...\(high)")
    }
  }

  @Test func scaleMapsTheDomainOntoTheRangeReversedForScreens() {
    let y = LinearScale(covering: [0, 100], to: 20...220, reversed: true)
    #expect(y(0) == 220)
    #expect(y(100) == 20)
    #expect(y(50) == 120)
  }

  @Test func axisLabelsShareOnePrecisionAndSuffix() {
    let number = AxisFormat.number
    #expect(number.labels([0, 2_000, 4_000, 6_000, 8_000], step: 2_000) == ["0", "2,000", "4,000", "6,000", "8,000"])
    #expect(number.labels([0, 5_000, 10_000, 15_000], step: 5_000) == ["0", "5k", "10k", "15k"])
    #expect(number.labels([0, 2_500, 5_000, 7_500, 10_000, 12_500], step: 2_500) == ["0", "2.5k", "5k", "7.5k", "10k", "12.5k"])
    #expect(number.labels([-1_000_000, 0, 1_000_000, 2_000_000], step: 1_000_000) == ["-1M", "0", "1M", "2M"])
    #expect(number.labels([0, 0.5, 1], step: 0.5) == ["0", "0.5", "1"])
    let percent = AxisFormat.percent
    #expect(percent.labels([0, 0.2, 0.4], step: 0.2) == ["0%", "20%", "40%"])
    #expect(percent.labels([0.03, 0.035, 0.04], step: 0.005) == ["3%", "3.5%", "4%"])
    #expect(percent.labels([-2, 0, 2], step: 2) == ["-200%", "0%", "200%"])
  }

  @Test func periodAxisWritesDatesAsPeopleDo() {
    let months = PeriodAxis(periods: PeriodKind.month.index(of: day("2025-11-01"))...PeriodKind.month.index(of: day("2026-02-01")), kind: .month)
    #expect((0..<months.count).map(months.label) == ["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"])
    #expect(months.longLabel(3) == "February 2026")
    let quarters = PeriodAxis(periods: PeriodKind.quarter.index(of: day("2025-10-01"))...PeriodKind.quarter.index(of: day("2026-01-01")), kind: .quarter)
    #expect((0..<quarters.count).map(quarters.label) == ["Q4 2025", "Q1 2026"])
    let weeks = PeriodAxis(periods: PeriodKind.week.index(of: day("2026-01-05"))...PeriodKind.week.index(of: day("2026-01-12")), kind: .week)
    #expect((0..<weeks.count).map(weeks.label) == ["5 Jan 2026", "12 Jan 2026"])
    #expect(weeks.longLabel(0) == "the week of 5 January 2026")
  }

  @Test func periodLabelsThinToCalendarStridesThatFit() {
    let first = PeriodKind.month.index(of: day("2025-01-01"))
    let months = PeriodAxis(periods: first...(first + 35), kind: .month)
    #expect(months.labelStride(slotWidth: 80) == 1)
    #expect(months.labelStride(slotWidth: 40) == 2)
    #expect(months.labelStride(slotWidth: 20) == 3)
    #expect(months.labelStride(slotWidth: 5) == 12)
    let monday = PeriodKind.week.index(of: day("2025-01-06"))
    let weeks = PeriodAxis(periods: monday...(monday + 103), kind: .week)
    #expect(weeks.labelStride(slotWidth: 7) == 13)
  }
}

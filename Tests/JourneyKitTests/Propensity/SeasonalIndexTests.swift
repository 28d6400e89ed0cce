import Foundation
import Testing
@testable import JourneyKit

/// The activity model's seasons on a closed cohort: customers acquired in the first three months
/// of 2023, simulated from the model's own process on a seasonal clock with a known index, and
/// observed for 30 months. The cohort fills up in its first year and empties after, which bends
/// the trend that the ratio-to-moving-average method takes as straight.
@Suite("Seasonal index")
struct SeasonalIndexTests {
  /// Purchases per month relative to the year: a December peak of +30%, a June trough of -30%.
  static let truth = (1...12).map { 1 + 0.3 * Foundation.cos(2 * Double.pi * Double($0 - 12) / 12) }
  static let start = CalendarDay(year: 2023, month: 1, day: 1)!.dayNumber
  static let through = CalendarDay(year: 2025, month: 6, day: 30)!.dayNumber
  static let end = CalendarDay(year: 2025, month: 12, day: 31)!.dayNumber

  /// Purchase days up to `through`, and the purchases of the 6 months after it.
  static func simulate(
    customers: Int, seed: UInt64, through: Int32 = through, acquisitionDays: Double = 90, burstDays: Double = 0
  ) -> (histories: PurchaseHistories, future: Double) {
    let (days, future) = simulateDays(customers: customers, seed: seed, through: through, acquisitionDays: acquisitionDays, burstDays: burstDays)
    return (PurchaseHistories(purchaseDays: days, through: CalendarDay(dayNumber: through)), Double(future.reduce(0, +)))
  }

  /// Per customer: its purchase days up to `through`, and its purchases in the 6 months after.
  /// With `burstDays`, a customer buys twice as fast for that many operational days after its
  /// first purchase, while active (the quick repeats that follow a first purchase).
  static func simulateDays(
    customers: Int, seed: UInt64, through: Int32, acquisitionDays: Double, burstDays: Double = 0
  ) -> (days: [[Int32]], future: [Int]) {
    let end = CalendarDay(dayNumber: through + 1).adding(months: 6).dayNumber - 1
    // Operational days at the start of each calendar day: the seasonal clock.
    var clock: [Double] = [0]
    for day in start...(end + 1) {
      clock.append(clock.last! + truth[CalendarDay(dayNumber: day).month - 1])
    }
    func calendarDay(_ u: Double) -> Int32 {
      var low = 0, high = clock.count - 1
      while high - low > 1 {
        let mid = (low + high) / 2
        if clock[mid] <= u { low = mid } else { high = mid }
      }
      return start + Int32(low)
    }
    var rng = RandomSource(seed: seed)
    var days: [[Int32]] = []
    var future: [Int] = []
    for c in 0..<customers {
      let (lambda, mu) = c % 3 == 0 ? (0.03, 0.002) : (0.008, 0.004)
      let first = start + Int32(rng.uniform() * acquisitionDays)
      var list: Set<Int32> = [first], later: Set<Int32> = []
      let born = clock[Int(first - start)]
      var u = born
      while true {
        u += rng.exponential() / (lambda + mu)
        guard u < clock.last!, rng.uniform() < lambda / (lambda + mu) else { break }
        let day = calendarDay(u)
        if day <= through { list.insert(day) } else if day <= end { later.insert(day) }
      }
      // The burst's extra purchases: rate lambda more, up to the end of the burst or the
      // customer's dormancy (u, where the loop above stopped), whichever comes first.
      var extra = born
      while burstDays > 0 {
        extra += rng.exponential() / lambda
        guard extra < min(u, born + burstDays, clock.last!) else { break }
        let day = calendarDay(extra)
        if day <= through { list.insert(day) } else if day <= end { later.insert(day) }
      }
      days.append(list.sorted())
      future.append(later.count)
    }
    return (days, future)
  }

  /// Without the correction against the model's expectation, the index takes the cohort's
  /// filling up for a season (0.07-0.15 off in some months here) and the next 6 months'
  /// purchases come out 12-14% high; with it, every month is within 0.06 of the truth and the
  /// forecast within 8%. (What remains, +6-7% on these two seeds, is the mixing distribution's
  /// reading of how long the last customers stay: with a finer grid of dormancy rates it is
  /// +2-4%, but not steadily so.) The mixing distribution's prior is left out here, as this is
  /// about seasons: on this base of two kinds of customers (two atoms, which a prior spread along
  /// purchase rates does not expect) the default's forecast is +9-10%, not +6-7%.
  @Test(arguments: [11, 12] as [UInt64])
  func closedCohortSeasonsAreRecovered(seed: UInt64) throws {
    let (h, future) = Self.simulate(customers: 12_000, seed: seed)
    let classical = try #require(ActivityModel.seasonalIndex(h, period: .month))
    let classicalMiss = zip(classical, Self.truth).map { abs($0 - $1) }.max()!
    #expect(classicalMiss > 0.06, "the planted cohort should bend the moving average: \(classical)")

    var withoutPrior = ActivityModel.FitOptions()
    withoutPrior.priorCustomersPerGridPoint = 0
    let model = try #require(ActivityModel.fitWithSeasons(h, options: withoutPrior))
    let index = try #require(model.seasonalIndex)
    for month in 0..<12 {
      #expect(abs(index[month] - Self.truth[month]) < 0.06, "month \(month + 1): \(index[month]) against \(Self.truth[month])")
    }
    let forecast = model.outlook(h, days: [(from: Self.through + 1, to: Self.end + 1)])
    let predicted = forecast.purchases.reduce(0) { $0 + $1[0] }
    #expect(abs(predicted / future - 1) < 0.08, "predicted \(predicted), simulated \(future)")
  }

  /// One year of the same cohort (2023): the moving average has no season to read, each month was
  /// seen once. Against a flat model's expectation, less a trend read beside a yearly wave, the
  /// months follow the truth and the spring after (January to June, the season's falling half)
  /// is forecast within 20%, and closer than by the flat model by more than 5 points. Measured on
  /// seeds 13 and 14: correlation 0.98 and 0.92, no month more than 0.09 and 0.20 off, the six
  /// months after +10% and +8% (the flat model +46%; with the seasons read once, against the flat
  /// model alone, before session 29: 0.96 and 0.90, 0.11 and 0.22, +13% and +11%). With the trend read as a straight line
  /// alone, as before, it took part of the season (the cohort's purchases weigh the months from
  /// March on, the season's rise to December): correlation 0.85 and 0.84, November and December
  /// 0.2-0.3 low, the six months after +43% and +42%.
  ///
  /// The seasons are read here with ageing that levels off left out, as this cohort has none. The
  /// default looks for it in a closed cohort and takes a floor of 0.7 on both seeds (a false
  /// positive beside a +-30% season, read off the year's first months): the six months after go
  /// to +6% and +13% (+8% and +15% before session 29), and seed 14's index to a correlation of
  /// 0.870. The default's forecast is held to the same bounds.
  @Test(arguments: [13, 14] as [UInt64])
  func oneYearOfSeasonsIsRead(seed: UInt64) throws {
    let through = CalendarDay(year: 2023, month: 12, day: 31)!.dayNumber
    let (h, future) = Self.simulate(customers: 12_000, seed: seed, through: through)
    #expect(ActivityModel.seasonalIndex(h, period: .month) == nil)
    var seasonsAlone = ActivityModel.FitOptions()
    seasonsAlone.levellingAgeing = []
    let model = try #require(ActivityModel.fitWithSeasons(h, options: seasonsAlone))
    let index = try #require(model.seasonalIndex)
    #expect(Self.correlation(index, Self.truth) > 0.87, "index \(index)")
    let days = [(from: through + 1, to: CalendarDay(dayNumber: through + 1).adding(months: 6).dayNumber)]
    let flat = try #require(ActivityModel.fit(h))
    #expect(flat.seasonalIndex == nil)
    let flatPredicted = flat.outlook(h, days: days).purchases.reduce(0) { $0 + $1[0] }
    for fitted in [model, try #require(ActivityModel.fitWithSeasons(h))] {
      let predicted = fitted.outlook(h, days: days).purchases.reduce(0) { $0 + $1[0] }
      #expect(abs(predicted / future - 1) < 0.2, "with seasons \(predicted), simulated \(future)")
      #expect(abs(predicted / future - 1) < abs(flatPredicted / future - 1) - 0.05,
              "with seasons \(predicted), flat \(flatPredicted), simulated \(future)")
    }
  }

  /// Fourteen months of the same closed cohort (to 2024-02-29): January and February are seen
  /// twice, but the slope is still read on the first year beside a yearly wave, so what one year
  /// showed stays as the window grows. Measured on seeds 13 and 14: correlation 0.95 and 0.99, the
  /// six months after +15% and +11% (this cohort of two kinds of customers runs high, as on one
  /// year). With the seasons read once, against the flat model alone (before session 29),
  /// correlation 0.95 and 0.97 and the six months after +23% and +16%; with the slope read as a
  /// straight line across all 14 months, before that, 0.91 and 0.94, +36% and +31%.
  @Test(arguments: [13, 14] as [UInt64])
  func fourteenMonthsOfAClosedCohortKeepTheFirstYearsSlope(seed: UInt64) throws {
    let through = CalendarDay(year: 2024, month: 2, day: 29)!.dayNumber
    let read = try Self.seasonsAndForecast(customers: 12_000, seed: seed, through: through, acquisitionDays: 90)
    #expect(read.correlation > 0.93, "index \(read.index)")
    #expect(abs(read.forecastError) < 0.2, "forecast error \(read.forecastError)")
  }

  /// One year of a base that began on 2023-01-01 and acquired customers all year: every
  /// customer's first purchase is in the data, so the misfit that grows with tenure is read along
  /// tenure, and each month keeps its season. Measured: no month more than 0.13-0.15 off the truth,
  /// correlation 0.96, the six months after +13% and 0% (seeds 16, 17). With the slope read
  /// across the months, as before, December read 0.93-0.95 where the truth is 1.3, correlation
  /// 0.64-0.67, and the six months after came out +55% and +60%.
  @Test(arguments: [16, 17] as [UInt64])
  func oneYearOfABaseThatBeganWithTheDataKeepsItsSeasons(seed: UInt64) throws {
    let through = CalendarDay(year: 2023, month: 12, day: 31)!.dayNumber
    let read = try Self.seasonsAndForecast(customers: 12_000, seed: seed, through: through, acquisitionDays: 365)
    #expect(read.miss < 0.18 && read.correlation > 0.93, "index \(read.index)")
    #expect(abs(read.forecastError) < 0.16, "forecast error \(read.forecastError)")
  }

  /// One year cut out of an older base (acquired since 2023-01, seen from 2024-07-01 to
  /// 2025-06-30): the first purchases in the data crowd its first month and are not the
  /// customers' first, so tenure is unknown and the slope is read across the months, beside a
  /// yearly wave: measured +7% here (seed 18; -11% with a straight line alone). Read along tenure,
  /// it came out +64% (generated exports: +62% to +67%).
  @Test(arguments: [18] as [UInt64])
  func oneYearCutOutOfAnOlderBaseKeepsTheSlopeAcrossMonths(seed: UInt64) throws {
    let through = CalendarDay(year: 2025, month: 6, day: 30)!.dayNumber, from = CalendarDay(year: 2024, month: 7, day: 1)!.dayNumber
    let (all, future) = Self.simulateDays(customers: 24_000, seed: seed, through: through, acquisitionDays: 900)
    var seen: [[Int32]] = [], seenFuture = 0
    for (c, list) in all.enumerated() {
      let window = list.filter { $0 >= from }
      guard !window.isEmpty else { continue }
      seen.append(window)
      seenFuture += future[c]
    }
    let h = PurchaseHistories(purchaseDays: seen, through: CalendarDay(dayNumber: through))
    let model = try #require(ActivityModel.fitWithSeasons(h))
    #expect(model.seasonalIndex != nil)
    let days = [(from: through + 1, to: CalendarDay(dayNumber: through + 1).adding(months: 6).dayNumber)]
    let predicted = model.outlook(h, days: days).purchases.reduce(0) { $0 + $1[0] }
    #expect(abs(predicted / Double(seenFuture) - 1) < 0.15, "predicted \(predicted), simulated \(seenFuture)")
  }

  /// Fourteen months of a base that acquires customers all the time, from nobody on 2023-01-01:
  /// January and February are seen twice, the other months once. In a base still acquiring, the
  /// slope is read within the months seen twice, and the season keeps its rising half: measured,
  /// no month more than 0.08-0.10 off the truth, correlation 0.98-0.99, the six months after
  /// +12-13% (seeds 16, 17; the rest is the default prior on this base of two kinds of customers,
  /// as in `closedCohortSeasonsAreRecovered`). With the slope read across all 14 months, as
  /// before, the later months, which weigh most, took the season's rise from June to December for
  /// a trend: months 0.25-0.28 off, correlation 0.67-0.71, the six months after +42%.
  @Test(arguments: [16, 17] as [UInt64])
  func fourteenMonthsOfAnOpenBaseKeepItsSeasons(seed: UInt64) throws {
    let through = CalendarDay(year: 2024, month: 2, day: 29)!.dayNumber
    let read = try Self.seasonsAndForecast(customers: 12_000, seed: seed, through: through, acquisitionDays: 425)
    #expect(read.miss < 0.13 && read.correlation > 0.95, "index \(read.index)")
    #expect(abs(read.forecastError) < 0.16, "forecast error \(read.forecastError)")
  }

  /// Thirteen months of a base that acquires customers all the time, from nobody on 2023-01-01,
  /// with and without a burst (customers buying twice as fast in their first 30 days). January
  /// alone is seen twice, and its first half is the base's first month: its first entrants, in
  /// their first weeks. Read along tenure, as with twelve months, the months keep their seasons:
  /// measured, no month more than 0.06-0.09 off the truth, correlation 0.98-0.99 (seeds 16, 17;
  /// without burst, then with). With that one pair read as the slope, as before, months were
  /// 0.10-0.15 off in three of the four (0.12, 0.10, 0.15; 0.08), correlation 0.96-0.99. The six
  /// months after are not checked here: the model has no burst, and both ways miss them (along
  /// tenure +12%, +8%, +25%, +27%; with the pair +4%, +14%, +6%, +19%).
  @Test(arguments: [(16, 0), (17, 0), (16, 30), (17, 30)] as [(UInt64, Double)])
  func thirteenMonthsOfAnOpenBaseReadTheirSeasonsAlongTenure(seed: UInt64, burstDays: Double) throws {
    let through = CalendarDay(year: 2024, month: 1, day: 31)!.dayNumber
    let read = try Self.seasonsAndForecast(customers: 12_000, seed: seed, through: through, acquisitionDays: 395, burstDays: burstDays)
    #expect(read.miss < 0.10 && read.correlation > 0.975, "index \(read.index)")
  }

  /// A simulated base fitted up to `through`: its index, the largest miss of a month against the
  /// truth and their correlation, and the relative error of the six months after.
  static func seasonsAndForecast(
    customers: Int, seed: UInt64, through: Int32, acquisitionDays: Double, burstDays: Double = 0
  ) throws -> (index: [Double], miss: Double, correlation: Double, forecastError: Double) {
    let (h, future) = simulate(customers: customers, seed: seed, through: through, acquisitionDays: acquisitionDays, burstDays: burstDays)
    let model = try #require(ActivityModel.fitWithSeasons(h))
    let index = try #require(model.seasonalIndex)
    let days = [(from: through + 1, to: CalendarDay(dayNumber: through + 1).adding(months: 6).dayNumber)]
    let predicted = model.outlook(h, days: days).purchases.reduce(0) { $0 + $1[0] }
    return (index, zip(index, truth).map { abs($0 - $1) }.max()!, correlation(index, truth), predicted / future - 1)
  }

  static func correlation(_ x: [Double], _ y: [Double]) -> Double {
    let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
    let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
    let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }, syy = y.reduce(0) { $0 + ($1 - my) * ($1 - my) }
    return sxy / (sxx * syy).squareRoot()
  }

  /// The slope beside a yearly wave, on a hand-made year: log(actual / expected) = 0.01 t + a wave
  /// peaking in December, with weights that rise through the year as a cohort's purchases do.
  /// The wave and the line are read apart exactly; a straight line alone leans with the wave.
  @Test func aSlopeBesideAWaveIsReadApartFromIt() throws {
    let byseason = (0..<12).map { month -> [(t: Double, y: Double, w: Double)] in
      let t = Double(month)
      return [(t, 0.01 * t + 0.2 * Foundation.cos(2 * Double.pi * Double(month - 11) / 12), 100 + 50 * t)]
    }
    let centre = 5.5
    let slope = try #require(ActivityModel.slopeBesideAYearlyWave(byseason, centre: centre))
    #expect(abs(slope - 0.01) < 1e-9, "slope \(slope)")
    let all = byseason.flatMap { $0 }, w = all.reduce(0) { $0 + $1.w }
    let tBar = all.reduce(0) { $0 + $1.w * $1.t } / w, yBar = all.reduce(0) { $0 + $1.w * $1.y } / w
    let straight = all.reduce(0) { $0 + $1.w * ($1.t - tBar) * ($1.y - yBar) } / all.reduce(0) { $0 + $1.w * ($1.t - tBar) * ($1.t - tBar) }
    #expect(abs(straight - 0.01) > 0.005, "a line alone: \(straight)")
    // Quarters hold too few seasons for a wave and a line beside the noise.
    #expect(ActivityModel.slopeBesideAYearlyWave(Array(byseason.prefix(4)), centre: 1.5) == nil)
  }

  /// The first year's slope reads the first year only. Fourteen months of a line and a wave, where
  /// April of the first year had no repeat purchase (no point) and the second year sits 0.3 higher:
  /// April's first point is then from the second year, and taken beside the others it moves the
  /// slope off the 0.01 the first year holds.
  @Test func theFirstYearsSlopeLeavesASecondYearPointOut() throws {
    func y(_ t: Int) -> Double { 0.01 * Double(t) + 0.2 * Foundation.cos(2 * Double.pi * Double(t - 11) / 12) + (t >= 12 ? 0.3 : 0) }
    var byseason = [[(t: Double, y: Double, w: Double)]](repeating: [], count: 12)
    for t in 0..<14 where t != 3 { byseason[t % 12].append((Double(t), y(t), 100)) }
    byseason[3].append((15, y(15), 100))
    let firstYear = ActivityModel.firstYear(of: byseason)
    #expect(firstYear[3].isEmpty && firstYear[0].map(\.t) == [0])
    let slope = try #require(ActivityModel.slopeBesideAYearlyWave(firstYear, centre: 5))
    #expect(abs(slope - 0.01) < 1e-9, "slope \(slope)")
    let withTheSecondYear = try #require(ActivityModel.slopeBesideAYearlyWave(byseason.map { [$0[0]] }, centre: 5))
    #expect(abs(withTheSecondYear - 0.01) > 0.005, "with April of the second year: \(withTheSecondYear)")
  }

  /// Under a year of complete months no season is read at all.
  /// One year of the closed cohort to Sunday 2023-12-24, as a fit for weekly forecasts reads it:
  /// eleven months and 24 days of December. December is read as far as it is seen, its purchases
  /// against the model's expectation over the same 24 days, and comes out as it does from the
  /// whole month (2023-12-31). Measured on seeds 13 and 14: December 0.006 and 0.006 under the
  /// whole month's reading, correlation 0.9999 and 0.9998 over the twelve months. With December
  /// left out there would be no seasons at all (11 complete months); with its expectation taken
  /// over all 31 days, December read 0.14 under (seed 13) and the correlation fell to 0.88 and 0.93.
  @Test(arguments: [13, 14] as [UInt64])
  func theMonthOfTheCalibrationEndIsReadAsFarAsItIsSeen(seed: UInt64) throws {
    let whole = CalendarDay(year: 2023, month: 12, day: 31)!.dayNumber, partial = whole - 7
    let (days, _) = Self.simulateDays(customers: 12_000, seed: seed, through: whole, acquisitionDays: 90)
    func fitted(through: Int32) throws -> [Double] {
      let h = PurchaseHistories(purchaseDays: days.map { $0.filter { $0 <= through } }, through: CalendarDay(dayNumber: through))
      let model = try #require(ActivityModel.fitWithSeasons(h))
      #expect(model.seasonalPeriod == .month)
      return try #require(model.seasonalIndex)
    }
    let month = try fitted(through: whole), weeks = try fitted(through: partial)
    #expect(weeks.count == 12)
    #expect(abs(weeks[11] - month[11]) < 0.03, "December \(weeks[11]) to the 24th, \(month[11]) to the 31st")
    #expect(Self.correlation(weeks, month) > 0.99, "\(weeks) against \(month)")
  }

  @Test func underAYearHasNoSeasons() throws {
    let (h, _) = Self.simulate(customers: 3_000, seed: 15, through: CalendarDay(year: 2023, month: 11, day: 30)!.dayNumber)
    let model = try #require(ActivityModel.fitWithSeasons(h))
    #expect(model.seasonalIndex == nil)
  }
}

import Foundation
import Testing
@testable import JourneyKit

/// The generator's regimes (issue 17, item 6), each measured from the rows it writes, and the
/// backtest's accuracy on each.
@Suite("Generator regimes")
struct GeneratorRegimeTests {
  /// The regimes one at a time on the default 36-month span, the CDNOW-like preset, and the same
  /// preset seen for two years (30 months, 24 of calibration): with one year it cannot tell its
  /// season from its ageing, with two it should. And the default generator calibrated on its first
  /// year (18 months, 12 of calibration), a base that began with the data: `journey backtest`
  /// was 21-22% over before its seasons were read along tenure (seeds 101, 102), and +1.1% / +2.2%
  /// and +3.6% / +4.7% after (this test on seed 101: +1.4% / +2.7%).
  enum Regime: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case base, closedCohort, heterogeneity, ageing, dormancy, real, realTwoYears, baseFirstYear

    var testDescription: String { rawValue }

    func parameters(customers: Int, seed: UInt64) -> GeneratorParameters {
      var p = GeneratorParameters()
      switch self {
      case .base: break
      case .closedCohort: p.acquisitionMonths = 3
      case .heterogeneity: p.purchaseRateShape = 0.5
      case .ageing: p.ageing = 0.5
      case .dormancy: p.wakeRatePerDay = 0.004
      case .real: p.apply(.real)
      case .realTwoYears:
        p.apply(.real)
        p.months = 30
      case .baseFirstYear: p.months = 18
      }
      p.customers = customers
      p.seed = seed
      return p
    }

    /// The calibration end that leaves 6 months of holdout at the end of the span.
    var calibrationEnd: CalendarDay {
      switch self {
      case .real, .baseFirstYear: day("2023-12-31")
      case .realTwoYears: day("2024-12-31")
      default: day("2025-06-30")
      }
    }
  }

  /// Per customer, the days of its purchase rows in order (customers without one are absent).
  static func purchaseDays(_ h: SyntheticHistory) -> [Int32: [Int32]] {
    var days = [Int32: [Int32]]()
    for r in 0..<h.rowCount where h.event[r] == .purchase { days[h.customer[r], default: []].append(h.day[r]) }
    return days
  }

  static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      hash ^= UInt64(b)
      hash = hash &* 0x100_0000_01b3
    }
    return hash
  }

  // MARK: - The default is unchanged

  /// The fingerprint of the default output, taken from the generator before the regimes were
  /// added (3,000 customers, seed 1): the default stays byte-for-byte as it was, also when the
  /// regime parameters are set explicitly to their "off" values.
  @Test func defaultOutputIsByteForByteAsBefore() throws {
    var p = GeneratorParameters()
    p.customers = 3_000
    p.seed = 1
    let bytes = try SyntheticHistoryGenerator.generate(p).csvBytes()
    #expect(bytes.count == 692_061)
    #expect(Self.fnv1a(bytes) == 0xec97_29f7_ae16_1e0e)
    p.apply(.base)
    p.acquisitionMonths = 0
    p.ageing = 0
    p.wakeRatePerDay = 0
    #expect(try SyntheticHistoryGenerator.generate(p).csvBytes() == bytes)
    #expect(try SyntheticHistoryGenerator.generate(p).truth.counts.returns == 0)
  }

  // MARK: - Each regime does what it says

  @Test func closedCohortHasNoEntrantsAfterItsMonths() throws {
    var p = Regime.closedCohort.parameters(customers: 5_000, seed: 31)
    let cutoff = p.start.adding(months: 3).dayNumber
    // With leads: everyone's first row (lead or purchase) falls in the first 3 months.
    let h = try SyntheticHistoryGenerator.generate(p)
    var firstDay = [Int32: Int32]()
    for r in 0..<h.rowCount where firstDay[h.customer[r]] == nil { firstDay[h.customer[r]] = h.day[r] }
    #expect(firstDay.count == 5_000)
    #expect(firstDay.values.allSatisfy { $0 < cutoff })
    #expect(h.truth.acquisitionsPerMonth.dropFirst(3).allSatisfy { $0 == 0 })
    #expect(h.truth.acquisitionsPerMonth.prefix(3).allSatisfy { $0 > 1_000 })
    #expect(h.truth.acquisitionMonths == 3)
    // Without leads (as in CDNOW): no first purchase after month 3, and purchases go on later.
    p.leadShare = 0
    let direct = Self.purchaseDays(try SyntheticHistoryGenerator.generate(p))
    #expect(direct.count == 5_000)
    #expect(direct.values.allSatisfy { $0[0] < cutoff })
    #expect(direct.values.filter { $0.last! >= cutoff + 365 }.count > 500)
  }

  @Test func smallerShapeWidensTheSpreadOfPurchaseCounts() throws {
    func coefficientOfVariation(shape: Double) throws -> Double {
      var p = Regime.base.parameters(customers: 6_000, seed: 32)
      p.purchaseRateShape = shape
      p.leadShare = 0
      let counts = Self.purchaseDays(try SyntheticHistoryGenerator.generate(p)).values.map { Double($0.count) }
      let mean = counts.reduce(0, +) / Double(counts.count)
      let variance = counts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(counts.count - 1)
      return variance.squareRoot() / mean
    }
    let spreads = try [4.0, 1.5, 0.5, 0.2].map { try coefficientOfVariation(shape: $0) }
    print("coefficient of variation of purchases per buyer at shapes 4, 1.5, 0.5, 0.2: \(spreads)")
    #expect(zip(spreads, spreads.dropFirst()).allSatisfy { $0 < $1 }, "coefficients of variation \(spreads)")
    #expect(spreads[2] > 1.2 * spreads[1], "coefficients of variation \(spreads)")
  }

  /// Repeat purchases per customer-month in the first and the second year of tenure, with no
  /// dropout (everyone alive), no seasonality and a closed cohort (everyone observed for 2 years).
  static func secondYearToFirstYearRate(ageing: Double) throws -> Double {
    var p = Regime.base.parameters(customers: 8_000, seed: 33)
    p.dropoutAlpha = 1e-6
    p.dropoutBeta = 1e6
    p.purchaseSeasonality = 0
    p.leadShare = 0
    p.acquisitionMonths = 3
    p.ageing = ageing
    let end = Int32(p.end.dayNumber)
    var purchases = [0.0, 0.0], exposureDays = [0.0, 0.0]
    for days in Self.purchaseDays(try SyntheticHistoryGenerator.generate(p)).values {
      let first = days[0]
      for year in 0..<2 {
        let from = first + Int32(365 * year), to = min(end, first + Int32(365 * (year + 1)))
        exposureDays[year] += Double(max(0, to - from))
      }
      for d in days.dropFirst() where d - first < 730 { purchases[Int(d - first) / 365] += 1 }
    }
    return (purchases[1] / exposureDays[1]) / (purchases[0] / exposureDays[0])
  }

  @Test func ageingLowersRepeatPurchasesWithTenure() throws {
    // (1 + x)^-0.5 averages 2(sqrt 2 - 1) = 0.828 over the first year and 2(sqrt 3 - sqrt 2) = 0.636
    // over the second: a ratio of 0.768. Without ageing the ratio is 1.
    let aged = try Self.secondYearToFirstYearRate(ageing: 0.5)
    let flat = try Self.secondYearToFirstYearRate(ageing: 0)
    print("year 2 / year 1 repeat rate: ageing 0.5 \(aged), no ageing \(flat)")
    #expect(abs(aged - 0.768) < 0.04, "year 2 / year 1 rate with ageing 0.5: \(aged)")
    #expect(abs(flat - 1) < 0.04, "year 2 / year 1 rate without ageing: \(flat)")
  }

  /// The share of buyers who buy again after 183 or more days without a purchase.
  static func shareReturningAfterSixQuietMonths(_ p: GeneratorParameters) throws -> Double {
    let days = Self.purchaseDays(try SyntheticHistoryGenerator.generate(p))
    let returning = days.values.filter { d in zip(d, d.dropFirst()).contains { $1 - $0 >= 183 } }.count
    return Double(returning) / Double(days.count)
  }

  @Test func dormantCustomersComeBackAfterQuietMonths() throws {
    let dormant = Regime.dormancy.parameters(customers: 6_000, seed: 34)
    let base = Regime.base.parameters(customers: 6_000, seed: 34)
    let withReturns = try Self.shareReturningAfterSixQuietMonths(dormant)
    let without = try Self.shareReturningAfterSixQuietMonths(base)
    print("share of buyers returning after 6+ quiet months: wake rate 0.004 \(withReturns), default \(without)")
    #expect(withReturns > 0.15, "share returning after 6+ quiet months: \(withReturns)")
    #expect(withReturns > 2 * without, "with dormancy \(withReturns), default \(without)")
    let h = try SyntheticHistoryGenerator.generate(dormant)
    #expect(h.truth.counts.returns > 1_000)
    #expect(h.truth.meanDormancyDays == 250)
  }

  @Test func realPresetCombinesTheRegimesAndTheTruthRecordsThem() throws {
    var p = GeneratorParameters(regime: .real)
    #expect(p.regime == .real && p.months == 18 && p.acquisitionMonths == 3 && p.purchaseRateShape == 0.5)
    #expect(p.ageing == 0.5 && p.wakeRatePerDay == 0.004 && p.leadShare == 0)
    p.customers = 2_000
    let h = try SyntheticHistoryGenerator.generate(p)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONOutput.encode(h.truth).utf8)) as? [String: Any])
    let parameters = try #require(json["parameters"] as? [String: Any])
    #expect(parameters["regime"] as? String == "real")
    #expect(parameters["acquisition_months"] as? Int == 3)
    #expect(parameters["purchase_rate_shape"] as? Double == 0.5)
    #expect(parameters["ageing"] as? Double == 0.5)
    #expect(parameters["wake_rate_per_day"] as? Double == 0.004)
    #expect(json["mean_dormancy_days"] as? Double == 250)
    #expect(json["acquisition_months"] as? Int == 3)
    #expect((json["counts"] as? [String: Any])?["returns"] as? Int == h.truth.counts.returns)
    // The default truth names its regime and the "off" values too.
    let base = try SyntheticHistoryGenerator.generate({ var g = GeneratorParameters(); g.customers = 100; return g }())
    let baseJSON = try JSONOutput.encode(base.truth)
    for key in ["\"regime\" : \"base\"", "\"acquisition_months\" : 0", "\"ageing\" : 0", "\"wake_rate_per_day\" : 0", "\"acquisition_months\" : 36"] {
      #expect(baseJSON.contains(key), "\(key)")
    }
  }

  /// Each case: the flag the message must name, and how the parameters are broken.
  static let nonsense: [(flag: String, case: Int)] = [
    ("acquisition-months", 0), ("acquisition-months", 1), ("ageing", 2), ("ageing", 3), ("wake-rate", 4),
    ("wake-rate", 5), ("purchase-rate-shape", 6), ("purchase-rate-shape", 7),
  ]

  @Test(arguments: nonsense)
  func nonsenseIsRejectedNamingTheFlag(flag: String, case index: Int) {
    var p = GeneratorParameters()
    switch index {
    case 0: p.acquisitionMonths = -1
    case 1: p.acquisitionMonths = 37
    case 2: p.ageing = -0.5
    case 3: p.ageing = .nan
    case 4: p.wakeRatePerDay = -0.004
    case 5: p.wakeRatePerDay = .infinity
    case 6: p.purchaseRateShape = 0
    default: p.purchaseRateShape = -0.5
    }
    #expect {
      try p.validate()
    } throws: { error in
      "\(error)".hasPrefix("--\(flag): ")
    }
  }

  // MARK: - Backtest accuracy per regime

  /// The seeds of the accuracy check: 101 (not looked at while building) by default, which keeps
  /// the debug-build run near 2 minutes; `JOURNEY_REGIME_SEEDS=101,102` adds more.
  static let accuracySeeds: [UInt64] =
    ProcessInfo.processInfo.environment["JOURNEY_REGIME_SEEDS"].map { $0.split(separator: ",").compactMap { UInt64($0) } } ?? [101]

  static let accuracyCases: [(Regime, UInt64)] = Regime.allCases.flatMap { r -> [(Regime, UInt64)] in accuracySeeds.map { (r, $0) } }

  /// Regimes whose holdout totals miss the 5% bar. Neither the model nor the generator was tuned
  /// to pass; the figures are holdout total errors (transactions, revenue) measured on seeds 101
  /// and 102 at 8,000 customers.
  /// - real (CDNOW-like): +4.2%, +6.3% and +4.7%, +6.7% since the seasons of one year are read a
  ///   second time, against the seasonal model (session 29; +7.3%, +9.5% and +7.4%, +9.6% with
  ///   ageing that levels off, read from a year of a closed cohort, session 28; on seeds
  ///   7001-7004 the transactions are now +6.5%, +4.9%, +5.9%, +19.2%). Before those:
  ///   +14.6%, +17.0% and +12.7%, +14.9% since the one-year trend is read
  ///   beside a yearly wave (session 25; +25.7%, +28.4% and +27.1%, +29.7% before, with the
  ///   trend a straight line alone; +23.9%, +26.6% and +25.0%, +27.6% before seasons were read
  ///   from one year). Its 18 months leave 12 of calibration:
  ///   ageing (0.5 here) needs two years and goes unseen (read from one year, tried on dev seeds
  ///   301 and 302, it came out 0.21 and the regime +17% to +18%, but a base planted without
  ///   ageing was then put 6-8% off), and the seasons read from that one year carry the unseen
  ///   ageing's bend (January to June read 6% above the truth). With the generator's exponent
  ///   forced, the model is within 4-8% (with today's seasons, -4.1% to +3.8% on seeds 7001-7004,
  ///   101, 102, 1001, 1002: its one clock, which ages the dropout too, is not what misses; session
  ///   30). But neither its likelihood (a few dozen log units between the curves, which way by the
  ///   seed) nor shorter origins (December's peak is in the window) read it from one year. A
  ///   partial likelihood that does (0.30) reads 1.0 from CDNOW's first 9 months, where ageing
  ///   costs the standard protocol 8 to 28 points (Benchmarks/README.md, session 15). An ageing
  ///   of the buying alone, read by a prototype, would leave it about 17% over (session 18). The
  ///   same base seen for two years (`realTwoYears`) is within 4% on seeds 601-604. Read from one
  ///   year beside the yearly wave (session 26), ageing puts it within 4% (seeds 1001, 1002, 101,
  ///   102), but CDNOW's first year reads the same exponent and its forecasts from 1997-12-31 to
  ///   1998-02-28 fall 11-19% short: the first year does not tell the two apart.
  /// (base: -0.6%, -1.3% and +1.3%, +1.6%; closed cohort: +1.1%, +0.3% and -0.1%, -2.9%;
  /// heterogeneity: +0.1%, +1.9% and -2.5%, -0.8%; ageing: -1.9%, -2.6% and +1.2%, +1.9%;
  /// dormancy: +0.0%, -0.2% and -0.0%, +0.0%: within the bar. The closed cohort was +5% to +7%
  /// before the seasons were measured against the model's expectation, ageing +4% to +10% before
  /// the model read ageing; on seeds 301 and 302, heterogeneity is -3.1%, -2.7% and -4.9%, -6.9%.)
  static let knownMisses: [Regime: (figures: String, intermittent: Bool)] = [
    .real: ("+4% to +7% on transactions and revenue (seed 101: revenue +6.3%)", false),
  ]

  /// The issue's bar for every regime: fit up to 6 months before the end and predict the 6-month
  /// holdout; totals of transactions and revenue within 5% of what happened. The model and the
  /// generator are not tuned to pass: a case that misses is marked with its measured figures.
  @Test(arguments: accuracyCases)
  func holdoutTotalsWithinFivePercent(regime: Regime, seed: UInt64) throws {
    let history = try SyntheticHistoryGenerator.generate(regime.parameters(customers: 8_000, seed: seed))
    var o = BacktestOptions(calibrationEnd: regime.calibrationEnd)
    o.holdoutPeriods = 6
    // The totals are expected values, the same with or without per-customer measures and
    // Monte Carlo ranges: both are left out to keep the debug-build run short.
    o.perCustomer = false
    o.replicates = 0
    let b = try Backtest.run(TransactionTable(history: history), options: o)
    #expect(b.holdout.periods.count == 6)
    let transactions = try #require(b.holdout.accuracy.first { $0.kpi == .transactions }?.totalError)
    let revenue = try #require(b.holdout.accuracy.first { $0.kpi == .revenue }?.totalError)
    print("regime \(regime.rawValue) seed \(seed): transactions total error \(transactions), revenue total error \(revenue)")
    let check = {
      #expect(abs(transactions) < 0.05, "\(regime.rawValue) seed \(seed): transactions total error \(transactions)")
      #expect(abs(revenue) < 0.05, "\(regime.rawValue) seed \(seed): revenue total error \(revenue)")
    }
    if let miss = Self.knownMisses[regime] {
      withKnownIssue("\(regime.rawValue): the model over-forecasts the holdout, measured \(miss.figures) (issue 17, item 6)", isIntermittent: miss.intermittent) {
        check()
      }
    } else {
      check()
    }
  }
}

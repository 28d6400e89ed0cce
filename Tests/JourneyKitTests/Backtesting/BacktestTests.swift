import Foundation
import Testing
@testable import JourneyKit

@Suite("Backtest")
struct BacktestTests {
  static func history(customers: Int, seed: UInt64) throws -> SyntheticHistory {
    var g = GeneratorParameters()
    g.customers = customers
    g.seed = seed
    return try SyntheticHistoryGenerator.generate(g)
  }

  static let small: TransactionTable = TransactionTable(history: try! history(customers: 3_000, seed: 21))

  func options(_ end: String, perCustomer: Bool = true) -> BacktestOptions {
    var o = BacktestOptions(calibrationEnd: day(end))
    o.perCustomer = perCustomer
    o.replicates = 50
    return o
  }

  /// The done-when bar: on generated data (seeds not used while building), the 6-month holdout
  /// totals of transactions and revenue are within 5% of what happened.
  @Test(arguments: [11, 12] as [UInt64])
  func totalsWithinFivePercentOnGeneratedData(seed: UInt64) throws {
    let table = TransactionTable(history: try Self.history(customers: 20_000, seed: seed))
    let b = try Backtest.run(table, options: options("2025-06-30"))
    #expect(b.holdout.periods.count == 6)
    for kpi in [Backtest.Measure.transactions, .revenue, .active] {
      let error = try #require(b.holdout.accuracy.first { $0.kpi == kpi }?.totalError)
      #expect(abs(error) < 0.05, "\(kpi) total error \(error)")
    }
    let c = try #require(b.holdout.perCustomer)
    #expect((c.correlation ?? 0) > 0.5)
    // The own-history weights beat the state alone and the all-zero baseline.
    #expect(c.rmse < c.stateOnly.rmse)
    #expect(c.rmse < b.baselines.perCustomer!.allZero.rmse)
  }

  /// Active customers, as the activity model forecasts them, are those with a purchase in the
  /// period, whatever the state space: an RFM space's active stage is its top recency score,
  /// which holds customers who did not buy in the period (counted so, CDNOW's weekly backtest from
  /// 1997-08-03, where rfm:3 was chosen, read 2,655 active customers a week against 590 forecast).
  /// (By week, where fewer than a third of the customers buy in any one week, the top of three
  /// recency scores spans several weeks; by month here it is the month itself.)
  @Test(arguments: [(StateSpaceKind.lifecycle, PeriodKind.month), (.rfm(levels: 3), .month), (.rfm(levels: 3), .week)])
  func actualsAreCountedFromTheRows(states: StateSpaceKind, period: PeriodKind) throws {
    let table = Self.small
    // 2025-06-29 is a Sunday: the end of a week, and 2025-06-30 of a month.
    var o = options(period == .week ? "2025-06-29" : "2025-06-30", perCustomer: false)
    o.fit.stateSpace = states
    o.fit.period = period
    o.holdoutPeriods = period == .week ? 8 : nil
    let b = try Backtest.run(table, options: o)
    for row in b.holdout.periods {
      let end = period.end(of: period.index(of: row.start))
      func inPeriod(_ r: Int) -> Bool { table.day[r] >= row.start.dayNumber && table.day[r] <= end.dayNumber }
      var occasions = 0.0, revenue = 0.0
      for r in 0..<table.rowCount where inPeriod(r) {
        if table.event[r] == .purchase { occasions += 1 }
        if table.event[r] != .lead { revenue += table.amount[r] }
      }
      let buyers = (0..<table.customerCount).filter { c in table.rows(of: c).contains { inPeriod($0) && table.event[$0] == .purchase } }
      #expect(row.actual.transactions == occasions)
      #expect(abs(row.actual.revenue - revenue) < 1e-6)
      #expect(row.actual.active == Double(buyers.count), "\(row.label): \(row.actual.active) active against \(buyers.count) buyers")
    }
    #expect(b.holdout.totals.actual.transactions == b.holdout.periods.reduce(0) { $0 + $1.actual.transactions })
  }

  /// A calibration too short to read ageing from says so where the accuracy is read, with its
  /// days (from the first purchase to the calibration end); two and a half years say nothing.
  @Test func aShortCalibrationSaysAgeingWentUnread() throws {
    var o = options("2023-12-31", perCustomer: false)
    o.holdoutPeriods = 6
    o.replicates = 0
    let short = try Backtest.run(Self.small, options: o)
    let days = day("2023-12-31").dayNumber - PurchaseHistories(Self.small, through: day("2023-12-31")).firstDay
    #expect(days > 300)
    #expect(short.notes.contains { $0.contains("ageing not read from \(days) days of history") }, "\(short.notes)")
    o.calibrationEnd = day("2025-06-30")
    let long = try Backtest.run(Self.small, options: o)
    #expect(!long.notes.contains { $0.contains("ageing not read") }, "\(long.notes)")
  }

  /// The note's clauses follow what the model read, one case each: a floor in percent (0.7 is
  /// "70%", not "1%" or "0.7%") read from a closed cohort; levelling looked for and not found; a
  /// short open base, whose ageing was not read; two years, which say nothing of ageing. Seasons:
  /// read, not read under a year, nothing to say from a year on without them.
  @Test func theNoteSaysWhatTheActivityModelReadOfAgeingAndSeasons() {
    var model = ActivityModel(
      purchaseRates: [0.01], dormancyRates: [0.001], weights: [1], wakeRate: 0, spendMean: 10, spendPseudoCount: nil,
      through: CalendarDay(dayNumber: 1_000), fittedCustomers: 1, logLikelihood: 0)
    model.shortHistoryDays = 364
    model.levellingLookedFor = true
    model.ageingCurve = .levelling(floor: 0.7, days: 30)
    model.seasonalIndex = Array(repeating: 1, count: 12)
    model.seasonalPeriod = .month
    var clauses = Backtest.seasonsAndAgeing(of: model)
    #expect(clauses.seasons == ", with seasons")
    #expect(clauses.ageing.hasPrefix("; ageing levelling off at 70% read from 364 days of a closed cohort"), "\(clauses.ageing)")
    model.ageingCurve = .none
    #expect(Backtest.seasonsAndAgeing(of: model).ageing.hasPrefix("; no ageing found in 364 days of a closed cohort"))
    model.levellingLookedFor = nil
    model.seasonalIndex = nil
    model.seasonalPeriod = nil
    clauses = Backtest.seasonsAndAgeing(of: model)
    #expect(clauses.seasons == ", no seasons: under a year of history")
    #expect(clauses.ageing.hasPrefix("; ageing not read from 364 days of history"))
    model.shortHistoryDays = 400
    #expect(Backtest.seasonsAndAgeing(of: model).seasons == "")
    model.shortHistoryDays = nil
    #expect(Backtest.seasonsAndAgeing(of: model) == ("", ""))
  }

  /// The customers who have bought are forecast one by one by the activity model: their
  /// per-customer predictions add up to that model's forecast made directly, and the aggregate
  /// adds the forecasts of the entrants and the leads on top.
  @Test func perCustomerPredictionsAddUpToTheActivityForecast() throws {
    let b = try Backtest.run(Self.small, options: options("2025-06-30"))
    let c = try #require(b.holdout.perCustomer)
    let through = day("2025-06-30")
    let histories = PurchaseHistories(Self.small, through: through)
    let model = try #require(ActivityModel.fitWithSeasons(histories))
    let direct = ActivityForecast(histories, model: model, period: .month, origin: PeriodKind.month.index(of: through), steps: 6)
    #expect(abs(c.predictedTotal - direct.purchases.reduce(0, +)) < 1e-6 * c.predictedTotal)
    #expect(b.holdout.totals.predicted.transactions > c.predictedTotal)
    #expect(c.byCalibrationRepeats.map(\.repeats).first == "0")
    #expect(c.byCalibrationRepeats.reduce(0) { $0 + $1.customers } == c.customers)
  }

  /// Per-state expectations use the forecast's step matrices: the base at the origin times the
  /// outlook equals the forecast's expected purchases from that base, seasons included.
  @Test func horizonOutlookAgreesWithTheForecast() throws {
    var fit = FitOptions()
    fit.estimator.seasonal = true
    fit.asOf = day("2025-06-30")
    let model = try ModelFitter.fit(Self.small, options: fit)
    let outlook = HorizonOutlook(model: model, steps: 6)
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 0
    o.acquisition = .given(Array(repeating: Array(repeating: 0, count: model.stateSpace.count), count: 6))
    let f = try ForecastEngine.run(model: model, options: o)
    let fromOutlook = zip(model.currentBase, outlook.occasions).reduce(0) { $0 + $1.0 * $1.1 }
    let fromForecast = f.expected[.purchases]!.reduce(0, +)
    #expect(abs(fromOutlook - fromForecast) < 1e-6 * fromForecast)
    let revenue = zip(model.currentBase, outlook.revenue).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(abs(revenue - f.expected[.revenue]!.reduce(0, +)) < 1e-6 * revenue)
  }

  @Test func errorMeasuresByHand() {
    let e = CustomerAccuracy.errors([1, 2, 3], [1, 3, 5])
    #expect(e.mae == 1)
    #expect(abs(e.rmse - (5.0 / 3).squareRoot()) < 1e-12)
    #expect(abs(e.correlation! - 1) < 1e-12)
    #expect(CustomerAccuracy.errors([0, 0, 0], [1, 3, 5]).correlation == nil)
    let c = CustomerAccuracy.calibration([0.1, 0.1, 0.9, 0.9], [0, 1, 1, 1])
    #expect(abs(c.brier - 0.21) < 1e-12)
    #expect(abs(c.referenceBrier - 0.1875) < 1e-12)
    #expect(c.bins.count == 2)
    #expect(c.bins[0].customers == 2 && abs(c.bins[0].observedRate - 0.5) < 1e-12 && abs(c.bins[0].predictedMean - 0.1) < 1e-12)
    #expect(c.bins[1].low == 0.9 && c.bins[1].observedRate == 1)
  }

  @Test func ownHistoryWeightsFavourHeavyBuyersAndAverageOneWithinAState() throws {
    let table = Self.small
    let model = try ModelFitter.fit(table, options: { var o = FitOptions(); o.asOf = day("2025-06-30"); return o }())
    let states = try CustomerScorer.currentStates(table, model: model, asOf: day("2025-06-30"))
    let w = OwnHistoryWeights(table, states: states, stateCount: model.stateSpace.count, period: .month, through: day("2025-06-30"))
    #expect(w.rateShape != nil)
    let purchases = (0..<table.customerCount).map { c in table.rows(of: c).filter { table.event[$0] == .purchase && table.day[$0] <= day("2025-06-30").dayNumber }.count }
    for s in 0..<model.stateSpace.count {
      let members = (0..<table.customerCount).filter { states[$0] == Int32(s) && purchases[$0] > 0 }
      guard members.count > 20 else { continue }
      let mean = members.reduce(0) { $0 + w.purchases[$1] } / Double(members.count)
      #expect(abs(mean - 1) < 1e-9, "state \(model.stateNames[s])")
      let heavy = members.filter { purchases[$0] >= 8 }, light = members.filter { purchases[$0] == 1 }
      if heavy.count > 5 && light.count > 5 {
        #expect(heavy.reduce(0) { $0 + w.purchases[$1] } / Double(heavy.count) > light.reduce(0) { $0 + w.purchases[$1] } / Double(light.count))
      }
    }
  }

  @Test func clearErrorsForAHoldoutTheDataDoesNotHave() throws {
    #expect(throws: BacktestError.noHoldout(calibrationEnd: day("2025-12-31"), lastCompletePeriod: "2025-12", dataEnd: Self.small.dayRange!.upperBound)) {
      try Backtest.run(Self.small, options: options("2025-12-31"))
    }
    var o = options("2025-06-30")
    o.holdoutPeriods = 9
    #expect(throws: BacktestError.holdoutTooLong(asked: 9, available: 6, period: .month)) { try Backtest.run(Self.small, options: o) }
    #expect(BacktestError.holdoutTooLong(asked: 9, available: 6, period: .month).description.contains("hint: use --holdout-periods 6"))
  }

  /// `--holdout-periods N` alone: the calibration ends with the complete period N before the
  /// data's last complete one. Worked by hand on two customers: data from 2024-01-15 to
  /// 2024-12-31 has 12 complete months (January counts from its first row, as every window
  /// does), so holding out 3 ends the calibration on 2024-09-30 and 10 is the most that leaves the
  /// 2 months a fit needs; a last row on 2024-12-30 leaves December incomplete, and 3 months
  /// end on 2024-08-31. By quarter, 2 of the 4 end on 2024-06-30.
  @Test func holdingOutTheLastPeriodsEndsTheCalibrationBeforeThem() throws {
    func table(last: String) throws -> TransactionTable {
      try TransactionReader(options: ReaderOptions()).read(
        text: "customer_id,date,amount\na,2024-01-15,10\nb,2024-06-03,20\na,\(last),30\n", name: "t.csv").table
    }
    let full = try table(last: "2024-12-31"), short = try table(last: "2024-12-30")
    #expect(try Backtest.calibrationEnd(holdingOut: 3, of: full, period: .month) == day("2024-09-30"))
    #expect(try Backtest.calibrationEnd(holdingOut: 10, of: full, period: .month) == day("2024-02-29"))
    #expect(throws: BacktestError.holdoutLeavesTooFew(asked: 11, completePeriods: 12, period: .month)) {
      try Backtest.calibrationEnd(holdingOut: 11, of: full, period: .month)
    }
    #expect(BacktestError.holdoutLeavesTooFew(asked: 11, completePeriods: 12, period: .month).description.contains("hint: use --holdout-periods 10 or less"))
    #expect(try Backtest.calibrationEnd(holdingOut: 3, of: short, period: .month) == day("2024-08-31"))
    #expect(try Backtest.calibrationEnd(holdingOut: 2, of: full, period: .quarter) == day("2024-06-30"))
    // A fit window from a later day counts its periods from there.
    #expect(throws: BacktestError.holdoutLeavesTooFew(asked: 3, completePeriods: 4, period: .month)) {
      try Backtest.calibrationEnd(holdingOut: 3, of: full, period: .month, from: day("2024-09-01"))
    }
  }

  /// Three origins one month apart: each is the backtest a user would run from that date (the
  /// same errors, states and range counts as `Backtest.run` there), earliest first, every one
  /// predicting as many months; the summary is each KPI's errors averaged by hand over them.
  @Test func rollingOriginsAreTheBacktestsFromEachEndSummarised() throws {
    var o = options("2025-06-30", perCustomer: false)
    o.holdoutPeriods = 4
    o.replicates = 20
    let rolling = try RollingBacktest.run(Self.small, options: o, origins: 3)
    #expect(rolling.origins.map(\.calibrationEnd) == [day("2025-04-30"), day("2025-05-31"), day("2025-06-30")])
    #expect(rolling.holdoutPeriods == 4)
    var inside = 0, periods = 0
    for origin in rolling.origins {
      var single = o
      single.calibrationEnd = origin.calibrationEnd
      let b = try Backtest.run(Self.small, options: single)
      #expect(b.holdout.periods.count == 4 && origin.states == b.states)
      for x in b.holdout.accuracy { #expect(origin.totalError[x.kpi] == x.totalError, "\(origin.calibrationEnd) \(x.kpi)") }
      #expect(origin.insideRange?.transactions == b.holdout.insideRange?.transactions)
      inside += b.holdout.insideRange!.transactions
      periods += b.holdout.insideRange!.periods
    }
    #expect(rolling.insideRange?.transactions == inside && rolling.insideRange?.periods == periods && periods == 12)
    let t = try #require(rolling.summary.first { $0.kpi == .transactions })
    let errors = rolling.origins.map { $0.totalError[.transactions]! }, runRate = rolling.origins.map { $0.runRateError[.transactions]! }
    #expect(abs(t.meanAbsoluteError - errors.map(abs).reduce(0, +) / 3) < 1e-15)
    #expect(abs(t.meanError - errors.reduce(0, +) / 3) < 1e-15)
    #expect(abs(t.worstError) == errors.map(abs).max() && errors.contains(t.worstError))
    #expect(t.originsBetterThanRunRate == zip(errors, runRate).filter { abs($0) < abs($1) }.count)
    #expect(abs(t.runRateMeanAbsoluteError - runRate.map(abs).reduce(0, +) / 3) < 1e-15)
  }

  /// Origins reaching back past two complete months are refused up front, naming how many fit:
  /// the small base starts in 2023-01, so from 2023-06-30 (6 months) 5 origins keep 2 months each;
  /// so is a holdout longer than the latest origin can predict.
  @Test func tooManyOriginsNameHowManyFit() throws {
    var o = options("2023-06-30", perCustomer: false)
    o.replicates = 0
    o.holdoutPeriods = 1
    func tooManyError(asking asked: Int) -> BacktestError {
      .tooManyOrigins(asked: asked, possible: 5, period: .month, earliestCalibrationEnd: day("2023-02-28"), latestCalibrationEnd: day("2023-06-30"))
    }
    let tooMany = tooManyError(asking: 6)
    #expect(throws: tooMany) {
      try RollingBacktest.run(Self.small, options: o, origins: 6)
    }
    #expect(tooMany.description.contains("5 calibration end(s) keep at least 2 complete months to fit on, the earliest 2023-02-28"))
    #expect(tooMany.description.contains("hint: use --origins 5 or less"))
    // A count reaching back before any calendar date is refused the same way, not a trap.
    #expect(throws: tooManyError(asking: Int.max)) {
      try RollingBacktest.run(Self.small, options: o, origins: Int.max)
    }
    // The latest origin, 6 months before the data's end, cannot predict 7: refused before any runs.
    var late = options("2025-06-30", perCustomer: false)
    late.holdoutPeriods = 7
    #expect(throws: BacktestError.holdoutTooLong(asked: 7, available: 6, period: .month)) {
      try RollingBacktest.run(Self.small, options: late, origins: 2)
    }
  }

  /// The state space is chosen on the calibration window only: changing every row after the
  /// calibration end (dropping half, tripling amounts, adding customers) leaves the choice and
  /// every score as they were, while the holdout itself changes.
  @Test func autoChoiceNeverSeesTheHoldout() throws {
    let h = try Self.history(customers: 4_000, seed: 23)
    let end = day("2024-12-31")
    var records: [TransactionRecord] = []
    var changed: [TransactionRecord] = []
    for r in 0..<h.rowCount {
      let record = TransactionRecord(h.customerID(Int(h.customer[r])), CalendarDay(dayNumber: h.day[r]), Double(h.amountCents[r]) / 100, h.event[r])
      records.append(record)
      if h.day[r] <= end.dayNumber {
        changed.append(record)
      } else if r % 2 == 0 {
        changed.append(TransactionRecord(record.customerID, record.day, record.amount * 3, record.event))
      }
    }
    for k in 0..<300 { changed.append(TransactionRecord("late-\(k)", day("2025-02-10").adding(days: k % 90), 25)) }
    var o = options("2024-12-31", perCustomer: false)
    o.holdoutPeriods = 6
    o.selection = StateSpaceSelection.Options(horizon: 6)
    let told = ProgressLog()
    o.selection?.progress = { done, total, next in told.append((done, total, next)) }
    let a = try Backtest.run(TransactionTable(records: records), options: o)
    o.selection?.progress = nil
    let b = try Backtest.run(TransactionTable(records: changed), options: o)
    let sa = try #require(a.stateSelection), sb = try #require(b.stateSelection)
    // Progress: told before each of the 5 x origins folds, counting up, then once at the end.
    let folds = 5 * sa.origins.count
    #expect(told.entries.map(\.0) == Array(0...folds))
    #expect(told.entries.allSatisfy { $0.1 == folds })
    #expect(told.entries.first?.2 == "lifecycle, fold 1 of \(sa.origins.count)")
    #expect(told.entries.last?.2 == "done")
    #expect(sa.chosenLabel == sb.chosenLabel)
    #expect(sa.candidates.count == 5)
    for (x, y) in zip(sa.candidates, sb.candidates) {
      #expect(x.states == y.states)
      #expect(abs((x.score ?? .nan) - (y.score ?? .nan)) < 1e-9)
    }
    #expect(a.holdout.totals.actual.revenue != b.holdout.totals.actual.revenue)
    #expect(sa.reason.contains(sa.chosenLabel))
  }
}

/// What a progress callback was told, from any thread.
final class ProgressLog: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [(Int, Int, String)] = []
  func append(_ entry: (Int, Int, String)) { lock.lock(); stored.append(entry); lock.unlock() }
  var entries: [(Int, Int, String)] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite("Seasonal rewards")
struct SeasonalRewardTests {
  /// The generator's purchase rate peaks in December (amplitude 0.2) and bottoms in June, so a
  /// seasonal fit must give December more purchases per customer-period than June.
  @Test func purchasesPerCustomerPeriodFollowTheGeneratorsSeason() throws {
    var o = FitOptions()
    o.estimator.seasonal = true
    let model = try ModelFitter.fit(BacktestTests.small, options: o)
    let rewards = try #require(model.seasonalRewards)
    #expect(rewards.count == 12)
    #expect(rewards[11].occasions > rewards[5].occasions * 1.15, "\(rewards.map(\.occasions))")
    #expect(rewards[11].revenue > rewards[5].revenue * 1.15)
    for r in rewards { #expect(r.occasions > 0.6 && r.occasions < 1.4) }
    var plain = o
    plain.estimator.seasonal = false
    #expect(try ModelFitter.fit(BacktestTests.small, options: plain).seasonalRewards == nil)
  }
}

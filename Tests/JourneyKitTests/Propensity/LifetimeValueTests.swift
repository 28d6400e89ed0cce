import Foundation
import Testing
@testable import JourneyKit

/// `score`'s lifetime value: a customer with a purchase gets its own, from the activity model;
/// the chain's starts at the next period too.
@Suite("Lifetime value")
struct LifetimeValueTests {
  /// One kind of customer: buying 0.05 a day while active, falling dormant at 0.01 a day, waking
  /// at 0.002; 25 a purchase.
  static let model = ActivityModel(
    purchaseRates: [0.05], dormancyRates: [0.01], weights: [1], wakeRate: 0.002, spendMean: 25,
    spendPseudoCount: nil, through: CalendarDay(year: 2024, month: 6, day: 30)!, fittedCustomers: 1, logLikelihood: 0)

  /// Expected values from the definition, computed apart from the tool (Python, scipy): the
  /// customer bought on May 21 and May 31, 2024, and is seen to the end of June 30, 31 days after
  /// its last purchase: it is active at the end with chance v = expm(M 31)[A, A] / (expm(M 31)
  /// 1)[A] = 0.53917 (M = [[-mu - lambda, mu], [omega, -omega]]). Its value is 25 sum_t (1 + d)^-t lambda [pi L_t + (v - pi)(e^-r a_t -
  /// e^-r b_t) / r] over the calendar months t = 1, 2, ... from July 2024 (days a_t to b_t after
  /// June 30, d = 1.1^(1/12) - 1, r = mu + omega, pi = omega / r): 109.64910140 over one year,
  /// 833.04688545 over 100 years month by month. Catches: a discount starting at t = 0, the
  /// value read from the chain or at the wrong chance of being active, spend left out.
  @Test func oneCustomersValueFollowsTheDefinition() throws {
    let end = CalendarDay(year: 2024, month: 6, day: 30)!
    let h = PurchaseHistories(purchaseDays: [[end.dayNumber - 40, end.dayNumber - 30]], through: end)
    let origin = PeriodKind.month.index(of: end)
    let d = Foundation.pow(1.1, 1.0 / 12) - 1
    let july = [(from: end.dayNumber + 1, to: end.dayNumber + 32)]
    let oneYear = Self.model.outlook(h, days: july, value: ValueIntervals(period: .month, origin: origin, discountPerPeriod: d, years: 1))
    let year = try #require(oneYear.discountedPurchases?[0]) * oneYear.spendPerPurchase[0]
    #expect(abs(year - 109.6491013989336) < 1e-8, "one year: \(year)")
    // Whole years are lumped after the first ten (ValueIntervals): 6.5e-5 of the monthly sum here.
    let lifetime = Self.model.outlook(h, days: july, value: ValueIntervals(period: .month, origin: origin, discountPerPeriod: d))
    let value = try #require(lifetime.discountedPurchases?[0]) * lifetime.spendPerPurchase[0]
    #expect(abs(value / 833.046885445825 - 1) < 2e-4, "100 years: \(value)")
    // The forecast's own columns are unchanged by the value's: July as without it.
    let plain = Self.model.outlook(h, days: july)
    #expect(plain.discountedPurchases == nil && lifetime.purchases[0, 0] == plain.purchases[0, 0])
  }

  /// `score` reads the horizon as one interval; each customer's totals are the sums of the
  /// period-by-period forecast's, on the fitted model's seasonal clock and on an aged one (where
  /// each customer's days run on its own clock). Catches a merged interval that starts or ends a
  /// period off, or an aged clock read from the origin instead of each interval's own days.
  @Test func scoreTotalsAreThePeriodByPeriodSums() throws {
    let (table, model) = try ScoredBase.fitted()
    var aged = try #require(model.activity)
    aged.ageing = 0.5
    for activity in [try #require(model.activity), aged] {
      let period = model.stateSpace.period
      let window = try FitWindow.make(table: table, period: period, asOf: nil)
      let histories = PurchaseHistories(table, through: period.end(of: window.lastPeriod))
      func forecast(perPeriod: Bool) -> ActivityForecast {
        ActivityForecast(
          histories, model: activity, period: period, origin: window.lastPeriod, steps: 9, churnAfter: model.stateSpace.lifecycleChurnAfter,
          countsChurnEvents: false, perPeriod: perPeriod)
      }
      let periods = forecast(perPeriod: true), whole = forecast(perPeriod: false)
      #expect(periods.purchases.count == 9 && whole.purchases.count == 1)
      #expect(abs(whole.purchases[0] / periods.purchases.reduce(0, +) - 1) < 1e-9)
      var compared = 0
      for c in 0..<histories.customerCount where periods.hasHistory[c] {
        #expect(abs(whole.customerPurchases[c] - periods.customerPurchases[c]) <= 1e-9 * max(1, periods.customerPurchases[c]), "customer \(c)")
        #expect(abs(whole.customerRevenue[c] - periods.customerRevenue[c]) <= 1e-9 * max(1, periods.customerRevenue[c]))
        // Chances, equal to the last bits or nearly: the two read different sets of intervals, and
        // the vectorised exponentials of a longer row can round in the last bit where a shorter
        // row's do not (up to 1.2e-15 on one host, 0 on another). A period off moves them by far more.
        let churned = (whole.customerChurnedAtEnd?[c] ?? .nan, periods.customerChurnedAtEnd?[c] ?? .nan)
        #expect(abs(churned.0 - churned.1) <= 1e-12 && abs(whole.activeProbability[c] - periods.activeProbability[c]) <= 1e-12,
                "customer \(c): churned \(churned), active \(whole.activeProbability[c]) and \(periods.activeProbability[c])")
        compared += 1
      }
      #expect(compared > 1_000)
    }
  }

  /// The intervals: each month for the exact years, weighted (1 + d)^-t from t = 1; then whole
  /// years, each weighted by its months' mean discount, ending after `years`.
  @Test func valueIntervalsAreMonthsThenYears() {
    let origin = PeriodKind.month.index(of: CalendarDay(year: 2024, month: 6, day: 30)!)
    let v = ValueIntervals(period: .month, origin: origin, discountPerPeriod: 0.01, exactYears: 2, years: 5)
    #expect(v.days.count == 24 + 3)
    #expect(v.days[0].from == CalendarDay(year: 2024, month: 7, day: 1)!.dayNumber)
    #expect(v.days[0].to == CalendarDay(year: 2024, month: 8, day: 1)!.dayNumber)
    #expect(abs(v.weights[0] - 1 / 1.01) < 1e-15 && abs(v.weights[23] - Foundation.pow(1.01, -24)) < 1e-15)
    #expect(v.days[24].from == CalendarDay(year: 2026, month: 7, day: 1)!.dayNumber)
    #expect(v.days[24].to == CalendarDay(year: 2027, month: 7, day: 1)!.dayNumber)
    let mean = (25...36).reduce(0.0) { $0 + Foundation.pow(1.01, -Double($1)) } / 12
    #expect(abs(v.weights[24] - mean) < 1e-15)
    #expect(v.days.last!.to == CalendarDay(year: 2029, month: 7, day: 1)!.dayNumber)
  }
}

extension LifetimeValueTests {
  /// The chain's value for a state starts at the next period: over a long horizon it is
  /// Pfeifer & Carraway's v = (I - P / (1 + d))^-1 r (solved by LAPACK in `ChainAnalysis`) less
  /// this period's r. Catches the current period counted, a missing or doubled discount, and a
  /// sum cut short.
  @Test func theChainsValueIsTheFutureOfPfeiferAndCarraways() throws {
    let (_, model) = try ScoredBase.fitted()
    let outlook = StateOutlook(model: model, horizon: 12)
    let v = model.analysis.lifetimeValue
    let scale = v.map(abs).max()!
    for i in v.indices {
      #expect(abs(outlook.lifetimeValue[i] - (v[i] - model.rewards[i].revenueMean)) < 1e-6 * scale, "state \(i)")
    }
  }

  /// `score`'s clv column for a customer with a purchase is its own over one year (12 months):
  /// at most its expected revenue over those 12 months, and at least that discounted by a whole
  /// year's 10%. Customers in a churned state who may still buy are worth more than 0; leads keep
  /// their state's. Catches the value read from the chain (0 in churned states), no discount, or a
  /// yearly discount applied per month.
  @Test func scoreWritesEachBuyersOwnValue() throws {
    let (table, model) = try ScoredBase.fitted()
    let scores = try CustomerScores(table: table, model: model, horizon: 12, valueYears: 1)
    let activity = try #require(scores.activity)
    let churned = Set(model.stateSpace.indices(in: .churned))
    var buyers = 0, churnedWithValue = 0, leads = 0
    for c in scores.states.indices where scores.states[c] >= 0 {
      let e = scores.expectations(c)
      guard activity.hasHistory[c] else {
        leads += 1
        #expect(e.lifetimeValue == scores.outlook.lifetimeValue[Int(scores.states[c])])
        continue
      }
      buyers += 1
      #expect(e.lifetimeValue <= e.revenue * (1 + 1e-12) && e.lifetimeValue >= e.revenue / 1.1 - 1e-9, "customer \(c)")
      if churned.contains(Int(scores.states[c])) && e.revenue > 1 {
        churnedWithValue += 1
        #expect(e.lifetimeValue > 0)
      }
    }
    #expect(buyers > 1_000 && churnedWithValue > 50 && leads > 0, "\(buyers) buyers, \(churnedWithValue) churned with value, \(leads) leads")
  }
}

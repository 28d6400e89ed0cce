import Foundation

/// The customers who have bought, forecast one by one with the activity model, period by period:
/// the part of a forecast where customers' own histories say more than their segment.
///
/// Leads have no purchases to read; they stay with the chain. Customers acquired later are
/// forecast from the model's weights (`EntrantForecast`).
public struct ActivityForecast: Sendable {
  /// Per period: expected purchase occasions, revenue and buying customers of the customers with
  /// a purchase at the origin (one value for the whole horizon when not read `perPeriod`).
  public var purchases: [Double]
  /// Per period: expected revenue of those customers.
  public var revenue: [Double]
  /// Per period: expected customers of them buying at least once.
  public var buying: [Double]
  /// Per period: their churn events under the lifecycle's churn rule (with `churnAfter`; nil without).
  public var churned: ChurnCount?
  /// Per customer: the chance of being churned at the end of the forecast under the same rule (0
  /// without history; nil without `churnAfter`).
  public var customerChurnedAtEnd: [Double]?
  /// Per customer: expected purchases and revenue over all the periods (0 without history).
  public var customerPurchases: [Double]
  /// Per customer: expected revenue over all the periods (0 without history).
  public var customerRevenue: [Double]
  /// Per customer, with `value`: its lifetime value, the discounted expected revenue of the
  /// periods after the origin (`ValueIntervals`; 0 without history); nil without.
  public var customerValue: [Double]?
  /// Per customer: chance of being active at the origin.
  public var activeProbability: [Double]
  /// Per customer: whether it has purchases to read (forecast here rather than by the chain).
  public var hasHistory: [Bool]
  /// The activity model the forecast comes from.
  public var model: ActivityModel

  /// - Parameters:
  ///   - origin: the last period of history; the forecast covers the `steps` periods after it.
  ///   Seasons come in through the model's clock.
  ///   - churnAfter: the state space's churn threshold (`LifecycleRules.churnAfterPeriods`) to
  ///   read churn by (`ChurnRule`); nil for none.
  ///   - countsChurnEvents: with `churnAfter`, whether the churn events per period are counted
  ///   too, or only each customer's chance of being churned at the end.
  ///   - value: the discounted periods of each customer's lifetime value (`customerValue`); nil
  ///   for none.
  ///   - perPeriod: whether `purchases`, `revenue` and `buying` are read period by period; false
  ///   reads the horizon as one interval, for the per-customer totals alone (`score`). Expected
  ///   purchases add up over adjacent intervals, so the totals are the same, and a long horizon
  ///   over a million customers no longer holds a column a period (600 months held 24 GB).
  public init(
    _ histories: PurchaseHistories, model: ActivityModel, period: PeriodKind, origin: Int, steps: Int, churnAfter: Int? = nil,
    countsChurnEvents: Bool = true, value: ValueIntervals? = nil, perPeriod: Bool = true
  ) {
    let days = perPeriod
      ? (1...steps).map { h in (from: period.start(of: origin + h).dayNumber, to: period.end(of: origin + h).dayNumber + 1) }
      : [(from: period.start(of: origin + 1).dayNumber, to: period.end(of: origin + steps).dayNumber + 1)]
    let churn = churnAfter.map { ChurnRule(period: period, origin: origin, steps: steps, quietPeriods: $0, countsEvents: countsChurnEvents) }
    let outlook = model.outlook(histories, days: days, churn: churn, value: value)
    customerValue = outlook.discountedPurchases.map { purchases in
      purchases.indices.map { purchases[$0] * outlook.spendPerPurchase[$0] }
    }
    churned = countsChurnEvents ? outlook.churned : nil
    customerChurnedAtEnd = outlook.churnedAtEnd
    purchases = Array(repeating: 0, count: days.count)
    revenue = purchases
    buying = purchases
    let n = histories.customerCount
    customerPurchases = Array(repeating: 0, count: n)
    customerRevenue = customerPurchases
    for c in 0..<n where outlook.hasHistory[c] {
      for h in days.indices {
        let p = outlook.purchases[c, h]
        let r = outlook.purchases[c, h] * outlook.spendPerPurchase[c]
        purchases[h] += p
        revenue[h] += r
        buying[h] += outlook.buying[c, h]
        customerPurchases[c] += p
        customerRevenue[c] += r
      }
    }
    activeProbability = outlook.activeProbability
    hasHistory = outlook.hasHistory
    self.model = model
  }
}

/// The calendar intervals a customer's lifetime value sums, with their discount weights: every
/// period after the origin for the first `exactYears` (at most `years`), each weighted
/// `1 / (1 + d)^t` (t = 1 for the first), then whole years of periods up to `years`, each
/// weighted by its periods' mean discount. The activity model never writes a customer off (a
/// dormant one may wake), so the default sum runs far: at 10% a year, what lies beyond 100 years
/// is 0.007% of a steady customer's value. Years lumped after the first ten carry at most 39% of
/// it, and within a year the discount moves by 10%, so lumping them moves the value by well under
/// 1% (a value that is steady within each year moves by 0.01%).
public struct ValueIntervals: Sendable {
  /// Calendar intervals, days `from ..< to` (day numbers).
  public var days: [(from: Int32, to: Int32)]
  /// Discount weight of each interval.
  public var weights: [Double]

  /// - Parameters:
  ///   - origin: the last period scored; the first interval is the period after it.
  ///   - discountPerPeriod: `d`, the discount rate per period.
  public init(period: PeriodKind, origin: Int, discountPerPeriod d: Double, exactYears: Int = 10, years: Int = 100) {
    let perYear = period.periodsPerYear
    func discount(_ t: Int) -> Double { Foundation.pow(1 + d, -Double(t)) }
    days = []
    weights = []
    let exactYears = min(exactYears, years)
    for t in stride(from: 1, through: exactYears * perYear, by: 1) {
      days.append((period.start(of: origin + t).dayNumber, period.end(of: origin + t).dayNumber + 1))
      weights.append(discount(t))
    }
    for year in exactYears..<years {
      let first = year * perYear + 1, last = (year + 1) * perYear
      days.append((period.start(of: origin + first).dayNumber, period.end(of: origin + last).dayNumber + 1))
      weights.append((first...last).reduce(0) { $0 + discount($1) } / Double(perYear))
    }
  }
}

/// The customers acquired with a purchase after the origin, forecast by the activity model as
/// customers drawn from the base's mixing distribution. Their entry state would give each of them
/// the state's average future; on a base whose customers differ several-fold, that fell 0.3-4.8%
/// short over 6-month holdouts (four seeds, mean -3.0%; this: mean -1.7%; Benchmarks/README.md,
/// "Entrants forecast by the activity model").
///
/// An entrant's first purchase falls on a day of its entry period, each day alike. From it, the
/// entrant buys and falls dormant like a customer of the base at its first purchase. That is the
/// model's weights as fitted, with no purchases of its own to update them. The weights are read
/// from every customer's history from its first purchase on, so they describe customers at
/// acquisition, whatever their tenure now.
public struct EntrantForecast: Sendable, Equatable {
  /// Per period: expected purchase occasions of the entrants, first purchases included.
  public var purchases: [Double]
  /// Per period: expected revenue, at the base's mean spend per purchase.
  public var revenue: [Double]
  /// Per period: expected entrants buying at least once.
  public var buying: [Double]
  /// Per period: the entrants' first purchases, one each (as given: part of `purchases`, and of
  /// `buying`, known rather than forecast).
  public var firstPurchases: [Double]
  /// The spend per purchase they are forecast at: the base's mean.
  public var spendPerPurchase: Double

  /// - Parameter acquired: per period after `origin`, the customers acquired with a purchase in it.
  public init(model: ActivityModel, period: PeriodKind, origin: Int, acquired: [Double]) {
    let steps = acquired.count
    let perEntrant = model.entrantOutlook(period: period, origin: origin, steps: steps)
    purchases = Array(repeating: 0, count: steps)
    buying = purchases
    for e in 0..<steps where acquired[e] > 0 {
      for h in e..<steps {
        purchases[h] += acquired[e] * perEntrant.purchases[e][h]
        buying[h] += acquired[e] * perEntrant.buying[e][h]
      }
    }
    spendPerPurchase = model.spendMean
    revenue = purchases.map { $0 * model.spendMean }
    firstPurchases = acquired
  }
}

extension ActivityModel {
  /// One entrant's expectations (see `EntrantForecast`). Per entry period `e` and period `h`,
  /// both counted from 0 after `origin`: its expected purchase occasions in `h`, the first one
  /// included, and its chance of buying in `h` (1 in its entry period). Both are 0 for `h < e`.
  func entrantOutlook(period: PeriodKind, origin: Int, steps: Int) -> (purchases: [[Double]], buying: [[Double]]) {
    guard steps > 0 else { return ([], []) }
    let bounds = (1...steps).map { h in (from: period.start(of: origin + h).dayNumber, to: period.end(of: origin + h).dayNumber + 1) }
    let clock = self.clock(from: bounds[0].from, through: bounds[bounds.count - 1].to)
    let support = weights.indices.filter { weights[$0] > 0 }
    // The posterior row [p, p v] of `outlookTables`: the weights themselves, active at the start (v = 1).
    let mix = support.map { weights[$0] }
    let row = mix + mix
    var purchases = [[Double]](repeating: Array(repeating: 0, count: steps), count: steps), buying = purchases
    for e in 0..<steps {
      let entryDays = bounds[e].from..<bounds[e].to
      let share = 1 / Double(entryDays.count)
      for first in entryDays {
        // Each period in operational days after the first purchase (0 to 0 before it).
        let intervals = bounds.map { (from: clock.days(from: first, to: max(first, $0.from), since: first), to: clock.days(from: first, to: max(first, $0.to), since: first)) }
        // Expected purchases per period, then the chances of buying in each.
        let expected = outlookTables(intervals, dormancyChange: 0, points: support).leftMultiplied(byRowVector: row)
        purchases[e][e] += share
        buying[e][e] += share
        for h in e..<steps {
          purchases[e][h] += share * expected[h]
          if h > e { buying[e][h] += share * expected[steps + h] }
        }
      }
    }
    return (purchases, buying)
  }
}

/// The activity model's relative error per period, measured out of sample, per measure.
public struct OutOfSampleError: Sendable, Equatable, Codable {
  /// Root mean square of predicted / actual - 1 over the measured periods, less the count noise
  /// (Poisson: 1 / the period's count, squared relative), which ranges add on their own: purchase
  /// occasions, revenue (as the backtest counts it: every row but leads) and buying customers.
  public var purchases: Double
  /// (see `purchases`), and at least the purchases' error.
  public var revenue: Double
  /// (see `purchases`), and at least the purchases' error times the forecast's buyers per purchase.
  public var buying: Double
  /// How many period values the errors were measured on (the periods forecast from every
  /// measurement origin); nil when the history was too short to measure anything and the errors
  /// are a guess.
  public var periods: Int?
  /// How many periods ahead the measured values were forecast, on average; nil: `(periods + 1) /
  /// 2`, one origin's leads 1...periods (model files written before a second origin was measured).
  public var meanLead: Double?
  /// How many periods before the end each measurement origin was, nearest first (see
  /// `measurementOrigins`); nil: one origin, `periods` before the end.
  public var originsBeforeEnd: [Int]?
  /// The share of the error's square that stays level over the leads (a model off by the same
  /// relative amount every period), the rest growing as a random walk's (`leadFactor(lead:)`),
  /// read from the measured values (`levelShare(leads:excessSquares:)`); nil: none stays level
  /// (one lead measured, or a model file from before it was read).
  public var levelShare: Double?

  public init(
    purchases: Double, revenue: Double, buying: Double, periods: Int?, meanLead: Double? = nil, originsBeforeEnd: [Int]? = nil,
    levelShare: Double? = nil
  ) {
    self.purchases = purchases
    self.revenue = revenue
    self.buying = buying
    self.periods = periods
    self.meanLead = meanLead
    self.originsBeforeEnd = originsBeforeEnd
    self.levelShare = levelShare
  }

  /// What the error was measured on, to be followed by "before" and the end: "the 2 months", or
  /// with two origins "3 month values forecast from 1 and 2 months". Nil for a guess.
  public func measuredOnWords(period: PeriodKind) -> String? {
    guard let n = periods else { return nil }
    let unit = period.rawValue
    guard let origins = originsBeforeEnd, origins.count > 1 else { return "the \(n) \(unit)\(n == 1 ? "" : "s")" }
    let distances = origins.map(String.init)
    return "\(n) \(unit) values forecast from \(distances.dropLast().joined(separator: ", ")) and \(distances.last!) \(unit)s"
  }

  /// The note's words when the measured purchases' error came out at nothing: the values erred no
  /// more than their count noise, so the ranges carry that noise alone, though the next periods'
  /// error need not be as small. Drawn from BG/NBD with CDNOW's parameters (Benchmarks/worlds), an
  /// open base of 10,000 customers measured 0.0% on 9 month values and its ranges then held 3 of
  /// 12. Nil when an error was read, or for a guess.
  public var withinCountNoiseWords: String? {
    guard periods != nil, purchases == 0 else { return nil }
    return "the measured transactions erred no more than their count noise, so a range whose model error is 0.0% holds that noise alone and can be too narrow"
  }

  /// How many periods an out-of-sample error is measured on: the forecast's `steps`, at most a
  /// third of the periods from `firstPeriod` to `origin` (0: too short to measure).
  public static func measuredPeriods(origin: Int, firstPeriod: Int, steps: Int) -> Int {
    min(steps, (origin - firstPeriod + 1) / 3)
  }

  /// The origins an out-of-sample error is measured from, before `origin`: `origin - v` (`v` =
  /// `measuredPeriods`), and one period earlier when `v` leaves part of the horizon unmeasured and
  /// the earlier origin keeps at least half the history. CDNOW fitted on five months measures one
  /// month from one origin, and Student's t with one degree of freedom made its ranges 3.8 times a
  /// normal's; the second origin adds two values. Each origin is a fit, so there are at most two.
  public static func measurementOrigins(origin: Int, firstPeriod: Int, steps: Int) -> [Int] {
    let v = measuredPeriods(origin: origin, firstPeriod: firstPeriod, steps: steps)
    guard v >= 1 else { return [] }
    let span = origin - firstPeriod + 1
    let earlier = origin - v - 1
    return v < steps && earlier - firstPeriod + 1 >= (span + 1) / 2 ? [origin - v, earlier] : [origin - v]
  }

  /// The guess for a history too short to measure on: 10% one period ahead, growing with the
  /// square root of the lead (`leadFactor`).
  public static let unmeasured = OutOfSampleError(purchases: 0.1, revenue: 0.1, buying: 0.1, periods: nil)

  /// How much wider than a normal's the range's model-error part must be at `level` (two-sided):
  /// an error measured on n periods is an estimate with n degrees of freedom, and a forecast
  /// range around it follows Student's t (at 90%, 3.8 times a normal's width for one period, 1.18 times for six).
  public func widening(level: Double = 0.9) -> Double { Self.widening(periods: periods, level: level) }

  /// (see `widening(level:)`) For an error measured on `periods` periods; 1 for nil (a guess).
  public static func widening(periods: Int?, level: Double = 0.9) -> Double {
    guard let n = periods, n >= 1 else { return 1 }
    let p = (1 + level) / 2
    return StudentT.quantile(p, degreesOfFreedom: Double(n)) / Normal.quantile(p)
  }

  /// How much of an error measured on the leads `1...measuredPeriods` applies `lead` periods
  /// ahead: `sqrt(lead / mean measured lead)`. A model's error grows with the lead; taken to grow
  /// as a random walk's (its square with the lead), it is scaled so that its mean square over the
  /// measured leads is the one measured. Held flat instead, an error measured 1-4 weeks ahead was
  /// carried unchanged to week 65: CDNOW's weekly backtests from 12 calibration ends held 79% of
  /// their values in the 90% range, 90% with this (monthly: 94.7% -> 93.3%; generated: 93.5% ->
  /// 90.3%). An unmeasured (guessed) error is one period ahead's and grows the same way: held
  /// flat, it put 1 of CDNOW's 16 monthly transactions values after 1997-02-28 in range; grown, 14.
  public static func leadFactor(lead: Int, measuredPeriods: Int?) -> Double {
    leadFactor(lead: lead, meanMeasuredLead: measuredPeriods.map { Double($0 + 1) / 2 })
  }

  /// (see `leadFactor(lead:measuredPeriods:)`) For this error, from the mean lead of the values
  /// it was measured on (one period, a guess's), and with the share of its square that stays
  /// level: `sqrt(s + (1 - s) lead / mean measured lead)`, still 1 at the mean measured lead.
  /// A random walk alone (s = 0) made CDNOW's weekly ranges too narrow in the first 4 weeks (34
  /// of 48 values inside) and the generated bases' too (64 of 80).
  public func leadFactor(lead: Int) -> Double {
    let walk = Self.leadFactor(lead: lead, meanMeasuredLead: measuredMeanLead)
    guard let s = levelShare else { return walk }
    return (s + (1 - s) * walk * walk).squareRoot()
  }

  /// (see `levelShare(leads:excessSquares:)`) For counts forecast (`predicted`) against what
  /// happened (`actual`, Poisson), each `leads[i]` periods ahead; periods with nothing actual are
  /// not scored, as in `excessError`.
  static func levelShare(predicted: [Double], actual: [Double], leads: [Int]) -> Double? {
    let scored = actual.indices.filter { actual[$0] > 0 }
    return levelShare(
      leads: scored.map { Double(leads[$0]) },
      excessSquares: scored.map { i in
        let e = predicted[i] / actual[i] - 1
        return e * e - 1 / actual[i]
      })
  }

  /// The share of the mean square error that stays level over the leads: each measured value's
  /// excess square (its relative error squared, less its count noise) regressed on its lead by
  /// least squares, `a + b lead`; the share is `a` over the mean excess square (the line's value
  /// at the mean lead), 1 when the line falls (nothing grows) and 0 when its intercept is
  /// negative (all grows). Nil with a single lead or no excess: no line to read.
  public static func levelShare(leads: [Double], excessSquares: [Double]) -> Double? {
    guard leads.count == excessSquares.count, leads.count > 1 else { return nil }
    let n = Double(leads.count)
    let meanLead = leads.reduce(0, +) / n, meanSquare = excessSquares.reduce(0, +) / n
    let spread = leads.reduce(0) { $0 + ($1 - meanLead) * ($1 - meanLead) }
    guard spread > 0, meanSquare > 0 else { return nil }
    let slope = zip(leads, excessSquares).reduce(0) { $0 + ($1.0 - meanLead) * ($1.1 - meanSquare) } / spread
    let intercept = meanSquare - slope * meanLead
    return slope <= 0 ? 1 : intercept <= 0 ? 0 : intercept / meanSquare
  }

  /// The mean lead of the measured values: `meanLead`, or one origin's `(periods + 1) / 2`.
  var measuredMeanLead: Double? { meanLead ?? periods.map { Double($0 + 1) / 2 } }

  static func leadFactor(lead: Int, meanMeasuredLead: Double?) -> Double {
    // A guess is the error one period ahead.
    let m = meanMeasuredLead ?? 1
    guard m > 0, lead >= 1 else { return 1 }
    return (Double(lead) / m).squareRoot()
  }

  /// The note's words for `leadFactor`, for a mean measured lead `m` and a level share `s`.
  static func describeGrowth(meanMeasuredLead m: Double, levelShare s: Double? = nil, period: PeriodKind) -> String {
    let level = s ?? 0
    let first = OutOfSampleError(purchases: 0, revenue: 0, buying: 0, periods: 1, meanLead: m, levelShare: s).leadFactor(lead: 1)
    guard level < 1 else { return "it stays level over the leads: the measured errors did not grow with them" }
    // 2x where s + (1 - s) lead / m = 4.
    let doubled = max(1, Int((m * (4 - level) / (1 - level)).rounded()))
    let how = level > 0 ? String(format: "with the lead, %.0f%% of its square level and the rest as a random walk's", 100 * level) : "with the square root of the lead"
    return String(
      format: "it grows %@: %.2fx one %@ ahead, 2x %d %@ ahead",
      how, first, period.rawValue, doubled, period.rawValue + (doubled == 1 ? "" : "s"))
  }

  /// Root mean square of `predicted / actual - 1` over the periods where `actual` and `counts` are
  /// positive, less each period's count noise (`1 / counts`, squared relative, Poisson): what is
  /// left is the model's. Nil when no period is scored.
  public static func excessError(predicted: [Double], actual: [Double], counts: [Double]) -> Double? {
    let scored = actual.indices.filter { actual[$0] > 0 && counts[$0] > 0 }
    guard !scored.isEmpty else { return nil }
    let excess = scored.reduce(0.0) { sum, h in
      let e = predicted[h] / actual[h] - 1
      return sum + e * e - 1 / counts[h]
    }
    return max(0, excess / Double(scored.count)).squareRoot()
  }
}

extension ActivityModel {
  /// The model's relative errors per period on the customers it forecasts, measured out of sample:
  /// fitted on the history up to `origin - v` and scored on the `v` periods after, `v` = the
  /// forecast's steps, at most a third of the history from `firstPeriod` (at least 1 period).
  /// When that leaves part of the horizon unmeasured, a second origin one period earlier is scored
  /// too, if it keeps at least half the history (`measurementOrigins`): its forecasts add degrees
  /// of freedom where one origin has the fewest. `refit` fits the earlier history; nil: a whole fit
  /// (`fitWithSeasons`), as the backtest does.
  public static func outOfSampleError(
    _ table: TransactionTable, period: PeriodKind, origin: Int, firstPeriod: Int, steps: Int,
    refit: ((PurchaseHistories) -> ActivityModel?)? = nil
  ) -> OutOfSampleError {
    var scored = MeasuredForecasts()
    var originsBeforeEnd: [Int] = []
    for inner in OutOfSampleError.measurementOrigins(origin: origin, firstPeriod: firstPeriod, steps: steps) {
      let histories = PurchaseHistories(table, through: period.end(of: inner))
      guard let model = refit.map({ $0(histories) }) ?? ActivityModel.fitWithSeasons(histories) else { continue }
      scored.append(table, forecast: ActivityForecast(histories, model: model, period: period, origin: inner, steps: origin - inner), period: period, origin: inner)
      originsBeforeEnd.append(origin - inner)
    }
    // The count noise is left out: the range adds it on its own.
    let rms = OutOfSampleError.excessError
    guard let purchaseError = rms(scored.predicted.purchases, scored.actual.purchases, scored.actual.purchases) else { return .unmeasured }
    // Revenue is purchases times spend, so its error is at least the purchases' in expectation; one
    // or two measured periods can show it far lower by chance (CDNOW quarterly from 1997-09-30:
    // 0.4% against 7.5%, and every quarter's revenue then fell outside its range).
    let revenueError = max(purchaseError, rms(scored.predicted.revenue, scored.actual.revenue, scored.actual.purchases) ?? purchaseError)
    // Buying customers move with the purchases too, by the forecast's buyers per purchase (a
    // customer who buys more often still counts once), so their error is at least that share of
    // the purchases' in expectation; one measured period can show it at nothing (CDNOW monthly
    // from 1997-04-30: 0.0% against 4.2%, and 10 of 14 months' buying customers outside their
    // ranges). A change in who buys, not how much, adds to it; the measure keeps that.
    let forecastPurchases = scored.predicted.purchases.reduce(0, +)
    let buyersPerPurchase = forecastPurchases > 0 ? min(1, scored.predicted.buying.reduce(0, +) / forecastPurchases) : 1
    let buyingError = max(buyersPerPurchase * purchaseError, rms(scored.predicted.buying, scored.actual.buying, scored.actual.buying) ?? purchaseError)
    let measured = scored.actual.purchases.indices.filter { scored.actual.purchases[$0] > 0 }
    return OutOfSampleError(
      purchases: purchaseError, revenue: revenueError, buying: buyingError, periods: measured.count,
      meanLead: Double(measured.reduce(0) { $0 + scored.leads[$1] }) / Double(measured.count), originsBeforeEnd: originsBeforeEnd,
      levelShare: OutOfSampleError.levelShare(predicted: scored.predicted.purchases, actual: scored.actual.purchases, leads: scored.leads))
  }

  /// The forecasts an out-of-sample error is measured on, one value per period forecast from each
  /// origin, side by side with what happened and how far ahead each was.
  struct MeasuredForecasts {
    var predicted = (purchases: [Double](), revenue: [Double](), buying: [Double]())
    var actual = (purchases: [Double](), revenue: [Double](), buying: [Double]())
    var leads: [Int] = []

    /// The periods of `forecast` (from `origin`) with the actual purchase occasions, revenue (every
    /// row but leads) and buying customers of the customers it forecasts.
    mutating func append(_ table: TransactionTable, forecast: ActivityForecast, period: PeriodKind, origin: Int) {
      let v = forecast.purchases.count
      var purchases = [Double](repeating: 0, count: v), revenue = purchases, buying = purchases
      let start = period.start(of: origin + 1).dayNumber, end = period.end(of: origin + v).dayNumber
      for c in 0..<table.customerCount where forecast.hasHistory[c] {
        var lastDay: Int32 = .min
        var lastBuyingPeriod = -1
        for r in table.rows(of: c) where table.event[r] != .lead && table.day[r] >= start && table.day[r] <= end {
          let h = period.index(of: CalendarDay(dayNumber: table.day[r])) - origin - 1
          revenue[h] += table.amount[r]
          guard table.event[r] == .purchase, table.day[r] != lastDay else { continue }
          lastDay = table.day[r]
          purchases[h] += 1
          if h != lastBuyingPeriod {
            buying[h] += 1
            lastBuyingPeriod = h
          }
        }
      }
      predicted.purchases += forecast.purchases
      predicted.revenue += forecast.revenue
      predicted.buying += forecast.buying
      actual.purchases += purchases
      actual.revenue += revenue
      actual.buying += buying
      leads += 1...v
    }
  }
}

extension ActivityModel {
  /// This model's rates, wake rate, seasons and ageing on `histories` (an earlier end of the same
  /// customers): only the mixing weights and spend are fitted again, by the final EM alone. A
  /// tenth of a whole fit's cost, for `fit`'s out-of-sample error, which has no time for a second
  /// search over wake rates and ageing; it leaves out how those would have moved. The spend link
  /// is read again on the earlier history, beside the new weights: kept from the whole history, it
  /// would carry the later purchases into a measured error (`fit` on 10M rows took 2.37-2.45 s
  /// with this, 2.56-2.94 s without: no cost that shows).
  func refittingWeights(_ histories: PurchaseHistories, options: FitOptions = FitOptions()) -> ActivityModel? {
    let sample = Self.fitSample(histories, limit: options.sampleLimit)
    guard sample.count >= 2 else { return nil }
    var model = self
    model.base = nil
    model.through = histories.through
    model.fittedCustomers = sample.count
    model.weights = Array(repeating: 1 / Double(weights.count), count: weights.count)
    BLASThreads.oneEach {
      model.runEM(
        LikelihoodGroups(histories, customers: sample, clock: model.clock(from: histories.firstDay, through: histories.through.dayNumber + 1)),
        iterations: options.finalIterations, prior: options.priorCustomersPerGridPoint)
      if spendLink != nil { model.spendLink = model.fittedSpendLink(histories, customers: sample) }
    }
    (model.spendMean, model.spendPseudoCount) = SpendShrinkage.estimate(
      spending: histories.spending(of:),
      customers: (0..<histories.customerCount).lazy.filter { histories.purchaseDays.count[$0] > 0 })
    return model
  }

  /// Purchases per season relative to the year's level, by ratio to a centred moving average of
  /// the repeat purchase occasions per period (the classical decomposition): the activity model itself is
  /// flat in calendar time, so a December peak must come from here. Nil with less than two years
  /// of periods, where each season would rest on one value or none.
  public static func seasonalIndex(_ h: PurchaseHistories, period: PeriodKind) -> [Double]? {
    let seasons = period.seasonsPerYear
    guard seasons > 1, h.purchaseDays.earliest != nil else { return nil }
    let firstDay = h.firstDay
    let first = period.index(of: CalendarDay(dayNumber: firstDay))
    var last = period.index(of: h.through)
    if period.end(of: last) != h.through { last -= 1 }
    guard first <= last, last - first + 1 >= 2 * seasons else { return nil }
    // Period of each day of the span, computed once (not once per purchase).
    let periodOfDay = (firstDay...h.through.dayNumber).map { period.index(of: CalendarDay(dayNumber: $0)) - first }
    // Repeat purchases only: first purchases follow acquisition campaigns, not the base's buying.
    var counts = [Double](repeating: 0, count: last - first + 1)
    for days in h.purchaseDays {
      for d in days.dropFirst() {
        let t = periodOfDay[Int(d - firstDay)]
        if t < counts.count { counts[t] += 1 }
      }
    }
    // Centred moving average over a year: an even year length averages two offset windows.
    var ratios = [[Double]](repeating: [], count: seasons)
    let half = seasons / 2
    for t in half..<(counts.count - half) {
      var average: Double
      if seasons % 2 == 0 {
        let window = counts[(t - half)...(t + half)]
        average = (window.reduce(0, +) - (counts[t - half] + counts[t + half]) / 2) / Double(seasons)
      } else {
        average = counts[(t - half)...(t + half)].reduce(0, +) / Double(seasons)
      }
      if average > 0 { ratios[period.seasonIndex(of: first + t)].append(counts[t] / average) }
    }
    guard ratios.allSatisfy({ !$0.isEmpty }) else { return nil }
    let index = ratios.map { $0.reduce(0, +) / Double($0.count) }
    let mean = index.reduce(0, +) / Double(seasons)
    return index.map { $0 / mean }
  }
}

import Dispatch
import Foundation

/// Each customer's own purchase rate, dormancy and return: what a chain over segments cannot
/// see, because it gives every customer of a segment the same future.
///
/// A customer is *active* (buying at rate `lambda` a day) or *dormant* (not buying). Active
/// customers fall dormant at rate `mu` a day, dormant ones wake at rate `omega`:
///
/// ```
///             mu                      generator Q = [ -mu    mu  ]     purchases: rate lambda
///   active  ------>  dormant                        [ omega -omega ]   while active
///           <------
///            omega
/// ```
/// With `omega = 0` this is the Pareto/NBD (Schmittlein, Morrison & Colombo 1987): dormancy is
/// death. Real bases show quiet customers coming back months later, so `omega` is estimated, one
/// value for the base, by maximum likelihood.
///
/// Customers differ several-fold in `lambda` and `mu` (heterogeneity). Instead of assuming gamma
/// mixing distributions, the mixing distribution is estimated nonparametrically on a fixed grid of
/// (`lambda`, `mu`) points by EM (the Kiefer-Wolfowitz NPMLE): the weights say how much of the base
/// buys and sleeps like each grid point. A light prior smooths the weights along purchase rates
/// (`FitOptions.priorCustomersPerGridPoint`), so that a small base does not rest on a few atoms.
///
/// Each customer's likelihood at a grid point, from its purchase days (gaps `g_k` between
/// purchases, the first purchase starting active, `f` days from the last purchase to the end of
/// observation):
///
/// ```
/// L = prod_k lambda [exp(M g_k)]_AA  x  [exp(M f) 1]_A,      M = Q - diag(lambda, 0)
/// ```
/// (after each purchase the customer is known to be active, so the path probability is a product
/// of scalars). The posterior over grid points, and the chance of being active at the end given
/// each point, give every customer's expected purchases over any horizon:
///
/// ```
/// E[purchases in (a, b] days ahead] = lambda [pi (b - a) + (v - pi)(e^-ra - e^-rb) / r],
///        r = mu + omega, pi = omega / r, v = P(active at the end of observation)
/// ```
public struct ActivityModel: Codable, Sendable, Equatable {
  /// Purchase rates of the grid, per day.
  public var purchaseRates: [Double]
  /// Rates of falling dormant of the grid, per day.
  public var dormancyRates: [Double]
  /// Weight of each (purchase rate, dormancy rate) grid point, purchase rate major; sums to 1.
  public var weights: [Double]
  /// Rate at which a dormant customer becomes active again, per day.
  public var wakeRate: Double
  /// Spend per purchase: the base's mean, and the purchases a customer needs before its own mean
  /// counts half (nil: customers do not differ beyond noise, everyone gets the base's mean).
  public var spendMean: Double
  /// (see `spendMean`)
  public var spendPseudoCount: Double?
  /// The last day of the history the model was fitted on.
  public var through: CalendarDay
  /// Customers the mixing distribution was estimated from (a deterministic sample of large bases).
  public var fittedCustomers: Int
  /// Log-likelihood of the fitted customers at the estimate.
  public var logLikelihood: Double
  /// Purchases per season relative to the year, when the history holds a year of complete
  /// periods; index = the period's season.
  public var seasonalIndex: [Double]? = nil
  /// The period kind whose seasons `seasonalIndex` follows.
  public var seasonalPeriod: PeriodKind? = nil
  /// Ageing: every rate of a customer's process (buying, falling dormant, waking) is multiplied
  /// by `(1 + tenure / 365 days)^-ageing`, tenure counted from its first purchase, so a customer's
  /// life slows as it ages (`ActivityClock`). Nil or 0: none (models written before ageing).
  public var ageing: Double? = nil
  /// Ageing that levels off: every rate is multiplied by `floor + (1 - floor) e^(-tenure / days)`,
  /// `ageingFloor` and `ageingDays`, so a customer slows down after its first purchase toward a
  /// share of its first pace and stays there (`AgeingCurve.levelling`). Read from one year of a
  /// closed cohort, where a slowdown that goes on (`ageing`) cannot be told from one that stops.
  /// Nil: none.
  public var ageingFloor: Double? = nil
  /// (see `ageingFloor`) Its time constant in days.
  public var ageingDays: Double? = nil
  /// Whether a slowdown that levels off was looked for (a closed cohort with one to two years),
  /// so that no `ageingFloor` means none was found rather than none looked for.
  public var levellingLookedFor: Bool? = nil
  /// Days from the first purchase to the end of the history, when they were too few to read ageing
  /// from (`FitOptions.ageingMinimumSpanDays`): the seasons, if any, then come from a single year
  /// too. Nil: long enough, or a model written before this was recorded.
  public var shortHistoryDays: Int32? = nil
  /// The customers with a purchase at the end of the history, summed so that `journey forecast`
  /// reads their own futures from the model file (`ActivityBase`). Nil: a model written before
  /// this, or fitted for a backtest, whose forecasts the chain makes alone.
  public var base: ActivityBase? = nil
  /// How spend per purchase goes with the purchase rate (`SpendLink`); nil: not read (no customer
  /// with two purchases, or a model file written before it), and spend tells nothing of buying.
  public var spendLink: SpendLink? = nil
  /// How evenly the fitted customers' purchases are spaced (`PurchaseTiming`). The model takes
  /// them to come at random; regular ones it reads as alive for too long after they go quiet, and
  /// `plainWords` says so. Nil: a model file written before this, or no customer with enough
  /// purchases to tell.
  public var purchaseTiming: PurchaseTiming? = nil

  /// The clock the model runs on (calendar days when there are no seasons and no ageing).
  func clock(from first: Int32, through last: Int32) -> ActivityClock {
    ActivityClock(index: seasonalIndex, period: seasonalPeriod, ageing: ageingCurve, from: first, through: last)
  }

  /// The model's ageing, of whichever form it was read in.
  public var ageingCurve: AgeingCurve {
    get {
      if let floor = ageingFloor, let days = ageingDays { return .levelling(floor: floor, days: days) }
      if let k = ageing, k > 0 { return .power(k) }
      return .none
    }
    set {
      (ageing, ageingFloor, ageingDays) = (nil, nil, nil)
      switch newValue {
      case .none: break
      case .power(let k): ageing = k
      case .levelling(let floor, let days): (ageingFloor, ageingDays) = (floor, days)
      }
    }
  }

  var gridCount: Int { purchaseRates.count * dormancyRates.count }
  func rates(ofGridPoint g: Int) -> (lambda: Double, mu: Double) {
    (purchaseRates[g / dormancyRates.count], dormancyRates[g % dormancyRates.count])
  }
}

/// What the activity model reads of one customer: purchase days up to a day.
public struct PurchaseHistories: Sendable {
  /// Per customer: day numbers of purchase occasions (sorted, refunds and leads left out), one
  /// flat array with offsets so that a million customers are not a million allocations.
  public var purchaseDays: RaggedDays
  /// The last day read.
  public var through: CalendarDay
  /// The table read (shared, not copied): what each customer spent is read from its rows when
  /// asked (`spending(of:)`), instead of three columns of a million customers (37 MB of `fit`).
  private let table: TransactionTable

  /// One pass over the table's rows on or before `through` (rows are in day order per customer),
  /// split by customer between the cores for large tables.
  public init(_ table: TransactionTable, through: CalendarDay) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    self.init(table, through: through, parts: table.customerCount >= 200_000 ? max(1, min(8, cores)) : 1)
  }

  init(_ table: TransactionTable, through: CalendarDay, parts: Int) {
    let n = table.customerCount
    // Most customers' purchase days are one run of their rows in the table (after a lead row,
    // before the rows past `through`): those are read where they are, in the table's own day
    // column, which the histories share rather than copy (40 MB at 10M rows). Only customers
    // whose purchases are interleaved with refunds or leads, or kept apart on one day, get a copy.
    var first = [Int32](repeating: 0, count: n), count = first
    let copies = Partials<[Int32]>(count: parts)
    first.withUnsafeMutableBufferPointer { first in
      count.withUnsafeMutableBufferPointer { count in
        let columns = HistoryColumns(first: first, count: count)
        DispatchQueue.concurrentPerform(iterations: parts) { k in
          copies.store(columns.fill(from: table, customers: (n * k / parts)..<(n * (k + 1) / parts), through: through.dayNumber), at: k)
        }
      }
    }
    purchaseDays = RaggedDays(table: table.day, copiedParts: copies.all(), partStarts: (0...parts).map { n * $0 / parts }, first: first, count: count)
    self.through = through
    self.table = table
  }

  /// The columns a build of the histories writes, each part its own customers only.
  private struct HistoryColumns: @unchecked Sendable {
    /// Per customer: where its days start (`RaggedDays.first`) and how many there are.
    let first: UnsafeMutableBufferPointer<Int32>
    let count: UnsafeMutableBufferPointer<Int32>

    /// Fills the columns of `customers`; returns the days of those that need a copy, which
    /// `first` numbers from 0 within this part.
    func fill(from table: TransactionTable, customers: Range<Int>, through last: Int32) -> [Int32] {
      var copied: [Int32] = []
      var days: [Int32] = []
      for c in customers {
        days.removeAll(keepingCapacity: true)
        let rows = table.rows(of: c)
        // Whether the purchase days so far are the days of one run of rows, from `runStart`.
        var runStart = -1, inRun = true
        for r in rows where table.day[r] <= last && table.event[r] == .purchase {
          if days.last != table.day[r] {
            if runStart < 0 { runStart = r } else if r != runStart + days.count { inRun = false }
            days.append(table.day[r])
          } else {
            inRun = false
          }
        }
        count[c] = Int32(days.count)
        if days.isEmpty || inRun {
          first[c] = Int32(max(0, runStart))
        } else {
          first[c] = -1 - Int32(copied.count)
          copied += days
        }
      }
      return copied
    }
  }

  /// Histories from per-customer purchase days, each purchase of 10 (tests).
  init(purchaseDays lists: [[Int32]], through: CalendarDay) {
    var days: [Int32] = [], rowStart = [0]
    for list in lists {
      days.append(contentsOf: list.sorted())
      rowStart.append(days.count)
    }
    let table = TransactionTable(
      customerIDs: lists.indices.map { "c\($0)" }, day: days, amount: Array(repeating: 10, count: days.count),
      event: Array(repeating: .purchase, count: days.count), rowStart: rowStart)
    self.init(table, through: through, parts: 1)
  }

  /// What customer `c` spent up to `through`: its purchase rows (same-day purchases kept apart
  /// count one each), their net revenue with refunds, and the sum of their squared amounts.
  public func spending(of c: Int) -> (occasions: Double, revenue: Double, squaredAmounts: Double) {
    var occasions = 0.0, revenue = 0.0, squares = 0.0
    let last = through.dayNumber
    for r in table.rows(of: c) where table.day[r] <= last {
      switch table.event[r] {
      case .purchase:
        let amount = table.amount[r]
        occasions += 1
        revenue += amount
        squares += amount * amount
      case .refund:
        revenue += table.amount[r]
      case .lead:
        break
      }
    }
    return (occasions, revenue, squares)
  }

  /// The mean log amount of customer `c`'s purchase rows up to `through`, and how many there are;
  /// nil without one. The mean of the logs, not the log of the mean amount: the latter rises with
  /// the number of purchases averaged (Jensen's inequality), which would tie spend to the purchase
  /// rate where the two are unrelated (a generated base read a link of 0.06 that way, 0.00 this way).
  public func logSpend(of c: Int) -> (mean: Double, purchases: Double)? {
    var sum = 0.0, count = 0.0
    let last = through.dayNumber
    for r in table.rows(of: c) where table.day[r] <= last && table.event[r] == .purchase && table.amount[r] > 0 {
      sum += Foundation.log(table.amount[r])
      count += 1
    }
    return count > 0 ? (sum / count, count) : nil
  }

  /// The variance of one purchase row's log amount around its customer's mean, pooled over the
  /// `customers` with two or more; nil when none has two.
  public func withinCustomerLogSpendVariance(of customers: [Int]) -> Double? {
    var squares = 0.0, freedom = 0.0
    var logs: [Double] = []
    let last = through.dayNumber
    for c in customers {
      logs.removeAll(keepingCapacity: true)
      for r in table.rows(of: c) where table.day[r] <= last && table.event[r] == .purchase && table.amount[r] > 0 {
        logs.append(Foundation.log(table.amount[r]))
      }
      guard logs.count >= 2 else { continue }
      let mean = logs.reduce(0, +) / Double(logs.count)
      squares += logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
      freedom += Double(logs.count - 1)
    }
    return freedom > 0 ? squares / freedom : nil
  }

  /// Customers read.
  public var customerCount: Int { purchaseDays.count }
  /// The earliest purchase day (the last day read when there is none).
  public var firstDay: Int32 { purchaseDays.earliest ?? through.dayNumber }

  /// Customers whose first purchase falls in each complete period (`completePeriods(of:)`).
  func entrants(per period: PeriodKind) -> [Double] {
    guard let span = completePeriods(of: period) else { return [] }
    var counts = [Double](repeating: 0, count: span.count)
    for c in 0..<customerCount {
      guard let first = purchaseDays[c].first else { continue }
      let k = period.index(of: CalendarDay(dayNumber: first)) - span.lowerBound
      if counts.indices.contains(k) { counts[k] += 1 }
    }
    return counts
  }

  /// The periods from the one holding the first purchase to the last one complete by `through`;
  /// nil when none is complete.
  func completePeriods(of period: PeriodKind) -> ClosedRange<Int>? {
    let seen = seenPeriods(of: period)
    let last = period.end(of: seen.upperBound) == through ? seen.upperBound : seen.upperBound - 1
    return seen.lowerBound <= last ? seen.lowerBound...last : nil
  }

  /// The periods from the one holding the first purchase to the one holding `through`, that last
  /// one seen up to `through` only: seasons read against the model's expectation take each
  /// period's expectation over the days seen of it (`seasonalIndexAgainstExpectation`). The first
  /// purchase is never after `through` (the histories stop there), so the range is never empty.
  func seenPeriods(of period: PeriodKind) -> ClosedRange<Int> {
    period.index(of: CalendarDay(dayNumber: firstDay))...period.index(of: through)
  }
}

/// Per customer, its purchase days: a stretch of the table's day column (shared, not copied), or
/// of a column of copies for the few customers whose days are not one run of their rows.
public struct RaggedDays: RandomAccessCollection, Sendable {
  /// The table's day column.
  let table: [Int32]
  /// Per part of the customers (`partStarts`), the days of its customers that are not one run of
  /// rows in `table`. Kept per part as the parts wrote them: joined, they were copied once more
  /// at the top of `fit`'s memory.
  let copiedParts: [[Int32]]
  /// Where each part's customers start; `copiedParts.count + 1` entries.
  let partStarts: [Int]
  /// Per customer: the position of its first day in `table`, or `-1 - position` in its part's
  /// copies.
  let first: [Int32]
  /// Per customer: how many days.
  let count: [Int32]
  /// The earliest day of any customer, or nil when no customer has one.
  let earliest: Int32?

  init(table: [Int32], copiedParts: [[Int32]], partStarts: [Int], first: [Int32], count: [Int32]) {
    precondition(partStarts.count == copiedParts.count + 1 && partStarts.last == first.count, "parts do not cover the customers")
    self.table = table
    self.copiedParts = copiedParts
    self.partStarts = partStarts
    self.first = first
    self.count = count
    var earliest: Int32? = nil
    var part = 0
    for c in first.indices where count[c] > 0 {
      while c >= partStarts[part + 1] { part += 1 }
      let day = first[c] >= 0 ? table[Int(first[c])] : copiedParts[part][Int(-1 - first[c])]
      earliest = Swift.min(earliest ?? day, day)
    }
    self.earliest = earliest
  }

  /// 0: customers are numbered from 0.
  public var startIndex: Int { 0 }
  /// The number of customers.
  public var endIndex: Int { first.count }
  /// Customer `c`'s purchase days, ascending.
  public subscript(c: Int) -> ArraySlice<Int32> {
    let n = Int(count[c])
    if first[c] >= 0 {
      let from = Int(first[c])
      return table[from..<(from + n)]
    }
    let from = Int(-1 - first[c])
    var part = 0
    while c >= partStarts[part + 1] { part += 1 }
    return copiedParts[part][from..<(from + n)]
  }
  /// Days held apart from the table (customers with refunds or leads between purchases, or
  /// same-day purchases kept apart).
  public var copiedCount: Int { copiedParts.reduce(0) { $0 + $1.count } }
}

/// The matrix exponential of `M t` for the two-state process, in closed form.
///
/// `M = [[a, mu], [omega, d]]` with `a = -(mu + lambda)`, `d = -omega`. Its eigenvalues are
/// real and `s2 <= min(a, d) <= max(a, d) <= s1 <= 0`, so every term below is non-negative; `s1`
/// is taken from `s1 s2 = det` because `tr + disc` cancels when `omega` is small.
struct TwoStateExponential {
  let a: Double, d: Double, mu: Double, omega: Double
  let s1: Double, s2: Double, disc: Double
  /// log disc, taken once: the likelihood's tables need it for every gap length.
  let logDisc: Double

  init(lambda: Double, mu: Double, omega: Double) {
    a = -(mu + lambda)
    d = -omega
    self.mu = mu
    self.omega = omega
    let tr = a + d
    let det = a * d - mu * omega  // = lambda * omega
    disc = max(1e-300, (tr * tr - 4 * det).squareRoot())
    s2 = (tr - disc) / 2
    s1 = det == 0 ? 0 : 2 * det / (tr - disc)
    logDisc = Foundation.log(disc)
  }

  /// log [exp(Mt)]_AA and log([exp(Mt)]_AA + [exp(Mt)]_AD), and P(active | no purchase in t,
  /// active at 0). The definition: `ActivityTables` takes the same for a row of grid points at
  /// once, and its test checks it against this.
  func fromActive(_ t: Double) -> (logStay: Double, logQuiet: Double, activeShare: Double) {
    let tail = Foundation.exp((s2 - s1) * t)
    let stay = (a - s2) + tail * (s1 - a)
    let quiet = stay + mu * (1 - tail)
    let base = s1 * t - logDisc
    return (base + Foundation.log(max(stay, 1e-300)), base + Foundation.log(max(quiet, 1e-300)), stay / quiet)
  }

  /// P(no purchase in t) from active and from dormant.
  func quiet(_ t: Double) -> (fromActive: Double, fromDormant: Double) {
    let e1 = Foundation.exp(s1 * t), e2 = Foundation.exp(s2 * t)
    let aa = (e1 * (a - s2) + e2 * (s1 - a)) / disc
    let ad = mu * (e1 - e2) / disc
    let da = omega * (e1 - e2) / disc
    let dd = (e1 * (d - s2) + e2 * (s1 - d)) / disc
    return (min(1, max(0, aa + ad)), min(1, max(0, da + dd)))
  }
}

extension ActivityModel {
  /// How the mixing distribution is estimated.
  public struct FitOptions: Sendable {
    /// Customers the EM reads at most; larger bases are sampled with a fixed stride, so the
    /// estimate is deterministic. Every customer is still scored.
    public var sampleLimit = 10_000
    /// Customers the scan over wake rates reads at most (a stride sample of the sample).
    public var searchSampleLimit = 5_000
    /// Grid of purchase rates per day (log-spaced) and of dormancy rates per day.
    public var purchaseRates = ActivityModel.logSpaced(from: 1.0 / 5_000, to: 1, count: 22)
    /// (see `purchaseRates`)
    public var dormancyRates = ActivityModel.logSpaced(from: 1e-5, to: 0.1, count: 10)
    /// Candidate wake rates per day; the one with the highest likelihood is refined by a
    /// parabola through it and its neighbours on the log scale. 0 is the Pareto/NBD.
    public var wakeRates: [Double] = [0] + ActivityModel.logSpaced(from: 1.0 / 3_000, to: 1.0 / 30, count: 9)
    /// Candidate ageing exponents, scanned at the chosen wake rate (0: no ageing); the best is
    /// refined by a parabola through it and its neighbours. Four, so that two cores take them in
    /// two rounds.
    public var ageingExponents: [Double] = [0, 0.25, 0.5, 1]
    /// Ageing is read only from histories at least this many days long (from the first purchase
    /// to the last day). On shorter ones the quick
    /// repeat purchases that follow a first purchase pass for ageing, and the curve, read off a
    /// few months of tenure, is carried over the horizon: on CDNOW, calibrated for 9 months, the
    /// likelihood picks an exponent of 1 and the forecast falls 26% short (without: +0.2%).
    public var ageingMinimumSpanDays: Int32 = 730
    /// Ageing that levels off (`AgeingCurve.levelling`: floor, time constant in days), looked for
    /// beside none in a closed cohort with `closedCohortAgeingMinimumSpanDays` of history and less
    /// than `ageingMinimumSpanDays` (from there, the exponents above). In a closed cohort every
    /// customer's tenure runs with the calendar, and one year shows the whole cohort's first year;
    /// a slowdown that stops cannot be told from one that goes on there, and this form carries
    /// only the first over the horizon. (From two years on, beside the exponents, it also took
    /// part of a +-30% season of a simulated cohort without ageing: SeasonalIndexTests.) On
    /// CDNOW (closed since March 1997) it chose a floor of 0.7 within 30 days and moved every end
    /// from 1997-11-30 to 1998-02-28 closer (+8.9% to +4.1% from 1997-11-30), 1998-03-31 from +6.9%
    /// to +9.3%; generated cohorts that slow as they age (`--regime real`) came 5-7 points closer
    /// on 5 of 8 seeds, and cohorts that do not were left as they were. Not in an open base: moved
    /// into one (each CDNOW history shifted by up to a year), CDNOW came out 2-10% short where it
    /// was 1-10% over (Benchmarks/README.md, session 28).
    public var levellingAgeing: [(floor: Double, days: Double)] = [30.0, 90, 365].flatMap { days in
      [0.7, 0.5, 0.35].map { (floor: $0, days: days) }
    }
    /// (see `levellingAgeing`)
    public var closedCohortAgeingMinimumSpanDays: Int32 = 330
    /// The mixing distribution's prior, in customers per grid point: that many pseudo-customers a
    /// point join the customers in every EM step, spread over its two neighbours in purchase rate
    /// with their mean rate kept (a smoothed EM, as Silverman, Jones, Wilson & Nychka 1990). The plain
    /// estimate (0) is a handful of atoms that a small base places by chance: on the 2,357-customer
    /// CDNOW sample its forecast from 1997-04-30 was -16% where the whole cohort's was -1%. The
    /// prior weighs 220 / (customers + 220) with the 220-point grid, so it fades as the base grows.
    /// Dormancy rates are not smoothed: a short history does not show how long its customers stay,
    /// and a prior spread there would set the forecast rather than steady it (smoothed both ways,
    /// generated bases came out 0.5-2 points higher).
    public var priorCustomersPerGridPoint = 1.0
    /// EM iterations per candidate wake rate, and for the final estimate.
    public var searchIterations = 30
    /// (see `searchIterations`)
    public var finalIterations = 120

    /// The defaults above.
    public init() {}
  }

  static func logSpaced(from low: Double, to high: Double, count: Int) -> [Double] {
    (0..<count).map { Foundation.exp(Foundation.log(low) + (Foundation.log(high) - Foundation.log(low)) * Double($0) / Double(count - 1)) }
  }

  /// Fits the mixing distribution and the wake rate to the customers with a purchase, and a
  /// seasonal index by month (`seasonalPeriod`) when the history holds a year of months.
  /// - Returns: nil when fewer than 2 customers have bought.
  public static func fitWithSeasons(_ histories: PurchaseHistories, options: FitOptions = FitOptions()) -> ActivityModel? {
    // The EM's products are small (groups x grid points): OpenBLAS's extra threads cost more to
    // wake than they save, and spin (sched_yield) between calls: 7% of `fit`'s CPU on 10M rows.
    BLASThreads.oneEach {
      guard var model = fitOnOneBLASThread(histories, period: seasonalPeriod, options: options) else { return nil }
      model.spendLink = model.fittedSpendLink(histories, customers: fitSample(histories, limit: options.sampleLimit))
      return model
    }
  }

  /// The periods the seasonal index follows, whatever periods forecasts are cut into: months.
  /// - Quarters: four values a year cannot hold a yearly wave beside the first year's slope
  ///   (`slopeBesideAYearlyWave` needs 8), and a straight line across them takes part of the
  ///   season with it: generated closed cohorts, fitted on one year, came out 14-15% over by
  ///   quarter and -2% to +5% by month (Benchmarks/README.md, session 27).
  /// - Weeks: fifty-two values a year each rest on one week of purchases when one year is read,
  ///   and a week's noise passes for its season: generated closed cohorts fitted on one year came
  ///   out up to 9 points above their forecast by month (`--regime real`, seed 7001: +15.9% by
  ///   week, +6.5% by month). A week seldom ends with a month, so the month holding the
  ///   calibration end is read as far as it is seen (`PurchaseHistories.seenPeriods`): CDNOW to
  ///   1997-12-28 came out +3.6% (its own 52 weeks: -2.1%), and +5.4% with December left out
  ///   for want of its last three days (Benchmarks/README.md, session 36).
  static let seasonalPeriod = PeriodKind.month

  static func fitOnOneBLASThread(_ histories: PurchaseHistories, period: PeriodKind, options: FitOptions) -> ActivityModel? {
    let closed = ClosedCohort.quietPeriods(entrants: histories.entrants(per: period), period: period) != nil
    guard let index = seasonalIndex(histories, period: period) else {
      return fitWithOneYearOfSeasons(histories, period: period, options: options, closedCohort: closed)
    }
    // This fit only serves the correction below, whose final EM starts from its weights: the
    // search's iterations are enough for it.
    var first = options
    first.finalIterations = options.searchIterations
    guard var model = fit(histories, options: first, closedCohort: closed, clock: ActivityClock.maker(index: index, period: period))
    else { return nil }
    model.seasonalIndex = index
    model.seasonalPeriod = period
    // The ratio-to-moving-average index assumes a trend that is straight over a year; a cohort that
    // is still filling up or emptying bends it. Measured against the fitted model's own
    // expectation, which carries the cohort's dynamics, the seasons come out clean; the mixing
    // distribution is then re-estimated on the corrected clock.
    model.readSeasonsAgain(histories, sample: fitSample(histories, limit: options.sampleLimit), period: period, closedCohort: closed, options: options)
    return model
  }

  /// From a year of periods (the last one seen as far as the calibration end, `seenPeriods`) to two
  /// years of complete ones, the moving average has too few values to read seasons from, but each
  /// season has been seen once: a flat model's expectation for each period,
  /// set against the repeat purchases made in it, gives the seasons once a trend over the window is
  /// taken out (each season's value is shrunk by its share of Poisson noise). A closed cohort
  /// calibrated on one year that ends in a December peak would otherwise carry the peak's pace into
  /// a quiet spring.
  static func fitWithOneYearOfSeasons(_ histories: PurchaseHistories, period: PeriodKind, options: FitOptions, closedCohort: Bool) -> ActivityModel? {
    guard let flat = fit(histories, options: options, closedCohort: closedCohort, clock: ActivityClock.maker(index: nil, period: nil))
    else { return nil }
    let seasons = period.seasonsPerYear
    guard seasons > 1, histories.seenPeriods(of: period).count >= seasons else { return flat }
    let sample = fitSample(histories, limit: options.sampleLimit)
    var reference = flat
    reference.seasonalIndex = Array(repeating: 1, count: seasons)
    reference.seasonalPeriod = period
    guard let index = reference.seasonalIndexAgainstExpectation(histories, customers: sample, period: period, closedCohort: closedCohort),
          index.contains(where: { abs($0 - 1) > 1e-9 }) else { return flat }
    // As with two years (`fitOnOneBLASThread`): the seasons are read once more, against the
    // seasonal model's own expectation, and the mixing distribution re-estimated on that clock. The
    // flat model the first reading stood on had no seasons to fit its mixing distribution beside,
    // and the shape its misfit gave the expectation over the year passed into the seasons: on
    // generated closed cohorts fitted on 12-16 months, summer months read up to 9% high and
    // forecasts came out 1-3 points higher than with the second reading (`--regime real` +9.4% and
    // +7.8%, after it +6.5% and +4.9%); CDNOW's ends within 0.5 points. A third reading moved
    // them by under 0.5 points more (Benchmarks/README.md, session 29). The second reading needs
    // the first's model fitted to the end: from the search's iterations only (as two years do), the
    // same cohorts gained 0-1.7 points less.
    guard var seasonal = fit(histories, options: options, closedCohort: closedCohort, clock: ActivityClock.maker(index: index, period: period))
    else { return nil }
    seasonal.seasonalIndex = index
    seasonal.seasonalPeriod = period
    seasonal.readSeasonsAgain(histories, sample: sample, period: period, closedCohort: closedCohort, options: options)
    return seasonal
  }

  /// The seasonal index corrected against this model's own expectation
  /// (`seasonalIndexAgainstExpectation`), and the mixing distribution re-estimated on the
  /// corrected clock.
  mutating func readSeasonsAgain(_ histories: PurchaseHistories, sample: [Int], period: PeriodKind, closedCohort: Bool, options: FitOptions) {
    seasonalIndex = seasonalIndexAgainstExpectation(histories, customers: sample, period: period, closedCohort: closedCohort)
    runEM(LikelihoodGroups(histories, customers: sample, clock: clock(from: histories.firstDay, through: histories.through.dayNumber + 1)),
          iterations: options.finalIterations, prior: options.priorCustomersPerGridPoint)
  }

  /// The customers with a purchase that the EM reads: all of them, or a fixed stride through
  /// them for large bases, so that the estimate is deterministic.
  static func fitSample(_ histories: PurchaseHistories, limit: Int) -> [Int] {
    // Counted, then picked, without an array of every buyer (12 MB at a million customers).
    let counts = histories.purchaseDays.count
    let buyers = counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
    let stride = max(1, (buyers + limit - 1) / limit)
    var picked: [Int] = [], k = 0
    for c in counts.indices where counts[c] > 0 {
      if k % stride == 0 { picked.append(c) }
      k += 1
    }
    return picked
  }

  /// Fits the mixing distribution and the wake rate to the customers with a purchase.
  /// - Returns: nil when fewer than 2 customers have bought.
  public static func fit(_ histories: PurchaseHistories, options: FitOptions = FitOptions()) -> ActivityModel? {
    BLASThreads.oneEach {
      fit(histories, options: options, closedCohort: false, clock: ActivityClock.maker(index: nil, period: nil))
    }
  }

  /// `closedCohort`: nobody entered in the last periods (`ClosedCohort`), so ageing that levels
  /// off is looked for from a year of history (`FitOptions.levellingAgeing`).
  static func fit(
    _ histories: PurchaseHistories, options: FitOptions, closedCohort: Bool, clock makeClock: (Int32, Int32, AgeingCurve) -> ActivityClock
  ) -> ActivityModel? {
    let sample = fitSample(histories, limit: options.sampleLimit)
    guard sample.count >= 2 else { return nil }
    // The spend per purchase reads every buyer and none of the rest: it runs beside the search.
    let spend = BackgroundWork {
      SpendShrinkage.estimate(
        spending: histories.spending(of:), customers: (0..<histories.customerCount).lazy.filter { histories.purchaseDays.count[$0] > 0 })
    }
    func clock(_ ageing: AgeingCurve) -> ActivityClock { makeClock(histories.firstDay, histories.through.dayNumber + 1, ageing) }
    let searchStride = max(1, (sample.count + options.searchSampleLimit - 1) / options.searchSampleLimit)
    let searchSample = Swift.stride(from: 0, to: sample.count, by: searchStride).map { sample[$0] }
    let searchGroups = LikelihoodGroups(histories, customers: searchSample, clock: clock(.none))
    var model = ActivityModel(
      purchaseRates: options.purchaseRates, dormancyRates: options.dormancyRates,
      weights: Array(repeating: 1 / Double(options.purchaseRates.count * options.dormancyRates.count),
                     count: options.purchaseRates.count * options.dormancyRates.count),
      wakeRate: 0, spendMean: 0, spendPseudoCount: nil, through: histories.through, fittedCustomers: sample.count,
      logLikelihood: -.infinity)
    model.purchaseTiming = PurchaseTiming(days: sample.lazy.map { histories.purchaseDays[$0] })

    // Warm start at a middling wake rate, then compare candidates from there.
    let start = options.wakeRates[options.wakeRates.count / 2]
    model.wakeRate = start
    model.runEM(searchGroups, iterations: options.searchIterations, prior: options.priorCustomersPerGridPoint)
    let warm = model.weights

    // The candidates are independent: the cores take them, one each. OpenBLAS's own threads would
    // only compete with them for the same cores (and spin between calls), so it runs on one
    // thread meanwhile.
    let results = Partials<Double>(count: options.wakeRates.count)
    let base = model
    let search = searchGroups
    BLASThreads.oneEach {
      DispatchQueue.concurrentPerform(iterations: options.wakeRates.count) { k in
        var candidate = base
        candidate.weights = warm
        candidate.wakeRate = options.wakeRates[k]
        candidate.runEM(search, iterations: options.searchIterations, prior: options.priorCustomersPerGridPoint)
        results.store(candidate.logLikelihood, at: k)
      }
    }
    let scores = zip(options.wakeRates, results.all()).map { (omega: $0, logLikelihood: $1) }
    let best = scores.indices.max { scores[$0].logLikelihood < scores[$1].logLikelihood }!
    var omega = scores[best].omega
    // Parabola through the best candidate and its neighbours, in log omega, when all three are > 0.
    if best > 0, best < scores.count - 1, scores[best - 1].omega > 0,
       let peak = parabolaPeak(x: (best - 1...best + 1).map { Foundation.log(scores[$0].omega) },
                               y: (best - 1...best + 1).map { scores[$0].logLikelihood }) {
      omega = Foundation.exp(peak)
    }
    // Ageing at that wake rate: each candidate reads the customers on its own clocks. The
    // exponents (a slowdown that goes on) take two years; ageing that levels off, a year of a
    // closed cohort.
    let span = histories.through.dayNumber - histories.firstDay
    let exponents = span >= options.ageingMinimumSpanDays ? options.ageingExponents : [0]
    let levelling = closedCohort && span >= options.closedCohortAgeingMinimumSpanDays && span < options.ageingMinimumSpanDays
    let candidates = exponents.map { $0 > 0 ? AgeingCurve.power($0) : .none }
      + (levelling ? options.levellingAgeing.map { AgeingCurve.levelling(floor: $0.floor, days: $0.days) } : [])
    var ageing = candidates.first ?? .none
    if candidates.count > 1 {
      let aged = Partials<Double>(count: candidates.count)
      let clocks = candidates.map(clock), chosenWakeRate = omega
      BLASThreads.oneEach {
        DispatchQueue.concurrentPerform(iterations: candidates.count) { k in
          var candidate = base
          candidate.weights = warm
          candidate.wakeRate = chosenWakeRate
          candidate.runEM(LikelihoodGroups(histories, customers: searchSample, clock: clocks[k]), iterations: options.searchIterations,
                          prior: options.priorCustomersPerGridPoint)
          aged.store(candidate.logLikelihood, at: k)
        }
      }
      let ageingScores = aged.all()
      let top = ageingScores.indices.max { ageingScores[$0] < ageingScores[$1] }!
      ageing = candidates[top]
      // Between two exponents, the top of the parabola through them.
      if top > 0, top < exponents.count - 1,
         let peak = parabolaPeak(x: Array(exponents[top - 1...top + 1]), y: Array(ageingScores[top - 1...top + 1])) {
        ageing = peak > 0 ? .power(peak) : .none
      }
    }
    model.weights = warm
    model.wakeRate = omega
    model.ageingCurve = ageing
    model.levellingLookedFor = levelling ? true : nil
    model.shortHistoryDays = span < options.ageingMinimumSpanDays ? span : nil
    model.runEM(LikelihoodGroups(histories, customers: sample, clock: clock(ageing)), iterations: options.finalIterations,
                prior: options.priorCustomersPerGridPoint)
    (model.spendMean, model.spendPseudoCount) = spend.wait()
    return model
  }

  /// The top of the parabola through three points, kept between the outer two; nil when it opens
  /// upward.
  static func parabolaPeak(x: [Double], y: [Double]) -> Double? {
    let denominator = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2])
    let a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / denominator
    let b = (x[2] * x[2] * (y[0] - y[1]) + x[1] * x[1] * (y[2] - y[0]) + x[0] * x[0] * (y[1] - y[2])) / denominator
    guard a < 0 else { return nil }
    return min(x[2], max(x[0], -b / (2 * a)))
  }

  /// EM on the grid weights with the wake rate fixed: w_g <- w_g mean_i (L_ig / sum_h L_ih w_h),
  /// accelerated by SQUAREM (Varadhan & Roland 2008): two EM steps give a direction, a step along
  /// it is taken when it does not lower the likelihood, so each round costs three EM steps but
  /// covers many. `iterations` counts EM steps.
  mutating func runEM(_ groups: LikelihoodGroups, iterations: Int, prior: Double = 0) {
    guard prior <= 0 else { return runSmoothedEM(groups, iterations: iterations, prior: prior) }
    // Grid points EM has already driven to (almost) nothing stay there: multiplicative updates
    // cannot revive a zero, and leaving them out makes every step cheaper.
    let columns = weights.indices.filter { weights[$0] > 1e-9 }
    let likelihood = groups.likelihood(self, columns: columns)
    let total = groups.multiplicity.reduce(0, +)
    /// One EM step from `w`, and the log-likelihood at `w`.
    func step(_ w: [Double]) -> ([Double], Double) {
      let (back, ll) = likelihood.emSums(weights: w, multiplicity: groups.multiplicity, logLikelihood: true)
      return ((0..<w.count).map { w[$0] * back[$0] / total }, ll)
    }
    var w = columns.map { weights[$0] }
    var logLikelihood = -Double.infinity
    var used = 0
    while used + 3 <= max(3, iterations) {
      let (w1, ll0) = step(w)
      let (w2, _) = step(w1)
      used += 2
      var r = [Double](repeating: 0, count: w.count), v = r
      var rr = 0.0, vv = 0.0
      for g in w.indices {
        r[g] = w1[g] - w[g]
        v[g] = w2[g] - w1[g] - r[g]
        rr += r[g] * r[g]
        vv += v[g] * v[g]
      }
      var candidate = w2
      if vv > 0 {
        let alpha = -max(1, (rr / vv).squareRoot())
        var extrapolated = w.indices.map { max(0, w[$0] - 2 * alpha * r[$0] + alpha * alpha * v[$0]) }
        let sum = extrapolated.reduce(0, +)
        if sum > 0 {
          for g in extrapolated.indices { extrapolated[g] /= sum }
          candidate = extrapolated
        }
      }
      // One stabilising EM step from the candidate; fall back to the plain steps if it lost ground.
      var (next, llCandidate) = step(candidate)
      used += 1
      if llCandidate < ll0 {
        (next, llCandidate) = step(w2)
        used += 1
      }
      w = next
      let change = llCandidate - logLikelihood
      logLikelihood = llCandidate
      if change.isFinite && change >= 0 && change < 1e-8 * abs(llCandidate) { break }
    }
    weights = Array(repeating: 0, count: gridCount)
    for (j, k) in columns.enumerated() { weights[k] = w[j] }
    self.logLikelihood = step(w).1 + groups.logClockFactor
  }
}

extension ActivityModel {
  /// EM with `prior` pseudo-customers per grid point spread to each point's two neighbours in
  /// purchase rate: each step is `w <- S(EM(w))`, `S` passing a share `s = prior points /
  /// (customers + prior points)` of every point's weight to its neighbours below and above without
  /// moving the mean purchase rate (`smoothedAlongPurchaseRates`), so each dormancy rate keeps the
  /// weight EM gave it. Every point keeps some weight, so all are read (no pruning), and the step
  /// is plain: SQUAREM's acceleration assumes the likelihood is what is being climbed.
  mutating func runSmoothedEM(_ groups: LikelihoodGroups, iterations: Int, prior: Double) {
    let columns = Array(weights.indices)
    let likelihood = groups.likelihood(self, columns: columns)
    let customers = groups.multiplicity.reduce(0, +)
    let share = prior * Double(gridCount) / (customers + prior * Double(gridCount))
    // Start from the weights given, with every point revived a little (EM cannot revive a zero).
    var w = weights.map { $0 + 1e-9 }
    let start = w.reduce(0, +)
    for g in w.indices { w[g] /= start }
    for _ in 0..<iterations {
      let back = likelihood.emSums(weights: w, multiplicity: groups.multiplicity, logLikelihood: false).sums
      w = smoothedAlongPurchaseRates(w.indices.map { w[$0] * back[$0] / customers }, share: share)
    }
    weights = w
    logLikelihood = groups.logClockFactor + likelihood.emSums(weights: w, multiplicity: groups.multiplicity, logLikelihood: true).logLikelihood
  }

  /// Each point keeps `1 - share` of its weight and passes `share` to its neighbours below and
  /// above in purchase rate, split so that the purchase rate's mean stays where it was (`a` below,
  /// `b` above: `a + b = 1`, `a lambda_below + b lambda_above = lambda`); the lowest and highest
  /// rates keep theirs. An even split would raise the mean rate of what moves (by 8% on a grid
  /// 1.5x apart): a prior that leans; its forecasts came out within 0.2 points of these on CDNOW and
  /// generated bases, so this is for the reason, not the figures. The sum over each dormancy rate
  /// is kept.
  func smoothedAlongPurchaseRates(_ w: [Double], share: Double) -> [Double] {
    let rates = purchaseRates.count, dormancy = dormancyRates.count
    var out = w
    guard rates >= 3 else { return out }
    for i in 1..<(rates - 1) {
      let up = (purchaseRates[i] - purchaseRates[i - 1]) / (purchaseRates[i + 1] - purchaseRates[i - 1])
      for j in 0..<dormancy {
        let moved = share * w[i * dormancy + j]
        out[i * dormancy + j] -= moved
        out[(i - 1) * dormancy + j] += moved * (1 - up)
        out[(i + 1) * dormancy + j] += moved * up
      }
    }
    return out
  }
}

/// Customers with identical likelihoods (same gaps between purchases, same quiet time at the end)
/// counted once: a base's one-time buyers differ only in when they bought.
struct LikelihoodGroups {
  /// Per group: gaps in clock ticks between consecutive purchases, and ticks from the last
  /// purchase to the end of observation.
  var gaps: [[Int32]]
  var quiet: [Int32]
  var multiplicity: [Double]
  /// Every gap and quiet length that occurs, for the likelihood's tables.
  var lengths: Set<Int32> = []
  /// The log of the clock's own factor at every repeat purchase, summed over the customers:
  /// a purchase rate on the customer's clock is that rate times the factor per calendar day.
  /// The same for every grid point (EM ignores it), it makes likelihoods under different ageing
  /// comparable.
  var logClockFactor = 0.0

  init(_ h: PurchaseHistories, customers: [Int], clock: ActivityClock) {
    var index: [[Int32]: Int] = [:]
    gaps = []
    quiet = []
    multiplicity = []
    for c in customers {
      let days = h.purchaseDays[c]
      guard let first = days.first, let last = days.last else { continue }
      var key = [clock.ticks(from: last, to: h.through.dayNumber + 1, since: first)]
      for k in days.indices.dropFirst() {
        key.append(clock.ticks(from: days[k - 1], to: days[k], since: first))
        if clock.ageing != .none { logClockFactor += clock.logAgeingFactor(Double(days[k] - first)) }
      }
      key[1...].sort()
      if let g = index[key] {
        multiplicity[g] += 1
      } else {
        index[key] = gaps.count
        quiet.append(key[0])
        gaps.append(Array(key[1...]))
        multiplicity.append(1)
        lengths.formUnion(key)
      }
    }
  }

  /// Per group and grid point, the likelihood divided by the group's largest (`rowScale` is the
  /// log of that divisor), so that EM's sums do not underflow; the blocks of rows on every core.
  func likelihood(_ model: ActivityModel, columns: [Int]) -> LikelihoodBlocks {
    let table = ActivityTables(model, gapLengths: lengths, points: columns)
    let size = LikelihoodBlocks.rowsPerBlock
    let blockCount = (gaps.count + size - 1) / size
    let parts = Partials<(Matrix, [Double])>(count: blockCount)
    DispatchQueue.concurrentPerform(iterations: blockCount) { b in
      let rows = b * size..<min(gaps.count, (b + 1) * size)
      var m = Matrix(rowCount: rows.count, columnCount: columns.count)
      var scale = [Double](repeating: 0, count: rows.count)
      var row = [Double](repeating: 0, count: columns.count), exponentials = row
      for i in rows {
        table.logLikelihood(gaps: gaps[i], quiet: quiet[i], into: &row)
        // No columns (a model without support) leaves nothing to scale.
        let top = row.max() ?? 0
        scale[i - rows.lowerBound] = top
        for j in columns.indices { row[j] -= top }
        exponentials = row
        VectorMath.exp(&exponentials)
        // Points 40 log units below the top weigh under 1e-17 of it: they count as nothing.
        for j in columns.indices where row[j] >= -40 { m[i - rows.lowerBound, j] = exponentials[j] }
      }
      parts.store((m, scale), at: b)
    }
    let all = parts.all()
    return LikelihoodBlocks(blocks: all.map(\.0), rowScale: all.flatMap(\.1))
  }
}

/// A likelihood matrix (groups x grid points) in blocks of rows, each small enough to stay in a
/// core's cache between the two products of an EM step.
struct LikelihoodBlocks {
  /// 1,024 rows of 220 grid points are 1.8 MB; a core's cache here is 2 MB.
  static let rowsPerBlock = 1_024
  var blocks: [Matrix]
  /// Per row, the log of the divisor its likelihoods were scaled by.
  var rowScale: [Double]

  /// EM's sums per grid point, `sum_i m_i L_ij / (L_i . w)`, and with `logLikelihood` the
  /// log-likelihood at `w`. Each block is read from memory once, not twice, the blocks on every
  /// core; they are added in their order, so the result does not depend on which core took which.
  func emSums(weights w: [Double], multiplicity: [Double], logLikelihood: Bool) -> (sums: [Double], logLikelihood: Double) {
    let size = Self.rowsPerBlock
    let parts = Partials<([Double], Double)>(count: blocks.count)
    DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
      let first = b * size
      let mixture = blocks[b].multiplied(byColumnVector: w)
      var ratio = [Double](repeating: 0, count: mixture.count), ll = 0.0
      for i in mixture.indices {
        let m = max(mixture[i], 1e-300)
        ratio[i] = multiplicity[first + i] / m
        if logLikelihood { ll += multiplicity[first + i] * (Foundation.log(m) + rowScale[first + i]) }
      }
      parts.store((blocks[b].leftMultiplied(byRowVector: ratio), ll), at: b)
    }
    var sums = [Double](repeating: 0, count: w.count), ll = 0.0
    for (part, partLL) in parts.all() {
      for j in sums.indices { sums[j] += part[j] }
      ll += partLL
    }
    return (sums, ll)
  }
}

/// Every customer's future under the activity model, from the end of its history.
public struct CustomerActivityOutlook: Sendable {
  /// Per customer: whether it has a purchase to read (leads and customers not yet acquired do not).
  public var hasHistory: [Bool]
  /// Per customer: chance of being active (not dormant) at the end of the history.
  public var activeProbability: [Double]
  /// Per customer, per interval: expected purchase occasions.
  public var purchases: PerCustomerSeries
  /// Per customer, per interval: chance of at least one purchase.
  public var buying: PerCustomerSeries
  /// Per customer: expected net revenue per purchase (shrunk toward the base's mean).
  public var spendPerPurchase: [Double]
  /// With a `ChurnRule`: the churn events of the customers with a purchase, per period of the
  /// rule; nil without one.
  public var churned: ChurnCount?
  /// With a `ChurnRule`: per customer, the chance of being churned at the end of the rule's
  /// horizon (`ChurnRule.churnedAtEnd`; 0 without a purchase); nil without one.
  public var churnedAtEnd: [Double]?
  /// With weighted intervals to value (`ValueIntervals`): per customer, the weighted sum of its
  /// expected purchase occasions in them (0 without a purchase); nil without.
  public var discountedPurchases: [Double]?

  /// Expected revenue of a customer in an interval.
  public func revenue(_ c: Int, _ interval: Int) -> Double { purchases[c, interval] * spendPerPurchase[c] }
}

/// Per customer, a value per interval, in one flat array: a million customers' own small arrays
/// were two allocations each and 440 MB of `score`'s peak with 12 intervals.
public struct PerCustomerSeries: RandomAccessCollection, Sendable {
  /// Values per customer.
  public let intervals: Int
  /// Customer-major: customer `c`'s values are `values[c * intervals ..< (c + 1) * intervals]`.
  private var values: [Double]
  private let customers: Int

  /// Zeros for `customers` customers.
  init(customers: Int, intervals: Int) {
    self.customers = customers
    self.intervals = intervals
    values = Array(repeating: 0, count: customers * intervals)
  }

  /// 0.
  public var startIndex: Int { 0 }
  /// The number of customers.
  public var endIndex: Int { customers }
  /// Customer `c`'s values, by interval.
  public subscript(c: Int) -> Row { Row(values: values[(c * intervals)..<((c + 1) * intervals)]) }
  /// Customer `c`'s value in `interval`.
  subscript(c: Int, interval: Int) -> Double {
    get { values[c * intervals + interval] }
    set { values[c * intervals + interval] = newValue }
  }

  /// One customer's values, indexed by interval from 0.
  public struct Row: RandomAccessCollection, Sendable {
    let values: ArraySlice<Double>
    /// 0.
    public var startIndex: Int { 0 }
    /// The number of intervals.
    public var endIndex: Int { values.count }
    /// The value in `interval`.
    public subscript(interval: Int) -> Double { values[values.startIndex + interval] }
  }
}

extension ActivityModel {
  /// Each customer's expectations over calendar intervals after `histories.through`: each
  /// interval is the days `from ..< to` (day numbers). Seasons and ageing come in through the
  /// model's clock; with ageing, each customer's intervals are read on its own clock.
  ///
  /// With `dormancyChange` (-0.2: customers fall dormant 20% less often), every grid point's
  /// dormancy rate changes by that much from the end of the history on; what is known of each
  /// customer (its posterior and its chance of being active) still comes from the rates as fitted.
  ///
  /// With `churn`, the outlook also reads churn by that rule: the churn events it expects per
  /// period, and each customer's chance of being churned at the end.
  ///
  /// With `value`, each customer's expected purchases in its intervals, weighted (discounted) and
  /// summed, as `discountedPurchases`.
  public func outlook(
    _ h: PurchaseHistories, days: [(from: Int32, to: Int32)], dormancyChange: Double = 0, churn: ChurnRule? = nil,
    value: ValueIntervals? = nil
  ) -> CustomerActivityOutlook {
    let next = h.through.dayNumber + 1
    let read = days + (churn?.quietSpans ?? [])
    let valued = value?.days ?? []
    let clock = self.clock(from: h.firstDay, through: max(next, (read + valued).map(\.to).max() ?? next))
    return outlook(h, dormancyChange: dormancyChange, churn: churn, valueWeights: value?.weights ?? []) { first in
      func offset(_ day: Int32) -> Double { clock.days(from: next, to: day, since: first) }
      var intervals = read.map { (from: offset($0.from), to: offset($0.to)) }
      // The value's century of back-to-back intervals: each starts where the one before ended,
      // so the aged clock reads each interval's own days, not all the days from the origin.
      var lastDay = Int32.min, lastOffset = 0.0
      for interval in valued {
        let from = interval.from == lastDay ? lastOffset : offset(interval.from)
        lastOffset = from + clock.days(from: interval.from, to: interval.to, since: first)
        lastDay = interval.to
        intervals.append((from, lastOffset))
      }
      return intervals
    }
  }

  /// Each customer's expectations over intervals after `histories.through`, given as (from, to)
  /// offsets in operational days from the end of the history; for a model without ageing
  /// (tests): (0, 30) is the 30 days after the last day of history when it has no seasons.
  func outlook(_ h: PurchaseHistories, intervals: [(from: Double, to: Double)], dormancyChange: Double = 0) -> CustomerActivityOutlook {
    precondition(ageingCurve == .none, "offsets in operational days are the same for every customer only without ageing")
    return outlook(h, dormancyChange: dormancyChange) { _ in intervals }
  }

  /// The outlook with each customer's intervals in operational days after the end of the history,
  /// `intervals(first purchase day)`; customers are taken in groups that share their intervals
  /// (everyone without ageing, one group per first purchase day with it). With `churn`, the
  /// intervals after the forecast's are its `quietSpans`, read for the churn count and the chance
  /// of being churned at the end, and not kept per customer. With `valueWeights`, the last
  /// intervals are the value's: their purchase expectations are summed with those weights into
  /// one more column of the tables, so a century of periods costs each customer one number.
  ///
  /// Linear in each grid point's chance of being active at the end, `v`, so every term is a
  /// per-customer posterior times a grid-by-interval table, done as matrix products in blocks.
  func outlook(
    _ h: PurchaseHistories, dormancyChange: Double, churn: ChurnRule? = nil, valueWeights: [Double] = [],
    intervals: (Int32) -> [(from: Double, to: Double)]
  ) -> CustomerActivityOutlook {
    let n = h.customerCount
    let aged = ageingCurve != .none
    let clock = self.clock(from: h.firstDay, through: h.through.dayNumber + 1)
    var groups: [Int32: [Int]] = [:]
    for c in 0..<n {
      guard let first = h.purchaseDays[c].first else { continue }
      groups[aged ? first : 0, default: []].append(c)
    }
    // Grid points without weight add nothing to a posterior: only the support is read.
    let posteriorsOf = ActivityPosteriors(self, h, customers: 0..<n, clock: clock)
    let support = posteriorsOf.support
    let grid = support.count
    let quietSpans = churn?.quietSpans.count ?? 0
    let valued = valueWeights.count
    let k = intervals(h.firstDay).count - quietSpans - valued
    var out = CustomerActivityOutlook(
      hasHistory: h.purchaseDays.map { !$0.isEmpty }, activeProbability: Array(repeating: 0, count: n),
      purchases: PerCustomerSeries(customers: n, intervals: k), buying: PerCustomerSeries(customers: n, intervals: k),
      spendPerPurchase: Array(repeating: spendMean, count: n))
    // Blocks of customers sharing their intervals, taken by the cores; each block's products run
    // on one OpenBLAS thread (they are small, and the cores are busy with the other blocks). A
    // block of 256 keeps its posteriors (at most 0.9 MB) in a core's 2 MB cache for the product;
    // 2,048 did not, and `score` took 7% longer.
    let block = 256
    let sortedGroups = groups.sorted(by: { $0.key < $1.key })
    let groupIntervals = sortedGroups.map { intervals($0.key) }
    // Each group's tables side by side: the expectations' columns (purchases, buying, and the
    // discounted purchases when valued), then the churn rule's chances of staying quiet. One
    // product per block then reads the posteriors once: with two, OpenBLAS packed each block's
    // posteriors twice, and for `score`'s few columns the packing cost as much as the products.
    let expectationColumns = 2 * k + (valued > 0 ? 1 : 0)
    let groupTables = Partials<Matrix>(count: sortedGroups.count)
    // Taken by the cores: with ageing there is a group per first purchase day, and a lifetime
    // value reads a century of intervals for each.
    DispatchQueue.concurrentPerform(iterations: sortedGroups.count) { g in
      let all = groupIntervals[g]
      var tables = outlookTables(Array(all.prefix(k)), dormancyChange: dormancyChange, points: support)
      if valued > 0 {
        tables = tables.appendingColumn(
          discountedPurchaseTable(Array(all.suffix(valued)), weights: valueWeights, dormancyChange: dormancyChange, points: support))
      }
      if churn != nil {
        tables = tables.appendingColumns(of: quietTables(Array(all[k..<(k + quietSpans)]), dormancyChange: dormancyChange, points: support))
      }
      groupTables.store(tables, at: g)
    }
    var tablesOfGroup: [Int32: Matrix] = [:]
    var blocks: [(key: Int32, members: ArraySlice<Int>)] = []
    for ((key, customers), tables) in zip(sortedGroups, groupTables.all()) {
      tablesOfGroup[key] = tables
      for first in Swift.stride(from: 0, to: customers.count, by: block) {
        blocks.append((key, customers[first..<min(customers.count, first + block)]))
      }
    }
    let results = Partials<(active: [Double], expectations: Matrix, churned: ChurnCount?, atEnd: [Double])>(count: blocks.count)
    let work = blocks, tablesByGroup = tablesOfGroup
    BLASThreads.oneEach {
      DispatchQueue.concurrentPerform(iterations: work.count) { item in
        let (key, members) = work[item]
        let table = tablesByGroup[key]!
        var row = [Double](repeating: 0, count: grid)
        // Per customer: the posterior over the support, then the same times the chance of being
        // active at the end; one product with the stacked tables gives purchases and buying.
        var posteriors = Matrix(rowCount: members.count, columnCount: 2 * grid)
        var activeProbabilities = [Double](repeating: 0, count: members.count)
        var gaps: [Int32] = []
        for (m, customer) in members.enumerated() {
          let (sum, quiet) = posteriorsOf.read(h, customer: customer, gaps: &gaps, into: &row)
          let active = posteriorsOf.tables.activeAtEnd(quiet)
          let scale = 1 / sum
          var activeProbability = 0.0
          let offset = m * 2 * grid
          posteriors.elements.withUnsafeMutableBufferPointer { p in
            for (g, activeShare) in zip(0..<grid, active) {
              let chance = row[g] * scale, activeChance = row[g] * scale * activeShare
              p[offset + g] = chance
              p[offset + grid + g] = activeChance
              activeProbability += activeChance
            }
          }
          activeProbabilities[m] = activeProbability
        }
        let products = posteriors * table
        // Churn events are summed here, block by block: each customer's chances of staying quiet
        // are read once and not kept.
        var churned: ChurnCount?
        var atEnd: [Double] = []
        if let churn {
          churned = ChurnCount(steps: churn.steps)
          for (m, customer) in members.enumerated() {
            func quiet(_ span: Int) -> Double { min(1, max(0, products[m, expectationColumns + span])) }
            let last = h.purchaseDays[customer].last!
            churn.count(lastPurchase: last, into: &churned!, quiet: quiet)
            atEnd.append(churn.churnedAtEnd(lastPurchase: last, quiet: quiet))
          }
        }
        results.store((activeProbabilities, products, churned, atEnd), at: item)
      }
    }
    var churned = churn.map { ChurnCount(steps: $0.steps) }
    var churnedAtEnd = [Double](repeating: 0, count: churn == nil ? 0 : n)
    var discounted = [Double](repeating: 0, count: valued > 0 ? n : 0)
    for (item, result) in results.all().enumerated() {
      let (active, expectations, atEnd) = (result.active, result.expectations, result.atEnd)
      for (m, customer) in blocks[item].members.enumerated() {
        out.activeProbability[customer] = active[m]
        if !atEnd.isEmpty { churnedAtEnd[customer] = atEnd[m] }
        if valued > 0 { discounted[customer] = max(0, expectations[m, 2 * k]) }
        for h in 0..<k {
          out.purchases[customer, h] = max(0, expectations[m, h])
          out.buying[customer, h] = min(1, max(0, expectations[m, k + h]))
        }
      }
      if let part = result.churned { churned?.add(part) }
    }
    out.churned = churned
    out.churnedAtEnd = churn == nil ? nil : churnedAtEnd
    out.discountedPurchases = valued > 0 ? discounted : nil
    if let pseudo = spendPseudoCount {
      for customer in 0..<n {
        let spent = h.spending(of: customer)
        guard spent.occasions > 0 else { continue }
        out.spendPerPurchase[customer] = SpendShrinkage.shrunk(spend: spent.revenue, occasions: spent.occasions, mean: spendMean, pseudoCount: pseudo)
      }
    }
    return out
  }

  /// Per grid point of `points` and interval: purchases = A + B v, buying = C + D v, `v` the
  /// chance of being active at the end of the history:
  /// E[purchases in (a, b]] = lambda [pi (b - a) + (v - pi)(e^-ra - e^-rb) / r].
  /// Stacked as [[A C]; [B D]], (2 points) x (2 intervals), for a posterior row [p, p v].
  func outlookTables(_ intervals: [(from: Double, to: Double)], dormancyChange: Double, points: [Int]) -> Matrix {
    let grid = points.count, k = intervals.count
    var stacked = Matrix(rowCount: 2 * grid, columnCount: 2 * k)
    for (j, g) in points.enumerated() {
      let (lambda, r, pi, e) = process(ofGridPoint: g, dormancyChange: dormancyChange)
      for (i, interval) in intervals.enumerated() {
        let length = interval.to - interval.from
        let decay = (Foundation.exp(-r * interval.from) - Foundation.exp(-r * interval.to)) / r
        stacked[j, i] = lambda * pi * length - lambda * pi * decay
        stacked[grid + j, i] = lambda * decay
        let quiet = Self.quietCoefficients(e, r: r, pi: pi, interval)
        stacked[j, k + i] = 1 - quiet.p
        stacked[grid + j, k + i] = -quiet.pv
      }
    }
    return stacked
  }

  /// Per grid point of `points`: the expected purchases in the intervals, summed with `weights`,
  /// as A + B v (`outlookTables`' purchase columns, weighted and added), stacked [A; B] for a
  /// posterior row [p, p v].
  func discountedPurchaseTable(_ intervals: [(from: Double, to: Double)], weights: [Double], dormancyChange: Double, points: [Int]) -> [Double] {
    let grid = points.count
    var stacked = [Double](repeating: 0, count: 2 * grid)
    for (j, g) in points.enumerated() {
      let (lambda, r, pi, _) = process(ofGridPoint: g, dormancyChange: dormancyChange)
      // Back-to-back intervals share their bounds' exponentials: one per bound, not two.
      var previousEnd = Double.nan, previousExponential = 0.0
      for (interval, weight) in zip(intervals, weights) {
        let start = interval.from == previousEnd ? previousExponential : Foundation.exp(-r * interval.from)
        let end = Foundation.exp(-r * interval.to)
        (previousEnd, previousExponential) = (interval.to, end)
        let decay = (start - end) / r
        stacked[j] += weight * lambda * pi * (interval.to - interval.from - decay)
        stacked[grid + j] += weight * lambda * decay
      }
    }
    return stacked
  }

  /// Per grid point of `points` and interval: P(no purchase in it) = E + F v, stacked [E; F] for a
  /// posterior row [p, p v] (`quietCoefficients`).
  func quietTables(_ intervals: [(from: Double, to: Double)], dormancyChange: Double, points: [Int]) -> Matrix {
    let grid = points.count
    var stacked = Matrix(rowCount: 2 * grid, columnCount: intervals.count)
    for (j, g) in points.enumerated() {
      let (_, r, pi, e) = process(ofGridPoint: g, dormancyChange: dormancyChange)
      for (i, interval) in intervals.enumerated() {
        let quiet = Self.quietCoefficients(e, r: r, pi: pi, interval)
        stacked[j, i] = quiet.p
        stacked[grid + j, i] = quiet.pv
      }
    }
    return stacked
  }

  /// Grid point `g`'s process after the end of the history, its dormancy rate changed by
  /// `dormancyChange`: purchase rate, `r = mu + omega`, the long-run active share `pi = omega / r`,
  /// and its matrix exponential.
  private func process(ofGridPoint g: Int, dormancyChange: Double) -> (lambda: Double, r: Double, pi: Double, e: TwoStateExponential) {
    let (lambda, fittedMu) = rates(ofGridPoint: g)
    let mu = fittedMu * (1 + dormancyChange)
    let r = mu + wakeRate
    return (lambda, r, wakeRate / r, TwoStateExponential(lambda: lambda, mu: mu, omega: wakeRate))
  }

  /// P(no purchase in an interval) = qD + (qA - qD) P(active at its start), with
  /// P(active at from) = pi + (v - pi) e^(-r from): its part without `v` and its factor of `v`.
  private static func quietCoefficients(
    _ e: TwoStateExponential, r: Double, pi: Double, _ interval: (from: Double, to: Double)
  ) -> (p: Double, pv: Double) {
    let q = e.quiet(interval.to - interval.from), atStart = Foundation.exp(-r * interval.from)
    return (q.fromDormant + (q.fromActive - q.fromDormant) * pi * (1 - atStart), (q.fromActive - q.fromDormant) * atStart)
  }
}

/// How a customer's process (buying, falling dormant, waking) slows with tenure `t`, in days from
/// its first purchase: every rate is multiplied by `g(t)`.
public enum AgeingCurve: Sendable, Equatable {
  /// `g = 1`.
  case none
  /// `g(t) = (1 + t / 365)^-k`: a slowdown that goes on.
  case power(Double)
  /// `g(t) = floor + (1 - floor) e^(-t / days)`: a slowdown that levels off at `floor`.
  case levelling(floor: Double, days: Double)
}

/// Operational time: calendar days weighted by the seasonal index of their period, so that a base
/// that buys more in December is a steady process on this clock, and, with ageing, slowed by each
/// customer's tenure. Without an index and without ageing it is the calendar. Likelihoods read it
/// in ticks of a quarter day, so equal spans share their terms.
///
/// Ageing multiplies every rate of a customer's process by `g(t)` (`AgeingCurve`), `t` days
/// since its first purchase. The process stays the same two-state chain on the customer's own
/// clock `u(d) = integral of s(x) g(x - first) dx`; the seasonal rate `s` is constant within a
/// period, so the integral is exact, segment by segment, with `G(t) = integral_0^t g`:
/// `365 ((1 + t/365)^(1-k) - 1) / (1 - k)` for `(1 + t/365)^-k` (`365 log(1 + t/365)` when
/// `k = 1`), `floor t + (1 - floor) days (1 - e^(-t/days))` for the levelling curve.
public struct ActivityClock: Sendable {
  static let ticksPerDay = 4.0
  let first: Int32
  /// Operational days from `first` to the start of each day `first + i`.
  let cumulative: [Double]?
  /// The days on which the seasonal rate changes (the first is `first`), and the rate from each.
  let segmentStarts: [Int32]
  let segmentRates: [Double]
  /// How a customer's process slows with tenure.
  let ageing: AgeingCurve

  /// The clocks with these seasons (none when nil) that a fit builds for each ageing curve it
  /// compares, from a first day through a last.
  static func maker(index: [Double]?, period: PeriodKind?) -> (Int32, Int32, AgeingCurve) -> ActivityClock {
    { first, last, ageing in ActivityClock(index: index, period: period, ageing: ageing, from: first, through: last) }
  }

  init(index: [Double]?, period: PeriodKind?, ageing: AgeingCurve = .none, from first: Int32, through last: Int32) {
    self.first = first
    self.ageing = ageing
    guard let index, let period else {
      cumulative = nil
      segmentStarts = [first]
      segmentRates = [1]
      return
    }
    var c = [0.0]
    c.reserveCapacity(Int(max(0, last - first)) + 2)
    var starts: [Int32] = [], rates: [Double] = []
    var day = first
    while day <= last {
      let rate = index[period.seasonIndex(of: period.index(of: CalendarDay(dayNumber: day)))]
      if rates.last != rate {
        starts.append(day)
        rates.append(rate)
      }
      c.append(c.last! + rate)
      day += 1
    }
    // Beyond the clock's range, calendar days.
    starts.append(day)
    rates.append(1)
    cumulative = c
    segmentStarts = starts
    segmentRates = rates
  }

  /// Operational days from the start of day `a` to the start of day `b` (`a <= b`, both within
  /// the clock's range, or calendar days beyond it), before ageing.
  public func days(from a: Int32, to b: Int32) -> Double {
    guard let cumulative else { return Double(b - a) }
    func at(_ d: Int32) -> Double {
      let i = Int(d - first)
      if i < 0 { return Double(i) }
      if i >= cumulative.count { return cumulative.last! + Double(i - cumulative.count + 1) }
      return cumulative[i]
    }
    return at(b) - at(a)
  }

  /// Operational days from the start of day `a` to the start of day `b` (`a <= b`) on the clock
  /// of a customer whose first purchase was on day `since` (`since <= a`).
  public func days(from a: Int32, to b: Int32, since: Int32) -> Double {
    guard ageing != .none else { return days(from: a, to: b) }
    guard a < b else { return 0 }
    var total = 0.0
    var x = a
    // The segment holding x: the last start at or before it (days before `first` run at rate 1).
    var s = lastSegment(startingAtOrBefore: x)
    while x < b {
      let end = s + 1 < segmentStarts.count ? min(b, segmentStarts[s + 1]) : b
      let rate = s >= 0 ? segmentRates[s] : 1
      total += rate * (agedDays(Double(end - since)) - agedDays(Double(x - since)))
      x = end
      s += 1
    }
    return total
  }

  /// The index of the last segment starting on or before `day` (-1 before the first), by
  /// bisection: a lifetime value's clock holds a century of segments.
  func lastSegment(startingAtOrBefore day: Int32) -> Int {
    var low = 0, high = segmentStarts.count  // the answer + 1 lies in low...high
    while low < high {
      let middle = (low + high) / 2
      if segmentStarts[middle] <= day { low = middle + 1 } else { high = middle }
    }
    return low - 1
  }

  /// `G(t)`: the operational days of the first `t` days after a first purchase, without seasons
  /// (the integral of `g` below).
  func agedDays(_ t: Double) -> Double {
    let t = max(0, t)
    switch ageing {
    case .none: return t
    case .power(let k):
      let years = t / 365
      if abs(k - 1) < 1e-12 { return 365 * Foundation.log1p(years) }
      return 365 * (Foundation.exp((1 - k) * Foundation.log1p(years)) - 1) / (1 - k)
    case .levelling(let floor, let days):
      return floor * t + (1 - floor) * days * -Foundation.expm1(-t / days)
    }
  }

  /// `log g(t)`: how much slower than at its first purchase a customer's process runs `t` days on.
  func logAgeingFactor(_ t: Double) -> Double {
    let t = max(0, t)
    switch ageing {
    case .none: return 0
    case .power(let k): return -k * Foundation.log1p(t / 365)
    case .levelling(let floor, let days): return Foundation.log(floor + (1 - floor) * Foundation.exp(-t / days))
    }
  }

  func ticks(from a: Int32, to b: Int32, since: Int32) -> Int32 {
    Int32((days(from: a, to: b, since: since) * ActivityClock.ticksPerDay).rounded())
  }
}

extension ActivityModel {
  /// The weighted quantiles of one rate of the grid, `mass(k)` the mixing distribution's weight on
  /// its `k`th value. Each value's weight is spread evenly, in logs, over its cell, from halfway to
  /// the value below to halfway to the value above, so that a quantile moves with the fit: read off
  /// the grid values, the dormancy grid's 2.8-fold steps made every model looked at say "about 215
  /// days" and "10% under 28 days" (CDNOW at seven calibration ends, its 2,357-customer sample,
  /// generated closed cohorts).
  static func quantiles(of grid: [Double], mass: (Int) -> Double) -> (Double) -> Double {
    let order = grid.indices.sorted { grid[$0] < grid[$1] }
    let masses = order.map(mass), total = masses.reduce(0, +)
    let logs = order.map { Foundation.log(grid[$0]) }
    // Cell k spans edges[k] ..< edges[k + 1]; the outer cells are as wide as their neighbours'.
    var edges = [Double](repeating: 0, count: grid.count + 1)
    for k in 1..<max(1, grid.count) { edges[k] = (logs[k - 1] + logs[k]) / 2 }
    if grid.count > 1 {
      edges[0] = logs[0] - (edges[1] - logs[0])
      edges[grid.count] = logs[grid.count - 1] + (logs[grid.count - 1] - edges[grid.count - 1])
    }
    return { q in
      guard grid.count > 1, total > 0 else { return grid.first ?? 0 }  // one value, or no weight to spread
      var below = 0.0
      for (k, m) in masses.enumerated() where m > 0 {
        if below + m >= q * total { return Foundation.exp(edges[k] + (q * total - below) / m * (edges[k + 1] - edges[k])) }
        below += m
      }
      return Foundation.exp(edges[grid.count])
    }
  }

  /// What each part of the model means, in plain words, for `journey show` and reports.
  public func plainWords() -> [String] {
    func days(_ rate: Double) -> String { rate > 0 ? Format.number(1 / rate, decimals: 0) : "never" }
    // The two margins of the grid: point g is purchase rate g / (dormancy rates), dormancy rate g % (them).
    let n = dormancyRates.count
    let lambda = Self.quantiles(of: purchaseRates, mass: { i in self.weights[i * n..<(i + 1) * n].reduce(0, +) })
    let mu = Self.quantiles(of: dormancyRates, mass: { j in stride(from: j, to: self.gridCount, by: n).reduce(0) { $0 + self.weights[$1] } })
    var lines = [
      "Each customer's own future (activity model, fitted on \(Format.number(Double(fittedCustomers))) customers with a purchase):",
      "  buying: while active, the median customer buys about every \(days(lambda(0.5))) days; the most frequent 10% every \(days(lambda(0.9))) days or more often, the least frequent 10% every \(days(lambda(0.1))) days or less",
      "  going quiet: the median customer stays active about \(days(mu(0.5))) days before a dormant spell (10% of customers under \(days(mu(0.9))) days)",
      wakeRate > 0
        ? "  coming back: a dormant customer becomes active again after about \(days(wakeRate)) days on average, so quiet customers are not written off"
        : "  coming back: none estimated; dormancy is permanent here (the Pareto/NBD)",
    ]
    func percent(_ share: Double) -> String { Format.number(share * 100, decimals: 0) + "%" }
    switch ageingCurve {
    case .none: break
    case .power(let k):
      let afterOneYear = Foundation.pow(2, -k), afterThree = Foundation.pow(4, -k)
      lines.append("  ageing: customers slow down as they age: a year after its first purchase a customer buys, goes quiet and comes back at \(percent(afterOneYear)) of the pace of its first weeks, three years after at \(percent(afterThree)) (exponent \(Format.number(k, decimals: 2)))")
    case .levelling(let floor, let days):
      func after(_ t: Double) -> Double { floor + (1 - floor) * Foundation.exp(-t / days) }
      lines.append("  ageing: customers slow down after their first purchase and level off: 90 days on a customer buys, goes quiet and comes back at \(percent(after(90))) of the pace of its first weeks, a year on at \(percent(after(365))), and never under \(percent(floor)) (time constant \(Format.number(days, decimals: 0)) days)")
    }
    if let link = spendLink {
      let twice = Foundation.pow(2, link.slope) - 1
      lines.append(abs(twice) < 0.01
        ? "  spend: what a customer spends per purchase tells nothing of how often it buys: customers who buy twice as often spend the same per purchase, within 1%"
        : "  spend: customers who buy twice as often spend \(percent(abs(twice))) \(twice > 0 ? "more" : "less") per purchase, so a customer's spend is read as evidence of how often it buys, beside its purchase days")
    }
    if let timing = purchaseTiming, timing.isRegular {
      lines.append("  timing: \(timing.plainWords) \(PurchaseTiming.consequenceForRandomTiming) (a grocer's cohort, order 1.8, fitted on 13 to 18 months: 11-17% over)")
    }
    if let days = shortHistoryDays {
      let history = Format.number(Double(days))
      let high = "forecasts from here run high (generated cohorts that slow as they age, seen for one year: 3-19% over)"
      if ageingFloor != nil {
        lines.append("  ageing that goes on: not read: \(history) days of history, where telling a slowdown that goes on from one that levels off takes two years; if it goes on, \(high)")
      } else if levellingLookedFor == true {
        lines.append("  ageing: none found in \(history) days of this closed cohort; a slowdown that goes on past them takes two years to read, and if there is one, \(high)")
      } else {
        lines.append("  ageing: not read: \(history) days of history, where telling customers who slow down as they age from the rest takes two years; if they do, forecasts from here run high (a generated base seen for one year: 3-9% over)")
      }
    }
    if seasonalIndex == nil, let days = shortHistoryDays, days < 365 {
      lines.append("  seasons: not read: \(Format.number(Double(days))) days of history, under the year that shows each season once, so the forecast has no peaks or lulls of its own (CDNOW fitted to 1997-11-30: its January 17% over, after a holiday peak it had not seen)")
    }
    if let index = seasonalIndex, let period = seasonalPeriod, let high = index.max(), let low = index.min(), low > 0 {
      lines.append("  seasons: purchases per \(period.rawValue) range from \(Format.number(low, decimals: 2))x to \(Format.number(high, decimals: 2))x of the year's average; the clock of the model runs faster in busy \(period.rawValue)s"
        + (shortHistoryDays == nil ? "" : "; read from a single year, so a change that ran through it, such as customers slowing as they age, can pass for a season"))
    }
    return lines
  }
}

extension ActivityModel {
  /// The seasonal index corrected by the ratio of the repeat purchases `customers` made in each
  /// period (the last one as far as `h.through`, `seenPeriods`) to what the model expects of them
  /// over the same days, knowing only their first purchase days:
  /// the log ratios, less a trend over the window (or along tenure, for one year of a base that
  /// began with the data), averaged per season; the index is then scaled to average 1 again.
  ///
  /// A customer active from its first purchase on day `f` makes, at a grid point, on average
  /// `lambda [pi L + (1 - pi)(e^-ra - e^-rb) / r]` purchases between `a` and `b` operational days
  /// later (`L = b - a`, `r = mu + omega`, `pi = omega / r`).
  ///
  /// `closed`: the base is a closed cohort (`ClosedCohort`, counted on every buyer by the fit, not
  /// on `customers` alone, so the fit and this reading agree on what the base is).
  func seasonalIndexAgainstExpectation(_ h: PurchaseHistories, customers: [Int], period: PeriodKind, closedCohort closed: Bool) -> [Double]? {
    guard let index = seasonalIndex else { return nil }
    let firstDay = h.firstDay
    let span = h.seenPeriods(of: period), first = span.lowerBound
    let clock = self.clock(from: firstDay, through: h.through.dayNumber + 1)
    var actual = [Double](repeating: 0, count: span.count)
    var cohorts: [Int32: Double] = [:]
    // The same purchases per cohort (the period of the first purchase, counted from the first
    // period with one), and the cohorts' sizes: a closed cohort is read apart from a base still
    // acquiring customers, and a base's tenure apart from its seasons.
    let firstCohort = period.index(of: CalendarDay(dayNumber: firstDay))
    var cells = TenureCells(periods: span.count, cohorts: max(1, span.upperBound - firstCohort + 1))
    for c in customers {
      let days = h.purchaseDays[c]
      guard let f = days.first else { continue }
      cohorts[f, default: 0] += 1
      let k = period.index(of: CalendarDay(dayNumber: f)) - firstCohort
      if k < cells.entrants.count { cells.entrants[k] += 1 }
      for d in days.dropFirst() {
        let t = period.index(of: CalendarDay(dayNumber: d)) - first
        if t < actual.count {
          actual[t] += 1
          if k < cells.entrants.count { cells.actual[t][k] += 1 }
        }
      }
    }
    let points = (0..<gridCount).filter { weights[$0] > 0 }.map { g in
      let (lambda, mu) = rates(ofGridPoint: g)
      let r = mu + wakeRate
      return (weight: weights[g], lambda: lambda, r: r, pi: r > 0 ? wakeRate / r : 1)
    }
    // Per first-purchase day, its expected repeat purchases per period: the days on every core,
    // added up in day order (a dictionary's order changes from run to run, and so would the sums'
    // last digits).
    let days = cohorts.sorted(by: { $0.key < $1.key })
    let periods = actual.count
    let perDay = Partials<[Double]>(count: days.count)
    DispatchQueue.concurrentPerform(iterations: days.count) { k in
      let f = days[k].key
      var row = [Double](repeating: 0, count: periods)
      for t in 0..<periods {
        let end = min(period.end(of: first + t).dayNumber, h.through.dayNumber) + 1
        guard end > f + 1 else { continue }
        let start = max(period.start(of: first + t).dayNumber, f + 1)
        let a = clock.days(from: f, to: start, since: f), b = clock.days(from: f, to: end, since: f)
        var sum = 0.0
        for p in points {
          let decay = p.r > 0 ? (Foundation.exp(-p.r * a) - Foundation.exp(-p.r * b)) / p.r : b - a
          sum += p.weight * p.lambda * (p.pi * (b - a) + (1 - p.pi) * decay)
        }
        row[t] = sum
      }
      perDay.store(row, at: k)
    }
    var expected = [Double](repeating: 0, count: periods)
    for (k, row) in perDay.all().enumerated() {
      // A period that ends before the day after a first purchase adds 0, as it added nothing before.
      let cohort = period.index(of: CalendarDay(dayNumber: days[k].key)) - firstCohort
      for t in 0..<periods {
        expected[t] += days[k].value * row[t]
        if cohort < cells.entrants.count { cells.expected[t][cohort] += days[k].value * row[t] }
      }
    }
    // log(actual / expected) = season + slope t + noise: a misfit that grows or shrinks over the
    // window (ageing the model does not carry, a business in decline) is a slope, not a season.
    // Seasons whose periods sit late in the window would take it in otherwise. Least squares
    // weighted by the expected purchases, the slope pooled within the seasons.
    var byseason = [[(t: Double, y: Double, w: Double)]](repeating: [], count: index.count)
    for t in actual.indices where expected[t] > 0 && actual[t] > 0 {
      byseason[period.seasonIndex(of: first + t)].append((Double(t), Foundation.log(actual[t] / expected[t]), expected[t]))
    }
    guard byseason.allSatisfy({ !$0.isEmpty }) else { return index }
    let centres = byseason.map { points -> (t: Double, y: Double) in
      let w = points.reduce(0) { $0 + $1.w }
      return (points.reduce(0) { $0 + $1.w * $1.t } / w, points.reduce(0) { $0 + $1.w * $1.y } / w)
    }
    /// The slope pooled within the seasons seen twice or more: the same season a year apart.
    func slopeWithinSeasons() -> Double {
      var sty = 0.0, stt = 0.0
      for (s, points) in byseason.enumerated() where points.count >= 2 {
        for p in points {
          sty += p.w * (p.t - centres[s].t) * (p.y - centres[s].y)
          stt += p.w * (p.t - centres[s].t) * (p.t - centres[s].t)
        }
      }
      return stt > 0 ? sty / stt : 0
    }
    var corrected: [Double]
    if byseason.allSatisfy({ $0.count >= 2 }) {
      let slope = slopeWithinSeasons()
      corrected = index.indices.map { index[$0] * Foundation.exp(centres[$0].y - slope * centres[$0].t) }
    } else if byseason.filter({ $0.count >= 2 }).count <= 1, !closed, cells.startsWithTheBase(),
              let alongTenure = cells.seasons(of: (0..<periods).map { period.seasonIndex(of: first + $0) }, count: index.count,
                                              tenure: { t, k in Double(first + t - firstCohort - k) }) {
      // One year of a base that began with the window and kept acquiring customers: every
      // customer's first purchase is in the data, so its tenure is known, and customers of every
      // tenure buy in each period. A misfit that grows with tenure (an ageing the model does not
      // carry) is read along tenure, and what is left per period is its season. Read across the
      // periods instead, the slope took the season's rise away: generated bases fitted on their
      // first year were 19-22% over (Benchmarks/README.md, session 24).
      // So it is with one season seen twice (13 months): that one pair, the same month a year
      // apart, would decide the slope alone, and its first half is the base's first month, its
      // first entrants in their first weeks. CDNOW's customers, each moved by a random 0-364
      // days into a base acquiring all year, came out from -7.9% to +24.3% over five such moves
      // (along tenure: +0.8% to +8.0%; Benchmarks/README.md, session 27).
      corrected = index.indices.map { index[$0] * alongTenure[$0] }
    } else {
      // Some season seen once: the slope cannot be told from the seasons within each, so it is
      // read across the periods (how: below), and each season's residual is shrunk by the share
      // of it that Poisson noise (variance 1 / purchases on the log scale) would explain. So it
      // is for one year of a closed cohort (CDNOW: tenure and time move together) and of a
      // window cut out of an older base, whose customers' first purchases in the data are not
      // their first (tenure unknown; read along it, such an export went from -3% to +62%).
      let all = byseason.flatMap { $0 }
      let w = all.reduce(0) { $0 + $1.w }
      let tBar = all.reduce(0) { $0 + $1.w * $1.t } / w, yBar = all.reduce(0) { $0 + $1.w * $1.y } / w
      let stt = all.reduce(0) { $0 + $1.w * ($1.t - tBar) * ($1.t - tBar) }
      var slope = stt > 0 ? all.reduce(0) { $0 + $1.w * ($1.t - tBar) * ($1.y - yBar) } / stt : 0
      let pairs = byseason.filter { $0.count >= 2 }.count
      if pairs > 0, 2 * pairs < byseason.count, !closed {
        // A base still acquiring customers, with fewer than half its seasons seen twice (and two
        // or more, when it began with the window; above): the slope is read within those, the
        // same month a year apart, as it is with two years.
        // Across all periods the later ones weigh most; in a base filling up they are the rising
        // half of a December peak, which the slope took away: fitted on 14 months, generated
        // bases were 15-21% over, and a 14-month export of an older base 14-15%
        // (Benchmarks/README.md, session 24). From half the seasons on, the periods across the
        // window balance the season's halves, and the pairs, all from the base's first months,
        // read it 1-2 points high (generated bases fitted on 18 months). A closed cohort does not
        // read it so: a year apart, its first months compare customers just acquired with the
        // same customers a year on (on CDNOW, 4 points worse).
        slope = slopeWithinSeasons()
      } else if pairs == 0 || closed, let firstYear = Self.slopeBesideAYearlyWave(Self.firstYear(of: byseason), centre: tBar) {
        // With exactly one year, and in a closed cohort up to two, on the window's first year
        // (each season once; with exactly one year, all of it), beside a smooth yearly wave. A
        // straight line alone over one cycle takes part of the season with it (a December peak
        // read from January to December leans upward wherever the cohort's purchases weigh the
        // later months more): a closed cohort with no ageing at all, fitted on its first year,
        // came out 11-12% over. Fitted beside a wave,
        // the slope is what the wave cannot carry: a line is not periodic, and one year shows
        // where December meets January again (a trend and Fourier terms fitted together, as
        // Prophet does). The later periods stay out of this fit: each would pair with a season
        // of the first year and decide the slope, comparing, in a closed cohort, customers just
        // acquired with the same customers a year on (all periods: CDNOW from 13 and 14 months
        // 4-6 points worse; the latest year instead of the first: CDNOW from 1998-01-31 -9.5%).
        // So the slope read on one year stays as the window grows toward two (closed cohorts
        // fitted on 13 and 14 months: +11% to +16% before, +3% to +10%; Benchmarks/README.md,
        // session 25). A base still acquiring, from half its seasons seen twice (18 to 23
        // months), keeps the slope across all periods, which balance the season's halves there:
        // read on its first year, a rollout evaluation's 18-month fit of its own error put it at
        // -11% and stopped flagging a planted +30% (EvaluationTests).
        slope = firstYear
      }
      let residuals = centres.map { $0.y - yBar - slope * ($0.t - tBar) }
      let noise = byseason.map { points in 1 / max(1, points.reduce(0) { $0 + $1.w }) }
      let spread = residuals.reduce(0) { $0 + $1 * $1 } / Double(residuals.count)
      let signal = max(0, spread - noise.reduce(0, +) / Double(noise.count))
      corrected = index.indices.map { index[$0] * Foundation.exp(residuals[$0] * signal / (signal + noise[$0])) }
    }
    let mean = corrected.reduce(0, +) / Double(corrected.count)
    return corrected.map { $0 / mean }
  }

  /// Each season's point in the window's first year (`t` counts periods from its start), or none
  /// for a season whose first-year period had no repeat purchase (a thin base): its first point
  /// would then come from the second year, which the first year's slope must not see.
  static func firstYear(of byseason: [[(t: Double, y: Double, w: Double)]]) -> [[(t: Double, y: Double, w: Double)]] {
    byseason.map { points in points.filter { $0.t < Double(byseason.count) } }
  }

  /// The slope of log(actual / expected) over the periods, fitted together with a level and one
  /// yearly wave (a cosine and a sine of the season's place in the year), weighted by the expected
  /// purchases. nil with fewer than 8 seasons (quarters: four values cannot hold a wave and a
  /// line beside the noise) or when the fit is singular.
  static func slopeBesideAYearlyWave(_ byseason: [[(t: Double, y: Double, w: Double)]], centre: Double) -> Double? {
    guard byseason.count >= 8 else { return nil }
    // Normal equations of the weighted least squares on the columns 1, t - centre, cos, sin.
    var normal = Matrix(rowCount: 4, columnCount: 4), moments = [Double](repeating: 0, count: 4)
    for (season, points) in byseason.enumerated() {
      let angle = 2 * Double.pi * Double(season) / Double(byseason.count)
      for p in points {
        let x = [1, p.t - centre, Foundation.cos(angle), Foundation.sin(angle)]
        for i in 0..<4 {
          moments[i] += p.w * x[i] * p.y
          for j in 0..<4 { normal[i, j] += p.w * x[i] * x[j] }
        }
      }
    }
    guard let slope = try? normal.solve(vector: moments)[1], slope.isFinite else { return nil }
    return slope
  }

  /// Repeat purchases per period and cohort (the period of the first purchase), actual and as the
  /// model expects them, and the cohorts' sizes: a base's seasons read apart from its tenure.
  struct TenureCells {
    /// Per period, per cohort.
    var actual: [[Double]], expected: [[Double]]
    /// Per cohort: customers whose first purchase fell in its period.
    var entrants: [Double]

    init(periods: Int, cohorts: Int) {
      actual = Array(repeating: Array(repeating: 0, count: cohorts), count: periods)
      expected = actual
      entrants = Array(repeating: 0, count: cohorts)
    }

    /// Whether a base still acquiring customers (not a closed cohort: the caller asks that) began
    /// with the data: its first period's first purchases no crowd, at most twice the later
    /// periods' mean. A window cut out
    /// of an older base opens with every customer who buys in its first period (5-7 times the
    /// flow after, in generated exports), and its first purchases are not its customers' first.
    func startsWithTheBase() -> Bool {
      guard entrants.count >= 3 else { return false }
      let later = entrants.dropFirst()
      return entrants[0] <= 2 * later.reduce(0, +) / Double(later.count)
    }

    /// Each season's factor on the index: the Poisson model `actual ~ expected e^(s_season + beta
    /// tenure)` fitted by maximum likelihood, each season's level `s` profiled out in closed form and
    /// `beta` found by bisection on the profile's derivative (which falls as beta rises); the levels
    /// are then shrunk, as across periods, by the share of them Poisson noise would explain.
    /// Nil when a season has no repeat purchase.
    func seasons(of seasonOfPeriod: [Int], count: Int, tenure: (Int, Int) -> Double) -> [Double]? {
      /// Per season: purchases, and the expected ones and their tenure-weighted sum at `beta`.
      func sums(_ beta: Double) -> (actual: [Double], expected: [Double], tenureWeighted: [Double], actualTenure: Double) {
        var a = [Double](repeating: 0, count: count), e = a, et = a, at = 0.0
        for t in actual.indices {
          for k in actual[t].indices where expected[t][k] > 0 {
            let tau = tenure(t, k), w = expected[t][k] * Foundation.exp(beta * tau)
            a[seasonOfPeriod[t]] += actual[t][k]
            e[seasonOfPeriod[t]] += w
            et[seasonOfPeriod[t]] += w * tau
            at += actual[t][k] * tau
          }
        }
        return (a, e, et, at)
      }
      // A slope of 1 a period is e-fold per period: far beyond any base, and exp stays finite.
      var low = -1.0, high = 1.0
      for _ in 0..<60 {
        let mid = (low + high) / 2, s = sums(mid)
        let derivative = s.actualTenure - (0..<count).reduce(0) { $0 + (s.expected[$1] > 0 ? s.actual[$1] * s.tenureWeighted[$1] / s.expected[$1] : 0) }
        if derivative > 0 { low = mid } else { high = mid }
      }
      let s = sums((low + high) / 2)
      guard s.actual.allSatisfy({ $0 > 0 }), s.expected.allSatisfy({ $0 > 0 }) else { return nil }
      let levels = (0..<count).map { Foundation.log(s.actual[$0] / s.expected[$0]) }
      let total = s.actual.reduce(0, +)
      let centre = (0..<count).reduce(0) { $0 + s.actual[$1] * levels[$1] } / total
      let residuals = levels.map { $0 - centre }
      let noise = s.expected.map { 1 / max(1, $0) }
      let spread = residuals.reduce(0) { $0 + $1 * $1 } / Double(count)
      let signal = max(0, spread - noise.reduce(0, +) / Double(count))
      return (0..<count).map { Foundation.exp(residuals[$0] * signal / (signal + noise[$0])) }
    }
  }
}

import Dispatch
import Foundation

/// The customers with a purchase at the end of the history, summed over the activity model's grid,
/// so that a forecast from a model file reads their own futures without their histories.
///
/// Every expectation of the outlook is a customer's posterior row `[p, p v]` (`p` over the grid,
/// `v` the chance of being active at the end) times a grid-by-interval table (`outlookTables`),
/// and revenue is that times the customer's spend per purchase. Sums of those rows over the base
/// give the base's expected purchases, revenue and buying customers in any later interval, exactly
/// as the sum of `score`'s per-customer values. Customers share a table when they share a clock:
/// all of them without ageing; with it, those whose first purchases fall close together (up to
/// `maximumGroups` groups, each on the clock of its mean first day).
public struct ActivityBase: Codable, Sendable, Equatable {
  /// Customers whose first purchases are close enough to share one clock.
  public struct Group: Codable, Sendable, Equatable {
    /// The first purchase day the group's clock starts from (its members' mean; 0 without ageing).
    public var firstDay: Int32
    /// Sum over the members of `[p, p v]`, over `ActivityBase.points` (twice their count).
    public var posterior: [Double]
    /// The same sum, each member's row times its spend per purchase.
    public var spending: [Double]
    /// With a churn rule (`ActivityBase.churnAfter` = q): the same sum over the members whose last
    /// purchase fell `k` periods before the end, for k = 0...q, one after another. A member's
    /// first churn event after the end follows its last purchase, so it falls in a period these
    /// tell; the members further back (churned by then) are `posterior` less these. Nil: none.
    public var recent: [Double]? = nil
  }

  /// The grid points with weight, in the order of the groups' sums.
  public var points: [Int]
  /// The clock's first day (the earliest purchase in the history).
  public var clockStart: Int32
  public var groups: [Group]
  /// Customers with a purchase the sums stand for.
  public var customers: Int
  /// Of those, the customers summed: all up to `ActivityBase.sampleLimit`, else an even stride of
  /// them, each counting `customers / sampled`.
  public var sampled: Int
  /// The activity model's own relative error per period, measured out of sample when `fit` ran
  /// (`ActivityModel.outOfSampleError` on at most `errorSampleLimit` customers, over up to a
  /// year of periods): a forecast's ranges add it, as the backtest's do. Nil: not measured.
  public var error: OutOfSampleError? = nil
  /// The lifecycle churn rule's quiet periods (`ChurnRule`) the groups' `recent` sums are split
  /// for, in periods of the model; nil: no churn rule (a custom state space, or a model written
  /// before churn was read from the customers' histories).
  public var churnAfter: Int? = nil

  /// The customers the out-of-sample error is measured on, at most: relative errors need no more,
  /// and a second fit of millions would cost as much as the first.
  public static let errorSampleLimit = 20_000

  /// At most this many customers are summed: the sums of a larger base are a fixed-stride sample
  /// of it, scaled up (on 50,000 customers a total's sampling error is under 1%).
  public static let sampleLimit = 50_000
  /// With ageing, at most this many clocks: first purchase days are grouped into as many spans.
  public static let maximumGroups = 64
}

extension ActivityModel {
  /// The base's sums (`ActivityBase`) of the customers in `h` with a purchase; with `churn`, also
  /// split by the period of their last purchase, for churn events by that rule.
  func base(
    _ h: PurchaseHistories, churn: (period: PeriodKind, quietPeriods: Int)? = nil, sampleLimit: Int = ActivityBase.sampleLimit
  ) -> ActivityBase {
    let bought = (0..<h.customerCount).filter { !h.purchaseDays[$0].isEmpty }
    let stride = max(1, Double(bought.count) / Double(max(1, sampleLimit)))
    let sample = bought.count <= sampleLimit ? bought : (0..<sampleLimit).map { bought[Int(Double($0) * stride)] }
    let aged = ageingCurve != .none
    let clock = self.clock(from: h.firstDay, through: h.through.dayNumber + 1)
    let posteriorsOf = ActivityPosteriors(self, h, customers: sample, clock: clock)
    let support = posteriorsOf.support
    let grid = support.count
    // With ageing, first purchase days are grouped into spans of equal length.
    let firstDays = sample.map { h.purchaseDays[$0].first! }
    let earliest = firstDays.min() ?? 0, latest = firstDays.max() ?? 0
    let span = aged ? max(1, (Int(latest - earliest) + ActivityBase.maximumGroups) / ActivityBase.maximumGroups) : Int.max
    let groupCount = aged ? Int(latest - earliest) / span + 1 : 1
    @Sendable func group(_ first: Int32) -> Int { aged ? Int(first - earliest) / span : 0 }

    // Per group, flat: [p | p v] then the same times spend, 4 x grid values per group; and
    // [p | p v] per period back from the end, 2 x grid x `back` values per group.
    let back = churn.map { $0.quietPeriods + 1 } ?? 0
    let origin = churn.map { $0.period.index(of: h.through) } ?? 0
    struct Sums {
      var values: [Double], recent: [Double], firstDays: [Double], members: [Int]
      init(groups: Int, grid: Int, back: Int) {
        values = Array(repeating: 0, count: groups * 4 * grid)
        recent = Array(repeating: 0, count: groups * 2 * grid * back)
        firstDays = Array(repeating: 0, count: groups)
        members = Array(repeating: 0, count: groups)
      }
    }
    let block = 4_096
    let blocks = (sample.count + block - 1) / block
    let partials = Partials<Sums>(count: blocks)
    DispatchQueue.concurrentPerform(iterations: blocks) { b in
      var sums = Sums(groups: groupCount, grid: grid, back: back)
      var row = [Double](repeating: 0, count: grid)
      var gaps: [Int32] = []
      // Points 40 log units below the top weigh under 1e-17 of it: they count as nothing.
      let negligible = Foundation.exp(-40.0)
      for c in sample[(b * block)..<min(sample.count, (b + 1) * block)] {
        let days = h.purchaseDays[c], since = days.first!
        let (total, quiet) = posteriorsOf.read(h, customer: c, gaps: &gaps, into: &row)
        var spend = spendMean
        if let pseudo = spendPseudoCount {
          let spent = h.spending(of: c)
          if spent.occasions > 0 {
            spend = SpendShrinkage.shrunk(spend: spent.revenue, occasions: spent.occasions, mean: spendMean, pseudoCount: pseudo)
          }
        }
        let active = posteriorsOf.tables.activeAtEnd(quiet)
        let k = group(since)
        sums.members[k] += 1
        sums.firstDays[k] += Double(since)
        let offset = k * 4 * grid
        // Periods from its last purchase to the end, for its churn events' sums.
        let ago = churn.map { origin - $0.period.index(of: CalendarDay(dayNumber: days.last!)) } ?? -1
        let recentOffset = (ago >= 0 && ago < back) ? (k * back + ago) * 2 * grid : nil
        for (g, activeShare) in zip(0..<grid, active) where row[g] >= negligible {
          let p = row[g] / total, pv = p * activeShare
          sums.values[offset + g] += p
          sums.values[offset + grid + g] += pv
          sums.values[offset + 2 * grid + g] += p * spend
          sums.values[offset + 3 * grid + g] += pv * spend
          if let r = recentOffset {
            sums.recent[r + g] += p
            sums.recent[r + grid + g] += pv
          }
        }
      }
      partials.store(sums, at: b)
    }
    var all = Sums(groups: groupCount, grid: grid, back: back)
    for part in partials.all() {
      for k in 0..<groupCount {
        all.members[k] += part.members[k]
        all.firstDays[k] += part.firstDays[k]
      }
      for i in all.values.indices { all.values[i] += part.values[i] }
      for i in all.recent.indices { all.recent[i] += part.recent[i] }
    }
    let groups = (0..<groupCount).filter { all.members[$0] > 0 }.map { k in
      let offset = k * 4 * grid, recent = k * 2 * grid * back
      return ActivityBase.Group(
        firstDay: aged ? Int32((all.firstDays[k] / Double(all.members[k])).rounded()) : 0,
        posterior: Array(all.values[offset..<(offset + 2 * grid)]), spending: Array(all.values[(offset + 2 * grid)..<(offset + 4 * grid)]),
        recent: churn == nil ? nil : Array(all.recent[recent..<(recent + 2 * grid * back)]))
    }
    return ActivityBase(
      points: support, clockStart: h.firstDay, groups: groups, customers: bought.count, sampled: sample.count, churnAfter: churn?.quietPeriods)
  }

  /// The base's expected purchases, revenue and buying customers in each interval of days after
  /// the history (`[from, to)`, as `outlook(_:days:)` takes them), from its sums.
  public func outlook(of base: ActivityBase, days: [(from: Int32, to: Int32)]) -> (purchases: [Double], revenue: [Double], buying: [Double]) {
    let k = days.count
    var purchases = [Double](repeating: 0, count: k), revenue = purchases, buying = purchases
    guard k > 0, base.sampled > 0 else { return (purchases, revenue, buying) }
    let next = through.dayNumber + 1
    let clock = self.clock(from: base.clockStart, through: days.reduce(next) { max($0, $1.to) })
    let grid = base.points.count
    for group in base.groups {
      func offset(_ day: Int32) -> Double { clock.days(from: next, to: day, since: group.firstDay) }
      let table = outlookTables(days.map { (offset($0.from), offset($0.to)) }, dormancyChange: 0, points: base.points)
      for i in 0..<k {
        for j in 0..<(2 * grid) {
          purchases[i] += group.posterior[j] * table[j, i]
          revenue[i] += group.spending[j] * table[j, i]
          buying[i] += group.posterior[j] * table[j, k + i]
        }
      }
    }
    let scale = Double(base.customers) / Double(base.sampled)
    return (purchases.map { max(0, $0 * scale) }, revenue.map { max(0, $0 * scale) }, buying.map { max(0, $0 * scale) })
  }

  /// The base's churn events per period after the history (`ChurnCount`, by `ChurnRule`'s
  /// lifecycle rule) and its customers churned at the end of each, from its sums: exactly what
  /// `ActivityForecast` counts customer by customer, for a forecast without the histories.
  ///
  /// Each term is a chance of no purchase over a span after the end, linear in a customer's
  /// `[p, p v]` (`quietTables`), so sums of those rows give sums of chances. With q quiet periods
  /// and step t (1-based) after the end:
  /// - a first churn event in step t <= q + 1 falls to the members whose last purchase was
  ///   `q + 1 - t` periods back, if quiet from the end through t;
  /// - a later one, in step t >= q + 2, to anyone who buys in step `t - q - 1` and not after it
  ///   through t: P(none from the end of that step) - P(none from its start);
  /// - churned at the end of step t is no purchase in its last q + 1 periods: for t <= q, the
  ///   members whose last purchase is at least `q + 1 - t` periods back, quiet through t.
  /// The variance takes each period's churners as a binomial draw of their mean chance (at least
  /// the customers' own variance, and close to it).
  /// `atRisk`: per step, the customers who could be churned at its end (all but those whose last
  /// purchase is too recent).
  func churn(of base: ActivityBase, period: PeriodKind, origin: Int, steps: Int) -> (events: ChurnCount, churnedAtEnd: [Double], atRisk: [Double])? {
    guard let q = base.churnAfter, steps > 0, base.sampled > 0, base.groups.allSatisfy({ $0.recent != nil }) else { return nil }
    let grid = base.points.count, back = q + 1
    let next = through.dayNumber + 1
    func start(_ step: Int) -> Int32 { period.start(of: origin + step).dayNumber }
    func end(_ step: Int) -> Int32 { period.end(of: origin + step).dayNumber + 1 }
    // Spans: from the end through each step; for the steps from q + 1 on, from the start of their
    // last q + 1 periods through them, and from one period earlier (read from step q + 2 on: at
    // q + 1 it would start before the end).
    let fromEnd = (1...steps).map { (from: next, to: end($0)) }
    let later = steps > q ? Array((q + 1)...steps) : []
    let window = later.map { (from: start($0 - q), to: end($0)) }
    let wider = later.map { (from: start($0 - q - 1), to: end($0)) }
    let clock = self.clock(from: base.clockStart, through: end(steps))
    var expected = [Double](repeating: 0, count: steps), shift = expected, members = expected, churned = expected, atRisk = expected
    for group in base.groups {
      func offset(_ day: Int32) -> Double { max(0, clock.days(from: next, to: day, since: group.firstDay)) }
      let spans = (fromEnd + window + wider).map { (from: offset($0.from), to: offset($0.to)) }
      let table = quietTables(spans, dormancyChange: 0, points: base.points)
      let recent = group.recent!
      /// Sum over `rows` (`[p, p v]` sums) of the chance of no purchase in span `s`.
      func quiet(_ rows: ArraySlice<Double>, _ s: Int) -> Double {
        var sum = 0.0
        for j in 0..<(2 * grid) { sum += rows[rows.startIndex + j] * table[j, s] }
        return sum
      }
      func bucket(_ k: Int) -> ArraySlice<Double> { recent[(k * 2 * grid)..<((k + 1) * 2 * grid)] }
      func count(_ rows: ArraySlice<Double>) -> Double { rows.prefix(grid).reduce(0, +) }
      let everyone = group.posterior[...]
      for t in 1...steps {
        if t <= back {
          let k = back - t, rows = bucket(k), n = count(rows)
          let e = quiet(rows, t - 1)
          expected[t - 1] += e
          shift[t - 1] += n - e
          members[t - 1] += n
        }
        if t > q {
          let i = t - q - 1
          if t >= q + 2 {
            let p = quiet(everyone, steps + i) - quiet(everyone, steps + later.count + i)
            expected[t - 1] += p
            shift[t - 1] += p
            members[t - 1] += count(everyone)
          }
          churned[t - 1] += quiet(everyone, steps + i)
          atRisk[t - 1] += count(everyone)
        } else {
          // Members whose last purchase is at least q + 1 - t periods back: all but the nearer ones.
          var rows = Array(everyone)
          for k in 0..<(back - t) { for (j, v) in bucket(k).enumerated() { rows[j] -= v } }
          churned[t - 1] += quiet(rows[...], t - 1)
          atRisk[t - 1] += count(rows[...])
        }
      }
    }
    let scale = Double(base.customers) / Double(base.sampled)
    var events = ChurnCount(steps: steps)
    for t in 0..<steps {
      let e = max(0, expected[t]) * scale, n = members[t] * scale
      events.add(step: t, chance: e, shift: max(0, shift[t]) * scale)
      // `add` took e (1 - e) as if e were one customer's chance: the binomial's is e (1 - e / n).
      events.variance[t] = n > 0 ? e * max(0, 1 - e / n) : 0
    }
    return (events, churned.map { max(0, $0 * scale) }, atRisk.map { max(0, $0 * scale) })
  }

  /// The same model with every purchase rate of the grid times `factor`: the customers' futures
  /// if they all buy that much faster than the fit says (their posteriors, read at the fit, stay).
  func withPurchaseRates(times factor: Double) -> ActivityModel {
    var faster = self
    faster.purchaseRates = purchaseRates.map { $0 * factor }
    return faster
  }
}

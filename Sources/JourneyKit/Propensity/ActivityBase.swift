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
  /// The base's sums (`ActivityBase`) of the customers in `h` with a purchase.
  func base(_ h: PurchaseHistories, sampleLimit: Int = ActivityBase.sampleLimit) -> ActivityBase {
    let bought = (0..<h.customerCount).filter { !h.purchaseDays[$0].isEmpty }
    let stride = max(1, Double(bought.count) / Double(max(1, sampleLimit)))
    let sample = bought.count <= sampleLimit ? bought : (0..<sampleLimit).map { bought[Int(Double($0) * stride)] }
    let support = weights.indices.filter { weights[$0] > 0 }
    let grid = support.count
    let aged = ageingCurve != .none
    let through = h.through.dayNumber + 1
    let clock = self.clock(from: h.firstDay, through: through)
    var lengths = Set<Int32>()
    for c in sample {
      let days = h.purchaseDays[c]
      lengths.insert(clock.ticks(from: days.last!, to: through, since: days.first!))
      for j in days.indices.dropFirst() { lengths.insert(clock.ticks(from: days[j - 1], to: days[j], since: days.first!)) }
    }
    let tables = ActivityTables(self, gapLengths: lengths, points: support)
    let logWeights = support.map { Foundation.log(weights[$0]) }
    // With ageing, first purchase days are grouped into spans of equal length.
    let firstDays = sample.map { h.purchaseDays[$0].first! }
    let earliest = firstDays.min() ?? 0, latest = firstDays.max() ?? 0
    let span = aged ? max(1, (Int(latest - earliest) + ActivityBase.maximumGroups) / ActivityBase.maximumGroups) : Int.max
    let groupCount = aged ? Int(latest - earliest) / span + 1 : 1
    @Sendable func group(_ first: Int32) -> Int { aged ? Int(first - earliest) / span : 0 }

    // Per group, flat: [p | p v] then the same times spend, 4 x grid values per group.
    struct Sums {
      var values: [Double], firstDays: [Double], members: [Int]
      init(groups: Int, grid: Int) {
        values = Array(repeating: 0, count: groups * 4 * grid)
        firstDays = Array(repeating: 0, count: groups)
        members = Array(repeating: 0, count: groups)
      }
    }
    let block = 4_096
    let blocks = (sample.count + block - 1) / block
    let partials = Partials<Sums>(count: blocks)
    DispatchQueue.concurrentPerform(iterations: blocks) { b in
      var sums = Sums(groups: groupCount, grid: grid)
      var row = [Double](repeating: 0, count: grid), exponentials = row
      var gaps: [Int32] = []
      for c in sample[(b * block)..<min(sample.count, (b + 1) * block)] {
        let days = h.purchaseDays[c]
        let since = days.first!
        let quiet = clock.ticks(from: days.last!, to: through, since: since)
        gaps.removeAll(keepingCapacity: true)
        for j in days.indices.dropFirst() { gaps.append(clock.ticks(from: days[j - 1], to: days[j], since: since)) }
        tables.logLikelihood(gaps: gaps, quiet: quiet, into: &row)
        var top = -Double.infinity
        for g in 0..<grid { row[g] += logWeights[g]; top = max(top, row[g]) }
        for g in 0..<grid { row[g] -= top }
        exponentials = row
        VectorMath.exp(&exponentials)
        var total = 0.0
        for g in 0..<grid {
          // Points 40 log units below the top weigh under 1e-17 of it: they count as nothing.
          row[g] = row[g] < -40 ? 0 : exponentials[g]
          total += row[g]
        }
        var spend = spendMean
        if let pseudo = spendPseudoCount {
          let spent = h.spending(of: c)
          if spent.occasions > 0 {
            spend = SpendShrinkage.shrunk(spend: spent.revenue, occasions: spent.occasions, mean: spendMean, pseudoCount: pseudo)
          }
        }
        let active = tables.activeAtEnd[quiet]!
        let k = group(since)
        sums.members[k] += 1
        sums.firstDays[k] += Double(since)
        let offset = k * 4 * grid
        for g in 0..<grid where row[g] > 0 {
          let p = row[g] / total, pv = p * active[g]
          sums.values[offset + g] += p
          sums.values[offset + grid + g] += pv
          sums.values[offset + 2 * grid + g] += p * spend
          sums.values[offset + 3 * grid + g] += pv * spend
        }
      }
      partials.store(sums, at: b)
    }
    var all = Sums(groups: groupCount, grid: grid)
    for part in partials.all() {
      for k in 0..<groupCount {
        all.members[k] += part.members[k]
        all.firstDays[k] += part.firstDays[k]
      }
      for i in all.values.indices { all.values[i] += part.values[i] }
    }
    let groups = (0..<groupCount).filter { all.members[$0] > 0 }.map { k in
      let offset = k * 4 * grid
      return ActivityBase.Group(
        firstDay: aged ? Int32((all.firstDays[k] / Double(all.members[k])).rounded()) : 0,
        posterior: Array(all.values[offset..<(offset + 2 * grid)]), spending: Array(all.values[(offset + 2 * grid)..<(offset + 4 * grid)]))
    }
    return ActivityBase(points: support, clockStart: h.firstDay, groups: groups, customers: bought.count, sampled: sample.count)
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
}

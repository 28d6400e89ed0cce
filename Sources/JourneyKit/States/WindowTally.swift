import Dispatch
import Foundation

/// Numerators and denominators of the rollout KPIs, summed per window and per bucket of
/// customers, so a bootstrap over customers can resample buckets instead of millions of rows.
struct WindowTally: Sendable {
  enum Term: Int, CaseIterable {
    case livingExposure, churnEvents, leadExposure, leadConversions
    /// Customers in a purchasing stage (`Stage.isPurchasing`): what the chain forecasts as active.
    case purchasing
    case occasions, revenue, livingPeriods
    case lessExposure, upgrades, moreExposure, downgrades
    /// Customer-periods of customers who have bought (any state but lead, churned included).
    case buyerPeriods
    /// Customers with a purchase occasion in the period, whatever their state's stage says
    /// (`purchasing` counts states whose stage is a purchasing one: in an RFM space, every
    /// customer of the top recency score, bought in the period or not). This, the three after it
    /// and `leadConversions` read the purchases, not the stages: the two agree in the lifecycle,
    /// value and rf spaces, whose stages say whether and when a customer bought, and not in an RFM
    /// space, which has no first-purchase stage (its lead conversions and repeat purchase rate
    /// read 0 and 100% when they were counted by stage).
    case buying
    /// Customers buying in the period who had bought before it.
    case repeatBuying
    /// Customers whose previous period was the one of their first purchase.
    case firstBuyerExposure
    /// Of those, the customers who buy again in this period.
    case secondBuying
  }

  /// Customers are spread over this many buckets by a hash of their number; the bootstrap
  /// resamples buckets (a cluster bootstrap over customers).
  static let buckets = 400

  let windows: Int
  /// Buckets per window: `buckets`, or one per customer (`tally(perCustomer:)`).
  let bucketCount: Int
  /// [window][bucket][term]
  var sums: [Double]
  /// Moves between states when asked for: [window][bucket][from * states + to] (empty otherwise).
  var moves: [Double]
  let moveCells: Int

  init(windows: Int, moveCells: Int = 0, bucketCount: Int = WindowTally.buckets) {
    self.windows = windows
    self.moveCells = moveCells
    self.bucketCount = bucketCount
    sums = Array(repeating: 0, count: windows * bucketCount * Term.allCases.count)
    moves = Array(repeating: 0, count: windows * bucketCount * moveCells)
  }

  /// Move counts of one window with bucket weights: [from * states + to].
  func moveTotals(window: Int, weights: [Double]? = nil) -> [Double] {
    var t = [Double](repeating: 0, count: moveCells)
    for b in 0..<bucketCount {
      let w = weights?[b] ?? 1
      guard w != 0 else { continue }
      let o = moveOffset(window, b)
      for k in 0..<moveCells where moves[o + k] != 0 { t[k] += w * moves[o + k] }
    }
    return t
  }

  @inline(__always)
  func offset(_ window: Int, _ bucket: Int) -> Int { (window * bucketCount + bucket) * Term.allCases.count }

  @inline(__always)
  func moveOffset(_ window: Int, _ bucket: Int) -> Int { (window * bucketCount + bucket) * moveCells }

  /// Totals of one window with bucket weights (1 each for the data itself).
  func totals(window: Int, weights: [Double]? = nil) -> [Double] {
    var t = [Double](repeating: 0, count: Term.allCases.count)
    for b in 0..<bucketCount {
      let w = weights?[b] ?? 1
      guard w != 0 else { continue }
      let o = offset(window, b)
      for k in 0..<t.count { t[k] += w * sums[o + k] }
    }
    return t
  }

  /// Tallies every customer-period of `table` whose period falls in one of `windows`
  /// (half-open ranges of absolute period numbers), attributing a move t -> t+1 to the window of t+1.
  ///
  /// With `groupOfCustomer` (a group number per customer, -1 to leave a customer out), each group
  /// gets its own copy of the windows: group g's window w is tally window `g * windows.count + w`.
  /// With `countingMoves`, the moves between states are counted as well (`moveTotals`).
  /// `parts`: how many cores share the walk (nil: all of them on large tables; the result is the
  /// same whatever the number). With `perCustomer`, every customer is a bucket of its own
  /// (bucket c is customer c), so that a design can regroup customers without walking again.
  static func tally(
    _ table: TransactionTable, space: StateSpace, lastPeriod: Int, windows: [Range<Int>], groupOfCustomer: [Int8]? = nil,
    groups: Int = 1, countingMoves: Bool = false, parts: Int? = nil, perCustomer: Bool = false
  ) -> WindowTally {
    let walker = CustomerPeriodWalker(table: table, period: space.period, lastPeriod: lastPeriod, rules: space.rules)
    let moveCells = countingMoves ? space.count * space.count : 0
    let stages = space.states.map(\.stage), tiers = space.states.map { Tier($0.tier) }
    let level = space.splitBy.flatMap { table.attributes[$0]?.levelOfCustomer }
    let empty = Visitor(
      space: space, stages: stages, tiers: tiers, windows: windows,
      tally: WindowTally(windows: windows.count * groups, moveCells: moveCells, bucketCount: perCustomer ? table.customerCount : buckets),
      level: level, groupOfCustomer: groupOfCustomer, perCustomer: perCustomer)
    // Large tables: each core walks the customers of its own share of the buckets. A bucket's
    // sums then add its customers in the same order as one walk would, so the totals are the
    // same to the last digit. (Not when the move counts would make each core's copy large.)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let moveBytes = windows.count * groups * buckets * moveCells * MemoryLayout<Double>.stride
    let parts = perCustomer ? 1 : parts ?? (table.customerCount >= 100_000 && moveBytes <= 64 << 20 ? max(1, min(4, cores)) : 1)
    guard parts > 1 else {
      var one = empty
      walker.walk(0..<table.customerCount, &one)
      return one.tally
    }
    let customersOfPart = (0..<table.customerCount).reduce(into: [[Int]](repeating: [], count: parts)) {
      $0[bucket(of: $1) * parts / buckets].append($1)
    }
    let partials = Partials<WindowTally>(count: parts)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      var own = empty
      walker.walk(customersOfPart[part], &own)
      partials.store(own.tally, at: part)
    }
    let tallies = partials.all()
    var merged = tallies[0]
    let terms = Term.allCases.count
    for w in 0..<merged.windows {
      for b in 0..<buckets {
        let owner = tallies[b * parts / buckets]
        let o = merged.offset(w, b)
        for k in o..<(o + terms) { merged.sums[k] = owner.sums[k] }
        let m = (w * buckets + b) * moveCells
        for k in m..<(m + moveCells) { merged.moves[k] = owner.moves[k] }
      }
    }
    return merged
  }

  /// The bucket of customer number `customer`: Fibonacci hashing spreads consecutive numbers.
  @inline(__always)
  static func bucket(of customer: Int) -> Int {
    Int((UInt64(customer) &* 0x9E37_79B9_7F4A_7C15) >> 40) % WindowTally.buckets
  }

  /// A state's value tier, read once per state: comparing tier strings per customer-period
  /// (and copying each state's definition to do it) was a fifth of a backtest's time.
  enum Tier { case none, less, more
    init(_ name: String?) { self = name == "less_valuable" ? .less : name == "more_valuable" ? .more : .none }
  }

  private struct Visitor: CustomerPeriodVisitor {
    let space: StateSpace
    let stages: [Stage]
    let tiers: [Tier]
    let windows: [Range<Int>]
    var tally: WindowTally
    let level: [Int32]?
    let groupOfCustomer: [Int8]?
    let perCustomer: Bool
    var previous = -1
    /// Whether the customer's previous period was the one of its first purchase.
    var previousWasFirst = false
    var bucket = 0
    /// Offset of the customer's group among the tally's windows; -1 to skip the customer.
    var groupWindows = 0

    mutating func beginCustomer(_ customer: Int) {
      previous = -1
      previousWasFirst = false
      customerLevelIndex = customer
      groupWindows = groupOfCustomer.map { g in g[customer] < 0 ? -1 : Int(g[customer]) * windows.count } ?? 0
      bucket = perCustomer ? customer : WindowTally.bucket(of: customer)
    }

    mutating func visit(_ f: PeriodFeatures) {
      var state = space.baseState(f)
      if let level { state += Int(level[customerLevelIndex]) * space.baseCount }
      defer { (previous, previousWasFirst) = (state, f.occasions > 0 && f.isFirstPurchasePeriod) }
      guard groupWindows >= 0, let window = windows.firstIndex(where: { $0.contains(f.period) }) else { return }
      let w = groupWindows + window
      let o = tally.offset(w, bucket)
      let now = stages[state]
      func add(_ term: Term, _ value: Double = 1) { tally.sums[o + term.rawValue] += value }
      if now.isPurchasing { add(.purchasing) }
      add(.occasions, Double(f.occasions))
      if f.occasions > 0 {
        add(.buying)
        if !f.isFirstPurchasePeriod { add(.repeatBuying) }
      }
      if now != .lead { add(.buyerPeriods) }
      add(.revenue, f.revenue)
      if now != .churned { add(.livingPeriods) }
      guard previous >= 0 else { return }
      if previousWasFirst {
        add(.firstBuyerExposure)
        if f.occasions > 0 { add(.secondBuying) }
      }
      if tally.moveCells > 0 {
        tally.moves[tally.moveOffset(w, bucket) + previous * space.count + state] += 1
      }
      let before = stages[previous]
      if before != .churned {
        add(.livingExposure)
        if now == .churned { add(.churnEvents) }
      }
      if before == .lead {
        add(.leadExposure)
        if f.occasions > 0 { add(.leadConversions) }
      }
      switch tiers[previous] {
      case .less:
        add(.lessExposure)
        if tiers[state] == .more { add(.upgrades) }
      case .more:
        add(.moreExposure)
        if tiers[state] == .less { add(.downgrades) }
      case .none: break
      }
    }

    /// The customer being walked, for its split level.
    var customerLevelIndex = 0
  }
}

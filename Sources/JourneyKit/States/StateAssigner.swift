import Dispatch
import Foundation

/// The fit window: which periods the counts cover.
public struct FitWindow: Codable, Sendable, Equatable {
  /// The period length.
  public var period: PeriodKind
  /// First period counted (absolute number).
  public var firstPeriod: Int
  /// Last period counted: the last complete period on or before `asOf`.
  public var lastPeriod: Int
  /// The day the data is considered to end.
  public var asOf: CalendarDay
  /// Whether a trailing incomplete period (the one holding `asOf`) was left out.
  public var droppedIncompletePeriod: Bool

  /// Periods in the window.
  public var periodCount: Int { lastPeriod - firstPeriod + 1 }

  /// The window for `table`: from `from` (default: the first period with data) to the last
  /// complete period on or before `asOf` (default: the last day with data).
  /// - Throws: `FitError.windowTooShort` when fewer than two complete periods remain.
  public static func make(
    table: TransactionTable, period: PeriodKind, asOf: CalendarDay? = nil, from: CalendarDay? = nil,
    includeIncomplete: Bool = false
  ) throws(FitError) -> FitWindow {
    guard let range = table.dayRange else { throw .emptyData }
    let asOfDay = asOf ?? range.upperBound
    var last = period.index(of: asOfDay)
    var dropped = false
    if !includeIncomplete && period.end(of: last) != asOfDay {
      last -= 1
      dropped = true
    }
    let first = period.index(of: max(from ?? range.lowerBound, range.lowerBound))
    guard last - first + 1 >= 2 else {
      throw .windowTooShort(
        periods: max(0, last - first + 1), period: period,
        from: period.start(of: first), asOf: asOfDay)
    }
    return FitWindow(period: period, firstPeriod: first, lastPeriod: last, asOf: asOfDay, droppedIncompletePeriod: dropped)
  }

  /// Complete periods of the window that begin after `dataEnd`, the data's last day: an as-of day
  /// after the data makes them count as periods in which nobody bought.
  public func periodsAfter(dataEnd: CalendarDay) -> Int { max(0, lastPeriod - period.index(of: dataEnd)) }

  /// A warning when the window runs whole periods past `dataEnd`, nil when it does not. Such a
  /// window is right only when the data is complete to the as-of day (nobody bought since); a file
  /// exported before it would read as customers who all stopped buying.
  public func warningAfter(dataEnd: CalendarDay) -> String? {
    let after = periodsAfter(dataEnd: dataEnd)
    guard after > 0 else { return nil }
    let last = period.index(of: dataEnd)
    let unit = period.rawValue
    let span = after == 1
      ? "\(period.label(of: lastPeriod)) counts as a \(unit) in which nobody bought"
      : "the \(after) \(unit)s \(period.label(of: last + 1)) .. \(period.label(of: lastPeriod)) count as \(unit)s in which nobody bought"
    return "--as-of \(asOf) is after the data's last day, \(dataEnd): \(span); "
      + "if the data was exported before \(asOf), give an --as-of no later than \(period.end(of: last)) (or none)"
  }

  /// `2023-01 .. 2025-11 (35 months)`.
  public var description: String {
    "\(period.label(of: firstPeriod)) .. \(period.label(of: lastPeriod)) (\(periodCount) \(period.rawValue)s)"
  }
}

/// The result of assigning states to every customer-period.
public struct Assignment: Sendable {
  /// The transition, occupancy, acquisition and reward counts.
  public var counts: TransitionCounts
  /// Per customer: the state in the last period of the window, or -1 when not yet in the base.
  public var finalState: [Int32]
  /// The state space with its cut points frozen.
  public var stateSpace: StateSpace
  /// What the same walk saw after the window, when asked to walk on (`StateAssigner.assign(_:space:window:walkingOnThrough:)`).
  var afterWindow: AfterWindow?

  /// The periods a walk went on through after the fit window: what a backtest reads of its
  /// holdout. States at a period depend only on the history up to it, and the cut points stay
  /// the window's, so these are the states a separate walk with the frozen space would give.
  struct AfterWindow: Sendable {
    /// Per period after the window: the customers acquired in it, per state.
    var acquisitions: [[Double]]
    /// Per customer: the state in the last period walked, or -1 when not yet in the base.
    var finalState: [Int32]
  }
}

/// Assigns a state to every customer-period and counts transitions, occupancy,
/// acquisitions and rewards in one pass over the customers (split across cores).
public enum StateAssigner {
  /// - Parameters:
  ///   - space: the state space; cut points not yet frozen (`valueCut`, `rfmCuts`) are
  ///     computed from the fit window first and frozen in the returned space.
  /// - Complexity: O(customers x periods + rows), in parallel.
  public static func assign(_ table: TransactionTable, space: StateSpace, window: FitWindow) -> Assignment {
    assign(table, space: space, window: window, walkingOnThrough: nil)
  }

  /// The same, and with `walkingOnThrough` (a period after the window) the walk goes on through
  /// it in the same pass: the counts stay the window's, and `afterWindow` holds each later
  /// period's acquisitions and every customer's state in the last period. A backtest reads its
  /// fit, its start states and its holdout from this one walk instead of three.
  ///
  /// `quietTails: false` visits every quiet period after a churned customer's last row one by
  /// one (tests: the shortcut must count what the one-by-one walk counts).
  static func assign(
    _ table: TransactionTable, space: StateSpace, window: FitWindow, walkingOnThrough: Int?, quietTails: Bool = true
  ) -> Assignment {
    var space = space
    let walker = CustomerPeriodWalker(table: table, period: window.period, lastPeriod: window.lastPeriod, rules: space.rules)
    if case .value = space.kind, space.valueCut == nil {
      let values = collectFeatureSample(walker, window: window, space: space) { [$0.trailingSpend] }
      let cut = Quantile.of(values[0], space.valueCutQuantile)
      space = StateSpace(
        kind: .value, period: space.period, rules: space.rules, valueCut: cut, valueCutQuantile: space.valueCutQuantile,
        splitBy: space.splitBy, splitLevels: space.splitLevels)
    }
    if case let .rfm(k) = space.kind, space.rfmCuts == nil {
      let values = collectFeatureSample(walker, window: window, space: space) {
        [Double($0.periodsSinceLastPurchase), Double($0.trailingOccasions), $0.trailingSpend]
      }
      let levels = (1..<k).map { Double($0) / Double(k) }
      let cuts = RFMCuts(
        recency: distinctCuts(levels.map { Quantile.of(values[0], $0) }),
        frequency: distinctCuts(levels.map { Quantile.of(values[1], $0) }),
        monetary: distinctCuts(levels.map { Quantile.of(values[2], $0) }))
      space = StateSpace(
        kind: space.kind, period: space.period, rules: space.rules, rfmCuts: cuts,
        splitBy: space.splitBy, splitLevels: space.splitLevels)
    }

    if case let .recencyFrequency(k) = space.kind, space.rfmCuts == nil {
      let values = collectFeatureSample(walker, window: window, space: space) { [Double($0.trailingOccasions)] }
      let levels = (1..<k).map { Double($0) / Double(k) }
      let cuts = RFMCuts(recency: [], frequency: distinctCuts(levels.map { Quantile.of(values[0], $0) }), monetary: [])
      // Ties in the counts can merge levels; the space keeps only the levels that can occur.
      space = StateSpace(
        kind: .recencyFrequency(levels: cuts.frequency.count + 1), period: space.period, rules: space.rules, rfmCuts: cuts,
        splitBy: space.splitBy, splitLevels: space.splitLevels)
    }

    let s = space.count
    let lastWalked = max(window.lastPeriod, walkingOnThrough ?? window.lastPeriod)
    // Cut points come from the window alone (the sample above); only the counting walk goes on.
    let countingWalker = lastWalked == window.lastPeriod
      ? walker : CustomerPeriodWalker(table: table, period: window.period, lastPeriod: lastWalked, rules: space.rules)
    let keepSecondOrder = s * s * s <= 2_000_000
    let level = space.splitBy.flatMap { table.attributes[$0]?.levelOfCustomer }
    let chunkCount = max(1, min(16, table.customerCount / 20_000))
    let chunkSize = (table.customerCount + chunkCount - 1) / max(1, chunkCount)
    let partials = Partials<TransitionCounts>(count: chunkCount)
    let finalStates = Partials<[Int32]>(count: chunkCount)
    let afterWindows = Partials<Assignment.AfterWindow>(count: chunkCount)
    let frozenSpace = space
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
      let customers = (chunk * chunkSize)..<min(table.customerCount, (chunk + 1) * chunkSize)
      var counter = TransitionCounter(
        space: frozenSpace, window: window, level: level, keepSecondOrder: keepSecondOrder,
        finalStateOffset: customers.lowerBound, customerCount: customers.count, lastWalked: lastWalked, quietTails: quietTails)
      if !customers.isEmpty { countingWalker.walk(customers, &counter) }
      counter.finish()
      partials.store(counter.counts, at: chunk)
      finalStates.store(counter.finalState, at: chunk)
      afterWindows.store(counter.afterWindow, at: chunk)
    }
    var total = TransitionCounts(stateCount: s, firstPeriod: window.firstPeriod, periodCount: window.periodCount, keepSecondOrder: keepSecondOrder)
    for part in partials.all() { total.merge(part) }
    var assignment = Assignment(counts: total, finalState: finalStates.all().flatMap { $0 }, stateSpace: space)
    if lastWalked > window.lastPeriod {
      let parts = afterWindows.all()
      // Acquisitions are whole counts: their sum does not depend on the order of the chunks.
      let acquisitions = (0..<(lastWalked - window.lastPeriod)).map { t in
        (0..<s).map { i in parts.reduce(0) { $0 + $1.acquisitions[t][i] } }
      }
      assignment.afterWindow = .init(acquisitions: acquisitions, finalState: parts.flatMap(\.finalState))
    }
    return assignment
  }

  /// Feature values over the buyer customer-periods of the window that are neither lead nor churned,
  /// for cut points. Every customer-period is used up to 4 million; beyond that a regular stride
  /// of customers keeps it deterministic and bounded.
  static func collectFeatureSample(
    _ walker: CustomerPeriodWalker, window: FitWindow, space: StateSpace, _ features: @escaping (PeriodFeatures) -> [Double]
  ) -> [[Double]] {
    struct Sampler: CustomerPeriodVisitor {
      let space: StateSpace
      let firstPeriod: Int
      let features: (PeriodFeatures) -> [Double]
      var values: [[Double]] = []
      mutating func beginCustomer(_ customer: Int) {}
      mutating func visit(_ f: PeriodFeatures) {
        guard f.period >= firstPeriod else { return }
        let stage = space.lifecycleIndex(f)
        guard stage != 0 && stage != 6 else { return }
        let v = features(f)
        if values.isEmpty { values = Array(repeating: [], count: v.count) }
        for k in 0..<v.count { values[k].append(v[k]) }
      }
    }
    let customers = walker.table.customerCount
    let estimatedPeriods = customers * window.periodCount
    let stride = max(1, estimatedPeriods / 4_000_000)
    var sampler = Sampler(space: space, firstPeriod: window.firstPeriod, features: features)
    if stride == 1 {
      walker.walk(0..<customers, &sampler)
    } else {
      for c in Swift.stride(from: 0, to: customers, by: stride) { walker.walk(c..<(c + 1), &sampler) }
    }
    return sampler.values.isEmpty ? Array(repeating: [], count: 3) : sampler.values
  }

  /// Cut points with duplicates removed (ties in the data), ascending.
  static func distinctCuts(_ cuts: [Double]) -> [Double] {
    var out: [Double] = []
    for c in cuts.sorted() where out.last.map({ c > $0 }) ?? true { out.append(c) }
    return out
  }
}

/// Counts one chunk of customers.
private struct TransitionCounter: CustomerPeriodVisitor {
  let space: StateSpace
  let window: FitWindow
  let level: [Int32]?
  let baseCount: Int
  let s: Int
  let absorbing: [Bool]
  var counts: TransitionCounts
  var finalState: [Int32]
  var pooled: [Double]
  let keepSecondOrder: Bool
  /// S^3, empty unless `keepSecondOrder`.
  var secondOrder: [Double]
  /// Periods x states, row-major.
  var occupancy: [Double]
  var acquisitions: [Double]
  var reactivations: [Double]
  /// Per state: customer-periods, occasions, occasions^2, revenue, revenue^2.
  var rewards: [Double]
  let finalStateOffset: Int
  /// Per step dense counts while S^2 x steps stays small (`isDense`); sparse dictionaries otherwise.
  let isDense: Bool
  var densePerPeriod: [Double]
  var sparsePerPeriod: [[Int: Double]]
  var customer = 0
  var previous = -1
  var beforePrevious = -1
  var previousPeriod = Int.min
  /// The last period walked: the window's, or later when the walk goes on (`afterWindow`).
  let lastWalked: Int
  /// Acquisitions per period after the window ([period][state]) and states in `lastWalked`.
  var afterWindow: Assignment.AfterWindow
  /// Whether churned customers' last quiet periods are counted at once (`visitQuietPeriods`).
  let quietTails: Bool

  init(
    space: StateSpace, window: FitWindow, level: [Int32]?, keepSecondOrder: Bool, finalStateOffset: Int, customerCount: Int,
    lastWalked: Int, quietTails: Bool
  ) {
    self.space = space
    self.window = window
    self.level = level
    self.baseCount = space.baseCount
    self.s = space.count
    self.absorbing = space.states.map(\.isAbsorbing)
    self.counts = TransitionCounts(stateCount: space.count, firstPeriod: window.firstPeriod, periodCount: window.periodCount, keepSecondOrder: false)
    self.finalState = Array(repeating: -1, count: customerCount)
    let s = space.count
    pooled = Array(repeating: 0, count: s * s)
    self.keepSecondOrder = keepSecondOrder
    secondOrder = keepSecondOrder ? Array(repeating: 0, count: s * s * s) : []
    occupancy = Array(repeating: 0, count: window.periodCount * s)
    acquisitions = occupancy
    reactivations = occupancy
    rewards = Array(repeating: 0, count: s * 5)
    self.finalStateOffset = finalStateOffset
    let steps = max(0, window.periodCount - 1)
    isDense = s * s * steps <= 4_000_000
    densePerPeriod = isDense ? Array(repeating: 0, count: s * s * steps) : []
    sparsePerPeriod = isDense ? [] : Array(repeating: [:], count: steps)
    self.lastWalked = lastWalked
    self.quietTails = quietTails
    let after = lastWalked - window.lastPeriod
    afterWindow = .init(
      acquisitions: Array(repeating: Array(repeating: 0, count: s), count: after),
      finalState: after > 0 ? Array(repeating: -1, count: customerCount) : [])
  }

  mutating func beginCustomer(_ c: Int) {
    customer = c
    previous = -1
    beforePrevious = -1
    previousPeriod = Int.min
  }

  mutating func visit(_ f: PeriodFeatures) {
    var state = space.baseState(f)
    if let level { state += Int(level[customer]) * baseCount }
    guard f.period <= window.lastPeriod else {
      // After the window: nothing is counted; a customer's first period is its acquisition.
      if previous < 0 { afterWindow.acquisitions[f.period - window.lastPeriod - 1][state] += 1 }
      previous = state
      if f.period == lastWalked { afterWindow.finalState[customer - finalStateOffset] = Int32(state) }
      return
    }
    let t = f.period - window.firstPeriod
    if t >= 0 {
      // Flat local arrays: this runs once per customer-period (tens of millions of times).
      occupancy[t * s + state] += 1
      let o = Double(f.occasions)
      let r = state * 5
      rewards[r] += 1
      rewards[r + 1] += o
      rewards[r + 2] += o * o
      rewards[r + 3] += f.revenue
      rewards[r + 4] += f.revenue * f.revenue
      if previous < 0 {
        acquisitions[t * s + state] += 1
      } else if t >= 1 {
        if absorbing[previous] && state != previous {
          // The state is absorbing, so the way back is not a transition; keep it as inflow.
          reactivations[t * s + state] += 1
        } else {
          countMove(into: t, from: previous, to: state)
        }
      }
    }
    if absorbing[state] && previous == state {
      // Staying in an absorbing state says nothing about second-order structure.
      beforePrevious = -1
    } else {
      beforePrevious = previous
    }
    previous = state
    if f.period == window.lastPeriod { finalState[customer - finalStateOffset] = Int32(state) }
  }

  /// A move `from -> to` into window period `t` (at least 1): pooled, per period, and after
  /// `beforePrevious` (second order).
  @inline(__always)
  private mutating func countMove(into t: Int, from: Int, to: Int) {
    pooled[from * s + to] += 1
    if isDense {
      densePerPeriod[((t - 1) * s + from) * s + to] += 1
    } else {
      sparsePerPeriod[t - 1][from * s + to, default: 0] += 1
    }
    if beforePrevious >= 0 && keepSecondOrder {
      secondOrder[(beforePrevious * s + from) * s + to] += 1
    }
  }

  /// A churned customer of a built-in state space stays churned while it buys nothing (its
  /// quiet time only grows), so its last quiet periods are counted without their features, each
  /// as `visit` would count it.
  mutating func visitQuietPeriods(after last: PeriodFeatures, through: Int) -> Bool {
    guard quietTails, space.staysChurnedWhileQuiet(after: last) else { return false }
    let state = previous
    for p in (last.period + 1)...through {
      if p > window.lastPeriod {
        if p == lastWalked { afterWindow.finalState[customer - finalStateOffset] = Int32(state) }
        continue
      }
      let t = p - window.firstPeriod
      if t >= 0 {
        occupancy[t * s + state] += 1
        rewards[state * 5] += 1
        if t >= 1 { countMove(into: t, from: state, to: state) }
      }
      beforePrevious = absorbing[state] ? -1 : state
      if p == window.lastPeriod { finalState[customer - finalStateOffset] = Int32(state) }
    }
    return true
  }

  /// Moves the per-period counts into sparse cells.
  mutating func finish() {
    let steps = max(0, window.periodCount - 1)
    counts.pooled = pooled
    counts.secondOrder = keepSecondOrder ? secondOrder : nil
    for t in 0..<window.periodCount {
      counts.occupancy[t] = Array(occupancy[(t * s)..<((t + 1) * s)])
      counts.acquisitions[t] = Array(acquisitions[(t * s)..<((t + 1) * s)])
      counts.reactivations[t] = Array(reactivations[(t * s)..<((t + 1) * s)])
    }
    for i in 0..<s {
      counts.rewards[i] = .init(
        customerPeriods: rewards[i * 5], occasionsSum: rewards[i * 5 + 1], occasionsSumOfSquares: rewards[i * 5 + 2],
        revenueSum: rewards[i * 5 + 3], revenueSumOfSquares: rewards[i * 5 + 4])
    }
    for t in 0..<steps {
      var cells: [TransitionCounts.Cell] = []
      if isDense {
        let base = t * s * s
        for k in 0..<(s * s) where densePerPeriod[base + k] != 0 {
          cells.append(.init(from: Int32(k / s), to: Int32(k % s), count: densePerPeriod[base + k]))
        }
      } else {
        for (k, v) in sparsePerPeriod[t].sorted(by: { $0.key < $1.key }) {
          cells.append(.init(from: Int32(k / s), to: Int32(k % s), count: v))
        }
      }
      counts.perPeriod[t] = cells
    }
  }
}

extension TransitionCounts {
  /// Adds another chunk's counts (same states and window).
  mutating func merge(_ other: TransitionCounts) {
    precondition(stateCount == other.stateCount && periodCount == other.periodCount, "merging different count shapes")
    for k in 0..<pooled.count { pooled[k] += other.pooled[k] }
    for t in 0..<perPeriod.count { perPeriod[t] = mergeCells(perPeriod[t], other.perPeriod[t]) }
    for t in 0..<periodCount {
      for i in 0..<stateCount {
        occupancy[t][i] += other.occupancy[t][i]
        acquisitions[t][i] += other.acquisitions[t][i]
        reactivations[t][i] += other.reactivations[t][i]
      }
    }
    for i in 0..<stateCount { rewards[i].add(other.rewards[i]) }
    if secondOrder != nil, let o = other.secondOrder {
      for k in 0..<o.count { secondOrder![k] += o[k] }
    }
  }
}

/// Merges two cell lists sorted by (from, to).
private func mergeCells(_ a: [TransitionCounts.Cell], _ b: [TransitionCounts.Cell]) -> [TransitionCounts.Cell] {
  if a.isEmpty { return b }
  if b.isEmpty { return a }
  var out: [TransitionCounts.Cell] = []
  out.reserveCapacity(a.count + b.count)
  var i = 0
  var j = 0
  func key(_ c: TransitionCounts.Cell) -> Int64 { Int64(c.from) << 32 | Int64(c.to) }
  while i < a.count || j < b.count {
    if j == b.count || (i < a.count && key(a[i]) < key(b[j])) {
      out.append(a[i])
      i += 1
    } else if i == a.count || key(b[j]) < key(a[i]) {
      out.append(b[j])
      j += 1
    } else {
      var c = a[i]
      c.count += b[j].count
      out.append(c)
      i += 1
      j += 1
    }
  }
  return out
}

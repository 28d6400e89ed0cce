import Dispatch
import Foundation

/// Customers' posteriors over the mixing distribution's support, read from their purchase days:
/// the likelihood of each one's gaps between purchases and of its quiet end (`ActivityTables`),
/// the spend link's term when the model has one, and the mixing weights. The outlook, the base's
/// sums, the simulation and the spend link's EM read their customers through it.
struct ActivityPosteriors {
  /// The grid points with weight (the model's indices); a posterior has one value per point.
  let support: [Int]
  let tables: ActivityTables
  private let logWeights: [Double]
  private let spendTerms: SpendTerms?
  private let clock: ActivityClock
  /// The day after the histories' last.
  private let end: Int32

  /// For `customers` of `h` (each with a purchase), on `clock`; `readingSpend: false` leaves the
  /// spend link's term out (the link's own EM, which reads purchase days alone).
  init(_ model: ActivityModel, _ h: PurchaseHistories, customers: some Sequence<Int>, clock: ActivityClock, readingSpend: Bool = true) {
    let end = h.through.dayNumber + 1
    // The lengths that occur, marked in an array indexed by length: a set took a hash for each
    // of `score`'s 10M gaps, on one core.
    var occurs: [Bool] = []
    func mark(_ length: Int32) {
      let t = Int(length)
      if t >= occurs.count { occurs.append(contentsOf: repeatElement(false, count: t + 1 - occurs.count)) }
      occurs[t] = true
    }
    for c in customers {
      let days = h.purchaseDays[c]
      guard let first = days.first, let last = days.last else { continue }
      mark(clock.ticks(from: last, to: end, since: first))
      for j in days.indices.dropFirst() { mark(clock.ticks(from: days[j - 1], to: days[j], since: first)) }
    }
    support = model.weights.indices.filter { model.weights[$0] > 0 }
    tables = ActivityTables(model, gapLengths: occurs.indices.filter { occurs[$0] }.map { Int32($0) }, points: support)
    logWeights = support.map { Foundation.log(model.weights[$0]) }
    spendTerms = readingSpend ? SpendTerms(model, points: support) : nil
    self.clock = clock
    self.end = end
  }

  /// Customer `c`'s posterior written into `row` (one value per support point) scaled so that its
  /// largest value is 1: the posterior is `row / sum`. Also its quiet ticks at the end of the
  /// history, where `tables.activeAtEnd` reads its chance of being active. `gaps` is a buffer
  /// the caller keeps from customer to customer (an array per customer cost `score` an
  /// allocation and its reference counting for each of 1.5M customers).
  func read(_ h: PurchaseHistories, customer c: Int, gaps: inout [Int32], into row: inout [Double]) -> (sum: Double, quiet: Int32) {
    let days = h.purchaseDays[c]
    let since = days.first!
    let quiet = clock.ticks(from: days.last!, to: end, since: since)
    gaps.removeAll(keepingCapacity: true)
    for j in days.indices.dropFirst() { gaps.append(clock.ticks(from: days[j - 1], to: days[j], since: since)) }
    tables.logLikelihood(gaps: gaps, quiet: quiet, into: &row)
    spendTerms?.add(h, customer: c, into: &row)
    let grid = support.count
    for g in 0..<grid { row[g] += logWeights[g] }
    let top = Self.largest(row)
    for g in 0..<grid { row[g] -= top }
    // The exponentials four at a time (`VectorMath`).
    VectorMath.exp(&row)
    var sum = 0.0
    for g in 0..<grid { sum += row[g] }
    return (sum, quiet)
  }

  /// The largest of `values` (-infinity for none), read with four running maxima: one running
  /// maximum waits on itself at every value, and in `score`'s outlook, once per grid point for each
  /// of 1.5M customers, that wait was a quarter of the loop's time.
  static func largest(_ values: [Double]) -> Double {
    var m0 = -Double.infinity, m1 = m0, m2 = m0, m3 = m0
    var i = 0
    while i + 4 <= values.count {
      if values[i] > m0 { m0 = values[i] }
      if values[i + 1] > m1 { m1 = values[i + 1] }
      if values[i + 2] > m2 { m2 = values[i + 2] }
      if values[i + 3] > m3 { m3 = values[i + 3] }
      i += 4
    }
    while i < values.count {
      if values[i] > m0 { m0 = values[i] }
      i += 1
    }
    return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
  }
}

/// Per grid point (of `points`, all by default), the log terms of every gap length that occurs,
/// computed once.
///
/// Each length's terms are one row of a flat array, found through a dense index of lengths. The
/// tables are read once per purchase of every customer (1.5M customers in `score`) at lengths in
/// no order, and a dictionary of arrays cost each read a hash, a chase through two pointers and
/// a retain and release.
struct ActivityTables {
  /// How many grid points the tables hold (entry `j` of each row is the model's grid point `points[j]`).
  let gridCount: Int
  let logRate: [Double]
  /// Length -> its row in the tables, -1 for a length not asked for. Lengths are ticks (a quarter
  /// of a day) within one history, so a few thousand entries at most.
  private let rowOfLength: [Int32]
  /// Per length's row, per grid point: log lambda + log [exp(M g)]_AA.
  private let purchaseGapRows: [Double]
  /// Per length's row, per grid point: log [exp(M f) 1]_A and P(active at the end).
  private let quietEndRows: [Double]
  private let activeAtEndRows: [Double]

  /// The tables for `gapLengths` (gaps and quiet ends, in ticks; repeats are read once).
  init(_ model: ActivityModel, gapLengths: some Sequence<Int32>, points: [Int]? = nil) {
    let points = points ?? Array(0..<model.gridCount)
    gridCount = points.count
    let exponentials = points.map { g in
      let (lambda, mu) = model.rates(ofGridPoint: g)
      return TwoStateExponential(lambda: lambda, mu: mu, omega: model.wakeRate)
    }
    let logRate = points.map { Foundation.log(model.rates(ofGridPoint: $0).lambda) }
    self.logRate = logRate
    // Thousands of lengths, each a few logarithms per grid point: chunks of them on every core.
    let lengths = gapLengths.sorted().reduce(into: [Int32]()) { if $0.last != $1 { $0.append($1) } }
    let grid = gridCount, chunk = 256
    let chunks = (lengths.count + chunk - 1) / chunk
    let parts = Partials<[(gap: [Double], end: [Double], active: [Double])]>(count: chunks)
    // `TwoStateExponential.fromActive` for every grid point at once, its exponential and
    // logarithms taken over the whole row (`VectorMath`).
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
      parts.store(lengths[(k * chunk)..<min(lengths.count, (k + 1) * chunk)].map { t in
        let days = Double(t) / ActivityClock.ticksPerDay
        var tail = exponentials.map { ($0.s2 - $0.s1) * days }
        VectorMath.exp(&tail)
        var stay = [Double](repeating: 0, count: grid), quiet = stay, active = stay
        for g in 0..<grid {
          let e = exponentials[g]
          let s = (e.a - e.s2) + tail[g] * (e.s1 - e.a)
          let q = s + e.mu * (1 - tail[g])
          active[g] = s / q
          stay[g] = max(s, 1e-300)
          quiet[g] = max(q, 1e-300)
        }
        VectorMath.log(&stay)
        VectorMath.log(&quiet)
        for g in 0..<grid {
          let base = exponentials[g].s1 * days - exponentials[g].logDisc
          stay[g] = logRate[g] + (base + stay[g])
          quiet[g] = base + quiet[g]
        }
        return (stay, quiet, active)
      }, at: k)
    }
    var rowOfLength = [Int32](repeating: -1, count: Int(max(0, lengths.last ?? 0)) + 1)
    var gapRows: [Double] = [], endRows: [Double] = [], activeRows: [Double] = []
    gapRows.reserveCapacity(lengths.count * grid)
    endRows.reserveCapacity(lengths.count * grid)
    activeRows.reserveCapacity(lengths.count * grid)
    for (row, (t, terms)) in zip(lengths, parts.all().joined()).enumerated() {
      precondition(t >= 0, "a gap or quiet length is a count of ticks, never negative")
      rowOfLength[Int(t)] = Int32(row)
      gapRows.append(contentsOf: terms.gap)
      endRows.append(contentsOf: terms.end)
      activeRows.append(contentsOf: terms.active)
    }
    self.rowOfLength = rowOfLength
    purchaseGapRows = gapRows
    quietEndRows = endRows
    activeAtEndRows = activeRows
  }

  /// Where `length`'s row starts in the flat tables; a length the tables were not built for is
  /// a programming error.
  private func start(of length: Int32) -> Int {
    let row = length >= 0 && Int(length) < rowOfLength.count ? rowOfLength[Int(length)] : -1
    precondition(row >= 0, "the tables hold no row for length \(length)")
    return Int(row) * gridCount
  }

  // The rows below are slices of the flat tables: their indices start where the row does, so
  // they are read by position (`zip`, or `startIndex + j`).

  /// Per grid point, log lambda + log [exp(M g)]_AA for a purchase `length` ticks after the one before.
  func purchaseGap(_ length: Int32) -> ArraySlice<Double> {
    let s = start(of: length)
    return purchaseGapRows[s..<(s + gridCount)]
  }

  /// Per grid point, log [exp(M f) 1]_A for `length` quiet ticks at the end of a history.
  func quietEnd(_ length: Int32) -> ArraySlice<Double> {
    let s = start(of: length)
    return quietEndRows[s..<(s + gridCount)]
  }

  /// Per grid point, the chance of being active after `length` quiet ticks at the end of a history.
  func activeAtEnd(_ length: Int32) -> ArraySlice<Double> {
    let s = start(of: length)
    return activeAtEndRows[s..<(s + gridCount)]
  }

  /// Per grid point, the log likelihood of a history: its gaps between purchases and its quiet
  /// end, written into `row` (`gridCount` values).
  func logLikelihood(gaps: [Int32], quiet: Int32, into row: inout [Double]) {
    let grid = gridCount
    precondition(row.count >= grid)
    let end = start(of: quiet)
    // Each row read through a pointer to its start: `terms[s + k]` checked `s + k` for overflow
    // at every grid point, and the check kept the sum from being vectorized.
    row.withUnsafeMutableBufferPointer { out in
      quietEndRows.withUnsafeBufferPointer { q in
        let endTerms = q.baseAddress! + end
        for k in 0..<grid { out[k] = endTerms[k] }
      }
      purchaseGapRows.withUnsafeBufferPointer { terms in
        for gap in gaps {
          let gapTerms = terms.baseAddress! + start(of: gap)
          for k in 0..<grid { out[k] += gapTerms[k] }
        }
      }
    }
  }
}

import Dispatch
import Foundation

/// The parsed rows, held by customer range until the sort, in 11 bytes a row.
///
/// Customer numbers are handed out in order of first appearance, so bucket `b` holds the rows of
/// customers `b << 16 ..< (b + 1) << 16`, in file order, in chunks that are never grown. The sort
/// then empties each bucket (one a core at a time) into its own stretch of the sorted columns,
/// and hands the bucket's pages back: the rows are held about once, not once unsorted and once
/// sorted (with every part's columns kept until a scatter over the whole table, `inspect`'s peak
/// on 10M rows was 385 MB, 260 of them rows).
///
/// A row keeps its customer's low 16 bits, the day, the amount as whole cents when that gives the
/// same `Double` back bit for bit (otherwise the value itself, beside the chunk) and the event.
///
/// Rows are appended from one thread; the sort takes the buckets out from several
/// (`take(_:)`), each its own.
final class RowBuckets: @unchecked Sendable {
  static let customerBits = 16
  static let chunkRows = 1 << 15

  /// Up to `chunkRows` rows of one bucket, their columns in one allocation.
  final class Chunk {
    private let memory: UnsafeMutableRawPointer
    let day: UnsafeMutablePointer<Int32>
    /// The amount in whole cents, or `AmountColumn.notCents`: the amount is the next of `otherAmounts`.
    let cents: UnsafeMutablePointer<Int32>
    let customerLow: UnsafeMutablePointer<UInt16>
    let event: UnsafeMutablePointer<UInt8>
    var count = 0
    /// The amounts of the rows marked `AmountColumn.notCents`, in row order.
    var otherAmounts: [Double] = []

    init() {
      let n = RowBuckets.chunkRows
      memory = .allocate(byteCount: n * 11, alignment: 8)
      day = memory.bindMemory(to: Int32.self, capacity: n)
      cents = (memory + 4 * n).bindMemory(to: Int32.self, capacity: n)
      customerLow = (memory + 8 * n).bindMemory(to: UInt16.self, capacity: n)
      event = (memory + 10 * n).bindMemory(to: UInt8.self, capacity: n)
    }

    deinit { memory.deallocate() }
  }

  /// Per bucket, its chunks in file order; the last one is being filled.
  private(set) var buckets: [[Chunk]] = []
  private(set) var rowCount = 0

  /// A bucket's open chunk as the append loop sees it: plain pointers and a count, no reference
  /// counting per row (the chunk itself is held by `buckets`).
  private struct Open {
    let chunk: Unmanaged<Chunk>
    let day: UnsafeMutablePointer<Int32>
    let cents: UnsafeMutablePointer<Int32>
    let customerLow: UnsafeMutablePointer<UInt16>
    let event: UnsafeMutablePointer<UInt8>
    var count: Int

    init(_ chunk: Chunk) {
      self.chunk = Unmanaged.passUnretained(chunk)
      (day, cents, customerLow, event, count) = (chunk.day, chunk.cents, chunk.customerLow, chunk.event, chunk.count)
    }
  }

  private var open: [Open] = []

  /// Appends rows in file order; `customers` are their customer numbers.
  func append(customers: [Int32], day: UnsafePointer<Int32>, amount: UnsafePointer<Double>, event: UnsafePointer<UInt8>) {
    var open = self.open
    self.open = []
    customers.withUnsafeBufferPointer { customers in
      for r in customers.indices {
        let c = Int(customers[r])
        let b = c >> RowBuckets.customerBits
        while open.count <= b {
          buckets.append([Chunk()])
          open.append(Open(buckets[open.count][0]))
        }
        if open[b].count == RowBuckets.chunkRows {
          open[b].chunk._withUnsafeGuaranteedRef { $0.count = RowBuckets.chunkRows }
          let fresh = Chunk()
          buckets[b].append(fresh)
          open[b] = Open(fresh)
        }
        let k = open[b].count
        open[b].customerLow[k] = UInt16(truncatingIfNeeded: c)
        open[b].day[k] = day[r]
        open[b].event[k] = event[r]
        if let whole = AmountColumn.cents(amount[r]) {
          open[b].cents[k] = whole
        } else {
          open[b].cents[k] = AmountColumn.notCents
          open[b].chunk._withUnsafeGuaranteedRef { $0.otherAmounts.append(amount[r]) }
        }
        open[b].count = k + 1
      }
    }
    for o in open { o.chunk._withUnsafeGuaranteedRef { $0.count = o.count } }
    self.open = open
    rowCount += customers.count
  }

  private let taking = NSLock()

  /// Takes bucket `b`'s rows out: they are freed when the caller drops them. No more rows may
  /// be appended; buckets may be taken from several threads at once.
  func take(_ b: Int) -> [Chunk] {
    taking.lock()
    defer { taking.unlock() }
    open = []
    let chunks = buckets[b]
    buckets[b] = []
    return chunks
  }
}

extension TransactionTable {
  /// Sorts rows by customer then day and merges same-day purchases.
  ///
  /// A counting sort by customer (one histogram pass, then one scatter per bucket), which keeps
  /// file order within a customer; exports sorted by date therefore come out sorted by day
  /// already, and only customers whose rows are out of order get a (stable) sort of their own
  /// rows. Same-day purchases of a customer fold into the first of them, amounts summed; leads and
  /// refunds are kept as they are.
  ///
  /// - Returns: the table and the number of merged rows.
  /// - Complexity: O(rows + customers). Each bucket fills its own stretch of the sorted columns
  ///   and is released when done, the buckets on every core, so peak memory is the rows once and
  ///   a bucket a core.
  static func assemble(
    rows: RowBuckets, customerCount: Int, customerIDs: [String], mergeSameDay: Bool
  ) -> (table: TransactionTable, merged: Int) {
    let rowCount = rows.rowCount
    precondition(rowCount < Int(Int32.max), "more than 2^31 rows")
    // The parse's temporaries are free by now, but still resident.
    returnFreedMemory()

    // Histogram and row offsets per customer: a bucket's customers are its own, so the buckets
    // are counted on every core.
    let bucketCount = rows.buckets.count
    var rowStart = [Int](repeating: 0, count: customerCount + 1)
    rowStart.withUnsafeMutableBufferPointer { start in
      let counts = ScatterTarget(start.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: bucketCount) { b in
        let base = b << RowBuckets.customerBits
        for chunk in rows.buckets[b] {
          for r in 0..<chunk.count { counts.pointer[base + Int(chunk.customerLow[r]) + 1] += 1 }
        }
      }
      for c in 0..<customerCount { start[c + 1] += start[c] }
    }

    // Each bucket into its own stretch of the sorted columns, the buckets on every core: the
    // pages written are the ones the bucket frees, give or take a bucket a core. Amounts stay in
    // cents (the rows' own cents, never decoded) unless a quarter of them are not
    // (`AmountColumn`); the rare others are set after, as their column is a dictionary.
    var next = rowStart
    var day = [Int32](unsafeUninitializedCapacity: rowCount) { _, n in n = rowCount }
    var event = [TransactionEvent](unsafeUninitializedCapacity: rowCount) { _, n in n = rowCount }
    let otherCount = rows.buckets.reduce(0) { $0 + $1.reduce(0) { $0 + $1.otherAmounts.count } }
    var amount = AmountColumn.Builder(rowCount: rowCount, inCents: otherCount <= rowCount / 4)
    day.withUnsafeMutableBufferPointer { dayOut in
      event.withUnsafeMutableBufferPointer { eventOut in
        next.withUnsafeMutableBufferPointer { next in
          amount.withRows { amountOut in
            let out = ScatterColumns(day: dayOut.baseAddress!, event: eventOut.baseAddress!, next: next.baseAddress!, amount: amountOut)
            let others = Partials<[(row: Int, amount: Double)]>(count: bucketCount)
            DispatchQueue.concurrentPerform(iterations: bucketCount) { b in
              let base = b << RowBuckets.customerBits
              var deferred: [(row: Int, amount: Double)] = []
              for chunk in rows.take(b) {
                var other = 0
                for r in 0..<chunk.count {
                  let c = base + Int(chunk.customerLow[r])
                  let to = out.next[c]
                  out.next[c] += 1
                  out.day[to] = chunk.day[r]
                  out.event[to] = TransactionEvent(rawValue: chunk.event[r]).unsafelyUnwrapped
                  let cents = chunk.cents[r]
                  if cents == AmountColumn.notCents {
                    deferred.append((to, chunk.otherAmounts[other]))
                    other += 1
                  } else {
                    out.amount.set(to, cents: cents)
                  }
                }
              }
              others.store(deferred, at: b)
              returnFreedMemory()
            }
            for (row, value) in others.all().joined() { amountOut.set(row, value) }
          }
        }
      }
    }
    next = []

    sortDaysWithinCustomers(rowStart: rowStart, day: &day, amount: &amount, event: &event)
    let merged = compact(rowStart: &rowStart, day: &day, amount: &amount, event: &event, mergeSameDay: mergeSameDay)
    let table = TransactionTable(
      customerIDs: customerIDs, day: day, amount: amount.finish(), event: event, rowStart: rowStart)
    return (table, merged)
  }

  /// Puts each customer's rows in day order (stable), where they are not already.
  private static func sortDaysWithinCustomers(
    rowStart: [Int], day: inout [Int32], amount: inout AmountColumn.Builder, event: inout [TransactionEvent]
  ) {
    // Which customers are out of order: one sequential pass. Rows of different
    // customers never compare, so a decrease at a customer's first row is fine.
    var unsorted: [Int] = []
    day.withUnsafeBufferPointer { days in
      rowStart.withUnsafeBufferPointer { starts in
        var c = 0
        var nextStart = starts.count > 1 ? starts[1] : 0
        for r in 1..<max(1, days.count) where days[r] < days[r - 1] {
          while nextStart <= r - 1 {
            c += 1
            nextStart = starts[c + 1]
          }
          // Row r - 1 belongs to customer c; r is out of order only within the same customer.
          if r < nextStart && unsorted.last != c { unsorted.append(c) }
        }
      }
    }
    for c in unsorted {
      let lo = rowStart[c]
      let hi = rowStart[c + 1]
      let order = (lo..<hi).sorted { (day[$0], $0) < (day[$1], $1) }
      let d = order.map { day[$0] }
      let e = order.map { event[$0] }
      amount.withRows { amount in
        let a = order.map { amount.get($0) }
        for k in 0..<order.count { amount.set(lo + k, a[k]) }
      }
      for k in 0..<order.count {
        day[lo + k] = d[k]
        event[lo + k] = e[k]
      }
    }
  }

  /// When asked, folds each purchase into an earlier purchase of the same customer on the same
  /// day, moving the rows after it down; returns how many were folded.
  private static func compact(
    rowStart: inout [Int], day: inout [Int32], amount: inout AmountColumn.Builder,
    event: inout [TransactionEvent], mergeSameDay: Bool
  ) -> Int {
    let customerCount = rowStart.count - 1
    let rowCount = day.count
    var write = 0
    day.withUnsafeMutableBufferPointer { day in
      amount.withRows { amount in
        event.withUnsafeMutableBufferPointer { event in
          rowStart.withUnsafeMutableBufferPointer { rowStart in
            for c in 0..<customerCount {
              let lo = rowStart[c]
              let hi = rowStart[c + 1]
              rowStart[c] = write
              var purchaseSlot = -1
              var purchaseDay = Int32.min
              for r in lo..<hi {
                if mergeSameDay && event[r] == .purchase {
                  if purchaseSlot >= 0 && day[r] == purchaseDay {
                    amount.set(purchaseSlot, amount.get(purchaseSlot) + amount.get(r))
                    continue
                  }
                  purchaseSlot = write
                  purchaseDay = day[r]
                }
                if write != r {
                  day[write] = day[r]
                  amount.move(r, to: write)
                  event[write] = event[r]
                }
                write += 1
              }
            }
            rowStart[customerCount] = write
          }
        }
      }
    }
    let merged = rowCount - write
    if merged > 0 {
      day.removeLast(merged)
      amount.removeLast(merged)
      event.removeLast(merged)
    }
    return merged
  }
}

/// Hands the pages of freed blocks back to the kernel. glibc keeps freed memory of its heaps for
/// reuse (blocks of a megabyte come from the heap once the first one is freed, as its mmap
/// threshold adapts), so without this the block columns a scatter has consumed stay resident
/// beside the columns it wrote.
func returnFreedMemory() {
  #if canImport(Glibc)
    _ = glibcMallocTrim(0)
  #endif
}

// glibc only: musl (Swift's static Linux SDK) and Darwin have no malloc_trim.
#if canImport(Glibc)
  /// glibc's `malloc_trim` (declared in malloc.h, which the Glibc module does not export).
  @_silgen_name("malloc_trim")
  private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// The sorted columns as the scatter's cores write them, each bucket its own customers' rows.
private struct ScatterColumns: @unchecked Sendable {
  let day: UnsafeMutablePointer<Int32>
  let event: UnsafeMutablePointer<TransactionEvent>
  /// Per customer, the next row to write.
  let next: UnsafeMutablePointer<Int>
  /// Written with `set(_:cents:)` only: the other amounts' dictionary is not shared.
  let amount: AmountColumn.Builder.Rows
}

/// A count per customer, each bucket's cores adding to its own customers' entries.
private struct ScatterTarget: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Int>
  init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}

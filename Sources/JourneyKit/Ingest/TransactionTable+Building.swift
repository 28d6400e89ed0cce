/// Rows of one parsed part, in file order, as the reader hands them to the sort.
final class RowBlock: @unchecked Sendable {
  /// Customer numbers; overwritten in place by each row's destination during the sort.
  var customer: [Int32]
  var day: OwnedColumn<Int32>
  var amount: OwnedColumn<Double>
  var event: OwnedColumn<UInt8>

  init(customer: [Int32], day: OwnedColumn<Int32>, amount: OwnedColumn<Double>, event: OwnedColumn<UInt8>) {
    self.customer = customer
    self.day = day
    self.amount = amount
    self.event = event
  }
}

extension TransactionTable {
  /// Sorts rows by customer then day and merges same-day purchases.
  ///
  /// A counting sort by customer (one histogram pass, one scatter per column), which
  /// keeps file order within a customer; exports sorted by date therefore come out
  /// sorted by day already, and only customers whose rows are out of order get a
  /// (stable) sort of their own rows. Same-day purchases of a customer fold into the
  /// first of them, amounts summed; leads and refunds are kept as they are.
  ///
  /// - Returns: the table without ids (`customerIDs` left empty strings) and the number of merged rows.
  /// - Complexity: O(rows + customers); the blocks' columns are released (and their pages
  ///   returned) as they are consumed, so peak memory is the blocks and the widest new column.
  static func assemble(
    blocks: [RowBlock], customerCount: Int, customerIDs: [String], mergeSameDay: Bool
  ) -> (table: TransactionTable, merged: Int) {
    let rowCount = blocks.reduce(0) { $0 + $1.customer.count }
    precondition(rowCount < Int(Int32.max), "more than 2^31 rows")
    // The parse's temporaries (grown columns, id positions) are free by now, but still resident.
    returnFreedMemory()

    // Histogram and row offsets per customer.
    var rowStart = [Int](repeating: 0, count: customerCount + 1)
    rowStart.withUnsafeMutableBufferPointer { start in
      for block in blocks {
        block.customer.withUnsafeBufferPointer { customers in
          for c in customers { start[Int(c) + 1] += 1 }
        }
      }
      for c in 0..<customerCount { start[c + 1] += start[c] }
    }

    // Each row's destination, written over its customer number.
    var cursor = rowStart.map { Int32(truncatingIfNeeded: $0) }
    cursor.withUnsafeMutableBufferPointer { next in
      for block in blocks {
        block.customer.withUnsafeMutableBufferPointer { rows in
          for r in rows.indices {
            let c = Int(rows[r])
            rows[r] = next[c]
            next[c] += 1
          }
        }
      }
    }
    cursor = []

    // Scatter the columns one after another, the widest first, handing each consumed column's
    // pages back before the next: a scatter writes all over its output, so all of it is resident
    // while the blocks are still held. In parallel the three outputs (130 MB on 10M rows) sat
    // beside all the blocks; with the trims `inspect` peaks at 383-403 MB instead of 446-486 MB.
    var amount = scatter(blocks, rowCount, \.amount) { $0 }
    returnFreedMemory()
    var day = scatter(blocks, rowCount, \.day) { $0 }
    returnFreedMemory()
    var event = scatter(blocks, rowCount, \.event) { TransactionEvent(rawValue: $0).unsafelyUnwrapped }
    returnFreedMemory()
    for block in blocks { block.customer = [] }

    sortDaysWithinCustomers(rowStart: rowStart, day: &day, amount: &amount, event: &event)
    let merged = compact(rowStart: &rowStart, day: &day, amount: &amount, event: &event, mergeSameDay: mergeSameDay)
    let table = TransactionTable(
      customerIDs: customerIDs, day: day, amount: amount, event: event, rowStart: rowStart)
    return (table, merged)
  }

  private static func scatter<T, U>(
    _ blocks: [RowBlock], _ count: Int, _ column: ReferenceWritableKeyPath<RowBlock, OwnedColumn<T>>,
    _ convert: (T) -> U
  ) -> [U] {
    [U](unsafeUninitializedCapacity: count) { out, initialized in
      for block in blocks {
        block.customer.withUnsafeBufferPointer { destination in
          let values = block[keyPath: column].pointer
          for r in destination.indices { (out.baseAddress! + Int(destination[r])).initialize(to: convert(values[r])) }
        }
        block[keyPath: column] = OwnedColumn()
      }
      initialized = count
    }
  }

  /// Puts each customer's rows in day order (stable), where they are not already.
  private static func sortDaysWithinCustomers(
    rowStart: [Int], day: inout [Int32], amount: inout [Double], event: inout [TransactionEvent]
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
      let a = order.map { amount[$0] }
      let e = order.map { event[$0] }
      for k in 0..<order.count {
        day[lo + k] = d[k]
        amount[lo + k] = a[k]
        event[lo + k] = e[k]
      }
    }
  }

  /// When asked, folds each purchase into an earlier purchase of the same customer on the same
  /// day, moving the rows after it down; returns how many were folded.
  private static func compact(
    rowStart: inout [Int], day: inout [Int32], amount: inout [Double],
    event: inout [TransactionEvent], mergeSameDay: Bool
  ) -> Int {
    let customerCount = rowStart.count - 1
    let rowCount = day.count
    var write = 0
    day.withUnsafeMutableBufferPointer { day in
      amount.withUnsafeMutableBufferPointer { amount in
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
                    amount[purchaseSlot] += amount[r]
                    continue
                  }
                  purchaseSlot = write
                  purchaseDay = day[r]
                }
                if write != r {
                  day[write] = day[r]
                  amount[write] = amount[r]
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

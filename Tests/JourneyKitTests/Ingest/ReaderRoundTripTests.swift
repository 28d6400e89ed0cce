import Foundation
@testable import JourneyKit
import Testing

/// Generated histories read back: the reader must recover the generator's exact counts.
@Suite("TransactionReader round trips")
struct ReaderRoundTripTests {
  static func history(customers: Int, seed: UInt64) throws -> SyntheticHistory {
    var p = GeneratorParameters()
    p.customers = customers
    p.seed = seed
    return try SyntheticHistoryGenerator.generate(p)
  }

  static func options(blockBytes: Int = 32 << 20, threads: Int = 2) -> ReaderOptions {
    var o = ReaderOptions()
    o.latestDay = CalendarDay(year: 2030, month: 1, day: 1)!
    o.blockBytes = blockBytes
    o.maxRowBytes = 1024
    o.threads = threads
    o.minimumPartBytes = 4_096
    return o
  }

  @Test(arguments: [(2_000, UInt64(1)), (5_000, UInt64(2)), (30_000, UInt64(3))])
  func countsMatchTheTruth(customers: Int, seed: UInt64) throws {
    let h = try Self.history(customers: customers, seed: seed)
    let t = h.truth.counts
    let result = try TransactionReader(options: Self.options()).read(bytes: h.csvBytes(), name: "gen.csv")
    #expect(result.summary.rowsRead == t.rows, "seed \(seed)")
    #expect(result.table.customerCount == t.customers, "seed \(seed)")
    let occasions = result.table.event.filter { $0 == .purchase }.count
    #expect(occasions == t.purchaseOccasions, "seed \(seed)")
    #expect(result.summary.rowsMerged == t.purchaseRows - t.purchaseOccasions, "seed \(seed)")
    #expect(result.summary.rowsRejected == 0)
    #expect(result.table.event.filter { $0 == .refund }.count == t.refundRows)
    let revenue = zip(result.table.event, result.table.amount).filter { $0.0 == .purchase }.map(\.1).reduce(0, +)
    #expect(abs(revenue - t.revenue) < 1e-6 * max(1, t.revenue))
    try checkInvariants(result.table)
  }

  /// Small blocks force rows to straddle block ends and parts to be split and re-checked.
  /// The reader holds rows by customer range (65,536 customers a bucket, 32,768 rows a chunk)
  /// and amounts as whole cents where that is exact. 70,000 customers span two buckets, the first
  /// of them over two chunks; amounts that are not whole cents, or too large for 32-bit cents,
  /// must come back bit for bit. The reference is the table built from the same records by a
  /// plain sort (`TransactionTable(records:)`), which shares none of the reader's sorting.
  @Test func rowsAcrossBucketsAndChunksComeBackExactly() throws {
    let odd: [Double] = [0.001, 19.999, 1e-7, 123_456_789.12, 21_474_836.47, 21_474_836.48, 1.0 / 3.0, 999_999_999_999.99]
    var records: [TransactionRecord] = []
    var text = "customer_id,date,amount\n"
    let start = CalendarDay(year: 2024, month: 1, day: 1)!.dayNumber
    for k in 0..<90_000 {
      // Customers 0 ..< 70,000 first, in order; then 20,000 second rows, out of day order for some.
      let c = k < 70_000 ? k : (k * 7_919) % 70_000
      let day = CalendarDay(dayNumber: start + Int32(k < 70_000 ? 100 + k % 50 : k % 90))
      let amount = k % 1_000 == 0 ? odd[(k / 1_000) % odd.count] : Double((k * 37) % 100_000) / 100
      records.append(TransactionRecord("c\(c)", day, amount))
      text += "c\(c),\(day),\(amount)\n"
    }
    let read = try TransactionReader(options: Self.options(blockBytes: 1 << 20)).read(text: text, name: "buckets.csv").table
    let reference = TransactionTable(records: records)
    #expect(read.customerIDs == reference.customerIDs)
    #expect(read.rowStart == reference.rowStart)
    #expect(read.day == reference.day)
    #expect(read.amount.map(\.bitPattern) == reference.amount.map(\.bitPattern))
    #expect(read.event == reference.event)
  }

  /// Same-day purchases are merged into one amount, and a sum of whole cents need not be whole
  /// cents (0.1 + 0.2); out-of-order rows are sorted with their amounts, held as cents or not.
  /// With `mostlyOdd`, most amounts have three decimals and the reader keeps every value as it is.
  @Test(arguments: [false, true])
  func mergedAndSortedAmountsComeBackExactly(mostlyOdd: Bool) throws {
    var records: [TransactionRecord] = []
    var text = "customer_id,date,amount\n"
    let start = CalendarDay(year: 2024, month: 1, day: 1)!.dayNumber
    // One in eight is not whole cents (1/3): the column stays in cents, that one kept beside it.
    let parts: [Double] = [0.1, 0.2, 1.0 / 3.0, 19.99, 0.01, 21_474_836.46, 5, 7.5]
    for k in 0..<6_000 {
      let c = k % 1_500
      // Days fall back and forth for each customer, and repeat: merges and sorts.
      let day = CalendarDay(dayNumber: start + Int32((k / 1_500) % 2 == 0 ? 30 - k % 4 : 10 + k % 3))
      let amount = mostlyOdd ? Double(k % 977) / 1_000 + 0.0005 : parts[k % parts.count]
      records.append(TransactionRecord("c\(c)", day, amount))
      text += "c\(c),\(day),\(amount)\n"
    }
    let read = try TransactionReader(options: Self.options(blockBytes: 4_096)).read(text: text, name: "merged.csv")
    let reference = TransactionTable(records: records)
    #expect(read.summary.rowsMerged > 0)
    #expect(read.table.rowStart == reference.rowStart)
    #expect(read.table.day == reference.day)
    #expect(read.table.amount.map(\.bitPattern) == reference.amount.map(\.bitPattern))
    #expect(read.table.amount.byteCount == (mostlyOdd ? 8 : 4) * read.table.rowCount
      + (mostlyOdd ? 0 : 12 * read.table.amount.filter { AmountColumn.cents($0) == nil }.count))
  }

  @Test(arguments: [4_096, 70_001, 300_000])
  func smallBlocksGiveTheSameTable(blockBytes: Int) throws {
    let h = try Self.history(customers: 3_000, seed: 9)
    let bytes = h.csvBytes()
    let reference = try TransactionReader(options: Self.options(threads: 1)).read(bytes: bytes, name: "a.csv")
    let blocked = try TransactionReader(options: Self.options(blockBytes: blockBytes, threads: 2)).read(bytes: bytes, name: "a.csv")
    #expect(blocked.table.customerIDs == reference.table.customerIDs)
    #expect(blocked.table.day == reference.table.day)
    #expect(blocked.table.amount == reference.table.amount)
    #expect(blocked.table.event == reference.table.event)
    #expect(blocked.table.rowStart == reference.table.rowStart)
    #expect(blocked.summary == reference.summary)
  }

  @Test func keepSameDayKeepsEveryRow() throws {
    let h = try Self.history(customers: 2_000, seed: 4)
    var o = Self.options()
    o.keepSameDay = true
    let result = try TransactionReader(options: o).read(bytes: h.csvBytes(), name: "gen.csv")
    #expect(result.table.rowCount == h.truth.counts.rows)
    #expect(result.summary.rowsMerged == 0)
    #expect(result.table.event.filter { $0 == .purchase }.count == h.truth.counts.purchaseRows)
    try checkInvariants(result.table)
  }

  /// Sorted by customer then day; rowStart consistent (rising, every row owned once); ids distinct.
  func checkInvariants(_ table: TransactionTable) throws {
    #expect(table.rowStart.first == 0 && table.rowStart.last == table.rowCount)
    for c in 0..<table.customerCount {
      let rows = table.rows(of: c)
      #expect(!rows.isEmpty)
      for r in rows {
        if r > rows.lowerBound && table.day[r] < table.day[r - 1] { Issue.record("customer \(c) out of day order") }
      }
    }
    #expect(Set(table.customerIDs).count == table.customerCount)
  }
}

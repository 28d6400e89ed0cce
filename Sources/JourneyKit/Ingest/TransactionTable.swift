/// A transaction history in columns, sorted by customer and then by day.
///
/// This is what ingest produces and every later stage reads. Rows of one
/// customer are contiguous: customer `c` owns rows `rowStart[c] ..< rowStart[c + 1]`,
/// in day order. Customer ids are interned to dense numbers `0 ..< customerCount`
/// (`customerIDs[c]` is the original text). Same-day purchases of a customer are
/// merged into one purchase occasion unless ingest was told to keep them.
public struct TransactionTable: Sendable {
  /// The original id of each customer number.
  public var customerIDs: [String]
  /// Per row: days since 1970-01-01 (see `CalendarDay`).
  public var day: [Int32]
  /// Per row: the amount (negative for refunds, 0 for leads), held as whole cents where that is
  /// exact (`AmountColumn`).
  public var amount: AmountColumn
  /// Per row: purchase, lead or refund.
  public var event: [TransactionEvent]
  /// Row offsets per customer, `customerCount + 1` entries.
  public var rowStart: [Int]
  /// Categorical columns kept per customer (for `--split-by`), by column name as given in the header.
  public var attributes: [String: CustomerAttribute]

  /// A table from its columns; the rows must already be grouped by customer as `rowStart` says.
  /// (There is no per-row customer column: `rowStart` says whose each row is, and a column of 4
  /// bytes a row would be 40 MB of every 10M-row run's peak.)
  public init(
    customerIDs: [String], day: [Int32], amount: [Double], event: [TransactionEvent],
    rowStart: [Int], attributes: [String: CustomerAttribute] = [:]
  ) {
    self.init(customerIDs: customerIDs, day: day, amount: AmountColumn(amount), event: event, rowStart: rowStart, attributes: attributes)
  }

  /// A table from its columns, the amounts already in their column.
  init(
    customerIDs: [String], day: [Int32], amount: AmountColumn, event: [TransactionEvent],
    rowStart: [Int], attributes: [String: CustomerAttribute] = [:]
  ) {
    precondition(day.count == amount.count && amount.count == event.count, "columns differ in length")
    precondition(rowStart.count == customerIDs.count + 1, "rowStart needs customerCount + 1 entries")
    precondition(rowStart.first == 0 && rowStart.last == day.count, "rowStart must run from 0 to the row count")
    self.customerIDs = customerIDs
    self.day = day
    self.amount = amount
    self.event = event
    self.rowStart = rowStart
    self.attributes = attributes
  }

  /// Rows in the table.
  public var rowCount: Int { day.count }
  /// Distinct customers in the table.
  public var customerCount: Int { customerIDs.count }

  /// The rows of customer `c`.
  public func rows(of c: Int) -> Range<Int> { rowStart[c]..<rowStart[c + 1] }

  /// First and last day with any row, or nil for an empty table.
  public var dayRange: ClosedRange<CalendarDay>? {
    guard let lo = day.min(), let hi = day.max() else { return nil }
    return CalendarDay(dayNumber: lo)...CalendarDay(dayNumber: hi)
  }
}

/// A categorical column reduced to one value per customer: the value on the
/// customer's first row by date (an acquisition channel, a region).
public struct CustomerAttribute: Sendable, Equatable {
  /// Distinct values in order of first appearance.
  public var levels: [String]
  /// Per customer: an index into `levels`.
  public var levelOfCustomer: [Int32]

  /// A column from its levels and each customer's level index.
  public init(levels: [String], levelOfCustomer: [Int32]) {
    self.levels = levels
    self.levelOfCustomer = levelOfCustomer
  }
}

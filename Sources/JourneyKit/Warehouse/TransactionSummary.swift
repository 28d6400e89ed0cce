import Foundation

/// The summary of a transaction history that a fit needs, in the format a warehouse returns:
/// `journey-summary/1`.
///
/// A fit reads, per customer, the days of its purchase occasions with their spend, its leads and
/// refunds, and one categorical value (for `--split-by`). The activity model needs each bought
/// customer's distinct purchase days and spend, which is also everything the chain's states are
/// built from, so the summary is exactly that: the history reduced to one row per purchase
/// occasion (same-day purchases merged, amounts summed), lead and refund, grouped by customer.
/// From it every state space, every period length and `--states auto` give the same model, to the
/// last digit, as the raw rows (when customers come in the same order, see below): cut points and
/// counts are computed from it exactly as from the raw rows.
///
/// The format is CSV (RFC 4180) with this header, which identifies version 1:
/// ```
/// customer_id,date,amount,event[,SPLIT]
/// C0000001,2024-03-01,19.9,purchase,web
/// C0000001,2024-03-09,-5,refund,
/// C0000002,2024-03-01,0,lead,shop
/// ```
/// - `customer_id`: the id as ingest trims it; a customer's rows are contiguous.
/// - `date`: ISO `YYYY-MM-DD`; a customer's rows ascend by date.
/// - `amount`: the spend of the occasion (summed over the day's purchases); a refund is negative;
///   a lead carries 0. Numbers are written so that they read back to the same binary value.
/// - `event`: `purchase` (at most one per customer and day), `lead` or `refund`.
/// - `SPLIT` (optional, named after the `--split-by` column): the customer's value, on its first
///   row only (ingest keeps the value on a customer's first row by date).
///
/// Customers come in the order of the history they summarise: `write` keeps the table's order
/// (first appearance in the file), the warehouse queries (`PushdownQuery`) order them by first
/// day, then id. Order matters only to the last digit of floating sums and to which customers a
/// cut-point sample takes beyond 4 million customer-periods; a file sorted by date, then customer,
/// has the same order as the warehouse's.
///
/// Reading a summary is reading a transaction file: every check of ingest applies (dates, amounts,
/// events, ids), so a warehouse row that ingest would reject is rejected with its line.
public enum TransactionSummary {
  /// The format's name and version.
  public static let format = "journey-summary/1"
  /// The fixed leading columns of the header.
  public static let columns = ["customer_id", "date", "amount", "event"]

  /// The summary of `table` as CSV text.
  ///
  /// - Parameter splitBy: a categorical column of the table to carry (the `--split-by` column).
  /// - Complexity: O(rows).
  public static func csv(_ table: TransactionTable, splitBy: String? = nil) -> String {
    let split = splitBy.flatMap { name in table.attributes[name].map { (name, $0) } }
    var out = (columns + (split.map { [$0.0] } ?? [])).map(quoted).joined(separator: ",") + "\n"
    out.reserveCapacity(table.rowCount * 28)
    for c in 0..<table.customerCount {
      let id = quoted(table.customerIDs[c])
      for r in table.rows(of: c) {
        out += id
        out += ","
        out += CalendarDay(dayNumber: table.day[r]).description
        out += ","
        out += amountText(table.amount[r])
        out += ","
        out += table.event[r].name
        if let (_, attribute) = split {
          out += ","
          if r == table.rowStart[c] { out += quoted(attribute.levels[Int(attribute.levelOfCustomer[c])]) }
        }
        out += "\n"
      }
    }
    return out
  }

  /// Reads a summary: checks that the header is `journey-summary/1`'s, then reads it as ingest
  /// reads a transaction file.
  ///
  /// - Parameters:
  ///   - splitBy: the `--split-by` column, which must be the summary's fifth column.
  ///   - options: how bad rows are treated (`onError`, `rejectsPath`); the column names and the
  ///     format are the summary's own.
  /// - Throws: `SummaryFormatError` for a file that is not a summary; `InputFailure` for bad rows.
  public static func read(path: String, splitBy: String? = nil, options: ReaderOptions = ReaderOptions()) throws -> IngestResult {
    try read(path: path, name: path, splitBy: splitBy, options: options)
  }

  /// The same, with `name` in messages and in the result instead of the path (a live source's
  /// summary spooled to a temporary file is named after its table).
  public static func read(path: String, name: String, splitBy: String? = nil, options: ReaderOptions = ReaderOptions()) throws -> IngestResult {
    try check(header: try firstLine(path: path), name: name, splitBy: splitBy)
    return try TransactionReader(options: readerOptions(options, splitBy: splitBy)).read(path: path, name: name)
  }

  /// - Throws: `SummaryFormatError` unless `header` is a `journey-summary/1` header with the split column.
  private static func check(header: String, name path: String, splitBy: String?) throws(SummaryFormatError) {
    let names = Array(header.utf8).withUnsafeBufferPointer { CSVHeader.fields($0, delimiter: UInt8(ascii: ",")) }.map(\.name)
    guard names.count >= 4, Array(names.prefix(4)) == columns, names.count <= 5 else {
      throw SummaryFormatError.unexpectedHeader(path: path, found: header)
    }
    if let splitBy, names.count < 5 || names[4] != splitBy {
      throw SummaryFormatError.missingSplit(path: path, column: splitBy, found: names.count == 5 ? names[4] : nil)
    }
  }

  /// `options` with the summary's own columns and format.
  private static func readerOptions(_ options: ReaderOptions, splitBy: String?) -> ReaderOptions {
    var o = options
    o.customerColumn = columns[0]
    o.dateColumn = columns[1]
    o.amountColumn = columns[2]
    o.eventColumn = columns[3]
    o.delimiter = UInt8(ascii: ",")
    o.dateFormat = .iso
    o.decimalComma = false
    o.keepSameDay = false
    o.attributeColumns = splitBy.map { [$0] } ?? []
    return o
  }

  /// Reads a summary held in memory (rows a live source fetched); `name` is used in messages.
  public static func read(bytes: [UInt8], name: String, splitBy: String? = nil, options: ReaderOptions = ReaderOptions()) throws -> IngestResult {
    let header = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
    try check(header: header, name: name, splitBy: splitBy)
    return try TransactionReader(options: readerOptions(options, splitBy: splitBy)).read(bytes: bytes, name: name)
  }

  /// Shortest text that reads back to the same `Double` (Swift's description, e.g. `19.9`, `1e-05`).
  public static func amountText(_ value: Double) -> String {
    if value == 0 { return value.sign == .minus ? "-0" : "0" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
  }

  /// A field quoted when it must be (RFC 4180). Unlike report CSVs, no spreadsheet formula
  /// guard: ids must read back exactly.
  public static func quoted(_ field: String) -> String {
    guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// The first line of a file (at most 64 KiB), without its line end.
  private static func firstLine(path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw InputFailure(.cannotOpen(path: path, reason: String(cString: strerror(errno))))
    }
    defer { try? handle.close() }
    let bytes = (try? handle.read(upToCount: 1 << 16)) ?? Data()
    var line = bytes.prefix { $0 != 0x0A }
    if line.last == 0x0D { line = line.dropLast() }
    if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
    return String(decoding: line, as: UTF8.self)
  }
}

/// A file given as a summary that is not one (exit 65).
public enum SummaryFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The first line is not `customer_id,date,amount,event[,SPLIT]`.
  case unexpectedHeader(path: String, found: String)
  /// `--split-by` names a column the summary does not carry.
  case missingSplit(path: String, column: String, found: String?)

  /// The message for the user: which file, what is wrong and what to do.
  public var description: String {
    switch self {
    case let .unexpectedHeader(path, found):
      let shown = found.count > 120 ? String(found.prefix(120)) + "..." : found
      return "\(path):1: not a Journey summary (\(TransactionSummary.format)): the header is '\(shown)', expected "
        + "'customer_id,date,amount,event' and at most one split column; a summary is what `journey sql` "
        + "computes in a warehouse (with the query's column names as the header)"
    case let .missingSplit(path, column, found):
      return "\(path):1: the summary has no column '\(column)' to split by"
        + (found.map { " (its split column is '\($0)')" } ?? " (it has no split column)")
        + "; compute it again with `journey sql --split-by \(column)`"
    }
  }
}

import Foundation

/// How `TransactionReader` reads a file: column names, format details and what to do with bad rows.
///
/// The defaults read what `journey generate` writes and what most exports look like:
/// ```
/// customer_id,date,amount,event
/// C0000001,2024-03-01,19.90,purchase
/// ```
public struct ReaderOptions: Sendable {
  /// The header name of the customer id column (matched case-insensitively).
  public var customerColumn = "customer_id"
  /// The header name of the date column.
  public var dateColumn = "date"
  /// The header name of the amount column.
  public var amountColumn = "amount"
  /// The header name of a quantity column, for order-line exports: each row's amount is then its
  /// quantity times the amount column's value (a unit price). Nil when the amount column is the
  /// row's amount.
  public var quantityColumn: String? = nil
  /// The header name of the event column; nil reads `event` if the header has it and
  /// treats every row as a purchase (or a refund, when negative) otherwise.
  public var eventColumn: String? = nil
  /// Extra categorical columns kept per customer (the value on the customer's first row by date),
  /// into `TransactionTable.attributes`.
  public var attributeColumns: [String] = []
  /// The field delimiter; nil detects comma, semicolon or tab from the header, or runs of spaces
  /// when the header has none of them; `ReaderOptions.whitespace` for runs of spaces and tabs.
  public var delimiter: UInt8? = nil
  /// The `delimiter` for columns separated by runs of spaces and tabs (a space).
  public static let whitespace = UInt8(ascii: " ")
  /// How dates are written.
  public var dateFormat: DateFormat = .iso
  /// Amounts use a decimal comma (`12,50`).
  public var decimalComma = false
  /// Fail on the first problems, or skip bad rows.
  public var onError: ErrorPolicy = .fail
  /// With `.fail`, how many problems to collect before stopping.
  public var maxProblems = 20
  /// Where to write rejected rows verbatim with their reason (with `.skip`); nil writes nothing.
  public var rejectsPath: String? = nil
  /// Keep same-day purchases of a customer as separate rows instead of merging them into one occasion.
  public var keepSameDay = false
  /// Dates before this day are rejected as typing errors.
  public var earliestDay = CalendarDay(year: 1900, month: 1, day: 1)!
  /// Dates after this day are rejected as typing errors; by default a year after today.
  public var latestDay: CalendarDay = ReaderOptions.today().adding(days: 366)
  /// Rows longer than this many bytes are rejected (an unmatched quote can swallow a whole file).
  public var maxRowBytes = 1 << 20
  /// Customer ids longer than this many bytes are rejected.
  public var maxCustomerIDBytes = 1024
  /// Bytes read from a stream (standard input, a pipe) before reading stops with an error.
  public var maxStreamBytes = Limits.standardInputBytes
  /// Rows read before reading stops with `InputError.tooLarge` (`Limits.rows`).
  public var maxRows = Limits.rows
  /// Distinct customers read before reading stops with `InputError.tooLarge` (`Limits.customers`).
  public var maxCustomers = Limits.customers
  /// Bytes of distinct customer ids read before reading stops with `InputError.tooLarge`.
  public var maxCustomerIDText = Limits.customerIDText
  /// Bytes read per block. Memory for the raw text stays at about twice this size whatever the
  /// file size. (16 MB blocks parsed no faster on 10M rows, and their parsed rows in flight
  /// raised the read's peak by 60 MB.)
  public var blockBytes = 4 << 20
  /// Threads that parse a block in parallel.
  public var threads = ProcessInfo.processInfo.activeProcessorCount
  /// Stretches of a block smaller than this are not split into parts (tests lower it to force cuts).
  var minimumPartBytes = 1 << 16

  /// The defaults: `customer_id,date,amount[,event]`, the delimiter detected, ISO dates, and
  /// failing on bad rows after reporting up to 20 of them.
  public init() {}

  /// Today in UTC.
  public static func today() -> CalendarDay {
    CalendarDay(dayNumber: Int32((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
  }
}

/// What the reader does with a bad row.
public enum ErrorPolicy: String, Sendable, CaseIterable, Codable {
  /// Collect up to `maxProblems` problems, then fail with all of them.
  case fail
  /// Skip bad rows, count them by reason, and write them to the rejects file if one is given.
  case skip
}

/// A date layout: ISO 8601 or a strftime-style pattern.
///
/// ISO accepts `YYYY-MM-DD` and ISO date-times (`2024-03-01T14:30:00+01:00`,
/// `2024-03-01 14:30`). The time and any time zone are ignored: the day is the
/// date as written, in the time zone of the export.
///
/// Patterns support `%Y` (4-digit year), `%y` (2-digit year, 69-99 -> 19xx,
/// 00-68 -> 20xx), `%m` and `%d` (1 or 2 digits), `%b` and `%B` (English month
/// names, any case), `%H`, `%M`, `%S` (read and ignored), `%%`, and literal text.
/// A time after the pattern, following a space or `T`, is ignored as well.
///
/// ```swift
/// try DateFormat(pattern: "%d.%m.%Y")   // reads 01.03.2024
/// try DateFormat(pattern: "%Q")         // throws: %Q is not supported
/// ```
public struct DateFormat: Sendable, Equatable, CustomStringConvertible {
  enum Token: Equatable, Sendable {
    case year4, year2, month, day, monthName, ignoredNumber
    case literal(UInt8)
  }

  /// The pattern as given (`YYYY-MM-DD` for ISO).
  public let pattern: String
  let tokens: [Token]?

  /// ISO 8601 dates and date-times.
  public static let iso = DateFormat(pattern: "YYYY-MM-DD", tokens: nil)

  private init(pattern: String, tokens: [Token]?) {
    self.pattern = pattern
    self.tokens = tokens
  }

  /// A strftime-style pattern such as `%d.%m.%Y`.
  ///
  /// - Throws: `DateFormatError` for an unknown directive or a pattern without year, month and day.
  public init(pattern: String) throws(DateFormatError) {
    if ["iso", "YYYY-MM-DD", "%Y-%m-%d"].contains(pattern) {
      self = .iso
      return
    }
    var tokens: [Token] = []
    let bytes = Array(pattern.utf8)
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "%") {
        guard i + 1 < bytes.count else { throw .init(pattern: pattern, reason: "it ends with a lone %") }
        switch bytes[i + 1] {
        case UInt8(ascii: "Y"): tokens.append(.year4)
        case UInt8(ascii: "y"): tokens.append(.year2)
        case UInt8(ascii: "m"): tokens.append(.month)
        case UInt8(ascii: "d"), UInt8(ascii: "e"): tokens.append(.day)
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"): tokens.append(.monthName)
        case UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S"), UInt8(ascii: "I"): tokens.append(.ignoredNumber)
        case UInt8(ascii: "%"): tokens.append(.literal(UInt8(ascii: "%")))
        default:
          throw .init(
            pattern: pattern,
            reason: "%\(Character(Unicode.Scalar(bytes[i + 1]))) is not supported (use %Y %y %m %d %b %B %H %M %S %%)")
        }
        i += 2
      } else {
        tokens.append(.literal(bytes[i]))
        i += 1
      }
    }
    let hasYear = tokens.contains(.year4) || tokens.contains(.year2)
    let hasMonth = tokens.contains(.month) || tokens.contains(.monthName)
    guard hasYear, hasMonth, tokens.contains(.day) else {
      throw .init(pattern: pattern, reason: "it needs a year (%Y or %y), a month (%m or %b) and a day (%d)")
    }
    self.init(pattern: pattern, tokens: tokens)
  }

  /// The pattern as given (`%d.%m.%Y`).
  public var description: String { pattern }
}

/// A `--date-format` pattern that cannot be used.
public struct DateFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The pattern as given.
  public var pattern: String
  /// What is wrong with it.
  public var reason: String

  /// The message for the user: the pattern, what is wrong and an example.
  public var description: String {
    "--date-format: '\(pattern)' is not a usable pattern: \(reason); e.g. %d.%m.%Y or %m/%d/%Y"
  }
}

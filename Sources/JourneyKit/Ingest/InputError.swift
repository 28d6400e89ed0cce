import Foundation

/// A place in an input file: `file:line:column`, all 1-based.
///
/// `column` counts characters (Unicode scalars), not bytes, so that it matches
/// what an editor shows for UTF-8 text.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  /// The file as the user named it (`<stdin>` for standard input).
  public var file: String
  /// The line, 1-based.
  public var line: Int
  /// The column in characters, 1-based.
  public var column: Int

  /// The place `file:line:column`.
  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `transactions.csv:17:12`.
  public var description: String { "\(file):\(line):\(column)" }
}

/// Bad input data: what was found where, what was expected, and what to try.
///
/// Every case renders as
/// ```
/// file:line:column: <what> '<value>' — expected <what>
///   hint: <what to try>
/// ```
/// The hint line appears when there is something useful to try.
public enum InputError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The file could not be opened (missing, unreadable, a directory).
  case cannotOpen(path: String, reason: String)
  /// Reading failed part-way.
  case cannotRead(path: String, reason: String)
  /// The rejects file could not be written.
  case cannotWriteRejects(path: String, reason: String)
  /// Nothing at all, not even a header.
  case emptyFile(SourceLocation)
  /// A header, but no data rows after it.
  case headerOnly(SourceLocation)
  /// Rows were read, but every one was rejected (with `--on-error skip`).
  case noValidRows(SourceLocation, rejected: Int)
  /// A UTF-16 or UTF-32 byte order mark: the file is not UTF-8.
  case wrongEncoding(SourceLocation, encoding: String)
  /// A compressed file, an archive or a binary table format, known by its first bytes.
  case binaryFile(SourceLocation, format: BinaryFormat)
  /// A needed column is not in the header; `suggestion` is the closest header name. `quantity`:
  /// the amount is missing, and the header looks like order lines, with this quantity column.
  case missingColumn(SourceLocation, column: String, header: [String], suggestion: String?, flag: String, quantity: String? = nil)
  /// A needed column name appears more than once; `fields` are 1-based field numbers.
  case duplicateColumn(SourceLocation, column: String, fields: [Int], flag: String)
  /// A row with a different number of fields than the header.
  case wrongFieldCount(SourceLocation, row: String, found: Int, expected: Int, delimiter: String)
  /// A date that does not match the expected format; `suggestion` is a `--date-format` that would read it.
  case invalidDate(SourceLocation, value: String, format: String, suggestion: String?)
  /// A date in the right format that names no real day (`2024-02-30`, month 13).
  case impossibleDate(SourceLocation, value: String, reason: String)
  /// A real date outside the plausible range (far in the future, or before `earliest`).
  case dateOutOfRange(SourceLocation, value: String, earliest: CalendarDay, latest: CalendarDay)
  /// An amount that is not a number.
  case invalidAmount(SourceLocation, value: String, decimalComma: Bool)
  /// A quantity (with `ReaderOptions.quantityColumn`) that is not a finite number.
  case invalidQuantity(SourceLocation, value: String, decimalComma: Bool)
  /// An amount that is NaN or infinite (or overflows to infinity).
  case nonFiniteAmount(SourceLocation, value: String)
  /// An amount beyond ±`limit`: sums of such amounts would overflow to infinity (`Limits.amount`).
  case amountTooLarge(SourceLocation, value: String, limit: Double)
  /// A lead row with a non-zero amount.
  case amountOnLead(SourceLocation, value: String)
  /// An `event` value other than purchase, lead or refund.
  case unknownEvent(SourceLocation, value: String, suggestion: String?)
  /// An empty customer id.
  case emptyCustomerID(SourceLocation)
  /// A customer id longer than `limit` bytes.
  case customerIDTooLong(SourceLocation, value: String, bytes: Int, limit: Int)
  /// A byte sequence that is not UTF-8.
  case invalidUTF8(SourceLocation, byte: UInt8)
  /// A NUL byte (binary data, or UTF-16 without a byte order mark).
  case nulByte(SourceLocation)
  /// A row longer than `limit` bytes (often an unmatched quote joining many lines).
  case lineTooLong(SourceLocation, limit: Int)
  /// A quoted field still open at the end of the file.
  case unclosedQuote(SourceLocation)
  /// Text between a closing quote and the next delimiter.
  case textAfterQuote(SourceLocation, value: String)
  /// The file holds more than a documented limit allows (`Limits.rows`, `Limits.customers`,
  /// `Limits.customerIDText`); `what` names the quantity, e.g. "rows".
  case tooLarge(path: String, what: String, limit: Int)

  /// Where the problem is, when it is inside the data.
  public var location: SourceLocation? {
    switch self {
    case .cannotOpen, .cannotRead, .cannotWriteRejects, .tooLarge: nil
    case let .emptyFile(l), let .headerOnly(l), let .noValidRows(l, _), let .wrongEncoding(l, _), let .binaryFile(l, _),
      let .missingColumn(l, _, _, _, _, _), let .duplicateColumn(l, _, _, _), let .wrongFieldCount(l, _, _, _, _),
      let .invalidDate(l, _, _, _), let .impossibleDate(l, _, _), let .dateOutOfRange(l, _, _, _),
      let .invalidAmount(l, _, _), let .invalidQuantity(l, _, _), let .nonFiniteAmount(l, _), let .amountTooLarge(l, _, _), let .amountOnLead(l, _), let .unknownEvent(l, _, _),
      let .emptyCustomerID(l), let .customerIDTooLong(l, _, _, _), let .invalidUTF8(l, _), let .nulByte(l),
      let .lineTooLong(l, _), let .unclosedQuote(l), let .textAfterQuote(l, _):
      l
    }
  }

  /// The short reason a row was rejected, for counts in `--on-error skip` summaries.
  public var reason: RejectReason {
    switch self {
    case .cannotOpen, .cannotRead, .cannotWriteRejects, .tooLarge, .emptyFile, .headerOnly, .noValidRows, .wrongEncoding, .binaryFile,
      .missingColumn, .duplicateColumn:
      .fileStructure
    case .wrongFieldCount: .wrongFieldCount
    case .invalidDate: .invalidDate
    case .impossibleDate: .impossibleDate
    case .dateOutOfRange: .dateOutOfRange
    case .invalidAmount: .invalidAmount
    case .invalidQuantity: .invalidQuantity
    case .nonFiniteAmount: .nonFiniteAmount
    case .amountTooLarge: .amountTooLarge
    case .amountOnLead: .amountOnLead
    case .unknownEvent: .unknownEvent
    case .emptyCustomerID: .emptyCustomerID
    case .customerIDTooLong: .customerIDTooLong
    case .invalidUTF8: .invalidUTF8
    case .nulByte: .nulByte
    case .lineTooLong: .lineTooLong
    case .unclosedQuote: .unclosedQuote
    case .textAfterQuote: .textAfterQuote
    }
  }

  /// The first line: `file:line:column: <what> — expected <what>`.
  public var message: String {
    let (what, expected, _) = parts
    let prefix = location.map { "\($0): " } ?? ""
    return "\(prefix)\(what) — expected \(expected)"
  }

  /// What to try, if there is something.
  public var hint: String? { parts.hint }

  /// The message, then the hint on its own line when there is one.
  public var description: String {
    guard let hint else { return message }
    return message + "\n  hint: " + hint
  }

  private var parts: (what: String, expected: String, hint: String?) {
    switch self {
    case let .cannotOpen(path, reason):
      return ("cannot open '\(path)': \(reason)", "a readable CSV file", "check the path; use '-' to read standard input")
    case let .cannotRead(path, reason):
      return ("cannot read '\(path)': \(reason)", "a readable CSV file", nil)
    case let .cannotWriteRejects(path, reason):
      return ("cannot write the rejects file '\(path)': \(reason)", "a writable path for --rejects", nil)
    case let .tooLarge(path, what, limit):
      return (
        "'\(path)' has more than \(Format.number(Double(limit))) \(what), the limit of one run",
        "at most \(Format.number(Double(limit))) \(what) (README, \"Validation, limits and exit codes\")",
        "split the file by customer and fit a sample of customers (every customer's rows in one part), or aggregate in the database"
      )
    case .emptyFile:
      return ("empty file", "a header row such as 'customer_id,date,amount'", nil)
    case .headerOnly:
      return ("no data rows after the header", "at least one transaction row", nil)
    case let .noValidRows(_, rejected):
      return ("all \(rejected) rows were rejected", "at least one valid transaction row", "run with --on-error fail to see the first problems")
    case let .wrongEncoding(location, encoding):
      return (
        "\(encoding) byte order mark", "UTF-8 text",
        "convert the file: iconv -f \(encoding) -t UTF-8 \(location.file) > utf8.csv"
      )
    case let .binaryFile(location, format):
      return (format.rawValue, "a CSV text file", format.hint(for: location.file))
    case let .missingColumn(_, column, header, suggestion, flag, quantity):
      var hint =
        suggestion.map { "did you mean '\($0)'? Read it with --\(flag) \(shellWord($0))" }
        ?? "name the column with --\(flag) NAME; the header has \(header.map { "'\($0)'" }.joined(separator: ", "))"
      if let quantity {
        hint += "; the rows look like order lines: with --quantity-column \(shellWord(quantity)) each amount is quantity x price"
      }
      return (
        "no column '\(column)' in header '\(shown(header.joined(separator: ",")))'", "a column named '\(column)'", hint
      )
    case let .duplicateColumn(_, column, fields, flag):
      let list = fields.map(String.init)
      let where_ = list.dropLast().joined(separator: ", ") + " and " + list.last!
      return (
        "column '\(column)' appears \(fields.count) times (fields \(where_))", "each column name once",
        "rename one of them, or pick another column with --\(flag)"
      )
    case let .wrongFieldCount(_, row, found, expected, delimiter):
      let hint =
        delimiter == "(spaces)"
        ? (found > expected
          ? "columns are separated by spaces, so a value containing spaces must be quoted, e.g. \"New York\""
          : "check for a missing value, or a line break inside an unquoted value")
        : found > expected
        ? "a value containing the delimiter \(delimiter) must be quoted, e.g. \"1\(delimiter)5\""
        : "check for a missing delimiter \(delimiter), or a line break inside an unquoted value"
      return ("row '\(shown(row))' has \(found) field\(found == 1 ? "" : "s")", "\(expected) fields, as in the header", hint)
    case let .invalidDate(_, value, format, suggestion):
      var hint =
        suggestion.map { "the dates look like \($0); read them with --date-format \(shellWord($0))" }
        ?? "give the format with --date-format, e.g. --date-format %d.%m.%Y"
      // The date part already reads in the format given: what follows it is not a time.
      if let suggestion, suggestion == format || (format == "YYYY-MM-DD" && suggestion == "%Y-%m-%d") {
        hint = "the date reads, what follows it does not: a time after the date is ignored when written as HH:MM or HH:MM:SS, with AM/PM or a zone"
      }
      // A spreadsheet's day number (days since 1899-12-30), saved where the cell was not formatted as a date.
      let whole = value.trimmingCharacters(in: .whitespaces).split(separator: ".").first.map(String.init) ?? ""
      if suggestion == nil, whole.count == 5, let serial = Int(whole), (20_000...80_000).contains(serial),
        let epoch = CalendarDay(year: 1899, month: 12, day: 30)
      {
        hint = "'\(whole)' looks like a spreadsheet's day number (\(CalendarDay(dayNumber: epoch.dayNumber + Int32(serial)))): "
          + "format the column as dates (e.g. YYYY-MM-DD) before saving the CSV"
      }
      return ("date '\(shown(value))'", "a date as \(format)", hint)
    case let .impossibleDate(_, value, reason):
      return ("date '\(shown(value))' does not exist", "a real calendar day (\(reason))", nil)
    case let .dateOutOfRange(_, value, earliest, latest):
      return (
        "date '\(shown(value))' is out of range", "a date from \(earliest) to \(latest)",
        "check the year; dates before \(earliest) or more than a year after today are taken as typing errors"
      )
    case let .invalidAmount(_, value, decimalComma):
      var hint: String? = nil
      if !decimalComma && value.contains(",") {
        hint = "for decimal commas (12,50) use --decimal-comma; remove thousands separators"
      } else if decimalComma && value.contains(".") {
        hint = "with --decimal-comma the decimal mark is ',' (12,50); remove thousands separators"
      } else if value.contains(where: { "$€£¥".contains($0) }) || value.hasPrefix("EUR") || value.hasSuffix("EUR") {
        hint = "remove currency symbols; amounts are plain numbers"
      } else if value.isEmpty {
        hint = "every purchase and refund needs an amount; leads may leave it empty"
      }
      return ("amount '\(shown(value))'", "a number such as \(decimalComma ? "12,50" : "12.50")", hint)
    case let .invalidQuantity(_, value, decimalComma):
      return (
        "quantity '\(shown(value))'", "a number such as 2 or \(decimalComma ? "1,5" : "1.5")",
        value.isEmpty ? "with --quantity-column every purchase and refund needs a quantity; leads may leave it empty" : nil)
    case let .nonFiniteAmount(_, value):
      return ("amount '\(shown(value))' is not finite", "a finite number such as 12.50", nil)
    case let .amountTooLarge(_, value, limit):
      return (
        "amount '\(shown(value))' is too large", "an amount from -\(Format.number(limit)) to \(Format.number(limit))",
        "check the amount column mapping and the decimal mark; totals of such amounts overflow")
    case let .amountOnLead(_, value):
      return ("amount '\(shown(value))' on a lead", "0 or empty, since a lead is not a sale", "if this was a sale, set its event to purchase")
    case let .unknownEvent(_, value, suggestion):
      return (
        "event '\(shown(value))'", "one of purchase, lead, refund (or empty for purchase)",
        suggestion.map { "did you mean '\($0)'?" }
      )
    case .emptyCustomerID:
      return ("customer id ''", "a non-empty id", nil)
    case let .customerIDTooLong(_, value, bytes, limit):
      return ("customer id '\(shown(value))' of \(bytes) bytes", "at most \(limit) bytes", "check the customer column mapping")
    case let .invalidUTF8(location, byte):
      return (
        "byte 0x\(hex(byte)) that is not UTF-8", "UTF-8 text",
        "the file may be Latin-1 or Windows-1252; convert it: iconv -f WINDOWS-1252 -t UTF-8 \(location.file) > utf8.csv"
      )
    case .nulByte:
      return ("NUL byte", "text", "the file may be binary, compressed, or UTF-16 without a byte order mark")
    case let .lineTooLong(_, limit):
      return ("row longer than \(limit) bytes", "rows of at most \(limit) bytes", "an unmatched quote (\") joins all following lines into one row")
    case .unclosedQuote:
      return ("quoted field never closed", "a closing quote (\") before the end of the file", "an unmatched quote (\") joins all following lines into one row")
    case let .textAfterQuote(_, value):
      return (
        "text '\(shown(value))' after a closing quote", "a delimiter or the end of the row after a quoted field",
        "write a quote inside a quoted field as two quotes (\"\")"
      )
    }
  }

  /// The same problem at another place (used to turn chunk-relative lines into file lines).
  func relocated(_ transform: (SourceLocation) -> SourceLocation) -> InputError {
    switch self {
    case .cannotOpen, .cannotRead, .cannotWriteRejects, .tooLarge: self
    case let .emptyFile(l): .emptyFile(transform(l))
    case let .headerOnly(l): .headerOnly(transform(l))
    case let .noValidRows(l, n): .noValidRows(transform(l), rejected: n)
    case let .wrongEncoding(l, e): .wrongEncoding(transform(l), encoding: e)
    case let .binaryFile(l, f): .binaryFile(transform(l), format: f)
    case let .missingColumn(l, c, h, s, f, q): .missingColumn(transform(l), column: c, header: h, suggestion: s, flag: f, quantity: q)
    case let .duplicateColumn(l, c, fs, f): .duplicateColumn(transform(l), column: c, fields: fs, flag: f)
    case let .wrongFieldCount(l, r, f, e, d): .wrongFieldCount(transform(l), row: r, found: f, expected: e, delimiter: d)
    case let .invalidDate(l, v, f, s): .invalidDate(transform(l), value: v, format: f, suggestion: s)
    case let .impossibleDate(l, v, r): .impossibleDate(transform(l), value: v, reason: r)
    case let .dateOutOfRange(l, v, e, la): .dateOutOfRange(transform(l), value: v, earliest: e, latest: la)
    case let .invalidAmount(l, v, d): .invalidAmount(transform(l), value: v, decimalComma: d)
    case let .invalidQuantity(l, v, d): .invalidQuantity(transform(l), value: v, decimalComma: d)
    case let .nonFiniteAmount(l, v): .nonFiniteAmount(transform(l), value: v)
    case let .amountTooLarge(l, v, li): .amountTooLarge(transform(l), value: v, limit: li)
    case let .amountOnLead(l, v): .amountOnLead(transform(l), value: v)
    case let .unknownEvent(l, v, s): .unknownEvent(transform(l), value: v, suggestion: s)
    case let .emptyCustomerID(l): .emptyCustomerID(transform(l))
    case let .customerIDTooLong(l, v, b, li): .customerIDTooLong(transform(l), value: v, bytes: b, limit: li)
    case let .invalidUTF8(l, b): .invalidUTF8(transform(l), byte: b)
    case let .nulByte(l): .nulByte(transform(l))
    case let .lineTooLong(l, li): .lineTooLong(transform(l), limit: li)
    case let .unclosedQuote(l): .unclosedQuote(transform(l))
    case let .textAfterQuote(l, v): .textAfterQuote(transform(l), value: v)
    }
  }
}

/// Files that are not text, known by their first bytes ("magic numbers"), with what to do instead.
public enum BinaryFormat: String, Sendable, CaseIterable {
  case gzip = "gzip-compressed file"
  case zip = "ZIP archive (an Excel workbook or a zipped export)"
  case bzip2 = "bzip2-compressed file"
  case xz = "xz-compressed file"
  case zstd = "zstd-compressed file"
  case parquet = "Parquet file"
  case sqlite = "SQLite database"

  /// The format whose signature `bytes` start with, if any.
  static func detect(_ bytes: UnsafeBufferPointer<UInt8>) -> BinaryFormat? {
    func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && Swift.zip(bytes, magic).allSatisfy { $0 == $1 } }
    if starts([0x1F, 0x8B]) { return .gzip }
    if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
    if starts(Array("BZh".utf8)) && bytes.count > 3 && (0x31...0x39).contains(bytes[3]) { return .bzip2 }
    if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
    if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
    if starts(Array("PAR1".utf8)) { return .parquet }
    if starts(Array("SQLite format 3\0".utf8)) { return .sqlite }
    return nil
  }

  /// What to do with `file` instead.
  func hint(for file: String) -> String {
    let name = shellWord(file)
    switch self {
    case .gzip: return "decompress it first (gunzip -k \(name)), or read it from standard input: gunzip -c \(name) | journey <command> -"
    case .zip: return "save the sheet as 'CSV UTF-8' from the spreadsheet, or unzip the export and read the CSV inside"
    case .bzip2: return "decompress it first (bunzip2 -k \(name)), or read it from standard input: bunzip2 -c \(name) | journey <command> -"
    case .xz: return "decompress it first (unxz -k \(name)), or read it from standard input: xz -dc \(name) | journey <command> -"
    case .zstd: return "decompress it first (unzstd \(name)), or read it from standard input: zstd -dc \(name) | journey <command> -"
    case .parquet: return "write it out as CSV, e.g. duckdb -c \"COPY (FROM '\(file)') TO 'transactions.csv'\""
    case .sqlite: return "export the table as CSV: sqlite3 -header -csv \(name) 'SELECT * FROM transactions' > transactions.csv"
    }
  }
}

/// Why a row was rejected: the key of the counts printed by `--on-error skip`.
public enum RejectReason: String, Sendable, Codable, CaseIterable, Comparable {
  case fileStructure = "file structure"
  case wrongFieldCount = "wrong field count"
  case invalidDate = "invalid date"
  case impossibleDate = "impossible date"
  case dateOutOfRange = "date out of range"
  case invalidAmount = "invalid amount"
  case invalidQuantity = "invalid quantity"
  case nonFiniteAmount = "non-finite amount"
  case amountTooLarge = "amount too large"
  case amountOnLead = "amount on a lead"
  case unknownEvent = "unknown event"
  case emptyCustomerID = "empty customer id"
  case customerIDTooLong = "customer id too long"
  case invalidUTF8 = "invalid UTF-8"
  case nulByte = "NUL byte"
  case lineTooLong = "row too long"
  case unclosedQuote = "unclosed quote"
  case textAfterQuote = "text after quote"

  /// Orders reasons by their wording, for stable reports.
  public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}

/// Reading stopped because of bad input: the problems found, in file order.
///
/// With `--on-error fail` the reader collects up to `ReaderOptions.maxProblems`
/// problems before it stops, so that one run shows everything that needs fixing.
public struct InputFailure: Error, Sendable, CustomStringConvertible {
  /// The problems found, in file order.
  public var problems: [InputError]
  /// True when reading stopped at the problem limit: more may follow.
  public var stoppedAtLimit: Bool

  /// A failure with `problems` (at least one).
  public init(problems: [InputError], stoppedAtLimit: Bool = false) {
    precondition(!problems.isEmpty, "a failure needs at least one problem")
    self.problems = problems
    self.stoppedAtLimit = stoppedAtLimit
  }

  /// A failure with one problem.
  public init(_ problem: InputError) { self.init(problems: [problem]) }

  /// Every problem, then a summary line when there is more than one. When every problem has the
  /// same hint (every date in one other format, say), the hint is printed once, after the last
  /// problem, instead of under each of twenty lines.
  public var description: String {
    let hints = Set(problems.map(\.hint))
    var lines: [String]
    if problems.count > 1, hints.count == 1, let hint = hints.first ?? nil {
      lines = problems.map(\.message) + ["  hint (for each problem above): " + hint]
    } else {
      lines = problems.map(\.description)
    }
    let rowProblems = problems.filter { $0.reason != .fileStructure }.count
    if stoppedAtLimit {
      lines.append("stopped after \(problems.count) problems; fix them, or skip bad rows with --on-error skip (and keep them with --rejects FILE)")
    } else if rowProblems > 0 {
      lines.append("\(problems.count) problem\(problems.count == 1 ? "" : "s") found; fix \(problems.count == 1 ? "it" : "them"), or skip bad rows with --on-error skip (and keep them with --rejects FILE)")
    }
    return lines.joined(separator: "\n")
  }
}

/// A value as it appears in a message: at most 60 characters, control characters escaped.
func shown(_ value: String) -> String {
  var out = ""
  var count = 0
  for scalar in value.unicodeScalars {
    if count == 60 {
      out += "…"
      break
    }
    switch scalar {
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case "\0": out += "\\0"
    default: out.unicodeScalars.append(scalar)
    }
    count += 1
  }
  return out
}

/// A word as it would be typed in a shell: quoted when it has spaces or specials.
func shellWord(_ word: String) -> String {
  let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "_-.%/:".contains($0) }
  return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

private func hex(_ byte: UInt8) -> String {
  let digits = Array("0123456789ABCDEF")
  return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}

import Foundation
@testable import JourneyKit
import Scratch
import Testing

/// Every class of bad input, with the exact message, line and column the user sees.
@Suite("TransactionReader errors")
struct InputErrorTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var csv: [UInt8]
    var line: Int
    var column: Int
    var message: String
    var hint: String?
    var options: @Sendable (inout ReaderOptions) -> Void = { _ in }

    init(
      _ name: String, _ csv: String, line: Int, column: Int, _ message: String, hint: String? = nil,
      options: @escaping @Sendable (inout ReaderOptions) -> Void = { _ in }
    ) {
      self.init(name, bytes: Array(csv.utf8), line: line, column: column, message, hint: hint, options: options)
    }

    init(
      _ name: String, bytes: [UInt8], line: Int, column: Int, _ message: String, hint: String? = nil,
      options: @escaping @Sendable (inout ReaderOptions) -> Void = { _ in }
    ) {
      self.name = name
      self.csv = bytes
      self.line = line
      self.column = column
      self.message = message
      self.hint = hint
      self.options = options
    }

    var testDescription: String { name }
  }

  static func options() -> ReaderOptions {
    var o = ReaderOptions()
    o.latestDay = CalendarDay(year: 2027, month: 11, day: 24)!
    o.maxRowBytes = 200
    o.threads = 1
    return o
  }

  static let header = "customer_id,date,amount,event\n"

  static let cases: [Case] = [
    Case("empty file", "", line: 1, column: 1, "t.csv:1:1: empty file — expected a header row such as 'customer_id,date,amount'"),
    Case("only a byte order mark and blank lines", "\u{FEFF}\n\n", line: 1, column: 1, "t.csv:1:1: empty file — expected a header row such as 'customer_id,date,amount'"),
    Case("header only", header, line: 2, column: 1, "t.csv:2:1: no data rows after the header — expected at least one transaction row"),
    Case(
      "UTF-16", bytes: [0xFF, 0xFE, 0x63, 0x00], line: 1, column: 1, "t.csv:1:1: UTF-16LE byte order mark — expected UTF-8 text",
      hint: "convert the file: iconv -f UTF-16LE -t UTF-8 t.csv > utf8.csv"),
    Case(
      "missing column with a near spelling", "customer_id,dates,amount\nC1,2024-01-01,5\n", line: 1, column: 1,
      "t.csv:1:1: no column 'date' in header 'customer_id,dates,amount' — expected a column named 'date'",
      hint: "did you mean 'dates'? Read it with --date-column dates"),
    Case(
      "missing column with a usual synonym", "id,date,amount\nC1,2024-01-01,5\n", line: 1, column: 1,
      "t.csv:1:1: no column 'customer_id' in header 'id,date,amount' — expected a column named 'customer_id'",
      hint: "did you mean 'id'? Read it with --customer-column id"),
    Case(
      "missing column without a guess", "customer_id,date,x\nC1,2024-01-01,5\n", line: 1, column: 1,
      "t.csv:1:1: no column 'amount' in header 'customer_id,date,x' — expected a column named 'amount'",
      hint: "name the column with --amount-column NAME; the header has 'customer_id', 'date', 'x'"),
    Case(
      "duplicate column", "customer_id,date,amount,Amount\nC1,2024-01-01,5,6\n", line: 1, column: 25,
      "t.csv:1:25: column 'amount' appears 2 times (fields 3 and 4) — expected each column name once",
      hint: "rename one of them, or pick another column with --amount-column"),
    Case(
      "too few fields", header + "C1,2024-01-01,5,purchase\nC2,2024-01-02\n", line: 3, column: 1,
      "t.csv:3:1: row 'C2,2024-01-02' has 2 fields — expected 4 fields, as in the header",
      hint: "check for a missing delimiter ,, or a line break inside an unquoted value"),
    Case(
      "too many fields", header + "C1,2024-01-01,5,00,purchase\n", line: 2, column: 1,
      "t.csv:2:1: row 'C1,2024-01-01,5,00,purchase' has 5 fields — expected 4 fields, as in the header",
      hint: "a value containing the delimiter , must be quoted, e.g. \"1,5\""),
    Case(
      "unparseable date", header + "C1,15/03/2024,5,purchase\n", line: 2, column: 4,
      "t.csv:2:4: date '15/03/2024' — expected a date as YYYY-MM-DD",
      hint: "the dates look like %d/%m/%Y; read them with --date-format %d/%m/%Y"),
    Case(
      "impossible date", header + "C1,2024-02-30,5,purchase\n", line: 2, column: 4,
      "t.csv:2:4: date '2024-02-30' does not exist — expected a real calendar day (2024-02 has 29 days)"),
    Case(
      "month 13", header + "C1,2024-13-01,5,purchase\n", line: 2, column: 4,
      "t.csv:2:4: date '2024-13-01' does not exist — expected a real calendar day (there is no month 13)"),
    Case(
      "impossible date in a pattern", "customer_id,date,amount\nC1,31.04.2024,5\n", line: 2, column: 4,
      "t.csv:2:4: date '31.04.2024' does not exist — expected a real calendar day (2024-04 has 30 days)",
      options: { $0.dateFormat = try! DateFormat(pattern: "%d.%m.%Y") }),
    Case(
      "date far in the future", header + "C1,2024-01-01,5,purchase\nC1,2209-01-01,5,purchase\n", line: 3, column: 4,
      "t.csv:3:4: date '2209-01-01' is out of range — expected a date from 1900-01-01 to 2027-11-24",
      hint: "check the year; dates before 1900-01-01 or more than a year after today are taken as typing errors"),
    Case(
      "amount not a number", header + "C1,2024-01-01,abc,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount 'abc' — expected a number such as 12.50"),
    Case(
      "amount with a decimal comma", header + "C1,2024-01-01,\"12,50\",purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount '12,50' — expected a number such as 12.50",
      hint: "for decimal commas (12,50) use --decimal-comma; remove thousands separators"),
    Case(
      "amount with a currency sign", header + "C1,2024-01-01,$12.50,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount '$12.50' — expected a number such as 12.50",
      hint: "remove currency symbols; amounts are plain numbers"),
    Case(
      "empty amount on a purchase", header + "C1,2024-01-01,,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount '' — expected a number such as 12.50",
      hint: "every purchase and refund needs an amount; leads may leave it empty"),
    Case(
      "NaN amount", header + "C1,2024-01-01,NaN,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount 'NaN' is not finite — expected a finite number such as 12.50"),
    Case(
      "infinite amount", header + "C1,2024-01-01,-inf,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount '-inf' is not finite — expected a finite number such as 12.50"),
    Case(
      "amount overflowing to infinity", header + "C1,2024-01-01,1e999,purchase\n", line: 2, column: 15,
      "t.csv:2:15: amount '1e999' is not finite — expected a finite number such as 12.50"),
    Case(
      "amount on a lead", header + "C1,2024-01-01,12.00,lead\n", line: 2, column: 15,
      "t.csv:2:15: amount '12.00' on a lead — expected 0 or empty, since a lead is not a sale",
      hint: "if this was a sale, set its event to purchase"),
    Case(
      "unknown event, a synonym", header + "C1,2024-01-01,5,sale\n", line: 2, column: 17,
      "t.csv:2:17: event 'sale' — expected one of purchase, lead, refund (or empty for purchase)",
      hint: "did you mean 'purchase'?"),
    Case(
      "unknown event, a typo", header + "C1,2024-01-01,5,refnd\n", line: 2, column: 17,
      "t.csv:2:17: event 'refnd' — expected one of purchase, lead, refund (or empty for purchase)",
      hint: "did you mean 'refund'?"),
    Case(
      "empty customer id", header + ",2024-01-01,5,purchase\n", line: 2, column: 1,
      "t.csv:2:1: customer id '' — expected a non-empty id"),
    Case(
      "customer id too long", header + String(repeating: "x", count: 40) + ",2024-01-01,5,purchase\n", line: 2, column: 1,
      "t.csv:2:1: customer id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' of 40 bytes — expected at most 32 bytes",
      hint: "check the customer column mapping", options: { $0.maxCustomerIDBytes = 32 }),
    Case(
      "invalid UTF-8", bytes: Array((header + "Ren").utf8) + [0xE9] + Array(",2024-01-01,5,purchase\n".utf8), line: 2,
      column: 4, "t.csv:2:4: byte 0xE9 that is not UTF-8 — expected UTF-8 text",
      hint: "the file may be Latin-1 or Windows-1252; convert it: iconv -f WINDOWS-1252 -t UTF-8 t.csv > utf8.csv"),
    Case(
      "invalid UTF-8 after a multi-byte character", bytes: Array((header + "Zoë,2024-01-01,5,").utf8) + [0xC3, 0x28] + Array("\n".utf8),
      line: 2, column: 18, "t.csv:2:18: byte 0xC3 that is not UTF-8 — expected UTF-8 text",
      hint: "the file may be Latin-1 or Windows-1252; convert it: iconv -f WINDOWS-1252 -t UTF-8 t.csv > utf8.csv"),
    Case(
      "NUL byte", bytes: Array((header + "C1,2024-01-01,5").utf8) + [0] + Array(",purchase\n".utf8), line: 2, column: 16,
      "t.csv:2:16: NUL byte — expected text", hint: "the file may be binary, compressed, or UTF-16 without a byte order mark"),
    Case(
      "absurdly long line", header + "C1,2024-01-01,5,purchase\nC2,2024-01-01," + String(repeating: "9", count: 300) + ",purchase\n",
      line: 3, column: 1, "t.csv:3:1: row longer than 200 bytes — expected rows of at most 200 bytes",
      hint: "an unmatched quote (\") joins all following lines into one row"),
    Case(
      "unclosed quote at the end", header + "C1,2024-01-01,5,purchase\n\"C2,2024-01-01,5,purchase\n", line: 3, column: 1,
      "t.csv:3:1: quoted field never closed — expected a closing quote (\") before the end of the file",
      hint: "an unmatched quote (\") joins all following lines into one row"),
    Case(
      "text after a closing quote", header + "\"C1\"x,2024-01-01,5,purchase\n", line: 2, column: 5,
      "t.csv:2:5: text 'x' after a closing quote — expected a delimiter or the end of the row after a quoted field",
      hint: "write a quote inside a quoted field as two quotes (\"\")"),
    Case(
      "a problem on the second line of a quoted multi-line row", header + "\"C\n1\",2024-01-01,x,purchase\n", line: 3,
      column: 15, "t.csv:3:15: amount 'x' — expected a number such as 12.50"),
    Case(
      "semicolons, decimal commas and a bad amount", "customer_id;date;amount\nC1;2024-01-01;12,50\nC2;2024-01-01;12.50\n",
      line: 3, column: 15, "t.csv:3:15: amount '12.50' — expected a number such as 12,50",
      hint: "with --decimal-comma the decimal mark is ',' (12,50); remove thousands separators",
      options: { $0.decimalComma = true }),
    Case(
      "a spreadsheet's day number", "customer_id,date,amount\nC1,45296,5\n", line: 2, column: 4,
      "t.csv:2:4: date '45296' — expected a date as YYYY-MM-DD",
      hint: "'45296' looks like a spreadsheet's day number (2024-01-05): format the column as dates (e.g. YYYY-MM-DD) before saving the CSV"),
    Case(
      "a time with letters that are not AM or PM", "customer_id,date,amount\nC1,2024-01-05 10:00 XM,5\n", line: 2, column: 4,
      "t.csv:2:4: date '2024-01-05 10:00 XM' — expected a date as YYYY-MM-DD",
      hint: "the date reads, what follows it does not: a time after the date is ignored when written as HH:MM or HH:MM:SS, with AM/PM or a zone"),
    // Not text: known by the first bytes each format starts with (its "magic number").
    Case(
      "gzip", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00], line: 1, column: 1,
      "t.csv:1:1: gzip-compressed file — expected a CSV text file",
      hint: "decompress it first (gunzip -k t.csv), or read it from standard input: gunzip -c t.csv | journey <command> -"),
    Case(
      "an Excel workbook", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00], line: 1, column: 1,
      "t.csv:1:1: ZIP archive (an Excel workbook or a zipped export) — expected a CSV text file",
      hint: "save the sheet as 'CSV UTF-8' from the spreadsheet, or unzip the export and read the CSV inside"),
    Case(
      "Parquet", bytes: Array("PAR1".utf8) + [0x15, 0x04, 0x15, 0x00], line: 1, column: 1,
      "t.csv:1:1: Parquet file — expected a CSV text file",
      hint: "write it out as CSV, e.g. duckdb -c \"COPY (FROM 't.csv') TO 'transactions.csv'\""),
    Case(
      "bzip2", bytes: Array("BZh9".utf8) + [0x31, 0x41, 0x59, 0x26], line: 1, column: 1,
      "t.csv:1:1: bzip2-compressed file — expected a CSV text file",
      hint: "decompress it first (bunzip2 -k t.csv), or read it from standard input: bunzip2 -c t.csv | journey <command> -"),
    Case(
      "a header that starts like a signature is still a header", "BZh,date,amount\nC1,2024-01-01,5\n", line: 1, column: 1,
      "t.csv:1:1: no column 'customer_id' in header 'BZh,date,amount' — expected a column named 'customer_id'",
      hint: "name the column with --customer-column NAME; the header has 'BZh', 'date', 'amount'"),
    // Columns separated by runs of spaces: the rewrite to tabs keeps every byte in place, so the
    // column is the file's own (the bad month starts at byte 9 of '  C1    2024-13-01   5').
    Case(
      "spaces: a bad date keeps its column", "customer_id date amount\n  C1    2024-13-01   5\n", line: 2, column: 9,
      "t.csv:2:9: date '2024-13-01' does not exist — expected a real calendar day (there is no month 13)"),
    Case(
      "spaces: a value with a space in it", "customer_id date amount\nC1 2024-01-01 10:15 5\n", line: 2, column: 1,
      "t.csv:2:1: row 'C1 2024-01-01 10:15 5' has 4 fields — expected 3 fields, as in the header",
      hint: "columns are separated by spaces, so a value containing spaces must be quoted, e.g. \"New York\""),
    Case(
      "spaces: a missing value", "customer_id date amount\nC1 2024-01-01 5\nC2\t2024-01-02  \r\n", line: 3, column: 1,
      "t.csv:3:1: row 'C2 2024-01-02  ' has 2 fields — expected 3 fields, as in the header",
      hint: "check for a missing value, or a line break inside an unquoted value"),
    Case(
      "spaces: the amount column under a longer name", " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n",
      line: 1, column: 1,
      "t.csv:1:1: no column 'amount' in header 'customer_id,date,number_of_cds,dollar_value' — expected a column named 'amount'",
      hint: "did you mean 'dollar_value'? Read it with --amount-column dollar_value"),
  ]

  @Test(arguments: cases)
  func messageLineAndColumn(_ c: Case) throws {
    var options = Self.options()
    c.options(&options)
    do {
      let result = try TransactionReader(options: options).read(bytes: c.csv, name: "t.csv")
      Issue.record("expected a failure, read \(result.table.rowCount) rows")
    } catch {
      let problem = try #require(error.problems.first)
      #expect(problem.message == c.message)
      #expect(problem.hint == c.hint)
      #expect(problem.location?.line == c.line)
      #expect(problem.location?.column == c.column)
      #expect(problem.location?.file == "t.csv")
    }
  }

  @Test func cannotOpenAMissingFile() throws {
    #expect {
      try TransactionReader(options: Self.options()).read(path: "/nonexistent/t.csv")
    } throws: { error in
      (error as? InputFailure)?.problems.first?.description
        == "cannot open '/nonexistent/t.csv': No such file or directory — expected a readable CSV file\n  hint: check the path; use '-' to read standard input"
    }
  }

  @Test func collectsUpToTheLimitInFileOrder() throws {
    var csv = Self.header
    for k in 1...30 { csv += "C\(k),2024-01-\(k < 10 ? "0" : "")\(k % 28 + 1),x,purchase\n" }
    var options = Self.options()
    options.maxProblems = 20
    do {
      _ = try TransactionReader(options: options).read(text: csv, name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      #expect(error.problems.count == 20)
      #expect(error.stoppedAtLimit)
      #expect(error.problems.map { $0.location!.line } == Array(2...21))
      #expect(error.description.hasSuffix("stopped after 20 problems; fix them, or skip bad rows with --on-error skip (and keep them with --rejects FILE)"))
    }
  }

  /// The raw CDNOW file read without --date-format: twenty rows with one fix, which was printed
  /// twenty times. A shared hint is printed once; different hints stay under their problems.
  @Test func aHintSharedByEveryProblemIsPrintedOnce() throws {
    let sameFix = Self.header + "C1,20240105,10,purchase\nC2,20240106,10,purchase\nC3,20240107,10,purchase\n"
    do {
      _ = try TransactionReader(options: Self.options()).read(text: sameFix, name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      let lines = error.description.split(separator: "\n").map(String.init)
      #expect(lines.filter { $0.contains("--date-format %Y%m%d") }.count == 1)
      #expect(lines[0] == "t.csv:2:4: date '20240105' — expected a date as YYYY-MM-DD")
      #expect(lines[3] == "  hint (for each problem above): the dates look like %Y%m%d; read them with --date-format %Y%m%d")
      #expect(lines.count == 5)
    }
    let twoFixes = Self.header + "C1,20240105,10,purchase\nC2,2024-01-06,1O,purchase\n"
    do {
      _ = try TransactionReader(options: Self.options()).read(text: twoFixes, name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      #expect(error.description.split(separator: "\n").filter { $0.hasPrefix("  hint: ") }.count == error.problems.compactMap(\.hint).count)
      #expect(!error.description.contains("for each problem above"))
    }
  }

  @Test func reportsEveryMissingColumnAtOnce() throws {
    do {
      _ = try TransactionReader(options: Self.options()).read(text: "a,b\n1,2\n", name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      #expect(error.problems.map(\.reason) == [.fileStructure, .fileStructure, .fileStructure])
      #expect(error.problems.map { $0.message.contains("'customer_id'") || $0.message.contains("'date'") || $0.message.contains("'amount'") } == [true, true, true])
    }
  }

  @Test func skipCountsByReasonAndWritesRejectsVerbatim() throws {
    let dir = Scratch.path("rejects")
    let rejectsPath = dir.appendingPathComponent("rejects.csv").path
    var options = Self.options()
    options.onError = .skip
    options.rejectsPath = rejectsPath
    let csv = Self.header + "C1,2024-01-01,5,purchase\r\nC2,2024-02-30,5,purchase\r\nC3,2024-01-01,abc,purchase\r\nC4,2024-01-01,7,sale\r\nC5,2024-01-01,8,purchase\r\n"
    let result = try TransactionReader(options: options).read(text: csv, name: "t.csv")
    #expect(result.summary.rowsRead == 5)
    #expect(result.summary.rowsRejected == 3)
    #expect(result.summary.rejectedByReason == ["impossible date": 1, "invalid amount": 1, "unknown event": 1])
    #expect(result.table.customerIDs == ["C1", "C5"])
    let rejects = try String(contentsOfFile: rejectsPath, encoding: .utf8)
    #expect(
      rejects == """
        customer_id,date,amount,event
        # t.csv:3:4: date '2024-02-30' does not exist — expected a real calendar day (2024-02 has 29 days)
        C2,2024-02-30,5,purchase\r
        # t.csv:4:15: amount 'abc' — expected a number such as 12.50
        C3,2024-01-01,abc,purchase\r
        # t.csv:5:17: event 'sale' — expected one of purchase, lead, refund (or empty for purchase)
        C4,2024-01-01,7,sale\r

        """)
  }

  @Test func unwritableRejectsFileIsAnError() throws {
    var options = Self.options()
    options.onError = .skip
    options.rejectsPath = "/proc/journey-no-such-dir/rejects.csv"
    do {
      _ = try TransactionReader(options: options).read(text: Self.header + "C1,2024-01-01,5,purchase\nC2,x,5,purchase\n", name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      let message = try #require(error.problems.first?.message)
      #expect(message.hasPrefix("cannot write the rejects file '/proc/journey-no-such-dir/rejects.csv': "))
      #expect(message.hasSuffix(" — expected a writable path for --rejects"))
    }
  }

  @Test func skipWithEveryRowBadIsAnError() throws {
    var options = Self.options()
    options.onError = .skip
    do {
      _ = try TransactionReader(options: options).read(text: Self.header + "C1,x,5,purchase\n", name: "t.csv")
      Issue.record("expected a failure")
    } catch {
      #expect(error.problems.first?.message == "t.csv:2:1: all 1 rows were rejected — expected at least one valid transaction row")
    }
  }

  @Test func tooLongRowIsSkippedAndReadingResumesOnTheNextLine() throws {
    var options = Self.options()
    options.onError = .skip
    options.blockBytes = 512
    let long = "C9,2024-01-01,\"" + String(repeating: "9", count: 2_000) + "\n"
    let csv = Self.header + "C1,2024-01-01,5,purchase\n" + long + "C2,2024-01-02,6,purchase\n"
    let result = try TransactionReader(options: options).read(text: csv, name: "t.csv")
    #expect(result.summary.rejectedByReason == ["row too long": 1])
    #expect(result.table.customerIDs == ["C1", "C2"])
  }

  @Test func badDateFormatPatternsAreRejected() {
    #expect(throws: DateFormatError.self) { try DateFormat(pattern: "%Q-%m-%d") }
    #expect(throws: DateFormatError.self) { try DateFormat(pattern: "%m/%d") }
    #expect(
      (try? DateFormat(pattern: "%d.%m"))?.pattern == nil)
    do {
      _ = try DateFormat(pattern: "%Y-%m-%Q")
    } catch {
      #expect(error.description == "--date-format: '%Y-%m-%Q' is not a usable pattern: %Q is not supported (use %Y %y %m %d %b %B %H %M %S %%); e.g. %d.%m.%Y or %m/%d/%Y")
    }
  }
}

import Foundation
@testable import JourneyKit
import Testing

/// The formats real exports come in, read into the same table.
@Suite("TransactionReader formats")
struct ReaderFormatTests {
  static func read(_ text: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> IngestResult {
    var options = ReaderOptions()
    options.latestDay = CalendarDay(year: 2027, month: 1, day: 1)!
    options.threads = 1
    configure(&options)
    return try TransactionReader(options: options).read(text: text, name: "t.csv")
  }

  static func day(_ iso: String) -> Int32 { CalendarDay(iso: iso)!.dayNumber }

  /// Two customers; B has a same-day purchase pair and a refund, A a lead that converts.
  static let reference = (
    ids: ["B", "A"], day: [day("2024-01-05"), day("2024-02-01"), day("2024-01-03"), day("2024-01-09")],
    amount: [30.0, -5.0, 0.0, 7.25], event: [TransactionEvent.purchase, .refund, .lead, .purchase]
  )

  @Test(arguments: [
    ("plain", "customer_id,date,amount,event\nB,2024-01-05,10.00,purchase\nA,2024-01-03,,lead\nB,2024-01-05,20,purchase\nA,2024-01-09,7.25,purchase\nB,2024-02-01,-5,purchase\n"),
    ("CRLF, BOM, other case", "\u{FEFF}Customer_ID,DATE,Amount,Event\r\nB,2024-01-05,10.00,PURCHASE\r\nA,2024-01-03,0,Lead\r\nB,2024-01-05,20,purchase\r\nA,2024-01-09,7.25,purchase\r\nB,2024-02-01,5,refund\r\n"),
    ("tabs and date-times", "customer_id\tdate\tamount\tevent\nB\t2024-01-05T10:00:00Z\t10\t\nA\t2024-01-03 08:30\t\tlead\nB\t2024-01-05T23:59:59+02:00\t20\tpurchase\nA\t2024-01-09T00:00\t7.25\tpurchase\nB\t2024-02-01\t-5.0\t\n"),
    ("quoted fields and no final line break", "\"customer_id\",\"date\",\"amount\",\"event\"\n\"B\",\"2024-01-05\",\"10\",purchase\n\"A\",2024-01-03,\"\",lead\nB,2024-01-05,20,purchase\n\"A\",\"2024-01-09\",7.25,purchase\nB,2024-02-01,-5,purchase"),
    ("blank lines are not rows", "customer_id,date,amount,event\n\nB,2024-01-05,10,purchase\nA,2024-01-03,,lead\n\nB,2024-01-05,20,purchase\nA,2024-01-09,7.25,purchase\nB,2024-02-01,-5,purchase\n\n"),
  ])
  func readsTheSameTable(name: String, csv: String) throws {
    let result = try Self.read(csv)
    let t = result.table
    #expect(t.customerIDs == Self.reference.ids, "\(name)")
    #expect(t.day == Self.reference.day, "\(name)")
    #expect(Array(t.amount) == Self.reference.amount, "\(name)")
    #expect(t.event == Self.reference.event, "\(name)")
    #expect(t.rowStart == [0, 2, 4], "\(name)")
    #expect(result.summary.rowsRead == 5 && result.summary.rowsMerged == 1, "\(name)")
  }

  @Test func mappedColumnsSemicolonsDecimalCommaAndADateFormat() throws {
    let csv = "Kunde;Datum;Umsatz;Kanal\nB;05.01.2024;10,00;web\nA;03.01.2024;0;shop\nB;05.01.2024;20;web\nA;09.01.2024;7,25;web\nB;01.02.2024;-5;web\n"
    let result = try Self.read(csv) {
      $0.customerColumn = "kunde"
      $0.dateColumn = "datum"
      $0.amountColumn = "umsatz"
      $0.decimalComma = true
      $0.dateFormat = try! DateFormat(pattern: "%d.%m.%Y")
    }
    #expect(result.table.customerIDs == ["B", "A"])
    #expect(result.table.amount == [30, -5, 0, 7.25])
    #expect(result.summary.delimiter == ";")
    #expect(result.summary.eventColumn == nil)
  }

  @Test(arguments: [
    ("%m/%d/%Y", "3/7/2024", "2024-03-07"), ("%Y%m%d", "20240307", "2024-03-07"), ("%d-%b-%y", "07-Mar-24", "2024-03-07"),
    ("%d %B %Y", "7 march 2024", "2024-03-07"), ("%d.%m.%Y %H:%M", "07.03.2024 13:45", "2024-03-07"),
    ("%d.%m.%Y", "07.03.2024 13:45:10", "2024-03-07"), ("%y-%m-%d", "99-12-31", "1999-12-31"),
    ("%m/%d/%Y", "3/7/2024 10:05:00 AM", "2024-03-07"), ("%d/%m/%Y", "07/03/2024 2:15 pm", "2024-03-07"),
  ])
  func dateFormats(pattern: String, value: String, iso: String) throws {
    let result = try Self.read("customer_id,date,amount\nC,\(value),1\n") { $0.dateFormat = try! DateFormat(pattern: pattern) }
    #expect(result.table.day == [Self.day(iso)])
  }

  @Test func idsAreTheirTextTrimmedAndQuotesAreUnescaped() throws {
    let longID = String(repeating: "ü", count: 30)
    let csv = "customer_id,date,amount\n\"a \"\"quoted\"\" id\",2024-01-01,1\n\(longID),2024-01-01,2\n\" a\",2024-01-01,3\na,2024-01-01,4\n\"a \"\"quoted\"\" id\",2024-01-02,5\n\(longID),2024-01-03,6\n"
    let t = try Self.read(csv).table
    // Spaces around an id are trimmed, as around amounts (issue 15): " a" is "a", and its two
    // same-day purchases are one occasion.
    #expect(t.customerIDs == ["a \"quoted\" id", longID, "a"])
    #expect(t.rowStart == [0, 2, 4, 5])
  }

  @Test func rowsOutOfDateOrderAreSortedWithinEachCustomer() throws {
    let csv = "customer_id,date,amount\nA,2024-03-01,3\nB,2024-01-01,1\nA,2024-01-01,1\nA,2024-02-01,2\nB,2023-12-01,0.5\n"
    let t = try Self.read(csv).table
    #expect(t.customerIDs == ["A", "B"])
    #expect(t.day == ["2024-01-01", "2024-02-01", "2024-03-01", "2023-12-01", "2024-01-01"].map(Self.day))
    #expect(t.amount == [1, 2, 3, 0.5, 1])
  }

  @Test func attributesTakeTheValueOnTheFirstRowByDate() throws {
    let csv = "customer_id,date,amount,channel\nA,2024-03-01,3,web\nB,2024-01-01,1,\"shop, city\"\nA,2024-01-01,1,app\nC,2024-01-05,1,web\n"
    let t = try Self.read(csv) { $0.attributeColumns = ["Channel"] }.table
    let channel = try #require(t.attributes["channel"])
    #expect(channel.levelOfCustomer.map { channel.levels[Int($0)] } == ["app", "shop, city", "web"])
  }

  @Test func quotedLineBreaksAcrossBlockAndPartBoundaries() throws {
    // Ids with line breaks inside quotes, many of them, so that block and part cuts land inside quotes.
    var csv = "customer_id,date,amount\n"
    for k in 0..<20_000 { csv += "\"C\n\(k % 700)\",2024-01-\(k % 28 + 10 < 10 ? "0" : "")\(k % 28 + 1 < 10 ? "0" : "")\(k % 28 + 1),1\n" }
    let reference = try Self.read(csv)
    let split = try Self.read(csv) {
      $0.threads = 2
      $0.blockBytes = 100_000
      $0.maxRowBytes = 1_000
      $0.minimumPartBytes = 1_000
    }
    #expect(split.table.customerIDs == reference.table.customerIDs)
    #expect(split.table.day == reference.table.day)
    #expect(split.summary == reference.summary)
    #expect(reference.table.customerCount == 700)
    #expect(reference.summary.rowsRead == 20_000)
  }

  @Test func eventWordsMatchTheirText() {
    func word(_ text: String) -> UInt64 { text.utf8.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) } }
    #expect(FieldParsing.purchaseWord == word("purchase"))
    #expect(FieldParsing.leadWord == word("lead"))
    #expect(FieldParsing.refundWord == word("refund"))
  }

  @Test(arguments: [("12.50", 12.5), ("-0.1", -0.1), ("+3", 3.0), ("1e3", 1000.0), ("1234567890123456789", 1234567890123456789.0), (" 7 ", 7.0), (".5", 0.5)])
  func amounts(text: String, value: Double) {
    let parsed = Array(text.utf8).withUnsafeBufferPointer { FieldParsing.amount($0.baseAddress!, $0.count, decimalComma: false) }
    #expect(parsed == value)
  }
}

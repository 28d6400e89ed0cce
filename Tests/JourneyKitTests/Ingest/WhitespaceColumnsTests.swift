import Foundation
@testable import JourneyKit
import Scratch
import Testing

/// Columns separated by runs of spaces and tabs (fixed-width exports, the CDNOW master file as it
/// ships in the lifetimes wheel), read into the same table as their comma-separated twins.
@Suite("Whitespace-separated columns")
struct WhitespaceColumnsTests {
  static func read(_ text: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> IngestResult {
    try ReaderFormatTests.read(text, configure)
  }

  @Test func theCDNOWMasterFileAsItShips() throws {
    // Its first lines, byte for byte: a leading space, runs of one to three spaces, CRLF.
    let text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n"
      + " 00002 19970112  5   77.00\r\n 00003 19970102  2   20.76\r\n 00003 19970330  2   20.76\r\n"
    let result = try Self.read(text) {
      $0.amountColumn = "dollar_value"
      $0.dateFormat = try! DateFormat(pattern: "%Y%m%d")
    }
    let t = result.table
    #expect(t.customerIDs == ["00001", "00002", "00003"])
    #expect(t.day == ["1997-01-01", "1997-01-12", "1997-01-02", "1997-03-30"].map(ReaderFormatTests.day))
    // 00002's two purchases of 1997-01-12 are one occasion of 12.00 + 77.00.
    #expect(Array(t.amount) == [11.77, 89.0, 20.76, 20.76])
    #expect(result.summary.rowsRead == 5 && result.summary.rowsMerged == 1)
    #expect(result.summary.delimiter == "spaces")
    #expect(result.summary.amountColumn == "dollar_value")
  }

  @Test(arguments: [
    ("detected from the header", "customer_id date   amount event\nB 2024-01-05 10.00 purchase\nA 2024-01-03 \"\" lead\nB\t2024-01-05\t\t20 purchase\n  A  2024-01-09  7.25  purchase  \nB 2024-02-01 -5 \"\"\n", false),
    ("given, with tabs in the header", "customer_id\t date \tamount\tevent\n\"B\" 2024-01-05 10.00 purchase\nA 2024-01-03 0 lead\n\nB 2024-01-05 20 purchase\nA 2024-01-09 7.25 purchase\nB 2024-02-01 5 refund", true),
  ])
  func readsTheSameTableAsCommas(name: String, text: String, given: Bool) throws {
    let result = try Self.read(text) { if given { $0.delimiter = ReaderOptions.whitespace } }
    let t = result.table
    let reference = ReaderFormatTests.reference
    #expect(t.customerIDs == reference.ids, "\(name)")
    #expect(t.day == reference.day, "\(name)")
    #expect(Array(t.amount) == reference.amount, "\(name)")
    #expect(t.event == reference.event, "\(name)")
    #expect(result.summary.rowsRead == 5 && result.summary.rowsMerged == 1, "\(name)")
  }

  @Test func aPipeHeaderIsPipesNotSpaces() throws {
    let result = try Self.read("customer_id | date | amount\nC1 | 2024-01-05 | 12.5\nC2 | 2024-01-06 | 3\n")
    #expect(result.summary.delimiter == "|")
    #expect(result.table.customerIDs == ["C1", "C2"])
    #expect(Array(result.table.amount) == [12.5, 3])
  }

  @Test func quotedValuesKeepTheirSpacesAndTabs() throws {
    let text = "customer_id date amount channel\n\"Jane  Doe\" 2024-01-05 10 \"web\tshop\"\n\"a \"\"b\"\" c\" 2024-01-06 2 app\nx\"y 2024-01-07 3 app\n"
    let t = try Self.read(text) { $0.attributeColumns = ["channel"] }.table
    #expect(t.customerIDs == ["Jane  Doe", "a \"b\" c", "x\"y"])
    let channel = try #require(t.attributes["channel"])
    #expect(channel.levelOfCustomer.map { channel.levels[Int($0)] } == ["web\tshop", "app", "app"])
  }

  @Test func runsCutByBlockAndPartBoundaries() throws {
    // Runs of 1 to 40 spaces and tabs, so that block and part cuts land inside them.
    var text = "customer_id date amount\n"
    var expectedTotal = 0.0
    for k in 0..<20_000 {
      let run = String(repeating: k % 3 == 0 ? "\t" : " ", count: 1 + k % 40)
      text += "\(run)C\(k % 700)\(run)2024-01-\(k % 28 + 1 < 10 ? "0" : "")\(k % 28 + 1)\(run)\(k % 97)\(k % 5 == 0 ? run : "")\n"
      expectedTotal += Double(k % 97)
    }
    let split = try Self.read(text) {
      $0.keepSameDay = true
      $0.threads = 2
      $0.blockBytes = 100_000
      $0.maxRowBytes = 1_000
      $0.minimumPartBytes = 1_000
    }
    #expect(split.summary.rowsRead == 20_000)
    #expect(split.summary.rowsRejected == 0)
    #expect(split.table.customerCount == 700)
    #expect(split.table.amount.reduce(0, +) == expectedTotal)
    let whole = try Self.read(text) { $0.keepSameDay = true }
    #expect(split.table.customerIDs == whole.table.customerIDs)
    #expect(split.table.day == whole.table.day)
  }

  @Test func rejectedRowsShowTheirTabsAsSpaces() throws {
    let dir = Scratch.path("ws-rejects")
    let rejectsPath = dir.appendingPathComponent("rejects.txt").path
    let text = "customer_id  date amount\nC1 2024-01-01 5\n C2\t 2024-02-30  5\nC3 2024-01-02 6\n"
    let result = try Self.read(text) {
      $0.onError = .skip
      $0.rejectsPath = rejectsPath
    }
    #expect(result.table.customerIDs == ["C1", "C3"])
    let rejects = try String(contentsOfFile: rejectsPath, encoding: .utf8)
    #expect(
      rejects == """
        customer_id  date amount
        # t.csv:3:6: date '2024-02-30' does not exist — expected a real calendar day (2024-02 has 29 days)
         C2  2024-02-30  5

        """)
  }
}

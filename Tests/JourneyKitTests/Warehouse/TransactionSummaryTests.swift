import Foundation
@testable import JourneyKit
import Scratch
import Testing

/// `journey-summary/1`: what a fit reads, written and read back, gives the same table and
/// therefore the same model, to the last digit, for every built-in state space and period.
@Suite("Transaction summary (journey-summary/1)", .serialized)
struct TransactionSummaryTests {
  static let folder: URL = try! Scratch.folder("summary")

  /// The raw history read as ingest reads it, and the same history through its summary.
  static let tables: (raw: TransactionTable, summary: TransactionTable, summaryText: String) = {
    let raw = folder.appendingPathComponent("raw.csv").path
    try! WarehouseHistory.csv(customers: 700, seed: 19).write(toFile: raw, atomically: true, encoding: .utf8)
    var options = ReaderOptions()
    options.attributeColumns = ["channel"]
    let table = try! TransactionReader(options: options).read(path: raw).table
    let text = TransactionSummary.csv(table, splitBy: "channel")
    let path = folder.appendingPathComponent("summary.csv").path
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    return (table, try! TransactionSummary.read(path: path, splitBy: "channel").table, text)
  }()

  @Test func summaryReadsBackToTheSameTable() {
    let (raw, summary, _) = Self.tables
    expectSameTable(summary, raw)
    // The history has what the rules are about: merged same-day purchases, leads and refunds.
    #expect(raw.event.contains(.lead) && raw.event.contains(.refund))
    #expect(raw.customerIDs.contains("X,\"1\""))
  }

  @Test func summaryHasOneRowPerOccasionLeadAndRefund() {
    let (raw, _, text) = Self.tables
    let lines = text.split(separator: "\n")
    #expect(lines.first == "customer_id,date,amount,event,channel")
    #expect(lines.count == raw.rowCount + 1)
    // The split value is on each customer's first row only.
    #expect(lines.filter { $0.hasSuffix(",web") || $0.hasSuffix(",shop") || $0.hasSuffix(",app") }.count <= raw.customerCount)
  }

  static let spaces = ["lifecycle", "value", "rfm:3", "rfm:5", "rf"]

  @Test(arguments: spaces, [PeriodKind.week, .month, .quarter])
  func fitFromTheSummaryEqualsFitFromTheRows(states: String, period: PeriodKind) throws {
    let (raw, summary, _) = Self.tables
    var o = FitOptions()
    o.stateSpace = try StateSpaceKind.parse(states)
    o.period = period
    o.activity = states == "lifecycle" && period == .month
    if states == "lifecycle" || states == "value" { o.splitBy = "channel" }
    // Both fits on one BLAS thread: tests running beside this one switch OpenBLAS's thread count
    // (`BLASThreads.oneEach`), and a product summed in another order differs in its last digit.
    let (fromRows, fromSummary) = try BLASThreads.oneEach {
      (try ModelFitter.fit(raw, options: o).json(), try ModelFitter.fit(summary, options: o).json())
    }
    #expect(fromRows == fromSummary, "\(states) \(period)")
  }

  @Test func autoChoosesTheSameSpaceFromTheSummary() throws {
    let (raw, summary, _) = Self.tables
    var fit = FitOptions()
    fit.asOf = CalendarDay(iso: "2025-06-30")
    let a = try StateSpaceSelection.run(raw, fit: fit, options: .init(horizon: 3))
    let b = try StateSpaceSelection.run(summary, fit: fit, options: .init(horizon: 3))
    #expect(a.chosen == b.chosen)
    #expect(a.text(period: .month) == b.text(period: .month))
  }

  @Test func amountsKeepEveryBit() throws {
    for value in [19.99, 0.1 + 0.2, -4.2, 1e-5, 123_456_789.125, 1e12, -0.0, 0, 3] {
      let text = TransactionSummary.amountText(value)
      #expect(Double(text)?.bitPattern == value.bitPattern, "\(value) -> \(text)")
    }
  }

  static let notSummaries: [(header: String, message: String)] = [
    ("customer_id,date,amount", "not a Journey summary (journey-summary/1): the header is 'customer_id,date,amount'"),
    ("id,date,amount,event", "expected 'customer_id,date,amount,event' and at most one split column"),
    ("customer_id,date,amount,event,a,b", "the header is 'customer_id,date,amount,event,a,b'"),
  ]

  @Test(arguments: notSummaries)
  func aFileThatIsNotASummaryIsRefused(header: String, message: String) throws {
    let path = Self.folder.appendingPathComponent("bad-\(header.hashValueStable).csv").path
    try (header + "\nC1,2024-01-01,5,purchase\n").write(toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try TransactionSummary.read(path: path)
    } throws: { error in
      guard let e = error as? SummaryFormatError else { return false }
      return e.description.contains(message) && e.description.hasPrefix("\(path):1: ")
    }
  }

  @Test func splitColumnMustBeTheSummarys() throws {
    let path = Self.folder.appendingPathComponent("no-split.csv").path
    try "customer_id,date,amount,event\nC1,2024-01-01,5,purchase\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: SummaryFormatError.missingSplit(path: path, column: "channel", found: nil)) {
      try TransactionSummary.read(path: path, splitBy: "channel")
    }
    #expect(
      SummaryFormatError.missingSplit(path: "s.csv", column: "channel", found: nil).description
        == "s.csv:1: the summary has no column 'channel' to split by (it has no split column); compute it again with `journey sql --split-by channel`")
  }

  /// A row a warehouse passed through (ingest would reject it) is rejected with its line.
  @Test func badRowsAreRejectedWithTheirLine() throws {
    let path = Self.folder.appendingPathComponent("bad-row.csv").path
    try "customer_id,date,amount,event\nC1,2024-01-01,5,purchase\nC1,2024-01-02,7,lead\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try TransactionSummary.read(path: path)
    } throws: { error in
      "\(error)".contains("\(path):3:") && "\(error)".contains("amount '7' on a lead")
    }
  }
}

/// Every column equal, amounts to the bit.
func expectSameTable(_ a: TransactionTable, _ b: TransactionTable, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  #expect(a.customerIDs == b.customerIDs, sourceLocation: sourceLocation)
  #expect(a.rowStart == b.rowStart, sourceLocation: sourceLocation)
  #expect(a.day == b.day, sourceLocation: sourceLocation)
  #expect(a.event == b.event, sourceLocation: sourceLocation)
  #expect(a.amount.map(\.bitPattern) == b.amount.map(\.bitPattern), sourceLocation: sourceLocation)
  #expect(a.attributes == b.attributes, sourceLocation: sourceLocation)
}

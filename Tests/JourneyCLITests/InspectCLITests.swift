import Foundation
import Testing

@Suite("journey inspect")
struct InspectCLITests {
  /// A generated file and its truth, in a fresh directory.
  func generated(customers: Int = 3_000, seed: Int = 11) throws -> (dir: URL, csv: String, counts: [String: Any]) {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("t.csv").path
    let r = try runJourney(["generate", "--customers", String(customers), "--seed", String(seed), "-o", csv])
    #expect(r.status == 0, "\(r.stderr)")
    let truth = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("t.truth.json").path))
    let json = try #require(try JSONSerialization.jsonObject(with: truth) as? [String: Any])
    return (dir, csv, try #require(json["counts"] as? [String: Any]))
  }

  @Test func helpHasAnExample() throws {
    let r = try runJourney(["inspect", "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("Example:"))
    #expect(r.stdout.contains("journey inspect transactions.csv"))
    for flag in ["--customer-column", "--date-format", "--decimal-comma", "--on-error", "--rejects", "--keep-same-day", "--period"] {
      #expect(r.stdout.contains(flag), "\(flag) missing from help")
    }
  }

  @Test func jsonAgreesWithTheGeneratorTruth() throws {
    let (dir, csv, counts) = try generated()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runJourney(["inspect", csv, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let profile = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let ingest = try #require(profile["ingest"] as? [String: Any])
    #expect(ingest["rows_read"] as? Int == counts["rows"] as? Int)
    #expect(ingest["rows_rejected"] as? Int == 0)
    #expect(profile["customers"] as? Int == counts["customers"] as? Int)
    #expect(profile["buyers"] as? Int == counts["buyers"] as? Int)
    #expect(profile["purchase_occasions"] as? Int == counts["purchase_occasions"] as? Int)
    #expect(
      ingest["rows_merged"] as? Int == (counts["purchase_rows"] as! Int) - (counts["purchase_occasions"] as! Int))
    let revenue = try #require(profile["revenue"] as? Double)
    #expect(abs(revenue - (counts["revenue"] as! Double)) < 0.01)
    let periods = try #require(profile["periods"] as? [[String: Any]])
    #expect(periods.count == 36)
    #expect(periods.map { $0["new_customers"] as! Int }.reduce(0, +) == counts["buyers"] as? Int)
  }

  @Test func tableShowsTheSummaryAndASuggestion() throws {
    let (dir, csv, counts) = try generated()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runJourney(["inspect", csv, "--period", "quarter"])
    #expect(r.status == 0, "\(r.stderr)")
    let customers = (counts["customers"] as! Int).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    #expect(r.stdout.contains("customers      \(customers)"))
    #expect(r.stdout.contains("columns        customer customer_id, date date, amount amount, event event (comma-separated)"))
    #expect(r.stdout.contains("Per quarter"))
    #expect(r.stdout.contains("2025-Q4"))
    #expect(r.stdout.contains("Suggested period: month"))
  }

  @Test func readsStandardInput() throws {
    let (dir, csv, counts) = try generated(customers: 500)
    defer { try? FileManager.default.removeItem(at: dir) }
    let process = Process()
    process.executableURL = journeyBinary
    process.arguments = ["inspect", "-", "--json"]
    process.standardInput = FileHandle(forReadingAtPath: csv)
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let profile = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(profile["customers"] as? Int == counts["customers"] as? Int)
    #expect((profile["ingest"] as? [String: Any])?["source"] as? String == "<stdin>")
  }

  @Test func delimiterSpaceReadsColumnsSeparatedByRunsOfSpacesAndTabs() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("fixed.txt").path
    // The header's one tab would be taken for the delimiter: `--delimiter space` says otherwise.
    try "customer_id\tdate  amount\n  C1  2024-01-05   12.50\n  C2\t2024-01-06    7\n  C1  2024-02-05  3.25\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let detected = try runJourney(["inspect", path])
    #expect(detected.status == 65)
    #expect(detected.stderr.contains("no column 'date'"))
    let r = try runJourney(["inspect", path, "--delimiter", "space", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let profile = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(profile["customers"] as? Int == 2)
    #expect(profile["revenue"] as? Double == 22.75)
    #expect((profile["ingest"] as? [String: Any])?["delimiter"] as? String == "spaces")
  }

  @Test func quantityColumnMakesEachOrderLineQuantityTimesPrice() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("lines.csv").path
    try "InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,6,12/1/2010 8:26,2.55,17850\n1,2,12/1/2010 8:26,3.39,17850\nC2,-1,12/2/2010 9:41,27.50,13047\n3,32,12/3/2010 8:34,1.69,13047\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    let columns = ["--customer-column", "CustomerID", "--date-column", "InvoiceDate", "--amount-column", "UnitPrice", "--date-format", "%m/%d/%Y %H:%M"]
    let r = try runJourney(["inspect", path, "--quantity-column", "Quantity", "--json"] + columns)
    #expect(r.status == 0, "\(r.stderr)")
    let profile = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    // 6 x 2.55 + 2 x 3.39 + 32 x 1.69 = 15.30 + 6.78 + 54.08; the -1 x 27.50 line is a refund.
    #expect(profile["revenue"] as? Double == 76.16)
    #expect(profile["refunds"] as? Double == 27.5)
    #expect((profile["ingest"] as? [String: Any])?["quantity_column"] as? String == "Quantity")
    let text = try runJourney(["inspect", path, "--quantity-column", "Quantity"] + columns)
    #expect(text.stdout.contains("columns        customer CustomerID, date InvoiceDate, amount Quantity x UnitPrice (comma-separated)"))
    let summary = try runJourney(["fit", "--summary", path, "--quantity-column", "Quantity", "-o", dir.appendingPathComponent("m.json").path])
    #expect(summary.status == 64)
    #expect(summary.stderr.contains("--quantity-column: a summary's amounts are already per occasion"))
  }

  @Test func badFileExits65WithFileLineColumn() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("bad.csv").path
    try "customer_id,date,amount\nC1,2024-01-01,5\nC2,2024-02-30,5\nC3,2024-01-01,abc\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let r = try runJourney(["inspect", csv])
    #expect(r.status == 65)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("\(csv):3:4: date '2024-02-30' does not exist — expected a real calendar day (2024-02 has 29 days)"))
    #expect(r.stderr.contains("\(csv):4:15: amount 'abc' — expected a number such as 12.50"))
    #expect(r.stderr.contains("2 problems found"))
  }

  @Test func skipWritesRejectsAndCountsReasons() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("bad.csv").path
    let rejects = dir.appendingPathComponent("rejects.csv").path
    try "customer_id;date;amount\nC1;01.02.2024;5,50\nC2;31.02.2024;5\nC1;02.02.2024;7\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let r = try runJourney([
      "inspect", csv, "--date-format", "%d.%m.%Y", "--decimal-comma", "--on-error", "skip", "--rejects", rejects, "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("skipped 1 of 3 rows: 1 impossible date; written to \(rejects)"))
    let written = try String(contentsOfFile: rejects, encoding: .utf8)
    #expect(written.hasPrefix("customer_id;date;amount\n# \(csv):3:4: date '31.02.2024' does not exist"))
    #expect(written.hasSuffix("\nC2;31.02.2024;5\n"))
  }

  @Test(arguments: [
    (["--rejects", "r.csv"], "--rejects"),
    (["--date-format", "%Q"], "--date-format"),
    (["--delimiter", "x"], "--delimiter"),
    (["--on-error", "ignore"], "--on-error"),
    (["--period", "year"], "--period"),
  ])
  func flagMisuseIsAUsageError(arguments: [String], flag: String) throws {
    let r = try runJourney(["inspect", "whatever.csv"] + arguments)
    #expect(r.status == 64)
    #expect(r.stderr.contains(flag), "stderr: \(r.stderr)")
  }

  @Test func demoInspectsItsSampleData() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runJourney(["demo", "--output", dir.path, "--customers", "500"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("profile.json"))
    #expect(r.stdout.contains("suggested period: month"))
    let data = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("profile.json").path))
    let profile = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(profile["customers"] as? Int == 500)
  }

  @Test func missingFileExits65() throws {
    let r = try runJourney(["inspect", "/nonexistent/t.csv"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("cannot open '/nonexistent/t.csv': No such file or directory"))
  }
}

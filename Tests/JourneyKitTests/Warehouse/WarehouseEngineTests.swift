import Foundation
import JourneyKit
import Scratch
import Testing

/// The pushdown query, exactly as `journey sql` prints it, run on real engines: each engine's
/// summary must read back to the table ingest makes from the raw file, column for column and
/// amount for amount. Equal tables give equal models for every state space and period
/// (`TransactionSummaryTests`), and one fit per engine checks that end to end.
///
/// The engines come from `.ci/engines.sh`, which `.ci/run` calls; without its variables
/// (`JOURNEY_TEST_POSTGRES` with `JOURNEY_TEST_POSTGRES_PASSWORD`, `JOURNEY_TEST_DUCKDB`,
/// `JOURNEY_TEST_SPARK_PYTHON`) these tests are skipped, so `swift test` passes on a plain machine.
@Suite("Warehouse engines run the printed SQL", .serialized)
struct WarehouseEngineTests {
  static let environment = ProcessInfo.processInfo.environment
  static let postgres = environment["JOURNEY_TEST_POSTGRES"]
  static let duckdb = environment["JOURNEY_TEST_DUCKDB"]
  static let sparkPython = environment["JOURNEY_TEST_SPARK_PYTHON"]

  static let folder: URL = try! Scratch.folder("engines")

  /// The raw history on disk and the table ingest makes of it.
  static let raw: (path: String, table: TransactionTable) = {
    let path = folder.appendingPathComponent("transactions.csv").path
    try! WarehouseHistory.csv(customers: 700, seed: 23).write(toFile: path, atomically: true, encoding: .utf8)
    var options = ReaderOptions()
    options.attributeColumns = ["channel"]
    return (path, try! TransactionReader(options: options).read(path: path).table)
  }()

  /// The same history as order lines (`WarehouseHistory.csv(orderLines:)`): quantity x price is
  /// each row's amount, so the summary must still be the raw table.
  static let lines: String = {
    let path = folder.appendingPathComponent("lines.csv").path
    try! WarehouseHistory.csv(customers: 700, seed: 23, orderLines: true).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }()

  static func query(_ engine: SQLEngine, table: String = "transactions", quantity: Bool = false) throws -> String {
    var q = PushdownQuery(engine: engine, table: table)
    q.splitBy = "channel"
    if quantity { q.quantityColumn = "quantity" }
    return try q.sql()
  }

  @Test func orderLinesReadAsTheRawTable() throws {
    var options = ReaderOptions()
    options.attributeColumns = ["channel"]
    options.quantityColumn = "quantity"
    expectSameTable(try TransactionReader(options: options).read(path: Self.lines).table, Self.raw.table)
  }

  /// Reads an engine's result as a summary and compares it with the raw table, then fits both.
  func expectSameAsIngest(_ summaryPath: String) throws {
    let result = try TransactionSummary.read(path: summaryPath, splitBy: "channel")
    let summary = result.table
    expectSameTable(summary, Self.raw.table)
    // The engine merged the same-day purchases itself: reading had nothing left to merge.
    #expect(result.summary.rowsMerged == 0 && result.summary.rowsRead == Self.raw.table.rowCount)
    var o = FitOptions()
    o.stateSpace = .rfm(levels: 3)
    o.splitBy = "channel"
    o.activity = true
    // OpenBLAS's thread count is process-wide and other suites change it while they run
    // (`BLASThreads.oneEach`); a chain solved on one thread can differ in its last digit from the
    // same solve on two. Both fits run on one thread, so only the inputs can make them differ.
    let (fromSummary, fromRows) = try BLASThreads.oneEach {
      (try ModelFitter.fit(summary, options: o).json(), try ModelFitter.fit(Self.raw.table, options: o).json())
    }
    #expect(fromSummary == fromRows)
  }

  @Test(.enabled(if: postgres != nil))
  func postgreSQL() throws {
    try psql(["-c", "DROP TABLE IF EXISTS transactions", "-c", Self.createTable("transactions", text: "TEXT", double: "DOUBLE PRECISION"),
              "-c", "\\copy transactions FROM '\(Self.raw.path)' CSV HEADER"])
    let sql = Self.folder.appendingPathComponent("postgres.sql").path
    try Self.query(.postgres).write(toFile: sql, atomically: true, encoding: .utf8)
    let out = Self.folder.appendingPathComponent("postgres.csv").path
    try psql(["--csv", "-f", sql, "-o", out])
    try expectSameAsIngest(out)
  }

  @Test(.enabled(if: duckdb != nil))
  func duckDB() throws {
    let database = Self.folder.appendingPathComponent("duck.db").path
    let load = """
      CREATE OR REPLACE TABLE transactions AS SELECT * FROM read_csv('\(Self.raw.path)', header = true, quote = '"', escape = '"',
        columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE', 'event': 'VARCHAR', 'channel': 'VARCHAR'});
      """
    try run(Self.duckdb!, [database, "-c", load])
    let out = Self.folder.appendingPathComponent("duckdb.csv").path
    let result = try run(Self.duckdb!, [database, "-csv", "-c", try Self.query(.duckdb)])
    try result.write(toFile: out, atomically: true, encoding: .utf8)
    try expectSameAsIngest(out)
  }

  @Test(.enabled(if: sparkPython != nil))
  func spark() throws {
    let sql = Self.folder.appendingPathComponent("spark.sql").path
    try Self.query(.spark).write(toFile: sql, atomically: true, encoding: .utf8)
    let runner = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("warehouse/spark_run.py").path
    try run(Self.sparkPython!, [runner, Self.raw.path, Self.folder.path, sql])
    try expectSameAsIngest(Self.folder.appendingPathComponent("spark.csv").path)
  }

  /// Order lines: the engines multiply quantity by price as ingest does.
  @Test(.enabled(if: postgres != nil))
  func orderLinesOnPostgreSQL() throws {
    try psql([
      "-c", "DROP TABLE IF EXISTS lines",
      "-c", "CREATE TABLE lines (customer_id TEXT, date DATE, amount DOUBLE PRECISION, quantity INTEGER, event TEXT, channel TEXT)",
      "-c", "\\copy lines FROM '\(Self.lines)' CSV HEADER",
    ])
    let sql = Self.folder.appendingPathComponent("postgres-lines.sql").path
    try Self.query(.postgres, table: "lines", quantity: true).write(toFile: sql, atomically: true, encoding: .utf8)
    let out = Self.folder.appendingPathComponent("postgres-lines.csv").path
    try psql(["--csv", "-f", sql, "-o", out])
    try expectSameAsIngest(out)
  }

  @Test(.enabled(if: duckdb != nil))
  func orderLinesOnDuckDB() throws {
    let database = Self.folder.appendingPathComponent("duck-lines.db").path
    let load = """
      CREATE OR REPLACE TABLE lines AS SELECT * FROM read_csv('\(Self.lines)', header = true, quote = '"', escape = '"',
        columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE', 'quantity': 'INTEGER', 'event': 'VARCHAR', 'channel': 'VARCHAR'});
      """
    try run(Self.duckdb!, [database, "-c", load])
    let out = Self.folder.appendingPathComponent("duckdb-lines.csv").path
    let result = try run(Self.duckdb!, [database, "-csv", "-c", try Self.query(.duckdb, table: "lines", quantity: true)])
    try result.write(toFile: out, atomically: true, encoding: .utf8)
    try expectSameAsIngest(out)
  }

  @Test(.enabled(if: sparkPython != nil))
  func orderLinesOnSpark() throws {
    // The runner loads the file as the view `transactions` (quantity as a string, cast by the query).
    let sql = Self.folder.appendingPathComponent("spark_lines.sql").path
    try Self.query(.spark, quantity: true).write(toFile: sql, atomically: true, encoding: .utf8)
    let runner = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("warehouse/spark_run.py").path
    let out = Self.folder.appendingPathComponent("spark-lines")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    try run(Self.sparkPython!, [runner, Self.lines, out.path, sql])
    try expectSameAsIngest(out.appendingPathComponent("spark_lines.csv").path)
  }

  /// Rows ingest would reject pass through the query unmerged and are rejected on reading,
  /// with the line and ingest's own message.
  @Test(.enabled(if: postgres != nil))
  func rowsIngestRejectsAreRejectedWhenRead() throws {
    try psql([
      "-c", "DROP TABLE IF EXISTS bad_rows", "-c", Self.createTable("bad_rows", text: "TEXT", double: "DOUBLE PRECISION"),
      "-c", """
        INSERT INTO bad_rows VALUES ('A', '2024-01-05', 10, 'purchase', 'web'), ('A', '2024-01-05', 2.5, 'PURCHASE', 'web'),
          ('A', '2024-02-01', 5, 'lead', 'web'), ('B', '2024-01-09', 3, 'sale', 'shop'), ('C', '2024-01-10', NULL, 'purchase', 'web'),
          ('D', '2024-01-11', 4, 'refund', 'app')
        """,
    ])
    let sql = Self.folder.appendingPathComponent("bad.sql").path
    try Self.query(.postgres, table: "bad_rows").write(toFile: sql, atomically: true, encoding: .utf8)
    let out = Self.folder.appendingPathComponent("bad.csv").path
    try psql(["--csv", "-f", sql, "-o", out])
    let text = try String(contentsOfFile: out, encoding: .utf8)
    // Purchases of a day merged in the engine, whatever their case; the bad rows passed through.
    #expect(text.contains("A,2024-01-05,12.5,purchase,web\n"))
    #expect(text.contains("D,2024-01-11,4,refund,app\n"))
    #expect {
      try TransactionSummary.read(path: out, splitBy: "channel")
    } throws: { error in
      let message = "\(error)"
      return message.contains("\(out):3:") && message.contains("amount '5' on a lead")
        && message.contains("event 'sale'") && message.contains("amount ''")
    }
  }

  static func createTable(_ name: String, text: String, double: String) -> String {
    "CREATE TABLE \(name) (customer_id \(text), date DATE, amount \(double), event \(text), channel \(text))"
  }

  @discardableResult
  func psql(_ arguments: [String]) throws -> String {
    var environment = Self.environment
    environment["PGPASSWORD"] = Self.environment["JOURNEY_TEST_POSTGRES_PASSWORD"]
    return try run("/usr/bin/psql", ["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", Self.postgres!] + arguments, environment: environment)
  }

  /// Runs a program and returns its standard output; a failure records its standard error.
  @discardableResult
  func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let message = String(decoding: stderr, as: UTF8.self)
    try #require(process.terminationStatus == 0, "\(program) \(arguments.prefix(3)) failed: \(message)")
    return String(decoding: stdout, as: UTF8.self)
  }
}

import Foundation
import JourneyKit
import Testing

/// `journey sql`, `fit --summary`, and `fit` / `score --source` against a real PostgreSQL server
/// (the server tests run when `.ci/engines.sh` has set `JOURNEY_TEST_POSTGRES`; `.ci/run` does).
@Suite("Warehouse commands", .serialized)
struct WarehouseCLITests {
  static let environment = ProcessInfo.processInfo.environment
  static let postgres = environment["JOURNEY_TEST_POSTGRES"]
  static let password = environment["JOURNEY_TEST_POSTGRES_PASSWORD"] ?? ""

  static let workspace: URL = {
    let dir = try! temporaryDirectory()
    let g = try! runJourney(["generate", "--customers", "800", "--seed", "4", "-o", dir.appendingPathComponent("data.csv").path])
    precondition(g.status == 0, g.stderr)
    return dir
  }()

  var csv: String { Self.workspace.appendingPathComponent("data.csv").path }
  func path(_ name: String) -> String { Self.workspace.appendingPathComponent(name).path }

  @Test func sqlPrintsTheLibrarysQueryUnchanged() throws {
    for engine in SQLEngine.allCases {
      let r = try runJourney(["sql", "--engine", engine.rawValue, "--table", "crm.orders", "--customer-column", "client", "--split-by", "channel"])
      #expect(r.status == 0, "\(r.stderr)")
      var q = PushdownQuery(engine: engine, table: "crm.orders")
      q.customerColumn = "client"
      q.splitBy = "channel"
      #expect(r.stdout == (try q.sql()))
    }
  }

  @Test func sqlRefusesAnEmptyTableName() throws {
    let r = try runJourney(["sql", "--engine", "postgres", "--table", "crm."])
    #expect(r.status == 64)
    #expect(r.stderr.contains("the table name 'crm.' is empty or has an empty part"))
  }

  @Test func fitFromASummaryGivesTheModelOfTheRows() throws {
    let table = try TransactionReader().read(path: csv).table
    try TransactionSummary.csv(table).write(toFile: path("summary.csv"), atomically: true, encoding: .utf8)
    let a = try runJourney(["fit", csv, "--states", "rf", "-o", path("from-rows.json")])
    let b = try runJourney(["fit", "--summary", path("summary.csv"), "--states", "rf", "-o", path("from-summary.json")])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
    #expect(try modelWithoutSource(path("from-rows.json")) == modelWithoutSource(path("from-summary.json")))
    // The printed summary too, but for its first line, which names the input.
    #expect(a.stdout.split(separator: "\n").dropFirst() == b.stdout.split(separator: "\n").dropFirst())
  }

  @Test func fitTakesOneInput() throws {
    try "customer_id,date,amount,event\n".write(toFile: path("s.csv"), atomically: true, encoding: .utf8)
    let both = try runJourney(["fit", csv, "--summary", path("s.csv"), "-o", path("m.json")])
    #expect(both.status == 64)
    #expect(both.stderr.contains("give one input: a transaction file, --summary FILE or --source URL, not several"))
    let none = try runJourney(["fit", "-o", path("m.json")])
    #expect(none.status == 64)
    #expect(none.stderr.contains("give a transaction file, a summary (--summary FILE) or a table (--source URL --table NAME)"))
  }

  @Test func aTransactionFileIsNotASummary() throws {
    let r = try runJourney(["fit", "--summary", csv, "--states", "lifecycle", "-o", path("m.json")])
    #expect(r.status == 0 || r.status == 65)
    // generate writes customer_id,date,amount,event: the summary's own header, so it reads; a file
    // with other columns does not.
    try "id,day,value\nC1,2024-01-01,5\n".write(toFile: path("other.csv"), atomically: true, encoding: .utf8)
    let bad = try runJourney(["fit", "--summary", path("other.csv"), "--states", "lifecycle", "-o", path("m.json")])
    #expect(bad.status == 65)
    #expect(bad.stderr.contains("\(path("other.csv")):1: not a Journey summary (journey-summary/1): the header is 'id,day,value'"))
  }

  @Test func aPasswordInTheURLIsRefusedAndNotShown() throws {
    let r = try runJourney(["fit", "--source", "postgres://crm:s3cret@db.example:5432/shop", "--table", "t", "-o", path("m.json")])
    #expect(r.status == 64)
    #expect(r.stderr.contains("carries a password"))
    #expect(!r.stderr.contains("s3cret") && r.stderr.contains("postgres://crm:***@db.example:5432/shop"))
  }

  @Test func anUnknownSSLModeIsRefused() throws {
    let r = try runJourney(["fit", "--source", "postgres://crm@db/shop?sslmode=maybe", "--table", "t", "-o", path("m.json")])
    #expect(r.status == 64)
    #expect(r.stderr.contains("sslmode 'maybe' is not one of disable, allow, prefer, require, verify-ca, verify-full"))
  }

  // MARK: - Against the PostgreSQL server

  /// Loads the generated history into `cli_transactions` once.
  static let loaded: Bool = {
    guard postgres != nil else { return false }
    let csv = workspace.appendingPathComponent("data.csv").path
    _ = try? psql([
      "-c", "DROP TABLE IF EXISTS cli_transactions CASCADE",
      "-c", "CREATE TABLE cli_transactions (customer_id TEXT, date DATE, amount DOUBLE PRECISION, event TEXT)",
      "-c", "\\copy cli_transactions FROM '\(csv)' CSV HEADER",
      "-c", "CREATE OR REPLACE VIEW cli_slow AS SELECT t.* FROM cli_transactions t, pg_sleep(3)",
    ])
    return true
  }()

  func journey(_ arguments: [String], password: String? = WarehouseCLITests.password, extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    var env = Self.environment
    env["PGPASSWORD"] = password
    env["PGPASSFILE"] = "/nonexistent/pgpass"
    for (k, v) in extra { env[k] = v }
    return try runJourney(arguments, environment: env)
  }

  @Test(.enabled(if: postgres != nil))
  func fitFromTheServerGivesTheModelOfTheFile() throws {
    #expect(Self.loaded)
    let server = try journey(["fit", "--source", Self.postgres! + "?sslmode=disable", "--table", "cli_transactions", "--states", "rfm:3", "-o", path("pg.json")])
    #expect(server.status == 0, "\(server.stderr)")
    #expect(!server.stderr.contains(Self.password))
    let file = try journey(["fit", csv, "--states", "rfm:3", "-o", path("file.json")])
    #expect(file.status == 0, "\(file.stderr)")
    #expect(try modelWithoutSource(path("pg.json")) == modelWithoutSource(path("file.json")))
  }

  @Test(.enabled(if: postgres != nil))
  func scoreWritesATableOnTheServer() throws {
    #expect(Self.loaded)
    _ = try journey(["fit", csv, "--states", "lifecycle", "-o", path("life.json")])
    let r = try journey([
      "score", "--source", Self.postgres!, "--table", "cli_transactions", "--model", path("life.json"), "--horizon", "6",
      "--scores-table", "public.cli_scores", "-o", path("scores.csv"),
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("wrote table public.cli_scores"))
    let file = try String(contentsOfFile: path("scores.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    let server = try Self.psql(["-A", "-t", "-F", ",", "-c",
      "SELECT customer_id, state, round(churn_probability_6::numeric, 4), round(expected_purchases_6::numeric, 3), round(expected_revenue_6::numeric, 2), round(clv::numeric, 2), coalesce(round(active_probability::numeric, 4)::text, '') FROM cli_scores ORDER BY customer_id"])
      .split(separator: "\n")
    #expect(server.count == file.count && file.count > 500)
    #expect(Array(server) == file.sorted().map { Substring($0) })
    // Writing again replaces the table.
    let again = try journey([
      "score", "--source", Self.postgres!, "--table", "cli_transactions", "--model", path("life.json"), "--horizon", "6", "--scores-table", "cli_scores",
    ])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try Self.psql(["-A", "-t", "-c", "SELECT count(*) FROM cli_scores"]).trimmingCharacters(in: .whitespacesAndNewlines) == "\(file.count)")
  }

  /// A table with its own column names: `score --source` takes them from the model as a file
  /// read does, says so, and scores as with the flags given; a flag given still wins.
  @Test(.enabled(if: postgres != nil))
  func scoreFromTheServerTakesTheModelsColumnNames() throws {
    #expect(Self.loaded)
    try Self.psql([
      "-c", "DROP TABLE IF EXISTS cli_german",
      "-c", "CREATE TABLE cli_german AS SELECT customer_id AS kunde, date AS datum, amount AS betrag, event AS art FROM cli_transactions",
    ])
    let columns = ["--customer-column", "kunde", "--date-column", "datum", "--amount-column", "betrag", "--event-column", "art"]
    let source = ["--source", Self.postgres!, "--table", "cli_german"]
    let fit = try journey(["fit"] + source + columns + ["--states", "lifecycle", "-o", path("german.json")])
    #expect(fit.status == 0, "\(fit.stderr)")
    let taken = try journey(["score"] + source + ["--model", path("german.json"), "--horizon", "3", "-o", path("german-taken.csv")])
    #expect(taken.status == 0, "\(taken.stderr)")
    #expect(taken.stderr.contains(
      "reading cli_german as the model's input was read: --customer-column 'kunde' --date-column 'datum' --amount-column 'betrag' --event-column 'art'\n"),
      "\(taken.stderr)")
    let given = try journey(["score"] + source + columns + ["--model", path("german.json"), "--horizon", "3", "-o", path("german-given.csv")])
    #expect(given.status == 0 && !given.stderr.contains("as the model's input was read"), "\(given.stderr)")
    let a = try String(contentsOfFile: path("german-taken.csv"), encoding: .utf8)
    #expect(a == (try String(contentsOfFile: path("german-given.csv"), encoding: .utf8)) && a.split(separator: "\n").count > 500)
    // A column flag given overrides the model's: the table has no column 'customer_id'.
    let wrong = try journey(["score"] + source + ["--customer-column", "customer_id", "--model", path("german.json"), "--horizon", "3", "-o", path("german-wrong.csv")])
    #expect(wrong.status != 0 && wrong.stderr.contains("customer_id"), "\(wrong.stderr)")
    #expect(!wrong.stderr.contains("--customer-column 'kunde'"))
  }

  /// The server's rows are spooled to a temporary file before ingest reads them: a row ingest
  /// rejects is still named by the table and its line in the summary, never by the temporary
  /// file, and the file is gone afterwards.
  @Test(.enabled(if: postgres != nil))
  func aRejectedRowIsNamedByItsTable() throws {
    #expect(Self.loaded)
    try Self.psql([
      "-c", "DROP TABLE IF EXISTS cli_bad",
      "-c", "CREATE TABLE cli_bad (customer_id TEXT, date DATE, amount DOUBLE PRECISION, event TEXT)",
      "-c", "INSERT INTO cli_bad VALUES ('A', '2024-01-05', 10, 'purchase'), ('A', '2024-02-01', 5, 'lead'), ('B', '2024-01-09', 3, 'purchase')",
    ])
    let spoolFolder = path("spool")
    try FileManager.default.createDirectory(atPath: spoolFolder, withIntermediateDirectories: true)
    let r = try journey(["fit", "--source", Self.postgres!, "--table", "cli_bad", "--states", "lifecycle", "-o", path("bad.json")],
      extra: ["TMPDIR": spoolFolder])
    #expect(r.status == 65, "\(r.stderr)")
    // Line 3 of the summary: the header, A's purchase, then A's lead with an amount.
    #expect(r.stderr.contains("table cli_bad:3:"), "\(r.stderr)")
    #expect(r.stderr.contains("amount '5' on a lead"), "\(r.stderr)")
    #expect(!r.stderr.contains("journey-summary-"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: spoolFolder).isEmpty)
    #expect(!FileManager.default.fileExists(atPath: path("bad.json")))
  }

  @Test(.enabled(if: postgres != nil))
  func aPgpassFileGivesThePassword() throws {
    #expect(Self.loaded)
    let url = try #require(URL(string: Self.postgres!))
    try "# journey test\n\(url.host!):\(url.port!):*:journey:\(Self.password)\n".write(toFile: path("pgpass"), atomically: true, encoding: .utf8)
    chmod(path("pgpass"), 0o600)
    let r = try journey(["fit", "--source", Self.postgres!, "--table", "cli_transactions", "--states", "lifecycle", "-o", path("pgpass.json")],
      password: nil, extra: ["PGPASSFILE": path("pgpass")])
    #expect(r.status == 0, "\(r.stderr)")
  }

  struct Failure: Sendable, CustomStringConvertible {
    var name: String
    var arguments: [String]
    var password: String?
    var status: Int32
    var message: String
    var extra: [String: String] = [:]
    var description: String { name }
  }

  static var failures: [Failure] {
    guard let url = postgres, let parsed = URL(string: url) else { return [] }
    let closed = "postgres://journey@127.0.0.1:1/journey"
    return [
      Failure(name: "connection refused", arguments: ["--source", closed, "--table", "cli_transactions"], password: password, status: 69,
        message: "cannot connect to postgres://journey@127.0.0.1:1/journey:"),
      Failure(name: "bad password", arguments: ["--source", url, "--table", "cli_transactions"], password: "wrong-password", status: 77,
        message: "postgres://journey@\(parsed.host!):\(parsed.port!)/journey: the server refused user 'journey': password authentication failed for user \"journey\"; check the password in PGPASSWORD or ~/.pgpass"),
      Failure(name: "no password", arguments: ["--source", url, "--table", "cli_transactions"], password: nil, status: 77,
        message: "no password was found: set PGPASSWORD or add a line to ~/.pgpass"),
      Failure(name: "no permission on the table", arguments: ["--source", url.replacingOccurrences(of: "//journey@", with: "//journey_reader@"), "--table", "cli_transactions"],
        password: password, status: 77, message: "table 'cli_transactions': permission denied for table cli_transactions; ask the table's owner for SELECT"),
      Failure(name: "missing table", arguments: ["--source", url, "--table", "no_such_table"], password: password, status: 66,
        message: "table 'no_such_table': relation \"no_such_table\" does not exist; check the name and schema"),
      Failure(name: "missing column", arguments: ["--source", url, "--table", "cli_transactions", "--customer-column", "client"], password: password, status: 78,
        message: "table 'cli_transactions': column \"client\" does not exist; the query reads the columns client, date, amount, event: name yours with --customer-column"),
      Failure(name: "statement timeout", arguments: ["--source", url, "--table", "cli_slow", "--statement-timeout", "1"], password: password, status: 75,
        message: "the server cancelled the query after the statement timeout of 1.0 s"),
      Failure(name: "TLS required, server without TLS", arguments: ["--source", url + "?sslmode=require", "--table", "cli_transactions"], password: password, status: 76,
        message: "sslmode=require: the server does not offer TLS"),
      Failure(name: "no room for the temporary summary", arguments: ["--source", url, "--table", "cli_transactions"], password: password, status: 74,
        message: "cannot write the summary to the temporary file /nonexistent/journey-tmp: No such file or directory; set TMPDIR",
        extra: ["TMPDIR": "/nonexistent/journey-tmp"]),
    ]
  }

  @Test(.enabled(if: postgres != nil), arguments: failures)
  func eachConnectionFailureHasItsMessageAndExitCode(_ failure: Failure) throws {
    #expect(Self.loaded)
    let r = try journey(["fit"] + failure.arguments + ["--states", "lifecycle", "-o", path("failed.json")], password: failure.password, extra: failure.extra)
    #expect(r.status == failure.status, "\(failure.name): \(r.stderr)")
    #expect(r.stderr.contains(failure.message), "\(failure.name): \(r.stderr)")
    #expect(!r.stderr.contains(Self.password) && !r.stderr.contains("wrong-password"))
    #expect(!FileManager.default.fileExists(atPath: path("failed.json")))
  }

  @discardableResult
  static func psql(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    process.arguments = ["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", postgres!] + arguments
    var env = environment
    env["PGPASSWORD"] = password
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "psql failed: " + String(decoding: stderr, as: UTF8.self)])
    }
    return String(decoding: stdout, as: UTF8.self)
  }
}

/// A model file as JSON, without the name of its input (a file path or a server URL) and its
/// content hash: the hash follows the row order within a customer's day, which a file keeps
/// and a warehouse cannot know (the query orders such rows by event); nothing fitted depends on it.
func modelWithoutSource(_ path: String) throws -> NSDictionary {
  var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
  var input = root["input"] as! [String: Any]
  input["source"] = nil
  input["content_hash"] = nil
  root["input"] = input
  return root as NSDictionary
}

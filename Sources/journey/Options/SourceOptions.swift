import ArgumentParser
import Foundation
import JourneyKit
import JourneyPostgres

/// A live PostgreSQL table as the input (`--source URL --table NAME`), for `fit` and `score`.
///
/// The pushdown query (`journey sql --engine postgres`) runs on the server; only the summary
/// comes back. The column flags of the transaction input (`--customer-column` and friends)
/// name the table's columns.
struct SourceOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Read a PostgreSQL table instead of a file: postgres://user@host:port/database[?sslmode=disable|prefer|require|verify-ca|verify-full]; the password comes from PGPASSWORD or ~/.pgpass, never from the URL.", valueName: "url"))
  var source: String?

  @Option(help: ArgumentHelp("With --source: the table (or view) of transactions, optionally schema.table.", valueName: "name"))
  var table: String?

  @Flag(help: "With --source: the table has no event column (every row is a purchase, or a refund when negative).")
  var noEventColumn = false

  @Option(help: ArgumentHelp("With --source: cancel the query after this many seconds.", valueName: "seconds"))
  var statementTimeout: Double?

  func validate() throws {
    switch (source, table) {
    case (.some, nil): throw ValidationError("--table: --source needs the table to read, e.g. --table sales.transactions")
    case (nil, .some): throw ValidationError("--table: only used with --source")
    default: break
    }
    if source == nil && (noEventColumn || statementTimeout != nil) {
      throw ValidationError("--no-event-column and --statement-timeout are only used with --source")
    }
    if let t = statementTimeout, !(t > 0 && t <= 86_400) {
      throw ValidationError("--statement-timeout: '\(t)' must be above 0 and at most 86400 seconds")
    }
    if let source {
      do {
        _ = try PostgresURL(parsing: source)
      } catch {
        throw ValidationError(error.description)
      }
    }
  }

  /// The live source, or nil without --source.
  func postgres() throws -> PostgresSource? {
    guard let source else { return nil }
    var s = PostgresSource(url: try PostgresURL(parsing: source))
    s.statementTimeoutSeconds = statementTimeout
    return s
  }

  /// Runs the pushdown query on the server and reads the summary it returns.
  /// With `model`, its settings stand for the column flags not given (`InputFormatOptions.readSettings`).
  func readSummary(_ source: PostgresSource, format: InputFormatOptions, splitBy: String?, model: ReadSettings? = nil) throws -> IngestResult {
    let settings = format.readSettings(model: model)
    var q = PushdownQuery(engine: .postgres, table: table!)
    q.customerColumn = settings.customerColumn
    q.dateColumn = settings.dateColumn
    q.amountColumn = settings.amountColumn
    q.quantityColumn = settings.quantityColumn
    q.eventColumn = noEventColumn ? nil : (settings.eventColumn ?? "event")
    q.splitBy = splitBy
    printError("reading the summary of \(table!) from \(source.url.redacted)")
    format.noteFlagsTaken(reading: table!, from: model, columnsOnly: true)
    return try source.summary(q, options: try format.readerOptions(model: model))
  }
}


import Dispatch
import Foundation
import JourneyKit
import Logging
import NIOSSL
import PostgresNIO

/// A live PostgreSQL source: runs the pushdown query (`PushdownQuery`) on the server and reads
/// the summary back, and writes per-customer scores back into a table.
///
/// The password comes from `PGPASSWORD` or a pgpass file (`PGPASSFILE`, default `~/.pgpass`),
/// as libpq reads them; a password inside the URL is refused, so it never lands in a shell
/// history, a process list or a message. TLS follows `sslmode` (see `PostgresURL.SSLMode`).
public struct PostgresSource: Sendable {
  /// Where to connect, and how.
  public var url: PostgresURL
  /// Cancel a statement that runs longer than this; nil leaves the server's setting.
  public var statementTimeoutSeconds: Double?
  /// How long to wait for the connection.
  public var connectTimeoutSeconds: Double = 10
  let password: String?

  /// - Parameter environment: where `PGPASSWORD`, `PGPASSFILE` and `HOME` are read.
  public init(url: PostgresURL, environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.url = url
    password = environment["PGPASSWORD"] ?? PgPass.lookup(url: url, environment: environment)
  }

  /// Runs the pushdown query on the server and reads its rows as a `journey-summary/1`.
  ///
  /// The rows are spooled, as they arrive, to a temporary file (in `TMPDIR`, removed afterwards)
  /// that ingest then reads as it reads any file: holding them in memory as well would double the
  /// peak (on 10M rows, 801 MB against 467 MB).
  ///
  /// - Throws: `PostgresSourceError` for connection, credentials, TLS, missing table or column,
  ///   timeouts and a temporary file that cannot be written; `InputFailure` for rows ingest rejects
  ///   (named `table NAME, row N`).
  public func summary(_ query: PushdownQuery, options: ReaderOptions = ReaderOptions()) throws -> IngestResult {
    precondition(query.engine == .postgres, "a PostgreSQL source runs the postgres dialect")
    let sql = try query.sql()
    let width = query.splitBy == nil ? 4 : 5
    let spool = try SummarySpool()
    defer { spool.remove() }
    try withConnection { connection in
      var out = Array((TransactionSummary.columns + (query.splitBy.map { [$0] } ?? [])).map(TransactionSummary.quoted).joined(separator: ",").utf8)
      out.append(0x0A)
      let rows = try await self.run(PostgresQuery(unsafeSQL: sql), on: connection, table: query.table, columns: query.columnNames)
      // A timeout or a server error can also arrive while the rows stream in.
      do {
        for try await row in rows {
          var k = 0
          for cell in row {
            if k > 0 { out.append(0x2C) }
            if k == 2 {
              if let amount = try cell.decode(Double?.self) { out.append(contentsOf: TransactionSummary.amountText(amount).utf8) }
            } else if let text = try cell.decode(String?.self) {
              out.append(contentsOf: TransactionSummary.quoted(text).utf8)
            }
            k += 1
          }
          precondition(k == width, "the pushdown query returns \(width) columns")
          out.append(0x0A)
          if out.count >= SummarySpool.chunkBytes {
            try spool.write(out)
            out.removeAll(keepingCapacity: true)
          }
        }
      } catch let error as PSQLError {
        throw PostgresSourceError.running(error, table: query.table, columns: query.columnNames, timeoutSeconds: self.statementTimeoutSeconds)
      }
      try spool.write(out)
    }
    try spool.close()
    return try TransactionSummary.read(
      path: spool.path, name: "\(url.redacted) table \(query.table)", splitBy: query.splitBy, options: options)
  }

  /// Replaces `table` with `scores` in one transaction: readers see the old table or the new
  /// one, never a half-written one.
  ///
  /// Columns: `customer_id TEXT, state TEXT, churn_probability, expected_purchases,
  /// expected_revenue, clv, active_probability DOUBLE PRECISION` (the last NULL for customers
  /// without a purchase, or for models without an activity model).
  /// - Returns: the rows written.
  @discardableResult
  public func writeScores(_ scores: CustomerScores, to table: String) throws -> Int {
    let target = try QualifiedName(table)
    let staging = target.withName(target.name + "_journey_new")
    let h = scores.horizon
    let columns = ["customer_id", "state", "churn_probability_\(h)", "expected_purchases_\(h)", "expected_revenue_\(h)", "clv", "active_probability"]
    let create = "CREATE TABLE \(staging.quoted) (\(columns.map { quote($0) }.enumerated().map { $0.offset < 2 ? "\($0.element) TEXT NOT NULL" : "\($0.element) DOUBLE PRECISION" }.joined(separator: ", ")))"
    let customers = scores.states.indices.filter { scores.states[$0] >= 0 }
    // 7 binds per row; a statement takes at most 65,535.
    let rowsPerStatement = 5_000
    return try withConnection { connection in
      _ = try await self.run("BEGIN", on: connection, table: table, columns: [])
      do {
        _ = try await self.run(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(staging.quoted)"), on: connection, table: table, columns: [])
        _ = try await self.run(PostgresQuery(unsafeSQL: create), on: connection, table: table, columns: [])
        var start = 0
        while start < customers.count {
          let chunk = customers[start..<min(customers.count, start + rowsPerStatement)]
          var binds = PostgresBindings(capacity: chunk.count * 7)
          var placeholders: [String] = []
          placeholders.reserveCapacity(chunk.count)
          for (i, c) in chunk.enumerated() {
            let e = scores.expectations(c)
            let s = Int(scores.states[c])
            binds.append(scores.customerIDs[c])
            binds.append(scores.stateNames[s])
            binds.append(scores.churnProbability(c))
            binds.append(e.purchases)
            binds.append(e.revenue)
            binds.append(e.lifetimeValue)
            binds.append(e.activeProbability)
            let b = i * 7
            placeholders.append("($\(b + 1),$\(b + 2),$\(b + 3),$\(b + 4),$\(b + 5),$\(b + 6),$\(b + 7))")
          }
          let insert = "INSERT INTO \(staging.quoted) VALUES " + placeholders.joined(separator: ",")
          _ = try await self.run(PostgresQuery(unsafeSQL: insert, binds: binds), on: connection, table: table, columns: [])
          start += rowsPerStatement
        }
        _ = try await self.run(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(target.quoted)"), on: connection, table: table, columns: [])
        _ = try await self.run(
          PostgresQuery(unsafeSQL: "ALTER TABLE \(staging.quoted) RENAME TO \(quote(target.name))"), on: connection, table: table, columns: [])
        _ = try await self.run("COMMIT", on: connection, table: table, columns: [])
      } catch {
        _ = try? await connection.query("ROLLBACK", logger: Self.logger)
        throw error
      }
      return customers.count
    }
  }

  // MARK: - Connection and errors

  static let logger = Logger(label: "journey.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

  /// Connects, sets the statement timeout, runs `body` and closes, translating every failure.
  func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) throws -> T {
    let configuration = try self.configuration()
    let timeout = statementTimeoutSeconds
    let url = url
    return try blocking {
      let connection: PostgresConnection
      do {
        connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
      } catch {
        throw PostgresSourceError.connecting(error, url: url, passwordGiven: configuration.password != nil)
      }
      do {
        if let timeout {
          let ms = max(1, Int((timeout * 1000).rounded()))
          _ = try await connection.query(PostgresQuery(unsafeSQL: "SET statement_timeout = \(ms)"), logger: Self.logger)
        }
        let result = try await body(connection)
        try? await connection.close()
        return result
      } catch {
        try? await connection.close()
        throw error
      }
    }
  }

  /// Runs a statement and turns the server's refusals into `PostgresSourceError`s.
  func run(_ query: PostgresQuery, on connection: PostgresConnection, table: String, columns: [String]) async throws -> PostgresRowSequence {
    do {
      return try await connection.query(query, logger: Self.logger)
    } catch let error as PSQLError {
      throw PostgresSourceError.running(error, table: table, columns: columns, timeoutSeconds: statementTimeoutSeconds)
    }
  }

  func configuration() throws(PostgresSourceError) -> PostgresConnection.Configuration {
    let tls: PostgresConnection.Configuration.TLS
    switch url.sslMode {
    case .disable:
      tls = .disable
    case .allow, .prefer, .require, .verifyCA, .verifyFull:
      var settings = TLSConfiguration.makeClientConfiguration()
      // libpq: require (and prefer) encrypt without checking the certificate; verify-ca checks
      // the chain; verify-full also the host name.
      switch url.sslMode {
      case .verifyFull: settings.certificateVerification = .fullVerification
      case .verifyCA: settings.certificateVerification = .noHostnameVerification
      default: settings.certificateVerification = .none
      }
      let context: NIOSSLContext
      do {
        context = try NIOSSLContext(configuration: settings)
      } catch {
        throw .tls(url: url.redacted, mode: url.sslMode, reason: "\(error)")
      }
      tls = url.sslMode == .prefer || url.sslMode == .allow ? .prefer(context) : .require(context)
    }
    var configuration = PostgresConnection.Configuration(
      host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: tls)
    configuration.options.connectTimeout = .milliseconds(Int64(connectTimeoutSeconds * 1000))
    if url.sslMode == .verifyFull { configuration.options.tlsServerName = url.host }
    return configuration
  }
}

/// Waits for async work from synchronous code (the command line runs synchronously).
private func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
  let box = ResultBox<T>()
  let done = DispatchSemaphore(value: 0)
  Task {
    do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
    done.signal()
  }
  done.wait()
  return try box.result!.get()
}

/// The result of the async work, handed to the waiting thread (the semaphore orders the accesses).
private final class ResultBox<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
}

/// A schema-qualified table name, quoted for PostgreSQL.
struct QualifiedName {
  var schema: String?
  var name: String

  init(_ text: String) throws(PushdownQueryError) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else { throw .emptyName(what: "table", value: text) }
    schema = parts.count == 2 ? parts[0] : nil
    name = parts.last!
  }

  func withName(_ name: String) -> QualifiedName {
    var copy = self
    copy.name = name
    return copy
  }

  var quoted: String { (schema.map { quote($0) + "." } ?? "") + quote(name) }
}

func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// The temporary file a live source's summary is spooled to before ingest reads it. It is
/// registered with `TemporaryFiles`, so a run stopped by Ctrl-C or a kill leaves nothing behind.
final class SummarySpool: @unchecked Sendable {
  /// Bytes gathered before each write.
  static let chunkBytes = 1 << 20
  let path: String
  private let handle: FileHandle

  /// Creates an empty file only this user may read, in `TMPDIR` (or /tmp).
  init() throws(PostgresSourceError) {
    let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    let path = URL(fileURLWithPath: folder).appendingPathComponent("journey-summary-\(UUID().uuidString).csv").path
    TemporaryFiles.register(path)
    guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
      let handle = FileHandle(forWritingAtPath: path)
    else {
      TemporaryFiles.unregister(path)
      throw .spool(path: folder, reason: String(cString: strerror(errno)))
    }
    self.path = path
    self.handle = handle
  }

  func write(_ bytes: [UInt8]) throws(PostgresSourceError) {
    do { try handle.write(contentsOf: bytes) } catch { throw .spool(path: path, reason: (error as NSError).localizedDescription) }
  }

  func close() throws(PostgresSourceError) {
    do { try handle.close() } catch { throw .spool(path: path, reason: (error as NSError).localizedDescription) }
  }

  func remove() {
    try? handle.close()
    unlink(path)
    TemporaryFiles.unregister(path)
  }
}

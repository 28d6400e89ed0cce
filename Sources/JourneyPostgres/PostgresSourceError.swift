import JourneyKit
import PostgresNIO

/// Why a live PostgreSQL source failed, each with its own exit code (the README lists them).
public enum PostgresSourceError: Error, Sendable, CustomStringConvertible {
  /// The URL cannot be used (exit 64).
  case invalidURL(text: String, reason: String)
  /// The URL carries a password (exit 64).
  case passwordInURL(text: String)
  /// Nothing answers at host:port, or the host is unknown (exit 69).
  case unreachable(url: String, reason: String)
  /// The server refused the user or the password, or the user may not read the table (exit 77).
  case authentication(url: String, user: String, message: String, passwordGiven: Bool)
  /// The user may not read the table or write the scores table (exit 77).
  case permissionDenied(table: String, message: String)
  /// TLS as `sslmode` asks is not possible (exit 76).
  case tls(url: String, mode: PostgresURL.SSLMode, reason: String)
  /// The database or the table does not exist (exit 66).
  case missingTable(table: String, message: String)
  /// A column the query reads is not in the table (exit 78: the column mapping is configuration).
  case missingColumn(table: String, columns: [String], message: String)
  /// The statement ran longer than the timeout and the server cancelled it (exit 75).
  case timeout(seconds: Double)
  /// Any other refusal by the server (exit 1).
  case server(sqlState: String, message: String)
  /// The summary could not be spooled to a temporary file (exit 74: an I/O error).
  case spool(path: String, reason: String)

  /// The exit code for the CLI (sysexits: 64 usage, 69 unreachable, 77 permission, 76 TLS, 66 no table, 78 configuration, 75 timeout, 74 temporary file; 1 otherwise).
  public var exitCode: Int32 {
    switch self {
    case .invalidURL, .passwordInURL: 64
    case .unreachable: 69
    case .authentication, .permissionDenied: 77
    case .tls: 76
    case .missingTable: 66
    case .missingColumn: 78
    case .timeout: 75
    case .server: 1
    case .spool: 74
    }
  }

  /// The message for the user: what failed and what to try.
  public var description: String {
    switch self {
    case let .invalidURL(text, reason):
      "--source: '\(text)' is not a usable PostgreSQL URL: \(reason)"
    case let .passwordInURL(text):
      "--source: '\(text)' carries a password; leave it out of the URL (it would show in the shell history and the process list) and set PGPASSWORD or put it in ~/.pgpass (host:port:database:user:password, mode 0600)"
    case let .unreachable(url, reason):
      "cannot connect to \(url): \(reason); check that the server runs and listens on that host and port (pg_isready -h HOST -p PORT)"
    case let .authentication(url, user, message, passwordGiven):
      "\(url): the server refused user '\(user)': \(message)"
        + (passwordGiven ? "; check the password in PGPASSWORD or ~/.pgpass" : "; no password was found: set PGPASSWORD or add a line to ~/.pgpass")
    case let .permissionDenied(table, message):
      "table '\(table)': \(message); ask the table's owner for SELECT (and, for --scores-table, CREATE on the schema)"
    case let .tls(url, mode, reason):
      "\(url): sslmode=\(mode.rawValue): \(reason)"
        + (mode == .require || mode == .verifyCA || mode == .verifyFull ? "; the server must offer TLS, or use sslmode=prefer or disable on a trusted network" : "")
    case let .missingTable(table, message):
      "table '\(table)': \(message); check the name and schema (--table schema.name) and the database in the URL"
    case let .missingColumn(table, columns, message):
      "table '\(table)': \(message); the query reads the columns \(columns.joined(separator: ", ")): name yours with --customer-column, --date-column, --amount-column, --event-column (or --no-event-column)"
    case let .timeout(seconds):
      "the server cancelled the query after the statement timeout of \(seconds) s; raise --statement-timeout, or run `journey sql` on a replica and fit from the saved summary"
    case let .server(sqlState, message):
      "the server refused the query (SQLSTATE \(sqlState)): \(message)"
    case let .spool(path, reason):
      "cannot write the summary to the temporary file \(path): \(reason); set TMPDIR to a folder with room for about as many bytes as the table's rows"
    }
  }

  /// A failure while connecting.
  static func connecting(_ error: any Error, url: PostgresURL, passwordGiven: Bool) -> PostgresSourceError {
    guard let psql = error as? PSQLError else { return .unreachable(url: url.redacted, reason: "\(error)") }
    switch psql.code {
    case .sslUnsupported:
      return .tls(url: url.redacted, mode: url.sslMode, reason: "the server does not offer TLS")
    case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
      return .tls(url: url.redacted, mode: url.sslMode, reason: "the TLS handshake failed")
    case .authMechanismRequiresPassword:
      return .authentication(url: url.redacted, user: url.user, message: "it asks for a password", passwordGiven: false)
    case .server:
      let state = psql.serverInfo?[.sqlState] ?? ""
      let message = psql.serverInfo?[.message] ?? "\(psql.code)"
      switch state {
      case "28P01", "28000": return .authentication(url: url.redacted, user: url.user, message: message, passwordGiven: passwordGiven)
      case "3D000": return .missingTable(table: url.database, message: message)
      default: return .server(sqlState: state, message: message)
      }
    default:
      let reason = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
      if "\(reason)".localizedCaseInsensitiveContains("ssl") || "\(reason)".localizedCaseInsensitiveContains("tls") {
        return .tls(url: url.redacted, mode: url.sslMode, reason: reason)
      }
      // NIO's text names every address tried; the system's reason is what a reader needs.
      for known in ["Connection refused", "Connection timed out", "No route to host", "Network is unreachable"]
      where reason.contains(known) {
        return .unreachable(url: url.redacted, reason: known.lowercased())
      }
      if reason.contains("connectTimeout") || reason.contains("timeout") {
        return .unreachable(url: url.redacted, reason: "no answer within the connect timeout")
      }
      return .unreachable(url: url.redacted, reason: reason)
    }
  }

  /// A failure while a statement runs.
  static func running(_ error: PSQLError, table: String, columns: [String], timeoutSeconds: Double?) -> PostgresSourceError {
    let state = error.serverInfo?[.sqlState] ?? ""
    let message = error.serverInfo?[.message] ?? "\(error.code)"
    switch state {
    case "42P01", "3F000": return .missingTable(table: table, message: message)
    case "42703": return .missingColumn(table: table, columns: columns, message: message)
    case "57014": return .timeout(seconds: timeoutSeconds ?? 0)
    case "42501": return .permissionDenied(table: table, message: message)
    default: return .server(sqlState: state.isEmpty ? "none" : state, message: message)
    }
  }
}

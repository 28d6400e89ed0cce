import Foundation

/// `postgres://user@host:port/database?sslmode=MODE`, as libpq writes connection URIs
/// (`postgresql://` too). The password is never taken from the URL (see `PostgresSource`).
public struct PostgresURL: Sendable, Equatable {
  /// TLS as libpq's `sslmode` means it.
  public enum SSLMode: String, Sendable, CaseIterable {
    /// No TLS.
    case disable
    /// TLS if the server offers it (the same as prefer here).
    case allow
    /// TLS if the server offers it, without checking its certificate (libpq's default).
    case prefer
    /// TLS or no connection; the certificate is not checked.
    case require
    /// TLS, with the server's certificate checked against the system's trusted roots.
    case verifyCA = "verify-ca"
    /// As verify-ca, and the certificate must name the host.
    case verifyFull = "verify-full"
  }

  /// The user to log in as.
  public var user: String
  /// The server's host name or address.
  public var host: String
  /// The server's port (5432 by default).
  public var port: Int
  /// The database to connect to.
  public var database: String
  /// How TLS is used.
  public var sslMode: SSLMode

  /// - Throws: `PostgresSourceError.invalidURL` or `.passwordInURL`.
  public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresSourceError) {
    guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let components = URLComponents(string: text) else {
      throw .invalidURL(text: Self.redact(text), reason: "expected postgres://user@host:port/database")
    }
    if components.password != nil { throw .passwordInURL(text: Self.redact(text)) }
    guard let host = components.host, !host.isEmpty else {
      throw .invalidURL(text: Self.redact(text), reason: "it names no host; expected postgres://user@host:port/database")
    }
    let user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
    let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
    var mode = SSLMode.prefer
    for item in components.queryItems ?? [] {
      switch item.name {
      case "sslmode":
        guard let value = item.value, let m = SSLMode(rawValue: value) else {
          throw .invalidURL(
            text: Self.redact(text),
            reason: "sslmode '\(item.value ?? "")' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        mode = m
      default:
        throw .invalidURL(text: Self.redact(text), reason: "parameter '\(item.name)' is not supported; only sslmode is")
      }
    }
    self.user = user
    self.host = host
    port = components.port ?? 5432
    database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
    sslMode = mode
  }

  /// The URL as it may be shown: no password, ever.
  public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

  /// `text` with anything between `:` and `@` in its authority replaced, for messages.
  static func redact(_ text: String) -> String {
    guard let at = text.range(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at.lowerBound else { return text }
    let authority = text[scheme.upperBound..<at.lowerBound]
    guard let colon = authority.firstIndex(of: ":") else { return text }
    return String(text[..<colon]) + ":***" + String(text[at.lowerBound...])
  }
}

/// The password file libpq reads: `hostname:port:database:username:password` per line, `*`
/// matching anything, `\:` and `\\` escaped; the first matching line wins. Like libpq, a file
/// that others can read is ignored.
enum PgPass {
  static func lookup(url: PostgresURL, environment: [String: String]) -> String? {
    guard let path = environment["PGPASSFILE"] ?? environment["HOME"].map({ $0 + "/.pgpass" }) else { return nil }
    var info = stat()
    guard stat(path, &info) == 0, info.st_mode & 0o077 == 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return match(text, url: url)
  }

  static func match(_ text: String, url: PostgresURL) -> String? {
    for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
      let fields = split(String(line))
      guard fields.count == 5 else { continue }
      let wanted = [url.host, String(url.port), url.database, url.user]
      if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
    }
    return nil
  }

  /// Splits at unescaped colons and removes the escapes.
  static func split(_ line: String) -> [String] {
    var fields: [String] = [""]
    var escaped = false
    for ch in line {
      if escaped {
        fields[fields.count - 1].append(ch)
        escaped = false
      } else if ch == "\\" {
        escaped = true
      } else if ch == ":" && fields.count < 5 {
        fields.append("")
      } else {
        fields[fields.count - 1].append(ch)
      }
    }
    return fields
  }
}

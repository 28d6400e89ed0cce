import Foundation
import Hummingbird
import JourneyKit
import Logging
import HTTPTypes
import NIOCore

/// `journey serve` over HTTP: routes, guards and limits. What a route answers is JourneyKit's
/// (`Workspace`, `WorkspacePage`, `WorkspaceForm`); this type only carries it.
///
/// Safety, for a tool that runs on a planner's laptop:
/// - it listens on 127.0.0.1 unless told otherwise;
/// - every request that writes or computes (POST) must carry the run's token (a random value
///   in the page, unknown to other sites) and, when the browser names an origin, come from the
///   page's own origin, so another site open in the same browser cannot drive it;
/// - request bodies are limited (`maximumBodyBytes`), and requests are rate limited
///   (`RequestRateLimiter`): beyond them the answer is 413 or 429, never a crash;
/// - files are written only into the scenarios folder, by plain names (`ScenarioFolder`).
public struct WorkspaceServer: Sendable {
  /// The workspace served.
  public let workspace: Workspace
  /// The address to listen on (127.0.0.1 by default: this machine only).
  public let host: String
  /// The port to listen on.
  public let port: Int
  /// The run's token: random, 128 bits, hex.
  public let token: String
  let limiter: RequestRateLimiter

  /// Largest request body: the editor's form for a dozen scenarios is well under 100 KB.
  public static let maximumBodyBytes = 256 * 1024

  /// A server for `workspace`; `token` defaults to a fresh random one, and each client may make `requestsPerSecond` requests (bursts up to `burst`).
  public init(workspace: Workspace, host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, requestsPerSecond: Double = 40, burst: Double = 80) {
    self.workspace = workspace
    self.host = host
    self.port = port
    self.token = token ?? Self.randomToken()
    limiter = RequestRateLimiter(perSecond: requestsPerSecond, burst: burst)
  }

  static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
  }

  /// Serves until the process ends; `onRunning` gets the port it listens on (the one asked
  /// for, or the one the system chose for port 0).
  public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
    var logger = Logger(label: "journey-serve")
    logger.logLevel = .warning
    let app = Application(
      router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "journey"),
      onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    // journey handles Ctrl-C and kill itself (it removes temporary files and exits).
    try await app.runService(gracefulShutdownSignals: [])
  }

  /// `run` for a caller that is not async (the command line): blocks until the server stops.
  public func runBlocking(onRunning: @escaping @Sendable (Int) -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = FailureBox()
    Task {
      do { try await run(onRunning: onRunning) } catch { failure.error = error }
      done.signal()
    }
    done.wait()
    if let error = failure.error { throw error }
  }

  final class FailureBox: @unchecked Sendable { var error: (any Error)? }

  func router() -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: Guard(server: self))
    let page = WorkspacePage(workspace: workspace, token: token)

    router.get("/") { _, _ in
      let opening = workspace.openingScenarios()
      return Self.html(page.html(workspace.update(opening.open), skipped: opening.skipped))
    }
    // The page without its script: the editor posts here and gets the page back.
    router.post("/") { request, _ in
      let edited = WorkspaceForm.scenarios(try await Self.form(request))
      return Self.html(page.html(workspace.update(edited)))
    }
    router.post("/api/compare") { request, _ in
      let update = workspace.update(WorkspaceForm.scenarios(try await Self.form(request)))
      return Self.json(try WorkspaceForm.answer(update, page: page))
    }
    router.post("/api/save") { request, _ in
      let pairs = try await Self.form(request)
      let edited = WorkspaceForm.scenarios(pairs)
      guard let k = pairs.last(where: { $0.name == "save" }).flatMap({ Int($0.value) }), edited.indices.contains(k) else {
        return Self.json(#"{"error": "no scenario to save: the request names none (save=<position>)"}"#, status: .badRequest)
      }
      return Self.json(Self.saved(workspace, edited[k], position: k))
    }
    for format in [ReportFormat.html, .markdown] {
      let name = format == .html ? "report.html" : "report.md"
      router.post(RouterPath(stringLiteral: "/\(name)")) { request, _ in
        let update = workspace.update(WorkspaceForm.scenarios(try await Self.form(request)))
        guard let comparison = update.comparison else {
          return Self.html(page.html(update, notice: "There is no comparison to download: fix the marked values first."), status: .unprocessableContent)
        }
        var headers = HTTPFields()
        headers[.contentType] = format == .html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"comparison.\(format == .html ? "html" : "md")\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: workspace.report(comparison, format: format))))
      }
    }
    router.get("/evaluation") { request, _ in
      guard let data = workspace.data else { return Self.text("Start journey serve with --data FILE to evaluate a rollout.", status: .notFound) }
      let launch = request.uri.queryParameters.get("launch") ?? ""
      guard let day = CalendarDay(iso: launch) else {
        return Self.text("launch: '\(launch)' is not a date; expected YYYY-MM-DD, e.g. 2025-03-01", status: .badRequest)
      }
      return try Self.opened { try workspace.evaluationReport(data, launch: day) }
    }
    router.get("/backtest") { request, _ in
      guard let data = workspace.data else { return Self.text("Start journey serve with --data FILE to backtest.", status: .notFound) }
      let end = request.uri.queryParameters.get("calibration_end") ?? ""
      guard let day = CalendarDay(iso: end) else {
        return Self.text("calibration_end: '\(end)' is not a date; expected YYYY-MM-DD, e.g. 2025-06-30", status: .badRequest)
      }
      return try Self.opened { try workspace.backtestReport(data, calibrationEnd: day) }
    }
    return router
  }

  /// The answer to a save: where it went, or the messages by control.
  static func saved(_ workspace: Workspace, _ item: Workspace.EditedScenario, position k: Int) -> String {
    struct Answer: Encodable {
      var saved: String?
      var error: String?
      var errors: [String: String]?
    }
    var answer = Answer()
    do {
      answer.saved = try workspace.save(item)
    } catch let e as YAMLFileError {
      let control = ScenarioForm.control(for: e.path, among: Array(item.form.fields.keys)) ?? ""
      answer.error = Workspace.message(e)
      answer.errors = ["s\(k).\(control)": Workspace.message(e)]
    } catch let e as ScenarioFolderError {
      answer.error = e.description
      answer.errors = ["s\(k).file": e.description]
    } catch {
      answer.error = String(describing: error)
    }
    return (try? JSONOutput.encode(answer)) ?? #"{"error": "could not encode the answer"}"#
  }

  /// A report page for a library call on the data; a data mistake is a 422 with its message.
  static func opened(_ make: () throws -> String) throws -> Response {
    do {
      return html(try make())
    } catch {
      return text(String(describing: error), status: .unprocessableContent)
    }
  }

  static func form(_ request: Request) async throws -> [(name: String, value: String)] {
    let body = try await request.body.collect(upTo: maximumBodyBytes)
    return WorkspaceForm.pairs(String(buffer: body))
  }

  static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    respond(text, type: "text/html; charset=utf-8", status: status)
  }

  static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    respond(text, type: "application/json", status: status)
  }

  static func text(_ text: String, status: HTTPResponse.Status) -> Response {
    respond(text + "\n", type: "text/plain; charset=utf-8", status: status)
  }

  static func respond(_ text: String, type: String, status: HTTPResponse.Status) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = type
    // Nothing from elsewhere: no scripts, styles, fonts or frames but the page's own.
    headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    headers[.xContentTypeOptions] = "nosniff"
    headers[.cacheControl] = "no-store"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
  }
}

extension HTTPField.Name {
  static let journeyToken = HTTPField.Name("X-Journey-Token")!
  static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}

/// The server's guard: rate limit for every request; the token and same-origin checks for
/// every POST (every request that computes, writes or downloads).
struct Guard: RouterMiddleware {
  typealias Context = BasicRequestContext
  let server: WorkspaceServer

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    guard server.limiter.allow() else {
      var response = WorkspaceServer.text("Too many requests: at most \(Int(server.limiter.perSecond)) a second; wait a moment.", status: .tooManyRequests)
      response.headers[.retryAfter] = "1"
      return response
    }
    if let length = request.headers[.contentLength].flatMap(Int.init), length > WorkspaceServer.maximumBodyBytes {
      return WorkspaceServer.text("The request body is \(length) bytes; at most \(WorkspaceServer.maximumBodyBytes) are accepted.", status: .contentTooLarge)
    }
    if request.method == .post {
      if let origin = request.headers[.origin], let host = request.head.authority, origin != "http://\(host)" {
        return WorkspaceServer.text("Refused: the request comes from \(origin), not from the workspace's own page (http://\(host)).", status: .forbidden)
      }
      var presented = request.headers[.journeyToken]
      if presented == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
        // A plain form post (no script) carries the token as a field.
        var copy = request
        let body = try await copy.collectBody(upTo: WorkspaceServer.maximumBodyBytes)
        presented = WorkspaceForm.pairs(String(buffer: body)).first { $0.name == "token" }?.value
        guard presented == server.token else { return Self.refused() }
        return try await next(copy, context)
      }
      guard presented == server.token else { return Self.refused() }
    }
    do {
      return try await next(request, context)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      return WorkspaceServer.text("The request body is over \(WorkspaceServer.maximumBodyBytes) bytes, the limit.", status: .contentTooLarge)
    }
  }

  static func refused() -> Response {
    WorkspaceServer.text("Refused: this request needs the workspace's token; reload the page the server printed.", status: .forbidden)
  }
}

/// A token bucket: `burst` requests at once, refilled at `perSecond`.
final class RequestRateLimiter: @unchecked Sendable {
  let perSecond: Double
  let burst: Double
  private var tokens: Double
  private var last: Date
  private let lock = NSLock()

  init(perSecond: Double, burst: Double) {
    self.perSecond = perSecond
    self.burst = burst
    tokens = burst
    last = Date()
  }

  func allow() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    let now = Date()
    tokens = min(burst, tokens + now.timeIntervalSince(last) * perSecond)
    last = now
    guard tokens >= 1 else { return false }
    tokens -= 1
    return true
  }
}

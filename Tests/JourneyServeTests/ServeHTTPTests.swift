import Foundation
import Scratch
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `journey serve` as a planner's browser meets it: the built binary on an ephemeral port,
/// spoken to over real HTTP, its numbers checked against `journey compare` on the same files.
@Suite("journey serve over HTTP", .serialized)
struct ServeHTTPTests {
  /// A sample model, fitted once by the command line, and the shipped scenarios beside it.
  static let setup: (folder: URL, model: String) = {
    let folder = try! Scratch.folder("serve")
    try! FileManager.default.createDirectory(at: folder.appendingPathComponent("scenarios"), withIntermediateDirectories: true)
    let csv = folder.appendingPathComponent("t.csv").path
    let model = folder.appendingPathComponent("model.json").path
    precondition(try! run(["generate", "--customers", "2000", "--months", "24", "--seed", "5", "-o", csv]).status == 0)
    precondition(try! run(["fit", csv, "--states", "lifecycle", "-o", model]).status == 0)
    for name in ["baseline.yaml", "winback.yaml", "onboarding.yaml", "loyalty.yaml"] {
      try! FileManager.default.copyItem(at: repository.appendingPathComponent("scenarios/\(name)"), to: folder.appendingPathComponent("scenarios/\(name)"))
    }
    return (folder, model)
  }()

  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let flags = ["--horizon", "12", "--replicates", "200", "--seed", "9"]

  /// A running server and what it needs to be spoken to.
  final class Server {
    let process = Process()
    let port: Int
    let scenarios: URL

    init(extra: [String] = []) throws {
      let s = ServeHTTPTests.setup
      // Each server gets its own copy of the folder, so saves do not leak between tests.
      scenarios = s.folder.appendingPathComponent("scenarios-\(UUID().uuidString)")
      try FileManager.default.copyItem(at: s.folder.appendingPathComponent("scenarios"), to: scenarios)
      process.executableURL = journeyBinary
      process.arguments = ["serve", "--model", s.model, "--scenarios", scenarios.path, "--port", "0"] + ServeHTTPTests.flags + extra
      let out = Pipe()
      process.standardOutput = out
      process.standardError = FileHandle.nullDevice
      try process.run()
      // The first line says where it listens.
      var text = ""
      while !text.contains("\n") {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        text += String(decoding: chunk, as: UTF8.self)
      }
      guard let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression),
        let port = Int(text[range].dropFirst("http://127.0.0.1:".count).dropLast())
      else {
        process.terminate()
        throw ServeError.noAddress(text)
      }
      self.port = port
    }

    deinit {
      process.terminate()
      process.waitUntilExit()
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: String, headers: [AnyHashable: Any]) {
      var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
      request.httpMethod = method
      if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
      }
      for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
      let (data, response) = try await URLSession.shared.data(for: request)
      let http = response as! HTTPURLResponse
      return (http.statusCode, String(decoding: data, as: UTF8.self), http.allHeaderFields)
    }

    /// The page, its token and the editor's controls as the browser would send them.
    func page() async throws -> (html: String, token: String, form: [(String, String)]) {
      let r = try await request("GET", "/")
      #expect(r.status == 200)
      let token = try #require(ServeHTTPTests.value(of: "token", in: r.body))
      return (r.body, token, ServeHTTPTests.controls(in: r.body))
    }
  }

  enum ServeError: Error { case noAddress(String) }

  static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = journeyBinary
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  static let journeyBinary: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("journey").path), directory.path != "/" {
      directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent("journey")
  }()

  /// The `value` of the input named `name`, unescaped.
  static func value(of name: String, in html: String) -> String? {
    controls(in: html).first { $0.0 == name }?.1
  }

  /// Every text and hidden input of the page, name and value, in page order.
  static func controls(in html: String) -> [(String, String)] {
    let pattern = try! NSRegularExpression(pattern: #"<input type="(?:text|hidden)"[^>]*? name="([^"]*)" value="([^"]*)""#)
    let ns = html as NSString
    return pattern.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { m in
      (unescape(ns.substring(with: m.range(at: 1))), unescape(ns.substring(with: m.range(at: 2))))
    }
  }

  static func unescape(_ s: String) -> String {
    s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
      .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
  }

  static func encode(_ pairs: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
  }

  static func replacing(_ form: [(String, String)], _ name: String, with value: String) -> [(String, String)] {
    form.map { $0.0 == name ? ($0.0, value) : $0 }
  }

  @Test func thePageIsSelfContainedAndLabelled() async throws {
    let server = try Server()
    let page = try await server.page()
    #expect(page.html.contains("<form id=\"editor\""))
    // Nothing from elsewhere: no src or href to another site, no external stylesheet or font.
    #expect(page.html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) == nil)
    #expect(!page.html.contains("<link"))
    #expect(!page.html.contains("@import"))
    // Every control has its label.
    let ids = Set(page.form.map(\.0).filter { $0 != "token" })
    for id in ids { #expect(page.html.contains("<label for=\"\(id)\">"), "no label for \(id)") }
    // The baseline opens first; the value-model scenario is listed as not for this model.
    #expect(Self.value(of: "s0.name", in: page.html) == "baseline")
    #expect(page.html.contains("loyalty.yaml</code>: requires: the scenario needs a &#39;value&#39; model"))
  }

  @Test func theComparisonIsTheCommandLines() async throws {
    let server = try Server()
    let page = try await server.page()
    let answer = try await server.request("POST", "/api/compare", body: Self.encode(page.form), headers: ["X-Journey-Token": page.token])
    #expect(answer.status == 200)
    let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
    let scenarios = server.scenarios.path
    let cli = try Self.run(["compare", "--model", Self.setup.model, "\(scenarios)/baseline.yaml", "\(scenarios)/onboarding.yaml", "\(scenarios)/winback.yaml", "--json"] + Self.flags)
    #expect(cli.status == 0, "\(cli.stderr)")
    var expected = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as! [String: Any]
    var served = json["comparison"] as! [String: Any]
    // Rows carry the file they came from: a path for the command line, the file name here.
    func withoutSources(_ c: inout [String: Any]) {
      c["rows"] = (c["rows"] as! [[String: Any]]).map { var r = $0; r["source"] = nil; return r }
    }
    withoutSources(&expected)
    withoutSources(&served)
    #expect(NSDictionary(dictionary: served).isEqual(to: expected))
  }

  @Test func aChangedEffectChangesItsRowAndABadValueGetsTheFilesMessage() async throws {
    let server = try Server()
    let page = try await server.page()
    let winback = try #require(page.form.first { $0.1 == "win-back" }?.0.split(separator: ".").first.map(String.init))
    let stronger = Self.replacing(page.form, "\(winback).interventions[0].effects.churn", with: "-40%")
    let answer = try await server.request("POST", "/api/compare", body: Self.encode(stronger), headers: ["X-Journey-Token": page.token])
    // The same change made in the file, compared by the command line.
    let file = server.scenarios.appendingPathComponent("winback.yaml")
    try (try String(contentsOf: file, encoding: .utf8)).replacingOccurrences(of: "churn: -15%", with: "churn: -40%").write(to: file, atomically: true, encoding: .utf8)
    let cli = try Self.run(["compare", "--model", Self.setup.model, server.scenarios.path + "/baseline.yaml", file.path, "--json"] + Self.flags)
    let expected = (try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as! [String: Any])["rows"] as! [[String: Any]]
    let rows = ((try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any])["comparison"] as! [String: Any])["rows"] as! [[String: Any]]
    let served = try #require(rows.first { $0["name"] as? String == "win-back" })
    #expect(NSDictionary(dictionary: served["incremental_profit"] as! [String: Any]).isEqual(to: expected[1]["incremental_profit"] as! [String: Any]))

    // A bad reach: the message the same value gets in the file, keyed by the control.
    let bad = Self.replacing(page.form, "\(winback).interventions[0].reach", with: "150%")
    let refused = try await server.request("POST", "/api/compare", body: Self.encode(bad), headers: ["X-Journey-Token": page.token])
    let errors = (try JSONSerialization.jsonObject(with: Data(refused.body.utf8)) as! [String: Any])["errors"] as! [String: String]
    try (try String(contentsOf: file, encoding: .utf8)).replacingOccurrences(of: "reach: 60%", with: "reach: 150%").write(to: file, atomically: true, encoding: .utf8)
    let cliError = try Self.run(["compare", "--model", Self.setup.model, file.path] + Self.flags)
    #expect(cliError.status == 65)
    let message = try #require(errors["\(winback).interventions[0].reach"])
    #expect(message == "interventions[0].reach: '150%' is not valid; expected a share from 0% to 100%, e.g. 60%")
    #expect(cliError.stderr.contains(message))
  }

  @Test func writesNeedTheTokenAndTheSameOrigin() async throws {
    let server = try Server()
    let page = try await server.page()
    let body = Self.encode(page.form)
    let withoutToken = Self.encode(page.form.filter { $0.0 != "token" })
    #expect(try await server.request("POST", "/api/compare", body: withoutToken).status == 403)
    #expect(try await server.request("POST", "/api/compare", body: withoutToken, headers: ["X-Journey-Token": "0123"]).status == 403)
    #expect(try await server.request("POST", "/api/compare", body: withoutToken, headers: ["X-Journey-Token": page.token]).status == 200)
    let other = try await server.request("POST", "/api/save", body: body + "&save=0", headers: ["X-Journey-Token": page.token, "Origin": "http://evil.example"])
    #expect(other.status == 403)
    // A plain form post carries the token as a field.
    #expect(try await server.request("POST", "/report.md", body: body).status == 200)
    #expect(try await server.request("POST", "/report.md", body: Self.encode(Self.replacing(page.form, "token", with: "x"))).status == 403)
  }

  @Test func savesGoIntoTheScenariosFolderOnly() async throws {
    let server = try Server()
    let page = try await server.page()
    var form = Self.replacing(page.form, "s0.file", with: "../escaped.yaml")
    var answer = try await server.request("POST", "/api/save", body: Self.encode(form) + "&save=0", headers: ["X-Journey-Token": page.token])
    #expect(answer.body.contains("is not a plain scenario file name"))
    #expect(!FileManager.default.fileExists(atPath: server.scenarios.deletingLastPathComponent().appendingPathComponent("escaped.yaml").path))
    form = Self.replacing(Self.replacing(page.form, "s0.file", with: "steady.yaml"), "s0.name", with: "steady")
    answer = try await server.request("POST", "/api/save", body: Self.encode(form) + "&save=0", headers: ["X-Journey-Token": page.token])
    let saved = server.scenarios.appendingPathComponent("steady.yaml")
    #expect(answer.body.contains(saved.lastPathComponent))
    let yaml = try String(contentsOf: saved, encoding: .utf8)
    #expect(yaml.contains("name: steady\n"))
    #expect(yaml.contains("margin: 35%\n"))
    // What was saved, the command line reads.
    #expect(try Self.run(["compare", "--model", Self.setup.model, saved.path] + Self.flags).status == 0)
  }

  @Test func downloadsAreTheCompareReport() async throws {
    let server = try Server()
    let page = try await server.page()
    let md = try await server.request("POST", "/report.md", body: Self.encode(page.form))
    #expect(md.status == 200)
    #expect(md.body.hasPrefix("# Strategies compared"))
    let html = try await server.request("POST", "/report.html", body: Self.encode(page.form))
    #expect(html.body.contains("<title>Strategies compared</title>"))
    #expect((html.headers["Content-Disposition"] as? String)?.contains("comparison.html") == true)
  }

  @Test func oversizedBodiesAndFloodsAreRefused() async throws {
    let server = try Server()
    let page = try await server.page()
    let huge = String(repeating: "a", count: 300 * 1024)
    #expect(try await server.request("POST", "/api/compare", body: "s0.name=" + huge, headers: ["X-Journey-Token": page.token]).status == 413)
    var statuses: [Int] = []
    for _ in 0..<150 { statuses.append(try await server.request("GET", "/nothing-here").status) }
    #expect(statuses.contains(429))
    #expect(statuses.allSatisfy { $0 == 404 || $0 == 429 })
  }

  @Test func withDataTheEvaluationOpens() async throws {
    let plain = try Server()
    #expect(try await plain.request("GET", "/evaluation?launch=2024-01-01").status == 404)
    let server = try Server(extra: ["--data", Self.setup.folder.appendingPathComponent("t.csv").path])
    let page = try await server.page()
    #expect(page.html.contains("action=\"/evaluation\""))
    let evaluation = try await server.request("GET", "/evaluation?launch=2024-01-01")
    #expect(evaluation.status == 200)
    #expect(evaluation.body.contains("<title>Rollout evaluation</title>"))
    let bad = try await server.request("GET", "/backtest?calibration_end=2024-13-01")
    #expect(bad.status == 400)
    #expect(bad.body.contains("calibration_end: '2024-13-01' is not a date; expected YYYY-MM-DD"))
    let outside = try await server.request("GET", "/evaluation?launch=2031-01-01")
    #expect(outside.status == 422)
    #expect(outside.body.contains("'2031-01-01' is outside the data"))
  }

  @Test func badStartsAreUsageErrors() throws {
    let s = Self.setup
    let folder = try Self.run(["serve", "--model", s.model, "--scenarios", s.folder.appendingPathComponent("missing").path, "--port", "0"])
    #expect(folder.status == 64)
    #expect(folder.stderr.contains("--scenarios:"))
    #expect(try Self.run(["serve", "--model", s.model, "--port", "70000"]).status == 64)
    #expect(try Self.run(["serve", "--model", s.folder.appendingPathComponent("t.csv").path, "--port", "0"]).status == 65)
  }
}

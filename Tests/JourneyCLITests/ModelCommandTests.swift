import Foundation
import Testing

/// fit, show, forecast, score, compare and levers run as a user runs them, on generated data.
@Suite("Model commands", .serialized)
struct ModelCommandTests {
  /// A generated history and a fitted model, made once for the suite.
  static let workspace: URL = {
    let dir = try! temporaryDirectory()
    let csv = dir.appendingPathComponent("data.csv").path
    let g = try! runJourney(["generate", "--customers", "3000", "--months", "24", "--seed", "4", "-o", csv])
    precondition(g.status == 0, g.stderr)
    let f = try! runJourney(["fit", csv, "-o", dir.appendingPathComponent("model.json").path])
    precondition(f.status == 0, f.stderr)
    return dir
  }()

  var csv: String { Self.workspace.appendingPathComponent("data.csv").path }
  var model: String { Self.workspace.appendingPathComponent("model.json").path }
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test(arguments: ["fit", "show", "forecast", "score", "compare", "levers"])
  func helpHasAnExample(command: String) throws {
    let r = try runJourney([command, "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("Example:") && r.stdout.contains("journey \(command)"))
  }

  @Test func fitWritesAModelAndShowReadsIt() throws {
    let r = try runJourney(["show", model])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Transition matrix"))
    #expect(r.stdout.contains("Customer equity of the current base"))
    // The activity model that fit stores is said in plain words.
    #expect(r.stdout.contains("Each customer's own future") && r.stdout.contains("coming back:") && r.stdout.contains("buying: while active"))
    let json = try runJourney(["show", model, "--json"])
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect((summary["states"] as? [Any])?.count == 7)
    #expect((summary["activity"] as? [String])?.count ?? 0 >= 4)
    // `--model`, as forecast and score spell it, shows the same; one model, given once.
    let spelled = try runJourney(["show", "--model", model])
    #expect(spelled.status == 0 && spelled.stdout == r.stdout, "\(spelled.stderr)")
    let both = try runJourney(["show", model, "--model", model])
    #expect(both.status == 64 && both.stderr.contains("give the model once: as an argument or with --model, not both"))
    let none = try runJourney(["show"])
    #expect(none.status == 64 && none.stderr.contains("give the model file: journey show model.json"))
  }

  /// forecast and levers read the model as their argument, as show does, or as `--model`; compare,
  /// whose arguments are scenario files, only as `--model`.
  @Test func forecastAndLeversTakeTheModelEitherWay() throws {
    for command in [["forecast", "--horizon", "3", "--replicates", "0"], ["levers", "--top", "3"]] {
      let spelled = try runJourney(command + ["--model", model])
      let positional = try runJourney(command + [model])
      #expect(spelled.status == 0 && positional.status == 0, "\(spelled.stderr) \(positional.stderr)")
      #expect(positional.stdout == spelled.stdout && spelled.stdout.contains("revenue"))
      let both = try runJourney(command + [model, "--model", model])
      #expect(both.status == 64 && both.stderr.contains("give the model once: as an argument or with --model, not both"))
      let none = try runJourney(command)
      #expect(none.status == 64 && none.stderr.contains("give the model file: journey \(command[0]) model.json"), "\(none.stderr)")
    }
    let compare = try runJourney(["compare", model, Self.repository.appendingPathComponent("scenarios/baseline.yaml").path])
    #expect(compare.status == 64 && compare.stderr.contains("--model"))
  }

  @Test(arguments: ["lifecycle", "value", "rfm:3", "scenarios/states-example.yaml"])
  func fitEveryStateSpace(states: String) throws {
    let spec = states.hasSuffix(".yaml") ? Self.repository.appendingPathComponent(states).path : states
    let out = Self.workspace.appendingPathComponent("model-\(states.replacingOccurrences(of: "/", with: "_")).json").path
    let r = try runJourney(["fit", csv, "--states", spec, "-o", out])
    #expect(r.status == 0, "\(r.stderr)")
    // The written model has the asked-for states (lifecycle 7; value 5 stages x 2 tiers + lead
    // + churned = 12; rfm:3 27 cells + lead + churned = 29; the rules file names 8), rows that
    // sum to 1, and a base that holds every customer in the file who entered before its end.
    let model = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
    let matrix = try #require(model["transition_matrix"] as? [[Double]])
    let expectedStates = ["lifecycle": 7, "value": 12, "rfm:3": 29, "scenarios/states-example.yaml": 8][states]!
    #expect(matrix.count == expectedStates && matrix.allSatisfy { $0.count == expectedStates })
    #expect(matrix.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-9 && $0.allSatisfy { $0 >= 0 } })
    let base = try #require(model["current_base"] as? [Double])
    #expect(base.count == expectedStates && base.reduce(0, +) >= 2_900 && base.reduce(0, +) <= 3_000)
  }

  @Test func fitSplitByAColumnGivesThousandStates() throws {
    // Add a region column with 150 levels to the generated file.
    let text = try String(contentsOfFile: csv, encoding: .utf8)
    var lines = text.split(separator: "\n").map(String.init)
    lines[0] += ",region"
    for k in 1..<lines.count {
      let id = lines[k].prefix { $0 != "," }
      lines[k] += ",R\(Int(id.dropFirst())! % 150)"
    }
    let split = Self.workspace.appendingPathComponent("split.csv").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: split, atomically: true, encoding: .utf8)
    let out = Self.workspace.appendingPathComponent("model-split.json").path
    let r = try runJourney(["fit", split, "--split-by", "region", "-o", out, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect((summary["states"] as? [Any])?.count == 1_050)
  }

  @Test(arguments: [
    (["--states", "lifecyle"], "--states: 'lifecyle' is not valid; expected lifecycle, value, rfm, rfm:K, rf, rf:K or a rules file ending in .yaml (did you mean 'lifecycle'?)"),
    (["--states", "rfm:20"], "--states: 'rfm:20' is not valid; expected rfm:K with K from 2 to 10 (rfm:5 is the classic 125 cells)"),
    (["--split-by", "region"], "data.csv:1:1: no column 'region' in header 'customer_id,date,amount,event'"),
    (["--prior=-1"], "--prior: '-1.0' must be 0 or more"),
    (["--period", "year"], "The value 'year' is invalid for '--period <period>'"),
  ])
  func fitRejectsBadOptions(arguments: [String], message: String) throws {
    let r = try runJourney(["fit", csv, "-o", Self.workspace.appendingPathComponent("never.json").path] + arguments)
    #expect(r.status != 0)
    #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: Self.workspace.appendingPathComponent("never.json").path))
  }

  @Test func showRejectsAFileThatIsNotAModel() throws {
    let r = try runJourney(["show", csv])
    #expect(r.status == 65)
    #expect(r.stderr.contains("not a Journey model"))
  }

  @Test func forecastPrintsRangesAndWritesCSV() throws {
    let out = Self.workspace.appendingPathComponent("forecast.csv").path
    let r = try runJourney(["forecast", "--model", model, "--horizon", "6", "--replicates", "200", "--seed", "3", "--csv", out])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("P5-P95 ranges from 200 replicates (seed 3)"))
    let csvText = try String(contentsOfFile: out, encoding: .utf8)
    #expect(csvText.hasPrefix("period,kpi,expected,mean,p5,p50,p95\n"))
    // Six periods, each KPI once per period, ranges ordered around their median.
    let rows = csvText.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(Set(rows.map { $0[0] }).count == 6)
    let customers = rows.filter { $0[1] == "customers" }
    #expect(customers.count == 6)
    for row in rows where !row[4].isEmpty {
      let (p5, p50, p95) = (Double(row[4])!, Double(row[5])!, Double(row[6])!)
      #expect(p5 <= p50 && p50 <= p95, "\(row)")
    }
    // The expected path does not depend on the seed; the ranges do.
    let other = Self.workspace.appendingPathComponent("forecast-other.csv").path
    _ = try runJourney(["forecast", "--model", model, "--horizon", "6", "--replicates", "200", "--seed", "4", "--csv", other])
    let otherRows = try String(contentsOfFile: other, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(otherRows.map { $0[2] } == rows.map { $0[2] })
    #expect(otherRows.map { $0[4] } != rows.map { $0[4] })
    // Same seed, same output.
    let again = try runJourney(["forecast", "--model", model, "--horizon", "6", "--replicates", "200", "--seed", "3"])
    #expect(again.stdout == r.stdout)
  }

  /// A German export: semicolons, day.month.year, decimal commas, its own column names. `fit`
  /// keeps how it read the file, and `score` reads the same file that way without the flags: the
  /// scores equal those with every flag repeated, and standard error says which flags it took.
  /// A flag given wins over the model's (`--no-decimal-comma` then fails on "12,50"). Fails if
  /// the model forgets a flag, `score` ignores the model's, or a given flag loses to it.
  @Test func scoreReadsTheFileAsFitDid() throws {
    let dir = try temporaryDirectory()
    var text = "kunde;datum;betrag;art\n"
    for line in try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      let ymd = f[1].split(separator: "-")
      text += "\(f[0]);\(ymd[2]).\(ymd[1]).\(ymd[0]);\(f[2].replacingOccurrences(of: ".", with: ","));\(f.count > 3 ? f[3] : "purchase")\n"
    }
    let german = dir.appendingPathComponent("export.csv").path
    try text.write(toFile: german, atomically: true, encoding: .utf8)
    let flags = ["--customer-column", "kunde", "--date-column", "datum", "--amount-column", "betrag", "--event-column", "art",
                 "--delimiter", ";", "--date-format", "%d.%m.%Y", "--decimal-comma"]
    let kept = dir.appendingPathComponent("model.json").path
    let fit = try runJourney(["fit", german, "-o", kept] + flags)
    #expect(fit.status == 0, "\(fit.stderr)")
    let withFlags = dir.appendingPathComponent("with.csv").path, without = dir.appendingPathComponent("without.csv").path
    let a = try runJourney(["score", german, "--model", kept, "-o", withFlags] + flags)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(!a.stderr.contains("as the model's input was read"))
    let b = try runJourney(["score", german, "--model", kept, "-o", without])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(b.stderr.contains(
      "reading \(german) as the model's input was read: --customer-column 'kunde' --date-column 'datum' --amount-column 'betrag' --event-column 'art' --delimiter ';' --date-format '%d.%m.%Y' --decimal-comma"))
    #expect(try String(contentsOfFile: without, encoding: .utf8) == String(contentsOfFile: withFlags, encoding: .utf8))
    let c = try runJourney(["score", german, "--model", kept, "--no-decimal-comma", "-o", dir.appendingPathComponent("c.csv").path])
    #expect(c.status == 65)
    #expect(c.stderr.contains("expected a number such as 12.50"))
    // A model of the default layout says nothing and reads with the defaults.
    let plain = try runJourney(["score", csv, "--model", model, "-o", dir.appendingPathComponent("plain.csv").path])
    #expect(plain.status == 0 && !plain.stderr.contains("as the model's input was read"), "\(plain.stderr)")
  }

  @Test func scoreWritesOneRowPerCustomer() throws {
    let out = Self.workspace.appendingPathComponent("scores.csv").path
    let r = try runJourney(["score", csv, "--model", model, "-o", out, "--horizon", "3"])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    #expect(rows[0] == "customer_id,state,churn_probability_3,expected_purchases_3,expected_revenue_3,clv,active_probability")
    #expect(rows.count == 3_001)
    // Customers with a purchase get their own future (activity model): within one state the
    // expected purchases differ and the chance of being active is a probability; leads get none.
    let fields = rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    for f in fields where !f[6].isEmpty {
      let p = try #require(Double(f[6]))
      #expect(p >= 0 && p <= 1)
    }
    #expect(fields.contains { $0[1] == "lead" && $0[6].isEmpty })
    // Within one state, a customer who bought more often in the past is expected to buy more:
    // the expected purchases rise with the purchase count read from the data file (Spearman
    // correlation among active customers clearly positive; a state-level score would give 0).
    var purchases: [String: Int] = [:]
    for line in try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if f.count > 3 && f[3] == "purchase" || f.count == 3 { purchases[String(f[0]), default: 0] += 1 }
    }
    let active = fields.filter { $0[1] == "active" }
    #expect(active.count > 100)
    func ranks(_ v: [Double]) -> [Double] {
      let order = v.indices.sorted { v[$0] < v[$1] }
      var r = [Double](repeating: 0, count: v.count)
      var k = 0
      while k < order.count {
        var e = k
        while e + 1 < order.count && v[order[e + 1]] == v[order[k]] { e += 1 }
        for m in k...e { r[order[m]] = Double(k + e) / 2 }
        k = e + 1
      }
      return r
    }
    let a = ranks(active.map { Double(purchases[$0[0]] ?? 0) }), b = ranks(active.map { Double($0[3])! })
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    let cov = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
    let rho = cov / (a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) } * b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }).squareRoot()
    #expect(rho > 0.3, "Spearman rho \(rho)")
  }

  @Test func compareShippedStrategies() throws {
    let files = ["baseline", "winback", "onboarding", "service-quality", "acquisition-push"].map {
      Self.repository.appendingPathComponent("scenarios/\($0).yaml").path
    }
    let r = try runJourney(["compare", "--model", model, "--replicates", "100"] + files)
    #expect(r.status == 0, "\(r.stderr)")
    for name in ["baseline", "win-back", "onboarding", "service quality", "acquisition push"] { #expect(r.stdout.contains(name)) }
    #expect(r.stdout.contains("ROI"))
  }

  @Test func compareReportsAScenarioMistakeWithItsPath() throws {
    let bad = Self.workspace.appendingPathComponent("bad.yaml").path
    try "name: bad\ninterventions:\n  - targets: [at_rsk]\n    effects: {churn: -10%}\n".write(toFile: bad, atomically: true, encoding: .utf8)
    let r = try runJourney(["compare", "--model", model, bad])
    #expect(r.status == 65)
    #expect(r.stderr.contains("interventions[0].targets[0]: no state or stage 'at_rsk' in this model; did you mean 'at_risk'?"))
  }

  @Test func leversRanksTransitions() throws {
    let r = try runJourney(["levers", "--model", model, "--top", "5"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Biggest lever: one point"))
  }
}

import Foundation
import Testing

/// `--report` on the analyses, and the demo's combined report, run as a user runs them.
@Suite("Reports from the command line", .serialized)
struct ReportCLITests {
  /// Generated data with a launch, and a model fitted on it, made once for the suite.
  static let workspace: URL = {
    let dir = try! temporaryDirectory()
    let csv = dir.appendingPathComponent("data.csv").path
    let g = try! runJourney(["generate", "--customers", "1500", "--months", "30", "--seed", "9", "--launch", "2024-09-01", "-o", csv])
    precondition(g.status == 0, g.stderr)
    let f = try! runJourney(["fit", csv, "-o", dir.appendingPathComponent("model.json").path])
    precondition(f.status == 0, f.stderr)
    return dir
  }()

  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  var csv: String { Self.workspace.appendingPathComponent("data.csv").path }
  var model: String { Self.workspace.appendingPathComponent("model.json").path }

  func file(_ name: String) -> String { Self.workspace.appendingPathComponent(name).path }

  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  @Test func forecastWritesAnHTMLReportWithItsTables() throws {
    let r = try runJourney(["forecast", "--model", model, "--replicates", "100", "--report", file("forecast.html")])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try read(file("forecast.html"))
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<h1>Customer forecast</h1>"))
    #expect(!html.contains("http://") && !html.contains("https://"))
    #expect(FileManager.default.fileExists(atPath: file("forecast-tables/forecast-kpis.csv")))
  }

  @Test func forecastWritesAMarkdownReport() throws {
    let r = try runJourney(["forecast", "--model", model, "--replicates", "50", "--report", file("forecast.md")])
    #expect(r.status == 0, "\(r.stderr)")
    let markdown = try read(file("forecast.md"))
    #expect(markdown.hasPrefix("# Customer forecast\n"))
    #expect(markdown.contains("## Summary"))
    // The method appendix says what the customer-level activity model has learnt.
    #expect(markdown.contains("Each customer's own future") && markdown.contains("Coming back:"))
  }

  @Test(arguments: ["forecast", "compare", "evaluate"]) func anUnknownReportExtensionIsAMisuse(_ command: String) throws {
    let arguments: [String]
    switch command {
    case "forecast": arguments = ["forecast", "--model", model]
    case "compare": arguments = ["compare", "--model", model, Self.repository.appendingPathComponent("scenarios/baseline.yaml").path]
    default: arguments = ["evaluate", csv, "--launch", "2024-09-01"]
    }
    let r = try runJourney(arguments + ["--report", file("report.pdf")])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--report: '\(file("report.pdf"))' must end in .html (a self-contained page with charts) or .md (Markdown)"))
    #expect(!FileManager.default.fileExists(atPath: file("report.pdf")))
  }

  @Test func compareWritesAReport() throws {
    let scenarios = ["baseline", "winback"].map { Self.repository.appendingPathComponent("scenarios/\($0).yaml").path }
    let r = try runJourney(["compare", "--model", model, "--replicates", "100"] + scenarios + ["--report", file("compare.html")])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try read(file("compare.html"))
    #expect(html.contains("<h1>Strategies compared</h1>"))
    #expect(html.contains("Profit against &#39;baseline&#39;"))
  }

  @Test func evaluateWritesAReport() throws {
    let r = try runJourney(["evaluate", csv, "--launch", "2024-09-01", "--bootstrap", "100", "--replicates", "100", "--report", file("rollout.html")])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try read(file("rollout.html"))
    #expect(html.contains("<h1>Rollout evaluation</h1>"))
    #expect(html.contains("Active customers per month: actual and without the rollout"))
    #expect(!html.contains("Too little data"))
  }

  @Test func demoWritesOneCombinedReport() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runJourney(["demo", "--output", dir.path, "--customers", "500"])
    #expect(r.status == 0, "\(r.stderr)")
    let path = dir.appendingPathComponent("report.html").path
    #expect(r.stdout.contains("report        \(path)"))
    let html = try read(path)
    for heading in ["Customer forecast", "Strategies compared", "Rollout evaluation"] { #expect(html.contains("<h3>\(heading)</h3>")) }
    #expect(!html.contains("http://") && !html.contains("https://"))
  }
}

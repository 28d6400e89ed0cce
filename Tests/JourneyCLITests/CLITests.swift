import Foundation
import Scratch
import Testing

/// Runs the built `journey` binary (it sits beside the test bundle) and captures its output.
func runJourney(_ arguments: [String], currentDirectory: URL? = nil, environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = journeyBinary
  process.arguments = arguments
  if let environment { process.environment = environment }
  if let currentDirectory { process.currentDirectoryURL = currentDirectory }
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read before waiting, so a full pipe cannot block the child.
  let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
  let stderrData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdoutData, as: UTF8.self), String(decoding: stderrData, as: UTF8.self))
}

let journeyBinary: URL = {
  var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  // Under `swift test` the first argument is the .xctest bundle (or a file inside it).
  while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("journey").path),
    directory.path != "/"
  {
    directory.deleteLastPathComponent()
  }
  return directory.appendingPathComponent("journey")
}()

func temporaryDirectory() throws -> URL { try Scratch.folder("cli") }

@Suite("journey command line")
struct CLITests {
  @Test func helpListsTheCommands() throws {
    let r = try runJourney(["--help"])
    #expect(r.status == 0)
    for command in ["demo", "generate"] { #expect(r.stdout.contains(command), "\(command) missing from help") }
  }

  @Test(arguments: ["demo", "generate"])
  func eachCommandHasHelpWithAnExample(command: String) throws {
    let r = try runJourney([command, "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("Example:"))
    #expect(r.stdout.contains("journey \(command)"))
  }

  @Test func unknownSubcommandIsAUsageError() throws {
    let r = try runJourney(["frobnicate"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("Usage:"))
  }

  @Test func unknownFlagIsAUsageError() throws {
    let r = try runJourney(["generate", "--colour", "red", "-o", "x.csv"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--colour"))
  }

  @Test(arguments: [
    (["--customers", "-5"], "--customers"),
    (["--months", "0"], "--months"),
    (["--start", "2024-13-01"], "--start"),
    (["--launch", "2024-01-01", "--launch-churn", "abc"], "--launch-churn"),
    (["--launch", "2024-01-01", "--launch-churn", "-120%"], "--launch-churn"),
    (["--launch-churn", "-20%"], "--launch"),
    (["--start", "2024-01-01", "--months", "12", "--launch", "2023-06-01"], "--launch"),
    (["--acquisition-months", "-1"], "--acquisition-months"),
    (["--months", "12", "--acquisition-months", "13"], "--acquisition-months"),
    (["--regime", "real", "--acquisition-months", "19"], "--acquisition-months"),
    (["--ageing", "-0.5"], "--ageing"),
    (["--wake-rate", "-0.004"], "--wake-rate"),
    (["--purchase-rate-shape", "0"], "--purchase-rate-shape"),
  ])
  func generateRejectsNonsenseNamingTheFlag(arguments: [String], flag: String) throws {
    let r = try runJourney(["generate"] + arguments + ["-o", "/tmp/never-written.csv"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("Error: \(flag)"), "stderr: \(r.stderr)")
  }

  @Test func generateIsDeterministicAndWritesTheTruth() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("a.csv").path
    let b = dir.appendingPathComponent("b.csv").path
    for path in [a, b] {
      let r = try runJourney(["generate", "--customers", "2000", "--months", "24", "--seed", "5", "-o", path])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
    let truth = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("a.truth.json").path))
    let json = try #require(try JSONSerialization.jsonObject(with: truth) as? [String: Any])
    let counts = try #require(json["counts"] as? [String: Any])
    #expect(counts["customers"] as? Int == 2000)
  }

  @Test(arguments: [(["--wake-rate", "abc"], "--wake-rate"), (["--regime", "cdnow"], "--regime"), (["--ageing", "x"], "--ageing"),
    (["--purchase-seasonality", "strong"], "--purchase-seasonality"), (["--purchase-seasonality", "150%"], "--purchase-seasonality"),
    (["--purchase-regularity", "0"], "--purchase-regularity"), (["--purchase-regularity", "2.5"], "--purchase-regularity"),
  ])
  func generateRejectsUnparsableRegimeValues(arguments: [String], flag: String) throws {
    let r = try runJourney(["generate"] + arguments + ["-o", "/tmp/never-written.csv"])
    #expect(r.status == 64)
    #expect(r.stderr.contains(flag), "stderr: \(r.stderr)")
  }

  @Test func generateRealRegimeRecordsItsParametersInTheTruth() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("r.csv").path
    let r = try runJourney(["generate", "--customers", "1000", "--regime", "real", "--ageing", "0.3", "-o", path])
    #expect(r.status == 0, "\(r.stderr)")
    let truth = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("r.truth.json").path))
    let json = try #require(try JSONSerialization.jsonObject(with: truth) as? [String: Any])
    let p = try #require(json["parameters"] as? [String: Any])
    #expect(p["regime"] as? String == "real")
    #expect(p["months"] as? Int == 18)
    #expect(p["acquisition_months"] as? Int == 3)
    #expect(p["purchase_rate_shape"] as? Double == 0.5)
    #expect(p["ageing"] as? Double == 0.3)  // the flag beside the preset wins
    #expect(p["wake_rate_per_day"] as? Double == 0.004)
    #expect(p["lead_share"] as? Double == 0)
    #expect(json["mean_dormancy_days"] as? Double == 250)
  }

  @Test func demoWritesSampleData() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runJourney(["demo", "--output", dir.path, "--customers", "500"])
    #expect(r.status == 0, "\(r.stderr)")
    // The sample holds the customers asked for, and the summary line says what the file holds.
    let csv = try String(contentsOfFile: dir.appendingPathComponent("transactions.csv").path, encoding: .utf8)
    let lines = csv.split(separator: "\n").dropFirst()
    let customers = Set(lines.map { $0.prefix { $0 != "," } })
    #expect(customers.count == 500)
    #expect(r.stdout.contains("(\(lines.count) rows, 500 customers"), "\(r.stdout.prefix(400))")
    // Every output is in the folder, non-empty, and listed (forecast.json goes with forecast.csv).
    for name in ["transactions.csv", "profile.json", "model.json", "model-value.json", "forecast.csv", "forecast.json", "scores.csv", "evaluation.json"] {
      let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.size] as? Int) ?? 0
      #expect(size > 0, "\(name)")
      if name != "forecast.json" { #expect(r.stdout.contains(dir.appendingPathComponent(name).path), "\(name) not listed") }
    }
    // The forecast covers 12 months and the scores one row per customer who entered.
    let forecast = try String(contentsOfFile: dir.appendingPathComponent("forecast.csv").path, encoding: .utf8).split(separator: "\n")
    #expect(Set(forecast.dropFirst().map { $0.prefix { $0 != "," } }).count == 12)
    let scores = try String(contentsOfFile: dir.appendingPathComponent("scores.csv").path, encoding: .utf8).split(separator: "\n")
    #expect(scores.count - 1 <= 500 && scores.count - 1 >= 450)
  }
}

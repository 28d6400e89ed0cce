import Foundation
import Testing

/// Bad input of every class ends in a clear error with its exit code, never a crash or a
/// silent success (issue 15).
@Suite("Hardening: bad input, exit codes and messages", .serialized)
struct HardeningCLITests {
  static let workspace: URL = {
    let dir = try! temporaryDirectory()
    let csv = dir.appendingPathComponent("data.csv").path
    let g = try! runJourney(["generate", "--customers", "600", "--months", "18", "--seed", "9", "-o", csv])
    precondition(g.status == 0, g.stderr)
    let f = try! runJourney(["fit", csv, "-o", dir.appendingPathComponent("model.json").path])
    precondition(f.status == 0, f.stderr)
    return dir
  }()

  var dir: URL { Self.workspace }
  var csv: String { dir.appendingPathComponent("data.csv").path }
  var model: String { dir.appendingPathComponent("model.json").path }

  func write(_ name: String, _ text: String) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  // MARK: - Crashes

  @Test(arguments: ["inspect", "fit"])
  func aLongDigitRunInADateIsAnErrorNotACrash(command: String) throws {
    let bad = try write("digits.csv", "customer_id,date,amount\na,2024-01-05,5\nb,1.2.99999999999999999999999,5\nc,99999999999999999999999/1/2,5\n")
    let out = dir.appendingPathComponent("never.json").path
    let r = try runJourney(command == "fit" ? ["fit", bad, "-o", out] : ["inspect", bad])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("digits.csv:3:3: date '1.2.99999999999999999999999' — expected a date as YYYY-MM-DD"), "\(r.stderr)")
    let skip = try runJourney(["inspect", bad, "--on-error", "skip"])
    #expect(skip.status == 0, "\(skip.stderr)")
    #expect(skip.stderr.contains("skipped 2 of 3 rows: 2 invalid date"), "\(skip.stderr)")
  }

  @Test func aHugeAcquisitionIsAUsageError() throws {
    let r = try runJourney(["forecast", "--model", model, "--acquisition", "1e300"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("Error: --acquisition: '1e300' must be from 0 to 1,000,000,000 new customers per period (the limit)"), "\(r.stderr)")
  }

  @Test(arguments: ["show", "forecast", "levers", "score"])
  func aModelWithAShortBaseIsRefusedByEveryCommand(command: String) throws {
    var tree = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
    tree["current_base"] = Array((tree["current_base"] as! [Any]).prefix(2))
    let bad = dir.appendingPathComponent("short-\(command).json").path
    try JSONSerialization.data(withJSONObject: tree).write(to: URL(fileURLWithPath: bad))
    let arguments: [String] =
      switch command {
      case "show": ["show", bad]
      case "score": ["score", csv, "--model", bad, "-o", dir.appendingPathComponent("scores-never.csv").path]
      default: [command, "--model", bad]
      }
    let r = try runJourney(arguments)
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("\(bad): not a Journey model: current_base: has 2 entries, expected 7 (one per state); refit with `journey fit`"), "\(r.stderr)")
  }

  @Test(arguments: [
    (["fit", "DATA", "-o", "OUT", "--prior", "1e308"], "Error: --prior: '1e+308' is above the limit of 1,000,000 pseudo-counts"),
    (["fit", "DATA", "-o", "OUT", "--as-of", "9999-12-31"], "Error: --as-of: '9999-12-31' is out of range; expected a date from 1900-01-01 to 2200-12-31"),
    (["generate", "--customers", "10", "--months", "600", "--start", "9990-01-01", "-o", "OUT"],
     "Error: --start: '9990-01-01' is out of range; expected a date from 1900-01-01 to 2200-12-31"),
  ])
  func extremeFlagValuesAreUsageErrorsNotCrashes(_ arguments: [String], _ message: String) throws {
    let r = try runJourney(arguments.map { $0 == "DATA" ? csv : $0 == "OUT" ? dir.appendingPathComponent("never-\(UUID().uuidString)").path : $0 })
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test(arguments: [
    ("duration: 9223372036854775807", "interventions[0].duration: '9223372036854775807' is above the limit of 10000 periods; forecasts run at most 600 periods"),
    ("decay: 99999999999", "interventions[0].decay: '99999999999' is above the limit of 10000 periods"),
    ("ramp_up: 99999999999", "interventions[0].ramp_up: '99999999999' is above the limit of 10000 periods"),
    ("costs: {per_contact: 10000000000000000000000000}", "interventions[0].costs.per_contact: '10000000000000000000000000' is above the limit of 1,000,000,000,000"),
  ])
  func scenarioNumbersBeyondTheirLimitsAreErrorsNotCrashes(_ field: String, _ message: String) throws {
    let file = try write("huge-\(field.prefix(5)).yaml", "name: a\nmargin: 35%\ninterventions:\n  - {targets: at_risk, \(field), effects: {churn: -10%}}\n")
    let r = try runJourney(["compare", "--model", model, "--replicates", "0", "--horizon", "6", file])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test func aStateSpaceNameTheLibraryRejectsIsAUsageError() throws {
    let r = try runJourney(["fit", csv, "-o", dir.appendingPathComponent("never.json").path, "--states", "lifecyle"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("Error: --states: 'lifecyle' is not valid; expected lifecycle, value, rfm, rfm:K, rf, rf:K or a rules file ending in .yaml (did you mean 'lifecycle'?)"), "\(r.stderr)")
    #expect(r.stderr.contains("See 'journey fit --help' for the flags."))
  }

  // MARK: - Small

  @Test func aNegativeHorizonSaysWhatIsExpected() throws {
    let r = try runJourney(["forecast", "--model", model, "--horizon", "-1"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("Error: --horizon: '-1' must be from 1 to 600 periods (the limit)"), "\(r.stderr)")
  }

  @Test func aScenarioMistakeIsBadInputData() throws {
    let bad = try write("broken.yaml", "name: x\ninterventions: [\n")
    let r = try runJourney(["compare", "--model", model, bad])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("broken.yaml: not valid YAML"), "\(r.stderr)")
  }

  @Test func aStateRulesMistakeIsBadInputData() throws {
    let bad = try write("rules.yaml", "states:\n  - name: a\n    when: {recency: \"<= x\"}\n")
    let r = try runJourney(["fit", csv, "--states", bad, "-o", dir.appendingPathComponent("never.json").path])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("rules.yaml:3:21: at states[0].when.recency: '<= x' is not a condition"), "\(r.stderr)")
  }

  @Test func crOnlyLineEndsAreReadAsLineBreaks() throws {
    let cr = try write("cr.csv", "customer_id,date,amount\ra,2024-01-05,5\rb,2024-02-05,7\r")
    let r = try runJourney(["inspect", cr, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\"rows_read\" : 2,"), "\(r.stdout)")
    #expect(r.stdout.contains("\n  \"revenue\" : 12,"), "\(r.stdout)")
    let bad = try write("cr-bad.csv", "customer_id,date,amount\ra,2024-01-05,5\rb,2024-02-35,7\r")
    let e = try runJourney(["inspect", bad])
    #expect(e.status == 65)
    #expect(e.stderr.contains("cr-bad.csv:3:3: date '2024-02-35' does not exist"), "\(e.stderr)")
  }

  @Test func aTargetsMistakeIsBadInputData() throws {
    let bad = try write("goals.yaml", "targets:\n  - {kpi: churn_rat, direction: decrease, change: -10%}\n")
    let r = try runJourney(["evaluate", csv, "--launch", "2024-01-01", "--targets", bad])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("goals.yaml:2:11: targets[0].kpi: unknown KPI 'churn_rat'; did you mean 'churn_rate'?"), "\(r.stderr)")
  }

  // MARK: - Data loss

  @Test func outputsOverInputsAreRefusedBeforeAnyWork() throws {
    let copy = try write("copy.csv", try String(contentsOfFile: csv, encoding: .utf8))
    let before = try Data(contentsOf: URL(fileURLWithPath: copy))
    let link = dir.appendingPathComponent("link.csv").path
    try? FileManager.default.removeItem(atPath: link)
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: copy)
    let cases: [([String], String)] = [
      (["fit", copy, "-o", copy], "Error: --output: '\(copy)' is the input '\(copy)'"),
      (["score", link, "--model", model, "-o", dir.path + "/./copy.csv"], "Error: --output: '\(dir.path)/./copy.csv' is the input '\(link)'"),
      (["inspect", copy, "--on-error", "skip", "--rejects", link], "Error: --rejects: '\(link)' is the input '\(copy)'"),
      (["forecast", "--model", model, "--csv", model], "Error: --csv: '\(model)' is the input '\(model)'"),
      (["forecast", "--model", model, "--csv", dir.appendingPathComponent("a.csv").path, "--report", dir.appendingPathComponent("a.csv").path + ".md"], ""),
    ]
    for (arguments, message) in cases where !message.isEmpty {
      let r = try runJourney(arguments)
      #expect(r.status == 64, "\(arguments): \(r.stderr)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
      #expect(r.stderr.contains("writing it would replace the data it is made from"), "\(r.stderr)")
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before)
    let modelText = try String(contentsOfFile: model, encoding: .utf8)
    #expect(modelText.contains("journey-model/1"))
  }

  // MARK: - Silent wrong answers

  @Test func hugeAmountsAreRejectedAtTheirRowInsteadOfSummingToInfinity() throws {
    let bad = try write("huge.csv", "customer_id,date,amount\na,2024-01-05,9e307\na,2024-01-05,9e307\nb,2024-01-06,5\n")
    let r = try runJourney(["inspect", bad])
    #expect(r.status == 65)
    #expect(r.stderr.contains("huge.csv:2:14: amount '9e307' is too large — expected an amount from -1,000,000,000,000 to 1,000,000,000,000"), "\(r.stderr)")
    #expect(!r.stdout.contains("inf"))
    let skip = try runJourney(["inspect", bad, "--on-error", "skip", "--json"])
    #expect(skip.status == 0, "\(skip.stderr)")
    #expect(skip.stderr.contains("skipped 2 of 3 rows: 2 amount too large"), "\(skip.stderr)")
    #expect(skip.stdout.contains("\"revenue\" : 5"), "\(skip.stdout)")
  }

  @Test func customerIDsAreTrimmedLikeAmounts() throws {
    let ids = try write("ids.csv", "customer_id,date,amount\nabc,2024-01-05,5\nabc ,2024-02-05,5\n\" abc\",2024-03-05,5\n")
    let r = try runJourney(["inspect", ids, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\"customers\" : 1,"), "\(r.stdout)")
  }

  /// A million replicates over 600 periods would hold 6e8 values per KPI (about 200 GB): refused
  /// before the work starts, not killed by the kernel after filling memory. A million over the
  /// default 12 periods is the limit itself; compare counts its scenarios.
  @Test func replicatesTimesPeriodsBeyondMemoryAreAUsageError() throws {
    let r = try runJourney(["forecast", "--model", model, "--replicates", "1000000", "--horizon", "600"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(
      "Error: 1,000,000 replicates x 600 periods is 600,000,000 replicate-periods; the limit is 12,000,000 (each keeps every KPI's value: about 330 bytes, 4 GB at the limit)"),
      "\(r.stderr)")
    #expect(r.stderr.contains("hint: fewer replicates (--replicates; 1,000 to 10,000 settle the P5-P95 ranges) or fewer periods"))
    let base = try write("plain.yaml", "name: plain\ninterventions: []\n")
    let three = try runJourney(["compare", "--model", model, "--replicates", "400000", "--horizon", "12", base, base, base])
    #expect(three.status == 64 && three.stderr.contains("400,000 replicates x 12 periods x 3 scenarios is 14,400,000 replicate-periods"), "\(three.stderr)")
    let serve = try runJourney(["serve", "--model", model, "--replicates", "1000000", "--port", "0"])
    #expect(serve.status == 64 && serve.stderr.contains("1,000,000 replicates x 12 periods x 2 scenarios"), "\(serve.stderr)")
  }

  /// A --from after the data's last day, or an --as-of before its first, names both ends and the
  /// flags that set them. Exit codes draw one line for every command: a date flag outside the data
  /// is misuse (64, as evaluate's --launch), data too short for the window asked is data (65).
  @Test func aFromAfterTheDataSaysSo() throws {
    let r = try runJourney(["fit", csv, "--from", "2031-03-15", "-o", dir.appendingPathComponent("never.json").path])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(
      "the fit window would start 2031-03-01 and end 2024-06-30, before it starts, so it holds no month; give an --as-of after the data's first day (or none) and a --from before its last day (or none)"),
      "\(r.stderr)")
    let score = try runJourney(["score", csv, "--model", model, "--as-of", "2019-05-01", "-o", dir.appendingPathComponent("never.csv").path])
    #expect(score.status == 64 && score.stderr.contains("the fit window would start 2023-01-01 and end 2019-05-01, before it starts"), "\(score.stderr)")
    // Inside the data but too short: one complete month where two are needed.
    let short = try runJourney(["fit", csv, "--as-of", "2023-02-27", "-o", dir.appendingPathComponent("never.json").path])
    #expect(short.status == 65 && short.stderr.contains("the fit window from 2023-01-01 to 2023-02-27 holds 1 complete month(s)"), "\(short.stderr)")
    // A backtest's calibration end before the data, or a month into it, names its own flag.
    for (end, months, status) in [("2022-01-01", 0, Int32(64)), ("2023-01-31", 1, 65)] {
      let b = try runJourney(["backtest", csv, "--calibration-end", end])
      #expect(b.status == status, "\(b.stderr)")
      #expect(b.stderr.contains("--calibration-end \(end) leaves \(months) complete month(s) to fit on: the window starts 2023-01-01"), "\(b.stderr)")
      #expect(b.stderr.contains("hint: choose a calibration end at least 2 complete months after it"))
    }
    // After the data's last day it is misuse; at its last day, or with a holdout longer than the
    // data has, the data is too short.
    for (end, status) in [("2024-08-31", Int32(64)), ("2024-06-30", 65)] {
      let b = try runJourney(["backtest", csv, "--calibration-end", end])
      #expect(b.status == status && b.stderr.contains("--calibration-end \(end) leaves no complete period to predict: the data's last complete period is 2024-06"), "\(b.stderr)")
    }
    let long = try runJourney(["backtest", csv, "--calibration-end", "2024-03-31", "--holdout-periods", "4"])
    #expect(long.status == 65 && long.stderr.contains("--holdout-periods 4: the data has only 3 complete months after the calibration end"), "\(long.stderr)")
  }

  /// An --as-of after the data makes the months in between count as months nobody bought in:
  /// right when the data is complete to that day, a silent wrong answer when it was exported
  /// before. Fit and score say so, and say nothing for an --as-of inside the data.
  @Test func anAsOfAfterTheDataIsNamedWithTheMonthsItAdds() throws {
    let fitted = dir.appendingPathComponent("after.json").path
    let f = try runJourney(["fit", csv, "--as-of", "2024-09-30", "-o", fitted])
    #expect(f.status == 0, "\(f.stderr)")
    let warning = "--as-of 2024-09-30 is after the data's last day, 2024-06-30: the 3 months 2024-07 .. 2024-09 count as months in which nobody bought; if the data was exported before 2024-09-30, give an --as-of no later than 2024-06-30 (or none)"
    #expect(f.stdout.contains(warning), "\(f.stdout)")
    // Kept in the model: show says it too.
    #expect(try runJourney(["show", fitted]).stdout.contains(warning))
    let out = dir.appendingPathComponent("after-scores.csv").path
    let s = try runJourney(["score", csv, "--model", model, "--as-of", "2024-07-31", "-o", out])
    #expect(s.status == 0 && s.stderr.contains(
      "warning: --as-of 2024-07-31 is after the data's last day, 2024-06-30: 2024-07 counts as a month in which nobody bought"), "\(s.stderr)")
    for asOf in ["2024-06-30", "2024-07-30", "2024-05-31"] {
      let inside = try runJourney(["score", csv, "--model", model, "--as-of", asOf, "-o", out])
      #expect(inside.status == 0 && !inside.stderr.contains("warning"), "\(asOf): \(inside.stderr)")
    }
    let plain = try runJourney(["fit", csv, "-o", dir.appendingPathComponent("plain.json").path])
    #expect(!plain.stdout.contains("is after the data's last day"))
  }

  @Test func compareRefusesAScenarioWithoutAMarginAgainstOneWithIt() throws {
    let base = try write("nomargin.yaml", "name: plain\ninterventions: []\n")
    let other = try write("margin.yaml", "name: with margin\nmargin: 35%\ninterventions: []\n")
    let r = try runJourney(["compare", "--model", model, "--replicates", "0", base, other])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("\(base): margin: missing, so revenue counts as profit (100%), while 'with margin' has margin 35.0%"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test func compareRefusesAnInterventionAfterTheHorizon() throws {
    let late = try write("late.yaml", "name: late\nmargin: 35%\ninterventions:\n  - {name: late, targets: at_risk, start: 13, effects: {churn: -10%}}\n")
    let r = try runJourney(["compare", "--model", model, "--replicates", "0", "--horizon", "12", late])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("late.yaml: interventions[0].start: period 13 is after the horizon of 12 periods, so 'late' would never act; forecast further with --horizon 13, or start it earlier"), "\(r.stderr)")
  }

  @Test func scoreWarnsWhenTheFitFileHasChangedSinceTheFit() throws {
    let data = try write("changing.csv", try String(contentsOfFile: csv, encoding: .utf8))
    let fitted = dir.appendingPathComponent("changing.json").path
    #expect(try runJourney(["fit", data, "-o", fitted]).status == 0)
    let out = dir.appendingPathComponent("changing-scores.csv").path
    let same = try runJourney(["score", data, "--model", fitted, "-o", out])
    #expect(same.status == 0)
    #expect(!same.stderr.contains("warning"), "\(same.stderr)")
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data))
    handle.seekToEndOfFile()
    handle.write(Data("Z9,2024-05-01,5,purchase\n".utf8))
    try handle.close()
    let changed = try runJourney(["score", data, "--model", fitted, "-o", out])
    #expect(changed.status == 0)
    #expect(changed.stderr.contains("warning: '\(data)' has changed since the model was fitted ("), "\(changed.stderr)")
    #expect(changed.stderr.contains("refit with `journey fit`"))
  }

  // MARK: - Limits

  @Test func generateRefusesMoreCustomersThanTheLimit() throws {
    let r = try runJourney(["generate", "--customers", "100000000", "-o", dir.appendingPathComponent("never.csv").path])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--customers: '100000000' is not valid; expected a whole number from 1 to 10000000 (the limit: about 560 bytes of memory each)"), "\(r.stderr)")
  }

  /// `generate` never writes a history journey's own reader refuses: a span running more than a
  /// year past today is a usage error whose suggested --start gives a file every command reads.
  @Test func generateRefusesASpanItsReaderWouldRefuse() throws {
    let out = dir.appendingPathComponent("far-future.csv").path
    let r = try runJourney(["generate", "--customers", "50", "--months", "240", "-o", out])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("--months: '240' is not valid; expected a span that ends by "), "\(r.stderr)")
    #expect(r.stderr.contains("from --start 2023-01-01 it would end 2042-12-31, and journey reads dates more than a year after today as typing errors"))
    #expect(!FileManager.default.fileExists(atPath: out))
    let marker = "give an earlier --start (e.g. --start "
    let suggested = try #require(r.stderr.range(of: marker).map { String(r.stderr[$0.upperBound...].prefix(10)) })
    let g = try runJourney(["generate", "--customers", "50", "--months", "240", "--start", suggested, "-o", out])
    #expect(g.status == 0, "\(g.stderr)")
    let read = try runJourney(["inspect", out])
    #expect(read.status == 0, "\(read.stderr)")
  }

  @Test func splitByWithTooManyValuesIsRefusedBeforeFitting() throws {
    var text = "customer_id,date,amount,shop\n"
    for k in 0..<250 { text += "c\(k),2024-01-0\(1 + k % 9),5,S\(k)\nc\(k),2024-03-0\(1 + k % 9),5,S\(k)\n" }
    let wide = try write("wide.csv", text)
    let r = try runJourney(["fit", wide, "--split-by", "shop", "-o", dir.appendingPathComponent("never.json").path])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("--split-by: column 'shop' has 250 values, and each one copies every state; the limit is 200 values"), "\(r.stderr)")
    #expect(r.stderr.contains("hint: group rare values into one (e.g. 'other') before fitting"), "\(r.stderr)")
  }

  // MARK: - Mixed outputs

  @Test func aFailedDemoLeavesThePreviousFolderAsItWas() throws {
    let out = dir.appendingPathComponent("demo-failing")
    try FileManager.default.createDirectory(at: out.appendingPathComponent("report.html"), withIntermediateDirectories: true)
    try "old".write(to: out.appendingPathComponent("model.json"), atomically: true, encoding: .utf8)
    let r = try runJourney(["demo", "--customers", "200", "-o", out.path])
    #expect(r.status == 1)
    #expect(r.stderr.contains("Error: cannot write '\(out.path)/report.html': it is a folder"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["model.json", "report.html"])
    #expect(try String(contentsOf: out.appendingPathComponent("model.json"), encoding: .utf8) == "old")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".tmp-") })
  }

  @Test func aReportThatCannotBeWrittenLeavesNoTables() throws {
    let out = dir.appendingPathComponent("blocked")
    try FileManager.default.createDirectory(at: out.appendingPathComponent("f.html"), withIntermediateDirectories: true)
    let r = try runJourney(["forecast", "--model", model, "--replicates", "0", "--report", out.appendingPathComponent("f.html").path])
    #expect(r.status == 1)
    #expect(r.stderr.contains("it is a folder"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["f.html"])
  }

  // MARK: - Unsafe output

  @Test func scoreGuardsIDsThatSpreadsheetsWouldRunAsFormulas() throws {
    let text = try String(contentsOfFile: csv, encoding: .utf8).replacingOccurrences(of: "\nC", with: "\n=C")
    let input = try write("formula.csv", text)
    let out = dir.appendingPathComponent("formula-scores.csv").path
    let r = try runJourney(["score", input, "--model", model, "-o", out])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(!rows.isEmpty)
    #expect(rows.allSatisfy { $0.hasPrefix("'=") }, "\(rows.prefix(3))")
  }

  @Test func theMarkdownReportShowsHostileNamesAsText() throws {
    let a = try write("tags-base.yaml", "name: <script>x</script>\nmargin: 35%\ninterventions: []\n")
    let b = try write("tags-pipe.yaml", "name: a|b\nmargin: 35%\ninterventions:\n  - {targets: at_risk, effects: {churn: -10%}}\n")
    let report = dir.appendingPathComponent("hostile.md").path
    let r = try runJourney(["compare", "--model", model, "--replicates", "0", a, b, "--report", report])
    #expect(r.status == 0, "\(r.stderr)")
    let md = try String(contentsOfFile: report, encoding: .utf8)
    #expect(!md.contains("<script>"))
    #expect(md.contains("&lt;script&gt;x&lt;/script&gt;"))
    #expect(md.contains("a\\|b"))
    #expect(!md.contains("a|b"))
  }
}

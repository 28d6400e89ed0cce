import Foundation
import Testing

@Suite("journey generate --control, evaluate --control/--group, design")
struct RolloutCLITests {
  /// A small history with a 30% holdout: `held.csv`, `held.control.txt`, `held.truth.json`.
  static func generated() throws -> URL {
    let dir = try temporaryDirectory()
    let r = try runJourney([
      "generate", "--customers", "1500", "--months", "24", "--seed", "3", "--launch", "2024-07-01", "--launch-churn", "-20%",
      "--control", "30%", "-o", dir.appendingPathComponent("held.csv").path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    return dir
  }

  @Test func generatorWritesTheGroupColumnAndTheControlIDs() throws {
    let dir = try Self.generated()
    let csv = try String(contentsOf: dir.appendingPathComponent("held.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("customer_id,date,amount,event,group\n"))
    let ids = try String(contentsOf: dir.appendingPathComponent("held.control.txt"), encoding: .utf8).split(separator: "\n")
    let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("held.truth.json"))) as! [String: Any]
    let effects = truth["effects"] as! [String: Any]
    #expect((effects["control_customers"] ?? effects["controlCustomers"]) as? Int == ids.count, "\(effects)")
    // Every row of a listed customer says control, and no other row does.
    let listed = Set(ids.map(String.init))
    for line in csv.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",")
      #expect((fields[4] == "control") == listed.contains(String(fields[0])), "\(line)")
    }
  }

  @Test func controlAndGroupTogetherAreMisuse() throws {
    let dir = try Self.generated()
    let r = try runJourney([
      "evaluate", dir.appendingPathComponent("held.csv").path, "--launch", "2024-07-01", "--control",
      dir.appendingPathComponent("held.control.txt").path, "--group", "group",
    ])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--control and --group: give one way of saying who is in the control group, not both"), "\(r.stderr)")
  }

  @Test func unknownControlIDsAreADataError() throws {
    let dir = try Self.generated()
    let list = dir.appendingPathComponent("wrong.txt")
    try "C0000001\nNOBODY\n".write(to: list, atomically: true, encoding: .utf8)
    let r = try runJourney(["evaluate", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "--launch", "2024-07-01", "--control", list.path])
    #expect(r.status == 65)
    #expect(r.stderr.contains("wrong.txt: 1 of 2 control ids are not in the data (e.g. NOBODY)"), "\(r.stderr)")
  }

  @Test func missingGroupColumnIsNamed() throws {
    let dir = try Self.generated()
    let r = try runJourney(["evaluate", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "--launch", "2024-07-01", "--group", "arm"])
    // The reader stops first: the column is not in the file's header.
    #expect(r.status == 65)
    #expect(r.stderr.contains("no column 'arm' in header 'customer_id,date,amount,event,group'"), "\(r.stderr)")
  }

  @Test func groupColumnEvaluationWritesAScenarioCompareReads() throws {
    let dir = try Self.generated()
    let scenario = dir.appendingPathComponent("measured.yaml").path
    let r = try runJourney([
      "evaluate", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "--launch", "2024-07-01", "--group", "group",
      "--bootstrap", "60", "--write-scenario", scenario,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Verdict: "))
    #expect(r.stdout.contains("Rolled out to everyone"))
    let model = dir.appendingPathComponent("model.json").path
    #expect(try runJourney(["fit", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "-o", model]).status == 0)
    let baseline = dir.appendingPathComponent("baseline.yaml")
    try "name: baseline\ninterventions: []\n".write(to: baseline, atomically: true, encoding: .utf8)
    let compare = try runJourney(["compare", "--model", model, baseline.path, scenario, "--replicates", "100"])
    #expect(compare.status == 0, "\(compare.stderr)")
    #expect(compare.stdout.contains("rollout as measured"))
  }

  @Test func withoutAControlTheTableIsDescriptive() throws {
    let dir = try Self.generated()
    let r = try runJourney([
      "evaluate", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "--launch", "2024-07-01", "--bootstrap", "60",
      "--replicates", "60",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("descriptive only"))
    #expect(!r.stdout.contains("moved?"))
    #expect(r.stdout.contains("cannot be told from noise without a control group"))
  }

  @Test func launchFlagsAreMisusedClearly() throws {
    let dir = try Self.generated()
    let launches = dir.appendingPathComponent("launches.csv")
    try "region,launch\nR1,2024-07-01\nR2,2024-10-01\n".write(to: launches, atomically: true, encoding: .utf8)
    let csv = dir.appendingPathComponent("held.csv").path
    let both = try runJourney(["evaluate", csv, "--launch", "2024-07-01", "--launches", launches.path])
    #expect(both.status == 64)
    #expect(both.stderr.contains("--launch and --launches: give one date for everyone or a file of dates per group, not both"), "\(both.stderr)")
    let neither = try runJourney(["evaluate", csv])
    #expect(neither.status == 64)
    #expect(neither.stderr.contains("--launch: missing"), "\(neither.stderr)")
    let bad = dir.appendingPathComponent("bad.csv")
    try "region,launch\nR1,2024-07-01\nR2,someday\n".write(to: bad, atomically: true, encoding: .utf8)
    let r = try runJourney(["evaluate", csv, "--states", "lifecycle", "--launches", bad.path])
    #expect(r.status == 65)
    #expect(r.stderr.contains("bad.csv:3: 'someday' is not a date; write it as YYYY-MM-DD, e.g. 2024-07-01"), "\(r.stderr)")
  }

  @Test func launchOutsideTheDataIsMisuseAndAShortWindowIsData() throws {
    let dir = try Self.generated()
    let csv = dir.appendingPathComponent("held.csv").path, control = dir.appendingPathComponent("held.control.txt").path
    // The held history's rows run from 2023-01-02 to 2024-12-31.
    let outside = try runJourney(["evaluate", csv, "--states", "lifecycle", "--launch", "2030-01-01", "--control", control])
    #expect(outside.status == 64)
    #expect(outside.stderr.contains("--launch: '2030-01-01' is outside the data (2023-01-02 to 2024-12-31)"), "\(outside.stderr)")
    // Two complete months before the launch: the pre-launch model needs 3.
    let early = try runJourney(["evaluate", csv, "--states", "lifecycle", "--launch", "2023-03-01", "--control", control])
    #expect(early.status == 65)
    #expect(early.stderr.contains("the pre-launch window has 2 complete period(s), at least 3 needed"), "\(early.stderr)")
    // With the default choice of states, without a control group too: the windows are checked
    // before the choice runs (a launch before the data said "the data has no rows to fit"), and
    // an unreadable control list before any work.
    for args in [["--launch", "2019-01-01"], ["--launch", "2019-01-01", "--control", control]] {
      let before = try runJourney(["evaluate", csv] + args)
      #expect(before.status == 64 && !before.stderr.contains("states:"), "\(before.stderr)")
      #expect(before.stderr.contains("--launch: '2019-01-01' is outside the data (2023-01-02 to 2024-12-31)"), "\(before.stderr)")
    }
    let earlyAuto = try runJourney(["evaluate", csv, "--launch", "2023-03-01"])
    #expect(earlyAuto.status == 65 && earlyAuto.stderr.contains("the pre-launch window has 2 complete period(s), at least 3 needed"), "\(earlyAuto.stderr)")
    let unreadable = try runJourney(["evaluate", csv, "--launch", "2024-07-01", "--control", dir.appendingPathComponent("none.txt").path])
    #expect(unreadable.status == 64 && !unreadable.stderr.contains("states:"), "\(unreadable.stderr)")
    #expect(unreadable.stderr.contains("--control: cannot read"))
    // A flag mistake found in run() names the command's help, not the root's usage.
    #expect(unreadable.stderr.contains("See 'journey evaluate --help' for the flags.") && !unreadable.stderr.contains("journey <subcommand>"), "\(unreadable.stderr)")
  }

  @Test func alphaOutsideItsRangeIsMisuse() throws {
    for flag in ["0", "0.5", "-0.05"] {
      let r = try runJourney(["evaluate", "h.csv", "--launch", "2024-07-01", "--control", "c.txt", "--alpha", flag])
      #expect(r.status == 64)
      #expect(r.stderr.contains("--alpha: '\(Double(flag)!)' must be from 0.001 to 0.2"), "\(r.stderr)")
    }
    let d = try runJourney(["design", "--data", "h.csv", "--alpha", "0.3"])
    #expect(d.status == 64 && d.stderr.contains("--alpha: '0.3' must be from 0.001 to 0.2"), "\(d.stderr)")
    // A level inside the range reaches the verdict: the primary test at 0.8 alpha, the rest at 0.2 alpha or alpha.
    let dir = try Self.generated()
    let r = try runJourney([
      "evaluate", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "--launch", "2024-07-01", "--control",
      dir.appendingPathComponent("held.control.txt").path, "--alpha", "0.01", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(json["alpha"] as? Double == 0.01)
    #expect(abs((json["primary_level"] as? Double ?? 0) - 0.008) < 1e-12, "\(json["primary_level"] ?? "none")")
    let secondary = json["secondary_level"] as? Double ?? 0
    #expect(abs(secondary - 0.002) < 1e-12 || abs(secondary - 0.01) < 1e-12, "\(secondary)")
  }

  @Test func designNeedsAModelOrData() throws {
    let r = try runJourney(["design", "--effect", "-20%"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("give one of --model FILE and --data FILE"), "\(r.stderr)")
    // The dropout lever reads customers' histories: a model file has none.
    let m = try runJourney(["design", "--model", "model.json", "--lever", "dropout"])
    #expect(m.status == 64)
    #expect(m.stderr.contains("--lever dropout: needs the customers' histories and the launch base's test; give --data FILE"), "\(m.stderr)")
    // A measure the model does not know is a flag mistake too, not a failure.
    let dir = try Self.generated()
    let fitted = dir.appendingPathComponent("design-model.json").path
    #expect(try runJourney(["fit", dir.appendingPathComponent("held.csv").path, "--states", "lifecycle", "-o", fitted]).status == 0)
    let unknown = try runJourney(["design", "--model", fitted, "--measure", "bogus"])
    #expect(unknown.status == 64 && unknown.stderr.contains("--measure: 'bogus' is not a measure of this model"), "\(unknown.stderr)")
  }

  /// `design --data` reads a file the way every other command does: its columns, delimiter, date
  /// layout and decimal mark given by flags, with the same design as from the plain file.
  @Test func designReadsDataWithTheColumnFlags() throws {
    let dir = try Self.generated()
    let plain = dir.appendingPathComponent("held.csv").path
    let lines = try String(contentsOfFile: plain, encoding: .utf8).split(separator: "\n")
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var german = ["Kunde;Datum;Betrag;Art" + (header.count > 4 ? ";" + header[4...].joined(separator: ";") : "")]
    for line in lines.dropFirst() {
      var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      let d = f[1].split(separator: "-")
      f[1] = "\(d[2]).\(d[1]).\(d[0])"
      f[2] = f[2].replacingOccurrences(of: ".", with: ",")
      german.append(f.joined(separator: ";"))
    }
    let file = dir.appendingPathComponent("held-de.csv").path
    try (german.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let flags = ["--replicates", "20", "--bootstrap", "20", "--horizon", "3", "--json"]
    let a = try runJourney(["design", "--data", plain] + flags)
    #expect(a.status == 0, "\(a.stderr)")
    let b = try runJourney(
      ["design", "--data", file, "--customer-column", "Kunde", "--date-column", "Datum", "--amount-column", "Betrag", "--event-column", "Art",
       "--delimiter", ";", "--date-format", "%d.%m.%Y", "--decimal-comma"] + flags)
    #expect(b.status == 0, "\(b.stderr)")
    #expect(!a.stdout.isEmpty && a.stdout == b.stdout)
    // Without the flags the file is refused with the reader's message, as data (65).
    let bare = try runJourney(["design", "--data", file] + flags)
    #expect(bare.status == 65 && bare.stderr.contains("customer_id"), "\(bare.stderr)")
  }
}

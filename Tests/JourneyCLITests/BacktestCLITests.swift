import Foundation
import Testing

/// `journey backtest` as a user runs it: the text, the JSON's fixed shape, the report, and errors.
@Suite("Backtest command", .serialized)
struct BacktestCLITests {
  static let workspace: URL = {
    let dir = try! temporaryDirectory()
    let g = try! runJourney(["generate", "--customers", "3000", "--seed", "8", "-o", dir.appendingPathComponent("data.csv").path])
    precondition(g.status == 0, g.stderr)
    return dir
  }()

  var csv: String { Self.workspace.appendingPathComponent("data.csv").path }

  @Test func jsonHasTheDocumentedShape() throws {
    let json = Self.workspace.appendingPathComponent("backtest.json").path
    let r = try runJourney(["backtest", csv, "--calibration-end", "2025-06-30", "--states", "lifecycle", "--per-customer", "--json", json])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Accuracy over the holdout") && r.stdout.contains("By repeat purchases"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
    #expect(root["calibration_end"] as? String == "2025-06-30")
    #expect(root["period"] as? String == "month")
    #expect(root["states"] as? String == "lifecycle")
    let holdout = try #require(root["holdout"] as? [String: Any])
    let periods = try #require(holdout["periods"] as? [[String: Any]])
    #expect(periods.count == 6)
    #expect(periods[0]["start"] as? String == "2025-07-01")
    for side in ["actual", "predicted"] {
      let values = try #require(periods[0][side] as? [String: Any])
      for key in ["transactions", "revenue", "active"] { #expect(values[key] is Double, "\(side).\(key)") }
    }
    let totals = try #require(holdout["totals"] as? [String: Any])
    for side in ["actual", "predicted"] {
      let values = try #require(totals[side] as? [String: Any])
      #expect(values["transactions"] is Double && values["revenue"] is Double)
    }
    // The share inside the range, counted here from the periods' own values and ranges.
    let inside = try #require(holdout["inside_range"] as? [String: Any])
    #expect(inside["periods"] as? Int == 6)
    for key in ["transactions", "revenue", "active", "churned"] {
      let count = periods.filter { p in
        let a = (p["actual"] as! [String: Any])[key] as! Double
        let low = (p["predicted_low"] as! [String: Any])[key] as! Double
        let high = (p["predicted_high"] as! [String: Any])[key] as! Double
        return low <= a && a <= high
      }.count
      #expect(inside[key] as? Int == count, "\(key)")
    }
    let insideTransactions = inside["transactions"] as? Int ?? -1
    #expect(r.stdout.contains("Inside the predicted P5-P95 range (90%): transactions \(insideTransactions) of 6 months"))
    let actualTransactions = periods.reduce(0.0) { $0 + (($1["actual"] as! [String: Any])["transactions"] as! Double) }
    #expect((totals["actual"] as! [String: Any])["transactions"] as? Double == actualTransactions)
    let perCustomer = try #require(holdout["per_customer"] as? [String: Any])
    for key in ["mae", "rmse", "correlation"] { #expect(perCustomer[key] is Double, "\(key)") }
    let groups = try #require(perCustomer["by_calibration_repeats"] as? [[String: Any]])
    #expect(groups.first?["repeats"] as? String == "0")
    #expect(groups.last?["repeats"] as? String == "7+")
    #expect(groups[0]["customers"] is Int && groups[0]["actual_mean"] is Double && groups[0]["predicted_mean"] is Double)
    let baselines = try #require(root["baselines"] as? [String: Any])
    #expect(baselines["run_rate"] is [String: Any] && baselines["per_customer"] is [String: Any])
  }

  /// `--holdout-periods 6` alone holds out the last 6 complete months: the generated 36 months
  /// end on 2025-12-31, so it is the backtest from 2025-06-30, the same forecast to the digit.
  /// Neither flag is misuse (64); more periods than the data can spare is data too short (65).
  @Test func holdoutPeriodsAloneHoldOutTheLastPeriods() throws {
    let alone = try runJourney(["backtest", csv, "--holdout-periods", "6", "--states", "lifecycle", "--replicates", "0"])
    #expect(alone.status == 0, "\(alone.stderr)")
    let dated = try runJourney(["backtest", csv, "--calibration-end", "2025-06-30", "--holdout-periods", "6", "--states", "lifecycle", "--replicates", "0"])
    #expect(dated.status == 0, "\(dated.stderr)")
    #expect(alone.stdout == dated.stdout)
    #expect(alone.stdout.contains("2025-07") && !alone.stdout.contains("2025-06-30 leaves"))
    let neither = try runJourney(["backtest", csv])
    #expect(neither.status == 64)
    #expect(neither.stderr.contains("give --calibration-end DATE") && neither.stderr.contains("--holdout-periods N"))
    let tooMany = try runJourney(["backtest", csv, "--holdout-periods", "35"])
    #expect(tooMany.status == 65)
    #expect(tooMany.stderr.contains("--holdout-periods 35: the data has 36 complete month(s)") && tooMany.stderr.contains("use --holdout-periods 34 or less"))
  }

  /// `--origins 3` backtests from the three month-ends up to the latest and writes each one and
  /// the summary; the latest origin's errors are the single backtest's from that date; `--report`
  /// draws and lists them.
  @Test func originsSummariseTheBacktestsFromSeveralEnds() throws {
    let json = Self.workspace.appendingPathComponent("rolling.json").path
    let r = try runJourney(["backtest", csv, "--holdout-periods", "6", "--origins", "3", "--states", "lifecycle", "--replicates", "0", "--json", json])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Rolling backtest: 3 calibration ends, one month apart, each predicting 6 months"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
    let origins = try #require(root["origins"] as? [[String: Any]])
    #expect(origins.compactMap { $0["calibration_end"] as? String } == ["2025-04-30", "2025-05-31", "2025-06-30"])
    let single = Self.workspace.appendingPathComponent("single.json").path
    let b = try runJourney(["backtest", csv, "--calibration-end", "2025-06-30", "--states", "lifecycle", "--replicates", "0", "--json", single])
    #expect(b.status == 0, "\(b.stderr)")
    let one = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: single))) as? [String: Any])
    let accuracy = try #require((one["holdout"] as? [String: Any])?["accuracy"] as? [[String: Any]])
    let transactions = try #require(accuracy.first { $0["kpi"] as? String == "transactions" }?["total_error"] as? Double)
    #expect((origins[2]["total_error"] as? [String: Any])?["transactions"] as? Double == transactions)
    let summary = try #require(root["summary"] as? [[String: Any]])
    #expect(summary.compactMap { $0["kpi"] as? String } == ["transactions", "revenue", "active", "churned"])

    #expect(try runJourney(["backtest", csv, "--holdout-periods", "6", "--origins", "0"]).status == 64)
    // The report lists the same origins.
    let report = Self.workspace.appendingPathComponent("rolling.md").path
    let m = try runJourney(["backtest", csv, "--holdout-periods", "6", "--origins", "2", "--states", "lifecycle", "--replicates", "0", "--report", report])
    #expect(m.status == 0, "\(m.stderr)")
    let markdown = try String(contentsOfFile: report, encoding: .utf8)
    #expect(markdown.hasPrefix("# Backtest from 2 calibration ends") && markdown.contains("| 2025-05-31 | lifecycle | 2025-06 to 2025-11 |"))
    let tooMany = try runJourney(["backtest", csv, "--holdout-periods", "6", "--origins", "40"])
    #expect(tooMany.status == 65)
    #expect(tooMany.stderr.contains("hint: use --origins 29 or less"))
  }

  /// Without --states the state space is chosen (auto is the default), and the output says which and why.
  @Test func autoStatesExplainsItsChoice() throws {
    let r = try runJourney(["backtest", csv, "--calibration-end", "2025-06-30", "--replicates", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("State spaces compared by rolling-origin validation"))
    #expect(r.stdout.contains("Chosen: "))
    for name in ["lifecycle", "value", "rfm:3", "rfm:5", "rf:4"] { #expect(r.stdout.contains(name)) }
    let fit = try runJourney(["fit", csv, "-o", Self.workspace.appendingPathComponent("auto.json").path])
    #expect(fit.status == 0, "\(fit.stderr)")
    #expect(fit.stdout.contains("Chosen: "))
  }

  /// Two months are too few to validate on: the output says so in one line, without an empty
  /// comparison (it printed "origins , each predicting" and a table with no rows).
  @Test func tooShortToValidateSaysSoWithoutAnEmptyTable() throws {
    let r = try runJourney(["backtest", csv, "--calibration-end", "2023-02-28", "--holdout-periods", "2", "--replicates", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("State space: 2 months of data are too few to validate on; lifecycle"))
    #expect(!r.stdout.contains("rolling-origin validation (origins"))
  }

  @Test func reportHasTheBacktestCharts() throws {
    let html = Self.workspace.appendingPathComponent("backtest.html").path
    let r = try runJourney(["backtest", csv, "--calibration-end", "2025-06-30", "--per-customer", "--report", html, "--replicates", "50"])
    #expect(r.status == 0, "\(r.stderr)")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    #expect(page.contains("Churn calibration") && page.contains("Transactions: actual and predicted"))
    #expect(page.contains("by repeat purchases before it"))
  }

  @Test(arguments: [
    (["--calibration-end", "2025-12-31"], "leaves no complete period to predict"),
    (["--calibration-end", "2025-06-30", "--holdout-periods", "8"], "hint: use --holdout-periods 6"),
    (["--calibration-end", "2025-13-01"], "calibration-end"),
    (["--calibration-end", "2025-06-30", "--states", "lifecycle", "--candidate", "rf"], "only used with --states auto"),
  ])
  func badArgumentsFailClearly(arguments: [String], message: String) throws {
    let r = try runJourney(["backtest", csv] + arguments)
    #expect(r.status != 0)
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  /// evaluate chooses its states on the data before the launch only, and says so.
  @Test func evaluateChoosesStatesBeforeTheLaunch() throws {
    let r = try runJourney(["evaluate", csv, "--launch", "2025-03-01", "--replicates", "50", "--bootstrap", "50"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("chosen on the data before the launch"))
  }

  /// Six months of data: too short for the standard folds (a year plus burn-in), yet the choice
  /// validates on a shorter fold instead of refusing.
  @Test func autoChoiceWorksOnSixMonths() throws {
    let short = Self.workspace.appendingPathComponent("short.csv").path
    let g = try runJourney(["generate", "--customers", "2000", "--months", "7", "--seed", "3", "-o", short])
    #expect(g.status == 0, "\(g.stderr)")
    let r = try runJourney(["backtest", short, "--calibration-end", "2023-06-30", "--per-customer", "--replicates", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Chosen: ") && r.stdout.contains("one fold of"))
  }
}

import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run every analysis on built-in sample data.",
      discussion: """
        Generates a sample transaction history with a planted CRM launch effect, writes it \
        into the output folder and runs the analyses on it, printing what it wrote where. \
        report.html in the folder gathers the forecast, the strategies, the rollout \
        evaluation and a backtest of the last six months on one page with charts.

        Example:
          journey demo
          journey demo --output /tmp/demo --customers 20000 --seed 3
        """
    )

    @Option(name: [.short, .customLong("output")], help: "Folder for the sample data and results.")
    var output: String = "demo"

    @Option(parsing: .unconditional, help: "People entering the sample base.")
    var customers: Int = 5_000

    @Option(parsing: .unconditional, help: "Random seed for the sample data.")
    var seed: UInt64 = 7

    func validate() throws {
      guard customers >= 100 && customers <= 10_000_000 else {
        throw ValidationError("--customers: '\(customers)' is out of range; expected 100 to 10000000")
      }
    }

    func run() throws {
      var p = GeneratorParameters()
      p.customers = customers
      p.seed = seed
      p.launch = CalendarDay(year: 2025, month: 3, day: 1)
      p.launchChurn = -0.2
      p.launchConversion = 0.1
      // Buying more often shows within months; less churn alone is too slow and too small for a
      // holdout of a few thousand customers to see (journey design says so).
      p.launchFrequency = 0.15
      // A random 30% of customers is held out of the launch, as a real rollout would be judged.
      p.controlShare = 0.3
      let history = try SyntheticHistoryGenerator.generate(p)
      // Everything is written into a temporary folder and moved into place at the end, report.html
      // last: a failed or killed demo leaves the previous outputs as they were, not a mix.
      let stage = try StagedFolder(destination: output)
      func path(_ name: String) -> String { (output as NSString).appendingPathComponent(name) }
      let csvPath = path("transactions.csv")
      let csvBytes = history.csvBytes()
      try AtomicFile.write(csvBytes, to: stage.path("transactions.csv"))
      let truthPath = GeneratedFiles.truthPath(forCSV: csvPath)
      try AtomicFile.write(try JSONOutput.encode(history.truth), to: stage.path((truthPath as NSString).lastPathComponent))
      let controlPath = GeneratedFiles.controlPath(forCSV: csvPath)
      try AtomicFile.write(history.controlIDs(), to: stage.path((controlPath as NSString).lastPathComponent))
      let c = history.truth.counts
      print("Journey demo")
      print("  sample data   \(csvPath)  (\(c.rows) rows, \(c.customers) customers, \(p.start) to \(p.end.adding(days: -1)))")
      print("  ground truth  \(truthPath)  (planted at \(p.launch!): churn \(RelativeChange(value: p.launchChurn)), lead conversion \(RelativeChange(value: p.launchConversion)), purchase frequency \(RelativeChange(value: p.launchFrequency)), on the treated; \(Format.percent(p.controlShare!, decimals: 0)) held out in \(controlPath))")

      // Inspect: read the sample back as any export would be, and profile it.
      let read = try TransactionReader().read(bytes: csvBytes, name: csvPath)
      let profile = DataProfile(read, period: .month)
      let profilePath = path("profile.json")
      try AtomicFile.write(try JSONOutput.encode(profile), to: stage.path("profile.json"))
      print("  data profile  \(profilePath)  (journey inspect \(csvPath))")
      print(profile.shortText(), terminator: "")

      // Fit: the lifecycle model, and the value model the loyalty scenario needs.
      var fitOptions = FitOptions()
      fitOptions.source = csvPath
      fitOptions.activity = true  // as `journey fit` fits
      var model = try ModelFitter.fit(read.table, options: fitOptions)
      model.measureChainError(read.table, options: fitOptions)  // as `journey fit` measures it
      try AtomicFile.write(try model.json(), to: stage.path("model.json"))
      fitOptions.stateSpace = .value
      var valueModel = try ModelFitter.fit(read.table, options: fitOptions)
      valueModel.measureChainError(read.table, options: fitOptions)
      try AtomicFile.write(try valueModel.json(), to: stage.path("model-value.json"))
      let summary = ModelSummary(model: model)
      print("")
      print("  model         \(path("model.json"))  (journey fit \(csvPath) -o \(path("model.json")); journey show for the full table)")
      print("                \(model.stateSpace.count) lifecycle states, \(model.window.description); customer equity \(Format.number(summary.customerEquity))")
      for row in summary.states where row.customersNow > 0 && row.stage != .churned {
        print("                \(row.state): \(Format.number(row.customersNow)) now, churn next month \(Format.percent(row.churnNext)), CLV \(Format.number(row.lifetimeValue, decimals: 2))")
      }
      print("  value model   \(path("model-value.json"))  (--states value)")

      // Forecast 12 months with ranges.
      var forecastOptions = ForecastOptions()
      forecastOptions.horizon = 12
      forecastOptions.seed = seed
      let forecast = try ForecastEngine.run(model: model, options: forecastOptions)
      let report = ForecastReport(forecast: forecast, model: model)
      try AtomicFile.write(report.csv(), to: stage.path("forecast.csv"))
      try AtomicFile.write(try report.json(), to: stage.path("forecast.json"))
      let living = forecast.expected[.customers]!
      let revenue = forecast.bands[.cumulativeRevenue]!.last!
      print("")
      print("  forecast      \(path("forecast.csv"))  (journey forecast --model \(path("model.json")) --horizon 12)")
      print("                living customers \(Format.number(model.livingCustomers)) now -> \(Format.number(living.last!)) in \(forecast.periods.last!) (range \(Format.number(forecast.bands[.customers]!.last!.p5))-\(Format.number(forecast.bands[.customers]!.last!.p95)))")
      print("                revenue over 12 months \(Format.number(forecast.expected[.cumulativeRevenue]!.last!)) (range \(Format.number(revenue.p5))-\(Format.number(revenue.p95)))")
      // The parts of the combined report, in reading order.
      var reportParts = [report.document(ingest: read.summary)]

      // Score every customer.
      let scores = try CustomerScores(table: read.table, model: model, horizon: 3)
      try AtomicFile.write(scores.csvBytes(), to: stage.path("scores.csv"))
      print("  scores        \(path("scores.csv"))  (\(Format.number(Double(scores.scoredCount))) customers: state, churn risk in 3 months, expected purchases and revenue, CLV)")

      // Compare the shipped strategies.
      if let directory = Demo.scenarioDirectory() {
        let names = ["baseline", "winback", "onboarding", "service-quality", "acquisition-push"]
        let plans = try names.map { try ScenarioPlan(try Scenario.load(path: (directory as NSString).appendingPathComponent("\($0).yaml")), model: model) }
        var compareOptions = ForecastOptions()
        compareOptions.horizon = 12
        compareOptions.replicates = 500
        compareOptions.seed = seed
        let comparison = try ScenarioComparison.run(model: model, plans: plans, options: compareOptions)
        try AtomicFile.write(comparison.csv(), to: stage.path("compare.csv"))
        reportParts.append(ComparisonReport(comparison: comparison, model: model).document(ingest: read.summary))
        let loyalty = try ScenarioComparison.run(
          model: valueModel,
          plans: try ["baseline", "loyalty"].map { try ScenarioPlan(try Scenario.load(path: (directory as NSString).appendingPathComponent("\($0).yaml")), model: valueModel) },
          options: compareOptions)
        try AtomicFile.write(loyalty.csv(), to: stage.path("compare-loyalty.csv"))
        print("")
        print("  strategies    \(path("compare.csv")), \(path("compare-loyalty.csv"))  (journey compare --model ... \(directory)/*.yaml)")
        print(comparison.text())
        print(loyalty.text())
      } else {
        print("  strategies    skipped: no scenarios/ folder found beside the working directory")
      }

      // Judge the planted launch as a head of CRM would.
      var evaluationOptions = EvaluationOptions(launch: p.launch!)
      evaluationOptions.seed = seed
      let evaluation = try RolloutEvaluation.run(read.table, options: evaluationOptions)
      try AtomicFile.write(try JSONOutput.encode(evaluation), to: stage.path("evaluation.json"))
      print("")
      print("  evaluation    \(path("evaluation.json"))  (journey evaluate \(csvPath) --launch \(p.launch!); the truth planted churn \(RelativeChange(value: p.launchChurn)), lead conversion \(RelativeChange(value: p.launchConversion)), purchase frequency \(RelativeChange(value: p.launchFrequency)) on the treated)")
      print(evaluation.text())
      reportParts.append(EvaluationReport(evaluation: evaluation, ingest: read.summary).document())

      // The same launch against its control group: the difference in differences finds the effect.
      let groups = try RolloutGroup.fromControlList(history.controlIDs(), source: controlPath, table: read.table)
      let controlled = try ControlledEvaluation.run(read.table, groups: groups, options: evaluationOptions)
      try AtomicFile.write(try JSONOutput.encode(controlled), to: stage.path("evaluation-control.json"))
      if let yaml = controlled.rollout?.scenarioYAML { try AtomicFile.write(yaml, to: stage.path("measured-rollout.yaml")) }
      print("")
      print("  controlled    \(path("evaluation-control.json")), \(path("measured-rollout.yaml"))  (journey evaluate \(csvPath) --launch \(p.launch!) --control \(controlPath) --write-scenario \(path("measured-rollout.yaml")))")
      print(controlled.text())
      reportParts.append(ControlledEvaluationReport(evaluation: controlled).document())

      // Backtest: fit on all but the last six months, choose the states on that part alone, and
      // score the predictions of the six months it did not see.
      let calibrationEnd = p.end.adding(months: -6).adding(days: -1)
      var backtestOptions = BacktestOptions(calibrationEnd: calibrationEnd)
      backtestOptions.perCustomer = true
      backtestOptions.selection = StateSpaceSelection.Options()
      backtestOptions.seed = seed
      let backtest = try JourneyKit.Backtest.run(read.table, options: backtestOptions)
      try AtomicFile.write(try JSONOutput.encode(backtest), to: stage.path("backtest.json"))
      print("")
      print("  backtest      \(path("backtest.json"))  (journey backtest \(csvPath) --calibration-end \(calibrationEnd) --states auto --per-customer)")
      print("                the planted launch (less churn from \(p.launch!)) is only in the last calibration months, so a model fitted mostly on the old behaviour should predict too few active customers")
      print(backtest.text())
      reportParts.append(BacktestReport(backtest.reportInput()).document())

      // The biggest levers.
      let levers = try LeverAnalysis.analyse(model: model, horizon: 12, inflow: forecastOptions.acquisition.inflow(model: model, horizon: 12))
      print("")
      print("  levers        (journey levers --model \(path("model.json")))")
      print(levers.text(top: 5, period: model.window.period))

      let combined = ReportDocument.combining(
        reportParts, title: "Journey demo report",
        subtitle: "Sample data with a CRM launch on \(p.launch!): forecast, strategies, the rollout and a backtest, from \(csvPath)")
      let written = try ReportWriter.write(combined, to: stage.path("report.html"))
      try stage.commit(last: ["report.html"])
      print("")
      print("  report        \(path("report.html"))  (open in a browser; its tables are CSV files in \(ReportFormat.tablesFolder(forReport: path("report.html"))), \(written.count - 1) of them)")
      let scenarios = Demo.scenarioDirectory() ?? "scenarios"
      print("  workspace     journey serve --model \(path("model.json")) --scenarios \(scenarios)")
      print("                then open http://127.0.0.1:8080/ to edit the strategies and watch the comparison change")
    }

    /// The example scenarios: in the working directory, or in the source tree this was built from.
    static func scenarioDirectory() -> String? {
      let candidates = [
        FileManager.default.currentDirectoryPath + "/scenarios",
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
          .deletingLastPathComponent().appendingPathComponent("scenarios").path,
      ]
      return candidates.first { FileManager.default.fileExists(atPath: $0 + "/baseline.yaml") }
    }
  }
}

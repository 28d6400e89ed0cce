import Foundation
@testable import JourneyKit
import Scratch
import Testing

@Suite("Report documents")
struct ReportDocumentTests {
  static func model(customers: Int, months: Int = 36) -> MarkovModel {
    var g = GeneratorParameters()
    g.customers = customers
    g.months = months
    g.seed = 5
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: FitOptions())
  }

  static let demoModel = model(customers: 1_500)

  static func forecastDocument(_ model: MarkovModel, horizon: Int, acquisition: AcquisitionAssumption = .historical) throws -> ReportDocument {
    var o = ForecastOptions()
    o.horizon = horizon
    o.replicates = 100
    o.acquisition = acquisition
    return ForecastReport(forecast: try ForecastEngine.run(model: model, options: o), model: model).document()
  }

  /// 1,500 customers acquired in the first 3 of 24 months, fitted.
  static func closedCohort(leads: Bool) throws -> MarkovModel {
    var g = GeneratorParameters()
    g.customers = 1_500
    g.months = 24
    g.acquisitionMonths = 3
    if !leads { g.leadShare = 0 }
    g.seed = 5
    return try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: FitOptions())
  }

  @Test func conversionRatesWithNothingToConvertAreNotShownAsZero() throws {
    // A closed cohort without leads, as CDNOW: no lead and, after its first months, no new
    // customer, so both conversion rates are 0 / 0 in every forecast period.
    let closed = try Self.closedCohort(leads: false)
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 50
    let report = ForecastReport(forecast: try ForecastEngine.run(model: closed, options: o), model: closed)
    let text = report.text()
    #expect(text.contains("Not shown: lead_conversion, second_purchase_conversion, with no leads and no new customers in the base or the forecast to convert"))
    #expect(!text.contains("lead_conversion  "))
    // Nor as 0 to a machine: the JSON leaves them out of the values and says why, the CSV's cells
    // are empty; the rates that are defined are still there.
    let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
    let expected = try #require(json["expected"] as? [String: Any]), bands = try #require(json["bands"] as? [String: Any])
    #expect(expected["lead_conversion"] == nil && expected["second_purchase_conversion"] == nil && bands["lead_conversion"] == nil)
    #expect(expected["churn_rate"] != nil && bands["churn_rate"] != nil)
    let why = try #require(json["undefined_rates"] as? [String: String])
    #expect(why == ["lead_conversion": "no leads in the base or the forecast to convert",
                    "second_purchase_conversion": "no new customers in the base or the forecast to convert"])
    let rows = report.csv().split(separator: "\n").map(String.init)
    #expect(rows.filter { $0.contains(",lead_conversion,") || $0.contains(",second_purchase_conversion,") }.allSatisfy { $0.hasSuffix("_conversion,,,,,") })
    #expect(rows.filter { $0.contains(",lead_conversion,") }.count == 6)
    #expect(rows.filter { $0.contains(",churn_rate,") }.allSatisfy { !$0.hasSuffix(",,,,,") })
    // The default generator has leads and new customers: both columns are there.
    let openReport = ForecastReport(forecast: try ForecastEngine.run(model: Self.demoModel, options: o), model: Self.demoModel)
    let open = openReport.text()
    #expect(open.contains("lead_conversion") && open.contains("second_purchase_conversion"))
    #expect(!open.contains("Not shown"))
    let openJSON = try #require(try JSONSerialization.jsonObject(with: Data(openReport.json().utf8)) as? [String: Any])
    #expect((openJSON["expected"] as? [String: Any])?["lead_conversion"] != nil)
    #expect((openJSON["undefined_rates"] as? [String: String])?.isEmpty == true)
  }

  @Test func htmlIsSelfContained() throws {
    let html = try Self.forecastDocument(Self.demoModel, horizon: 12).html()
    for reference in ["http://", "https://", "<script", "<link", "<img", "@import", "url(", "xmlns", "src="] {
      #expect(!html.contains(reference), "the report holds '\(reference)'")
    }
    #expect(html.contains("@page { size: A4"))
    #expect(html.contains("@media print"))
    // Every chart is drawn: two fans, the mix, the flows and the matrix.
    #expect(html.components(separatedBy: "<svg viewBox=").count - 1 == 5)
    #expect(!html.contains("Too little data"))
  }

  @Test func summarySaysWhereTheBaseGoesWithRanges() throws {
    let summary = try Self.forecastDocument(Self.demoModel, horizon: 12).summary
    let active = try #require(summary.first)
    #expect(active.hasPrefix("At current trends the active base (customers buying in a month) "))
    #expect(active.contains(" by "))
    #expect(active.contains("range "))
    #expect(summary.contains { $0.hasPrefix("Revenue over the 12 months totals ") })
  }

  /// In an RFM space the active stage is the top recency score, which holds customers who did not
  /// buy in the model's last period, while the forecast's active customers (the activity model's)
  /// are its buyers: the summary gives the buyers forecast with no "from" a count of another kind.
  /// The chain alone forecasts the active states themselves, and the summary says so.
  @Test func anRFMSpaceSummaryComparesOnlyLikeWithLike() throws {
    var g = GeneratorParameters()
    g.customers = 1_500
    g.seed = 5
    var fit = FitOptions()
    fit.stateSpace = .rfm(levels: 3)
    fit.activity = true
    let model = try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: fit)
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 100
    o.acquisition = .historical
    let forecast = try ForecastEngine.run(model: model, options: o)
    #expect(forecast.ownHistoryCustomers != nil)
    let own = try #require(ForecastReport(forecast: forecast, model: model).document().summary.first)
    #expect(own.hasPrefix("At current trends the customers buying in "), "\(own)")
    #expect(own.contains(" number \(ReportWording.amount(forecast.expected[.active]![5]))"), "\(own)")
    #expect(!own.contains(" from "), "\(own)")
    o.ownHistory = false
    let chain = try #require(ForecastReport(forecast: try ForecastEngine.run(model: model, options: o), model: model).document().summary.first)
    #expect(chain.hasPrefix("At current trends the active base (customers in the active states) "), "\(chain)")
  }

  /// The acquisition assumption's words open the first sentence. A closed cohort's were its
  /// whole reason, "none: a closed cohort (...); give --acquisition N to add some", run into "the
  /// active base" without a stop.
  @Test func summaryOpensWithTheAcquisitionInAFewWords() throws {
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    func opening(_ acquisition: AcquisitionAssumption) throws -> String {
      o.acquisition = acquisition
      let forecast = try ForecastEngine.run(model: Self.demoModel, options: o)
      return try #require(ForecastReport(forecast: forecast, model: Self.demoModel).document().summary.first)
    }
    #expect(try opening(.none).hasPrefix("With no new customers, the active base (customers buying in a month) "))
    #expect(try opening(.perPeriod(50)).hasPrefix("With acquisition at 50 per period, the active base "))
    // An automatic choice names what it took; its reasons stay in the assumptions table. The demo's
    // entrants grow with a season (the generator's).
    #expect(try opening(.auto).hasPrefix("With acquisition at linear trend with seasons, the active base "))
    let closed = try Self.closedCohort(leads: true)
    o.acquisition = .historical
    let forecast = try ForecastEngine.run(model: closed, options: o)
    let document = ForecastReport(forecast: forecast, model: closed).document()
    #expect(forecast.acquisition.hasPrefix("none: a closed cohort"))
    #expect(try #require(document.summary.first).hasPrefix("With no new customers, the active base "))
    #expect(!document.summary.joined().contains("--acquisition"))
  }

  @Test func wordingFollowsTheDirectionOfChange() {
    #expect(ReportWording.movement(from: 12_400, to: 10_900) == "falls from 12,400 to 10,900")
    #expect(ReportWording.movement(from: 10_900, to: 12_400) == "rises from 10,900 to 12,400")
    #expect(ReportWording.movement(from: 10_000, to: 10_020) == "stays at about 10,000")
    #expect(ReportWording.changeInParentheses(from: 12_400, to: 10_900, low: 10_540, high: 11_284) == " (-12%, range -15% to -9%)")
    #expect(ReportWording.signedPercent(0.004) == "+0.4%")
    #expect(ReportWording.amount(1_234_567) == "1.23M")
    #expect(ReportWording.amount(421_000) == "421k")
  }

  @Test func aTinyForecastSaysSoInsteadOfDrawing() throws {
    let document = try Self.forecastDocument(Self.model(customers: 100, months: 4), horizon: 1)
    let html = document.html()
    #expect(html.contains("Too little data to draw \u{201C}Active customers per month\u{201D}: it has 1 period; a line needs at least 2."))
    #expect(html.contains("Too little data to draw \u{201C}Revenue per month\u{201D}"))
    #expect(html.contains("Too little data to draw \u{201C}Segment mix of the living base\u{201D}"))
    let markdown = document.markdown()
    #expect(markdown.contains("> Too little data to draw"))
  }

  @Test func markdownHasTheSummaryAndTables() throws {
    let markdown = try Self.forecastDocument(Self.demoModel, horizon: 3).markdown()
    #expect(markdown.hasPrefix("# Customer forecast\n"))
    #expect(markdown.contains("## Summary\n\n- At current trends"))
    #expect(markdown.contains("| month | customers | active |"))
    #expect(markdown.contains("_Chart: Active customers per month (drawn in the HTML report)._"))
  }

  @Test func tablesBecomeCSVWithRawNumbers() {
    let table = ReportTable(
      name: "t", title: "T", columns: ["name", "value"],
      rows: [[ReportTable.Cell("a, \"b\""), .number(1234.5) { Format.number($0) }], [ReportTable.Cell("c"), .number(nil) { Format.number($0) }]])
    #expect(table.csv() == "name,value\n\"a, \"\"b\"\"\",1234.5\nc,\n")
  }

  @Test func combinedReportsKeepEachPartsSummaryUnderItsTitle() {
    let a = ReportDocument(title: "Forecast", subtitle: "", summary: ["one"], assumptions: [.init("Data", "x")])
    let b = ReportDocument(title: "Rollout", subtitle: "", summary: ["two"], assumptions: [.init("Data", "x"), .init("Launch", "y")])
    let combined = ReportDocument.combining([a, b], title: "Both", subtitle: "")
    #expect(combined.summaryGroups == [.init(heading: "Forecast", sentences: ["one"]), .init(heading: "Rollout", sentences: ["two"])])
    #expect(combined.assumptions.map(\.label) == ["Data", "Launch"])
    #expect(combined.html().contains("<h3>Rollout</h3>"))
  }

  @Test(arguments: ["report.pdf", "report", "report.html.txt"]) func unknownExtensionsAreRefused(_ path: String) {
    #expect(throws: ReportPathError.unsupportedExtension(path: path)) { try ReportFormat(path: path) }
  }

  @Test func writerPutsTablesInAFolderBesideTheReport() throws {
    let folder = Scratch.path("report")
    let path = folder.appendingPathComponent("out.md").path
    let written = try ReportWriter.write(try Self.forecastDocument(Self.demoModel, horizon: 3), to: path)
    #expect(written.first == path)
    #expect(written.contains(folder.appendingPathComponent("out-tables/forecast-kpis.csv").path))
    let csv = try String(contentsOfFile: folder.appendingPathComponent("out-tables/forecast-kpis.csv").path, encoding: .utf8)
    #expect(csv.hasPrefix("period,customers,customers_p5,customers_p50,customers_p95,"))
  }

  @Test func backtestSectionDrawsBothChartsFromPlainArrays() {
    let starts = (1...4).map { CalendarDay(year: 2025, month: $0, day: 1)! }
    let input = BacktestReportInput(
      period: .month, cutoff: CalendarDay(year: 2024, month: 12, day: 31)!,
      series: [.init(name: "active customers", periods: zip(starts, [400.0, 410, 395, 420]).map { .init(start: $0, actual: $1, predicted: 405, low: 390, high: 420) })],
      calibration: [.init(predicted: 0.02, observed: 0.03, customers: 500), .init(predicted: 0.1, observed: 0.09, customers: 200)])
    let document = BacktestReport(input).document()
    #expect(document.summary.first == "Active customers over 4 months after the cut-off: predictions were off by 2.1% on average; 4 of 4 actual values fell inside the predicted range.")
    #expect(document.charts.count == 2 && document.charts.allSatisfy { $0.insufficientData == nil })
    #expect(document.html().components(separatedBy: "<svg viewBox=").count - 1 == 2)
  }

  /// Backtests from two ends: the summary says each KPI's spread in words with the figures given,
  /// one decimal where a 5% bar is read (4.6%, not 5%), the bars are drawn for transactions and
  /// revenue, and a missing error is a dash, not 0.
  @Test func rollingBacktestReportSaysTheSpreadAndDrawsEachEnd() {
    let ends = [CalendarDay(year: 2025, month: 5, day: 31)!, CalendarDay(year: 2025, month: 6, day: 30)!]
    let input = RollingBacktestReportInput(
      period: .month, holdoutPeriods: 6,
      kpis: [
        .init(name: "transactions", meanAbsoluteError: 0.031, meanError: -0.015, worstError: 0.046, worstCalibrationEnd: ends[1],
              runRateMeanAbsoluteError: 0.12, originsBetterThanRunRate: 2, origins: 2, inside: (count: 11, of: 12)),
        .init(name: "revenue", meanAbsoluteError: 0.05, meanError: 0.05, worstError: 0.06, worstCalibrationEnd: ends[0],
              runRateMeanAbsoluteError: 0.2, originsBetterThanRunRate: 1, origins: 2, inside: nil),
      ],
      origins: [
        .init(calibrationEnd: ends[0], states: "lifecycle", holdout: "2025-06 to 2025-11", errors: [-0.016, 0.06], runRateTransactions: 0.1, inside: "6/6/6/6 of 6"),
        .init(calibrationEnd: ends[1], states: "rf:4", holdout: "2025-07 to 2025-12", errors: [0.046, nil], runRateTransactions: -0.14, inside: nil),
      ])
    let document = RollingBacktestReport(input).document()
    #expect(document.summary == [
      "Transactions: off by 3.1% on average over 2 calibration ends (mean error -1.5%; the worst +4.6%, from 2025-06-30); the run rate 12.0%, beaten at 2 of 2; 11 of 12 actual month values fell inside the predicted range.",
      "Revenue: off by 5.0% on average over 2 calibration ends (mean error +5.0%; the worst +6.0%, from 2025-05-31); the run rate 20.0%, beaten at 1 of 2.",
    ])
    #expect(document.charts.count == 1 && document.charts.allSatisfy { $0.insufficientData == nil })
    #expect(document.html().components(separatedBy: "<svg viewBox=").count - 1 == 1)
    let markdown = document.markdown()
    #expect(markdown.contains("| 2025-05-31 | lifecycle | 2025-06 to 2025-11 | -1.6% | +6.0% | +10.0% | 6/6/6/6 of 6 |"))
    #expect(markdown.contains("| 2025-06-30 | rf:4 | 2025-07 to 2025-12 | +4.6% | - | -14.0% | - |"))
  }
}

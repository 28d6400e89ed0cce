import Foundation
@testable import JourneyKit
import Testing

/// Every chart kind drawn on fixed data and compared byte for byte with a stored SVG under
/// `Snapshots/`. After an intended change, rerun with `JOURNEY_RECORD_SNAPSHOTS=1` and look at
/// the new files in a browser before committing them.
@Suite("Chart snapshots")
struct ChartSnapshotTests {
  static let months = PeriodAxis(periods: PeriodKind.month.index(of: day("2026-01-01"))...PeriodKind.month.index(of: day("2026-06-01")), kind: .month)

  static let charts: [(name: String, chart: any Chart)] = [
    ("fan", BandedLineChart(
      title: "Active customers per month", axis: months, yTitle: "Customers",
      bands: [.init(name: "P5-P95 range", low: [11_900, 11_600, 11_300, 11_000, 10_700, 10_400], high: [12_500, 12_400, 12_200, 12_000, 11_800, 11_500], colour: Palette.series(0))],
      lines: [
        .init(name: "median", values: [12_200, 12_000, 11_750, 11_500, 11_250, 10_950], colour: Palette.series(0)),
        .init(name: "expected", values: [12_210, 12_010, 11_760, 11_510, 11_240, 10_900], colour: Palette.series(1), dashed: true),
      ])),
    ("counterfactual", BandedLineChart(
      title: "Active customers: actual and without the rollout", axis: months, yTitle: "Customers",
      bands: [.init(name: "without the rollout", low: [.nan, .nan, .nan, 300, 305, 310], high: [.nan, .nan, .nan, 340, 350, 360], colour: Palette.series(1))],
      lines: [
        .init(name: "projected", values: [nil, nil, nil, 320, 327, 335], colour: Palette.series(1), dashed: true),
        .init(name: "actual", values: [310, 305, 318, 335, 362, 371], colour: Palette.actual, markers: true),
      ],
      marker: (3, "launch"))),
    ("backtest", BandedLineChart(
      title: "Churn rate: actual and predicted", axis: months, yTitle: "Churn rate", format: .percent,
      lines: [
        .init(name: "predicted", values: [0.050, 0.051, 0.052, 0.052, 0.053, 0.054], colour: Palette.series(0), dashed: true),
        .init(name: "actual", values: [0.048, 0.055, 0.050, 0.057, 0.049, 0.052], colour: Palette.actual, markers: true),
      ],
      includeZero: false)),
    ("stacked-area", StackedAreaChart(
      title: "Segment mix", axis: months, yTitle: "Share of customers",
      series: [
        .init(name: "new", values: [100, 110, 120, 125, 130, 130]),
        .init(name: "active", values: [300, 290, 285, 280, 270, 260]),
        .init(name: "at risk", values: [200, 210, 220, 230, 240, 250]),
      ])),
    ("heatmap", HeatmapChart(
      title: "Moves per month (% of the row)", rowLabels: ["new", "active", "churned"], columnLabels: ["new", "active", "churned"],
      values: [[0, 0.7, 0.3], [0, 0.9, 0.1], [0, 0, 1]], rowTitle: "from", columnTitle: "to")),
    ("flow", FlowChart(
      title: "Where customers go", leftTitle: "Now", rightTitle: "At the horizon",
      left: [.init(name: "active", value: 600, colour: Palette.series(0)), .init(name: "at risk", value: 400, colour: Palette.series(1))],
      right: [.init(name: "active", value: 450, colour: Palette.series(0)), .init(name: "at risk", value: 250, colour: Palette.series(1)), .init(name: "churned", value: 300, colour: Palette.series(2))],
      flows: [.init(from: 0, to: 0, value: 400), .init(from: 0, to: 1, value: 150), .init(from: 0, to: 2, value: 50), .init(from: 1, to: 0, value: 50), .init(from: 1, to: 1, value: 100), .init(from: 1, to: 2, value: 250)])),
    ("scenario-bars", BarChart(
      title: "Profit against the baseline", categories: ["win-back", "onboarding", "service <quality> & more"],
      series: [.init(name: "incremental profit", values: [.init(45_000, low: 20_000, high: 70_000), .init(-12_000, low: -30_000, high: 5_000), .init(3_000)], colour: Palette.series(0))],
      yTitle: "Incremental profit", xTitle: "Scenario", whiskerLabel: "P5-P95 range")),
    ("before-after-bars", BarChart(
      title: "Rates before and after", categories: ["churn rate", "lead conversion"],
      series: [
        .init(name: "before", values: [.init(0.051, low: 0.046, high: 0.056), .init(0.065, low: 0.046, high: 0.084)], colour: Palette.series(4)),
        .init(name: "after", values: [.init(0.041, low: 0.037, high: 0.045), .init(0.117, low: 0.089, high: 0.148)], colour: Palette.series(0)),
      ],
      yTitle: "Rate per month", format: .percent, whiskerLabel: "95% interval")),
    ("calibration", CalibrationChart(
      title: "Churn calibration", bins: [.init(predicted: 0.02, observed: 0.025, count: 800), .init(predicted: 0.08, observed: 0.07, count: 300), .init(predicted: 0.2, observed: 0.24, count: 90)])),
  ]

  static var snapshotDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots") }

  @Test(arguments: charts.map(\.name)) func chartMatchesItsSnapshot(_ name: String) throws {
    let chart = Self.charts.first { $0.name == name }!.chart
    #expect(chart.insufficientData == nil)
    let svg = chart.svg() + "\n"
    let file = Self.snapshotDirectory.appendingPathComponent("\(name).svg")
    if ProcessInfo.processInfo.environment["JOURNEY_RECORD_SNAPSHOTS"] == "1" || !FileManager.default.fileExists(atPath: file.path) {
      try FileManager.default.createDirectory(at: Self.snapshotDirectory, withIntermediateDirectories: true)
      try svg.write(to: file, atomically: true, encoding: .utf8)
      Issue.record("recorded a new snapshot \(file.path); check it and run again")
      return
    }
    let stored = try String(contentsOf: file, encoding: .utf8)
    #expect(svg == stored, "\(name).svg differs from the snapshot; rerun with JOURNEY_RECORD_SNAPSHOTS=1 if the change is intended")
  }

  @Test(arguments: charts.map(\.name)) func chartHasATitleAndNoWebAddress(_ name: String) {
    let chart = Self.charts.first { $0.name == name }!.chart
    let svg = chart.svg()
    #expect(svg.hasPrefix("<svg viewBox="))
    #expect(svg.contains("<title>\(SVGCanvas.escape(chart.title))</title>"))
    #expect(!svg.contains("http"))
    #expect(!svg.contains("xmlns"))
  }

  @Test func labelsFromDataAreEscaped() {
    let svg = Self.charts.first { $0.name == "scenario-bars" }!.chart.svg()
    #expect(svg.contains("service &lt;quality&gt; &amp; more"))
    #expect(!svg.contains("<quality>"))
  }

  @Test func tooLittleDataIsSaidInWords() {
    let one = PeriodAxis(periods: 24_312...24_312, kind: .month)
    let line = BandedLineChart(title: "Revenue per month", axis: one, yTitle: "Revenue", lines: [.init(name: "expected", values: [5], colour: Palette.series(0))])
    #expect(line.insufficientDataSentence == "Too little data to draw \u{201C}Revenue per month\u{201D}: it has 1 period; a line needs at least 2.")
    let empty = StackedAreaChart(title: "Mix", axis: Self.months, yTitle: "Share", series: [.init(name: "active", values: [0, 0, 0, 0, 0, 0])])
    #expect(empty.insufficientData == "there are no customers to split into segments")
    #expect(FlowChart(title: "Flows", leftTitle: "Now", rightTitle: "Later", left: [], right: [], flows: []).insufficientData != nil)
    #expect(BarChart(title: "Profit", categories: [], series: [], yTitle: "Profit").insufficientData != nil)
    #expect(CalibrationChart(title: "Calibration", bins: [.init(predicted: 0.1, observed: 0.1, count: 5)]).insufficientData != nil)
    #expect(HeatmapChart(title: "Matrix", rowLabels: [], columnLabels: [], values: [], rowTitle: "from", columnTitle: "to").insufficientData != nil)
  }
}

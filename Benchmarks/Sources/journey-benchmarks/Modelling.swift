import Foundation
import JourneyKit

/// `journey fit` end to end on the 10M-row history: read, states, counts, estimate, the activity
/// model, the chain's own error, analysis, model file.
func benchmarkFit(_ input: BenchmarkInput, runs: Int) throws {
  var options = ReaderOptions()
  options.latestDay = CalendarDay(year: 2100, month: 1, day: 1)!
  let reader = TransactionReader(options: options)
  let modelPath = NSTemporaryDirectory() + "journey-bench-model.json"
  var fitSeconds: [Double] = []
  let times = try measure(runs: runs) {
    let table = try reader.read(path: input.csvPath).table
    let start = wallSeconds()
    var fit = FitOptions()
    fit.source = input.csvPath
    // As `journey fit` fits: the activity model beside the chain, and the chain's own error.
    fit.activity = true
    var model = try ModelFitter.fit(table, options: fit)
    model.measureChainError(table, options: fit)
    try AtomicFile.write(try model.json(), to: modelPath)
    fitSeconds.append(wallSeconds() - start)
    precondition(model.matrix.isRowStochastic(tolerance: 1e-9), "rows must sum to 1")
    precondition(model.input.customers == input.truthCustomers, "customers differ from the truth")
    blackHole += model.analysis.customerEquity
  }
  print(String(format: "fit (lifecycle, monthly) end to end on %d rows: median %.3f s wall (of which the fit, the chain's error and the file %.3f s)", input.truthRows, median(times), median(fitSeconds)))
  // Issue 17: within 1.5x of the 1.91 s `fit` took before the activity model.
  result("fit end to end, \(input.truthRows / 1_000_000)M rows", String(format: "%.2f s", median(times)), "<= 2.9 s")
  result("peak memory, fit", megabytes(peakResidentBytes()), "<= 400 MB")
  print("  runs: " + times.map { String(format: "%.3f", $0) }.joined(separator: ", ") + " s; peak RSS \(megabytes(peakResidentBytes()))")
}

/// Many distributions times one transition matrix: one dgemm against a naive Swift loop.
func benchmarkPropagation(runs: Int) {
  let r = 10_000, s = 125
  var rng = RandomSource(seed: 3)
  func stochastic(_ rows: Int) -> Matrix {
    var m = Matrix(rowCount: rows, columnCount: s)
    for i in 0..<rows {
      var total = 0.0
      for j in 0..<s {
        m[i, j] = rng.uniform()
        total += m[i, j]
      }
      for j in 0..<s { m[i, j] /= total }
    }
    return m
  }
  let p = stochastic(s)
  let x = stochastic(r)
  let flops = 2.0 * Double(r * s * s)
  var blas = Matrix(rowCount: 0, columnCount: 0)
  let pinned = BLASThreads.count
  let blasTimes = measure(runs: max(runs, 20)) { blas = p.propagate(x) }
  BLASThreads.set(ProcessInfo.processInfo.activeProcessorCount)
  let allCoresTimes = measure(runs: max(runs, 20)) { blas = p.propagate(x) }
  BLASThreads.set(pinned)
  var naive = [Double](repeating: 0, count: r * s)
  let naiveTimes = measure(runs: max(runs, 5)) {
    naive = [Double](repeating: 0, count: r * s)
    x.elements.withUnsafeBufferPointer { xs in
      p.elements.withUnsafeBufferPointer { ps in
        naive.withUnsafeMutableBufferPointer { out in
          for i in 0..<r {
            for k in 0..<s {
              let a = xs[i * s + k]
              for j in 0..<s { out[i * s + j] += a * ps[k * s + j] }
            }
          }
        }
      }
    }
  }
  let worst = zip(blas.elements, naive).map { abs($0 - $1) }.max() ?? 0
  precondition(worst < 1e-12, "BLAS and naive results differ by \(worst)")
  blackHole += blas.elements[r * s / 2] + naive[r * s / 3]
  print(String(format: "propagate 10,000 x 125 . 125 x 125: dgemm %.2f ms (%.1f GFLOP/s) on %d thread(s), %.2f ms (%.1f GFLOP/s) on %d; naive Swift loop %.2f ms (%.1f GFLOP/s)",
    median(blasTimes) * 1e3, flops / median(blasTimes) / 1e9, pinned, median(allCoresTimes) * 1e3, flops / median(allCoresTimes) / 1e9,
    ProcessInfo.processInfo.activeProcessorCount, median(naiveTimes) * 1e3, flops / median(naiveTimes) / 1e9))
  result("propagate 10,000x125 . 125x125 (1 core / all / naive)", String(format: "%.1f / %.1f / %.1f GFLOP/s", flops / median(blasTimes) / 1e9, flops / median(allCoresTimes) / 1e9, flops / median(naiveTimes) / 1e9), ">= 25 GFLOP/s")
}

/// A table with a synthetic segment column, so `--split-by` can make thousands of states.
func withSegments(_ table: TransactionTable, levels: Int) -> TransactionTable {
  var t = table
  t.attributes["segment"] = CustomerAttribute(
    levels: (0..<levels).map { "S\($0)" }, levelOfCustomer: (0..<table.customerCount).map { Int32($0 % levels) })
  return t
}

/// Forecasts: 125 states x 36 x 10,000 replicates; 2,000 states x 36 x 100 with parameter uncertainty.
func benchmarkForecast(_ input: BenchmarkInput, runs: Int) throws {
  let table = try input.table()
  var fit = FitOptions()
  fit.stateSpace = .rfm(levels: 5)
  let rfm = try ModelFitter.fit(table, options: fit)
  precondition(rfm.stateSpace.count == 127)
  var o = ForecastOptions()
  o.horizon = 36
  o.replicates = 10_000
  o.processNoise = false
  var f: Forecast? = nil
  let batched = try measure(runs: runs) { f = try ForecastEngine.run(model: rfm, options: o) }
  precondition(f!.bands[.customers]!.count == 36)
  blackHole += f!.expected[.revenue]!.last!
  print(String(format: "forecast 127 states (rfm:5) x 36 periods x 10,000 replicates, parameter uncertainty, batched dgemm: median %.3f s", median(batched)))
  result("forecast 127 states x 36 x 10,000", String(format: "%.2f s", median(batched)), "< 1 s")
  // Process noise: a base this large (1.5M) draws it as one normal per period and replicate
  // (`GaussianProcessNoise`); measured on 200 replicates and reported per replicate.
  o.processNoise = true
  o.replicates = 200
  let noisy = try measure(runs: 1) { f = try ForecastEngine.run(model: rfm, options: o) }
  blackHole += f!.bands[.revenue]!.last!.p50
  print(String(format: "  with process noise (%@ customers, Gaussian), 200 replicates: %.3f s (%.1f ms per replicate)", Format.number(rfm.currentBase.reduce(0, +)), median(noisy), median(noisy) / 200 * 1e3))
  result("  the same with process noise", String(format: "%.1f ms per replicate", median(noisy) / 200 * 1e3), "(< 0.1 ms)")

  fit.stateSpace = .lifecycle
  fit.splitBy = "segment"
  // As many segments as a split may have (`Limits.splitValues`).
  let big = try ModelFitter.fit(withSegments(table, levels: Limits.splitValues), options: fit)
  precondition(big.stateSpace.count == 7 * Limits.splitValues)
  o.replicates = 100
  o.processNoise = false
  let large = try measure(runs: runs) { f = try ForecastEngine.run(model: big, options: o) }
  blackHole += f!.bands[.revenue]!.last!.p50
  print(String(format: "forecast 1,400 states (lifecycle x 200 segments) x 36 periods x 100 replicates, parameter uncertainty: median %.3f s", median(large)))
  result("forecast 1,400 states x 36 x 100", String(format: "%.2f s", median(large)), "< 5 s")
}

/// Six scenarios x 36 periods x 1,000 replicates on the 127-state model, common random numbers.
func benchmarkCompare(_ input: BenchmarkInput, runs: Int) throws {
  var fit = FitOptions()
  fit.stateSpace = .rfm(levels: 5)
  let model = try ModelFitter.fit(try input.table(), options: fit)
  func scenario(_ name: String, _ yaml: String) throws -> ScenarioPlan {
    try ScenarioPlan(try Scenario.load(yaml: "name: \(name)\nmargin: 35%\n" + yaml, source: "\(name).yaml"), model: model)
  }
  let plans = [
    try scenario("baseline", "interventions: []\n"),
    try scenario("win-back", "interventions:\n  - {targets: [at_risk, lapsed], reach: 60%, effects: {conversion: +20%, churn: -10%}, costs: {per_contact: 0.4}}\n"),
    try scenario("retention", "interventions:\n  - {targets: [active], reach: 80%, ramp_up: 3, effects: {churn: -15%}, costs: {fixed_per_period: 5000}}\n"),
    try scenario("spend", "interventions:\n  - {targets: [active], reach: 50%, effects: {spend: +5%}, costs: {per_contact: 0.2}}\n"),
    try scenario("leads", "interventions:\n  - {targets: [lead], effects: {conversion: +25%}, costs: {per_conversion: 3}}\n"),
    try scenario("acquisition", "interventions: []\nacquisition: {change: +20%, cost_per_customer: 30, duration: 12}\n"),
  ]
  var o = ForecastOptions()
  o.horizon = 36
  o.replicates = 1_000
  o.processNoise = false
  var c: ScenarioComparison? = nil
  let times = try measure(runs: runs) { c = try ScenarioComparison.run(model: model, plans: plans, options: o) }
  precondition(c!.rows.count == 6 && c!.rows[0].incrementalProfit.expected == 0)
  blackHole += c!.rows[1].incrementalProfit.expected
  print(String(format: "compare 6 scenarios x 36 periods x 1,000 replicates, 127 states, parameter uncertainty: median %.3f s", median(times)))
  result("compare 6 scenarios x 36 x 1,000", String(format: "%.2f s", median(times)), "< 3 s")
  o.processNoise = true
  o.replicates = 100
  let noisy = try measure(runs: 1) { c = try ScenarioComparison.run(model: model, plans: plans, options: o) }
  blackHole += c!.rows[2].incrementalProfit.expected
  print(String(format: "  with process noise, 100 replicates: %.3f s", median(noisy)))
}

/// Scoring every customer of the 10M-row history (1.53M customers) with a fitted model.
func benchmarkScore(_ input: BenchmarkInput, runs: Int) throws {
  let table = try input.table()
  // As `journey fit` fits, so that each customer's own figures come from the activity model.
  var fit = FitOptions()
  fit.activity = true
  let model = try ModelFitter.fit(table, options: fit)
  let out = NSTemporaryDirectory() + "journey-bench-scores.csv"
  var scored = 0
  let times = try measure(runs: runs) {
    let scores = try CustomerScores(table: table, model: model, horizon: 12)
    try AtomicFile.write(scores.csvBytes(), to: out)
    scored = scores.scoredCount
  }
  precondition(scored == input.truthCustomers, "every customer is in the base at the end")
  blackHole += Double(scored)
  print(String(format: "score %@ customers (states, churn risk, expected purchases and revenue, CLV; CSV written): median %.3f s, after reading the file", Format.number(Double(scored)), median(times)))
  result("score \(Format.number(Double(scored))) customers", String(format: "%.2f s", median(times)), "< 2 s")
}

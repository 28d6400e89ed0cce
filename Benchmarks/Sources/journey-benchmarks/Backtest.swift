import Foundation
import JourneyKit

/// Resets this process's peak resident set size (VmHWM) to its current size, so that a peak
/// measured afterwards is the work's own and not the reader's (Linux: `clear_refs` value 5).
/// Returns false where that is not possible; the peak then includes reading the file.
func resetPeakResident() -> Bool {
  guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
  defer { try? handle.close() }
  do {
    try handle.write(contentsOf: Data("5".utf8))
    return true
  } catch {
    return false
  }
}

/// `journey backtest` on the 10M-row history (1.53M customers), after reading the file: the last
/// 6 months held out, per-customer metrics, 200 replicates; then the same with `--states auto`
/// (5 candidate state spaces x up to 3 rolling origins inside the calibration window).
/// `automatic` false runs the first, true the second (each in its own process under `all`).
func benchmarkBacktest(_ input: BenchmarkInput, runs: Int, automatic: Bool) throws {
  let table = try input.table()
  let readPeak = peakResidentBytes()
  let reset = resetPeakResident()
  let afterReset = peakResidentBytes()
  // Calibration ends 6 months before the end of the generated span (2025-06-30 by default).
  let calibrationEnd = input.parameters.start.adding(months: input.parameters.months - 6).adding(days: -1)
  var o = BacktestOptions(calibrationEnd: calibrationEnd)
  o.holdoutPeriods = 6
  o.perCustomer = true
  o.replicates = 200
  o.seed = 1
  if automatic { o.selection = StateSpaceSelection.Options() }
  let name = automatic ? "backtest --states auto" : "backtest"

  var b: Backtest? = nil
  var times: [Double] = []
  // --states auto fits 5 x 3 + 1 models: one run when a run takes over 3 minutes.
  for _ in 0..<runs {
    let start = wallSeconds()
    b = try Backtest.run(table, options: o)
    times.append(wallSeconds() - start)
    if automatic && times.last! > 180 { break }
  }
  let bt = b!
  func error(_ kpi: Backtest.Measure) -> Double? { bt.holdout.accuracy.first { $0.kpi == kpi }?.totalError }
  precondition(bt.holdout.periods.count == 6, "6 holdout periods")
  precondition(bt.holdout.totals.actual.transactions > 0, "the holdout has transactions")
  precondition(error(.transactions)?.isFinite == true && error(.revenue)?.isFinite == true, "total errors are finite")
  precondition(bt.holdout.perCustomer?.correlation != nil, "per-customer correlation exists")
  precondition(!automatic || bt.stateSelection != nil, "--states auto chose a state space")
  blackHole += bt.holdout.totals.predicted.revenue + (bt.holdout.perCustomer?.correlation ?? 0)

  let peak = peakResidentBytes()
  let pc = bt.holdout.perCustomer!
  func pct(_ x: Double?) -> String { x.map { String(format: "%+.1f%%", $0 * 100) } ?? "-" }
  func r(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
  print(String(format: "%@ on %@ customers (calibration to %@, 6 monthly holdout periods, per-customer, 200 replicates): median %.2f s of %d run%@, after reading the file",
    name, Format.number(Double(input.truthCustomers)), "\(calibrationEnd)", median(times), times.count, times.count == 1 ? "" : "s"))
  print("  runs: " + times.map { String(format: "%.2f", $0) }.joined(separator: ", ") + " s")
  print("  peak RSS (VmHWM): \(megabytes(peak))" + (reset ? " during the backtest (reset after reading to \(megabytes(afterReset)), the table held; reading's own peak was \(megabytes(readPeak)))" : " (including reading the file)"))
  print("  states: \(bt.states) (\(bt.stateCount)), fitted on \(bt.calibrationPeriods)")
  if let s = bt.stateSelection {
    print("  chosen: \(s.chosenLabel); origins \(s.origins.joined(separator: ", ")); " + s.candidates.map { "\($0.states) \($0.score.map { String(format: "%.3f", $0) } ?? "failed")" }.joined(separator: ", "))
  }
  print("  holdout total error: transactions \(pct(error(.transactions))), revenue \(pct(error(.revenue))), active \(pct(error(.active))), churned \(pct(error(.churned)))"
    + "; run rate: transactions \(pct(bt.baselines.runRate.accuracy[0].totalError)), revenue \(pct(bt.baselines.runRate.accuracy[1].totalError))")
  print("  per customer (\(Format.number(Double(pc.customers)))): correlation \(r(pc.correlation)) (state alone \(r(pc.stateOnly.correlation)), run rate \(r(bt.baselines.perCustomer?.runRate.correlation))); MAE \(r(pc.mae)), RMSE \(r(pc.rmse)); revenue correlation \(r(pc.revenueErrors.correlation)); churn Brier skill \(r(pc.churn.skill))")
  let report = NSTemporaryDirectory() + (automatic ? "journey-bench-backtest-auto.txt" : "journey-bench-backtest.txt")
  try AtomicFile.write(Data(bt.text().utf8), to: report)
  // The JSON keeps every number to the last digit: diff it before and after a change that must
  // not change results.
  let json = report.replacingOccurrences(of: ".txt", with: ".json")
  try AtomicFile.write(Data(try JSONOutput.encode(bt).utf8), to: json)
  print("  full report: \(report) (every digit: \(json))")

  let label = automatic ? "backtest --states auto, \(Format.number(Double(input.truthCustomers))) customers" : "backtest \(Format.number(Double(input.truthCustomers))) customers, 6 months"
  result(label, String(format: "%.1f s", median(times)) + (times.count == 1 ? " (1 run)" : ""), automatic ? "(none yet)" : "< 10 s")
  result(automatic ? "  peak memory, backtest --states auto" : "  peak memory, backtest", megabytes(peak), "(none yet)")
}

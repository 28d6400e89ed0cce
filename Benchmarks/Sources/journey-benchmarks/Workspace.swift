import Foundation
import JourneyKit

/// `journey serve`'s latency: from a change of one scenario's control to the updated
/// comparison (what the page's script receives: the comparison's HTML, the messages and the
/// JSON), for 5 scenarios x 36 periods x 1,000 replicates on the 127-state model (rfm:5: 125
/// RFM cells, lead and churned). Each change is a value not seen before, so its scenario is
/// forecast again; the other four come from the workspace's cache, as in the server.
func benchmarkWorkspace(_ input: BenchmarkInput, runs: Int) throws {
  var fit = FitOptions()
  fit.stateSpace = .rfm(levels: 5)
  let model = try ModelFitter.fit(try input.table(), options: fit)
  precondition(model.stateSpace.count == 127)
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("journey-bench-workspace-\(getpid())")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: folder) }
  let files = [
    "baseline.yaml": "name: baseline\nmargin: 35%\ninterventions: []\n",
    "winback.yaml": "name: win-back\nmargin: 35%\ninterventions:\n  - {targets: [at_risk, lapsed], reach: 60%, effects: {conversion: +20%, churn: -10%}, costs: {per_contact: 0.4}}\n",
    "retention.yaml": "name: retention\nmargin: 35%\ninterventions:\n  - {targets: [active], reach: 80%, ramp_up: 3, effects: {churn: -15%}, costs: {fixed_per_period: 5000}}\n",
    "spend.yaml": "name: spend\nmargin: 35%\ninterventions:\n  - {targets: [active], reach: 50%, effects: {spend: +5%}, costs: {per_contact: 0.2}}\n",
    "leads.yaml": "name: leads\nmargin: 35%\ninterventions:\n  - {targets: [lead], effects: {conversion: +25%}, costs: {per_conversion: 3}}\n",
  ]
  for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
  let noise = ProcessInfo.processInfo.environment["JOURNEY_BENCH_WORKSPACE_NOISE"] == "0" ? [false] : [false, true]
  for processNoise in noise {
    var o = ForecastOptions()
    o.horizon = 36
    o.replicates = 1_000
    o.seed = 1
    o.processNoise = processNoise
    let workspace = try Workspace(model: model, modelPath: "model.json", scenarios: try ScenarioFolder(path: folder.path), options: o)
    let page = WorkspacePage(workspace: workspace, token: "bench")
    var edited = workspace.openingScenarios().open
    precondition(edited.count == 5)
    let cold = try measure(runs: 1) { blackHole += Double(try WorkspaceForm.answer(workspace.update(edited), page: page).count) }
    // Changes: a planner tries reach 50%, 51%, ... on the four challengers in turn.
    // Both modes take the same number of changes, so that each p95 rests on 60 of them.
    let changes = 20 * max(1, runs)
    var latencies: [Double] = []
    var cpuSeconds: [Double] = []
    for k in 0..<changes {
      let scenario = 1 + k % 4
      edited[scenario].form.fields["interventions[0].reach"] = "\(50 + k / 4 + (processNoise ? 25 : 0))%"
      var update: Workspace.Update? = nil
      let cpuBefore = processCPUSeconds()
      latencies += try measure(runs: 1) {
        update = workspace.update(edited)
        blackHole += Double(try WorkspaceForm.answer(update!, page: page).count)
      }
      cpuSeconds.append(processCPUSeconds() - cpuBefore)
      precondition(update!.errors.isEmpty && update!.comparison!.rows.count == 5 && update!.comparison!.horizon == 36)
    }
    for scenario in 1...4 {
      let own = latencies.indices.filter { $0 % 4 == scenario - 1 }.map { latencies[$0] }
      print(String(format: "  changes to '%@': median %.0f ms", edited[scenario].form["name"] ?? "", median(own) * 1e3))
    }
    // Where a change's time goes: forecasting the changed scenario, and the rest (checking the
    // five, assembling the comparison, rendering the answer).
    let plan = try ScenarioPlan(try edited[4].form.scenario(source: "winback.yaml"), model: model)
    let forecastOnly = try measure(runs: 5) { blackHole += try ForecastEngine.run(model: model, options: o, adjustment: plan.adjustment).expected[.revenue]![0] }
    let settled = workspace.update(edited)
    let answerOnly = try measure(runs: 5) { blackHole += Double(try WorkspaceForm.answer(settled, page: page).count) }
    let cachedUpdate = try measure(runs: 5) { blackHole += Double(workspace.update(edited).compared.count) }
    print(String(format: "  of which: one scenario's forecast %.0f ms; checking and assembling the five (all cached) %.0f ms; rendering the answer %.0f ms (medians of 5)", median(forecastOnly) * 1e3, median(cachedUpdate) * 1e3, median(answerOnly) * 1e3))
    let sorted = latencies.sorted()
    let p95 = sorted[min(sorted.count - 1, Int((0.95 * Double(sorted.count)).rounded(.up)) - 1)]
    let label = processNoise ? "with process noise" : "parameter uncertainty"
    print(String(format: "workspace change -> comparison, 5 scenarios x 36 x 1,000, 127 states, %@: %d changes, median %.0f ms, p95 %.0f ms, max %.0f ms (first page, all 5 forecast: %.0f ms)", label, changes, median(latencies) * 1e3, p95 * 1e3, sorted.last! * 1e3, cold[0] * 1e3))
    // CPU time (both cores together) says what the work costs when the host is busy with others.
    print(String(format: "  CPU time per change (all threads): median %.0f ms; load average %@", median(cpuSeconds) * 1e3, loadAverage()))
    result(processNoise ? "  the same with process noise (p95)" : "workspace change -> comparison p95, 5 x 36 x 1,000", String(format: "%.0f ms", p95 * 1e3), processNoise ? "(< 200 ms)" : "< 200 ms")
  }
}

/// CPU time of this process so far, all threads.
func processCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// The host's 1-minute load average, as /proc/loadavg gives it.
func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

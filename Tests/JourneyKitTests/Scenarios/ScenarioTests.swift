import Foundation
@testable import JourneyKit
import Testing

@Suite("Scenarios")
struct ScenarioTests {
  static let lifecycle = ForecastTests.model
  static let value: MarkovModel = {
    var g = GeneratorParameters()
    g.customers = 4_000
    g.seed = 11
    var o = FitOptions()
    o.stateSpace = .value
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: o)
  }()

  static let scenarioDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenarios")

  func options(replicates: Int = 200, horizon: Int = 12) -> ForecastOptions {
    var o = ForecastOptions()
    o.replicates = replicates
    o.horizon = horizon
    o.seed = 4
    return o
  }

  @Test func noOpScenarioReproducesTheBaselineExactly() throws {
    let noop = try Scenario.load(yaml: "name: nothing\ninterventions:\n  - targets: [at_risk]\n    reach: 0%\n    effects: {churn: -50%}\n", source: "noop.yaml")
    let plain = try ForecastEngine.run(model: Self.lifecycle, options: options())
    let same = try ForecastEngine.run(model: Self.lifecycle, options: options(), adjustment: try ScenarioPlan(noop, model: Self.lifecycle).adjustment)
    #expect(plain.expected == same.expected)
    #expect(plain.bands == same.bands)
  }

  @Test func removingChurnLeavesNoChurn() throws {
    let yaml = "name: no churn\ninterventions:\n  - targets: [lead, new, active, loyal, at_risk, lapsed]\n    effects: {churn: -100%}\n"
    let plan = try ScenarioPlan(try Scenario.load(yaml: yaml, source: "x.yaml"), model: Self.lifecycle)
    var o = options()
    o.includeReactivations = false
    let f = try ForecastEngine.run(model: Self.lifecycle, options: o, adjustment: plan.adjustment)
    let churned = Self.lifecycle.stateSpace.indices(in: .churned)
    for t in 0..<o.horizon {
      #expect(f.expected[.churned]![t] == 0)
      #expect(f.bands[.churned]![t].p95 == 0)
      // Nobody new arrives in churned; those already there stay.
      #expect(abs(churned.reduce(0) { $0 + f.expectedStates[t][$1] } - churned.reduce(0) { $0 + Self.lifecycle.currentBase[$1] }) < 1e-6)
    }
  }

  @Test func costsRoiAndPaybackByHand() throws {
    // Only costs, no effects on moves: 100 a period fixed, 2 per contact with half of the lapsed
    // reached, for 3 periods from period 2. Margin 40%.
    let yaml = """
      name: costs only
      margin: 40%
      interventions:
        - targets: [lapsed]
          reach: 50%
          start: 2
          duration: 3
          effects: {spend: +0%}
          costs: {fixed_per_period: 100, per_contact: 2}
      """
    let m = Self.lifecycle
    let plan = try ScenarioPlan(try Scenario.load(yaml: yaml, source: "c.yaml"), model: m)
    var o = options(replicates: 0, horizon: 6)
    o.acquisition = .historical  // the entrants worked by hand below are the historical mean
    let f = try ForecastEngine.run(model: m, options: o, adjustment: plan.adjustment)
    let lapsed = m.stateSpace.index(of: "lapsed")!
    let churned = m.stateSpace.index(of: "churned")!
    var x = m.currentBase
    // The forecast matrix and the entrants, from their definitions (README "Forecast"): churned
    // customers come back into j at (comebacks into j) / (churned customer-periods that could
    // move); entrants are the mean of the window's periods after the first, in their mix.
    let counts = m.counts
    var p = m.matrix
    let exposure = (0..<(counts.periodCount - 1)).reduce(0.0) { $0 + counts.occupancy[$1][churned] }
    for j in 0..<p.columnCount { p[churned, j] = (1..<counts.periodCount).reduce(0.0) { $0 + counts.reactivations[$1][j] } / exposure }
    p[churned, churned] = 1 - (0..<p.columnCount).filter { $0 != churned }.reduce(0.0) { $0 + p[churned, $1] }
    #expect(p[churned, churned] < 1)
    let entrants = (0..<p.columnCount).map { j in (1..<counts.periodCount).reduce(0.0) { $0 + counts.acquisitions[$1][j] } / Double(counts.periodCount - 1) }
    let inflow = [[Double]](repeating: entrants, count: 6)
    var cumulativeProfit = 0.0
    for t in 0..<6 {
      let running = (1...3).contains(t)  // periods 2, 3, 4
      let cost = running ? 100 + 2 * 0.5 * x[lapsed] : 0
      var next = p.leftMultiplied(byRowVector: x)
      for j in 0..<next.count { next[j] += inflow[t][j] }
      let revenue = zip(next, m.rewards.map(\.revenueMean)).reduce(0) { $0 + $1.0 * $1.1 }
      #expect(abs(f.expected[.cost]![t] - cost) < 1e-9)
      #expect(abs(f.expected[.profit]![t] - (0.4 * revenue - cost)) < 1e-6)
      cumulativeProfit += 0.4 * revenue - cost
      x = next
    }
    #expect(abs(f.expected[.cumulativeProfit]!.last! - cumulativeProfit) < 1e-6)

    // Against a baseline with the same margin: incremental profit = -cost, ROI = -100%, no payback.
    let baseline = try ScenarioPlan(try Scenario.load(yaml: "name: baseline\nmargin: 40%\ninterventions: []\n", source: "b.yaml"), model: m)
    let c = try ScenarioComparison.run(model: m, plans: [baseline, plan], options: o)
    let row = c.rows[1]
    #expect(abs(row.incrementalProfit.expected + row.cost) < 1e-6)
    #expect(abs(row.roi! + 1) < 1e-9)
    #expect(row.paybackPeriod == nil)
    #expect(c.rows[0].paybackPeriod == nil && c.rows[0].roi == nil)
  }

  @Test func paybackIsTheFirstPeriodFromWhichTheScenarioStaysAhead() throws {
    // A win-back that costs up front and pays later.
    let yaml = """
      name: pays later
      interventions:
        - targets: [at_risk, lapsed]
          start: 1
          duration: 1
          decay: 0
          effects: {conversion: +60%}
          costs: {fixed_per_period: 3000}
      """
    let m = Self.lifecycle
    let plans = [
      try ScenarioPlan(try Scenario.load(yaml: "name: baseline\ninterventions: []\n", source: "b.yaml"), model: m),
      try ScenarioPlan(try Scenario.load(yaml: yaml, source: "w.yaml"), model: m),
    ]
    let c = try ScenarioComparison.run(model: m, plans: plans, options: options(replicates: 0, horizon: 12))
    let path = zip(c.rows[1].cumulativeProfitPath, c.rows[0].cumulativeProfitPath).map { $0 - $1 }
    let payback = try #require(c.rows[1].paybackPeriod)
    #expect(path[payback - 1] >= 0)
    if payback >= 2 { #expect(path[payback - 2] < 0) }
    #expect(path[(payback - 1)...].allSatisfy { $0 >= 0 })
  }

  @Test func renormalisationEdges() {
    // Mass 0: nothing to scale.
    var m = Matrix(rows: [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]])
    ScenarioPlanProbe.scale(&m, row: 0, set: [2], by: -0.5)
    #expect(m.row(0) == [0.5, 0.5, 0])
    // Increase: the set grows, the rest keeps its proportions.
    ScenarioPlanProbe.scale(&m, row: 0, set: [1], by: 0.5)
    #expect(abs(m[0, 1] - 0.75) < 1e-15 && abs(m[0, 0] - 0.25) < 1e-15)
    // Beyond 1: clipped at 1.
    ScenarioPlanProbe.scale(&m, row: 0, set: [1], by: 5)
    #expect(m.row(0) == [0, 1, 0])
    // The whole row in the set and a decrease: the mass taken stays in the state.
    var n = Matrix(rows: [[0, 1, 0], [0, 1, 0], [0, 0, 1]])
    ScenarioPlanProbe.scale(&n, row: 0, set: [1], by: -0.25)
    #expect(abs(n[0, 0] - 0.25) < 1e-15 && abs(n[0, 1] - 0.75) < 1e-15)
    // Absolute shifts to the bounds.
    var q = Matrix(rows: [[0.2, 0.3, 0.5], [0, 1, 0], [0, 0, 1]])
    ScenarioPlanProbe.shift(&q, row: 0, to: 2, by: 0.5)
    #expect(q.row(0) == [0, 0, 1])
    var r = Matrix(rows: [[0.2, 0.3, 0.5], [0, 1, 0], [0, 0, 1]])
    ScenarioPlanProbe.shift(&r, row: 0, to: 2, by: -0.5)
    #expect(abs(r[0, 2]) < 1e-15 && abs(r[0, 0] - 0.4) < 1e-15 && abs(r[0, 1] - 0.6) < 1e-15)
    for matrix in [m, n, q, r] { #expect(matrix.isRowStochastic()) }
  }

  @Test func shippedScenariosCompareOnTheirModels() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.scenarioDirectory.path).filter { $0.hasSuffix(".yaml") && $0 != "states-example.yaml" }.sorted()
    #expect(files.count >= 6)
    let scenarios = try files.map { try Scenario.load(path: Self.scenarioDirectory.appendingPathComponent($0).path) }
    for model in [Self.lifecycle, Self.value] {
      let usable = scenarios.filter { $0.requires == nil || $0.requires == model.stateSpace.kind.label || ($0.requires == "lifecycle") }
      let baseline = usable.first { $0.name == "baseline" }!
      let plans = try ([baseline] + usable.filter { $0.name != "baseline" }).map { try ScenarioPlan($0, model: model) }
      let o = options(replicates: 0, horizon: 12)
      let c = try ScenarioComparison.run(model: model, plans: plans, options: o)
      #expect(c.rows.count == plans.count)
      let base = c.rows[0]
      let inflow = try ForecastEngine.run(model: model, options: o).inflowPerPeriod
      func row(_ name: String) throws -> ScenarioComparison.Row { try #require(c.rows.first { $0.name == name }, "\(name)") }
      // What each shipped strategy does, from its file: the direction of its effect and its cost.
      // acquisition push: +20% entrants for 6 months at 30 each, nothing else.
      let push = try row("acquisition push")
      #expect(abs(push.cost - 30 * 0.2 * inflow.prefix(6).reduce(0, +)) < 1e-6 * push.cost)
      #expect(push.customers.expected > base.customers.expected && push.incrementalRevenue.expected > 0)
      // service quality: churn -10% for every buying stage, 6,000 a month for 12 months.
      let service = try row("service quality")
      #expect(abs(service.cost - 6_000 * 12) < 1e-6)
      #expect(service.customers.expected > base.customers.expected && service.incrementalRevenue.expected > 0)
      // win-back and onboarding: more purchases from their targets, so more revenue; win-back pays 1,500 a month at least.
      let winback = try row("win-back")
      #expect(winback.incrementalRevenue.expected > 0 && winback.cost > 1_500 * 12)
      #expect(try row("onboarding").incrementalRevenue.expected > 0)
      if model.stateSpace.kind == .value {
        let loyalty = try row("loyalty programme")
        #expect(loyalty.cost > 2_500 * 12 && loyalty.incrementalRevenue.expected > 0)
      }
      for r in c.rows.dropFirst() {
        // ROI = incremental profit (already net of the cost) / cost.
        #expect(abs(try #require(r.roi) - (r.profit.expected - base.profit.expected) / r.cost) < 1e-9, "\(r.name)")
      }
      #expect(base.roi == nil && base.incrementalProfit.expected == 0)
    }
    // The loyalty programme needs a value model.
    let loyalty = scenarios.first { $0.requires == "value" }!
    #expect(throws: YAMLFileError.self) { try ScenarioPlan(loyalty, model: Self.lifecycle) }
  }

  /// Every scenario mistake: the YAML and the exact message.
  static let mistakes: [(yaml: String, message: String)] = [
    ("", "s.yaml: the file is empty; start with `name:` and `interventions:`; see scenarios/README.md"),
    ("interventions: []\n", "s.yaml:1:1: name: missing; every scenario needs a name"),
    ("name: a\ninterventon: []\n", "s.yaml:2:1: interventon: unknown key 'interventon'; did you mean 'interventions'?"),
    ("name: a\nmargin: 130%\n", "s.yaml:2:9: margin: '130%' is not valid; expected a margin from 0% to 100%, e.g. 35%"),
    ("name: a\ninterventions: {x: 1}\n", "s.yaml:2:16: interventions: expected a list of interventions"),
    ("name: a\ninterventions:\n  - effects: {churn: -10%}\n", "s.yaml:3:5: interventions[0].targets: missing; name the states or stages it acts on, e.g. targets: [at_risk, lapsed]"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {churn: -120%}\n", "s.yaml:4:22: interventions[0].effects.churn: '-120%' is below -100%; a probability or amount cannot fall by more than all of it"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {churn: lots}\n", "s.yaml:4:22: interventions[0].effects.churn: 'lots' is not a relative change; write a percentage such as -20% or +5%"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {chrn: -10%}\n", "s.yaml:4:15: interventions[0].effects.chrn: unknown key 'chrn'; did you mean 'churn'?"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {}\n", "s.yaml:3:5: interventions[0].effects: no effects; give at least one of churn, conversion, upgrade, move, spend"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    reach: 150%\n    effects: {churn: -10%}\n", "s.yaml:4:12: interventions[0].reach: '150%' is not valid; expected a share from 0% to 100%, e.g. 60%"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    start: 0\n    effects: {churn: -10%}\n", "s.yaml:4:12: interventions[0].start: '0' is not a whole number of periods; expected 1 or more"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {churn: -10%}\n    costs: {per_contact: -1}\n", "s.yaml:5:26: interventions[0].costs.per_contact: '-1' is not an amount; write a non-negative number, e.g. 0.50"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {move: {from: at_risk, to: active, change: 2}}\n", "s.yaml:4:57: interventions[0].effects.move.change: '2' is not a probability change; write a number from -1 to +1, e.g. +0.05 (5 points)"),
    ("name: a\nacquisition: {cost_per_customer: 5}\n", "s.yaml:2:14: acquisition.change: missing; e.g. change: +10%"),
  ]

  @Test(arguments: mistakes)
  func scenarioMistakeIsReportedWithPath(yaml: String, message: String) {
    do {
      _ = try Scenario.load(yaml: yaml, source: "s.yaml")
      Issue.record("no error")
    } catch {
      #expect("\(error)" == message)
    }
  }

  /// Mistakes only the model can reveal.
  static let modelMistakes: [(yaml: String, message: String)] = [
    ("name: a\ninterventions:\n  - targets: [at_rsk]\n    effects: {churn: -10%}\n", "s.yaml: interventions[0].targets[0]: no state or stage 'at_rsk' in this model; did you mean 'at_risk'?"),
    ("name: a\nrequires: value\ninterventions: []\n", "s.yaml: requires: the scenario needs a 'value' model; this model has 'lifecycle' states; refit with `journey fit DATA --states value -o model.json`"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    tier: gold\n    effects: {churn: -10%}\n", "s.yaml: interventions[0].tier: unknown tier 'gold'; tiers: less_valuable, more_valuable"),
    ("name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {upgrade: +10%}\n", "s.yaml: interventions[0].effects.upgrade: the model has no value tiers; fit with --states value to use upgrades"),
  ]

  @Test(arguments: modelMistakes)
  func scenarioMistakeAgainstTheModel(yaml: String, message: String) throws {
    let scenario = try Scenario.load(yaml: yaml, source: "s.yaml")
    do {
      _ = try ScenarioPlan(scenario, model: Self.lifecycle)
      Issue.record("no error")
    } catch {
      #expect("\(error)" == message)
    }
  }

  @Test func effectThatCannotBeHonouredIsRejected() throws {
    let scenario = try Scenario.load(yaml: "name: a\ninterventions:\n  - targets: [at_risk]\n    effects: {conversion: +900%}\n", source: "s.yaml")
    do {
      _ = try ScenarioPlan(scenario, model: Self.lifecycle)
      Issue.record("no error")
    } catch {
      let message = "\(error)"
      #expect(message.hasPrefix("s.yaml: interventions[0].effects.conversion: +900% would give 'at_risk' a "))
      #expect(message.contains("chance of moving to a purchase; at most +"))
    }
  }

  @Test func interventionIntensityRampsAndDecays() {
    let i = Intervention(name: "x", targets: ["a"], tier: nil, reach: 1, start: 3, duration: 4, rampUp: 1, decay: 2, effects: .init(churn: -0.1), costs: .init())
    expectClose((1...10).map { i.intensity(period: $0) }, [0, 0, 0.5, 1, 1, 1, 2.0 / 3, 1.0 / 3, 0, 0], tolerance: 1e-15)
    #expect((1...10).map { i.isRunning(period: $0) } == [false, false, true, true, true, true, false, false, false, false])
  }
}

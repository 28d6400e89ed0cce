import Foundation
@testable import JourneyKit
import Testing

/// Scenarios validated as a whole: stacked effects, timing against the horizon, margins.
@Suite("Scenario hardening")
struct ScenarioHardeningTests {
  static let model: MarkovModel = {
    var g = GeneratorParameters()
    g.customers = 1_500
    g.months = 24
    g.seed = 8
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: FitOptions())
  }()

  /// The chance that an at-risk customer purchases next period.
  var atRiskConversion: Double {
    let s = Self.model.stateSpace
    let i = s.index(of: "at_risk")!
    return s.states.indices.filter { s.states[$0].stage.isPurchasing }.reduce(0) { $0 + Self.model.matrix[i, $1] }
  }

  func scenario(_ yaml: String) throws -> Scenario { try Scenario.load(yaml: yaml, source: "s.yaml") }

  @Test func stackedEffectsThatEachFitButNotTogetherAreRejected() throws {
    let m = atRiskConversion
    try #require(m > 0.05 && m < 0.6)
    let e = String(format: "+%.1f%%", (0.8 / m - 1) * 100)  // each alone: 80% chance
    let one = "  - {name: first, targets: at_risk, effects: {conversion: \(e)}}\n"
    let two = "  - {name: second, targets: at_risk, effects: {conversion: \(e)}}\n"
    // Alone it fits.
    _ = try ScenarioPlan(try scenario("name: a\ninterventions:\n" + one), model: Self.model)
    // Together they would reach past 1: refused, not clipped.
    do {
      _ = try ScenarioPlan(try scenario("name: b\ninterventions:\n" + one + two), model: Self.model)
      Issue.record("stacked effects were accepted")
    } catch let error as YAMLFileError {
      #expect(error.path == "interventions[1].effects.conversion")
      #expect(error.message.hasPrefix("together with interventions[0] 'first' in period 1, \(e) would give 'at_risk' a "), "\(error)")
      #expect(error.hint == "effects on the same customers at the same time must fit together; make them smaller or let them run at different times")
    }
    // At different times they fit.
    let later = "  - {name: second, targets: at_risk, start: 4, effects: {conversion: \(e)}}\n"
    let apart = "  - {name: first, targets: at_risk, duration: 3, effects: {conversion: \(e)}}\n" + later
    _ = try ScenarioPlan(try scenario("name: c\ninterventions:\n" + apart), model: Self.model)
  }

  @Test func anInterventionAfterTheHorizonIsAnError() throws {
    let plan = try ScenarioPlan(
      try scenario("name: late\ninterventions:\n  - {name: late one, targets: at_risk, start: 14, effects: {churn: -10%}}\n"), model: Self.model)
    var options = ForecastOptions()
    options.horizon = 12
    options.replicates = 0
    #expect(throws: YAMLFileError(
      file: "s.yaml", path: "interventions[0].start",
      message: "period 14 is after the horizon of 12 periods, so 'late one' would never act",
      hint: "forecast further with --horizon 14, or start it earlier")) {
      _ = try ScenarioComparison.run(model: Self.model, plans: [plan], options: options)
    }
  }

  @Test func aMissingMarginNextToAGivenOneIsRefused() throws {
    let base = try ScenarioPlan(try scenario("name: base\ninterventions: []\n"), model: Self.model)
    let other = try ScenarioPlan(
      try Scenario.load(yaml: "name: winback\nmargin: 35%\ninterventions: []\n", source: "w.yaml"), model: Self.model)
    var options = ForecastOptions()
    options.horizon = 6
    options.replicates = 0
    #expect(throws: YAMLFileError(
      file: "s.yaml", path: "margin",
      message: "missing, so revenue counts as profit (100%), while 'winback' has margin 35.0%; profits under different margins are not comparable",
      hint: "add margin: 35% to 'base' (or the same margin to every scenario)")) {
      _ = try ScenarioComparison.run(model: Self.model, plans: [base, other], options: options)
    }
  }

  @Test func differentMarginsGivenOnPurposeAreStatedFirst() throws {
    let base = try ScenarioPlan(try scenario("name: base\nmargin: 35%\ninterventions: []\n"), model: Self.model)
    let cut = try ScenarioPlan(try scenario("name: price cut\nmargin: 30%\ninterventions: []\n"), model: Self.model)
    var options = ForecastOptions()
    options.horizon = 6
    options.replicates = 0
    let c = try ScenarioComparison.run(model: Self.model, plans: [base, cut], options: options)
    let note = "The scenarios assume different margins ('base' 35.0%, 'price cut' 30.0%): part of each profit difference is the margin, not the strategy."
    #expect(c.notes == [note])
    #expect(c.text().hasPrefix("Note: " + note))
    #expect(ComparisonReport(comparison: c, model: Self.model).summarySentences().first == note)
  }
}

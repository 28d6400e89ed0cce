import Foundation
import Scratch
import Testing

@testable import JourneyKit

@Suite("Workspace: scenario forms, the folder, comparisons")
struct WorkspaceTests {
  static let model = ScenarioTests.lifecycle
  static let shipped = ScenarioTests.scenarioDirectory

  static func text(_ name: String) throws -> String {
    try String(contentsOf: shipped.appendingPathComponent(name), encoding: .utf8)
  }

  /// A scenarios folder of its own with the shipped lifecycle scenarios.
  static func folder() throws -> ScenarioFolder {
    let url = try Scratch.folder("workspace")
    for name in ["baseline.yaml", "winback.yaml", "onboarding.yaml", "service-quality.yaml", "acquisition-push.yaml", "loyalty.yaml"] {
      try FileManager.default.copyItem(at: shipped.appendingPathComponent(name), to: url.appendingPathComponent(name))
    }
    return try ScenarioFolder(path: url.path)
  }

  static func options() -> ForecastOptions {
    var o = ForecastOptions()
    o.horizon = 12
    o.replicates = 100
    o.seed = 3
    return o
  }

  @Test(arguments: ["baseline.yaml", "winback.yaml", "onboarding.yaml", "service-quality.yaml", "acquisition-push.yaml", "loyalty.yaml"])
  func aShippedFileReadIntoControlsAndWrittenBackIsTheSameScenario(file: String) throws {
    let yaml = try Self.text(file)
    let form = try ScenarioForm(yaml: yaml, source: file)
    #expect(try form.scenario(source: file) == (try Scenario.load(yaml: yaml, source: file)))
  }

  /// The forecast cache keeps 64 forecasts of the default size, and fewer of large ones, so that
  /// what it holds stays within the memory of `Limits.replicatePeriods`.
  @Test func theForecastCacheShrinksWithTheForecasts() {
    var o = ForecastOptions()
    #expect(Workspace.forecastsKept(o) == 64)
    o.replicates = 100_000
    o.horizon = 24
    #expect(Workspace.forecastsKept(o) == 5)
    o.replicates = 1_000_000
    o.horizon = 12
    #expect(Workspace.forecastsKept(o) == 1)
    o.replicates = 0
    #expect(Workspace.forecastsKept(o) == 64)
  }

  @Test func controlsKeepValuesAsWritten() throws {
    let form = try ScenarioForm(yaml: try Self.text("winback.yaml"), source: "winback.yaml")
    #expect(form["margin"] == "35%")
    #expect(form["interventions[0].targets"] == "at_risk, lapsed")
    #expect(form["interventions[0].effects.conversion"] == "+25%")
    #expect(form["interventions[0].costs.per_contact"] == "0.40")
  }

  /// A value typed into a control gets exactly the message the same value gets in a file
  /// written by hand, and the message's path names that control.
  @Test(arguments: [
    ("interventions[0].reach", "150%", "name: x\ninterventions:\n  - targets: [at_risk]\n    reach: 150%\n    effects: {conversion: +10%}\n"),
    ("interventions[0].effects.churn", "abc", "name: x\ninterventions:\n  - targets: [at_risk]\n    effects: {conversion: +10%, churn: abc}\n"),
    ("interventions[0].start", "0", "name: x\ninterventions:\n  - targets: [at_risk]\n    start: 0\n    effects: {conversion: +10%}\n"),
    ("margin", "1.5", "name: x\nmargin: 1.5\ninterventions:\n  - targets: [at_risk]\n    effects: {conversion: +10%}\n"),
  ])
  func aBadValueGetsTheLanguagesMessageBesideItsControl(control: String, value: String, handWritten: String) throws {
    var form = ScenarioForm(fields: ["name": "x", "interventions[0].targets": "at_risk", "interventions[0].effects.conversion": "+10%"])
    form.fields[control] = value
    let expected = #expect(throws: YAMLFileError.self) { try Scenario.load(yaml: handWritten, source: "x.yaml") }
    let caught = #expect(throws: YAMLFileError.self) { try form.scenario(source: "x.yaml") }
    #expect(caught?.path == control)
    #expect(caught.map(Workspace.message) == expected.map(Workspace.message))
    #expect(ScenarioForm.control(for: caught?.path ?? "", among: Array(form.fields.keys)) == control)
  }

  @Test(arguments: [
    ("interventions[0].targets[1]", "interventions[0].targets"),
    ("interventions[0].effects.move", "interventions[0].effects.move[0].from"),
    ("interventions[0].effects.move[1].to", "interventions[0].effects.move[1].to"),
    ("interventions[2].effects", nil as String?),
    ("", nil),
  ])
  func errorPathsFindTheirControl(path: String, control: String?) {
    let names = [
      "name", "interventions[0].targets", "interventions[0].effects.move[0].from", "interventions[0].effects.move[0].to",
      "interventions[0].effects.move[0].change", "interventions[0].effects.move[1].to",
    ]
    #expect(ScenarioForm.control(for: path, among: names) == control)
  }

  @Test func typedTextCannotBecomeStructure() throws {
    // A newline and a key in a name stay inside the name; YAML indicators are quoted.
    let form = ScenarioForm(fields: [
      "name": "push: #1\nmargin: 10%", "margin": "35%", "interventions[0].targets": "at_risk, lapsed",
      "interventions[0].effects.churn": "-10%", "description": "- [x], {y}: 'z' \"q\"",
    ])
    let scenario = try form.scenario(source: "x.yaml")
    #expect(scenario.name == "push: #1\nmargin: 10%")
    #expect(scenario.margin == 0.35)
    #expect(scenario.description == "- [x], {y}: 'z' \"q\"")
    #expect(scenario.interventions.map(\.targets) == [["at_risk", "lapsed"]])
  }

  @Test func blankInterventionsAreLeftOutAndTheRestRenumbered() throws {
    let form = ScenarioForm(fields: [
      "name": "x", "interventions[0].targets": "", "interventions[1].targets": "lapsed", "interventions[1].effects.churn": "-5%",
      "interventions[1].effects.move[3].from": "lapsed", "interventions[1].effects.move[3].to": "active", "interventions[1].effects.move[3].change": "+0.02",
    ])
    let s = try form.scenario(source: "x.yaml")
    #expect(s.interventions.count == 1)
    #expect(s.interventions[0].effects.moves == [.init(from: "lapsed", to: "active", change: 0.02)])
  }

  @Test(arguments: ["../evil.yaml", "sub/x.yaml", "/etc/x.yaml", ".hidden.yaml", "x.txt", "x.yaml/..", "", "-x.yaml", "a..yaml"])
  func theFolderRefusesNamesOutsideIt(name: String) throws {
    let folder = try Self.folder()
    #expect(throws: ScenarioFolderError.self) { try folder.write("name: x\n", as: name) }
  }

  @Test func theFolderWritesPlainNamesInsideAndNeverThroughALink() throws {
    let folder = try Self.folder()
    let written = try folder.write("name: mine\n", as: "mine.yaml")
    #expect(written == folder.path + "/mine.yaml")
    #expect(try folder.read("mine.yaml") == "name: mine\n")
    let outside = Scratch.path("outside", suffix: ".yaml")
    try "keep\n".write(to: outside, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: folder.path + "/link.yaml", withDestinationPath: outside.path)
    #expect(throws: ScenarioFolderError.self) { try folder.write("name: evil\n", as: "link.yaml") }
    #expect(try String(contentsOf: outside, encoding: .utf8) == "keep\n")
    #expect(!folder.files().contains("link.yaml"))
  }

  /// The workspace's comparison is `ScenarioComparison.run` on the same files, also after a
  /// change that reuses the forecasts of the scenarios that did not change.
  @Test func theComparisonIsCompareOnTheSameFilesBeforeAndAfterAChange() throws {
    let workspace = try Workspace(model: Self.model, modelPath: "model.json", scenarios: try Self.folder(), options: Self.options())
    let opening = workspace.openingScenarios()
    #expect(opening.open.map(\.file) == ["baseline.yaml", "acquisition-push.yaml", "onboarding.yaml", "service-quality.yaml", "winback.yaml"])
    #expect(opening.skipped.map(\.file) == ["loyalty.yaml"])
    #expect(opening.skipped[0].reason.contains("needs a 'value' model"))
    func direct(_ edited: [Workspace.EditedScenario]) throws -> ScenarioComparison {
      let plans = try edited.map { try ScenarioPlan(try Scenario.load(yaml: $0.form.yaml(), source: $0.file), model: Self.model) }
      return try ScenarioComparison.run(model: Self.model, plans: plans, options: Self.options())
    }
    var edited = opening.open
    let first = workspace.update(edited)
    #expect(first.errors.isEmpty)
    try expectSame(first.comparison, try direct(edited))
    edited[4].form.fields["interventions[0].effects.churn"] = "-40%"
    let second = workspace.update(edited)
    let expected = try direct(edited)
    try expectSame(second.comparison, expected)
    // The change moved the win-back row and only it.
    #expect(second.comparison?.rows[4].profit.expected != first.comparison?.rows[4].profit.expected)
    #expect(second.comparison?.rows[2].profit.expected == first.comparison?.rows[2].profit.expected)
  }

  func expectSame(_ a: ScenarioComparison?, _ b: ScenarioComparison) throws {
    let left = try JSONOutput.encode(try #require(a))
    #expect(left == (try JSONOutput.encode(b)))
  }

  @Test func aScenarioWithAMistakeIsMarkedAndTheOthersStillCompared() throws {
    let workspace = try Workspace(model: Self.model, modelPath: "model.json", scenarios: try Self.folder(), options: Self.options())
    var edited = workspace.openingScenarios().open
    edited[4].form.fields["interventions[0].reach"] = "150%"
    edited[2].form.fields["interventions[0].targets"] = "at_rsik"
    let update = workspace.update(edited)
    #expect(update.compared == [0, 1, 3])
    #expect(update.errors[4]?["interventions[0].reach"] == "interventions[0].reach: '150%' is not valid; expected a share from 0% to 100%, e.g. 60%")
    #expect(update.errors[2]?["interventions[0].targets"] == "interventions[0].targets[0]: no state or stage 'at_rsik' in this model; did you mean 'at_risk'?")
    #expect(update.comparison?.rows.map(\.name) == [0, 1, 3].map { edited[$0].form["name"] })
  }

  @Test func aSavedScenarioReadsBackAsTheEditedOne() throws {
    let folder = try Self.folder()
    let workspace = try Workspace(model: Self.model, modelPath: "model.json", scenarios: folder, options: Self.options())
    var item = workspace.openingScenarios().open[4]
    item.file = "winback-stronger.yaml"
    item.form.fields["name"] = "win-back stronger"
    item.form.fields["interventions[0].effects.churn"] = "-30%"
    let path = try workspace.save(item)
    let loaded = try Scenario.load(path: path)
    #expect(loaded.name == "win-back stronger")
    #expect(loaded.interventions[0].effects.churn == -0.3)
    #expect(loaded.interventions[0].effects.conversion == 0.25)
    // A mistake is not saved.
    item.file = "bad.yaml"
    item.form.fields["interventions[0].reach"] = "2"
    #expect(throws: YAMLFileError.self) { try workspace.save(item) }
    #expect(!FileManager.default.fileExists(atPath: folder.path + "/bad.yaml"))
  }

  static let seasonal: MarkovModel = {
    var g = GeneratorParameters()
    g.customers = 3_000
    g.seed = 21
    var o = FitOptions()
    o.estimator.seasonal = true
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: o)
  }()

  /// Steps that share a matrix (same intensities, same season) build it once; the forecast must
  /// be the one that builds it in every step, replicate for replicate.
  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func sharedStepMatricesForecastExactlyAsOnePerStep(seasonal: Bool, processNoise: Bool) throws {
    let model = seasonal ? Self.seasonal : Self.model
    #expect((model.seasonalMatrices != nil) == seasonal)
    let plan = try ScenarioPlan(try Scenario.load(path: Self.shipped.appendingPathComponent("winback.yaml").path), model: model)
    var o = ForecastOptions()
    o.horizon = 24
    o.replicates = 60
    o.seed = 5
    o.processNoise = processNoise
    var perStep = plan.adjustment
    perStep.matrixSignature = nil
    let shared = try ForecastEngine.run(model: model, options: o, adjustment: plan.adjustment)
    let unshared = try ForecastEngine.run(model: model, options: o, adjustment: perStep)
    #expect(MatrixSlots(adjustment: plan.adjustment, horizon: 24).firstSteps == [0, 1, 12, 13, 14])
    for kpi in KPI.allCases {
      #expect(shared.samples[kpi] == unshared.samples[kpi], "\(kpi)")
      #expect(shared.expected[kpi] == unshared.expected[kpi], "\(kpi)")
    }
  }

  @Test func formBodiesDecode() {
    let pairs = WorkspaceForm.pairs("token=ab&s0.name=win+back&s0.interventions%5B0%5D.effects.churn=-15%25&s1.file=x.yaml&s13.name=ignored&bad=%ZZ")
    #expect(pairs.map(\.name) == ["token", "s0.name", "s0.interventions[0].effects.churn", "s1.file", "s13.name", "bad"])
    #expect(pairs[2].value == "-15%")
    #expect(pairs[5].value == "%ZZ")
    let edited = WorkspaceForm.scenarios(pairs)
    #expect(edited.count == 2)
    #expect(edited[0].form.fields == ["name": "win back", "interventions[0].effects.churn": "-15%"])
    #expect(edited[1].file == "x.yaml")
  }
}

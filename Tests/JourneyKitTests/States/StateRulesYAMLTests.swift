import Foundation
import JourneyKit
import Testing

@Suite("Custom state rules from YAML")
struct StateRulesYAMLTests {
  static let valid = """
    window: 6
    states:
      - name: prospect
        stage: lead
        when: {ever_purchased: false}
      - name: buyer
        stage: active
        when: {purchases: ">= 1"}
      - name: quiet
        when: always
    """

  @Test func validFileParses() throws {
    let rules = try CustomStateRules.load(yaml: Self.valid, source: "s.yaml")
    #expect(rules.windowPeriods == 6)
    #expect(rules.states.map(\.name) == ["prospect", "buyer", "quiet"])
    #expect(rules.states[1].conditions == [StateCondition(feature: .purchases, comparison: .greaterOrEqual, value: 1)])
    #expect(rules.states[2].conditions.isEmpty)
  }

  @Test func shippedExampleFitsGeneratedData() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenarios/states-example.yaml")
    let rules = try CustomStateRules.load(yaml: try String(contentsOf: url, encoding: .utf8), source: "states-example.yaml")
    var g = GeneratorParameters()
    g.customers = 3_000
    var o = FitOptions()
    o.stateSpace = .custom(rules)
    let m = try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: o)
    #expect(m.stateNames == ["prospect", "lost_prospect", "first_timer", "vip", "regular", "cooling", "dormant", "gone"])
    #expect(m.matrix.isRowStochastic(tolerance: 1e-9))
    #expect(m.stateSpace.rules.trailingWindowPeriods == 12)
    #expect(m.analysis.expectedPeriodsToChurn != nil)
  }

  /// Every mistake the loader reports: the YAML, then the exact message.
  static let mistakes: [(yaml: String, message: String)] = [
    ("", "s.yaml: at top level: the file is empty; see the format in scenarios/states-example.yaml"),
    ("- a\n- b\n", "s.yaml:1:1: at top level: expected a mapping with 'states' (and optionally 'window')"),
    ("window: 3\n", "s.yaml:1:1: at states: missing; list the states under 'states:'"),
    ("stats: []\n", "s.yaml:1:1: at stats: unknown key 'stats'; did you mean 'states'?"),
    ("states: []\n", "s.yaml:1:9: at states: expected a non-empty list of states"),
    ("window: -2\nstates:\n  - {name: a, when: always}\n", "s.yaml:1:9: at window: '-2' is not a number of periods; use a whole number from 1 to 520, e.g. window: 12"),
    ("states:\n  - just a string\n", "s.yaml:2:5: at states[0]: expected a mapping with name and when"),
    ("states:\n  - {when: always}\n", "s.yaml:2:5: at states[0].name: missing; every state needs a name"),
    ("states:\n  - {name: a|b, when: always}\n", "s.yaml:2:12: at states[0].name: 'a|b' contains '|'; '|' joins split levels; choose another name"),
    ("states:\n  - {name: a, when: {purchases: 1}}\n  - {name: a, when: always}\n", "s.yaml:3:12: at states[1].name: 'a' is already the name of states[0]; state names must be unique"),
    ("states:\n  - {name: a, stage: loyl, when: always}\n", "s.yaml:2:22: at states[0].stage: unknown stage 'loyl'; did you mean 'loyal'?"),
    ("states:\n  - {name: a, absorbing: maybe, when: always}\n", "s.yaml:2:26: at states[0].absorbing: 'maybe' is not true or false"),
    ("states:\n  - {name: a}\n", "s.yaml:2:5: at states[0].when: missing; give conditions, e.g. when: {recency: \"<= 2\"}, or when: always for the catch-all"),
    ("states:\n  - {name: a, when: sometimes}\n", "s.yaml:2:21: at states[0].when: 'sometimes' is not a condition; use a mapping of feature: condition, or 'always'"),
    ("states:\n  - {name: a, when: {}}\n", "s.yaml:2:21: at states[0].when: no conditions; write 'when: always' for a catch-all"),
    ("states:\n  - {name: a, when: [1]}\n", "s.yaml:2:21: at states[0].when: expected a mapping of conditions or 'always'"),
    ("states:\n  - {name: a, when: {recnecy: 1}}\n  - {name: b, when: always}\n", "s.yaml:2:22: at states[0].when.recnecy: unknown feature 'recnecy'; did you mean 'recency'?"),
    ("states:\n  - {name: a, when: {recency: \"about 3\"}}\n  - {name: b, when: always}\n", "s.yaml:2:31: at states[0].when.recency: 'about 3' is not a condition; write an operator and a number, e.g. \"<= 3\" (quote it: YAML reads > as folded text)"),
    ("states:\n  - {name: a, when: {lead: 3}}\n  - {name: b, when: always}\n", "s.yaml:2:28: at states[0].when.lead: '3' is not true or false; lead is a yes/no feature"),
    ("states:\n  - {name: a, colour: red, when: always}\n", "s.yaml:2:15: at states[0].colour: unknown key 'colour'; allowed: name, stage, absorbing, when"),
    ("states:\n  - {name: a, when: always}\n  - {name: b, when: {tenure: 1}}\n", "s.yaml:3:5: at states[1]: 'b' can never match: states[0] 'a' is a catch-all (when: always) before it; put the catch-all last"),
    ("states:\n  - {name: a, when: {tenure: 1}}\n", "s.yaml:2:3: at states: no catch-all state; add a last state with 'when: always' so every customer-period gets a state"),
  ]

  @Test(arguments: mistakes)
  func mistakeIsReportedWithPathLineAndHint(yaml: String, message: String) {
    do {
      _ = try CustomStateRules.load(yaml: yaml, source: "s.yaml")
      Issue.record("no error for \(yaml)")
    } catch {
      #expect(error.description == message)
    }
  }

  @Test func invalidYAMLSyntaxIsReported() {
    #expect {
      _ = try CustomStateRules.load(yaml: "states: [\n", source: "s.yaml")
    } throws: { error in
      "\(error)".hasPrefix("s.yaml: at top level: not valid YAML")
    }
  }
}

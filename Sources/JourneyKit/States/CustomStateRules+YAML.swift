import Yams

extension CustomStateRules {
  /// Parses a state-rules file.
  ///
  /// ```yaml
  /// window: 12                 # optional: trailing periods for frequency and spend
  /// states:                    # ordered: the first state whose conditions all hold wins
  ///   - name: prospect
  ///     stage: lead            # optional: lead, new, active, loyal, at_risk, lapsed, churned
  ///     when: {ever_purchased: false}
  ///   - name: vip
  ///     when: {purchases: ">= 1", spend: ">= 500"}
  ///   - name: gone
  ///     stage: churned
  ///     absorbing: true
  ///     when: {recency: "> 6"}
  ///   - name: other
  ///     when: always           # the catch-all, required, last
  /// ```
  /// Features: recency, frequency, spend, purchases, revenue, tenure, ever_purchased, lead.
  /// A condition is a number (equality), `"<op> number"` with op one of < <= > >= == !=, or
  /// true/false for ever_purchased and lead.
  /// - Throws: `YAMLFileError` for the first mistake, with its path, line and a hint.
  public static func load(yaml text: String, source: String) throws(YAMLFileError) -> CustomStateRules {
    func fail(_ node: Node?, _ path: String, _ message: String, _ hint: String? = nil) -> YAMLFileError {
      YAMLFileError(
        file: source, line: node?.mark.map { $0.line }, column: node?.mark.map { $0.column }, path: path, message: message, hint: hint,
        pathWording: .at)
    }
    let root: Node
    do {
      guard let parsed = try Yams.compose(yaml: text) else { throw fail(nil, "", "the file is empty", "see the format in scenarios/states-example.yaml") }
      root = parsed
    } catch let error as YAMLFileError {
      throw error
    } catch let error as YamlError {
      throw fail(nil, "", "not valid YAML: \(error)")
    } catch {
      throw fail(nil, "", "not valid YAML: \(error)")
    }
    guard let top = root.mapping else { throw fail(root, "", "expected a mapping with 'states' (and optionally 'window')") }
    try checkKeys(top, allowed: ["window", "states"], path: "", fail)

    var window: Int? = nil
    if let w = top["window"] {
      guard let scalar = w.scalar, let value = Int(scalar.string), value >= 1, value <= 520 else {
        throw fail(w, "window", "'\(w.scalar?.string ?? "?")' is not a number of periods", "use a whole number from 1 to 520, e.g. window: 12")
      }
      window = value
    }
    guard let statesNode = top["states"] else { throw fail(root, "states", "missing", "list the states under 'states:'") }
    guard let list = statesNode.sequence, !list.isEmpty else {
      throw fail(statesNode, "states", "expected a non-empty list of states")
    }
    var states: [CustomState] = []
    var seen: [String: Int] = [:]
    for (index, node) in list.enumerated() {
      let path = "states[\(index)]"
      guard let map = node.mapping else { throw fail(node, path, "expected a mapping with name and when") }
      try checkKeys(map, allowed: ["name", "stage", "absorbing", "when"], path: path, fail)
      guard let nameNode = map["name"], let name = nameNode.scalar?.string, !name.isEmpty else {
        throw fail(node, "\(path).name", "missing", "every state needs a name")
      }
      guard !name.contains("|") else { throw fail(nameNode, "\(path).name", "'\(name)' contains '|'", "'|' joins split levels; choose another name") }
      if let previous = seen[name] {
        throw fail(nameNode, "\(path).name", "'\(name)' is already the name of states[\(previous)]", "state names must be unique")
      }
      seen[name] = index
      var stage = Stage.custom
      if let stageNode = map["stage"] {
        let text = stageNode.scalar?.string ?? ""
        guard let value = Stage(rawValue: text), value != .custom else {
          let names = Stage.allCases.filter { $0 != .custom }.map(\.rawValue)
          throw fail(stageNode, "\(path).stage", "unknown stage '\(text)'", closestMatch(text, among: names).map { "did you mean '\($0)'?" } ?? "expected one of \(names.joined(separator: ", "))")
        }
        stage = value
      }
      var absorbing = false
      if let a = map["absorbing"] {
        guard let value = a.bool else { throw fail(a, "\(path).absorbing", "'\(a.scalar?.string ?? "?")' is not true or false") }
        absorbing = value
      }
      guard let when = map["when"] else {
        throw fail(node, "\(path).when", "missing", "give conditions, e.g. when: {recency: \"<= 2\"}, or when: always for the catch-all")
      }
      var conditions: [StateCondition] = []
      if let scalar = when.scalar {
        guard scalar.string == "always" else {
          throw fail(when, "\(path).when", "'\(scalar.string)' is not a condition", "use a mapping of feature: condition, or 'always'")
        }
      } else if let conditionMap = when.mapping {
        guard !conditionMap.isEmpty else { throw fail(when, "\(path).when", "no conditions", "write 'when: always' for a catch-all") }
        for (keyNode, valueNode) in conditionMap {
          let key = keyNode.scalar?.string ?? ""
          let conditionPath = "\(path).when.\(key)"
          guard let feature = StateCondition.Feature(rawValue: key) else {
            let names = StateCondition.Feature.allCases.map(\.rawValue)
            throw fail(keyNode, conditionPath, "unknown feature '\(key)'", closestMatch(key, among: names).map { "did you mean '\($0)'?" } ?? "features: \(names.joined(separator: ", "))")
          }
          conditions.append(try parseCondition(feature, valueNode, conditionPath, fail))
        }
      } else {
        throw fail(when, "\(path).when", "expected a mapping of conditions or 'always'")
      }
      if !states.isEmpty && states.last!.conditions.isEmpty {
        throw fail(node, path, "'\(name)' can never match: states[\(index - 1)] '\(states.last!.name)' is a catch-all (when: always) before it", "put the catch-all last")
      }
      states.append(CustomState(name: name, stage: stage, absorbing: absorbing, conditions: conditions))
    }
    guard states.last!.conditions.isEmpty else {
      throw fail(statesNode, "states", "no catch-all state", "add a last state with 'when: always' so every customer-period gets a state")
    }
    return CustomStateRules(source: source, windowPeriods: window, states: states)
  }

  private static func parseCondition(
    _ feature: StateCondition.Feature, _ node: Node, _ path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError
  ) throws(YAMLFileError) -> StateCondition {
    let isFlag = feature == .everPurchased || feature == .lead
    if isFlag {
      guard let flag = node.bool else {
        throw fail(node, path, "'\(node.scalar?.string ?? "?")' is not true or false", "\(feature.rawValue) is a yes/no feature")
      }
      return StateCondition(feature: feature, comparison: .equal, value: flag ? 1 : 0)
    }
    guard let text = node.scalar?.string.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
      throw fail(node, path, "expected a condition such as \">= 2\"", nil)
    }
    var comparison = StateCondition.Comparison.equal
    var rest = Substring(text)
    for op in [StateCondition.Comparison.lessOrEqual, .greaterOrEqual, .equal, .notEqual, .less, .greater] where rest.hasPrefix(op.rawValue) {
      comparison = op
      rest = rest.dropFirst(op.rawValue.count)
      break
    }
    guard let value = Double(rest.trimmingCharacters(in: .whitespaces)), value.isFinite else {
      throw fail(node, path, "'\(text)' is not a condition", "write an operator and a number, e.g. \"<= 3\" (quote it: YAML reads > as folded text)")
    }
    return StateCondition(feature: feature, comparison: comparison, value: value)
  }

  private static func checkKeys(
    _ map: Node.Mapping, allowed: [String], path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError
  ) throws(YAMLFileError) {
    for key in map.keys {
      let name = key.scalar?.string ?? ""
      if !allowed.contains(name) {
        let at = path.isEmpty ? name : "\(path).\(name)"
        throw fail(key, at, "unknown key '\(name)'", closestMatch(name, among: allowed).map { "did you mean '\($0)'?" } ?? "allowed: \(allowed.joined(separator: ", "))")
      }
    }
  }
}

import Foundation

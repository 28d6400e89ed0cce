import Foundation
import Yams

extension Scenario {
  static let topKeys = ["name", "description", "requires", "margin", "interventions", "acquisition"]
  static let interventionKeys = ["name", "targets", "tier", "reach", "start", "duration", "ramp_up", "decay", "effects", "costs"]
  static let effectKeys = ["churn", "conversion", "upgrade", "move", "spend"]
  static let costKeys = ["per_contact", "fixed_per_period", "per_conversion"]
  static let acquisitionKeys = ["change", "cost_per_customer", "start", "duration"]

  /// Reads a scenario file (see `scenarios/README.md` for the language). Throws only `YAMLFileError`.
  /// - Throws: `YAMLFileError` for the first mistake, naming its path (`interventions[1].effects.churn`).
  public static func load(path: String) throws -> Scenario {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw YAMLFileError(file: path, path: "", message: "cannot read the file", hint: "check the path")
    }
    return try load(yaml: String(decoding: data, as: UTF8.self), source: path)
  }

  /// Reads a scenario from YAML text; `source` names it in errors and in the scenario.
  /// - Throws: `YAMLFileError` for the first mistake.
  public static func load(yaml: String, source: String) throws -> Scenario {
    func fail(_ node: Node?, _ path: String, _ message: String, _ hint: String? = nil) -> YAMLFileError {
      YAMLFileError(file: source, line: node?.mark?.line, column: node?.mark?.column, path: path, message: message, hint: hint)
    }
    let root: Node
    do {
      guard let parsed = try Yams.compose(yaml: yaml) else { throw fail(nil, "", "the file is empty", "start with `name:` and `interventions:`; see scenarios/README.md") }
      root = parsed
    } catch let error as YAMLFileError {
      throw error
    } catch {
      throw fail(nil, "", "not valid YAML: \(error)")
    }
    guard let top = root.mapping else { throw fail(root, "", "expected a mapping with name and interventions") }
    try checkKeys(top, Scenario.topKeys, "", fail)
    guard let name = top["name"]?.scalar?.string, !name.isEmpty else { throw fail(root, "name", "missing", "every scenario needs a name") }
    var scenario = Scenario(name: name, source: source)
    scenario.description = top["description"]?.scalar?.string ?? ""
    scenario.requires = top["requires"]?.scalar?.string
    if let m = top["margin"] {
      scenario.margin = try fraction(m, "margin", 0...1, "a margin from 0% to 100%, e.g. 35%", fail)
      scenario.marginIsExplicit = true
    }
    if let list = top["interventions"] {
      guard let items = list.sequence else { throw fail(list, "interventions", "expected a list of interventions") }
      for (k, item) in items.enumerated() {
        scenario.interventions.append(try intervention(item, "interventions[\(k)]", fail))
      }
    }
    if let a = top["acquisition"] {
      guard let map = a.mapping else { throw fail(a, "acquisition", "expected a mapping with change and cost_per_customer") }
      try checkKeys(map, Scenario.acquisitionKeys, "acquisition", fail)
      guard let c = map["change"] else { throw fail(a, "acquisition.change", "missing", "e.g. change: +10%") }
      scenario.acquisition = AcquisitionChange(
        change: try relative(c, "acquisition.change", fail),
        costPerCustomer: try optional(map["cost_per_customer"]) { try amount($0, "acquisition.cost_per_customer", fail) } ?? 0,
        start: try optional(map["start"]) { try whole($0, "acquisition.start", 1, fail) } ?? 1,
        duration: try optional(map["duration"]) { try whole($0, "acquisition.duration", 1, fail) })
    }
    return scenario
  }

  private static func intervention(_ node: Node, _ path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws -> Intervention {
    guard let map = node.mapping else { throw fail(node, path, "expected a mapping with targets and effects", nil) }
    try checkKeys(map, Scenario.interventionKeys, path, fail)
    guard let targetsNode = map["targets"] else { throw fail(node, "\(path).targets", "missing", "name the states or stages it acts on, e.g. targets: [at_risk, lapsed]") }
    let targets: [String]
    if let one = targetsNode.scalar?.string {
      targets = [one]
    } else if let many = targetsNode.sequence {
      targets = many.compactMap { $0.scalar?.string }
    } else {
      throw fail(targetsNode, "\(path).targets", "expected a state name or a list of them", nil)
    }
    guard !targets.isEmpty else { throw fail(targetsNode, "\(path).targets", "is empty", "name at least one state or stage") }
    var effects = Intervention.Effects()
    if let e = map["effects"] {
      guard let em = e.mapping else { throw fail(e, "\(path).effects", "expected a mapping of effects", nil) }
      try checkKeys(em, Scenario.effectKeys, "\(path).effects", fail)
      effects.churn = try optional(em["churn"]) { try relative($0, "\(path).effects.churn", fail) }
      effects.conversion = try optional(em["conversion"]) { try relative($0, "\(path).effects.conversion", fail) }
      effects.upgrade = try optional(em["upgrade"]) { try relative($0, "\(path).effects.upgrade", fail) }
      effects.spend = try optional(em["spend"]) { try relative($0, "\(path).effects.spend", fail) }
      if let moves = em["move"] {
        let list = moves.sequence ?? [moves]
        for (k, m) in list.enumerated() {
          let movePath = moves.sequence == nil ? "\(path).effects.move" : "\(path).effects.move[\(k)]"
          guard let mm = m.mapping else { throw fail(m, movePath, "expected {from: STATE, to: STATE, change: +0.05}", nil) }
          try checkKeys(mm, ["from", "to", "change"], movePath, fail)
          guard let from = mm["from"]?.scalar?.string, let to = mm["to"]?.scalar?.string else {
            throw fail(m, movePath, "needs from and to", "e.g. {from: at_risk, to: active, change: +0.05}")
          }
          guard let c = mm["change"] else { throw fail(m, "\(movePath).change", "missing", "an absolute change of the probability, e.g. +0.05") }
          guard let value = number(c.scalar?.string ?? ""), abs(value) <= 1 else {
            throw fail(c, "\(movePath).change", "'\(c.scalar?.string ?? "?")' is not a probability change", "write a number from -1 to +1, e.g. +0.05 (5 points)")
          }
          effects.moves.append(.init(from: from, to: to, change: value))
        }
      }
    }
    if effects == Intervention.Effects() {
      throw fail(node, "\(path).effects", "no effects", "give at least one of churn, conversion, upgrade, move, spend")
    }
    var costs = Intervention.Costs()
    if let c = map["costs"] {
      guard let cm = c.mapping else { throw fail(c, "\(path).costs", "expected a mapping of costs", nil) }
      try checkKeys(cm, Scenario.costKeys, "\(path).costs", fail)
      costs.perContact = try optional(cm["per_contact"]) { try amount($0, "\(path).costs.per_contact", fail) } ?? 0
      costs.fixedPerPeriod = try optional(cm["fixed_per_period"]) { try amount($0, "\(path).costs.fixed_per_period", fail) } ?? 0
      costs.perConversion = try optional(cm["per_conversion"]) { try amount($0, "\(path).costs.per_conversion", fail) } ?? 0
    }
    return Intervention(
      name: map["name"]?.scalar?.string ?? "intervention \(path)", targets: targets, tier: map["tier"]?.scalar?.string,
      reach: try optional(map["reach"]) { try fraction($0, "\(path).reach", 0...1, "a share from 0% to 100%, e.g. 60%", fail) } ?? 1,
      start: try optional(map["start"]) { try whole($0, "\(path).start", 1, fail) } ?? 1,
      duration: try optional(map["duration"]) { try whole($0, "\(path).duration", 1, fail) },
      rampUp: try optional(map["ramp_up"]) { try whole($0, "\(path).ramp_up", 0, fail) } ?? 0,
      decay: try optional(map["decay"]) { try whole($0, "\(path).decay", 0, fail) } ?? 0,
      effects: effects, costs: costs)
  }

  private static func checkKeys(_ map: Node.Mapping, _ allowed: [String], _ path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws {
    for key in map.keys {
      let name = key.scalar?.string ?? ""
      guard !allowed.contains(name) else { continue }
      let at = path.isEmpty ? name : "\(path).\(name)"
      throw fail(key, at, "unknown key '\(name)'", closestMatch(name, among: allowed).map { "did you mean '\($0)'?" } ?? "allowed: \(allowed.joined(separator: ", "))")
    }
  }

  /// A relative change: `-20%`, `+0.1`; at least -100%.
  private static func relative(_ node: Node, _ path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws -> Double {
    let text = node.scalar?.string ?? ""
    guard let change = RelativeChange(parsing: text) else {
      throw fail(node, path, "'\(text)' is not a relative change", "write a percentage such as -20% or +5%")
    }
    guard change.value >= -1 else { throw fail(node, path, "'\(text)' is below -100%", "a probability or amount cannot fall by more than all of it") }
    guard change.value <= 10 else { throw fail(node, path, "'\(text)' is above +1000%", "check the number; effects of CRM programmes are rarely beyond +100%") }
    return change.value
  }

  /// A share in `range`, written as a percentage or a fraction.
  private static func fraction(_ node: Node, _ path: String, _ range: ClosedRange<Double>, _ expected: String, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws -> Double {
    let text = node.scalar?.string ?? ""
    guard let value = RelativeChange(parsing: text)?.value, range.contains(value) else {
      throw fail(node, path, "'\(text)' is not valid", "expected \(expected)")
    }
    return value
  }

  private static func amount(_ node: Node, _ path: String, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws -> Double {
    let text = node.scalar?.string ?? ""
    guard let value = number(text), value >= 0 else { throw fail(node, path, "'\(text)' is not an amount", "write a non-negative number, e.g. 0.50") }
    guard value <= Limits.amount else {
      throw fail(node, path, "'\(text)' is above the limit of \(Format.number(Limits.amount))", "check the number; costs are per customer or per period")
    }
    return value
  }

  private static func whole(_ node: Node, _ path: String, _ minimum: Int, _ fail: (Node?, String, String, String?) -> YAMLFileError) throws -> Int {
    let text = node.scalar?.string ?? ""
    guard let value = Int(text), value >= minimum else { throw fail(node, path, "'\(text)' is not a whole number of periods", "expected \(minimum) or more") }
    // Period arithmetic (start + duration + decay) must not overflow; no forecast runs this far.
    guard value <= Limits.scenarioPeriods else {
      throw fail(node, path, "'\(text)' is above the limit of \(Limits.scenarioPeriods) periods", "forecasts run at most \(Limits.horizon) periods")
    }
    return value
  }

  /// Parses an optional node: nil when the key is absent.
  private static func optional<T>(_ node: Node?, _ parse: (Node) throws -> T) throws -> T? {
    guard let node else { return nil }
    return try parse(node)
  }

  private static func number(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces)
    guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }), let v = Double(t), v.isFinite else { return nil }
    return v
  }
}

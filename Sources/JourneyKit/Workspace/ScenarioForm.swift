import Foundation
import Yams

/// A scenario as the workspace's editor holds it: the text of every control, keyed by the
/// scenario language's own path (`margin`, `interventions[0].effects.churn`,
/// `interventions[0].effects.move[0].from`, `acquisition.change`).
///
/// The form is never interpreted by itself: `yaml()` writes the values into a scenario file
/// exactly as typed, and `Scenario.load(yaml:source:)` reads it, so a bad value gets the
/// language's own message (`interventions[0].reach: '150%' is not valid; expected a share from
/// 0% to 100%`), and the path of that message names the control it belongs to (`control(for:)`).
///
/// ```swift
/// let form = ScenarioForm(fields: ["name": "win-back", "interventions[0].targets": "at_risk, lapsed",
///                                  "interventions[0].effects.churn": "-15%"])
/// form.yaml()
/// // name: win-back
/// // interventions:
/// //   - targets: [at_risk, lapsed]
/// //     effects:
/// //       churn: -15%
/// ```
public struct ScenarioForm: Sendable, Equatable {
  /// Control values by scenario path; empty values count as absent.
  public var fields: [String: String]

  /// A form with these control values.
  public init(fields: [String: String] = [:]) {
    self.fields = fields
  }

  /// The keys of one intervention, in the order they are written and shown.
  static let interventionScalars = ["name", "targets", "tier", "reach", "start", "duration", "ramp_up", "decay"]
  static let effectScalars = ["churn", "conversion", "upgrade", "spend"]
  static let moveKeys = ["from", "to", "change"]
  static let costScalars = ["per_contact", "fixed_per_period", "per_conversion"]
  static let acquisitionScalars = ["change", "cost_per_customer", "start", "duration"]

  /// The value of a control, trimmed; nil when empty.
  public subscript(_ path: String) -> String? {
    let value = fields[path]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    return value.isEmpty ? nil : value
  }

  /// Interventions the form has at least one value for, by index.
  var interventionIndices: [Int] {
    indices(prefix: "interventions[")
  }

  func moveIndices(intervention k: Int) -> [Int] {
    indices(prefix: "interventions[\(k)].effects.move[")
  }

  private func indices(prefix: String) -> [Int] {
    var found: Set<Int> = []
    for (key, value) in fields where key.hasPrefix(prefix) && !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      let rest = key.dropFirst(prefix.count)
      if let close = rest.firstIndex(of: "]"), let k = Int(rest[..<close]), k >= 0 { found.insert(k) }
    }
    return found.sorted()
  }

  /// The scenario file these controls describe. Values are written as typed (quoted when YAML
  /// would otherwise read them as structure), so the loader judges them; interventions, moves and
  /// acquisition with no value at all are left out, renumbered from 0 in the order of the form.
  public func yaml() -> String {
    var out: [String] = []
    func line(_ indent: Int, _ key: String, _ value: String) { out.append(String(repeating: " ", count: indent) + "\(key): \(Self.scalar(value))") }
    for key in ["name", "description", "requires", "margin"] {
      if let v = self[key] { line(0, key, v) }
    }
    let interventions = interventionIndices
    out.append(interventions.isEmpty ? "interventions: []" : "interventions:")
    for k in interventions {
      let p = "interventions[\(k)]"
      var first = true
      func item(_ indent: Int, _ key: String, _ value: String) {
        out.append(String(repeating: " ", count: indent) + (first ? "- " : "  ") + (value.isEmpty ? "\(key):" : "\(key): \(value)"))
        first = false
      }
      for key in Self.interventionScalars {
        guard let v = self["\(p).\(key)"] else { continue }
        item(2, key, key == "targets" ? Self.list(v) : Self.scalar(v))
      }
      let effects = Self.effectScalars.compactMap { key in self["\(p).effects.\(key)"].map { (key, $0) } }
      let moves = moveIndices(intervention: k)
      if !effects.isEmpty || !moves.isEmpty {
        item(2, "effects", "")
        for (key, v) in effects { out.append("      \(key): \(Self.scalar(v))") }
        if !moves.isEmpty {
          out.append("      move:")
          for m in moves {
            let parts = Self.moveKeys.compactMap { key in self["\(p).effects.move[\(m)].\(key)"].map { "\(key): \(Self.scalar($0))" } }
            out.append("        - {\(parts.joined(separator: ", "))}")
          }
        }
      }
      let costs = Self.costScalars.compactMap { key in self["\(p).costs.\(key)"].map { (key, $0) } }
      if !costs.isEmpty {
        item(2, "costs", "")
        for (key, v) in costs { out.append("      \(key): \(Self.scalar(v))") }
      }
      if first { item(2, "targets", "[]") }
    }
    let acquisition = Self.acquisitionScalars.compactMap { key in self["acquisition.\(key)"].map { (key, $0) } }
    if !acquisition.isEmpty {
      out.append("acquisition:")
      for (key, v) in acquisition { line(2, key, v) }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// The scenario the controls describe, read and checked as a file would be.
  /// - Throws: `YAMLFileError`, with the path of the control that caused it.
  public func scenario(source: String) throws -> Scenario {
    try Scenario.load(yaml: yaml(), source: source)
  }

  /// The control a scenario error belongs to: the one named by its path, else the first control
  /// inside it (`interventions[0].effects.move` -> its first move's `from`), else the closest
  /// control around it (`interventions[0].targets[1]` -> `interventions[0].targets`); nil when
  /// the error is about the scenario as a whole.
  public static func control(for path: String, among names: [String]) -> String? {
    guard !path.isEmpty else { return nil }
    if names.contains(path) { return path }
    if let inside = names.filter({ $0.hasPrefix(path + ".") || $0.hasPrefix(path + "[") }).min(by: { order($0) < order($1) }) { return inside }
    return names.filter { path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }.max { $0.count < $1.count }
  }

  /// Orders controls as the form shows them (moves by index, from before to before change).
  private static func order(_ name: String) -> String {
    var key = name
    for (k, field) in moveKeys.enumerated() { key = key.replacingOccurrences(of: ".\(field)", with: ".\(k)") }
    return key
  }

  /// The controls of a scenario file, its values as written there (not as parsed, so `+25%`
  /// stays `+25%`). Keys the language does not know are left to `Scenario.load` to reject.
  /// - Throws: `YAMLFileError` when the text is not YAML or not shaped like a scenario.
  public init(yaml text: String, source: String) throws {
    // The loader's checks first: a file the workspace opens is validated exactly as on load.
    _ = try Scenario.load(yaml: text, source: source)
    guard let root = try? Yams.compose(yaml: text), let top = root.mapping else {
      throw YAMLFileError(file: source, path: "", message: "expected a mapping with name and interventions")
    }
    var fields: [String: String] = [:]
    func value(_ node: Node?) -> String? { node?.scalar?.string }
    for key in ["name", "description", "requires", "margin"] { fields[key] = value(top[key]) }
    let interventions: [Node] = top["interventions"]?.sequence.map(Array.init) ?? []
    for (k, item) in interventions.enumerated() {
      guard let map = item.mapping else { continue }
      let p = "interventions[\(k)]"
      for key in Self.interventionScalars where key != "targets" { fields["\(p).\(key)"] = value(map[key]) }
      if let targets = map["targets"] {
        let names: [Node] = targets.sequence.map(Array.init) ?? []
        fields["\(p).targets"] = targets.scalar?.string ?? names.compactMap { $0.scalar?.string }.joined(separator: ", ")
      }
      if let effects = map["effects"]?.mapping {
        for key in Self.effectScalars { fields["\(p).effects.\(key)"] = value(effects[key]) }
        if let moves = effects["move"] {
          let list: [Node] = moves.sequence.map(Array.init) ?? [moves]
          for (m, move) in list.enumerated() {
            for key in Self.moveKeys { fields["\(p).effects.move[\(m)].\(key)"] = value(move.mapping?[key]) }
          }
        }
      }
      if let costs = map["costs"]?.mapping {
        for key in Self.costScalars { fields["\(p).costs.\(key)"] = value(costs[key]) }
      }
    }
    if let acquisition = top["acquisition"]?.mapping {
      for key in Self.acquisitionScalars { fields["acquisition.\(key)"] = value(acquisition[key]) }
    }
    self.fields = fields.compactMapValues { $0 }
  }

  /// A YAML scalar for `text`: plain when YAML reads it back as the same string, else double-quoted.
  static func scalar(_ text: String) -> String {
    let plain = text.range(of: #"^[A-Za-z0-9+._%-][A-Za-z0-9 +._%-]*$"#, options: .regularExpression) != nil
      && !text.hasSuffix(" ") && !text.hasPrefix("- ") && text != "-"
      && !["true", "false", "yes", "no", "on", "off", "null", "~"].contains(text.lowercased())
    if plain { return text }
    var quoted = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": quoted += "\\\""
      case "\\": quoted += "\\\\"
      case "\n": quoted += "\\n"
      case "\r": quoted += "\\r"
      case "\t": quoted += "\\t"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          quoted += String(format: "\\x%02X", scalar.value)
        } else {
          quoted.unicodeScalars.append(scalar)
        }
      }
    }
    return quoted + "\""
  }

  /// A flow list of the comma-separated names in `text`: `at_risk, lapsed` -> `[at_risk, lapsed]`.
  static func list(_ text: String) -> String {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return "[" + names.map(scalar).joined(separator: ", ") + "]"
  }
}

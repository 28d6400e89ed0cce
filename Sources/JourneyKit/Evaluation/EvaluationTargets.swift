import Foundation
import Yams

/// A goal a strategy set itself: a KPI, a direction and a level (or a change against the
/// pre-launch window), by a date.
public struct EvaluationTarget: Sendable, Equatable {
  /// Whether the goal is to raise or to lower the KPI.
  public enum Direction: String, Sendable, CaseIterable { case increase, decrease }
  /// The KPI's name (`churn_rate`, `active`, ...).
  public var kpi: String
  /// Up or down.
  public var direction: Direction
  /// Absolute level for the post window (e.g. churn_rate 0.04).
  public var value: Double?
  /// Relative change against the pre window (e.g. -10%).
  public var change: Double?
  /// The day the goal is for (nil: the end of the post window).
  public var by: CalendarDay?
}

/// A target checked against the evaluation.
public struct TargetResult: Codable, Sendable {
  /// The KPI's name.
  public var kpi: String
  /// The goal in words (`decrease to 0.04`).
  public var goal: String
  /// The KPI's value over the post window (nil when it could not be computed).
  public var actual: Double?
  /// Whether the goal was met (nil when it cannot be judged).
  public var passed: Bool?
  /// Why, in words.
  public var note: String
}

extension EvaluationTarget {
  /// Reads `targets:` from YAML: `- {kpi: churn_rate, direction: decrease, value: 0.04, by: 2026-01-01}`
  /// or with `change: -10%` instead of `value`.
  /// - Throws: `YAMLFileError` (the same path-and-hint errors as scenarios).
  public static func load(yaml: String, source: String) throws -> [EvaluationTarget] {
    func fail(_ node: Node?, _ path: String, _ message: String, _ hint: String? = nil) -> YAMLFileError {
      YAMLFileError(file: source, line: node?.mark?.line, column: node?.mark?.column, path: path, message: message, hint: hint)
    }
    guard let root = try? Yams.compose(yaml: yaml), let map = root.mapping, let list = map["targets"]?.sequence else {
      throw fail(nil, "targets", "expected a list under 'targets:'", "e.g. targets: [{kpi: churn_rate, direction: decrease, change: -10%}]")
    }
    let names = RolloutEvaluation.definitions.map(\.name)
    return try list.enumerated().map { k, node in
      let path = "targets[\(k)]"
      guard let m = node.mapping else { throw fail(node, path, "expected a mapping") }
      for key in m.keys {
        let name = key.scalar?.string ?? ""
        let allowed = ["kpi", "direction", "value", "change", "by"]
        if !allowed.contains(name) {
          throw fail(key, "\(path).\(name)", "unknown key '\(name)'", closestMatch(name, among: allowed).map { "did you mean '\($0)'?" } ?? "allowed: \(allowed.joined(separator: ", "))")
        }
      }
      guard let kpi = m["kpi"]?.scalar?.string else { throw fail(node, "\(path).kpi", "missing", "one of \(names.joined(separator: ", "))") }
      guard names.contains(kpi) else {
        throw fail(m["kpi"], "\(path).kpi", "unknown KPI '\(kpi)'", closestMatch(kpi, among: names).map { "did you mean '\($0)'?" } ?? "one of \(names.joined(separator: ", "))")
      }
      guard let d = m["direction"]?.scalar?.string, let direction = Direction(rawValue: d) else {
        throw fail(m["direction"] ?? node, "\(path).direction", "expected increase or decrease")
      }
      var target = EvaluationTarget(kpi: kpi, direction: direction)
      if let v = m["value"]?.scalar?.string {
        guard let value = Double(v), value.isFinite else { throw fail(m["value"], "\(path).value", "'\(v)' is not a number") }
        target.value = value
      }
      if let c = m["change"]?.scalar?.string {
        guard let change = RelativeChange(parsing: c) else { throw fail(m["change"], "\(path).change", "'\(c)' is not a relative change", "write e.g. -10%") }
        target.change = change.value
      }
      guard (target.value == nil) != (target.change == nil) else {
        throw fail(node, path, "give exactly one of value and change")
      }
      if let b = m["by"]?.scalar?.string {
        guard let day = CalendarDay(iso: b) else { throw fail(m["by"], "\(path).by", "'\(b)' is not a YYYY-MM-DD date") }
        target.by = day
      }
      return target
    }
  }

  init(kpi: String, direction: Direction) {
    self.kpi = kpi
    self.direction = direction
  }
}

extension RolloutEvaluation {
  /// Checks targets against the post window (and the pre window for relative changes).
  public mutating func check(_ targets: [EvaluationTarget]) {
    self.targets = targets.map { t in
      let row = kpis.first { $0.kpi == t.kpi }
      let goal = (t.direction == .increase ? "at least " : "at most ")
        + (t.value.map { Format.number($0, decimals: 4) } ?? "\(RelativeChange(value: t.change!)) against before")
        + (t.by.map { " by \($0)" } ?? "")
      guard let post = row?.post?.value else {
        return TargetResult(kpi: t.kpi, goal: goal, actual: nil, passed: nil, note: row?.note ?? "not computable")
      }
      var note = ""
      if let by = t.by, by < launch { note = "the date \(by) is before the launch" }
      if let value = t.value {
        let passed = t.direction == .increase ? post >= value : post <= value
        return TargetResult(kpi: t.kpi, goal: goal, actual: post, passed: passed, note: note)
      }
      guard let pre = row?.pre?.value, pre != 0 else {
        return TargetResult(kpi: t.kpi, goal: goal, actual: post, passed: nil, note: "no pre-launch value to compare with")
      }
      let change = post / pre - 1
      let passed = t.direction == .increase ? change >= t.change! : change <= t.change!
      return TargetResult(kpi: t.kpi, goal: goal, actual: post, passed: passed, note: note.isEmpty ? "change \(RelativeChange(value: change))" : note)
    }
  }
}

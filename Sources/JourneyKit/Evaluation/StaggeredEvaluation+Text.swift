import Foundation

extension StaggeredEvaluation {
  /// Reads a launches file: `value,YYYY-MM-DD` per line, with an optional header whose first
  /// field names the data's column (`region,launch`).
  ///
  /// - Returns: the column the header names (nil without a header) and the launch per value.
  /// - Throws: `EvaluationError.badLaunches` naming the line.
  public static func parseLaunches(_ text: String, source: String) throws -> (column: String?, launches: [String: CalendarDay]) {
    var column: String? = nil
    var launches: [String: CalendarDay] = [:]
    for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard fields.count == 2, !fields[0].isEmpty else {
        throw EvaluationError.badLaunches(file: source, line: n + 1, problem: "'\(line)' is not `value,YYYY-MM-DD`", hint: "one group value and its launch date per line, e.g. R1,2024-07-01")
      }
      guard let day = CalendarDay(iso: fields[1]), Limits.days.contains(day) else {
        if launches.isEmpty && column == nil {
          column = fields[0]
          continue
        }
        throw EvaluationError.badLaunches(file: source, line: n + 1, problem: "'\(fields[1])' is not a date", hint: "write it as YYYY-MM-DD, e.g. 2024-07-01")
      }
      guard launches[fields[0]] == nil else {
        throw EvaluationError.badLaunches(file: source, line: n + 1, problem: "'\(fields[0])' has a launch date already", hint: "give each value one line")
      }
      launches[fields[0]] = day
    }
    guard launches.count >= 2 else {
      throw EvaluationError.badLaunches(file: source, line: nil, problem: "\(launches.count) launch\(launches.count == 1 ? "" : "es") given", hint: "a staggered rollout needs at least two groups launching at different dates")
    }
    return (column, launches)
  }

  /// The terminal rendering.
  public func text() -> String {
    func show(_ e: Estimate, _ v: Double) -> String {
      let share = e.isMove || e.measure == "active_share" || e.measure.hasSuffix("rate") || e.measure.hasSuffix("conversion")
      return share ? String(format: "%+.2f pt", v * 100) : (v >= 0 ? "+" : "") + Format.number(v, decimals: 3)
    }
    var out: [String] = []
    out.append("Staggered rollout by '\(column)': each group against the groups not yet launched, \(prePeriods) \(period.rawValue)s before its launch as its baseline.")
    var c = TextTable(header: ["group", "launch", "first launched period", "customers"])
    for x in cohorts { c.append([x.value, x.launch.description, x.firstPeriod, String(x.customers)]) }
    out.append(c.render())
    out.append("")
    out.append("Verdict: \(verdict).")
    out.append("Tests: \(procedure).")
    if let p = primary {
      out.append("")
      out.append(
        "Primary: share of each group's launch base still buying in the later half of its after window, against the groups launching last, "
          + "adjusted for \(LaunchBase.covariateNames.joined(separator: " and ")):")
      var t = TextTable(header: ["group", "after", "against", "treated", "control", "slopes", "effect"])
      for c in p.comparisons {
        t.append([
          c.group, c.afterWindow, c.controls.joined(separator: ", "), String(c.treatedCustomers), String(c.controlCustomers),
          c.slopes.map { Format.number($0, decimals: 3) }.joined(separator: ", "), Format.points(c.effect),
        ])
      }
      out.append(t.render())
      let interval = "\(Format.points(p.effect.low)) .. \(Format.points(p.effect.high))"
      let outcome: String = primaryFlagged ? "changed" : "no change beyond noise"
      out.append(
        "  summed over the groups: \(Format.points(p.effect.value)), \(Format.level(1 - alpha)) interval \(interval), "
          + "p \(String(format: "%.2g", p.pValue)) against \(Format.level(primaryLevel)): \(outcome)")
    }
    out.append("")
    out.append("Effect averaged over the first \(postPeriods) \(period.rawValue)s since launch (\(Format.level(1 - alpha)) intervals from a bootstrap over customers; \(correction)-adjusted, changed below \(Format.level(secondaryLevel))):")
    var t = TextTable(header: ["measure", "effect", "interval", "adjusted p", "changed", "responds"])
    for e in estimates {
      t.append([
        e.measure, show(e, e.effect.value), "\(show(e, e.effect.low)) .. \(show(e, e.effect.high))", String(format: "%.2g", e.adjustedPValue),
        e.flagged ? "yes" : "no", e.respondsInTime ? (e.lagPeriods == 0 ? "at once" : "after \(e.lagPeriods)") : "too late (\(e.lagPeriods))",
      ])
    }
    out.append(t.render())
    let shown = estimates.filter { $0.flagged || $0.measure == "active_share" }.prefix(4)
    if !shown.isEmpty {
      out.append("")
      out.append("By time since launch (\(period.rawValue)s; groups compared):")
      var header = ["since launch", "groups"]
      header += shown.map(\.measure)
      var b = TextTable(header: header)
      let times = shown[shown.startIndex].byTimeSinceLaunch.map(\.periodsSinceLaunch)
      for time in times {
        var row = [String(time)]
        row.append(String(shown[shown.startIndex].byTimeSinceLaunch.first { $0.periodsSinceLaunch == time }?.groups ?? 0))
        for e in shown {
          guard let x = e.byTimeSinceLaunch.first(where: { $0.periodsSinceLaunch == time }) else { row.append("-"); continue }
          row.append("\(show(e, x.effect.value)) (\(show(e, x.effect.low))..\(show(e, x.effect.high)))")
        }
        b.append(row)
      }
      out.append(b.render())
    }
    if !warnings.isEmpty {
      out.append("")
      out.append("Warnings:")
      for w in warnings { out.append("  - \(w)") }
    }
    return out.joined(separator: "\n")
  }
}

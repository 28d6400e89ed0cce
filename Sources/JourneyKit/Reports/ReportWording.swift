/// Numbers and phrases as the reports' sentences use them.
enum ReportWording {
  /// `-0.118` -> `-12%`, `0.031` -> `+3%`; one decimal under 1%, so small changes do not read as none.
  /// `decimals` fixes the decimals instead (an error beside a 5% bar needs one: `+4.6%`).
  static func signedPercent(_ fraction: Double, decimals fixed: Int? = nil) -> String {
    guard fraction.isFinite else { return "n/a" }
    let decimals = fixed ?? (abs(fraction) < 0.01 ? 1 : 0)
    let text = Format.percent(abs(fraction), decimals: decimals)
    if text == Format.percent(0, decimals: decimals) { return text }
    return (fraction < 0 ? "-" : "+") + text
  }

  /// Compact money or counts for sentences: `1,234`, `45.6k`, `1.23M`.
  static func amount(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    let a = abs(value)
    let sign = value < 0 ? "-" : ""
    if a >= 1e9 { return sign + AxisFormat.trimmed(a / 1e9, decimals: 2) + "B" }
    if a >= 1e6 { return sign + AxisFormat.trimmed(a / 1e6, decimals: 2) + "M" }
    if a >= 1e5 { return sign + AxisFormat.trimmed(a / 1e3, decimals: 0) + "k" }
    return Format.number(value)
  }

  /// "rises from A to B", "falls from A to B" or "stays at about A", by the relative change.
  static func movement(from start: Double, to end: Double, format: (Double) -> String = amount) -> String {
    let change = start != 0 ? end / start - 1 : (end == 0 ? 0 : .infinity)
    if abs(change) < 0.005 { return "stays at about \(format(start))" }
    return "\(end > start ? "rises" : "falls") from \(format(start)) to \(format(end))"
  }

  /// `(-12%, range -15% to -9%)`, or `(-12%)` without a range.
  static func changeInParentheses(from start: Double, to end: Double, low: Double?, high: Double?) -> String {
    guard start != 0 else { return "" }
    let change = signedPercent(end / start - 1)
    guard let low, let high else { return " (\(change))" }
    return " (\(change), range \(signedPercent(low / start - 1)) to \(signedPercent(high / start - 1)))"
  }

  /// ` (range A to B)` for a P5-P95 range of amounts, or nothing without one.
  static func amountRange(low: Double?, high: Double?) -> String {
    guard let low, let high else { return "" }
    return " (range \(amount(low)) to \(amount(high)))"
  }

  /// `12 months`, `1 quarter`.
  static func periods(_ n: Int, _ kind: PeriodKind) -> String { "\(n) \(kind.rawValue)\(n == 1 ? "" : "s")" }
}

import Foundation

/// How an axis writes its numbers: compact counts and money (`12k`, `1.5M`), or percentages
/// of fractions (`0.05` -> `5%`). All ticks of an axis share one precision, taken from the step,
/// so `2.5k` never sits beside `5.00k`.
public enum AxisFormat: Sendable, Equatable {
  /// Plain numbers with k / M / B suffixes.
  case number
  /// Fractions shown as percentages.
  case percent

  /// Labels for `ticks` spaced `step` apart.
  public func labels(_ ticks: [Double], step: Double) -> [String] {
    let magnitude = ticks.map(abs).max() ?? 0
    return ticks.map { label($0, step: step, magnitude: magnitude) }
  }

  /// One value; `magnitude` picks the suffix (default: the value's own size).
  public func label(_ value: Double, step: Double, magnitude: Double? = nil) -> String {
    switch self {
    case .percent:
      return Self.trimmed(value * 100, decimals: Self.decimals(for: step * 100)) + "%"
    case .number:
      if value == 0 { return "0" }
      let largest = max(magnitude ?? abs(value), step)
      let (divisor, suffix): (Double, String) =
        largest >= 1e9 ? (1e9, "B") : largest >= 1e6 ? (1e6, "M") : largest >= 1e4 ? (1e3, "k") : (1, "")
      let digits = Self.decimals(for: step / divisor)
      let text = Self.trimmed(value / divisor, decimals: digits)
      return divisor == 1 && digits == 0 ? Format.number(value) : text + suffix
    }
  }

  /// Decimals needed to tell ticks `step` apart (0 for whole steps).
  static func decimals(for step: Double) -> Int {
    guard step > 0, step.isFinite else { return 0 }
    var d = 0
    while d < 6 && abs(step * pow(10, Double(d)) - (step * pow(10, Double(d))).rounded()) > 1e-9 { d += 1 }
    return d
  }

  /// Fixed decimals, then trailing zeros dropped: `2.50` -> `2.5`, `5.0` -> `5`.
  static func trimmed(_ value: Double, decimals: Int) -> String {
    var text = String(format: "%.\(decimals)f", value)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
  }
}

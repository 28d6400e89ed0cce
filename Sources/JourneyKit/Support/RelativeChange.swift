/// A relative change written the way planners write it: `-20%`, `+5%`, `15%`.
///
/// A bare number is read as a fraction (`-0.2` is -20%), so that machine-made
/// values also work. `value` is the fraction: `-20%` has value `-0.2`.
///
/// ```swift
/// RelativeChange(parsing: "-20%")?.value   // -0.2
/// RelativeChange(parsing: "20%%")          // nil
/// ```
public struct RelativeChange: Equatable, Sendable, CustomStringConvertible {
  /// The change as a fraction (-0.2 for -20%).
  public var value: Double

  /// The change `value`.
  public init(value: Double) { self.value = value }

  /// Parses `-20%`, `+10%` or a plain fraction (`-0.2`); nil for anything else.
  public init?(parsing text: String) {
    var body = Substring(text.trimmingCharacters(in: .whitespaces))
    var isPercent = false
    if body.hasSuffix("%") {
      isPercent = true
      body = body.dropLast()
    }
    // Only plain decimal numbers: no "inf", "nan", hex or exponent surprises.
    guard !body.isEmpty,
      body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "+" || $0 == "-") }),
      let number = Double(body), number.isFinite
    else { return nil }
    value = isPercent ? number / 100 : number
  }

  /// `-20%`, `+5%`.
  public var description: String {
    let percent = value * 100
    let rounded = (percent * 1000).rounded() / 1000
    let text = rounded == rounded.rounded() ? rounded.checkedInt.map(String.init) ?? String(rounded) : String(rounded)
    return (value > 0 ? "+" : "") + text + "%"
  }
}

import Foundation

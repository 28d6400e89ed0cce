/// A plain-text table for terminals: a header row, aligned columns, numbers right-aligned.
struct TextTable: Sendable {
  var header: [String]
  var rows: [[String]] = []
  /// Columns aligned left (the rest right).
  var leftAligned: Set<Int> = [0]

  init(header: [String], leftAligned: Set<Int> = [0]) {
    self.header = header
    self.leftAligned = leftAligned
  }

  mutating func append(_ row: [String]) {
    precondition(row.count == header.count, "row has \(row.count) cells, header \(header.count)")
    rows.append(row)
  }

  func render(indent: String = "  ") -> String {
    let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
    func line(_ cells: [String]) -> String {
      let padded = cells.enumerated().map { c, text in
        let pad = String(repeating: " ", count: widths[c] - text.count)
        return leftAligned.contains(c) ? text + pad : pad + text
      }
      return indent + padded.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    let rule = indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }
}

/// Number formatting for people: thousands separators, fixed decimals, percentages.
public enum Format {
  /// `1234567.8` -> `1,234,568` (decimals 0) or `1,234,567.80` (decimals 2).
  public static func number(_ value: Double, decimals: Int = 0) -> String {
    guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
    let text = String(format: "%.\(decimals)f", abs(value))
    let parts = text.split(separator: ".", maxSplits: 1)
    var integer = String(parts[0])
    var grouped = ""
    while integer.count > 3 {
      grouped = "," + integer.suffix(3) + grouped
      integer = String(integer.dropLast(3))
    }
    let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
    return sign + integer + grouped + (parts.count > 1 ? "." + parts[1] : "")
  }

  /// `0.1234` -> `12.3%`.
  public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
    guard fraction.isFinite else { return "n/a" }
    return String(format: "%.\(decimals)f%%", fraction * 100)
  }

  /// A significance or confidence level as a percentage with as few decimals as it needs, up
  /// to 2: `0.05` -> `5%`, `0.008` -> `0.8%`, `0.992` -> `99.2%`.
  public static func level(_ fraction: Double) -> String {
    let pct = fraction * 100
    let decimals = (0...2).first { d in abs(pct * pow(10, Double(d)) - (pct * pow(10, Double(d))).rounded()) < 1e-6 } ?? 2
    return percent(fraction, decimals: decimals)
  }

  /// A change of a share in percentage points, signed: `0.0123` -> `+1.23 pt`.
  public static func points(_ change: Double) -> String {
    guard change.isFinite else { return "n/a" }
    return String(format: "%+.2f pt", change * 100)
  }
}

import Foundation

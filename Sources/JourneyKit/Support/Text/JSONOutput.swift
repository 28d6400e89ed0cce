import Foundation

/// JSON the way Journey writes it: sorted keys, pretty, stable across runs.
public enum JSONOutput {
  /// `value` as JSON text with a final newline.
  /// - Throws: `OutputError.nonFiniteValue` naming the field when a number is infinite or NaN.
  public static func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    } catch let EncodingError.invalidValue(bad, context) {
      // JSON has no inf or NaN: name the field instead of a raw EncodingError.
      let field = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }
      throw OutputError.nonFiniteValue(field: String(field), value: "\(bad)")
    }
  }
}

/// Where files derived from an input go.
public enum GeneratedFiles {
  /// `data/a.csv` -> `data/a.truth.json`.
  public static func truthPath(forCSV path: String) -> String {
    let base = path.hasSuffix(".csv") ? String(path.dropLast(4)) : path
    return base + ".truth.json"
  }

  /// `data/a.csv` -> `data/a.control.txt`: the control group's ids, one a line.
  public static func controlPath(forCSV path: String) -> String {
    let base = path.hasSuffix(".csv") ? String(path.dropLast(4)) : path
    return base + ".control.txt"
  }
}

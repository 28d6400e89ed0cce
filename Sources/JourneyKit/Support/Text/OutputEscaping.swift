/// Escaping of user text (file names, scenario and state names, split values, customer ids) for
/// every output format: Markdown here and CSV with a formula guard; HTML escapes in its renderer.
enum OutputEscaping {
  /// Text as Markdown shows it literally: no HTML (`<script>` stays text), no links, code or
  /// emphasis from `[ ] ` * `, no table cell ended by `|`, no row ended by a line break.
  static func markdown(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text.unicodeScalars {
      switch c {
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "&": out += "&amp;"
      case "\\", "`", "*", "[", "]", "|": out += "\\" + String(c)
      case "\n", "\r": out += " "
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  /// A CSV field (RFC 4180 quoting) that a spreadsheet will not run as a formula: text starting
  /// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Numbers (`-12.5`,
  /// `+5%`, `1e-3`) and a lone `-` are left as they are, so numeric columns keep their values.
  static func csvField(_ text: String) -> String {
    var cell = text
    if let first = text.unicodeScalars.first, formulaStarts.unicodeScalars.contains(first), !isNumeric(text) { cell = "'" + text }
    // Read by scalar: "\r\n" is one Character, equal to neither "\r" nor "\n", and an id holding
    // it went out unquoted, breaking its row.
    guard cell.unicodeScalars.contains(where: { quoted.unicodeScalars.contains($0) }) else { return cell }
    return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// First characters a spreadsheet would run as a formula (unless the field is a number).
  private static let formulaStarts = "=+-@\t\r"
  /// Characters anywhere in a field that make it need quotes.
  private static let quoted = ",\"\n\r"

  /// `csvField(text)`'s bytes appended to `out`. Most fields (customer ids) need neither the
  /// guard nor quotes, and their bytes go straight in: building a string and an array for each of
  /// 1.5M ids was a fifth of `score`'s CSV.
  static func appendCSVField(_ text: String, to out: inout [UInt8]) {
    // All of both sets are ASCII, so a byte of one is that character.
    let plain = !(text.utf8.first.map { formulaStarts.utf8.contains($0) } ?? false)
      && !text.utf8.contains(where: { quoted.utf8.contains($0) })
    if plain {
      out.append(contentsOf: text.utf8)
    } else {
      out.append(contentsOf: csvField(text).utf8)
    }
  }

  static func isNumeric(_ text: String) -> Bool {
    if text == "-" { return true }
    let body = text.hasSuffix("%") ? String(text.dropLast()) : text
    // A plain decimal number (sign, digits, one mark, exponent): nothing a formula could hide in;
    // "-5+3" is not one and gets the guard.
    return body.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }) && Double(body) != nil
  }
}

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
    if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isNumeric(text) { cell = "'" + text }
    guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
    return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// `csvField(text)`'s bytes appended to `out`. Most fields (customer ids) need neither the
  /// guard nor quotes, and their bytes go straight in: building a string and an array for each of
  /// 1.5M ids was a fifth of `score`'s CSV.
  static func appendCSVField(_ text: String, to out: inout [UInt8]) {
    var plain = true
    var first = true
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r"): plain = false
      case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: "\t"): if first { plain = false }
      default: break
      }
      if !plain { break }
      first = false
    }
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

import Foundation
@testable import JourneyKit
import Testing

@Suite("Output escaping")
struct OutputEscapingTests {
  @Test(arguments: [
    ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-5+3", "'-5+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\tx", "'\tx"),
    ("-12.5", "-12.5"),
    ("+5%", "+5%"),
    ("1e-3", "1e-3"),
    ("-", "-"),
    ("a, b", "\"a, b\""),
    ("plain", "plain"),
    ("x=1", "x=1"),
    ("a\"b", "\"a\"\"b\""),
    ("two\nlines", "\"two\nlines\""),
    ("a\r\nb", "\"a\r\nb\""),
    ("\rx", "\"'\rx\""),
    ("café-42", "café-42"),
    ("", ""),
  ])
  func csvFieldsCannotBeFormulas(_ input: String, _ expected: String) {
    #expect(OutputEscaping.csvField(input) == expected)
    // The bytes `score` appends for a field are the same field's: plain ids straight in, the
    // rest through `csvField`.
    var bytes: [UInt8] = [1]
    OutputEscaping.appendCSVField(input, to: &bytes)
    #expect(bytes == [1] + Array(expected.utf8))
  }

  @Test func markdownShowsUserTextLiterally() {
    #expect(OutputEscaping.markdown("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
    #expect(OutputEscaping.markdown("a|b") == "a\\|b")
    #expect(OutputEscaping.markdown("[x](javascript:y) `c` *e*") == "\\[x\\](javascript:y) \\`c\\` \\*e\\*")
    #expect(OutputEscaping.markdown("R&D &lt;") == "R&amp;D &amp;lt;")
    #expect(OutputEscaping.markdown("two\nlines") == "two lines")
  }

  @Test func aReportTableKeepsNumbersAndGuardsText() {
    let table = ReportTable(
      name: "t", title: "T <b>", columns: ["name", "value"],
      rows: [[ReportTable.Cell("=1+1"), .number(-3.5) { Format.number($0) }]])
    #expect(table.csv() == "name,value\n'=1+1,-3.5\n")
  }
}

@Suite("JSON output")
struct JSONOutputTests {
  struct Result: Encodable { var revenue: [Double] }

  @Test func aNonFiniteNumberIsNamedNotARawEncodingError() {
    #expect(throws: OutputError.nonFiniteValue(field: "revenue[1]", value: "inf")) {
      _ = try JSONOutput.encode(Result(revenue: [1, .infinity]))
    }
  }

  @Test func aFittedModelRoundTripsThroughItsFile() throws {
    let model = ModelValidationTests.model
    let text = try model.json()
    let loaded = try MarkovModel.load(data: Data(text.utf8), path: "m.json")
    #expect(try loaded.json() == text)
  }
}

/// Which field of a row holds what, resolved from the header.
struct ColumnPlan: Sendable {
  /// Fields per row, as in the header.
  var fieldCount: Int
  var customer: Int
  var date: Int
  var amount: Int
  /// -1 when the amount column is the row's amount (no quantity column).
  var quantity = -1
  /// -1 when there is no event column.
  var event: Int
  /// Kept categorical columns: the header name as given, and its field.
  var attributes: [(name: String, field: Int)]
  /// The header names, trimmed and unquoted.
  var names: [String]
  var delimiter: UInt8
  /// The columns are separated by runs of spaces and tabs (`WhitespaceColumns` rewrote them to tabs).
  var separatedByWhitespace = false

  /// The delimiter as the summary and messages name it.
  var delimiterName: String {
    separatedByWhitespace ? "spaces" : delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
  }
}

/// Reads the header row: delimiter, column names, and the plan for the data rows.
enum CSVHeader {
  /// The delimiter used in a header line: the most frequent of comma, semicolon, tab and pipe outside quotes.
  static func detectDelimiter(_ line: UnsafeBufferPointer<UInt8>) -> UInt8 {
    var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0, 0x7C: 0]
    var inQuotes = false
    for b in line {
      if b == 0x22 { inQuotes.toggle() }
      if !inQuotes, counts[b] != nil { counts[b]! += 1 }
    }
    // Ties go to the comma, then the semicolon, then the tab.
    let order: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]
    return order.max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && order.firstIndex(of: $0)! > order.firstIndex(of: $1)!) }!
  }

  /// The fields of a header line (without its line ending): names and the byte offset where each starts.
  static func fields(_ line: UnsafeBufferPointer<UInt8>, delimiter: UInt8) -> [(name: String, offset: Int)] {
    var result: [(String, Int)] = []
    var i = 0
    while true {
      let start = i
      var bytes: [UInt8] = []
      while i < line.count, line[i] == 0x20 { i += 1 }
      if i < line.count, line[i] == 0x22 {
        i += 1
        while i < line.count {
          if line[i] == 0x22 {
            if i + 1 < line.count, line[i + 1] == 0x22 {
              bytes.append(0x22)
              i += 2
              continue
            }
            i += 1
            break
          }
          bytes.append(line[i])
          i += 1
        }
        while i < line.count, line[i] != delimiter { i += 1 }
      } else {
        while i < line.count, line[i] != delimiter {
          bytes.append(line[i])
          i += 1
        }
      }
      while bytes.last == 0x20 { bytes.removeLast() }
      result.append((String(decoding: bytes, as: UTF8.self), start))
      if i >= line.count { break }
      i += 1  // the delimiter
    }
    return result
  }

  /// Header names people use for each role, normalised (lowercase letters and digits only).
  static let synonyms: [String: [String]] = [
    "customer": [
      "customer", "customerid", "customerno", "customernumber", "client", "clientid", "user", "userid", "memberid",
      "accountid", "custid", "buyerid", "contactid", "id",
    ],
    "date": [
      "date", "day", "orderdate", "transactiondate", "purchasedate", "invoicedate", "timestamp", "createdat",
      "datetime", "time", "txdate",
    ],
    "amount": [
      "amount", "value", "revenue", "total", "price", "sales", "sum", "net", "gross", "ordervalue", "totalamount",
      "spend",
    ],
    "event": ["event", "type", "eventtype", "kind", "transactiontype", "action"],
    "quantity": ["quantity", "qty", "units", "count", "items", "numberofitems"],
  ]

  static func normalized(_ name: String) -> String {
    String(name.lowercased().filter { $0.isLetter || $0.isNumber })
  }

  /// Resolves the needed columns against the header.
  ///
  /// - Parameters:
  ///   - line: the header line without its line ending (and without a byte order mark).
  ///   - columnOf: the character column of a byte offset in the line, for messages.
  /// - Throws: `InputFailure` with every missing or duplicated column.
  static func plan(
    line: UnsafeBufferPointer<UInt8>, options: ReaderOptions, file: String
  ) throws(InputFailure) -> ColumnPlan {
    let delimiter = options.delimiter ?? detectDelimiter(line)
    let header = fields(line, delimiter: delimiter)
    let names = header.map(\.name)
    func column(ofByte offset: Int) -> Int {
      1 + line[0..<offset].filter { $0 & 0xC0 != 0x80 }.count
    }
    var problems: [InputError] = []
    var used: Set<Int> = []

    /// The field of a named column, or nil (with a problem recorded) when it is missing or duplicated.
    func find(_ wanted: String, role: String, flag: String, required: Bool) -> Int? {
      let matches = header.indices.filter { names[$0].lowercased() == wanted.lowercased() }
      if matches.count > 1 {
        problems.append(
          .duplicateColumn(
            SourceLocation(file: file, line: 1, column: column(ofByte: header[matches[1]].offset)), column: wanted,
            fields: matches.map { $0 + 1 }, flag: flag))
        return nil
      }
      if let field = matches.first { return field }
      guard required else { return nil }
      // A missing amount beside a quantity column: the file is likely order lines (quantity x unit price).
      let quantity =
        role == "amount" && options.quantityColumn == nil
        ? names.first { synonyms["quantity"]!.contains(normalized($0)) } : nil
      problems.append(
        .missingColumn(
          SourceLocation(file: file, line: 1, column: 1), column: wanted, header: names,
          suggestion: suggestion(for: wanted, role: role, names: names), flag: flag, quantity: quantity))
      return nil
    }

    let customer = find(options.customerColumn, role: "customer", flag: "customer-column", required: true)
    let date = find(options.dateColumn, role: "date", flag: "date-column", required: true)
    let amount = find(options.amountColumn, role: "amount", flag: "amount-column", required: true)
    let event = find(
      options.eventColumn ?? "event", role: "event", flag: "event-column", required: options.eventColumn != nil)
    let quantity = options.quantityColumn.flatMap { find($0, role: "quantity", flag: "quantity-column", required: true) }
    for field in [customer, date, amount, event, quantity].compactMap({ $0 }) { used.insert(field) }
    var attributes: [(String, Int)] = []
    for name in options.attributeColumns {
      if let field = find(name, role: "", flag: "split-by", required: true) {
        attributes.append((names[field], field))
      }
    }
    if !problems.isEmpty { throw InputFailure(problems: problems) }
    return ColumnPlan(
      fieldCount: header.count, customer: customer!, date: date!, amount: amount!, quantity: quantity ?? -1,
      event: event ?? -1, attributes: attributes, names: names, delimiter: delimiter)
  }

  /// The header name most likely meant for `wanted`: a near spelling, else a usual synonym.
  static func suggestion(for wanted: String, role: String, names: [String]) -> String? {
    if let near = closestMatch(wanted, among: names) { return near }
    let known = synonyms[role] ?? []
    let normalizedWanted = normalized(wanted)
    for name in names where normalized(name) == normalizedWanted { return name }
    for synonym in known {
      if let name = names.first(where: { normalized($0) == synonym }) { return name }
    }
    // A usual name inside a longer one ("dollar_value", "order_total"); short ones like "id" would match too much.
    for synonym in known where synonym.count >= 4 {
      if let name = names.first(where: { normalized($0).contains(synonym) }) { return name }
    }
    return nil
  }
}

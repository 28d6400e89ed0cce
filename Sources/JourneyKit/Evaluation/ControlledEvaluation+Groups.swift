import Foundation

extension RolloutGroup {
  /// Groups from a list of control ids (one a line; blank lines and `#` comments skipped, a
  /// `customer_id` header allowed): listed customers are control, everyone else is treated.
  ///
  /// - Throws: `EvaluationError.unknownControlIDs` when listed ids are not in the data.
  public static func fromControlList(_ text: String, source: String, table: TransactionTable) throws -> [RolloutGroup] {
    var index: [String: Int] = [:]
    index.reserveCapacity(table.customerCount)
    for (c, id) in table.customerIDs.enumerated() { index[id] = c }
    var groups = [RolloutGroup](repeating: .treated, count: table.customerCount)
    var listed = Set<String>()
    var missing: [String] = []
    for line in text.split(whereSeparator: \.isNewline) {
      let id = line.trimmingCharacters(in: .whitespaces)
      guard !id.isEmpty, !id.hasPrefix("#"), id != "customer_id", listed.insert(id).inserted else { continue }
      if let c = index[id] { groups[c] = .control } else { missing.append(id) }
    }
    if !missing.isEmpty {
      throw EvaluationError.unknownControlIDs(file: source, missing: missing.count, listed: listed.count, examples: Array(missing.prefix(3)))
    }
    return groups
  }

  /// Control labels in a group column (compared without case).
  public static let controlLabels = ["control", "holdout", "hold-out", "hold_out"]
  /// Treated labels in a group column (compared without case).
  public static let treatedLabels = ["treated", "treatment", "test", "target"]

  /// Groups from a per-customer column (read from each customer's first row) holding a control
  /// label and a treated label.
  ///
  /// - Throws: `EvaluationError.badGroupColumn` for a missing column or other values.
  public static func fromColumn(_ column: String, table: TransactionTable) throws -> [RolloutGroup] {
    guard let attribute = table.attributes[column] else {
      throw EvaluationError.badGroupColumn(column: column, problem: "not in the data", hint: "give the name of a column holding control or treated per customer")
    }
    let kinds = attribute.levels.map { level -> RolloutGroup? in
      let l = level.trimmingCharacters(in: .whitespaces).lowercased()
      return controlLabels.contains(l) ? .control : treatedLabels.contains(l) ? .treated : nil
    }
    let unknown = zip(attribute.levels, kinds).filter { $0.1 == nil }.map { "'\($0.0)'" }
    guard unknown.isEmpty else {
      throw EvaluationError.badGroupColumn(
        column: column, problem: "unknown group \(unknown.prefix(5).joined(separator: ", "))\(unknown.count > 5 ? " and \(unknown.count - 5) more" : "")",
        hint: "expected \(controlLabels[0]) (or \(controlLabels[1])) and \(treatedLabels[0]) (or \(treatedLabels[1...].joined(separator: ", "))) per customer")
    }
    return attribute.levelOfCustomer.map { kinds[Int($0)]! }
  }
}

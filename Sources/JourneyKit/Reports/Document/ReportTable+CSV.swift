extension ReportTable {
  /// RFC 4180: a header, then one line per row; cells with commas, quotes or line breaks quoted.
  public func csv() -> String {
    let body = csvRows ?? rows.map { $0.map(\.raw) }
    return ([csvColumns] + body).map { $0.map(Self.quoted).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  /// RFC 4180 quoting, and the formula guard for text (`OutputEscaping.csvField`).
  static func quoted(_ cell: String) -> String { OutputEscaping.csvField(cell) }
}

/// The kind of a transaction row.
public enum TransactionEvent: UInt8, Sendable, CaseIterable, Codable {
  case purchase = 0
  case lead = 1
  case refund = 2

  /// The word used in the `event` column.
  public var name: String {
    switch self {
    case .purchase: "purchase"
    case .lead: "lead"
    case .refund: "refund"
    }
  }
}

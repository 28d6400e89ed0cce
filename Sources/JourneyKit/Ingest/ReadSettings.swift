/// How `fit` read its transactions: the column names and format flags it was given (or their
/// defaults), kept in the model file, so that `score` reads the next export of the same data the
/// same way without the flags repeated.
public struct ReadSettings: Codable, Sendable, Equatable {
  public var customerColumn: String
  public var dateColumn: String
  public var amountColumn: String
  public var quantityColumn: String?
  /// Nil: an `event` column is used when present.
  public var eventColumn: String?
  /// The delimiter as given (`;`, `tab`, `space`, ...); nil: detected from the header.
  public var delimiter: String?
  /// The date layout as given (`%d.%m.%Y`, ...); nil: ISO.
  public var dateFormat: String?
  public var decimalComma: Bool
  /// Same-day purchases kept apart instead of merged into one purchase occasion.
  public var keepSameDay: Bool

  public init(
    customerColumn: String, dateColumn: String, amountColumn: String, quantityColumn: String? = nil, eventColumn: String? = nil,
    delimiter: String? = nil, dateFormat: String? = nil, decimalComma: Bool = false, keepSameDay: Bool = false
  ) {
    self.customerColumn = customerColumn
    self.dateColumn = dateColumn
    self.amountColumn = amountColumn
    self.quantityColumn = quantityColumn
    self.eventColumn = eventColumn
    self.delimiter = delimiter
    self.dateFormat = dateFormat
    self.decimalComma = decimalComma
    self.keepSameDay = keepSameDay
  }

  /// The reader's defaults: `customer_id`, `date`, `amount`, ISO dates, a detected delimiter.
  public static let defaults = ReadSettings(customerColumn: "customer_id", dateColumn: "date", amountColumn: "amount")
}

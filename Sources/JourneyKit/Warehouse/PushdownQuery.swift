/// The SQL engines `journey sql` writes for.
public enum SQLEngine: String, Sendable, CaseIterable {
  case postgres
  case duckdb
  case spark
}

/// The query that computes a `journey-summary/1` (see `TransactionSummary`) inside a warehouse.
///
/// The engine does what costs rows: it reads the table, merges each customer's same-day purchases
/// into one occasion (amounts summed) and orders each customer's rows. Windows partitioned by
/// customer give each customer's first day and its split value, so the work spreads over a
/// cluster by customer; only one row per purchase occasion, lead and refund comes back.
///
/// Ingest's rules stay in one place: the query merges only rows that ingest certainly reads as
/// purchases (event empty, missing or `purchase` in any case, amount from 0 to the amount limit,
/// customer and date present) and passes every other row through as it is, so reading the result
/// (`TransactionSummary.read`) applies ingest's checks to it: a refund written as a positive
/// amount is negated, a lead with an amount, an unknown event, a missing value or a date out of
/// range is rejected with its line, ids are trimmed (and purchases of ids that differ only by
/// surrounding spaces merged there).
///
/// Two things the warehouse cannot know are fixed by rule: customers come in order of their first
/// day, then id (by bytes), and a customer's split value is the one on its first row by date,
/// the smallest when several rows share that day (ingest takes the first in file order).
public struct PushdownQuery: Sendable {
  /// The SQL dialect to write.
  public var engine: SQLEngine
  /// The table, optionally qualified (`schema.table`); each part is quoted.
  public var table: String
  /// The customer id column.
  public var customerColumn = "customer_id"
  /// The date column.
  public var dateColumn = "date"
  /// The amount column.
  public var amountColumn = "amount"
  /// A quantity column, for order lines: each row's amount is then quantity x the amount column (a
  /// unit price), multiplied as DECIMAL(38, 6) so that the product is exact, as ingest reads it
  /// (6 x 2.55 is 15.30, not the double 15.299999999999999), then made a double. (DECIMAL(18, 6)
  /// was too narrow: DuckDB keeps the product's 12 decimals in 18 digits, and refused any line
  /// worth a million or more.) Nil: the amount column is the row's amount.
  public var quantityColumn: String? = nil
  /// nil when the table has no event column (every row is a purchase, or a refund when negative).
  public var eventColumn: String? = "event"
  /// The `--split-by` column to carry, if any.
  public var splitBy: String? = nil

  /// A query over `table` in `engine`'s dialect, with the default column names.
  public init(engine: SQLEngine, table: String) {
    self.engine = engine
    self.table = table
  }

  /// The table columns the query reads, for messages about a missing one.
  public var columnNames: [String] {
    [customerColumn, dateColumn, amountColumn] + [quantityColumn, eventColumn, splitBy].compactMap { $0 }
  }

  /// The query text, with a comment saying what it returns.
  ///
  /// - Throws: `PushdownQueryError` for an empty table or column name.
  public func sql() throws(PushdownQueryError) -> String {
    let parts = table.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { throw .emptyName(what: "table", value: table) }
    for (what, name) in [("customer column", customerColumn), ("date column", dateColumn), ("amount column", amountColumn)]
      + [quantityColumn.map { ("quantity column", $0) }, eventColumn.map { ("event column", $0) }, splitBy.map { ("split column", $0) }]
      .compactMap({ $0 })
    where name.isEmpty {
      throw .emptyName(what: what, value: name)
    }
    let from = parts.map(quote).joined(separator: ".")
    let text = textType
    let event = eventColumn.map { "\(cast(quote($0), text))" } ?? "CAST(NULL AS \(text))"
    let split = splitBy.map { "\(cast(quote($0), text))" } ?? "CAST(NULL AS \(text))"
    let double = engine == .postgres ? "DOUBLE PRECISION" : "DOUBLE"
    let amountAsDouble = "CAST(\(quote(amountColumn)) AS \(double))"
    // A lead needs no quantity, as in ingest (its amount is 0 or empty); a NULL product would
    // reach the summary as NULL, which DuckDB's CSV output writes as the text 'NULL'.
    let amount =
      quantityColumn.map {
        "CASE WHEN \(quote($0)) IS NULL AND lower(trim(\(event))) = 'lead' THEN \(amountAsDouble) "
          + "ELSE CAST(CAST(\(quote($0)) AS DECIMAL(38, 6)) * CAST(\(quote(amountColumn)) AS DECIMAL(38, 6)) AS \(double)) END"
      } ?? amountAsDouble
    // Rows ingest certainly reads as purchases: only these are merged.
    let purchase = """
      COALESCE((event IS NULL OR lower(trim(event)) IN ('', 'purchase')) AND amount >= 0 AND amount <= 1e12 \
      AND customer_id IS NOT NULL AND day IS NOT NULL, FALSE)
      """
    let splitOutput = splitBy.map { ",\n  CASE WHEN n = 1 THEN COALESCE(customer_split, '') END AS \(quote($0))" } ?? ""
    let idOrder = engine == .postgres ? "customer_id COLLATE \"C\"" : "customer_id"
    return """
      -- \(TransactionSummary.format): one row per purchase occasion (same-day purchases merged), lead and
      -- refund, grouped by customer. Read it with `journey fit --summary FILE`.
      WITH source AS (
        SELECT
          \(cast(quote(customerColumn), text)) AS customer_id,
          CAST(\(quote(dateColumn)) AS DATE) AS day,
          \(amount) AS amount,
          \(event) AS event,
          \(split) AS split
        FROM \(from)
      ),
      flagged AS (
        SELECT customer_id, day, amount, event, split,
          \(purchase) AS is_purchase
        FROM source
      ),
      occasions AS (
        SELECT customer_id, day, sum(amount) AS amount, 'purchase' AS event, min(split) AS split
        FROM flagged WHERE is_purchase
        GROUP BY customer_id, day
        UNION ALL
        SELECT customer_id, day, amount, event, split
        FROM flagged WHERE NOT is_purchase
      ),
      ranked AS (
        SELECT customer_id, day, amount, event,
          min(day) OVER (PARTITION BY customer_id) AS first_day,
          first_value(split) OVER (
            PARTITION BY customer_id ORDER BY day, split NULLS LAST
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS customer_split,
          row_number() OVER (PARTITION BY customer_id ORDER BY day, event, amount) AS n
        FROM occasions
      )
      SELECT
        customer_id,
        \(dateText("day")) AS \(quote("date")),
        amount,
        event\(splitOutput)
      FROM ranked
      ORDER BY first_day, \(idOrder), n
      """ + (engine == .spark ? "\n" : ";\n")
  }

  /// An identifier, quoted for the engine.
  func quote(_ name: String) -> String {
    switch engine {
    case .postgres, .duckdb: "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    case .spark: "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }
  }

  /// The engine's name for a text column.
  private var textType: String {
    switch engine {
    case .postgres: "TEXT"
    case .duckdb: "VARCHAR"
    case .spark: "STRING"
    }
  }

  private func cast(_ expression: String, _ type: String) -> String { "CAST(\(expression) AS \(type))" }

  /// A DATE as `YYYY-MM-DD`, whatever the session's date style.
  private func dateText(_ column: String) -> String {
    switch engine {
    case .postgres: "to_char(\(column), 'YYYY-MM-DD')"
    case .duckdb: "strftime(\(column), '%Y-%m-%d')"
    case .spark: "date_format(\(column), 'yyyy-MM-dd')"
    }
  }
}

/// A name `journey sql` cannot put in a query.
public enum PushdownQueryError: Error, Sendable, Equatable, CustomStringConvertible {
  case emptyName(what: String, value: String)

  /// The message for the user: what is wrong and what was given.
  public var description: String {
    switch self {
    case let .emptyName(what, value):
      "the \(what) name '\(value)' is empty or has an empty part; expected a name such as transactions or sales.transactions"
    }
  }
}

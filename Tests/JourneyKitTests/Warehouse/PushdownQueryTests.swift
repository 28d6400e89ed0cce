import JourneyKit
import Testing

/// The text of the pushdown query; what it computes is checked on the real engines
/// (`WarehouseEngineTests`).
@Suite("Pushdown query text")
struct PushdownQueryTests {
  @Test(arguments: SQLEngine.allCases)
  func namesAreQuotedSoTheyCannotEndTheIdentifier(engine: SQLEngine) throws {
    var q = PushdownQuery(engine: engine, table: "sales.tx\"`; DROP TABLE x")
    q.customerColumn = "Client \"ID\""
    q.splitBy = "chan`nel"
    let sql = try q.sql()
    switch engine {
    case .postgres, .duckdb:
      #expect(sql.contains("FROM \"sales\".\"tx\"\"`; DROP TABLE x\""))
      #expect(sql.contains("CAST(\"Client \"\"ID\"\"\" AS"))
      #expect(sql.contains("AS \"chan`nel\""))
    case .spark:
      #expect(sql.contains("FROM `sales`.`tx\"``; DROP TABLE x`"))
      #expect(sql.contains("AS `chan``nel`"))
    }
  }

  @Test func eachEngineGetsItsOwnDialect() throws {
    let pg = try PushdownQuery(engine: .postgres, table: "t").sql()
    let duck = try PushdownQuery(engine: .duckdb, table: "t").sql()
    let spark = try PushdownQuery(engine: .spark, table: "t").sql()
    #expect(pg.contains("to_char(day, 'YYYY-MM-DD')") && pg.contains("COLLATE \"C\"") && pg.hasSuffix(";\n"))
    #expect(duck.contains("strftime(day, '%Y-%m-%d')") && !duck.contains("COLLATE"))
    // spark.sql() takes one statement without a terminator.
    #expect(spark.contains("date_format(day, 'yyyy-MM-dd')") && !spark.contains(";"))
    #expect(pg.hasPrefix("-- journey-summary/1"))
  }

  @Test func withoutAnEventColumnEveryRowIsAPurchaseOrRefund() throws {
    var q = PushdownQuery(engine: .postgres, table: "t")
    q.eventColumn = nil
    let sql = try q.sql()
    #expect(sql.contains("CAST(NULL AS TEXT) AS event"))
    #expect(!sql.contains("\"event\""))
  }

  static let emptyNames: [(String, String)] = [
    ("", "the table name '' is empty or has an empty part"),
    ("sales.", "the table name 'sales.' is empty or has an empty part"),
    (".t", "the table name '.t' is empty"),
  ]

  @Test(arguments: emptyNames)
  func emptyNamesAreRefused(table: String, message: String) {
    #expect {
      try PushdownQuery(engine: .postgres, table: table).sql()
    } throws: { "\($0)".hasPrefix(message) }
  }

  @Test func emptyColumnNamesAreRefused() {
    var q = PushdownQuery(engine: .duckdb, table: "t")
    q.amountColumn = ""
    #expect(throws: PushdownQueryError.emptyName(what: "amount column", value: "")) { try q.sql() }
  }
}

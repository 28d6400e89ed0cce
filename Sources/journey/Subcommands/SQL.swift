import ArgumentParser
import JourneyKit

extension JourneyCommand {
  struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sql",
      abstract: "Print the SQL that computes a fit's summary inside PostgreSQL, DuckDB or Spark.",
      discussion: """
        The query reads a transaction table, merges each customer's same-day purchases into \
        one occasion and returns one row per purchase occasion, lead and refund, grouped by \
        customer (the journey-summary/1 format; windows partitioned by customer, so a cluster \
        spreads the work by customer). Its result, saved as CSV with the column names as the \
        header, is what `journey fit --summary FILE` reads; every state space, period length \
        and --states auto fit from it as from the raw rows, so the query does not depend on them.

        The table needs a customer column (any type), a date column (DATE or TIMESTAMP), an \
        amount column (a number; negative amounts are refunds) and, unless --no-event-column, \
        an event column (purchase, lead, refund; empty or NULL is a purchase).

        Example:
          journey sql --engine postgres --table sales.transactions > summary.sql
          psql --csv -f summary.sql -o summary.csv && journey fit --summary summary.csv --states rfm:4 -o model.json
          duckdb shop.db -csv -c "$(journey sql --engine duckdb --table transactions)" > summary.csv
          journey sql --engine spark --table lake.orders --customer-column client --split-by channel
        """
    )

    @Option(help: "The engine whose SQL dialect to write: postgres, duckdb or spark.")
    var engine: SQLEngine

    @Option(help: "The table (or view) of transactions, optionally schema-qualified (schema.table).")
    var table: String

    @Option(help: "Name of the customer id column.")
    var customerColumn = "customer_id"

    @Option(help: "Name of the date column (DATE or TIMESTAMP).")
    var dateColumn = "date"

    @Option(help: "Name of the amount column.")
    var amountColumn = "amount"

    @Option(help: "Name of a quantity column, for order lines: each row's amount is quantity x the amount column (a unit price).")
    var quantityColumn: String?

    @Option(help: "Name of the event column (purchase, lead, refund).")
    var eventColumn = "event"

    @Flag(help: "The table has no event column: every row is a purchase, or a refund when its amount is negative.")
    var noEventColumn = false

    @Option(help: "Also carry this categorical column (the value on each customer's first row), for fit --split-by.")
    var splitBy: String?

    func validate() throws {
      _ = try query()
    }

    func query() throws -> PushdownQuery {
      var q = PushdownQuery(engine: engine, table: table)
      q.customerColumn = customerColumn
      q.dateColumn = dateColumn
      q.amountColumn = amountColumn
      q.quantityColumn = quantityColumn
      q.eventColumn = noEventColumn ? nil : eventColumn
      q.splitBy = splitBy
      do {
        _ = try q.sql()
      } catch {
        throw ValidationError(error.description)
      }
      return q
    }

    func run() throws {
      print(try query().sql(), terminator: "")
    }
  }
}

extension SQLEngine: ExpressibleByArgument {}

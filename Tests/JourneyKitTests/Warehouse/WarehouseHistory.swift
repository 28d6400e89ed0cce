import Foundation
import JourneyKit

/// A generated history with everything ingest has rules for, as a CSV file sorted by date, then
/// customer id, then event and amount (the order the warehouse queries give, so a fit from an
/// engine's summary sees customers in the same order as a fit from this file):
/// leads (converted and not), refunds, a purchase written with a negative amount (a refund),
/// same-day purchases (pairs in cents; triples in quarters, whose sums are exact in any order),
/// one-row customers, an id with a comma and a quote, and a `channel` column for `--split-by`
/// (empty for some customers).
enum WarehouseHistory {
  static let header = "customer_id,date,amount,event,channel"

  /// The history; with `orderLines`, as order lines: a `quantity` column and the amount column a
  /// unit price, quantity x price giving each row's amount back exactly in decimals (cents that
  /// divide by 3 as 3 x a third of them, whose product in doubles is often not the amount: 3 x 0.85
  /// is 2.5499999999999998; other even cents as 2 x half; a negative amount as -1 x its size; a
  /// lead with no quantity).
  static func csv(customers: Int, seed: UInt64, orderLines: Bool = false) throws -> String {
    var g = GeneratorParameters()
    g.customers = customers
    g.seed = seed
    g.months = 36
    let history = try SyntheticHistoryGenerator.generate(g)
    let channels = ["web", "shop", "app", ""]
    var rows: [(id: String, date: String, amount: String, event: String)] = []
    for r in 0..<history.rowCount {
      let c = Int(history.customer[r])
      let date = CalendarDay(dayNumber: history.day[r]).description
      let cents = history.amountCents[r]
      let amount = "\(cents / 100).\(String(format: "%02d", abs(cents % 100)))"
      let id = history.customerID(c)
      let event = history.event[r]
      rows.append((id, date, cents < 0 ? "-" + amount.replacingOccurrences(of: "-", with: "") : amount, event.name))
      guard event == .purchase else { continue }
      if r % 7 == 0 {  // a second purchase the same day, in cents
        rows.append((id, date, "3.10", "purchase"))
      } else if r % 11 == 0 {  // three purchases the same day, in quarters (the first one replaced)
        rows[rows.count - 1].amount = "12.25"
        rows.append((id, date, "0.75", "purchase"))
        rows.append((id, date, "5.5", "purchase"))
      } else if r % 23 == 0 {  // a refund written as a negative purchase
        rows.append((id, date, "-4.2", "purchase"))
      }
    }
    for k in 0..<25 {  // customers with a single row
      rows.append(("ONE-\(k)", CalendarDay(dayNumber: g.start.dayNumber + Int32(40 * k)).description, "19.99", k % 5 == 0 ? "" : "purchase"))
    }
    rows.append(("X,\"1\"", "2024-05-05", "8.80", "purchase"))
    // A line worth over a million (3 x 833,333.33 as order lines): DECIMAL(18, 6) overflowed on it.
    rows.append(("X,\"1\"", "2024-06-05", "2499999.99", "purchase"))
    rows.append(("X,\"1\"", "2024-09-05", "0", "lead"))
    rows.sort { a, b in
      if a.date != b.date { return a.date < b.date }
      if a.id != b.id { return Array(a.id.utf8).lexicographicallyPrecedes(Array(b.id.utf8)) }
      if a.event != b.event { return a.event < b.event }
      return Double(a.amount)! < Double(b.amount)!
    }
    var out = (orderLines ? "customer_id,date,amount,quantity,event,channel" : header) + "\n"
    func decimal(_ cents: Int) -> String { "\(cents / 100).\(String(format: "%02d", cents % 100))" }
    for row in rows {
      let channel = channels[abs(row.id.hashValueStable) % channels.count]
      var amount = row.amount
      if orderLines {
        let cents = Int((Double(row.amount)! * 100).rounded())
        let (price, quantity) =
          row.event == "lead" ? (row.amount, "")
          : cents < 0 ? (decimal(-cents), "-1")
          : cents > 0 && cents % 3 == 0 ? (decimal(cents / 3), "3")
          : cents > 0 && cents % 2 == 0 ? (decimal(cents / 2), "2")
          : (row.amount, "1")
        amount = price + "," + quantity
      }
      out += "\(TransactionSummaryTestSupport.quoted(row.id)),\(row.date),\(amount),\(row.event),\(channel)\n"
    }
    return out
  }
}

enum TransactionSummaryTestSupport {
  static func quoted(_ field: String) -> String {
    field.contains(",") || field.contains("\"") ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
  }
}

extension String {
  /// A hash that does not change between runs (Swift's `hashValue` is seeded per process).
  var hashValueStable: Int { utf8.reduce(5381) { ($0 &* 33) &+ Int($1) } & 0x7FFF_FFFF }
}

/// One transaction held in memory, for building small tables in code (tests, examples).
public struct TransactionRecord: Sendable, Equatable {
  /// The customer id as in the data.
  public var customerID: String
  /// The transaction's day.
  public var day: CalendarDay
  /// The amount (negative for refunds).
  public var amount: Double
  /// Purchase, lead or refund.
  public var event: TransactionEvent
  /// Extra categorical columns (for `--split-by`).
  public var attributes: [String: String]

  /// A transaction; with no event given, a purchase.
  public init(_ customerID: String, _ day: CalendarDay, _ amount: Double, _ event: TransactionEvent = .purchase, attributes: [String: String] = [:]) {
    self.customerID = customerID
    self.day = day
    self.amount = amount
    self.event = event
    self.attributes = attributes
  }
}

extension TransactionTable {
  /// A table from in-memory records: ids interned in order of first appearance, rows sorted by
  /// customer and day, same-day purchases of a customer merged into one occasion unless
  /// `keepSameDay`. The file reader does the same at scale; this is the simple path for code.
  public init(records: [TransactionRecord], keepSameDay: Bool = false) {
    var ids: [String] = []
    var number: [String: Int32] = [:]
    for r in records where number[r.customerID] == nil {
      number[r.customerID] = Int32(ids.count)
      ids.append(r.customerID)
    }
    let order = records.indices.sorted {
      let a = records[$0], b = records[$1]
      let ca = number[a.customerID]!, cb = number[b.customerID]!
      return ca != cb ? ca < cb : (a.day != b.day ? a.day < b.day : $0 < $1)
    }
    var customer: [Int32] = [], day: [Int32] = [], amount: [Double] = [], event: [TransactionEvent] = []
    for k in order {
      let r = records[k]
      let c = number[r.customerID]!
      if !keepSameDay && r.event == .purchase {
        // Rows are sorted, so an earlier purchase of the same customer and day is among the last rows.
        var k = customer.count - 1
        while k >= 0 && customer[k] == c && day[k] == r.day.dayNumber && event[k] != .purchase { k -= 1 }
        if k >= 0 && customer[k] == c && day[k] == r.day.dayNumber {
          amount[k] += r.amount
          continue
        }
      }
      customer.append(c)
      day.append(r.day.dayNumber)
      amount.append(r.amount)
      event.append(r.event)
    }
    var rowStart = [Int](repeating: 0, count: ids.count + 1)
    for c in customer { rowStart[Int(c) + 1] += 1 }
    for i in 0..<ids.count { rowStart[i + 1] += rowStart[i] }
    // Attributes: the value on each customer's first row by date.
    var attributes: [String: CustomerAttribute] = [:]
    let names = Set(records.flatMap { $0.attributes.keys })
    for name in names.sorted() {
      var levels: [String] = []
      var levelIndex: [String: Int32] = [:]
      var ofCustomer = [Int32](repeating: -1, count: ids.count)
      for k in order {
        let c = Int(number[records[k].customerID]!)
        guard ofCustomer[c] < 0, let value = records[k].attributes[name] else { continue }
        if levelIndex[value] == nil {
          levelIndex[value] = Int32(levels.count)
          levels.append(value)
        }
        ofCustomer[c] = levelIndex[value]!
      }
      attributes[name] = CustomerAttribute(levels: levels, levelOfCustomer: ofCustomer.map { max(0, $0) })
    }
    self.init(customerIDs: ids, day: day, amount: amount, event: event, rowStart: rowStart, attributes: attributes)
  }
}

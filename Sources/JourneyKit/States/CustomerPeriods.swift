/// What is known about one customer at the end of one period: the inputs of every state rule.
public struct PeriodFeatures: Sendable {
  /// Absolute period number (see `PeriodKind.index(of:)`).
  public var period: Int = 0
  /// Purchase occasions in this period.
  public var occasions: Int32 = 0
  /// Purchases minus refunds in this period.
  public var revenue: Double = 0
  /// Whether a lead event happened in this period.
  public var leadEvent = false
  /// Whether the customer has purchased in this or any earlier period.
  public var everPurchased = false
  /// Whether this is the period of the first purchase.
  public var isFirstPurchasePeriod = false
  /// Periods since the last purchase: 0 when purchasing in this period; for a
  /// customer who never purchased, the periods since entry.
  public var periodsSinceLastPurchase: Int32 = 0
  /// Periods since the customer entered (first lead or purchase): 0 in the entry period.
  public var tenure: Int32 = 0
  /// Periods with a purchase among the last `loyalWindowPeriods` (this one included).
  public var purchasePeriodsInLoyalWindow: Int32 = 0
  /// Purchase occasions in the trailing window (this period included).
  public var trailingOccasions: Int32 = 0
  /// Purchases minus refunds in the trailing window (this period included).
  public var trailingSpend: Double = 0
}

/// Receives every customer-period of a history in order: customer by customer,
/// period by period from the customer's entry to the last period asked for.
protocol CustomerPeriodVisitor {
  mutating func beginCustomer(_ customer: Int)
  mutating func visit(_ features: PeriodFeatures)
  /// Called when the customer has no rows after `last` (the period just visited) and periods
  /// up to `through` remain: a visitor that knows what those quiet periods come to takes them
  /// all at once and returns true; false (the default) has them visited one by one.
  mutating func visitQuietPeriods(after last: PeriodFeatures, through: Int) -> Bool
}

extension CustomerPeriodVisitor {
  mutating func visitQuietPeriods(after last: PeriodFeatures, through: Int) -> Bool { false }
}

/// Walks the customer-periods of a `TransactionTable`.
///
/// A customer enters in the period of their first lead or purchase event and is
/// followed to `lastPeriod`, with a period for every calendar period in between
/// (quiet ones included: silence is what churn is made of). Rows after
/// `lastPeriod` are ignored; refunds before entry count toward nothing.
struct CustomerPeriodWalker {
  let table: TransactionTable
  let period: PeriodKind
  let lastPeriod: Int
  let loyalWindow: Int
  let trailingWindow: Int
  /// Period number of each day, offset by the table's first day (one lookup per row instead of calendar math).
  private let periodOfDay: [Int32]
  private let firstDay: Int32

  init(table: TransactionTable, period: PeriodKind, lastPeriod: Int, rules: LifecycleRules) {
    self.table = table
    self.period = period
    self.lastPeriod = lastPeriod
    self.loyalWindow = min(63, max(1, rules.loyalWindowPeriods))
    self.trailingWindow = max(1, rules.trailingWindowPeriods)
    let range = table.dayRange
    firstDay = range?.lowerBound.dayNumber ?? 0
    let lastDay = range?.upperBound.dayNumber ?? 0
    periodOfDay = range == nil ? [] : (firstDay...lastDay).map { Int32(period.index(of: CalendarDay(dayNumber: $0))) }
  }

  /// Visits customers `customers`, in order.
  func walk<V: CustomerPeriodVisitor, Customers: Sequence<Int>>(_ customers: Customers, _ visitor: inout V) {
    var trailingOccasions = [Int32](repeating: 0, count: trailingWindow)
    var trailingSpend = [Double](repeating: 0, count: trailingWindow)
    let loyalMask: UInt64 = loyalWindow >= 64 ? ~0 : (1 << UInt64(loyalWindow)) - 1
    for c in customers {
      let rows = table.rows(of: c)
      // Entry: the first lead or purchase row.
      var r = rows.lowerBound
      while r < rows.upperBound && table.event[r] == .refund { r += 1 }
      guard r < rows.upperBound else { continue }
      let entry = Int(periodOfDay[Int(table.day[r] - firstDay)])
      guard entry <= lastPeriod else { continue }
      visitor.beginCustomer(c)
      for k in 0..<trailingWindow {
        trailingOccasions[k] = 0
        trailingSpend[k] = 0
      }
      var f = PeriodFeatures()
      var history: UInt64 = 0
      var sumOccasions: Int32 = 0
      var sumSpend = 0.0
      var lastPurchase = Int.min
      var p = entry
      while p <= lastPeriod {
        var occasions: Int32 = 0
        var revenue = 0.0
        var lead = false
        while r < rows.upperBound {
          let rp = Int(periodOfDay[Int(table.day[r] - firstDay)])
          if rp != p { break }
          switch table.event[r] {
          case .purchase:
            occasions += 1
            revenue += table.amount[r]
          case .refund:
            revenue += table.amount[r]
          case .lead:
            lead = true
          }
          r += 1
        }
        let slot = (p - entry) % trailingWindow
        sumOccasions += occasions - trailingOccasions[slot]
        sumSpend += revenue - trailingSpend[slot]
        trailingOccasions[slot] = occasions
        trailingSpend[slot] = revenue
        history = ((history << 1) | (occasions > 0 ? 1 : 0)) & loyalMask

        f.period = p
        f.occasions = occasions
        f.revenue = revenue
        f.leadEvent = lead
        f.isFirstPurchasePeriod = occasions > 0 && !f.everPurchased
        if occasions > 0 {
          f.everPurchased = true
          lastPurchase = p
        }
        f.tenure = Int32(p - entry)
        f.periodsSinceLastPurchase = f.everPurchased ? Int32(p - lastPurchase) : f.tenure
        f.purchasePeriodsInLoyalWindow = Int32(history.nonzeroBitCount)
        f.trailingOccasions = sumOccasions
        // Summing floating refunds and purchases in and out of the window leaves
        // rounding dust; snap it so "no spend" compares equal to zero.
        f.trailingSpend = abs(sumSpend) < 1e-9 ? 0 : sumSpend
        visitor.visit(f)
        p += 1
        // A third of a base's customer-periods can be the quiet ones after a customer's last
        // row: a visitor that knows their state needs no features for them.
        if r == rows.upperBound && p <= lastPeriod && visitor.visitQuietPeriods(after: f, through: lastPeriod) { break }
      }
    }
  }
}

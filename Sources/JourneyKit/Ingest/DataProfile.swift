/// What a planner checks before modelling: how much data, over which dates, how
/// customers buy, and which period length suits them.
///
/// Built from a `TransactionTable` and the reader's `IngestSummary` in one pass over
/// the rows. Transactions are purchase occasions (same-day purchases of a customer
/// count once unless the table was read with `--keep-same-day`).
///
/// ```swift
/// let read = try TransactionReader().read(path: "a.csv")
/// let profile = DataProfile(read, period: .month)
/// profile.suggestion.period     // .month
/// print(profile.text())
/// ```
public struct DataProfile: Codable, Sendable, Equatable {
  /// The profile's JSON format.
  public var format = "journey-data-profile/1"
  /// How the file was read: rows read, merged, rejected.
  public var ingest: IngestSummary
  /// Distinct customer ids (leads included).
  public var customers: Int
  /// Customers with at least one purchase.
  public var buyers: Int
  /// Customers with a lead event.
  public var leads: Int
  /// Leads who never bought.
  public var leadsWithoutPurchase: Int
  /// The first day with a row.
  public var firstDay: CalendarDay
  /// The last day with a row.
  public var lastDay: CalendarDay
  /// Days from the first to the last day, both included.
  public var spanDays: Int
  /// Purchase occasions (rows after same-day merging).
  public var purchaseOccasions: Int
  /// Refund rows.
  public var refundRows: Int
  /// Sum of purchase amounts.
  public var revenue: Double
  /// Sum of refunded amounts, as a positive number.
  public var refunds: Double
  /// The period length of `periods` and `cohorts`.
  public var period: PeriodKind
  /// One row per period from the first day to the last.
  public var periods: [PeriodRow]
  /// Customers by number of purchase occasions.
  public var occasionsPerCustomer: [CountBucket]
  /// Days between consecutive purchase occasions of the same customer; nil without repeat purchases.
  public var interPurchaseDays: Quantiles?
  /// How evenly each customer's purchases are spaced; nil when no customer bought on enough days.
  public var purchaseTiming: PurchaseTiming?
  /// The period length that suits the data, and why.
  public var suggestion: PeriodSuggestion

  /// One period of the history.
  public struct PeriodRow: Codable, Sendable, Equatable {
    /// `2025-03`, `2025-Q1`, `2025-W09`.
    public var label: String
    /// The period's first day.
    public var start: CalendarDay
    /// The period's last day.
    public var end: CalendarDay
    /// True when the data starts after the period's first day or ends before its last.
    public var partial: Bool
    /// Purchase occasions.
    public var transactions: Int
    /// Customers with a purchase in the period.
    public var activeCustomers: Int
    /// Customers whose first purchase falls in the period: the period's cohort.
    public var newCustomers: Int
    /// Of the cohort, how many bought again later (on another day).
    public var cohortRepeatBuyers: Int
    /// Sum of purchase amounts in the period.
    public var revenue: Double
    /// Sum of refunded amounts in the period, as a positive number.
    public var refunds: Double
  }

  /// Customers whose count falls in `lower ... upper` (upper nil: and above).
  public struct CountBucket: Codable, Sendable, Equatable {
    /// As shown: `0`, `6-10`, `21+`.
    public var label: String
    /// The smallest count in the bucket.
    public var lower: Int
    /// The largest count in the bucket (nil: no upper end).
    public var upper: Int?
    /// Customers in the bucket.
    public var customers: Int
  }

  /// Quantiles (nearest rank) of a set of whole numbers.
  public struct Quantiles: Codable, Sendable, Equatable {
    /// How many values.
    public var count: Int
    /// Their mean.
    public var mean: Double
    /// 10th percentile.
    public var p10: Int
    /// 25th percentile.
    public var p25: Int
    /// Median.
    public var median: Int
    /// 75th percentile.
    public var p75: Int
    /// 90th percentile.
    public var p90: Int
  }

  /// The period length that suits the data, and why.
  public struct PeriodSuggestion: Codable, Sendable, Equatable {
    /// The suggested period length.
    public var period: PeriodKind
    /// Why, in words.
    public var reason: String
  }

  /// Profiles a table read by `TransactionReader`.
  ///
  /// - Complexity: O(rows + days in the span).
  public init(_ read: IngestResult, period: PeriodKind = .month) {
    self.init(table: read.table, ingest: read.summary, period: period)
  }

  /// Profiles `table`; `ingest` describes how it was read.
  public init(table: TransactionTable, ingest: IngestSummary, period: PeriodKind = .month) {
    precondition(table.rowCount > 0, "a profile needs at least one row")
    self.ingest = ingest
    self.period = period
    customers = table.customerCount
    let range = table.dayRange!
    firstDay = range.lowerBound
    lastDay = range.upperBound
    spanDays = range.upperBound - range.lowerBound + 1

    let firstPeriod = period.index(of: firstDay)
    let periodCount = period.index(of: lastDay) - firstPeriod + 1
    // Period of each day of the span, so rows need no calendar arithmetic.
    let dayBase = Int(firstDay.dayNumber)
    let periodOfDay = (0..<spanDays).map { period.index(of: CalendarDay(dayNumber: Int32(dayBase + $0))) - firstPeriod }

    var transactions = [Int](repeating: 0, count: periodCount)
    var active = [Int](repeating: 0, count: periodCount)
    var newCustomers = [Int](repeating: 0, count: periodCount)
    var repeatBuyers = [Int](repeating: 0, count: periodCount)
    var revenueByPeriod = [Double](repeating: 0, count: periodCount)
    var refundsByPeriod = [Double](repeating: 0, count: periodCount)
    var gapCounts = [Int](repeating: 0, count: spanDays)
    var occasionCounts: [Int: Int] = [:]
    var buyers = 0, leads = 0, leadsWithoutPurchase = 0, occasions = 0, refundRows = 0
    var timing = PurchaseTiming.Tally(), purchaseDays: [Int32] = []
    var revenue = 0.0, refunds = 0.0

    for c in 0..<table.customerCount {
      var lastActivePeriod = -1
      var lastPurchaseDay = -1
      var firstPurchasePeriod = -1
      var customerOccasions = 0
      var isLead = false
      purchaseDays.removeAll(keepingCapacity: true)
      for r in table.rows(of: c) {
        let d = Int(table.day[r]) - dayBase
        let p = periodOfDay[d]
        switch table.event[r] {
        case .purchase:
          transactions[p] += 1
          occasions += 1
          revenue += table.amount[r]
          revenueByPeriod[p] += table.amount[r]
          if p != lastActivePeriod {
            active[p] += 1
            lastActivePeriod = p
          }
          if firstPurchasePeriod < 0 {
            firstPurchasePeriod = p
            newCustomers[p] += 1
          }
          if d != lastPurchaseDay {
            if lastPurchaseDay >= 0 { gapCounts[d - lastPurchaseDay] += 1 }
            customerOccasions += 1
            lastPurchaseDay = d
            purchaseDays.append(table.day[r])
          }
        case .refund:
          refundRows += 1
          refunds -= table.amount[r]
          refundsByPeriod[p] -= table.amount[r]
        case .lead:
          isLead = true
        }
      }
      if customerOccasions > 0 { buyers += 1 }
      if customerOccasions > 1 { repeatBuyers[firstPurchasePeriod] += 1 }
      if isLead {
        leads += 1
        if customerOccasions == 0 { leadsWithoutPurchase += 1 }
      }
      occasionCounts[customerOccasions, default: 0] += 1
      timing.add(purchaseDays)
    }
    purchaseTiming = timing.timing
    self.buyers = buyers
    self.leads = leads
    self.leadsWithoutPurchase = leadsWithoutPurchase
    self.purchaseOccasions = occasions
    self.refundRows = refundRows
    self.revenue = revenue
    self.refunds = refunds

    periods = (0..<periodCount).map { k in
      let index = firstPeriod + k
      let start = period.start(of: index)
      let end = period.end(of: index)
      return PeriodRow(
        label: period.label(of: index), start: start, end: end,
        partial: start < range.lowerBound || end > range.upperBound, transactions: transactions[k],
        activeCustomers: active[k], newCustomers: newCustomers[k], cohortRepeatBuyers: repeatBuyers[k],
        revenue: revenueByPeriod[k], refunds: refundsByPeriod[k])
    }

    let bounds: [(Int, Int?)] = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, nil)]
    occasionsPerCustomer = bounds.map { lower, upper in
      let count = occasionCounts.filter { $0.key >= lower && (upper == nil || $0.key <= upper!) }.values.reduce(0, +)
      let label = upper == lower ? "\(lower)" : upper.map { "\(lower)-\($0)" } ?? "\(lower)+"
      return CountBucket(label: label, lower: lower, upper: upper, customers: count)
    }

    interPurchaseDays = DataProfile.quantiles(ofCounts: gapCounts)
    suggestion = DataProfile.suggest(gaps: interPurchaseDays, spanDays: spanDays, firstDay: firstDay, lastDay: lastDay)
  }

  /// Nearest-rank quantiles of values given as counts per value.
  static func quantiles(ofCounts counts: [Int]) -> Quantiles? {
    let total = counts.reduce(0, +)
    guard total > 0 else { return nil }
    func quantile(_ q: Double) -> Int {
      let rank = max(1, Int((q * Double(total)).rounded(.up)))
      var seen = 0
      for (value, count) in counts.enumerated() {
        seen += count
        if seen >= rank { return value }
      }
      return counts.count - 1
    }
    let sum = counts.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) }
    return Quantiles(
      count: total, mean: sum / Double(total), p10: quantile(0.1), p25: quantile(0.25), median: quantile(0.5),
      p75: quantile(0.75), p90: quantile(0.9))
  }

  /// The period to model with: about as long as the typical time between purchases, so
  /// that a customer's state changes at most once or twice per step, and short enough
  /// that the span holds a dozen transitions or more.
  static func suggest(gaps: Quantiles?, spanDays: Int, firstDay: CalendarDay, lastDay: CalendarDay) -> PeriodSuggestion {
    func transitions(_ kind: PeriodKind) -> Int { kind.index(of: lastDay) - kind.index(of: firstDay) }
    guard let gaps else {
      let kind: PeriodKind = transitions(.month) >= 12 ? .month : .week
      return PeriodSuggestion(
        period: kind,
        reason: "no customer bought on two different days, so there is no purchase rhythm to follow; \(kind.rawValue) is a default with \(transitions(kind)) transitions in the data")
    }
    var kind: PeriodKind = gaps.median <= 14 ? .week : gaps.median <= 60 ? .month : .quarter
    let rhythm = "the median time between purchases is \(gaps.median) day\(gaps.median == 1 ? "" : "s")"
    var reason = "\(rhythm), closest to a \(kind.rawValue)"
    while kind != .week && transitions(kind) < 12 {
      let shorter: PeriodKind = kind == .quarter ? .month : .week
      reason = "\(rhythm), but \(transitions(kind)) \(kind.rawValue)ly transitions are too few to fit a chain; a \(shorter.rawValue) is the longest step with enough"
      kind = shorter
    }
    reason += "; the data holds \(transitions(kind)) \(kind.rawValue)ly transitions"
    return PeriodSuggestion(period: kind, reason: reason)
  }
}

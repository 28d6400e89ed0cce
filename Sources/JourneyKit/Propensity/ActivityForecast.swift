import Foundation

/// The customers who have bought, forecast one by one with the activity model, period by period:
/// the part of a forecast where customers' own histories say more than their segment.
///
/// Leads and customers acquired later have no purchases to read; they stay with the chain.
public struct ActivityForecast: Sendable {
  /// Per period: expected purchase occasions, revenue and buying customers of the customers with
  /// a purchase at the origin.
  public var purchases: [Double]
  public var revenue: [Double]
  public var buying: [Double]
  /// Per customer: expected purchases and revenue over all the periods (0 without history).
  public var customerPurchases: [Double]
  public var customerRevenue: [Double]
  /// Per customer: chance of being active at the origin.
  public var activeProbability: [Double]
  public var hasHistory: [Bool]
  public var model: ActivityModel

  /// - Parameters:
  ///   - origin: the last period of history; the forecast covers the `steps` periods after it.
  ///   - seasonal: per step, multipliers of purchases and revenue (a seasonal chain's), if any.
  public init(
    _ histories: PurchaseHistories, model: ActivityModel, period: PeriodKind, origin: Int, steps: Int,
    seasonal: ((Int) -> (occasions: Double, revenue: Double))? = nil
  ) {
    let next = Double(histories.through.dayNumber) + 1
    let intervals = (1...steps).map { h in
      (from: Double(period.start(of: origin + h).dayNumber) - next, to: Double(period.end(of: origin + h).dayNumber) + 1 - next)
    }
    let outlook = model.outlook(histories, intervals: intervals)
    purchases = Array(repeating: 0, count: steps)
    revenue = purchases
    buying = purchases
    let n = histories.customerCount
    customerPurchases = Array(repeating: 0, count: n)
    customerRevenue = customerPurchases
    let multipliers: [(occasions: Double, revenue: Double)] = (0..<steps).map { seasonal?($0) ?? (1, 1) }
    for c in 0..<n where outlook.hasHistory[c] {
      for h in 0..<steps {
        let p = outlook.purchases[c][h] * multipliers[h].occasions
        let r = outlook.purchases[c][h] * outlook.spendPerPurchase[c] * multipliers[h].revenue
        purchases[h] += p
        revenue[h] += r
        buying[h] += min(1, outlook.buying[c][h] * multipliers[h].occasions)
        customerPurchases[c] += p
        customerRevenue[c] += r
      }
    }
    activeProbability = outlook.activeProbability
    hasHistory = outlook.hasHistory
    self.model = model
  }
}

extension ActivityModel {
  /// The model's relative error per period on the customers it forecasts, measured out of sample:
  /// fitted on the history up to `origin - v` and scored on the `v` periods after, `v` = the
  /// forecast's steps, at most a third of the history (at least 1 period). Root mean square over
  /// those periods of predicted / actual - 1; 0.1 when the history is too short to tell.
  public static func outOfSampleError(_ table: TransactionTable, period: PeriodKind, origin: Int, firstPeriod: Int, steps: Int) -> Double {
    let available = origin - firstPeriod + 1
    let v = min(steps, available / 3)
    guard v >= 1 else { return 0.1 }
    let inner = origin - v
    let histories = PurchaseHistories(table, through: period.end(of: inner))
    guard let model = ActivityModel.fit(histories) else { return 0.1 }
    let forecast = ActivityForecast(histories, model: model, period: period, origin: inner, steps: v)
    var actual = [Double](repeating: 0, count: v)
    let start = period.start(of: inner + 1).dayNumber, end = period.end(of: origin).dayNumber
    for c in 0..<table.customerCount where forecast.hasHistory[c] {
      var lastDay: Int32 = .min
      for r in table.rows(of: c) where table.event[r] == .purchase && table.day[r] >= start && table.day[r] <= end && table.day[r] != lastDay {
        lastDay = table.day[r]
        actual[period.index(of: CalendarDay(dayNumber: table.day[r])) - inner - 1] += 1
      }
    }
    let errors = (0..<v).filter { actual[$0] > 0 }.map { forecast.purchases[$0] / actual[$0] - 1 }
    guard !errors.isEmpty else { return 0.1 }
    return (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot()
  }
}

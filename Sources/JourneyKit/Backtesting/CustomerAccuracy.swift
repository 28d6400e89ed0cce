import Foundation

/// How well per-customer predictions match what each customer did in the holdout.
public struct CustomerAccuracy: Codable, Sendable {
  /// Error measures of one predictor over the same customers.
  public struct Errors: Codable, Sendable {
    /// Mean absolute error per customer.
    public var mae: Double
    /// Root mean squared error per customer.
    public var rmse: Double
    /// Pearson correlation of predicted and actual; nil when either does not vary (all-zero).
    public var correlation: Double?
  }

  /// Customers with the same number of repeat purchases in calibration: where a chain that
  /// ignores frequency shows, as too little for heavy buyers and too much for one-time buyers.
  public struct Group: Codable, Sendable {
    /// "0", "1", ..., "6", "7+".
    public var repeats: String
    /// Customers in the group.
    public var customers: Int
    /// Mean holdout purchase occasions per customer, as observed.
    public var actualMean: Double
    /// Mean holdout purchase occasions per customer, as predicted.
    public var predictedMean: Double
    /// The state's prediction alone (without the customer's own history), for comparison.
    public var stateOnlyMean: Double
    /// The per-customer run-rate baseline's mean, for comparison.
    public var runRateMean: Double
    /// Mean absolute error per customer of the prediction.
    public var mae: Double
  }

  /// Predicted chance of being churned at the end of the holdout against what happened.
  public struct ChurnCalibration: Codable, Sendable {
    /// Customers whose predicted probability falls in `low ..< high`.
    public struct Bin: Codable, Sendable {
      /// Lower edge of the bin's predicted probability.
      public var low: Double
      /// Upper edge of the bin's predicted probability.
      public var high: Double
      /// Customers in the bin.
      public var customers: Int
      /// The bin's mean predicted probability of being churned.
      public var predictedMean: Double
      /// The share of the bin's customers who were churned at the end of the holdout.
      public var observedRate: Double
    }
    /// Customers not churned at the calibration end.
    public var customers: Int
    /// The share of these customers churned at the end of the holdout.
    public var observedRate: Double
    /// Mean squared difference between predicted probability and outcome (0 or 1).
    public var brier: Double
    /// The Brier score of predicting the observed rate for everyone (the no-skill reference).
    public var referenceBrier: Double
    /// 1 - brier / referenceBrier: above 0 is better than knowing only the rate.
    public var skill: Double?
    /// Ten equal-width bins of predicted probability; empty bins are left out.
    public var bins: [Bin]
  }

  /// Customers with at least one purchase in calibration who were in the base at its end.
  public var customers: Int
  /// Customers in the base at the calibration end who had not purchased yet (leads), left out.
  public var leadsLeftOut: Int
  /// Mean absolute error of predicted holdout purchase occasions per customer.
  public var mae: Double
  /// Root mean squared error of predicted holdout purchase occasions per customer.
  public var rmse: Double
  /// Pearson correlation of predicted and actual occasions; nil when either does not vary.
  public var correlation: Double?
  /// The same measures for the state's prediction alone, without each customer's own history.
  public var stateOnly: Errors
  /// Whether predictions come from each customer's own history: the activity model in a backtest,
  /// `OwnHistoryWeights` in the state-space choice.
  public var ownHistory: Bool
  /// Holdout purchase occasions of these customers, actual and predicted (acquisitions excluded).
  public var actualTotal: Double
  /// Predicted holdout purchase occasions of these customers.
  public var predictedTotal: Double
  /// The same for revenue.
  public var actualRevenue: Double
  /// Predicted holdout revenue of these customers.
  public var predictedRevenue: Double
  /// Error measures of predicted holdout revenue per customer.
  public var revenueErrors: Errors
  /// The errors by number of repeat purchases in calibration (`0` ... `7+`).
  public var byCalibrationRepeats: [Group]
  /// Predicted chance of being churned at the holdout's end against what happened.
  public var churn: ChurnCalibration
}

/// Per-customer baselines beside the model.
public struct CustomerBaselines: Codable, Sendable {
  /// Predict no purchases for anyone.
  public var allZero: CustomerAccuracy.Errors
  /// Predict no revenue for anyone (its RMSE is the root mean square of holdout revenue).
  public var allZeroRevenue: CustomerAccuracy.Errors
  /// Each customer's own rate over the last `periods` calibration periods, times the holdout length.
  public var runRate: CustomerAccuracy.Errors
  /// The calibration periods the run-rate averages.
  public var periods: Int
}

/// What each customer did before and in the holdout, from the raw rows.
struct CustomerHistory {
  var calibrationOccasions: [Int32]
  var recentOccasions: [Int32]
  var holdoutOccasions: [Int32]
  var holdoutRevenue: [Double]

  /// - Parameters: `calibrationEnd` is the last day of the last calibration period; recent is the
  ///   `recentFrom...calibrationEnd` span; the holdout is `holdout` (days, inclusive).
  init(_ table: TransactionTable, calibrationEnd: CalendarDay, recentFrom: CalendarDay, holdout: ClosedRange<CalendarDay>) {
    let n = table.customerCount
    calibrationOccasions = [Int32](repeating: 0, count: n)
    recentOccasions = [Int32](repeating: 0, count: n)
    holdoutOccasions = [Int32](repeating: 0, count: n)
    holdoutRevenue = [Double](repeating: 0, count: n)
    let end = calibrationEnd.dayNumber, recent = recentFrom.dayNumber
    let lo = holdout.lowerBound.dayNumber, hi = holdout.upperBound.dayNumber
    for c in 0..<n {
      for r in table.rows(of: c) {
        let d = table.day[r]
        let event = table.event[r]
        if d <= end {
          if event == .purchase {
            calibrationOccasions[c] += 1
            if d >= recent { recentOccasions[c] += 1 }
          }
        } else if d >= lo && d <= hi {
          if event == .purchase { holdoutOccasions[c] += 1 }
          if event != .lead { holdoutRevenue[c] += table.amount[r] }
        }
      }
    }
  }
}

extension CustomerAccuracy {
  /// - Parameters:
  ///   - startState / endState: per customer, the state at the calibration end and at the
  ///     holdout end (-1 when not in the base then), in `space`.
  static func measure(
    history h: CustomerHistory, startState: [Int32], endState: [Int32], space: StateSpace, outlook: HorizonOutlook,
    weights: OwnHistoryWeights? = nil, individual: (purchases: [Double], revenue: [Double])? = nil,
    individualChurn: [Double]? = nil, holdoutPeriods: Int, runRatePeriods: Int
  ) -> (CustomerAccuracy, CustomerBaselines) {
    var actual: [Double] = [], predicted: [Double] = [], stateOnly: [Double] = [], runRate: [Double] = []
    var actualRevenue: [Double] = [], predictedRevenue: [Double] = []
    var repeats: [Int] = []
    var churnPredicted: [Double] = [], churnObserved: [Double] = []
    var leads = 0
    let scale = Double(holdoutPeriods) / Double(runRatePeriods)
    // Read once per state, not per customer (a state's definition carries strings to copy).
    let stages = space.states.map(\.stage)
    for c in startState.indices where startState[c] >= 0 {
      let state = Int(startState[c])
      guard h.calibrationOccasions[c] > 0 else {
        leads += 1
        continue
      }
      actual.append(Double(h.holdoutOccasions[c]))
      stateOnly.append(outlook.occasions[state])
      predicted.append(individual?.purchases[c] ?? outlook.occasions[state] * (weights?.purchases[c] ?? 1))
      runRate.append(Double(h.recentOccasions[c]) * scale)
      actualRevenue.append(h.holdoutRevenue[c])
      predictedRevenue.append(individual?.revenue[c] ?? outlook.revenue[state] * (weights?.revenue[c] ?? 1))
      repeats.append(Int(h.calibrationOccasions[c]) - 1)
      if stages[state] != .churned {
        churnPredicted.append(individualChurn?[c] ?? outlook.churnedAtEnd[state])
        let end = endState[c]
        churnObserved.append(end >= 0 && stages[Int(end)] == .churned ? 1 : 0)
      }
    }
    let groups = (0...7).compactMap { k -> Group? in
      let members = repeats.indices.filter { k < 7 ? repeats[$0] == k : repeats[$0] >= 7 }
      guard !members.isEmpty else { return nil }
      let n = Double(members.count)
      return Group(
        repeats: k < 7 ? "\(k)" : "7+", customers: members.count,
        actualMean: members.reduce(0) { $0 + actual[$1] } / n, predictedMean: members.reduce(0) { $0 + predicted[$1] } / n,
        stateOnlyMean: members.reduce(0) { $0 + stateOnly[$1] } / n, runRateMean: members.reduce(0) { $0 + runRate[$1] } / n,
        mae: members.reduce(0) { $0 + abs(actual[$1] - predicted[$1]) } / n)
    }
    let model = errors(predicted, actual)
    let accuracy = CustomerAccuracy(
      customers: actual.count, leadsLeftOut: leads, mae: model.mae, rmse: model.rmse, correlation: model.correlation,
      stateOnly: errors(stateOnly, actual), ownHistory: weights != nil || individual != nil,
      actualTotal: actual.reduce(0, +), predictedTotal: predicted.reduce(0, +),
      actualRevenue: actualRevenue.reduce(0, +), predictedRevenue: predictedRevenue.reduce(0, +),
      revenueErrors: errors(predictedRevenue, actualRevenue), byCalibrationRepeats: groups,
      churn: calibration(churnPredicted, churnObserved))
    let baselines = CustomerBaselines(
      allZero: errors([Double](repeating: 0, count: actual.count), actual),
      allZeroRevenue: errors([Double](repeating: 0, count: actualRevenue.count), actualRevenue), runRate: errors(runRate, actual), periods: runRatePeriods)
    return (accuracy, baselines)
  }

  static func errors(_ predicted: [Double], _ actual: [Double]) -> Errors {
    let n = Double(max(1, actual.count))
    var absolute = 0.0, squared = 0.0
    for (p, a) in zip(predicted, actual) {
      absolute += abs(p - a)
      squared += (p - a) * (p - a)
    }
    return Errors(mae: absolute / n, rmse: (squared / n).squareRoot(), correlation: pearson(predicted, actual))
  }

  /// Pearson correlation; nil when either side has no variance.
  static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
    let n = Double(x.count)
    guard x.count >= 2 else { return nil }
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (a, b) in zip(x, y) {
      sxy += (a - mx) * (b - my)
      sxx += (a - mx) * (a - mx)
      syy += (b - my) * (b - my)
    }
    guard sxx > 0 && syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
  }

  static func calibration(_ predicted: [Double], _ observed: [Double]) -> ChurnCalibration {
    let n = Double(max(1, predicted.count))
    let rate = observed.reduce(0, +) / n
    var brier = 0.0, reference = 0.0
    for (p, y) in zip(predicted, observed) {
      brier += (p - y) * (p - y)
      reference += (rate - y) * (rate - y)
    }
    var sums = [(n: Int, p: Double, y: Double)](repeating: (0, 0, 0), count: 10)
    for (p, y) in zip(predicted, observed) {
      let b = min(9, max(0, Int(p * 10)))
      sums[b].n += 1
      sums[b].p += p
      sums[b].y += y
    }
    let bins = sums.indices.filter { sums[$0].n > 0 }.map { b in
      ChurnCalibration.Bin(
        low: Double(b) / 10, high: Double(b + 1) / 10, customers: sums[b].n,
        predictedMean: sums[b].p / Double(sums[b].n), observedRate: sums[b].y / Double(sums[b].n))
    }
    return ChurnCalibration(
      customers: predicted.count, observedRate: rate, brier: brier / n, referenceBrier: reference / n,
      skill: reference > 0 ? 1 - brier / reference : nil, bins: bins)
  }
}

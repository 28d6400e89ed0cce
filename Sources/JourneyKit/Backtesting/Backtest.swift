import Foundation

/// Everything `journey backtest` is asked for.
public struct BacktestOptions: Sendable {
  /// The last day the model may see; calibration ends with the last complete period on or before it.
  public var calibrationEnd: CalendarDay
  /// Periods after the calibration to predict (default: every complete period the data has).
  public var holdoutPeriods: Int? = nil
  /// How the model is fitted (its `asOf` is replaced by the calibration end).
  public var fit = FitOptions()
  /// Choose the state space first by rolling-origin validation inside the calibration window.
  public var selection: StateSpaceSelection.Options? = nil
  /// Also measure per-customer predictions and churn calibration.
  public var perCustomer = false
  /// Forecast customers with a purchase one by one with the activity model (`ActivityModel`):
  /// their own purchase rate, dormancy and return. Off: every customer gets its state's future.
  public var ownHistory = true
  /// Periods the run-rate baselines average (default: the holdout length).
  public var baselinePeriods: Int? = nil
  /// Monte Carlo replicates for the per-period ranges (0 for expected values only).
  public var replicates = MonteCarloDefaults.backtestReplicates
  /// Seed of the Monte Carlo replicates: the same seed gives the same ranges.
  public var seed: UInt64 = MonteCarloDefaults.seed

  /// Options with every default and the calibration end given.
  public init(calibrationEnd: CalendarDay) { self.calibrationEnd = calibrationEnd }
}

/// Why a backtest cannot be run as asked.
public enum BacktestError: Error, Equatable, CustomStringConvertible {
  case noHoldout(calibrationEnd: CalendarDay, lastCompletePeriod: String, dataEnd: CalendarDay)
  case calibrationTooShort(calibrationEnd: CalendarDay, periods: Int, period: PeriodKind, start: CalendarDay)
  case holdoutTooLong(asked: Int, available: Int, period: PeriodKind)
  /// `--holdout-periods` without a calibration end, more than the data's complete periods less
  /// the two a fit needs.
  case holdoutLeavesTooFew(asked: Int, completePeriods: Int, period: PeriodKind)
  /// `--origins` reaching back past the point where a calibration keeps two complete periods:
  /// `possible` ends fit, from `earliestCalibrationEnd` to `latestCalibrationEnd`.
  case tooManyOrigins(asked: Int, possible: Int, period: PeriodKind, earliestCalibrationEnd: CalendarDay, latestCalibrationEnd: CalendarDay)
  case invalidOption(flag: String, value: String, expected: String)

  /// The message for the user: what is wrong and what to try.
  public var description: String {
    switch self {
    case let .noHoldout(end, last, _):
      "--calibration-end \(end) leaves no complete period to predict: the data's last complete period is \(last)\n  hint: choose an earlier calibration end, e.g. 6 or 12 periods before the end of the data"
    case let .calibrationTooShort(end, periods, period, start):
      "--calibration-end \(end) leaves \(max(0, periods)) complete \(period.rawValue)(s) to fit on: the window starts \(start)\n  hint: choose a calibration end at least 2 complete \(period.rawValue)s after it (at least 2 are needed to see a transition), or a shorter --period"
    case let .holdoutTooLong(asked, available, period):
      "--holdout-periods \(asked): the data has only \(available) complete \(period.rawValue)s after the calibration end\n  hint: use --holdout-periods \(available) or less, or an earlier --calibration-end"
    case let .holdoutLeavesTooFew(asked, complete, period):
      "--holdout-periods \(asked): the data has \(complete) complete \(period.rawValue)(s), and holding out \(asked) leaves \(max(0, complete - asked)) to fit on (at least 2 are needed to see a transition)\n  hint: " + (complete >= 3 ? "use --holdout-periods \(complete - 2) or less, or a shorter --period" : "use a shorter --period")
    case let .tooManyOrigins(asked, possible, period, earliest, latest):
      "--origins \(asked): one \(period.rawValue) apart back from \(latest), \(possible) calibration end(s) keep at least 2 complete \(period.rawValue)s to fit on, the earliest \(earliest)\n  hint: use --origins \(possible) or less, or a later --calibration-end"
    case let .invalidOption(flag, value, expected):
      "\(flag): '\(value)' is not valid; expected \(expected)"
    }
  }
}

/// A model fitted on the data up to a calibration end, set against what happened after it.
///
/// The aggregate forecast runs from the actual base at the calibration end and lets the customers
/// who were actually acquired in each holdout period enter as new (as `evaluate` does), so it
/// judges how the model moves customers, not how well anyone guessed acquisition. The same
/// forecast with the model's own acquisition assumption (the calibration mean) is reported
/// beside it, as a planner would have made it.
public struct Backtest: Encodable, Sendable {
  /// The KPIs a backtest scores: the keys of `Measures` and of the accuracy tables.
  public enum Measure: String, Codable, Sendable, CaseIterable {
    /// Purchase occasions.
    case transactions
    /// Revenue, in the data's currency.
    case revenue
    /// Customers active (with a purchase) in the period.
    case active
    /// Customers who churned in the period.
    case churned
  }

  /// One KPI set. In totals, `active` is the mean per period and the rest are sums.
  public struct Measures: Codable, Sendable, Equatable {
    /// Purchase occasions.
    public var transactions: Double
    /// Revenue, in the data's currency.
    public var revenue: Double
    /// Customers active (with a purchase) in the period.
    public var active: Double
    /// Customers who churned in the period.
    public var churned: Double

    /// The value of one KPI.
    public subscript(_ measure: Measure) -> Double {
      get {
        switch measure {
        case .transactions: transactions
        case .revenue: revenue
        case .active: active
        case .churned: churned
        }
      }
      set {
        switch measure {
        case .transactions: transactions = newValue
        case .revenue: revenue = newValue
        case .active: active = newValue
        case .churned: churned = newValue
        }
      }
    }
  }

  /// One holdout period: what happened against what the model predicted.
  public struct PeriodRow: Codable, Sendable {
    /// The first day of the period.
    public var start: CalendarDay
    /// The period as written in reports (`2025-07`).
    public var label: String
    /// What the data shows.
    public var actual: Measures
    /// The expected values of the model's forecast.
    public var predicted: Measures
    /// The P5 of the prediction: its parameter and process noise (Monte Carlo, or normal for the
    /// activity model's sums) with the model's own error measured out of sample.
    public var predictedLow: Measures?
    /// The P95 of the prediction (see `predictedLow`).
    public var predictedHigh: Measures?
    /// Customers actually acquired in the period and fed to the forecast.
    public var acquired: Double
  }

  /// The holdout summed over its periods.
  public struct Totals: Codable, Sendable {
    /// What the data shows.
    public var actual: Measures
    /// The model's forecast, with the actual acquisitions fed in.
    public var predicted: Measures
    /// The forecast with the model's own acquisition assumption instead of the actual acquisitions.
    public var predictedAssumedAcquisition: Measures
  }

  /// Accuracy of one KPI over the holdout periods.
  public struct KPIAccuracy: Codable, Sendable {
    /// The KPI.
    public var kpi: Measure
    /// predicted total / actual total - 1 (for active, of the means).
    public var totalError: Double?
    /// Mean over periods of |predicted - actual| / actual (periods with actual 0 left out).
    public var mape: Double?
    /// Mean over periods of predicted - actual, in the KPI's unit.
    public var bias: Double
  }

  /// The periods after the calibration end that the model predicts.
  public struct Holdout: Codable, Sendable {
    /// Actual against predicted, one row per holdout period.
    public var periods: [PeriodRow]
    /// Actual against predicted over the whole holdout.
    public var totals: Totals
    /// Accuracy per KPI.
    public var accuracy: [KPIAccuracy]
    /// Per-customer accuracy and churn calibration (with `perCustomer`).
    public var perCustomer: CustomerAccuracy?
    /// How many periods' actual values fell inside the predicted P5-P95 range, per KPI (nil
    /// without ranges, `replicates` 0).
    public var insideRange: RangeCoverage?
  }

  /// Per KPI, the holdout periods whose actual value lies inside the predicted P5-P95 range
  /// (ends included): a 90% range that means what it says holds about 9 in 10.
  public struct RangeCoverage: Codable, Sendable, Equatable {
    /// The periods with a range.
    public var periods: Int
    /// Periods inside, per KPI.
    public var transactions: Int
    /// (see `transactions`)
    public var revenue: Int
    /// (see `transactions`)
    public var active: Int
    /// (see `transactions`)
    public var churned: Int
    /// The ranges' mean half-width as a share of the forecast, per KPI, over the periods with a
    /// range and a forecast above nothing (0 when none): how wide they are beside how often they
    /// hold. A range that holds every value by spanning nothing to three times the forecast
    /// (CDNOW fitted on 3-5 months, its error measured on one) says little.
    public var halfWidth: Measures?

    /// The counts as given.
    public init(periods: Int, transactions: Int, revenue: Int, active: Int, churned: Int, halfWidth: Measures? = nil) {
      (self.periods, self.transactions, self.revenue, self.active, self.churned) = (periods, transactions, revenue, active, churned)
      self.halfWidth = halfWidth
    }

    /// Periods inside for one KPI.
    public subscript(_ measure: Measure) -> Int {
      switch measure {
      case .transactions: transactions
      case .revenue: revenue
      case .active: active
      case .churned: churned
      }
    }

    /// Counted over `rows`; nil when none has a range.
    public init?(_ rows: [PeriodRow]) {
      let ranged = rows.compactMap { r in r.predictedLow.flatMap { low in r.predictedHigh.map { (r.actual, r.predicted, low, $0) } } }
      guard !ranged.isEmpty else { return nil }
      func inside(_ measure: Measure) -> Int {
        ranged.filter { actual, _, low, high in actual[measure] >= low[measure] && actual[measure] <= high[measure] }.count
      }
      func meanHalfWidth(_ measure: Measure) -> Double {
        let shares = ranged.filter { _, predicted, _, _ in predicted[measure] > 0 }
          .map { _, predicted, low, high in (high[measure] - low[measure]) / 2 / predicted[measure] }
        return shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count)
      }
      periods = ranged.count
      transactions = inside(.transactions)
      revenue = inside(.revenue)
      active = inside(.active)
      churned = inside(.churned)
      halfWidth = Measures(
        transactions: meanHalfWidth(.transactions), revenue: meanHalfWidth(.revenue), active: meanHalfWidth(.active),
        churned: meanHalfWidth(.churned))
    }
  }

  /// A naive aggregate forecast and its accuracy.
  public struct AggregateBaseline: Codable, Sendable {
    /// How the baseline predicts, in words.
    public var method: String
    /// The baseline's prediction for each holdout period.
    public var predicted: [Measures]
    /// The prediction summed over the holdout (`active`: the mean).
    public var totals: Measures
    /// Accuracy per KPI.
    public var accuracy: [KPIAccuracy]
  }

  /// The naive forecasts the model is compared with.
  public struct Baselines: Codable, Sendable {
    /// The mean of the last k calibration periods, repeated.
    public var runRate: AggregateBaseline
    /// The same period a year earlier (when the calibration has a year).
    public var seasonalNaive: AggregateBaseline?
    /// Per-customer baselines (with `perCustomer`).
    public var perCustomer: CustomerBaselines?
  }

  /// The date asked for.
  public var calibrationEnd: CalendarDay
  /// The calibration window as period labels (`2023-01 to 2025-06`).
  public var calibrationPeriods: String
  /// The period length of the fit.
  public var period: PeriodKind
  /// The state space fitted (`lifecycle`, `rfm:3`, ...).
  public var states: String
  /// The number of states.
  public var stateCount: Int
  /// The model's predictions against the data after the calibration end.
  public var holdout: Holdout
  /// The naive forecasts over the same periods.
  public var baselines: Baselines
  /// How the state space was chosen (with `selection`).
  public var stateSelection: StateSpaceSelection?
  /// How the model was fitted and anything the reader should know.
  public var notes: [String]


  /// The calibration end that holds out the data's last `periods` complete periods: the last day
  /// of the complete period `periods` before the last one (`--holdout-periods` without
  /// `--calibration-end`). `from` is the fit's first day, if one was given.
  ///
  /// - Throws: `BacktestError.holdoutLeavesTooFew` when fewer than two complete periods would be
  ///   left to fit on; `FitError.emptyData` for a table without rows.
  public static func calibrationEnd(holdingOut periods: Int, of table: TransactionTable, period: PeriodKind, from: CalendarDay? = nil) throws -> CalendarDay {
    guard periods >= 1 else { throw BacktestError.invalidOption(flag: "--holdout-periods", value: "\(periods)", expected: "at least 1 period") }
    // The data's complete periods, as the backtest counts the holdout's.
    let data: FitWindow
    do {
      data = try FitWindow.make(table: table, period: period, from: from)
    } catch {
      guard case let .windowTooShort(complete, _, _, _) = error else { throw error }
      throw BacktestError.holdoutLeavesTooFew(asked: periods, completePeriods: complete, period: period)
    }
    guard data.periodCount - periods >= 2 else {
      throw BacktestError.holdoutLeavesTooFew(asked: periods, completePeriods: data.periodCount, period: period)
    }
    return period.end(of: data.lastPeriod - periods)
  }

  /// The window up to the calibration end; one too short to fit is named by `--calibration-end`.
  static func calibrationWindow(_ table: TransactionTable, options: BacktestOptions) throws -> FitWindow {
    let period = options.fit.period
    do {
      return try FitWindow.make(table: table, period: period, asOf: options.calibrationEnd, from: options.fit.from)
    } catch {
      guard case let .windowTooShort(periods, _, from, _) = error else { throw error }
      throw BacktestError.calibrationTooShort(calibrationEnd: options.calibrationEnd, periods: periods, period: period, start: from)
    }
  }

  /// Fits a model on the data up to `options.calibrationEnd` and scores its forecast of the periods after it.
  ///
  /// - Throws: `BacktestError` when the calibration end leaves fewer than two complete periods to
  ///   fit on or none to predict, or the holdout asked for is longer than the data; `FitError`
  ///   when the calibration window cannot be fitted.
  public static func run(_ table: TransactionTable, options: BacktestOptions) throws -> Backtest {
    let period = options.fit.period
    let calibration = try calibrationWindow(table, options: options)
    let data = try FitWindow.make(table: table, period: period)
    let available = data.lastPeriod - calibration.lastPeriod
    guard available >= 1 else {
      throw BacktestError.noHoldout(
        calibrationEnd: options.calibrationEnd, lastCompletePeriod: period.label(of: data.lastPeriod), dataEnd: table.dayRange?.upperBound ?? options.calibrationEnd)
    }
    let steps = options.holdoutPeriods ?? available
    guard steps >= 1 else { throw BacktestError.invalidOption(flag: "--holdout-periods", value: "\(steps)", expected: "at least 1 period") }
    guard steps <= available else { throw BacktestError.holdoutTooLong(asked: steps, available: available, period: period) }
    let k = min(options.baselinePeriods ?? steps, calibration.periodCount)
    guard k >= 1 else { throw BacktestError.invalidOption(flag: "--baseline-periods", value: "\(k)", expected: "at least 1 period") }

    var fit = options.fit
    // The calibration end is the fit's as-of date, whatever else was asked.
    fit.asOf = period.end(of: calibration.lastPeriod)
    var selection: StateSpaceSelection?
    if let s = options.selection {
      // The choice sees the calibration window only: the rows after it are cut off first.
      let chosen = try StateSpaceSelection.run(
        table.truncated(through: period.end(of: calibration.lastPeriod)), fit: fit, options: s)
      fit.stateSpace = chosen.chosen
      selection = chosen
    }
    let run = try HoldoutRun(table, fit: fit, calibrationLast: calibration.lastPeriod, steps: steps, replicates: options.replicates, seed: options.seed)
    let origin = calibration.lastPeriod

    // Actual KPIs per period: the holdout, and the calibration periods the baselines read.
    let seasons = period.seasonsPerYear
    let firstTallied = max(run.model.window.firstPeriod, origin - max(k, seasons) + 1)
    let tallied = Array(firstTallied...(origin + steps))
    let tally = WindowTally.tally(table, space: run.model.stateSpace, lastPeriod: origin + steps, windows: tallied.map { $0..<($0 + 1) })
    // Active customers as the forecast counts them: the activity model counts customers with a
    // purchase in the period; the chain alone, customers in its purchasing stages. The two agree
    // in the lifecycle, value and rf spaces; in an RFM space the chain's active stage is the top
    // recency score, and counted so beside the activity model's buyers, CDNOW's weekly backtest
    // from 1997-08-03 (rfm:3 chosen) read 2,655 active customers a week against 590 forecast, and
    // none of its 47 weeks in range.
    var activity: HoldoutActivity?
    func actual(_ p: Int) -> Measures {
      let t = tally.totals(window: p - firstTallied)
      let active = activity == nil ? WindowTally.Term.purchasing : .buying
      return Measures(
        transactions: t[WindowTally.Term.occasions.rawValue], revenue: t[WindowTally.Term.revenue.rawValue],
        active: t[active.rawValue], churned: t[WindowTally.Term.churnEvents.rawValue])
    }
    let f = run.forecast
    func measures(_ value: (KPI) -> Double) -> Measures {
      Measures(transactions: value(.purchases), revenue: value(.revenue), active: value(.active), churned: value(.churned))
    }
    var predicted = (0..<steps).map { h in measures { f.expected[$0]![h] } }
    var low: [Measures]? = f.replicates > 0 ? (0..<steps).map { h in measures { f.bands[$0]![h].p5 } } : nil
    var high: [Measures]? = f.replicates > 0 ? (0..<steps).map { h in measures { f.bands[$0]![h].p95 } } : nil
    if options.ownHistory, let individual = try run.activityForecast(table) {
      activity = individual
      let chain = individual.given.chainPart, chainChurn = individual.given.chainChurn
      // The activity model's customers: those with a purchase at the origin and the entrants.
      let m = individual.forecast, entrants = individual.given.entrants
      for h in 0..<steps {
        let purchases = m.purchases[h] + entrants.purchases[h], revenue = m.revenue[h] + entrants.revenue[h]
        let buying = m.buying[h] + entrants.buying[h]
        predicted[h] = individual.expected(individual.given, period: h, chainOnly: predicted[h])
        if chain.replicates > 0 {
          // The activity model's totals are sums of many independent customers: normal, with the
          // count noise (Poisson purchases; revenue as purchases times the mean spend) and the model
          // error measured out of sample. The chain's part (leads) is independent of it:
          // its Monte Carlo offsets, read as a normal's on each side, add in quadrature, not
          // end to end (two P5s together are rarer than a P5).
          // The model error is measured on a few periods only, so its part of the range is
          // widened to Student's t on that many (OutOfSampleError.widening)...
          let error = individual.relativeError
          // ... and it grows with the lead (OutOfSampleError.leadFactor).
          let widening = error.widening() * error.leadFactor(lead: h + 1)
          let spend = purchases > 0 ? revenue / purchases : 0
          // The entrants' first purchases, one each in its entry period, are given: neither count
          // noise nor model error (revenue keeps the noise of their amounts). `modelled` is the rest.
          let given = entrants.firstPurchases[h]
          func band(_ mean: Double, modelled: Double, noise: Double, spread: Double, _ chainBand: Forecast.Band, _ z: Double) -> Double {
            let modelSD = widening * spread * modelled
            let own = noise + modelSD * modelSD
            let chainOffset = z < 0 ? chainBand.mean - chainBand.p5 : chainBand.p95 - chainBand.mean
            let chainSD = max(0, chainOffset) / 1.645
            let sd = (own + chainSD * chainSD).squareRoot()
            return max(0, mean + chainBand.mean + z * sd)
          }
          for (z, target) in [(-1.645, 0), (1.645, 1)] {
            let value = Measures(
              transactions: band(purchases, modelled: purchases - given, noise: purchases - given, spread: error.purchases, chain.bands[.purchases]![h], z),
              revenue: band(
                revenue, modelled: revenue - given * entrants.spendPerPurchase, noise: purchases * spend * spend, spread: error.revenue,
                chain.bands[.revenue]![h], z),
              active: band(buying, modelled: buying - given, noise: buying - given, spread: error.buying, chain.bands[.active]![h], z),
              // A churn event is a customer staying quiet: the model's error on it is its error on
              // buying, carried through each period's churners (ChurnCount.buyingSensitivity).
              churned: m.churned.map {
                band(
                  $0.expected[h], modelled: $0.expected[h], noise: $0.variance[h], spread: error.buying * $0.buyingSensitivity(h),
                  chainChurn.bands[.churned]![h], z)
              }
                ?? (target == 0 ? low : high)![h].churned)
            if target == 0 { low![h] = value } else { high![h] = value }
          }
        }
      }
    }
    // The chain's Monte Carlo ranges hold its process and parameter noise, not its own error: each
    // is widened by the chain's error measured out of sample before the origin, where the chain
    // forecasts customers with a purchase: every KPI with the chain alone, churned when a custom
    // state space keeps its own churn.
    var chainError: ChainError?
    let widened: [Measure] = activity == nil ? Measure.allCases : activity?.forecast.churned == nil ? [.churned] : []
    if let l = low, let hi = high, !widened.isEmpty, let error = ChainError.measure(table, fit: fit, origin: origin, steps: steps) {
      chainError = error
      var newLow = l, newHigh = hi
      for h in 0..<steps {
        let grown = error.scale(lead: h + 1)
        for kpi in widened {
          let m = predicted[h][kpi]
          let model = 1.645 * grown * error.relative[kpi] * m
          newLow[h][kpi] = max(0, m - ((m - l[h][kpi]) * (m - l[h][kpi]) + model * model).squareRoot())
          newHigh[h][kpi] = m + ((hi[h][kpi] - m) * (hi[h][kpi] - m) + model * model).squareRoot()
        }
      }
      (low, high) = (newLow, newHigh)
    }
    let actuals = (1...steps).map { actual(origin + $0) }
    let rows = (0..<steps).map { h in
      PeriodRow(
        start: period.start(of: origin + 1 + h), label: period.label(of: origin + 1 + h), actual: actuals[h], predicted: predicted[h],
        predictedLow: low?[h], predictedHigh: high?[h], acquired: run.acquisitions[h].reduce(0, +))
    }
    var assumed = (0..<steps).map { h in measures { run.assumedForecast.expected[$0]![h] } }
    if let activity {
      assumed = assumed.indices.map { activity.expected(activity.assumed, period: $0, chainOnly: assumed[$0]) }
    }

    // Baselines.
    let recent = ((origin - k + 1)...origin).filter { $0 >= firstTallied }.map(actual)
    let runRate = Array(repeating: mean(recent), count: steps)
    var baselines = Baselines(
      runRate: AggregateBaseline(
        method: "mean of the last \(k) calibration \(period.rawValue)s", predicted: runRate, totals: total(runRate),
        accuracy: accuracy(runRate, actuals)),
      seasonalNaive: nil, perCustomer: nil)
    if origin - seasons + 1 >= firstTallied && origin - seasons + 1 >= run.model.window.firstPeriod {
      let naive = (1...steps).map { h in actual(origin + h - seasons * ((h + seasons - 1) / seasons)) }
      baselines.seasonalNaive = AggregateBaseline(
        method: "the same \(period.rawValue) a year earlier", predicted: naive, totals: total(naive), accuracy: accuracy(naive, actuals))
    }

    var perCustomer: CustomerAccuracy?
    if options.perCustomer {
      let history = CustomerHistory(
        table, calibrationEnd: period.end(of: origin), recentFrom: period.start(of: origin - k + 1),
        holdout: period.start(of: origin + 1)...period.end(of: origin + steps))
      let (accuracy, customerBaselines) = CustomerAccuracy.measure(
        history: history, startState: run.startStates, endState: run.endStates, space: run.model.stateSpace,
        outlook: HorizonOutlook(model: run.model, steps: steps),
        individual: activity.map { ($0.forecast.customerPurchases, $0.forecast.customerRevenue) },
        individualChurn: activity?.forecast.customerChurnedAtEnd, holdoutPeriods: steps, runRatePeriods: k)
      perCustomer = accuracy
      baselines.perCustomer = customerBaselines
    }

    var notes = run.notes
    if let activity {
      let (seasons, ageing) = Self.seasonsAndAgeing(of: activity.forecast.model)
      notes.append(String(
        format: "customers with a purchase are forecast one by one by the activity model (wake rate %.4f a day%@%@%@), the customers acquired with a purchase in the holdout by its mix of customers at their first purchase; leads by the chain; the ranges add the activity model's out-of-sample error per %@, %@",
        activity.forecast.model.wakeRate, seasons, ageing,
        activity.forecast.churned == nil ? "" : "; churn events too, from each customer's chance of staying quiet past the churn threshold",
        period.rawValue, Self.describe(activity.relativeError, period: period, churn: activity.forecast.churned != nil)))
      if let timing = activity.forecast.model.purchaseTiming, timing.isRegular {
        notes.append(timing.plainWords.dropLast() + "; " + PurchaseTiming.consequenceForRandomTiming)
      }
    }
    if let chainError {
      notes.append(chainError.describe(period: period, ownHistory: activity != nil))
    }
    notes.append("customers actually acquired in each holdout \(period.rawValue) enter the forecast as new; 'assumed acquisition' uses the calibration mean instead")
    if options.calibrationEnd != period.end(of: origin) {
      notes.append("calibration ends with \(period.label(of: origin)), the last complete \(period.rawValue) on or before \(options.calibrationEnd)")
    }
    return Backtest(
      calibrationEnd: options.calibrationEnd,
      calibrationPeriods: "\(period.label(of: run.model.window.firstPeriod)) to \(period.label(of: origin))",
      period: period, states: run.model.stateSpace.kind.label, stateCount: run.model.stateSpace.count,
      holdout: Holdout(
        periods: rows, totals: Totals(actual: total(actuals), predicted: total(predicted), predictedAssumedAcquisition: total(assumed)),
        accuracy: accuracy(predicted, actuals), perCustomer: perCustomer, insideRange: RangeCoverage(rows)),
      baselines: baselines, stateSelection: selection, notes: notes)
  }

  /// The note's clauses on what the activity model read of seasons and of ageing, each empty when
  /// there is nothing to say (from two years on, ageing is read and the model's words say how).
  static func seasonsAndAgeing(of model: ActivityModel) -> (seasons: String, ageing: String) {
    var seasons = ""
    if model.seasonalIndex != nil {
      seasons = ", with seasons"
    } else if let days = model.shortHistoryDays, days < 365 {
      seasons = ", no seasons: under a year of history"
    }
    var ageing = ""
    if let days = model.shortHistoryDays {
      if let floor = model.ageingFloor {
        ageing = "; ageing levelling off at \(Format.number(floor * 100, decimals: 0))% read from \(days) days of a closed cohort (a slowdown that goes on takes two years: if there is one, it is over-forecast)"
      } else if model.levellingLookedFor == true {
        ageing = "; no ageing found in \(days) days of a closed cohort (a slowdown that goes on takes two years: if there is one, it is over-forecast)"
      } else {
        ageing = "; ageing not read from \(days) days of history, which takes two years: a base whose customers slow down as they age is over-forecast"
      }
    }
    return (seasons, ageing)
  }

  /// The note's words for the model error a range adds: each measure's, and how many periods it
  /// rests on.
  static func describe(_ error: OutOfSampleError, period: PeriodKind, churn: Bool = false) -> String {
    var values = String(
      format: "%.1f%% on transactions, %.1f%% on revenue, %.1f%% on active customers",
      100 * error.purchases, 100 * error.revenue, 100 * error.buying)
    if churn { values += " (churned: the active customers' error, carried through each period's churners)" }
    guard let n = error.periods, let measuredOn = error.measuredOnWords(period: period) else {
      return values + " (a guess: the history is too short to measure it; it grows with the square root of the lead, 2x 4 \(period.rawValue)s ahead)"
    }
    return values + String(
      format: " (measured on %@ before the calibration end; so few widen the ranges' model part %.2fx, as Student's t with %d %@; %@%@)",
      measuredOn, error.widening(), n, n == 1 ? "degree of freedom" : "degrees of freedom",
      OutOfSampleError.describeGrowth(meanMeasuredLead: error.measuredMeanLead ?? 1, levelShare: error.levelShare, period: period),
      error.withinCountNoiseWords.map { "; " + $0 } ?? "")
  }

  static func mean(_ rows: [Measures]) -> Measures {
    let n = Double(max(1, rows.count))
    let t = total(rows)
    return Measures(transactions: t.transactions / n, revenue: t.revenue / n, active: t.active, churned: t.churned / n)
  }

  /// Sums, except `active`, which is averaged per period.
  static func total(_ rows: [Measures]) -> Measures {
    var t = Measures(transactions: 0, revenue: 0, active: 0, churned: 0)
    for r in rows {
      t.transactions += r.transactions
      t.revenue += r.revenue
      t.active += r.active
      t.churned += r.churned
    }
    t.active /= Double(max(1, rows.count))
    return t
  }

  static func accuracy(_ predicted: [Measures], _ actual: [Measures]) -> [KPIAccuracy] {
    Measure.allCases.map { kpi in
      let p = predicted.map { $0[kpi] }, a = actual.map { $0[kpi] }
      let pt = p.reduce(0, +), at = a.reduce(0, +)
      let relative = zip(p, a).filter { $0.1 != 0 }.map { abs($0.0 / $0.1 - 1) }
      return KPIAccuracy(
        kpi: kpi, totalError: at != 0 ? pt / at - 1 : nil,
        mape: relative.isEmpty ? nil : relative.reduce(0, +) / Double(relative.count),
        bias: zip(p, a).reduce(0) { $0 + $1.0 - $1.1 } / Double(max(1, p.count)))
    }
  }
}

/// The model fitted up to a period, and its forecast over the next periods with the acquisitions
/// that happened: the core that `Backtest` and `StateSpaceSelection` share.
struct HoldoutRun {
  var model: MarkovModel
  var forecast: Forecast
  var assumedForecast: Forecast
  /// Per holdout period: the customers actually acquired, per state.
  var acquisitions: [[Double]]
  /// Per customer: state at the calibration end and at the holdout end (-1: not in the base).
  var startStates: [Int32]
  var endStates: [Int32]
  var notes: [String]

  init(_ table: TransactionTable, fit: FitOptions, calibrationLast origin: Int, steps: Int, replicates: Int, seed: UInt64) throws {
    // One walk over the customer-periods: the fit's counts up to the origin, the states there
    // (its final states), and, walking on through the holdout, the acquisitions and end states.
    let assignment: Assignment
    (model, notes, assignment) = try HoldoutRun.calibrationModel(table, fit: fit, through: origin, walkingOnThrough: origin + steps)
    let after = assignment.afterWindow!
    acquisitions = after.acquisitions
    endStates = after.finalState
    startStates = assignment.finalState
    var o = ForecastOptions(givenAcquisitions: acquisitions, replicates: replicates, seed: seed)
    forecast = try ForecastEngine.run(model: model, options: o)
    o.acquisition = .historical
    o.replicates = 0
    assumedForecast = try ForecastEngine.run(model: model, options: o)
  }

  /// The customers with a purchase at the calibration end forecast one by one with the activity
  /// model, the customers acquired with a purchase in the holdout from its weights, and the
  /// chain's forecast of the leads (at the calibration end and acquired in the holdout).
  func activityForecast(_ table: TransactionTable) throws -> HoldoutActivity? {
    let period = model.window.period
    let origin = model.window.lastPeriod
    let through = period.end(of: origin)
    let histories = PurchaseHistories(table, through: through)
    guard let activity = model.activity ?? ActivityModel.fitWithSeasons(histories) else { return nil }
    let steps = forecast.periods.count
    // Churn events are counted by the lifecycle's rule, which the built-in state spaces share; a
    // custom space's churn is its own, and stays with the chain.
    let individual = ActivityForecast(
      histories, model: activity, period: period, origin: origin, steps: steps, churnAfter: model.stateSpace.lifecycleChurnAfter)
    let given = try acquiredParts(activity, acquisitions: acquisitions, replicates: forecast.replicates)
    // The 'assumed acquisition' column is this forecast with the calibration's mean acquisitions
    // in place of the actual ones: the customers already there are forecast the same way. (It was
    // the chain alone, which put a closed cohort, with no entrants either way, 60% over where the
    // forecast was 13%.)
    let assumed = try acquiredParts(
      activity, acquisitions: AcquisitionAssumption.historical.inflow(model: model, horizon: steps), replicates: 0)
    // The out-of-sample error is a second fit and forecast of the activity model. Run beside the
    // forecast on the other core it would save its time (a fifth of a 1.5M-customer backtest's
    // CPU) but hold both forecasts' per-customer arrays at once: +310 MB at the peak (measured,
    // 642 -> 956 MB), so it runs after.
    return HoldoutActivity(
      forecast: individual, given: given, assumed: assumed,
      relativeError: ActivityModel.outOfSampleError(
        table, period: period, origin: origin, firstPeriod: table.dayRange.map { period.index(of: $0.lowerBound) } ?? origin, steps: steps))
  }

  /// What the customers acquired in the holdout add to the forecast of those with a purchase at
  /// the calibration end, for `acquisitions` per period and state. The chain forecasts only the
  /// customers the activity model does not: the leads, at the origin and acquired. Their
  /// conversions are the chain's part; so are the entrants' churn events (the activity model reads
  /// churn off purchase days it has), from a second run that keeps every entrant.
  func acquiredParts(_ activity: ActivityModel, acquisitions: [[Double]], replicates: Int) throws -> AcquiredParts {
    let isLead = model.stateSpace.states.map { $0.stage == .lead }
    var rest = model
    for i in isLead.indices where !isLead[i] { rest.currentBase[i] = 0 }
    let leadAcquisitions = acquisitions.map { row in row.indices.map { isLead[$0] ? row[$0] : 0 } }
    let buyersAcquired = acquisitions.map { row in row.indices.reduce(0.0) { isLead[$1] ? $0 : $0 + row[$1] } }
    return AcquiredParts(
      entrants: EntrantForecast(model: activity, period: model.window.period, origin: model.window.lastPeriod, acquired: buyersAcquired),
      chainPart: try ForecastEngine.run(
        model: rest, options: ForecastOptions(givenAcquisitions: leadAcquisitions, replicates: replicates, seed: forecast.seed)),
      chainChurn: try ForecastEngine.run(
        model: rest, options: ForecastOptions(givenAcquisitions: acquisitions, replicates: replicates, seed: forecast.seed)))
  }

  /// Each customer's own-history weights at the calibration end.
  func ownHistoryWeights(_ table: TransactionTable) -> OwnHistoryWeights {
    OwnHistoryWeights(
      table, states: startStates, stateCount: model.stateSpace.count, period: model.window.period,
      through: model.window.period.end(of: model.window.lastPeriod))
  }

  /// The fit: the user's options up to the end of `origin`, with the recipe `evaluate` uses for
  /// its pre-launch model. The first churn-after periods of the data are left out when at least 6
  /// remain, because a state there lacks the history that defines it (at data start nobody can be
  /// lapsed yet), which biases churn low. Seasons are fitted when a full year remains: without
  /// them a holdout that starts in the peak season is predicted from a year's average.
  /// Returns the fit's state assignment too; with `walkingOnThrough` its walk goes on through that
  /// period (`Assignment.afterWindow`).
  static func calibrationModel(
    _ table: TransactionTable, fit: FitOptions, through origin: Int, walkingOnThrough: Int?
  ) throws -> (MarkovModel, [String], Assignment) {
    var o = fit
    let period = fit.period
    o.asOf = period.end(of: origin)
    var notes: [String] = []
    var first = fit.from.map { period.index(of: $0) } ?? table.dayRange.map { period.index(of: $0.lowerBound) } ?? origin
    if fit.from == nil {
      let burnIn = fit.churnAfterPeriods ?? LifecycleRules.defaults(for: period).churnAfterPeriods
      if origin - (first + burnIn) + 1 >= 6 {
        o.from = period.start(of: first + burnIn)
        notes.append("fitted from \(period.label(of: first + burnIn)), leaving out the first \(burnIn) \(period.rawValue)s of data, whose states lack history")
        first += burnIn
      }
    }
    if !o.estimator.seasonal && origin - first + 1 >= period.seasonsPerYear {
      o.estimator.seasonal = true
      notes.append("with one matrix per season (the calibration holds a full year)")
    }
    let (model, assignment) = try ModelFitter.fit(table, options: o, walkingOnThrough: walkingOnThrough)
    return (model, notes, assignment)
  }
}

/// The parts of a holdout forecast that follow from who is acquired (`HoldoutRun.acquiredParts`).
struct AcquiredParts {
  /// The customers acquired with a purchase.
  var entrants: EntrantForecast
  /// The leads, at the calibration end and acquired in the holdout.
  var chainPart: Forecast
  /// The leads and every entrant: the churn events of the customers the activity model has no
  /// purchase days of.
  var chainChurn: Forecast
}

/// The activity model's part of a holdout forecast and the chain's part.
struct HoldoutActivity {
  /// The customers with a purchase at the calibration end.
  var forecast: ActivityForecast
  /// The customers acquired in the holdout, as they were.
  var given: AcquiredParts
  /// The same at the calibration's mean acquisitions (`AcquisitionAssumption.historical`), without ranges.
  var assumed: AcquiredParts
  /// The activity model's relative errors per period, measured out of sample before the origin.
  var relativeError: OutOfSampleError

  /// The expected values of holdout period `h` with the acquisitions of `parts`: the activity
  /// model's customers (those with a purchase at the calibration end, and the entrants) and the
  /// chain's (the leads). Churn events stay `chainOnly`'s when the activity model does not count
  /// them (a custom state space's churn).
  func expected(_ parts: AcquiredParts, period h: Int, chainOnly: Backtest.Measures) -> Backtest.Measures {
    let m = forecast, entrants = parts.entrants, chain = parts.chainPart.expected
    var value = chainOnly
    value.transactions = m.purchases[h] + entrants.purchases[h] + chain[.purchases]![h]
    value.revenue = m.revenue[h] + entrants.revenue[h] + chain[.revenue]![h]
    value.active = m.buying[h] + entrants.buying[h] + chain[.active]![h]
    if let churned = m.churned { value.churned = churned.expected[h] + parts.chainChurn.expected[.churned]![h] }
    return value
  }
}

extension TransactionTable {
  /// The table itself, or for more than `limit` customers a fixed-stride sample of at most
  /// `limit` (`sampled(every:)`).
  public func sampled(atMost limit: Int) -> TransactionTable {
    customerCount > limit ? sampled(every: (customerCount + limit - 1) / limit) : self
  }

  /// Every `stride`-th customer with all its rows: a deterministic sample.
  public func sampled(every stride: Int) -> TransactionTable {
    precondition(stride >= 1)
    var ids: [String] = [], days: [Int32] = [], amount: [Double] = [], event: [TransactionEvent] = []
    var rowStart = [0]
    var kept: [Int] = []
    for c in Swift.stride(from: 0, to: customerCount, by: stride) {
      for r in rows(of: c) {
        days.append(day[r])
        amount.append(self.amount[r])
        event.append(self.event[r])
      }
      ids.append(customerIDs[c])
      kept.append(c)
      rowStart.append(days.count)
    }
    let sampledAttributes = attributes.mapValues { a in
      CustomerAttribute(levels: a.levels, levelOfCustomer: kept.map { a.levelOfCustomer[$0] })
    }
    return TransactionTable(
      customerIDs: ids, day: days, amount: amount, event: event, rowStart: rowStart, attributes: sampledAttributes)
  }

  /// The rows on or before `day`, every customer kept (some then have no rows).
  public func truncated(through day: CalendarDay) -> TransactionTable {
    var days: [Int32] = [], amount: [Double] = [], event: [TransactionEvent] = []
    var rowStart = [0]
    rowStart.reserveCapacity(customerCount + 1)
    for c in 0..<customerCount {
      for r in rows(of: c) where self.day[r] <= day.dayNumber {
        days.append(self.day[r])
        amount.append(self.amount[r])
        event.append(self.event[r])
      }
      rowStart.append(days.count)
    }
    return TransactionTable(
      customerIDs: customerIDs, day: days, amount: amount, event: event, rowStart: rowStart, attributes: attributes)
  }
}

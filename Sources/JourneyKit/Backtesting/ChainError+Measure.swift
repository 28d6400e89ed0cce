extension ChainError {
  /// Fits the chain alone with `fit`'s recipe up to `origin - v` and forecasts the `v` periods
  /// after with the acquisitions that happened (`v` = `steps`, at most a third of the data's
  /// periods, `OutOfSampleError.measuredPeriods`), on at most `customerLimit` customers; nil when
  /// the history is too short to hold out a period or nobody bought in the periods held out.
  static func measure(_ table: TransactionTable, fit: FitOptions, origin: Int, steps: Int) -> ChainError? {
    let period = fit.period
    guard let firstDay = table.dayRange?.lowerBound else { return nil }
    let v = OutOfSampleError.measuredPeriods(origin: origin, firstPeriod: period.index(of: firstDay), steps: steps)
    guard v >= 1 else { return nil }
    let sample = table.sampled(atMost: customerLimit)
    var o = fit
    o.activity = false
    guard let (model, _, assignment) = try? HoldoutRun.calibrationModel(sample, fit: o, through: origin - v, walkingOnThrough: origin),
          let after = assignment.afterWindow,
          let forecast = try? ForecastEngine.run(model: model, options: ForecastOptions(givenAcquisitions: after.acquisitions, replicates: 0, seed: 0))
    else { return nil }
    let tally = WindowTally.tally(sample, space: model.stateSpace, lastPeriod: origin, windows: ((origin - v + 1)...origin).map { $0..<($0 + 1) })
    func actual(_ term: WindowTally.Term) -> [Double] { (0..<v).map { tally.totals(window: $0)[term.rawValue] } }
    let transactions = actual(.occasions), revenue = actual(.revenue), active = actual(.purchasing), churned = actual(.churnEvents)
    func error(_ kpi: KPI, _ actual: [Double], _ counts: [Double]) -> Double {
      // Nothing to score (no churn events yet in a short history): the activity model's guess.
      OutOfSampleError.excessError(predicted: Array(forecast.expected[kpi]!.prefix(v)), actual: actual, counts: counts)
        ?? OutOfSampleError.unmeasured.purchases
    }
    let scored = transactions.filter { $0 > 0 }.count
    guard scored > 0 else { return nil }
    return ChainError(
      transactions: error(.purchases, transactions, transactions), revenue: error(.revenue, revenue, transactions),
      active: error(.active, active, active), churned: error(.churned, churned, churned),
      periods: scored, churnedIsAGuess: !churned.contains { $0 > 0 },
      levelShare: OutOfSampleError.levelShare(predicted: Array(forecast.expected[.purchases]!.prefix(v)), actual: transactions, leads: Array(1...v)))
  }

  /// The backtest's relative errors, by its measures.
  var relative: Backtest.Measures { Backtest.Measures(transactions: transactions, revenue: revenue, active: active, churned: churned) }

  /// The backtest note's words.
  func describe(period: PeriodKind, ownHistory: Bool) -> String {
    let unit = period.rawValue + (periods == 1 ? "" : "s")
    let widening = String(format: "%.2fx", OutOfSampleError.widening(periods: periods))
    let growth = OutOfSampleError.describeGrowth(meanMeasuredLead: self.growth.measuredMeanLead ?? 1, levelShare: levelShare, period: period)
    if ownHistory && churnedIsAGuess {
      return "the churned range adds a guessed error of \(Format.percent(churned)) per \(period.rawValue): no customer churned in the \(periods) \(unit) before the calibration end, so there was no churn to measure the chain's error on"
    }
    if ownHistory {
      return "the churned range adds the chain's out-of-sample error of \(Format.percent(churned)) per \(period.rawValue) (measured on \(periods) \(unit) before the calibration end, widened \(widening) as Student's t; \(growth))"
    }
    return "the ranges add the chain's out-of-sample error per \(period.rawValue), \(Format.percent(transactions)) on transactions, \(Format.percent(revenue)) on revenue, \(Format.percent(active)) on active customers, \(Format.percent(churned)) on churned (measured on \(periods) \(unit) before the calibration end, widened \(widening) as Student's t; \(growth))"
  }
}

extension MarkovModel {
  /// Measures the chain's own error out of sample before the model's last period
  /// (`ChainError.measure` over up to a year of periods, with the recipe `options` fitted this
  /// model with) and keeps it, for the ranges of forecasts from the model file (`chainError`).
  /// `table`: the data the model was fitted on.
  public mutating func measureChainError(_ table: TransactionTable, options: FitOptions) {
    var recipe = options
    recipe.stateSpace = stateSpace.kind
    chainError = ChainError.measure(table, fit: recipe, origin: window.lastPeriod, steps: window.period.seasonsPerYear)
  }
}

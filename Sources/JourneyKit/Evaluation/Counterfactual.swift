import Foundation

/// What the pre-launch model says would have happened without the rollout, and how far that
/// model can be trusted.
///
/// A pooled Markov chain is not exactly right on real customers: the mix of customers inside a
/// state drifts as the base ages, and spend and purchase rates have seasons. So besides its
/// parameter and process uncertainty (the Monte Carlo band), the counterfactual carries the
/// model's own error, measured as a placebo: the same recipe fitted some periods before the
/// launch projects the last pre-launch periods it has not seen, and is set against what actually
/// happened there. The lift band is widened by that error, scaled to the post window's length.
struct Counterfactual {
  /// KPI name -> value over the compared periods, for the expected path and for each replicate.
  struct Projection {
    var expected: [String: Double]
    var replicates: [[String: Double]]
    /// The forecast behind it, period by period (step h is period origin + 1 + h).
    var forecast: Forecast
  }

  static let kpis = ["active_base", "purchases", "revenue", "churn_rate"]

  /// The pre-launch model: the full model's states (so acquisitions and bases line up), fitted on
  /// the periods before the launch. The first `churnAfter` periods of the data are left out when
  /// enough remain: a customer's state there lacks the history that defines it (at data start,
  /// nobody can be lapsed yet). Seasons are fitted when a full year remains.
  static func preLaunchModel(
    _ table: TransactionTable, full: MarkovModel, options: EvaluationOptions, dataStart: Int, preEnd: Int
  ) throws -> (model: MarkovModel, notes: [String]) {
    let period = options.fit.period
    var o = options.fit
    o.frozenStateSpace = full.stateSpace
    o.asOf = period.end(of: preEnd)
    // The bought customers' purchases, revenue and buying from their own histories before the
    // launch, as `journey forecast` and the backtest's default forecast them (`OwnHistoryOffsets`).
    o.activity = true
    var notes: [String] = []
    let burnIn = full.stateSpace.rules.churnAfterPeriods
    let remaining = preEnd - (dataStart + burnIn) + 1
    if remaining >= 6 {
      o.from = period.start(of: dataStart + burnIn)
      notes.append("fitted from \(period.label(of: dataStart + burnIn)), leaving out the first \(burnIn) \(period.rawValue)s of data, whose states lack history")
    }
    if !o.estimator.seasonal && min(remaining, preEnd - dataStart + 1) >= period.seasonsPerYear {
      o.estimator.seasonal = true
      notes.append("with one matrix per season (a full year of pre-launch data)")
    }
    return (try ModelFitter.fit(table, options: o), notes)
  }

  /// Runs `model` from the actual base at `origin` for `steps` periods with the acquisitions that
  /// actually happened, and sums the KPIs over the projected periods inside `compare`.
  static func project(
    _ model: MarkovModel, full: MarkovModel, origin: Int, steps: Int, compare: Range<Int>, options: EvaluationOptions
  ) throws -> Projection {
    var start = model
    if origin != model.window.lastPeriod {
      start.currentBase = model.counts.occupancy[origin - model.counts.firstPeriod]
      start.window.lastPeriod = origin
    }
    let s = full.stateSpace.count
    let given = (1...steps).map { h -> [Double] in
      let t = origin + h - full.counts.firstPeriod
      return t >= 0 && t < full.counts.periodCount ? full.counts.acquisitions[t] : [Double](repeating: 0, count: s)
    }
    let f = try ForecastEngine.run(model: start, options: ForecastOptions(givenAcquisitions: given, replicates: options.replicates, seed: options.seed))
    let used = (0..<steps).filter { compare.contains(origin + 1 + $0) }
    let livingAtOrigin = zip(start.currentBase, start.stateSpace.states).reduce(0) { $1.1.stage == .churned ? $0 : $0 + $1.0 }
    // The KPI over the compared periods, computed as the tally computes it.
    func aggregate(_ series: (KPI) -> [Double]) -> [String: Double] {
      let living = series(.customers), churned = series(.churned), active = series(.active)
      let revenue = series(.revenue), purchases = series(.purchases)
      var livingBefore = 0.0, churnedSum = 0.0
      for t in used {
        livingBefore += t == 0 ? livingAtOrigin : living[t - 1]
        churnedSum += churned[t]
      }
      return [
        "churn_rate": livingBefore > 0 ? churnedSum / livingBefore : .nan,
        "active_base": used.reduce(0) { $0 + active[$1] } / Double(max(1, used.count)),
        "revenue": used.reduce(0) { $0 + revenue[$1] },
        "purchases": used.reduce(0) { $0 + purchases[$1] },
      ]
    }
    return Projection(
      expected: aggregate { f.expected[$0]! },
      replicates: (0..<options.replicates).map { r in aggregate { kpi in f.samples[kpi]!.map { $0[r] } } }, forecast: f)
  }

  /// The same KPIs from a tally window of `periods` periods.
  static func actual(_ tally: WindowTally, window: Int, periods: Int) -> [String: Double] {
    let a = tally.totals(window: window)
    let exposure = a[WindowTally.Term.livingExposure.rawValue]
    return [
      "churn_rate": exposure > 0 ? a[WindowTally.Term.churnEvents.rawValue] / exposure : .nan,
      "active_base": a[WindowTally.Term.buying.rawValue] / Double(max(1, periods)),
      "revenue": a[WindowTally.Term.revenue.rawValue],
      "purchases": a[WindowTally.Term.occasions.rawValue],
    ]
  }

  /// Lifts with simultaneous bands: each KPI's band is at 1 - alpha / (number of KPIs)
  /// (Bonferroni), so the chance that any KPI is flagged when nothing changed is at most alpha.
  /// The band combines the Monte Carlo quantiles with the model error: `modelError[kpi]` is the
  /// relative error of the placebo, read as a mean absolute deviation (sd = 1.25 x |error|: a
  /// normal's standard deviation is sqrt(pi / 2) = 1.2533 times its mean absolute deviation).
  static func lifts(
    _ projection: Projection, actual: [String: Double], modelError: [String: Double], alpha: Double
  ) -> [RolloutEvaluation.Lift] {
    let a = alpha / Double(kpis.count)
    let z = Normal.quantile(1 - a / 2)
    return kpis.compactMap { name in
      guard let value = actual[name], value.isFinite, let e = projection.expected[name], e.isFinite else { return nil }
      let samples = projection.replicates.compactMap { $0[name] }.filter(\.isFinite)
      let low = samples.isEmpty ? e : Quantile.of(samples, a / 2)
      let high = samples.isEmpty ? e : Quantile.of(samples, 1 - a / 2)
      let band = widened(expected: e, low: low, high: high, relativeError: modelError[name], z: z)
      // A lift is found when it leaves the band; it does so 80% of the time once it is
      // (z + z_0.8) standard deviations away, the band's half-width being z of them.
      let halfWidth = max(e - band.low, band.high - e)
      let judged = modelError[name] != nil
      return RolloutEvaluation.Lift(
        kpi: name, actual: value, counterfactual: band,
        lift: .init(value: value - e, low: value - band.high, high: value - band.low),
        relativeLift: e != 0 ? value / e - 1 : 0, modelError: modelError[name],
        flagged: judged && (value < band.low || value > band.high), judged: judged,
        minimumDetectableEffect: judged && e != 0 ? halfWidth * (z + Normal.quantile(0.8)) / z / abs(e) : nil)
    }
  }

  /// A Monte Carlo band around `expected` widened by the model error: each side's half-width is
  /// combined in quadrature with z x sd, sd = 1.25 x |relative error| x |expected|.
  static func widened(expected e: Double, low: Double, high: Double, relativeError: Double?, z: Double) -> RolloutEvaluation.Interval {
    let model = z * 1.25 * abs(relativeError ?? 0) * abs(e)
    return .init(
      value: e, low: e - ((e - low) * (e - low) + model * model).squareRoot(),
      high: e + ((high - e) * (high - e) + model * model).squareRoot())
  }
}

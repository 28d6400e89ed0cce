import Foundation

/// Everything `journey fit` is asked for.
public struct FitOptions: Sendable {
  /// The period length: week, month or quarter.
  public var period: PeriodKind = .month
  /// The state space to fit.
  public var stateSpace: StateSpaceKind = .lifecycle
  /// Treat the data as ending on this day (nil: the last day with data).
  public var asOf: CalendarDay? = nil
  /// First day of the fit window (nil: the first day with data).
  public var from: CalendarDay? = nil
  /// Periods without a purchase after which a customer is churned (nil: the period's default).
  public var churnAfterPeriods: Int? = nil
  /// Let churned customers come back instead of churned being absorbing.
  public var reactivation = false
  /// `value`: the quantile of trailing spend where "more valuable" starts.
  public var valueCutQuantile: Double = 0.8
  /// Cross the states with this categorical column of the input (e.g. channel).
  public var splitBy: String? = nil
  /// How the transition probabilities are estimated.
  public var estimator = EstimatorOptions()
  /// Discount per period for lifetime value; nil for 10% a year.
  public var discountPerPeriod: Double? = nil
  /// A name for the input, kept in the model.
  public var source: String = "-"
  /// How the input was read, kept in the model (`MarkovModel.InputFingerprint.reading`).
  public var reading: ReadSettings? = nil
  /// Assign exactly these states (cuts already frozen, e.g. another model's) instead of building
  /// them from `stateSpace`, so two fits over different windows share one state numbering.
  public var frozenStateSpace: StateSpace? = nil
  /// Also fit the activity model (`ActivityModel`) on the purchases up to the window's end.
  public var activity = false

  /// The defaults: monthly lifecycle states over all the data.
  public init() {}
}

/// The fit pipeline: table -> states -> counts -> estimate -> analysis, as one function.
public enum ModelFitter {
  /// - Throws: `FitError` when the data or options cannot give a model;
  ///   `LinearAlgebraError` only for a discount of zero or less.
  public static func fit(_ table: TransactionTable, options: FitOptions) throws -> MarkovModel {
    try fit(table, options: options, walkingOnThrough: nil).model
  }

  /// The fit, with the state assignment it was counted from; with `walkingOnThrough` the same
  /// walk goes on past the window (`StateAssigner.assign(_:space:window:walkingOnThrough:)`),
  /// so a backtest reads its holdout without walking the customers again.
  static func fit(_ table: TransactionTable, options: FitOptions, walkingOnThrough: Int?) throws -> (model: MarkovModel, assignment: Assignment) {
    let window = try FitWindow.make(table: table, period: options.period, asOf: options.asOf, from: options.from)
    var rules = LifecycleRules.defaults(for: options.period)
    if let c = options.churnAfterPeriods {
      guard c >= 1 else { throw FitError.invalidOption(flag: "--churn-after", value: "\(c)", expected: "at least 1 period") }
      rules = rules.withChurnAfter(c)
    }
    rules.reactivation = options.reactivation
    if case let .custom(custom) = options.stateSpace, let w = custom.windowPeriods { rules.trailingWindowPeriods = w }
    var splitLevels: [String] = []
    if let split = options.splitBy {
      guard let attribute = table.attributes[split] else {
        throw FitError.unknownSplitColumn(name: split, available: table.attributes.keys.sorted())
      }
      splitLevels = attribute.levels
      guard splitLevels.count <= Limits.splitValues else {
        throw InputLimitError(
          what: "--split-by: column '\(split)' has \(splitLevels.count) values, and each one copies every state",
          limit: "\(Limits.splitValues) values",
          hint: "group rare values into one (e.g. 'other') before fitting, or split by a coarser column")
      }
    }
    guard options.estimator.prior >= 0, options.estimator.prior <= Limits.prior else {
      throw FitError.invalidOption(flag: "--prior", value: "\(options.estimator.prior)", expected: "a pseudo-count from 0 to \(Format.number(Limits.prior))")
    }
    guard (0.01...0.99).contains(options.valueCutQuantile) else {
      throw FitError.invalidOption(flag: "--value-cut", value: "\(options.valueCutQuantile)", expected: "a quantile between 0.01 and 0.99")
    }
    let space = options.frozenStateSpace ?? StateSpace(
      kind: options.stateSpace, period: options.period, rules: rules, valueCutQuantile: options.valueCutQuantile,
      splitBy: options.splitBy, splitLevels: splitLevels)
    guard space.count <= Limits.states else {
      throw InputLimitError(
        what: "the model would have \(space.count) states (\(space.baseCount) x \(max(1, space.splitLevels.count)) split values)",
        limit: "\(Limits.states) states: matrices and model files grow with the square of the states",
        hint: "use fewer states (e.g. rfm:4 instead of rfm:10), or fewer --split-by values")
    }
    // The activity model reads the purchase histories only: it is fitted while the states are
    // assigned (the walk leaves the cores idle in parts), and waited for before the chain's
    // estimate, whose LAPACK calls must not run while the fit holds OpenBLAS on one thread.
    let lastDay = options.period.end(of: window.lastPeriod), period = options.period
    // Churn events by the lifecycle's rule are read from the customers' histories, as the backtest
    // reads them; a custom space's churn is its own, and stays with the chain.
    let churnAfter = space.lifecycleChurnAfter
    let activityFit = options.activity ? BackgroundWork { () -> ActivityModel? in
      let histories = PurchaseHistories(table, through: lastDay)
      guard var model = ActivityModel.fitWithSeasons(histories) else { return nil }
      model.base = model.base(histories, churn: churnAfter.map { (period, $0) })
      // The model's error out of sample, for the ranges of forecasts from the model file: its
      // weights refitted on an earlier end (a whole second fit would cost `fit` a third of its
      // time again).
      let first = table.dayRange.map { period.index(of: $0.lowerBound) } ?? window.lastPeriod
      let fitted = model
      // Half the customers and half the steps of the fit's final EM: a relative error needs no
      // more, and `fit` has no time to spare (Benchmarks/README.md, "journey forecast from a
      // fitted model").
      var errorRefit = ActivityModel.FitOptions()
      errorRefit.sampleLimit = 5_000
      errorRefit.finalIterations = 60
      model.base?.error = ActivityModel.outOfSampleError(
        table.sampled(atMost: ActivityBase.errorSampleLimit), period: period, origin: window.lastPeriod, firstPeriod: first,
        steps: period.seasonsPerYear, refit: { fitted.refittingWeights($0, options: errorRefit) })
      return model
    } : nil
    defer { _ = activityFit?.wait() }
    let assignment = StateAssigner.assign(table, space: space, window: window, walkingOnThrough: walkingOnThrough)
    let counts = assignment.counts
    guard counts.totalTransitions > 0 else { throw FitError.noTransitions(window: window.description) }
    // Two scans of the table that need no BLAS: done while the activity model may still run.
    var input = fingerprint(table, source: options.source)
    input.reading = options.reading
    let seasonal = options.estimator.seasonal ? seasonalRewards(table, window: window, counts: counts) : nil
    let activity = activityFit?.wait() ?? nil
    let frozen = assignment.stateSpace
    let estimate = Estimator.fit(counts, space: frozen, options: options.estimator)
    let rewards = counts.rewards.map {
      MarkovModel.StateRewards(
        customerPeriods: $0.customerPeriods, occasionsMean: $0.occasionsMean, occasionsVariance: $0.occasionsVariance,
        revenueMean: $0.revenueMean, revenueVariance: $0.revenueVariance)
    }
    let currentBase = counts.occupancy[counts.periodCount - 1]
    let discount = options.discountPerPeriod ?? ChainAnalysis.defaultDiscount(for: options.period)
    let analysis = try ChainAnalysis.analyse(
      p: estimate.matrix, space: frozen, revenuePerPeriod: rewards.map(\.revenueMean),
      occasionsPerPeriod: rewards.map(\.occasionsMean), currentBase: currentBase, discountPerPeriod: discount)
    let diagnostics = FitDiagnostics.compute(counts: counts, p: estimate.matrix, space: frozen)
    var warnings = estimate.warnings
    if window.droppedIncompletePeriod {
      warnings.append(
        "the last period \(options.period.label(of: window.lastPeriod + 1)) is incomplete (data ends \(window.asOf)) and was left out")
    }
    if let dataEnd = table.dayRange?.upperBound, let afterData = window.warningAfter(dataEnd: dataEnd) {
      warnings.append(afterData)
    }
    let unvisited = frozen.states.indices.filter { counts.rewards[$0].customerPeriods == 0 }
    if !unvisited.isEmpty && unvisited.count <= 20 {
      warnings.append("never visited in the window: \(unvisited.map { frozen.states[$0].name }.joined(separator: ", "))")
    } else if unvisited.count > 20 {
      warnings.append("\(unvisited.count) of \(frozen.count) states were never visited in the window")
    }
    let rr = counts.reactivations.reduce(0) { $0 + $1.reduce(0, +) }
    if rr > 0 {
      warnings.append("\(Int(rr)) customers came back after churning; churned is absorbing, so they are kept as reactivation inflow (use --reactivation to estimate the way back)")
    }
    let model = MarkovModel(
      input: input, window: window, stateSpace: frozen, estimator: options.estimator,
      transitionMatrix: estimate.matrix.rows, posterior: estimate.posterior.rows,
      seasonalMatrices: estimate.seasonal?.map(\.rows), rewards: rewards,
      seasonalRewards: seasonal,
      counts: counts, currentBase: currentBase,
      analysis: analysis, diagnostics: diagnostics, warnings: warnings,
      activity: activity)
    return (model, assignment)
  }

  /// Per season: actual purchases (and revenue) in the window's periods of that season over what
  /// the pooled per-state means give for the customers in each state then. Ratios of sums over the
  /// whole window are 1 by construction, so the multipliers only move purchases between seasons.
  static func seasonalRewards(_ table: TransactionTable, window: FitWindow, counts: TransitionCounts) -> [MarkovModel.SeasonalRewards] {
    let period = window.period
    let n = window.periodCount
    var occasions = [Double](repeating: 0, count: n), revenue = [Double](repeating: 0, count: n)
    let first = period.start(of: window.firstPeriod).dayNumber, last = period.end(of: window.lastPeriod).dayNumber
    // Period of each day in the window, computed once.
    let periodOfDay = (first...last).map { period.index(of: CalendarDay(dayNumber: $0)) - window.firstPeriod }
    for r in 0..<table.rowCount where table.day[r] >= first && table.day[r] <= last && table.event[r] != .lead {
      let t = periodOfDay[Int(table.day[r] - first)]
      if table.event[r] == .purchase { occasions[t] += 1 }
      revenue[t] += table.amount[r]
    }
    let seasons = period.seasonsPerYear
    var sums = [(occasions: Double, expectedOccasions: Double, revenue: Double, expectedRevenue: Double)](repeating: (0, 0, 0, 0), count: seasons)
    for t in 0..<n {
      let k = period.seasonIndex(of: window.firstPeriod + t)
      var eo = 0.0, er = 0.0
      for (s, customers) in counts.occupancy[t].enumerated() where customers > 0 {
        eo += customers * counts.rewards[s].occasionsMean
        er += customers * counts.rewards[s].revenueMean
      }
      sums[k].occasions += occasions[t]
      sums[k].expectedOccasions += eo
      sums[k].revenue += revenue[t]
      sums[k].expectedRevenue += er
    }
    return sums.map {
      .init(
        occasions: $0.expectedOccasions > 0 ? $0.occasions / $0.expectedOccasions : 1,
        revenue: $0.expectedRevenue > 0 ? $0.revenue / $0.expectedRevenue : 1)
    }
  }

  /// FNV-1a (64-bit) over the columns: cheap, stable, and enough to tell inputs apart.
  static func fingerprint(_ table: TransactionTable, source: String) -> MarkovModel.InputFingerprint {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) func mix(_ value: UInt64) {
      hash = (hash ^ value) &* 0x100_0000_01b3
    }
    // Row by row as before the table dropped its per-row customer column, so hashes match.
    for c in 0..<table.customerCount {
      for r in table.rows(of: c) {
        mix(UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: c))))
        mix(UInt64(UInt32(bitPattern: table.day[r])))
        mix(table.amount[r].bitPattern)
        mix(UInt64(table.event[r].rawValue))
      }
    }
    let range = table.dayRange
    return .init(
      source: source, rows: table.rowCount, customers: table.customerCount, firstDay: range?.lowerBound,
      lastDay: range?.upperBound, contentHash: String(hash, radix: 16))
  }
}

import Foundation

/// What `journey evaluate` is asked for.
public struct EvaluationOptions: Sendable {
  public var launch: CalendarDay
  /// Complete periods before the launch period (default 12).
  public var prePeriods = 12
  /// Complete periods after the launch (default: all the data has, at most 12).
  public var postPeriods: Int? = nil
  public var fit = FitOptions()
  /// Bootstrap resamples for the KPI intervals.
  public var bootstrap = 500
  /// Monte Carlo replicates of the counterfactual.
  public var replicates = 500
  public var seed: UInt64 = 1
  /// Two-sided error rate of every flag (intervals at 1 - alpha, tests at alpha after correction).
  public var alpha = 0.05

  public init(launch: CalendarDay) { self.launch = launch }
}

/// Before and after a CRM rollout: KPIs per window with bootstrap intervals, which transitions
/// changed, and the lift against what the pre-launch model says would have happened.
public struct RolloutEvaluation: Codable, Sendable {
  public struct Interval: Codable, Sendable, Equatable {
    public var value: Double
    public var low: Double
    public var high: Double
  }

  public struct KPIRow: Codable, Sendable {
    public var kpi: String
    public var pre: Interval?
    public var post: Interval?
    /// post - pre, with its bootstrap interval (customers resampled together in both windows).
    public var change: Interval?
    /// The interval of the change excludes zero.
    public var flagged: Bool
    /// Why the KPI could not be computed, if it could not.
    public var note: String?
  }

  public struct TransitionChange: Codable, Sendable {
    public var from: String
    public var g: Double
    public var degreesOfFreedom: Int
    public var pValue: Double
    /// Holm-adjusted across the states tested.
    public var adjustedPValue: Double
    public var flagged: Bool
    /// The moves out of `from` that changed most: (to, pre probability, post probability).
    public var largestChanges: [MoveChange]
  }

  public struct MoveChange: Codable, Sendable {
    public var to: String
    public var pre: Double
    public var post: Double
  }

  public struct Lift: Codable, Sendable {
    public var kpi: String
    public var actual: Double
    /// What the pre-launch model projects without the rollout, with its P(alpha/2)..P(1-alpha/2) band.
    public var counterfactual: Interval
    /// actual - counterfactual, with the band from the pre-model's uncertainty.
    public var lift: Interval
    public var relativeLift: Double
    /// The actual value lies outside the counterfactual band.
    public var flagged: Bool
  }

  public var launch: CalendarDay
  public var period: PeriodKind
  public var preWindow: String
  public var postWindow: String
  /// How the launch period is handled.
  public var launchPeriodNote: String
  public var kpis: [KPIRow]
  public var correction = "Holm"
  public var transitions: [TransitionChange]
  public var lifts: [Lift]
  public var warnings: [String]
  public var targets: [TargetResult] = []
  public var alpha: Double
  /// Per period, actual against the counterfactual (see `RolloutEvaluation+Path.swift`).
  public var path: [PeriodPath] = []

  /// - Throws: `EvaluationError` for a launch outside the data or windows too short; `FitError`.
  public static func run(_ table: TransactionTable, options: EvaluationOptions) throws -> RolloutEvaluation {
    let period = options.fit.period
    guard let range = table.dayRange else { throw FitError.emptyData }
    guard options.launch > range.lowerBound && options.launch <= range.upperBound else {
      throw EvaluationError.launchOutsideData(launch: options.launch, first: range.lowerBound, last: range.upperBound)
    }
    // The launch period: a launch on its first day opens the post window; otherwise the period
    // is mixed and belongs to neither window.
    let launchPeriod = period.index(of: options.launch)
    let launchIsClean = period.start(of: launchPeriod) == options.launch
    let postStart = launchIsClean ? launchPeriod : launchPeriod + 1
    let preEnd = launchPeriod - 1
    var lastComplete = period.index(of: range.upperBound)
    if period.end(of: lastComplete) != range.upperBound { lastComplete -= 1 }
    let available = lastComplete - postStart + 1
    guard available >= 1 else { throw EvaluationError.windowTooShort(window: "post", periods: max(0, available), needed: 1, hint: "the data ends \(range.upperBound); evaluate once a full \(period.rawValue) after the launch is in") }
    let post = min(options.postPeriods ?? 12, available)
    let firstPeriod = period.index(of: range.lowerBound)
    let pre = min(options.prePeriods, preEnd - firstPeriod + 1)
    guard pre >= 3 else { throw EvaluationError.windowTooShort(window: "pre", periods: max(0, pre), needed: 3, hint: "the data starts \(range.lowerBound); a pre-launch model needs at least 3 periods before the launch") }
    let preWindow = (preEnd - pre + 1)..<(preEnd + 1)
    let postWindow = postStart..<(postStart + post)
    var warnings: [String] = []
    if let asked = options.postPeriods, asked > available {
      warnings.append("only \(available) complete \(period.rawValue)s after the launch; the post window has \(post)")
    }

    // One model over both windows: its frozen states classify every customer-period.
    var fullOptions = options.fit
    fullOptions.asOf = period.end(of: postWindow.upperBound - 1)
    let full = try ModelFitter.fit(table, options: fullOptions)
    let space = full.stateSpace

    // KPIs per window with a cluster bootstrap over customers.
    let tally = WindowTally.tally(table, space: space, lastPeriod: postWindow.upperBound - 1, windows: [preWindow, postWindow])
    let kpis = kpiRows(tally, space: space, options: options, periods: [pre, post])

    // Which transitions changed: pre vs post counts per row, G-test of homogeneity, Holm.
    let transitions = changedTransitions(full, preWindow: preWindow, postWindow: postWindow, alpha: options.alpha)

    // Counterfactual: the pre-launch model run over the post window from the actual base at the
    // launch, with the acquisitions that actually happened.
    var preOptions = options.fit
    preOptions.asOf = period.end(of: preEnd)
    let preModel = try ModelFitter.fit(table, options: preOptions)
    let steps = postWindow.upperBound - 1 - preEnd
    let lifts = try counterfactualLifts(
      preModel: preModel, full: full, from: preEnd, steps: steps, compare: postWindow, tally: tally, options: options)

    // Can the pre-launch model predict its own last pre-launch periods?
    let check = min(3, pre - 2)
    if check >= 1 {
      var checkOptions = options.fit
      checkOptions.asOf = period.end(of: preEnd - check)
      if let checkModel = try? ModelFitter.fit(table, options: checkOptions) {
        let checkTally = WindowTally.tally(table, space: space, lastPeriod: preEnd, windows: [(preEnd - check + 1)..<(preEnd + 1)])
        let own = try counterfactualLifts(
          preModel: checkModel, full: full, from: preEnd - check, steps: check, compare: (preEnd - check + 1)..<(preEnd + 1),
          tally: checkTally, options: options, windowIndex: 0)
        let missed = own.filter { $0.flagged || abs($0.relativeLift) > 0.1 }
        if !missed.isEmpty {
          warnings.append(
            "the pre-launch model misses its own last \(check) pre-launch \(period.rawValue)s ("
              + missed.map { "\($0.kpi) off by \(Format.percent($0.relativeLift))" }.joined(separator: ", ")
              + "); the counterfactual is weak, read its lift with care")
        }
      }
    }
    let path = try periodPath(table, preModel: preModel, full: full, preWindow: preWindow, postWindow: postWindow, options: options)
    return RolloutEvaluation(
      launch: options.launch, period: period,
      preWindow: "\(period.label(of: preWindow.lowerBound)) .. \(period.label(of: preWindow.upperBound - 1)) (\(pre))",
      postWindow: "\(period.label(of: postWindow.lowerBound)) .. \(period.label(of: postWindow.upperBound - 1)) (\(post))",
      launchPeriodNote: launchIsClean
        ? "the launch is on the first day of \(period.label(of: launchPeriod)), which opens the post window"
        : "the launch falls inside \(period.label(of: launchPeriod)), which belongs to neither window",
      kpis: kpis, transitions: transitions, lifts: lifts, warnings: warnings, alpha: options.alpha, path: path)
  }

  /// The KPI definitions over a tally's terms: value = numerator / denominator (x scale).
  static let definitions: [(name: String, numerator: WindowTally.Term, denominator: WindowTally.Term?, complement: Bool, missing: String)] = [
    ("churn_rate", .churnEvents, .livingExposure, false, "no customer-periods before churn"),
    ("retention_rate", .churnEvents, .livingExposure, true, "no customer-periods before churn"),
    ("lead_conversion", .leadConversions, .leadExposure, false, "no leads in the data"),
    ("second_purchase_conversion", .secondPurchases, .newExposure, false, "no first-time buyers"),
    ("repeat_purchase_rate", .repeatPurchasing, .purchasing, false, "no purchases"),
    ("purchase_frequency", .occasions, .livingPeriods, false, "no living customers"),
    ("average_order_value", .revenue, .occasions, false, "no purchases"),
    ("revenue_per_active_customer", .revenue, .purchasing, false, "no purchases"),
    ("upgrade_rate", .upgrades, .lessExposure, false, "no value tiers (fit with --states value)"),
    ("downgrade_rate", .downgrades, .moreExposure, false, "no value tiers (fit with --states value)"),
    ("active_base", .purchasing, nil, false, "no purchases"),
  ]

  static func kpiRows(_ tally: WindowTally, space: StateSpace, options: EvaluationOptions, periods: [Int]) -> [KPIRow] {
    func values(_ totals: [Double], window: Int) -> [Double?] {
      definitions.map { d in
        let n = totals[d.numerator.rawValue]
        guard let den = d.denominator else { return n / Double(periods[window]) }
        let m = totals[den.rawValue]
        guard m > 0 else { return nil }
        return d.complement ? 1 - n / m : n / m
      }
    }
    let pre = values(tally.totals(window: 0), window: 0)
    let post = values(tally.totals(window: 1), window: 1)
    // Cluster bootstrap: resample buckets of customers with replacement, the same in both windows.
    var rng = RandomSource(seed: options.seed, stream: 0xB007)
    var preSamples = Array(repeating: [Double](), count: definitions.count)
    var postSamples = preSamples
    var changeSamples = preSamples
    for _ in 0..<options.bootstrap {
      var weights = [Double](repeating: 0, count: WindowTally.buckets)
      for _ in 0..<WindowTally.buckets { weights[Int(rng.next() % UInt64(WindowTally.buckets))] += 1 }
      let a = values(tally.totals(window: 0, weights: weights), window: 0)
      let b = values(tally.totals(window: 1, weights: weights), window: 1)
      for k in 0..<definitions.count {
        if let x = a[k] { preSamples[k].append(x) }
        if let y = b[k] { postSamples[k].append(y) }
        if let x = a[k], let y = b[k] { changeSamples[k].append(y - x) }
      }
    }
    let lo = options.alpha / 2, hi = 1 - options.alpha / 2
    func interval(_ value: Double?, _ samples: [Double]) -> Interval? {
      guard let value, samples.count > 1 else { return nil }
      return Interval(value: value, low: StateAssigner.quantile(samples, lo), high: StateAssigner.quantile(samples, hi))
    }
    return definitions.indices.map { k in
      let change = (pre[k] != nil && post[k] != nil) ? interval(post[k]! - pre[k]!, changeSamples[k]) : nil
      let missing = pre[k] == nil || post[k] == nil
      return KPIRow(
        kpi: definitions[k].name, pre: interval(pre[k], preSamples[k]), post: interval(post[k], postSamples[k]), change: change,
        flagged: change.map { $0.low > 0 || $0.high < 0 } ?? false,
        note: missing ? "not computable: \(definitions[k].missing)\(pre[k] == nil && post[k] != nil ? " before the launch" : post[k] == nil && pre[k] != nil ? " after the launch" : "")" : nil)
    }
  }

  static func changedTransitions(_ model: MarkovModel, preWindow: Range<Int>, postWindow: Range<Int>, alpha: Double) -> [TransitionChange] {
    let c = model.counts
    let s = c.stateCount
    var pre = [Double](repeating: 0, count: s * s)
    var post = pre
    for (t, cells) in c.perPeriod.enumerated() {
      let destination = c.firstPeriod + t + 1
      for cell in cells {
        let k = Int(cell.from) * s + Int(cell.to)
        if preWindow.contains(destination) { pre[k] += cell.count }
        if postWindow.contains(destination) { post[k] += cell.count }
      }
    }
    var rows: [FitDiagnostics.RowHomogeneity] = []
    var moves: [[MoveChange]] = []
    for i in 0..<s where !model.stateSpace.states[i].isAbsorbing {
      let a = (0..<s).map { pre[i * s + $0] }, b = (0..<s).map { post[i * s + $0] }
      let na = a.reduce(0, +), nb = b.reduce(0, +)
      let used = (0..<s).filter { a[$0] + b[$0] > 0 }
      guard na > 0, nb > 0, used.count >= 2 else { continue }
      var g = 0.0
      let total = na + nb
      for j in used {
        let col = a[j] + b[j]
        if a[j] > 0 { g += 2 * a[j] * log(a[j] / (na * col / total)) }
        if b[j] > 0 { g += 2 * b[j] * log(b[j] / (nb * col / total)) }
      }
      let df = used.count - 1
      rows.append(.init(state: model.stateSpace.states[i].name, g: g, degreesOfFreedom: df, pValue: ChiSquared.survival(g, degreesOfFreedom: Double(df)), adjustedPValue: 1))
      moves.append(
        used.map { MoveChange(to: model.stateSpace.states[$0].name, pre: a[$0] / na, post: b[$0] / nb) }
          .sorted { abs($0.post - $0.pre) > abs($1.post - $1.pre) }.prefix(3).map { $0 })
    }
    let adjusted = FitDiagnostics.holmAdjusted(rows)
    return adjusted.enumerated().map { k, r in
      TransitionChange(
        from: r.state, g: r.g, degreesOfFreedom: r.degreesOfFreedom, pValue: r.pValue, adjustedPValue: r.adjustedPValue,
        flagged: r.adjustedPValue < alpha, largestChanges: moves[k])
    }
  }

  /// Lifts of actual KPIs over the pre-model's projection from period `from` for `steps` periods,
  /// compared over the periods in `compare` (the last ones of the projection).
  static func counterfactualLifts(
    preModel: MarkovModel, full: MarkovModel, from: Int, steps: Int, compare: Range<Int>, tally: WindowTally,
    options: EvaluationOptions, windowIndex: Int = 1
  ) throws -> [Lift] {
    let s = full.stateSpace.count
    // The acquisitions that happened, per projected period, in the full model's numbering.
    let given = (1...steps).map { h -> [Double] in
      let t = from + h - full.counts.firstPeriod
      return t >= 0 && t < full.counts.periodCount ? full.counts.acquisitions[t] : [Double](repeating: 0, count: s)
    }
    var o = ForecastOptions()
    o.horizon = steps
    o.acquisition = .given(given)
    o.replicates = options.replicates
    o.seed = options.seed
    let f = try ForecastEngine.run(model: preModel, options: o)
    let used = (0..<steps).filter { compare.contains(from + 1 + $0) }
    let actual = tally.totals(window: windowIndex)
    // Per path: the KPI over the compared periods, computed as the tally computes it.
    func aggregate(_ series: (KPI) -> [Double], start: [Double]) -> [String: Double] {
      let living = series(.customers), churned = series(.churned), active = series(.active), revenue = series(.revenue)
      let purchases = series(.purchases)
      var livingBefore = 0.0, churnedSum = 0.0
      for t in used {
        livingBefore += t == 0 ? zip(start, preModel.stateSpace.states).reduce(0) { $1.1.stage == .churned ? $0 : $0 + $1.0 } : living[t - 1]
        churnedSum += churned[t]
      }
      return [
        "churn_rate": livingBefore > 0 ? churnedSum / livingBefore : .nan,
        "active_base": used.reduce(0) { $0 + active[$1] } / Double(max(1, used.count)),
        "revenue": used.reduce(0) { $0 + revenue[$1] },
        "purchases": used.reduce(0) { $0 + purchases[$1] },
      ]
    }
    let expected = aggregate({ f.expected[$0]! }, start: preModel.currentBase)
    var replicates: [[String: Double]] = []
    for r in 0..<options.replicates {
      replicates.append(aggregate({ kpi in f.samples[kpi]!.map { $0[r] } }, start: preModel.currentBase))
    }
    let actualValues: [String: Double] = [
      "churn_rate": actual[WindowTally.Term.livingExposure.rawValue] > 0
        ? actual[WindowTally.Term.churnEvents.rawValue] / actual[WindowTally.Term.livingExposure.rawValue] : .nan,
      "active_base": actual[WindowTally.Term.purchasing.rawValue] / Double(max(1, used.count)),
      "revenue": actual[WindowTally.Term.revenue.rawValue],
      "purchases": actual[WindowTally.Term.occasions.rawValue],
    ]
    let lo = options.alpha / 2, hi = 1 - options.alpha / 2
    return ["active_base", "purchases", "revenue", "churn_rate"].compactMap { name in
      guard let a = actualValues[name], a.isFinite, let e = expected[name], e.isFinite else { return nil }
      let samples = replicates.compactMap { $0[name] }.filter(\.isFinite)
      let low = samples.isEmpty ? e : StateAssigner.quantile(samples, lo)
      let high = samples.isEmpty ? e : StateAssigner.quantile(samples, hi)
      return Lift(
        kpi: name, actual: a, counterfactual: Interval(value: e, low: low, high: high),
        lift: Interval(value: a - e, low: a - high, high: a - low), relativeLift: e != 0 ? a / e - 1 : 0,
        flagged: a < low || a > high)
    }
  }
}

/// Why an evaluation cannot be made.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
  case launchOutsideData(launch: CalendarDay, first: CalendarDay, last: CalendarDay)
  case windowTooShort(window: String, periods: Int, needed: Int, hint: String)

  public var description: String {
    switch self {
    case let .launchOutsideData(launch, first, last):
      return "--launch: '\(launch)' is outside the data (\(first) to \(last)); give a launch date inside it, with data before and after"
    case let .windowTooShort(window, periods, needed, hint):
      return "the \(window)-launch window has \(periods) complete period(s), at least \(needed) needed; \(hint)"
    }
  }
}

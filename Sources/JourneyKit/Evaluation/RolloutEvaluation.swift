import Foundation

/// What `journey evaluate` is asked for.
public struct EvaluationOptions: Sendable {
  /// The first day of the CRM rollout.
  public var launch: CalendarDay
  /// Complete periods before the launch period (default 12).
  public var prePeriods = 12
  /// Complete periods after the launch (default: all the data has, at most 12).
  public var postPeriods: Int? = nil
  /// How the models are fitted (the full fit and the pre-launch counterfactual).
  public var fit = FitOptions()
  /// Bootstrap resamples for the KPI intervals.
  public var bootstrap = MonteCarloDefaults.evaluationBootstrap
  /// Monte Carlo replicates of the counterfactual.
  public var replicates = MonteCarloDefaults.evaluationReplicates
  /// Seed of the bootstrap and the Monte Carlo counterfactual: the same seed gives the same intervals.
  public var seed: UInt64 = MonteCarloDefaults.seed
  /// Two-sided error rate of every flag (intervals at 1 - alpha, tests at alpha after correction).
  public var alpha = 0.05

  /// Options with every default and the launch given.
  public init(launch: CalendarDay) { self.launch = launch }
}

/// Before and after a CRM rollout: KPIs per window with bootstrap intervals, which transitions
/// changed, and the lift against what the pre-launch model says would have happened.
public struct RolloutEvaluation: Codable, Sendable {
  /// An estimate with its interval (at 1 - alpha unless said otherwise).
  public struct Interval: Codable, Sendable, Equatable {
    /// The estimate.
    public var value: Double
    /// The lower end of the interval.
    public var low: Double
    /// The upper end of the interval.
    public var high: Double
  }

  /// One KPI before and after the launch.
  public struct KPIRow: Codable, Sendable {
    /// The KPI's name (`active`, `churn_rate`, ...).
    public var kpi: String
    /// Its value over the pre-launch window, with a bootstrap interval.
    public var pre: Interval?
    /// Its value over the post-launch window, with a bootstrap interval.
    public var post: Interval?
    /// post - pre, with its bootstrap interval (customers resampled together in both windows).
    public var change: Interval?
    /// The interval of the change excludes zero.
    public var flagged: Bool
    /// Why the KPI could not be computed, if it could not.
    public var note: String?
  }

  /// One state's outgoing moves, tested against their pre-launch trend.
  public struct TransitionChange: Codable, Sendable {
    /// The state the moves leave.
    public var from: String
    /// The largest |t| of the row's moves (post mean against the pre-launch trend).
    public var t: Double
    /// Degrees of freedom of the t statistic.
    public var degreesOfFreedom: Int
    /// The row's smallest move p-value times the moves tested.
    public var pValue: Double
    /// Holm-adjusted across the states tested.
    public var adjustedPValue: Double
    /// The adjusted p-value is below alpha.
    public var flagged: Bool
    /// The moves out of `from` that changed most against their trend.
    public var largestChanges: [MoveChange]
  }

  /// A state with moves that no customer made before the launch, and did after: not tested
  /// against a trend, as a base can grow into moves it could not make yet (a control group can
  /// tell the two apart).
  public struct NewMoves: Codable, Sendable {
    /// The state the moves leave.
    public var from: String
    /// The moves never seen before the launch, with their share of the row after it.
    public var moves: [MoveChange]
  }

  /// One move out of a state: its share of the row before, expected and after.
  public struct MoveChange: Codable, Sendable {
    /// The state moved to.
    public var to: String
    /// Share of the row in the pre window.
    public var pre: Double
    /// The pre-launch trend extrapolated over the post window.
    public var expected: Double
    /// Share of the row in the post window.
    public var post: Double
  }

  /// One KPI after the launch against what the pre-launch model projects without the rollout.
  public struct Lift: Codable, Sendable {
    /// The KPI's name.
    public var kpi: String
    /// What happened over the post-launch window.
    public var actual: Double
    /// What the pre-launch model projects without the rollout, with a simultaneous band from its
    /// parameter and process uncertainty and its own measured error.
    public var counterfactual: Interval
    /// actual - counterfactual, with the band from the pre-model's uncertainty.
    public var lift: Interval
    /// actual / counterfactual - 1 (0 when the counterfactual is 0).
    public var relativeLift: Double
    /// The pre-launch model's relative error replaying the pre window (nil when too short to replay).
    public var modelError: Double?
    /// The actual value lies outside the counterfactual band, and the band holds the model's
    /// measured error (`judged`).
    public var flagged: Bool
    /// The pre-launch model's error was measured on periods it was not fitted on (`modelError`),
    /// so a lift can be called. Without it the band holds only the Monte Carlo uncertainty, which
    /// a chain fitted on a few months misses by far more: on CDNOW with nothing launched on
    /// 1998-01-01, purchases fell 14.6% short of such a band and were called a lift.
    public var judged: Bool = true
    /// The smallest relative lift this band finds with 80% power: (z + z_0.8) / z x the band's
    /// larger half-width / |counterfactual| (nil when the counterfactual is 0).
    public var minimumDetectableEffect: Double? = nil
  }

  /// The first day of the rollout.
  public var launch: CalendarDay
  /// The period length of the evaluation.
  public var period: PeriodKind
  /// The pre-launch window as period labels.
  public var preWindow: String
  /// The post-launch window as period labels.
  public var postWindow: String
  /// How the launch period is handled.
  public var launchPeriodNote: String
  /// KPIs before and after, with the change.
  public var kpis: [KPIRow]
  /// The multiple-testing correction applied to the transition tests.
  public var correction = "Holm"
  /// How the counterfactual's model was fitted.
  public var counterfactualNotes: [String] = []
  /// The states whose moves were tested against their trend.
  public var transitions: [TransitionChange]
  /// The states not tested because they have a move never seen before the launch.
  public var newMoves: [NewMoves] = []
  /// The lift of each KPI over the counterfactual.
  public var lifts: [Lift]
  /// What the reader should know before trusting the numbers (short windows, thin data).
  public var warnings: [String]
  /// The targets file's goals, met or not (empty without `--targets`).
  public var targets: [TargetResult] = []
  /// The two-sided error rate of every flag.
  public var alpha: Double
  /// Per period, actual against the counterfactual (see `RolloutEvaluation+Path.swift`).
  public var path: [PeriodPath] = []

  /// - Throws: `EvaluationError` for a launch outside the data or windows too short; `FitError`.
  public static func run(_ table: TransactionTable, options: EvaluationOptions) throws -> RolloutEvaluation {
    let period = options.fit.period
    let w = try EvaluationWindows(table, options: options)
    let launchPeriod = w.launchPeriod, launchIsClean = w.launchIsClean, preEnd = w.preEnd
    let preWindow = w.pre, postWindow = w.post, pre = w.preCount, post = w.postCount, firstPeriod = w.firstPeriod
    var warnings = w.warnings

    // One model over both windows: its frozen states classify every customer-period.
    var fullOptions = options.fit
    fullOptions.asOf = period.end(of: postWindow.upperBound - 1)
    let full = try ModelFitter.fit(table, options: fullOptions)
    let space = full.stateSpace

    // KPIs per window with a cluster bootstrap over customers.
    let tally = WindowTally.tally(table, space: space, lastPeriod: postWindow.upperBound - 1, windows: [preWindow, postWindow])
    let kpis = kpiRows(tally, space: space, options: options, periods: [pre, post])

    // Counterfactual: the pre-launch model run over the post window from the actual base at the
    // launch, with the acquisitions that actually happened; its band is widened by its own error
    // replaying the pre window.
    let (preModel, notes) = try Counterfactual.preLaunchModel(table, full: full, options: options, dataStart: firstPeriod, preEnd: preEnd)
    let projection = try Counterfactual.project(
      preModel, full: full, origin: preEnd, steps: postWindow.upperBound - 1 - preEnd, compare: postWindow, options: options)
    // The model's own error: the same recipe fitted h periods earlier, projecting the last h
    // pre-launch periods it has not seen (h as long as the post window while a year, or else 6
    // periods, remains to fit on).
    var modelError: [String: Double] = [:]
    let fitStart = preModel.counts.firstPeriod
    let fitted = preEnd - fitStart + 1
    let placeboFit = fitted - period.seasonsPerYear >= 3 ? period.seasonsPerYear : 6
    let placeboSteps = min(post, fitted - placeboFit)
    if placeboSteps >= 2 {
      let origin = preEnd - placeboSteps
      let placebo = try Counterfactual.preLaunchModel(table, full: full, options: options, dataStart: firstPeriod, preEnd: origin).model
      let window = (origin + 1)..<(preEnd + 1)
      let replay = try Counterfactual.project(placebo, full: full, origin: origin, steps: placeboSteps, compare: window, options: options)
      let actual = Counterfactual.actual(
        WindowTally.tally(table, space: space, lastPeriod: preEnd, windows: [window]), window: 0, periods: placeboSteps)
      for (kpi, e) in replay.expected where e.isFinite && e != 0 {
        // A drifting model's error grows with the horizon: scaled up to the post window's length.
        if let a = actual[kpi], a.isFinite { modelError[kpi] = (a / e - 1) * Double(post) / Double(placeboSteps) }
      }
      let missed = Counterfactual.kpis.filter { abs(modelError[$0] ?? 0) > 0.1 }
      if !missed.isEmpty {
        warnings.append(
          "fitted \(placeboSteps) \(period.rawValue)s earlier, the pre-launch model misses its last \(placeboSteps) pre-launch \(period.rawValue)s ("
            + missed.map { "\($0) off by \(Format.percent(modelError[$0]!)) over \(post) \(period.rawValue)s" }.joined(separator: ", ")
            + "); the counterfactual is weak and its band wide")
      }
    } else {
      warnings.append("too few pre-launch periods to test the pre-launch model on periods it has not seen; the counterfactual band covers only its parameter and process uncertainty")
    }
    // Which moves changed beyond their pre-launch trend and seasons (the trend is read from every
    // period the pre-launch model was fitted on, the --pre window included).
    let trendWindow = min(preWindow.lowerBound, fitStart)..<preWindow.upperBound
    let (transitions, newMoves) = TransitionTrends.changes(full, seasons: preModel, preWindow: trendWindow, postWindow: postWindow, alpha: options.alpha)
    let lifts = Counterfactual.lifts(
      projection, actual: Counterfactual.actual(tally, window: 1, periods: post), modelError: modelError, alpha: options.alpha)
    let path = periodPath(
      table, counterfactual: projection.forecast, full: full, preWindow: preWindow, postWindow: postWindow, modelError: modelError,
      options: options)
    return RolloutEvaluation(
      launch: options.launch, period: period,
      preWindow: w.preLabel, postWindow: w.postLabel,
      launchPeriodNote: launchIsClean
        ? "the launch is on the first day of \(period.label(of: launchPeriod)), which opens the post window"
        : "the launch falls inside \(period.label(of: launchPeriod)), which belongs to neither window",
      kpis: kpis, counterfactualNotes: notes, transitions: transitions, newMoves: newMoves, lifts: lifts, warnings: warnings,
      alpha: options.alpha, path: path)
  }

  /// The KPI definitions over a tally's terms: value = numerator / denominator (x scale). Those
  /// named by purchases read the purchases (`WindowTally.Term.buying` and the two after it), not
  /// the states' stages: in an RFM space, with no first-purchase stage and the top recency score
  /// for active, repeat_purchase_rate read 100% in every window.
  static let definitions: [(name: String, numerator: WindowTally.Term, denominator: WindowTally.Term?, complement: Bool, missing: String)] = [
    ("churn_rate", .churnEvents, .livingExposure, false, "no customer-periods before churn"),
    ("retention_rate", .churnEvents, .livingExposure, true, "no customer-periods before churn"),
    ("lead_conversion", .leadConversions, .leadExposure, false, "no leads in the data"),
    ("second_purchase_conversion", .secondBuying, .firstBuyerExposure, false, "no first-time buyers"),
    ("repeat_purchase_rate", .repeatBuying, .buying, false, "no purchases"),
    ("purchase_frequency", .occasions, .livingPeriods, false, "no living customers"),
    ("average_order_value", .revenue, .occasions, false, "no purchases"),
    ("revenue_per_active_customer", .revenue, .buying, false, "no purchases"),
    ("upgrade_rate", .upgrades, .lessExposure, false, "no value tiers (fit with --states value)"),
    ("downgrade_rate", .downgrades, .moreExposure, false, "no value tiers (fit with --states value)"),
    ("active_base", .buying, nil, false, "no purchases"),
  ]

  /// The KPIs of `definitions` from a window's tally totals (nil where the denominator is 0).
  static func kpiValues(_ totals: [Double], periods: Int) -> [Double?] {
    definitions.map { d in
      let n = totals[d.numerator.rawValue]
      guard let den = d.denominator else { return n / Double(periods) }
      let m = totals[den.rawValue]
      guard m > 0 else { return nil }
      return d.complement ? 1 - n / m : n / m
    }
  }

  static func kpiRows(_ tally: WindowTally, space: StateSpace, options: EvaluationOptions, periods: [Int]) -> [KPIRow] {
    func values(_ totals: [Double], window: Int) -> [Double?] { kpiValues(totals, periods: periods[window]) }
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
      return Interval(value: value, low: Quantile.of(samples, lo), high: Quantile.of(samples, hi))
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
}

/// Why an evaluation cannot be made.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
  case launchOutsideData(launch: CalendarDay, first: CalendarDay, last: CalendarDay)
  case windowTooShort(window: String, periods: Int, needed: Int, hint: String)
  /// A group with no customer who entered before the launch.
  case emptyGroup(group: String, customers: Int, launch: CalendarDay)
  /// Control ids that no row of the data has.
  case unknownControlIDs(file: String, missing: Int, listed: Int, examples: [String])
  /// The group column is missing or has values other than a treated and a control label.
  case badGroupColumn(column: String, problem: String, hint: String)
  /// A launches file that is not `value,YYYY-MM-DD` lines.
  case badLaunches(file: String, line: Int?, problem: String, hint: String)

  /// The message for the user: what is wrong and what to try.
  public var description: String {
    switch self {
    case let .launchOutsideData(launch, first, last):
      return "--launch: '\(launch)' is outside the data (\(first) to \(last)); give a launch date inside it, with data before and after"
    case let .windowTooShort(window, periods, needed, hint):
      return "the \(window)-launch window has \(periods) complete period(s), at least \(needed) needed; \(hint)"
    case let .emptyGroup(group, customers, launch):
      return "the \(group) group has no customers before the launch \(launch) (\(customers) in all); "
        + "a difference in differences needs both groups before and after; check that the control ids or group labels cover customers who bought before the launch"
    case let .unknownControlIDs(file, missing, listed, examples):
      return "\(file): \(missing) of \(listed) control ids are not in the data (e.g. \(examples.joined(separator: ", "))); "
        + "expected ids as in the customer_id column, one a line; check that the file belongs to this data and that the ids are spelled the same"
    case let .badGroupColumn(column, problem, hint):
      return "group column '\(column)': \(problem); \(hint)"
    case let .badLaunches(file, line, problem, hint):
      return "\(file)\(line.map { ":\($0)" } ?? ""): \(problem); \(hint)"
    }
  }
}

extension RolloutEvaluation {
  /// Checks that the launch and the windows around it fit the data, before any model is chosen
  /// or fitted (a launch before the data otherwise surfaced as an empty fit).
  ///
  /// - Throws: `EvaluationError` for a launch outside the data or windows too short; `FitError.emptyData`.
  public static func checkWindows(_ table: TransactionTable, options: EvaluationOptions) throws {
    _ = try EvaluationWindows(table, options: options)
  }
}

/// The windows compared around a launch, in periods.
struct EvaluationWindows {
  var range: ClosedRange<CalendarDay>
  var firstPeriod: Int
  var launchPeriod: Int
  /// Whether the launch is on the first day of its period (which then opens the post window).
  var launchIsClean: Bool
  var preEnd: Int
  var pre: Range<Int>
  var post: Range<Int>
  var warnings: [String] = []
  var preCount: Int { pre.count }
  var postCount: Int { post.count }
  var preLabel: String
  var postLabel: String

  /// - Throws: `EvaluationError` for a launch outside the data or windows too short; `FitError.emptyData`.
  init(_ table: TransactionTable, options: EvaluationOptions) throws {
    let period = options.fit.period
    guard let range = table.dayRange else { throw FitError.emptyData }
    guard options.launch > range.lowerBound && options.launch <= range.upperBound else {
      throw EvaluationError.launchOutsideData(launch: options.launch, first: range.lowerBound, last: range.upperBound)
    }
    self.range = range
    // The launch period: a launch on its first day opens the post window; otherwise the period
    // is mixed and belongs to neither window.
    launchPeriod = period.index(of: options.launch)
    launchIsClean = period.start(of: launchPeriod) == options.launch
    let postStart = launchIsClean ? launchPeriod : launchPeriod + 1
    preEnd = launchPeriod - 1
    var lastComplete = period.index(of: range.upperBound)
    if period.end(of: lastComplete) != range.upperBound { lastComplete -= 1 }
    let available = lastComplete - postStart + 1
    guard available >= 1 else { throw EvaluationError.windowTooShort(window: "post", periods: max(0, available), needed: 1, hint: "the data ends \(range.upperBound); evaluate once a full \(period.rawValue) after the launch is in") }
    let postCount = min(options.postPeriods ?? 12, available)
    firstPeriod = period.index(of: range.lowerBound)
    let preCount = min(options.prePeriods, preEnd - firstPeriod + 1)
    guard preCount >= 3 else { throw EvaluationError.windowTooShort(window: "pre", periods: max(0, preCount), needed: 3, hint: "the data starts \(range.lowerBound); a pre-launch model needs at least 3 periods before the launch") }
    pre = (preEnd - preCount + 1)..<(preEnd + 1)
    post = postStart..<(postStart + postCount)
    if let asked = options.postPeriods, asked > available {
      warnings.append("only \(available) complete \(period.rawValue)s after the launch; the post window has \(postCount)")
    }
    preLabel = "\(period.label(of: pre.lowerBound)) .. \(period.label(of: pre.upperBound - 1)) (\(preCount))"
    postLabel = "\(period.label(of: post.lowerBound)) .. \(period.label(of: post.upperBound - 1)) (\(postCount))"
  }
}

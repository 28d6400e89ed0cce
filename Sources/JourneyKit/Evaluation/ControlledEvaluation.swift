import Foundation

/// Who got the rollout: one entry per customer of the table.
public enum RolloutGroup: Int8, Codable, Sendable {
  case treated = 0
  case control = 1
}

/// A rollout judged against a control group: difference-in-differences per KPI and per move
/// of the chain, a verdict with false-discovery control, and the effect in money.
///
/// Every measure m (a KPI, or the probability of a move from one state to another) is taken
/// per group and window, and the effect is
///
/// ```
/// effect = (m[treated, after] - m[treated, before]) - (m[control, after] - m[control, before])
/// ```
///
/// Its interval comes from a bootstrap over customers (buckets of customers resampled with
/// replacement, separately within each group and the same in both windows, so a customer's
/// before and after stay together). The p-value of each measure is the normal one of
/// effect / bootstrap standard error.
///
/// The verdict tests a primary measure declared before any data is seen, then the rest (a
/// fallback procedure, Wiens 2003):
///
/// ```
/// 1. whether the treated fall dormant at another rate than the control after the launch, by
///    the dormancy score of the activity model fitted before the launch (`DormancyOutcomes`,
///    compared as in `LaunchBaseComparison`), at level 0.8 alpha;
/// 2. every other measure by Benjamini and Hochberg (1995), at level alpha when 1 flagged the
///    primary, at 0.2 alpha when it did not.
/// ```
///
/// When nothing changed, the chance that anything is flagged is at most 0.8 alpha + 0.2 alpha =
/// alpha; the primary test is not diluted over dozens of moves, and an effect elsewhere (lead
/// conversion, say) can still be found without it.
///
/// With a random holdout, both groups share every trend, season and drift of the base's mix,
/// so the difference of their changes is the rollout's effect on the treated (Angrist & Pischke
/// 2009, ch. 5).
public struct ControlledEvaluation: Codable, Sendable {
  /// An estimate with its interval, as in the before-and-after evaluation.
  public typealias Interval = RolloutEvaluation.Interval

  /// One measure, compared between the groups and windows.
  public struct Estimate: Codable, Sendable {
    /// A KPI name, or `from -> to` for a move.
    public var measure: String
    /// The measure is a move of the chain (a probability), not a KPI.
    public var isMove: Bool
    /// The measure in the treated group over the pre-launch window.
    public var treatedBefore: Double
    /// The measure in the treated group over the post-launch window.
    public var treatedAfter: Double
    /// The measure in the control group over the pre-launch window.
    public var controlBefore: Double
    /// The measure in the control group over the post-launch window.
    public var controlAfter: Double
    /// The difference in differences, with its bootstrap percentile interval.
    public var effect: Interval
    /// Standard deviation of the effect over the bootstrap resamples.
    public var standardError: Double
    /// Two-sided normal p-value of effect / standardError, before any correction.
    public var pValue: Double
    /// Benjamini-Hochberg adjusted over every measure tested.
    public var adjustedPValue: Double
    /// The adjusted p-value is below `secondaryLevel`: part of the verdict.
    public var flagged: Bool
    /// Periods of no purchase a customer needs before this measure can move (a churn counted
    /// after 6 quiet months cannot show a change made in the last 6 months).
    public var lagPeriods: Int
    /// The post window is longer than the lag, so the measure can respond inside it.
    public var respondsInTime: Bool
  }

  /// The measured effect rolled out to everyone, through the scenario engine.
  public struct RolloutValue: Codable, Sendable {
    /// Periods projected (a year of the evaluation's period).
    public var horizonPeriods: Int
    /// Incremental revenue over the horizon: the point estimate, and the 5% to 95% range over
    /// bootstrap draws of the measured moves.
    public var incrementalRevenue: Interval
    /// The scenario (YAML for `journey compare`) with the measured moves.
    public var scenarioYAML: String
  }

  /// The first day of the rollout.
  public var launch: CalendarDay
  /// The period length of the evaluation.
  public var period: PeriodKind
  /// The pre-launch window as period labels.
  public var preWindow: String
  /// The post-launch window as period labels.
  public var postWindow: String
  /// Complete periods in the post-launch window.
  public var postPeriods: Int
  /// Customers of the table in the treated group (including those first seen after the launch).
  public var treatedCustomers: Int
  /// Customers of the table in the control group (including those first seen after the launch).
  public var controlCustomers: Int
  /// Every measure that could be computed, KPIs first, then the moves.
  public var estimates: [Estimate]
  /// The two-sided error rate of the verdict: the chance of any false flag is at most alpha.
  public var alpha: Double
  /// The multiple-testing correction applied to the measures other than the primary.
  public var correction = "Benjamini-Hochberg"
  /// The primary test: the customers' dormancy scores after the launch, treated against control,
  /// regression-adjusted, with the change of the dormancy rate it means (nil when a group has no
  /// customer with a purchase, or no one bought before the launch).
  public var primary: LaunchBaseComparison?
  /// Level of the primary test (0.8 alpha).
  public var primaryLevel: Double = 0
  /// Whether the primary test found a difference.
  public var primaryFlagged = false
  /// Level of the Benjamini-Hochberg step over the other measures (alpha, or 0.2 alpha when the primary was not flagged).
  public var secondaryLevel: Double = 0
  /// The testing procedure, in words.
  public var procedure = ""
  /// The verdict in one sentence: which measures changed, or that none did beyond noise.
  public var verdict: String
  /// The measured moves rolled out to everyone (nil when there are no moves or the scenario cannot be built).
  public var rollout: RolloutValue?
  /// What the reader should know before trusting the numbers (short windows, a small control group, slow measures).
  public var warnings: [String]
  /// `active_share`'s difference in differences per post period (each against the whole before
  /// window), to show when the effect sets in; period starts are `eventPeriodStarts`.
  public var activeShareByPeriod: [StaggeredEvaluation.EventTimeEffect] = []
  /// The first day of each post period in `activeShareByPeriod`.
  public var eventPeriodStarts: [CalendarDay] = []

  /// Measures tested: the flagged ones are the verdict.
  public var flagged: [Estimate] { estimates.filter(\.flagged) }

  /// - Parameters:
  ///   - groups: per customer of `table`, treated or control.
  /// - Throws: `EvaluationError` for a launch outside the data, short windows, or an empty group; `FitError`.
  public static func run(_ table: TransactionTable, groups: [RolloutGroup], options: EvaluationOptions) throws -> ControlledEvaluation {
    precondition(groups.count == table.customerCount, "one group per customer")
    let w = try EvaluationWindows(table, options: options)

    // Groups must both have customers before the launch: a difference needs a before.
    let launchDay = Int32(options.launch.dayNumber)
    var before = [0, 0], total = [0, 0]
    for c in 0..<table.customerCount {
      let g = Int(groups[c].rawValue)
      total[g] += 1
      if let first = table.rows(of: c).first, table.day[first] < launchDay { before[g] += 1 }
    }
    for g in [RolloutGroup.control, .treated] where before[Int(g.rawValue)] == 0 {
      throw EvaluationError.emptyGroup(group: g == .control ? "control" : "treated", customers: total[Int(g.rawValue)], launch: options.launch)
    }
    var warnings = w.warnings
    if Double(before[1]) < 200 {
      warnings.append("the control group has \(before[1]) customers before the launch; intervals are wide and only large effects can show")
    }

    let period = options.fit.period
    var fullOptions = options.fit
    fullOptions.asOf = period.end(of: w.post.upperBound - 1)
    let full = try ModelFitter.fit(table, options: fullOptions)
    let space = full.stateSpace
    let tally = WindowTally.tally(
      table, space: space, lastPeriod: w.post.upperBound - 1, windows: [w.pre, w.post], groupOfCustomer: groups.map(\.rawValue),
      groups: 2, countingMoves: true)
    let catalogue = MeasureCatalogue(space: space, tally: tally, groups: 2, windows: 2)
    var rng = RandomSource(seed: options.seed, stream: 0xD1D)
    let measured = Self.measureEstimates(catalogue, bootstrap: options.bootstrap, rng: &rng, alpha: options.alpha, postPeriods: w.postCount)
    var estimates = measured.estimates
    let point = measured.point, moveSamples = measured.moveSamples
    // The primary test, then the others at the level it leaves them.
    let primary = DormancyOutcomes.model(table, launch: options.launch).flatMap { model in
      let outcomes = DormancyOutcomes.collect(
        table, space: space, before: w.pre, after: w.post, launch: options.launch, model: model, rates: DormancyOutcomes.rateGrid)
      return DormancyOutcomes.compare(
        scores: outcomes.scores, covariates: outcomes.covariates, treated: outcomes.customers.map { groups[$0] == .treated },
        alpha: options.alpha)
    }
    let test = Self.judge(primary: primary, estimates: &estimates, alpha: options.alpha)
    let changed = (test.primaryFlagged ? [LaunchBaseComparison.measureName] : []) + estimates.filter(\.flagged).map(\.measure)
    let tested = estimates.count + (primary == nil ? 0 : 1)
    let verdict =
      changed.isEmpty
      ? "no measure differs between treated and control beyond noise (\(tested) tested, chance of a false verdict at most \(Format.level(options.alpha)))"
      : "the rollout changed \(changed.count) of \(tested) measures against the control group (chance of a false verdict at most \(Format.level(options.alpha))): "
        + changed.joined(separator: ", ")

    var evaluation = ControlledEvaluation(
      launch: options.launch, period: period, preWindow: w.preLabel, postWindow: w.postLabel, postPeriods: w.postCount,
      treatedCustomers: total[0], controlCustomers: total[1], estimates: estimates, alpha: options.alpha,
      primary: primary, primaryLevel: test.primaryLevel, primaryFlagged: test.primaryFlagged, secondaryLevel: test.secondaryLevel,
      procedure: Self.procedure(alpha: options.alpha), verdict: verdict, rollout: nil, warnings: warnings)
    let late = estimates.filter { !$0.respondsInTime }.map(\.measure)
    if !late.isEmpty {
      evaluation.warnings.append(
        "too slow for a \(w.postCount)-\(period.rawValue) post window (they need that many quiet \(period.rawValue)s before they move): "
          + late.joined(separator: ", "))
    }

    (evaluation.activeShareByPeriod, evaluation.eventPeriodStarts) = eventTime(
      table, space: space, groups: groups, window: w, options: options)

    // The measured moves rolled out to everyone, from the base at the launch on the pre-launch
    // model, over a year of periods.
    let moveNames = catalogue.moves.map { (space.states[$0.from].name, space.states[$0.to].name) }
    let pointMoves = point.suffix(catalogue.moves.count).map { $0 ?? 0 }
    evaluation.rollout = try rolloutValue(
      table, full: full, window: w, options: options, moves: moveNames, point: pointMoves, draws: moveSamples)
    return evaluation
  }

  /// Every measure of `catalogue` (a tally of 2 groups, treated then control, by 2 windows,
  /// before then after): the difference in differences, its bootstrap interval and standard
  /// error over `bootstrap` resamples of the customer buckets, and the unadjusted p-value;
  /// nothing flagged yet (`judge`). Also the point differences of every measure and the moves'
  /// differences per resample (for the rollout's value). `journey design` runs it on simulated
  /// tallies, so that its power is the power of this very test.
  static func measureEstimates(_ catalogue: MeasureCatalogue, bootstrap: Int, rng: inout RandomSource, alpha: Double, postPeriods: Int)
    -> (estimates: [Estimate], point: [Double?], moveSamples: [[Double]])
  {
    // The difference in differences of every measure, for one resample (nil: the data itself).
    func differences(_ weights: [[Double]]?) -> (effects: [Double?], values: [[Double?]]) {
      let t = catalogue.totals(weights)
      // treated before, treated after, control before, control after
      let v = [(0, 0), (0, 1), (1, 0), (1, 1)].map { catalogue.values(t, groups: [$0.0], windows: $0.1..<($0.1 + 1)) }
      let effects: [Double?] = (0..<catalogue.count).map { k in
        guard let a = v[0][k], let b = v[1][k], let c = v[2][k], let d = v[3][k] else { return nil }
        return (b - a) - (d - c)
      }
      return (effects, v)
    }
    let observed = differences(nil)
    let point = observed.effects
    var samples = Array(repeating: [Double](), count: point.count)
    var moveSamples: [[Double]] = []
    for _ in 0..<bootstrap {
      let weights = (0..<2).map { _ in
        var w = [Double](repeating: 0, count: WindowTally.buckets)
        for _ in 0..<WindowTally.buckets { w[Int(rng.next() % UInt64(WindowTally.buckets))] += 1 }
        return w
      }
      let d = differences(weights).effects
      for k in d.indices { if let x = d[k], x.isFinite { samples[k].append(x) } }
      moveSamples.append(d.suffix(catalogue.moves.count).map { $0 ?? 0 })
    }

    // Effects and p-values of every measure that could be computed.
    var estimates: [Estimate] = []
    for k in point.indices {
      guard let value = point[k], samples[k].count > 1 else { continue }
      let mean = samples[k].reduce(0, +) / Double(samples[k].count)
      let se = (samples[k].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples[k].count - 1)).squareRoot()
      let z = se > 0 ? abs(value) / se : (value == 0 ? 0 : .infinity)
      let values = observed.values.map { $0[k] ?? .nan }
      estimates.append(
        Estimate(
          measure: catalogue.names[k], isMove: catalogue.isMove(k), treatedBefore: values[0], treatedAfter: values[1],
          controlBefore: values[2], controlAfter: values[3],
          effect: Interval(
            value: value, low: Quantile.of(samples[k], alpha / 2),
            high: Quantile.of(samples[k], 1 - alpha / 2)),
          standardError: se, pValue: 2 * (1 - Normal.cdf(z)), adjustedPValue: 1, flagged: false, lagPeriods: catalogue.lag(k),
          respondsInTime: postPeriods > catalogue.lag(k)))
    }
    return (estimates, point, moveSamples)
  }

  /// The verdict: the primary test, then `estimates` by the fallback procedure (`fallbackTest`),
  /// their adjusted p-values and flags set. Something is found when the primary is flagged or
  /// any estimate is.
  static func judge(primary: LaunchBaseComparison?, estimates: inout [Estimate], alpha: Double)
    -> (primaryFlagged: Bool, primaryLevel: Double, secondaryLevel: Double)
  {
    let test = fallbackTest(primaryP: primary?.pValue, others: estimates.map(\.pValue), alpha: alpha)
    for k in estimates.indices {
      estimates[k].adjustedPValue = test.adjusted[k]
      estimates[k].flagged = test.adjusted[k] < test.secondaryLevel
    }
    return (test.primaryFlagged, test.primaryLevel, test.secondaryLevel)
  }

  /// `active_share` per post period against the before window, with bootstrap intervals (at most
  /// 200 resamples: it is a picture of when the effect sets in, not a test).
  static func eventTime(
    _ table: TransactionTable, space: StateSpace, groups: [RolloutGroup], window w: EvaluationWindows, options: EvaluationOptions
  ) -> ([StaggeredEvaluation.EventTimeEffect], [CalendarDay]) {
    let periods = Array(w.post)
    let windows = [w.pre] + periods.map { $0..<($0 + 1) }
    let tally = WindowTally.tally(
      table, space: space, lastPeriod: w.post.upperBound - 1, windows: windows, groupOfCustomer: groups.map(\.rawValue), groups: 2)
    let catalogue = MeasureCatalogue(space: space, tally: tally, groups: 2, windows: windows.count, windowSets: [])
    func effects(_ weights: [[Double]]?) -> [Double?] {
      let t = catalogue.totals(weights)
      let treatedBefore = catalogue.values(t, groups: [0], windows: 0..<1)[0]
      let controlBefore = catalogue.values(t, groups: [1], windows: 0..<1)[0]
      return periods.indices.map { k in
        guard let a = treatedBefore, let c = controlBefore, let b = catalogue.values(t, groups: [0], windows: (k + 1)..<(k + 2))[0],
          let d = catalogue.values(t, groups: [1], windows: (k + 1)..<(k + 2))[0]
        else { return nil }
        return (b - a) - (d - c)
      }
    }
    let point = effects(nil)
    var samples = [[Double]](repeating: [], count: periods.count)
    var rng = RandomSource(seed: options.seed, stream: 0xE7E7)
    for _ in 0..<min(200, options.bootstrap) {
      let weights = (0..<2).map { _ in
        var w = [Double](repeating: 0, count: WindowTally.buckets)
        for _ in 0..<WindowTally.buckets { w[Int(rng.next() % UInt64(WindowTally.buckets))] += 1 }
        return w
      }
      for (k, x) in effects(weights).enumerated() { if let x, x.isFinite { samples[k].append(x) } }
    }
    let lo = options.alpha / 2, hi = 1 - options.alpha / 2
    let series: [StaggeredEvaluation.EventTimeEffect] = periods.indices.compactMap { k in
      guard let v = point[k], samples[k].count > 1 else { return nil }
      return .init(
        periodsSinceLaunch: k, effect: Interval(value: v, low: Quantile.of(samples[k], lo), high: Quantile.of(samples[k], hi)),
        groups: 1)
    }
    return (series, periods.map { options.fit.period.start(of: $0) })
  }

  /// Periods of no purchase before a move into a state of `stage` can happen.
  static func lagPeriods(to stage: Stage, rules: LifecycleRules) -> Int {
    switch stage {
    case .atRisk: 1
    case .lapsed: rules.atRiskPeriods + 1
    case .churned: rules.churnAfterPeriods + 1
    default: 0
    }
  }

  /// Share of alpha spent on the primary test; the rest is the other measures' when it fails.
  static let primaryShare = 0.8

  /// The fallback procedure: the primary p-value at `primaryShare` alpha; the others'
  /// Benjamini-Hochberg adjusted p-values against alpha when the primary was flagged, against
  /// the remaining (1 - primaryShare) alpha when it was not (or is missing).
  static func fallbackTest(primaryP: Double?, others: [Double], alpha: Double)
    -> (primaryFlagged: Bool, primaryLevel: Double, adjusted: [Double], secondaryLevel: Double)
  {
    let primaryLevel = primaryShare * alpha
    let flagged = primaryP.map { $0 < primaryLevel } ?? false
    return (flagged, primaryLevel, benjaminiHochberg(others), flagged ? alpha : alpha - primaryLevel)
  }

  /// The procedure in words, for the outputs.
  static func procedure(alpha: Double) -> String {
    let primary = Format.level(primaryShare * alpha), rest = Format.level(alpha - primaryShare * alpha)
    return "primary: \(LaunchBaseComparison.measureName) (whether the treated fall dormant at another rate after the launch: each customer's dormancy score under the activity model fitted before it, adjusted for buying periods and recency before and for first buying after the launch) at \(primary); "
      + "then every other measure by Benjamini-Hochberg at \(Format.level(alpha)) if the primary is flagged, at \(rest) if not "
      + "(fallback procedure: the chance of any false verdict is at most \(Format.level(alpha)))"
  }

  /// Benjamini-Hochberg adjusted p-values, in the order given:
  ///
  /// ```
  /// adjusted p(k) = min over j >= k of min(1, m p(j) / j),  p sorted ascending, j = 1...m
  /// ```
  static func benjaminiHochberg(_ p: [Double]) -> [Double] {
    let m = p.count
    let order = p.indices.sorted { p[$0] < p[$1] }
    var adjusted = [Double](repeating: 1, count: m)
    var running = 1.0
    for rank in stride(from: m, through: 1, by: -1) {
      let k = order[rank - 1]
      running = min(running, min(1, p[k] * Double(m) / Double(rank)))
      adjusted[k] = running
    }
    return adjusted
  }

  static let rolloutDraws = 40

  static func rolloutValue(
    _ table: TransactionTable, full: MarkovModel, window w: EvaluationWindows, options: EvaluationOptions,
    moves: [(String, String)], point: [Double], draws: [[Double]]
  ) throws -> RolloutValue? {
    guard !moves.isEmpty else { return nil }
    let period = options.fit.period
    let firstPeriod = options.fit.period.index(of: table.dayRange!.lowerBound)
    let model = try Counterfactual.preLaunchModel(table, full: full, options: options, dataStart: firstPeriod, preEnd: w.preEnd).model
    var fromStates: [String] = []
    for move in moves where !fromStates.contains(move.0) { fromStates.append(move.0) }
    let horizon = period.seasonsPerYear
    func scenario(_ changes: [Double], name: String) -> Scenario {
      let effects = Intervention.Effects(
        moves: zip(moves, changes).compactMap { abs($1) > 1e-9 ? Intervention.Move(from: $0.0, to: $0.1, change: $1) : nil })
      let intervention = Intervention(
        name: "rollout as measured", targets: fromStates, tier: nil, reach: 1, start: 1, duration: nil, rampUp: 0, decay: 0,
        effects: effects, costs: .init())
      return Scenario(name: name, requires: nil, interventions: effects.moves.isEmpty ? [] : [intervention])
    }
    var forecastOptions = ForecastOptions()
    forecastOptions.horizon = horizon
    forecastOptions.replicates = 50
    forecastOptions.parameterUncertainty = false
    forecastOptions.processNoise = false
    forecastOptions.seed = options.seed
    let baseline = try ScenarioPlan(Scenario(name: "without the rollout"), model: model)
    func incremental(_ changes: [Double]) throws -> Double? {
      guard let plan = try? ScenarioPlan(scenario(changes, name: "rolled out to everyone"), model: model) else { return nil }
      let comparison = try ScenarioComparison.run(model: model, plans: [baseline, plan], options: forecastOptions)
      return comparison.rows[1].incrementalRevenue.expected
    }
    guard let value = try incremental(point) else { return nil }
    var range: [Double] = []
    for draw in draws.prefix(rolloutDraws) { if let x = try incremental(draw) { range.append(x) } }
    return RolloutValue(
      horizonPeriods: horizon,
      incrementalRevenue: Interval(
        value: value, low: range.isEmpty ? value : Quantile.of(range, 0.05),
        high: range.isEmpty ? value : Quantile.of(range, 0.95)),
      scenarioYAML: scenarioYAML(moves: moves, changes: point, targets: fromStates, launch: options.launch))
  }

  /// The measured moves as a scenario file for `journey compare`.
  static func scenarioYAML(moves: [(String, String)], changes: [Double], targets: [String], launch: CalendarDay) -> String {
    var lines = [
      "# The rollout launched \(launch), as measured against its control group (difference in differences),",
      "# rolled out to everyone: each move's probability changes by the measured amount.",
      "name: rollout as measured",
      "description: Moves changed as the controlled evaluation of the \(launch) rollout measured them.",
      "interventions:",
      "  - name: rollout as measured",
      "    targets: [\(targets.joined(separator: ", "))]",
      "    reach: 100%",
      "    effects:",
      "      move:",
    ]
    for (move, change) in zip(moves, changes) where abs(change) > 1e-9 {
      lines.append("        - {from: \(move.0), to: \(move.1), change: \(String(format: "%+.5f", change))}")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

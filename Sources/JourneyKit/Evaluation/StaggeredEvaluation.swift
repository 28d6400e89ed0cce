import Foundation

/// A rollout launched group by group (region by region): each group's effect against the groups
/// not yet launched, by time since its launch.
///
/// For a group g launching in period L(g) and a period p = L(g) + e (e = 0, 1, ...), the groups
/// whose launch is after p serve as its controls (Callaway & Sant'Anna 2021, "not yet treated"):
///
/// ```
/// ATT(g, e) = (m[g, p] - m[g, pre(g)]) - (m[C(p), p] - m[C(p), pre(g)]),   C(p) = { c : L(c) > p }
/// effect(e) = mean over g with controls at L(g) + e of ATT(g, e)
/// effect    = mean of ATT(g, e) over every cell (g, e) with e within the post window
/// ```
///
/// where pre(g) is the `prePeriods` periods before L(g). Intervals and p-values are as in
/// `ControlledEvaluation` (a bootstrap over customers within each group). The verdict is its
/// fallback procedure: the primary test (`StaggeredLaunchBase`, each launched group's launch base
/// against the groups launching last) at 0.8 alpha, then Benjamini-Hochberg over every measure at
/// alpha when it is flagged, at 0.2 alpha when not.
public struct StaggeredEvaluation: Codable, Sendable {
  /// An estimate with its interval, as in the before-and-after evaluation.
  public typealias Interval = RolloutEvaluation.Interval

  /// The customers who share one value of the column, and so one launch.
  public struct Cohort: Codable, Sendable {
    /// The column's value (a region, say).
    public var value: String
    /// The day the launches file gives for it.
    public var launch: CalendarDay
    /// The first period counted as launched (the launch period when it starts on its first day).
    public var firstPeriod: String
    /// Customers of the table with this value.
    public var customers: Int
  }

  /// A measure's effect at one time since launch, averaged over the groups compared then.
  public struct EventTimeEffect: Codable, Sendable {
    /// Periods since the launch (0: the first launched period).
    public var periodsSinceLaunch: Int
    /// effect(e): the mean difference in differences, with its bootstrap percentile interval.
    public var effect: Interval
    /// Groups with a not-yet-launched comparison at this time.
    public var groups: Int
  }

  /// One measure, launched groups against those not yet launched.
  public struct Estimate: Codable, Sendable {
    /// A KPI name, or `from -> to` for a move.
    public var measure: String
    /// The measure is a move of the chain (a probability), not a KPI.
    public var isMove: Bool
    /// The mean of ATT(g, e) over every cell, with its bootstrap percentile interval.
    public var effect: Interval
    /// Standard deviation of the effect over the bootstrap resamples.
    public var standardError: Double
    /// Two-sided normal p-value of effect / standardError, before any correction.
    public var pValue: Double
    /// Benjamini-Hochberg adjusted over every measure tested.
    public var adjustedPValue: Double
    /// The adjusted p-value is below `secondaryLevel`: part of the verdict.
    public var flagged: Bool
    /// Periods of no purchase a customer needs before this measure can move.
    public var lagPeriods: Int
    /// The post window is longer than the lag, so the measure can respond inside it.
    public var respondsInTime: Bool
    /// effect(e) per time since launch, to show when the effect sets in.
    public var byTimeSinceLaunch: [EventTimeEffect]
  }

  /// The per-customer column whose values launch at different dates.
  public var column: String
  /// The period length of the evaluation.
  public var period: PeriodKind
  /// The groups in launch order.
  public var cohorts: [Cohort]
  /// Periods of each group's before window, pre(g) (at most `EvaluationOptions.prePeriods`).
  public var prePeriods: Int
  /// Periods since launch that have a comparison (the post window).
  public var postPeriods: Int
  /// Every measure that could be computed, KPIs first, then the moves.
  public var estimates: [Estimate]
  /// The two-sided error rate of the verdict: the chance of any false flag is at most alpha.
  public var alpha: Double
  /// The multiple-testing correction applied to the measures other than the primary.
  public var correction = "Benjamini-Hochberg"
  /// The primary test: launch bases' share still buying against the groups launching last.
  public var primary: StaggeredLaunchBase? = nil
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
  /// What the reader should know before trusting the numbers (the last group serves only as a control, slow measures).
  public var warnings: [String]

  /// Measures tested: the flagged ones are the verdict.
  public var flagged: [Estimate] { estimates.filter(\.flagged) }

  /// - Parameters:
  ///   - column: the per-customer column whose values launch at different dates.
  ///   - launches: launch day per value of the column.
  ///   - source: the launches file, for messages.
  /// - Throws: `EvaluationError` for a missing column, values without a launch (or launches
  ///   without customers), launches outside the data, or no group left to compare with; `FitError`.
  public static func run(
    _ table: TransactionTable, column: String, launches: [String: CalendarDay], source: String, options: EvaluationOptions
  ) throws -> StaggeredEvaluation {
    guard let attribute = table.attributes[column] else {
      throw EvaluationError.badGroupColumn(column: column, problem: "not in the data", hint: "the first column of \(source) names the data's column (e.g. region)")
    }
    let unknown = attribute.levels.filter { launches[$0] == nil }
    guard unknown.isEmpty else {
      throw EvaluationError.badGroupColumn(
        column: column, problem: "value\(unknown.count == 1 ? "" : "s") \(unknown.prefix(5).map { "'\($0)'" }.joined(separator: ", ")) \(unknown.count == 1 ? "has" : "have") no launch date in \(source)",
        hint: "give every value of the column a line `value,YYYY-MM-DD` (a value that never launches gets a date after the data)")
    }
    let unused = launches.keys.filter { !attribute.levels.contains($0) }.sorted()
    guard unused.isEmpty else {
      throw EvaluationError.badGroupColumn(
        column: column, problem: "\(source) names \(unused.prefix(5).map { "'\($0)'" }.joined(separator: ", ")), not a value of the column",
        hint: "the values are \(attribute.levels.prefix(10).joined(separator: ", ")); check the spelling")
    }
    guard let range = table.dayRange else { throw FitError.emptyData }
    let period = options.fit.period
    var lastComplete = period.index(of: range.upperBound)
    if period.end(of: lastComplete) != range.upperBound { lastComplete -= 1 }
    let firstPeriod = period.index(of: range.lowerBound)
    // Cohorts in launch order; a launch inside a period counts from the next one.
    let levels = attribute.levels.indices.sorted { launches[attribute.levels[$0]]! < launches[attribute.levels[$1]]! }
    var cohortOfLevel = [Int8](repeating: -1, count: attribute.levels.count)
    var starts: [Int] = []
    for (k, level) in levels.enumerated() {
      cohortOfLevel[level] = Int8(k)
      let day = launches[attribute.levels[level]]!
      guard day > range.lowerBound else {
        throw EvaluationError.launchOutsideData(launch: day, first: range.lowerBound, last: range.upperBound)
      }
      let p = period.index(of: day)
      starts.append(period.start(of: p) == day ? p : p + 1)
    }
    let cohortCount = levels.count
    let pre = min(options.prePeriods, starts[0] - firstPeriod)
    guard pre >= 3 else {
      throw EvaluationError.windowTooShort(window: "pre", periods: max(0, pre), needed: 3, hint: "the first launch is \(launches[attribute.levels[levels[0]]]!); the data starts \(range.lowerBound)")
    }
    guard starts[0] <= lastComplete else {
      throw EvaluationError.launchOutsideData(launch: launches[attribute.levels[levels[0]]]!, first: range.lowerBound, last: range.upperBound)
    }
    // Event times with a comparison: the first launch's group has controls until the last launch.
    guard let lastStart = starts.last, lastStart > starts[0] else {
      throw EvaluationError.badGroupColumn(column: column, problem: "every value launches in the same period", hint: "a staggered evaluation needs groups not yet launched to compare with; use --control or --group for one launch")
    }
    let post = min(options.postPeriods ?? 12, lastStart - starts[0], lastComplete - starts[0] + 1)

    var fullOptions = options.fit
    fullOptions.asOf = period.end(of: lastComplete)
    let full = try ModelFitter.fit(table, options: fullOptions)
    let space = full.stateSpace
    let windowStart = starts[0] - pre
    let windows = (windowStart...lastComplete).map { $0..<($0 + 1) }
    let groups = attribute.levelOfCustomer.map { cohortOfLevel[Int($0)] }
    let tally = WindowTally.tally(
      table, space: space, lastPeriod: lastComplete, windows: windows, groupOfCustomer: groups, groups: cohortCount, countingMoves: true)
    var customers = [Int](repeating: 0, count: cohortCount)
    for g in groups { customers[Int(g)] += 1 }

    let catalogue = MeasureCatalogue(space: space, tally: tally, groups: cohortCount, windows: windows.count, windowSets: [0..<windows.count])
    // ATT cells: for each cohort and event time with controls.
    struct Cell { var cohort: Int; var event: Int; var preWindows: Range<Int>; var window: Int; var controls: [Int] }
    var cells: [Cell] = []
    for g in 0..<cohortCount {
      for e in 0..<post {
        let p = starts[g] + e
        guard p <= lastComplete else { break }
        let controls = (0..<cohortCount).filter { starts[$0] > p }
        guard !controls.isEmpty else { break }
        cells.append(Cell(cohort: g, event: e, preWindows: (starts[g] - pre - windowStart)..<(starts[g] - windowStart), window: p - windowStart, controls: controls))
      }
    }
    let eventTimes = Array(Set(cells.map(\.event))).sorted()
    // Per resample: the effect of every measure, overall and per event time.
    func effects(_ weights: [[Double]]?) -> (overall: [Double?], byEvent: [[Double?]]) {
      let totals = catalogue.totals(weights)
      var byEvent = [[Double?]](repeating: [Double?](repeating: nil, count: catalogue.count), count: eventTimes.count)
      var sums = [[Double]](repeating: [Double](repeating: 0, count: catalogue.count), count: eventTimes.count)
      var counts = sums
      for cell in cells {
        let treatedPre = catalogue.values(totals, groups: [cell.cohort], windows: cell.preWindows)
        let treatedPost = catalogue.values(totals, groups: [cell.cohort], windows: cell.window..<(cell.window + 1))
        let controlPre = catalogue.values(totals, groups: cell.controls, windows: cell.preWindows)
        let controlPost = catalogue.values(totals, groups: cell.controls, windows: cell.window..<(cell.window + 1))
        let e = eventTimes.firstIndex(of: cell.event)!
        for k in 0..<catalogue.count {
          guard let a = treatedPre[k], let b = treatedPost[k], let c = controlPre[k], let d = controlPost[k] else { continue }
          sums[e][k] += (b - a) - (d - c)
          counts[e][k] += 1
        }
      }
      var overall = [Double?](repeating: nil, count: catalogue.count)
      for k in 0..<catalogue.count {
        var total = 0.0, n = 0.0
        for e in eventTimes.indices where counts[e][k] > 0 {
          byEvent[e][k] = sums[e][k] / counts[e][k]
          total += sums[e][k]
          n += counts[e][k]
        }
        overall[k] = n > 0 ? total / n : nil
      }
      return (overall, byEvent)
    }
    let point = effects(nil)
    var overallSamples = [[Double]](repeating: [], count: catalogue.count)
    var eventSamples = [[[Double]]](repeating: [[Double]](repeating: [], count: catalogue.count), count: eventTimes.count)
    var rng = RandomSource(seed: options.seed, stream: 0x57A6)
    for _ in 0..<options.bootstrap {
      let weights = (0..<cohortCount).map { _ in
        var w = [Double](repeating: 0, count: WindowTally.buckets)
        for _ in 0..<WindowTally.buckets { w[Int(rng.next() % UInt64(WindowTally.buckets))] += 1 }
        return w
      }
      let r = effects(weights)
      for k in 0..<catalogue.count {
        if let x = r.overall[k], x.isFinite { overallSamples[k].append(x) }
        for e in eventTimes.indices { if let x = r.byEvent[e][k], x.isFinite { eventSamples[e][k].append(x) } }
      }
    }
    let lo = options.alpha / 2, hi = 1 - options.alpha / 2
    var estimates: [Estimate] = []
    for k in 0..<catalogue.count {
      guard let value = point.overall[k], overallSamples[k].count > 1 else { continue }
      let samples = overallSamples[k]
      let mean = samples.reduce(0, +) / Double(samples.count)
      let se = (samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count - 1)).squareRoot()
      let z = se > 0 ? abs(value) / se : (value == 0 ? 0 : .infinity)
      let lag = catalogue.lag(k)
      let byEvent: [EventTimeEffect] = eventTimes.indices.compactMap { e in
        guard let v = point.byEvent[e][k], eventSamples[e][k].count > 1 else { return nil }
        return EventTimeEffect(
          periodsSinceLaunch: eventTimes[e],
          effect: Interval(value: v, low: Quantile.of(eventSamples[e][k], lo), high: Quantile.of(eventSamples[e][k], hi)),
          groups: Set(cells.filter { $0.event == eventTimes[e] }.map(\.cohort)).count)
      }
      estimates.append(
        Estimate(
          measure: catalogue.names[k], isMove: catalogue.isMove(k),
          effect: Interval(value: value, low: Quantile.of(samples, lo), high: Quantile.of(samples, hi)),
          standardError: se, pValue: 2 * (1 - Normal.cdf(z)), adjustedPValue: 1, flagged: false, lagPeriods: lag,
          respondsInTime: post > lag, byTimeSinceLaunch: byEvent))
    }
    let primary = StaggeredLaunchBase.run(
      table, space: space, groupOfCustomer: groups, names: levels.map { attribute.levels[$0] }, starts: starts, pre: pre, post: post,
      bootstrap: options.bootstrap, seed: options.seed, alpha: options.alpha)
    let test = ControlledEvaluation.fallbackTest(primaryP: primary?.pValue, others: estimates.map(\.pValue), alpha: options.alpha)
    for k in estimates.indices {
      estimates[k].adjustedPValue = test.adjusted[k]
      estimates[k].flagged = test.adjusted[k] < test.secondaryLevel
    }
    let changed = (test.primaryFlagged ? [LaunchBaseComparison.stillBuyingName] : []) + estimates.filter(\.flagged).map(\.measure)
    let tested = estimates.count + (primary == nil ? 0 : 1)
    let verdict =
      changed.isEmpty
      ? "no measure differs between launched and not-yet-launched groups beyond noise (\(tested) tested, chance of a false verdict at most \(Format.level(options.alpha)))"
      : "the rollout changed \(changed.count) of \(tested) measures against the groups not yet launched (chance of a false verdict at most \(Format.level(options.alpha))): "
        + changed.joined(separator: ", ")
    var warnings: [String] = []
    let last = levels.last.map { attribute.levels[$0] } ?? ""
    warnings.append("'\(last)' launches last: with no group left to compare with after its launch, it serves only as a control")
    let late = estimates.filter { !$0.respondsInTime }.map(\.measure)
    if !late.isEmpty {
      warnings.append("too slow for a \(post)-\(period.rawValue) comparison (they need that many quiet \(period.rawValue)s before they move): " + late.joined(separator: ", "))
    }
    return StaggeredEvaluation(
      column: column, period: period,
      cohorts: levels.enumerated().map { k, level in
        Cohort(value: attribute.levels[level], launch: launches[attribute.levels[level]]!, firstPeriod: period.label(of: starts[k]), customers: customers[k])
      },
      prePeriods: pre, postPeriods: post, estimates: estimates, alpha: options.alpha, primary: primary, primaryLevel: test.primaryLevel,
      primaryFlagged: test.primaryFlagged, secondaryLevel: test.secondaryLevel, procedure: ControlledEvaluation.procedure(alpha: options.alpha),
      verdict: verdict, warnings: warnings)
  }
}

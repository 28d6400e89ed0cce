import Foundation

/// `--states auto`: candidate state spaces compared by rolling-origin validation.
///
/// For each origin (the calibration end minus 1, 2, ... folds of `horizon` periods, each with a
/// year and the churn threshold plus 6 periods of data before it) every
/// candidate is fitted on the data up to the origin and predicts the next `horizon` periods, which
/// all lie inside the data it is given. The caller hands over only the calibration data, so
/// the holdout never takes part.
///
/// Score per fold, lower is better, 0 is perfect:
///
///     (RMSE_occasions / RMS_occasions + RMSE_revenue / RMS_revenue) / 2      per customer
///   + (|total transactions error| + |total revenue error|) / 2             aggregate
///
/// The per-customer terms are the root mean squared error of each customer's predicted
/// purchases and revenue over the horizon, relative to predicting zero for everyone (so 1 is
/// no better than zero). They reward states that tell heavy from one-time buyers and big from
/// small spenders. The aggregate terms are the relative errors of the totals, with the
/// acquisitions that happened. The candidate with the lowest mean score wins; scores within 0.002
/// of the best go to the one with fewer states.
public struct StateSpaceSelection: Encodable, Sendable {
  /// What to compare and over how many periods and folds.
  public struct Options: Sendable {
    /// The state spaces tried, in order (ties on score go to the one with fewer states).
    public var candidates: [StateSpaceKind]
    /// Periods each fold predicts.
    public var horizon: Int
    /// Rolling origins, at most.
    public var folds: Int
    /// Score per-customer predictions weighted by each customer's own history.
    public var ownHistory = true
    /// Customers the validation reads at most (a fixed-stride sample of larger bases).
    public var customerLimit = 50_000
    /// Candidates with more states than this (after `--split-by`) are not tried.
    public var stateLimit = 200
    /// Told before each fold is fitted: folds done, folds in all, and what comes next
    /// ("rfm:3, fold 2 of 3"). The choice takes tens of seconds on large bases; the CLI shows
    /// this on a terminal.
    public var progress: (@Sendable (_ done: Int, _ total: Int, _ next: String) -> Void)? = nil

    /// lifecycle, value, rfm:3, rfm:5 and rf:4: the spaces `--states auto` tries.
    public static let builtInCandidates: [StateSpaceKind] = [.lifecycle, .value, .rfm(levels: 3), .rfm(levels: 5), .recencyFrequency(levels: 4)]

    /// Options for `candidates`, each fold predicting `horizon` periods, over at most `folds` origins.
    public init(candidates: [StateSpaceKind] = Options.builtInCandidates, horizon: Int = 6, folds: Int = 3) {
      self.candidates = candidates
      self.horizon = horizon
      self.folds = folds
    }
  }

  /// One candidate's predictions from one origin, scored.
  public struct Fold: Codable, Sendable {
    /// The origin: the last period the fold's model saw (`2024-12`).
    public var origin: String
    /// The fold's score (formula above; lower is better, 0 is perfect).
    public var score: Double
    /// RMSE of per-customer purchases over the horizon, relative to predicting zero for everyone.
    public var occasionsRelativeRMSE: Double
    /// RMSE of per-customer revenue over the horizon, relative to predicting zero for everyone.
    public var revenueRelativeRMSE: Double
    /// Predicted total transactions / actual - 1.
    public var transactionsTotalError: Double
    /// Predicted total revenue / actual - 1.
    public var revenueTotalError: Double
    /// Mean predicted and actual purchases of customers with 0 and with 7+ repeat purchases
    /// before the origin: where a chain without frequency misses.
    public var oneTimeBuyers: Pair?
    /// The same for customers with 7+ repeat purchases.
    public var heavyBuyers: Pair?
  }

  /// Mean purchases per customer over the horizon, predicted and actual.
  public struct Pair: Codable, Sendable {
    /// Predicted.
    public var predicted: Double
    /// Actual.
    public var actual: Double
  }

  /// One state space tried, with its score per fold.
  public struct Candidate: Codable, Sendable {
    /// The state space's label (`rfm:3`).
    public var states: String
    /// States in the space, after any split.
    public var stateCount: Int
    /// Mean over folds; nil when the candidate could not be fitted.
    public var score: Double?
    /// One entry per origin.
    public var folds: [Fold]
    /// Why the candidate could not be fitted (nil when it could).
    public var error: String?
  }

  /// Periods each fold predicted.
  public var horizon: Int
  /// The origins, as period labels, latest first.
  public var origins: [String]
  /// Every candidate tried, in the order given.
  public var candidates: [Candidate]
  /// The label of the space chosen.
  public var chosenLabel: String
  /// Why it was chosen, in words.
  public var reason: String
  /// The kind to fit with (encoded as its label, `chosen`).
  public var chosen: StateSpaceKind

  enum CodingKeys: String, CodingKey { case horizon, origins, candidates, chosenLabel = "chosen", reason }

  init(horizon: Int, origins: [String], candidates: [Candidate], chosen: StateSpaceKind, reason: String) {
    self.horizon = horizon
    self.origins = origins
    self.candidates = candidates
    self.chosen = chosen
    chosenLabel = chosen.label
    self.reason = reason
  }

  /// Compares the candidates on `table` (which must hold only the data the choice may see) up to
  /// its fit window's end (`fit.asOf` or the data's end).
  /// Never refuses a window that can be fitted: short histories validate on one shorter fold, and
  /// when nothing can be validated the choice is lifecycle, with the reason.
  /// - Throws: `FitError` when the window cannot be formed; `BacktestError.invalidOption` for
  ///   options without a horizon, fold or candidate.
  public static func run(_ table: TransactionTable, fit: FitOptions, options: Options) throws -> StateSpaceSelection {
    let period = fit.period
    let window = try FitWindow.make(table: table, period: period, asOf: fit.asOf, from: fit.from)
    guard options.horizon >= 1, options.folds >= 1, !options.candidates.isEmpty else {
      throw BacktestError.invalidOption(flag: "--states auto", value: "horizon \(options.horizon), folds \(options.folds)", expected: "at least one candidate, fold and period")
    }
    // Large bases: the choice reads a fixed-stride sample of customers; which segments generalise
    // does not need every customer, and the fit afterwards reads them all.
    let table = table.sampled(atMost: options.customerLimit)
    // Standard folds need a year, and 6 periods beyond the churn threshold (left out as burn-in),
    // before their origin. Shorter histories validate on one shorter fold at the end of the
    // window (a third of it, at least one period); the choice never refuses while a fold fits.
    let minimumTraining = max(period.seasonsPerYear, (fit.churnAfterPeriods ?? LifecycleRules.defaults(for: period).churnAfterPeriods) + 6)
    var horizon = options.horizon
    var origins = (1...options.folds).map { window.lastPeriod - $0 * options.horizon }
      .filter { $0 - window.firstPeriod + 1 >= minimumTraining }
    var shortHistory = false
    if origins.isEmpty {
      horizon = max(1, min(options.horizon, window.periodCount / 3))
      let origin = window.lastPeriod - horizon
      if origin - window.firstPeriod + 1 >= 2 { origins = [origin] }
      shortHistory = true
    }
    guard !origins.isEmpty else {
      return fallback(options: options, reason: "\(window.periodCount) \(period.rawValue)s of data are too few to validate on; lifecycle, the simplest segments, is used")
    }
    // What customers did around each origin does not depend on the state space: read once per
    // origin, not once per candidate.
    let actuals = origins.map { OriginActuals(table, period: period, origin: $0, steps: horizon) }
    var candidates: [Candidate] = []
    let levels = fit.splitBy.flatMap { table.attributes[$0]?.levels } ?? []
    let totalFolds = options.candidates.count * origins.count
    var foldsDone = 0
    defer { options.progress?(totalFolds, totalFolds, "done") }
    for kind in options.candidates {
      var o = fit
      o.stateSpace = kind
      // Crossed with a split, big spaces grow with the levels: a candidate beyond the limit is not
      // fitted (its rows would be too thin to validate anyway).
      let size = StateSpace(kind: kind, period: period, rules: LifecycleRules.defaults(for: period), splitBy: fit.splitBy, splitLevels: levels).count
      if size > options.stateLimit {
        candidates.append(Candidate(
          states: kind.label, stateCount: size, score: nil, folds: [],
          error: "\(size) states with the split, more than the \(options.stateLimit) the choice tries"))
        foldsDone += origins.count
        continue
      }
      var folds: [Fold] = []
      var stateCount = 0
      do {
        for (k, origin) in origins.enumerated() {
          options.progress?(foldsDone, totalFolds, "\(kind.label), fold \(k + 1) of \(origins.count)")
          foldsDone += 1
          let (fold, count) = try evaluate(table, fit: o, origin: origin, steps: horizon, actuals: actuals[k], ownHistory: options.ownHistory)
          folds.append(fold)
          stateCount = count
        }
        candidates.append(Candidate(
          states: kind.label, stateCount: stateCount, score: folds.reduce(0) { $0 + $1.score } / Double(folds.count), folds: folds, error: nil))
      } catch {
        candidates.append(Candidate(states: kind.label, stateCount: stateCount, score: nil, folds: folds, error: "\(error)"))
        foldsDone = candidates.count * origins.count
      }
    }
    let scored = candidates.indices.filter { candidates[$0].score != nil }
    guard let best = scored.min(by: { candidates[$0].score! < candidates[$1].score! }) else {
      return fallback(
        options: options,
        reason: "no candidate could be validated (\(candidates.compactMap(\.error).first ?? "no folds")); lifecycle, the simplest segments, is used")
    }
    let bestScore = candidates[best].score!
    let pick = scored.filter { candidates[$0].score! <= bestScore + 0.002 }
      .min { (candidates[$0].stateCount, candidates[$0].score!) < (candidates[$1].stateCount, candidates[$1].score!) }!
    var reason = "\(candidates[pick].states) has the lowest mean score (\(String(format: "%.3f", candidates[pick].score!))) over \(origins.count) rolling origin\(origins.count == 1 ? "" : "s") predicting \(horizon) \(period.rawValue)s each"
    if pick != best {
      reason = "\(candidates[pick].states) scores within 0.002 of \(candidates[best].states) with fewer states (\(candidates[pick].stateCount) against \(candidates[best].stateCount))"
    }
    if let runnerUp = scored.filter({ $0 != pick }).min(by: { candidates[$0].score! < candidates[$1].score! }) {
      reason += "; next best \(candidates[runnerUp].states) at \(String(format: "%.3f", candidates[runnerUp].score!))"
    }
    if shortHistory {
      reason += " (the history is shorter than a year plus the churn threshold and 6 periods, so one fold of \(horizon) validates)"
    }
    return StateSpaceSelection(
      horizon: horizon, origins: origins.sorted().map { period.label(of: $0) }, candidates: candidates,
      chosen: options.candidates[pick], reason: reason)
  }

  /// The choice when nothing can be validated: lifecycle, said plainly.
  static func fallback(options: Options, reason: String) -> StateSpaceSelection {
    StateSpaceSelection(horizon: options.horizon, origins: [], candidates: [], chosen: .lifecycle, reason: reason)
  }

  /// What the customers did before an origin and in the `steps` periods after it: the same for
  /// every candidate.
  struct OriginActuals {
    var history: CustomerHistory
    /// Purchase occasions and revenue of the customers in the base, over the periods after the origin.
    var transactions: Double
    var revenue: Double

    init(_ table: TransactionTable, period: PeriodKind, origin: Int, steps: Int) {
      history = CustomerHistory(
        table, calibrationEnd: period.end(of: origin), recentFrom: period.start(of: origin - steps + 1),
        holdout: period.start(of: origin + 1)...period.end(of: origin + steps))
      // Occasions and revenue per customer-period are the same in every state space; lifecycle
      // states only carry the tally's walk.
      let space = StateSpace(kind: .lifecycle, period: period, rules: LifecycleRules.defaults(for: period))
      let tally = WindowTally.tally(table, space: space, lastPeriod: origin + steps, windows: [(origin + 1)..<(origin + steps + 1)])
      let t = tally.totals(window: 0)
      transactions = t[WindowTally.Term.occasions.rawValue]
      revenue = t[WindowTally.Term.revenue.rawValue]
    }
  }

  /// One fold: fit up to `origin`, predict `steps` periods, score against `actuals` (of the same origin and steps).
  static func evaluate(
    _ table: TransactionTable, fit: FitOptions, origin: Int, steps: Int, actuals: OriginActuals, ownHistory: Bool
  ) throws -> (Fold, Int) {
    let period = fit.period
    let run = try HoldoutRun(table, fit: fit, calibrationLast: origin, steps: steps, replicates: 0, seed: 1)
    let (accuracy, baselines) = CustomerAccuracy.measure(
      history: actuals.history, startState: run.startStates, endState: run.endStates, space: run.model.stateSpace,
      outlook: HorizonOutlook(model: run.model, steps: steps), weights: ownHistory ? run.ownHistoryWeights(table) : nil,
      holdoutPeriods: steps, runRatePeriods: steps)
    let revenueRMS = baselines.allZeroRevenue.rmse
    let occasionsRelative = baselines.allZero.rmse > 0 ? accuracy.rmse / baselines.allZero.rmse : 0
    let revenueRelative = revenueRMS > 0 ? accuracy.revenueErrors.rmse / revenueRMS : 0
    let actualTransactions = actuals.transactions, actualRevenue = actuals.revenue
    let predictedTransactions = run.forecast.expected[.purchases]!.reduce(0, +)
    let predictedRevenue = run.forecast.expected[.revenue]!.reduce(0, +)
    let transactionsError = actualTransactions > 0 ? predictedTransactions / actualTransactions - 1 : 0
    let revenueError = actualRevenue != 0 ? predictedRevenue / actualRevenue - 1 : 0
    func pair(_ repeats: String) -> Pair? {
      accuracy.byCalibrationRepeats.first { $0.repeats == repeats }.map { Pair(predicted: $0.predictedMean, actual: $0.actualMean) }
    }
    let fold = Fold(
      origin: period.label(of: origin),
      score: (occasionsRelative + revenueRelative) / 2 + (abs(transactionsError) + abs(revenueError)) / 2,
      occasionsRelativeRMSE: occasionsRelative, revenueRelativeRMSE: revenueRelative,
      transactionsTotalError: transactionsError, revenueTotalError: revenueError,
      oneTimeBuyers: pair("0"), heavyBuyers: pair("7+"))
    return (fold, run.model.stateSpace.count)
  }
}

import Foundation

/// How many customers enter the base in each forecast period, and in which states.
///
/// The entry mix (how many arrive as leads, how many as first buyers) is always the
/// historical one; the assumption sets the total.
public enum AcquisitionAssumption: Sendable, Equatable, CustomStringConvertible {
  /// Of `historical`, `trend`, `seasonal` and `seasonalTrend`, the one that forecast the
  /// window's own last periods best, read from the periods before them (`choice(for:)`); the
  /// default.
  case auto
  /// The mean of the fit window's periods.
  case historical
  /// A least-squares line through the window's totals, extrapolated (never below zero).
  case trend
  /// The mean of the same season (month of year, ...) in the window; the overall mean where a season has no data.
  case seasonal
  /// The least-squares line, times each season's mean ratio to it in the window (1 where a season
  /// has no data): growth and a season together.
  case seasonalTrend
  /// No new customers: the current base only.
  case none
  /// A fixed number of new entrants per period.
  case perPeriod(Double)
  /// Entrants per state for each period, as given (e.g. the acquisitions that actually happened).
  case given([[Double]])

  /// Parses `auto`, `historical`, `trend`, `seasonal`, `seasonal-trend`, `none` or a number.
  public init?(parsing text: String) {
    switch text.lowercased() {
    case "auto": self = .auto
    case "historical": self = .historical
    case "trend": self = .trend
    case "seasonal": self = .seasonal
    case "seasonal-trend": self = .seasonalTrend
    case "none": self = .none
    default:
      guard let n = AcquisitionAssumption.number(text), n >= 0, n <= Limits.customersPerPeriod else { return nil }
      self = .perPeriod(n)
    }
  }

  /// The number in `--acquisition N` (or `N-per-period`), when it is one and finite.
  public static func number(_ text: String) -> Double? {
    guard let n = Double(text.replacingOccurrences(of: "-per-period", with: "")), n.isFinite else { return nil }
    return n
  }

  /// The assumption in words (`historical mean`).
  public var description: String {
    switch self {
    case .auto: "chosen from the history"
    case .historical: "historical mean"
    case .trend: "linear trend"
    case .seasonal: "seasonal means"
    case .seasonalTrend: "linear trend with seasons"
    case .none: "none"
    case let .perPeriod(n): "\(Format.number(n)) per period"
    case .given: "as observed"
    }
  }

  /// The trailing periods of the model's window in which nobody entered, when they are enough to
  /// call the base a closed cohort (`ClosedCohort.quietPeriods`); nil otherwise.
  public static func closedCohortPeriods(_ model: MarkovModel) -> Int? {
    ClosedCohort.quietPeriods(entrants: model.counts.acquisitions.map { $0.reduce(0, +) }, period: model.window.period)
  }

  /// What the assumption means for this model, for outputs: its description, and for a closed
  /// cohort under an assumption read from the window, that none are assumed and why.
  public func description(for model: MarkovModel) -> String {
    switch self {
    case .auto:
      guard Self.closedCohortPeriods(model) == nil else { return AcquisitionAssumption.historical.description(for: model) }
      return Self.choice(for: model).words
    case .historical, .trend, .seasonal, .seasonalTrend:
      guard let quiet = Self.closedCohortPeriods(model) else { return description }
      let span = quiet == 1 ? model.window.period.rawValue : "\(quiet) \(model.window.period.rawValue)s"
      return "none: a closed cohort (nobody entered in the last \(span) of the data), so no new customers are assumed; give --acquisition N to add some"
    case .none, .perPeriod, .given:
      return description
    }
  }

  /// How far a forecast period's entrants may stray from what this assumption reads from the
  /// window, beyond Poisson noise, on the log scale: `period`, the scatter of the window's totals
  /// around the assumption's own reading of them (a campaign, a season the mean does not carry,
  /// growth), and `level`, the uncertainty of that reading's level. Both 0 for stated numbers,
  /// `none` and closed cohorts, and where the window has too few periods to read them from (fewer
  /// than 2 beyond the assumption's own parameters).
  public func spread(model: MarkovModel) -> (period: Double, level: Double) {
    switch self {
    case .auto:
      return Self.choice(for: model).assumption.spread(model: model)
    case .historical, .trend, .seasonal, .seasonalTrend:
      guard Self.closedCohortPeriods(model) == nil else { return (0, 0) }
    case .none, .perPeriod, .given:
      return (0, 0)
    }
    let (used, totals) = Self.windowTotals(model)
    let n = totals.count
    let mean = totals.reduce(0, +) / Double(max(1, n))
    let period = model.window.period, first = model.counts.firstPeriod
    let fitted: [Double], parameters: Int
    switch self {
    case .trend:
      let line = Self.line(used, totals)
      fitted = used.map { line.mean + line.slope * (Double($0) - line.x) }
      parameters = 2
    case .seasonal:
      let seasons = used.map { period.seasonIndex(of: first + $0) }
      fitted = seasons.map { season in
        let same = zip(seasons, totals).filter { $0.0 == season }.map(\.1)
        return same.reduce(0, +) / Double(same.count)
      }
      parameters = Set(seasons).count
    case .seasonalTrend:
      fitted = Self.totals(.seasonalTrend, ahead: used, used: used, totals: totals, firstPeriod: first, period: period)
      parameters = 2 + Set(used.map { period.seasonIndex(of: first + $0) }).count
    default:
      fitted = Array(repeating: mean, count: n)
      parameters = 1
    }
    guard n - parameters >= 2, mean > 0 else { return (0, 0) }
    // Beyond Poisson: each period's squared miss less its Poisson variance (its fitted value).
    let extra = max(0, zip(totals, fitted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) - max(0, $1.1) } / Double(n - parameters))
    return (Foundation.log(1 + extra / (mean * mean)).squareRoot(), Foundation.log(1 + (extra + mean) / (Double(n) * mean * mean)).squareRoot())
  }

  /// The window's periods the assumptions read and their entrants: all but the first when the
  /// window has more than 2, as the first holds everyone whose history starts there (not a typical
  /// period).
  static func windowTotals(_ model: MarkovModel) -> (used: [Int], totals: [Double]) {
    let periods = model.counts.periodCount
    let used = periods > 2 ? Array(1..<periods) : Array(0..<periods)
    return (used, used.map { model.counts.acquisitions[$0].reduce(0, +) })
  }

  /// The least-squares line through the totals: their mean at the mean period `x`, and the slope.
  static func line(_ used: [Int], _ totals: [Double]) -> (mean: Double, x: Double, slope: Double) {
    let xs = used.map(Double.init)
    let xMean = xs.reduce(0, +) / Double(xs.count), mean = totals.reduce(0, +) / Double(totals.count)
    let sxx = xs.reduce(0) { $0 + ($1 - xMean) * ($1 - xMean) }
    let sxy = zip(xs, totals).reduce(0) { $0 + ($1.0 - xMean) * ($1.1 - mean) }
    return (mean, xMean, sxx > 0 ? sxy / sxx : 0)
  }

  /// Expected entrants per state for each of `horizon` periods after the model's window.
  ///
  /// Assumptions read from the window (`historical`, `trend`, `seasonal`) give no entrants to a
  /// closed cohort (`closedCohortPeriods`).
  public func inflow(model: MarkovModel, horizon: Int) -> [[Double]] {
    if case let .given(perPeriod) = self {
      let zeros = [Double](repeating: 0, count: model.stateSpace.count)
      return (0..<horizon).map { $0 < perPeriod.count ? perPeriod[$0] : zeros }
    }
    switch self {
    case .auto:
      return Self.choice(for: model).assumption.inflow(model: model, horizon: horizon)
    case .historical, .trend, .seasonal, .seasonalTrend:
      if Self.closedCohortPeriods(model) != nil {
        return Array(repeating: Array(repeating: 0, count: model.stateSpace.count), count: horizon)
      }
    case .none, .perPeriod, .given:
      break
    }
    let counts = model.counts
    let s = counts.stateCount
    let periods = counts.periodCount
    let (used, totals) = Self.windowTotals(model)
    var mix = [Double](repeating: 0, count: s)
    for t in used { for j in 0..<s { mix[j] += counts.acquisitions[t][j] } }
    let mixTotal = mix.reduce(0, +)
    if mixTotal > 0 { mix = mix.map { $0 / mixTotal } }
    let ahead = (1...max(1, horizon)).map { periods - 1 + $0 }
    let perPeriod = Self.totals(self, ahead: ahead, used: used, totals: totals, firstPeriod: counts.firstPeriod, period: model.window.period)
    return (0..<horizon).map { h in (0..<s).map { mix[$0] * perPeriod[h] } }
  }

  /// The entrants this assumption reads for the window's period offsets `ahead` from the totals
  /// of its periods `used` (offsets from `firstPeriod`). `auto` reads as `historical`.
  static func totals(
    _ assumption: AcquisitionAssumption, ahead: [Int], used: [Int], totals: [Double], firstPeriod: Int, period: PeriodKind
  ) -> [Double] {
    let mean = totals.reduce(0, +) / Double(max(1, totals.count))
    switch assumption {
    case .auto, .historical: return ahead.map { _ in mean }
    case .none, .given: return ahead.map { _ in 0 }
    case let .perPeriod(n): return ahead.map { _ in n }
    case .trend:
      let line = Self.line(used, totals)
      return ahead.map { max(0, line.mean + line.slope * (Double($0) - line.x)) }
    case .seasonal:
      return ahead.map { offset in
        let season = period.seasonIndex(of: firstPeriod + offset)
        let same = zip(used, totals).filter { period.seasonIndex(of: firstPeriod + $0.0) == season }.map(\.1)
        return same.isEmpty ? mean : same.reduce(0, +) / Double(same.count)
      }
    case .seasonalTrend:
      let line = Self.line(used, totals)
      func onLine(_ offset: Int) -> Double { line.mean + line.slope * (Double(offset) - line.x) }
      var ratios: [Int: (sum: Double, count: Double)] = [:]
      for (offset, total) in zip(used, totals) where onLine(offset) > 0 {
        let r = ratios[period.seasonIndex(of: firstPeriod + offset), default: (0, 0)]
        ratios[period.seasonIndex(of: firstPeriod + offset)] = (r.sum + total / onLine(offset), r.count + 1)
      }
      return ahead.map { offset in
        let r = ratios[period.seasonIndex(of: firstPeriod + offset)]
        return max(0, onLine(offset) * (r.map { $0.sum / $0.count } ?? 1))
      }
    }
  }

  /// What `auto` takes and why.
  public struct Choice: Sendable {
    /// The assumption taken: `historical` where the window is too short to compare them.
    public var assumption: AcquisitionAssumption
    /// Each candidate's mean absolute error over the periods held out, relative to their mean
    /// entrants; empty where nothing was compared.
    public var errors: [(assumption: AcquisitionAssumption, error: Double)]
    /// The window's last periods held out.
    public var heldOut: Int
    /// The period length.
    public var period: PeriodKind

    /// In words, for the forecast's acquisition line.
    public var words: String {
      guard !errors.isEmpty else {
        return "\(assumption.description) (too few periods in the window to compare the assumptions on its own last ones)"
      }
      let unit = heldOut == 1 ? period.rawValue : "\(heldOut) \(period.rawValue)s"
      let others = errors.filter { $0.assumption != assumption }
        .map { "\($0.assumption.description) \(Format.percent($0.error, decimals: 0))" }.joined(separator: ", ")
      let own = errors.first { $0.assumption == assumption }!.error
      return "\(assumption.description), chosen: read from the periods before the window's last \(unit), it forecast their entrants within \(Format.percent(own, decimals: 0)) a period (\(others); the simplest within a standard error of the best is taken)"
    }
  }

  /// The candidates `auto` compares, simplest first: of those within a standard error of the
  /// best, the first is taken.
  static let candidates: [AcquisitionAssumption] = [.historical, .trend, .seasonal, .seasonalTrend]

  /// `auto`'s choice for `model`: each of `candidates` read from the
  /// window's periods before its last `v` (a year of periods, at most a third of those the
  /// assumptions read, as the models' own errors are measured) and scored by its mean absolute
  /// error over those `v` periods. Growth or a season the mean leaves out shows as the mean's
  /// error. The simplest candidate within one standard error of the best is taken (the
  /// one-standard-error rule, Hastie, Tibshirani & Friedman, 2009, 7.10): on a steady flow of 60
  /// a month with Poisson noise, taking the best alone chose a trend or a season in 5 of 8 draws,
  /// some months' entrants forecast at 42 to 76; with the rule, 7 take the mean and one the
  /// seasonal means (46 to 70).
  public static func choice(for model: MarkovModel) -> Choice {
    let period = model.window.period
    let (used, totals) = windowTotals(model)
    let v = min(period.seasonsPerYear, used.count / 3)
    guard v >= 2 else { return Choice(assumption: .historical, errors: [], heldOut: 0, period: period) }
    let before = Array(used.dropLast(v)), beforeTotals = Array(totals.dropLast(v))
    let heldOut = Array(used.suffix(v)), actual = Array(totals.suffix(v))
    let scale = max(1, actual.reduce(0, +) / Double(v))
    let misses = candidates.map { candidate in
      zip(Self.totals(candidate, ahead: heldOut, used: before, totals: beforeTotals, firstPeriod: model.counts.firstPeriod, period: period), actual)
        .map { abs($0.0 - $0.1) / scale }
    }
    let errors = zip(candidates, misses).map { (assumption: $0.0, error: $0.1.reduce(0, +) / Double(v)) }
    let best = errors.indices.min { errors[$0].error < errors[$1].error }!
    let mean = errors[best].error
    let standardError = (misses[best].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v - 1)).squareRoot() / Double(v).squareRoot()
    let taken = errors.first { $0.error <= mean + standardError }!
    return Choice(assumption: taken.assumption, errors: errors, heldOut: v, period: period)
  }
}

extension MarkovModel {
  /// The matrix forecasts run on: the fitted one, with the historical way back out of absorbing
  /// (churned) states folded in when customers did come back in the window.
  ///
  /// Churned stays absorbing for the chain analysis (lifetime value, time to churn); a forecast
  /// of totals, though, should not lose the customers who return. Their rate is
  /// `reactivations into j / churned customer-periods` over the window, per split segment.
  public func forecastMatrix(includingReactivations: Bool = true) -> Matrix {
    var p = matrix
    guard includingReactivations else { return p }
    let s = stateSpace.count
    let states = stateSpace.states
    let absorbing = stateSpace.absorbingIndices
    guard !absorbing.isEmpty else { return p }
    for c in absorbing {
      // Exposure: customer-periods in c that could move (all but the last period).
      let exposure = (0..<max(0, counts.periodCount - 1)).reduce(0.0) { $0 + counts.occupancy[$1][c] }
      guard exposure > 0 else { continue }
      var leaving = 0.0
      for j in 0..<s where j != c && states[j].segment == states[c].segment {
        let peers = absorbing.filter { states[$0].segment == states[j].segment }
        let peerExposure = peers.reduce(0.0) { total, k in total + (0..<max(0, counts.periodCount - 1)).reduce(0.0) { $0 + counts.occupancy[$1][k] } }
        let returned = (0..<counts.periodCount).reduce(0.0) { $0 + counts.reactivations[$1][j] } * (peerExposure > 0 ? exposure / peerExposure : 0)
        let rate = returned / exposure
        p[c, j] = rate
        leaving += rate
      }
      p[c, c] = max(0, 1 - leaving)
      Estimator.normalizeRow(&p, c)
    }
    return p
  }
}

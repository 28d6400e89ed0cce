import Foundation

/// One thing wrong with a decoded model: the field (as named in the JSON file) and why.
public struct ModelValidationError: Error, Equatable, CustomStringConvertible {
  /// e.g. `current_base[3]`, `transition_matrix[2]`.
  public var field: String
  /// Why the value is not acceptable.
  public var reason: String

  /// A problem with `field`.
  public init(field: String, reason: String) {
    self.field = field
    self.reason = reason
  }

  /// `current_base: has 3 entries, expected 7 (one per state)`.
  public var description: String { "\(field): \(reason)" }
}

extension MarkovModel {
  /// Reads a model from the bytes of a model file: decodes, checks the schema version, validates.
  /// - Throws: `ModelFileError` naming `path` and what is wrong.
  public static func load(data: Data, path: String) throws(ModelFileError) -> MarkovModel {
    let model: MarkovModel
    do {
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      model = try decoder.decode(MarkovModel.self, from: data)
    } catch let error as DecodingError {
      // Foundation reports a number that does not fit an integer field (`1.5`, `-1e308` for a
      // count) as invalid JSON at the top level; the text is valid JSON, so say what it is.
      if case let .dataCorrupted(context) = error, context.codingPath.isEmpty,
        (try? JSONSerialization.jsonObject(with: data)) != nil
      {
        throw .malformed(
          path: path, detail: "(a number): a whole-number field (a count, a day, a period) holds a fraction, an exponent or a value out of range")
      }
      throw .malformed(path: path, detail: describe(error))
    } catch {
      throw .malformed(path: path, detail: "\(error)")
    }
    guard supportedFormats.contains(model.format) else { throw .unsupportedFormat(path: path, format: model.format) }
    do {
      try model.validate()
    } catch {
      throw .malformed(path: path, detail: error.description)
    }
    return model
  }

  /// The model formats (`format`, the schema version) this version of journey reads.
  public static let supportedFormats: Set<String> = [currentFormat]

  /// Checks every array length, range and invariant a command relies on, so that a model file
  /// that decodes but was edited, truncated or made by another tool fails on load with the field
  /// and the reason, instead of crashing or forecasting nonsense later.
  ///
  /// Only fields the model has are checked; optional fields may be absent, and fields this
  /// version does not know are ignored by the decoder.
  /// - Throws: the first `ModelValidationError`, naming the field as the JSON file spells it.
  public func validate() throws(ModelValidationError) {
    var check = ModelChecker()
    try check.run(self)
  }
}

/// The checks of `MarkovModel.validate()`, one function per part of the file.
struct ModelChecker {
  typealias Failure = ModelValidationError

  func fail(_ field: String, _ reason: String) -> Failure { Failure(field: field, reason: reason) }

  mutating func run(_ m: MarkovModel) throws(Failure) {
    guard MarkovModel.supportedFormats.contains(m.format) else {
      throw fail("format", "'\(shown(m.format))' is not a supported schema version (expected \(MarkovModel.currentFormat))")
    }
    let s = m.stateSpace.count
    try stateSpace(m.stateSpace)
    try window(m)
    try estimator(m.estimator)
    try square(m.transitionMatrix, "transition_matrix", s, stochastic: true)
    try square(m.posterior, "posterior", s, stochastic: false)
    let seasons = m.stateSpace.period.seasonsPerYear
    if let seasonal = m.seasonalMatrices {
      guard seasonal.count == seasons else {
        throw fail("seasonal_matrices", "has \(seasonal.count) seasons, expected \(seasons) (one per \(m.stateSpace.period.rawValue) of the year)")
      }
      for (k, matrix) in seasonal.enumerated() { try square(matrix, "seasonal_matrices[\(k)]", s, stochastic: true) }
    }
    try length(m.rewards.count, "rewards", s)
    for (i, r) in m.rewards.enumerated() {
      let field = "rewards[\(i)]"
      try nonNegative(r.customerPeriods, "\(field).customer_periods")
      try nonNegative(r.occasionsMean, "\(field).occasions_mean")
      try nonNegative(r.occasionsVariance, "\(field).occasions_variance")
      try finite(r.revenueMean, "\(field).revenue_mean")
      try nonNegative(r.revenueVariance, "\(field).revenue_variance")
    }
    if let seasonal = m.seasonalRewards {
      guard seasonal.count == seasons else {
        throw fail("seasonal_rewards", "has \(seasonal.count) seasons, expected \(seasons) (one per \(m.stateSpace.period.rawValue) of the year)")
      }
      for (k, r) in seasonal.enumerated() {
        try nonNegative(r.occasions, "seasonal_rewards[\(k)].occasions")
        try nonNegative(r.revenue, "seasonal_rewards[\(k)].revenue")
      }
    }
    try counts(m.counts, m)
    try vector(m.currentBase, "current_base", s, maximum: Limits.customersInState, unit: "customers")
    let base = m.currentBase.reduce(0, +)
    guard base <= Limits.customersInState else {
      throw fail("current_base", "holds '\(base)' customers, above the limit of \(Format.number(Limits.customersInState))")
    }
    try analysis(m.analysis, s)
    if let a = m.activity { try activity(a, churnAfter: m.stateSpace.lifecycleChurnAfter) }
  }

  /// The activity model: a grid of positive rates, weights on it that are a distribution, a wake
  /// rate and spend that are finite, an ageing exponent from 0 to 10 (beyond, a customer's clock
  /// all but stops within a year), a seasonal index with one positive value per season.
  ///
  /// Rates are per day and at most `maximumDailyRate` (a thousand purchases, or a thousand
  /// changes between active and dormant, a day): beyond it expected purchases over a horizon
  /// leave the range where totals stay finite; no fit comes near it.
  /// `churnAfter`: the state space's churn rule (`StateSpace.lifecycleChurnAfter`).
  func activity(_ a: ActivityModel, churnAfter: Int?) throws(Failure) {
    let maximumDailyRate = 1_000.0
    guard !a.purchaseRates.isEmpty, a.purchaseRates.count <= 1_000, !a.dormancyRates.isEmpty, a.dormancyRates.count <= 1_000 else {
      throw fail("activity", "needs 1 to 1000 purchase rates and dormancy rates (has \(a.purchaseRates.count) and \(a.dormancyRates.count))")
    }
    for (i, r) in a.purchaseRates.enumerated() where !(r.isFinite && r > 0 && r <= maximumDailyRate) {
      throw fail("activity.purchase_rates[\(i)]", "'\(r)' must be a positive number per day of at most 1000")
    }
    for (i, r) in a.dormancyRates.enumerated() where !(r.isFinite && r > 0 && r <= maximumDailyRate) {
      throw fail("activity.dormancy_rates[\(i)]", "'\(r)' must be a positive number per day of at most 1000")
    }
    try length(a.weights.count, "activity.weights", a.purchaseRates.count * a.dormancyRates.count, per: "pair of purchase and dormancy rates")
    for (i, w) in a.weights.enumerated() { try nonNegative(w, "activity.weights[\(i)]") }
    let total = a.weights.reduce(0, +)
    guard abs(total - 1) < 1e-6 else { throw fail("activity.weights", "sum to '\(total)', expected 1") }
    guard a.wakeRate.isFinite && a.wakeRate >= 0 && a.wakeRate <= maximumDailyRate else {
      throw fail("activity.wake_rate", "'\(a.wakeRate)' must be a number per day from 0 to 1000")
    }
    // Spend per purchase: purchases are positive amounts (refunds are their own rows).
    guard a.spendMean.isFinite && a.spendMean >= 0 && a.spendMean <= Limits.amount else {
      throw fail("activity.spend_mean", "'\(a.spendMean)' must be an amount from 0 to \(Format.number(Limits.amount))")
    }
    if let k = a.spendPseudoCount {
      guard k.isFinite && k >= 0 && k <= Limits.prior else {
        throw fail("activity.spend_pseudo_count", "'\(k)' must be a number of purchases from 0 to \(Format.number(Limits.prior))")
      }
    }
    if let k = a.ageing {
      guard k.isFinite && k >= 0 && k <= 10 else { throw fail("activity.ageing", "'\(k)' must be an exponent from 0 to 10") }
    }
    switch (a.ageingFloor, a.ageingDays) {
    case (nil, nil): break
    case (let floor?, let days?):
      guard floor.isFinite && floor > 0 && floor <= 1 else { throw fail("activity.ageing_floor", "'\(floor)' must be a share above 0 and at most 1") }
      guard days.isFinite && days > 0 && days <= 36_500 else { throw fail("activity.ageing_days", "'\(days)' must be a number of days above 0 and at most 36,500") }
      guard (a.ageing ?? 0) == 0 else { throw fail("activity.ageing", "must be 0 or absent beside activity.ageing_floor: a model ages by one curve") }
    case (nil, _?): throw fail("activity.ageing_floor", "is missing beside activity.ageing_days")
    case (_?, nil): throw fail("activity.ageing_days", "is missing beside activity.ageing_floor")
    }
    if let index = a.seasonalIndex {
      guard let period = a.seasonalPeriod else { throw fail("activity.seasonal_period", "is missing beside a seasonal index") }
      try length(index.count, "activity.seasonal_index", period.seasonsPerYear, per: "\(period.rawValue) of the year")
      // An index averages 1 over the year, so no season can exceed the number of seasons.
      for (i, v) in index.enumerated() where !(v.isFinite && v > 0 && v <= Double(period.seasonsPerYear)) {
        throw fail("activity.seasonal_index[\(i)]", "'\(v)' must be a positive number of at most \(period.seasonsPerYear)")
      }
    }
    if let link = a.spendLink {
      // Log amounts: an amount is at most `Limits.amount` (log 27.6), so a mean log amount far
      // outside +-100 or a variance over 100 (amounts spread by e^10) is no fitted link.
      guard link.intercept.isFinite && abs(link.intercept) <= 1_000 else {
        throw fail("activity.spend_link.intercept", "'\(link.intercept)' must be a mean log amount from -1000 to 1000")
      }
      guard link.slope.isFinite && abs(link.slope) <= 10 else { throw fail("activity.spend_link.slope", "'\(link.slope)' must be a number from -10 to 10") }
      guard link.between.isFinite && link.between > 0 && link.between <= 100 else {
        throw fail("activity.spend_link.between", "'\(link.between)' must be a variance above 0 and at most 100")
      }
      guard link.within.isFinite && link.within >= 0 && link.within <= 100 else {
        throw fail("activity.spend_link.within", "'\(link.within)' must be a variance from 0 to 100")
      }
    }
    if let timing = a.purchaseTiming {
      guard timing.customers >= 1 && timing.customers <= Limits.customers else {
        throw fail("activity.purchase_timing.customers", "'\(timing.customers)' must be a number of customers from 1 to \(Format.number(Double(Limits.customers)))")
      }
      // The log of a gap of at most the calendar's span: a variance past 100 is no measured one.
      guard timing.logGapVariance.isFinite && timing.logGapVariance >= 0 && timing.logGapVariance <= 100 else {
        throw fail("activity.purchase_timing.log_gap_variance", "'\(timing.logGapVariance)' must be a variance from 0 to 100")
      }
    }
    if let base = a.base { try activityBase(base, gridCount: a.weights.count, churnAfter: churnAfter) }
  }

  /// The bought customers' sums: grid points of the model, two sums per point in every group,
  /// finite and not negative (they add up probabilities, and those times spend), a sample no
  /// larger than the customers it stands for, first days inside the supported calendar.
  func activityBase(_ b: ActivityBase, gridCount: Int, churnAfter: Int?) throws(Failure) {
    // The sums were split for the state space's churn rule; another rule would count other events.
    if let q = b.churnAfter, q != churnAfter {
      throw fail("activity.base.churn_after", "'\(q)' must be the state space's churn rule, \(churnAfter.map { "\($0) quiet periods" } ?? "none (a custom space)")")
    }
    for (i, g) in b.points.enumerated() where !(0..<gridCount).contains(g) {
      throw fail("activity.base.points[\(i)]", "'\(g)' is not a grid point (0 to \(gridCount - 1))")
    }
    guard b.groups.count <= ActivityBase.maximumGroups else {
      throw fail("activity.base.groups", "has \(b.groups.count) groups, above the limit of \(ActivityBase.maximumGroups)")
    }
    guard b.customers >= 0, b.customers <= Limits.customers, b.sampled >= 0, b.sampled <= b.customers else {
      throw fail("activity.base.sampled", "'\(b.sampled)' of '\(b.customers)' customers: expected a sample no larger than the customers, at most \(Limits.customers)")
    }
    let days = Limits.days.lowerBound.dayNumber...Limits.days.upperBound.dayNumber
    guard days.contains(b.clockStart) else { throw fail("activity.base.clock_start", "'\(b.clockStart)' is not a day from 1900 to 2200") }
    for (k, group) in b.groups.enumerated() {
      guard days.contains(group.firstDay) else {
        throw fail("activity.base.groups[\(k)].first_day", "'\(group.firstDay)' is not a day from 1900 to 2200")
      }
      try length(group.posterior.count, "activity.base.groups[\(k)].posterior", 2 * b.points.count, per: "grid point (twice)")
      try length(group.spending.count, "activity.base.groups[\(k)].spending", 2 * b.points.count, per: "grid point (twice)")
      for (i, v) in group.posterior.enumerated() { try nonNegative(v, "activity.base.groups[\(k)].posterior[\(i)]") }
      for (i, v) in group.spending.enumerated() { try nonNegative(v, "activity.base.groups[\(k)].spending[\(i)]") }
      switch (b.churnAfter, group.recent) {
      case (nil, nil): break
      case (nil, .some): throw fail("activity.base.groups[\(k)].recent", "is present without activity.base.churn_after")
      case (.some, nil): throw fail("activity.base.groups[\(k)].recent", "is missing beside activity.base.churn_after")
      case (.some(let q), .some(let recent)):
        try length(recent.count, "activity.base.groups[\(k)].recent", 2 * b.points.count * (q + 1), per: "grid point (twice) and period back (churn_after + 1)")
        for (i, v) in recent.enumerated() { try nonNegative(v, "activity.base.groups[\(k)].recent[\(i)]") }
        // A member is counted in one period back at most, so no grid point's share of them is more than all of it.
        for g in 0..<(2 * b.points.count) {
          let split = (0...q).reduce(0.0) { $0 + recent[$1 * 2 * b.points.count + g] }
          guard split <= group.posterior[g] * (1 + 1e-9) + 1e-9 else {
            throw fail("activity.base.groups[\(k)].recent", "sums to '\(split)' at grid column \(g), above the group's '\(group.posterior[g])': the periods back hold its members, not more")
          }
        }
      }
    }
    if let e = b.error {
      for (name, v) in [("purchases", e.purchases), ("revenue", e.revenue), ("buying", e.buying)] where !(v.isFinite && v >= 0 && v <= 100) {
        throw fail("activity.base.error.\(name)", "'\(v)' must be a relative error from 0 to 100")
      }
      if let n = e.periods, !(0...Limits.horizon).contains(n) {
        throw fail("activity.base.error.periods", "'\(n)' must be a number of periods from 0 to \(Limits.horizon)")
      }
    }
    // Each summed customer's posterior adds 1 over the grid: the first halves add up to the sample.
    let summed = b.groups.reduce(0.0) { $0 + $1.posterior.prefix(b.points.count).reduce(0, +) }
    guard b.customers == 0 || b.sampled > 0, abs(summed - Double(b.sampled)) <= 1e-6 * Double(max(1, b.sampled)) else {
      throw fail("activity.base.groups", "posteriors add up to '\(summed)' customers, expected the \(b.sampled) sampled of \(b.customers)")
    }
  }

  // MARK: - Parts

  func stateSpace(_ space: StateSpace) throws(Failure) {
    let s = space.count
    guard s > 0 else { throw fail("state_space.states", "is empty; a model has at least one state") }
    guard s <= Limits.states else { throw fail("state_space.states", "has \(s) states, above the limit of \(Limits.states)") }
    var seen = Set<String>()
    for (i, state) in space.states.enumerated() {
      guard !state.name.isEmpty else { throw fail("state_space.states[\(i)].name", "is empty") }
      guard seen.insert(state.name).inserted else { throw fail("state_space.states[\(i)].name", "'\(shown(state.name))' appears twice; state names are unique") }
    }
    guard space.splitLevels.count <= Limits.splitValues else {
      throw fail("state_space.split_levels", "has \(space.splitLevels.count) values, above the limit of \(Limits.splitValues)")
    }
    if !space.splitLevels.isEmpty, s % space.splitLevels.count != 0 {
      throw fail("state_space.states", "\(s) states cannot be \(space.splitLevels.count) split levels of equal size")
    }
    let r = space.rules
    for (name, value) in [
      ("at_risk_periods", r.atRiskPeriods), ("churn_after_periods", r.churnAfterPeriods), ("loyal_min_periods", r.loyalMinPeriods),
      ("loyal_window_periods", r.loyalWindowPeriods), ("trailing_window_periods", r.trailingWindowPeriods),
    ] {
      guard (0...10_000).contains(value) else { throw fail("state_space.rules.\(name)", "'\(value)' is not a number of periods from 0 to 10000") }
    }
    guard r.churnAfterPeriods >= 1 else { throw fail("state_space.rules.churn_after_periods", "'\(r.churnAfterPeriods)' must be at least 1 period") }
    if let cut = space.valueCut { try finite(cut, "state_space.value_cut") }
    guard space.valueCutQuantile.isFinite, (0...1).contains(space.valueCutQuantile) else {
      throw fail("state_space.value_cut_quantile", "'\(space.valueCutQuantile)' is not a quantile from 0 to 1")
    }
    if let cuts = space.rfmCuts {
      for (name, values) in [("recency", cuts.recency), ("frequency", cuts.frequency), ("monetary", cuts.monetary)] {
        for (k, v) in values.enumerated() { try finite(v, "state_space.rfm_cuts.\(name)[\(k)]") }
        guard values.count <= 100 else { throw fail("state_space.rfm_cuts.\(name)", "has \(values.count) cuts, expected at most 100") }
        guard zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("state_space.rfm_cuts.\(name)", "cuts must ascend") }
      }
    }
    // The states must be the ones the kind and its frozen cuts give: scoring new data assigns
    // states by the kind's rules and indexes them by that layout.
    var levels = 0
    switch space.kind {
    case let .rfm(k):
      guard (2...10).contains(k) else { throw fail("state_space.kind", "rfm with \(k) levels; expected 2 to 10") }
      levels = k
    case let .recencyFrequency(k):
      guard (1...8).contains(k) else { throw fail("state_space.kind", "rf with \(k) levels; expected 1 to 8") }
      levels = k
    case let .custom(rules):
      guard (1...Limits.states).contains(rules.states.count) else {
        throw fail("state_space.kind", "custom rules with \(rules.states.count) states; expected 1 to \(Limits.states)")
      }
    case .lifecycle, .value: break
    }
    if levels > 0, let cuts = space.rfmCuts {
      for (name, values) in [("recency", cuts.recency), ("frequency", cuts.frequency), ("monetary", cuts.monetary)] where values.count > levels - 1 {
        throw fail("state_space.rfm_cuts.\(name)", "has \(values.count) cuts for \(levels) levels; expected at most \(levels - 1)")
      }
    }
    let expected = StateSpace(
      kind: space.kind, period: space.period, rules: space.rules, valueCut: space.valueCut, valueCutQuantile: space.valueCutQuantile,
      rfmCuts: space.rfmCuts, splitBy: space.splitBy, splitLevels: space.splitLevels)
    func matches(_ a: StateDefinition, _ b: StateDefinition) -> Bool {
      guard a.name == b.name, a.stage == b.stage, a.isAbsorbing == b.isAbsorbing else { return false }
      return a.tier == b.tier && a.segment == b.segment
    }
    let pairs = Array(zip(expected.states, space.states))
    if expected.count == s && pairs.allSatisfy({ matches($0.0, $0.1) }) { return }
    let mismatch: Int? = pairs.firstIndex { !matches($0.0, $0.1) }
    var detail = "\(s) states, expected \(expected.count)"
    if let k = mismatch { detail = "states[\(k)] is '\(shown(space.states[k].name))', expected '\(expected.states[k].name)'" }
    throw fail("state_space.states", "do not match the '\(space.kind.label)' state space: \(detail)")
  }

  /// Periods a model may cover: from 1900 to 2200, so that every forecast label is a real date.
  static func periodRange(_ period: PeriodKind) -> ClosedRange<Int> {
    period.index(of: CalendarDay(year: 1900, month: 1, day: 1)!)...period.index(of: CalendarDay(year: 2200, month: 12, day: 31)!)
  }

  func window(_ m: MarkovModel) throws(Failure) {
    let w = m.window
    guard w.period == m.stateSpace.period else {
      throw fail("window.period", "'\(w.period.rawValue)' differs from state_space.period '\(m.stateSpace.period.rawValue)'")
    }
    let range = ModelChecker.periodRange(w.period)
    guard range.contains(w.firstPeriod) else {
      throw fail("window.first_period", "'\(w.firstPeriod)' is not a \(w.period.rawValue) from 1900 to 2200")
    }
    guard range.contains(w.lastPeriod) else {
      throw fail("window.last_period", "'\(w.lastPeriod)' is not a \(w.period.rawValue) from 1900 to 2200")
    }
    guard w.lastPeriod >= w.firstPeriod else {
      throw fail("window.last_period", "'\(w.lastPeriod)' is before window.first_period '\(w.firstPeriod)'")
    }
    guard (1900...2201).contains(w.asOf.year) else {
      throw fail("window.as_of", "'\(w.asOf)' is not a day from 1900 to 2200")
    }
    guard m.input.rows >= 0, m.input.customers >= 0 else { throw fail("input", "row and customer counts must not be negative") }
  }

  func estimator(_ e: EstimatorOptions) throws(Failure) {
    try nonNegative(e.prior, "estimator.prior")
    if let h = e.halfLifePeriods, !(h > 0 && h.isFinite) { throw fail("estimator.half_life_periods", "'\(h)' must be a positive number of periods") }
    try nonNegative(e.seasonalStrength, "estimator.seasonal_strength")
  }

  func counts(_ c: TransitionCounts, _ m: MarkovModel) throws(Failure) {
    let s = m.stateSpace.count
    guard c.stateCount == s else { throw fail("counts.state_count", "'\(c.stateCount)' differs from the \(s) states of state_space") }
    guard c.periodCount >= 1, c.periodCount == m.window.periodCount else {
      throw fail("counts.period_count", "'\(c.periodCount)' differs from the \(m.window.periodCount) periods of the window")
    }
    guard c.firstPeriod == m.window.firstPeriod else {
      throw fail("counts.first_period", "'\(c.firstPeriod)' differs from window.first_period '\(m.window.firstPeriod)'")
    }
    try vector(c.pooled, "counts.pooled", s * s, maximum: .greatestFiniteMagnitude, unit: "transitions", per: "pair of states")
    guard c.perPeriod.count == c.periodCount - 1 else {
      throw fail("counts.per_period", "has \(c.perPeriod.count) steps, expected \(c.periodCount - 1) (one per move between periods)")
    }
    for (t, cells) in c.perPeriod.enumerated() {
      for (k, cell) in cells.enumerated() {
        guard (0..<s).contains(Int(cell.from)), (0..<s).contains(Int(cell.to)) else {
          throw fail("counts.per_period[\(t)][\(k)]", "names state \(cell.from) -> \(cell.to); the model has states 0 to \(s - 1)")
        }
        try nonNegative(cell.count, "counts.per_period[\(t)][\(k)].count")
      }
    }
    for (name, table, maximum) in [
      ("occupancy", c.occupancy, Limits.customersInState), ("acquisitions", c.acquisitions, Limits.customersPerPeriod),
      ("reactivations", c.reactivations, Limits.customersInState),
    ] {
      try length(table.count, "counts.\(name)", c.periodCount, per: "period")
      for (t, row) in table.enumerated() {
        try vector(row, "counts.\(name)[\(t)]", s, maximum: maximum, unit: "customers")
        let total = row.reduce(0, +)
        guard total <= maximum else {
          throw fail("counts.\(name)[\(t)]", "sums to '\(total)' customers, above the limit of \(Format.number(maximum))")
        }
      }
    }
    try length(c.rewards.count, "counts.rewards", s)
    for (i, r) in c.rewards.enumerated() {
      for (name, v) in [
        ("customer_periods", r.customerPeriods), ("occasions_sum", r.occasionsSum), ("occasions_sum_of_squares", r.occasionsSumOfSquares),
        ("revenue_sum_of_squares", r.revenueSumOfSquares),
      ] { try nonNegative(v, "counts.rewards[\(i)].\(name)") }
      try finite(r.revenueSum, "counts.rewards[\(i)].revenue_sum")
    }
  }

  func analysis(_ a: ChainAnalysis, _ s: Int) throws(Failure) {
    guard a.discountPerPeriod.isFinite, a.discountPerPeriod >= 0, a.discountPerPeriod < 1 else {
      throw fail("analysis.discount_per_period", "'\(a.discountPerPeriod)' must be from 0 to below 1 (0% to 100% per period)")
    }
    try length(a.lifetimeValue.count, "analysis.lifetime_value", s)
    for (i, v) in a.lifetimeValue.enumerated() { try finite(v, "analysis.lifetime_value[\(i)]") }
    try finite(a.customerEquity, "analysis.customer_equity")
    for (name, values) in [
      ("expected_periods_to_churn", a.expectedPeriodsToChurn), ("probability_of_reaching_loyal", a.probabilityOfReachingLoyal),
      ("expected_purchases_before_churn", a.expectedPurchasesBeforeChurn), ("stationary_distribution", a.stationaryDistribution.map { $0.map(Optional.some) }),
    ] {
      guard let values else { continue }
      try length(values.count, "analysis.\(name)", s)
      // nil: the state never reaches churned (or loyal), so the quantity is infinite or undefined.
      for (i, v) in values.enumerated() { if let v { try nonNegative(v, "analysis.\(name)[\(i)]") } }
    }
  }

  // MARK: - Building blocks

  func length(_ count: Int, _ field: String, _ expected: Int, per: String = "state") throws(Failure) {
    guard count == expected else {
      throw fail(field, "has \(count) entr\(count == 1 ? "y" : "ies"), expected \(expected) (one per \(per))")
    }
  }

  func finite(_ v: Double, _ field: String) throws(Failure) {
    guard v.isFinite else { throw fail(field, "'\(v)' is not a finite number") }
  }

  func nonNegative(_ v: Double, _ field: String) throws(Failure) {
    guard v.isFinite, v >= 0 else { throw fail(field, "'\(v)' must be a finite number of 0 or more") }
  }

  func vector(_ values: [Double], _ field: String, _ expected: Int, maximum: Double, unit: String, per: String = "state") throws(Failure) {
    try length(values.count, field, expected, per: per)
    for (i, v) in values.enumerated() {
      guard v.isFinite, v >= 0 else { throw fail("\(field)[\(i)]", "'\(v)' must be a finite number of 0 or more \(unit)") }
      guard v <= maximum else { throw fail("\(field)[\(i)]", "'\(v)' \(unit) is above the limit of \(Format.number(maximum))") }
    }
  }

  /// An S x S matrix; `stochastic`: entries in [0, 1] and rows summing to 1 within 1e-9.
  func square(_ rows: [[Double]], _ field: String, _ s: Int, stochastic: Bool) throws(Failure) {
    try length(rows.count, field, s, per: "state")
    for (i, row) in rows.enumerated() {
      try length(row.count, "\(field)[\(i)]", s, per: "state")
      var sum = 0.0
      for (j, v) in row.enumerated() {
        guard v.isFinite, v >= 0, !stochastic || v <= 1 + 1e-12 else {
          throw fail("\(field)[\(i)][\(j)]", "'\(v)' is not \(stochastic ? "a probability from 0 to 1" : "a finite number of 0 or more")")
        }
        sum += v
      }
      if stochastic, abs(sum - 1) > 1e-9 {
        throw fail("\(field)[\(i)]", "sums to \(String(format: "%.10g", sum)), not 1; each row of a transition matrix is a probability distribution")
      }
    }
  }
}

extension MarkovModel {
  /// The stored input fingerprint checked against data given with the model: when `source` is
  /// the file the model was fitted on (same path, links resolved) but its content differs, a
  /// sentence saying so; nil when it matches or is another file (scoring new data is normal).
  public func inputChangedNote(table: TransactionTable, source: String) -> String? {
    guard source != "-", input.source != "-",
      OutputPaths.canonical(source) == OutputPaths.canonical(input.source)
    else { return nil }
    let now = ModelFitter.fingerprint(table, source: input.source)
    guard now.contentHash != input.contentHash || now.rows != input.rows else { return nil }
    return "'\(source)' has changed since the model was fitted (\(input.rows) rows and \(input.customers) customers then, "
      + "\(now.rows) and \(now.customers) now); the model's states and rates describe the old data: refit with `journey fit`"
  }
}

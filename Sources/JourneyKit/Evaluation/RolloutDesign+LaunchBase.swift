import Foundation

extension RolloutDesign {
  /// Power of the evaluation's verdict (`ControlledEvaluation`: the primary test, then the
  /// fallback over every other measure) by simulation on the data itself, before the launch.
  ///
  /// The test is set up as the evaluation will see it: the launch is the day after the data's
  /// last complete period, the before window its last `h` periods (the primary test's covariate,
  /// as the data has it), the launch base every customer who bought before the launch. Their `h`
  /// periods after the launch are drawn from the activity model fitted on the whole history
  /// (`ActivityModel.simulate`: one path per customer from its posterior, so a customer who stays
  /// active keeps buying and one who falls dormant stops), twice from the same random numbers:
  ///
  /// ```
  /// dropout: the second path with every dormancy rate changed by the effect;
  /// churn, conversion, upgrade: the first path with its buying changed period by period
  ///   (`TransactionTable.withBuyingChanged`) from (e_i P^t) . buying to (e_i P'^t) . buying,
  ///   t = 1...h, from its state i at the launch (P the fitted chain, P' the chain with the lever
  ///   pulled, buying = 1 on purchasing states).
  /// ```
  ///
  /// The customers who first appeared in the last `h` periods (leads and first purchases) stand
  /// in for those who will appear after the launch: their rows up to their first purchase, moved
  /// `h` periods on, join the data as new customers, and their purchases after it are drawn from
  /// the model (`ActivityModel.simulateNewcomers`), without and with a dropout lever's change
  /// (entrants after a launch live under it from their first day).
  ///
  /// Each replicate (`VerdictSimulation`) draws customers of that table with replacement, as many
  /// of the launch base as it holds and as many others (leads, stand-in entrants) as it has,
  /// holds each out at random, and judges the drawn histories as `journey evaluate --control`
  /// would, with the treated customers' changed futures and without them.
  ///
  /// ```
  /// power         = share of replicates in which the verdict names any measure, with the change
  /// primary power = share in which the primary test (the dormancy score) alone flags it (at 0.8 alpha)
  /// false flags   = share in which the verdict names any measure without the change (at most alpha)
  /// MDE           = (z(1 - 0.8 alpha / 2) + z(power target)) mean se, of the primary test, in
  ///                 the mean dormancy score (the verdict's, with the fallback, is at most this)
  /// ```
  ///
  /// Other holdout shares are not simulated: their powers take the simulated verdict as one
  /// normal test, |signal| / se - z = z(power) at this share, with se scaled by
  /// sqrt(1/s + 1/(1 - s)) as in `run(model:options:)`.
  ///
  /// (Until this version the data's own last `2 h` periods stood in for the test, a placebo
  /// launch `h` periods before the data ends; on 24 months of a growing base its before window was
  /// the year the base was being acquired, where the covariate predicts less than it does at the
  /// launch, and the predicted power came out 13-25 points low.)
  ///
  /// - Parameters:
  ///   - table: the transactions up to the launch.
  ///   - model: a model fitted on `table` (its states and its chain).
  /// - Throws: `RolloutDesignError.tooShort` when the data has fewer than 3 complete periods or
  ///   fewer than 20 customers who bought; `FitError.emptyData` when no one bought;
  ///   `YAMLFileError` when the chain cannot take the effect.
  public static func runOnData(_ table: TransactionTable, model: MarkovModel, options o: RolloutDesignOptions) throws -> RolloutDesign {
    let space = model.stateSpace
    let period = space.period
    guard let range = table.dayRange else { throw FitError.emptyData }
    var lastComplete = period.index(of: range.upperBound)
    if period.end(of: lastComplete) != range.upperBound { lastComplete -= 1 }
    let launch = lastComplete + 1
    let h = o.horizonPeriods
    let firstPeriod = period.index(of: range.lowerBound)
    let beforeStart = max(firstPeriod, launch - h)
    guard launch - beforeStart >= 3 else {
      throw RolloutDesignError.tooShort(periods: launch - firstPeriod, needed: 3, unit: period.rawValue)
    }
    let through = period.end(of: launch - 1)
    let past = table.truncated(through: through)
    let histories = PurchaseHistories(past, through: through)
    guard let activity = ActivityModel.fitWithSeasons(histories) else { throw FitError.emptyData }
    let days = (0..<h).map { k in (from: period.start(of: launch + k).dayNumber, to: period.end(of: launch + k).dayNumber + 1) }
    let future = activity.simulate(histories, days: days, dormancyChange: o.lever == .dropout ? o.effect : 0, seed: o.seed)
    let entrants = (0..<past.customerCount).filter { c in
      past.rows(of: c).first.map { period.index(of: CalendarDay(dayNumber: past.day[$0])) >= launch - h } ?? false
    }
    // The stand-ins' lives after their first purchase (moved h periods on) are drawn from the
    // model, with and without the change: entrants after a launch are under it for all of theirs.
    let windowEnd = period.end(of: launch + h - 1).dayNumber
    let firstPurchases = entrants.map { c in past.rows(of: c).first { past.event[$0] == .purchase }.map { past.movedDay(past.day[$0], period: period, shift: h) } }
    let buyers = firstPurchases.indices.filter { firstPurchases[$0] != nil }
    let lives = activity.simulateNewcomers(
      firstDays: buyers.map { firstPurchases[$0]! }, through: windowEnd, dormancyChange: o.lever == .dropout ? o.effect : 0, seed: o.seed)
    var entrantLives = (plain: [[Int32]](repeating: [], count: entrants.count), changed: [[Int32]](repeating: [], count: entrants.count))
    for (k, e) in buyers.enumerated() { (entrantLives.plain[e], entrantLives.changed[e]) = lives[k] }
    let plainTable = past.withFuture(
      period: period, from: launch, purchases: future.plain, entrants: entrants, shift: h, seed: o.seed, entrantPurchases: entrantLives.plain)
    let changedTable: TransactionTable
    if o.lever == .dropout {
      changedTable = past.withFuture(
        period: period, from: launch, purchases: future.changed, entrants: entrants, shift: h, seed: o.seed, entrantPurchases: entrantLives.changed)
    } else {
      let byState = try buyingChances(model: model, lever: o.lever, effect: o.effect, horizon: h)
      let states = statesAt(plainTable, space: space, period: launch - 1)
      var changeRNG = RandomSource(seed: o.seed, stream: 0xC4A6)
      changedTable = plainTable.withBuyingChanged(
        period: period, from: launch, plain: states.map { $0 >= 0 ? byState.plain[$0] : [] },
        changed: states.map { $0 >= 0 ? byState.pulled[$0] : [] }, rng: &changeRNG)
    }
    let simulation = VerdictSimulation(
      plainTable: plainTable, changedTable: changedTable, space: space, before: beforeStart..<launch, after: launch..<(launch + h),
      launch: period.start(of: launch), model: activity, alpha: o.alpha, bootstrap: o.bootstrap)
    guard simulation.baseCount >= 20 else {
      throw RolloutDesignError.tooShort(periods: launch - firstPeriod, needed: 3, unit: period.rawValue)
    }
    let launchBase = simulation.baseCount
    let otherDraws = simulation.customerCount - launchBase
    let primaryLevel = ControlledEvaluation.primaryShare * o.alpha

    let results = Partials<VerdictSimulation.Outcome>(count: o.replicates)
    DispatchQueue.concurrentPerform(iterations: o.replicates) { r in
      let done = results.store(simulation.replicate(r, baseDraws: launchBase, otherDraws: otherDraws, controlShare: o.controlShare, seed: o.seed), at: r)
      o.progress?(done, o.replicates, "")
    }
    let outcomes = results.all()
    let pairs = outcomes.compactMap { p in p.nullPrimary.flatMap { n in p.effectPrimary.map { (n, $0) } } }
    precondition(pairs.count > 1, "design replicates gave no comparison")
    let n = Double(pairs.count)
    let meanSE = pairs.reduce(0) { $0 + $1.1.standardError } / n
    let expected = pairs.reduce(0) { $0 + $1.1.effect.value - $1.0.effect.value } / n
    func share(_ outcomes: [VerdictSimulation.Outcome], _ found: (VerdictSimulation.Outcome) -> Bool) -> Double {
      Double(outcomes.filter(found).count) / Double(outcomes.count)
    }
    let power = share(outcomes, \.effectFound)
    let z = Normal.quantile(1 - primaryLevel / 2)
    let mdc = (z + Normal.quantile(o.targetPower)) * meanSE
    // Other shares: the normal approximation, with the signal that gives the simulated power at
    // this share (simulating every share would take ten times as long).
    let bounded = min(max(power, 0.5 / Double(outcomes.count)), 1 - 0.5 / Double(outcomes.count))
    let signal = max(0, z + Normal.quantile(bounded))
    let shares = RolloutDesign.powerByShare(expected: signal, standardError: 1, atShare: o.controlShare, criticalZ: z)
    var design = RolloutDesign(
      measure: LaunchBaseComparison.measureName, lever: o.lever.rawValue, effect: o.effect, horizonPeriods: h, controlShare: o.controlShare,
      customers: launchBase, replicates: outcomes.count, expectedChange: expected, standardError: meanSE, criticalZ: z, power: power,
      minimumDetectableChange: mdc, minimumDetectableEffect: expected != 0 ? abs(o.effect) * mdc / abs(expected) : nil,
      targetPower: o.targetPower, powerByShare: shares, recommendedControlShare: shares.first { $0.power >= o.targetPower }?.controlShare)
    design.method = "data"
    design.beforeWindow = "\(period.label(of: beforeStart)) .. \(period.label(of: launch - 1))"
    design.afterWindow = "\(period.label(of: launch)) .. \(period.label(of: launch + h - 1))"
    design.falseFlagRate = share(outcomes, \.nullFound)
    design.primaryPower = share(outcomes) { $0.effectPrimary.map { $0.pValue < primaryLevel } ?? false }
    design.simulatedCustomers = launchBase + otherDraws
    return design
  }

  /// Per customer of the table: its state in period `period` (-1 before it entered).
  static func statesAt(_ table: TransactionTable, space: StateSpace, period: Int) -> [Int] {
    struct Visitor: CustomerPeriodVisitor {
      let space: StateSpace
      let period: Int
      var states: [Int]
      var customer = 0
      mutating func beginCustomer(_ c: Int) { customer = c }
      mutating func visit(_ f: PeriodFeatures) { if f.period == period { states[customer] = space.baseState(f) } }
    }
    let walker = CustomerPeriodWalker(table: table, period: space.period, lastPeriod: period, rules: space.rules)
    var visitor = Visitor(space: space, period: period, states: [Int](repeating: -1, count: table.customerCount))
    walker.walk(0..<table.customerCount, &visitor)
    return visitor.states
  }

  /// Per state: the change the lever makes to the expected periods with a purchase over `horizon`
  /// periods of the chain, starting from that state.
  static func expectedBuyingChange(model: MarkovModel, lever: RolloutDesignOptions.Lever, effect: Double, horizon: Int) throws -> [Double] {
    let chances = try buyingChances(model: model, lever: lever, effect: effect, horizon: horizon)
    return zip(chances.plain, chances.pulled).map { plain, pulled in zip(plain, pulled).reduce(0.0) { $0 + $1.1 - $1.0 } }
  }

  /// Per state i and period t = 1...horizon: the chance of being in a purchasing state t periods
  /// after being in i, by the fitted chain P and by the chain with the lever pulled P':
  /// (e_i P^t) . buying and (e_i P'^t) . buying.
  static func buyingChances(model: MarkovModel, lever: RolloutDesignOptions.Lever, effect: Double, horizon: Int) throws
    -> (plain: [[Double]], pulled: [[Double]])
  {
    let space = model.stateSpace
    let s = space.count
    let plain = model.matrix
    let pulled = try leverMatrix(model: model, lever: lever, effect: effect)
    let buying = space.states.map { $0.stage.isPurchasing ? 1.0 : 0.0 }
    var outPlain: [[Double]] = [], outPulled: [[Double]] = []
    for i in 0..<s {
      var a = [Double](repeating: 0, count: s), b = a
      a[i] = 1
      b[i] = 1
      var rowPlain: [Double] = [], rowPulled: [Double] = []
      for _ in 0..<horizon {
        var na = [Double](repeating: 0, count: s), nb = na
        for j in 0..<s where a[j] != 0 || b[j] != 0 {
          for k in 0..<s {
            na[k] += a[j] * plain[j, k]
            nb[k] += b[j] * pulled[j, k]
          }
        }
        a = na
        b = nb
        rowPlain.append((0..<s).reduce(0.0) { $0 + a[$1] * buying[$1] })
        rowPulled.append((0..<s).reduce(0.0) { $0 + b[$1] * buying[$1] })
      }
      outPlain.append(rowPlain)
      outPulled.append(rowPulled)
    }
    return (outPlain, outPulled)
  }

  /// The chain with the lever pulled on every state, as a scenario would.
  static func leverMatrix(model: MarkovModel, lever: RolloutDesignOptions.Lever, effect: Double) throws -> Matrix {
    let targets = model.stateSpace.states.filter { !$0.isAbsorbing }.map(\.name)
    var effects = Intervention.Effects()
    switch lever {
    case .churn: effects.churn = effect
    case .conversion: effects.conversion = effect
    case .upgrade: effects.upgrade = effect
    case .dropout: preconditionFailure("dropout is the activity model's lever, not the chain's")
    }
    let plan = try ScenarioPlan(
      Scenario(
        name: "design", interventions: [
          Intervention(
            name: "rollout", targets: targets, tier: nil, reach: 1, start: 1, duration: nil, rampUp: 0, decay: 0, effects: effects,
            costs: .init())
        ]), model: model)
    return plan.matrix(step: 0, base: model.matrix)
  }
}

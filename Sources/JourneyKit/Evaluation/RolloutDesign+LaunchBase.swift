import Foundation

extension RolloutDesign {
  /// Power of the evaluation's verdict (`ControlledEvaluation`: the primary test, then the
  /// fallback over every other measure) by simulation on the data itself, before the launch.
  ///
  /// The last `2 h` complete periods of the data stand in for the test's before and after
  /// windows (a placebo launch `h` periods before the data ends), so the spread of buying
  /// between customers, and how well their past predicts it, are the base's own. Every customer
  /// of the data gets a second history in which the lever changes its buying after the placebo
  /// launch, period by period (`TransactionTable.withBuyingChanged`), from its chance of buying
  /// in each period without and with the lever:
  ///
  /// ```
  /// dropout: by the activity model from the customer's history before the placebo launch;
  /// churn, conversion, upgrade: (e_i P^t) . buying and (e_i P'^t) . buying, t = 1...h, from its
  ///   state i at the placebo launch (P the fitted chain, P' the chain with the lever pulled,
  ///   buying = 1 on purchasing states).
  /// ```
  ///
  /// Each replicate (`VerdictSimulation`) draws customers of the data with replacement: as many
  /// from the placebo's launch base as the base at the launch holds, and as many others (leads,
  /// and customers who first bought after the placebo launch) as the data has, standing in for
  /// the leads and entrants of the h periods after the launch; holds each out at random, and
  /// judges the drawn histories as `journey evaluate --control` would, with the treated
  /// customers' changed histories and without them.
  ///
  /// ```
  /// power         = share of replicates in which the verdict names any measure, with the change
  /// primary power = share in which the primary test alone flags it (at 0.8 alpha)
  /// false flags   = share in which the verdict names any measure without the change (at most alpha)
  /// MDE           = (z(1 - 0.8 alpha / 2) + z(power target)) mean se, of the primary test, in
  ///                 buying periods per customer (the verdict's, with the fallback, is at most this)
  /// ```
  ///
  /// Other holdout shares are not simulated: their powers take the simulated verdict as one
  /// normal test, |signal| / se - z = z(power) at this share, with se scaled by
  /// sqrt(1/s + 1/(1 - s)) as in `run(model:options:)`.
  ///
  /// - Parameters:
  ///   - table: the transactions up to the launch.
  ///   - model: a model fitted on `table` (its states and its chain).
  /// - Throws: `RolloutDesignError.tooShort` when the data has fewer than h + 3 complete
  ///   periods; `YAMLFileError` when the chain cannot take the effect.
  public static func runOnData(_ table: TransactionTable, model: MarkovModel, options o: RolloutDesignOptions) throws -> RolloutDesign {
    let space = model.stateSpace
    let period = space.period
    guard let range = table.dayRange else { throw FitError.emptyData }
    var lastComplete = period.index(of: range.upperBound)
    if period.end(of: lastComplete) != range.upperBound { lastComplete -= 1 }
    let launch = lastComplete + 1
    let h = o.horizonPeriods
    let firstPeriod = period.index(of: range.lowerBound)
    let placebo = launch - h
    let beforeStart = max(firstPeriod, placebo - h)
    guard placebo - beforeStart >= 3 else {
      throw RolloutDesignError.tooShort(periods: launch - firstPeriod, needed: h + 3, unit: period.rawValue)
    }
    let launchBase = LaunchBase.collect(table, space: space, before: (launch - 1)..<launch, after: launch..<(launch + 1)).customers.count
    // Per customer and period of the after window: the chance of buying without and with the lever.
    let chances: (plain: [[Double]], changed: [[Double]])
    if o.lever == .dropout {
      chances = try dropoutBuyingChances(table, period: period, placebo: placebo, horizon: h, effect: o.effect)
    } else {
      let byState = try buyingChances(model: model, lever: o.lever, effect: o.effect, horizon: h)
      let states = statesAt(table, space: space, period: placebo - 1)
      chances = (states.map { $0 >= 0 ? byState.plain[$0] : [] }, states.map { $0 >= 0 ? byState.pulled[$0] : [] })
    }
    var changeRNG = RandomSource(seed: o.seed, stream: 0xC4A6)
    let changedTable = table.withBuyingChanged(period: period, from: placebo, plain: chances.plain, changed: chances.changed, rng: &changeRNG)
    let simulation = VerdictSimulation(
      plainTable: table, changedTable: changedTable, space: space, before: beforeStart..<placebo, after: placebo..<launch, alpha: o.alpha,
      bootstrap: o.bootstrap)
    guard simulation.baseCount >= 20 else {
      throw RolloutDesignError.tooShort(periods: launch - firstPeriod, needed: h + 3, unit: period.rawValue)
    }
    let otherDraws = simulation.customerCount - simulation.baseCount
    let primaryLevel = ControlledEvaluation.primaryShare * o.alpha

    let results = Partials<VerdictSimulation.Outcome>(count: o.replicates)
    DispatchQueue.concurrentPerform(iterations: o.replicates) { r in
      results.store(simulation.replicate(r, baseDraws: launchBase, otherDraws: otherDraws, controlShare: o.controlShare, seed: o.seed), at: r)
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
    design.method = "placebo"
    design.placeboWindow = "\(period.label(of: beforeStart)) .. \(period.label(of: launch - 1))"
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

  /// Per customer of the table, per period from `placebo` on: the chance of a purchase as the
  /// activity model fitted on the history before `placebo` expects it, without and with
  /// customers falling dormant `effect` more often (-0.2: 20% less). Customers without a
  /// purchase before `placebo` get no periods (the model knows nothing of them).
  ///
  /// The chain cannot say this: a customer who does not fall dormant keeps buying and comes back
  /// from at_risk, which no one move of the chain carries.
  static func dropoutBuyingChances(
    _ table: TransactionTable, period: PeriodKind, placebo: Int, horizon: Int, effect: Double
  ) throws -> (plain: [[Double]], changed: [[Double]]) {
    let histories = PurchaseHistories(table, through: period.end(of: placebo - 1))
    guard let activity = ActivityModel.fit(histories, period: period) else { throw FitError.emptyData }
    let days = (0..<horizon).map { k in
      (from: period.start(of: placebo + k).dayNumber, to: period.end(of: placebo + k).dayNumber + 1)
    }
    let plain = activity.outlook(histories, days: days)
    let pulled = activity.outlook(histories, days: days, dormancyChange: effect)
    let known = plain.hasHistory
    return (
      (0..<table.customerCount).map { known[$0] ? plain.buying[$0] : [] },
      (0..<table.customerCount).map { known[$0] ? pulled.buying[$0] : [] }
    )
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

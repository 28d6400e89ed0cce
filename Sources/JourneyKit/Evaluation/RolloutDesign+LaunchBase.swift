import Foundation

extension RolloutDesign {
  /// Power of the evaluation's primary test (`LaunchBaseComparison`) by simulation on the data
  /// itself, before the launch.
  ///
  /// The last `2 h` complete periods of the data stand in for the test's before and after
  /// windows (a placebo launch `h` periods before the data ends), so the spread of buying
  /// between customers, and how well their past predicts it, are the base's own. Each replicate
  ///
  /// ```
  /// 1. draws as many customers as the base at the launch has, with replacement, from the base
  ///    at the placebo launch (their before and after buying periods and their state);
  /// 2. holds out each at random with the control share;
  /// 3. adds to each treated customer's after periods the change the lever makes to the
  ///    expected buying periods from their state over h periods of the chain:
  ///       delta(i) = sum over t = 1...h of (e_i P'^t - e_i P^t) . buying
  ///    (P the fitted chain, P' the chain with the lever pulled, buying = 1 on purchasing states);
  /// 4. runs the evaluation's test on it, with and without the effect.
  ///
  /// power = share of replicates with the effect flagged at the primary level (0.8 alpha)
  /// MDE   = (z(1 - 0.8 alpha / 2) + z(power target)) mean se, in buying periods per customer
  /// ```
  ///
  /// Other holdout shares scale the standard error by sqrt(1/s + 1/(1 - s)) as in `run(model:options:)`.
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
    let sample = LaunchBase.collect(table, space: space, before: beforeStart..<placebo, after: placebo..<launch)
    let launchBase = LaunchBase.collect(table, space: space, before: (launch - 1)..<launch, after: launch..<(launch + 1)).customers.count
    guard sample.customers.count >= 20 else {
      throw RolloutDesignError.tooShort(periods: launch - firstPeriod, needed: h + 3, unit: period.rawValue)
    }
    // Per customer of the sample: the buying periods the lever adds over the after window.
    let delta: [Double]
    if o.lever == .dropout {
      delta = try dropoutBuyingChange(table, customers: sample.customers, period: period, placebo: placebo, horizon: h, effect: o.effect)
    } else {
      let byState = try expectedBuyingChange(model: model, lever: o.lever, effect: o.effect, horizon: h)
      delta = sample.stateAtLaunch.map { byState[$0] }
    }
    let primaryLevel = ControlledEvaluation.primaryShare * o.alpha

    @Sendable func replicate(_ r: Int) -> (null: LaunchBaseComparison?, effect: LaunchBaseComparison?) {
      var rng = RandomSource(seed: o.seed, stream: UInt64(r) &+ 0x1A7B)
      var x = [Double](), y = [Double](), yEffect = [Double](), treated = [Bool]()
      x.reserveCapacity(launchBase)
      for _ in 0..<launchBase {
        let k = Int(rng.next() % UInt64(sample.customers.count))
        let isTreated = rng.uniform() >= o.controlShare
        x.append(sample.before[k])
        y.append(sample.after[k])
        yEffect.append(sample.after[k] + (isTreated ? delta[k] : 0))
        treated.append(isTreated)
      }
      return (
        LaunchBaseComparison.estimate(outcome: y, covariate: x, treated: treated, alpha: o.alpha),
        LaunchBaseComparison.estimate(outcome: yEffect, covariate: x, treated: treated, alpha: o.alpha)
      )
    }
    let results = Partials<(null: LaunchBaseComparison?, effect: LaunchBaseComparison?)>(count: o.replicates)
    DispatchQueue.concurrentPerform(iterations: o.replicates) { r in results.store(replicate(r), at: r) }
    let pairs = results.all().compactMap { p in p.null.flatMap { n in p.effect.map { (n, $0) } } }
    precondition(pairs.count > 1, "design replicates gave no comparison")
    let n = Double(pairs.count)
    let meanSE = pairs.reduce(0) { $0 + $1.1.standardError } / n
    let expected = pairs.reduce(0) { $0 + $1.1.effect.value - $1.0.effect.value } / n
    let power = Double(pairs.filter { $0.1.pValue < primaryLevel }.count) / n
    let falseFlags = Double(pairs.filter { $0.0.pValue < primaryLevel }.count) / n
    let z = Normal.quantile(1 - primaryLevel / 2)
    let mdc = (z + Normal.quantile(o.targetPower)) * meanSE
    let shares = RolloutDesign.powerByShare(expected: expected, standardError: meanSE, atShare: o.controlShare, criticalZ: z)
    var design = RolloutDesign(
      measure: LaunchBaseComparison.measureName, lever: o.lever.rawValue, effect: o.effect, horizonPeriods: h, controlShare: o.controlShare,
      customers: launchBase, replicates: pairs.count, expectedChange: expected, standardError: meanSE, criticalZ: z, power: power,
      minimumDetectableChange: mdc, minimumDetectableEffect: expected != 0 ? abs(o.effect) * mdc / abs(expected) : nil,
      targetPower: o.targetPower, powerByShare: shares, recommendedControlShare: shares.first { $0.power >= o.targetPower }?.controlShare)
    design.method = "placebo"
    design.placeboWindow = "\(period.label(of: beforeStart)) .. \(period.label(of: launch - 1))"
    design.falseFlagRate = falseFlags
    return design
  }

  /// Per customer of `customers`: the change in expected periods with a purchase over the
  /// `horizon` periods from `placebo` when customers fall dormant `effect` more often (-0.2: 20%
  /// less), by the activity model fitted on the history before `placebo`:
  ///
  /// ```
  /// delta(c) = sum over periods p of P'(c buys in p) - P(c buys in p)
  /// ```
  ///
  /// The chain cannot say this: a customer who does not fall dormant keeps buying and comes back
  /// from at_risk, which no one move of the chain carries.
  static func dropoutBuyingChange(
    _ table: TransactionTable, customers: [Int], period: PeriodKind, placebo: Int, horizon: Int, effect: Double
  ) throws -> [Double] {
    let histories = PurchaseHistories(table, through: period.end(of: placebo - 1))
    guard let activity = ActivityModel.fit(histories, period: period) else { throw FitError.emptyData }
    let days = (0..<horizon).map { k in
      (from: period.start(of: placebo + k).dayNumber, to: period.end(of: placebo + k).dayNumber + 1)
    }
    let plain = activity.outlook(histories, days: days)
    let pulled = activity.outlook(histories, days: days, dormancyChange: effect)
    return customers.map { c in (0..<horizon).reduce(0.0) { $0 + pulled.buying[c][$1] - plain.buying[c][$1] } }
  }

  /// Per state: the change the lever makes to the expected periods with a purchase over `horizon`
  /// periods of the chain, starting from that state.
  static func expectedBuyingChange(model: MarkovModel, lever: RolloutDesignOptions.Lever, effect: Double, horizon: Int) throws -> [Double] {
    let space = model.stateSpace
    let s = space.count
    let plain = model.matrix
    let pulled = try leverMatrix(model: model, lever: lever, effect: effect)
    let buying = space.states.map { $0.stage.isPurchasing ? 1.0 : 0.0 }
    return (0..<s).map { i in
      var a = [Double](repeating: 0, count: s), b = a
      a[i] = 1
      b[i] = 1
      var change = 0.0
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
        for k in 0..<s { change += (b[k] - a[k]) * buying[k] }
      }
      return change
    }
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

/// Per state: what a customer in that state at a forecast origin is expected to do over the next
/// `steps` periods, with the same matrices the forecast uses step by step (seasons included).
///
/// `StateOutlook` (for `journey score`) uses the pooled matrix; a backtest compares against
/// actual periods, so the step matrices must be the forecast's, or a seasonal model's per-customer
/// predictions would not add up to its own aggregate forecast.
struct HorizonOutlook {
  /// Expected purchase occasions over the steps.
  var occasions: [Double]
  /// Expected revenue over the steps.
  var revenue: [Double]
  /// Chance of being in a churned state at the end of the last step.
  var churnedAtEnd: [Double]

  /// Backward recursion: with r_h the rewards of step h and P_h its matrix,
  /// E[sum of rewards] = P_0 (r_0 + P_1 (r_1 + ... + P_{H-1} r_{H-1})), one dgemv per step and reward.
  init(model: MarkovModel, steps: Int) {
    precondition(steps >= 1)
    let base = model.forecastMatrix(includingReactivations: true)
    let seasonal = ForecastEngine.seasonal(model)
    let matrices = (0..<steps).map { seasonal?.matrix?($0, base) ?? base }
    let s = base.rowCount
    // The reward of step h (the period origin + 1 + h), seasons included.
    func expectedSum(_ reward: @escaping (Int) -> [Double]) -> [Double] {
      var w = reward(steps - 1)
      for h in stride(from: steps - 1, through: 1, by: -1) {
        let next = matrices[h].multiplied(byColumnVector: w)
        let r = reward(h - 1)
        w = (0..<s).map { r[$0] + next[$0] }
      }
      return matrices[0].multiplied(byColumnVector: w)
    }
    let occasionsMean = model.rewards.map(\.occasionsMean), revenueMean = model.rewards.map(\.revenueMean)
    occasions = expectedSum { h in occasionsMean.map { $0 * (seasonal?.occasionsMultiplier?(h) ?? 1) } }
    revenue = expectedSum { h in zip(revenueMean, seasonal?.revenueMultiplier?(h) ?? revenueMean.map { _ in 1 }).map(*) }
    var churned = [Double](repeating: 0, count: s)
    for i in model.stateSpace.indices(in: .churned) { churned[i] = 1 }
    for h in stride(from: steps - 1, through: 0, by: -1) { churned = matrices[h].multiplied(byColumnVector: churned) }
    churnedAtEnd = churned.map { min(1, max(0, $0)) }
  }
}

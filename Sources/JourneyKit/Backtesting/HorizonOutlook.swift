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

  /// Backward recursion: with r the per-period rewards and P_h the matrix of step h,
  /// E[sum of rewards] = P_0 (r + P_1 (r + ... + P_{H-1} r)), one dgemv per step and reward.
  init(model: MarkovModel, steps: Int) {
    precondition(steps >= 1)
    let base = model.forecastMatrix(includingReactivations: true)
    let seasonal = ForecastEngine.seasonal(model)
    let matrices = (0..<steps).map { seasonal?.matrix?($0, base) ?? base }
    let s = base.rowCount
    func expectedSum(_ reward: [Double]) -> [Double] {
      var w = reward
      for h in stride(from: steps - 1, through: 1, by: -1) {
        let next = matrices[h].multiplied(byColumnVector: w)
        w = (0..<s).map { reward[$0] + next[$0] }
      }
      return matrices[0].multiplied(byColumnVector: w)
    }
    occasions = expectedSum(model.rewards.map(\.occasionsMean))
    revenue = expectedSum(model.rewards.map(\.revenueMean))
    var churned = [Double](repeating: 0, count: s)
    for i in model.stateSpace.indices(in: .churned) { churned[i] = 1 }
    for h in stride(from: steps - 1, through: 0, by: -1) { churned = matrices[h].multiplied(byColumnVector: churned) }
    churnedAtEnd = churned.map { min(1, max(0, $0)) }
  }
}

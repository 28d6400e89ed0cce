/// The chain's own error (`MarkovModel.chainError`, measured out of sample at the fit) as a
/// forecast's replicates draw it: per step and KPI, the relative standard deviation of the
/// chain's error on what the chain forecasts. The chain forecasts purchases, revenue, active
/// customers and churn events when it forecasts everyone; with the customers' own histories
/// (`OwnHistoryOffsets`, which carry their own error) it still forecasts churn events.
struct ChainErrorSpread: Sendable {
  /// The KPIs whose ranges hold the chain's error.
  let kpis: [KPI]
  /// Per step: the relative standard deviation on purchases, revenue, active and churned; zeros
  /// for the KPIs not in `kpis`.
  let purchases: [Double]
  let revenue: [Double]
  let active: [Double]
  let churned: [Double]
  /// The seed of the replicates' draws of that error.
  let seed: UInt64

  /// Nil when the model holds no measured chain error or the forecast draws no replicates.
  /// `ownChurn`: the churn events come from the own histories too, and the chain forecasts none
  /// that its error would scale.
  init?(_ model: MarkovModel, options: ForecastOptions, ownHistory: Bool, ownChurn: Bool = false) {
    guard let error = model.chainError, options.replicates > 0 else { return nil }
    let widened: [KPI] = ownHistory ? (ownChurn ? [] : [.churned]) : [.purchases, .revenue, .active, .churned]
    guard !widened.isEmpty else { return nil }
    let scale = (1...options.horizon).map { error.scale(lead: $0) }
    func spread(_ kpi: KPI, _ relative: Double) -> [Double] { scale.map { widened.contains(kpi) ? relative * $0 : 0 } }
    kpis = widened
    purchases = spread(.purchases, error.transactions)
    revenue = spread(.revenue, error.revenue)
    active = spread(.active, error.active)
    churned = spread(.churned, error.churned)
    seed = options.seed
  }

  /// Replicate `r`'s draw of the chain's error: one standard normal for its whole path (a chain
  /// that runs high runs high in every period), from its own stream, so that the other draws are
  /// those of a forecast without it, and every scenario run with the same seed draws the same
  /// (the error cancels in their differences).
  func deviate(replicate r: Int) -> Double {
    var rng = RandomSource(seed: seed, stream: 0xC4A1_0000_0000 + UInt64(r))
    return rng.normal()
  }
}

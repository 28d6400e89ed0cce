import Foundation

/// What the customers with a purchase add to a forecast from their own histories, over what the
/// chain gives them: per step, their expected purchases, revenue and buying customers under the
/// activity model (`ActivityBase`), less the same from the chain run on them alone (their states
/// at the origin, no entrants, the model's seasons).
///
/// Added to every forecast of the model, a scenario's included, it puts the bought customers at
/// the level their own histories say, and leaves the leads, the entrants, the segment counts and a
/// scenario's change from the baseline to the chain, which is what they are modelled by. The
/// backtest's default rows are forecast the same way (the activity model for the bought, the
/// chain for the rest), which is how far this level has been validated.
struct OwnHistoryOffsets: Sendable {
  /// The customers with a purchase the offsets stand for.
  let customers: Int
  let active: [Double]
  let purchases: [Double]
  let revenue: [Double]
  /// Per step, the standard deviation of the activity model's own error on active, purchases and
  /// revenue (its relative error measured out of sample at the fit, times its forecast, widened
  /// to Student's t and grown with the lead as the backtest's ranges are); zeros when unmeasured.
  let activeError: [Double]
  let purchasesError: [Double]
  let revenueError: [Double]
  /// The seed of the replicates' draws of that error.
  let seed: UInt64
  /// The error was measured (the model file holds it).
  var measuredError: Bool { purchasesError.contains { $0 > 0 } || revenueError.contains { $0 > 0 } }

  /// The offsets of a forecast of `model` with `options`; nil when the chain forecasts alone: the
  /// model has no activity base (models written before it, or fitted for a backtest),
  /// `options.ownHistory` is off, or the forecast starts elsewhere than the end of the history the
  /// base was summed at (a counterfactual from a launch).
  init?(_ model: MarkovModel, options: ForecastOptions) throws {
    guard options.ownHistory, let activity = model.activity, let base = activity.base, base.customers > 0 else { return nil }
    let period = model.window.period, last = model.window.lastPeriod
    guard activity.through == period.end(of: last) else { return nil }
    var bought = model
    for (i, state) in model.stateSpace.states.enumerated() where state.stage == .lead { bought.currentBase[i] = 0 }
    var chainOptions = options
    chainOptions.acquisition = .none
    chainOptions.replicates = 0
    chainOptions.ownHistory = false
    let chain = try ForecastEngine.run(model: bought, options: chainOptions)
    let days = (1...options.horizon).map { h in (from: period.start(of: last + h).dayNumber, to: period.end(of: last + h).dayNumber + 1) }
    let own = activity.outlook(of: base, days: days)
    customers = base.customers
    active = zip(own.buying, chain.expected[.active]!).map(-)
    purchases = zip(own.purchases, chain.expected[.purchases]!).map(-)
    revenue = zip(own.revenue, chain.expected[.revenue]!).map(-)
    let error = base.error
    func spread(_ relative: Double?, _ expected: [Double]) -> [Double] {
      guard let error, let relative else { return expected.map { _ in 0 } }
      let widening = error.widening()
      return expected.indices.map { h in relative * widening * OutOfSampleError.leadFactor(lead: h + 1, measuredPeriods: error.periods) * expected[h] }
    }
    activeError = spread(error?.buying, own.buying)
    purchasesError = spread(error?.purchases, own.purchases)
    revenueError = spread(error?.revenue, own.revenue)
    seed = options.seed
  }

  /// Replicate `r`'s draw of the model's error: one standard normal for its whole path (a model
  /// that runs high runs high in every period), from its own stream, so that every scenario run
  /// with the same seed draws the same and the error cancels in their differences.
  func deviate(replicate r: Int) -> Double {
    var rng = RandomSource(seed: seed, stream: 0x0E44_0000_0000 + UInt64(r))
    return rng.normal()
  }
}

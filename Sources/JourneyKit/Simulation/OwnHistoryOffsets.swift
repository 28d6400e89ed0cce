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
  /// Per step, the activity model's own expectations for the customers with a purchase: the most
  /// its error can take away (`drawnError`).
  let ownActive: [Double]
  let ownPurchases: [Double]
  let ownRevenue: [Double]
  /// Per step, when the model file holds the base's churn sums (`ActivityBase.churnAfter`): the
  /// churn events their histories give (`ActivityModel.churn(of:)`), less the chain's for them, and
  /// the same of the living customers (not churned at the step's end). The chain alone, fitted on
  /// fewer periods than its churn rule's quiet ones, has seen nobody churn and forecasts none.
  let churned: [Double]?
  let living: [Double]?
  /// The churn events' own expectation, the standard deviation of the model's error on them (its
  /// error on buying carried through the churners, `ChurnCount.buyingSensitivity`, as the
  /// backtest's), and of their count noise (customers churn or not).
  let ownChurned: [Double]
  let churnedError: [Double]
  let churnedNoise: [Double]
  /// The same of the living customers (their noise drawn apart each step: a range is per step),
  /// and the churned at each step's end, the most the error can give back. A customer is living
  /// while it has bought in the rule's last periods, so the model's error on buying moves them too.
  let ownLiving: [Double]
  let ownChurnedAtEnd: [Double]
  let livingError: [Double]
  let livingNoise: [Double]
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
    (ownActive, ownPurchases, ownRevenue) = (own.buying, own.purchases, own.revenue)
    activeError = spread(error?.buying, own.buying)
    if let churn = activity.churn(of: base, period: period, origin: last, steps: options.horizon) {
      let events = churn.events
      churned = zip(events.expected, chain.expected[.churned]!).map(-)
      living = zip(churn.churnedAtEnd, chain.expected[.customers]!).map { Double(base.customers) - $0 - $1 }
      ownChurned = events.expected
      churnedError = spread(error?.buying, events.shift)
      churnedNoise = events.variance.map { $0.squareRoot() }
      ownChurnedAtEnd = churn.churnedAtEnd
      ownLiving = churn.churnedAtEnd.map { Double(base.customers) - $0 }
      // The error measured on buying customers, read as an error in how fast customers buy, moves
      // the living (those who bought in the rule's last periods) by less: buying once in seven
      // months is surer than in one. Each count's response to purchase rates 1% higher
      // (`elasticity`) carries it across. With the active's relative error as it is, CDNOW fitted
      // to 1997-06-30 put the living a year on at 5,827 with a P5 of 58 (5,994 were); with the
      // ratio of the two responses (0.6 there), 2,186.
      let faster = activity.withPurchaseRates(times: 1.01)
      let buyingFaster = faster.outlook(of: base, days: days).buying
      let livingFaster = faster.churn(of: base, period: period, origin: last, steps: options.horizon)!.churnedAtEnd.map { Double(base.customers) - $0 }
      func elasticity(_ now: [Double], _ then: [Double]) -> [Double] { zip(now, then).map { $0 > 0 ? ($1 / $0 - 1) / 0.01 : 0 } }
      let relative = zip(elasticity(ownLiving, livingFaster), elasticity(own.buying, buyingFaster)).map { $1 > 0 ? max(0, $0 / $1) : 0 }
      livingError = spread(error?.buying, zip(relative, ownLiving).map(*))
      livingNoise = zip(churn.atRisk, churn.churnedAtEnd).map { n, c in n > 0 ? (c * max(0, 1 - c / n)).squareRoot() : 0 }
    } else {
      (churned, living) = (nil, nil)
      (ownChurned, ownChurnedAtEnd, ownLiving) = ([], [], [])
      (churnedError, churnedNoise, livingError, livingNoise) = ([], [], [], [])
    }
    purchasesError = spread(error?.purchases, own.purchases)
    revenueError = spread(error?.revenue, own.revenue)
    seed = options.seed
  }

  /// The model's error in step `t` as replicate draw `z` gives it: `z` standard deviations, but
  /// never more than the customers' own expectation below it (nor more than `most` above). The error is relative: at -100% they
  /// buy nothing, and a draw past that would take away what the leads and entrants buy. A short
  /// history's error, widened to Student's t on the one period it was measured on, goes past it
  /// often: CDNOW fitted on five months measured 23.9% a month, widened 3.84x, and its revenue's
  /// P5 ran to -210,012 a month.
  func drawnError(_ sd: [Double], _ own: [Double], _ t: Int, _ z: Double, upTo most: Double = .infinity) -> Double {
    min(most, max(z * sd[t], -own[t]))
  }

  /// Replicate `r`'s draw of the model's error: one standard normal for its whole path (a model
  /// that runs high runs high in every period), from its own stream, so that every scenario run
  /// with the same seed draws the same and the error cancels in their differences.
  func deviate(replicate r: Int) -> Double {
    var rng = RandomSource(seed: seed, stream: 0x0E44_0000_0000 + UInt64(r))
    return rng.normal()
  }

  /// Replicate `r`'s stream of the churn events' and the living customers' count noise, two
  /// standard normals a step, apart from every other draw.
  func churnNoise(replicate r: Int) -> RandomSource? {
    churned == nil ? nil : RandomSource(seed: seed, stream: 0x0E45_0000_0000 + UInt64(r))
  }
}

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
  /// One KPI of the customers with a purchase, per step.
  struct Part: Sendable {
    /// What their own histories give, less what the chain gives them.
    let offset: [Double]
    /// What their own histories give: the most the model's error can take away.
    let own: [Double]
    /// The standard deviation of the activity model's own error (its relative error measured out
    /// of sample at the fit, times what it moves, widened to Student's t and grown with the lead
    /// as the backtest's ranges are); zeros when unmeasured.
    let error: [Double]
    /// The standard deviation of count noise the chain does not draw for them (zeros: none).
    let noise: [Double]
    /// The most the error can add (the customers it could give back).
    let most: [Double]

    init(offset: [Double], own: [Double], error: [Double], noise: [Double]? = nil, most: [Double]? = nil) {
      (self.offset, self.own, self.error) = (offset, own, error)
      self.noise = noise ?? own.map { _ in 0 }
      self.most = most ?? own.map { _ in .infinity }
    }

    /// What step `t` adds to the chain's value on a path with model error draw `z` (the same for
    /// the whole path) and noise draw `noise`. The error is relative: at -100% they buy nothing, and
    /// a draw past that would take away what the leads and entrants buy. A short history's error,
    /// widened to Student's t on the one period it was measured on, goes past it often: CDNOW
    /// fitted on five months measured 23.9% a month, widened 3.84x, and its revenue's P5 ran to
    /// -210,012 a month.
    func drawn(_ t: Int, z: Double, noise draw: Double = 0) -> Double {
      offset[t] + min(most[t], max(z * error[t], -own[t])) + draw * noise[t]
    }
  }

  /// The customers with a purchase the offsets stand for.
  let customers: Int
  let active: Part
  let purchases: Part
  let revenue: Part
  /// When the model file holds the base's churn sums (`ActivityBase.churnAfter`): the churn
  /// events their histories give (`ActivityModel.churn(of:)`) and the living customers (not
  /// churned at the step's end); nil: the chain's. The chain alone, fitted on fewer periods than
  /// its churn rule's quiet ones, has seen nobody churn and forecasts none.
  ///
  /// The churn events' error is the model's on buying carried through the churners
  /// (`ChurnCount.buyingSensitivity`, as the backtest's), the other way (buying more, churning
  /// less); their noise, customers churning or not. The living customers' error gives back at most
  /// those churned, and their noise is drawn apart each step (a range is per step).
  let churned: Part?
  let living: Part?
  /// The seed of the replicates' draws of that error.
  let seed: UInt64
  /// The error was measured (the model file holds it).
  var measuredError: Bool { purchases.error.contains { $0 > 0 } || revenue.error.contains { $0 > 0 } }

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
    let error = base.error
    func spread(_ relative: Double?, _ moved: [Double]) -> [Double] {
      guard let error, let relative else { return moved.map { _ in 0 } }
      let widening = error.widening()
      return moved.indices.map { h in relative * widening * error.leadFactor(lead: h + 1) * moved[h] }
    }
    func part(_ kpi: KPI, _ own: [Double], relative: Double?, moved: [Double]? = nil, noise: [Double]? = nil, most: [Double]? = nil) -> Part {
      Part(offset: zip(own, chain.expected[kpi]!).map(-), own: own, error: spread(relative, moved ?? own), noise: noise, most: most)
    }
    customers = base.customers
    active = part(.active, own.buying, relative: error?.buying)
    purchases = part(.purchases, own.purchases, relative: error?.purchases)
    revenue = part(.revenue, own.revenue, relative: error?.revenue)
    if let churn = activity.churn(of: base, period: period, origin: last, steps: options.horizon) {
      let events = churn.events
      let living = churn.churnedAtEnd.map { Double(base.customers) - $0 }
      // The error measured on buying customers, read as an error in how fast customers buy, moves
      // the living (those who bought in the rule's last periods) by less: buying once in seven
      // months is surer than in one. Each count's response to purchase rates 1% higher
      // (`elasticity`) carries it across. With the active's relative error as it is, CDNOW fitted
      // to 1997-06-30 put the living a year on at 5,827 with a P5 of 58 (5,994 were); with the
      // ratio of the two responses (0.6 there), 2,186.
      let faster = activity.withPurchaseRates(times: 1.01)
      let buyingFaster = faster.outlook(of: base, days: days).buying
      // (The same sums and steps as above: only the rates differ, so this is never nil.)
      let livingFaster = faster.churn(of: base, period: period, origin: last, steps: options.horizon)?.churnedAtEnd.map { Double(base.customers) - $0 } ?? living
      func elasticity(_ now: [Double], _ then: [Double]) -> [Double] { zip(now, then).map { $0 > 0 ? ($1 / $0 - 1) / 0.01 : 0 } }
      let relative = zip(elasticity(living, livingFaster), elasticity(own.buying, buyingFaster)).map { $1 > 0 ? max(0, $0 / $1) : 0 }
      churned = part(.churned, events.expected, relative: error?.buying, moved: events.shift, noise: events.variance.map { $0.squareRoot() })
      self.living = part(
        .customers, living, relative: error?.buying, moved: zip(relative, living).map(*),
        noise: zip(churn.atRisk, churn.churnedAtEnd).map { n, c in n > 0 ? (c * max(0, 1 - c / n)).squareRoot() : 0 }, most: churn.churnedAtEnd)
    } else {
      (churned, living) = (nil, nil)
    }
    seed = options.seed
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

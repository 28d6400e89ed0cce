import Dispatch
import Foundation

/// What a forecast is asked for.
public struct ForecastOptions: Sendable {
  /// Periods to forecast.
  public var horizon = 12
  /// Discount per period; nil uses the model's.
  public var discountPerPeriod: Double? = nil
  /// How many customers enter per period.
  public var acquisition: AcquisitionAssumption = .auto
  /// Monte Carlo replicates for the bands; 0 for the expected path only.
  public var replicates = MonteCarloDefaults.forecastReplicates
  /// Seed of the replicates: the same seed gives the same bands, and scenarios share random numbers.
  public var seed: UInt64 = MonteCarloDefaults.seed
  /// Draw transition rows and reward means from their posteriors (parameter uncertainty).
  public var parameterUncertainty = true
  /// Move whole customers multinomially and draw entrants as Poisson (process noise).
  public var processNoise = true
  /// From this many customers in the current base, a step's process noise is one multivariate
  /// normal with the multinomial's covariance (`GaussianProcessNoise`, milliseconds per
  /// forecast) instead of every customer moved (seconds on a million customers); below it the
  /// counts are small enough for the normal to be a poor stand-in and the moves cheap.
  public var gaussianNoiseMinimumBase = 50_000.0
  /// Distinct parameter draws; replicates share them in groups (see `ForecastEngine`).
  public var parameterDraws = 100
  /// Let churned customers come back at the window's historical rate (see `MarkovModel.forecastMatrix`).
  public var includeReactivations = true
  /// With a model from `journey fit` (its activity model's `base`): the purchases, revenue and
  /// buying of the customers with a purchase come from their own histories, the chain's other
  /// KPIs and a scenario's changes from the chain (`OwnHistoryOffsets`). False: the chain alone.
  public var ownHistory = true

  /// The defaults: 12 periods, acquisition chosen from the history (`AcquisitionAssumption.auto`),
  /// 1,000 replicates with both kinds of uncertainty.
  public init() {}

  /// Why `runs` forecasts with these options cannot be held at once (`Limits.replicatePeriods`),
  /// with the way around it; nil when they can.
  public func replicatePeriodsProblem(runs: Int = 1) -> InputLimitError? {
    let (product, overflow) = replicates.multipliedReportingOverflow(by: horizon)
    let (total, overflow2) = product.multipliedReportingOverflow(by: max(1, runs))
    guard overflow || overflow2 || total > Limits.replicatePeriods else { return nil }
    let scenarios = runs > 1 ? " x \(runs) scenarios" : ""
    return InputLimitError(
      what: "\(Format.number(Double(replicates))) replicates x \(horizon) periods\(scenarios) is \(overflow || overflow2 ? "more than \(Int.max)" : Format.number(Double(total))) replicate-periods",
      limit: "\(Format.number(Double(Limits.replicatePeriods))) (each keeps every KPI's value: about 330 bytes, 4 GB at the limit)",
      hint: "fewer replicates (--replicates; 1,000 to 10,000 settle the P5-P95 ranges) or fewer periods")
  }

  /// A forecast over as many periods as `acquisitions` has, with exactly those entrants per
  /// period and state: what actually happened, as backtests and counterfactuals replay it.
  public init(givenAcquisitions acquisitions: [[Double]], replicates: Int, seed: UInt64) {
    horizon = acquisitions.count
    acquisition = .given(acquisitions)
    self.replicates = replicates
    self.seed = seed
  }
}

/// A forecast: the expected path and, with replicates, P5 / P50 / P95 bands for every KPI.
public struct Forecast: Codable, Sendable {
  /// One KPI in one period across replicates.
  public struct Band: Codable, Sendable, Equatable {
    /// The mean.
    public var mean: Double
    /// The 5th percentile.
    public var p5: Double
    /// The median.
    public var p50: Double
    /// The 95th percentile.
    public var p95: Double
  }
  /// Labels of the forecast periods (`2026-01`, ...), after the model's last period.
  public var periods: [String]
  /// The state names, in model order.
  public var stateNames: [String]
  /// Customers per state at the start (the model's current base).
  public var start: [Double]
  /// Expected customers per state, per period.
  public var expectedStates: [[Double]]
  /// Per KPI, per period: the expected value.
  public var expected: [KPI: [Double]]
  /// Per KPI, per period: the Monte Carlo bands (empty without replicates).
  public var bands: [KPI: [Band]]
  /// Monte Carlo replicates run.
  public var replicates: Int
  /// Seed of the replicates.
  public var seed: UInt64
  /// The acquisition assumption, in words.
  public var acquisition: String
  /// The discount rate per period of the discounted KPIs.
  public var discountPerPeriod: Double
  /// Expected entrants per period (all states).
  public var inflowPerPeriod: [Double]
  /// Per KPI, per period: every replicate's value (in replicate order, so two forecasts with the
  /// same seed can be compared replicate by replicate). Not written to JSON.
  public var samples: [KPI: [[Double]]] = [:]
  /// The customers with a purchase whose purchases, revenue and buying come from their own
  /// histories (`OwnHistoryOffsets`); nil when the chain forecasts everyone.
  public var ownHistoryCustomers: Int? = nil
  /// The ranges hold the activity model's own error, measured out of sample at the fit.
  public var ownHistoryError = false
  /// The churn events and living customers of the customers with a purchase come from their own
  /// histories too (the model file holds the sums, `ActivityBase.churnAfter`).
  public var ownHistoryChurn = false
  /// The KPIs whose ranges hold the chain's own error, measured out of sample at the fit
  /// (`MarkovModel.chainError`); empty when the model holds none or there are no ranges.
  public var chainErrorKPIs: [KPI] = []
  /// How far a period's entrants stray from the acquisition assumption in the ranges, beyond
  /// Poisson noise (log scale; `AcquisitionAssumption.spread`): 0 when the entrants are stated.
  public var acquisitionSpread = 0.0
  /// The conversion rates with nothing to convert in any period (KPI -> why): lead conversion
  /// without leads, second-purchase conversion without new customers (a closed cohort without
  /// leads, such as CDNOW). Their values in `expected` and `bands` are 0 / 0, held as 0; the JSON
  /// leaves them out and the CSV leaves their cells empty, so that no one reads them as a rate of 0.
  public var undefinedRates: [KPI: String] = [:]

  /// Per KPI: every replicate's value in the last period.
  public var finalSamples: [KPI: [Double]] { samples.mapValues { $0.last ?? [] } }

  enum CodingKeys: String, CodingKey {
    case periods, stateNames, start, expectedStates, expected, bands, replicates, seed, acquisition, discountPerPeriod, inflowPerPeriod
    case ownHistoryCustomers, ownHistoryError, ownHistoryChurn, acquisitionSpread, undefinedRates
    case chainErrorKPIs = "chainErrorKpis"
  }

  /// Every field but `samples`; the undefined rates' 0 / 0 placeholders are left out of `expected`
  /// and `bands` (`undefinedRates` says why).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(periods, forKey: .periods)
    try c.encode(stateNames, forKey: .stateNames)
    try c.encode(start, forKey: .start)
    try c.encode(expectedStates, forKey: .expectedStates)
    try c.encode(expected.filter { undefinedRates[$0.key] == nil }, forKey: .expected)
    try c.encode(bands.filter { undefinedRates[$0.key] == nil }, forKey: .bands)
    try c.encode(replicates, forKey: .replicates)
    try c.encode(seed, forKey: .seed)
    try c.encode(acquisition, forKey: .acquisition)
    try c.encode(discountPerPeriod, forKey: .discountPerPeriod)
    try c.encode(inflowPerPeriod, forKey: .inflowPerPeriod)
    try c.encodeIfPresent(ownHistoryCustomers, forKey: .ownHistoryCustomers)
    try c.encode(ownHistoryError, forKey: .ownHistoryError)
    try c.encode(ownHistoryChurn, forKey: .ownHistoryChurn)
    try c.encode(chainErrorKPIs, forKey: .chainErrorKPIs)
    try c.encode(acquisitionSpread, forKey: .acquisitionSpread)
    try c.encode(undefinedRates, forKey: .undefinedRates)
  }
}

/// What a scenario (or a seasonal fit) changes in a forecast, step by step. Step t is forecast
/// period t + 1 (0-based steps).
public struct ForecastAdjustment: Sendable {
  /// The step's transition matrix from its base: the point estimate on the expected path, the
  /// group's posterior draw in a replicate.
  public var matrix: (@Sendable (_ step: Int, _ base: Matrix) -> Matrix)?
  /// What `matrix` depends on in a step, besides its base: steps with equal signatures get
  /// equal matrices (a scenario's intensities, a season), so replicates build each distinct
  /// matrix once instead of once per step. Nil: every step may differ.
  public var matrixSignature: (@Sendable (_ step: Int) -> [Double])?
  /// Per state: multiplier of revenue per customer-period in the step.
  public var revenueMultiplier: (@Sendable (_ step: Int) -> [Double])?
  /// Multiplier of purchases per customer-period in the step (every state).
  public var occasionsMultiplier: (@Sendable (_ step: Int) -> Double)?
  /// Multiplier of the step's entrants.
  public var inflowMultiplier: (@Sendable (_ step: Int) -> Double)?
  /// The step's cost: per customer in each state at the start of the step (given the step's
  /// matrix), plus a fixed amount.
  public var cost: (@Sendable (_ step: Int, _ matrix: Matrix) -> (perCustomer: [Double], fixed: Double))?
  /// Cost of each entrant above the baseline inflow.
  public var costPerExtraEntrant: Double = 0
  /// Gross margin: profit = margin x revenue - cost.
  public var margin: Double = 1

  /// No change: margin 1, no matrix or reward edits.
  public init() {}

  /// Both adjustments' matrix edits, the first applied first, and the product of their reward
  /// multipliers; the second's other terms.
  func after(_ first: ForecastAdjustment?) -> ForecastAdjustment {
    guard let first else { return self }
    var combined = self
    if let firstMatrix = first.matrix {
      if let secondMatrix = matrix {
        combined.matrix = { step, base in secondMatrix(step, firstMatrix(step, base)) }
        if let a = first.matrixSignature, let b = matrixSignature {
          combined.matrixSignature = { step in a(step) + b(step) }
        } else {
          combined.matrixSignature = nil
        }
      } else {
        combined.matrix = firstMatrix
        combined.matrixSignature = first.matrixSignature
      }
    }
    if let a = first.revenueMultiplier {
      if let b = revenueMultiplier {
        combined.revenueMultiplier = { step in zip(a(step), b(step)).map(*) }
      } else {
        combined.revenueMultiplier = a
      }
    }
    if let a = first.occasionsMultiplier {
      if let b = occasionsMultiplier {
        combined.occasionsMultiplier = { step in a(step) * b(step) }
      } else {
        combined.occasionsMultiplier = a
      }
    }
    return combined
  }
}


/// Runs a fitted chain forward: the expected path through BLAS, and Monte Carlo replicates.
///
/// ```
/// x[t+1] = x[t] P_t + a[t]            expected customers per state (one dgemv per period)
/// ```
/// `P_t` is the model's matrix, adjusted per step by its seasons and by a scenario.
/// Replicates add what the expected path leaves out:
/// - parameter uncertainty: each transition row drawn from its Dirichlet posterior, each state's
///   revenue and purchases per customer-period from a normal posterior of its mean;
/// - process noise: whole customers moved multinomially from each state, entrants drawn Poisson,
///   period revenue the sum of per-customer revenues (normal by the central limit theorem).
///
/// Batching: replicates are grouped by parameter draw. Without process noise a group's next
/// states are one dgemm, `X_g P_g` (replicates x S times S x S), and every KPI input is read off
/// the states with one more dgemm; that is where BLAS earns its keep. With process noise on a
/// base of `gaussianNoiseMinimumBase` customers or more, each step adds one normal draw per
/// replicate with the moves' covariance (`GaussianProcessNoise`) to that same batched path;
/// on smaller bases the multinomial draws are done per replicate (alias tables for few
/// customers, conditional binomials for many). Replicate r always draws from stream r of the seed, so
/// results do not depend on threads, and scenarios run with the same seed share their random
/// numbers (common random numbers), so their differences are not noise.
public enum ForecastEngine {
  /// Forecasts `model` with `options`, after the model's seasons and `adjustment` (a scenario's).
  /// - Throws: `InputLimitError` when the replicates' values would not fit in memory
  ///   (`ForecastOptions.replicatePeriodsProblem`); `LinearAlgebraError` only when a discounted
  ///   sum cannot be solved, which needs a discount <= 0.
  public static func run(model: MarkovModel, options: ForecastOptions, adjustment: ForecastAdjustment? = nil) throws -> Forecast {
    // Checked here too for the library's other callers (a backtest's holdout sets its periods).
    if let problem = options.replicatePeriodsProblem() { throw problem }
    var combined = adjustment ?? ForecastAdjustment()
    combined = combined.after(seasonal(model))
    let ownHistory = try OwnHistoryOffsets(model, options: options)
    var forecast = try run(
      model: model, matrix: model.forecastMatrix(includingReactivations: options.includeReactivations), options: options, adjustment: combined,
      ownHistory: ownHistory,
      chainError: ChainErrorSpread(model, options: options, ownHistory: ownHistory != nil, ownChurn: ownHistory?.churned != nil))
    forecast.undefinedRates = undefinedRates(forecast, model: model)
    return forecast
  }

  /// The conversion rates whose denominator is 0 in every period, which `values` holds as 0. A
  /// period's denominator is the state at its start: the current base, then the end of the period
  /// before, in the expected path and in every replicate.
  static func undefinedRates(_ forecast: Forecast, model: MarkovModel) -> [KPI: String] {
    let states = model.stateSpace.states
    func none(_ stage: Stage, _ count: KPI) -> Bool {
      let now = zip(states, model.currentBase).filter { $0.0.stage == stage }.reduce(0) { $0 + $1.1 }
      let later = (forecast.expected[count] ?? []).dropLast() + (forecast.bands[count]?.dropLast().map(\.p95) ?? [])
      return now == 0 && later.allSatisfy { $0 == 0 }
    }
    var undefined: [KPI: String] = [:]
    if none(.lead, .leads) { undefined[.leadConversion] = "no leads in the base or the forecast to convert" }
    if none(.new, .newCustomers) { undefined[.secondPurchaseConversion] = "no new customers in the base or the forecast to convert" }
    return undefined
  }

  /// The model's seasonal pattern as an adjustment: the base matrix scaled entry by entry by
  /// season / pooled, then renormalised, so posterior draws keep their spread; purchases and
  /// revenue per customer-period scaled by the season of the period they fall in.
  static func seasonal(_ model: MarkovModel) -> ForecastAdjustment? {
    guard let seasons = model.seasonalMatrices?.map({ Matrix(rows: $0) }) else { return nil }
    let pooled = model.matrix
    let period = model.window.period
    let last = model.window.lastPeriod
    var a = ForecastAdjustment()
    if let rewards = model.seasonalRewards, rewards.count == period.seasonsPerYear {
      let s = model.stateSpace.count
      a.occasionsMultiplier = { step in rewards[period.seasonIndex(of: last + 1 + step)].occasions }
      a.revenueMultiplier = { step in [Double](repeating: rewards[period.seasonIndex(of: last + 1 + step)].revenue, count: s) }
    }
    a.matrixSignature = { step in [Double(period.seasonIndex(of: last + step))] }
    a.matrix = { step, base in
      let season = seasons[period.seasonIndex(of: last + step)]
      var m = base
      for i in 0..<m.rowCount {
        for j in 0..<m.columnCount where pooled[i, j] > 0 { m[i, j] = base[i, j] * season[i, j] / pooled[i, j] }
        Estimator.normalizeRow(&m, i)
      }
      return m
    }
    return a
  }

  /// Runs with a given base transition matrix and adjustment.
  public static func run(model: MarkovModel, matrix p: Matrix, options: ForecastOptions, adjustment: ForecastAdjustment = ForecastAdjustment()) throws -> Forecast {
    try run(model: model, matrix: p, options: options, adjustment: adjustment, ownHistory: nil, chainError: nil)
  }

  /// Runs with a given base transition matrix and adjustment, the own histories' part and the
  /// chain's error.
  static func run(
    model: MarkovModel, matrix p: Matrix, options: ForecastOptions, adjustment: ForecastAdjustment, ownHistory: OwnHistoryOffsets?,
    chainError: ChainErrorSpread?
  ) throws -> Forecast {
    precondition(options.horizon >= 1, "horizon must be at least 1")
    let s = p.rowCount
    let space = model.stateSpace
    let d = options.discountPerPeriod ?? model.analysis.discountPerPeriod
    let baseInflow = options.acquisition.inflow(model: model, horizon: options.horizon)
    let inflow = (0..<options.horizon).map { t in baseInflow[t].map { $0 * (adjustment.inflowMultiplier?(t) ?? 1) } }
    let flows = FlowKinds(space: space)
    // Equity uses lifetime values of the chain itself, with absorbing states absorbing again
    // (as in `journey show`), so a scenario's equity compares with the model's.
    var absorbingChain = adjustment.matrix?(0, p) ?? p
    for c in space.absorbingIndices {
      for j in 0..<s { absorbingChain[c, j] = c == j ? 1 : 0 }
    }
    let clv = try ChainAnalysis.lifetimeValue(p: absorbingChain, revenuePerPeriod: model.rewards.map(\.revenueMean), discountPerPeriod: d)
    let book = KPIBook(
      space: space, flows: flows, clv: clv, discount: d, horizon: options.horizon, margin: adjustment.margin, ownHistory: ownHistory,
      chainError: chainError)
    let extraEntrantCost = (0..<options.horizon).map { t in
      (inflow[t].reduce(0, +) - baseInflow[t].reduce(0, +)) * adjustment.costPerExtraEntrant
    }
    let steps = StepPlan(
      adjustment: adjustment, horizon: options.horizon, book: book, extraEntrantCost: extraEntrantCost)

    // Expected path.
    var x = model.currentBase
    var expectedStates: [[Double]] = []
    var expected = book.emptySeries()
    let revenue = model.rewards.map(\.revenueMean)
    let occasions = model.rewards.map(\.occasionsMean)
    var running = RunningTotals()
    for t in 0..<options.horizon {
      let pt = adjustment.matrix.map { $0(t, p) } ?? p
      let before = steps.beforeMoveWeights(t, pt).leftMultiplied(byRowVector: x)
      var next = pt.leftMultiplied(byRowVector: x)
      for j in 0..<s { next[j] += inflow[t][j] }
      let after = steps.afterMoveWeights(t, occasions: occasions, revenue: revenue).leftMultiplied(byRowVector: next)
      let v = book.values(before: before[...], after: after[...], t: t, fixedCost: steps.fixedCost[t], running: &running)
      for kpi in KPI.allCases { expected[kpi]![t] = v[kpi.index] }
      expectedStates.append(next)
      x = next
    }

    var bands: [KPI: [Forecast.Band]] = [:]
    var replicateSamples: [KPI: [[Double]]] = [:]
    let acquisitionSpread = options.acquisition.spread(model: model)
    if options.replicates > 0 {
      let samples = simulate(model: model, p: p, options: options, inflow: inflow, acquisitionSpread: acquisitionSpread, steps: steps)
      // Quantiles sort every KPI-period's replicates: thousands of sorts, spread over the cores.
      let kpis = KPI.allCases
      let h = options.horizon
      let computed = Partials<Forecast.Band>(count: kpis.count * h)
      DispatchQueue.concurrentPerform(iterations: kpis.count * h) { k in
        computed.store(band(samples.slice(k / h, k % h)), at: k)
      }
      let all = computed.all()
      for (n, kpi) in kpis.enumerated() {
        bands[kpi] = Array(all[(n * h)..<((n + 1) * h)])
        replicateSamples[kpi] = (0..<h).map { Array(samples.slice(kpi.index, $0)) }
      }
    }
    let last = model.window.lastPeriod
    var forecast = Forecast(
      periods: (1...options.horizon).map { model.window.period.label(of: last + $0) }, stateNames: model.stateNames,
      start: model.currentBase, expectedStates: expectedStates, expected: expected, bands: bands,
      replicates: options.replicates, seed: options.seed, acquisition: options.acquisition.description(for: model),
      discountPerPeriod: d, inflowPerPeriod: inflow.map { $0.reduce(0, +) })
    forecast.samples = replicateSamples
    forecast.ownHistoryCustomers = ownHistory?.customers
    forecast.ownHistoryError = ownHistory?.measuredError ?? false
    forecast.ownHistoryChurn = ownHistory?.churned != nil
    forecast.chainErrorKPIs = chainError?.kpis ?? []
    forecast.acquisitionSpread = options.replicates > 0 ? acquisitionSpread.period : 0
    return forecast
  }

  /// KPI samples of every replicate.
  static func simulate(
    model: MarkovModel, p: Matrix, options: ForecastOptions, inflow: [[Double]], acquisitionSpread spread: (period: Double, level: Double),
    steps: StepPlan
  ) -> KPISamples {
    let s = p.rowCount
    let r = options.replicates
    let h = options.horizon
    // Per replicate and step, the factor on its expected entrants: a level for the whole path and
    // a period's own scatter, lognormal with mean 1, from their own random stream, so that the
    // other draws are those of a forecast without it and scenarios share them.
    @Sendable func acquisitionFactors(_ replicate: Int) -> [Double] {
      guard spread.period > 0 || spread.level > 0 else { return Array(repeating: 1, count: h) }
      var rng = RandomSource(seed: options.seed, stream: 0xACC0_0000_0000 + UInt64(replicate))
      let level = spread.level * rng.normal() - spread.level * spread.level / 2
      return (0..<h).map { _ in Foundation.exp(level + spread.period * rng.normal() - spread.period * spread.period / 2) }
    }
    let book = steps.book
    let groups = options.parameterUncertainty ? max(1, min(r, options.parameterDraws)) : 1
    let results = Partials<KPISamples>(count: groups)
    let posterior = Matrix(rows: model.posterior)
    let slots = MatrixSlots(adjustment: steps.adjustment, horizon: h)
    // Per row, the posterior's support: draws touch only these entries.
    let support: [[Int]] = (0..<s).map { i in (0..<s).filter { posterior[i, $0] > 0 } }
    let gaussianNoise: GaussianProcessNoise? =
      options.processNoise && model.currentBase.reduce(0, +) >= options.gaussianNoiseMinimumBase
      ? BLASThreads.oneEach {  // its steps are factored on all cores at once
        GaussianProcessNoise(
          start: model.currentBase, matrix: { t in steps.adjustment.matrix?(t, p) ?? p }, inflow: inflow, flows: book.flows, horizon: h)
      }
      : nil
    // Replicates of group g: g, g + groups, g + 2 groups, ...
    @Sendable func membersOf(_ g: Int) -> [Int] { Array(Swift.stride(from: g, to: r, by: groups)) }
    // With Gaussian noise, neighbouring groups run together as a chunk that draws its noise in
    // one dgemm per step for all its replicates (a few dozen rows), not one per group of ~10.
    let groupsPerChunk = gaussianNoise == nil ? 1 : max(1, GaussianProcessNoise.rowsPerProduct / max(1, r / groups))
    let chunks = (groups + groupsPerChunk - 1) / groupsPerChunk
    // The groups keep the cores busy; OpenBLAS threads inside them would only spin.
    BLASThreads.oneEach {
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let chunkGroups = Array((chunk * groupsPerChunk)..<min(groups, (chunk + 1) * groupsPerChunk))
        let chunkNoise = gaussianNoise?.draws(replicates: chunkGroups.flatMap(membersOf), seed: options.seed)
        var noiseRow = 0  // the first row of this group's replicates in `chunkNoise`
        for g in chunkGroups {
          let members = membersOf(g)
          defer { noiseRow += members.count }
          var parameterRNG = RandomSource(seed: options.seed, stream: 0x5EED_0000_0000 + UInt64(g))
          var pg = p
          var revenueMean = model.rewards.map(\.revenueMean)
          var occasionsMean = model.rewards.map(\.occasionsMean)
          if options.parameterUncertainty {
            for i in 0..<s {
              // A Dirichlet draw over the row's support only; absorbing and never-left rows have
              // no support and keep their point row.
              guard !support[i].isEmpty else { continue }
              let draw = parameterRNG.dirichlet(support[i].map { posterior[i, $0] })
              for (k, j) in support[i].enumerated() { pg[i, j] = draw[k] }
            }
            for i in 0..<s where model.rewards[i].customerPeriods > 1 {
              let n = model.rewards[i].customerPeriods
              revenueMean[i] += parameterRNG.normal() * (model.rewards[i].revenueVariance / n).squareRoot()
              occasionsMean[i] = max(0, occasionsMean[i] + parameterRNG.normal() * (model.rewards[i].occasionsVariance / n).squareRoot())
            }
          }
          // The group's distinct matrices: its draw, adjusted per step when asked, built once for
          // the steps that share it (`slots`).
          let stepMatrices = steps.adjustment.matrix.map { adjust in slots.firstSteps.map { adjust($0, pg) } } ?? [pg]
          func matrix(_ t: Int) -> Matrix { stepMatrices[slots.slot[t]] }
          // Cost terms may change per step even when the matrix does not, so one weight matrix per step;
          // the flow probabilities, the expensive part, once per distinct matrix.
          let flowProbabilities = stepMatrices.map { book.flows.rowProbabilities($0) }
          let beforeMove = (0..<h).map { steps.beforeMoveWeights($0, matrix($0), flowProbabilities: flowProbabilities[slots.slot[$0]]) }
          let afterMove = (0..<h).map { steps.afterMoveWeights($0, occasions: occasionsMean, revenue: revenueMean) }
          var samples = KPISamples(horizon: h, replicates: members.count)
          if options.processNoise && gaussianNoise == nil {
            let stepRows = stepMatrices.map { m in (0..<s).map { MultinomialRow(m.row($0)) } }
            // Per step, per (from, to): which flow kinds the move counts toward, as bits.
            let stepFlowBits: [[[UInt8]]] = stepRows.map { rows in
              rows.enumerated().map { i, row in
                row.destinations.map { j in
                  var bits: UInt8 = 0
                  for f in 0..<book.flows.members.count where book.flows.members[f][i * s + j] { bits |= 1 << UInt8(f) }
                  return bits
                }
              }
            }
            let kinds = book.flows.members.count
            var moved = [Int](repeating: 0, count: s)
            for (k, replicate) in members.enumerated() {
              var rng = RandomSource(seed: options.seed, stream: UInt64(replicate))
              var x = model.currentBase.map { $0.rounded() }
              var running = book.runningTotals(replicate: replicate)
              let acquisition = acquisitionFactors(replicate)
              for t in 0..<h {
                let rows = stepRows[slots.slot[t]]
                let flowBits = stepFlowBits[slots.slot[t]]
                // Expected inputs first (rate denominators, cost), then the realised flows over them.
                var before = beforeMove[t].leftMultiplied(byRowVector: x)
                for f in 0..<kinds { before[f] = 0 }
                var next = [Double](repeating: 0, count: s)
                for i in 0..<s where x[i] > 0 {
                  let row = rows[i]
                  for position in 0..<row.count { moved[position] = 0 }
                  row.draw(Int(x[i]), &rng, into: &moved)
                  for position in 0..<row.count where moved[position] > 0 {
                    let m = Double(moved[position])
                    next[row.destinations[position]] += m
                    let bits = flowBits[i][position]
                    if bits != 0 {
                      for f in 0..<kinds where bits & (1 << UInt8(f)) != 0 { before[f] += m }
                    }
                  }
                }
                for j in 0..<s where inflow[t][j] > 0 { next[j] += Double(rng.poisson(mean: inflow[t][j] * acquisition[t])) }
                var after = afterMove[t].leftMultiplied(byRowVector: next)
                // Sums of per-customer purchases and revenue vary around their means.
                var revenueVariance = 0.0, purchaseVariance = 0.0
                let multiplier = steps.revenueMultipliers[t]
                for j in 0..<s where next[j] > 0 {
                  revenueVariance += next[j] * model.rewards[j].revenueVariance * multiplier[j] * multiplier[j]
                  purchaseVariance += next[j] * model.rewards[j].occasionsVariance * steps.occasionsMultipliers[t] * steps.occasionsMultipliers[t]
                }
                after[KPIBook.AfterMove.purchases.rawValue] = max(0, after[KPIBook.AfterMove.purchases.rawValue] + rng.normal() * purchaseVariance.squareRoot())
                after[KPIBook.AfterMove.revenue.rawValue] += rng.normal() * revenueVariance.squareRoot()
                book.record(&samples, replicate: k, t: t, before: before[...], after: after[...], fixedCost: steps.fixedCost[t], running: &running)
                x = next
              }
            }
          } else {
            // All replicates of the group share P_g: one dgemm per step moves them all, and one
            // more on each side reads every KPI input off the states. With Gaussian process noise,
            // each replicate's step adds its row of the chunk's noise (`GaussianProcessNoise.draws`).
            let n = members.count
            var x = Matrix(rowCount: n, columnCount: s)
            for row in 0..<n { for j in 0..<s { x[row, j] = model.currentBase[j] } }
            var running = members.map(book.runningTotals)
            var random = members.map { RandomSource(seed: options.seed, stream: UInt64($0)) }
            let acquisition = members.map(acquisitionFactors)
            // Mostly-zero matrices (split-by models) move faster as sparse rows than through dgemm.
            let sparse = stepMatrices.map { SparseTransitions($0) }
            let useSparse = sparse[0].density < SparseTransitions.maximumDensity
            // With Gaussian noise, entrants drawn one by one (Poisson): those of states whose mean
            // is below `normalEntrantMinimumMean`; the others are part of the normal draw.
            let entrantStates = inflow.map { step in
              step.indices.filter { step[$0] > 0 && step[$0] < GaussianProcessNoise.normalEntrantMinimumMean }
            }
            // With Gaussian noise, two more columns read off the states the variances of the
            // period's purchases and revenue (each state's per-customer variance, times its count).
            let varianceColumn = KPIBook.AfterMove.allCases.count
            let afterWeights: [Matrix] = gaussianNoise == nil ? afterMove : (0..<h).map { t in
              let width = varianceColumn + 2
              var w = [Double](repeating: 0, count: s * width)
              let (m, revenueMultipliers, means) = (steps.occasionsMultipliers[t], steps.revenueMultipliers[t], afterMove[t].elements)
              for j in 0..<s {
                for c in 0..<varianceColumn { w[j * width + c] = means[j * varianceColumn + c] }
                w[j * width + varianceColumn] = model.rewards[j].occasionsVariance * m * m
                w[j * width + varianceColumn + 1] = model.rewards[j].revenueVariance * revenueMultipliers[j] * revenueMultipliers[j]
              }
              return Matrix(rowCount: s, columnCount: width, elements: w)
            }
            // Per step: which noise columns are states (column, state) and which flows (column, kind).
            let noiseColumns = (0..<(gaussianNoise == nil ? 0 : h)).map { t in Array(gaussianNoise!.dimensions[t].enumerated()) }
            let noiseStateColumns = noiseColumns.map { $0.filter { $0.element < s } }
            let noiseFlowColumns = noiseColumns.map { $0.filter { $0.element >= s }.map { ($0.offset, $0.element - s) } }
            for t in 0..<h {
              var before = x.multiplied(by: beforeMove[t])
              var next = useSparse ? sparse[slots.slot[t]].propagate(x) : matrix(t).propagate(x)
              // The per-replicate loops below work on the matrices' storage moved out into local
              // arrays (and back): no copy, and no uniqueness check per element.
              var nextValues: [Double] = []
              swap(&nextValues, &next.elements)
              let entrants = inflow[t]
              // Buffer pointers: these loops run for every replicate, step and state.
              nextValues.withUnsafeMutableBufferPointer { values in
                for row in 0..<n { for j in 0..<s { values[row * s + j] += entrants[j] * acquisition[row][t] } }
              }
              if let gaussianNoise, let chunkNoise {
                let (stateColumns, flowColumns) = (noiseStateColumns[t], noiseFlowColumns[t])
                let width = gaussianNoise.dimensions[t].count
                var beforeValues: [Double] = []
                swap(&beforeValues, &before.elements)
                let beforeWidth = beforeValues.count / n
                for row in 0..<n {
                  for j in entrantStates[t] {
                    let mean = entrants[j] * acquisition[row][t]
                    nextValues[row * s + j] += Double(random[row].poisson(mean: mean)) - mean
                  }
                }
                chunkNoise[t].elements.withUnsafeBufferPointer { noise in
                  nextValues.withUnsafeMutableBufferPointer { values in
                    for row in 0..<n {
                      let base = row * s
                      let noiseBase = (noiseRow + row) * width
                      for (c, j) in stateColumns { values[base + j] += noise[noiseBase + c] }
                      for j in base..<(base + s) where values[j] < 0 { values[j] = 0 }
                      for (c, f) in flowColumns {
                        beforeValues[row * beforeWidth + f] = max(0, beforeValues[row * beforeWidth + f] + noise[noiseBase + c])
                      }
                    }
                  }
                }
                swap(&beforeValues, &before.elements)
              }
              swap(&nextValues, &next.elements)
              var after = next.multiplied(by: afterWeights[t])
              if gaussianNoise != nil {
                // Sums of per-customer purchases and revenue vary around their means, as above.
                let purchases = KPIBook.AfterMove.purchases.rawValue, revenue = KPIBook.AfterMove.revenue.rawValue
                for row in 0..<n {
                  after[row, purchases] = max(0, after[row, purchases] + random[row].zigguratNormal() * after[row, varianceColumn].squareRoot())
                  after[row, revenue] += random[row].zigguratNormal() * after[row, varianceColumn + 1].squareRoot()
                }
              }
              for row in 0..<n {
                book.record(
                  &samples, replicate: row, t: t,
                  before: before.elements[(row * before.columnCount)..<((row + 1) * before.columnCount)],
                  after: after.elements[(row * after.columnCount)..<((row + 1) * after.columnCount)],
                  fixedCost: steps.fixedCost[t], running: &running[row])
              }
              x = next
            }
          }
          results.store(samples, at: g)
        }
      }
    }
    // Interleave the groups back into replicate order.
    let parts = results.all()
    var all = KPISamples(horizon: h, replicates: r)
    for (g, part) in parts.enumerated() {
      for kpi in 0..<KPI.allCases.count {
        for t in 0..<h {
          let source = part.offset(kpi, t)
          let target = all.offset(kpi, t)
          for (k, replicate) in Swift.stride(from: g, to: r, by: groups).enumerated() {
            all.values[target + replicate] = part.values[source + k]
          }
        }
      }
    }
    return all
  }

  /// Mean and the P5, P50, P95 quantiles (linear interpolation between order statistics, as
  /// numpy's default) of the finite values; the quantiles by selection, not a sort.
  static func band(_ values: ArraySlice<Double>) -> Forecast.Band {
    var finite = values.filter(\.isFinite)
    guard !finite.isEmpty else { return .init(mean: .nan, p5: .nan, p50: .nan, p95: .nan) }
    let mean = finite.reduce(0, +) / Double(finite.count)
    let q = Quantile.of(selectingIn: &finite, [0.05, 0.5, 0.95])
    return .init(mean: mean, p5: q[0], p50: q[1], p95: q[2])
  }
}

extension KPI {
  var index: Int { KPI.allCases.firstIndex(of: self)! }
}

/// Sums carried from period to period within one path.
struct RunningTotals {
  /// The replicate's draw of the chain's error (`ChainErrorSpread.deviate`); 0 on the expected path.
  var chainDeviate = 0.0
  /// The replicate's draw of the own histories' model error (`OwnHistoryOffsets.deviate`); 0 on
  /// the expected path.
  var modelDeviate = 0.0
  /// The replicate's stream of churn count noise (`OwnHistoryOffsets.churnNoise`); nil on the
  /// expected path and without churn from the histories.
  var churnNoise: RandomSource? = nil
  /// What the customers' own histories added to the living customers at the last step's end.
  var livingAdded = 0.0
  var revenue = 0.0
  var discountedRevenue = 0.0
  var profit = 0.0
  var discountedProfit = 0.0
}

/// What each step of one forecast needs besides its matrix: reward multipliers and costs.
struct StepPlan: Sendable {
  let adjustment: ForecastAdjustment
  let book: KPIBook
  let revenueMultipliers: [[Double]]
  let occasionsMultipliers: [Double]
  /// Fixed cost of each step, entrant costs included.
  let fixedCost: [Double]

  init(adjustment: ForecastAdjustment, horizon: Int, book: KPIBook, extraEntrantCost: [Double]) {
    self.adjustment = adjustment
    self.book = book
    let s = book.isChurned.count
    revenueMultipliers = (0..<horizon).map { adjustment.revenueMultiplier?($0) ?? [Double](repeating: 1, count: s) }
    occasionsMultipliers = (0..<horizon).map { adjustment.occasionsMultiplier?($0) ?? 1 }
    // The fixed part of a cost does not depend on the matrix; read it with the identity.
    let identity = Matrix.identity(s)
    fixedCost = (0..<horizon).map { t in (adjustment.cost?(t, identity).fixed ?? 0) + extraEntrantCost[t] }
  }

  /// Reads, from the states at the start of a step: expected flows, rate denominators, cost.
  func beforeMoveWeights(_ t: Int, _ matrix: Matrix, flowProbabilities: [[Double]]? = nil) -> Matrix {
    book.beforeMoveWeights(flowProbabilities ?? book.flows.rowProbabilities(matrix), cost: adjustment.cost?(t, matrix).perCustomer)
  }

  /// Reads, from the states at the end of a step: base counts, equity, purchases, revenue.
  func afterMoveWeights(_ t: Int, occasions: [Double], revenue: [Double]) -> Matrix {
    book.afterMoveWeights(occasions: occasions.map { $0 * occasionsMultipliers[t] }, revenue: zip(revenue, revenueMultipliers[t]).map(*))
  }
}

/// KPI values of many replicates, flat: [kpi][period][replicate] in one array, so recording a
/// replicate-period writes into place instead of through nested arrays.
struct KPISamples: Sendable {
  let horizon: Int
  let replicates: Int
  var values: [Double]

  init(horizon: Int, replicates: Int) {
    self.horizon = horizon
    self.replicates = replicates
    values = Array(repeating: 0, count: KPI.allCases.count * horizon * replicates)
  }

  @inline(__always)
  func offset(_ kpi: Int, _ t: Int) -> Int { (kpi * horizon + t) * replicates }

  /// The replicates' values of one KPI in one period.
  func slice(_ kpi: Int, _ t: Int) -> ArraySlice<Double> { values[offset(kpi, t)..<(offset(kpi, t) + replicates)] }
}

/// Turns a period's state vector and flows into KPI values.
struct KPIBook: Sendable {
  let flows: FlowKinds
  let clv: [Double]
  let discount: Double
  let horizon: Int
  let isChurned: [Bool]
  let isPurchasing: [Bool]
  let isNew: [Bool]
  let isLead: [Bool]

  let margin: Double
  /// Per step, what the bought customers' own histories add to active, purchases and revenue.
  let ownHistory: OwnHistoryOffsets?
  /// Per step, the chain's error on what it forecasts.
  let chainError: ChainErrorSpread?

  init(
    space: StateSpace, flows: FlowKinds, clv: [Double], discount: Double, horizon: Int, margin: Double = 1, ownHistory: OwnHistoryOffsets? = nil,
    chainError: ChainErrorSpread? = nil
  ) {
    self.margin = margin
    self.ownHistory = ownHistory
    self.chainError = chainError
    self.flows = flows
    self.clv = clv
    self.discount = discount
    self.horizon = horizon
    isChurned = space.states.map { $0.stage == .churned }
    isPurchasing = space.states.map(\.stage.isPurchasing)
    isNew = space.states.map { $0.stage == .new }
    isLead = space.states.map { $0.stage == .lead }
  }

  /// A replicate's sums at the start of its path, with its draws of the models' errors.
  func runningTotals(replicate: Int) -> RunningTotals {
    RunningTotals(
      chainDeviate: chainError?.deviate(replicate: replicate) ?? 0, modelDeviate: ownHistory?.deviate(replicate: replicate) ?? 0,
      churnNoise: ownHistory?.churnNoise(replicate: replicate))
  }

  func emptySeries() -> [KPI: [Double]] {
    Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0, [Double](repeating: 0, count: horizon)) })
  }


  /// Columns of the matrix that reads KPI inputs off the states before a move.
  /// Column f < flow kinds: expected flow of kind f; then the rate denominators.
  /// The last column: cost per customer in each state.
  func beforeMoveWeights(_ flowProbabilities: [[Double]], cost: [Double]?) -> Matrix {
    let s = isChurned.count
    let kinds = flows.members.count
    var w = Matrix(rowCount: s, columnCount: 2 * kinds + 1)
    for f in 0..<kinds {
      for i in 0..<s {
        w[i, f] = flowProbabilities[f][i]
        w[i, kinds + f] = flows.sources[f][i] ? 1 : 0
      }
    }
    if let cost { for i in 0..<s { w[i, 2 * kinds] = cost[i] } }
    return w
  }

  enum AfterMove: Int, CaseIterable { case living, active, new, leads, equity, purchases, revenue }

  /// Columns of the matrix that reads KPI inputs off the states after a move.
  func afterMoveWeights(occasions: [Double], revenue: [Double]) -> Matrix {
    let s = isChurned.count
    var w = Matrix(rowCount: s, columnCount: AfterMove.allCases.count)
    for j in 0..<s {
      w[j, AfterMove.living.rawValue] = isChurned[j] ? 0 : 1
      w[j, AfterMove.active.rawValue] = isPurchasing[j] ? 1 : 0
      w[j, AfterMove.new.rawValue] = isNew[j] ? 1 : 0
      w[j, AfterMove.leads.rawValue] = isLead[j] ? 1 : 0
      w[j, AfterMove.equity.rawValue] = clv[j]
      w[j, AfterMove.purchases.rawValue] = occasions[j]
      w[j, AfterMove.revenue.rawValue] = revenue[j]
    }
    return w
  }

  /// Records a replicate-period: `before` holds the flows, rate denominators and cost (as the
  /// columns of `beforeMoveWeights`), `after` the `AfterMove` inputs.
  func record(_ samples: inout KPISamples, replicate: Int, t: Int, before: ArraySlice<Double>, after: ArraySlice<Double>, fixedCost: Double, running: inout RunningTotals) {
    let v = values(before: before, after: after, t: t, fixedCost: fixedCost, running: &running)
    for k in 0..<v.count { samples.values[samples.offset(k, t) + replicate] = v[k] }
  }

  /// KPI values in `KPI.allCases` order; `before` and `after` may be rows of larger buffers.
  func values(before b: ArraySlice<Double>, after a: ArraySlice<Double>, t: Int, fixedCost: Double, running: inout RunningTotals) -> [Double] {
    var v = [Double](repeating: 0, count: KPI.allCases.count)
    let before = b.startIndex
    let after = a.startIndex
    let kinds = flows.members.count
    func rate(_ kind: FlowKinds.Kind) -> Double {
      let denominator = b[before + kinds + kind.rawValue]
      return denominator > 0 ? b[before + kind.rawValue] / denominator : 0
    }
    var purchases = a[after + AfterMove.purchases.rawValue]
    var revenue = a[after + AfterMove.revenue.rawValue]
    var active = a[after + AfterMove.active.rawValue]
    if let own = ownHistory {
      let z = running.modelDeviate
      purchases = max(0, purchases + own.purchases.drawn(t, z: z))
      // Their own revenue is never below 0, so what it adds takes no range under 0 (nor under
      // what the chain gave, if refunds made that negative).
      revenue = max(min(0, revenue), revenue + own.revenue.drawn(t, z: z))
      active = max(0, active + own.active.drawn(t, z: z))
    }
    var churned = b[before + FlowKinds.Kind.churn.rawValue], churnRate = rate(.churn)
    var living = a[after + AfterMove.living.rawValue]
    if let own = ownHistory, let ownChurned = own.churned, let ownLiving = own.living {
      // The rate's denominator is the living customers at the step's start, as this path has them.
      let denominator = b[before + kinds + FlowKinds.Kind.churn.rawValue] + running.livingAdded
      // Customers who buy more than forecast churn less and stay living more: the same draw.
      let z = running.modelDeviate
      let churnNoise = running.churnNoise?.normal() ?? 0, livingNoise = running.churnNoise?.normal() ?? 0
      churned = max(0, churned + ownChurned.drawn(t, z: -z, noise: churnNoise))
      running.livingAdded = ownLiving.drawn(t, z: z, noise: livingNoise)
      living = max(0, living + running.livingAdded)
      churnRate = denominator > 0 ? min(1, churned / denominator) : 0
    }
    if let chain = chainError {
      // The chain's error scales what the chain forecast: a relative error, as it was measured.
      let z = running.chainDeviate
      purchases *= max(0, 1 + z * chain.purchases[t])
      revenue *= max(0, 1 + z * chain.revenue[t])
      active *= max(0, 1 + z * chain.active[t])
      let churnFactor = max(0, 1 + z * chain.churned[t])
      churned *= churnFactor
      churnRate = min(1, churnRate * churnFactor)
    }
    let cost = b[before + 2 * kinds] + fixedCost
    let profit = margin * revenue - cost
    let discountFactor = 1 / pow(1 + discount, Double(t + 1))
    running.revenue += revenue
    running.discountedRevenue += revenue * discountFactor
    running.profit += profit
    running.discountedProfit += profit * discountFactor
    func put(_ kpi: KPI, _ value: Double) { v[kpi.index] = value }
    put(.customers, living)
    put(.active, active)
    put(.newCustomers, a[after + AfterMove.new.rawValue])
    put(.leads, a[after + AfterMove.leads.rawValue])
    put(.churned, churned)
    put(.churnRate, churnRate)
    put(.retentionRate, 1 - churnRate)
    put(.leadConversion, rate(.leadConversion))
    put(.secondPurchaseConversion, rate(.secondPurchase))
    put(.upgrades, b[before + FlowKinds.Kind.upgrade.rawValue])
    put(.downgrades, b[before + FlowKinds.Kind.downgrade.rawValue])
    put(.purchases, purchases)
    put(.revenue, revenue)
    put(.averageOrderValue, purchases > 0 ? revenue / purchases : 0)
    put(.cumulativeRevenue, running.revenue)
    put(.discountedRevenue, running.discountedRevenue)
    put(.cost, cost)
    put(.profit, profit)
    put(.cumulativeProfit, running.profit)
    put(.discountedProfit, running.discountedProfit)
    put(.equity, a[after + AfterMove.equity.rawValue])
    return v
  }

  /// The inputs read off the states after a move, in `AfterMove` order (unbatched paths).
  func afterMove(_ state: [Double], purchases: Double, revenue: Double) -> [Double] {
    var v = [Double](repeating: 0, count: AfterMove.allCases.count)
    for j in 0..<state.count {
      let n = state[j]
      if !isChurned[j] { v[AfterMove.living.rawValue] += n }
      if isPurchasing[j] { v[AfterMove.active.rawValue] += n }
      if isNew[j] { v[AfterMove.new.rawValue] += n }
      if isLead[j] { v[AfterMove.leads.rawValue] += n }
      v[AfterMove.equity.rawValue] += n * clv[j]
    }
    v[AfterMove.purchases.rawValue] = purchases
    v[AfterMove.revenue.rawValue] = revenue
    return v
  }
}

/// Which steps of a forecast share a transition matrix: one slot for all without a matrix
/// adjustment, one per distinct signature with one, else one per step.
struct MatrixSlots {
  /// Per step, its slot.
  let slot: [Int]
  /// Per slot, the first step in it (its matrix is built for that step).
  let firstSteps: [Int]

  init(adjustment: ForecastAdjustment, horizon h: Int) {
    guard adjustment.matrix != nil else {
      slot = [Int](repeating: 0, count: h)
      firstSteps = [0]
      return
    }
    guard let signature = adjustment.matrixSignature else {
      slot = Array(0..<h)
      firstSteps = Array(0..<h)
      return
    }
    var seen: [[Double]: Int] = [:]
    var slot: [Int] = []
    var firstSteps: [Int] = []
    for t in 0..<h {
      let key = signature(t)
      if let k = seen[key] {
        slot.append(k)
      } else {
        seen[key] = firstSteps.count
        slot.append(firstSteps.count)
        firstSteps.append(t)
      }
    }
    self.slot = slot
    self.firstSteps = firstSteps
  }
}

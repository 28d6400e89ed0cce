import Dispatch
import Foundation

/// What a forecast is asked for.
public struct ForecastOptions: Sendable {
  public var horizon = 12
  /// Discount per period; nil uses the model's.
  public var discountPerPeriod: Double? = nil
  public var acquisition: AcquisitionAssumption = .historical
  /// Monte Carlo replicates for the bands; 0 for the expected path only.
  public var replicates = 1_000
  public var seed: UInt64 = 1
  /// Draw transition rows and reward means from their posteriors (parameter uncertainty).
  public var parameterUncertainty = true
  /// Move whole customers multinomially and draw entrants as Poisson (process noise).
  public var processNoise = true
  /// Distinct parameter draws; replicates share them in groups (see `ForecastEngine`).
  public var parameterDraws = 100
  /// Let churned customers come back at the window's historical rate (see `MarkovModel.forecastMatrix`).
  public var includeReactivations = true

  public init() {}
}

/// A forecast: the expected path and, with replicates, P5 / P50 / P95 bands for every KPI.
public struct Forecast: Codable, Sendable {
  public struct Band: Codable, Sendable, Equatable {
    public var mean: Double
    public var p5: Double
    public var p50: Double
    public var p95: Double
  }
  /// Labels of the forecast periods (`2026-01`, ...), after the model's last period.
  public var periods: [String]
  public var stateNames: [String]
  /// Customers per state at the start (the model's current base).
  public var start: [Double]
  /// Expected customers per state, per period.
  public var expectedStates: [[Double]]
  /// Per KPI, per period: the expected value.
  public var expected: [KPI: [Double]]
  /// Per KPI, per period: the Monte Carlo bands (empty without replicates).
  public var bands: [KPI: [Band]]
  public var replicates: Int
  public var seed: UInt64
  public var acquisition: String
  public var discountPerPeriod: Double
  /// Expected entrants per period (all states).
  public var inflowPerPeriod: [Double]
}

/// Runs a fitted chain forward: the expected path through BLAS, and Monte Carlo replicates.
///
/// ```
/// x[t+1] = x[t] P + a[t]            expected customers per state (one dgemv per period)
/// ```
/// Replicates add what the expected path leaves out:
/// - parameter uncertainty: each transition row drawn from its Dirichlet posterior, each state's
///   revenue and purchases per customer-period from a normal posterior of its mean;
/// - process noise: whole customers moved multinomially from each state, entrants drawn Poisson,
///   period revenue the sum of per-customer revenues (normal by the central limit theorem).
///
/// Batching: replicates are grouped by parameter draw. Without process noise a group's next
/// states are one dgemm, `X_g P_g` (replicates x S times S x S), which is where BLAS earns its
/// keep; with process noise the multinomial draws dominate and are done per replicate over the
/// non-zero entries of each row only. Replicate r always draws from stream r of the seed, so
/// results do not depend on threads, and scenarios compared with the same seed share their
/// random numbers (common random numbers).
public enum ForecastEngine {
  public static func run(model: MarkovModel, options: ForecastOptions) throws -> Forecast {
    try run(model: model, matrix: model.forecastMatrix(includingReactivations: options.includeReactivations), options: options)
  }

  /// Runs with a given transition matrix (a scenario's edit of the model's).
  public static func run(model: MarkovModel, matrix p: Matrix, options: ForecastOptions) throws -> Forecast {
    precondition(options.horizon >= 1, "horizon must be at least 1")
    let s = p.rowCount
    let space = model.stateSpace
    let d = options.discountPerPeriod ?? model.analysis.discountPerPeriod
    let inflow = options.acquisition.inflow(model: model, horizon: options.horizon)
    let flows = FlowKinds(space: space)
    let rewardsRevenue = model.rewards.map(\.revenueMean)
    let rewardsOccasions = model.rewards.map(\.occasionsMean)
    // Equity uses lifetime values of the chain itself, with absorbing states absorbing again
    // (as in `journey show`), so a scenario's equity compares with the model's.
    var absorbingChain = p
    for c in space.absorbingIndices {
      for j in 0..<s { absorbingChain[c, j] = c == j ? 1 : 0 }
    }
    let clv = try ChainAnalysis.analyse(
      p: absorbingChain, space: space, revenuePerPeriod: rewardsRevenue, occasionsPerPeriod: rewardsOccasions,
      currentBase: model.currentBase, discountPerPeriod: d
    ).lifetimeValue
    let book = KPIBook(space: space, flows: flows, clv: clv, discount: d, horizon: options.horizon)

    // Expected path.
    var x = model.currentBase
    var expectedStates: [[Double]] = []
    var expected = book.emptySeries()
    let flowProbabilities = flows.rowProbabilities(p)
    var cumulative = 0.0, discounted = 0.0
    for t in 0..<options.horizon {
      let flowTotals = flowProbabilities.map { f in zip(x, f).reduce(0) { $0 + $1.0 * $1.1 } }
      let sources = flows.sources.map { mask in zip(x, mask).reduce(0) { $1.1 ? $0 + $1.0 : $0 } }
      var next = p.leftMultiplied(byRowVector: x)
      for j in 0..<s { next[j] += inflow[t][j] }
      let purchases = zip(next, rewardsOccasions).reduce(0) { $0 + $1.0 * $1.1 }
      let revenue = zip(next, rewardsRevenue).reduce(0) { $0 + $1.0 * $1.1 }
      cumulative += revenue
      discounted += revenue / pow(1 + d, Double(t + 1))
      book.record(&expected, t: t, state: next, flows: flowTotals, sources: sources, purchases: purchases, revenue: revenue, cumulative: cumulative, discounted: discounted)
      expectedStates.append(next)
      x = next
    }

    var bands: [KPI: [Forecast.Band]] = [:]
    if options.replicates > 0 {
      let samples = simulate(model: model, p: p, options: options, inflow: inflow, book: book, d: d)
      for kpi in KPI.allCases {
        bands[kpi] = (0..<options.horizon).map { t in band(samples[kpi.index][t]) }
      }
    }
    let last = model.window.lastPeriod
    return Forecast(
      periods: (1...options.horizon).map { model.window.period.label(of: last + $0) }, stateNames: model.stateNames,
      start: model.currentBase, expectedStates: expectedStates, expected: expected, bands: bands,
      replicates: options.replicates, seed: options.seed, acquisition: options.acquisition.description,
      discountPerPeriod: d, inflowPerPeriod: inflow.map { $0.reduce(0, +) })
  }

  /// KPI samples: [kpi][period][replicate].
  static func simulate(
    model: MarkovModel, p: Matrix, options: ForecastOptions, inflow: [[Double]], book: KPIBook, d: Double
  ) -> [[[Double]]] {
    let s = p.rowCount
    let r = options.replicates
    let h = options.horizon
    let groups = options.parameterUncertainty ? max(1, min(r, options.parameterDraws)) : 1
    let results = Partials<[[[Double]]]>(count: groups)
    let posterior = Matrix(rows: model.posterior)
    DispatchQueue.concurrentPerform(iterations: groups) { g in
      // Replicates of this group: g, g + groups, g + 2 groups, ...
      let members = Array(Swift.stride(from: g, to: r, by: groups))
      var parameterRNG = RandomSource(seed: options.seed, stream: 0x5EED_0000_0000 + UInt64(g))
      var pg = p
      var revenueMean = model.rewards.map(\.revenueMean)
      var occasionsMean = model.rewards.map(\.occasionsMean)
      if options.parameterUncertainty {
        for i in 0..<s where posterior.row(i).reduce(0, +) > 0 {
          let row = parameterRNG.dirichlet(posterior.row(i))
          for j in 0..<s { pg[i, j] = row[j] }
        }
        for i in 0..<s where model.rewards[i].customerPeriods > 1 {
          let n = model.rewards[i].customerPeriods
          revenueMean[i] += parameterRNG.normal() * (model.rewards[i].revenueVariance / n).squareRoot()
          occasionsMean[i] = max(0, occasionsMean[i] + parameterRNG.normal() * (model.rewards[i].occasionsVariance / n).squareRoot())
        }
      }
      let flowProbabilities = book.flows.rowProbabilities(pg)
      var samples = book.emptySamples(replicates: members.count)
      if options.processNoise {
        // Non-zero entries per row, largest first, so multinomial draws stop early.
        let support: [[(Int, Double)]] = (0..<s).map { i in
          (0..<s).compactMap { j in pg[i, j] > 0 ? (j, pg[i, j]) : nil }.sorted { $0.1 > $1.1 }
        }
        for (k, replicate) in members.enumerated() {
          var rng = RandomSource(seed: options.seed, stream: UInt64(replicate))
          var x = model.currentBase.map { $0.rounded() }
          var cumulative = 0.0, discounted = 0.0
          var flowTotals = [Double](repeating: 0, count: book.flows.members.count)
          for t in 0..<h {
            var next = [Double](repeating: 0, count: s)
            for f in 0..<flowTotals.count { flowTotals[f] = 0 }
            let sources = book.flows.sources.map { mask in zip(x, mask).reduce(0) { $1.1 ? $0 + $1.0 : $0 } }
            for i in 0..<s where x[i] > 0 {
              var remaining = Int(x[i])
              var mass = 1.0
              let row = support[i]
              for (position, (j, pij)) in row.enumerated() {
                guard remaining > 0 else { break }
                // Conditional binomials; the last destination takes whoever is left, so
                // rounding in `mass` can never lose a customer.
                let moved = position == row.count - 1 || mass <= pij ? remaining : rng.binomial(remaining, min(1, pij / mass))
                mass -= pij
                remaining -= moved
                guard moved > 0 else { continue }
                next[j] += Double(moved)
                for f in 0..<flowTotals.count where book.flows.members[f][i * s + j] { flowTotals[f] += Double(moved) }
              }
            }
            for j in 0..<s where inflow[t][j] > 0 { next[j] += Double(rng.poisson(mean: inflow[t][j])) }
            var purchases = 0.0, revenue = 0.0, revenueVariance = 0.0, purchaseVariance = 0.0
            for j in 0..<s where next[j] > 0 {
              purchases += next[j] * occasionsMean[j]
              revenue += next[j] * revenueMean[j]
              revenueVariance += next[j] * model.rewards[j].revenueVariance
              purchaseVariance += next[j] * model.rewards[j].occasionsVariance
            }
            purchases = max(0, purchases + rng.normal() * purchaseVariance.squareRoot())
            revenue += rng.normal() * revenueVariance.squareRoot()
            cumulative += revenue
            discounted += revenue / pow(1 + d, Double(t + 1))
            book.record(&samples, replicate: k, t: t, state: next, flows: flowTotals, sources: sources, purchases: purchases, revenue: revenue, cumulative: cumulative, discounted: discounted)
            x = next
          }
        }
      } else {
        // All replicates of the group share P_g: one dgemm per period moves them all.
        var x = Matrix(rowCount: members.count, columnCount: s)
        for k in 0..<members.count { for j in 0..<s { x[k, j] = model.currentBase[j] } }
        var cumulative = [Double](repeating: 0, count: members.count)
        var discounted = cumulative
        for t in 0..<h {
          var next = pg.propagate(x)
          for k in 0..<members.count {
            let row = x.row(k)
            let flowTotals = flowProbabilities.map { f in zip(row, f).reduce(0) { $0 + $1.0 * $1.1 } }
            let sources = book.flows.sources.map { mask in zip(row, mask).reduce(0) { $1.1 ? $0 + $1.0 : $0 } }
            for j in 0..<s { next[k, j] += inflow[t][j] }
            let state = next.row(k)
            let purchases = zip(state, occasionsMean).reduce(0) { $0 + $1.0 * $1.1 }
            let revenue = zip(state, revenueMean).reduce(0) { $0 + $1.0 * $1.1 }
            cumulative[k] += revenue
            discounted[k] += revenue / pow(1 + d, Double(t + 1))
            book.record(&samples, replicate: k, t: t, state: state, flows: flowTotals, sources: sources, purchases: purchases, revenue: revenue, cumulative: cumulative[k], discounted: discounted[k])
          }
          x = next
        }
      }
      results.store(samples, at: g)
    }
    // Interleave the groups back into replicate order.
    let parts = results.all()
    var all = book.emptySamples(replicates: r)
    for (g, part) in parts.enumerated() {
      for (k, replicate) in Swift.stride(from: g, to: r, by: groups).enumerated() {
        for kpi in 0..<all.count { for t in 0..<h { all[kpi][t][replicate] = part[kpi][t][k] } }
      }
    }
    return all
  }

  static func band(_ values: [Double]) -> Forecast.Band {
    let finite = values.filter(\.isFinite)
    guard !finite.isEmpty else { return .init(mean: .nan, p5: .nan, p50: .nan, p95: .nan) }
    return .init(
      mean: finite.reduce(0, +) / Double(finite.count), p5: StateAssigner.quantile(finite, 0.05),
      p50: StateAssigner.quantile(finite, 0.5), p95: StateAssigner.quantile(finite, 0.95))
  }
}

extension KPI {
  var index: Int { KPI.allCases.firstIndex(of: self)! }
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

  init(space: StateSpace, flows: FlowKinds, clv: [Double], discount: Double, horizon: Int) {
    self.flows = flows
    self.clv = clv
    self.discount = discount
    self.horizon = horizon
    isChurned = space.states.map { $0.stage == .churned }
    isPurchasing = space.states.map(\.stage.isPurchasing)
    isNew = space.states.map { $0.stage == .new }
    isLead = space.states.map { $0.stage == .lead }
  }

  func emptySeries() -> [KPI: [Double]] {
    Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0, [Double](repeating: 0, count: horizon)) })
  }

  func emptySamples(replicates: Int) -> [[[Double]]] {
    Array(repeating: Array(repeating: [Double](repeating: 0, count: replicates), count: horizon), count: KPI.allCases.count)
  }

  func values(state: [Double], flows f: [Double], sources: [Double], purchases: Double, revenue: Double, cumulative: Double, discounted: Double) -> [Double] {
    var v = [Double](repeating: 0, count: KPI.allCases.count)
    var customers = 0.0, active = 0.0, new = 0.0, leads = 0.0, equity = 0.0
    for j in 0..<state.count {
      let n = state[j]
      if !isChurned[j] { customers += n }
      if isPurchasing[j] { active += n }
      if isNew[j] { new += n }
      if isLead[j] { leads += n }
      equity += n * clv[j]
    }
    func rate(_ kind: FlowKinds.Kind) -> Double { sources[kind.rawValue] > 0 ? f[kind.rawValue] / sources[kind.rawValue] : 0 }
    v[KPI.customers.index] = customers
    v[KPI.active.index] = active
    v[KPI.newCustomers.index] = new
    v[KPI.leads.index] = leads
    v[KPI.churned.index] = f[FlowKinds.Kind.churn.rawValue]
    v[KPI.churnRate.index] = rate(.churn)
    v[KPI.retentionRate.index] = 1 - rate(.churn)
    v[KPI.leadConversion.index] = rate(.leadConversion)
    v[KPI.secondPurchaseConversion.index] = rate(.secondPurchase)
    v[KPI.upgrades.index] = f[FlowKinds.Kind.upgrade.rawValue]
    v[KPI.downgrades.index] = f[FlowKinds.Kind.downgrade.rawValue]
    v[KPI.purchases.index] = purchases
    v[KPI.revenue.index] = revenue
    v[KPI.averageOrderValue.index] = purchases > 0 ? revenue / purchases : 0
    v[KPI.cumulativeRevenue.index] = cumulative
    v[KPI.discountedRevenue.index] = discounted
    v[KPI.equity.index] = equity
    return v
  }

  func record(_ series: inout [KPI: [Double]], t: Int, state: [Double], flows f: [Double], sources: [Double], purchases: Double, revenue: Double, cumulative: Double, discounted: Double) {
    let v = values(state: state, flows: f, sources: sources, purchases: purchases, revenue: revenue, cumulative: cumulative, discounted: discounted)
    for kpi in KPI.allCases { series[kpi]![t] = v[kpi.index] }
  }

  func record(_ samples: inout [[[Double]]], replicate: Int, t: Int, state: [Double], flows f: [Double], sources: [Double], purchases: Double, revenue: Double, cumulative: Double, discounted: Double) {
    let v = values(state: state, flows: f, sources: sources, purchases: purchases, revenue: revenue, cumulative: cumulative, discounted: discounted)
    for k in 0..<v.count { samples[k][t][replicate] = v[k] }
  }
}

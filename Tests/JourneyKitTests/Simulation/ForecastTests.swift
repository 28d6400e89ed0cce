import Foundation
@testable import JourneyKit
import Testing

@Suite("Forecast engine")
struct ForecastTests {
  /// A model fitted once on generated data (lifecycle, monthly).
  static let model: MarkovModel = {
    var g = GeneratorParameters()
    g.customers = 4_000
    g.seed = 11
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: FitOptions())
  }()

  func options(_ adjust: (inout ForecastOptions) -> Void) -> ForecastOptions {
    var o = ForecastOptions()
    adjust(&o)
    return o
  }

  /// The limit on replicates x periods (x runs), at its edge and past it, and products too large
  /// for an Int; the engine refuses such a forecast itself, before allocating anything.
  @Test func replicatePeriodsBeyondTheLimitAreRefused() throws {
    let atLimit = options { $0.replicates = 1_000_000; $0.horizon = 12 }
    #expect(atLimit.replicatePeriodsProblem() == nil)
    #expect(atLimit.replicatePeriodsProblem(runs: 2)?.what == "1,000,000 replicates x 12 periods x 2 scenarios is 24,000,000 replicate-periods")
    let past = options { $0.replicates = 1_000_000; $0.horizon = 13 }
    #expect(past.replicatePeriodsProblem()?.what == "1,000,000 replicates x 13 periods is 13,000,000 replicate-periods")
    let huge = options { $0.replicates = Int.max / 2; $0.horizon = 600 }
    #expect(huge.replicatePeriodsProblem()?.what.hasSuffix("is more than \(Int.max) replicate-periods") == true)
    #expect(throws: InputLimitError.self) { try ForecastEngine.run(model: Self.model, options: past) }
  }

  @Test func customersAreConservedWithoutAcquisition() throws {
    let o = options {
      $0.acquisition = .none
      $0.replicates = 50
      $0.horizon = 12
    }
    let f = try ForecastEngine.run(model: Self.model, options: o)
    let total = Self.model.currentBase.reduce(0, +)
    for state in f.expectedStates { #expect(abs(state.reduce(0, +) - total) < 1e-6) }
    // The living base never grows when churn is absorbing and nobody arrives.
    let living = f.expected[.customers]!
    #expect(zip(living, living.dropFirst()).allSatisfy { $0 >= $1 - 1e-9 })
    for band in f.bands[.customers]! { #expect(band.p95 <= total) }
  }

  @Test func monteCarloMeanConvergesToTheExpectedPath() throws {
    let o = options {
      $0.replicates = 2_000
      $0.parameterUncertainty = false
      $0.horizon = 6
      $0.seed = 3
    }
    let f = try ForecastEngine.run(model: Self.model, options: o)
    for kpi in [KPI.active, .customers, .revenue, .churned] {
      for t in 0..<o.horizon {
        let band = f.bands[kpi]![t]
        // The P5-P95 range spans about 3.3 standard deviations; the mean's SE is sd / sqrt(R).
        let se = max(1e-9, (band.p95 - band.p5) / 3.29 / Double(o.replicates).squareRoot())
        #expect(abs(band.mean - f.expected[kpi]![t]) < 5 * se + 1e-6, "\(kpi) period \(t): mean \(band.mean), expected \(f.expected[kpi]![t])")
      }
    }
  }

  @Test func sameSeedSameBandsAndOtherSeedOtherBands() throws {
    let o = options {
      $0.replicates = 200
      $0.seed = 9
    }
    let a = try ForecastEngine.run(model: Self.model, options: o)
    let b = try ForecastEngine.run(model: Self.model, options: o)
    #expect(a.bands[.revenue]! == b.bands[.revenue]!)
    var o2 = o
    o2.seed = 10
    #expect(try ForecastEngine.run(model: Self.model, options: o2).bands[.revenue]! != a.bands[.revenue]!)
  }

  @Test func parameterUncertaintyDrawsRowsFromTheirPosterior() throws {
    // 10,000 customers in lapsed, whose row was seen 3 times to lapsed and 3 times to churned
    // (prior 0): without process noise the share still living after one month is the row's
    // draw, Beta(3, 3), whose 5%, 50% and 95% quantiles are 0.18926, 0.5, 0.81074 (scipy
    // beta.ppf). After two months it is the same draw squared (one draw per replicate, not per
    // month): 0.03582 and 0.65731. Quantile SEs at 2,000 draws are below 0.007.
    let n = 10_000.0
    let f = try HandWorkedForecastTests.lapsedOnly(n, horizon: 2, replicates: 2_000) {
      $0.processNoise = false
      $0.parameterUncertainty = true
      $0.parameterDraws = 2_000
    }
    let one = f.bands[.customers]![0], two = f.bands[.customers]![1]
    #expect(abs(one.p5 / n - 0.18926) < 0.03 && abs(one.p50 / n - 0.5) < 0.03 && abs(one.p95 / n - 0.81074) < 0.03, "\(one)")
    #expect(abs(two.p5 / n - 0.03582) < 0.02 && abs(two.p95 / n - 0.65731) < 0.03, "\(two)")
    // Without either source of noise every replicate is the expected path: half, then a quarter.
    let fixed = try HandWorkedForecastTests.lapsedOnly(n, horizon: 2, replicates: 200) { $0.processNoise = false }
    #expect(fixed.bands[.customers]!.map(\.p5) == [n / 2, n / 4] && fixed.bands[.customers]!.map(\.p95) == [n / 2, n / 4])
  }

  @Test func longHorizonAgreesWithTheAbsorptionAnalysis() throws {
    // With nobody arriving, the expected living customer-periods from now on equal the current
    // base times the expected periods to churn from the fundamental matrix.
    let o = options {
      $0.acquisition = .none
      $0.includeReactivations = false
      $0.replicates = 0
      $0.horizon = 600
    }
    let f = try ForecastEngine.run(model: Self.model, options: o)
    let m = Self.model
    let churned = Set(m.stateSpace.indices(in: .churned))
    let livingNow = m.currentBase.enumerated().filter { !churned.contains($0.offset) }.map(\.element).reduce(0, +)
    let periods = livingNow + f.expected[.customers]!.reduce(0, +)
    let analytic = zip(m.currentBase, m.analysis.expectedPeriodsToChurn!).reduce(0) { $0 + $1.0 * $1.1! }
    #expect(abs(periods - analytic) / analytic < 1e-6, "simulated \(periods), analytic \(analytic)")
    #expect(f.expected[.customers]!.last! < 1e-3 * livingNow)
  }

  @Test func heldOutRevenueFallsInsideTheForecastRange() throws {
    // Fit on 30 months of a 36-month history, forecast the last 6 and compare with what happened.
    // The generator is made stationary in what a Markov chain can carry (no purchase seasonality,
    // no acquisition trend or cycle), so the held-out revenue must fall inside the forecast's own
    // P5-P95 range and the expected value must be close to it: the range is the tolerance, not a
    // figure read off a past run.
    var g = GeneratorParameters()
    g.customers = 8_000
    g.seed = 21
    g.purchaseSeasonality = 0
    g.acquisitionSeasonality = 0
    g.acquisitionTrendPerYear = 0
    let history = try SyntheticHistoryGenerator.generate(g)
    let table = TransactionTable(history: history)
    var fit = FitOptions()
    fit.asOf = g.start.adding(months: 30).adding(days: -1)
    let model = try ModelFitter.fit(table, options: fit)
    let f = try ForecastEngine.run(model: model, options: options {
      $0.horizon = 6
      $0.replicates = 400
    })
    let cutoff = g.start.adding(months: 30).dayNumber
    var actual = 0.0
    for r in 0..<table.rowCount where table.day[r] >= cutoff && table.event[r] != .lead { actual += table.amount[r] }
    let band = f.bands[.cumulativeRevenue]!.last!
    let predicted = f.expected[.cumulativeRevenue]!.last!
    #expect(band.p5 < actual && actual < band.p95, "actual \(actual), range \(band.p5)...\(band.p95)")
    #expect(abs(predicted - actual) < (band.p95 - band.p5) / 2, "predicted \(predicted), actual \(actual)")
  }

  @Test func scoreOutlookAgreesWithTheChain() throws {
    let m = Self.model
    let outlook = StateOutlook(model: m, horizon: 1)
    let churned = m.stateSpace.indices(in: .churned)
    let p = m.matrix
    for i in 0..<p.rowCount where !churned.contains(i) {
      #expect(abs(outlook.churnWithinHorizon[i] - churned.reduce(0) { $0 + p[i, $1] }) < 1e-12)
    }
    let long = StateOutlook(model: m, horizon: 2_000)
    #expect(long.churnWithinHorizon.allSatisfy { $0 > 0.999 })
    // Expected purchases over a long horizon equal the absorbing-chain "purchases before churn"
    // minus this period's own purchases (the outlook starts next period).
    let before = m.analysis.expectedPurchasesBeforeChurn!
    for i in 0..<p.rowCount where !churned.contains(i) {
      #expect(abs(long.expectedPurchases[i] - (before[i]! - m.rewards[i].occasionsMean)) < 1e-6)
    }
  }

  @Test func binomialAndMultinomialPieces() {
    var rng = RandomSource(seed: 5)
    let n = 200_000
    var total = 0
    for _ in 0..<n { total += rng.binomial(20, 0.3) }
    #expect(abs(Double(total) / Double(n) - 6) < 0.03)
    var big = 0.0
    for _ in 0..<20_000 { big += Double(rng.binomial(100_000, 0.25)) }
    #expect(abs(big / 20_000 - 25_000) < 5)
    #expect(rng.binomial(10, 0) == 0 && rng.binomial(10, 1) == 10 && rng.binomial(0, 0.5) == 0)
    let d = rng.dirichlet([3, 0, 5])
    #expect(d[1] == 0 && abs(d.reduce(0, +) - 1) < 1e-12)
  }
}

@Suite("Multinomial rows")
struct MultinomialRowTests {
  @Test(arguments: [3, 40, 5_000])
  func drawsConserveCustomersAndMatchProbabilities(n: Int) {
    // n = 3 and 40 use the alias table (n <= 12 x destinations), 5,000 the conditional binomials.
    let p = [0.5, 0, 0.3, 0.15, 0.05]
    let row = MultinomialRowProbe(p)
    var rng = RandomSource(seed: UInt64(n))
    var totals = [Double](repeating: 0, count: p.count)
    let draws = 20_000
    for _ in 0..<draws {
      let moved = row.draw(n, &rng)
      #expect(moved.reduce(0, +) == n)
      #expect(moved[1] == 0)
      for j in 0..<p.count { totals[j] += Double(moved[j]) }
    }
    for j in 0..<p.count {
      let mean = totals[j] / Double(draws) / Double(n)
      let se = (p[j] * (1 - p[j]) / Double(n * draws)).squareRoot()
      #expect(abs(mean - p[j]) < 5 * se + 1e-12, "destination \(j): \(mean) vs \(p[j])")
    }
  }
}

@Suite("Forecast adjustments")
struct ForecastAdjustmentTests {
  @Test func identityAdjustmentReproducesTheForecastExactly() throws {
    var o = ForecastOptions()
    o.replicates = 100
    o.horizon = 6
    let plain = try ForecastEngine.run(model: ForecastTests.model, options: o)
    var identity = ForecastAdjustment()
    identity.matrix = { _, base in base }
    let same = try ForecastEngine.run(model: ForecastTests.model, options: o, adjustment: identity)
    #expect(plain.expected == same.expected)
    #expect(plain.bands == same.bands)
  }

  @Test func removingChurnFromStepThreeOnLeavesNoChurn() throws {
    let model = ForecastTests.model
    let churned = model.stateSpace.indices(in: .churned)
    var o = ForecastOptions()
    o.replicates = 50
    o.horizon = 6
    var noChurn = ForecastAdjustment()
    noChurn.matrix = { step, base in
      guard step >= 2 else { return base }
      var m = base
      for i in 0..<m.rowCount where !churned.contains(i) {
        for c in churned { m[i, c] = 0 }
        var total = 0.0
        for j in 0..<m.columnCount { total += m[i, j] }
        for j in 0..<m.columnCount { m[i, j] /= total }
      }
      return m
    }
    let f = try ForecastEngine.run(model: model, options: o, adjustment: noChurn)
    #expect(f.expected[.churned]![0] > 0)
    for t in 2..<6 {
      #expect(f.expected[.churned]![t] == 0)
      #expect(f.bands[.churned]![t].p95 == 0)
    }
  }

  @Test func seasonalModelsForecastWithTheirSeasons() throws {
    // Each forecast step moves customers with the matrix of the calendar month it leaves: the
    // step into 2026-01 uses December's matrix. Worked here from the model's seasonal matrices,
    // month by month from the forecast's period labels.
    var g = GeneratorParameters()
    g.customers = 4_000
    g.seed = 11
    var fit = FitOptions()
    fit.estimator.seasonal = true
    let model = try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: fit)
    let seasons = try #require(model.seasonalMatrices).map { Matrix(rows: $0) }
    #expect(seasons.count == 12)
    var o = ForecastOptions()
    o.replicates = 0
    o.horizon = 12
    o.acquisition = AcquisitionAssumption.none
    o.includeReactivations = false
    let f = try ForecastEngine.run(model: model, options: o)
    var x = model.currentBase
    for t in 0..<12 {
      let month = Int(f.periods[t].split(separator: "-")[1])!
      let leaving = (month + 10) % 12  // the month before, 0 = January
      x = seasons[leaving].leftMultiplied(byRowVector: x)
      expectClose(f.expectedStates[t], x, tolerance: 1e-9 * model.currentBase.reduce(0, +))
    }
    // The pooled matrix would give another path (the seasons differ).
    var pooled = model
    pooled.seasonalMatrices = nil
    let flat = try ForecastEngine.run(model: pooled, options: o)
    #expect(zip(flat.expected[.active]!, f.expected[.active]!).contains { abs($0 - $1) > 1 })
  }
}

@Suite("Sparse propagation")
struct SparsePropagationTests {
  @Test func sparseRowsAgreeWithDgemm() {
    var rng = RandomSource(seed: 8)
    var p = Matrix(rowCount: 60, columnCount: 60)
    for i in 0..<60 {
      // Three destinations per row.
      let js = [i, (i * 7 + 3) % 60, (i * 13 + 5) % 60]
      var total = 0.0
      for j in js {
        let v = rng.uniform() + 0.1
        p[i, j] += v
        total += v
      }
      for j in 0..<60 { p[i, j] /= total }
    }
    var x = Matrix(rowCount: 9, columnCount: 60)
    for k in 0..<x.elements.count { x.elements[k] = Double(rng.next() % 50) }
    let sparse = SparseTransitionsProbe(p)
    expectClose(sparse.propagate(x), p.propagate(x), tolerance: 1e-12)
    #expect(sparse.density < 0.06)
  }
}

import Foundation
import JourneyKit
import Testing

/// Process noise of large bases drawn as one normal per step (`GaussianProcessNoise`), checked
/// against the binomial it stands in for and against moving every customer.
@Suite("Gaussian process noise")
struct GaussianProcessNoiseTests {
  /// n lapsed customers, each month lapsed -> lapsed 1/2, lapsed -> churned 1/2 (see
  /// `HandWorkedForecastTests`); no entrants, no parameter uncertainty: only process noise.
  static func lapsed(_ n: Double, horizon: Int, gaussian: Bool) throws -> Forecast {
    try HandWorkedForecastTests.lapsedOnly(n, horizon: horizon, replicates: 2_000) {
      $0.gaussianNoiseMinimumBase = gaussian ? 0 : .infinity
    }
  }

  @Test func aMillionCustomersSpreadAsTheBinomial() throws {
    // Still living after t months: Binomial(n, 2^-t), variance n 2^-t (1 - 2^-t): n / 4 after
    // one month, 3n / 16 after two. The second month's spread is the first month's, halved by
    // the move, plus the move's own: what the step-by-step normal has to carry forward.
    let n = 1_000_000.0
    let f = try Self.lapsed(n, horizon: 2, gaussian: true)
    for (t, variance) in [(0, n / 4), (1, 3 * n / 16)] {
      let band = f.bands[.customers]![t]
      let binomial = 2 * 1.6449 * variance.squareRoot()
      // The sample P5-P95 range of 2,000 replicates has an SE of about 2% of the range.
      #expect(abs((band.p95 - band.p5) - binomial) / binomial < 0.08, "month \(t + 1): range \(band.p95 - band.p5), binomial \(binomial)")
      #expect(abs(band.p50 - n * pow(0.5, Double(t + 1))) < 0.1 * binomial)
    }
  }

  @Test func flowsMoveWithTheStatesTheyFill() throws {
    // Every customer who is not still living churned in the first month: in every replicate the
    // churn flow and the living count add up to the base. Drawing the flows' noise apart from
    // the states' would leave them apart by about sqrt(n / 2).
    let n = 1_000_000.0
    let f = try Self.lapsed(n, horizon: 1, gaussian: true)
    let living = f.samples[.customers]![0], churned = f.samples[.churned]![0]
    let worst = zip(living, churned).map { abs($0 + $1 - n) }.max()!
    #expect(worst < 1e-6 * n, "living + churned differs from the base by up to \(worst)")
    // ... and the churn rate is the churned share of the base, replicate by replicate.
    let rates = f.samples[.churnRate]![0]
    for (rate, count) in zip(rates, churned) { #expect(abs(rate - count / n) < 1e-12) }
  }

  @Test func agreesWithMovingEveryCustomer() throws {
    // A model with entrants, reactivations and several states (the hand-worked comeback model
    // with 60,000 customers spread over it): the normal's P5-P95 ranges match moving every
    // customer's (both 2,000 replicates, so each range has an SE of about 2-3%).
    var m = try HandWorkedForecastTests.comebackModel()
    m.currentBase = [500, 4_000, 30_000, 8_000, 6_000, 7_500, 4_000]
    func run(gaussian: Bool) throws -> Forecast {
      var o = ForecastOptions()
      o.horizon = 6
      o.replicates = 2_000
      o.seed = 11
      o.parameterUncertainty = false
      o.acquisition = .perPeriod(1_500)
      o.gaussianNoiseMinimumBase = gaussian ? 0 : .infinity
      return try ForecastEngine.run(model: m, options: o)
    }
    let normal = try run(gaussian: true), exact = try run(gaussian: false)
    for kpi in [KPI.customers, .active, .churned, .churnRate, .revenue] {
      for t in [0, 2, 5] {
        let a = normal.bands[kpi]![t], b = exact.bands[kpi]![t]
        let (wa, wb) = (a.p95 - a.p5, b.p95 - b.p5)
        #expect(wb > 0 && abs(wa / wb - 1) < 0.12, "\(kpi) month \(t + 1): normal range \(wa), exact \(wb)")
        #expect(abs(a.p50 - b.p50) < 0.15 * wb, "\(kpi) month \(t + 1): medians \(a.p50) and \(b.p50)")
      }
    }
  }

  @Test func smallBasesStillMoveEveryCustomer() throws {
    // Below the threshold the normal is never used: counts stay whole numbers.
    let f = try HandWorkedForecastTests.lapsedOnly(20_001, horizon: 2, replicates: 50)
    for value in f.samples[.customers]!.flatMap({ $0 }) { #expect(value == value.rounded()) }
    #expect(ForecastOptions().gaussianNoiseMinimumBase > 20_001)
  }

  @Test func entrantsKeepThePoissonSpread() throws {
    // A million churned customers (absorbing without reactivations: their moves add no noise)
    // and entrants into one state: in the first month the living are only entrants, Poisson with
    // variance = mean, whether drawn one by one (a state's mean below
    // `normalEntrantMinimumMean`) or as part of the normal (from it on).
    var m = try HandWorkedForecastTests.comebackModel()
    m.currentBase = [Double](repeating: 0, count: 7)
    m.currentBase[HandWorkedForecastTests.index(m, "churned")] = 1_000_000
    for perPeriod in [2_000.0, 6.0] {
      var entrants = [Double](repeating: 0, count: 7)
      entrants[HandWorkedForecastTests.index(m, "active")] = perPeriod
      var o = ForecastOptions(givenAcquisitions: [entrants], replicates: 2_000, seed: 7)
      o.includeReactivations = false
      o.parameterUncertainty = false
      o.gaussianNoiseMinimumBase = 0
      let f = try ForecastEngine.run(model: m, options: o)
      let mean = f.expected[.customers]![0]
      #expect(abs(mean - perPeriod) < 1e-9 * perPeriod, "entrants land in living states")
      let band = f.bands[.customers]![0]
      let poisson = 2 * 1.6449 * mean.squareRoot()
      #expect(abs((band.p95 - band.p5) - poisson) / poisson < 0.1, "\(perPeriod) a month: range \(band.p95 - band.p5), Poisson \(poisson)")
      #expect(abs(band.p50 - mean) < 0.1 * poisson)
    }
  }
}

import Foundation
import JourneyKit
import Testing

/// Forecasts, scenario profits and chain quantities on histories small enough to work out by hand.
///
/// Three customers, monthly, `--churn-after 3` (at risk after 1 quiet month, lapsed after 2-3,
/// churned after more than 3), MLE (prior 0), window 2024-01 .. 2024-07:
///
/// | customer | Jan | Feb     | Mar    | Apr    | May     | Jun          | Jul          |
/// |----------|-----|---------|--------|--------|---------|--------------|--------------|
/// | F        | new | at_risk | lapsed | lapsed | churned | active (back)| active       |
/// | G        | new | at_risk | lapsed | lapsed | churned | churned      | active (back)|
/// | H        | new | at_risk | lapsed | lapsed | churned | churned      | churned      |
///
/// Transitions: new -> at_risk 3, at_risk -> lapsed 3, lapsed -> lapsed 3, lapsed -> churned 3,
/// churned -> churned 3 (G May-Jun, H May-Jun, H Jun-Jul), active -> active 1 (F Jun-Jul); the two
/// comebacks are not transitions (churned is absorbing) but reactivations into active.
/// Churned customer-periods that could move (Jan .. Jun): May 3 + Jun 2 = 5, so the way back is
/// 2 / 5 a month. Every purchase is 10, so an active customer-period is worth 10.
@Suite("Hand-worked forecasts")
struct HandWorkedForecastTests {
  static let comebacks = TransactionTable(records: [
    .init("F", day("2024-01-05"), 10), .init("F", day("2024-06-05"), 10), .init("F", day("2024-07-05"), 10),
    .init("G", day("2024-01-05"), 10), .init("G", day("2024-07-31"), 10),
    .init("H", day("2024-01-09"), 10),
  ])

  static func comebackModel() throws -> MarkovModel {
    var o = FitOptions()
    o.churnAfterPeriods = 3
    o.estimator.prior = 0
    return try ModelFitter.fit(comebacks, options: o)
  }

  static func index(_ m: MarkovModel, _ name: String) -> Int { m.stateSpace.index(of: name)! }

  @Test func handWorkedCountsBehindTheForecasts() throws {
    let m = try Self.comebackModel()
    let (active, lapsed, churned) = (Self.index(m, "active"), Self.index(m, "lapsed"), Self.index(m, "churned"))
    #expect(m.window.periodCount == 7)
    #expect(m.currentBase == [0, 0, 2, 0, 0, 0, 1])
    #expect(m.counts.reactivations.map { $0[active] } == [0, 0, 0, 0, 0, 1, 1])
    #expect(m.matrix[lapsed, lapsed] == 0.5 && m.matrix[lapsed, churned] == 0.5)
    #expect(m.matrix[active, active] == 1 && m.matrix[churned, churned] == 1)
    #expect(m.rewards[active].revenueMean == 10)
  }

  @Test func reactivationRateIsComebacksOverChurnedCustomerPeriods() throws {
    let m = try Self.comebackModel()
    let (active, churned) = (Self.index(m, "active"), Self.index(m, "churned"))
    let p = m.forecastMatrix(includingReactivations: true)
    var expected = [Double](repeating: 0, count: 7)
    expected[active] = 2.0 / 5
    expected[churned] = 3.0 / 5
    expectClose(p.row(churned), expected, tolerance: 1e-15)
    // Every other row is the fitted one; without reactivations churned stays absorbing.
    for i in 0..<7 where i != churned { #expect(p.row(i) == m.matrix.row(i)) }
    #expect(m.forecastMatrix(includingReactivations: false).row(churned) == m.matrix.row(churned))
  }

  @Test func forecastWithReactivationsBringsChurnedCustomersBack() throws {
    // Two active customers stay active; the churned one comes back with chance 2/5 a month, so
    // after t months 0.6^t of a customer is still churned and 3 - 0.6^t are active, each worth 10.
    // Nobody new arrives: the only acquisitions were in January, the window's first month, which
    // the historical mean leaves out.
    let m = try Self.comebackModel()
    var o = ForecastOptions()
    o.horizon = 4
    o.replicates = 0
    let f = try ForecastEngine.run(model: m, options: o)
    #expect(f.inflowPerPeriod == [0, 0, 0, 0])
    let living = (1...4).map { 3 - pow(0.6, Double($0)) }
    expectClose(f.expected[.customers]!, living, tolerance: 1e-12)
    expectClose(f.expected[.active]!, living, tolerance: 1e-12)
    expectClose(f.expected[.revenue]!, living.map { 10 * $0 }, tolerance: 1e-10)
    // Customers leaving churned are not churn: nobody moves into churned.
    expectClose(f.expected[.churned]!, [0, 0, 0, 0], tolerance: 1e-15)
    // Without reactivations the base stays as it is: 2 active, 1 churned.
    o.includeReactivations = false
    let closed = try ForecastEngine.run(model: m, options: o)
    expectClose(closed.expected[.customers]!, [2, 2, 2, 2], tolerance: 1e-12)
    expectClose(closed.expected[.revenue]!, [20, 20, 20, 20], tolerance: 1e-10)
  }

  @Test func acquisitionMeanLeavesOutTheWindowsFirstPeriod() throws {
    // The four-customer history of the fit pipeline tests: first appearances Jan (B lead, A new),
    // Feb (C lead), Jul (D new) in an 8-month window. January holds everyone whose history starts
    // there, so the mean runs over Feb .. Aug: 2 entrants / 7 months, half leads, half new.
    let m = try HandComputedFitTests().fit()
    let (lead, new) = (Self.index(m, "lead"), Self.index(m, "new"))
    let inflow = AcquisitionAssumption.historical.inflow(model: m, horizon: 2)
    var perPeriod = [Double](repeating: 0, count: 7)
    perPeriod[lead] = 1.0 / 7
    perPeriod[new] = 1.0 / 7
    for period in inflow { expectClose(period, perPeriod, tolerance: 1e-15) }
    // Trend: least squares through the totals (1, 1), (2, 0), ..., (6, 1), (7, 0) (Feb = 1): mean
    // x 4, mean y 2/7, slope (-3 + 2) / 28 = -1/28; periods 8 and 9 give 2/7 - 4/28 = 1/7 and
    // 2/7 - 5/28 = 3/28 entrants, half of them leads: 1/14 and 3/56 per state.
    let trend = AcquisitionAssumption.trend.inflow(model: m, horizon: 2)
    expectClose(trend[0], perPeriod.map { $0 == 0 ? 0 : 1.0 / 14 }, tolerance: 1e-15)
    expectClose(trend[1], perPeriod.map { $0 == 0 ? 0 : 3.0 / 56 }, tolerance: 1e-15)
    // The forecast uses it: 2/7 entrants a month.
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    expectClose(try ForecastEngine.run(model: m, options: o).inflowPerPeriod, [2.0 / 7, 2.0 / 7, 2.0 / 7], tolerance: 1e-15)
  }

  // MARK: Scenario profit and ROI

  static func plan(_ yaml: String, _ model: MarkovModel) throws -> ScenarioPlan {
    try ScenarioPlan(try Scenario.load(yaml: yaml, source: "s.yaml"), model: model)
  }

  @Test func roiOfAnOrdinaryScenarioByHand() throws {
    // Without reactivations the base is 2 active customers (10 a month each) and 1 churned.
    // Spend +20% on active, contacting every active customer at 0.50, margin 40%, 3 months:
    // baseline profit 0.4 x 20 x 3 = 24; scenario 0.4 x 24 x 3 - 3 x (2 x 0.50) = 28.8 - 3 = 25.8.
    // Incremental profit 1.8 (already net of the cost 3), ROI = 1.8 / 3 = 60%, ahead from month 1.
    let m = try Self.comebackModel()
    let plans = [
      try Self.plan("name: baseline\nmargin: 40%\ninterventions: []\n", m),
      try Self.plan("name: upsell\nmargin: 40%\ninterventions:\n  - targets: [active]\n    effects: {spend: +20%}\n    costs: {per_contact: 0.5}\n", m),
    ]
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    o.includeReactivations = false
    let c = try ScenarioComparison.run(model: m, plans: plans, options: o)
    let upsell = c.rows[1]
    #expect(abs(c.rows[0].profit.expected - 24) < 1e-9)
    #expect(abs(upsell.profit.expected - 25.8) < 1e-9)
    #expect(abs(upsell.cost - 3) < 1e-12)
    #expect(abs(upsell.incrementalProfit.expected - 1.8) < 1e-9)
    #expect(abs(try #require(upsell.roi) - 0.6) < 1e-9)
    #expect(upsell.paybackPeriod == 1)
    // Each month: 0.4 x 24 - 1 = 8.6.
    expectClose(upsell.cumulativeProfitPath, [8.6, 17.2, 25.8], tolerance: 1e-9)
  }

  @Test func noChangeScenarioHasExactlyZeroIncrementalProfit() throws {
    // A scenario whose only effect is +0% spend and which costs nothing is the baseline: every
    // replicate pairs with the baseline's (same seed), so the difference is exactly zero, not
    // just small, and there is no ROI (no cost) and no payback.
    let m = ForecastTests.model
    let plans = [
      try Self.plan("name: baseline\nmargin: 30%\ninterventions: []\n", m),
      try Self.plan("name: nothing\nmargin: 30%\ninterventions:\n  - targets: [active, at_risk]\n    effects: {spend: +0%}\n", m),
    ]
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 200
    o.seed = 12
    let row = try ScenarioComparison.run(model: m, plans: plans, options: o).rows[1]
    #expect(row.incrementalProfit.expected == 0)
    #expect(row.incrementalProfit.p5 == 0 && row.incrementalProfit.p95 == 0)
    #expect(row.incrementalRevenue.expected == 0 && row.incrementalDiscountedProfit.expected == 0)
    #expect(row.cost == 0 && row.roi == nil && row.paybackPeriod == nil)
    #expect(row.probabilityBeatsBaseline == 0)
  }

  // MARK: Chain quantities

  /// The lifecycle chain of the two tests below. lead: stays 1/2, new 1/4, churns 1/4; new: active
  /// 1/2, at_risk 1/2; active: loyal 1/2, at_risk 1/2; loyal: stays 0.8, at_risk 0.2; at_risk:
  /// active 1/4, lapsed 3/4; lapsed: stays 1/2, churns 1/2.
  static let handChain: [[Double]] = [
      [0.5, 0.25, 0, 0, 0, 0, 0.25],
      [0, 0, 0.5, 0, 0.5, 0, 0],
      [0, 0, 0, 0.5, 0.5, 0, 0],
      [0, 0, 0, 0.8, 0.2, 0, 0],
      [0, 0, 0.25, 0, 0, 0.75, 0],
      [0, 0, 0, 0, 0, 0.5, 0.5],
      [0, 0, 0, 0, 0, 0, 1],
  ]

  @Test func chanceOfReachingLoyalByHand() throws {
    // The hand chain, with loyal and churned absorbing, a = P(loyal first | active):
    // lapsed never reaches loyal (0); at_risk r = a/4; a = 1/2 + r/2 = 1/2 + a/8, so a = 4/7,
    // r = 1/7; new = a/2 + r/2 = 5/14; lead = lead/2 + new/4, so lead = 5/28.
    let space = ForecastTests.model.stateSpace
    #expect(space.states.map(\.name) == ["lead", "new", "active", "loyal", "at_risk", "lapsed", "churned"])
    let p = Matrix(rows: Self.handChain)
    let a = try ChainAnalysis.analyse(
      p: p, space: space, revenuePerPeriod: [Double](repeating: 0, count: 7), occasionsPerPeriod: [Double](repeating: 0, count: 7),
      currentBase: [Double](repeating: 0, count: 7), discountPerPeriod: 0.01)
    // Every state reaches loyal or churned, so every entry is a number.
    let reach: [Double] = try #require(a.probabilityOfReachingLoyal).compactMap { $0 }
    #expect(reach.count == 7)
    expectClose(reach, [5.0 / 28, 5.0 / 14, 4.0 / 7, 1, 1.0 / 7, 0, 0], tolerance: 1e-12)
  }

  @Test func aStateThatNeverChurnsLeavesTheOthersTheirTimeToChurn() throws {
    // The hand chain, once as it is and once with lead keeping everyone (a history without leads:
    // nobody was ever in lead). Periods to churn by hand, churned absorbing: lapsed t = 1 + t/2 = 2;
    // at_risk r = 1 + a/4 + 3/4 x 2; loyal y = 1 + 0.8 y + 0.2 r, so y = 5 + r; active
    // a = 1 + y/2 + r/2 = 3.5 + r; so r = 2.5 + (3.5 + r)/4 = 4.5, a = 8, y = 9.5; new
    // n = 1 + a/2 + r/2 = 7.25; lead (as it is) l = 1 + l/2 + n/4 = 5.625.
    let space = ForecastTests.model.stateSpace
    var rows = Self.handChain
    func analyse() throws -> ChainAnalysis {
      try ChainAnalysis.analyse(
        p: Matrix(rows: rows), space: space, revenuePerPeriod: [Double](repeating: 0, count: 7),
        occasionsPerPeriod: [Double](repeating: 1, count: 7), currentBase: [Double](repeating: 0, count: 7), discountPerPeriod: 0.01)
    }
    let withLeads = try #require(try analyse().expectedPeriodsToChurn).map { $0 ?? .nan }
    expectClose(withLeads, [5.625, 7.25, 8, 9.5, 4.5, 2, 0], tolerance: 1e-12)

    rows[0] = [1, 0, 0, 0, 0, 0, 0]
    let a = try analyse()
    let toChurn = try #require(a.expectedPeriodsToChurn)
    #expect(toChurn[0] == nil)
    expectClose(toChurn.dropFirst().map { $0 ?? .nan }, [7.25, 8, 9.5, 4.5, 2, 0], tolerance: 1e-12)
    // One purchase occasion a period in every state: as many purchases as periods before churning.
    expectClose(try #require(a.expectedPurchasesBeforeChurn).dropFirst().map { $0 ?? .nan }, [7.25, 8, 9.5, 4.5, 2, 0], tolerance: 1e-12)
    let reach = try #require(a.probabilityOfReachingLoyal)
    #expect(reach[0] == nil)
    expectClose(reach.dropFirst().map { $0 ?? .nan }, [5.0 / 14, 4.0 / 7, 1, 1.0 / 7, 0, 0], tolerance: 1e-12)
    #expect(a.notes.contains("expected time to churn is infinite for lead: no path to churned"))
  }

  // MARK: Monte Carlo bands

  /// The comeback chain with `n` customers in lapsed, who each month stay (1/2) or churn (1/2),
  /// nobody arriving and nobody coming back: after t months the living count is Binomial(n, 2^-t).
  static func lapsedOnly(_ n: Double, horizon: Int, replicates: Int, _ adjust: (inout ForecastOptions) -> Void = { _ in }) throws -> Forecast {
    var m = try comebackModel()
    m.currentBase = [Double](repeating: 0, count: 7)
    m.currentBase[index(m, "lapsed")] = n
    var o = ForecastOptions()
    o.horizon = horizon
    o.replicates = replicates
    o.seed = 7
    o.acquisition = AcquisitionAssumption.none
    o.includeReactivations = false
    o.parameterUncertainty = false
    adjust(&o)
    return try ForecastEngine.run(model: m, options: o)
  }

  @Test func monteCarloMedianIsTheMedianNotTheMean() throws {
    // Binomial(20, 1/8) after 3 months: mean 2.5; CDF (exact, from the binomial pmf)
    // P(X <= 0) = 0.0692, P(X <= 1) = 0.2669, P(X <= 2) = 0.5353, P(X <= 4) = 0.9050,
    // P(X <= 5) = 0.9688. So the median is 2, P5 is 0 and P95 is 5; with 4,001 replicates each
    // sample quantile is one order statistic and each CDF value is 4.5 or more SEs from its cut.
    let f = try Self.lapsedOnly(20, horizon: 3, replicates: 4_001)
    let band = f.bands[.customers]![2]
    #expect(abs(f.expected[.customers]![2] - 2.5) < 1e-12)
    #expect(band.p50 == 2)
    #expect(band.p5 == 0)
    #expect(band.p95 == 5)
    // The mean of 4,001 draws (sd 1.479) is within 4 SE of 2.5.
    #expect(abs(band.mean - 2.5) < 4 * 1.479 / 4_001.0.squareRoot())
  }

  @Test func monteCarloRangeNarrowsWithMoreCustomers() throws {
    // After one month the living count is Binomial(n, 1/2): its P5-P95 range is
    // 2 x 1.6449 x sqrt(n / 4), so 100 times the customers gives a range 10 times as wide, a
    // tenth as wide relative to n. The sample range's SE is about 2% of it at 2,000 replicates.
    var relative: [Double] = []
    for n in [400.0, 40_000] {
      let band = try Self.lapsedOnly(n, horizon: 1, replicates: 2_000).bands[.customers]![0]
      let width = band.p95 - band.p5
      let exact = 2 * 1.6449 * (n / 4).squareRoot()
      #expect(abs(width - exact) / exact < 0.1, "n \(n): range \(width), binomial \(exact)")
      #expect(abs(band.p50 - n / 2) < 0.1 * exact)
      relative.append(width / n)
    }
    #expect(abs(relative[0] / relative[1] - 10) < 1.5, "relative ranges \(relative)")
  }
}

import Foundation
@testable import JourneyKit
import Testing

/// `journey forecast` from a fitted model reads the bought customers' purchases, revenue and
/// buying from their own histories, as the backtest's default rows and `score` do; before, it gave
/// the chain's, which on CDNOW fitted to 1997-12-31 forecast the next 6 months 22.4% over where the
/// backtest's default said +5.1%.
@Suite("Forecasts from the customers' own histories")
struct OwnHistoryForecastTests {
  /// A base acquired in its first three months, without leads, fitted as `journey fit` fits.
  static func closedCohort(ageing: Double = 0, months: Int = 24, customers: Int = 3_000) throws -> (table: TransactionTable, model: MarkovModel) {
    var g = GeneratorParameters()
    g.customers = customers
    g.months = months
    g.acquisitionMonths = 3
    g.leadShare = 0
    g.ageing = ageing
    g.seed = 17
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.activity = true
    return (table, try ModelFitter.fit(table, options: o))
  }

  /// What `score` and the backtest compute customer by customer (`ActivityForecast`).
  static func perCustomer(_ table: TransactionTable, _ model: MarkovModel, steps: Int) -> ActivityForecast {
    let period = model.window.period
    let histories = PurchaseHistories(table, through: period.end(of: model.window.lastPeriod))
    return ActivityForecast(
      histories, model: model.activity!, period: period, origin: model.window.lastPeriod, steps: steps, churnAfter: model.stateSpace.lifecycleChurnAfter)
  }

  @Test func theBasesSumsGiveWhatItsCustomersAddUpTo() throws {
    let (table, model) = try Self.closedCohort()
    let activity = try #require(model.activity)
    let base = try #require(activity.base)
    #expect(base.groups.count == 1)
    #expect(base.sampled == base.customers)
    let customers = Self.perCustomer(table, model, steps: 6)
    #expect(base.customers == customers.hasHistory.filter { $0 }.count)
    let period = model.window.period, last = model.window.lastPeriod
    let days = (1...6).map { (from: period.start(of: last + $0).dayNumber, to: period.end(of: last + $0).dayNumber + 1) }
    let sums = activity.outlook(of: base, days: days)
    for h in 0..<6 {
      #expect(abs(sums.purchases[h] - customers.purchases[h]) < 1e-9 * customers.purchases[h])
      #expect(abs(sums.revenue[h] - customers.revenue[h]) < 1e-9 * customers.revenue[h])
      #expect(abs(sums.buying[h] - customers.buying[h]) < 1e-9 * customers.buying[h])
    }
    // A sample of a third of them, scaled up, lands near the whole: within the noise of 1,000 customers.
    let histories = PurchaseHistories(table, through: period.end(of: last))
    let sampled = activity.outlook(of: activity.base(histories, sampleLimit: base.customers / 3), days: days)
    let total = customers.purchases.reduce(0, +), sampledTotal = sampled.purchases.reduce(0, +)
    #expect(abs(sampledTotal / total - 1) < 0.08)
    #expect(sampledTotal != total)
  }

  /// Churn from the sums, split by the period of each customer's last purchase, against the
  /// same rule read customer by customer (`ChurnRule` in `ActivityForecast`, the backtest's).
  @Test func theBasesChurnSumsCountWhatItsCustomersDo() throws {
    let (table, model) = try Self.closedCohort()
    let activity = try #require(model.activity)
    let base = try #require(activity.base)
    let q = try #require(model.stateSpace.lifecycleChurnAfter)
    #expect(base.churnAfter == q)
    let period = model.window.period, last = model.window.lastPeriod
    let steps = 2 * q + 4
    let sums = try #require(activity.churn(of: base, period: period, origin: last, steps: steps))
    let histories = PurchaseHistories(table, through: period.end(of: last))
    let each = ActivityForecast(histories, model: activity, period: period, origin: last, steps: steps, churnAfter: q)
    let events = try #require(each.churned)
    // Both first churn events (t <= q + 1) and later ones (after a purchase in the horizon) occur.
    #expect(events.expected[0] > 1 && events.expected[steps - 1] > 1)
    for t in 0..<steps {
      #expect(abs(sums.events.expected[t] - events.expected[t]) <= 1e-9 * events.expected[t], "step \(t + 1)")
      #expect(abs(sums.events.buyingSensitivity(t) - events.buyingSensitivity(t)) <= 1e-9, "step \(t + 1)")
      // The binomial of the mean chance is at least the customers' own variance.
      #expect(sums.events.variance[t] >= events.variance[t] * (1 - 1e-9), "step \(t + 1)")
    }
    // Churned at the end of a step, as `score` reads it at the horizon's end, for horizons short
    // of the rule (the customers quiet since before the end) and past it (quiet in the horizon).
    for horizon in [1, q, q + 1, steps] {
      let atEnd = ActivityForecast(histories, model: activity, period: period, origin: last, steps: horizon, churnAfter: q, countsChurnEvents: false)
      let total = try #require(atEnd.customerChurnedAtEnd).reduce(0, +)
      #expect(total > 100)
      #expect(abs(sums.churnedAtEnd[horizon - 1] - total) <= 1e-9 * total, "horizon \(horizon)")
    }
  }

  /// A base fitted on fewer periods than its churn rule has seen nobody churn: the chain
  /// forecasts none, ever, and the living customers stay all of them. The churn events and the
  /// living count now come from the customers' histories, as the backtest counts them.
  @Test func aBaseTooYoungToHaveChurnedStillChurnsInItsForecast() throws {
    let (table, model) = try Self.closedCohort(months: 5)
    let q = try #require(model.stateSpace.lifecycleChurnAfter)
    #expect(q >= 5)
    var o = ForecastOptions()
    o.horizon = 12
    o.replicates = 400
    o.acquisition = .none
    let f = try ForecastEngine.run(model: model, options: o)
    #expect(f.ownHistoryChurn)
    var chainOnly = o
    chainOnly.ownHistory = false
    let chain = try ForecastEngine.run(model: model, options: chainOnly)
    #expect(chain.expected[.churned]!.allSatisfy { $0 == 0 })
    let activity = model.activity!, base = activity.base!
    let period = model.window.period, last = model.window.lastPeriod
    let histories = PurchaseHistories(table, through: period.end(of: last))
    let each = ActivityForecast(histories, model: activity, period: period, origin: last, steps: 12, churnAfter: q)
    for t in 0..<12 {
      // Nobody is a lead here, so the chain's part is nothing and every event is the histories'.
      #expect(abs(f.expected[.churned]![t] - each.churned!.expected[t]) <= 1e-6 * max(1, each.churned!.expected[t]), "step \(t + 1)")
      let atEnd = ActivityForecast(histories, model: activity, period: period, origin: last, steps: t + 1, churnAfter: q, countsChurnEvents: false)
      let living = Double(base.customers) - atEnd.customerChurnedAtEnd!.reduce(0, +)
      #expect(abs(f.expected[.customers]![t] - living) <= 1e-6 * living, "step \(t + 1)")
      let band = f.bands[.churned]![t]
      #expect(band.p5 <= f.expected[.churned]![t] && f.expected[.churned]![t] <= band.p95)
    }
    // Churn events come once the first quiet customers pass the rule: a customer whose last
    // purchase fell in the first month is churned by month q + 1.
    #expect(f.expected[.churned]!.reduce(0, +) > 0.2 * Double(base.customers))
    #expect(f.bands[.churned]![q].p95 > f.bands[.churned]![q].p5)
    #expect(f.expected[.customers]!.last! < 0.8 * Double(base.customers))
  }

  @Test func withAgeingEachGroupRunsOnItsOwnClock() throws {
    // 36 months: two years of history, so the ageing is read.
    let (table, model) = try Self.closedCohort(ageing: 0.5, months: 36, customers: 2_000)
    let activity = try #require(model.activity)
    #expect((activity.ageing ?? 0) > 0)
    let base = try #require(activity.base)
    // First purchases over three months: about 90 days, in spans of 2 days.
    #expect(base.groups.count > 30 && base.groups.count <= ActivityBase.maximumGroups)
    let customers = Self.perCustomer(table, model, steps: 6)
    let period = model.window.period, last = model.window.lastPeriod
    let days = (1...6).map { (from: period.start(of: last + $0).dayNumber, to: period.end(of: last + $0).dayNumber + 1) }
    let sums = activity.outlook(of: base, days: days)
    // Each group's clock starts at its members' mean first day, a day from each member's own
    // after two years of tenure: far inside a tenth of a percent.
    for h in 0..<6 { #expect(abs(sums.purchases[h] / customers.purchases[h] - 1) < 1e-3) }
    // One clock for everyone (the earliest first day) is visibly off: the groups matter.
    var one = base
    one.groups = [ActivityBase.Group(
      firstDay: base.groups.map(\.firstDay).min()!, posterior: base.groups.map(\.posterior).reduce(into: [Double](repeating: 0, count: base.groups[0].posterior.count)) { for i in $0.indices { $0[i] += $1[i] } },
      spending: base.groups[0].spending)]
    let pooled = activity.outlook(of: one, days: days)
    #expect(abs(pooled.purchases[0] / customers.purchases[0] - 1) > 2e-3)
  }

  @Test func aForecastOfTheBoughtBaseIsTheirOwnHistories() throws {
    let (table, model) = try Self.closedCohort()
    let customers = Self.perCustomer(table, model, steps: 6)
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 0
    o.acquisition = .none
    let own = try ForecastEngine.run(model: model, options: o)
    #expect(own.ownHistoryCustomers == customers.hasHistory.filter { $0 }.count)
    o.ownHistory = false
    let chain = try ForecastEngine.run(model: model, options: o)
    #expect(chain.ownHistoryCustomers == nil)
    for h in 0..<6 {
      // No leads and no entrants: the chain's part cancels, and what is left is the customers'.
      #expect(abs(own.expected[.purchases]![h] - customers.purchases[h]) < 1e-6 * customers.purchases[h])
      #expect(abs(own.expected[.revenue]![h] - customers.revenue[h]) < 1e-6 * customers.revenue[h])
      #expect(abs(own.expected[.active]![h] - customers.buying[h]) < 1e-6 * customers.buying[h])
      // ... which is not what the chain says (else this test could not tell the two apart).
      #expect(abs(chain.expected[.purchases]![h] / own.expected[.purchases]![h] - 1) > 0.01)
      // So do the churn events (the backtest's rule, `theBasesChurnSumsCountWhatItsCustomersDo`);
      // the counts of customers per state stay the chain's.
      #expect(abs(own.expected[.churned]![h] - customers.churned!.expected[h]) < 1e-6 * customers.churned!.expected[h])
      #expect(own.expectedStates[h] == chain.expectedStates[h])
    }
    // Cumulative revenue follows the period revenue it sums.
    #expect(abs(own.expected[.cumulativeRevenue]![5] - customers.revenue.reduce(0, +)) < 1e-6 * own.expected[.cumulativeRevenue]![5])
  }

  @Test func aScenarioChangesTheForecastAsMuchAsTheChainSays() throws {
    let (_, model) = try Self.closedCohort()
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 200
    o.acquisition = .perPeriod(100)
    var plan = ForecastAdjustment()
    plan.revenueMultiplier = { _ in [Double](repeating: 1.1, count: model.stateSpace.count) }
    plan.inflowMultiplier = { _ in 1.5 }
    func change(_ ownHistory: Bool, _ kpi: KPI) throws -> [Double] {
      o.ownHistory = ownHistory
      let base = try ForecastEngine.run(model: model, options: o), scenario = try ForecastEngine.run(model: model, options: o, adjustment: plan)
      #expect((base.ownHistoryCustomers != nil) == ownHistory)
      // Replicate by replicate (common random numbers): the model error's draw is the same in both
      // runs and cancels, as the chain's noise does.
      let perReplicate = zip(scenario.samples[kpi]!, base.samples[kpi]!).flatMap { zip($0, $1).map(-) }
      return zip(scenario.expected[kpi]!, base.expected[kpi]!).map(-) + perReplicate
    }
    for kpi in [KPI.revenue, .purchases, .active] {
      let own = try change(true, kpi), chain = try change(false, kpi)
      for (a, b) in zip(own, chain) { #expect(abs(a - b) < 1e-6 * max(1, abs(b)), "\(kpi)") }
      #expect(own.first! != 0)
    }
  }

  /// The ranges hold the activity model's own error as the backtest's do: a normal around the
  /// forecast with the error measured at the fit, widened to Student's t on the periods it was
  /// measured on and grown with the lead.
  @Test func theRangesHoldTheModelsOwnError() throws {
    var (_, model) = try Self.closedCohort()
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 4_000
    o.acquisition = .none
    let measured = try #require(model.activity?.base?.error)
    #expect(measured.periods != nil && measured.purchases > 0)
    // A large error, so that the chain's own noise is small beside it.
    model.activity!.base!.error = OutOfSampleError(purchases: 0.3, revenue: 0.3, buying: 0.3, periods: 6)
    let wide = try ForecastEngine.run(model: model, options: o)
    model.activity!.base!.error = nil
    let narrow = try ForecastEngine.run(model: model, options: o)
    let widening = OutOfSampleError.widening(periods: 6)
    for h in 0..<6 {
      let expected = wide.expected[.purchases]![h]
      #expect(expected == narrow.expected[.purchases]![h])
      let sd = 0.3 * widening * OutOfSampleError.leadFactor(lead: h + 1, measuredPeriods: 6) * expected
      let band = wide.bands[.purchases]![h], chain = narrow.bands[.purchases]![h]
      let chainSD = (chain.p95 - chain.p5) / 2 / 1.645
      let predicted = 1.645 * (sd * sd + chainSD * chainSD).squareRoot()
      #expect(abs((band.p95 - band.p5) / 2 / predicted - 1) < 0.06, "period \(h + 1): half-width \((band.p95 - band.p5) / 2) against \(predicted)")
      #expect(band.p95 - band.p5 > 2 * (chain.p95 - chain.p5))
    }
  }

  /// The text names the error the ranges hold, the periods it was measured on and the widening
  /// those few periods give it. Fitted on five months, CDNOW's forecast put next month's purchases
  /// at 2,522 with a range of 0 to 6,024, and said only that the ranges add "the activity model's
  /// error": the range read as customers that uncertain, where it is one measured month's.
  @Test func theWordsGiveTheErrorItsPeriodsAndTheirWidening() throws {
    var (_, model) = try Self.closedCohort()
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    o.acquisition = .none
    func words(_ error: OutOfSampleError) throws -> String {
      model.activity!.base!.error = error
      return ForecastReport.ownHistoryWords(try ForecastEngine.run(model: model, options: o), model: model)
    }
    let one = try words(OutOfSampleError(purchases: 0.239, revenue: 0.25, buying: 0.173, periods: 1))
    #expect(one.contains("23.9% on purchases, 25.0% on revenue and 17.3% on active"), "\(one)")
    // t(0.95; 1) / z(0.95) = 6.3138 / 1.6449 = 3.84 (a table); t(0.95; 6) = 1.9432: 1.18.
    #expect(one.contains("on the 1 month before the model's end") && one.contains("widened 3.84x"), "\(one)")
    #expect(one.contains("one measured month makes the ranges wide"))
    let six = try words(OutOfSampleError(purchases: 0.05, revenue: 0.06, buying: 0.04, periods: 6))
    #expect(six.contains("on the 6 months before the model's end") && six.contains("widened 1.18x"), "\(six)")
    #expect(!six.contains("one measured"))
    // Two origins: 3 values (t(0.95; 3) = 2.3534: 1.43x), where they were forecast from.
    let two = try words(OutOfSampleError(purchases: 0.05, revenue: 0.06, buying: 0.04, periods: 3, meanLead: 4.0 / 3, originsBeforeEnd: [1, 2]))
    #expect(two.contains("on 3 month values forecast from 1 and 2 months before the model's end") && two.contains("widened 1.43x"), "\(two)")
    let guess = try words(.unmeasured)
    #expect(guess.contains("a guess") && guess.contains("10.0% on purchases") && !guess.contains("widened"), "\(guess)")
    #expect(guess.contains("one month ahead, growing with the square root of the lead"), "\(guess)")
    // Measured at nothing (the values erred within their count noise): the ranges hold count
    // noise alone, and the words say so, here, in the backtest's note and in `journey show`; not
    // for an error read or a guess.
    let none = OutOfSampleError(purchases: 0, revenue: 0.02, buying: 0, periods: 9, meanLead: 2.8, originsBeforeEnd: [4, 5])
    let noise = "erred no more than their count noise, so a range whose model error is 0.0% holds that noise alone and can be too narrow"
    let measuredNothing = try words(none)
    #expect(measuredNothing.contains(noise), "\(measuredNothing)")
    #expect(ModelSummary(model: model).forecastErrors?.contains(noise) == true, "journey show: \(ModelSummary(model: model).forecastErrors ?? "")")
    #expect(Backtest.describe(none, period: .month).contains(noise))
    #expect(!six.contains(noise) && !guess.contains(noise) && !Backtest.describe(.unmeasured, period: .month).contains(noise))
  }

  /// An error measured on one period is widened 6.31 / 1.645 = 3.84x (Student's t on one degree of
  /// freedom): 90% a month becomes a standard deviation of 3.45 times the forecast, and a normal
  /// draw of it would take away more than the customers were forecast to buy in 39% of replicates.
  /// The error can take their purchases and revenue to nothing, never below: no range of a base
  /// without refunds goes under 0, and the draws that would have kept their own value.
  @Test func aLargeErrorTakesTheCustomersToNothingNotBelow() throws {
    var (_, model) = try Self.closedCohort()
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = 2_000
    o.acquisition = .none
    model.activity!.base!.error = OutOfSampleError(purchases: 0.9, revenue: 0.9, buying: 0.9, periods: 1)
    let wide = try ForecastEngine.run(model: model, options: o)
    model.activity!.base!.error = nil
    let narrow = try ForecastEngine.run(model: model, options: o)
    for kpi in [KPI.purchases, .revenue, .active] {
      for h in 0..<6 {
        let band = wide.bands[kpi]![h], chain = narrow.bands[kpi]![h]
        #expect(wide.expected[kpi]![h] == narrow.expected[kpi]![h])
        // Over a third of the draws take the own histories' part to nothing, so P5 is what the
        // chain's noise leaves around nothing: at most its own spread below the forecast.
        #expect(band.p5 >= 0, "\(kpi) period \(h + 1): P5 \(band.p5)")
        #expect(band.p5 <= chain.p95 - chain.p5, "\(kpi) period \(h + 1): P5 \(band.p5)")
        // Above, nothing is held back: z = 1.645 adds 1.645 x 0.9 x 3.84 x lead growth.
        let sd = 0.9 * OutOfSampleError.widening(periods: 1) * OutOfSampleError.leadFactor(lead: h + 1, measuredPeriods: 1)
        let above = (band.p95 - wide.expected[kpi]![h]) / (1.645 * sd * wide.expected[kpi]![h])
        #expect(abs(above - 1) < 0.08, "\(kpi) period \(h + 1): P95 at \(above) of the unfloored normal's")
      }
    }
  }

  @Test func aForecastFromAnotherOriginIsTheChainsAlone() throws {
    // A counterfactual runs a model from a launch inside its window: the sums were taken at the
    // window's end, so they do not apply there.
    var (_, model) = try Self.closedCohort()
    var o = ForecastOptions()
    o.horizon = 3
    o.replicates = 0
    #expect(try ForecastEngine.run(model: model, options: o).ownHistoryCustomers != nil)
    model.currentBase = model.counts.occupancy[model.counts.periodCount - 4]
    model.window.lastPeriod -= 3
    #expect(try ForecastEngine.run(model: model, options: o).ownHistoryCustomers == nil)
  }

  @Test func theSumsTravelInTheModelFileAndBadOnesAreRefused() throws {
    let (_, model) = try Self.closedCohort(customers: 800)
    let json = try model.json()
    let loaded = try MarkovModel.load(data: Data(json.utf8), path: "m.json")
    #expect(loaded.activity?.base == model.activity?.base)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let activity = try #require(object["activity"] as? [String: Any])
    let base = try #require(activity["base"] as? [String: Any])
    let groups = try #require(base["groups"] as? [[String: Any]])
    func refused(_ edit: (inout [String: Any]) -> Void, _ message: String) throws {
      var changed = base, activity = activity, object = object
      edit(&changed)
      activity["base"] = changed
      object["activity"] = activity
      let bad = try JSONSerialization.data(withJSONObject: object)
      #expect {
        _ = try MarkovModel.load(data: bad, path: "m.json")
      } throws: { error in
        "\(error)".contains(message)
      }
    }
    try refused({ b in
      var g = groups
      g[0]["posterior"] = [0.5]
      b["groups"] = g
    }, "activity.base.groups[0].posterior: has 1 entry, expected")
    // A sample that is not what the sums hold would scale them wrongly.
    try refused({ b in b["sampled"] = (b["sampled"] as! Int) - 1 }, "activity.base.groups: posteriors add up to")
    try refused({ b in b["sampled"] = 0 }, "activity.base.groups: posteriors add up to")
    try refused({ b in b["points"] = [999_999] + (b["points"] as! [Int]).dropFirst() }, "activity.base.points[0]: '999999' is not a grid point")
    // The churn sums: split for the state space's own rule, one split per group, no more customers
    // in the periods back than in the group.
    try refused({ b in b["churn_after"] = 3 }, "activity.base.churn_after: '3' must be the state space's churn rule, 6 quiet periods")
    try refused({ b in
      var g = groups
      g[0]["recent"] = nil
      b["groups"] = g
    }, "activity.base.groups[0].recent: is missing beside activity.base.churn_after")
    try refused({ b in
      var g = groups
      var recent = g[0]["recent"] as! [Double]
      recent[5] = 1e9
      g[0]["recent"] = recent
      b["groups"] = g
    }, "activity.base.groups[0].recent: sums to '1000000000")
  }
}

import Foundation
@testable import JourneyKit
import Testing

/// `journey fit` stores the chain's own error, measured out of sample (`ChainError`), and a
/// forecast from the model file adds it to the ranges of what the chain forecasts. Before, those
/// ranges held the chain's process and parameter noise only: on CDNOW's 12 calibration ends the
/// chain-alone forecast's ranges (`--no-own-history`) held 23 of 150 monthly purchase and revenue
/// values, and the default forecast's churned ranges 17 of 75.
@Suite("Forecast ranges with the chain's own error")
struct ChainErrorForecastTests {
  /// An open base of 3,000 customers over 24 months, fitted as `journey fit` fits, without the
  /// chain error (the tests set their own).
  static func fitted() throws -> (table: TransactionTable, model: MarkovModel, options: FitOptions) {
    var g = GeneratorParameters()
    g.customers = 3_000
    g.months = 24
    g.seed = 29
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.activity = true
    return (table, try ModelFitter.fit(table, options: o), o)
  }

  /// Replicates whose only randomness is the chain's error: no process noise, no parameter draws.
  static func errorOnly(ownHistory: Bool, replicates: Int = 4_000) -> ForecastOptions {
    var o = ForecastOptions()
    o.horizon = 6
    o.replicates = replicates
    o.processNoise = false
    o.parameterUncertainty = false
    o.acquisition = .none
    o.ownHistory = ownHistory
    return o
  }

  @Test func theChainAlonesRangesHoldItsErrorWidenedToStudentsTAndGrownWithTheLead() throws {
    var (_, model, _) = try Self.fitted()
    model.chainError = ChainError(transactions: 0.2, revenue: 0.1, active: 0.05, churned: 0.3, periods: 6)
    let f = try ForecastEngine.run(model: model, options: Self.errorOnly(ownHistory: false))
    #expect(f.chainErrorKPIs == [.purchases, .revenue, .active, .churned])
    // By hand: the 90% range's half-width is 1.645 sd; the sd is the error times t(0.95, 6 degrees
    // of freedom) / 1.645 (t = 1.943, from a table) times sqrt(lead / 3.5), 3.5 being the mean of
    // the measured leads 1...6. So P95 / expected - 1 = error * 1.943 * sqrt(lead / 3.5).
    for (kpi, error) in [(KPI.purchases, 0.2), (.revenue, 0.1), (.active, 0.05), (.churned, 0.3)] {
      for lead in [1, 6] {
        let expected = f.expected[kpi]![lead - 1], band = f.bands[kpi]![lead - 1]
        let byHand = error * 1.943 * (Double(lead) / 3.5).squareRoot()
        // 4,000 draws put the sample P95 of a standard normal within about 0.035 of 1.645.
        #expect(abs(band.p95 / expected - 1 - byHand) < 0.03 * byHand, "\(kpi) lead \(lead): \(band.p95 / expected - 1) against \(byHand)")
        #expect(abs(1 - band.p5 / expected - byHand) < 0.03 * byHand, "\(kpi) lead \(lead): \(1 - band.p5 / expected) against \(byHand)")
      }
    }
    // Half the error's square level: sqrt(0.5 + 0.5 lead / 3.5) in place of sqrt(lead / 3.5).
    model.chainError = ChainError(transactions: 0.2, revenue: 0.1, active: 0.05, churned: 0.3, periods: 6, levelShare: 0.5)
    let half = try ForecastEngine.run(model: model, options: Self.errorOnly(ownHistory: false))
    for lead in [1, 6] {
      let expected = half.expected[.purchases]![lead - 1], band = half.bands[.purchases]![lead - 1]
      let byHand = 0.2 * 1.943 * (0.5 + 0.5 * Double(lead) / 3.5).squareRoot()
      #expect(abs(band.p95 / expected - 1 - byHand) < 0.03 * byHand, "lead \(lead): \(band.p95 / expected - 1) against \(byHand)")
    }
    // The expected path is the model's: the error is a spread around it, not a shift.
    model.chainError = nil
    let plain = try ForecastEngine.run(model: model, options: Self.errorOnly(ownHistory: false))
    #expect(plain.chainErrorKPIs.isEmpty)
    #expect(plain.expected[.purchases] == f.expected[.purchases])
    #expect(plain.bands[.purchases]!.allSatisfy { $0.p95 == $0.p5 })
  }

  /// Six periods of 500 replicates from `model` without a chain error, and with one of 20% (30% on
  /// churned) measured on 6 periods.
  static func withoutAndWithAChainError(_ model: MarkovModel) throws -> (without: Forecast, with: Forecast) {
    var options = ForecastOptions()
    options.horizon = 6
    options.replicates = 500
    var erring = model
    erring.chainError = ChainError(transactions: 0.2, revenue: 0.2, active: 0.2, churned: 0.3, periods: 6)
    return (try ForecastEngine.run(model: model, options: options), try ForecastEngine.run(model: erring, options: options))
  }

  /// A model file that holds no churn sums (written before them, `ActivityBase.churnAfter`) has
  /// its churn events forecast by the chain: their range takes the chain's error.
  @Test func withOwnHistoriesButNoChurnSumsOnlyTheChurnedRangeTakesTheChainsError() throws {
    var (_, model, _) = try Self.fitted()
    model.activity!.base!.churnAfter = nil
    for k in model.activity!.base!.groups.indices { model.activity!.base!.groups[k].recent = nil }
    let (without, with) = try Self.withoutAndWithAChainError(model)
    #expect(with.ownHistoryCustomers != nil && !with.ownHistoryChurn)
    #expect(with.chainErrorKPIs == [.churned])
    // The chain's error is drawn from its own stream: every other draw is the same, so what the
    // own histories forecast keeps its ranges to the last digit.
    for kpi in [KPI.purchases, .revenue, .active, .customers] { #expect(with.bands[kpi] == without.bands[kpi], "\(kpi)") }
    for h in 0..<6 {
      let a = with.bands[.churned]![h], b = without.bands[.churned]![h]
      #expect(a.p95 - a.p5 > b.p95 - b.p5, "period \(h + 1)")
    }
  }

  /// With the churn sums, the customers' histories forecast their churn events, and the chain's
  /// error has nothing of the chain's left to widen: no range moves.
  @Test func withChurnFromTheHistoriesNoRangeTakesTheChainsError() throws {
    let (without, with) = try Self.withoutAndWithAChainError(try Self.fitted().model)
    #expect(with.ownHistoryChurn && with.chainErrorKPIs.isEmpty)
    for kpi in [KPI.purchases, .revenue, .active, .customers, .churned] { #expect(with.bands[kpi] == without.bands[kpi], "\(kpi)") }
  }

  @Test func fitMeasuresTheErrorOnTheModelsOwnHistoryOnly() throws {
    let (table, _, options) = try Self.fitted()
    var asOf = options
    asOf.asOf = CalendarDay(year: 2024, month: 6, day: 30)!
    var model = try ModelFitter.fit(table, options: asOf)
    model.measureChainError(table, options: asOf)
    let error = try #require(model.chainError)
    // Eighteen months: a year of periods held out at most, a third of the history.
    #expect(error.periods == 6)
    // Nothing after the model's end is read: the same data cut there gives the same error.
    let cut = table.truncated(through: CalendarDay(year: 2024, month: 6, day: 30)!)
    var again = try ModelFitter.fit(cut, options: asOf)
    again.measureChainError(cut, options: asOf)
    let other = try #require(again.chainError)
    #expect(other.periods == error.periods)
    for (a, b) in [(other.transactions, error.transactions), (other.revenue, error.revenue), (other.active, error.active), (other.churned, error.churned)] {
      #expect(abs(a - b) <= 1e-9 * max(a, b), "\(a) against \(b)")
    }
    // The model file keeps it, and `journey show` says what forecasts will add.
    let decoded = try MarkovModel.load(data: Data(try model.json().utf8), path: "model.json")
    #expect(decoded.chainError == error)
    let words = try #require(ModelSummary(model: decoded).forecastErrors)
    #expect(words.contains("the chain's \(Format.percent(error.transactions)) on purchases"), "\(words)")
    #expect(words.contains("measured on the 6 months before the model's end"), "\(words)")
    // Its churn sums leave the chain's error to forecasts without the customers' histories.
    #expect(words.contains("it applies with --no-own-history only, since otherwise the customers' own histories forecast"), "\(words)")
    #expect(ModelSummary(model: model.withoutChainError).forecastErrors?.contains("the chain's") != true)
  }
}

extension MarkovModel {
  /// The same model as fitted, before `measureChainError`.
  fileprivate var withoutChainError: MarkovModel {
    var m = self
    m.chainError = nil
    return m
  }
}


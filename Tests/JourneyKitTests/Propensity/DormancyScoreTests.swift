import Foundation
import Testing

@testable import JourneyKit

@Suite("The dormancy score: how purchases after a launch bear on a change of the dormancy rate")
struct DormancyScoreTests {
  /// One customer: first purchase day 0, a repeat on day 10 and, when `late`, on day 35; observed
  /// through day 49; the change acts from day 20.
  func histories(late: Bool) -> PurchaseHistories {
    let days: [Int32] = late ? [0, 10, 35] : [0, 10]
    let table = TransactionTable(
      customerIDs: ["a"], day: days, amount: days.map { _ in 10 }, event: days.map { _ in .purchase }, rowStart: [0, days.count])
    return PurchaseHistories(table, through: CalendarDay(dayNumber: 49))
  }

  /// The Pareto/NBD (no wake-up) likelihood with the dormancy rate theta mu from day 20, from its
  /// definition: the customer buys at rate lambda while alive and dies at rate mu, then theta mu.
  /// Alive at the last purchase t_x, it makes no purchase until T = 50 either by staying alive (its
  /// exposure split at the launch) or by dying before T without buying first.
  func likelihood(theta: Double, lambda: Double, mu: Double, late: Bool) -> Double {
    let launch = 20.0, end = 50.0
    let tx = late ? 35.0 : 10.0, x = late ? 2.0 : 1.0
    // Survival to t with the rate changing at the launch, and the hazard at t.
    func survival(_ t: Double) -> Double { Foundation.exp(-mu * min(t, launch) - theta * mu * max(0, t - launch)) }
    func hazard(_ t: Double) -> Double { t < launch ? mu : theta * mu }
    // P(no purchase in (tx, T) and the path) = S(T)/S(tx) e^{-lambda (T - tx)} + int_tx^T hazard(s) S(s)/S(tx) e^{-lambda (s - tx)} ds.
    let steps = 200_000
    var integral = 0.0
    let h = (end - tx) / Double(steps)
    for k in 0..<steps {
      let s = tx + (Double(k) + 0.5) * h
      integral += hazard(s) * survival(s) / survival(tx) * Foundation.exp(-lambda * (s - tx)) * h
    }
    let quiet = survival(end) / survival(tx) * Foundation.exp(-lambda * (end - tx)) + integral
    // Alive at every purchase, and no other purchase before tx: lambda^x S(tx) e^{-lambda tx}.
    return Foundation.pow(lambda, x) * survival(tx) * Foundation.exp(-lambda * tx) * quiet
  }

  @Test(arguments: [false, true])
  func scoreIsTheDerivativeOfTheParetoNBDsLikelihood(late: Bool) {
    let lambda = 0.05, mu = 0.02
    let model = ActivityModelTests.singlePoint(lambda: lambda, mu: mu, omega: 0, through: 49)
    let s = model.dormancyScores(histories(late: late), launch: 20, customers: [0])[0]
    // The definition's derivatives, by central differences of the likelihood above (step 1e-4).
    let e = 1e-4
    let l = [1 - e, 1, 1 + e].map { Foundation.log(likelihood(theta: $0, lambda: lambda, mu: mu, late: late)) }
    let score = (l[2] - l[0]) / (2 * e), information = -(l[2] - 2 * l[1] + l[0]) / (e * e)
    // The model's finite difference at step 0.05 is exact to O(0.05^2) of the third derivative.
    #expect(abs(s.score - score) < 2e-3 * max(1, abs(score)), "score \(s.score) against \(score)")
    #expect(abs(s.information - information) < 0.02 * max(1, abs(information)), "information \(s.information) against \(information)")
    // Buying after the launch means it was alive longer under theta mu: a lower rate explains
    // that better, so the score is negative; quiet since day 10, a higher rate explains it better.
    #expect(late ? s.score < 0 : s.score > 0)
  }

  @Test func aLaunchAfterTheHistoryLeavesTheScoreAtZero() {
    // Observed through day 49, the change from day 60: nothing of the history is under it.
    let model = ActivityModelTests.singlePoint(lambda: 0.05, mu: 0.02, omega: 0.01, through: 49)
    let s = model.dormancyScores(histories(late: true), launch: 60, customers: [0])[0]
    #expect(abs(s.score) < 1e-9 && abs(s.information) < 1e-6)
  }

  @Test func theRateReadFromTheScoresIsThePlantedOne() throws {
    // Lives drawn from the model itself (one grid point, no waking): 6,000 customers first buying
    // on day 0 and observed for a year, the even ones with the dormancy rate cut by 40%. Under
    // the model a group's mean score is zero at the rate it lives under, so the rate read off the
    // scores is the planted one up to sampling error, and its interval (the rates the test would
    // not reject) holds it; the one-step reading (the effect over the mean information), used
    // where no rates are asked, is kept only for that.
    let model = ActivityModelTests.singlePoint(lambda: 0.05, mu: 0.01, omega: 0, through: 364)
    let n = 6_000
    let lives = model.simulateNewcomers(firstDays: [Int32](repeating: 0, count: n), through: 364, dormancyChange: -0.4, seed: 11)
    var days: [Int32] = [], rowStart = [0]
    for c in 0..<n {
      days.append(0)
      days += c % 2 == 0 ? lives[c].changed : lives[c].plain
      rowStart.append(days.count)
    }
    let table = TransactionTable(
      customerIDs: (0..<n).map { "c\($0)" }, day: days, amount: days.map { _ in 10 }, event: days.map { _ in .purchase }, rowStart: rowStart)
    let h = PurchaseHistories(table, through: CalendarDay(dayNumber: 364))
    let scores = model.dormancyScores(h, launch: 0, customers: Array(0..<n), rates: DormancyOutcomes.rateGrid)
    let treated = (0..<n).map { $0 % 2 == 0 }
    let comparison = try #require(DormancyOutcomes.compare(scores: scores, covariates: [], treated: treated, alpha: 0.05))
    let rate = try #require(comparison.rateChange)
    #expect(rate.low < -0.4 && -0.4 < rate.high && rate.high < 0, "\(rate)")
    // (The interval here is about 2.5 points either side; the one-step reading gives -64%.)
    #expect(abs(rate.value + 0.4) < 0.03, "\(rate)")
    // The treated bought more: their lives are longer in the shared random numbers.
    #expect(comparison.effect.value < 0 && comparison.pValue < 1e-6)
  }

  @Test func transitionMatrixIsTheExponentialOfTheGenerator() {
    // exp(M t) by its Taylor series (many small steps of I + M dt), against the closed form.
    let lambda = 0.07, mu = 0.03, omega = 0.01, t = 40.0
    let p = TwoStateTransition(lambda: lambda, mu: mu, omega: omega, t: t)
    let scale = Foundation.exp(p.logScale)
    var m = [[1.0, 0.0], [0.0, 1.0]]
    let steps = 400_000
    let dt = t / Double(steps)
    let g = [[-(mu + lambda), mu], [omega, -omega]]
    for _ in 0..<steps {
      m = [
        [m[0][0] + dt * (m[0][0] * g[0][0] + m[0][1] * g[1][0]), m[0][1] + dt * (m[0][0] * g[0][1] + m[0][1] * g[1][1])],
        [m[1][0] + dt * (m[1][0] * g[0][0] + m[1][1] * g[1][0]), m[1][1] + dt * (m[1][0] * g[0][1] + m[1][1] * g[1][1])],
      ]
    }
    let closed = [[p.aa, p.ad], [p.da, p.dd]].map { $0.map { $0 * scale } }
    for i in 0..<2 { for j in 0..<2 { #expect(abs(closed[i][j] - m[i][j]) < 1e-5, "entry \(i)\(j): \(closed[i][j]) against \(m[i][j])") } }
  }
}

import Foundation
import Testing
@testable import JourneyKit

@Suite("Activity model")
struct ActivityModelTests {
  /// exp(M t) by scaling and squaring of a Taylor series: independent of the closed form.
  static func expm(_ m: [[Double]], _ t: Double) -> [[Double]] {
    let squarings = 12
    let s = t / Double(1 << squarings)
    var result = [[1.0, 0], [0, 1]], term = [[1.0, 0], [0, 1]]
    func mul(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
      (0..<2).map { i in (0..<2).map { j in a[i][0] * b[0][j] + a[i][1] * b[1][j] } }
    }
    for k in 1...20 {
      term = mul(term, m).map { $0.map { $0 * s / Double(k) } }
      result = (0..<2).map { i in (0..<2).map { j in result[i][j] + term[i][j] } }
    }
    for _ in 0..<squarings { result = mul(result, result) }
    return result
  }

  /// A defect in the eigenvalues, the cancellation guard or a sign makes these differ.
  @Test(arguments: [
    (0.05, 0.01, 0.003, 40.0), (0.3, 0.0001, 0.02, 7.0), (0.001, 0.05, 0.0, 200.0), (0.2, 0.1, 0.1, 3.0), (0.01, 0.002, 0.0005, 365.0),
  ])
  func closedFormExponentialMatchesTaylorSeries(lambda: Double, mu: Double, omega: Double, t: Double) {
    let exact = Self.expm([[-(mu + lambda), mu], [omega, -omega]], t)
    let e = TwoStateExponential(lambda: lambda, mu: mu, omega: omega)
    let fromActive = e.fromActive(t)
    #expect(abs(Foundation.exp(fromActive.logStay) - exact[0][0]) <= 1e-9 * max(1, exact[0][0]))
    #expect(abs(Foundation.exp(fromActive.logQuiet) - (exact[0][0] + exact[0][1])) <= 1e-9)
    #expect(abs(fromActive.activeShare - exact[0][0] / (exact[0][0] + exact[0][1])) <= 1e-9)
    let quiet = e.quiet(t)
    #expect(abs(quiet.fromActive - (exact[0][0] + exact[0][1])) <= 1e-9)
    #expect(abs(quiet.fromDormant - (exact[1][0] + exact[1][1])) <= 1e-9)
  }

  static func history(_ days: [[Int32]], through: Int32) -> PurchaseHistories {
    PurchaseHistories(purchaseDays: days, through: CalendarDay(dayNumber: through))
  }

  /// Histories read from a table: same-day purchases are one occasion, refunds count against
  /// revenue, leads and rows after the day are not read.
  @Test func historiesReadPurchaseOccasionsUpToTheDay() {
    let table = TransactionTable(records: [
      TransactionRecord("a", CalendarDay(dayNumber: 10), 20, .purchase),
      TransactionRecord("a", CalendarDay(dayNumber: 10), 5, .purchase),
      TransactionRecord("a", CalendarDay(dayNumber: 12), -5, .refund),
      TransactionRecord("a", CalendarDay(dayNumber: 40), 7, .purchase),
      TransactionRecord("a", CalendarDay(dayNumber: 90), 9, .purchase),
      TransactionRecord("b", CalendarDay(dayNumber: 15), 0, .lead),
      // After a's and b's rows that hold no purchase day: its days must move down past them.
      TransactionRecord("c", CalendarDay(dayNumber: 5), 0, .lead),
      TransactionRecord("c", CalendarDay(dayNumber: 20), 3, .purchase),
      TransactionRecord("c", CalendarDay(dayNumber: 30), 4, .purchase),
    ])
    let h = PurchaseHistories(table, through: CalendarDay(dayNumber: 60))
    let a = table.customerIDs.firstIndex(of: "a")!, b = table.customerIDs.firstIndex(of: "b")!, c = table.customerIDs.firstIndex(of: "c")!
    #expect(Array(h.purchaseDays[a]) == [10, 40])
    #expect(h.purchaseDays[b].isEmpty)
    #expect(Array(h.purchaseDays[c]) == [20, 30])
    let (cOccasions, cRevenue, cSquares) = h.spending(of: c)
    #expect(cOccasions == 2 && cRevenue == 7 && cSquares == 25 && h.spending(of: b).occasions == 0)
    #expect(h.purchaseDays.copiedCount == 2, "a's days are copied (same-day rows, a refund between); c's are read in the table")
    #expect(abs(h.spending(of: a).revenue - (25 - 5 + 7)) < 1e-9)
    #expect(h.firstDay == 10)
  }

  /// The outlook's per-customer values live in one flat array; each customer's row must be its
  /// own intervals, from 0, and no other customer's.
  @Test func perCustomerSeriesRowsAreEachCustomersOwn() {
    var series = PerCustomerSeries(customers: 3, intervals: 4)
    for c in 0..<3 { for h in 0..<4 { series[c, h] = Double(10 * c + h) } }
    #expect(series.count == 3)
    let rows: [[Double]] = series.map { Array($0) }
    let expected: [[Double]] = [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]]
    #expect(rows == expected)
    #expect(series[2][0] == 20)
    #expect(series[1][3] == 13)
    #expect(series[1].count == 4)
    let second: Double = series.reduce(0) { $0 + $1[1] }
    #expect(second == 33)
  }

  /// Histories read in parts (as large tables are, one part per core) are the histories read whole.
  @Test func historiesReadInPartsAreTheSame() throws {
    var g = GeneratorParameters()
    g.customers = 500
    g.seed = 8
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    let through = CalendarDay(year: 2024, month: 6, day: 30)!
    let whole = PurchaseHistories(table, through: through, parts: 1)
    let parts = PurchaseHistories(table, through: through, parts: 3)
    #expect(whole.purchaseDays.count == 500)
    #expect(whole.purchaseDays.map(Array.init) == parts.purchaseDays.map(Array.init))
    #expect(whole.purchaseDays.copiedCount == parts.purchaseDays.copiedCount && whole.firstDay == parts.firstDay)
  }

  /// Each part keeps the days it copied (customers with a refund between purchases); a customer's
  /// days are found in its own part's copies, numbered from that part's start.
  @Test func copiedDaysAreFoundInTheirPartsCopies() {
    var records: [TransactionRecord] = []
    for c in 0..<9 {
      let d = Int32(10 * c)
      records.append(TransactionRecord("c\(c)", CalendarDay(dayNumber: d + 1), 5))
      if c % 2 == 0 { records.append(TransactionRecord("c\(c)", CalendarDay(dayNumber: d + 2), -1, .refund)) }
      records.append(TransactionRecord("c\(c)", CalendarDay(dayNumber: d + 3 + Int32(c)), 5))
    }
    let table = TransactionTable(records: records)
    let h = PurchaseHistories(table, through: CalendarDay(dayNumber: 1_000), parts: 3)
    // Customers 0, 2 | 4 | 6, 8 are copied, in parts 0 ..< 3, 3 ..< 6 and 6 ..< 9.
    #expect(h.purchaseDays.copiedParts.map(\.count) == [4, 2, 4])
    for c in 0..<9 {
      let d = Int32(10 * c)
      #expect(Array(h.purchaseDays[c]) == [d + 1, d + 3 + Int32(c)], "customer \(c)")
    }
  }

  static func singlePoint(lambda: Double, mu: Double, omega: Double, through: Int32) -> ActivityModel {
    ActivityModel(
      purchaseRates: [lambda], dormancyRates: [mu], weights: [1], wakeRate: omega, spendMean: 10, spendPseudoCount: nil,
      through: CalendarDay(dayNumber: through), fittedCustomers: 1, logLikelihood: 0)
  }

  /// The likelihood's tables take the two-state process's terms for a whole row of grid points
  /// at once; each entry must be `TwoStateExponential.fromActive` at its grid point (the
  /// definition, one value at a time), on the fit's full 220-point grid with a wake rate.
  @Test func tablesAreTheTwoStateTermsAtEveryGridPoint() {
    let o = ActivityModel.FitOptions()
    let points = o.purchaseRates.count * o.dormancyRates.count
    let model = ActivityModel(
      purchaseRates: o.purchaseRates, dormancyRates: o.dormancyRates, weights: Array(repeating: 1 / Double(points), count: points),
      wakeRate: 1.0 / 300, spendMean: 10, spendPseudoCount: nil, through: CalendarDay(dayNumber: 1_000), fittedCustomers: 1,
      logLikelihood: 0)
    let lengths: Set<Int32> = [1, 4, 37, 400, 1_461, 2_922, 10_000]
    let tables = ActivityTables(model, gapLengths: lengths)
    #expect(tables.gridCount == 220)
    for t in lengths {
      for g in 0..<points {
        let (lambda, mu) = model.rates(ofGridPoint: g)
        let e = TwoStateExponential(lambda: lambda, mu: mu, omega: model.wakeRate).fromActive(Double(t) / ActivityClock.ticksPerDay)
        let gap = Foundation.log(lambda) + e.logStay
        #expect(abs(Array(tables.purchaseGap(t))[g] - gap) <= 1e-13 * max(1, abs(gap)), "gap \(t), point \(g)")
        #expect(abs(Array(tables.quietEnd(t))[g] - e.logQuiet) <= 1e-13 * max(1, abs(e.logQuiet)), "quiet \(t), point \(g)")
        #expect(abs(Array(tables.activeAtEnd(t))[g] - e.activeShare) <= 1e-13, "active \(t), point \(g)")
      }
    }
  }

  /// With no wake-up the process is the Pareto/NBD, whose individual likelihood is known in
  /// closed form (Fader & Hardie, "A note on deriving the Pareto/NBD model", eq. 2):
  /// L = lambda^x e^-(lambda+mu)T + lambda^x mu/(lambda+mu) (e^-(lambda+mu)t_x - e^-(lambda+mu)T).
  @Test func withoutWakeUpTheLikelihoodIsTheParetoNBDs() {
    let lambda = 0.04, mu = 0.01
    // First purchase day 0, repeats on days 10, 25, 70; observed through day 99 (T = 100 days).
    let model = Self.singlePoint(lambda: lambda, mu: mu, omega: 0, through: 99)
    // The likelihood tables are in quarter-day ticks.
    let tables = ActivityTables(model, gapLengths: [40, 60, 180, 120])
    var row = [0.0]
    tables.logLikelihood(gaps: [40, 60, 180], quiet: 120, into: &row)
    let x = 3.0, tx = 70.0, T = 100.0, s = lambda + mu
    let expected = Foundation.pow(lambda, x) * Foundation.exp(-s * T) + Foundation.pow(lambda, x) * mu / s * (Foundation.exp(-s * tx) - Foundation.exp(-s * T))
    #expect(abs(row[0] - Foundation.log(expected)) < 1e-9)
    // P(alive | data) for the Pareto/NBD: lambda^x e^-(lambda+mu)T / L.
    #expect(abs(tables.activeAtEnd(120).first! - Foundation.pow(lambda, x) * Foundation.exp(-s * T) / expected) < 1e-9)
  }

  /// A customer's posterior over the grid is the mixing weights times its likelihood at each
  /// point, normalized: here each point's Pareto/NBD likelihood in closed form (as above), on a
  /// grid with one point of no weight, which the posterior leaves out.
  @Test func thePosteriorIsTheWeightsTimesEachPointsLikelihood() {
    let rates = [0.02, 0.04, 0.08], dormancy = [0.002, 0.01]
    let weights = [0.1, 0.2, 0.0, 0.3, 0.25, 0.15]
    let model = ActivityModel(
      purchaseRates: rates, dormancyRates: dormancy, weights: weights, wakeRate: 0, spendMean: 10, spendPseudoCount: nil,
      through: CalendarDay(dayNumber: 99), fittedCustomers: 2, logLikelihood: 0)
    // Customer 0 buys on days 0, 10, 25 and 70; customer 1 once, on day 50; both seen to day 99.
    let h = Self.history([[0, 10, 25, 70], [50]], through: 99)
    let posteriors = ActivityPosteriors(model, h, customers: 0..<2, clock: model.clock(from: h.firstDay, through: 100))
    #expect(posteriors.support == [0, 1, 3, 4, 5])
    var gaps: [Int32] = [], row = [Double](repeating: 0, count: 5)
    for (c, (x, tx, T)) in [(3.0, 70.0, 100.0), (0.0, 0.0, 50.0)].enumerated() {
      let (sum, quiet) = posteriors.read(h, customer: c, gaps: &gaps, into: &row)
      #expect(quiet == Int32(T - tx) * 4, "quiet ticks (a quarter day each) from the last purchase to the end")
      let joint = posteriors.support.map { g -> Double in
        let lambda = rates[g / 2], mu = dormancy[g % 2], s = lambda + mu
        let likelihood = Foundation.pow(lambda, x) * Foundation.exp(-s * T)
          + Foundation.pow(lambda, x) * mu / s * (Foundation.exp(-s * tx) - Foundation.exp(-s * T))
        return weights[g] * likelihood
      }
      let total = joint.reduce(0, +)
      #expect(abs(row.max()! - 1) < 1e-15, "scaled so that the largest is 1")
      for j in 0..<5 {
        #expect(abs(row[j] / sum - joint[j] / total) < 1e-12, "customer \(c), point \(posteriors.support[j])")
      }
    }
  }

  /// Simulates the two-state process forward from the end of a customer's history and compares
  /// the mean purchases and buying share per interval with the outlook's closed form.
  @Test func outlookMatchesSimulationOfTheProcess() {
    let lambda = 0.08, mu = 0.02, omega = 0.01
    let model = Self.singlePoint(lambda: lambda, mu: mu, omega: omega, through: 59)
    let h = Self.history([[0, 20, 50]], through: 59)
    let intervals = [(from: 0.0, to: 30.0), (from: 30.0, to: 90.0), (from: 90.0, to: 365.0)]
    let o = model.outlook(h, intervals: intervals)
    let v = o.activeProbability[0]
    #expect(v > 0.5 && v < 1)
    var rng = RandomSource(seed: 7)
    let paths = 200_000
    var purchases = [Double](repeating: 0, count: 3), buying = [Double](repeating: 0, count: 3)
    var squares = [Double](repeating: 0, count: 3)
    for _ in 0..<paths {
      var active = rng.uniform() < v
      var t = 0.0
      var counts = [0.0, 0, 0]
      while true {
        let rate = active ? lambda + mu : omega
        t += rng.exponential() / rate
        if t >= 365 { break }
        if active && rng.uniform() < lambda / (lambda + mu) {
          let k = intervals.firstIndex { t >= $0.from && t < $0.to }!
          counts[k] += 1
        } else {
          active.toggle()
        }
      }
      for k in 0..<3 {
        purchases[k] += counts[k]
        squares[k] += counts[k] * counts[k]
        if counts[k] > 0 { buying[k] += 1 }
      }
    }
    for k in 0..<3 {
      let mean = purchases[k] / Double(paths)
      let se = ((squares[k] / Double(paths) - mean * mean) / Double(paths)).squareRoot()
      #expect(abs(o.purchases[0][k] - mean) < 4 * se, "interval \(k): \(o.purchases[0][k]) against \(mean)")
      let share = buying[k] / Double(paths)
      #expect(abs(o.buying[0][k] - share) < 4 * (share * (1 - share) / Double(paths)).squareRoot() + 1e-9)
    }
  }

  /// A history too short to read ageing from is recorded as such, and the plain words say what that
  /// means for the forecast; two years of the same kind of base read ageing and say nothing of it.
  /// (Without the record, a planner fitting one year of a young cohort got no word that its
  /// slowing with tenure goes unseen: 21-32% over on the generated CDNOW-like regime then, 13-20% since
  /// the one-year trend is read beside a yearly wave.)
  @Test func aHistoryTooShortForAgeingSaysSo() throws {
    func base(through: Int32) -> PurchaseHistories {
      var rng = RandomSource(seed: 5)
      let days: [[Int32]] = (0..<600).map { c in
        // Customer 0 buys on day 0, so the history spans exactly `through` days.
        var t = c == 0 ? 0 : rng.uniform() * 30
        var list: [Int32] = []
        while t < Double(through) {
          list.append(Int32(t))
          t += 1 + rng.exponential() * 60
        }
        return Array(Set(list)).sorted()
      }
      return Self.history(days, through: through)
    }
    let options = ActivityModel.FitOptions()
    let short = try #require(ActivityModel.fit(base(through: 400)))
    #expect(short.shortHistoryDays == 400 && short.ageing == nil)
    let words = short.plainWords().joined(separator: "\n")
    #expect(words.contains("ageing: not read: 400 days of history"), "\(words)")
    let long = try #require(ActivityModel.fit(base(through: options.ageingMinimumSpanDays)))
    #expect(long.shortHistoryDays == nil)
    #expect(!long.plainWords().joined().contains("not read"))
    // Under a year no season has been seen once: the words say the forecast has none. From a year
    // on they do not, whether or not the year showed a season worth keeping.
    let young = try #require(ActivityModel.fitWithSeasons(base(through: 300)))
    #expect(young.seasonalIndex == nil)
    #expect(young.plainWords().joined(separator: "\n").contains("seasons: not read: 300 days of history"))
    let yearly = try #require(ActivityModel.fitWithSeasons(base(through: 400)))
    #expect(!yearly.plainWords().joined().contains("seasons: not read"))
  }

  /// Worked by hand on the grid 1, 10, 100 with weights 1/4, 1/2, 1/4, each spread evenly in logs
  /// over its cell (edges at 10^-0.5, 10^0.5, 10^1.5, 10^2.5): the median is the middle cell's
  /// middle, 10; the 3/8 quantile a quarter into that cell, 10^0.75; the 1/8 quantile the first
  /// cell's middle, 1; the top the last cell's upper edge. Read off the grid values, 3/8 was 10.
  /// The grid's order does not matter.
  @Test func rateQuantilesAreSpreadOverTheirCells() {
    for (grid, masses) in [([1.0, 10, 100], [0.25, 0.5, 0.25]), ([100.0, 1, 10], [0.25, 0.25, 0.5])] {
      let q = ActivityModel.quantiles(of: grid, mass: { masses[$0] })
      for (p, expected) in [(0.5, 10.0), (0.375, Foundation.pow(10, 0.75)), (0.125, 1.0), (1.0, Foundation.pow(10, 2.5))] {
        #expect(abs(q(p) - expected) < 1e-9 * expected, "quantile \(p) of \(grid): \(q(p)) against \(expected)")
      }
    }
    // Weights need not add up to 1: a quantile is of their share.
    #expect(abs(ActivityModel.quantiles(of: [1, 10, 100], mass: { [1.0, 2, 1][$0] })(0.5) - 10) < 1e-9)
  }

  /// A base simulated from the model's own process with two kinds of customers and a known wake
  /// rate: the fit finds the wake rate and forecasts the next 180 days' purchases within 5%.
  @Test(arguments: [3, 4] as [UInt64])
  func recoversAPlantedBase(seed: UInt64) throws {
    var rng = RandomSource(seed: seed)
    let omega = 0.004
    var days: [[Int32]] = []
    var future = 0.0
    for c in 0..<8_000 {
      let (lambda, mu) = c % 4 == 0 ? (0.08, 0.004) : (0.012, 0.01)
      let first = Int32(rng.uniform() * 180)
      var list = [first]
      var t = Double(first), active = true
      var later = Set<Int32>()
      while true {
        let rate = active ? lambda + mu : omega
        t += rng.exponential() / rate
        if t >= 545 + 180 { break }
        if active && rng.uniform() < lambda / (lambda + mu) {
          if t < 545 { list.append(Int32(t)) } else { later.insert(Int32(t)) }
        } else {
          active.toggle()
        }
      }
      // Same-day purchases are one occasion, as ingest merges them.
      days.append(Array(Set(list)).sorted())
      future += Double(later.count)
    }
    let h = Self.history(days, through: 544)
    let model = try #require(ActivityModel.fit(h))
    #expect(model.wakeRate > omega / 2 && model.wakeRate < omega * 2, "wake rate \(model.wakeRate)")
    let o = model.outlook(h, intervals: [(from: 0, to: 180)])
    let predicted = o.purchases.reduce(0) { $0 + $1[0] }
    #expect(abs(predicted / future - 1) < 0.05, "predicted \(predicted), simulated \(future)")
    // The Pareto/NBD (no wake-up) misses what comes back: the planted returns are not noise.
    var dead = model
    dead.wakeRate = 0
    let calendar = ActivityClock(index: nil, period: nil, from: 0, through: 545)
    dead.runEM(LikelihoodGroups(h, customers: Array(0..<h.customerCount), clock: calendar), iterations: 400)
    let withoutReturns = dead.outlook(h, intervals: [(from: 0, to: 180)]).purchases.reduce(0) { $0 + $1[0] }
    #expect(withoutReturns < predicted * 0.95)
    #expect(dead.logLikelihood < model.logLikelihood)
  }

  /// `largest` (the outlook's maximum with four running maxima) finds the maximum in each of its
  /// four lanes and in the tail past the last four, as `Array.max` does; -infinity for nothing.
  @Test func largestFindsTheMaximumWhereverItIs() {
    for count in [1, 3, 4, 5, 8, 11] {
      for at in 0..<count {
        var values = (0..<count).map { -Double($0) - 1 }
        values[at] = 7
        #expect(ActivityPosteriors.largest(values) == 7, "\(count) values, the largest at \(at)")
      }
    }
    #expect(ActivityPosteriors.largest([]) == -.infinity)
    #expect(ActivityPosteriors.largest([-.infinity, -.infinity, -.infinity, -.infinity, -3]) == -3)
  }
}

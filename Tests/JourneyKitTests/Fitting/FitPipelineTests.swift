import Foundation
import JourneyKit
import Scratch
import Testing

/// Four customers whose monthly states were worked out by hand (lifecycle, --churn-after 3:
/// at risk after 1 quiet month, lapsed after 2-3, churned after more than 3; loyal = 3 of 4).
///
/// | customer | Jan  | Feb    | Mar   | Apr     | May    | Jun     | Jul     | Aug     |
/// |----------|------|--------|-------|---------|--------|---------|---------|---------|
/// | A        | new  | active | loyal | at_risk | lapsed | active  | at_risk | lapsed  |
/// | B        | lead | lead   | new   | at_risk | lapsed | lapsed  | churned | churned |
/// | C        |      | lead   | lead  | lead    | lead   | churned | churned | churned |
/// | D        |      |        |       |         |        |         | new (2) | active  |
/// E buys only after the as-of date and never enters.
@Suite("Fit pipeline on a hand-computed history")
struct HandComputedFitTests {
  var table: TransactionTable {
    TransactionTable(records: [
      .init("A", day("2024-01-05"), 10), .init("A", day("2024-02-10"), 20), .init("A", day("2024-03-03"), 30),
      .init("A", day("2024-06-01"), 40),
      .init("B", day("2024-01-20"), 0, .lead), .init("B", day("2024-03-15"), 50),
      .init("C", day("2024-02-01"), 0, .lead),
      .init("D", day("2024-07-10"), 5), .init("D", day("2024-07-20"), 7), .init("D", day("2024-08-02"), 100),
      .init("D", day("2024-08-05"), -10, .refund),
      .init("E", day("2024-09-02"), 60),
    ])
  }

  func fit(_ adjust: (inout FitOptions) -> Void = { _ in }) throws -> MarkovModel {
    var o = FitOptions()
    o.churnAfterPeriods = 3
    o.asOf = day("2024-08-31")
    o.estimator.prior = 0
    adjust(&o)
    return try ModelFitter.fit(table, options: o)
  }

  @Test func countsMatchTheHandCount() throws {
    let m = try fit()
    #expect(m.stateNames == ["lead", "new", "active", "loyal", "at_risk", "lapsed", "churned"])
    #expect(m.window.periodCount == 8)
    #expect(!m.window.droppedIncompletePeriod)
    let expected: [(String, String, Double)] = [
      ("lead", "lead", 4), ("lead", "new", 1), ("lead", "churned", 1),
      ("new", "active", 2), ("new", "at_risk", 1),
      ("active", "loyal", 1), ("active", "at_risk", 1),
      ("loyal", "at_risk", 1),
      ("at_risk", "lapsed", 3),
      ("lapsed", "active", 1), ("lapsed", "lapsed", 1), ("lapsed", "churned", 1),
      ("churned", "churned", 3),
    ]
    var n = Matrix(rowCount: 7, columnCount: 7)
    for (a, b, c) in expected { n[m.stateSpace.index(of: a)!, m.stateSpace.index(of: b)!] = c }
    #expect(m.counts.pooledMatrix == n)
    // MLE rows: lead -> lead 4/6, lead -> new 1/6, lead -> churned 1/6; churned absorbing.
    let p = m.matrix
    #expect(abs(p[0, 0] - 4.0 / 6) < 1e-15 && abs(p[0, 1] - 1.0 / 6) < 1e-15 && abs(p[0, 6] - 1.0 / 6) < 1e-15)
    #expect(p[6, 6] == 1)
    #expect(abs(p[1, 2] - 2.0 / 3) < 1e-15)
    #expect(p.isRowStochastic(tolerance: 1e-9))
  }

  @Test func occupancyAcquisitionsAndRewards() throws {
    let m = try fit()
    // August: A lapsed, B churned, C churned, D active.
    #expect(m.currentBase == [0, 0, 1, 0, 0, 1, 2])
    let c = m.counts
    #expect(c.acquisitions[0] == [1, 1, 0, 0, 0, 0, 0])  // Jan: B lead, A new
    #expect(c.acquisitions[1] == [1, 0, 0, 0, 0, 0, 0])  // Feb: C lead
    #expect(c.acquisitions[6] == [0, 1, 0, 0, 0, 0, 0])  // Jul: D new
    // "new" customer-periods: A Jan (1 occasion, 10), B Mar (1, 50), D Jul (2 occasions, 12).
    let new = m.rewards[1]
    #expect(new.customerPeriods == 3)
    #expect(abs(new.occasionsMean - 4.0 / 3) < 1e-12)
    #expect(abs(new.revenueMean - 24) < 1e-12)
    // "active": A Feb 20, A Jun 40, D Aug 100 - 10 refund.
    #expect(abs(m.rewards[2].revenueMean - (20.0 + 40 + 90) / 3) < 1e-12)
  }

  @Test func incompleteTrailingPeriodIsLeftOutAndSaid() throws {
    let m = try fit { $0.asOf = day("2024-09-15") }
    #expect(m.window.droppedIncompletePeriod)
    #expect(m.window.periodCount == 8)
    #expect(m.warnings.contains { $0.contains("2024-09") && $0.contains("incomplete") })
  }

  @Test func lifetimeValueSolvesTheBellmanEquation() throws {
    let m = try fit()
    let p = m.matrix
    let r = m.rewards.map(\.revenueMean)
    let v = m.analysis.lifetimeValue
    let d = m.analysis.discountPerPeriod
    // v = r + P v / (1 + d), and the truncated series sum_t (P/(1+d))^t r converges to it.
    let pv = p.multiplied(byColumnVector: v)
    for i in 0..<7 { #expect(abs(v[i] - (r[i] + pv[i] / (1 + d))) < 1e-9) }
    var series = [Double](repeating: 0, count: 7)
    var term = r
    for _ in 0..<2_000 {
      for i in 0..<7 { series[i] += term[i] }
      term = p.multiplied(byColumnVector: term).map { $0 / (1 + d) }
    }
    expectClose(series, v, tolerance: 1e-8)
    #expect(abs(m.analysis.customerEquity - zip(m.currentBase, v).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-9)
    #expect(abs(d - (pow(1.1, 1.0 / 12) - 1)) < 1e-15)
  }

  @Test func reactivationModeEstimatesTheWayBack() throws {
    // F churns (more than 3 quiet months) and comes back in month 6.
    let t = TransactionTable(records: [
      .init("F", day("2024-01-05"), 10), .init("F", day("2024-06-05"), 10), .init("F", day("2024-07-05"), 10),
      .init("G", day("2024-01-05"), 10), .init("G", day("2024-07-31"), 10),
    ])
    var o = FitOptions()
    o.churnAfterPeriods = 3
    o.estimator.prior = 0
    let absorbing = try ModelFitter.fit(t, options: o)
    #expect(absorbing.counts.reactivations.flatMap { $0 }.reduce(0, +) == 2)
    #expect(absorbing.matrix[6, 6] == 1)
    o.reactivation = true
    let open = try ModelFitter.fit(t, options: o)
    #expect(open.counts.reactivations.flatMap { $0 }.reduce(0, +) == 0)
    #expect(open.matrix[6, 6] < 1)
    #expect(!open.stateSpace.states[6].isAbsorbing)
  }

  @Test func tooShortWindowIsAClearError() {
    let t = TransactionTable(records: [.init("A", day("2024-01-05"), 10)])
    #expect {
      try ModelFitter.fit(t, options: FitOptions())
    } throws: { error in
      "\(error)".contains("at least 2 are needed")
    }
  }

  @Test func unknownSplitColumnNamesTheAvailableOnes() {
    var o = FitOptions()
    o.splitBy = "region"
    o.asOf = day("2024-08-31")
    #expect(throws: FitError.unknownSplitColumn(name: "region", available: [])) { try ModelFitter.fit(table, options: o) }
  }
}

@Suite("Fit recovers known truths")
struct RecoveryTests {
  @Test func knownChainIsRecoveredFromSimulatedSequences() {
    // 5,000 sequences of 12 steps from a known 4-state chain; each estimate within 4 binomial SEs.
    let truth = Matrix(rows: [[0.7, 0.2, 0.1, 0], [0.1, 0.6, 0.2, 0.1], [0.05, 0.15, 0.5, 0.3], [0, 0, 0, 1]])
    var rng = RandomSource(seed: 99)
    var sequences: [[Int]] = []
    for _ in 0..<5_000 {
      var s = [Int(rng.next() % 3)]
      for _ in 0..<12 {
        let u = rng.uniform()
        var acc = 0.0
        var next = 3
        for j in 0..<4 {
          acc += truth[s.last!, j]
          if u < acc {
            next = j
            break
          }
        }
        s.append(next)
      }
      sequences.append(s)
    }
    let n = TransitionCounts.pooled(sequences: sequences, stateCount: 4)
    for i in 0..<3 {
      let total = n.row(i).reduce(0, +)
      for j in 0..<4 {
        let p = n[i, j] / total
        let se = (truth[i, j] * (1 - truth[i, j]) / total).squareRoot()
        #expect(abs(p - truth[i, j]) <= 4 * se + 1e-12, "P[\(i)][\(j)] = \(p), truth \(truth[i, j])")
      }
    }
  }

  @Test func generatorPurchaseProbabilityIsRecovered() throws {
    // Customers who never drop out and buy at a fixed rate of 0.6 a month: after a quiet month
    // (at risk), the chance of buying in the next month is 1 - exp(-0.6 days/30.4375),
    // averaged over month lengths, which is what the fitted at_risk row must show.
    var g = GeneratorParameters()
    g.customers = 20_000
    g.seed = 5
    g.purchaseRateShape = 1e6
    g.dropoutAlpha = 1e-9
    g.dropoutBeta = 1e9
    g.purchaseSeasonality = 0
    g.leadShare = 0
    g.refundRate = 0
    let history = try SyntheticHistoryGenerator.generate(g)
    var o = FitOptions()
    o.estimator.prior = 0
    let m = try ModelFitter.fit(TransactionTable(history: history), options: o)
    let s = m.stateSpace
    let atRisk = s.index(of: "at_risk")!
    let buying = [s.index(of: "active")!, s.index(of: "loyal")!]
    let p = m.matrix
    let fitted = buying.reduce(0.0) { $0 + p[atRisk, $1] }
    // Mean over the calendar months of the window.
    let months = (m.window.firstPeriod + 1...m.window.lastPeriod).map { m.window.period.end(of: $0).components.day }
    let expected = months.reduce(0.0) { $0 + 1 - exp(-0.6 * Double($1) / 30.4375) } / Double(months.count)
    let n = m.counts.rowTotals[atRisk]
    let se = (expected * (1 - expected) / n).squareRoot()
    #expect(abs(fitted - expected) < 4 * se, "fitted \(fitted), expected \(expected) (se \(se))")
  }

  @Test(arguments: ["lifecycle", "value", "rfm"])
  func everySpaceCountsEveryCustomerPeriodOnce(space: String) throws {
    // Whatever the states, every customer is followed from entry to the end of the window:
    // the occupancy of each period is the previous one plus that period's entrants, each step's
    // transitions and comebacks leave from exactly the previous period's occupants, and the current
    // base holds every customer who entered by the window's end (counted here from the rows).
    var g = GeneratorParameters()
    g.customers = 4_000
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.stateSpace = space == "value" ? .value : space == "rfm" ? .rfm(levels: 5) : .lifecycle
    let m = try ModelFitter.fit(table, options: o)
    let c = m.counts
    #expect(m.stateSpace.count == (space == "value" ? 12 : space == "rfm" ? 127 : 7))
    let endDay = m.window.period.end(of: m.window.lastPeriod).dayNumber
    var entered = Set<Int>()
    for c in 0..<table.customerCount {
      for r in table.rows(of: c) where table.day[r] <= endDay && table.event[r] != .refund { entered.insert(c) }
    }
    #expect(m.currentBase.reduce(0, +) == Double(entered.count))
    #expect(c.occupancy[c.periodCount - 1] == m.currentBase)
    for t in 1..<c.periodCount {
      let before: Double = c.occupancy[t - 1].reduce(0, +)
      let entrants: Double = c.acquisitions[t].reduce(0, +)
      let now: Double = c.occupancy[t].reduce(0, +)
      #expect(now == before + entrants, "period \(t)")
      var leaving = [Double](repeating: 0, count: m.stateSpace.count)
      for cell in c.perPeriod[t - 1] { leaving[Int(cell.from)] += cell.count }
      let comebacks: Double = c.reactivations[t].reduce(0, +)
      let moved: Double = leaving.reduce(0, +)
      #expect(moved + comebacks == before, "step \(t)")
    }
    #expect(m.matrix.isRowStochastic(tolerance: 1e-9))
    // The model survives a round trip through its JSON file, counts and base included.
    let path = Scratch.path("model-\(space)", suffix: ".json").path
    try AtomicFile.write(try m.json(), to: path)
    let loaded = try MarkovModel.load(path: path)
    #expect(loaded.transitionMatrix == m.transitionMatrix)
    #expect(loaded.stateSpace == m.stateSpace)
    #expect(loaded.currentBase == m.currentBase && loaded.counts.pooled == m.counts.pooled)
    #expect(loaded.analysis.customerEquity == m.analysis.customerEquity)
  }

  @Test func frequencyAndRecencyFrequencyCutsFromTheHandHistory() throws {
    // The hand-computed history of `HandComputedFitTests` (A, B, C, D; churn after 3 months).
    // Buyer customer-periods (neither lead nor churned) and their purchases in the trailing
    // 12 months: A Jan-Aug 1 2 3 3 3 4 4 4; B Mar-Jun 1 1 1 1; D Jul 2 (two days), Aug 3 (refund
    // is not a purchase). Sorted: 1 x5, 2 x2, 3 x4, 4 x3 (14 values, type-7 quantiles):
    // median: h = 6.5, between 2 and 3: 2.5. Thirds: h = 4.33 -> 1 + 1/3 (2 - 1); h = 8.67 -> 3.
    let rf2 = try HandComputedFitTests().fit { $0.stateSpace = .recencyFrequency(levels: 2) }
    let cuts2 = try #require(rf2.stateSpace.rfmCuts)
    #expect(cuts2.frequency == [2.5] && cuts2.recency.isEmpty && cuts2.monetary.isEmpty)
    let rf3 = try HandComputedFitTests().fit { $0.stateSpace = .recencyFrequency(levels: 3) }
    let cuts3 = try #require(rf3.stateSpace.rfmCuts?.frequency)
    expectClose(cuts3, [4.0 / 3, 3], tolerance: 1e-12)
    #expect(rf3.stateSpace.count == 3 + 3 * 4)

    // rf:2 paths (F1: 2 purchases or fewer in 12 months, F2: 3 or more):
    // A new, bought|F1, bought|F2, quiet1|F2, quiet2|F2, bought|F2, quiet1|F2, quiet2|F2;
    // B lead, lead, new, quiet1|F1, quiet2|F1, quiet3|F1, churned, churned;
    // C lead x4, churned x3; D new, bought|F2.
    #expect(rf2.stateNames == [
      "lead", "new", "bought|F1", "quiet1|F1", "quiet2|F1", "quiet3|F1", "bought|F2", "quiet1|F2", "quiet2|F2", "quiet3|F2", "churned",
    ])
    let expected: [(String, String, Double)] = [
      ("lead", "lead", 4), ("lead", "new", 1), ("lead", "churned", 1),
      ("new", "bought|F1", 1), ("new", "quiet1|F1", 1), ("new", "bought|F2", 1),
      ("bought|F1", "bought|F2", 1), ("bought|F2", "quiet1|F2", 2), ("quiet1|F2", "quiet2|F2", 2), ("quiet2|F2", "bought|F2", 1),
      ("quiet1|F1", "quiet2|F1", 1), ("quiet2|F1", "quiet3|F1", 1), ("quiet3|F1", "churned", 1),
      ("churned", "churned", 3),
    ]
    expectCounts(rf2, expected)
  }

  @Test func rfmCutsAndCellsFromTheHandHistory() throws {
    // rfm:2 on the same customer-periods. Months since the last purchase: A 0 0 0 1 2 0 1 2,
    // B 0 1 2 3, D 0 0: sorted 0 x7, 1 x3, 2 x3, 3 -> median between 0 and 1: 0.5.
    // Spend in the trailing 12 months: A 10 30 60 60 60 100 100 100, B 50 x4, D 12, 102:
    // sorted 10 12 30 50 50 50 50 | 60 60 60 100 100 100 102 -> median (50 + 60) / 2 = 55.
    // Frequency as for rf: 2.5.
    let m = try HandComputedFitTests().fit { $0.stateSpace = .rfm(levels: 2) }
    let cuts = try #require(m.stateSpace.rfmCuts)
    #expect(cuts.recency == [0.5])
    #expect(cuts.frequency == [2.5])
    #expect(cuts.monetary == [55])
    // Cells (R2 = bought this month): A R2F1M1, R2F1M1, R2F2M2, R1F2M2, R1F2M2, R2F2M2, R1F2M2,
    // R1F2M2; B lead, lead, R2F1M1, R1F1M1 x3, churned x2; C lead x4, churned x3;
    // D R2F1M1, R2F2M2 (3 purchases, 102).
    let expected: [(String, String, Double)] = [
      ("lead", "lead", 4), ("lead", "R2F1M1", 1), ("lead", "churned", 1),
      ("R2F1M1", "R2F1M1", 1), ("R2F1M1", "R2F2M2", 2), ("R2F1M1", "R1F1M1", 1),
      ("R2F2M2", "R1F2M2", 2), ("R1F2M2", "R1F2M2", 2), ("R1F2M2", "R2F2M2", 1),
      ("R1F1M1", "R1F1M1", 2), ("R1F1M1", "churned", 1),
      ("churned", "churned", 3),
    ]
    expectCounts(m, expected)
    #expect(m.currentBase[m.stateSpace.index(of: "R1F2M2")!] == 1 && m.currentBase[m.stateSpace.index(of: "R2F2M2")!] == 1)
  }

  func expectCounts(_ m: MarkovModel, _ expected: [(String, String, Double)], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let s = m.stateSpace.count
    var n = Matrix(rowCount: s, columnCount: s)
    for (a, b, c) in expected { n[m.stateSpace.index(of: a)!, m.stateSpace.index(of: b)!] = c }
    for i in 0..<s {
      for j in 0..<s where m.counts.pooledMatrix[i, j] != n[i, j] {
        Issue.record("\(m.stateNames[i]) -> \(m.stateNames[j]): counted \(m.counts.pooledMatrix[i, j]), by hand \(n[i, j])", sourceLocation: sourceLocation)
      }
    }
  }

  @Test func recencyFrequencyParsing() throws {
    #expect(throws: FitError.self) { try StateSpaceKind.parse("rf:1") }
    #expect(try StateSpaceKind.parse("rf:3") == .recencyFrequency(levels: 3))
    #expect(try StateSpaceKind.parse("rf") == .recencyFrequency(levels: 4))
  }

  @Test func splitByGivesThousandsOfStates() throws {
    // 7 lifecycle states x 150 regions = 1,050 states.
    var g = GeneratorParameters()
    g.customers = 6_000
    let h = try SyntheticHistoryGenerator.generate(g)
    let records = (0..<h.rowCount).map { r in
      TransactionRecord(
        h.customerID(Int(h.customer[r])), CalendarDay(dayNumber: h.day[r]), Double(h.amountCents[r]) / 100, h.event[r],
        attributes: ["region": "R\(Int(h.customer[r]) % 150)"])
    }
    var o = FitOptions()
    o.splitBy = "region"
    let m = try ModelFitter.fit(TransactionTable(records: records), options: o)
    #expect(m.stateSpace.count == 1_050)
    #expect(m.stateNames.contains("active|R17"))
    #expect(m.matrix.isRowStochastic(tolerance: 1e-9))
    // Customers never change region, so no transition crosses regions.
    for cell in m.counts.perPeriod.flatMap({ $0 }) { #expect(cell.from / 7 == cell.to / 7) }
  }
}

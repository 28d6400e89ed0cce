import Foundation
import JourneyKit
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
  func everySpaceFitsGeneratedDataWithStochasticRows(space: String) throws {
    var g = GeneratorParameters()
    g.customers = 4_000
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.stateSpace = space == "value" ? .value : space == "rfm" ? .rfm(levels: 5) : .lifecycle
    let m = try ModelFitter.fit(table, options: o)
    #expect(m.matrix.isRowStochastic(tolerance: 1e-9))
    #expect(m.stateSpace.count == (space == "value" ? 12 : space == "rfm" ? 127 : 7))
    #expect(m.analysis.lifetimeValue.allSatisfy { $0.isFinite })
    #expect(m.analysis.customerEquity > 0)
    // The model survives a round trip through its JSON file.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journey-model-\(space)-\(UUID().uuidString).json").path
    try AtomicFile.write(try m.json(), to: dir)
    let loaded = try MarkovModel.load(path: dir)
    #expect(loaded.transitionMatrix == m.transitionMatrix)
    #expect(loaded.stateSpace == m.stateSpace)
    try? FileManager.default.removeItem(atPath: dir)
  }

  @Test func recencyFrequencyStatesKeepChurnTimingExact() throws {
    var g = GeneratorParameters()
    g.customers = 4_000
    let table = TransactionTable(history: try SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.stateSpace = try StateSpaceKind.parse("rf")
    let m = try ModelFitter.fit(table, options: o)
    guard case let .recencyFrequency(k) = m.stateSpace.kind else { Issue.record("not rf"); return }
    let c = m.stateSpace.rules.churnAfterPeriods
    #expect(m.stateSpace.count == 3 + k * (c + 1))
    #expect(m.matrix.isRowStochastic(tolerance: 1e-9))
    let names = m.stateNames
    for (i, from) in names.enumerated() where from.hasPrefix("quiet") {
      let q = Int(from.dropFirst(5).prefix { $0.isNumber })!
      for (j, to) in names.enumerated() where m.transitionMatrix[i][j] > 0 {
        // A quiet customer buys, goes one period quieter, or (only from the last quiet state) churns.
        let allowed = to.hasPrefix("bought") || to.hasPrefix("quiet\(q + 1)|") || (q == c && to == "churned")
        #expect(allowed, "\(from) -> \(to)")
      }
    }
    #expect(throws: FitError.self) { try StateSpaceKind.parse("rf:1") }
    #expect(try StateSpaceKind.parse("rf:3") == .recencyFrequency(levels: 3))
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

import Foundation

/// The evaluation's whole verdict on simulated holdouts drawn from a table's customers:
/// the primary test and the fallback over every other measure, by the very code
/// `ControlledEvaluation.run` uses (`measureEstimates`, `judge`).
///
/// Every customer of the table is tallied twice, once per customer (`WindowTally` with a bucket
/// of its own): without the lever, and with the lever's change to its buying after the launch
/// (`RolloutDesign.runOnData` builds both tables). A replicate draws customers with replacement
/// (customers of the launch base and the others, leads and entrants, as many of each as asked), holds each out at random, adds the drawn customers' tallies into
/// the evaluation's buckets (draw d in bucket `WindowTally.bucket(of: d)`, the treated with the
/// change, the control without) and judges the result as the evaluation would, with and without
/// the change, on the same draws and bootstrap resamples.
struct VerdictSimulation: Sendable {
  /// The table's customer-periods, per customer: windows before and after the launch.
  let plain: WindowTally
  /// The same with the lever's change on every customer.
  let changed: WindowTally
  /// Per customer of the table: whether it is in the launch base.
  let inBase: [Bool]
  /// Customers of the table in the launch base, and the others.
  let baseCustomers: [Int], otherCustomers: [Int]
  /// Per customer of the table: its index in the primary test's outcomes (`DormancyOutcomes`:
  /// every customer with a purchase by the after window's end), or -1.
  let outcomeIndex: [Int]
  /// Per outcome: the covariates (as columns), and the dormancy score without and with the change.
  let covariates: [[Double]], scores: [DormancyScore], scoresChanged: [DormancyScore]
  let space: StateSpace
  let alpha: Double
  let bootstrap: Int
  let postPeriods: Int

  /// One replicate's verdicts, without and with the change.
  struct Outcome: Sendable {
    var nullFound: Bool
    var effectFound: Bool
    var nullPrimary: LaunchBaseComparison?
    var effectPrimary: LaunchBaseComparison?
  }

  /// - Parameters:
  ///   - launch: the day the change acts from (the after window's first day).
  ///   - model: the activity model of the history before the launch, as the evaluation fits it.
  init(
    plainTable: TransactionTable, changedTable: TransactionTable, space: StateSpace, before: Range<Int>, after: Range<Int>,
    launch: CalendarDay, model: ActivityModel, alpha: Double, bootstrap: Int
  ) {
    let windows = [before, after]
    plain = WindowTally.tally(plainTable, space: space, lastPeriod: after.upperBound - 1, windows: windows, countingMoves: true, perCustomer: true)
    changed = WindowTally.tally(changedTable, space: space, lastPeriod: after.upperBound - 1, windows: windows, countingMoves: true, perCustomer: true)
    let base = LaunchBase.collect(plainTable, space: space, before: before, after: after)
    var member = [Bool](repeating: false, count: plainTable.customerCount)
    for c in base.customers { member[c] = true }
    inBase = member
    baseCustomers = base.customers
    otherCustomers = member.indices.filter { !member[$0] }
    // Both worlds score the same customers: those with a purchase in either (a lever on
    // conversion gives some leads their first purchase in one world only).
    let end = space.period.end(of: after.upperBound - 1).dayNumber
    func buyers(_ table: TransactionTable) -> Set<Int> {
      Set((0..<table.customerCount).filter { c in table.rows(of: c).contains { table.event[$0] == .purchase && table.day[$0] <= end } })
    }
    let tested = buyers(plainTable).union(buyers(changedTable)).sorted()
    let outcomes = DormancyOutcomes.collect(plainTable, space: space, before: before, after: after, launch: launch, model: model, customers: tested)
    let outcomesChanged = DormancyOutcomes.collect(
      changedTable, space: space, before: before, after: after, launch: launch, model: model, customers: tested)
    var index = [Int](repeating: -1, count: plainTable.customerCount)
    for (k, c) in outcomes.customers.enumerated() { index[c] = k }
    outcomeIndex = index
    covariates = outcomes.covariates
    scores = outcomes.scores
    scoresChanged = outcomesChanged.scores
    self.space = space
    self.alpha = alpha
    self.bootstrap = bootstrap
    postPeriods = after.count
  }

  /// Customers of the table.
  var customerCount: Int { outcomeIndex.count }
  /// Customers of the launch base.
  var baseCount: Int { baseCustomers.count }

  /// Replicate `r`: `baseDraws` customers of the launch base and `otherDraws` others (none when
  /// there are none), each held out with chance `controlShare`.
  func replicate(_ r: Int, baseDraws: Int, otherDraws: Int, controlShare: Double, seed: UInt64) -> Outcome {
    var rng = RandomSource(seed: seed, stream: UInt64(r) &+ 0x7E4D)
    let s = space.count
    let terms = WindowTally.Term.allCases.count
    var nullTally = WindowTally(windows: 4, moveCells: s * s), effectTally = nullTally
    var x = covariates.map { _ in [Double]() }, y = [DormancyScore](), yChanged = [DormancyScore](), treatedInTest = [Bool]()
    let draws = baseDraws + (otherCustomers.isEmpty ? 0 : otherDraws)
    for d in 0..<draws {
      let pool = d < baseDraws ? baseCustomers : otherCustomers
      let c = pool[Int(rng.next() % UInt64(pool.count))]
      let isTreated = rng.uniform() >= controlShare
      let group = isTreated ? 0 : 1
      let bucket = WindowTally.bucket(of: d)
      for w in 0..<2 {
        let from = plain.offset(w, c), to = nullTally.offset(group * 2 + w, bucket)
        let fromMoves = plain.moveOffset(w, c), toMoves = nullTally.moveOffset(group * 2 + w, bucket)
        let source = isTreated ? changed : plain
        for k in 0..<terms {
          nullTally.sums[to + k] += plain.sums[from + k]
          effectTally.sums[to + k] += source.sums[from + k]
        }
        for k in 0..<(s * s) {
          nullTally.moves[toMoves + k] += plain.moves[fromMoves + k]
          effectTally.moves[toMoves + k] += source.moves[fromMoves + k]
        }
      }
      let b = outcomeIndex[c]
      if b >= 0 {
        for j in covariates.indices { x[j].append(covariates[j][b]) }
        y.append(scores[b])
        yChanged.append(isTreated ? scoresChanged[b] : scores[b])
        treatedInTest.append(isTreated)
      }
    }
    // Both worlds see the same bootstrap resamples.
    let resamples = rng
    func verdict(_ tally: WindowTally, outcome: [DormancyScore]) -> (found: Bool, primary: LaunchBaseComparison?) {
      var bootstrapRNG = resamples
      let catalogue = MeasureCatalogue(space: space, tally: tally, groups: 2, windows: 2)
      var estimates = ControlledEvaluation.measureEstimates(catalogue, bootstrap: bootstrap, rng: &bootstrapRNG, alpha: alpha, postPeriods: postPeriods).estimates
      let primary = DormancyOutcomes.compare(scores: outcome, covariates: x, treated: treatedInTest, alpha: alpha)
      let test = ControlledEvaluation.judge(primary: primary, estimates: &estimates, alpha: alpha)
      return (test.primaryFlagged || estimates.contains(where: \.flagged), primary)
    }
    let null = verdict(nullTally, outcome: y), effect = verdict(effectTally, outcome: yChanged)
    return Outcome(nullFound: null.found, effectFound: effect.found, nullPrimary: null.primary, effectPrimary: effect.primary)
  }
}

extension TransactionTable {
  /// The table with each customer's buying changed over the periods `from ..< from + k` from
  /// chance `plain[c][t]` to chance `changed[c][t]` of buying in period `from + t` (k the rows'
  /// length; customers with an empty row are left as they are):
  ///
  /// ```
  /// a quiet period gains a purchase with chance (changed - plain) / (1 - plain)   when changed > plain
  /// a buying period loses its purchases with chance (plain - changed) / plain     when changed < plain
  /// ```
  ///
  /// so that, if the customer buys with chance `plain` in the data, it buys with chance
  /// `changed` after (each period on its own: a customer who stays active keeps buying for
  /// several periods, which this spreads over periods independently). An added purchase falls
  /// on a random day of the period, with the customer's mean purchase amount (the table's when
  /// it has none). Leads and refunds stay.
  func withBuyingChanged(
    period: PeriodKind, from: Int, plain: [[Double]], changed: [[Double]], rng: inout RandomSource
  ) -> TransactionTable {
    precondition(plain.count == customerCount && changed.count == customerCount, "one row of chances per customer")
    let tableMean = meanPurchaseAmount(rows: 0..<rowCount, otherwise: 0)
    var day: [Int32] = [], amount: [Double] = [], event: [TransactionEvent] = []
    var rowStart = [0]
    day.reserveCapacity(rowCount)
    amount.reserveCapacity(rowCount)
    event.reserveCapacity(rowCount)
    for c in 0..<customerCount {
      let rows = self.rows(of: c)
      let k = plain[c].count
      var dropped = Set<Int>()
      var added: [(day: Int32, amount: Double)] = []
      if k > 0 {
        let own = rows.filter { self.event[$0] == .purchase }
        let mean = meanPurchaseAmount(rows: rows, otherwise: tableMean)
        for t in 0..<k {
          let p = from + t
          let start = Int32(period.start(of: p).dayNumber), end = Int32(period.end(of: p).dayNumber)
          let bought = own.contains { self.day[$0] >= start && self.day[$0] <= end }
          let q = plain[c][t], q2 = changed[c][t]
          let u = rng.uniform()
          if q2 > q && !bought && q < 1 {
            if u < (q2 - q) / (1 - q) {
              added.append((start + Int32(rng.next() % UInt64(end - start + 1)), mean))
            }
          } else if q2 < q && bought && q > 0 {
            if u < (q - q2) / q { dropped.insert(p) }
          }
        }
      }
      var merged: [(day: Int32, amount: Double, event: TransactionEvent)] = rows.compactMap { r in
        let p = period.index(of: CalendarDay(dayNumber: self.day[r]))
        return self.event[r] == .purchase && dropped.contains(p) ? nil : (self.day[r], self.amount[r], self.event[r])
      }
      if !added.isEmpty {
        merged += added.map { ($0.day, $0.amount, .purchase) }
        // Stable: rows of one day keep their order, an added purchase after them.
        merged = merged.enumerated().sorted { ($0.element.day, $0.offset) < ($1.element.day, $1.offset) }.map(\.element)
      }
      for row in merged {
        day.append(row.day)
        amount.append(row.amount)
        event.append(row.event)
      }
      rowStart.append(day.count)
    }
    return TransactionTable(
      customerIDs: customerIDs, day: day, amount: amount, event: event, rowStart: rowStart, attributes: attributes)
  }
}

extension TransactionTable {
  /// The table (ending before period `from`) with a future after it: customer c makes
  /// `purchases[c][t]` purchases on random days of period `from + t` (customers with an empty row
  /// get none), each with the customer's mean purchase amount (the table's when it has none); and
  /// the customers `entrants` again, as new customers after the others (id + "@next"), with their
  /// rows moved `shift` periods on (each to the same day of its period, or the period's last).
  /// Attributes carry over to the copies. The random days come from `seed`, one stream per
  /// customer, so two futures that agree on a customer's purchase counts agree on its days.
  /// With `entrantPurchases` (one row per entrant), an entrant's purchases after its first are
  /// those days instead of its own moved ones, each with its mean purchase amount.
  func withFuture(
    period: PeriodKind, from: Int, purchases: [[Int]], entrants: [Int], shift: Int, seed: UInt64, entrantPurchases: [[Int32]]? = nil
  ) -> TransactionTable {
    precondition(purchases.count == customerCount, "one row of purchases per customer")
    let tableMean = meanPurchaseAmount(rows: 0..<rowCount, otherwise: 0)
    var day: [Int32] = [], amount: [Double] = [], event: [TransactionEvent] = []
    var rowStart = [0]
    for c in 0..<customerCount {
      let rows = self.rows(of: c)
      for r in rows {
        day.append(self.day[r])
        amount.append(self.amount[r])
        event.append(self.event[r])
      }
      if purchases[c].contains(where: { $0 > 0 }) {
        let mean = meanPurchaseAmount(rows: rows, otherwise: tableMean)
        var rng = RandomSource(seed: seed, stream: UInt64(c) &+ 0xF07E_0000)
        for (t, count) in purchases[c].enumerated() where count > 0 {
          let start = Int32(period.start(of: from + t).dayNumber), end = Int32(period.end(of: from + t).dayNumber)
          let added = (0..<count).map { _ in start + Int32(rng.next() % UInt64(end - start + 1)) }.sorted()
          for d in added {
            day.append(d)
            amount.append(mean)
            event.append(.purchase)
          }
        }
      }
      rowStart.append(day.count)
    }
    for (k, c) in entrants.enumerated() {
      var seenPurchase = false
      for r in rows(of: c) {
        // With drawn purchases, the entrant's own purchases after its first give way to them.
        if entrantPurchases != nil && seenPurchase && self.event[r] == .purchase { continue }
        if self.event[r] == .purchase { seenPurchase = true }
        day.append(movedDay(self.day[r], period: period, shift: shift))
        amount.append(self.amount[r])
        event.append(self.event[r])
      }
      if let drawn = entrantPurchases?[k], !drawn.isEmpty {
        let mean = meanPurchaseAmount(rows: rows(of: c), otherwise: tableMean)
        for d in drawn {
          day.append(d)
          amount.append(mean)
          event.append(.purchase)
        }
      }
      rowStart.append(day.count)
    }
    let moved = attributes.mapValues { a in CustomerAttribute(levels: a.levels, levelOfCustomer: a.levelOfCustomer + entrants.map { a.levelOfCustomer[$0] }) }
    return TransactionTable(
      customerIDs: customerIDs + entrants.map { customerIDs[$0] + "@next" }, day: day, amount: amount, event: event,
      rowStart: rowStart, attributes: moved)
  }
}

extension TransactionTable {
  /// Day `day` moved `shift` periods on: the same day of its period, or the period's last.
  func movedDay(_ day: Int32, period: PeriodKind, shift: Int) -> Int32 {
    let p = period.index(of: CalendarDay(dayNumber: day))
    let offset = day - period.start(of: p).dayNumber
    return min(period.start(of: p + shift).dayNumber + offset, period.end(of: p + shift).dayNumber)
  }

  /// The mean amount of the purchases among `rows`, or `otherwise` when there are none: what a
  /// drawn purchase of a customer (or of the table) is worth.
  func meanPurchaseAmount(rows: Range<Int>, otherwise: Double) -> Double {
    var count = 0.0, spend = 0.0
    for r in rows where event[r] == .purchase {
      count += 1
      spend += amount[r]
    }
    return count > 0 ? spend / count : otherwise
  }
}

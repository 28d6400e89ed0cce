/// The measures a comparison between groups tests: KPIs that are rates or means (not counts,
/// the groups differ in size) and the common moves of the chain, computed from a tally with
/// one copy of its windows per group.
///
/// `active_share` (purchasing customer-periods per customer-period of everyone who has bought,
/// churned included) answers at once to anything that keeps customers buying. Rows out of lead
/// and new are the KPIs lead_conversion and second_purchase_conversion already; a row with two
/// common moves tests one (the other is its complement): every test spent on a repeat costs the
/// others power under the false-discovery control.
struct MeasureCatalogue {
  static let kpiNames: Set<String> = [
    "churn_rate", "lead_conversion", "second_purchase_conversion", "repeat_purchase_rate", "purchase_frequency",
    "average_order_value", "revenue_per_active_customer", "upgrade_rate", "downgrade_rate",
  ]
  /// A move is tested when it takes at least this share of its row and the row has this many
  /// customer-periods in every group and window set.
  static let minimumMoveShare = 0.02
  static let minimumRowCount = 200.0

  let space: StateSpace
  let tally: WindowTally
  let groups: Int
  let windows: Int
  let kpiIndices: [Int]
  private(set) var moves: [(from: Int, to: Int)] = []
  private(set) var names: [String] = []
  var count: Int { names.count }
  var kpiCount: Int { kpiIndices.count + 1 }

  /// Sums of a window's terms and moves: [group][window].
  struct Totals {
    var terms: [[[Double]]]
    var moves: [[[Double]]]
  }

  /// - Parameter windowSets: sets of windows in which every tested move's row must have
  ///   `minimumRowCount` customer-periods, in every group (nil: each window alone).
  init(space: StateSpace, tally: WindowTally, groups: Int, windows: Int, windowSets: [Range<Int>]? = nil) {
    self.space = space
    self.tally = tally
    self.groups = groups
    self.windows = windows
    kpiIndices = RolloutEvaluation.definitions.indices.filter { Self.kpiNames.contains(RolloutEvaluation.definitions[$0].name) }
    let s = space.count
    let observed = totals(nil)
    let sets = windowSets ?? (0..<windows).map { $0..<($0 + 1) }
    func rowCount(_ i: Int, group g: Int, _ set: Range<Int>) -> Double {
      set.reduce(0.0) { acc, w in acc + observed.moves[g][w][(i * s)..<((i + 1) * s)].reduce(0, +) }
    }
    // A tally without moves gives the KPIs alone.
    for i in 0..<s where tally.moveCells > 0 && !space.states[i].isAbsorbing && ![Stage.lead, .new].contains(space.states[i].stage) {
      guard (0..<groups).allSatisfy({ g in sets.allSatisfy { rowCount(i, group: g, $0) >= Self.minimumRowCount } }) else { continue }
      var row = [Double](repeating: 0, count: s)
      for g in 0..<groups { for w in 0..<windows { for j in 0..<s { row[j] += observed.moves[g][w][i * s + j] } } }
      let total = row.reduce(0, +)
      let common = (0..<s).filter { row[$0] / total >= Self.minimumMoveShare }
      let kept = common.count == 2 ? Array(common.filter { $0 != i }.prefix(1)) : common
      moves += kept.map { (i, $0) }
    }
    names = ["active_share"] + kpiIndices.map { RolloutEvaluation.definitions[$0].name }
      + moves.map { "\(space.states[$0.from].name) -> \(space.states[$0.to].name)" }
  }

  /// Every group's and window's totals, with bucket weights per group (nil: the data itself).
  func totals(_ weights: [[Double]]?) -> Totals {
    var terms: [[[Double]]] = [], moves: [[[Double]]] = []
    for g in 0..<groups {
      terms.append((0..<windows).map { tally.totals(window: g * windows + $0, weights: weights?[g]) })
      moves.append((0..<windows).map { tally.moveTotals(window: g * windows + $0, weights: weights?[g]) })
    }
    return Totals(terms: terms, moves: moves)
  }

  /// The measures of the customers of `groups` over the periods of `windows` (nil where a
  /// denominator is 0).
  func values(_ t: Totals, groups: [Int], windows: Range<Int>) -> [Double?] {
    let s = space.count
    var terms = [Double](repeating: 0, count: WindowTally.Term.allCases.count)
    var moveCounts = [Double](repeating: 0, count: s * s)
    for g in groups {
      for w in windows {
        for k in terms.indices { terms[k] += t.terms[g][w][k] }
        for k in t.moves[g][w].indices where t.moves[g][w][k] != 0 { moveCounts[k] += t.moves[g][w][k] }
      }
    }
    let kpis = RolloutEvaluation.kpiValues(terms, periods: max(1, windows.count))
    let buyerPeriods = terms[WindowTally.Term.buyerPeriods.rawValue]
    var out: [Double?] = [buyerPeriods > 0 ? terms[WindowTally.Term.buying.rawValue] / buyerPeriods : nil]
    out += kpiIndices.map { kpis[$0] }
    for (i, j) in moves {
      let row = moveCounts[(i * s)..<((i + 1) * s)].reduce(0, +)
      out.append(row > 0 ? moveCounts[i * s + j] / row : nil)
    }
    return out
  }

  func isMove(_ k: Int) -> Bool { k >= kpiCount }

  /// Periods of no purchase a customer needs before measure `k` can move.
  func lag(_ k: Int) -> Int {
    if isMove(k) { return ControlledEvaluation.lagPeriods(to: space.states[moves[k - kpiCount].to].stage, rules: space.rules) }
    return names[k] == "churn_rate" ? space.rules.churnAfterPeriods + 1 : 0
  }
}

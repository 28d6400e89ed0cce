import Foundation

/// Which moves between states changed at the launch beyond their pre-launch trend: an
/// interrupted time series per move.
///
/// A plain pre-vs-post test of homogeneity flags every row of a large base, because the mix of
/// customers inside a state drifts as the base ages even when nothing is done. So each move's
/// probability is taken per period; a straight line through the pre-launch periods is
/// extrapolated over the post window; the post periods' mean is set against it with a t-test
/// whose variance comes from the periods' own scatter around the line (never below the binomial
/// noise). When the pre-launch model has seasons, each period's probability is first adjusted by
/// its season's offset from the pooled matrix, so the seasons do not pass for a trend or a break.
/// A row's p-value is its smallest move p-value times the moves tested (Bonferroni); rows
/// are Holm-adjusted.
enum TransitionTrends {
  /// Periods whose row has fewer customers are too noisy to be a point of the series.
  static let minimumRowCount = 10.0
  /// Moves taking less of the row than this are not tested.
  static let minimumShare = 0.02
  static let maximumMovesPerRow = 5

  struct MoveTest {
    var to: Int
    var pre: Double
    var expected: Double
    var post: Double
    var t: Double
    var degreesOfFreedom: Int
    var pValue: Double
  }

  /// - Parameters:
  ///   - model: a model over both windows (its per-period counts are the series).
  ///   - seasons: the pre-launch model, on the same states, whose seasonal matrices adjust the series.
  /// - Returns: the states tested, and apart from them the states with a move never seen in the
  ///   pre-launch periods, which are not tested (`RolloutEvaluation.NewMoves`).
  static func changes(
    _ model: MarkovModel, seasons: MarkovModel?, preWindow: Range<Int>, postWindow: Range<Int>, alpha: Double
  ) -> (tested: [RolloutEvaluation.TransitionChange], newMoves: [RolloutEvaluation.NewMoves]) {
    let c = model.counts
    let s = c.stateCount
    // counts[d][i * s + j] for destination period d, and row totals.
    var byPeriod: [Int: [Double]] = [:]
    for (t, cells) in c.perPeriod.enumerated() {
      let destination = c.firstPeriod + t + 1
      guard preWindow.contains(destination) || postWindow.contains(destination) else { continue }
      var m = [Double](repeating: 0, count: s * s)
      for cell in cells { m[Int(cell.from) * s + Int(cell.to)] += cell.count }
      byPeriod[destination] = m
    }
    var rows: [FitDiagnostics.RowHomogeneity] = []
    var moves: [[MoveTest]] = []
    var newMoves: [RolloutEvaluation.NewMoves] = []
    for i in 0..<s where !model.stateSpace.states[i].isAbsorbing {
      func series(_ window: Range<Int>) -> [(period: Int, row: [Double], total: Double)] {
        window.compactMap { d in
          guard let m = byPeriod[d] else { return nil }
          let row = Array(m[(i * s)..<((i + 1) * s)])
          let total = row.reduce(0, +)
          return total >= minimumRowCount ? (d, row, total) : nil
        }
      }
      let pre = series(preWindow), post = series(postWindow)
      guard pre.count >= 3, !post.isEmpty else { continue }
      let preTotal = pre.reduce(0) { $0 + $1.total }, postTotal = post.reduce(0) { $0 + $1.total }
      let candidates = (0..<s).filter { j in
        let n = pre.reduce(0) { $0 + $1.row[j] } + post.reduce(0) { $0 + $1.row[j] }
        return n / (preTotal + postTotal) >= minimumShare
      }
      guard candidates.count >= 2 else { continue }
      // A move no customer made in any pre-launch period has a trend of exactly 0 with no
      // scatter: any later move would be "beyond" it, however it came about. In a young base
      // many do come about without a launch (in rf states, a frequency tier can only fall once
      // purchases age out of its window, which takes a year), so the row is not tested.
      let unseen = candidates.filter { j in pre.allSatisfy { $0.row[j] == 0 } }
      if !unseen.isEmpty {
        newMoves.append(.init(
          from: model.stateSpace.states[i].name,
          moves: unseen.map { j in
            .init(to: model.stateSpace.states[j].name, pre: 0, expected: 0, post: post.reduce(0) { $0 + $1.row[j] } / postTotal)
          }))
        continue
      }
      let tested = candidates.sorted { j, k in
        pre.reduce(0) { $0 + $1.row[j] } > pre.reduce(0) { $0 + $1.row[k] }
      }.prefix(maximumMovesPerRow)
      let results = tested.map { j in
        // The season's offset, in counts: the share moves by (season - pooled) of the row.
        func adjusted(_ p: (period: Int, row: [Double], total: Double)) -> (Int, Double, Double) {
          guard let seasons, let seasonal = seasons.seasonalMatrices else { return (p.period, p.row[j], p.total) }
          let season = seasonal[seasons.stateSpace.period.seasonIndex(of: p.period - 1)]
          let offset = season[i][j] - seasons.transitionMatrix[i][j]
          return (p.period, p.row[j] - offset * p.total, p.total)
        }
        return test(to: j, pre: pre.map(adjusted), post: post.map(adjusted))
      }
      guard let strongest = results.min(by: { $0.pValue < $1.pValue }) else { continue }
      // Holm works on RowHomogeneity rows; here their statistic carries the strongest |t|.
      rows.append(.init(
        state: model.stateSpace.states[i].name, g: abs(strongest.t), degreesOfFreedom: strongest.degreesOfFreedom,
        pValue: min(1, strongest.pValue * Double(results.count)), adjustedPValue: 1))
      moves.append(results.sorted { abs($0.t) > abs($1.t) })
    }
    let adjusted = FitDiagnostics.holmAdjusted(rows)
    let tested = adjusted.enumerated().map { k, r in
      RolloutEvaluation.TransitionChange(
        from: r.state, t: r.g, degreesOfFreedom: r.degreesOfFreedom, pValue: r.pValue, adjustedPValue: r.adjustedPValue,
        flagged: r.adjustedPValue < alpha,
        largestChanges: moves[k].prefix(3).map {
          RolloutEvaluation.MoveChange(to: model.stateSpace.states[$0.to].name, pre: $0.pre, expected: $0.expected, post: $0.post)
        })
    }
    return (tested, newMoves)
  }

  /// The t-test of one move: post-window mean of the per-period probability against the
  /// pre-window line extrapolated (a level only with fewer than 6 pre periods).
  static func test(to j: Int, pre: [(period: Int, count: Double, total: Double)], post: [(period: Int, count: Double, total: Double)]) -> MoveTest {
    let x = pre.map { Double($0.period) }, y = pre.map { $0.count / $0.total }
    let n = Double(pre.count), m = Double(post.count)
    let xMean = x.reduce(0, +) / n, yMean = y.reduce(0, +) / n
    let binomial = pre.reduce(0) { acc, p in
      let q = min(1, max(0, p.count / p.total))
      return acc + q * (1 - q) / p.total
    } / n
    let sxx = x.reduce(0) { $0 + ($1 - xMean) * ($1 - xMean) }
    func fit(trend: Bool) -> (slope: Double, variance: Double, df: Int) {
      let slope = trend && sxx > 0 ? zip(x, y).reduce(0) { $0 + ($1.0 - xMean) * ($1.1 - yMean) } / sxx : 0
      let df = pre.count - (trend ? 2 : 1)
      let residuals = zip(x, y).map { $1 - (yMean + slope * ($0 - xMean)) }
      let scatter = residuals.reduce(0) { $0 + $1 * $1 } / Double(max(1, df))
      // Residuals that run in streaks (a curve the line misses, a drifting mix) carry less
      // information than their count: the variance is inflated by (1 + r) / (1 - r) for a
      // positive lag-1 autocorrelation r.
      let sumSquares = residuals.reduce(0) { $0 + $1 * $1 }
      let lagged = zip(residuals, residuals.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }
      let r = sumSquares > 0 ? min(0.9, max(0, lagged / sumSquares)) : 0
      return (slope, max(scatter, binomial, 1e-12) * (1 + r) / (1 - r), df)
    }
    let useTrend = pre.count >= 6 && sxx > 0
    let (slope, variance, df) = fit(trend: useTrend)
    let postX = post.reduce(0) { $0 + Double($1.period) } / m
    let postMean = post.reduce(0) { $0 + $1.count / $1.total } / m
    let expected = yMean + slope * (postX - xMean)
    let leverage = 1 / m + 1 / n + (useTrend && sxx > 0 ? (postX - xMean) * (postX - xMean) / sxx : 0)
    let t = (postMean - expected) / (variance * leverage).squareRoot()
    return MoveTest(
      to: j, pre: pre.reduce(0) { $0 + $1.count } / pre.reduce(0) { $0 + $1.total }, expected: expected,
      post: post.reduce(0) { $0 + $1.count } / post.reduce(0) { $0 + $1.total }, t: t, degreesOfFreedom: df,
      pValue: StudentT.twoSidedP(t, degreesOfFreedom: Double(max(1, df))))
  }
}

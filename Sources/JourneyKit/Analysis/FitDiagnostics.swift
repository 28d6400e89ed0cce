import Foundation

/// Checks of the Markov assumptions on many short journeys, the questions users of
/// single-sequence Markov packages cannot ask them.
public struct FitDiagnostics: Codable, Sendable, Equatable {
  /// G-test of homogeneity of one row across sub-windows of the fit window.
  public struct RowHomogeneity: Codable, Sendable, Equatable {
    /// The row's state.
    public var state: String
    /// The G statistic, 2 sum O ln(O / E) over the sub-window x destination table.
    public var g: Double
    /// Degrees of freedom of the test.
    public var degreesOfFreedom: Int
    /// The p-value of G under chi-squared.
    public var pValue: Double
    /// Holm-adjusted p-value across the rows tested.
    public var adjustedPValue: Double

    /// A row's test result.
    public init(state: String, g: Double, degreesOfFreedom: Int, pValue: Double, adjustedPValue: Double) {
      self.state = state
      self.g = g
      self.degreesOfFreedom = degreesOfFreedom
      self.pValue = pValue
      self.adjustedPValue = adjustedPValue
    }
  }
  /// First- vs second-order chain, by likelihood ratio on the transitions that have a
  /// state two periods back.
  public struct OrderTest: Codable, Sendable, Equatable {
    /// Log-likelihood of the first-order chain on these transitions.
    public var logLikelihoodFirstOrder: Double
    /// Log-likelihood of the second-order chain on these transitions.
    public var logLikelihoodSecondOrder: Double
    /// Free parameters of the first-order chain.
    public var parametersFirstOrder: Int
    /// Free parameters of the second-order chain.
    public var parametersSecondOrder: Int
    /// Transitions with a state two periods back (the test's sample).
    public var transitions: Double
    /// 2 (second - first log-likelihood).
    public var likelihoodRatio: Double
    /// The p-value of the likelihood ratio under chi-squared.
    public var pValue: Double
    /// Akaike's criterion of the first-order chain.
    public var aicFirstOrder: Double
    /// Akaike's criterion of the second-order chain.
    public var aicSecondOrder: Double
    /// Bayesian criterion of the first-order chain.
    public var bicFirstOrder: Double
    /// Bayesian criterion of the second-order chain.
    public var bicSecondOrder: Double
    /// "first" or "second": the order BIC prefers.
    public var preferredByBic: String
  }
  /// One-step-ahead check of the fitted matrix against the observed state counts.
  public struct PeriodFit: Codable, Sendable, Equatable {
    /// The period predicted, as a label.
    public var period: String
    /// Sum over states of |observed - expected| / customers observed.
    public var relativeError: Double
  }

  /// Parts of the fit window the homogeneity test compares.
  public var subWindows: Int
  /// One test per row tested.
  public var homogeneity: [RowHomogeneity]
  /// The order test (nil when too few transitions have two periods of history).
  public var orderTest: OrderTest?
  /// One-step-ahead errors per period.
  public var observedVersusExpected: [PeriodFit]
  /// Why a test was skipped, and other notes.
  public var notes: [String]

  /// - Parameter subWindows: how many equal parts of the window the homogeneity test compares.
  public static func compute(counts: TransitionCounts, p: Matrix, space: StateSpace, subWindows requested: Int = 3) -> FitDiagnostics {
    let s = counts.stateCount
    let steps = counts.perPeriod.count
    var notes: [String] = []
    let parts = max(1, min(requested, steps))

    // Homogeneity: per row, a (sub-window x destination) contingency table.
    var rows: [RowHomogeneity] = []
    if parts >= 2 {
      var table = Array(repeating: [Double](repeating: 0, count: parts * s), count: s)
      for t in 0..<steps {
        let part = t * parts / steps
        for cell in counts.perPeriod[t] { table[Int(cell.from)][part * s + Int(cell.to)] += cell.count }
      }
      for i in 0..<s where !space.states[i].isAbsorbing {
        let rowTotals = (0..<parts).map { k in (0..<s).reduce(0.0) { $0 + table[i][k * s + $1] } }
        let columnTotals = (0..<s).map { j in (0..<parts).reduce(0.0) { $0 + table[i][$1 * s + j] } }
        let total = rowTotals.reduce(0, +)
        let usedRows = rowTotals.filter { $0 > 0 }.count
        let usedColumns = columnTotals.filter { $0 > 0 }.count
        guard usedRows >= 2, usedColumns >= 2 else { continue }
        var g = 0.0
        for k in 0..<parts where rowTotals[k] > 0 {
          for j in 0..<s where columnTotals[j] > 0 {
            let o = table[i][k * s + j]
            if o > 0 { g += 2 * o * log(o / (rowTotals[k] * columnTotals[j] / total)) }
          }
        }
        let df = (usedRows - 1) * (usedColumns - 1)
        rows.append(.init(state: space.states[i].name, g: g, degreesOfFreedom: df, pValue: ChiSquared.survival(g, degreesOfFreedom: Double(df)), adjustedPValue: 1))
      }
      rows = holmAdjusted(rows)
    } else {
      notes.append("homogeneity not tested: the window has fewer than 2 transition steps")
    }

    var order: OrderTest? = nil
    if let second = counts.secondOrder {
      // Transitions with a history: n_hij. First-order fit on exactly those transitions.
      var nij = [Double](repeating: 0, count: s * s)
      var nhi = [Double](repeating: 0, count: s * s)
      for h in 0..<s {
        for i in 0..<s {
          for j in 0..<s {
            let n = second[(h * s + i) * s + j]
            if n > 0 {
              nij[i * s + j] += n
              nhi[h * s + i] += n
            }
          }
        }
      }
      var ll1 = 0.0, ll2 = 0.0, k1 = 0, k2 = 0, total = 0.0
      for i in 0..<s {
        let rowTotal = (0..<s).reduce(0.0) { $0 + nij[i * s + $1] }
        var used = 0
        for j in 0..<s where nij[i * s + j] > 0 {
          ll1 += nij[i * s + j] * log(nij[i * s + j] / rowTotal)
          used += 1
        }
        if used > 0 { k1 += used - 1 }
        total += rowTotal
      }
      for h in 0..<s {
        for i in 0..<s where nhi[h * s + i] > 0 {
          var used = 0
          for j in 0..<s {
            let n = second[(h * s + i) * s + j]
            if n > 0 {
              ll2 += n * log(n / nhi[h * s + i])
              used += 1
            }
          }
          k2 += used - 1
        }
      }
      if total > 0 && k2 > k1 {
        let lr = max(0, 2 * (ll2 - ll1))
        let bic1 = -2 * ll1 + Double(k1) * log(total)
        let bic2 = -2 * ll2 + Double(k2) * log(total)
        order = OrderTest(
          logLikelihoodFirstOrder: ll1, logLikelihoodSecondOrder: ll2, parametersFirstOrder: k1, parametersSecondOrder: k2,
          transitions: total, likelihoodRatio: lr, pValue: ChiSquared.survival(lr, degreesOfFreedom: Double(k2 - k1)),
          aicFirstOrder: -2 * ll1 + 2 * Double(k1), aicSecondOrder: -2 * ll2 + 2 * Double(k2),
          bicFirstOrder: bic1, bicSecondOrder: bic2, preferredByBic: bic2 < bic1 ? "second" : "first")
      } else {
        notes.append("order not tested: too few transitions with a two-period history")
      }
    } else {
      notes.append("order not tested: \(s) states make the second-order table too large to keep")
    }

    // One step ahead: expected occupancy of t + 1 from the observed occupancy of t.
    var fits: [PeriodFit] = []
    for t in 0..<max(0, counts.periodCount - 1) {
      var expected = p.leftMultiplied(byRowVector: counts.occupancy[t])
      for j in 0..<s { expected[j] += counts.acquisitions[t + 1][j] + counts.reactivations[t + 1][j] }
      // Reactivated customers left an absorbing state the chain keeps them in; take them out of
      // the absorbing states in proportion to who was there.
      let reactivated = counts.reactivations[t + 1].reduce(0, +)
      let absorbing = space.absorbingIndices
      let absorbed = absorbing.reduce(0.0) { $0 + counts.occupancy[t][$1] }
      if reactivated > 0 && absorbed > 0 {
        for j in absorbing { expected[j] -= reactivated * counts.occupancy[t][j] / absorbed }
      }
      let observed = counts.occupancy[t + 1]
      let n = observed.reduce(0, +)
      let error = zip(observed, expected).reduce(0.0) { $0 + abs($1.0 - $1.1) }
      fits.append(.init(period: space.period.label(of: counts.firstPeriod + t + 1), relativeError: n > 0 ? error / n : 0))
    }
    return FitDiagnostics(subWindows: parts, homogeneity: rows, orderTest: order, observedVersusExpected: fits, notes: notes)
  }

  /// Holm's step-down adjustment (Holm, 1979), monotone.
  public static func holmAdjusted(_ tests: [RowHomogeneity]) -> [RowHomogeneity] {
    var rows = tests
    let m = rows.count
    let order = rows.indices.sorted { rows[$0].pValue < rows[$1].pValue }
    var running = 0.0
    for (rank, index) in order.enumerated() {
      running = max(running, min(1, Double(m - rank) * rows[index].pValue))
      rows[index].adjustedPValue = running
    }
    return rows
  }
}

import Foundation

/// How transition probabilities are estimated from counts.
public struct EstimatorOptions: Codable, Sendable, Equatable {
  /// Dirichlet pseudo-count added to every transition of a row's support (the cells observed
  /// at least once in the pooled counts). 0 gives the maximum-likelihood estimate n_ij / n_i.
  public var prior: Double = 0.5
  /// When set, step t's counts weigh `0.5^((steps - 1 - t) / halfLife)`: recent periods count more.
  public var halfLifePeriods: Double? = nil
  /// Whether to fit one matrix per season (month of year, quarter, ISO week), shrunk toward the pooled one.
  public var seasonal = false
  /// Pseudo-transitions of the pooled matrix added to each seasonal row (the shrinkage strength).
  public var seasonalStrength: Double = 20

  /// The defaults: prior 0.5, no half-life, no seasons.
  public init() {}
}

/// Estimates transition matrices from counts: maximum likelihood with a Dirichlet prior.
///
/// ```
/// posterior row i ~ Dirichlet(a_i1, ..., a_iS),  a_ij = w-weighted n_ij + prior * [n_ij > 0 pooled]
/// P_ij = a_ij / sum_j a_ij        (the posterior mean; the MLE n_ij / n_i when prior = 0)
/// ```
/// Anderson & Goodman (1957) for the MLE of a Markov chain from many short sequences; the
/// Dirichlet posterior is the conjugate Bayesian treatment (e.g. Gelman et al., BDA3, 3.4).
///
/// A state that is never left (no outgoing transitions at all) cannot be estimated: it is
/// given `P_ii = 1` and a warning names it. Absorbing states get `P_ii = 1` by definition.
public enum Estimator {
  /// The estimate of one fit.
  public struct Result: Sendable {
    /// The point estimate, rows summing to 1.
    public var matrix: Matrix
    /// Dirichlet parameters per row (all zero for absorbing and unestimable rows).
    public var posterior: Matrix
    /// One matrix per season when asked for.
    public var seasonal: [Matrix]?
    /// Rows that could not be estimated, and other cautions.
    public var warnings: [String]
  }

  /// Estimates the matrix (and seasonal matrices when asked) from `counts`.
  public static func fit(_ counts: TransitionCounts, space: StateSpace, options: EstimatorOptions) -> Result {
    let s = counts.stateCount
    let steps = counts.perPeriod.count
    var weighted = Matrix(rowCount: s, columnCount: s)
    if let h = options.halfLifePeriods {
      for t in 0..<steps {
        let w = pow(0.5, Double(steps - 1 - t) / h)
        for cell in counts.perPeriod[t] { weighted[Int(cell.from), Int(cell.to)] += w * cell.count }
      }
    } else {
      weighted.elements = counts.pooled
    }
    var warnings: [String] = []
    var posterior = Matrix(rowCount: s, columnCount: s)
    var p = Matrix(rowCount: s, columnCount: s)
    for i in 0..<s {
      if space.states[i].isAbsorbing {
        p[i, i] = 1
        continue
      }
      var total = 0.0
      for j in 0..<s where counts.pooled[i * s + j] > 0 {
        let a = weighted[i, j] + options.prior
        posterior[i, j] = a
        total += a
      }
      if total <= 0 {
        p[i, i] = 1
        if counts.rewards[i].customerPeriods > 0 {
          warnings.append("state '\(space.states[i].name)' was never seen leaving (no transitions out); it is treated as staying put (P = 1 on itself)")
        }
        continue
      }
      for j in 0..<s { p[i, j] = posterior[i, j] / total }
      normalizeRow(&p, i)
    }
    var seasonal: [Matrix]? = nil
    if options.seasonal {
      let seasons = space.period.seasonsPerYear
      var bySeason = Array(repeating: Matrix(rowCount: s, columnCount: s), count: seasons)
      for t in 0..<steps {
        let season = space.period.seasonIndex(of: counts.firstPeriod + t)
        for cell in counts.perPeriod[t] { bySeason[season][Int(cell.from), Int(cell.to)] += cell.count }
      }
      seasonal = bySeason.map { n in
        var m = Matrix(rowCount: s, columnCount: s)
        for i in 0..<s {
          let rowTotal = (0..<s).reduce(0.0) { $0 + n[i, $1] }
          for j in 0..<s { m[i, j] = (n[i, j] + options.seasonalStrength * p[i, j]) / (rowTotal + options.seasonalStrength) }
          normalizeRow(&m, i)
        }
        return m
      }
    }
    precondition(p.isRowStochastic(tolerance: 1e-9), "estimated matrix is not row-stochastic")
    return Result(matrix: p, posterior: posterior, seasonal: seasonal, warnings: warnings)
  }

  /// Rescales row i to sum to exactly 1 up to rounding, which checks downstream rely on (1e-9).
  static func normalizeRow(_ m: inout Matrix, _ i: Int) {
    var total = 0.0
    for j in 0..<m.columnCount { total += m[i, j] }
    guard total > 0 else { return }
    for j in 0..<m.columnCount { m[i, j] /= total }
  }
}

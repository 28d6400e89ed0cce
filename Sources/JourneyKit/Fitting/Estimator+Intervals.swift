import Foundation

extension Estimator {
  /// Normal-approximation confidence intervals of the maximum-likelihood transition
  /// probabilities, computed the way R's markovchain `markovchainFit(method = "mle")` reports them:
  ///
  /// ```
  /// se_ij = p_ij / sqrt(n_ij)                 (0 where n_ij = 0)
  /// [p_ij - z se_ij, p_ij + z se_ij] clipped to [0, 1],  z = Phi^-1((1 + level) / 2)
  /// ```
  /// Kept for parity with that package (the fixtures check it); for small counts the Dirichlet
  /// posterior the model carries describes the uncertainty better.
  public static func confidenceIntervals(counts: Matrix, level: Double = 0.95) -> (standardError: Matrix, lower: Matrix, upper: Matrix) {
    precondition(level > 0 && level < 1, "confidence level must be in (0, 1)")
    let z = Normal.quantile((1 + level) / 2)
    let s = counts.rowCount
    var se = Matrix(rowCount: s, columnCount: s)
    var lower = Matrix(rowCount: s, columnCount: s)
    var upper = Matrix(rowCount: s, columnCount: s)
    for i in 0..<s {
      let total = counts.row(i).reduce(0, +)
      for j in 0..<s where counts[i, j] > 0 {
        let p = counts[i, j] / total
        se[i, j] = p / counts[i, j].squareRoot()
        lower[i, j] = max(0, p - z * se[i, j])
        upper[i, j] = min(1, p + z * se[i, j])
      }
    }
    return (se, lower, upper)
  }
}

extension TransitionCounts {
  /// Counts of state sequences given directly (one array of state indices per customer),
  /// for users who already have states, as R's markovchain takes them. Steps are pooled;
  /// occupancy, acquisitions and rewards are left empty.
  public static func pooled(sequences: [[Int]], stateCount: Int) -> Matrix {
    var n = Matrix(rowCount: stateCount, columnCount: stateCount)
    for sequence in sequences {
      for (a, b) in zip(sequence, sequence.dropFirst()) { n[a, b] += 1 }
    }
    return n
  }
}

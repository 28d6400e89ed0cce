// Markov-chain quantities built on the BLAS/LAPACK wrappers. No pointers here.

extension Matrix {
  /// The fundamental matrix of an absorbing chain, `N = (I - Q)^-1`.
  ///
  /// ```
  /// N[i][j] = expected number of periods spent in transient state j,
  ///           starting from transient state i, before absorption
  /// ```
  /// `self` is Q, the transient-to-transient block of the transition matrix.
  /// Row sums of N are the expected periods until absorption (Kemeny & Snell, 1960).
  /// - Throws: `LinearAlgebraError.singular` when some transient state can never be absorbed.
  /// - Complexity: O(n^3).
  public func fundamentalMatrix() throws(LinearAlgebraError) -> Matrix {
    precondition(isSquare, "Q must be square, got \(rowCount)x\(columnCount)")
    do {
      return try (Matrix.identity(rowCount) - self).inverse()
    } catch {
      throw .singular(operation: "fundamental matrix (I - Q)^-1", pivot: pivotOf(error))
    }
  }

  /// The stationary distribution `pi` of an irreducible chain: `pi P = pi`, `sum(pi) = 1`.
  ///
  /// Solved directly: the system `(P^T - I) pi = 0` has rank n - 1 for an
  /// irreducible chain, so one of its equations is replaced by `sum(pi) = 1`
  /// and the square system goes to `dgesv`.
  /// - Throws: `LinearAlgebraError.noUniqueStationaryDistribution` when the
  ///   chain is reducible (the replaced system is singular, or the solution has
  ///   negative mass beyond rounding).
  /// - Complexity: O(n^3).
  public func stationaryDistribution() throws(LinearAlgebraError) -> [Double] {
    precondition(isSquare, "a transition matrix must be square, got \(rowCount)x\(columnCount)")
    let n = rowCount
    precondition(n > 0, "an empty chain has no stationary distribution")
    var system = transposed - Matrix.identity(n)
    for j in 0..<n { system[n - 1, j] = 1 }
    var rhs = [Double](repeating: 0, count: n)
    rhs[n - 1] = 1
    let pi: [Double]
    do {
      pi = try system.solve(vector: rhs)
    } catch {
      throw .noUniqueStationaryDistribution
    }
    // A reducible chain can give a nearly singular system whose solution is
    // garbage rather than an exact zero pivot; reject visibly negative mass and
    // check the fixed point itself.
    guard pi.allSatisfy({ $0 > -1e-9 && $0.isFinite }) else { throw .noUniqueStationaryDistribution }
    let clipped = pi.map { Swift.max($0, 0) }
    let total = clipped.reduce(0, +)
    let normalized = clipped.map { $0 / total }
    let next = leftMultiplied(byRowVector: normalized)
    let residual = zip(next, normalized).map { abs($0 - $1) }.max() ?? 0
    guard residual < 1e-8 else { throw .noUniqueStationaryDistribution }
    return normalized
  }

  /// Whether every row is a probability distribution: entries in [0, 1], sums within `tolerance` of 1.
  public func isRowStochastic(tolerance: Double = 1e-9) -> Bool {
    for i in 0..<rowCount {
      var sum = 0.0
      for j in 0..<columnCount {
        let p = self[i, j]
        if !(p >= 0 && p <= 1) { return false }
        sum += p
      }
      if abs(sum - 1) > tolerance { return false }
    }
    return true
  }
}

private func pivotOf(_ error: LinearAlgebraError) -> Int {
  if case let .singular(_, pivot) = error { return pivot }
  return -1
}

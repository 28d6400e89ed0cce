import COpenBLAS

/// LAPACKE's `lapack_int` is a macro (`int32_t` in Debian's LP64 build), which
/// Swift does not import; the signatures below then take `Int32`.
typealias LapackInt = Int32

// The LAPACKE half of the only code that touches OpenBLAS pointers.

extension Matrix {
  /// Solves `self . X = B` for X through LAPACKE `dgesv` (LU with partial pivoting).
  ///
  /// - Parameter rightHandSides: B, with as many rows as `self`; each column is one system.
  /// - Returns: X, the same shape as B.
  /// - Throws: `LinearAlgebraError.singular` when an LU pivot is exactly zero.
  /// - Complexity: O(n^3 + n^2 k) for n x n `self` and k right-hand sides.
  public func solve(_ rightHandSides: Matrix) throws(LinearAlgebraError) -> Matrix {
    precondition(isSquare, "solve needs a square matrix, got \(rowCount)x\(columnCount)")
    precondition(rightHandSides.rowCount == rowCount, "right-hand sides have \(rightHandSides.rowCount) rows, expected \(rowCount)")
    let n = rowCount
    let k = rightHandSides.columnCount
    if n == 0 || k == 0 { return rightHandSides }
    var a = elements
    var b = rightHandSides.elements
    var pivots = [LapackInt](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      b.withUnsafeMutableBufferPointer { bp in
        pivots.withUnsafeMutableBufferPointer { pp in
          LAPACKE_dgesv(
            LAPACK_ROW_MAJOR, lapackSize(n), lapackSize(k), ap.baseAddress, lapackSize(n),
            pp.baseAddress, bp.baseAddress, lapackSize(k))
        }
      }
    }
    precondition(info >= 0, "LAPACKE_dgesv rejected argument \(-info): a bug in Journey")
    if info > 0 { throw .singular(operation: "solve", pivot: Int(info) - 1) }
    return Matrix(rowCount: n, columnCount: k, elements: b)
  }

  /// Solves `self . x = b` for one vector.
  public func solve(vector b: [Double]) throws(LinearAlgebraError) -> [Double] {
    try solve(Matrix(rowCount: b.count, columnCount: 1, elements: b)).elements
  }

  /// The inverse, through LAPACKE `dgetrf` + `dgetri`.
  ///
  /// Prefer `solve` when the inverse is only multiplied by something: it is
  /// cheaper and more accurate. The fundamental matrix is an inverse people
  /// read entry by entry, so it is computed explicitly.
  /// - Throws: `LinearAlgebraError.singular` when an LU pivot is exactly zero.
  public func inverse() throws(LinearAlgebraError) -> Matrix {
    precondition(isSquare, "only a square matrix has an inverse, got \(rowCount)x\(columnCount)")
    let n = rowCount
    if n == 0 { return self }
    var a = elements
    var pivots = [LapackInt](repeating: 0, count: n)
    let factorInfo = a.withUnsafeMutableBufferPointer { ap in
      pivots.withUnsafeMutableBufferPointer { pp in
        LAPACKE_dgetrf(LAPACK_ROW_MAJOR, lapackSize(n), lapackSize(n), ap.baseAddress, lapackSize(n), pp.baseAddress)
      }
    }
    precondition(factorInfo >= 0, "LAPACKE_dgetrf rejected argument \(-factorInfo): a bug in Journey")
    if factorInfo > 0 { throw .singular(operation: "inverse", pivot: Int(factorInfo) - 1) }
    let inverseInfo = a.withUnsafeMutableBufferPointer { ap in
      pivots.withUnsafeBufferPointer { pp in
        LAPACKE_dgetri(LAPACK_ROW_MAJOR, lapackSize(n), ap.baseAddress, lapackSize(n), pp.baseAddress)
      }
    }
    precondition(inverseInfo >= 0, "LAPACKE_dgetri rejected argument \(-inverseInfo): a bug in Journey")
    if inverseInfo > 0 { throw .singular(operation: "inverse", pivot: Int(inverseInfo) - 1) }
    return Matrix(rowCount: n, columnCount: n, elements: a)
  }
}

extension Matrix {
  /// A factor F with `self = F . F^T`, for a symmetric positive semi-definite matrix, through
  /// LAPACKE `dpstrf` (Cholesky with complete pivoting, which stops at the numerical rank).
  ///
  /// F has n rows and as many columns as the rank: a covariance of n counts that sum to a
  /// fixed total, or with states nobody can reach, is singular, and plain Cholesky would fail
  /// on it. Normal vectors with that covariance are then `F . z` for z standard normal.
  /// - Complexity: O(n^3).
  public func positiveSemidefiniteFactor() -> Matrix {
    let (lower, pivots) = pivotedCholesky()
    // P^T A P = L L^T, so A = (P L)(P L)^T: row k of L is row pivots[k] of F.
    var factor = Matrix(rowCount: rowCount, columnCount: lower.columnCount)
    for k in 0..<rowCount {
      for c in 0..<lower.columnCount { factor[pivots[k], c] = lower[k, c] }
    }
    return factor
  }

  /// Cholesky with complete pivoting (`dpstrf`) of a symmetric positive semi-definite matrix:
  /// `P^T self P = L L^T` with L lower trapezoidal (n x rank: `L[k, c] = 0` for c > k) and
  /// `pivots[k]` the row of `self` that row k of L stands for (0-based). The rank stops where
  /// the remaining pivots fall below LAPACK's default tolerance, n eps times the largest.
  /// - Complexity: O(n^3).
  public func pivotedCholesky() -> (lower: Matrix, pivots: [Int]) {
    precondition(isSquare, "only a square matrix has a Cholesky factor, got \(rowCount)x\(columnCount)")
    let n = rowCount
    if n == 0 { return (self, []) }
    var a = elements
    var pivots = [LapackInt](repeating: 0, count: n)
    var rank: LapackInt = 0
    let info = a.withUnsafeMutableBufferPointer { ap in
      pivots.withUnsafeMutableBufferPointer { pp in
        // A negative tolerance asks for LAPACK's default: n * eps * the largest diagonal entry.
        LAPACKE_dpstrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), lapackSize(n), ap.baseAddress, lapackSize(n), pp.baseAddress, &rank, -1)
      }
    }
    precondition(info >= 0, "LAPACKE_dpstrf rejected argument \(-info): a bug in Journey")
    // info > 0 only says the matrix is rank deficient: the first `rank` columns of L are the
    // factor (LAPACK leaves the upper triangle and the trailing block as they were).
    let r = Int(rank)
    var lower = Matrix(rowCount: n, columnCount: r)
    for k in 0..<n {
      for c in 0..<Swift.min(k + 1, r) { lower[k, c] = a[k * n + c] }
    }
    return (lower, pivots.map { Int($0) - 1 })
  }
}

@inline(__always)
private func lapackSize(_ n: Int) -> LapackInt {
  guard let value = LapackInt(exactly: n) else {
    preconditionFailure("dimension \(n) does not fit LAPACK's 32-bit LapackInt")
  }
  return value
}

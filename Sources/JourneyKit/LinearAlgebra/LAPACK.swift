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

@inline(__always)
private func lapackSize(_ n: Int) -> LapackInt {
  guard let value = LapackInt(exactly: n) else {
    preconditionFailure("dimension \(n) does not fit LAPACK's 32-bit LapackInt")
  }
  return value
}

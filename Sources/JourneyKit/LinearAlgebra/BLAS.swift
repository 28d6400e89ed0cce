import COpenBLAS
import Foundation

// The BLAS half of the only code that touches OpenBLAS pointers. Everything
// here takes and returns `Matrix` values; pointers never escape.

/// Converts a Swift size to the 32-bit `blasint` OpenBLAS takes, trapping on
/// overflow: a matrix with more than 2^31 rows cannot be allocated here anyway.
@inline(__always)
func blasSize(_ n: Int) -> blasint {
  guard let value = blasint(exactly: n) else {
    preconditionFailure("dimension \(n) does not fit BLAS's 32-bit blasint")
  }
  return value
}

extension Matrix {
  /// Matrix product through `cblas_dgemm`.
  ///
  /// ```
  /// C = A . B        (m x k) . (k x n) -> (m x n)
  /// ```
  /// - Complexity: O(m n k), at OpenBLAS speed (about 35 GFLOP/s per core here).
  public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
    lhs.multiplied(by: rhs)
  }

  /// `alpha * op(self) . op(other)`, where op transposes when asked, through one `cblas_dgemm`.
  public func multiplied(
    by other: Matrix, transposingSelf: Bool = false, transposingOther: Bool = false, alpha: Double = 1
  ) -> Matrix {
    let m = transposingSelf ? columnCount : rowCount
    let k = transposingSelf ? rowCount : columnCount
    let otherK = transposingOther ? other.columnCount : other.rowCount
    let n = transposingOther ? other.rowCount : other.columnCount
    precondition(k == otherK, "cannot multiply \(m)x\(k) by \(otherK)x\(n)")
    var result = Matrix(rowCount: m, columnCount: n)
    if m == 0 || n == 0 { return result }
    if k == 0 { return result }
    elements.withUnsafeBufferPointer { a in
      other.elements.withUnsafeBufferPointer { b in
        result.elements.withUnsafeMutableBufferPointer { c in
          cblas_dgemm(
            CblasRowMajor,
            transposingSelf ? CblasTrans : CblasNoTrans,
            transposingOther ? CblasTrans : CblasNoTrans,
            blasSize(m), blasSize(n), blasSize(k),
            alpha, a.baseAddress, blasSize(Swift.max(columnCount, 1)),
            b.baseAddress, blasSize(Swift.max(other.columnCount, 1)),
            0, c.baseAddress, blasSize(Swift.max(n, 1)))
        }
      }
    }
    return result
  }

  /// `self . L^T` for L lower trapezoidal (w x r, `L[k, c] = 0` for c > k, as
  /// `pivotedCholesky` gives) and self m x r: the first r columns through `cblas_dtrmm` on
  /// L's triangle, the rest through `cblas_dgemm` on its rows below; half the work of a dgemm
  /// when w is close to r.
  public func multiplied(byTransposedLowerTrapezoidal l: Matrix) -> Matrix {
    let (m, r, w) = (rowCount, l.columnCount, l.rowCount)
    precondition(columnCount == r && w >= r, "cannot multiply \(m)x\(columnCount) by the transpose of a \(w)x\(r) lower trapezoidal matrix")
    var result = Matrix(rowCount: m, columnCount: w)
    if m == 0 || r == 0 { return result }
    for row in 0..<m {
      for c in 0..<r { result.elements[row * w + c] = elements[row * r + c] }
    }
    elements.withUnsafeBufferPointer { z in
      l.elements.withUnsafeBufferPointer { lp in
        result.elements.withUnsafeMutableBufferPointer { b in
          cblas_dtrmm(
            CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, blasSize(m), blasSize(r), 1,
            lp.baseAddress, blasSize(r), b.baseAddress, blasSize(w))
          if w > r {
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasTrans, blasSize(m), blasSize(w - r), blasSize(r), 1,
              z.baseAddress, blasSize(r), lp.baseAddress! + r * r, blasSize(r), 0, b.baseAddress! + r, blasSize(w))
          }
        }
      }
    }
    return result
  }

  /// Matrix times column vector, `A . x`, through `cblas_dgemv`.
  public func multiplied(byColumnVector x: [Double]) -> [Double] {
    gemv(x, transposed: false)
  }

  /// Row vector times matrix, `x . A` (one step of a chain: `x[t+1] = x[t] P`), through `cblas_dgemv`.
  public func leftMultiplied(byRowVector x: [Double]) -> [Double] {
    gemv(x, transposed: true)
  }

  private func gemv(_ x: [Double], transposed: Bool) -> [Double] {
    let inputCount = transposed ? rowCount : columnCount
    let outputCount = transposed ? columnCount : rowCount
    precondition(x.count == inputCount, "vector of \(x.count) does not fit a \(rowCount)x\(columnCount) matrix")
    var y = [Double](repeating: 0, count: outputCount)
    if outputCount == 0 || inputCount == 0 { return y }
    elements.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          cblas_dgemv(
            CblasRowMajor, transposed ? CblasTrans : CblasNoTrans,
            blasSize(rowCount), blasSize(columnCount), 1,
            a.baseAddress, blasSize(Swift.max(columnCount, 1)),
            xp.baseAddress, 1, 0, yp.baseAddress, 1)
        }
      }
    }
    return y
  }

  /// Many distributions pushed one step through the same transition matrix.
  ///
  /// Each row of `distributions` is one state distribution (or one replicate's
  /// customer counts); the result row r is `distributions[r] . self`. Doing all
  /// rows in one `dgemm` instead of one `dgemv` per row is what makes Monte Carlo
  /// forecasts fast: 10,000 x 125 . 125 x 125 runs at dgemm speed (about 10 ms
  /// here) instead of 10,000 separate calls (about 25 ms).
  /// - Complexity: O(R S^2) for R distributions over S states.
  public func propagate(_ distributions: Matrix) -> Matrix {
    precondition(isSquare, "a transition matrix must be square")
    return distributions.multiplied(by: self)
  }

  /// `self^exponent` by repeated squaring: O(log exponent) products.
  public func power(_ exponent: Int) -> Matrix {
    precondition(isSquare, "only a square matrix has powers")
    precondition(exponent >= 0, "negative matrix powers are not supported")
    var result = Matrix.identity(rowCount)
    var base = self
    var e = exponent
    while e > 0 {
      if e & 1 == 1 { result = result * base }
      e >>= 1
      if e > 0 { base = base * base }
    }
    return result
  }
}

/// OpenBLAS's thread pool, for benchmarks that compare one core with all of them.
public enum BLASThreads {
  /// Threads OpenBLAS uses for one call now.
  public static var count: Int { Int(openblas_get_num_threads()) }

  /// Sets the threads OpenBLAS uses for one call (overrides OPENBLAS_NUM_THREADS).
  public static func set(_ n: Int) {
    precondition(n >= 1, "at least one thread")
    openblas_set_num_threads(Int32(n))
  }

  /// Runs `body` with OpenBLAS on one thread: for work that already keeps every core busy with
  /// its own threads (`DispatchQueue.concurrentPerform`), where OpenBLAS's threads would only
  /// compete for the same cores and spin between calls. The setting is process-wide, so
  /// overlapping calls share it: the first sets one thread, the last puts the count back.
  public static func oneEach<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    if users == 0 { saved = count; set(1) }
    users += 1
    lock.unlock()
    defer {
      lock.lock()
      users -= 1
      if users == 0 { set(saved) }
      lock.unlock()
    }
    return try body()
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var users = 0
  nonisolated(unsafe) private static var saved = 1
}

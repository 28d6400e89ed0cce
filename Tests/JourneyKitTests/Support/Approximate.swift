import JourneyKit
import Testing

/// Naive triple loop, the reference the BLAS product is checked against.
func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
  var c = Matrix(rowCount: a.rowCount, columnCount: b.columnCount)
  for i in 0..<a.rowCount {
    for j in 0..<b.columnCount {
      var s = 0.0
      for k in 0..<a.columnCount { s += a[i, k] * b[k, j] }
      c[i, j] = s
    }
  }
  return c
}

/// A seeded random matrix with entries in [-1, 1).
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
  var rng = RandomSource(seed: seed)
  return Matrix(rowCount: rows, columnCount: columns, elements: (0..<(rows * columns)).map { _ in 2 * rng.uniform() - 1 })
}

/// A seeded random row-stochastic matrix with all entries positive (an ergodic chain).
func randomStochastic(_ n: Int, seed: UInt64) -> Matrix {
  var rng = RandomSource(seed: seed)
  var m = Matrix(rowCount: n, columnCount: n)
  for i in 0..<n {
    var total = 0.0
    for j in 0..<n {
      let v = rng.uniform() + 0.01
      m[i, j] = v
      total += v
    }
    for j in 0..<n { m[i, j] /= total }
  }
  return m
}

func expectClose(_ a: Matrix, _ b: Matrix, tolerance: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  #expect(a.rowCount == b.rowCount && a.columnCount == b.columnCount, sourceLocation: sourceLocation)
  let difference = a.maxAbsoluteDifference(to: b)
  #expect(difference <= tolerance, "max |a - b| = \(difference) > \(tolerance)", sourceLocation: sourceLocation)
}

func expectClose(_ a: [Double], _ b: [Double], tolerance: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  #expect(a.count == b.count, sourceLocation: sourceLocation)
  let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
  #expect(difference <= tolerance, "max |a - b| = \(difference) > \(tolerance)", sourceLocation: sourceLocation)
}

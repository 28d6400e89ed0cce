import JourneyKit
import Testing

@Suite("Matrix products through BLAS")
struct MatrixProductTests {
  @Test func handComputedTwoByTwo() {
    let p = Matrix(rows: [[0.9, 0.1], [0.5, 0.5]])
    // [0.9 0.1] . P = [0.81 + 0.05, 0.09 + 0.05]
    expectClose(p * p, Matrix(rows: [[0.86, 0.14], [0.70, 0.30]]), tolerance: 1e-15)
  }

  @Test func columnsAppendedSideBySide() {
    let a = Matrix(rows: [[1, 2], [3, 4]])
    #expect(a.appendingColumns(of: Matrix(rows: [[5, 6, 7], [8, 9, 10]])) == Matrix(rows: [[1, 2, 5, 6, 7], [3, 4, 8, 9, 10]]))
    #expect(a.appendingColumn([5, 6]) == Matrix(rows: [[1, 2, 5], [3, 4, 6]]))
    // A product with the two side by side is the two products side by side (the outlook's one
    // product per block of customers).
    let x = Matrix(rows: [[1, 0], [0.5, 2]])
    #expect(x * a.appendingColumn([5, 6]) == Matrix(rows: [[1, 2, 5], [6.5, 9, 14.5]]))
  }

  @Test func oneByOne() {
    expectClose(Matrix(rows: [[3]]) * Matrix(rows: [[-2]]), Matrix(rows: [[-6]]), tolerance: 0)
  }

  @Test func nonSquare() {
    let a = Matrix(rows: [[1, 2, 3], [4, 5, 6]])  // 2 x 3
    let b = Matrix(rows: [[7, 8], [9, 10], [11, 12]])  // 3 x 2
    expectClose(a * b, Matrix(rows: [[58, 64], [139, 154]]), tolerance: 1e-12)
    expectClose(b * a, naiveProduct(b, a), tolerance: 1e-12)
    // Transposed operands.
    expectClose(a.multiplied(by: a, transposingOther: true), Matrix(rows: [[14, 32], [32, 77]]), tolerance: 1e-12)
    expectClose(a.multiplied(by: a, transposingSelf: true), naiveProduct(a.transposed, a), tolerance: 1e-12)
  }

  @Test(arguments: [(1, 1, 1), (3, 5, 2), (17, 9, 33), (125, 125, 125), (200, 64, 7)])
  func agreesWithNaiveLoop(m: Int, k: Int, n: Int) {
    let a = randomMatrix(m, k, seed: UInt64(m * 1000 + k))
    let b = randomMatrix(k, n, seed: UInt64(n * 7 + 1))
    expectClose(a * b, naiveProduct(a, b), tolerance: 1e-11)
  }

  @Test func largeProductAgreesWithNaiveLoopOnSampledEntries() {
    // 2000 x 2000: the full naive product would take seconds in a debug build,
    // so sample entries and compute each as a dot product.
    let n = 2000
    let a = randomMatrix(n, n, seed: 11)
    let b = randomMatrix(n, n, seed: 12)
    let c = a * b
    var rng = RandomSource(seed: 13)
    for _ in 0..<50 {
      let i = Int(rng.next() % UInt64(n))
      let j = Int(rng.next() % UInt64(n))
      var s = 0.0
      for k in 0..<n { s += a[i, k] * b[k, j] }
      #expect(abs(c[i, j] - s) < 1e-9, "entry (\(i), \(j))")
    }
  }

  @Test func matrixVector() {
    let a = Matrix(rows: [[1, 2, 3], [4, 5, 6]])
    #expect(a.multiplied(byColumnVector: [1, 0, -1]) == [-2, -2])
    #expect(a.leftMultiplied(byRowVector: [1, 1]) == [5, 7, 9])
  }

  @Test func batchedPropagationEqualsRowByRowSteps() {
    let p = randomStochastic(125, seed: 3)
    let batch = randomStochastic(125, seed: 4).submatrix(rows: Array(0..<40), columns: Array(0..<125))
    let next = p.propagate(batch)
    for r in 0..<batch.rowCount {
      expectClose(next.row(r), p.leftMultiplied(byRowVector: batch.row(r)), tolerance: 1e-13)
    }
    // Distributions stay distributions.
    for r in 0..<next.rowCount { #expect(abs(next.row(r).reduce(0, +) - 1) < 1e-12) }
  }

  @Test func powerByRepeatedSquaring() {
    let p = randomStochastic(9, seed: 5)
    var naive = Matrix.identity(9)
    for _ in 0..<13 { naive = naiveProduct(naive, p) }
    expectClose(p.power(13), naive, tolerance: 1e-13)
    expectClose(p.power(0), .identity(9), tolerance: 0)
    expectClose(p.power(1), p, tolerance: 0)
    #expect(p.power(64).isRowStochastic(tolerance: 1e-9))
  }
}

@Suite("Solving and inverting through LAPACK")
struct SolveTests {
  @Test func publishedDgesvExample() {
    // The dgesv example of the Intel MKL LAPACK examples (n = 5, nrhs = 3), with its published solution.
    let a = Matrix(rows: [
      [6.80, -6.05, -0.45, 8.32, -9.67],
      [-2.11, -3.30, 2.58, 2.71, -5.14],
      [5.66, 5.36, -2.70, 4.35, -7.26],
      [5.97, -4.44, 0.27, -7.17, 6.08],
      [8.23, 1.08, 9.04, 2.14, -6.87],
    ])
    let b = Matrix(rows: [
      [4.02, -1.56, 9.81],
      [6.19, 4.00, -4.09],
      [-8.22, -8.67, -4.57],
      [-7.57, 1.75, -8.61],
      [-3.03, 2.86, 8.99],
    ])
    let x = try! a.solve(b)
    let published = Matrix(rows: [
      [-0.80, -0.39, 0.96],
      [-0.70, -0.55, 0.22],
      [0.59, 0.84, 1.90],
      [1.32, -0.10, 5.36],
      [0.57, 0.11, 4.04],
    ])
    expectClose(x, published, tolerance: 0.006)  // published to two decimals
    expectClose(a * x, b, tolerance: 1e-12)
  }

  @Test func oneByOne() throws {
    #expect(try Matrix(rows: [[4]]).solve(vector: [2]) == [0.5])
    #expect(try Matrix(rows: [[4]]).inverse() == Matrix(rows: [[0.25]]))
  }

  @Test func singularMatrixIsATypedError() {
    let a = Matrix(rows: [[1, 2], [2, 4]])
    #expect(throws: LinearAlgebraError.singular(operation: "solve", pivot: 1)) { try a.solve(vector: [1, 1]) }
    #expect(throws: LinearAlgebraError.singular(operation: "inverse", pivot: 1)) { try a.inverse() }
    let message = LinearAlgebraError.singular(operation: "solve", pivot: 1).description
    #expect(message.contains("singular") && message.contains("pivot 1"))
  }

  @Test(arguments: [1, 2, 10, 125])
  func inverseTimesMatrixIsIdentity(n: Int) throws {
    // Diagonally dominant, so well conditioned.
    var a = randomMatrix(n, n, seed: UInt64(n))
    for i in 0..<n { a[i, i] += Double(n) }
    expectClose(try a.inverse() * a, .identity(n), tolerance: 1e-12)
  }

  @Test func largeSolve() throws {
    let n = 2000
    var a = randomMatrix(n, n, seed: 21)
    for i in 0..<n { a[i, i] += 50 }
    let xTrue = randomMatrix(n, 1, seed: 22)
    let b = a * xTrue
    expectClose(try a.solve(b), xTrue, tolerance: 1e-10)
  }
}

@Suite("Markov-chain quantities")
struct MarkovTests {
  @Test func stationaryDistributionOfTwoStateChain() throws {
    // P = [[1-a, a], [b, 1-b]] has pi = (b, a) / (a + b).
    let a = 0.1, b = 0.3
    let p = Matrix(rows: [[1 - a, a], [b, 1 - b]])
    expectClose(try p.stationaryDistribution(), [0.75, 0.25], tolerance: 1e-14)
  }

  @Test func stationaryDistributionIsAFixedPoint() throws {
    let p = randomStochastic(125, seed: 9)
    let pi = try p.stationaryDistribution()
    expectClose(p.leftMultiplied(byRowVector: pi), pi, tolerance: 1e-13)
    #expect(abs(pi.reduce(0, +) - 1) < 1e-12)
    // The rows of a high power of an ergodic chain converge to pi.
    expectClose(p.power(256).row(17), pi, tolerance: 1e-10)
  }

  @Test func reducibleChainHasNoUniqueStationaryDistribution() {
    let p = Matrix(rows: [[1, 0, 0], [0.2, 0.5, 0.3], [0, 0, 1]])  // two absorbing states
    #expect(throws: LinearAlgebraError.noUniqueStationaryDistribution) { try p.stationaryDistribution() }
  }

  @Test func singleAbsorbingStateHoldsAllMass() throws {
    let p = Matrix(rows: [[0.5, 0.5], [0, 1]])
    expectClose(try p.stationaryDistribution(), [0, 1], tolerance: 1e-14)
  }

  @Test func fundamentalMatrixOfGamblersRuin() throws {
    // Gambler's ruin with fair coin on 0...4, transient states 1, 2, 3 (Kemeny & Snell 3.2):
    // N = [[1.5, 1, 0.5], [1, 2, 1], [0.5, 1, 1.5]], expected steps to absorption (3, 4, 3).
    let q = Matrix(rows: [[0, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0]])
    let n = try q.fundamentalMatrix()
    expectClose(n, Matrix(rows: [[1.5, 1, 0.5], [1, 2, 1], [0.5, 1, 1.5]]), tolerance: 1e-14)
    expectClose(n.multiplied(byColumnVector: [1, 1, 1]), [3, 4, 3], tolerance: 1e-14)
  }

  @Test func fundamentalMatrixOfClosedTransientClassIsSingular() {
    let q = Matrix(rows: [[0, 1], [1, 0]])  // never absorbed
    #expect(throws: LinearAlgebraError.self) { try q.fundamentalMatrix() }
  }

  @Test func rowStochasticCheck() {
    #expect(Matrix(rows: [[0.5, 0.5], [1, 0]]).isRowStochastic())
    #expect(!Matrix(rows: [[0.5, 0.6], [1, 0]]).isRowStochastic())
    #expect(!Matrix(rows: [[1.5, -0.5], [1, 0]]).isRowStochastic())
  }
}

@Suite("Positive semi-definite factor (LAPACKE dpstrf)")
struct SemidefiniteFactorTests {
  @Test func rankOneByHand() {
    // [[4, 2], [2, 1]] = (2, 1)^T (2, 1): rank one, which plain Cholesky cannot factor.
    let f = Matrix(rows: [[4, 2], [2, 1]]).positiveSemidefiniteFactor()
    #expect(f.columnCount == 1)
    let (a, b) = (f[0, 0], f[1, 0])
    #expect(abs(abs(a) - 2) < 1e-12)
    #expect(abs(abs(b) - 1) < 1e-12)
    #expect(a * b > 0)
  }

  @Test func multinomialCovarianceIsRebuilt() {
    // n (diag(p) - p p^T) for n = 100, p = (0.5, 0.3, 0.2, 0): rank 2 (the counts sum to n, and
    // the last state cannot be reached). F F^T must give it back, whatever the pivoting did.
    let p: [Double] = [0.5, 0.3, 0.2, 0]
    var c = Matrix(rowCount: 4, columnCount: 4)
    for i in 0..<4 {
      for j in 0..<4 { c[i, j] = 100 * ((i == j ? p[i] : 0) - p[i] * p[j]) }
    }
    let f = c.positiveSemidefiniteFactor()
    #expect(f.columnCount == 2)
    expectClose(f.multiplied(by: f, transposingOther: true), c, tolerance: 1e-9)
  }

  @Test func pivotedFactorIsLowerTrapezoidal() {
    // The same rank-2 covariance: L is 4 x 2 with a zero above its diagonal, the pivots a
    // permutation of the rows, and the rows of L put back in pivot order rebuild the matrix.
    let p: [Double] = [0.2, 0.3, 0.5, 0]
    var c = Matrix(rowCount: 4, columnCount: 4)
    for i in 0..<4 {
      for j in 0..<4 { c[i, j] = 100 * ((i == j ? p[i] : 0) - p[i] * p[j]) }
    }
    let (l, pivots) = c.pivotedCholesky()
    #expect(l.rowCount == 4 && l.columnCount == 2)
    #expect(l[0, 1] == 0)
    #expect(pivots.sorted() == [0, 1, 2, 3])
    // The first pivot is the largest variance, 100 x 0.5 x 0.5 = 25, so L[0, 0] = 5.
    #expect(pivots[0] == 2 && abs(l[0, 0] - 5) < 1e-12)
    let rebuilt = l.multiplied(by: l, transposingOther: true)
    for a in 0..<4 {
      for b in 0..<4 { #expect(abs(rebuilt[a, b] - c[pivots[a], pivots[b]]) < 1e-9) }
    }
  }

  @Test(arguments: [(3, 5, 5), (7, 6, 9), (1, 1, 4), (40, 13, 13)])
  func triangularProductIsTheFullProduct(m: Int, r: Int, w: Int) {
    // Z . L^T through dtrmm + dgemm against one plain dgemm of the same matrices, for a random
    // lower trapezoidal L (square and taller than wide) and a random Z.
    var random = RandomSource(seed: 3, stream: UInt64(m * 100 + w))
    var l = Matrix(rowCount: w, columnCount: r)
    for k in 0..<w {
      for c in 0..<min(k + 1, r) { l[k, c] = random.uniform() - 0.5 }
    }
    var z = Matrix(rowCount: m, columnCount: r)
    for k in z.elements.indices { z.elements[k] = random.uniform() - 0.5 }
    expectClose(z.multiplied(byTransposedLowerTrapezoidal: l), z.multiplied(by: l, transposingOther: true), tolerance: 1e-13)
  }
}

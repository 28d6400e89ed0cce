import Dispatch

/// Process noise for large bases: one multivariate normal per step instead of one multinomial
/// per state (the linear noise approximation of the chain, van Kampen's expansion).
///
/// Customers leaving state i in a step split multinomially over its row: the counts arriving
/// in each state, and the flows of each KPI kind (churn, conversions, ...) that the same moves
/// make, have mean `x_i p_i` and covariance `x_i (diag(p_i) - p_i p_i^T)` mapped onto those
/// counts. Summed over the states, a step's noise is normal with covariance
///
/// ```
/// C_t = sum_i x_i (U_i^T diag(p_i) U_i - q_i q_i^T),   q_i = U_i^T p_i
/// ```
/// where row j of `U_i` marks state j and the flow kinds the move i -> j counts toward. Moving
/// every customer costs one binomial per state and destination per replicate and step
/// (seconds for a 1,000-replicate forecast of a million customers over 125 states); with the
/// covariance factored once per step (`C_t = F_t F_t^T`), a replicate's step costs one
/// standard normal per dimension (Ziggurat), and about `rowsPerProduct` replicates together
/// one triangular product.
///
/// Entrants (Poisson, variance = mean) join the normal from `normalEntrantMinimumMean` a state.
/// The covariance is taken on the expected path with the point matrices: the noise's own
/// spread changes with the replicate's states and parameter draw only at second order. A
/// state that the noise would push below zero is set to zero. With many customers in every
/// state the binomials are close to normal; that is why only bases of at least
/// `ForecastOptions.gaussianNoiseMinimumBase` customers take this path.
struct GaussianProcessNoise: Sendable {
  /// Per step: the factor F_t, one row per dimension that varies (`dimensions`) x rank, lower
  /// trapezoidal (the pivoted Cholesky factor, its rows in pivot order).
  let factors: [Matrix]
  /// Per step: the dimensions the factor's rows stand for: a state (below S) or S + a flow
  /// kind. States nobody can reach, and flows nobody makes, have no noise and no row.
  let dimensions: [[Int]]

  /// - Parameters:
  ///   - start: customers per state at the start of the forecast.
  ///   - matrix: the point transition matrix of each step.
  ///   - inflow: expected entrants per step and state (from `normalEntrantMinimumMean`, their
  ///     Poisson variance is part of the step's covariance).
  init(start: [Double], matrix: (Int) -> Matrix, inflow: [[Double]], flows: FlowKinds, horizon: Int) {
    // The expected path first (cheap and sequential), then each step's factor on its own core.
    var path = [start]
    for t in 0..<(horizon - 1) {
      var x = matrix(t).leftMultiplied(byRowVector: path[t])
      for j in 0..<x.count { x[j] += inflow[t][j] }
      path.append(x)
    }
    let bases = path
    let matrices = (0..<horizon).map(matrix)
    let factored = Partials<(factor: Matrix, dimensions: [Int])>(count: horizon)
    DispatchQueue.concurrentPerform(iterations: horizon) { t in
      var c = Self.covariance(base: bases[t], matrix: matrices[t], flows: flows)
      for (j, mean) in inflow[t].enumerated() where mean >= Self.normalEntrantMinimumMean { c[j, j] += mean }
      // Dimensions whose variance is below 1e-9 of the largest (a standard deviation of a
      // hundredth of a customer when the largest variance is 100,000) are left without noise: they
      // are zero up to rounding, or too small to matter, and would only widen the factor.
      let largest = (0..<c.rowCount).map { c[$0, $0] }.max() ?? 0
      let varying = (0..<c.rowCount).filter { c[$0, $0] > 1e-9 * largest }
      // Dimensions in pivot order, so that the factor is lower trapezoidal (`draws`).
      let (lower, pivots) = c.submatrix(rows: varying, columns: varying).pivotedCholesky()
      factored.store((lower, pivots.map { varying[$0] }), at: t)
    }
    let all = factored.all()
    factors = all.map(\.factor)
    dimensions = all.map(\.dimensions)
  }

  /// The covariance of one step's moves out of `base`: the first S rows and columns are the
  /// customers arriving in each state, then one per flow kind.
  static func covariance(base x: [Double], matrix p: Matrix, flows: FlowKinds) -> Matrix {
    let s = p.rowCount
    let kinds = flows.members.count
    let n = s + kinds
    var c = [Double](repeating: 0, count: n * n)
    // Row i: sqrt(x_i) q_i, so that the sum of the x_i q_i q_i^T terms is one product, Q^T Q.
    var q = Matrix(rowCount: s, columnCount: n)
    var kindsOfMove: [Int] = []
    for i in 0..<s where x[i] > 0 {
      let root = x[i].squareRoot()
      for j in 0..<s where p[i, j] > 0 {
        let w = x[i] * p[i, j]
        c[j * n + j] += w
        q[i, j] = root * p[i, j]
        // The kinds this move counts toward: it adds to those flows and to state j together.
        kindsOfMove.removeAll(keepingCapacity: true)
        for f in 0..<kinds where flows.members[f][i * s + j] { kindsOfMove.append(s + f) }
        for a in kindsOfMove {
          q[i, a] += root * p[i, j]
          c[j * n + a] += w
          c[a * n + j] += w
          for b in kindsOfMove { c[a * n + b] += w }
        }
      }
    }
    // Minus x_i q_i q_i^T: the row's customers are a fixed number, shared among destinations.
    return Matrix(rowCount: n, columnCount: n, elements: c) - q.multiplied(by: q, transposingSelf: true)
  }

  /// From this mean on (where exact Poisson draws turn to rejection), a state's entrants are
  /// part of the step's normal, with variance = mean. One state's Poisson(10) is skewed (third
  /// moment 1 / sqrt(10)), but every band sums states, and a sum of Poissons is a Poisson of
  /// the summed mean, close to normal. Below it they are drawn one by one (cheap there).
  static let normalEntrantMinimumMean = 10.0

  /// Rows the engine gathers for one noise product: groups of about 10 replicates run as
  /// chunks of about this many, because each product first packs the step's factor (r^2 / 2
  /// values), a cost that a few rows would not repay. 1,000 replicates make 10 chunks, 5 per core.
  static let rowsPerProduct = 100

  /// Stream of replicate r's noise normals: its own, apart from its other draws (`stream: r`),
  /// so its noise is the same whichever replicates it is drawn with.
  static func stream(replicate: Int) -> UInt64 { 0x4015_E000_0000 + UInt64(replicate) }

  /// Noise of every step for the given replicates: per step, row k is replicate
  /// `replicates[k]`'s (all steps from its own stream, so results depend neither on threads nor
  /// on how replicates are grouped), column c is dimension `dimensions[t][c]`.
  /// - Complexity: one standard normal per replicate, step and rank, and one triangular
  ///   product per step.
  func draws(replicates: [Int], seed: UInt64) -> [Matrix] {
    var normals = factors.map { Matrix(rowCount: replicates.count, columnCount: $0.columnCount) }
    for (row, replicate) in replicates.enumerated() {
      var random = RandomSource(seed: seed, stream: Self.stream(replicate: replicate))
      for t in normals.indices {
        let rank = normals[t].columnCount
        random.fillNormals(&normals[t].elements, in: (row * rank)..<((row + 1) * rank))
      }
    }
    return zip(normals, factors).map { $0.multiplied(byTransposedLowerTrapezoidal: $1) }
  }
}

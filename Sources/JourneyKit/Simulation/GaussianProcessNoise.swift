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
/// standard normal per dimension, and all replicates of a group one dgemm.
///
/// The covariance is taken on the expected path with the point matrices: the noise's own
/// spread changes with the replicate's states and parameter draw only at second order. A
/// state that the noise would push below zero is set to zero. With many customers in every
/// state the binomials are close to normal; that is why only bases of at least
/// `ForecastOptions.gaussianNoiseMinimumBase` customers take this path.
struct GaussianProcessNoise: Sendable {
  /// Per step: the factor F_t, one row per dimension that varies (`dimensions`) x rank.
  let factors: [Matrix]
  /// Per step: the dimensions the factor's rows stand for: a state (below S) or S + a flow
  /// kind. States nobody can reach, and flows nobody makes, have no noise and no row.
  let dimensions: [[Int]]

  /// - Parameters:
  ///   - start: customers per state at the start of the forecast.
  ///   - matrix: the point transition matrix of each step.
  ///   - inflow: expected entrants per step and state.
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
      let c = Self.covariance(base: bases[t], matrix: matrices[t], flows: flows)
      let varying = (0..<c.rowCount).filter { c[$0, $0] > 0 }
      factored.store((c.submatrix(rows: varying, columns: varying).positiveSemidefiniteFactor(), varying), at: t)
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
    var q = [Double](repeating: 0, count: n)
    var touched: [Int] = []
    var kindsOfMove: [Int] = []
    for i in 0..<s where x[i] > 0 {
      touched.removeAll(keepingCapacity: true)
      for j in 0..<s where p[i, j] > 0 {
        let w = x[i] * p[i, j]
        c[j * n + j] += w
        q[j] = p[i, j]
        touched.append(j)
        // The kinds this move counts toward: it adds to those flows and to state j together.
        kindsOfMove.removeAll(keepingCapacity: true)
        for f in 0..<kinds where flows.members[f][i * s + j] { kindsOfMove.append(s + f) }
        for a in kindsOfMove {
          q[a] += p[i, j]
          c[j * n + a] += w
          c[a * n + j] += w
          for b in kindsOfMove { c[a * n + b] += w }
        }
      }
      for f in s..<n where q[f] > 0 { touched.append(f) }
      // Minus x_i q_i q_i^T: the row's customers are a fixed number, shared among destinations.
      for a in touched {
        for b in touched { c[a * n + b] -= x[i] * q[a] * q[b] }
      }
      for a in touched { q[a] = 0 }
    }
    return Matrix(rowCount: n, columnCount: n, elements: c)
  }

  /// Noise of step t for a group's replicates: row k is replicate k's, drawn from its own
  /// stream (`random[k]`), so results do not depend on threads; column c is dimension
  /// `dimensions[t][c]`.
  func draw(step t: Int, random: inout [RandomSource]) -> Matrix {
    let factor = factors[t]
    let rank = factor.columnCount
    var z = Matrix(rowCount: random.count, columnCount: rank)
    for k in random.indices { random[k].fillNormals(&z.elements, in: (k * rank)..<((k + 1) * rank)) }
    return z.multiplied(by: factor, transposingOther: true)
  }
}

import Foundation

/// Which transition probabilities matter most: the sensitivity of customer equity and of
/// revenue over a horizon to each transition, computed analytically.
///
/// A lever moves probability into P[i][j] and takes it from the rest of row i in proportion
/// (the scenarios' renormalisation rule), so every row stays a distribution:
/// `dP = e_i (e_j - q_i)^T`, `q_i[k] = P[i][k] / (1 - P[i][j])` for k != j.
///
/// ```
/// equity E = x0^T v,  v = (I - bP)^-1 r,  b = 1/(1+d)
/// dE/de   = b (x0^T N)_i (v_j - q_i . v),          N = (I - bP)^-1   (one solve for x0^T N)
/// revenue over H periods R_H = sum_t x_t . r,  x_t = x_{t-1} P + a_t
/// dR_H/de = sum_{s=0}^{H-1} x_s[i] (C_s[j] - q_i . C_s),  C_s = sum_{u=0}^{H-1-s} P^u r
/// ```
/// (Caswell, *Matrix Population Models*, 2001, ch. 9, for sensitivities of Markov chains;
/// the equity formula is the derivative of Pfeifer & Carraway's closed form.)
public struct LeverAnalysis: Codable, Sendable {
  /// One transition and what a point more of it is worth.
  public struct Lever: Codable, Sendable {
    /// The state moved from.
    public var from: String
    /// The state moved to.
    public var to: String
    /// The transition's probability now.
    public var probability: Double
    /// Change of customer equity when P[from][to] rises by one percentage point.
    public var equityPerPoint: Double
    /// Change of revenue over the horizon (with the forecast's acquisition) per point.
    public var revenuePerPoint: Double
  }

  /// Periods of the revenue sensitivity.
  public var horizon: Int
  /// The discount rate per period of the equity.
  public var discountPerPeriod: Double
  /// Every transition, largest equity effect first.
  public var levers: [Lever]

  /// - Parameters:
  ///   - matrix: the transition matrix (defaults to the model's; churned stays absorbing).
  ///   - inflow: expected entrants per state and period over the horizon.
  public static func analyse(model: MarkovModel, horizon: Int, inflow: [[Double]], matrix: Matrix? = nil) throws -> LeverAnalysis {
    let p = matrix ?? model.matrix
    let s = p.rowCount
    let d = model.analysis.discountPerPeriod
    let b = 1 / (1 + d)
    let r = model.rewards.map(\.revenueMean)
    let x0 = model.currentBase
    let system = Matrix.identity(s) - b * p
    let v = try system.solve(vector: r)
    // x0^T N: solve (I - bP)^T w = x0.
    let w = try system.transposed.solve(vector: x0)
    // Expected path x_0 ... x_{H-1} and C_s = sum_{u=0}^{H-1-s} P^u r.
    var path: [[Double]] = [x0]
    for t in 1..<max(1, horizon) {
      var next = p.leftMultiplied(byRowVector: path[t - 1])
      for j in 0..<s { next[j] += inflow[t - 1][j] }
      path.append(next)
    }
    var powers: [[Double]] = [r]  // P^u r
    for u in 1..<max(1, horizon) { powers.append(p.multiplied(byColumnVector: powers[u - 1])) }
    var tails = [[Double]](repeating: [Double](repeating: 0, count: s), count: horizon)  // C_s
    var running = [Double](repeating: 0, count: s)
    for u in 0..<horizon {
      for k in 0..<s { running[k] += powers[u][k] }
      tails[horizon - 1 - u] = running
    }
    var levers: [Lever] = []
    let states = model.stateSpace.states
    for i in 0..<s where !states[i].isAbsorbing {
      for j in 0..<s where j != i && p[i, j] > 0 && p[i, j] < 1 {
        let rest = 1 - p[i, j]
        func compensated(_ values: [Double]) -> Double {
          var q = 0.0
          for k in 0..<s where k != j { q += p[i, k] / rest * values[k] }
          return values[j] - q
        }
        let equity = b * w[i] * compensated(v)
        var revenue = 0.0
        for step in 0..<horizon { revenue += path[step][i] * compensated(tails[step]) }
        levers.append(Lever(from: states[i].name, to: states[j].name, probability: p[i, j], equityPerPoint: equity / 100, revenuePerPoint: revenue / 100))
      }
    }
    levers.sort { abs($0.revenuePerPoint) > abs($1.revenuePerPoint) }
    return LeverAnalysis(horizon: horizon, discountPerPeriod: d, levers: levers)
  }

  /// The ranked table, in money.
  public func text(top: Int, period: PeriodKind) -> String {
    var out: [String] = []
    out.append("The transitions that matter most, ranked by revenue over the next \(horizon) \(period.rawValue)s.")
    out.append("A point is one percentage point of probability, taken from (or given to) the row's other moves in proportion.")
    out.append("")
    var t = TextTable(header: ["from", "to", "now", "revenue per point", "equity per point"], leftAligned: [0, 1])
    for lever in levers.prefix(top) {
      t.append([lever.from, lever.to, Format.percent(lever.probability), Format.number(lever.revenuePerPoint), Format.number(lever.equityPerPoint)])
    }
    out.append(t.render())
    if let first = levers.first {
      let direction = first.revenuePerPoint >= 0 ? "more" : "less"
      let value = abs(first.revenuePerPoint)
      out.append("")
      out.append("Biggest lever: one point \(direction) \(first.from) -> \(first.to) is worth \(Format.number(value)) in revenue over \(horizon) \(period.rawValue)s (\(Format.number(abs(first.equityPerPoint))) of customer equity).")
    }
    return out.joined(separator: "\n")
  }
}

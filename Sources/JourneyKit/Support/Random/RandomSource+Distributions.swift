import Foundation

extension RandomSource {
  /// Binomial(n, p): inversion for small means, a rounded normal beyond (n p (1-p) > 30, where
  /// its error in a customer count is far below the Monte Carlo noise it stands for).
  public mutating func binomial(_ n: Int, _ p: Double) -> Int {
    if n <= 0 || p <= 0 { return 0 }
    if p >= 1 { return n }
    let flip = p > 0.5
    let q = flip ? 1 - p : p
    let mean = Double(n) * q
    var k: Int
    if mean * (1 - q) > 30 {
      let x = (mean + (mean * (1 - q)).squareRoot() * normal()).rounded()
      k = Int(min(Double(n), max(0, x)))
    } else {
      // Inversion: walk the CDF from 0; expected steps about n q.
      let ratio = q / (1 - q)
      var probability = Foundation.pow(1 - q, Double(n))
      var cumulative = probability
      let u = uniform()
      k = 0
      while u > cumulative && k < n {
        probability *= ratio * Double(n - k) / Double(k + 1)
        cumulative += probability
        k += 1
      }
    }
    return flip ? n - k : k
  }

  /// A Dirichlet draw with parameters `alpha` (zeros stay zero).
  public mutating func dirichlet(_ alpha: [Double]) -> [Double] {
    var draws = alpha.map { $0 > 0 ? gamma(shape: $0) : 0 }
    let total = draws.reduce(0, +)
    if total > 0 { draws = draws.map { $0 / total } }
    return draws
  }
}

import Foundation

/// The chi-squared distribution's upper tail, for G-tests and likelihood-ratio tests.
public enum ChiSquared {
  /// P(X >= x) for X ~ chi-squared(df): the regularized upper incomplete gamma Q(df/2, x/2).
  public static func survival(_ x: Double, degreesOfFreedom df: Double) -> Double {
    precondition(df > 0, "degrees of freedom must be positive")
    if x <= 0 { return 1 }
    return regularizedGammaQ(df / 2, x / 2)
  }

  /// Q(a, x) by the series for x < a + 1 and Lentz's continued fraction otherwise
  /// (Numerical Recipes, 3rd ed., 6.2).
  static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
    let logPrefactor = a * log(x) - x - lgamma(a)
    if x < a + 1 {
      var term = 1 / a
      var sum = term
      var n = a
      for _ in 0..<10_000 {
        n += 1
        term *= x / n
        sum += term
        if abs(term) < abs(sum) * 1e-15 { break }
      }
      return max(0, min(1, 1 - sum * exp(logPrefactor)))
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1..<10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < tiny { d = tiny }
      c = b + an / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return max(0, min(1, exp(logPrefactor) * h))
  }
}

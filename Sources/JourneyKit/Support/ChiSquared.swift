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

/// Student's t distribution, for the trend-adjusted tests of `journey evaluate`.
public enum StudentT {
  /// P(|T| >= |t|) for T ~ t(df): the regularized incomplete beta I_x(df/2, 1/2), x = df / (df + t^2).
  public static func twoSidedP(_ t: Double, degreesOfFreedom df: Double) -> Double {
    precondition(df > 0, "degrees of freedom must be positive")
    guard t.isFinite else { return t.isNaN ? 1 : 0 }
    return regularizedBeta(df / (df + t * t), df / 2, 0.5)
  }

  /// The value below which T ~ t(df) falls with chance `p` (0 < p < 1): the inverse of
  /// `twoSidedP`, found by bisection (P(|T| >= t) falls as t grows).
  public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
    precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1")
    precondition(df > 0, "degrees of freedom must be positive")
    if p == 0.5 { return 0 }
    let tail = 2 * min(p, 1 - p)
    var low = 0.0, high = 1.0
    while twoSidedP(high, degreesOfFreedom: df) > tail { high *= 2 }
    for _ in 0..<200 where high - low > 1e-12 * high {
      let middle = (low + high) / 2
      if twoSidedP(middle, degreesOfFreedom: df) > tail { low = middle } else { high = middle }
    }
    let t = (low + high) / 2
    return p > 0.5 ? t : -t
  }

  /// I_x(a, b) by Lentz's continued fraction (Numerical Recipes, 3rd ed., 6.4), using the
  /// symmetry I_x(a, b) = 1 - I_(1-x)(b, a) where the fraction converges slowly.
  static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
    let logFront: Double = a * log(x) + b * log(1 - x) - logBeta
    if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, b, a) }
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1..<10_000 {
      let m = Double(m)
      var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return max(0, min(1, exp(logFront) * h / a))
  }
}

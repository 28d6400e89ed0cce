import Foundation
import JourneyKit
import Testing

/// The samplers the Monte Carlo stands on, against their distributions' definitions.
@Suite("Random samplers")
struct RandomSourceTests {
  /// P(X <= k) for X ~ Poisson(mean), summed from the probability mass function.
  static func poissonCDF(_ k: Int, mean: Double) -> Double {
    (0...k).reduce(0.0) { $0 + exp(-mean + Double($1) * log(mean) - lgamma(Double($1) + 1)) }
  }

  @Test(arguments: [3.7, 10.0, 50.0, 2_000.0])
  func poissonHasItsDistribution(mean: Double) {
    // Mean, variance and the CDF at mean - sd, mean, mean + sd against the definition, each
    // within 4 standard errors of 200,000 draws.
    var random = RandomSource(seed: 5, stream: 1)
    let n = 200_000
    let draws = (0..<n).map { _ in Double(random.poisson(mean: mean)) }
    let m = draws.reduce(0, +) / Double(n)
    let v = draws.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
    #expect(abs(m - mean) < 4 * (mean / Double(n)).squareRoot(), "mean \(m)")
    // Var(s^2) ~ (mu4 - sigma^4) / n with mu4 = mean (1 + 3 mean) for a Poisson.
    #expect(abs(v - mean) < 4 * ((mean * (1 + 3 * mean) - mean * mean) / Double(n)).squareRoot(), "variance \(v)")
    for k in [mean - mean.squareRoot(), mean, mean + mean.squareRoot()].map({ Int($0.rounded(.down)) }) {
      let expected = Self.poissonCDF(k, mean: mean)
      let share = Double(draws.filter { $0 <= Double(k) }.count) / Double(n)
      #expect(abs(share - expected) < 4 * (expected * (1 - expected) / Double(n)).squareRoot(), "P(X <= \(k)): \(share), expected \(expected)")
    }
  }

  @Test func filledNormalsAreStandardNormal() {
    // The Ziggurat: mean 0, variance 1, P(|z| < 1.6449) = 0.9, and neighbours uncorrelated.
    var random = RandomSource(seed: 9)
    var z = [Double](repeating: 0, count: 200_001)
    random.fillNormals(&z)
    let n = Double(z.count)
    let m = z.reduce(0, +) / n
    let v = z.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
    #expect(abs(m) < 4 / n.squareRoot())
    #expect(abs(v - 1) < 4 * (2 / n).squareRoot())
    let inside = Double(z.filter { abs($0) < 1.6449 }.count) / n
    #expect(abs(inside - 0.9) < 4 * (0.09 / n).squareRoot())
    let pairs: [Double] = stride(from: 0, to: z.count - 1, by: 2).map { z[$0] * z[$0 + 1] }
    let pairMean = pairs.reduce(0, +) / Double(pairs.count)
    let pairLimit = 4 / Double(pairs.count).squareRoot()
    #expect(abs(pairMean) < pairLimit)
  }

  @Test func zigguratNormalsHaveTheNormalCDF() {
    // The CDF at points inside the layers, on the wedges' scale and in the tail beyond the
    // base layer's edge r = 3.654 (drawn by a separate rejection step), against the normal's
    // own CDF, each within 4 standard errors of 2,000,000 draws. A wrong layer table, wedge or
    // tail moves one of these by many standard errors; a lost sign moves the lower half.
    var random = RandomSource(seed: 21, stream: 3)
    var z = [Double](repeating: 0, count: 2_000_000)
    random.fillNormals(&z)
    let n = Double(z.count)
    let sorted = z.sorted()
    func share(atMost x: Double) -> Double {
      var (low, high) = (0, sorted.count)
      while low < high {
        let mid = (low + high) / 2
        if sorted[mid] <= x { low = mid + 1 } else { high = mid }
      }
      return Double(low) / n
    }
    for x in [-4.0, -3.7, -3.0, -2.0, -1.2, -0.5, -0.1, 0, 0.05, 0.3, 1.0, 1.6449, 2.5, 3.0, 3.7, 4.0] {
      let expected = Normal.cdf(x)
      let limit = 4 * (expected * (1 - expected) / n).squareRoot()
      #expect(abs(share(atMost: x) - expected) < limit, "P(Z <= \(x)) = \(share(atMost: x)), expected \(expected)")
    }
    // The tail alone: P(|Z| > 3.7) = 2.16e-4, about 430 draws.
    let beyond = Double(z.filter { abs($0) > 3.7 }.count) / n
    let tail = 2 * Normal.cdf(-3.7)
    #expect(abs(beyond - tail) < 4 * (tail / n).squareRoot(), "P(|Z| > 3.7) = \(beyond), expected \(tail)")
    // Fourth moment 3 (kurtosis of the normal): Var(z^4) = 105 - 9 = 96.
    let fourth = z.reduce(0) { $0 + $1 * $1 * $1 * $1 } / n
    #expect(abs(fourth - 3) < 4 * (96 / n).squareRoot(), "E[Z^4] = \(fourth)")
  }

  @Test func zigguratNormalsAreIndependentAndSeeded() {
    // Successive draws uncorrelated at lags 1, 2 and 256 (the table size), also in their
    // squares; the same seed and stream give the same values, another stream other values.
    var random = RandomSource(seed: 4, stream: 8)
    var z = [Double](repeating: 0, count: 400_000)
    random.fillNormals(&z)
    let n = Double(z.count)
    for lag in [1, 2, 256] {
      let products = (0..<(z.count - lag)).map { z[$0] * z[$0 + lag] }
      let squares = (0..<(z.count - lag)).map { (z[$0] * z[$0] - 1) * (z[$0 + lag] * z[$0 + lag] - 1) }
      #expect(abs(products.reduce(0, +) / n) < 4 / n.squareRoot(), "lag \(lag)")
      // Var((z^2 - 1)(w^2 - 1)) = 2 x 2 for independent normals.
      #expect(abs(squares.reduce(0, +) / n) < 4 * 2 / n.squareRoot(), "lag \(lag), squares")
    }
    var again = RandomSource(seed: 4, stream: 8)
    var other = RandomSource(seed: 4, stream: 9)
    var (a, b) = ([Double](repeating: 0, count: 1_000), [Double](repeating: 0, count: 1_000))
    again.fillNormals(&a)
    other.fillNormals(&b)
    #expect(a == Array(z[0..<1_000]))
    #expect(a != b)
    // One at a time gives the same values as filling.
    var single = RandomSource(seed: 4, stream: 8)
    #expect((0..<1_000).map { _ in single.zigguratNormal() } == a)
  }
}

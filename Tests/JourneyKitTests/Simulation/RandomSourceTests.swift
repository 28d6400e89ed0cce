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
    // Both values of each polar pair are used: mean 0, variance 1, P(|z| < 1.6449) = 0.9, and
    // neighbours (the two halves of a pair) uncorrelated.
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
}

import JourneyKit
import Testing

/// 40 state sequences over states a, b, c, d, simulated in R (set.seed(42)) and fitted there with
/// `markovchainFit(data = seqs, method = "mle", confidencelevel = 0.95 / 0.90)` (markovchain 0.9.x,
/// Debian's r-cran-markovchain). Only the numbers are committed.
let markovchainSequences = """
  a a c
  d c c b c b c d d d a c
  b b a a c d
  a c b d c d
  c d d d a b b b b a
  d a b a b b b b c c
  c c c b
  b c b d d d a
  a a a a a a b b
  a a b
  a b b b b b b c c c d a
  d c b c c c c
  b c d c c b d
  c b b b b c
  c b b b c c d a
  a c b c d a b d d c b
  a a b
  c c d d d c c d d c d
  c c b a b c c b b b b
  d d d d d d a
  b c d a
  c d c d c c c c
  a a b c d c d d d d a a
  d c b b
  a b b b d d d c d d a a
  a a a a a a c d d a b b
  c c c
  d d d d a a
  a b c
  a c b
  c d a a b b b d d d
  c b b b a a a
  a a c d d d d d c b b
  a a a a c d
  c c c c d d d d
  c b a c b b b b
  b b d c d a a a a b b
  d a a a a b b b b a a c
  a b b b c b c d d d c b
  d c b c d
  """

@Suite("Fits against R's markovchain")
struct MarkovchainFixtureTests {
  let names = ["a", "b", "c", "d"]

  var counts: Matrix {
    let sequences = markovchainSequences.split(separator: "\n").map { line in
      line.split(separator: " ").map { names.firstIndex(of: String($0))! }
    }
    return TransitionCounts.pooled(sequences: sequences, stateCount: 4)
  }

  /// A four-state custom space with no absorbing state, to run the estimator on.
  var space: StateSpace {
    let states = names.map { CustomState(name: $0, stage: .custom, absorbing: false, conditions: []) }
    return StateSpace(kind: .custom(CustomStateRules(source: "fixture", windowPeriods: nil, states: states)), period: .month, rules: .defaults(for: .month))
  }

  @Test func maximumLikelihoodMatchesMarkovchainFit() {
    var c = TransitionCounts(stateCount: 4, firstPeriod: 0, periodCount: 2, keepSecondOrder: false)
    c.pooled = counts.elements
    var options = EstimatorOptions()
    options.prior = 0
    let p = Estimator.fit(c, space: space, options: options).matrix
    let r = Matrix(rows: [
      [0.5333333333333333, 0.283333333333333, 0.183333333333333, 0.0000000000000000],
      [0.0985915492957746, 0.563380281690141, 0.239436619718310, 0.0985915492957746],
      [0.0000000000000000, 0.314285714285714, 0.328571428571429, 0.3571428571428572],
      [0.2352941176470588, 0.000000000000000, 0.235294117647059, 0.5294117647058824],
    ])
    expectClose(p, r, tolerance: 1e-14)
    #expect(p.isRowStochastic(tolerance: 1e-12))
  }

  /// markovchain's C++ code takes z from its own normal-quantile approximation, which differs
  /// from the exact Phi^-1 in about the 7th digit; the bounds agree to 1e-7.
  @Test func standardErrorsAndIntervalsMatchMarkovchainFit() {
    let (se, lower95, upper95) = Estimator.confidenceIntervals(counts: counts, level: 0.95)
    expectClose(se, Matrix(rows: [
      [0.0942809041582063, 0.0687184270936277, 0.0552770798392567, 0.0000000000000000],
      [0.0372641029727407, 0.0890782439484051, 0.0580719102199670, 0.0372641029727407],
      [0.0000000000000000, 0.0670059394260490, 0.0685118789044674, 0.0714285714285714],
      [0.0588235294117647, 0.0000000000000000, 0.0588235294117647, 0.0882352941176471],
    ]), tolerance: 1e-14)
    expectClose(lower95, Matrix(rows: [
      [0.3485461182927700, 0.148647663122839, 0.0749922251283159, 0.0000000000000000],
      [0.0255552343516294, 0.388790095406942, 0.1256177434840889, 0.0255552343516294],
      [0.0000000000000000, 0.182956458926229, 0.1942905854570183, 0.2171454005374010],
      [0.1200020945602126, 0.000000000000000, 0.1200020945602126, 0.3564737300756129],
    ]), tolerance: 1e-7)
    expectClose(upper95, Matrix(rows: [
      [0.718120548373897, 0.418019003543828, 0.291674441538351, 0.000000000000000],
      [0.171627864239920, 0.737970467973340, 0.353255495952531, 0.171627864239920],
      [0.000000000000000, 0.445614969645200, 0.462852271685839, 0.497140313748313],
      [0.350586140733905, 0.000000000000000, 0.350586140733905, 0.702349799336152],
    ]), tolerance: 1e-7)
    let (_, lower90, upper90) = Estimator.confidenceIntervals(counts: counts, level: 0.90)
    expectClose(lower90.row(0), [0.3782550570738971, 0.170301587232795, 0.0924106344616444, 0], tolerance: 1e-7)
    expectClose(upper90.row(3), [0.332050206550972, 0, 0.332050206550972, 0.674545898061752], tolerance: 1e-7)
  }

  @Test func normalQuantile() {
    #expect(abs(Normal.quantile(0.975) - 1.959963984540054) < 1e-14)
    #expect(abs(Normal.quantile(0.05) + 1.644853626951472) < 1e-14)
    #expect(abs(Normal.quantile(1e-10) + 6.361340902404056) < 1e-12)
  }

  @Test func chiSquaredSurvival() {
    // R: pchisq(3.84, 1, lower.tail = FALSE) = 0.05004352; pchisq(20, 10, lower = F) = 0.02925269
    #expect(abs(ChiSquared.survival(3.84, degreesOfFreedom: 1) - 0.0500435212) < 1e-9)
    #expect(abs(ChiSquared.survival(20, degreesOfFreedom: 10) - 0.0292526881) < 1e-9)
    #expect(abs(ChiSquared.survival(0.5, degreesOfFreedom: 4) - 0.9735009788) < 1e-9)
  }
}

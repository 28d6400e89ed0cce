import Dispatch
import Foundation

/// Per customer: how its purchases after a launch bear on a change of the rate of falling dormant.
struct DormancyScore: Sendable, Equatable {
  /// d log L / d theta at theta = 1, where every dormancy rate is multiplied by theta from the
  /// launch on: negative when the customer kept buying longer than the model expects (fewer
  /// dormant spells), positive when it went quiet sooner.
  var score: Double
  /// -d^2 log L / d theta^2 at theta = 1 (the observed information).
  var information: Double
  /// The score between consecutive `rates` asked for, at their geometric midpoints (empty when
  /// none were).
  var scoreAtRate: [Double] = []
}

extension ActivityModel {
  /// The score of a change to the dormancy rate from `launch` on, per customer of `customers`
  /// (numbers of `h`; their purchase days through `h.through`).
  ///
  /// A customer's likelihood at grid point g is the product over its purchase gaps of
  /// `lambda [exp(M t)]_AA` and, after its last purchase, `[exp(M f) 1]_A` (see the model's
  /// documentation). With theta on every dormancy rate from the launch on, a gap that straddles
  /// the launch becomes `exp(M t_before) exp(M_theta t_after)` (the clock's operational days on
  /// each side), and gaps after it use `M_theta` alone. Mixed over the posterior of the grid:
  ///
  /// ```
  /// l(theta)    = log sum_g w_g L_g(theta)
  /// score       = (l(1 + e) - l(1 - e)) / 2e
  /// information = -(l(1 + e) - 2 l(1) + l(1 - e)) / e^2,       e = 0.05
  /// ```
  ///
  /// The sum of scores over a group is the locally most powerful statistic for theta under the
  /// model (Rao's score test); a customer who first bought after the launch has its whole life
  /// under theta, and the prior weights as its posterior at the start. With `rates` (ascending),
  /// also the score between each two of them, (l(r2) - l(r1)) / (r2 - r1) at sqrt(r1 r2): where
  /// a group's mean is zero tells the rate it lives under. Grid points more than e^-40 below the
  /// customer's best at theta = 1 are left out of those (within theta 0.5 to 1.5 a point gains
  /// at most e^18 even at the grid's fastest dormancy over a year).
  func dormancyScores(_ h: PurchaseHistories, launch: Int32, customers: [Int], rates asked: [Double] = []) -> [DormancyScore] {
    let end = h.through.dayNumber + 1
    let clock = self.clock(from: h.firstDay, through: end)
    let support = weights.indices.filter { weights[$0] > 0 }
    // The weights alone, without the spend link (`SpendLink`) the forecasts add: a launch may
    // change what customers spend, and the test would read that as a change in how they buy.
    let logWeights = support.map { Foundation.log(weights[$0]) }
    let e = Self.scoreStep
    let thetas: [Double] = [1, 1 - e, 1 + e] + asked
    let block = 512
    let blocks = Swift.stride(from: 0, to: customers.count, by: block).map { $0..<min(customers.count, $0 + block) }
    let results = Partials<[DormancyScore]>(count: blocks.count)
    DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
      var out: [DormancyScore] = []
      var spans: [(before: Double, after: Double, closesWithPurchase: Bool)] = []
      var firstParts: [TwoStateTransition] = []
      var logL = [[Double]](repeating: [Double](repeating: 0, count: support.count), count: thetas.count)
      for c in customers[blocks[b]] {
        let days = h.purchaseDays[c]
        guard let first = days.first else {
          out.append(DormancyScore(score: 0, information: 0, scoreAtRate: asked.dropFirst().map { _ in 0 }))
          continue
        }
        spans.removeAll(keepingCapacity: true)
        var lambdaTerms = 0
        for j in days.indices {
          let a = days[j]
          let closes = j + 1 < days.endIndex
          let b = closes ? days[j + 1] : end
          if closes { lambdaTerms += 1 }
          let before = a < launch ? clock.days(from: a, to: min(b, launch), since: first) : 0
          let after = b > launch ? clock.days(from: max(a, launch), to: b, since: first) : 0
          spans.append((before, after, closes))
        }
        var best = -Double.infinity
        for (k, g) in support.enumerated() {
          let (lambda, mu) = rates(ofGridPoint: g)
          // Spans before the launch are the same at every theta; the others' first parts too.
          var fixed = logWeights[k] + Double(lambdaTerms) * Foundation.log(lambda)
          firstParts.removeAll(keepingCapacity: true)
          for s in spans {
            let p1 = TwoStateTransition(lambda: lambda, mu: mu, omega: wakeRate, t: s.before)
            if s.after > 0 {
              firstParts.append(p1)
            } else {
              fixed += p1.logScale + Foundation.log(max(s.closesWithPurchase ? p1.aa : p1.aa + p1.ad, 1e-300))
            }
          }
          for (i, theta) in thetas.enumerated() {
            // theta = 1 comes first: a point far below the customer's best there is skipped.
            if i >= 3 && logL[0][k] < best - 40 {
              logL[i][k] = -Double.infinity
              continue
            }
            var total = fixed
            for (j, s) in spans.suffix(firstParts.count).enumerated() {
              let p1 = firstParts[j]
              let p2 = TwoStateTransition(lambda: lambda, mu: mu * theta, omega: wakeRate, t: s.after)
              let stay = p1.aa * p2.aa + p1.ad * p2.da
              let value = s.closesWithPurchase ? stay : stay + p1.aa * p2.ad + p1.ad * p2.dd
              total += p1.logScale + p2.logScale + Foundation.log(max(value, 1e-300))
            }
            logL[i][k] = total
            if i == 0 { best = max(best, total) }
          }
        }
        let l = logL.map { row -> Double in
          let top = row.max() ?? 0
          return top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
        }
        out.append(
          DormancyScore(
            score: (l[2] - l[1]) / (2 * e), information: -(l[2] - 2 * l[0] + l[1]) / (e * e),
            scoreAtRate: asked.indices.dropFirst().map { k in (l[3 + k] - l[2 + k]) / (asked[k] - asked[k - 1]) }))
      }
      results.store(out, at: b)
    }
    return results.all().flatMap { $0 }
  }

  /// The step of the finite differences in `dormancyScores`.
  static let scoreStep = 0.05

  /// Lives drawn from the model for customers who make their first purchase on `firstDays`:
  /// a grid point from the mixing distribution (nothing else is known of them), active at the first
  /// purchase, then purchases, dormant spells and returns on the model's clock through day `last`,
  /// once as fitted and once with every dormancy rate changed by `dormancyChange`, the two sharing
  /// every candidate event as in `simulate`. Per customer: its purchase days after the first
  /// (several on one day are one day), in each world.
  func simulateNewcomers(firstDays: [Int32], through last: Int32, dormancyChange: Double, seed: UInt64)
    -> [(plain: [Int32], changed: [Int32])]
  {
    guard let earliest = firstDays.min() else { return [] }
    let clock = self.clock(from: earliest, through: last + 1)
    let support = weights.indices.filter { weights[$0] > 0 }
    let omega = wakeRate
    return firstDays.enumerated().map { c, first in
      var rng = RandomSource(seed: seed, stream: UInt64(c) &+ 0x4E3C_0000)
      var u = rng.uniform()
      var j = 0
      while j < support.count - 1 && u >= weights[support[j]] { u -= weights[support[j]]; j += 1 }
      let (lambda, mu) = rates(ofGridPoint: support[j])
      let mus = [mu, mu * max(0, 1 + dormancyChange)]
      let muMax = max(mus[0], mus[1])
      let total = lambda + omega + muMax
      var active = [true, true]
      var bought: [[Int32]] = [[], []]
      guard total > 0 else { return ([], []) }
      // Calendar days one at a time, each its own operational length on the customer's clock.
      var day = first
      var clockAtDayStart = 0.0
      var next = rng.exponential() / total
      while day <= last {
        let dayEnd = clockAtDayStart + clock.days(from: day, to: day + 1, since: first)
        while next < dayEnd {
          let v = rng.uniform() * total
          if v < lambda {
            for w in 0..<2 where active[w] && day > first && bought[w].last != day { bought[w].append(day) }
          } else if v < lambda + omega {
            active = [true, true]
          } else {
            let mark = (v - lambda - omega) / muMax
            for w in 0..<2 where mark < mus[w] / muMax { active[w] = false }
          }
          next += rng.exponential() / total
        }
        clockAtDayStart = dayEnd
        day += 1
      }
      return (bought[0], bought[1])
    }
  }
}

/// `exp(M t)` of the two-state process with `M = [[-(mu + lambda), mu], [omega, -omega]]`, its
/// entries scaled by `exp(logScale)` so that long spans do not underflow:
///
/// ```
/// exp(M t) = e^(s1 t) [ (M - s2 I) - e^((s2 - s1) t) (M - s1 I) ] / (s1 - s2)
/// ```
/// with `s1 >= s2` the eigenvalues (`s1` from `s1 s2 = det`, as in `TwoStateExponential`); every
/// entry of the bracket is non-negative.
struct TwoStateTransition {
  var logScale: Double
  var aa: Double, ad: Double, da: Double, dd: Double

  init(lambda: Double, mu: Double, omega: Double, t: Double) {
    guard t > 0 else {
      (logScale, aa, ad, da, dd) = (0, 1, 0, 0, 1)
      return
    }
    let a = -(mu + lambda), d = -omega
    let tr = a + d
    let det = a * d - mu * omega
    let disc = max(1e-300, (tr * tr - 4 * det).squareRoot())
    let s2 = (tr - disc) / 2
    let s1 = det == 0 ? 0 : 2 * det / (tr - disc)
    let tail = Foundation.exp((s2 - s1) * t)
    logScale = s1 * t
    aa = ((a - s2) + tail * (s1 - a)) / disc
    ad = mu * (1 - tail) / disc
    da = omega * (1 - tail) / disc
    dd = ((d - s2) + tail * (s1 - d)) / disc
  }
}

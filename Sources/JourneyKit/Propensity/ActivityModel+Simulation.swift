import Dispatch
import Foundation

/// Per customer, purchases drawn from the activity model over calendar intervals after the end of
/// its history, without and with a change of the dormancy rate (`ActivityModel.simulate`).
struct SimulatedPurchases: Sendable {
  /// Per customer, per interval: purchases as fitted (empty for a customer without a purchase).
  var plain: [[Int]]
  /// The same customers and random numbers with every dormancy rate changed.
  var changed: [[Int]]
}

extension ActivityModel {
  /// One future per customer, drawn from the model: where `outlook` gives expectations, this gives
  /// a path, so that a customer who stays active keeps buying for several periods in a row and one
  /// who falls dormant stops (the spread of buying periods between customers, and how it follows
  /// their past, is the model's).
  ///
  /// Per customer with a purchase, with its own random stream (`seed`, stream = customer):
  ///
  /// ```
  /// grid point g     ~ the posterior over the mixing distribution given its purchase days
  /// active at the end ~ Bernoulli(P(active at the end | g, quiet since the last purchase))
  /// then, on its clock (seasons, ageing), candidate events at rate lambda + omega + mu_max:
  ///   purchase (lambda)  counted in each world where the customer is active
  ///   wake (omega)       every world becomes active
  ///   dormancy (mu_max)  with mark u ~ U(0,1), world w falls dormant when u < mu_w / mu_max
  /// mu_0 = mu, mu_1 = mu (1 + dormancyChange), mu_max = max(mu_0, mu_1)
  /// ```
  ///
  /// The two worlds share every candidate event (uniformization), so they differ only where the
  /// change of the dormancy rate acts; each alone is the model's process exactly.
  ///
  /// - Parameters:
  ///   - days: calendar intervals, day numbers `from ..< to`, on or after the day after `h.through`.
  func simulate(_ h: PurchaseHistories, days: [(from: Int32, to: Int32)], dormancyChange: Double, seed: UInt64) -> SimulatedPurchases {
    let n = h.customerCount
    let next = h.through.dayNumber + 1
    let clock = self.clock(from: h.firstDay, through: max(next, days.map(\.to).max() ?? next))
    let posteriorsOf = ActivityPosteriors(self, h, customers: 0..<n, clock: clock)
    let support = posteriorsOf.support
    let k = days.count
    let omega = wakeRate
    let block = 1_024
    let blocks = Swift.stride(from: 0, to: n, by: block).map { $0..<min(n, $0 + block) }
    let results = Partials<[(plain: [Int], changed: [Int])]>(count: blocks.count)
    DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
      var out: [(plain: [Int], changed: [Int])] = []
      var row = [Double](repeating: 0, count: support.count)
      var gaps: [Int32] = []
      for c in blocks[b] {
        guard let first = h.purchaseDays[c].first else {
          out.append(([], []))
          continue
        }
        var rng = RandomSource(seed: seed, stream: UInt64(c))
        let (sum, quiet) = posteriorsOf.read(h, customer: c, gaps: &gaps, into: &row)
        // The grid point, by the posterior.
        var u = rng.uniform() * sum
        var j = 0
        while j < row.count - 1 && u >= row[j] { u -= row[j]; j += 1 }
        let (lambda, mu) = rates(ofGridPoint: support[j])
        let activeShares = posteriorsOf.tables.activeAtEnd(quiet)
        let startsActive = rng.uniform() < activeShares[activeShares.startIndex + j]
        // The intervals' edges on the customer's clock, in operational days after `next`.
        let edges = days.map { (clock.days(from: next, to: $0.from, since: first), clock.days(from: next, to: $0.to, since: first)) }
        let end = edges.map(\.1).max() ?? 0
        let mus = [mu, mu * max(0, 1 + dormancyChange)]
        let muMax = max(mus[0], mus[1])
        let total = lambda + omega + muMax
        var active = [startsActive, startsActive]
        var counts = [[Int](repeating: 0, count: k), [Int](repeating: 0, count: k)]
        var t = 0.0
        while total > 0 {
          t += rng.exponential() / total
          if t >= end { break }
          let v = rng.uniform() * total
          if v < lambda {
            guard let i = edges.firstIndex(where: { t >= $0.0 && t < $0.1 }) else { continue }
            for w in 0..<2 where active[w] { counts[w][i] += 1 }
          } else if v < lambda + omega {
            active = [true, true]
          } else {
            let mark = (v - lambda - omega) / muMax
            for w in 0..<2 where mark < mus[w] / muMax { active[w] = false }
          }
        }
        out.append((counts[0], counts[1]))
      }
      results.store(out, at: b)
    }
    let all = results.all().flatMap { $0 }
    return SimulatedPurchases(plain: all.map(\.plain), changed: all.map(\.changed))
  }
}

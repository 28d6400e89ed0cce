/// One row of a transition matrix, ready for fast multinomial draws: how n customers in a
/// state split over its destinations.
///
/// Two methods, chosen per draw by cost: for few customers (n <= 12 destinations), each picks a destination from a
/// Walker/Vose alias table (one uniform each, O(1)); for many, conditional binomials over the
/// destinations, largest first (O(destinations)).
struct MultinomialRow: Sendable {
  /// Destinations with non-zero probability, largest probability first.
  let destinations: [Int]
  let probabilities: [Double]
  private let aliasProbability: [Double]
  private let alias: [Int]

  init(_ row: [Double]) {
    let entries = row.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
    let probabilities = entries.map(\.element)
    destinations = entries.map(\.offset)
    self.probabilities = probabilities
    // Vose's alias method.
    let k = entries.count
    let total = max(1e-300, probabilities.reduce(0, +))
    var scaled = probabilities.map { $0 * Double(k) / total }
    var aliasProbability = [Double](repeating: 1, count: k)
    var alias = Array(0..<k)
    var small = scaled.indices.filter { scaled[$0] < 1 }
    var large = scaled.indices.filter { scaled[$0] >= 1 }
    while let s = small.popLast(), let l = large.last {
      aliasProbability[s] = scaled[s]
      alias[s] = l
      scaled[l] -= 1 - scaled[s]
      if scaled[l] < 1 {
        large.removeLast()
        small.append(l)
      }
    }
    self.aliasProbability = aliasProbability
    self.alias = alias
  }

  var count: Int { destinations.count }

  /// Splits `n` customers: `moved[k]` receives how many go to `destinations[k]` (added to).
  /// The counts always sum to `n`.
  @inline(__always)
  func draw(_ n: Int, _ rng: inout RandomSource, into moved: inout [Int]) {
    let k = destinations.count
    guard n > 0, k > 0 else { return }
    if k == 1 {
      moved[0] += n
      return
    }
    // An alias draw costs a few ns per customer, a binomial some 60 ns per destination.
    if n <= 12 * k {
      for _ in 0..<n {
        let u = rng.uniform() * Double(k)
        let slot = Int(u)
        moved[u - Double(slot) < aliasProbability[slot] ? slot : alias[slot]] += 1
      }
      return
    }
    var remaining = n
    var mass = 1.0
    for position in 0..<k {
      guard remaining > 0 else { break }
      let p = probabilities[position]
      // The last destination takes whoever is left, so rounding in `mass` never loses anyone.
      let m = position == k - 1 || mass <= p ? remaining : rng.binomial(remaining, min(1, p / mass))
      mass -= p
      remaining -= m
      moved[position] += m
    }
  }
}

/// A window on `MultinomialRow` for tests: draws return counts per state.
struct MultinomialRowProbe: Sendable {
  let row: MultinomialRow
  let stateCount: Int
  init(_ probabilities: [Double]) {
    row = MultinomialRow(probabilities)
    stateCount = probabilities.count
  }
  func draw(_ n: Int, _ rng: inout RandomSource) -> [Int] {
    var moved = [Int](repeating: 0, count: row.count)
    row.draw(n, &rng, into: &moved)
    var byState = [Int](repeating: 0, count: stateCount)
    for (k, j) in row.destinations.enumerated() { byState[j] = moved[k] }
    return byState
  }
}

import JourneyKit
import Testing

@Suite("Levers")
struct LeverTests {
  @Test(arguments: [0, 1])
  func analyticSensitivitiesMatchFiniteDifferences(modelIndex: Int) throws {
    let model = modelIndex == 0 ? ScenarioTests.lifecycle : ScenarioTests.value
    let horizon = 12
    let s = model.stateSpace.count
    // Entrants made up here, not taken from the library: 30 a period into the first state (lead)
    // and 20 into the second (new, or new|less_valuable), growing by one a period.
    var inflow = [[Double]](repeating: [Double](repeating: 0, count: s), count: horizon)
    for t in 0..<horizon {
      inflow[t][0] = 30 + Double(t)
      inflow[t][1] = 20 + Double(t)
    }
    let analysis = try LeverAnalysis.analyse(model: model, horizon: horizon, inflow: inflow)
    let p = model.matrix
    let r = model.rewards.map(\.revenueMean)
    let b = 1 / (1 + model.analysis.discountPerPeriod)
    // Equity by its definition: the discounted series sum_t b^t P^t r, summed until the terms
    // vanish (not the library's linear solve).
    func equity(_ m: Matrix) -> Double {
      var v = r, term = r
      for _ in 0..<3_000 {
        term = m.multiplied(byColumnVector: term).map { $0 * b }
        for k in 0..<s { v[k] += term[k] }
      }
      return zip(model.currentBase, v).reduce(0) { $0 + $1.0 * $1.1 }
    }
    func revenue(_ m: Matrix) -> Double {
      var x = model.currentBase
      var total = 0.0
      for t in 0..<horizon {
        var next = m.leftMultiplied(byRowVector: x)
        for j in 0..<next.count { next[j] += inflow[t][j] }
        total += zip(next, r).reduce(0) { $0 + $1.0 * $1.1 }
        x = next
      }
      return total
    }
    // A lever, by its definition: P[i][j] rises by e, the rest of row i gives it up in proportion.
    func raised(_ i: Int, _ j: Int, by e: Double) -> Matrix {
      var m = p
      let rest = 1 - p[i, j]
      for k in 0..<s where k != j { m[i, k] = p[i, k] * (rest - e) / rest }
      m[i, j] = p[i, j] + e
      return m
    }
    let epsilon = 1e-6
    // Every move that can be raised or lowered (0 < P < 1, out of a state that is not absorbing) is listed once.
    var eligible = Set<String>()
    for (i, state) in model.stateSpace.states.enumerated() where !state.isAbsorbing {
      for j in 0..<s where j != i && p[i, j] > 0 && p[i, j] < 1 { eligible.insert(state.name + "->" + model.stateNames[j]) }
    }
    let listed: [String] = analysis.levers.map { $0.from + "->" + $0.to }
    #expect(listed.sorted() == eligible.sorted())
    // Central differences; each sensitivity within 1e-4 relative (or 1e-4 absolute near zero).
    var largest = (name: "", revenue: 0.0)
    for lever in analysis.levers {
      let i = model.stateSpace.index(of: lever.from)!
      let j = model.stateSpace.index(of: lever.to)!
      let up = raised(i, j, by: epsilon), down = raised(i, j, by: -epsilon)
      let revenuePerPoint: Double = (revenue(up) - revenue(down)) / (2 * epsilon) / 100
      let name = lever.from + "->" + lever.to
      if abs(revenuePerPoint) > abs(largest.revenue) { largest = (name, revenuePerPoint) }
      #expect(abs(revenuePerPoint - lever.revenuePerPoint) <= 1e-4 * max(1, abs(lever.revenuePerPoint)), "\(lever.from)->\(lever.to) revenue")
      guard analysis.levers.firstIndex(where: { $0.from == lever.from && $0.to == lever.to })! < 25 else { continue }
      let equityPerPoint: Double = (equity(up) - equity(down)) / (2 * epsilon) / 100
      #expect(abs(equityPerPoint - lever.equityPerPoint) <= 1e-4 * max(1, abs(lever.equityPerPoint)), "\(lever.from)->\(lever.to) equity")
      #expect(lever.probability == p[i, j])
    }
    // Ranked by size: the first lever is the largest by finite differences too.
    let first = analysis.levers[0].from + "->" + analysis.levers[0].to
    #expect(first == largest.name)
    let sizes = analysis.levers.map { abs($0.revenuePerPoint) }
    #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 >= $1 })
  }
}

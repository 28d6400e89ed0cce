import JourneyKit
import Testing

@Suite("Levers")
struct LeverTests {
  @Test(arguments: [0, 1])
  func analyticSensitivitiesMatchFiniteDifferences(modelIndex: Int) throws {
    let model = modelIndex == 0 ? ScenarioTests.lifecycle : ScenarioTests.value
    let horizon = 12
    let inflow = AcquisitionAssumption.historical.inflow(model: model, horizon: horizon)
    let analysis = try LeverAnalysis.analyse(model: model, horizon: horizon, inflow: inflow)
    let p = model.matrix
    let r = model.rewards.map(\.revenueMean)
    let b = 1 / (1 + model.analysis.discountPerPeriod)
    func equity(_ m: Matrix) throws -> Double {
      let v = try (Matrix.identity(m.rowCount) - b * m).solve(vector: r)
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
    let e0 = try equity(p)
    let r0 = revenue(p)
    let epsilon = 1e-6
    #expect(!analysis.levers.isEmpty)
    for lever in analysis.levers.prefix(25) {
      let i = model.stateSpace.index(of: lever.from)!
      let j = model.stateSpace.index(of: lever.to)!
      var m = p
      ScenarioPlanProbe.shift(&m, row: i, to: j, by: epsilon)
      let equityPerPoint = (try equity(m) - e0) / epsilon / 100
      let revenuePerPoint = (revenue(m) - r0) / epsilon / 100
      #expect(abs(equityPerPoint - lever.equityPerPoint) <= 1e-4 * max(1, abs(lever.equityPerPoint)), "\(lever.from)->\(lever.to) equity")
      #expect(abs(revenuePerPoint - lever.revenuePerPoint) <= 1e-4 * max(1, abs(lever.revenuePerPoint)), "\(lever.from)->\(lever.to) revenue")
    }
    // Ranked by size.
    let sizes = analysis.levers.map { abs($0.revenuePerPoint) }
    #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 >= $1 })
  }
}

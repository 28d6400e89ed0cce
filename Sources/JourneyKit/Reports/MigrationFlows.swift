/// Where today's customers are at the horizon, by segment, for the flow chart.
///
/// Each segment's customers now are moved through the forecast matrix for the horizon's
/// periods; whatever the forecast holds beyond them at the horizon came in during it (new
/// customers, and churned ones coming back), shown as its own source. Customers already
/// churned now are left out: they would only flow from churned to churned.
struct MigrationFlows {
  let report: ForecastReport
  let groups: SegmentGroups

  func chart() -> FlowChart {
    let model = report.model, f = report.forecast
    let s = model.stateSpace.count
    let horizon = f.periods.count
    let p = model.forecastMatrix()
    // Sparse rows: split-by models have thousands of mostly-empty rows.
    let rows: [[(Int, Double)]] = (0..<s).map { i in p.row(i).enumerated().filter { $0.element > 0 }.map { ($0.offset, $0.element) } }
    func propagate(_ x: [Double]) -> [Double] {
      var x = x
      for _ in 0..<horizon {
        var next = [Double](repeating: 0, count: s)
        for i in 0..<s where x[i] != 0 { for (j, v) in rows[i] { next[j] += x[i] * v } }
        x = next
      }
      return x
    }
    let g = groups.groups
    var arrived = [[Double]](repeating: [Double](repeating: 0, count: g.count), count: g.count)
    var fromStart = [Double](repeating: 0, count: g.count)
    for (k, group) in g.enumerated() {
      var x = [Double](repeating: 0, count: s)
      for i in group.states { x[i] = model.currentBase[i] }
      arrived[k] = groups.totals(propagate(x))
      for j in g.indices { fromStart[j] += arrived[k][j] }
    }
    let atHorizon = groups.totals(f.expectedStates.last ?? model.currentBase)
    let entered = zip(atHorizon, fromStart).map { max(0, $0 - $1) }
    let sources = g.indices.filter { !g[$0].isChurned }
    let now = groups.totals(model.currentBase)
    var left = sources.map { FlowChart.Node(name: g[$0].name, value: now[$0], colour: groups.colour($0)) }
    var flows: [FlowChart.Flow] = []
    for (position, k) in sources.enumerated() {
      for j in g.indices where arrived[k][j] > 0 { flows.append(.init(from: position, to: j, value: arrived[k][j])) }
    }
    if entered.reduce(0, +) > 0 {
      left.append(.init(name: "new and returning", value: entered.reduce(0, +), colour: Palette.categorical.last!))
      for j in g.indices where entered[j] > 0 { flows.append(.init(from: left.count - 1, to: j, value: entered[j])) }
    }
    var incoming = [Double](repeating: 0, count: g.count)
    for flow in flows { incoming[flow.to] += flow.value }
    let right = g.indices.map { FlowChart.Node(name: g[$0].name, value: incoming[$0], colour: groups.colour($0)) }
    let axis = report.axis
    let kind = model.window.period
    return FlowChart(
      title: "Where customers go by \(axis.count > 0 ? axis.label(axis.count - 1) : "the horizon") (expected customers)",
      leftTitle: "Now (\(PeriodAxis.shortName(kind.start(of: model.window.lastPeriod), kind)))",
      rightTitle: "At the horizon (\(axis.count > 0 ? axis.label(axis.count - 1) : "-"))", left: left, right: right, flows: flows)
  }
}

/// Shares of a whole over periods, stacked to 100%: the segment mix of the base.
struct StackedAreaChart: Chart {
  struct Series: Sendable {
    var name: String
    /// Amounts per period (customers); the chart shows each as a share of the period's total.
    var values: [Double]
    init(name: String, values: [Double]) {
      self.name = name
      self.values = values
    }
  }

  var title: String
  var axis: PeriodAxis
  var yTitle: String
  var series: [Series]

  init(title: String, axis: PeriodAxis, yTitle: String, series: [Series]) {
    self.title = title
    self.axis = axis
    self.yTitle = yTitle
    self.series = series
  }

  var totals: [Double] {
    (0..<axis.count).map { t in series.reduce(0) { $0 + (t < $1.values.count ? max(0, $1.values[t]) : 0) } }
  }

  var insufficientData: String? {
    if axis.count < 2 { return "it has \(axis.count) period\(axis.count == 1 ? "" : "s"); an area needs at least 2" }
    if totals.allSatisfy({ $0 <= 0 }) { return "there are no customers to split into segments" }
    return nil
  }

  func svg() -> String {
    let legend = series.enumerated().map { LegendEntry($1.name, colour: Palette.series($0)) }
    let share = AxisFormat.percent
    let provisional = LinearScale(covering: [0, 1], to: 0...1)
    var frame = ChartFrame(title: title, legend: legend, yTickLabels: share.labels(provisional.ticks, step: provisional.step))
    let y = LinearScale(covering: [0, 1], to: frame.top...frame.bottom, reversed: true)
    let n = axis.count
    let left = frame.left
    // Areas run edge to edge: the first period at the left of the plot, the last at the right.
    let step = frame.plotWidth / Double(max(1, n - 1))
    func x(_ i: Int) -> Double { left + step * Double(i) }
    let totals = self.totals
    var below = [Double](repeating: 0, count: n)
    for (k, s) in series.enumerated() {
      let above = (0..<n).map { t in below[t] + (totals[t] > 0 && t < s.values.count ? max(0, s.values[t]) / totals[t] : 0) }
      frame.canvas.polygon(
        (0..<n).map { (x($0), y(above[$0])) } + (0..<n).reversed().map { (x($0), y(below[$0])) }, fill: Palette.series(k))
      below = above
    }
    frame.drawYAxis(y, labels: share.labels(y.ticks, step: y.step), title: yTitle)
    frame.drawPeriodAxis(axis, x: x, slotWidth: step, title: axis.title)
    return frame.canvas.render(title: title)
  }
}

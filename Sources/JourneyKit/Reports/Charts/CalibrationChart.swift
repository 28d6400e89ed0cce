/// Predicted against observed rates per bin, with the diagonal of perfect calibration: how
/// well churn risks match what happened.
struct CalibrationChart: Chart {
  struct Bin: Sendable {
    var predicted: Double
    var observed: Double
    /// Customers in the bin; dots are sized by it.
    var count: Double
    init(predicted: Double, observed: Double, count: Double) {
      self.predicted = predicted
      self.observed = observed
      self.count = count
    }
  }

  var title: String
  var bins: [Bin]
  var xTitle: String
  var yTitle: String

  init(title: String, bins: [Bin], xTitle: String = "Predicted churn rate", yTitle: String = "Observed churn rate") {
    self.title = title
    self.bins = bins
    self.xTitle = xTitle
    self.yTitle = yTitle
  }

  var drawable: [Bin] { bins.filter { $0.count > 0 && $0.predicted.isFinite && $0.observed.isFinite } }

  var insufficientData: String? {
    drawable.count < 2 ? "it has \(drawable.count) bin\(drawable.count == 1 ? "" : "s") with customers; calibration needs at least 2" : nil
  }

  func svg() -> String {
    let bins = drawable
    let extent = (bins.flatMap { [$0.predicted, $0.observed] }.max() ?? 1)
    let legend = [LegendEntry("bins (area ~ customers)", colour: Palette.series(0), mark: .dot), LegendEntry("perfect calibration", colour: Palette.axis, mark: .dashedLine)]
    let provisional = LinearScale(covering: [0, extent], to: 0...1)
    // A square plot: both axes share the scale, so the diagonal is at 45 degrees.
    var frame = ChartFrame(width: 560, height: 600, title: title, legend: legend, yTickLabels: AxisFormat.percent.labels(provisional.ticks, step: provisional.step))
    let side = min(frame.plotWidth, frame.plotHeight)
    let x = LinearScale(covering: [0, extent], to: frame.left...(frame.left + side))
    let y = LinearScale(covering: [0, extent], to: (frame.bottom - side)...frame.bottom, reversed: true)
    frame.drawYAxis(y, labels: AxisFormat.percent.labels(y.ticks, step: y.step), title: yTitle)
    frame.drawXAxis(x, labels: AxisFormat.percent.labels(x.ticks, step: x.step), title: xTitle)
    frame.canvas.line(x1: x(x.lower), y1: y(y.lower), x2: x(x.upper), y2: y(y.upper), stroke: Palette.axis, width: 1.5, dashed: true)
    let largest = bins.map(\.count).max() ?? 1
    for b in bins {
      frame.canvas.circle(cx: x(b.predicted), cy: y(b.observed), r: 3 + 7 * (b.count / largest).squareRoot(), fill: Palette.series(0), stroke: "#FFFFFF")
    }
    return frame.canvas.render(title: title)
  }
}

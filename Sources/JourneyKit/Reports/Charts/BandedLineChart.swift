/// Lines over periods with shaded ranges: the fan chart (median in a P5-P95 band), the
/// counterfactual band against the actual line, and a backtest's predictions against what happened.
struct BandedLineChart: Chart {
  struct Band: Sendable {
    var name: String
    var low: [Double]
    var high: [Double]
    var colour: String
    init(name: String, low: [Double], high: [Double], colour: String) {
      self.name = name
      self.low = low
      self.high = high
      self.colour = colour
    }
  }

  struct Line: Sendable {
    var name: String
    /// One value per period; nil or non-finite leaves a gap.
    var values: [Double?]
    var colour: String
    var dashed: Bool
    /// Dots on the points, for observed values.
    var markers: Bool
    init(name: String, values: [Double?], colour: String, dashed: Bool = false, markers: Bool = false) {
      self.name = name
      self.values = values
      self.colour = colour
      self.dashed = dashed
      self.markers = markers
    }
  }

  var title: String
  var axis: PeriodAxis
  var yTitle: String
  var format: AxisFormat
  var bands: [Band]
  var lines: [Line]
  /// Start the y axis at zero (counts and money); rates that move little read better without.
  var includeZero: Bool
  /// A labelled vertical rule before a period (e.g. a launch).
  var marker: (period: Int, label: String)?

  init(
    title: String, axis: PeriodAxis, yTitle: String, format: AxisFormat = .number, bands: [Band] = [], lines: [Line],
    includeZero: Bool = true, marker: (period: Int, label: String)? = nil
  ) {
    self.title = title
    self.axis = axis
    self.yTitle = yTitle
    self.format = format
    self.bands = bands
    self.lines = lines
    self.includeZero = includeZero
    self.marker = marker
  }

  var insufficientData: String? {
    if axis.count < 2 { return "it has \(axis.count) period\(axis.count == 1 ? "" : "s"); a line needs at least 2" }
    let values = lines.flatMap { $0.values.compactMap { $0 } } + bands.flatMap { $0.low + $0.high }
    if !values.contains(where: { $0.isFinite }) { return "it has no values" }
    return nil
  }

  func svg() -> String {
    let legend = bands.map { LegendEntry($0.name, colour: $0.colour, mark: .band) }
      + lines.map { LegendEntry($0.name, colour: $0.colour, mark: $0.dashed ? .dashedLine : ($0.markers ? .dot : .line)) }
    let values = lines.flatMap { $0.values.compactMap { $0 } } + bands.flatMap { $0.low + $0.high }
    // The y labels decide the left margin, and the plot's top the scale: place with a
    // provisional scale, then build the real one on the final plot.
    let provisional = LinearScale(covering: values, to: 0...1, includeZero: includeZero)
    var frame = ChartFrame(title: title, legend: legend, yTickLabels: format.labels(provisional.ticks, step: provisional.step))
    let y = LinearScale(covering: values, to: frame.top...frame.bottom, reversed: true, includeZero: includeZero)
    frame.drawYAxis(y, labels: format.labels(y.ticks, step: y.step), title: yTitle)
    let slot = frame.plotWidth / Double(axis.count)
    let left = frame.left
    func x(_ i: Int) -> Double { left + slot * (Double(i) + 0.5) }
    frame.drawPeriodAxis(axis, x: x, slotWidth: slot, title: axis.title)
    for band in bands {
      let n = min(axis.count, band.low.count, band.high.count)
      let upper = (0..<n).filter { band.high[$0].isFinite && band.low[$0].isFinite }
      frame.canvas.polygon(upper.map { (x($0), y(band.high[$0])) } + upper.reversed().map { (x($0), y(band.low[$0])) }, fill: band.colour, opacity: 0.22)
    }
    if let marker, marker.period >= 0, marker.period < axis.count {
      let mx = x(marker.period) - slot / 2
      frame.canvas.line(x1: mx, y1: frame.top, x2: mx, y2: frame.bottom, stroke: Palette.axis, dashed: true)
      frame.canvas.text(marker.label, x: mx + 4, y: frame.top + 12, size: ChartFrame.tickSize, fill: Palette.axis)
    }
    for line in lines {
      let points = (0..<min(axis.count, line.values.count)).map { (x: x($0), y: line.values[$0].map { y($0) }) }
      for run in finiteRuns(points) {
        frame.canvas.polyline(run, stroke: line.colour, width: 2.5, dashed: line.dashed)
        if line.markers { for p in run { frame.canvas.circle(cx: p.x, cy: p.y, r: 3.5, fill: line.colour) } }
      }
    }
    return frame.canvas.render(title: title)
  }
}

/// Bars per category, grouped by series, with uncertainty whiskers: scenario profit and ROI,
/// and KPIs before and after a rollout.
struct BarChart: Chart {
  struct Value: Sendable {
    var value: Double
    /// The range drawn as a whisker (nil: no range known).
    var low: Double?
    var high: Double?
    init(_ value: Double, low: Double? = nil, high: Double? = nil) {
      self.value = value
      self.low = low
      self.high = high
    }
  }

  struct Series: Sendable {
    var name: String
    /// One per category; nil leaves the bar out.
    var values: [Value?]
    var colour: String
    init(name: String, values: [Value?], colour: String) {
      self.name = name
      self.values = values
      self.colour = colour
    }
  }

  var title: String
  var categories: [String]
  var series: [Series]
  var yTitle: String
  var xTitle: String
  var format: AxisFormat
  /// Says what the whiskers show, in the legend.
  var whiskerLabel: String?

  init(title: String, categories: [String], series: [Series], yTitle: String, xTitle: String = "", format: AxisFormat = .number, whiskerLabel: String? = nil) {
    self.title = title
    self.categories = categories
    self.series = series
    self.yTitle = yTitle
    self.xTitle = xTitle
    self.format = format
    self.whiskerLabel = whiskerLabel
  }

  var allValues: [Double] {
    series.flatMap { $0.values.compactMap { $0 }.flatMap { [$0.value, $0.low, $0.high].compactMap { $0 } } }.filter(\.isFinite)
  }

  var insufficientData: String? {
    categories.isEmpty || allValues.isEmpty ? "there are no values to compare" : nil
  }

  func svg() -> String {
    var legend = series.count > 1 ? series.map { LegendEntry($0.name, colour: $0.colour) } : []
    if let whiskerLabel { legend.append(LegendEntry(whiskerLabel, colour: Palette.text, mark: .line)) }
    let provisional = LinearScale(covering: allValues, to: 0...1, includeZero: true)
    let wrapsTwoLines = categories.contains { SVGCanvas.textWidth($0, size: ChartFrame.tickSize) > 600 / Double(max(1, categories.count)) }
    var frame = ChartFrame(title: title, legend: legend, yTickLabels: format.labels(provisional.ticks, step: provisional.step), bottomSpace: wrapsTwoLines ? 60 : 48)
    let y = LinearScale(covering: allValues, to: frame.top...frame.bottom, reversed: true, includeZero: true)
    frame.drawYAxis(y, labels: format.labels(y.ticks, step: y.step), title: yTitle)
    let slot = frame.plotWidth / Double(categories.count)
    let groupWidth = min(slot * 0.7, 60 * Double(series.count))
    let barWidth = groupWidth / Double(max(1, series.count))
    let zero = y(0)
    for (k, s) in series.enumerated() {
      for (i, v) in s.values.enumerated() where i < categories.count {
        guard let v, v.value.isFinite else { continue }
        let x = frame.left + slot * Double(i) + (slot - groupWidth) / 2 + barWidth * Double(k)
        let top = min(zero, y(v.value)), bottom = max(zero, y(v.value))
        frame.canvas.rect(x: x + 1, y: top, width: barWidth - 2, height: bottom - top, fill: s.colour)
        if let lo = v.low, let hi = v.high, lo.isFinite, hi.isFinite {
          let cx = x + barWidth / 2
          frame.canvas.line(x1: cx, y1: y(lo), x2: cx, y2: y(hi), stroke: Palette.text, width: 1.5)
          frame.canvas.line(x1: cx - 5, y1: y(lo), x2: cx + 5, y2: y(lo), stroke: Palette.text, width: 1.5)
          frame.canvas.line(x1: cx - 5, y1: y(hi), x2: cx + 5, y2: y(hi), stroke: Palette.text, width: 1.5)
        }
      }
    }
    frame.canvas.line(x1: frame.left, y1: zero, x2: frame.right, y2: zero, stroke: Palette.axis)
    frame.drawCategoryAxis(categories, centres: categories.indices.map { frame.left + slot * (Double($0) + 0.5) }, slotWidth: slot, title: xTitle)
    return frame.canvas.render(title: title)
  }
}

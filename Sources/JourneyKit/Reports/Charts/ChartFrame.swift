/// One entry of a chart's legend.
struct LegendEntry: Sendable, Equatable {
  enum Mark: Sendable, Equatable { case swatch, line, dashedLine, band, dot }
  var label: String
  var colour: String
  var mark: Mark

  init(_ label: String, colour: String, mark: Mark = .swatch) {
    self.label = label
    self.colour = colour
    self.mark = mark
  }
}

/// The parts every axis chart shares: title, legend, plot area, axes with ticks and titles.
///
/// Layout is computed from the labels (title on top, the legend wrapped under it, the y tick
/// labels' width on the left), so long labels move the plot rather than overlap it.
struct ChartFrame {
  static let titleSize = 15.0
  static let tickSize = 11.0
  static let labelSize = 12.0
  static let legendSize = 12.0

  var canvas: SVGCanvas
  let left: Double
  let top: Double
  let right: Double
  let bottom: Double

  var plotWidth: Double { right - left }
  var plotHeight: Double { bottom - top }

  /// - Parameters:
  ///   - yTickLabels: the widest decides the left margin.
  ///   - bottomSpace: room under the plot for tick labels and the x title.
  init(width: Double = 720, height: Double = 380, title: String, legend: [LegendEntry], yTickLabels: [String], bottomSpace: Double = 48, rightSpace: Double = 16) {
    canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: 8, y: 22, size: Self.titleSize, weight: "bold")
    let legendBottom = Self.drawLegend(legend, into: &canvas, top: 36, width: width - 16)
    let widest = yTickLabels.map { SVGCanvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
    left = 8 + 18 + widest + 8
    top = legendBottom + 12
    right = width - rightSpace
    bottom = height - bottomSpace
  }

  /// Lays the entries out in rows; returns the y below the last row.
  static func drawLegend(_ entries: [LegendEntry], into canvas: inout SVGCanvas, top: Double, width: Double) -> Double {
    guard !entries.isEmpty else { return top - 6 }
    var x = 8.0, y = top
    for entry in entries {
      let itemWidth = 22 + SVGCanvas.textWidth(entry.label, size: legendSize) + 18
      if x + itemWidth > width && x > 8 {
        x = 8
        y += 18
      }
      let mid = y + 6
      switch entry.mark {
      case .swatch: canvas.rect(x: x, y: mid - 6, width: 14, height: 12, fill: entry.colour)
      case .band: canvas.rect(x: x, y: mid - 6, width: 14, height: 12, fill: entry.colour, extra: [("fill-opacity", "25%")])
      case .line: canvas.line(x1: x, y1: mid, x2: x + 16, y2: mid, stroke: entry.colour, width: 2.5)
      case .dashedLine: canvas.line(x1: x, y1: mid, x2: x + 16, y2: mid, stroke: entry.colour, width: 2.5, dashed: true)
      case .dot: canvas.circle(cx: x + 7, cy: mid, r: 4.5, fill: entry.colour)
      }
      canvas.text(entry.label, x: x + 22, y: mid + 4, size: legendSize)
      x += itemWidth
    }
    return y + 12
  }

  /// Horizontal grid lines with their labels, and the rotated y title.
  mutating func drawYAxis(_ scale: LinearScale, labels: [String], title: String) {
    for (tick, label) in zip(scale.ticks, labels) {
      let y = scale(tick)
      canvas.line(x1: left, y1: y, x2: right, y2: y, stroke: tick == 0 ? Palette.axis : Palette.grid)
      canvas.text(label, x: left - 6, y: y + 4, size: Self.tickSize, anchor: .end, fill: Palette.axis)
    }
    canvas.text(title, x: 16, y: (top + bottom) / 2, size: Self.labelSize, anchor: .middle, fill: Palette.axis, rotate: -90)
  }

  /// Vertical grid lines with labels along the bottom, and the x title.
  mutating func drawXAxis(_ scale: LinearScale, labels: [String], title: String) {
    for (tick, label) in zip(scale.ticks, labels) {
      let x = scale(tick)
      canvas.line(x1: x, y1: top, x2: x, y2: bottom, stroke: tick == 0 ? Palette.axis : Palette.grid)
      canvas.text(label, x: x, y: bottom + 16, size: Self.tickSize, anchor: .middle, fill: Palette.axis)
    }
    drawXTitle(title)
  }

  /// Period labels at a stride that fits, with tick marks, and the x title.
  mutating func drawPeriodAxis(_ axis: PeriodAxis, x: (Int) -> Double, slotWidth: Double, title: String) {
    canvas.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: Palette.axis)
    let stride = axis.labelStride(slotWidth: slotWidth, fontSize: Self.tickSize)
    for i in Swift.stride(from: 0, to: axis.count, by: stride) {
      canvas.line(x1: x(i), y1: bottom, x2: x(i), y2: bottom + 4, stroke: Palette.axis)
      canvas.text(axis.label(i), x: x(i), y: bottom + 16, size: Self.tickSize, anchor: .middle, fill: Palette.axis)
    }
    drawXTitle(title)
  }

  /// Category names centred under their groups, wrapped onto two lines when long.
  mutating func drawCategoryAxis(_ names: [String], centres: [Double], slotWidth: Double, title: String) {
    canvas.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: Palette.axis)
    for (name, x) in zip(names, centres) {
      for (k, line) in Self.wrap(name, width: slotWidth - 4, size: Self.tickSize).prefix(2).enumerated() {
        canvas.text(line, x: x, y: bottom + 16 + Double(k) * 13, size: Self.tickSize, anchor: .middle, fill: Palette.axis)
      }
    }
    drawXTitle(title)
  }

  mutating func drawXTitle(_ title: String) {
    guard !title.isEmpty else { return }
    canvas.text(title, x: (left + right) / 2, y: canvas.height - 8, size: Self.labelSize, anchor: .middle, fill: Palette.axis)
  }

  /// Splits at spaces into lines no wider than `width` (a single long word stays whole).
  static func wrap(_ text: String, width: Double, size: Double) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
      let candidate = current.isEmpty ? String(word) : current + " " + word
      if SVGCanvas.textWidth(candidate, size: size) > width && !current.isEmpty {
        lines.append(current)
        current = String(word)
      } else {
        current = candidate
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }
}

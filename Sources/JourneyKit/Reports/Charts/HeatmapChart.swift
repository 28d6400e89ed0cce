/// A matrix of probabilities as coloured cells with their values: the transition matrix.
struct HeatmapChart: Chart {
  var title: String
  var rowLabels: [String]
  var columnLabels: [String]
  /// Row-major values in 0...1.
  var values: [[Double]]
  var rowTitle: String
  var columnTitle: String

  init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]], rowTitle: String, columnTitle: String) {
    self.title = title
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.values = values
    self.rowTitle = rowTitle
    self.columnTitle = columnTitle
  }

  var insufficientData: String? {
    rowLabels.isEmpty || columnLabels.isEmpty ? "the matrix has no states" : nil
  }

  func svg() -> String {
    let labelSize = 11.0
    let rowLabelWidth = (rowLabels.map { SVGCanvas.textWidth($0, size: labelSize) }.max() ?? 0) + 10
    let columnLabelHeight = (columnLabels.map { SVGCanvas.textWidth($0, size: labelSize) }.max() ?? 0) * 0.72 + 14
    let cell = min(56, max(26, (720 - 40 - rowLabelWidth) / Double(max(1, columnLabels.count))))
    let left = 8 + 20 + rowLabelWidth
    let legendHeight = 40.0
    let top = 36 + 18 + columnLabelHeight
    let width = max(720, left + cell * Double(columnLabels.count) + 16)
    let height = top + cell * Double(rowLabels.count) + legendHeight + 12
    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: 8, y: 22, size: ChartFrame.titleSize, weight: "bold")
    canvas.text(columnTitle, x: left + cell * Double(columnLabels.count) / 2, y: 46, size: ChartFrame.labelSize, anchor: .middle, fill: Palette.axis)
    // Column labels slanted so long state names fit over narrow cells.
    for (j, name) in columnLabels.enumerated() {
      let x = left + cell * (Double(j) + 0.5)
      canvas.text(name, x: x, y: top - 6, size: labelSize, fill: Palette.axis, rotate: -45)
    }
    canvas.text(rowTitle, x: 14, y: top + cell * Double(rowLabels.count) / 2, size: ChartFrame.labelSize, anchor: .middle, fill: Palette.axis, rotate: -90)
    for (i, name) in rowLabels.enumerated() {
      let y = top + cell * Double(i)
      canvas.text(name, x: left - 6, y: y + cell / 2 + 4, size: labelSize, anchor: .end, fill: Palette.axis)
      for j in 0..<columnLabels.count {
        let v = j < values[i].count ? values[i][j] : 0
        canvas.rect(x: left + cell * Double(j), y: y, width: cell - 1, height: cell - 1, fill: Palette.sequential(v))
        guard v > 0 else { continue }
        let text = v >= 0.9995 ? "100" : v < 0.001 ? "<0.1" : AxisFormat.trimmed(v * 100, decimals: v < 0.1 ? 1 : 0)
        canvas.text(
          text, x: left + cell * (Double(j) + 0.5) - 0.5, y: y + cell / 2 + 4, size: cell < 34 ? 9 : 11, anchor: .middle,
          fill: Palette.needsLightText(onSequential: v) ? "#FFFFFF" : Palette.text)
      }
    }
    // Colour key: the ramp with 0, 50 and 100%.
    let keyTop = top + cell * Double(rowLabels.count) + 14
    let keyWidth = 200.0
    let segments = 20
    canvas.text("% of the row moving in one period", x: left + keyWidth + 12, y: keyTop + 10, size: ChartFrame.tickSize, fill: Palette.axis)
    for k in 0..<segments {
      canvas.rect(x: left + keyWidth * Double(k) / Double(segments), y: keyTop, width: keyWidth / Double(segments) + 0.5, height: 10, fill: Palette.sequential((Double(k) + 0.5) / Double(segments)))
    }
    for (f, label) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
      canvas.text(label, x: left + keyWidth * f, y: keyTop + 24, size: ChartFrame.tickSize, anchor: .middle, fill: Palette.axis)
    }
    return canvas.render(title: title)
  }
}

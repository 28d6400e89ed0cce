/// Where customers go between two moments, as bands between two columns of segments (a
/// two-step Sankey / alluvial diagram): segment now on the left, segment at the horizon on the right.
struct FlowChart: Chart {
  struct Node: Sendable {
    var name: String
    var value: Double
    var colour: String
    init(name: String, value: Double, colour: String) {
      self.name = name
      self.value = value
      self.colour = colour
    }
  }

  struct Flow: Sendable {
    /// Indices into the left and right nodes.
    var from: Int
    var to: Int
    var value: Double
    init(from: Int, to: Int, value: Double) {
      self.from = from
      self.to = to
      self.value = value
    }
  }

  var title: String
  var leftTitle: String
  var rightTitle: String
  var left: [Node]
  var right: [Node]
  var flows: [Flow]

  init(title: String, leftTitle: String, rightTitle: String, left: [Node], right: [Node], flows: [Flow]) {
    self.title = title
    self.leftTitle = leftTitle
    self.rightTitle = rightTitle
    self.left = left
    self.right = right
    self.flows = flows
  }

  var insufficientData: String? {
    left.reduce(0) { $0 + $1.value } <= 0 || right.reduce(0) { $0 + $1.value } <= 0 ? "there are no customers to follow" : nil
  }

  static func label(_ node: Node) -> String { "\(node.name) \(Format.number(node.value))" }

  func svg() -> String {
    let size = 12.0, nodeWidth = 14.0, gap = 10.0
    let width = 720.0, height = 440.0
    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: 8, y: 22, size: ChartFrame.titleSize, weight: "bold")
    let leftLabels = left.map { Self.label($0) }, rightLabels = right.map { Self.label($0) }
    let leftX = 8 + (leftLabels.map { SVGCanvas.textWidth($0, size: size) }.max() ?? 0) + 10
    let rightX = width - 8 - (rightLabels.map { SVGCanvas.textWidth($0, size: size) }.max() ?? 0) - 10 - nodeWidth
    let top = 62.0, bottom = height - 12
    canvas.text(leftTitle, x: leftX + nodeWidth / 2, y: 48, size: ChartFrame.labelSize, anchor: .middle, weight: "bold", fill: Palette.axis)
    canvas.text(rightTitle, x: rightX + nodeWidth / 2, y: 48, size: ChartFrame.labelSize, anchor: .middle, weight: "bold", fill: Palette.axis)
    let totals = [left, right].map { $0.reduce(0) { $0 + max(0, $1.value) } }
    let gaps = Double(max(left.filter { $0.value > 0 }.count, right.filter { $0.value > 0 }.count) - 1) * gap
    let scale = (bottom - top - gaps) / max(totals[0], totals[1], 1e-12)

    // Node tops, stacked with gaps; empty nodes take no room and are not drawn.
    func stack(_ nodes: [Node]) -> [Double] {
      var y = top
      return nodes.map { n in
        defer { if n.value > 0 { y += n.value * scale + gap } }
        return y
      }
    }
    let leftTops = stack(left), rightTops = stack(right)
    // Bands leave each left node in the order of their targets and enter each right node in
    // the order of their sources, so they do not cross inside a node.
    var leftOffset = [Double](repeating: 0, count: left.count), rightOffset = [Double](repeating: 0, count: right.count)
    var incoming: [Int: [Double]] = [:]
    for f in flows.sorted(by: { ($0.to, $0.from) < ($1.to, $1.from) }) where f.value > 0 {
      incoming[f.from * right.count + f.to, default: []].append(rightTops[f.to] + rightOffset[f.to])
      rightOffset[f.to] += f.value * scale
    }
    let x0 = leftX + nodeWidth, x1 = rightX, mid = (x0 + x1) / 2
    let c = SVGCanvas.coordinate
    for f in flows.sorted(by: { ($0.from, $0.to) < ($1.from, $1.to) }) where f.value > 0 {
      let h = f.value * scale
      let y0 = leftTops[f.from] + leftOffset[f.from]
      leftOffset[f.from] += h
      let y1 = incoming[f.from * right.count + f.to]!.removeFirst()
      let d = "M\(c(x0)),\(c(y0)) C\(c(mid)),\(c(y0)) \(c(mid)),\(c(y1)) \(c(x1)),\(c(y1)) L\(c(x1)),\(c(y1 + h)) C\(c(mid)),\(c(y1 + h)) \(c(mid)),\(c(y0 + h)) \(c(x0)),\(c(y0 + h)) Z"
      canvas.path(d, fill: left[f.from].colour, opacity: 0.4)
    }
    for (nodes, tops, x, labels, anchor) in [(left, leftTops, leftX, leftLabels, SVGCanvas.Anchor.end), (right, rightTops, rightX, rightLabels, .start)] {
      var lastLabelY = -Double.infinity
      for (k, node) in nodes.enumerated() where node.value > 0 {
        let h = max(0, node.value) * scale
        canvas.rect(x: x, y: tops[k], width: nodeWidth, height: max(1, h), fill: node.colour)
        // Labels of thin neighbours are pushed apart rather than drawn over each other.
        let labelY = max(tops[k] + h / 2 + 4, lastLabelY + size + 2)
        lastLabelY = labelY
        canvas.text(labels[k], x: anchor == .end ? x - 6 : x + nodeWidth + 6, y: labelY, size: size, anchor: anchor)
      }
    }
    return canvas.render(title: title)
  }
}

/// Builds the markup of one inline SVG chart.
///
/// Text is escaped here, once, so chart code can pass labels from data (state and scenario
/// names) without thinking about `<` or `&`. Coordinates are written with one decimal, so the
/// same data always gives the same bytes (snapshot tests rely on that). The root element has no
/// `xmlns`: inline SVG in HTML5 does not need one, and the report must hold no web addresses.
struct SVGCanvas: Sendable {
  let width: Double
  let height: Double
  private var body: [String] = []

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// `<`, `>`, `&` and quotes as entities.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// `12.0` -> `12`, `3.14159` -> `3.1`: fixed precision, no locale.
  static func coordinate(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    if rounded == rounded.rounded(), let whole = rounded.checkedInt { return String(whole) }
    return String(format: "%.1f", rounded)
  }

  private static func attributes(_ pairs: [(String, String)]) -> String {
    pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
  }

  mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, extra: [(String, String)] = []) {
    let c = Self.coordinate
    body.append("<rect" + Self.attributes([("x", c(x)), ("y", c(y)), ("width", c(max(0, width))), ("height", c(max(0, height))), ("fill", fill)] + extra) + "/>")
  }

  mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) {
    let c = Self.coordinate
    body.append("<line" + Self.attributes([("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)), ("stroke", stroke), ("stroke-width", c(width))] + (dashed ? [("stroke-dasharray", "5 4")] : [])) + "/>")
  }

  /// An open line through the points.
  mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, dashed: Bool = false) {
    guard !points.isEmpty else { return }
    let list = points.map { "\(Self.coordinate($0.x)),\(Self.coordinate($0.y))" }.joined(separator: " ")
    body.append("<polyline" + Self.attributes([("points", list), ("fill", "none"), ("stroke", stroke), ("stroke-width", Self.coordinate(width)), ("stroke-linejoin", "round")] + (dashed ? [("stroke-dasharray", "6 4")] : [])) + "/>")
  }

  /// A closed filled shape through the points.
  mutating func polygon(_ points: [(x: Double, y: Double)], fill: String, opacity: Double = 1) {
    guard points.count >= 3 else { return }
    let list = points.map { "\(Self.coordinate($0.x)),\(Self.coordinate($0.y))" }.joined(separator: " ")
    body.append("<polygon" + Self.attributes([("points", list), ("fill", fill)] + (opacity < 1 ? [("fill-opacity", Self.coordinate(opacity * 100) + "%")] : [])) + "/>")
  }

  /// A path from raw path data; the caller builds `d` from numbers only.
  mutating func path(_ d: String, fill: String, opacity: Double = 1, stroke: String? = nil) {
    body.append("<path" + Self.attributes([("d", d), ("fill", fill)] + (opacity < 1 ? [("fill-opacity", Self.coordinate(opacity * 100) + "%")] : []) + (stroke.map { [("stroke", $0)] } ?? [])) + "/>")
  }

  mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil) {
    let c = Self.coordinate
    body.append("<circle" + Self.attributes([("cx", c(cx)), ("cy", c(cy)), ("r", c(r)), ("fill", fill)] + (stroke.map { [("stroke", $0)] } ?? [])) + "/>")
  }

  enum Anchor: String, Sendable { case start, middle, end }

  /// Text at a point; `rotate` turns it about that point (degrees, clockwise).
  mutating func text(
    _ content: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start, weight: String? = nil,
    fill: String = Palette.text, rotate: Double? = nil
  ) {
    let c = Self.coordinate
    var pairs = [("x", c(x)), ("y", c(y)), ("font-size", c(size))]
    if anchor != .start { pairs.append(("text-anchor", anchor.rawValue)) }
    if let weight { pairs.append(("font-weight", weight)) }
    if fill != Palette.text { pairs.append(("fill", fill)) }
    if let rotate { pairs.append(("transform", "rotate(\(c(rotate)) \(c(x)) \(c(y)))")) }
    body.append("<text" + Self.attributes(pairs) + ">\(Self.escape(content))</text>")
  }

  /// The finished element, titled for screen readers; it scales to its container's width.
  func render(title: String) -> String {
    let c = Self.coordinate
    return "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\" class=\"chart\">\n"
      + "<title>\(Self.escape(title))</title>\n"
      + body.joined(separator: "\n") + "\n</svg>"
  }

  /// A rough width of a label, for layout: the average glyph of a sans-serif face is about
  /// 0.58 of its size. Layout keeps slack, so rough is enough.
  static func textWidth(_ text: String, size: Double = 12) -> Double { Double(text.count) * size * 0.58 }
}

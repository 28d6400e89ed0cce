/// Colours that stay distinct for the common forms of colour blindness.
///
/// The categorical colours are Okabe and Ito's (2008), "Color Universal Design"; black is
/// left out of the series because axes and text use it. The sequential ramp (for heatmaps)
/// runs from near-white to a dark blue in lightness alone, readable without hue.
enum Palette {
  /// Series colours, in the order charts use them.
  static let categorical = [
    "#0072B2",  // blue
    "#E69F00",  // orange
    "#009E73",  // bluish green
    "#CC79A7",  // reddish purple
    "#56B4E9",  // sky blue
    "#D55E00",  // vermillion
    "#F0E442",  // yellow
    "#999999",  // grey, for "other"
  ]

  static func series(_ index: Int) -> String { categorical[index % categorical.count] }

  static let text = "#222222"
  static let axis = "#555555"
  static let grid = "#E3E3E3"
  /// The observed/actual line: black stands apart from every series colour.
  static let actual = "#000000"

  /// A colour on the sequential ramp for `fraction` in 0...1.
  static func sequential(_ fraction: Double) -> String {
    let t = min(1, max(0, fraction.isFinite ? fraction : 0))
    // From #F7FBFF to #08306B (ColorBrewer Blues ends), interpolated per channel.
    let from = (247.0, 251.0, 255.0), to = (8.0, 48.0, 107.0)
    func channel(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
    return hex(channel(from.0, to.0), channel(from.1, to.1), channel(from.2, to.2))
  }

  /// Whether text on `sequential(fraction)` should be white to stay readable.
  static func needsLightText(onSequential fraction: Double) -> Bool { fraction > 0.5 }

  static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
    let digits = Array("0123456789ABCDEF")
    return "#" + [r, g, b].map { "\(digits[$0 / 16])\(digits[$0 % 16])" }.joined()
  }
}

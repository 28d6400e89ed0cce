/// A chart drawn from plain data: labelled series, not models, so it can be tested on fixed numbers.
public protocol Chart: Sendable {
  /// The chart's heading.
  var title: String { get }
  /// Why the data cannot make a meaningful chart (too few periods, nothing to show), in words
  /// for the reader; nil when it can be drawn.
  var insufficientData: String? { get }
  /// The inline SVG element.
  func svg() -> String
}

extension Chart {
  /// The reason in a sentence a report can print in place of the chart.
  public var insufficientDataSentence: String? {
    insufficientData.map { "Too little data to draw \u{201C}\(title)\u{201D}: \($0)." }
  }
}

/// Splits a series at missing values so lines break instead of dropping to zero.
func finiteRuns(_ points: [(x: Double, y: Double?)]) -> [[(x: Double, y: Double)]] {
  var runs: [[(x: Double, y: Double)]] = [[]]
  for p in points {
    if let y = p.y, y.isFinite { runs[runs.count - 1].append((p.x, y)) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
  }
  return runs.filter { !$0.isEmpty }
}

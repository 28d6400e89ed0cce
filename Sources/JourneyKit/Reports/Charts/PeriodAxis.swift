/// A time axis of equal periods (weeks, months, quarters), labelled the way people write dates.
///
/// Periods sit at evenly spaced points; labels are thinned to a calendar-friendly stride
/// (every 3rd month lands on quarters, every 12th on years) so they never overlap:
/// ```
/// PeriodAxis(starts: months2026, kind: .month).label(0)   // "Jan 2026"
/// ```
struct PeriodAxis: Sendable, Equatable {
  /// First day of each period, in order.
  let starts: [CalendarDay]
  let kind: PeriodKind

  init(starts: [CalendarDay], kind: PeriodKind) {
    self.starts = starts
    self.kind = kind
  }

  /// Consecutive periods by absolute number (as `PeriodKind.index(of:)` counts them).
  init(periods: ClosedRange<Int>, kind: PeriodKind) {
    self.init(starts: periods.map { kind.start(of: $0) }, kind: kind)
  }

  var count: Int { starts.count }

  /// The axis title: what one point stands for.
  var title: String {
    switch kind {
    case .week: "Week (starting Monday)"
    case .month: "Month"
    case .quarter: "Quarter"
    }
  }

  /// `Jan 2026`, `Q1 2026`, `5 Jan 2026` (the Monday of the week).
  func label(_ index: Int) -> String { Self.shortName(starts[index], kind) }

  /// For sentences: `June 2026`, `Q2 2026`, `the week of 5 January 2026`.
  func longLabel(_ index: Int) -> String { Self.longName(starts[index], kind) }

  /// Every how many periods a label fits, given the width of one period's slot in pixels.
  func labelStride(slotWidth: Double, fontSize: Double = 11) -> Int {
    let widest = (0..<count).map { SVGCanvas.textWidth(label($0), size: fontSize) }.max() ?? 0
    let candidates: [Int]
    switch kind {
    case .week: candidates = [1, 2, 4, 13, 26, 52, 104]
    case .month: candidates = [1, 2, 3, 6, 12, 24, 60]
    case .quarter: candidates = [1, 2, 4, 8, 20]
    }
    return candidates.first { Double($0) * slotWidth >= widest + 8 } ?? candidates.last!
  }

  static let monthShort = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
  static let monthLong = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

  static func shortName(_ start: CalendarDay, _ kind: PeriodKind) -> String {
    let (y, m, d) = start.components
    switch kind {
    case .month: return "\(monthShort[m - 1]) \(y)"
    case .quarter: return "Q\((m - 1) / 3 + 1) \(y)"
    case .week: return "\(d) \(monthShort[m - 1]) \(y)"
    }
  }

  static func longName(_ start: CalendarDay, _ kind: PeriodKind) -> String {
    let (y, m, d) = start.components
    switch kind {
    case .month: return "\(monthLong[m - 1]) \(y)"
    case .quarter: return "Q\((m - 1) / 3 + 1) \(y)"
    case .week: return "the week of \(d) \(monthLong[m - 1]) \(y)"
    }
  }
}

import Foundation

/// Maps data values to positions along an axis, over a domain widened to nice tick values.
///
/// Ticks follow Heckbert's "nice numbers" (Graphics Gems, 1990): the step is 1, 2 or 5 times
/// a power of ten, and the domain is the data range widened to whole steps:
/// ```
/// LinearScale(covering: [0, 12_400], to: 300...0).ticks
/// // [0, 2000, 4000, 6000, 8000, 10000, 12000, 14000]
/// ```
struct LinearScale: Sendable, Equatable {
  /// The widened domain: its ends are ticks.
  let lower: Double
  let upper: Double
  let step: Double
  let ticks: [Double]
  /// Output positions of `lower` and `upper` (e.g. the bottom and top of a plot, in pixels).
  let rangeStart: Double
  let rangeEnd: Double

  /// - Parameters:
  ///   - values: the data the axis must show; non-finite values are ignored.
  ///   - range: positions of the domain's lower and upper ends.
  ///   - tickCount: about how many ticks (Heckbert's rounding may give a few more or fewer).
  ///   - includeZero: widen the domain to zero, as bars and counts need.
  init(covering values: [Double], to range: ClosedRange<Double>, reversed: Bool = false, tickCount: Int = 5, includeZero: Bool = false) {
    var finite = values.filter(\.isFinite)
    if includeZero || finite.isEmpty { finite.append(0) }
    var low = finite.min()!, high = finite.max()!
    if low == high {
      // One value: a range around it one tenth of its size (or 0...1 for zero).
      let spread = low == 0 ? 1 : abs(low) * 0.1
      if low >= 0 && includeZero { high = low + (low == 0 ? 1 : 0) } else {
        low -= spread
        high += spread
      }
      if low == high { high = low + spread }
    }
    let nice = Self.niceTicks(low, high, count: tickCount)
    lower = nice.lower
    upper = nice.upper
    step = nice.step
    ticks = nice.ticks
    rangeStart = reversed ? range.upperBound : range.lowerBound
    rangeEnd = reversed ? range.lowerBound : range.upperBound
  }

  /// The position of `value`.
  func callAsFunction(_ value: Double) -> Double {
    rangeStart + (value - lower) / (upper - lower) * (rangeEnd - rangeStart)
  }

  /// Nice tick values covering `low...high` with about `count` ticks.
  static func niceTicks(_ low: Double, _ high: Double, count: Int) -> (lower: Double, upper: Double, step: Double, ticks: [Double]) {
    precondition(high > low && count >= 2, "nice ticks need a range and at least two ticks")
    let span = niceNumber(high - low, round: false)
    let step = niceNumber(span / Double(count - 1), round: true)
    let lower = (low / step).rounded(.down) * step
    let upper = (high / step).rounded(.up) * step
    // Round each tick to the step's decimals so 0.1 * 3 prints as 0.3.
    let decimals = max(0, -Int((log10(step)).rounded(.down)))
    let scale = pow(10, Double(decimals))
    let n = Int(((upper - lower) / step).rounded())
    let ticks = (0...n).map { k -> Double in
      let t = ((lower + Double(k) * step) * scale).rounded() / scale
      return t == 0 ? 0 : t  // no "-0"
    }
    return (ticks.first!, ticks.last!, step, ticks)
  }

  /// A number of the form 1, 2, 5 or 10 times a power of ten near `x`: the nearest when
  /// `round`, else the smallest at least `x`.
  static func niceNumber(_ x: Double, round: Bool) -> Double {
    let exponent = log10(x).rounded(.down)
    let power = pow(10, exponent)
    let fraction = x / power
    let nice: Double
    if round {
      nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    } else {
      nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    }
    return nice * power
  }
}

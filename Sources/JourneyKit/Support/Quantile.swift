/// Sample quantiles, type 7 (R's default, numpy's `linear`): with the n values sorted and
/// h = (n - 1) q, the value at position h, interpolated linearly between its two neighbours.
///
/// The one definition Journey uses for data cut points (value and RFM states), Monte Carlo
/// ranges (forecast bands) and bootstrap intervals (evaluations).
enum Quantile {
  /// The `q` quantile of `values` (any order); 0 for none.
  static func of(_ values: [Double], _ q: Double) -> Double {
    values.isEmpty ? 0 : of(sorted: values.sorted(), q)
  }

  /// The `q` quantile of values already sorted ascending; 0 for none.
  static func of(sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let h = Double(sorted.count - 1) * q
    let lo = Int(h.rounded(.down))
    let hi = min(sorted.count - 1, lo + 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
  }
}

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

  /// The `qs` quantiles (ascending) of `values`, each exactly `of(sorted:_:)` of the sorted
  /// values, found by selection (Hoare's FIND) instead of a sort: a few passes over the values
  /// instead of n log n comparisons, which is what thousands of forecast bands a second need.
  /// `values` is left reordered; empty values give 0s.
  static func of(selectingIn values: inout [Double], _ qs: [Double]) -> [Double] {
    precondition(zip(qs, qs.dropFirst()).allSatisfy { $0 <= $1 }, "quantiles must be ascending")
    guard !values.isEmpty else { return qs.map { _ in 0 } }
    let n = values.count
    return values.withUnsafeMutableBufferPointer { a in
      var from = 0  // everything before `from` is at most everything after it
      return qs.map { q in
        let h = Double(n - 1) * q
        let lo = Int(h.rounded(.down))
        select(a, lo, in: from..<n)
        from = lo
        // The next order statistic is the smallest of those above position lo.
        var next = a[lo]
        if lo + 1 < n {
          next = a[lo + 1]
          for k in (lo + 2)..<n where a[k] < next { next = a[k] }
        }
        return a[lo] + (h - Double(lo)) * (next - a[lo])
      }
    }
  }

  /// Puts the k-th smallest of `a[range]` at position k, with none larger before it and none
  /// smaller after it (Hoare 1961, in Wirth's form, median-of-three pivots).
  private static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int, in range: Range<Int>) {
    var left = range.lowerBound, right = range.upperBound - 1
    while left < right {
      let mid = left + (right - left) / 2
      if a[mid] < a[left] { a.swapAt(mid, left) }
      if a[right] < a[left] { a.swapAt(right, left) }
      if a[right] < a[mid] { a.swapAt(right, mid) }
      let pivot = a[mid]
      var i = left, j = right
      while i <= j {
        while a[i] < pivot { i += 1 }
        while a[j] > pivot { j -= 1 }
        if i <= j {
          a.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      // Now a[left...j] <= pivot <= a[i...right], and any positions between hold the pivot.
      if k <= j { right = j } else if k >= i { left = i } else { return }
    }
  }
}

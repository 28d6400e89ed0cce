import Foundation
import Testing

@testable import JourneyKit

/// Forecast bands find their quantiles by selection; they must be the sort's, exactly.
@Suite("Quantiles by selection")
struct QuantileTests {
  @Test(arguments: [1, 2, 3, 4, 20, 21, 1_000, 1_001])
  func selectionGivesTheSortedQuantiles(count: Int) {
    // Values with many ties (rounded to a few levels, as counts of small states are) and without,
    // in random order, against the definition on the sorted values.
    var random = RandomSource(seed: 17, stream: UInt64(count))
    for levels in [3.0, 1e9] {
      let values = (0..<count).map { _ in (random.normal() * levels).rounded() }
      let qs = [0, 0.05, 0.25, 0.5, 0.95, 0.999, 1]
      var scratch = values
      let selected = Quantile.of(selectingIn: &scratch, qs)
      let sorted = values.sorted()
      for (q, value) in zip(qs, selected) {
        #expect(value == Quantile.of(sorted: sorted, q), "n \(count), \(levels) levels, q \(q)")
      }
      #expect(scratch.sorted() == sorted, "the values are only reordered")
    }
  }

  @Test func sortedAndReversedInputs() {
    // Already ordered input is the classic worst case of a careless pivot; both orders and a
    // constant run still give the sort's quantiles.
    let up = (0..<999).map(Double.init)
    for values in [up, Array(up.reversed()), [Double](repeating: 4, count: 500)] {
      var scratch = values
      let selected = Quantile.of(selectingIn: &scratch, [0.05, 0.5, 0.95])
      let sorted = values.sorted()
      #expect(selected == [0.05, 0.5, 0.95].map { Quantile.of(sorted: sorted, $0) })
    }
    var empty: [Double] = []
    #expect(Quantile.of(selectingIn: &empty, [0.5]) == [0])
  }
}

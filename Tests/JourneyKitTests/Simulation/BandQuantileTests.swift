import Foundation
import Testing

@testable import JourneyKit

/// Band quantiles by selection must equal the definition: interpolation between the order
/// statistics of the sorted values (numpy's default `linear`).
@Suite("Band quantiles")
struct BandQuantileTests {
  static func bySorting(_ values: [Double]) -> Forecast.Band {
    let sorted = values.filter(\.isFinite).sorted()
    func q(_ p: Double) -> Double {
      let h = Double(sorted.count - 1) * p
      let lo = Int(h.rounded(.down)), hi = min(sorted.count - 1, Int(h.rounded(.down)) + 1)
      return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
    return .init(mean: sorted.reduce(0, +) / Double(sorted.count), p5: q(0.05), p50: q(0.5), p95: q(0.95))
  }

  @Test func selectionGivesTheSortedQuantiles() {
    var random = RandomSource(seed: 3)
    // Continuous values, heavy ties (counts), sorted and reversed runs, tiny arrays, and NaNs.
    var cases: [[Double]] = [[7], [2, 1], [1, 1, 1, 1], [3, 1, 2], Array(0..<1_000).map(Double.init), Array((0..<999).reversed()).map(Double.init)]
    for n in [5, 20, 1_000, 4_001] {
      cases.append((0..<n).map { _ in random.normal() })
      cases.append((0..<n).map { _ in Double(random.poisson(mean: 3)) })
    }
    cases.append([1, .nan, 3, .infinity, 2])
    for values in cases {
      let band = ForecastEngine.band(values[...])
      let expected = Self.bySorting(values)
      #expect(band.p5 == expected.p5 && band.p50 == expected.p50 && band.p95 == expected.p95, "\(values.prefix(8))...")
      #expect(abs(band.mean - expected.mean) <= 1e-12 * max(1, abs(expected.mean)))
    }
  }
}

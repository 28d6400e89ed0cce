import Foundation
@testable import JourneyKit
import Testing

/// `score` writes millions of numbers with a fixed count of decimals; they must be the bytes C's
/// printf (`String(format: "%.Nf")`) writes, which the scores were written with before.
@Suite("Fixed decimals")
struct FixedDecimalTests {
  static func written(_ value: Double, _ decimals: Int) -> String {
    var out: [UInt8] = []
    FixedDecimal.append(value, decimals: decimals, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Ties and near-ties (printf rounds the exact binary value, ties to even), signs of values
  /// that round to zero, zero padding, the largest values, and what is not finite.
  @Test func edgeCasesAreWrittenAsPrintfWritesThem() {
    let values: [Double] = [
      0, -0.0, 0.125, 0.375, 2.5, 3.5, 0.0005, 0.0015, 1.005, 2.675, -0.00001, -0.004, -0.005, -1.5,
      0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0, 9.9995, 9.99949999, 99.995, 0.00005, 123_456_789.125,
      1e14 + 0.5, 1e15, 1e20, -1e20, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]
    for value in values {
      for decimals in 0...6 {
        #expect(Self.written(value, decimals) == String(format: "%.\(decimals)f", value), "\(value) with \(decimals) decimals")
      }
    }
  }

  @Test func manyValuesAreWrittenAsPrintfWritesThem() {
    var random = SystemRandomNumberGenerator()
    var mismatches: [String] = []
    for k in 0..<200_000 {
      // Across magnitudes, and on a grid of halves of the last decimal (ties and near-ties).
      let value = k % 2 == 0
        ? Double.random(in: -1...1, using: &random) * Foundation.pow(10, Double.random(in: -6...12, using: &random))
        : (Double(k % 20_001) - 10_000) / 2_000 + (k % 3 == 0 ? 0 : Double(k % 7 - 3) * 1e-13)
      let decimals = k % 5
      let expected = String(format: "%.\(decimals)f", value)
      if Self.written(value, decimals) != expected, mismatches.count < 5 { mismatches.append("\(value) (\(decimals)): \(expected)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches)")
  }
}

@testable import JourneyKit
import Testing

/// The amount column holds whole cents in 4 bytes a row and every other amount as it is: each
/// amount must come back bit for bit, whichever way it is held.
@Suite("Amount column")
struct AmountColumnTests {
  /// Amounts that are not whole cents as `Double(cents) / 100` gives them back: -0.0 (its sign),
  /// thirds, three decimals, 0.1 + 0.2 (not the double nearest 0.3), beyond 32-bit cents.
  static let odd: [Double] = [-0.0, 1.0 / 3.0, 0.001, 0.1 + 0.2, 21_474_836.48, -21_474_836.49, 999_999_999_999.99, 1e-9]

  @Test func fewOddAmountsAreKeptBesideTheCents() {
    // 8 odd amounts among 1,000: the column stays in cents, with 8 kept beside it.
    var amounts: [Double] = (0..<1_000).map { (k: Int) -> Double in Double((k * 7_919) % 200_001 - 100_000) / 100 }
    for (k, value) in Self.odd.enumerated() { amounts[k * 123 + 5] = value }
    let column = AmountColumn(amounts)
    #expect(column.count == 1_000)
    #expect(column.map(\.bitPattern) == amounts.map(\.bitPattern))
    // 4 bytes a row and 12 (row number and value) per odd amount, not 8 a row.
    #expect(column.byteCount == 4 * 1_000 + 12 * Self.odd.count)
    #expect(column[5 + 123 * 3] == 0.1 + 0.2 && column[5 + 123 * 3] != 0.3)
  }

  @Test func mostlyOddAmountsAreKeptAsTheyAre() {
    // Three decimals in every other row: cents would save nothing, every value is kept.
    let amounts: [Double] = (0..<1_000).map { (k: Int) -> Double in
      k % 2 == 0 ? Double(k) / 1_000 + 0.0005 : Double(k)
    }
    let column = AmountColumn(amounts)
    #expect(column.map(\.bitPattern) == amounts.map(\.bitPattern))
    #expect(column.byteCount == 8 * 1_000)
  }

  @Test func columnsAreEqualWhenTheirAmountsAre() {
    #expect(AmountColumn([1, 2.5, 1.0 / 3.0]) == [1, 2.5, 1.0 / 3.0])
    #expect(AmountColumn([1, 2.5, 1.0 / 3.0]) != [1, 2.5, 0.333])
    #expect(AmountColumn([]).isEmpty)
  }
}

/// Per row, the amount: in 4 bytes as whole cents where that gives the same `Double` back bit for
/// bit, which is nearly every amount of a real export, so a table of 10M rows holds its amounts
/// in 40 MB instead of 80 (the largest column, and the largest part of `fit`'s peak memory).
///
/// Amounts that are not whole cents (a third of a unit, three decimals, more than 20 million)
/// are kept as they are beside the column, in row order. When more than a quarter of the rows
/// are such, the column keeps every value as it is: cents would save nothing.
public struct AmountColumn: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
  /// Per row: whole cents, or `notCents` when the amount is in `otherValues` (empty when `values`
  /// holds the column).
  private let cents: [Int32]
  /// The rows marked `notCents`, ascending, and their amounts.
  private let otherRows: [Int32]
  private let otherValues: [Double]
  /// Every amount as it is, when cents would not save memory (empty otherwise).
  private let values: [Double]

  /// Marks an amount kept in `otherValues` (never a whole-cent amount kept inline).
  static let notCents = Int32.min

  /// The amount as whole cents, when that decodes (`Double(cents) / 100`) to the same value bit
  /// for bit.
  @inline(__always)
  static func cents(_ amount: Double) -> Int32? {
    let c = (amount * 100).rounded()
    guard abs(c) < 2_000_000_000 else { return nil }
    let whole = Int32(c)
    return (Double(whole) / 100).bitPattern == amount.bitPattern ? whole : nil
  }

  /// A column holding `amounts` (each read back bit for bit).
  public init(_ amounts: [Double]) {
    precondition(amounts.count < Int(Int32.max), "more than 2^31 rows")
    var cents = [Int32](repeating: 0, count: amounts.count)
    var otherRows: [Int32] = [], otherValues: [Double] = []
    let limit = amounts.count / 4
    let fits = amounts.withUnsafeBufferPointer { amounts in
      cents.withUnsafeMutableBufferPointer { cents in
        for r in amounts.indices {
          if let whole = Self.cents(amounts[r]) {
            cents[r] = whole
          } else {
            guard otherRows.count < limit else { return false }
            cents[r] = Self.notCents
            otherRows.append(Int32(r))
            otherValues.append(amounts[r])
          }
        }
        return true
      }
    }
    if fits {
      (self.cents, self.otherRows, self.otherValues, values) = (cents, otherRows, otherValues, [])
    } else {
      (self.cents, self.otherRows, self.otherValues, values) = ([], [], [], amounts)
    }
  }

  private init(cents: [Int32], otherRows: [Int32], otherValues: [Double], values: [Double]) {
    (self.cents, self.otherRows, self.otherValues, self.values) = (cents, otherRows, otherValues, values)
  }

  /// A column from literal amounts (tests).
  public init(arrayLiteral amounts: Double...) { self.init(amounts) }

  /// 0.
  public var startIndex: Int { 0 }
  /// The number of rows.
  public var endIndex: Int { values.isEmpty ? cents.count : values.count }

  /// The amount of row `r`.
  @inline(__always)
  public subscript(r: Int) -> Double {
    if !values.isEmpty { return values[r] }
    let whole = cents[r]
    return whole != Self.notCents ? Double(whole) / 100 : otherAmount(r)
  }

  /// Bytes the column holds (for the notes on memory).
  var byteCount: Int { cents.count * 4 + otherRows.count * 12 + values.count * 8 }

  private func otherAmount(_ r: Int) -> Double {
    // Binary search: such rows are few.
    var lo = 0, hi = otherRows.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if Int(otherRows[mid]) < r { lo = mid + 1 } else { hi = mid }
    }
    precondition(lo < otherRows.count && Int(otherRows[lo]) == r, "row \(r) is marked as kept beside the column but is not there")
    return otherValues[lo]
  }

  /// Equal when every row's amount is (whichever way each column holds them).
  public static func == (a: AmountColumn, b: AmountColumn) -> Bool { a.elementsEqual(b) }
}

extension AmountColumn {
  /// The column while the read's sort fills, orders and compacts it: whole cents with the other
  /// amounts by row, or every value when a quarter of the rows or more are not whole cents.
  struct Builder {
    private var cents: [Int32]
    private var values: [Double]
    /// Amounts of the rows marked `notCents`, by row. Entries of rows since overwritten or
    /// dropped stay behind; `finish` keeps only the rows still marked.
    private var others: [Int: Double] = [:]
    private let inCents: Bool

    /// A column of `rowCount` rows, every one of which must be set.
    init(rowCount: Int, inCents: Bool) {
      self.inCents = inCents
      cents = inCents ? [Int32](unsafeUninitializedCapacity: rowCount) { _, n in n = rowCount } : []
      values = inCents ? [] : [Double](unsafeUninitializedCapacity: rowCount) { _, n in n = rowCount }
    }

    /// The rows as the sort's loops read and write them: plain pointers, no copy on write.
    struct Rows {
      fileprivate let cents: UnsafeMutablePointer<Int32>?
      fileprivate let values: UnsafeMutablePointer<Double>?
      fileprivate let others: UnsafeMutablePointer<[Int: Double]>

      @inline(__always) func get(_ r: Int) -> Double {
        if let values { return values[r] }
        let whole = cents.unsafelyUnwrapped[r]
        return whole != AmountColumn.notCents ? Double(whole) / 100 : others.pointee[r]!
      }

      @inline(__always) func set(_ r: Int, _ value: Double) {
        if let values { values[r] = value; return }
        if let whole = AmountColumn.cents(value) {
          cents.unsafelyUnwrapped[r] = whole
        } else {
          cents.unsafelyUnwrapped[r] = AmountColumn.notCents
          others.pointee[r] = value
        }
      }

      /// Sets row `r` to an amount already in whole cents (`AmountColumn.cents`).
      @inline(__always) func set(_ r: Int, cents whole: Int32) {
        if let values { values[r] = Double(whole) / 100 } else { cents.unsafelyUnwrapped[r] = whole }
      }

      /// Copies row `from`'s amount to row `to`.
      @inline(__always) func move(_ from: Int, to: Int) {
        if let values { values[to] = values[from]; return }
        let whole = cents.unsafelyUnwrapped[from]
        cents.unsafelyUnwrapped[to] = whole
        if whole == AmountColumn.notCents { others.pointee[to] = others.pointee[from] }
      }
    }

    mutating func withRows<R>(_ body: (Rows) -> R) -> R {
      let inCents = inCents
      return cents.withUnsafeMutableBufferPointer { c in
        values.withUnsafeMutableBufferPointer { v in
          withUnsafeMutablePointer(to: &others) { o in
            body(Rows(cents: inCents ? c.baseAddress : nil, values: inCents ? nil : v.baseAddress, others: o))
          }
        }
      }
    }

    /// Drops the last `k` rows.
    mutating func removeLast(_ k: Int) {
      if inCents { cents.removeLast(k) } else { values.removeLast(k) }
    }

    /// The column.
    func finish() -> AmountColumn {
      guard inCents else { return AmountColumn(cents: [], otherRows: [], otherValues: [], values: values) }
      let rows = others.keys.filter { $0 < cents.count && cents[$0] == AmountColumn.notCents }.sorted()
      return AmountColumn(cents: cents, otherRows: rows.map { Int32($0) }, otherValues: rows.map { others[$0]! }, values: [])
    }
  }
}

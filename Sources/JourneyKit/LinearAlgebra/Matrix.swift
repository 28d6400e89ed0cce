/// A dense, row-major matrix of `Double`.
///
/// `Matrix` is a plain value: its storage is one contiguous array in row-major
/// order, which is the layout the BLAS and LAPACKE wrappers in this folder pass
/// to OpenBLAS without copying. A transition matrix of S states is an S x S
/// `Matrix`; a batch of R state distributions is an R x S `Matrix`.
///
/// ```swift
/// let p = Matrix(rows: [[0.9, 0.1], [0.5, 0.5]])
/// p[0, 1]            // 0.1
/// (p * p)[0, 0]      // 0.86
/// ```
public struct Matrix: Equatable, Sendable {
  /// Number of rows.
  public let rowCount: Int
  /// Number of columns.
  public let columnCount: Int
  /// Elements in row-major order: element (i, j) is at `i * columnCount + j`.
  public var elements: [Double]

  /// A matrix with every element set to `value`.
  public init(rowCount: Int, columnCount: Int, repeating value: Double = 0) {
    precondition(rowCount >= 0 && columnCount >= 0, "matrix dimensions must not be negative")
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.elements = Array(repeating: value, count: rowCount * columnCount)
  }

  /// A matrix over existing row-major elements.
  public init(rowCount: Int, columnCount: Int, elements: [Double]) {
    precondition(rowCount >= 0 && columnCount >= 0, "matrix dimensions must not be negative")
    precondition(
      elements.count == rowCount * columnCount,
      "\(elements.count) elements do not fill a \(rowCount) x \(columnCount) matrix")
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.elements = elements
  }

  /// A matrix from an array of equally long rows.
  public init(rows: [[Double]]) {
    let columnCount = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == columnCount }, "rows differ in length")
    self.init(rowCount: rows.count, columnCount: columnCount, elements: rows.flatMap { $0 })
  }

  /// The n x n identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rowCount: n, columnCount: n)
    for i in 0..<n { m[i, i] = 1 }
    return m
  }

  /// A single-row matrix holding `vector`.
  public init(rowVector vector: [Double]) {
    self.init(rowCount: 1, columnCount: vector.count, elements: vector)
  }

  /// This matrix with `column` (one value per row) added after its last column.
  public func appendingColumn(_ column: [Double]) -> Matrix {
    precondition(column.count == rowCount, "a column of \(column.count) values does not fit \(rowCount) rows")
    return appendingColumns(of: Matrix(rowCount: rowCount, columnCount: 1, elements: column))
  }

  /// This matrix with `other`'s columns after its own (the two side by side, `[self other]`).
  public func appendingColumns(of other: Matrix) -> Matrix {
    precondition(other.rowCount == rowCount, "a matrix of \(other.rowCount) rows does not fit beside \(rowCount)")
    var out = Matrix(rowCount: rowCount, columnCount: columnCount + other.columnCount)
    for i in 0..<rowCount {
      for j in 0..<columnCount { out[i, j] = self[i, j] }
      for j in 0..<other.columnCount { out[i, columnCount + j] = other[i, j] }
    }
    return out
  }

  /// Whether the matrix has as many rows as columns.
  public var isSquare: Bool { rowCount == columnCount }

  /// The element at `row`, `column` (0-based), stored row-major.
  public subscript(row: Int, column: Int) -> Double {
    get {
      precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount, "index out of range")
      return elements[row * columnCount + column]
    }
    set {
      precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount, "index out of range")
      elements[row * columnCount + column] = newValue
    }
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] {
    Array(elements[(i * columnCount)..<((i + 1) * columnCount)])
  }

  /// All rows as arrays.
  public var rows: [[Double]] { (0..<rowCount).map(row) }

  /// The transpose.
  public var transposed: Matrix {
    var t = Matrix(rowCount: columnCount, columnCount: rowCount)
    for i in 0..<rowCount {
      for j in 0..<columnCount { t.elements[j * rowCount + i] = elements[i * columnCount + j] }
    }
    return t
  }

  /// The sub-matrix of the given rows and columns, in the order given.
  public func submatrix(rows rowIndices: [Int], columns columnIndices: [Int]) -> Matrix {
    var s = Matrix(rowCount: rowIndices.count, columnCount: columnIndices.count)
    for (si, i) in rowIndices.enumerated() {
      for (sj, j) in columnIndices.enumerated() { s[si, sj] = self[i, j] }
    }
    return s
  }

  /// Element-wise sum.
  public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
    precondition(lhs.rowCount == rhs.rowCount && lhs.columnCount == rhs.columnCount, "shape mismatch in +")
    return Matrix(rowCount: lhs.rowCount, columnCount: lhs.columnCount, elements: zip(lhs.elements, rhs.elements).map(+))
  }

  /// Element-wise difference.
  public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
    precondition(lhs.rowCount == rhs.rowCount && lhs.columnCount == rhs.columnCount, "shape mismatch in -")
    return Matrix(rowCount: lhs.rowCount, columnCount: lhs.columnCount, elements: zip(lhs.elements, rhs.elements).map(-))
  }

  /// Every element times a scalar.
  public static func * (scalar: Double, matrix: Matrix) -> Matrix {
    Matrix(rowCount: matrix.rowCount, columnCount: matrix.columnCount, elements: matrix.elements.map { scalar * $0 })
  }

  /// The largest absolute element-wise difference, for approximate comparisons.
  public func maxAbsoluteDifference(to other: Matrix) -> Double {
    precondition(rowCount == other.rowCount && columnCount == other.columnCount, "shape mismatch")
    var worst = 0.0
    for (a, b) in zip(elements, other.elements) { worst = Swift.max(worst, abs(a - b)) }
    return worst
  }
}

extension Matrix: CustomStringConvertible {
  /// The rows, one a line, each element to six decimals.
  public var description: String {
    rows.map { row in row.map { String(format: "%10.6f", $0) }.joined(separator: " ") }.joined(separator: "\n")
  }
}

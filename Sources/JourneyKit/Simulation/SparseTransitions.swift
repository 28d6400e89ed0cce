/// A transition matrix in compressed sparse rows, for propagating distributions through
/// matrices that are mostly zeros.
///
/// Split-by models are block diagonal (customers never change segment), and lifecycle rows
/// have a handful of destinations: a 2,002-state model has about 4 non-zeros per row. A dense
/// dgemm would pack and stream all 4 million entries for every step of every parameter draw;
/// here a step costs one multiply-add per non-zero and row of the batch. `ForecastEngine` uses
/// this below `maximumDensity` (measured in Benchmarks/: below it this loop beats dgemm).
struct SparseTransitions: Sendable {
  /// Dense BLAS wins above this share of non-zero entries (dgemm runs 30 GFLOP/s here, the
  /// sparse loop about one non-zero per nanosecond; they meet near S^2 / 15 non-zeros).
  static let maximumDensity = 0.05

  let stateCount: Int
  let rowStart: [Int]
  let columns: [Int32]
  let values: [Double]

  init(_ m: Matrix) {
    stateCount = m.rowCount
    var rowStart = [0]
    var columns: [Int32] = []
    var values: [Double] = []
    for i in 0..<m.rowCount {
      for j in 0..<m.columnCount where m[i, j] != 0 {
        columns.append(Int32(j))
        values.append(m[i, j])
      }
      rowStart.append(columns.count)
    }
    self.rowStart = rowStart
    self.columns = columns
    self.values = values
  }

  var density: Double { Double(values.count) / Double(max(1, stateCount * stateCount)) }

  /// `x P` for every row of `x` (replicates x states).
  func propagate(_ x: Matrix) -> Matrix {
    precondition(x.columnCount == stateCount, "distributions over \(x.columnCount) states, matrix over \(stateCount)")
    var next = Matrix(rowCount: x.rowCount, columnCount: stateCount)
    let s = stateCount
    x.elements.withUnsafeBufferPointer { xs in
      next.elements.withUnsafeMutableBufferPointer { out in
        rowStart.withUnsafeBufferPointer { start in
          columns.withUnsafeBufferPointer { cols in
            values.withUnsafeBufferPointer { vals in
              for r in 0..<x.rowCount {
                let base = r * s
                for i in 0..<s {
                  let n = xs[base + i]
                  if n == 0 { continue }
                  for k in start[i]..<start[i + 1] { out[base + Int(cols[k])] += n * vals[k] }
                }
              }
            }
          }
        }
      }
    }
    return next
  }
}

/// `SparseTransitions` open to tests (`@testable import`).
struct SparseTransitionsProbe: Sendable {
  let sparse: SparseTransitions
  init(_ m: Matrix) { sparse = SparseTransitions(m) }
  var density: Double { sparse.density }
  func propagate(_ x: Matrix) -> Matrix { sparse.propagate(x) }
}

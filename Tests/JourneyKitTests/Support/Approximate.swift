import Foundation
import JourneyKit
import Testing

/// Naive triple loop, the reference the BLAS product is checked against.
func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
  var c = Matrix(rowCount: a.rowCount, columnCount: b.columnCount)
  for i in 0..<a.rowCount {
    for j in 0..<b.columnCount {
      var s = 0.0
      for k in 0..<a.columnCount { s += a[i, k] * b[k, j] }
      c[i, j] = s
    }
  }
  return c
}

/// A seeded random matrix with entries in [-1, 1).
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
  var rng = RandomSource(seed: seed)
  return Matrix(rowCount: rows, columnCount: columns, elements: (0..<(rows * columns)).map { _ in 2 * rng.uniform() - 1 })
}

/// A seeded random row-stochastic matrix with all entries positive (an ergodic chain).
func randomStochastic(_ n: Int, seed: UInt64) -> Matrix {
  var rng = RandomSource(seed: seed)
  var m = Matrix(rowCount: n, columnCount: n)
  for i in 0..<n {
    var total = 0.0
    for j in 0..<n {
      let v = rng.uniform() + 0.01
      m[i, j] = v
      total += v
    }
    for j in 0..<n { m[i, j] /= total }
  }
  return m
}

func expectClose(_ a: Matrix, _ b: Matrix, tolerance: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  #expect(a.rowCount == b.rowCount && a.columnCount == b.columnCount, sourceLocation: sourceLocation)
  let difference = a.maxAbsoluteDifference(to: b)
  #expect(difference <= tolerance, "max |a - b| = \(difference) > \(tolerance)", sourceLocation: sourceLocation)
}

func expectClose(_ a: [Double], _ b: [Double], tolerance: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  #expect(a.count == b.count, sourceLocation: sourceLocation)
  let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
  #expect(difference <= tolerance, "max |a - b| = \(difference) > \(tolerance)", sourceLocation: sourceLocation)
}

/// Where two JSON documents first differ: keys, array lengths, strings and booleans exactly,
/// numbers within `relative` of the larger magnitude or within `absolute`, whichever is wider.
/// Nil when they agree. For results that must agree to rounding: a BLAS call can round
/// differently in the last digit with another thread count, while a real defect (a count off by
/// a customer) is many orders larger. The absolute floor is for values that are 0 in exact
/// arithmetic: a solve on more threads left 3.5e-16 expected purchases where one thread left 0,
/// and no relative tolerance holds 0 against anything.
func jsonDifference(_ a: String, _ b: String, relative: Double = 1e-12, absolute: Double = 1e-12) -> String? {
  func parse(_ s: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed]) }
  guard let x = parse(a), let y = parse(b) else { return a == b ? nil : "not JSON" }
  func walk(_ x: Any, _ y: Any, _ path: String) -> String? {
    switch (x, y) {
    case let (x as [String: Any], y as [String: Any]):
      guard Set(x.keys) == Set(y.keys) else { return "\(path): keys \(x.keys.sorted()) against \(y.keys.sorted())" }
      for key in x.keys.sorted() {
        if let d = walk(x[key]!, y[key]!, path + "." + key) { return d }
      }
      return nil
    case let (x as [Any], y as [Any]):
      guard x.count == y.count else { return "\(path): \(x.count) elements against \(y.count)" }
      for i in x.indices {
        if let d = walk(x[i], y[i], "\(path)[\(i)]") { return d }
      }
      return nil
    case let (x as NSNumber, y as NSNumber):  // booleans too, as 0 and 1
      let (u, v) = (x.doubleValue, y.doubleValue)
      return abs(u - v) <= max(relative * max(abs(u), abs(v)), absolute) ? nil : "\(path): \(u) against \(v)"
    default:
      return "\(x)" == "\(y)" ? nil : "\(path): \(x) against \(y)"
    }
  }
  return walk(x, y, "")
}

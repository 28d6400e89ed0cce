import Foundation
import Testing
@testable import JourneyKit

/// `VectorMath` against the C library's one-value exp and log: within 4 ulp (glibc's bound for
/// its vector functions), for every array length up to 9 (whole groups of four and the values
/// left over) and the activity model's 220 grid points.
@Suite("Vector exp and log")
struct VectorMathTests {
  static func ulps(_ a: Double, _ b: Double) -> Double {
    if a == b { return 0 }
    return abs(a - b) / max(a.ulp, b.ulp)
  }

  /// Fails if a group of four or a leftover value is skipped, shifted or given the wrong
  /// function, or if the vector functions stray beyond 4 ulp.
  @Test(arguments: Array(0...9) + [220])
  func expAndLogAgreeWithTheCLibrary(count: Int) {
    // exp: from deep underflow (subnormal results) to near overflow, through 0 and the
    // likelihood's -40 cut; log: from 1e-300 (the tables' floor) to 1e300.
    let steps = Double(max(1, count - 1))
    let exponents: [Double] = (0..<count).map { k in
      let x = Double(k)
      return -745.0 + 1_450.0 * x / steps + 0.37 * Double(k % 3)
    }
    var e = exponents
    VectorMath.exp(&e)
    for k in 0..<count {
      #expect(Self.ulps(e[k], Foundation.exp(exponents[k])) <= 4, "exp(\(exponents[k])): \(e[k]) against \(Foundation.exp(exponents[k]))")
    }
    let values: [Double] = (0..<count).map { k in
      let x = Double(k)
      let power: Double = -300 + 600 * x / steps
      return Foundation.pow(10, power) * (1 + 0.01 * x)
    }
    var l = values
    VectorMath.log(&l)
    for k in 0..<count {
      #expect(Self.ulps(l[k], Foundation.log(values[k])) <= 4, "log(\(values[k])): \(l[k]) against \(Foundation.log(values[k]))")
    }
  }

  /// Fails if the vector functions are never used where they could be (the CPU check or its
  /// initialisation broken): the fit would be slower without a wrong number to show for it.
  @Test func vectorizedWhereTheCPUHasAVX2AndFMA() throws {
    #if arch(x86_64) && os(Linux)
      let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
      let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
      #expect(VectorMath.isVectorized == (flags.contains("avx2") && flags.contains("fma")))
    #else
      #expect(!VectorMath.isVectorized)
    #endif
  }

  @Test func specialValues() {
    var e = [0.0, -40, 1, -1_000, 710, .nan, -.infinity, .infinity]
    VectorMath.exp(&e)
    #expect(e[0] == 1)
    #expect(Self.ulps(e[1], Foundation.exp(-40)) <= 4)
    #expect(Self.ulps(e[2], M_E) <= 4)
    #expect(e[3] == 0)
    #expect(e[4] == .infinity)
    #expect(e[5].isNaN)
    #expect(e[6] == 0)
    #expect(e[7] == .infinity)
    var l = [1.0, M_E, 0, -1]
    VectorMath.log(&l)
    #expect(l[0] == 0)
    #expect(Self.ulps(l[1], 1) <= 4)
    #expect(l[2] == -.infinity)
    #expect(l[3].isNaN)
  }
}

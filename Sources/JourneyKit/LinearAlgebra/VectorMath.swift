import CVectorMath

/// exp and log over whole arrays: four values a call where the CPU and C library allow
/// (glibc's vector functions on x86-64 with AVX2), within 4 ulp of `Foundation.exp` and `log`;
/// one at a time otherwise. The activity model's likelihood tables and matrices take tens of
/// millions of them per fit.
enum VectorMath {
  /// Replaces every value by its exponential.
  static func exp(_ values: inout [Double]) {
    values.withUnsafeMutableBufferPointer { v in
      guard let base = v.baseAddress else { return }
      journey_vector_exp(base, base, v.count)
    }
  }

  /// Replaces every value by its natural logarithm.
  static func log(_ values: inout [Double]) {
    values.withUnsafeMutableBufferPointer { v in
      guard let base = v.baseAddress else { return }
      journey_vector_log(base, base, v.count)
    }
  }

  /// Whether `exp` and `log` run four values at a time on this machine.
  static var isVectorized: Bool { journey_vector_math_is_vectorized() != 0 }
}

import Foundation

/// SplitMix64 (Steele, Lea & Flood, 2014): a tiny generator used to expand one
/// seed into independent streams. Every random computation in Journey starts
/// from a `--seed` through this, so runs are reproducible bit for bit.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The generator's state; each draw advances it by a constant.
  public var state: UInt64

  /// A generator seeded with `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// xoshiro256** (Blackman & Vigna, 2018): the workhorse generator. Fast, 256
/// bits of state, passes BigCrush. Seeded through SplitMix64 as its authors advise.
public struct RandomSource: RandomNumberGenerator, Sendable {
  private var s0, s1, s2, s3: UInt64

  /// A generator for `seed`; `stream` selects an independent sub-stream (for
  /// example one per customer), so work can be split without changing results.
  public init(seed: UInt64, stream: UInt64 = 0) {
    var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    // Mix the stream in twice so that nearby seeds and streams do not overlap.
    _ = mixer.next()
    s0 = mixer.next()
    s1 = mixer.next()
    s2 = mixer.next()
    s3 = mixer.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  @inline(__always)
  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// Uniform in [0, 1) with 53 random bits.
  @inline(__always)
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// Uniform in (0, 1): safe to take the logarithm of.
  @inline(__always)
  public mutating func uniformOpen() -> Double {
    (Double(next() >> 11) + 0.5) * 0x1.0p-53
  }

  /// Standard exponential, rate 1.
  @inline(__always)
  public mutating func exponential() -> Double {
    -Foundation.log(uniformOpen())
  }

  /// Standard normal by the Marsaglia polar method (one value per call; the
  /// second of the pair is dropped to keep the generator stateless apart from
  /// its bits, which keeps streams easy to reason about).
  public mutating func normal() -> Double {
    while true {
      let u = 2 * uniform() - 1
      let v = 2 * uniform() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 { return u * Foundation.sqrt(-2 * Foundation.log(s) / s) }
    }
  }

  /// Fills `values` with standard normals by the Ziggurat method (`zigguratNormal()`), where
  /// millions are drawn.
  public mutating func fillNormals(_ values: inout [Double]) {
    fillNormals(&values, in: values.indices)
  }

  /// Fills `values[range]` with standard normals, as `fillNormals(_:)`.
  public mutating func fillNormals(_ values: inout [Double], in range: Range<Int>) {
    Ziggurat.table.layers.withUnsafeBufferPointer { layers in
      values.withUnsafeMutableBufferPointer { buffer in
        for k in range { buffer[k] = zigguratNormal(layers) }
      }
    }
  }

  /// A standard normal by the Ziggurat method of Marsaglia & Tsang (2000), with 256 layers and
  /// 52-bit uniforms as numpy's `random_standard_normal`: one 64-bit draw and a multiplication
  /// for 98.5% of values; the rest take a wedge test (an exponential) or the tail beyond
  /// `Ziggurat.r` (two logarithms). Several times faster than the polar method's logarithm
  /// and square root; it gives other values for the same seed, so `normal()` keeps the polar
  /// method for the draws whose streams tests and outputs pin.
  public mutating func zigguratNormal() -> Double {
    Ziggurat.table.layers.withUnsafeBufferPointer { zigguratNormal($0) }
  }

  /// One Ziggurat draw from the table's layers, held by callers that draw many.
  @inline(__always)
  mutating func zigguratNormal(_ layers: UnsafeBufferPointer<Ziggurat.Layer>) -> Double {
    while true {
      let bits = next()
      let layer = layers[Int(truncatingIfNeeded: bits & 0xFF)]
      let negative = (bits >> 8) & 1 == 1
      let mantissa = bits >> 12  // 52 bits
      let x = Double(mantissa) * layer.width
      // Inside the part of the layer that lies wholly under the curve: accept at once.
      if mantissa < layer.inner { return negative ? -x : x }
      if bits & 0xFF == 0 {
        // The base layer beyond r: the tail, by Marsaglia's (1964) exponential rejection.
        while true {
          let tail = -Foundation.log(uniformOpen()) / Ziggurat.r
          let y = -Foundation.log(uniformOpen())
          if y + y > tail * tail { return negative ? -(Ziggurat.r + tail) : Ziggurat.r + tail }
        }
      }
      // The wedge between the layer's inner part and the curve.
      if layer.bottom + uniform() * (layer.top - layer.bottom) < Foundation.exp(-0.5 * x * x) { return negative ? -x : x }
    }
  }

  /// Gamma(shape, scale 1) by Marsaglia & Tsang (2000); shape < 1 via the
  /// boost `G(a) = G(a + 1) U^(1/a)`.
  public mutating func gamma(shape: Double) -> Double {
    precondition(shape > 0, "gamma shape must be positive")
    if shape < 1 {
      return gamma(shape: shape + 1) * Foundation.pow(uniformOpen(), 1 / shape)
    }
    let d = shape - 1.0 / 3.0
    let c = 1 / Foundation.sqrt(9 * d)
    while true {
      var x: Double
      var v: Double
      repeat {
        x = normal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = uniformOpen()
      if u < 1 - 0.0331 * x * x * x * x { return d * v }
      if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
    }
  }

  /// Beta(a, b) as a ratio of gammas.
  public mutating func beta(_ a: Double, _ b: Double) -> Double {
    let x = gamma(shape: a)
    let y = gamma(shape: b)
    return x / (x + y)
  }

  /// Poisson(mean): multiplication of uniforms below a mean of 10; from 10 on, Hörmann's
  /// transformed rejection with squeeze (PTRS, 1993), exact and a few uniforms per draw
  /// whatever the mean (counting uniforms costs one per unit of the mean).
  public mutating func poisson(mean: Double) -> Int {
    precondition(mean >= 0, "Poisson mean must not be negative")
    if mean == 0 { return 0 }
    if mean >= 10 { return poissonByRejection(mean: mean) }
    let limit = Foundation.exp(-mean)
    var count = 0
    var product = uniform()
    while product > limit {
      count += 1
      product *= uniform()
    }
    return count
  }

  /// PTRS, as numpy's `random_poisson_ptrs` writes it.
  private mutating func poissonByRejection(mean: Double) -> Int {
    let logMean = Foundation.log(mean)
    let b = 0.931 + 2.53 * Foundation.sqrt(mean)
    let a = -0.059 + 0.02483 * b
    let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
    let acceptAtOnce = 0.9277 - 3.6224 / (b - 2)
    while true {
      let u = uniform() - 0.5
      let v = uniform()
      let us = 0.5 - Swift.abs(u)
      let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
      if us >= 0.07 && v <= acceptAtOnce { return Int(k) }
      if k < 0 || (us < 0.013 && v > us) { continue }
      if Foundation.log(v) + Foundation.log(inverseAlpha) - Foundation.log(a / (us * us) + b)
        <= -mean + k * logMean - Foundation.lgamma(k + 1)
      {
        return Int(k)
      }
    }
  }
}

/// The Ziggurat's 256 layers of equal area under `f(x) = exp(-x^2 / 2)` (Marsaglia & Tsang,
/// 2000, "The Ziggurat Method for Generating Random Variables", with numpy's 256-layer `r`).
///
/// ```
/// v = r f(r) + integral from r to infinity of f     (the area of every layer)
/// x[255] = r,   x[i] = sqrt(-2 log(v / x[i+1] + f(x[i+1])))   for i = 254 ... 1
/// ```
/// Layer i > 1 spans [0, x[i]) at heights f(x[i]) to f(x[i-1]), the top layer 1 up to f(0) = 1;
/// layer 0 is the base rectangle [0, r) x [0, f(r)) plus the tail, drawn as a rectangle of width
/// v / f(r).
struct Ziggurat: Sendable {
  static let r = 3.6541528853610087963519472518
  static let table = Ziggurat(layerCount: 256)

  /// One layer's constants.
  struct Layer: Sendable {
    /// A 52-bit uniform below this lands where the whole layer is under the curve (x < x[i-1]).
    var inner: UInt64 = 0
    /// x per unit of the 52-bit uniform.
    var width = 0.0
    /// f at the layer's right edge: the bottom of its wedge.
    var bottom = 0.0
    /// f at the right edge of the layer above (1 for the top layer): the top of its wedge.
    var top = 0.0
  }
  /// The layers, base first.
  let layers: [Layer]

  private init(layerCount n: Int) {
    let scale = 0x1.0p52
    let r = Self.r
    func f(_ x: Double) -> Double { Foundation.exp(-0.5 * x * x) }
    let v = r * f(r) + (Double.pi / 2).squareRoot() * Foundation.erfc(r / 2.0.squareRoot())
    // Right edges: x[n-1] = r down to x[1]; x[0] stands for the base's pseudo-width v / f(r).
    var edge = [Double](repeating: 0, count: n)
    edge[n - 1] = r
    for i in Swift.stride(from: n - 2, through: 1, by: -1) {
      edge[i] = (-2 * Foundation.log(v / edge[i + 1] + f(edge[i + 1]))).squareRoot()
    }
    edge[0] = v / f(r)
    var layers = [Layer](repeating: Layer(), count: n)
    for i in 0..<n {
      layers[i].width = edge[i] / scale
      layers[i].bottom = i == 0 ? 0 : f(edge[i])
      layers[i].top = i <= 1 ? 1 : f(edge[i - 1])
    }
    // The base accepts below r; layer i > 1 below the layer above's edge; the top layer never
    // at once (its left part is all wedge).
    layers[0].inner = UInt64(r / edge[0] * scale)
    for i in 2..<n { layers[i].inner = UInt64(edge[i - 1] / edge[i] * scale) }
    self.layers = layers
  }
}

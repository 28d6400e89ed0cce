import Foundation
import JourneyKit
import Testing

/// Any bytes end in a value or a clear error, never a crash: deterministic mutations of the
/// fuzzers' seed corpus (Fuzz/Corpus), so every `swift test` repeats a small fuzzing run.
@Suite("Any bytes: no crash")
struct AnyBytesPropertyTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

  static func seeds(_ target: String) throws -> [[UInt8]] {
    let dir = corpus.appendingPathComponent(target)
    return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map {
      Array(try Data(contentsOf: dir.appendingPathComponent($0)))
    }
  }

  /// SplitMix64: the same mutations on every run.
  struct Mutator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }

    /// A few byte flips, inserted digits and special bytes, deletions and duplications.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
      var bytes = input
      let specials: [UInt8] = Array("0123456789\"\n\r,;-+.e%:|[]{}&*!\t ".utf8) + [0, 0xFF, 0xC3]
      for _ in 0...below(4) {
        guard !bytes.isEmpty else { bytes = [specials[below(specials.count)]]; continue }
        let at = below(bytes.count)
        switch below(5) {
        case 0: bytes[at] = UInt8(truncatingIfNeeded: next())
        case 1: bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "9"), count: 1 + below(30)), at: at)
        case 2: bytes.insert(specials[below(specials.count)], at: at)
        case 3: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(8)))
        default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + below(16))], at: below(bytes.count))
        }
      }
      return bytes
    }
  }

  static func mutations(_ target: String, count: Int) throws -> [[UInt8]] {
    var m = Mutator(state: 15)
    let seeds = try seeds(target)
    return (0..<count).map { _ in m.mutate(seeds[m.below(seeds.count)]) }
  }

  @Test func csv() throws {
    var outcomes = (read: 0, failed: 0)
    for bytes in try Self.mutations("csv", count: 300) {
      var options = ReaderOptions()
      options.onError = bytes.first.map { $0 & 1 == 0 } ?? true ? .fail : .skip
      do {
        _ = try TransactionReader(options: options).read(bytes: Array(bytes.dropFirst()), name: "m.csv")
        outcomes.read += 1
      } catch {
        #expect(!error.description.isEmpty)
        outcomes.failed += 1
      }
    }
    #expect(outcomes.read + outcomes.failed == 300)
  }

  @Test func yamlLoaders() throws {
    for (target, load) in [
      ("scenario", { (text: String) throws -> Void in _ = try Scenario.load(yaml: text, source: "m.yaml") }),
      ("states", { (text: String) throws -> Void in _ = try CustomStateRules.load(yaml: text, source: "m.yaml") }),
      ("targets", { (text: String) throws -> Void in _ = try EvaluationTarget.load(yaml: text, source: "m.yaml") }),
    ] {
      for bytes in try Self.mutations(target, count: 300) {
        do { try load(String(decoding: bytes, as: UTF8.self)) } catch { #expect(!"\(error)".isEmpty) }
      }
    }
  }

  @Test func modelLoader() throws {
    var loaded = 0
    for bytes in try Self.mutations("model", count: 200) {
      do {
        let model = try MarkovModel.load(data: Data(bytes), path: "m.json")
        _ = ModelSummary(model: model).text()
        loaded += 1
      } catch {
        #expect(error.description.hasPrefix("m.json: "))
      }
    }
    #expect(loaded < 200)
  }
}

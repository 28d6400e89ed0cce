import Foundation

extension StateSpaceKind {
  /// The built-in names `--states` takes besides a YAML file.
  public static let builtInNames = ["lifecycle", "value", "rfm", "rfm:K", "rf", "rf:K"]

  /// Parses `--states`: `lifecycle`, `value`, `rfm`, `rfm:K` (K from 2 to 10), `rf`, `rf:K`
  /// (recency x frequency, K from 2 to 8), or a path to a
  /// `.yaml` / `.yml` rules file, which is loaded and checked.
  /// - Throws: `FitError.invalidOption` for an unknown name (with a did-you-mean), or the
  ///   file's `YAMLFileError`.
  public static func parse(_ spec: String) throws -> StateSpaceKind {
    switch spec.lowercased() {
    case "lifecycle": return .lifecycle
    case "value": return .value
    case "rfm": return .rfm(levels: 5)
    case "rf": return .recencyFrequency(levels: 4)
    default: break
    }
    if spec.lowercased().hasPrefix("rf:") {
      guard let k = Int(spec.dropFirst(3)), (2...8).contains(k) else {
        throw FitError.invalidOption(flag: "--states", value: spec, expected: "rf:K with K from 2 to 8 frequency levels (rf is rf:4)")
      }
      return .recencyFrequency(levels: k)
    }
    if spec.lowercased().hasPrefix("rfm:") {
      guard let k = Int(spec.dropFirst(4)), (2...10).contains(k) else {
        throw FitError.invalidOption(flag: "--states", value: spec, expected: "rfm:K with K from 2 to 10 (rfm:5 is the classic 125 cells)")
      }
      return .rfm(levels: k)
    }
    if spec.hasSuffix(".yaml") || spec.hasSuffix(".yml") {
      guard let data = FileManager.default.contents(atPath: spec) else {
        throw FitError.invalidOption(flag: "--states", value: spec, expected: "a readable YAML rules file (no file at that path)")
      }
      let name = (spec as NSString).lastPathComponent
      return .custom(try CustomStateRules.load(yaml: String(decoding: data, as: UTF8.self), source: name))
    }
    let hint = closestMatch(spec, among: ["lifecycle", "value", "rfm", "rf"]).map { " (did you mean '\($0)'?)" } ?? ""
    throw FitError.invalidOption(
      flag: "--states", value: spec,
      expected: "lifecycle, value, rfm, rfm:K, rf, rf:K or a rules file ending in .yaml\(hint)")
  }
}

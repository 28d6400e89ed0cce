import JourneyKit

/// Refuses, before any work, outputs that would replace an input or each other (exit 64).
///
/// Every command that writes a file calls it first with all its outputs and inputs.
func guardOutputs(_ outputs: [(String, String?)], inputs: [String?]) throws {
  try OutputPaths.check(
    outputs: outputs.compactMap { flag, path in path.map { (flag: flag, path: $0) } },
    inputs: inputs.compactMap { $0 })
}

extension InputOptions {
  /// `--rejects`, the output every command reading transactions may write.
  var outputs: [(String, String?)] { format.outputs }
}

extension InputFormatOptions {
  var outputs: [(String, String?)] { [("--rejects", rejects)] }
}

extension ModelOptions {
  /// The rules files `--states` and `--candidate` read.
  var inputs: [String?] {
    ([states] + candidates).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
  }
}

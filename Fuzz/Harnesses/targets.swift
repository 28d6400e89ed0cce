// Fuzz target: the evaluation targets YAML loader. Any text: targets or a YAMLFileError.
import Foundation
import JourneyKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  do {
    let targets = try EvaluationTarget.load(yaml: text, source: "fuzz.yaml")
    _ = targets.count
  } catch {
    _ = "\(error)"
  }
  return 0
}

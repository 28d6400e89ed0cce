// Fuzz target: the state-rules YAML loader. Any text: rules or a YAMLFileError.
import Foundation
import JourneyKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  do {
    let rules = try CustomStateRules.load(yaml: text, source: "fuzz.yaml")
    _ = rules.states.map { "\($0)" }
  } catch {
    _ = error.description
  }
  return 0
}

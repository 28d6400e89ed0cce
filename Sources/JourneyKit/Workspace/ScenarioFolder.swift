import Foundation

/// A file name the scenarios folder does not accept.
public struct ScenarioFolderError: Error, Equatable, CustomStringConvertible {
  /// The name given.
  public var name: String
  /// Why it is refused.
  public var message: String

  /// `'name': message`.
  public var description: String { "'\(name)': \(message)" }
}

/// The folder the workspace reads scenarios from and saves them into. Names are plain file
/// names (`winback.yaml`): no folders, no `..`, no hidden files, and never through a link, so
/// nothing is written outside the folder whatever a request asks for.
public struct ScenarioFolder: Sendable {
  /// The folder, with links and `..` resolved.
  public let path: String

  /// - Throws: `ScenarioFolderError` when the folder does not exist.
  public init(path: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      throw ScenarioFolderError(name: path, message: "is not a folder; give --scenarios an existing folder of scenario files (YAML)")
    }
    self.path = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
  }

  /// Scenario files in the folder (`*.yaml`, `*.yml`), sorted by name.
  public func files() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.filter { (try? checkedName($0)) != nil && !isLink($0) }.sorted()
  }

  /// The text of a scenario file of the folder.
  /// - Throws: `ScenarioFolderError` for a name outside the rules; `YAMLFileError` when it cannot be read.
  public func read(_ name: String) throws -> String {
    let file = try checkedName(name)
    guard !isLink(file), let data = FileManager.default.contents(atPath: full(file)) else {
      throw YAMLFileError(file: file, path: "", message: "cannot read the file", hint: "check that it is a file in \(path)")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Writes `text` as the scenario file `name` (atomically: temporary file, sync, rename).
  /// - Returns: the path written.
  public func write(_ text: String, as name: String) throws -> String {
    let file = try checkedName(name)
    guard !isLink(file) else {
      throw ScenarioFolderError(name: name, message: "is a link; the workspace writes only plain files inside \(path)")
    }
    let target = full(file)
    try AtomicFile.write(text, to: target)
    return target
  }

  /// `name` when it is a plain scenario file name: letters, digits, `.`, `_` and `-`, not
  /// starting with a dot or dash, ending in `.yaml` or `.yml`, at most 100 characters.
  /// - Throws: `ScenarioFolderError` saying what is wrong and what is expected.
  public func checkedName(_ name: String) throws(ScenarioFolderError) -> String {
    let expected = "expected a file name such as winback.yaml (letters, digits, '.', '_' and '-', ending in .yaml or .yml), saved inside \(path)"
    guard !name.isEmpty else { throw ScenarioFolderError(name: name, message: "no file name; \(expected)") }
    guard name.count <= 100 else { throw ScenarioFolderError(name: String(name.prefix(40)) + "...", message: "is longer than 100 characters; \(expected)") }
    guard name.range(of: #"^[A-Za-z0-9_][A-Za-z0-9._-]*\.ya?ml$"#, options: .regularExpression) != nil, !name.contains("..") else {
      throw ScenarioFolderError(name: name, message: "is not a plain scenario file name; \(expected)")
    }
    return name
  }

  private func full(_ file: String) -> String { (path as NSString).appendingPathComponent(file) }

  private func isLink(_ file: String) -> Bool {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: full(file))) != nil
  }
}

import Foundation

/// The folders and files tests write. They all live under one folder per test process, which is
/// removed when the process exits: suites that keep a folder in a `static let` have no teardown,
/// and each run of `swift test` used to leave dozens of folders in the temporary directory.
public enum Scratch {
  /// `journey-tests-<process>-<uuid>` in the temporary directory, made on first use.
  public static let root: URL = {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("journey-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: Scratch.root) }
    return url
  }()

  /// A new, empty folder under the root, its name starting with `name`.
  public static func folder(_ name: String = "scratch") throws -> URL {
    let url = root.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    return url
  }

  /// A path under the root that nothing exists at yet: `<name>-<uuid><suffix>`.
  public static func path(_ name: String, suffix: String = "") -> URL {
    root.appendingPathComponent("\(name)-\(UUID().uuidString)\(suffix)")
  }
}

import Foundation

/// Several files that belong together (a report and its tables, the demo's outputs), written
/// complete into a temporary folder beside their destination and then moved into place, so a
/// failed or killed run never leaves new files mixed with older ones.
///
/// When the destination folder does not exist yet, the whole folder is renamed into place in one
/// step. When it does, each entry is renamed over its old version (a folder replaced as a whole),
/// with the files named in `last` moved at the very end, so that a reader who sees the new report
/// finds its tables already there. On failure, `discard()` (or, for a killed run, the CLI's signal
/// handler through `TemporaryFiles`) removes the temporary folder.
public final class StagedFolder {
  /// Where the files end up.
  public let destination: String
  /// Where they are written first.
  public let staging: String
  private var done = false

  /// - Throws: `OutputError` when the temporary folder cannot be created.
  public init(destination: String) throws(OutputError) {
    let destination = URL(fileURLWithPath: destination).standardizedFileURL.path
    self.destination = destination
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
      // Inside the existing folder: the same file system, and no need to write beside it.
      staging = TemporaryFiles.sibling(of: (destination as NSString).appendingPathComponent("staging"))
    } else {
      staging = TemporaryFiles.sibling(of: destination)
    }
    TemporaryFiles.register(staging)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    } catch {
      TemporaryFiles.unregister(staging)
      throw .cannotWrite(path: destination, reason: (error as NSError).localizedDescription)
    }
  }

  deinit { if !done { discard() } }

  /// Where to write `relative` now (inside the temporary folder).
  public func path(_ relative: String) -> String { (staging as NSString).appendingPathComponent(relative) }

  /// Moves everything into place; the entries named in `last` (top-level names) go last.
  /// - Throws: `OutputError` naming the entry that could not be moved.
  public func commit(last: [String] = []) throws(OutputError) {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if !fm.fileExists(atPath: destination, isDirectory: &isDirectory) {
      try fm.createDirectoryIfNeeded(URL(fileURLWithPath: destination).deletingLastPathComponent().path, for: destination)
      guard rename(staging, destination) == 0 else { throw .cannotWrite(path: destination, reason: String(cString: strerror(errno))) }
      finish()
      return
    }
    guard isDirectory.boolValue else { throw .cannotWrite(path: destination, reason: "it exists and is not a folder") }
    let entries = ((try? fm.contentsOfDirectory(atPath: staging)) ?? []).sorted()
    // Moved out of the staging folder, wherever it sits (inside the destination or beside it).
    let ordered = entries.filter { !last.contains($0) } + last.filter { entries.contains($0) }
    // Check every entry before moving any: a file cannot replace a folder or the reverse.
    for name in ordered {
      var newIsDirectory: ObjCBool = false
      var oldIsDirectory: ObjCBool = false
      let to = (destination as NSString).appendingPathComponent(name)
      _ = fm.fileExists(atPath: path(name), isDirectory: &newIsDirectory)
      if fm.fileExists(atPath: to, isDirectory: &oldIsDirectory), oldIsDirectory.boolValue != newIsDirectory.boolValue {
        discard()
        throw .cannotWrite(path: to, reason: oldIsDirectory.boolValue ? "it is a folder" : "it is a file, where a folder goes")
      }
    }
    for name in ordered {
      let from = path(name)
      let to = (destination as NSString).appendingPathComponent(name)
      var entryIsDirectory: ObjCBool = false
      if fm.fileExists(atPath: to, isDirectory: &entryIsDirectory), entryIsDirectory.boolValue {
        // A folder is replaced as a whole: old tables must not outlive the report they belonged to.
        let old = TemporaryFiles.sibling(of: to)
        TemporaryFiles.register(old)
        guard rename(to, old) == 0 else { throw .cannotWrite(path: to, reason: String(cString: strerror(errno))) }
        guard rename(from, to) == 0 else {
          rename(old, to)
          TemporaryFiles.unregister(old)
          throw .cannotWrite(path: to, reason: String(cString: strerror(errno)))
        }
        try? fm.removeItem(atPath: old)
        TemporaryFiles.unregister(old)
      } else {
        guard rename(from, to) == 0 else { throw .cannotWrite(path: to, reason: String(cString: strerror(errno))) }
      }
    }
    try? fm.removeItem(atPath: staging)
    finish()
  }

  /// Removes the temporary folder and everything in it.
  public func discard() {
    try? FileManager.default.removeItem(atPath: staging)
    finish()
  }

  private func finish() {
    done = true
    TemporaryFiles.unregister(staging)
  }
}

extension FileManager {
  fileprivate func createDirectoryIfNeeded(_ path: String, for destination: String) throws(OutputError) {
    guard !path.isEmpty else { return }
    do {
      try createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: destination, reason: (error as NSError).localizedDescription)
    }
  }
}

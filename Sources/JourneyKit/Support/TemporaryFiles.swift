import Foundation

/// Temporary files and folders a run is writing, so that an interrupted run (Ctrl-C, kill)
/// removes them instead of leaving them beside its outputs. The CLI calls `removeAll()` from its
/// signal handler; `AtomicFile` and `StagedFolder` register what they create.
public enum TemporaryFiles {
  nonisolated(unsafe) private static var paths: Set<String> = []
  private static let lock = NSLock()

  /// Remembers `path` until it is unregistered: `removeAll()` would delete it.
  public static func register(_ path: String) {
    lock.lock()
    paths.insert(path)
    lock.unlock()
  }

  /// Forgets `path` (it was moved into place or removed).
  public static func unregister(_ path: String) {
    lock.lock()
    paths.remove(path)
    lock.unlock()
  }

  /// Removes every registered file or folder (what a killed run leaves); returns how many.
  @discardableResult
  public static func removeAll() -> Int {
    lock.lock()
    let all = paths
    paths = []
    lock.unlock()
    for path in all { try? FileManager.default.removeItem(atPath: path) }
    return all.count
  }

  /// What is registered now (for tests).
  public static var registered: Set<String> {
    lock.lock()
    defer { lock.unlock() }
    return paths
  }

  /// A fresh name beside `path` for writing it: `.name.tmp-PID-N` in the same folder, so the
  /// final rename stays on one file system.
  static func sibling(of path: String) -> String {
    lock.lock()
    counter += 1
    let n = counter
    lock.unlock()
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(n)").path
  }

  nonisolated(unsafe) private static var counter = 0
}

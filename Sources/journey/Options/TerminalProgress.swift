import Foundation

/// Progress of long work on standard error, one line rewritten in place: only when standard
/// error is a terminal, so that logs, pipes and tests see nothing.
enum TerminalProgress {
  /// A reporter for `StateSpaceSelection.Options.progress` (folds) or
  /// `RolloutDesignOptions.progress` (replicates), or nil when standard error is not a terminal
  /// (or `JOURNEY_PROGRESS=0`).
  static func reporter(_ title: String, unit: String = "folds") -> (@Sendable (Int, Int, String) -> Void)? {
    guard isatty(FileHandle.standardError.fileDescriptor) == 1, ProcessInfo.processInfo.environment["JOURNEY_PROGRESS"] != "0" else {
      return nil
    }
    let line = Line()
    return { done, total, next in
      // "\r" returns to the line's start, ESC[K clears the rest of it.
      line.write(done: done, done >= total ? "\r\u{1B}[K" : "\r\u{1B}[K\(title): \(done) of \(total) \(unit)" + (next.isEmpty ? "" : ", now \(next)"))
    }
  }

  /// The line on the terminal. Replicates finish on several threads at once: a count is written
  /// only if it is past the last one written, so that a late "99 of 100" cannot follow the final
  /// clearing and stay above the output. A count of 0 starts again (the folds of a second choice
  /// of states in the same command).
  private final class Line: @unchecked Sendable {
    private let lock = NSLock()
    private var written = -1

    func write(done: Int, _ text: String) {
      lock.lock()
      defer { lock.unlock() }
      guard done > written || done == 0 else { return }
      written = done
      FileHandle.standardError.write(Data(text.utf8))
    }
  }
}

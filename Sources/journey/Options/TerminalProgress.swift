import Foundation

/// Progress of long work on standard error, one line rewritten in place: only when standard
/// error is a terminal, so that logs, pipes and tests see nothing.
enum TerminalProgress {
  /// A reporter for `StateSpaceSelection.Options.progress`, or nil when standard error is not a
  /// terminal (or `JOURNEY_PROGRESS=0`).
  static func reporter(_ title: String) -> (@Sendable (Int, Int, String) -> Void)? {
    guard isatty(FileHandle.standardError.fileDescriptor) == 1, ProcessInfo.processInfo.environment["JOURNEY_PROGRESS"] != "0" else {
      return nil
    }
    return { done, total, next in
      // "\r" returns to the line's start, ESC[K clears the rest of it.
      let line = done >= total ? "\r\u{1B}[K" : "\r\u{1B}[K\(title): \(done) of \(total) folds, now \(next)"
      FileHandle.standardError.write(Data(line.utf8))
    }
  }
}

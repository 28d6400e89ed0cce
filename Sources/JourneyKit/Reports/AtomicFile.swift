import Foundation

/// Writes files so that a reader never sees half of one: the bytes go to a
/// temporary file in the same directory, which is then renamed over the target.
/// A failed or interrupted run leaves the old file (or none), never a torn one.
public enum AtomicFile {
  /// - Throws: `OutputError.cannotWrite` naming the path and the system's reason.
  public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(OutputError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(bytes).write(to: url, options: .atomic)
    } catch {
      throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
    }
  }

  public static func write(_ text: String, to path: String) throws(OutputError) {
    try write(Array(text.utf8), to: path)
  }
}

/// A result that could not be written.
public enum OutputError: Error, CustomStringConvertible, Equatable {
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case let .cannotWrite(path, reason):
      return "cannot write '\(path)': \(reason); check that the directory exists and is writable"
    }
  }
}

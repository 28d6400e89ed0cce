import Foundation

/// Writes files so that a reader never sees half of one: the bytes go to a
/// temporary file in the same directory, which is synced and then renamed over the target.
/// A failed or interrupted run leaves the old file (or none), never a torn one; the temporary
/// file is removed on failure, and on Ctrl-C or kill by the CLI (`TemporaryFiles`).
public enum AtomicFile {
  /// - Throws: `OutputError.cannotWrite` naming the path and the system's reason.
  public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(OutputError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    let temporary = TemporaryFiles.sibling(of: path)
    TemporaryFiles.register(temporary)
    defer { TemporaryFiles.unregister(temporary) }
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
        throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
      }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
      do {
        try handle.write(contentsOf: Data(bytes))
        try handle.synchronize()
        try handle.close()
      } catch {
        try? handle.close()
        throw error
      }
      guard rename(temporary, path) == 0 else {
        throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
      }
    } catch {
      unlink(temporary)
      if let e = error as? OutputError { throw e }
      throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
    }
  }

  /// Writes `text` as UTF-8, atomically (see `write(_:to:)` for bytes).
  public static func write(_ text: String, to path: String) throws(OutputError) {
    try write(Array(text.utf8), to: path)
  }
}

/// A result that could not be written.
public enum OutputError: Error, CustomStringConvertible, Equatable {
  case cannotWrite(path: String, reason: String)
  /// A number JSON cannot hold (inf, NaN) in a result.
  case nonFiniteValue(field: String, value: String)

  /// The message for the user: which file and why.
  public var description: String {
    switch self {
    case let .cannotWrite(path, reason):
      return "cannot write '\(path)': \(reason); check that the directory exists and is writable"
    case let .nonFiniteValue(field, value):
      return "cannot write JSON: \(field) is \(value), not a finite number; the inputs are beyond what journey supports (see the README's limits)"
    }
  }
}

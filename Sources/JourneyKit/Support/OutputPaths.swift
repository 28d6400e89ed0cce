import Foundation

/// An output path that would replace one of the command's inputs (or another output).
public enum OutputPathError: Error, Equatable, CustomStringConvertible {
  /// `output` (given with `flag`) is the same file as the input `input`.
  case overwritesInput(flag: String, output: String, input: String)
  /// Two outputs are the same file.
  case sameOutput(flag: String, otherFlag: String, path: String)
  /// A report's tables folder holds an input, which the report would overwrite.
  case tablesOverInput(flag: String, folder: String, input: String)

  /// The message for the user: which flag's path and what it would overwrite.
  public var description: String {
    switch self {
    case let .overwritesInput(flag, output, input):
      return "\(flag): '\(output)' is the input '\(input)'; writing it would replace the data it is made from. Write to another file"
    case let .sameOutput(flag, otherFlag, path):
      return "\(flag): '\(path)' is also the \(otherFlag) output; give each output its own file"
    case let .tablesOverInput(flag, folder, input):
      return "\(flag): its tables go to '\(folder)', which holds the input '\(input)'; name the report differently"
    }
  }
}

/// The one guard every command that writes files runs before reading anything: no output may be
/// one of the inputs (compared after resolving symbolic links, `.` and `..`, and by file identity
/// for hard links), and no two outputs may be the same file.
public enum OutputPaths {
  /// - Parameters:
  ///   - outputs: `(flag, path)` for each file the command will write (`-` for standard output is skipped).
  ///   - inputs: every file the command reads (`-` for standard input is skipped).
  ///   - reportFlag: the flag of a report whose tables folder must not hold an input.
  public static func check(outputs: [(flag: String, path: String)], inputs: [String]) throws(OutputPathError) {
    let files = outputs.filter { $0.path != "-" && !$0.path.isEmpty }
    let ins = inputs.filter { $0 != "-" && !$0.isEmpty }.map { (path: $0, key: identity($0)) }
    var seen: [(flag: String, key: FileKey)] = []
    for output in files {
      let key = identity(output.path)
      if let input = ins.first(where: { $0.key == key }) {
        throw .overwritesInput(flag: output.flag, output: output.path, input: input.path)
      }
      if let other = seen.first(where: { $0.key == key }) {
        throw .sameOutput(flag: output.flag, otherFlag: other.flag, path: output.path)
      }
      seen.append((output.flag, key))
      if output.flag == "--report", (try? ReportFormat(path: output.path)) != nil {
        let folder = canonical(ReportFormat.tablesFolder(forReport: output.path))
        if let input = ins.first(where: { canonical($0.path).hasPrefix(folder + "/") }) {
          throw .tablesOverInput(flag: output.flag, folder: ReportFormat.tablesFolder(forReport: output.path), input: input.path)
        }
      }
    }
  }

  /// What makes two paths one file: device and inode when it exists, else the canonical path.
  enum FileKey: Equatable {
    case inode(UInt64, UInt64)
    case path(String)
  }

  static func identity(_ path: String) -> FileKey {
    var info = stat()
    if stat(path, &info) == 0 { return .inode(UInt64(info.st_dev), UInt64(info.st_ino)) }
    return .path(canonical(path))
  }

  /// The absolute path with links, `.` and `..` resolved, as far as the path exists.
  public static func canonical(_ path: String) -> String {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL
    if let resolved = realpath(absolute.path, nil) {
      defer { free(resolved) }
      return String(cString: resolved)
    }
    // Not there yet: resolve the folder, keep the name.
    let parent = absolute.deletingLastPathComponent().path
    guard parent != absolute.path else { return absolute.path }
    return (canonical(parent) as NSString).appendingPathComponent(absolute.lastPathComponent)
  }
}

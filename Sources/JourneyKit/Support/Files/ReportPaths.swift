import Foundation

/// The kinds of report file, chosen by the extension of the path asked for.
public enum ReportFormat: String, Sendable {
  case html, markdown

  /// - Throws: `ReportPathError` when the path ends in neither `.html` / `.htm` nor `.md`.
  public init(path: String) throws(ReportPathError) {
    switch (path as NSString).pathExtension.lowercased() {
    case "html", "htm": self = .html
    case "md", "markdown": self = .markdown
    default: throw .unsupportedExtension(path: path)
    }
  }

  /// The folder a report's tables go to, beside it: `out/report.html` -> `out/report-tables`.
  public static func tablesFolder(forReport path: String) -> String {
    ((path as NSString).deletingPathExtension) + "-tables"
  }
}

/// A `--report` path that names no report format.
public enum ReportPathError: Error, Equatable, CustomStringConvertible {
  case unsupportedExtension(path: String)

  /// The message for the user: the path and the extensions accepted.
  public var description: String {
    switch self {
    case let .unsupportedExtension(path):
      return "--report: '\(path)' must end in .html (a self-contained page with charts) or .md (Markdown), e.g. --report report.html"
    }
  }
}

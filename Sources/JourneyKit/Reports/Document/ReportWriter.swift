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
}

public enum ReportPathError: Error, Equatable, CustomStringConvertible {
  case unsupportedExtension(path: String)

  public var description: String {
    switch self {
    case let .unsupportedExtension(path):
      return "--report: '\(path)' must end in .html (a self-contained page with charts) or .md (Markdown), e.g. --report report.html"
    }
  }
}

/// Writes a report and its tables: the document at `path`, and every table as CSV in a folder
/// beside it named after the report (`out/report.html` -> `out/report-tables/forecast-kpis.csv`).
public enum ReportWriter {
  /// - Returns: the paths written, the report first.
  /// - Throws: `ReportPathError` for an unknown extension; `OutputError` when a file cannot be written.
  @discardableResult
  public static func write(_ document: ReportDocument, to path: String) throws -> [String] {
    let format = try ReportFormat(path: path)
    let folder = tablesFolder(forReport: path)
    var written: [String] = []
    var used: Set<String> = []
    for table in document.tables {
      var name = table.name
      var k = 2
      while used.contains(name) {
        name = "\(table.name)-\(k)"
        k += 1
      }
      used.insert(name)
      let csvPath = (folder as NSString).appendingPathComponent(name + ".csv")
      try AtomicFile.write(table.csv(), to: csvPath)
      written.append(csvPath)
    }
    // The report last, so a reader who sees it finds its tables already there.
    try AtomicFile.write(format == .html ? document.html() : document.markdown(), to: path)
    return [path] + written
  }

  /// `out/report.html` -> `out/report-tables`.
  public static func tablesFolder(forReport path: String) -> String {
    ((path as NSString).deletingPathExtension) + "-tables"
  }
}

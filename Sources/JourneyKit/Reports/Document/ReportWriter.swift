import Foundation

/// Writes a report and its tables: the document at `path`, and every table as CSV in a folder
/// beside it named after the report (`out/report.html` -> `out/report-tables/forecast-kpis.csv`).
public enum ReportWriter {
  /// - Returns: the paths written, the report first.
  /// - Throws: `ReportPathError` for an unknown extension; `OutputError` when a file cannot be written.
  @discardableResult
  public static func write(_ document: ReportDocument, to path: String) throws -> [String] {
    let format = try ReportFormat(path: path)
    // Rendered before anything is written: nothing is left behind if rendering fails.
    let text = format == .html ? document.html() : document.markdown()
    let folder = ReportFormat.tablesFolder(forReport: path)
    let parent = (path as NSString).deletingLastPathComponent
    // The report and its tables are written into a temporary folder beside them and moved into
    // place together, the report last: a failed run leaves neither new tables nor a new report.
    let stage = try StagedFolder(destination: parent.isEmpty ? "." : parent)
    let tablesName = (folder as NSString).lastPathComponent
    let reportName = (path as NSString).lastPathComponent
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
      try AtomicFile.write(table.csv(), to: stage.path("\(tablesName)/\(name).csv"))
      written.append((folder as NSString).appendingPathComponent(name + ".csv"))
    }
    try AtomicFile.write(text, to: stage.path(reportName))
    try stage.commit(last: [reportName])
    return [path] + written
  }
}

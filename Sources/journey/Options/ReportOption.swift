import ArgumentParser
import JourneyKit

/// `--report FILE.html|FILE.md` on the analyses that produce one.
struct ReportOption: ParsableArguments {
  @Option(help: ArgumentHelp(
    "Also write a report people read: FILE.html (one self-contained page with charts) or FILE.md (Markdown); its tables go to FILE-tables/*.csv.",
    valueName: "file"))
  var report: String?

  func validate() throws {
    guard let report else { return }
    do { _ = try ReportFormat(path: report) } catch { throw ValidationError(error.description) }
  }

  /// Writes the report when one was asked for; the document is only built then.
  func write(_ document: () throws -> ReportDocument) throws {
    guard let report else { return }
    try ReportWriter.write(try document(), to: report)
  }
}

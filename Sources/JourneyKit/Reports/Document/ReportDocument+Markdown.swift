extension ReportDocument {
  /// The summary, assumptions and tables as Markdown; charts are named, with a pointer to the HTML report.
  public func markdown() -> String {
    let md = OutputEscaping.markdown
    var out = ["# \(md(title))", "", md(subtitle), "", "## Summary", ""]
    if summary.isEmpty { out.append("There is nothing to summarise.") }
    for group in summaryGroups {
      if let heading = group.heading { out += ["", "### \(md(heading))", ""] }
      out += group.sentences.map { "- \(md($0))" }
    }
    if !warnings.isEmpty {
      out += ["", "## Read with care", ""] + warnings.map { "- \(md($0))" }
    }
    if !assumptions.isEmpty {
      out += ["", "## Assumptions", "", "| assumption | value |", "|---|---|"]
      out += assumptions.map { "| \(Self.cell($0.label)) | \(Self.cell($0.value)) |" }
    }
    for s in sections { out += Self.markdown(s, level: "##") }
    if !appendix.isEmpty {
      out += ["", "## Appendix"]
      for s in appendix { out += Self.markdown(s, level: "###") }
    }
    return out.joined(separator: "\n") + "\n"
  }

  static func markdown(_ section: ReportSection, level: String) -> [String] {
    let md = OutputEscaping.markdown
    var out = ["", "\(level) \(md(section.title))"]
    for block in section.blocks {
      out.append("")
      switch block {
      case let .paragraph(text): out.append(md(text))
      case let .note(text): out.append("> \(md(text))")
      case let .chart(chart):
        out.append(chart.insufficientDataSentence.map { "> \(md($0))" } ?? "_Chart: \(md(chart.title)) (drawn in the HTML report)._")
      case let .table(table):
        out.append("**\(md(table.title))**")
        out.append("")
        out.append("| " + table.columns.map(cell).joined(separator: " | ") + " |")
        out.append("|" + table.columns.indices.map { $0 == 0 ? "---" : "---:" }.joined(separator: "|") + "|")
        for row in table.rows { out.append("| " + row.map { cell($0.fullText) }.joined(separator: " | ") + " |") }
      }
    }
    return out
  }

  /// Pipes would end the cell; line breaks would end the row; HTML would run.
  static func cell(_ text: String) -> String { OutputEscaping.markdown(text) }
}

extension ReportDocument {
  /// One self-contained HTML file: inline CSS and inline SVG, no scripts, fonts or links to
  /// anything outside the file, readable on a laptop and printable on A4.
  public func html() -> String {
    let e = SVGCanvas.escape
    var out: [String] = []
    out.append("<!DOCTYPE html>")
    out.append("<html lang=\"en\">")
    out.append("<head>")
    out.append("<meta charset=\"utf-8\">")
    out.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    out.append("<title>\(e(title))</title>")
    out.append("<style>\n\(Self.stylesheet)</style>")
    out.append("</head>")
    out.append("<body>")
    out.append("<main>")
    out.append("<header><h1>\(e(title))</h1><p class=\"subtitle\">\(e(subtitle))</p></header>")
    let all = sections + appendix
    if all.count > 2 {
      out.append("<nav><p><strong>Contents</strong></p><ol>")
      for (k, s) in all.enumerated() { out.append("<li><a href=\"#s\(k + 1)\">\(e(s.title))</a></li>") }
      out.append("</ol></nav>")
    }
    out.append("<section class=\"summary\"><h2>Summary</h2>")
    if summary.isEmpty { out.append("<p>There is nothing to summarise.</p>") }
    for group in summaryGroups {
      if let heading = group.heading { out.append("<h3>\(e(heading))</h3>") }
      out.append("<ul>" + group.sentences.map { "<li>\(e($0))</li>" }.joined() + "</ul>")
    }
    out.append("</section>")
    if !warnings.isEmpty {
      out.append("<section class=\"warnings\"><h2>Read with care</h2><ul>" + warnings.map { "<li>\(e($0))</li>" }.joined() + "</ul></section>")
    }
    if !assumptions.isEmpty {
      out.append("<section><h2>Assumptions</h2><table class=\"assumptions\"><tbody>")
      for a in assumptions { out.append("<tr><th scope=\"row\">\(e(a.label))</th><td>\(e(a.value))</td></tr>") }
      out.append("</tbody></table></section>")
    }
    for (k, s) in sections.enumerated() { out.append(Self.html(s, id: "s\(k + 1)")) }
    if !appendix.isEmpty {
      out.append("<div class=\"appendix\"><h2 class=\"appendix-title\">Appendix</h2>")
      for (k, s) in appendix.enumerated() { out.append(Self.html(s, id: "s\(sections.count + k + 1)")) }
      out.append("</div>")
    }
    out.append("<footer><p>Made by journey. The tables are also written as CSV files beside this report.</p></footer>")
    out.append("</main>")
    out.append("</body>")
    out.append("</html>")
    return out.joined(separator: "\n") + "\n"
  }

  static func html(_ section: ReportSection, id: String) -> String {
    let e = SVGCanvas.escape
    var out = ["<section id=\"\(id)\"><h2>\(e(section.title))</h2>"]
    for block in section.blocks {
      switch block {
      case let .paragraph(text):
        out.append("<p>\(e(text))</p>")
      case let .note(text):
        out.append("<p class=\"note\">\(e(text))</p>")
      case let .chart(chart):
        if let reason = chart.insufficientDataSentence {
          out.append("<p class=\"note\">\(e(reason))</p>")
        } else {
          out.append("<figure>\n\(chart.svg())\n</figure>")
        }
      case let .table(table):
        out.append(html(table))
      }
    }
    out.append("</section>")
    return out.joined(separator: "\n")
  }

  static func html(_ table: ReportTable) -> String {
    let e = SVGCanvas.escape
    // Columns whose cells all read as numbers are right-aligned.
    let numeric = table.columns.indices.map { c in
      table.rows.allSatisfy { row in row[c].text == "-" || row[c].text.first.map { $0.isNumber || $0 == "-" || $0 == "+" } ?? true }
    }
    var out = ["<div class=\"table\"><table><caption>\(e(table.title))</caption>"]
    out.append("<thead><tr>" + table.columns.enumerated().map { "<th\(numeric[$0] && $0 > 0 ? " class=\"num\"" : "")>\(e($1))</th>" }.joined() + "</tr></thead>")
    out.append("<tbody>")
    for row in table.rows {
      out.append("<tr>" + row.enumerated().map { c, cell in
        "<td\(numeric[c] && c > 0 ? " class=\"num\"" : "")>\(e(cell.text))\(cell.detail.map { "<span class=\"detail\">\(e($0))</span>" } ?? "")</td>"
      }.joined() + "</tr>")
    }
    out.append("</tbody></table></div>")
    return out.joined(separator: "\n")
  }

  /// Screen: a readable column on a laptop. Print: A4 with margins, charts and tables kept whole.
  static let stylesheet = """
    :root { color-scheme: light; }
    body { margin: 0; background: #F4F5F7; color: #222; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 15px; line-height: 1.5; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 32px 48px; background: #FFF; }
    header h1 { font-size: 26px; margin: 8px 0 0; }
    .subtitle { color: #555; margin: 4px 0 16px; }
    h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #0072B2; }
    nav ol { columns: 2; margin: 4px 0 0; }
    nav a { color: #0072B2; }
    .summary ul { padding-left: 20px; }
    .summary li { margin: 6px 0; font-size: 16px; }
    h3 { font-size: 16px; margin: 16px 0 4px; }
    .warnings { border-left: 4px solid #D55E00; padding: 0 12px; background: #FFF6EF; }
    .warnings h2 { border: none; }
    .note { border-left: 4px solid #E69F00; background: #FFF9EC; padding: 8px 12px; }
    figure { margin: 16px 0; }
    svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
    .table { overflow-x: auto; margin: 12px 0; }
    table { border-collapse: collapse; font-size: 13px; }
    caption { text-align: left; font-weight: 600; padding: 4px 0; }
    th, td { padding: 4px 10px; border-bottom: 1px solid #E3E3E3; text-align: left; vertical-align: top; }
    thead th { border-bottom: 2px solid #999; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    th.num { white-space: normal; }
    td:first-child { white-space: nowrap; }
    .detail { display: block; color: #666; font-size: 11px; }
    table.assumptions th { font-weight: 600; white-space: nowrap; }
    .appendix-title { border-bottom-color: #999; }
    footer { margin-top: 40px; color: #777; font-size: 13px; }
    @page { size: A4; margin: 15mm; }
    @media print {
      body { background: #FFF; font-size: 11pt; }
      main { max-width: none; padding: 0; }
      nav { display: none; }
      h2, h2 + p { break-after: avoid; }
      figure, tr, .note { break-inside: avoid; }
      .appendix { break-before: page; }
      .table { overflow: visible; }
      table { font-size: 8.5pt; }
      th, td { padding: 3px 6px; }
      .detail { font-size: 7.5pt; }
    }

    """
}

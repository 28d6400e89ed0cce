/// A report as people read it, before it is rendered: summary sentences, assumptions,
/// sections of charts and tables, and an appendix. HTML, Markdown and CSV render the same document.
public struct ReportDocument: Sendable {
  /// An assumption the numbers rest on, as label and value (`Discount`, `10% a year`).
  public struct Assumption: Sendable, Equatable {
    /// What is assumed.
    public var label: String
    /// Its value, as shown.
    public var value: String
    /// The assumption `label`: `value`.
    public init(_ label: String, _ value: String) {
      self.label = label
      self.value = value
    }
  }

  /// Sentences of the summary under an optional heading (a combined report has one per part).
  public struct SummaryGroup: Sendable, Equatable {
    /// The group's heading (nil: none).
    public var heading: String?
    /// The sentences.
    public var sentences: [String]
  }

  /// The report's title.
  public var title: String
  /// One line under the title: what was analysed.
  public var subtitle: String
  /// The executive summary: plain sentences with the key numbers and their ranges.
  public var summaryGroups: [SummaryGroup]
  /// The assumptions, shown under the summary.
  public var assumptions: [Assumption]
  /// The body: charts, tables and paragraphs.
  public var sections: [ReportSection]
  /// Data quality and method.
  public var appendix: [ReportSection]
  /// Things the reader must know before trusting the numbers.
  public var warnings: [String]

  /// A document; `summary` becomes one group without a heading.
  public init(
    title: String, subtitle: String, summary: [String] = [], assumptions: [Assumption] = [], sections: [ReportSection] = [],
    appendix: [ReportSection] = [], warnings: [String] = []
  ) {
    self.title = title
    self.subtitle = subtitle
    self.summaryGroups = summary.isEmpty ? [] : [SummaryGroup(heading: nil, sentences: summary)]
    self.assumptions = assumptions
    self.sections = sections
    self.appendix = appendix
    self.warnings = warnings
  }

  /// Every summary sentence, in order.
  public var summary: [String] { summaryGroups.flatMap(\.sentences) }

  /// Several reports as one, in order: their summaries (headed by each part's title), sections
  /// and appendices one after another; assumptions and warnings repeated by several parts appear once.
  public static func combining(_ parts: [ReportDocument], title: String, subtitle: String) -> ReportDocument {
    var combined = ReportDocument(title: title, subtitle: subtitle)
    for part in parts {
      combined.summaryGroups.append(SummaryGroup(heading: part.title, sentences: part.summary))
      for a in part.assumptions where !combined.assumptions.contains(a) { combined.assumptions.append(a) }
      combined.sections += part.sections
      for s in part.appendix where !combined.appendix.contains(where: { $0.title == s.title }) { combined.appendix.append(s) }
      for w in part.warnings where !combined.warnings.contains(w) { combined.warnings.append(w) }
    }
    return combined
  }

  /// Every table, in reading order (sections, then appendix).
  public var tables: [ReportTable] {
    (sections + appendix).flatMap { $0.blocks.compactMap { if case let .table(t) = $0 { t } else { nil } } }
  }

  /// Every chart, in reading order.
  public var charts: [any Chart] {
    (sections + appendix).flatMap { $0.blocks.compactMap { if case let .chart(c) = $0 { c } else { nil } } }
  }
}

/// A titled part of a report: paragraphs, charts, tables and notes in order.
public struct ReportSection: Sendable {
  /// The section's heading.
  public var title: String
  /// Its content, in reading order.
  public var blocks: [ReportBlock]
  /// A section titled `title` with `blocks`.
  public init(title: String, blocks: [ReportBlock]) {
    self.title = title
    self.blocks = blocks
  }
}

/// One piece of a section.
public enum ReportBlock: Sendable {
  case paragraph(String)
  /// Drawn in HTML; when its data cannot make a chart, the reason is written instead.
  case chart(any Chart)
  case table(ReportTable)
  /// A caution, set apart.
  case note(String)
}

/// A table for people (formatted cells) that is also a CSV for spreadsheets (raw numbers).
public struct ReportTable: Sendable {
  /// One cell: what people see and what the CSV holds.
  public struct Cell: Sendable, Equatable {
    /// As shown: `12,400`.
    public var text: String
    /// Shown smaller beside the text, e.g. its range `11,900-12,800`.
    public var detail: String?
    /// As written to CSV: plain numbers, no separators or units.
    public var raw: String
    /// A cell showing `text` (with `detail` beside it); `raw` defaults to the text.
    public init(_ text: String, detail: String? = nil, raw: String? = nil) {
      self.text = text
      self.detail = detail
      self.raw = raw ?? text
    }

    /// The text with its detail in parentheses, for plain-text renderings.
    public var fullText: String { detail.map { "\(text) (\($0))" } ?? text }

    /// A number shown with `display` and written in full to CSV.
    public static func number(_ value: Double?, _ display: (Double) -> String) -> Cell {
      guard let value, value.isFinite else { return Cell("-", raw: "") }
      return Cell(display(value), raw: String(value))
    }
  }

  /// File-name stem of its CSV: lowercase, digits and dashes (`forecast-kpis`).
  public var name: String
  /// The table's heading.
  public var title: String
  /// Shown above the rendered table.
  public var columns: [String]
  /// Header of the CSV, where a displayed column holds several numbers (value and range).
  public var csvColumns: [String]
  /// The cells, one array per row, one cell per column.
  public var rows: [[Cell]]
  /// Per row, the CSV cells when they differ from `rows` (one cell per `csvColumns`).
  public var csvRows: [[String]]?

  /// A table; the CSV uses `csvColumns` and `csvRows` where given, else the displayed columns and raw cells.
  public init(name: String, title: String, columns: [String], rows: [[Cell]], csvColumns: [String]? = nil, csvRows: [[String]]? = nil) {
    precondition(rows.allSatisfy { $0.count == columns.count }, "table \(name): a row's cell count differs from its columns")
    self.name = name
    self.title = title
    self.columns = columns
    self.rows = rows
    self.csvColumns = csvColumns ?? columns
    self.csvRows = csvRows
  }
}

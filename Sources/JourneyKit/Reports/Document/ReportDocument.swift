/// A report as people read it, before it is rendered: summary sentences, assumptions,
/// sections of charts and tables, and an appendix. HTML, Markdown and CSV render the same document.
public struct ReportDocument: Sendable {
  public struct Assumption: Sendable, Equatable {
    public var label: String
    public var value: String
    public init(_ label: String, _ value: String) {
      self.label = label
      self.value = value
    }
  }

  /// Sentences of the summary under an optional heading (a combined report has one per part).
  public struct SummaryGroup: Sendable, Equatable {
    public var heading: String?
    public var sentences: [String]
  }

  public var title: String
  /// One line under the title: what was analysed.
  public var subtitle: String
  /// The executive summary: plain sentences with the key numbers and their ranges.
  public var summaryGroups: [SummaryGroup]
  public var assumptions: [Assumption]
  public var sections: [ReportSection]
  /// Data quality and method.
  public var appendix: [ReportSection]
  /// Things the reader must know before trusting the numbers.
  public var warnings: [String]

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

public struct ReportSection: Sendable {
  public var title: String
  public var blocks: [ReportBlock]
  public init(title: String, blocks: [ReportBlock]) {
    self.title = title
    self.blocks = blocks
  }
}

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
  public struct Cell: Sendable, Equatable {
    /// As shown: `12,400`.
    public var text: String
    /// Shown smaller beside the text, e.g. its range `11,900-12,800`.
    public var detail: String?
    /// As written to CSV: plain numbers, no separators or units.
    public var raw: String
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
  public var title: String
  /// Shown above the rendered table.
  public var columns: [String]
  /// Header of the CSV, where a displayed column holds several numbers (value and range).
  public var csvColumns: [String]
  public var rows: [[Cell]]
  /// Per row, the CSV cells when they differ from `rows` (one cell per `csvColumns`).
  public var csvRows: [[String]]?

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

import Foundation

/// The appendix every model-based report carries: how the data was read (rows read, merged,
/// rejected) and how the model was fitted, with its diagnostics in words.
struct ModelAppendix {
  let model: MarkovModel
  /// How the transactions were read, when the run read them; a model file alone knows less.
  let ingest: IngestSummary?

  var sections: [ReportSection] { [dataQuality(), method()] }

  func dataQuality() -> ReportSection {
    var rows: [[ReportTable.Cell]] = []
    func add(_ label: String, _ value: Double, _ note: String = "") {
      rows.append([ReportTable.Cell(label), .number(value) { Format.number($0) }, ReportTable.Cell(note)])
    }
    var blocks: [ReportBlock] = []
    if let i = ingest {
      add("rows read", Double(i.rowsRead), "data rows in \(i.source), blank lines not counted")
      add("rows merged", Double(i.rowsMerged), i.sameDayPurchasesMerged ? "same-day purchases of a customer folded into one occasion" : "same-day purchases kept apart")
      add("rows rejected", Double(i.rowsRejected), i.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
      add("rows kept", Double(i.rowsKept))
      add("customers", Double(i.customers))
    } else {
      add("rows", Double(model.input.rows), "rows the model was fitted on (the model file does not keep merges and rejects; journey inspect shows them)")
      add("customers", Double(model.input.customers))
    }
    add("periods in the fit window", Double(model.window.periodCount), model.window.droppedIncompletePeriod ? "an incomplete last \(model.window.period.rawValue) was left out" : "")
    add("transitions counted", model.counts.rowTotals.reduce(0, +), "customer moves from one \(model.window.period.rawValue) to the next")
    if let first = model.input.firstDay, let last = model.input.lastDay {
      blocks.append(.paragraph("The data runs from \(first) to \(last); the model was fitted on \(model.window.description)."))
    }
    if let i = ingest, i.rowsRejected > 0 {
      blocks.append(.note("\(Format.number(Double(i.rowsRejected))) rows were rejected as unreadable and are not in any number of this report."))
    }
    blocks.append(.table(ReportTable(name: "data-quality", title: "Rows and customers", columns: ["item", "count", "note"], rows: rows)))
    return ReportSection(title: "Data quality", blocks: blocks)
  }

  func method() -> ReportSection {
    let d = model.diagnostics
    let kind = model.window.period.rawValue
    var blocks: [ReportBlock] = [
      .paragraph("Each customer gets a state in every \(kind) (\(model.stateSpace.kind.label) states). The transition matrix is the posterior mean of a Dirichlet posterior per row with \(AxisFormat.trimmed(model.estimator.prior, decimals: 2)) pseudo-counts added to every move seen at least once\(model.estimator.halfLifePeriods.map { ", recent \(kind)s weighted more (half-life \(AxisFormat.trimmed($0, decimals: 1)))" } ?? "")\(model.estimator.seasonal ? ", with one matrix per season" : ""). Forecasts move the customers of each state with it, add new customers per the acquisition assumption, and simulate paths to get the ranges.")
    ]
    let changed = d.homogeneity.filter { $0.adjustedPValue < 0.01 }
    if d.homogeneity.isEmpty {
      blocks.append(.paragraph("Stability over time was not tested (too little data)."))
    } else if changed.isEmpty {
      blocks.append(.paragraph("Stability: no state's moves differ between the \(d.subWindows) parts of the fit window (G-test, Holm-adjusted p at least 0.01)."))
    } else {
      blocks.append(.note("Stability: the moves of \(changed.count) of \(d.homogeneity.count) states changed across the \(d.subWindows) parts of the fit window (G-test, Holm-adjusted p below 0.01): \(changed.sorted { $0.g > $1.g }.prefix(6).map(\.state).joined(separator: ", ")). The forecast assumes they stay as the window's average."))
    }
    if let o = d.orderTest {
      blocks.append(.paragraph("Memory: the \(o.preferredByBic)-order chain fits better by BIC (likelihood ratio \(Format.number(o.likelihoodRatio, decimals: 1)))."
        + (o.preferredByBic == "second" ? " The states do not carry all the history that matters, which is usual for lifecycle states built from recency." : "")))
    }
    let fits = d.observedVersusExpected
    if let worst = fits.max(by: { $0.relativeError < $1.relativeError }) {
      let median = fits.map(\.relativeError).sorted()[fits.count / 2]
      blocks.append(.paragraph("One \(kind) ahead, the model's predicted state counts are off by \(Format.percent(median)) in a typical \(kind) (median over the window), worst \(Format.percent(worst.relativeError)) in \(worst.period)."))
      blocks.append(.table(ReportTable(
        name: "fit-one-step-ahead", title: "One-\(kind)-ahead error of the state counts",
        columns: [kind, "relative error"], rows: fits.map { [ReportTable.Cell($0.period), .number($0.relativeError) { Format.percent($0) }] })))
    }
    for note in d.notes + model.analysis.notes { blocks.append(.paragraph(note.capitalizedFirst + (note.hasSuffix(".") ? "" : "."))) }
    if let activity = model.activity {
      // The lines `journey show` prints, as sentences: what the customer-level model has learnt.
      let lines = activity.plainWords().map { $0.trimmingCharacters(in: .whitespaces) }
      blocks.append(.paragraph(lines[0]))
      for line in lines.dropFirst() { blocks.append(.paragraph(line.capitalizedFirst + ".")) }
    }
    return ReportSection(title: "Method and fit diagnostics", blocks: blocks)
  }
}

extension ForecastReport {
  /// The forecast as a report document: summary, assumptions, fan charts, segment mix,
  /// migration flows, the transition matrix, tables, and the data-quality and method appendix.
  /// - Parameter ingest: how the transactions were read, when this run read them (the model file
  ///   alone knows only rows and customers).
  public func document(ingest: IngestSummary? = nil) -> ReportDocument {
    let kind = model.window.period
    let periodCount = forecast.periods.count
    var document = ReportDocument(
      title: "Customer forecast",
      subtitle: "\(ReportWording.periods(periodCount, kind).capitalizedFirst) after \(PeriodAxis.longName(kind.start(of: model.window.lastPeriod), kind)), from \(model.input.source)",
      summary: summarySentences(), assumptions: assumptions(), sections: [], appendix: ModelAppendix(model: model, ingest: ingest).sections,
      warnings: model.warnings)
    document.sections = [customersSection(), mixSection(), matrixSection(), tableSection()]
    return document
  }

  var axis: PeriodAxis {
    let last = model.window.lastPeriod
    return PeriodAxis(periods: (last + 1)...(last + forecast.periods.count), kind: model.window.period)
  }

  var activeNow: Double {
    zip(model.currentBase, model.stateSpace.states).reduce(0) { $0 + ($1.1.stage.isPurchasing ? $1.0 : 0) }
  }

  /// Sentences with the key numbers and their P5-P95 ranges.
  func summarySentences() -> [String] {
    let f = forecast
    let kind = model.window.period
    guard let last = f.periods.indices.last else { return ["The forecast has no periods."] }
    let by = axis.longLabel(last)
    // The assumption's words open the first sentence; a closed cohort's reason ("none: a closed
    // cohort ... give --acquisition N") stays in the assumptions table.
    let lead =
      f.acquisition.hasPrefix(AcquisitionAssumption.historical.description) ? "At current trends"
      : f.acquisition.hasPrefix(AcquisitionAssumption.none.description) ? "With no new customers,"
      // An automatic choice's reasons stay in the assumptions table too.
      : "With acquisition at \(f.acquisition.components(separatedBy: ", chosen").first!),"
    var out: [String] = []
    if model.livingCustomers <= 0 {
      return ["The model has no customers in its last \(kind.rawValue), so there is nothing to forecast."]
    }
    let active = f.expected[.active]![last], activeBand = f.bands[.active]?[last]
    if model.stateSpace.purchasingMeansBoughtInPeriod || f.ownHistoryCustomers == nil {
      if activeNow > 0 {
        let meaning = model.stateSpace.purchasingMeansBoughtInPeriod ? "customers buying in a \(kind.rawValue)" : "customers in the active states"
        out.append("\(lead) the active base (\(meaning)) \(ReportWording.movement(from: activeNow, to: active)) by \(by)"
          + ReportWording.changeInParentheses(from: activeNow, to: active, low: activeBand?.p5, high: activeBand?.p95) + ".")
      }
    } else {
      // The forecast's active customers are its buyers (the activity model's), but the model's
      // states do not tell how many bought in its last period (an RFM or custom space): no "now".
      out.append("\(lead) the customers buying in \(by) number \(ReportWording.amount(active))"
        + ReportWording.amountRange(low: activeBand?.p5, high: activeBand?.p95) + ".")
    }
    let living = f.expected[.customers]![last], livingBand = f.bands[.customers]?[last]
    out.append("The customer base (everyone not churned, leads included) \(ReportWording.movement(from: model.livingCustomers, to: living)) by \(by)"
      + ReportWording.changeInParentheses(from: model.livingCustomers, to: living, low: livingBand?.p5, high: livingBand?.p95) + ".")
    let revenue = f.expected[.cumulativeRevenue]![last]
    let revenueBand = f.bands[.cumulativeRevenue]?[last]
    out.append("Revenue over the \(ReportWording.periods(last + 1, kind)) totals \(ReportWording.amount(revenue))"
      + ReportWording.amountRange(low: revenueBand?.p5, high: revenueBand?.p95)
      + (last > 0 ? "; per \(kind.rawValue) it \(ReportWording.movement(from: f.expected[.revenue]![0], to: f.expected[.revenue]![last])) between \(axis.longLabel(0)) and \(by)." : "."))
    let churn = f.expected[.churnRate]!.filter(\.isFinite)
    if !churn.isEmpty {
      let mean = churn.reduce(0, +) / Double(churn.count)
      out.append("On average \(Format.percent(mean)) of the customer base churns each \(kind.rawValue).")
    }
    let equity = f.expected[.equity]![last]
    out.append("Customer equity (the discounted value of the base) is \(ReportWording.amount(model.analysis.customerEquity)) now and \(ReportWording.amount(equity)) at the horizon"
      + ReportWording.amountRange(low: f.bands[.equity]?[last].p5, high: f.bands[.equity]?[last].p95) + ".")
    return out
  }

  func assumptions() -> [ReportDocument.Assumption] {
    let m = model, f = forecast, kind = m.window.period
    let days = m.input.firstDay.flatMap { a in m.input.lastDay.map { "\(a) to \($0)" } } ?? "unknown"
    return [
      .init("Data", "\(m.input.source): \(Format.number(Double(m.input.rows))) rows, \(Format.number(Double(m.input.customers))) customers, \(days)"),
      .init("Fit window", m.window.description),
      .init("States", "\(m.stateSpace.kind.label)\(m.stateSpace.splitBy.map { " split by \($0)" } ?? ""): \(m.stateSpace.count) states"),
      .init("Horizon", "\(ReportWording.periods(f.periods.count, kind)): \(f.periods.first ?? "") to \(f.periods.last ?? "")"),
      .init("Acquisition", "\(f.acquisition); \(Format.number(f.inflowPerPeriod.first ?? 0)) new people in the first \(kind.rawValue)"
        + (f.acquisitionSpread > 0 ? "; the ranges let each \(kind.rawValue)'s entrants stray by \(Format.percent(f.acquisitionSpread, decimals: 0)) beyond chance, as the history's did" : "")),
      .init("Discount", "\(Format.percent(f.discountPerPeriod, decimals: 2)) per \(kind.rawValue)"),
      .init(
        "Ranges",
        f.replicates > 0
          ? "P5 to P95 of \(Format.number(Double(f.replicates))) simulated paths (seed \(f.seed)): parameter uncertainty and chance"
            + (f.ownHistoryError || !f.chainErrorKPIs.isEmpty ? ", and the models' own errors measured out of sample (below)" : "")
          : "none: expected values only"),
      .init("Customers' own histories", ForecastReport.ownHistoryWords(f, model: model)),
    ]
  }

  func fan(_ kpi: KPI, title: String, yTitle: String) -> BandedLineChart {
    let bands = forecast.bands[kpi].map { b in [BandedLineChart.Band(name: "P5-P95 range", low: b.map(\.p5), high: b.map(\.p95), colour: Palette.series(0))] } ?? []
    let median = forecast.bands[kpi].map { b in BandedLineChart.Line(name: "median", values: b.map(\.p50), colour: Palette.series(0)) }
    let expected = BandedLineChart.Line(name: "expected", values: forecast.expected[kpi]!, colour: Palette.series(1), dashed: true)
    return BandedLineChart(title: title, axis: axis, yTitle: yTitle, bands: bands, lines: (median.map { [$0] } ?? []) + [expected])
  }

  func customersSection() -> ReportSection {
    let kind = model.window.period.rawValue
    return ReportSection(title: "Active customers and revenue", blocks: [
      .paragraph("The line is the median of the simulated paths, the shaded band the range from the 5th to the 95th percentile; the dashed line is the expected path."),
      .chart(fan(.active, title: "Active customers per \(kind)", yTitle: "Customers buying in the \(kind)")),
      .chart(fan(.revenue, title: "Revenue per \(kind)", yTitle: "Revenue per \(kind)")),
    ])
  }

  func mixSection() -> ReportSection {
    let groups = SegmentGroups(space: model.stateSpace, weights: model.currentBase)
    let living = groups.groups.indices.filter { !groups.groups[$0].isChurned }
    let perPeriod = forecast.expectedStates.map { groups.totals($0) }
    let mix = StackedAreaChart(
      title: "Segment mix of the living base", axis: axis, yTitle: "Share of customers not churned",
      series: living.map { k in StackedAreaChart.Series(name: groups.groups[k].name, values: perPeriod.map { $0[k] }) })
    return ReportSection(title: "Segments and where customers go", blocks: [
      .paragraph("How the customers who have not churned split into segments in each forecast \(model.window.period.rawValue), and where today's customers are at the horizon."),
      .chart(mix),
      .chart(MigrationFlows(report: self, groups: groups).chart()),
    ])
  }

  func matrixSection() -> ReportSection {
    let states = model.stateSpace.states
    let kind = model.window.period.rawValue
    if states.count <= 16 {
      let names = states.map(\.name)
      return ReportSection(title: "Transition matrix", blocks: [
        .paragraph("Each row says where the customers of a state are one \(kind) later, in percent of the row."),
        .chart(HeatmapChart(title: "Moves per \(kind) (% of the row)", rowLabels: names, columnLabels: names, values: model.transitionMatrix, rowTitle: "from", columnTitle: "to")),
      ])
    }
    // Many states: the matrix between segments, each state weighted by the moves seen out of it.
    let groups = SegmentGroups(space: model.stateSpace, weights: model.currentBase)
    let weights = model.counts.rowTotals
    let p = model.transitionMatrix
    let values = groups.groups.map { from -> [Double] in
      let total = from.states.reduce(0) { $0 + weights[$1] }
      return groups.groups.map { to in
        total > 0 ? from.states.reduce(0) { sum, i in sum + weights[i] * to.states.reduce(0) { $0 + p[i][$1] } } / total : 0
      }
    }
    let names = groups.groups.map(\.name)
    return ReportSection(title: "Transition matrix", blocks: [
      .paragraph("The model has \(states.count) states, too many for a readable matrix; this one shows the moves between segments, each state weighted by the moves seen out of it. The model file holds the full matrix."),
      .chart(HeatmapChart(title: "Moves per \(kind) between segments (% of the row)", rowLabels: names, columnLabels: names, values: values, rowTitle: "from", columnTitle: "to")),
    ])
  }

  func tableSection() -> ReportSection {
    let f = forecast
    let kpis: [KPI] = [.customers, .active, .newCustomers, .churned, .churnRate, .purchases, .revenue, .cumulativeRevenue]
    let rows = f.periods.indices.map { t in
      [ReportTable.Cell(axis.label(t), raw: f.periods[t])] + kpis.map { kpi in
        ReportTable.Cell(
          Self.format(kpi, f.expected[kpi]![t]), detail: f.bands[kpi].map { "\(Self.format(kpi, $0[t].p5))-\(Self.format(kpi, $0[t].p95))" },
          raw: String(f.expected[kpi]![t]))
      }
    }
    var csvColumns = ["period"]
    for kpi in KPI.allCases { csvColumns += [kpi.rawValue, kpi.rawValue + "_p5", kpi.rawValue + "_p50", kpi.rawValue + "_p95"] }
    let csvRows = f.periods.indices.map { t in
      [f.periods[t]] + KPI.allCases.flatMap { kpi -> [String] in
        let b = f.bands[kpi]?[t]
        return [String(f.expected[kpi]![t])] + [b?.p5, b?.p50, b?.p95].map { $0.map { String($0) } ?? "" }
      }
    }
    let forecastTable = ReportTable(
      name: "forecast-kpis", title: "Expected values per \(model.window.period.rawValue), P5-P95 range below",
      columns: [model.window.period.rawValue] + kpis.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }, rows: rows,
      csvColumns: csvColumns, csvRows: csvRows)
    let summary = ModelSummary(model: model)
    let stateRows = summary.states.filter { $0.customersNow > 0 || summary.states.count <= 40 }.map { s in
      [
        ReportTable.Cell(s.state), .number(s.customersNow) { Format.number($0) }, .number(s.churnNext) { Format.percent($0) },
        .number(s.expectedPeriodsToChurn) { Format.number($0, decimals: 1) }, .number(s.revenuePerPeriod) { Format.number($0, decimals: 2) },
        .number(s.lifetimeValue) { Format.number($0, decimals: 2) },
      ]
    }
    let kind = model.window.period.rawValue
    let stateTable = ReportTable(
      name: "states", title: "States now: churn next \(kind), time to churn, revenue and lifetime value per customer",
      columns: ["state", "customers now", "churn next \(kind)", "\(kind)s to churn", "revenue per \(kind)", "lifetime value"], rows: stateRows)
    return ReportSection(title: "Forecast tables", blocks: [.table(forecastTable), .table(stateTable)])
  }
}

extension String {
  var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

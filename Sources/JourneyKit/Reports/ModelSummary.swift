/// What `journey show` reports about a model, per state and overall; also its `--json` shape.
public struct ModelSummary: Codable, Sendable {
  /// One state of the model.
  public struct StateRow: Codable, Sendable {
    /// The state's name.
    public var state: String
    /// Its lifecycle stage.
    public var stage: Stage
    /// Its rule, in words, as `journey show` prints it.
    public var rule: String
    /// Customers in the state in the last period of the window.
    public var customersNow: Double
    /// Chance of not being in a churned state next period.
    public var retention: Double
    /// Chance of moving to a churned state next period.
    public var churnNext: Double
    /// Expected periods until churn (`ChainAnalysis.expectedPeriodsToChurn`).
    public var expectedPeriodsToChurn: Double?
    /// Chance of reaching a loyal state before churning, when the space has loyal states.
    public var probabilityOfReachingLoyal: Double?
    /// Expected purchase occasions before churning.
    public var expectedPurchasesBeforeChurn: Double?
    /// Mean revenue per customer-period in the state.
    public var revenuePerPeriod: Double
    /// Customer lifetime value of a customer in the state (discounted expected revenue).
    public var lifetimeValue: Double
    /// Transitions counted out of the state.
    public var transitionsObserved: Double
  }

  /// The input the model was fitted on.
  public var source: String
  /// The state space, with its split column if any (`rfm:3 split by region`).
  public var stateSpace: String
  /// The period length.
  public var period: PeriodKind
  /// The fit window, as periods.
  public var window: String
  /// Rows in the input.
  public var rows: Int
  /// Customers in the input.
  public var customers: Int
  /// One row per state, in matrix order.
  public var states: [StateRow]
  /// The transition matrix, rows summing to 1.
  public var matrix: [[Double]]
  /// Customers now times their lifetime values, summed.
  public var customerEquity: Double
  /// The discount rate per period of the lifetime values.
  public var discountPerPeriod: Double
  /// Goodness-of-fit diagnostics.
  public var diagnostics: FitDiagnostics
  /// Why a quantity is missing, and other notes of the analysis.
  public var notes: [String]
  /// What the reader should know about the fit.
  public var warnings: [String]
  /// The activity model in plain words, when the model has one.
  public var activity: [String]?
  /// The models' own errors that forecasts from this model file add to their ranges, in words;
  /// nil when the file holds none.
  public var forecastErrors: String?

  /// The summary of model `m`.
  public init(model m: MarkovModel) {
    let p = m.matrix
    let churned = m.stateSpace.indices(in: .churned)
    let totals = m.counts.rowTotals
    states = m.stateSpace.states.enumerated().map { i, s in
      let churn = churned.reduce(0.0) { $0 + p[i, $1] }
      return StateRow(
        state: s.name, stage: s.stage, rule: s.rule, customersNow: m.currentBase[i],
        retention: s.stage == .churned ? 0 : 1 - churn, churnNext: s.stage == .churned ? 1 : churn,
        expectedPeriodsToChurn: m.analysis.expectedPeriodsToChurn?[i] ?? nil,
        probabilityOfReachingLoyal: m.analysis.probabilityOfReachingLoyal?[i] ?? nil,
        expectedPurchasesBeforeChurn: m.analysis.expectedPurchasesBeforeChurn?[i] ?? nil,
        revenuePerPeriod: m.rewards[i].revenueMean, lifetimeValue: m.analysis.lifetimeValue[i],
        transitionsObserved: totals[i])
    }
    source = m.input.source
    stateSpace = m.stateSpace.kind.label + (m.stateSpace.splitBy.map { " split by \($0)" } ?? "")
    period = m.window.period
    window = m.window.description
    rows = m.input.rows
    customers = m.input.customers
    matrix = m.transitionMatrix
    customerEquity = m.analysis.customerEquity
    discountPerPeriod = m.analysis.discountPerPeriod
    diagnostics = m.diagnostics
    notes = m.analysis.notes
    warnings = m.warnings
    activity = m.activity?.plainWords()
    forecastErrors = Self.forecastErrors(m)
  }

  /// What `forecastErrors` says.
  static func forecastErrors(_ m: MarkovModel) -> String? {
    let unit = m.window.period.rawValue
    func measured(_ on: String?) -> String {
      on.map { "measured on \($0) before the model's end" } ?? "a guess: too short a history to measure"
    }
    var parts: [String] = []
    if let e = m.activity?.base?.error {
      parts.append(
        "the activity model's (customers with a purchase) \(Format.percent(e.purchases)) on purchases, \(Format.percent(e.revenue)) on revenue, "
          + "\(Format.percent(e.buying)) on active a \(unit) (\(measured(e.measuredOnWords(period: m.window.period)))"
          + (e.withinCountNoiseWords.map { "; " + $0 } ?? "") + ")")
    }
    if let e = m.chainError {
      // With the customers' churn sums the chain forecasts none of what they buy or churn: its
      // error reaches the ranges only without their histories.
      let churnFromHistories = m.activity?.base?.churnAfter != nil
      parts.append(
        "the chain's \(Format.percent(e.transactions)) on purchases, \(Format.percent(e.revenue)) on revenue, \(Format.percent(e.active)) on active, "
          + "\(Format.percent(e.churned)) on churned a \(unit) (\(measured(e.growth.measuredOnWords(period: m.window.period)))\(e.churnedIsAGuess ? "; churned a guess: nobody churned then" : ""))"
          + (churnFromHistories ? "; it applies with --no-own-history only, since otherwise the customers' own histories forecast their purchases, revenue, active, churn events and living count" : ""))
    }
    guard !parts.isEmpty else { return nil }
    return "Forecast ranges add each model's own error out of sample, as `fit` measured it: " + parts.joined(separator: "; ")
  }

  /// The terminal rendering.
  public func text(maxMatrixStates: Int = 16) -> String {
    var out: [String] = []
    out.append("Model of \(source): \(Format.number(Double(rows))) rows, \(Format.number(Double(customers))) customers")
    out.append("States: \(stateSpace) (\(states.count) states); period: \(period.rawValue); window: \(window)")
    out.append("")
    if states.count <= maxMatrixStates {
      out.append("Transition matrix (% of customers moving from the row state to the column state in one \(period.rawValue)):")
      var t = TextTable(header: ["from \\ to"] + states.map(\.state))
      for (i, row) in matrix.enumerated() {
        t.append([states[i].state] + row.map { $0 == 0 ? "." : String(format: "%.1f", $0 * 100) })
      }
      out.append(t.render())
    } else {
      out.append("Largest moves out of each state (\(states.count) states: too many for a full matrix; --json has it):")
      var t = TextTable(header: ["from", "top destinations"], leftAligned: [0, 1])
      for (i, row) in matrix.enumerated() where states[i].customersNow > 0 || states[i].transitionsObserved > 0 {
        let top = row.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }.prefix(3)
        t.append([states[i].state, top.map { "\(states[$0.offset].state) \(Format.percent($0.element))" }.joined(separator: ", ")])
      }
      out.append(t.render())
    }
    out.append("")
    out.append("Per state (retention and churn over the next \(period.rawValue); lifetime value discounted at \(Format.percent(discountPerPeriod, decimals: 2)) per \(period.rawValue)):")
    var t = TextTable(header: ["state", "customers now", "retention", "churn next", "\(period.rawValue)s to churn", "reach loyal", "purchases left", "revenue/\(period.rawValue)", "CLV"])
    for s in states where states.count <= 40 || s.customersNow > 0 {
      t.append([
        s.state, Format.number(s.customersNow), Format.percent(s.retention), Format.percent(s.churnNext),
        s.expectedPeriodsToChurn.map { Format.number($0, decimals: 1) } ?? "-",
        s.probabilityOfReachingLoyal.map { Format.percent($0) } ?? "-",
        s.expectedPurchasesBeforeChurn.map { Format.number($0, decimals: 1) } ?? "-",
        Format.number(s.revenuePerPeriod, decimals: 2), Format.number(s.lifetimeValue, decimals: 2),
      ])
    }
    out.append(t.render())
    out.append("")
    out.append("Customer equity of the current base: \(Format.number(customerEquity))")
    out.append("")
    if let activity {
      out.append(contentsOf: activity)
      out.append("")
    }
    if let forecastErrors {
      out.append(forecastErrors)
      out.append("")
    }
    out.append("Diagnostics:")
    let changed = diagnostics.homogeneity.filter { $0.adjustedPValue < 0.01 }
    if diagnostics.homogeneity.isEmpty {
      out.append("  time homogeneity: not tested")
    } else if changed.isEmpty {
      out.append("  time homogeneity: no state's moves differ between the \(diagnostics.subWindows) parts of the window (G-test, Holm-adjusted p >= 0.01)")
    } else {
      out.append("  time homogeneity: moves changed across the \(diagnostics.subWindows) parts of the window for \(changed.count) of \(diagnostics.homogeneity.count) states (G-test, Holm p < 0.01): "
        + changed.sorted { $0.g > $1.g }.prefix(6).map(\.state).joined(separator: ", ")
        + "; consider --half-life or a shorter --from")
    }
    if let o = diagnostics.orderTest {
      out.append("  order: \(o.preferredByBic)-order preferred by BIC (LR \(Format.number(o.likelihoodRatio, decimals: 1)) on \(o.parametersSecondOrder - o.parametersFirstOrder) df, p \(o.pValue < 1e-16 ? "< 1e-16" : "= " + String(format: "%.3g", o.pValue)))"
        + (o.preferredByBic == "second" ? "; the states do not carry all the history that matters (expected for lifecycle states built from recency)" : ""))
    }
    let errors = diagnostics.observedVersusExpected.map(\.relativeError)
    if let worst = diagnostics.observedVersusExpected.max(by: { $0.relativeError < $1.relativeError }) {
      let median = errors.sorted()[errors.count / 2]
      out.append("  one step ahead: state counts off by \(Format.percent(median)) (median over periods), worst \(Format.percent(worst.relativeError)) in \(worst.period)")
    }
    for note in diagnostics.notes + notes { out.append("  note: \(note)") }
    if !warnings.isEmpty {
      out.append("")
      out.append("Warnings:")
      for w in warnings { out.append("  - \(w)") }
    }
    return out.joined(separator: "\n")
  }
}

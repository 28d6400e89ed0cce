extension RolloutEvaluation {
  /// One period of the evaluation windows: what happened, and in the post window what the
  /// pre-launch model projected without the rollout. Reports draw it as the counterfactual band
  /// against the actual line.
  public struct PeriodPath: Codable, Sendable {
    /// The period, as a label.
    public var period: String
    /// The period's first day.
    public var start: CalendarDay
    /// Customers purchasing in the period.
    public var activeCustomers: Double
    /// Revenue in the period.
    public var revenue: Double
    /// The pre-launch model's projection with its 1 - alpha band, widened by the model's own
    /// error as the lifts are (post-launch periods only).
    public var counterfactualActive: Interval?
    /// The same for revenue.
    public var counterfactualRevenue: Interval?
  }

  /// Per period of both windows (the launch period, in neither, is left out): the actual
  /// active customers and revenue, and after the launch the pre-launch model's projection
  /// from the base at the end of the pre window with the acquisitions that happened.
  static func periodPath(
    _ table: TransactionTable, counterfactual f: Forecast, full: MarkovModel, preWindow: Range<Int>, postWindow: Range<Int>,
    modelError: [String: Double], options: EvaluationOptions
  ) -> [PeriodPath] {
    let space = full.stateSpace
    let period = space.period
    let periods = Array(preWindow) + Array(postWindow)
    let tally = WindowTally.tally(table, space: space, lastPeriod: postWindow.upperBound - 1, windows: periods.map { $0..<($0 + 1) })
    let from = preWindow.upperBound - 1
    let steps = postWindow.upperBound - 1 - from
    let z = Normal.quantile(1 - options.alpha / 2)
    func band(_ kpi: KPI, _ step: Int, error: Double?) -> Interval {
      let samples = f.samples[kpi]?[step].filter(\.isFinite) ?? []
      let e = f.expected[kpi]![step]
      guard !samples.isEmpty else { return Interval(value: e, low: e, high: e) }
      let low = Quantile.of(samples, options.alpha / 2), high = Quantile.of(samples, 1 - options.alpha / 2)
      return Counterfactual.widened(expected: e, low: low, high: high, relativeError: error, z: z)
    }
    return periods.enumerated().map { w, p in
      let totals = tally.totals(window: w)
      let step = p - from - 1
      let projected = postWindow.contains(p) && step >= 0 && step < steps
      return PeriodPath(
        period: period.label(of: p), start: period.start(of: p), activeCustomers: totals[WindowTally.Term.buying.rawValue],
        revenue: totals[WindowTally.Term.revenue.rawValue], counterfactualActive: projected ? band(.active, step, error: modelError["active_base"]) : nil,
        counterfactualRevenue: projected ? band(.revenue, step, error: modelError["revenue"]) : nil)
    }
  }
}

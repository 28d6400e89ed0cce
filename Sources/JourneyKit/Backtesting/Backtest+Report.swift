extension Backtest {
  /// The report's view of this backtest.
  public func reportInput() -> BacktestReportInput {
    func series(_ name: String, _ kpi: Measure) -> BacktestReportInput.Series {
      .init(name: name, periods: holdout.periods.map { r in
        .init(
          start: r.start, actual: r.actual[kpi], predicted: r.predicted[kpi],
          low: r.predictedLow.map { $0[kpi] }, high: r.predictedHigh.map { $0[kpi] })
      })
    }
    let customers = holdout.perCustomer
    var notes = notes
    for (i, a) in holdout.accuracy.enumerated() where a.kpi != .churned {
      let actual = holdout.totals.actual[a.kpi], predicted = holdout.totals.predicted[a.kpi]
      let runRate = baselines.runRate.accuracy[i].totalError
      notes.append("\(a.kpi.rawValue.capitalizedFirst)\(a.kpi == .active ? " customers per \(period.rawValue)" : "") over the holdout: predicted \(Format.number(predicted)) against \(Format.number(actual)) actual (\(a.totalError.map { ReportWording.signedPercent($0) } ?? "n/a")); the run-rate baseline (\(baselines.runRate.method)) was off by \(runRate.map { ReportWording.signedPercent($0) } ?? "n/a").")
    }
    if let customers {
      notes.append("Per customer (\(Format.number(Double(customers.customers))) customers with a purchase before the cut-off): predicted purchases correlate \(customers.correlation.map { String(format: "%.2f", $0) } ?? "-") with actual ones; mean absolute error \(Format.number(customers.mae, decimals: 2)), against \(baselines.perCustomer.map { Format.number($0.runRate.mae, decimals: 2) } ?? "-") for each customer's own run rate.")
      notes.append("Churn at the end of the holdout: Brier score \(String(format: "%.3f", customers.churn.brier)) against \(String(format: "%.3f", customers.churn.referenceBrier)) for the observed rate alone.")
    }
    return BacktestReportInput(
      period: period, cutoff: period.end(of: period.index(of: holdout.periods[0].start) - 1),
      series: [series("transactions", .transactions), series("revenue", .revenue), series("active customers", .active), series("churned customers", .churned)],
      calibration: customers?.churn.bins.map { .init(predicted: $0.predictedMean, observed: $0.observedRate, customers: Double($0.customers)) } ?? [],
      customerGroups: customers?.byCalibrationRepeats.map {
        .init(label: $0.repeats, customers: Double($0.customers), actualMean: $0.actualMean, predictedMean: $0.predictedMean)
      } ?? [],
      notes: notes)
  }
}

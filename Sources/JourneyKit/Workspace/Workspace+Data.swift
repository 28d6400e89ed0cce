extension Workspace {
  /// Fit options for analyses of the data behind the model: its state space and period, so the
  /// evaluation and the backtest speak of the same segments the workspace shows.
  func dataFitOptions() -> FitOptions {
    var fit = FitOptions()
    fit.stateSpace = model.stateSpace.kind
    fit.period = model.window.period
    fit.splitBy = model.stateSpace.splitBy
    fit.source = dataPath ?? model.input.source
    return fit
  }

  /// The rollout evaluation of the data, as `journey evaluate DATA --launch DAY --states <the
  /// model's> --period <the model's> --seed <the workspace's>` reports it (HTML).
  /// - Throws: what `RolloutEvaluation.run` throws (e.g. a launch outside the data).
  public func evaluationReport(_ data: IngestResult, launch: CalendarDay) throws -> String {
    var options = EvaluationOptions(launch: launch)
    options.fit = dataFitOptions()
    options.seed = self.options.seed
    let evaluation = try RolloutEvaluation.run(data.table, options: options)
    return EvaluationReport(evaluation: evaluation, ingest: data.summary).document().html()
  }

  /// The backtest of the data, as `journey backtest DATA --calibration-end DAY --states <the
  /// model's> --period <the model's> --per-customer --seed <the workspace's>` reports it (HTML).
  /// - Throws: what `Backtest.run` throws (e.g. no complete period after the calibration end).
  public func backtestReport(_ data: IngestResult, calibrationEnd: CalendarDay) throws -> String {
    var options = BacktestOptions(calibrationEnd: calibrationEnd)
    options.fit = dataFitOptions()
    options.perCustomer = true
    options.seed = self.options.seed
    let backtest = try Backtest.run(data.table, options: options)
    return BacktestReport(backtest.reportInput()).document().html()
  }
}

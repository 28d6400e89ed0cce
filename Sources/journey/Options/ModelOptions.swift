import ArgumentParser
import JourneyKit

/// How a model is fitted: the flags `fit` shares with commands that fit on the fly.
struct ModelOptions: ParsableArguments {
  @Option(help: "State space: auto (the default: the candidate that predicts best in rolling-origin validation on the data before the fit's end), lifecycle, value, rfm, rfm:K, rf, rf:K (recency x frequency) or a YAML rules file.")
  var states: String = "auto"

  @Option(name: .customLong("candidate"), help: ArgumentHelp("With --states auto: also try this state space (a YAML rules file or a name); repeatable.", valueName: "states"))
  var candidates: [String] = []

  @Option(parsing: .unconditional, help: "With --states auto: periods each validation fold predicts.")
  var validationPeriods: Int = 6

  @Option(help: "Period length: week, month or quarter.")
  var period: PeriodKind = .month

  @Option(help: "Treat data as ending on this day (YYYY-MM-DD); default: the last day with data.")
  var asOf: String?

  @Option(help: "First day of the fit window (YYYY-MM-DD); default: the first day with data.")
  var from: String?

  @Option(parsing: .unconditional, help: "Periods without a purchase after which a customer is churned (default: 6 months, 26 weeks, 2 quarters).")
  var churnAfter: Int?

  @Flag(help: "Let churned customers come back (estimated from the data) instead of churned being absorbing.")
  var reactivation = false

  @Option(parsing: .unconditional, help: "value states: the trailing-spend quantile where 'more valuable' starts.")
  var valueCut: Double = 0.8

  @Option(help: "Cross the states with a categorical column of the input (e.g. channel).")
  var splitBy: String?

  @Option(parsing: .unconditional, help: "Dirichlet pseudo-count added to each observed transition (0 = maximum likelihood).")
  var prior: Double = 0.5

  @Option(parsing: .unconditional, help: "Weigh recent periods more: counts halve in weight every N periods back.")
  var halfLife: Double?

  @Flag(help: "Fit one matrix per season (month of year, quarter, ISO week), shrunk toward the pooled one.")
  var seasonal = false

  @Option(help: "Discount rate per period for lifetime value, e.g. 0.8%; default 10% a year.")
  var discount: String?

  func validate() throws {
    guard prior >= 0 && prior.isFinite else { throw ValidationError("--prior: '\(prior)' must be 0 or more") }
    guard prior <= Limits.prior else {
      throw ValidationError("--prior: '\(prior)' is above the limit of \(Format.number(Limits.prior)) pseudo-counts; 0.5 (the default) or 1 lets the data speak")
    }
    if let h = halfLife, !(h > 0 && h.isFinite) { throw ValidationError("--half-life: '\(h)' must be a positive number of periods") }
    if let c = churnAfter, c < 1 { throw ValidationError("--churn-after: '\(c)' must be at least 1 period") }
    guard (0.01...0.99).contains(valueCut) else { throw ValidationError("--value-cut: '\(valueCut)' must be a quantile between 0.01 and 0.99") }
    if let d = discount {
      let value = try change(d, flag: "discount")
      guard value > 0 && value < 1 else { throw ValidationError("--discount: '\(d)' must be above 0% and below 100% per period") }
    }
    if let a = asOf { _ = try day(a, flag: "as-of") }
    if let f = from { _ = try day(f, flag: "from") }
  }

  /// Whether `--states auto` asks for the state space to be chosen.
  var autoStates: Bool { states.lowercased() == "auto" }

  /// The candidates `--states auto` compares: the built-in ones and any `--candidate`.
  func selectionOptions() throws -> StateSpaceSelection.Options {
    guard validationPeriods >= 1 else { throw ValidationError("--validation-periods: '\(validationPeriods)' must be at least 1 period") }
    var o = StateSpaceSelection.Options(horizon: validationPeriods)
    o.progress = TerminalProgress.reporter("choosing states (--states auto)")
    for c in candidates {
      let kind = try StateSpaceKind.parse(c)
      if !o.candidates.contains(kind) { o.candidates.append(kind) }
    }
    return o
  }

  /// - Parameter allowAuto: whether the command chooses the state space itself for `--states auto`
  ///   (the returned options then hold lifecycle until it has).
  func fitOptions(source: String, allowAuto: Bool = false) throws -> FitOptions {
    var o = FitOptions()
    o.period = period
    if autoStates {
      guard allowAuto else { throw ValidationError("--states auto: this command does not choose the state space; give the states by name") }
    } else {
      guard candidates.isEmpty else { throw ValidationError("--candidate: '\(candidates[0])' is only used with --states auto") }
    }
    o.stateSpace = autoStates ? .lifecycle : try StateSpaceKind.parse(states)
    o.asOf = try asOf.map { try day($0, flag: "as-of") }
    o.from = try from.map { try day($0, flag: "from") }
    o.churnAfterPeriods = churnAfter
    o.reactivation = reactivation
    o.valueCutQuantile = valueCut
    o.splitBy = splitBy
    o.estimator.prior = prior
    o.estimator.halfLifePeriods = halfLife
    o.estimator.seasonal = seasonal
    o.discountPerPeriod = try discount.map { try change($0, flag: "discount") }
    o.source = source
    return o
  }
}


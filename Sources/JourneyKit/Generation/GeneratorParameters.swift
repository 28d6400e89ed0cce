/// Everything that defines a synthetic transaction history: the ground truth.
///
/// The process is a customer-base model in the spirit of Pareto/NBD (Schmittlein,
/// Morrison & Colombo, 1987), made monthly and given the things real CRM data has:
///
/// ```
/// acquisition month m      ~ weights (1 + trend * years since start) * (1 + a_s cos(2 pi (month - peak) / 12))
/// lead first?              ~ Bernoulli(leadShare); a lead converts with leadConversion after Exp(mean delay) days
/// purchase rate lambda     ~ Gamma(shape k, mean purchaseRateMeanPerMonth)          (per customer)
/// monthly dropout hazard mu ~ Beta(dropoutAlpha, dropoutBeta)                         (per customer)
/// purchases while alive    ~ Poisson process, rate lambda/month * purchase seasonality
/// spend per purchase       ~ LogNormal(m_c, spendSigma), m_c ~ Normal(log(spendMedian), spendBetweenSigma)
/// refund of a purchase     ~ Bernoulli(refundRate), 1-30 days later, full amount
/// after the launch date    dropout hazard * (1 + launch churn), lead conversion * (1 + launch conversion),
///                          purchase rate * (1 + launch frequency), spend * (1 + launch spend)
/// ```
///
/// Regimes with the traits of real customer bases (all off by default, which leaves the
/// output byte-for-byte as before):
///
/// ```
/// closed cohort            acquisitions only in the first `acquisitionMonths` months
/// heterogeneity            a small purchaseRateShape (0.5: most buy rarely, a few very often)
/// ageing                   purchase rate * (1 + tenure days / 365)^(-ageing), tenure from the first purchase
/// dormancy with returns    a dropout starts a dormant spell of Exp(wakeRatePerDay) days; waking is a
///                          purchase and starts a new alive spell with a new dropout time (same hazard)
/// ```
public struct GeneratorParameters: Codable, Equatable, Sendable {
  /// People who enter the base (leads and direct buyers); every one appears in the output.
  public var customers: Int = 10_000
  /// The preset these parameters started from (a label recorded in the truth; `apply(_:)` sets it).
  public var regime: GeneratorRegime = .base
  /// First day of the simulated span.
  public var start: CalendarDay = CalendarDay(year: 2023, month: 1, day: 1)!
  /// Length of the span in calendar months.
  public var months: Int = 36
  /// Seed of every random draw: the same parameters and seed give the same history.
  public var seed: UInt64 = 1

  /// Growth of monthly acquisitions per year (0.2 = 20% more per year).
  public var acquisitionTrendPerYear: Double = 0.15
  /// Relative amplitude of the seasonal acquisition cycle.
  public var acquisitionSeasonality: Double = 0.25
  /// Month of peak acquisition (1-12).
  public var acquisitionPeakMonth: Int = 11
  /// Closed cohort: acquisitions only in the first this many months of the span; 0 for every month.
  public var acquisitionMonths: Int = 0

  /// Gamma shape of the customers' purchase rates (small: strong heterogeneity).
  public var purchaseRateShape: Double = 1.5
  /// Mean purchase rate per month while active.
  public var purchaseRateMeanPerMonth: Double = 0.6
  /// Relative amplitude of the purchase seasonality; peak in December.
  public var purchaseSeasonality: Double = 0.2
  /// Ageing: each customer's purchase rate is multiplied by (1 + tenure days / 365)^(-ageing),
  /// tenure counted from the first purchase; 0 for none.
  public var ageing: Double = 0
  /// Regular buying: the days between a customer's purchases, while alive, are Erlang of this
  /// order (a purchase every k-th event of a Poisson process k times as fast: the same mean, a
  /// spread of 1 / sqrt(k) of it) instead of exponential. Nil or 1: Poisson timing, as before.
  public var purchaseRegularity: Int? = nil

  /// Beta alpha of the customers' monthly dropout hazards (mean alpha / (alpha + beta)).
  public var dropoutAlpha: Double = 1.2
  /// Beta beta of the customers' monthly dropout hazards.
  public var dropoutBeta: Double = 18
  /// Dormancy with returns: a customer who drops out wakes again at this rate per day (mean
  /// dormancy 1 / rate days), with a purchase, and is alive until a new dropout; 0 for a permanent dropout.
  public var wakeRatePerDay: Double = 0

  /// Median spend per purchase across customers.
  public var spendMedian: Double = 40
  /// Log-scale spread of customers' typical spend around the median.
  public var spendBetweenSigma: Double = 0.5
  /// Log-scale spread of one customer's purchases around their typical spend.
  public var spendSigma: Double = 0.6

  /// Share of acquisitions that arrive as leads, not buyers.
  public var leadShare: Double = 0.3
  /// Chance that a lead eventually buys.
  public var leadConversion: Double = 0.55
  /// Mean delay in days from lead to first purchase.
  public var leadConversionDelayDays: Double = 21

  /// Chance that a purchase is followed by a refund row.
  public var refundRate: Double = 0.02

  /// A CRM launch after which behaviour changes by the effects below; nil for none.
  public var launch: CalendarDay? = nil
  /// Relative change of the dropout hazard after launch (-0.2 = 20% less churn).
  public var launchChurn: Double = 0
  /// Relative change of the lead conversion probability after launch.
  public var launchConversion: Double = 0
  /// Relative change of the purchase rate after launch.
  public var launchFrequency: Double = 0
  /// Relative change of spend per purchase after launch.
  public var launchSpend: Double = 0
  /// A random holdout: this share of customers is the control group and never gets the launch
  /// effects; the output gains a `group` column (`control` or `treated`). Nil for no holdout.
  public var controlShare: Double? = nil
  /// Staggered launches: customers are spread evenly at random over this many regions (`R1`...),
  /// and region k (0-based) launches `regionStaggerMonths * k` months after `launch`; the output
  /// gains a `region` column. Nil for one launch for everyone.
  public var regions: Int? = nil
  /// Months between the launches of consecutive regions.
  public var regionStaggerMonths: Int = 3

  /// The default generator (`.base`).
  public init() {}

  /// Parameters of a named regime (`.base` is the default generator).
  public init(regime: GeneratorRegime) {
    apply(regime)
  }

  /// Sets the parameters a regime stands for and records its name; other parameters stay.
  public mutating func apply(_ regime: GeneratorRegime) {
    self.regime = regime
    switch regime {
    case .base:
      let base = GeneratorParameters()
      months = base.months
      acquisitionMonths = base.acquisitionMonths
      purchaseRateShape = base.purchaseRateShape
      ageing = base.ageing
      wakeRatePerDay = base.wakeRatePerDay
      leadShare = base.leadShare
    case .real:
      months = 18
      acquisitionMonths = 3
      purchaseRateShape = 0.5
      ageing = 0.5
      wakeRatePerDay = 0.004
      leadShare = 0
    }
  }

  /// The launch day of region `region` (0-based): `launch` plus the stagger times the region number.
  public func launchDay(region: Int) -> CalendarDay {
    guard let launch else { preconditionFailure("launchDay(region:) needs a launch") }
    return launch.adding(months: regionStaggerMonths * region)
  }

  /// The name written in the `region` column for region number `region` (0-based).
  public static func regionName(_ region: Int) -> String { "R\(region + 1)" }

  /// Mean length of a dormant spell in days (nil when dropout is permanent).
  public var meanDormancyDays: Double? { wakeRatePerDay > 0 ? 1 / wakeRatePerDay : nil }

  /// The first day after the span.
  public var end: CalendarDay { start.adding(months: months) }

  /// Whether the output has an `event` column (it does when leads or refunds occur).
  public var hasEvents: Bool { leadShare > 0 || refundRate > 0 }

  /// Checks that the parameters describe a process that can be simulated.
  ///
  /// - Throws: `GeneratorError.invalid` naming the parameter and what was expected.
  public func validate() throws(GeneratorError) {
    func require(_ ok: Bool, _ name: String, _ value: CustomStringConvertible, _ expected: String) throws(GeneratorError) {
      if !ok { throw .invalid(parameter: name, value: String(describing: value), expected: expected) }
    }
    try require(
      customers >= 1 && customers <= Limits.generatedCustomers, "customers", customers,
      "a whole number from 1 to \(Limits.generatedCustomers) (the limit: about 560 bytes of memory each); for more, generate several files with different --seed")
    try require(months >= 1 && months <= 600, "months", months, "a whole number from 1 to 600")
    try require(purchaseRateShape >= 0.01 && purchaseRateShape <= 1e7, "purchase-rate-shape", purchaseRateShape, "a gamma shape from 0.01 to 10000000 (smaller: more different customers; very large: all alike)")
    try require(acquisitionMonths >= 0 && acquisitionMonths <= months, "acquisition-months", acquisitionMonths,
      "a whole number of months from 1 to --months (\(months)), or 0 for every month")
    try require(ageing >= 0 && ageing <= 10, "ageing", ageing, "an exponent from 0 to 10")
    try require((1...10).contains(purchaseRegularity ?? 1), "purchase-regularity", purchaseRegularity ?? 1, "an Erlang order from 1 (purchases at random) to 10")
    try require(wakeRatePerDay >= 0 && wakeRatePerDay <= 1, "wake-rate", wakeRatePerDay, "a rate per day from 0 to 1 (0: dropout is permanent)")
    try require(purchaseRateMeanPerMonth > 0 && purchaseRateMeanPerMonth <= 100, "purchase-rate", purchaseRateMeanPerMonth, "purchases per month, above 0 and at most 100")
    try require(dropoutAlpha > 0 && dropoutBeta > 0, "dropout", "\(dropoutAlpha),\(dropoutBeta)", "positive Beta parameters")
    try require(spendMedian > 0, "spend-median", spendMedian, "a positive amount")
    try require(spendSigma >= 0 && spendBetweenSigma >= 0, "spend-sigma", spendSigma, "a non-negative spread")
    try require((0...1).contains(leadShare), "lead-share", leadShare, "a share from 0 to 1")
    try require((0...1).contains(leadConversion), "lead-conversion", leadConversion, "a probability from 0 to 1")
    try require(leadConversionDelayDays > 0, "lead-delay", leadConversionDelayDays, "a positive number of days")
    try require((0...1).contains(refundRate), "refund-rate", refundRate, "a share from 0 to 1")
    try require((0...1).contains(acquisitionSeasonality), "acquisition-seasonality", acquisitionSeasonality, "an amplitude from 0 to 1")
    try require((0...1).contains(purchaseSeasonality), "purchase-seasonality", purchaseSeasonality, "an amplitude from 0 to 1")
    try require(acquisitionTrendPerYear > -1 && acquisitionTrendPerYear <= 10, "acquisition-trend", acquisitionTrendPerYear, "a yearly growth above -100% and at most 1000%")
    try require((1...12).contains(acquisitionPeakMonth), "acquisition-peak-month", acquisitionPeakMonth, "a month from 1 to 12")
    try require(launchChurn >= -1, "launch-churn", launchChurn, "a change of -100% or more")
    try require(launchConversion >= -1, "launch-conversion", launchConversion, "a change of -100% or more")
    try require(launchFrequency >= -1, "launch-frequency", launchFrequency, "a change of -100% or more")
    try require(launchSpend > -1, "launch-spend", launchSpend, "a change above -100%")
    try require(
      Limits.days.contains(start) && end <= Limits.days.upperBound, "start", start,
      "a first day from \(Limits.days.lowerBound) such that the span ends by \(Limits.days.upperBound)")
    // A history journey's own reader would refuse is no use: dates more than a year after today
    // are read as typing errors (`ReaderOptions.latestDay`), so the span must end by then.
    let readable = ReaderOptions().latestDay
    if end.adding(days: -1) > readable {
      let years = (months + 11) / 12
      let earlier = CalendarDay(year: readable.year - years, month: 1, day: 1)!
      throw .invalid(
        parameter: "months", value: "\(months)",
        expected: "a span that ends by \(readable): from --start \(start) it would end \(end.adding(days: -1)), and journey reads dates more than a year after today as typing errors; give an earlier --start (e.g. --start \(earlier)) or fewer --months")
    }
    if let controlShare {
      try require(controlShare > 0 && controlShare < 1, "control", controlShare, "a share of customers held out, above 0% and below 100%, e.g. 10%")
      try require(launch != nil, "control", controlShare, "a --launch date as well (the control group is held out of a launch)")
    }
    if let regions {
      try require((2...26).contains(regions), "regions", regions, "a whole number of regions from 2 to 26")
      try require(regionStaggerMonths >= 1 && regionStaggerMonths <= months, "stagger-months", regionStaggerMonths, "a whole number of months from 1 to --months (\(months))")
      try require(launch != nil, "regions", regions, "a --launch date as well (the first region's launch)")
    }
    if let launch {
      try require(launch > start && launch < end, "launch", launch, "a date inside the span \(start) to \(end.adding(days: -1))")
      if let regions {
        let last = launchDay(region: regions - 1)
        try require(last < end, "stagger-months", regionStaggerMonths,
          "launches inside the span: region R\(regions) would launch \(last), after its end \(end.adding(days: -1)); use fewer regions, a shorter stagger or an earlier --launch")
      }
    } else {
      try require(launchChurn == 0 && launchConversion == 0 && launchFrequency == 0 && launchSpend == 0,
        "launch", "none", "a --launch date when launch effects are given")
    }
  }
}

/// A named combination of generator parameters.
public enum GeneratorRegime: String, Codable, CaseIterable, Sendable {
  /// The default generator: open acquisition over the span, moderate heterogeneity, no ageing,
  /// permanent dropout.
  case base
  /// A CDNOW-like base: a closed cohort acquired in the first 3 months of an 18-month span, no
  /// leads, strong heterogeneity (purchase-rate shape 0.5), ageing 0.5 and dormant spells with
  /// returns (wake rate 0.004 per day, mean dormancy 250 days).
  case real
}

/// Generator parameters that cannot be simulated.
public enum GeneratorError: Error, Equatable, CustomStringConvertible {
  case invalid(parameter: String, value: String, expected: String)
  /// The parameters would write more rows than `Limits.generatedRows` (found while generating:
  /// how many rows a customer writes depends on every rate at once).
  case tooManyRows(limit: Int)

  /// The message for the user: which parameter, its value and what is expected.
  public var description: String {
    switch self {
    case let .invalid(parameter, value, expected):
      return "--\(parameter): '\(value)' is not valid; expected \(expected)"
    case let .tooManyRows(limit):
      return "the history would pass \(Format.number(Double(limit))) rows, the limit (about 85 bytes of memory a row while generating)"
        + "\n  hint: fewer --customers or --months, or a lower --purchase-rate or --wake-rate; for more, generate several files with different --seed"
    }
  }
}

/// A CRM strategy a planner weighs: interventions that change how customers move, what they
/// spend and what it costs, and changes to acquisition. Loaded from YAML (`Scenario.load`).
public struct Scenario: Sendable, Equatable {
  /// The scenario's name, as shown in comparisons.
  public var name: String
  /// What the strategy is, in words.
  public var description: String
  /// The state space the scenario is written for (`lifecycle`, `value`, ...), checked against the model.
  public var requires: String?
  /// Gross margin turning revenue into profit (1 = revenue is profit).
  public var margin: Double
  /// Whether the file gave `margin:` (otherwise 1, revenue as profit).
  public var marginIsExplicit = false
  /// The campaigns and programmes, applied in order.
  public var interventions: [Intervention]
  /// A change to acquisition (nil: the model's own).
  public var acquisition: AcquisitionChange?
  /// The file it came from.
  public var source: String

  /// A scenario with the given parts; the defaults are a plain baseline.
  public init(name: String, description: String = "", requires: String? = nil, margin: Double = 1, interventions: [Intervention] = [], acquisition: AcquisitionChange? = nil, source: String = "") {
    self.name = name
    self.description = description
    self.requires = requires
    self.margin = margin
    self.interventions = interventions
    self.acquisition = acquisition
    self.source = source
  }
}

/// More (or fewer) new customers, at a price.
public struct AcquisitionChange: Sendable, Equatable {
  /// Relative change of entrants per period (+10% = 0.1).
  public var change: Double
  /// Cost of each additional entrant.
  public var costPerCustomer: Double
  /// First forecast period with the change (1-based).
  public var start: Int
  /// Periods it runs; nil: to the end of the horizon.
  public var duration: Int?
}

/// One campaign or programme: whom it targets, what it changes, when, and what it costs.
public struct Intervention: Sendable, Equatable {
  /// The intervention's name, as shown.
  public var name: String
  /// State names or stage names (`at_risk` matches every at-risk state, tiered or split).
  public var targets: [String]
  /// Restricts targets to one value tier (`less_valuable`, `more_valuable`).
  public var tier: String?
  /// Share of targeted customers actually contacted (0...1).
  public var reach: Double
  /// First forecast period with the intervention (1-based).
  public var start: Int
  /// Periods it runs; nil: to the end of the horizon.
  public var duration: Int?
  /// Periods from start to full effect (linear); 0: full effect at once.
  public var rampUp: Int
  /// Periods over which the effect fades after the end (linear); 0: stops at once.
  public var decay: Int
  /// What it changes for reached customers.
  public var effects: Effects
  /// What it costs.
  public var costs: Costs

  /// An intervention with every part given.
  public init(name: String, targets: [String], tier: String?, reach: Double, start: Int, duration: Int?, rampUp: Int, decay: Int, effects: Effects, costs: Costs) {
    self.name = name
    self.targets = targets
    self.tier = tier
    self.reach = reach
    self.start = start
    self.duration = duration
    self.rampUp = rampUp
    self.decay = decay
    self.effects = effects
    self.costs = costs
  }

  /// Changes to how reached customers move and spend.
  public struct Effects: Sendable, Equatable {
    /// Relative change of the chance of moving toward lapsed or churned (-0.2 = 20% less).
    public var churn: Double?
    /// Relative change of the chance of purchasing next period (moving into new, active or loyal).
    public var conversion: Double?
    /// Relative change of the chance of moving up from less to more valuable.
    public var upgrade: Double?
    /// Absolute changes of single transition probabilities.
    public var moves: [Move]
    /// Relative change of spend per purchase of reached customers.
    public var spend: Double?

    /// Effects; every one left out is no change.
    public init(churn: Double? = nil, conversion: Double? = nil, upgrade: Double? = nil, moves: [Move] = [], spend: Double? = nil) {
      self.churn = churn
      self.conversion = conversion
      self.upgrade = upgrade
      self.moves = moves
      self.spend = spend
    }
  }

  /// One transition probability changed by a fixed amount.
  public struct Move: Sendable, Equatable {
    /// The state moved from.
    public var from: String
    /// The state moved to.
    public var to: String
    /// Absolute change of P(from -> to), e.g. +0.05.
    public var change: Double
  }

  /// What an intervention costs.
  public struct Costs: Sendable, Equatable {
    /// Per contacted customer per period.
    public var perContact: Double
    /// Per period while the intervention runs.
    public var fixedPerPeriod: Double
    /// Per reached customer who purchases in the next period (an incentive redeemed).
    public var perConversion: Double

    /// Costs; every one left out is 0.
    public init(perContact: Double = 0, fixedPerPeriod: Double = 0, perConversion: Double = 0) {
      self.perContact = perContact
      self.fixedPerPeriod = fixedPerPeriod
      self.perConversion = perConversion
    }
  }

  /// How strongly the intervention acts in forecast period `period` (1-based), 0...1.
  ///
  /// ```
  /// before start: 0; ramp-up: (period - start + 1) / (rampUp + 1) ... 1;
  /// running: 1; after the end: fades linearly to 0 over `decay` periods
  /// ```
  public func intensity(period: Int) -> Double {
    guard period >= start else { return 0 }
    let end = duration.map { start + $0 - 1 } ?? Int.max
    if period <= end {
      return rampUp > 0 ? min(1, Double(period - start + 1) / Double(rampUp + 1)) : 1
    }
    guard decay > 0 else { return 0 }
    let level = rampUp > 0 ? min(1, Double(end - start + 1) / Double(rampUp + 1)) : 1
    let after = period - end
    return after >= decay + 1 ? 0 : level * (1 - Double(after) / Double(decay + 1))
  }

  /// Whether customers are contacted (and paid for) in `period`.
  public func isRunning(period: Int) -> Bool {
    period >= start && period <= (duration.map { start + $0 - 1 } ?? Int.max)
  }
}

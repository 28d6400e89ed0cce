import Foundation

/// What a holdout test is planned for, before the launch.
public struct RolloutDesignOptions: Sendable {
  /// The lever the rollout pulls, with the scenario engine's meaning (`churn`: the chance of
  /// moving toward lapsed or churned, `conversion`: of purchasing next period, `upgrade`).
  /// `dropout`: the rate at which buying customers fall dormant (the activity model's; needs the
  /// customers' histories, so only with the launch base's test).
  public enum Lever: String, Codable, Sendable, CaseIterable { case churn, conversion, upgrade, dropout }

  /// `active_share`, `churn_rate`, or a move `from -> to`.
  public var measure: String = "active_share"
  /// The lever the rollout pulls (default `churn`).
  public var lever: Lever = .churn
  /// Relative change the lever is expected to make (-0.2 = 20% less).
  public var effect: Double = -0.2
  /// Periods after the launch (the before window is as long).
  public var horizonPeriods = 12
  /// Share of customers held out.
  public var controlShare = 0.1
  /// Simulated holdout tests: each draws a new random holdout and new moves.
  public var replicates = MonteCarloDefaults.designReplicates
  /// Seed of the simulation: the same seed gives the same power.
  public var seed: UInt64 = MonteCarloDefaults.seed
  /// Bootstrap resamples of each simulated evaluation (on the data: the verdict's standard errors).
  public var bootstrap = MonteCarloDefaults.designBootstrap
  /// Two-sided error rate of the evaluation's verdict, shared by `measuresTested` measures.
  public var alpha = 0.05
  /// Measures the evaluation's verdict tests together (its false-discovery control).
  public var measuresTested = 20
  /// The power the design should reach: the minimum detectable effect and the recommended
  /// holdout share are found with it.
  public var targetPower = 0.8
  /// Told as the simulated replicates finish: replicates done, replicates in all, and an empty
  /// label. Thousands of replicates of a large base take minutes; the CLI shows this on a
  /// terminal.
  public var progress: (@Sendable (_ done: Int, _ total: Int, _ next: String) -> Void)? = nil

  /// Options with every default.
  public init() {}
}

/// Power and minimum detectable effect of a holdout test, by simulation from a fitted chain.
///
/// Every customer of the model's base (and the entrants the history brings each period) walks
/// the chain for a before window and an after window of `horizonPeriods` each; from the launch,
/// treated customers move by the chain with the lever pulled (the scenario engine's matrix),
/// control customers by the chain as fitted. Each replicate draws a new random holdout and new
/// moves, and gives the difference in differences of the measure twice, with and without the
/// effect, from the same random numbers. The test the evaluation makes is
///
/// ```
/// flag when |DiD| > z(1 - alpha / (2 m)) sd0     (m measures tested; with one real effect among
///                                                 them, Benjamini-Hochberg's first step is this)
/// power = share of replicates with the effect flagged
/// MDE   = (z(1 - alpha / (2 m)) + z(power target)) sd0, in the measure; over the lever's change
///         the same ratio to the mean DiD the planned effect gives
/// ```
///
/// with sd0 the standard deviation of the DiD without effect. Other holdout shares scale sd0 by
/// sqrt(1/s + 1/(1 - s)) (Duflo, Glennerster & Kremer 2007, eq. 8).
///
/// A chain knows only the state a customer is in: customers who differ in how often they buy
/// (as real ones do) make the measure noisier than the chain does, so the power here is an
/// upper bound; `journey evaluate` measures the noise of the real base with its bootstrap.
public struct RolloutDesign: Codable, Sendable {
  /// The power another holdout share would have, with the same planned effect.
  public struct SharePower: Codable, Sendable {
    /// Share of customers held out.
    public var controlShare: Double
    /// Chance of flagging the planned effect with that share (normal approximation, sd0 scaled).
    public var power: Double
  }

  /// Power at holdout shares 5%, 10%, ... 50% (normal approximation): the standard error measured
  /// at `share` scaled by sqrt(1/c + 1/(1-c)) against the same at `share`.
  static func powerByShare(expected: Double, standardError: Double, atShare share: Double, criticalZ z: Double) -> [SharePower] {
    func power(_ c: Double) -> Double {
      let se = standardError * ((1 / c + 1 / (1 - c)) / (1 / share + 1 / (1 - share))).squareRoot()
      guard se > 0 else { return expected != 0 ? 1 : 0 }
      return Normal.cdf(abs(expected) / se - z) + Normal.cdf(-abs(expected) / se - z)
    }
    return stride(from: 0.05, through: 0.5001, by: 0.05).map { SharePower(controlShare: ($0 * 100).rounded() / 100, power: power($0)) }
  }
  /// The measure tested (`active_share`, `churn_rate`, `from -> to`, or `dormancy_rate`, the evaluation's primary test).
  public var measure: String
  /// The lever pulled (`RolloutDesignOptions.Lever`'s raw value).
  public var lever: String
  /// The planned relative change of the lever (-0.2 = 20% less).
  public var effect: Double
  /// Periods of each window, before and after the launch.
  public var horizonPeriods: Int
  /// Share of customers held out in the simulation.
  public var controlShare: Double
  /// Customers simulated: the model's base that has not churned plus the entrants over both windows
  /// (mean); with `data`, the customers of the launch base.
  public var customers: Int
  /// Replicates that gave a result (a finite difference in differences; with `data`, a
  /// comparison with customers in both groups): the others are left out.
  public var replicates: Int
  /// Mean difference in differences of the measure the planned effect gives (with `data`, the
  /// change of the primary test's adjusted difference in mean dormancy scores: negative for a
  /// cut of dropout).
  public var expectedChange: Double
  /// Its standard deviation without effect.
  public var standardError: Double
  /// The |DiD| / sd0 above which the test flags: z(1 - alpha / (2 m)), m the measures tested; with
  /// `data`, z(1 - 0.8 alpha / 2), the primary test's.
  public var criticalZ: Double
  /// Share of replicates in which the planned effect is flagged.
  public var power: Double
  /// The smallest change of the measure found with the target power.
  public var minimumDetectableChange: Double
  /// The smallest relative change of the lever found with the target power (nil when the planned effect moves nothing).
  public var minimumDetectableEffect: Double?
  /// The power the minimum detectable change and effect are found with.
  public var targetPower: Double
  /// The power at holdout shares of 5%, 10%, ... 50%.
  public var powerByShare: [SharePower]
  /// The smallest share of 5%, 10%, ... 50% with the target power; nil when none has.
  public var recommendedControlShare: Double?
  /// `chain`: customers walk the fitted chain; `data`: the data's customers, their periods after
  /// the launch drawn from the activity model (`runOnData`).
  public var method = "chain"
  /// With `data`: the before window, the last periods of the data (the primary test's covariate).
  public var beforeWindow: String? = nil
  /// With `data`: the after window, the periods drawn after the launch.
  public var afterWindow: String? = nil
  /// With `data`: the share of replicates in which the verdict names a measure without an
  /// effect (at most alpha).
  public var falseFlagRate: Double? = nil
  /// With `data`: the share of replicates in which the primary test alone flags the planned
  /// effect (`power` is the whole verdict's: the primary test or any other measure).
  public var primaryPower: Double? = nil
  /// With `data`: customers drawn per replicate (the base at the launch and the data's others).
  public var simulatedCustomers: Int? = nil

  /// - Throws: `RolloutDesignError` for an unknown measure; `YAMLFileError` when the chain cannot take the effect.
  public static func run(model: MarkovModel, options o: RolloutDesignOptions) throws -> RolloutDesign {
    let space = model.stateSpace
    let s = space.count
    let measure = try Measure(o.measure, space: space)
    // The treated chain: the lever pulled on every state, as a scenario would. Dropout is the
    // activity model's lever and needs the data.
    if o.lever == .dropout { throw RolloutDesignError.needsData(measure: o.measure) }
    let base = model.matrix
    let treated = try leverMatrix(model: model, lever: o.lever, effect: o.effect)
    func cumulative(_ m: Matrix) -> [Double] {
      var c = [Double](repeating: 0, count: s * s)
      for i in 0..<s {
        var sum = 0.0
        for j in 0..<s {
          sum += m[i, j]
          c[i * s + j] = sum
        }
        c[i * s + s - 1] = 1
      }
      return c
    }
    let plain = cumulative(base), pulled = cumulative(treated)
    let h = o.horizonPeriods
    let inflow = AcquisitionAssumption.historical.inflow(model: model, horizon: 2 * h)
    let churned = space.states.indices.filter { space.states[$0].stage == .churned && space.states[$0].isAbsorbing }
    let startBase = model.currentBase
    let stages = space.states.map(\.stage)

    // One replicate: the DiD without and with the effect, sharing every random number.
    @Sendable func replicate(_ r: Int) -> (null: Double, effect: Double, customers: Int) {
      var rng = RandomSource(seed: o.seed, stream: UInt64(r) &+ 0xDE51)
      // tally[world][group][window] = (numerator, denominator)
      var tally = [[[(Double, Double)]]](repeating: [[(Double, Double)]](repeating: [(0, 0), (0, 0)], count: 2), count: 2)
      var customers = 0
      func walk(from state: Int, enter: Int, control: Bool) {
        var now = [state, state]
        for t in enter..<(2 * h) {
          let u = rng.uniform()
          let window = t < h ? 0 : 1
          for world in 0..<2 {
            let effectOn = world == 1 && !control && t >= h
            let c = effectOn ? pulled : plain
            let i = now[world]
            var j = 0
            while j < s - 1 && u >= c[i * s + j] { j += 1 }
            let (n, d) = measure.count(from: i, to: j, stages: stages)
            tally[world][control ? 1 : 0][window].0 += n
            tally[world][control ? 1 : 0][window].1 += d
            now[world] = j
          }
        }
      }
      for i in 0..<s {
        let count = Int(startBase[i].rounded())
        if churned.contains(i) {
          // Churned for good: only a denominator (of active_share), the same in both groups' shares.
          for _ in 0..<count {
            let control = rng.uniform() < o.controlShare
            let (n, d) = measure.count(from: i, to: i, stages: stages)
            for world in 0..<2 { for window in 0..<2 {
              tally[world][control ? 1 : 0][window].0 += n * Double(h)
              tally[world][control ? 1 : 0][window].1 += d * Double(h)
            } }
          }
          continue
        }
        for _ in 0..<count {
          customers += 1
          walk(from: i, enter: 0, control: rng.uniform() < o.controlShare)
        }
      }
      for t in 0..<(2 * h) {
        for i in 0..<s {
          // Entrants: the expected number, rounded at random.
          let expected = inflow[t][i]
          let n = Int(expected) + (rng.uniform() < expected - expected.rounded(.down) ? 1 : 0)
          for _ in 0..<n {
            customers += 1
            walk(from: i, enter: t + 1, control: rng.uniform() < o.controlShare)
          }
        }
      }
      func did(_ world: Int) -> Double {
        func v(_ g: Int, _ w: Int) -> Double { tally[world][g][w].1 > 0 ? tally[world][g][w].0 / tally[world][g][w].1 : .nan }
        return (v(0, 1) - v(0, 0)) - (v(1, 1) - v(1, 0))
      }
      return (did(0), did(1), customers)
    }
    let results = Partials<(null: Double, effect: Double, customers: Int)>(count: o.replicates)
    DispatchQueue.concurrentPerform(iterations: o.replicates) { r in
      let done = results.store(replicate(r), at: r)
      o.progress?(done, o.replicates, "")
    }
    let all = results.all().filter { $0.null.isFinite && $0.effect.isFinite }
    precondition(all.count > 1, "design replicates gave no finite difference")
    let nulls = all.map(\.null), effects_ = all.map(\.effect)
    let mean0 = nulls.reduce(0, +) / Double(nulls.count)
    let sd0 = (nulls.reduce(0) { $0 + ($1 - mean0) * ($1 - mean0) } / Double(nulls.count - 1)).squareRoot()
    let expected = effects_.reduce(0, +) / Double(effects_.count) - mean0
    let z = Normal.quantile(1 - o.alpha / (2 * Double(max(1, o.measuresTested))))
    let power = Double(effects_.filter { abs($0) > z * sd0 }.count) / Double(effects_.count)
    let zPower = Normal.quantile(o.targetPower)
    let mdc = (z + zPower) * sd0
    let shares = Self.powerByShare(expected: expected, standardError: sd0, atShare: o.controlShare, criticalZ: z)
    return RolloutDesign(
      measure: measure.name, lever: o.lever.rawValue, effect: o.effect, horizonPeriods: h, controlShare: o.controlShare,
      customers: all.map(\.customers).reduce(0, +) / all.count, replicates: all.count, expectedChange: expected, standardError: sd0,
      criticalZ: z, power: power, minimumDetectableChange: mdc,
      minimumDetectableEffect: expected != 0 ? abs(o.effect) * mdc / abs(expected) : nil, targetPower: o.targetPower,
      powerByShare: shares, recommendedControlShare: shares.first { $0.power >= o.targetPower }?.controlShare)
  }

  /// A measure the chain can give: numerator and denominator of one customer-period.
  struct Measure: Sendable {
    enum Kind: Sendable { case activeShare, churnRate, move(from: Int, to: Int) }
    var kind: Kind
    var name: String

    init(_ text: String, space: StateSpace) throws {
      let t = text.replacingOccurrences(of: " ", with: "")
      switch t {
      case "active_share":
        kind = .activeShare
        name = t
      case "churn_rate":
        kind = .churnRate
        name = t
      default:
        let parts = t.components(separatedBy: "->")
        let names = space.states.map(\.name)
        guard parts.count == 2 else {
          throw RolloutDesignError.unknownMeasure(text, hint: "one of active_share, churn_rate, or a move such as 'at_risk -> lapsed'")
        }
        guard let from = space.index(of: parts[0]), let to = space.index(of: parts[1]) else {
          let bad = space.index(of: parts[0]) == nil ? parts[0] : parts[1]
          throw RolloutDesignError.unknownMeasure(
            text, hint: closestMatch(bad, among: names).map { "no state '\(bad)'; did you mean '\($0)'?" } ?? "the model's states: \(names.joined(separator: ", "))")
        }
        kind = .move(from: from, to: to)
        name = "\(parts[0]) -> \(parts[1])"
      }
    }

    /// What the customer-period moving from `i` to `j` adds to the measure's numerator and denominator.
    /// The design walks states, not purchases, so its active share is the share in purchasing
    /// stages: the evaluation's (customers who buy in the period) in every space but RFM and custom
    /// ones (`StateSpace.purchasingMeansBoughtInPeriod`), where it is the share in the active states.
    func count(from i: Int, to j: Int, stages: [Stage]) -> (Double, Double) {
      switch kind {
      case .activeShare:
        return stages[j] == .lead ? (0, 0) : (stages[j].isPurchasing ? 1 : 0, 1)
      case .churnRate:
        return stages[i] == .churned ? (0, 0) : (stages[j] == .churned ? 1 : 0, 1)
      case let .move(from, to):
        return i == from ? (j == to ? 1 : 0, 1) : (0, 0)
      }
    }
  }
}

/// A design that cannot be simulated.
public enum RolloutDesignError: Error, Equatable, CustomStringConvertible {
  /// The measure is neither a KPI the design knows nor a move between two of the model's states.
  case unknownMeasure(String, hint: String)
  /// The data is too short to stand in for a before and an after window.
  case tooShort(periods: Int, needed: Int, unit: String)
  /// The primary measure needs customers' own histories.
  case needsData(measure: String)

  /// The message for the user: what is wrong and what to give instead.
  public var description: String {
    switch self {
    case let .unknownMeasure(measure, hint): "--measure: '\(measure)' is not a measure of this model; expected \(hint)"
    case let .tooShort(periods, needed, unit):
      "the data has \(periods) complete \(unit)s before the launch; the design of \(LaunchBaseComparison.measureName) needs at least \(needed) "
        + "and at least 20 customers who bought before the launch; give more history"
    case let .needsData(measure):
      "--measure \(measure) or --lever dropout: needs the customers' histories and the launch base's test; give --data FILE (the transactions up to the launch) "
        + "with --measure \(LaunchBaseComparison.measureName), or a lever of the chain (churn, conversion, upgrade)"
    }
  }
}

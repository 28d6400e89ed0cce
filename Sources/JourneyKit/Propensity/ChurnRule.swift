/// The lifecycle's churn rule, for the activity model to read churn by: a customer churns in the
/// period that makes `quietPeriods + 1` periods without a purchase after the period of its last
/// purchase (`LifecycleRules.churnAfterPeriods` = `quietPeriods`), and again after any later
/// purchase. Read over the `steps` periods after `origin`: the churn events per step, summed over
/// customers (`ChurnCount`), and each customer's chance of being churned at the end
/// (`churnedAtEnd`).
///
/// A churn event in step `t` (1-based) either follows the last purchase before the origin, in
/// period `origin + t - quietPeriods - 1`, with no purchase from the origin to the end of step
/// `t`; or follows a purchase in step `j = t - quietPeriods - 1 >= 1`, with none from the end of
/// step `j` to the end of step `t`:
///
/// ```
/// P(a purchase in step j, none after it to the end of t)
///     = P(none from the end of j to the end of t) - P(none from the start of j to the end of t)
/// ```
/// Every term is a chance of no purchase over a span after the origin, which the activity model
/// gives in closed form (`quietSpans`).
public struct ChurnRule: Sendable {
  /// The period length.
  public let period: PeriodKind
  /// The last period of history.
  public let origin: Int
  /// Periods counted after the origin.
  public let steps: Int
  /// Quiet periods after which the next one churns.
  public let quietPeriods: Int
  /// Whether the churn events per step are counted (`ChurnCount`); without, only each customer's
  /// chance of being churned at the end is read (`score`), which needs one span, not dozens.
  public let countsEvents: Bool

  /// - Parameters:
  ///   - quietPeriods: `LifecycleRules.churnAfterPeriods` of the state space.
  public init(period: PeriodKind, origin: Int, steps: Int, quietPeriods: Int, countsEvents: Bool = true) {
    (self.period, self.origin, self.steps, self.quietPeriods, self.countsEvents) = (period, origin, steps, quietPeriods, countsEvents)
    let first = quietPeriods + 2
    laterChurns = countsEvents && first <= steps ? (first...steps).map { (step: $0, purchase: $0 - quietPeriods - 1) } : []
  }

  /// The steps whose churn can follow a purchase made after the origin, each with that purchase's step.
  let laterChurns: [(step: Int, purchase: Int)]

  /// Calendar spans (day numbers `from ..< to`) whose chance of no purchase the count reads: per
  /// step `t`, from the origin to the end of `t`; then per later churn, from the end and from the
  /// start of its purchase step to the end of its step; last, the `quietPeriods + 1` periods that
  /// end the horizon (or all of it when shorter), for `churnedAtEnd`.
  var quietSpans: [(from: Int32, to: Int32)] {
    let next = period.start(of: origin + 1).dayNumber
    func end(_ step: Int) -> Int32 { period.end(of: origin + step).dayNumber + 1 }
    let fromOrigin = countsEvents ? (0..<steps).map { (from: next, to: end($0 + 1)) } : []
    let later = laterChurns.flatMap { c in
      [(from: end(c.purchase), to: end(c.step)), (from: period.start(of: origin + c.purchase).dayNumber, to: end(c.step))]
    }
    let lastQuiet = period.start(of: origin + max(1, steps - quietPeriods)).dayNumber
    return fromOrigin + later + [(from: lastQuiet, to: end(steps))]
  }

  /// A customer's chance of being churned at the end of the horizon: its last purchase is at
  /// least `quietPeriods + 1` periods before the horizon's last period, so one up to the origin
  /// must be that old, and none may follow in the periods that end the horizon.
  func churnedAtEnd(lastPurchase: Int32, quiet: (Int) -> Double) -> Double {
    let last = period.index(of: CalendarDay(dayNumber: lastPurchase))
    guard last <= origin + steps - quietPeriods - 1 else { return 0 }
    return quiet(countsEvents ? steps + 2 * laterChurns.count : 0)
  }

  /// Adds one customer's churn events per step to `count`, given its last purchase day up to the
  /// origin and its chance of no purchase in each of `quietSpans` (by index).
  func count(lastPurchase: Int32, into count: inout ChurnCount, quiet: (Int) -> Double) {
    guard countsEvents else { return }
    let last = period.index(of: CalendarDay(dayNumber: lastPurchase))
    let t = last + quietPeriods + 1 - origin
    if t >= 1 && t <= steps {
      let q = quiet(t - 1)
      count.add(step: t - 1, chance: q, shift: 1 - q)
    }
    for (i, c) in laterChurns.enumerated() {
      let p = max(0, quiet(steps + 2 * i) - quiet(steps + 2 * i + 1))
      count.add(step: c.step - 1, chance: p, shift: p)
    }
  }
}

/// Churn events per period, summed over customers who each churn or not (`ChurnRule`).
public struct ChurnCount: Sendable, Equatable {
  /// Per period: expected churn events.
  public var expected: [Double]
  /// Per period: their variance, customers taken as independent.
  public var variance: [Double]
  /// Per period: how much the count moves, per unit, when the model's chances of buying move by
  /// a relative `e`: by `-e` times this. For a customer quiet since before the origin, churning
  /// with chance `q`, a relative error `e` on its chance of buying, `1 - q`, moves its churn by
  /// `-e (1 - q)`; one that must first buy after the origin moves with its chance of buying.
  var shift: [Double]

  init(steps: Int) {
    expected = Array(repeating: 0, count: steps)
    variance = expected
    shift = expected
  }

  mutating func add(step: Int, chance: Double, shift moved: Double) {
    expected[step] += chance
    variance[step] += chance * (1 - chance)
    shift[step] += moved
  }

  mutating func add(_ other: ChurnCount) {
    for s in expected.indices {
      expected[s] += other.expected[s]
      variance[s] += other.variance[s]
      shift[s] += other.shift[s]
    }
  }

  /// The relative change of period `step`'s count per relative change of the model's chances of
  /// buying: small where the churners have been quiet long (their churn is nearly settled), 1 or
  /// more where they are as likely to buy as not before the threshold.
  public func buyingSensitivity(_ step: Int) -> Double {
    expected[step] > 0 ? shift[step] / expected[step] : 0
  }
}

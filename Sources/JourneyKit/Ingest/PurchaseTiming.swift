import Foundation

/// How evenly a customer's purchases are spaced: what a model that takes purchases to come at
/// random (a Poisson process while active, as the activity model and BG/NBD do) cannot carry.
///
/// The measure is the variance of the log of the days between a customer's purchases, taken within
/// each customer with at least `minimumGaps` gaps and averaged over them. Logs make it free of the
/// customer's pace: for gaps that are exponential (Poisson timing) it is pi^2 / 6 = 1.645 whatever
/// the rate, for gaps of an Erlang-k distribution (a purchase every k-th event of a Poisson
/// process) the trigamma function psi'(k): 0.645 for k = 2, 0.395 for k = 3. Each customer's sample
/// variance is unbiased for its own, so the mean needs no correction for short histories.
/// `erlangOrder` reads the mean back as k.
///
/// Regular buyers (a grocer's weekly shop) tell more by a silence: a customer who buys every 10
/// days like clockwork and has been quiet for 40 is likely gone, where a Poisson buyer at the same
/// pace may not be. A model of Poisson timing reads such customers as alive for longer than they
/// are: BTYDplus's grocery cohort (Erlang order 1.8; Platzer & Reutterer 2016) fitted on 13 to
/// 18 months came out 11-17% over (Benchmarks/README.md, session 41).
public struct PurchaseTiming: Codable, Sendable, Equatable {
  /// Customers read: those with at least `minimumGaps` days between purchases.
  public var customers: Int
  /// The mean over them of the variance of their log gaps (days).
  public var logGapVariance: Double

  /// Gaps a customer needs to be read: four give a sample variance on three degrees of freedom.
  public static let minimumGaps = 4
  /// Customers needed before the timing is called regular or not.
  public static let minimumCustomers = 30
  /// The Erlang order from which timing counts as regular: halfway from Poisson timing (1) to
  /// Erlang-2. Generated Poisson buyers read 1.04-1.19 (whole days round short gaps together, and
  /// same-day purchases are one), CDNOW 1.05, the grocery cohort 1.8, UCI's online retailer 1.7.
  public static let regularFromOrder = 1.5

  /// Measures the customers' purchase days (each sorted, one entry per purchase day); nil when no
  /// customer has `minimumGaps` gaps.
  public init?<Customers: Sequence>(days customers: Customers) where Customers.Element: Collection, Customers.Element.Element == Int32 {
    var tally = Tally()
    for days in customers { tally.add(days) }
    guard let measured = tally.timing else { return nil }
    self = measured
  }

  /// Reads customers one at a time, for a pass that goes through them for more than this.
  public struct Tally: Sendable {
    var customers = 0
    var sum = 0.0

    public init() {}

    /// Adds a customer's purchase days (sorted, one entry per day).
    public mutating func add<Days: Collection>(_ days: Days) where Days.Element == Int32 {
      guard days.count > PurchaseTiming.minimumGaps else { return }
      // Welford's running mean and sum of squares of the log gaps.
      var n = 0.0, mean = 0.0, squares = 0.0
      var previous = days.first!
      for day in days.dropFirst() {
        let gap = Foundation.log(Double(max(1, day - previous)))
        previous = day
        n += 1
        let delta = gap - mean
        mean += delta / n
        squares += delta * (gap - mean)
      }
      sum += squares / (n - 1)
      customers += 1
    }

    /// The measure; nil when no customer had `minimumGaps` gaps.
    public var timing: PurchaseTiming? {
      customers > 0 ? PurchaseTiming(customers: customers, logGapVariance: sum / Double(customers)) : nil
    }
  }

  /// Builds a measure from its parts (a model file's).
  public init(customers: Int, logGapVariance: Double) {
    self.customers = customers
    self.logGapVariance = logGapVariance
  }

  /// The order k of the Erlang distribution whose log has this variance (psi'(k) =
  /// `logGapVariance`): 1 for Poisson timing, more for purchases more evenly spaced, under 1 for
  /// purchases in bursts.
  public var erlangOrder: Double { Self.inverseTrigamma(logGapVariance) }

  /// Whether the purchases come at regular intervals (`regularFromOrder`), read from enough customers.
  public var isRegular: Bool { customers >= Self.minimumCustomers && erlangOrder >= Self.regularFromOrder }

  /// The measure in words: how evenly purchases are spaced, against Poisson timing.
  public var plainWords: String {
    let order = erlangOrder > 100 ? "over 100" : Format.number(erlangOrder, decimals: 1)
    let customers = Format.number(Double(self.customers))
    let read = "\(customers) customers with \(Self.minimumGaps + 1) or more purchase days"
    if self.customers < Self.minimumCustomers {
      return "too few customers to tell how evenly purchases are spaced (\(read), \(Self.minimumCustomers) needed)."
    }
    if isRegular {
      return "purchases come at regular intervals: the days between a customer's purchases are as even as those of an Erlang distribution of order \(order) (\(read); purchases at random, a Poisson process, give order 1)."
    }
    return "purchases come at irregular intervals, at random or in bursts: the days between a customer's purchases are spread as those of an Erlang distribution of order \(order) (\(read); purchases at random, a Poisson process, give order 1)."
  }

  /// What regular timing does to a model of purchases at random (the activity model's, BG/NBD's),
  /// for the words of `inspect`, `show` and the backtest.
  public static let consequenceForRandomTiming =
    "Journey's activity model takes purchases to come at random, so it reads a regular customer gone quiet as alive for longer than it is likely to be: lapsed customers are over-forecast and their churn under-read"

  /// psi'(x), the trigamma function, for x > 0: the recurrence psi'(x) = psi'(x + 1) + 1 / x^2 up
  /// to x >= 10, then the asymptotic series to x^-9 (the next term, 5 / (66 x^11), under 1e-12 there).
  static func trigamma(_ x: Double) -> Double {
    var x = x, sum = 0.0
    while x < 10 {
      sum += 1 / (x * x)
      x += 1
    }
    let inverse = 1 / x, square = inverse * inverse
    return sum + inverse + square / 2 + inverse * square * (1.0 / 6 - square * (1.0 / 30 - square * (1.0 / 42 - square / 30)))
  }

  /// The x > 0 with psi'(x) = y (y > 0): Newton's method on psi'(x) - y, psi''(x) taken by a
  /// central difference, from 1 / 2 + 1 / y (psi'(x) is close to 1 / x + 1 / (2 x^2)); a step that
  /// would leave x > 0 halves x instead.
  static func inverseTrigamma(_ y: Double) -> Double {
    guard y.isFinite, y > 0 else { return y > 0 ? 0 : .infinity }
    var x = 0.5 + 1 / y
    for _ in 0..<100 {
      let h = x * 1e-4
      let slope = (trigamma(x + h) - trigamma(x - h)) / (2 * h)
      let next = x - (trigamma(x) - y) / slope
      let step = next > 0 ? next : x / 2
      if abs(step - x) <= 1e-12 * x { return step }
      x = step
    }
    return x
  }
}

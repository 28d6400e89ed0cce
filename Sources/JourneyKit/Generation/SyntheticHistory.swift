import Dispatch
import Foundation

/// A generated transaction history, in columns, sorted by day (as real exports
/// usually are), plus the counts that make up its known truth.
public struct SyntheticHistory: Sendable {
  /// The parameters the history was drawn from.
  public var parameters: GeneratorParameters
  /// Per row: customer number (0-based, in order of acquisition).
  public var customer: [Int32]
  /// Per row: the day, as `CalendarDay.dayNumber`.
  public var day: [Int32]
  /// Per row: the amount in cents (negative for refunds, 0 for leads).
  public var amountCents: [Int64]
  /// Per row: purchase, lead or refund.
  public var event: [TransactionEvent]
  /// Per customer: held out of the launch (empty unless `controlShare` is set).
  public var isControl: [Bool] = []
  /// Per customer: region number, 0-based (empty unless `regions` is set).
  public var region: [UInt8] = []
  /// What an analysis of this history should recover.
  public var truth: GeneratorTruth

  /// Rows in the history.
  public var rowCount: Int { customer.count }
}

/// What the generator knows that an analysis has to recover.
public struct GeneratorTruth: Codable, Sendable, Equatable {
  /// Counts of what the CSV holds.
  public struct Counts: Codable, Sendable, Equatable {
    /// Rows in the CSV.
    public var rows: Int
    /// Distinct customer ids in the CSV (leads included).
    public var customers: Int
    /// Customers with at least one purchase.
    public var buyers: Int
    /// Customers with a lead event.
    public var leads: Int
    /// Leads who later bought.
    public var convertedLeads: Int
    /// Purchase rows (before same-day merging).
    public var purchaseRows: Int
    /// Distinct (customer, day) pairs with a purchase: what ingest counts after merging same-day rows.
    public var purchaseOccasions: Int
    /// Refund rows.
    public var refundRows: Int
    /// Sum of purchase amounts.
    public var revenue: Double
    /// Sum of refunded amounts, as a positive number.
    public var refunded: Double
    /// Returns from dormancy inside the span (each is a purchase); 0 unless `wakeRatePerDay` > 0.
    public var returns: Int = 0
  }
  /// The launch effects the generator applied (all 1 without a launch).
  public struct Effects: Codable, Sendable, Equatable {
    /// The launch day (nil without a launch).
    public var launch: CalendarDay?
    /// Multiplier of the monthly dropout hazard from the launch day on.
    public var dropoutHazardMultiplier: Double
    /// Multiplier of the lead conversion probability, for leads that arrive on or after the launch day.
    public var leadConversionMultiplier: Double
    /// Multiplier of the purchase rate from the launch day on.
    public var purchaseRateMultiplier: Double
    /// Multiplier of spend per purchase from the launch day on.
    public var spendMultiplier: Double
    /// Share of customers drawn into the control group, who never get the effects (nil: no holdout).
    public var controlShare: Double? = nil
    /// Customers in the control group (the `group` column says `control`).
    public var controlCustomers: Int? = nil
    /// Staggered launches: each region's launch day and customers (nil: one launch).
    public var launches: [RegionLaunch]? = nil
  }
  /// One region's launch in a staggered rollout.
  public struct RegionLaunch: Codable, Sendable, Equatable {
    /// The region's name in the `region` column (`R1`, `R2`, ...).
    public var region: String
    /// The day the region launches.
    public var launch: CalendarDay
    /// Customers in the region.
    public var customers: Int
  }
  /// The truth file's format.
  public var format = "journey-generator-truth/1"
  /// The parameters the history was drawn from.
  public var parameters: GeneratorParameters
  /// Counts of what the CSV holds.
  public var counts: Counts
  /// The launch effects applied.
  public var effects: Effects
  /// Mean monthly dropout hazard across customers, E[mu] = alpha / (alpha + beta), before any launch.
  public var meanMonthlyDropoutHazard: Double
  /// Mean length of a dormant spell in days, 1 / wake rate; nil when dropout is permanent.
  public var meanDormancyDays: Double?
  /// The months that receive acquisitions: all of the span unless the cohort is closed.
  public var acquisitionMonths: Int
  /// New entrants (leads and direct buyers) per calendar month of the span.
  public var acquisitionsPerMonth: [Int]
}

/// Generates a `SyntheticHistory` deterministically from its parameters.
///
/// Each customer draws from its own random stream (`RandomSource(seed:stream:)`),
/// so the output does not depend on how the work is split across threads:
/// the same seed gives the same bytes on every run.
public enum SyntheticHistoryGenerator {
  static let daysPerMonth = 30.4375

  /// - Throws: `GeneratorError` when the parameters are invalid, or would write more than
  ///   `rowLimit` rows (`Limits.generatedRows`).
  /// - Complexity: O(rows), in parallel across the machine's cores.
  public static func generate(_ parameters: GeneratorParameters) throws(GeneratorError) -> SyntheticHistory {
    try generate(parameters, rowLimit: Limits.generatedRows)
  }

  static func generate(_ parameters: GeneratorParameters, rowLimit: Int) throws(GeneratorError) -> SyntheticHistory {
    try parameters.validate()
    let p = parameters
    let startDay = Int(p.start.dayNumber)
    let endDay = Int(p.end.dayNumber)
    let launchDay = p.launch.map { Int($0.dayNumber) } ?? Int.max

    // Month boundaries and acquisitions per month (largest-remainder rounding keeps the total exact).
    let monthStarts = (0...p.months).map { Int(p.start.adding(months: $0).dayNumber) }
    let weights = (0..<p.months).map { m -> Double in
      let years = Double(m) / 12
      let calendarMonth = p.start.adding(months: m).month
      let season = 1 + p.acquisitionSeasonality * cos(2 * Double.pi * Double(calendarMonth - p.acquisitionPeakMonth) / 12)
      // A closed cohort: no one enters after the first acquisitionMonths months.
      if p.acquisitionMonths > 0 && m >= p.acquisitionMonths { return 0 }
      return max(1e-9, (1 + p.acquisitionTrendPerYear * years) * season)
    }
    let acquisitions = apportion(p.customers, weights: weights)
    var customerMonth = [Int32](repeating: 0, count: p.customers)
    var next = 0
    for (m, count) in acquisitions.enumerated() {
      for _ in 0..<count {
        customerMonth[next] = Int32(m)
        next += 1
      }
    }

    // Purchase seasonality per day of the span, peak in December.
    let seasonByDay = (startDay..<endDay).map { d -> Double in
      let month = CalendarDay(dayNumber: Int32(d)).month
      return 1 + p.purchaseSeasonality * cos(2 * Double.pi * Double(month - 12) / 12)
    }

    // Control group and regions draw from streams of their own, so every customer's behaviour
    // stream is the same with and without them: a treated customer's history differs from the
    // same seed without a holdout only by the effects.
    let isControl: [Bool] = p.controlShare.map { share in
      (0..<p.customers).map { c in
        var rng = RandomSource(seed: p.seed ^ 0xC0A7_1201_6B0C_0001, stream: UInt64(c))
        return rng.uniform() < share
      }
    } ?? []
    let region: [UInt8] = p.regions.map { count in
      (0..<p.customers).map { c in
        var rng = RandomSource(seed: p.seed ^ 0x4E61_0A5C_0FF5_E7D2, stream: UInt64(c))
        return UInt8(min(count - 1, Int(rng.uniform() * Double(count))))
      }
    } ?? []
    let regionLaunchDays = p.regions.map { (0..<$0).map { Int(p.launchDay(region: $0).dayNumber) } } ?? []

    let context = Context(
      p: p, startDay: startDay, endDay: endDay, launchDay: launchDay, monthStarts: monthStarts,
      customerMonth: customerMonth, seasonByDay: seasonByDay, isControl: isControl, region: region,
      regionLaunchDays: regionLaunchDays)

    let chunkCount = max(1, min(64, p.customers / 2_000))
    let chunkSize = (p.customers + chunkCount - 1) / chunkCount
    let results = Partials<RowBuffer>(count: chunkCount)
    // The rows a customer writes depend on every rate at once (a long span with returns and a
    // high purchase rate wrote 195 million rows for 10,000 customers), so the limit is checked
    // as they are written, every few thousand rows, rather than estimated beforehand.
    let written = RowTally(limit: rowLimit)
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
      let lower = chunk * chunkSize
      let upper = min(p.customers, lower + chunkSize)
      var rows = RowBuffer()
      var reported = 0
      for c in lower..<max(lower, upper) {
        context.simulateCustomer(c, into: &rows)
        if rows.day.count - reported >= 4_096 {
          guard written.add(rows.day.count - reported) else { break }
          reported = rows.day.count
        }
      }
      _ = written.add(rows.day.count - reported)
      results.store(rows, at: chunk)
    }
    guard !written.exceeded else { throw .tooManyRows(limit: rowLimit) }
    let chunks = results.all()

    // Stable counting sort by day: within a day, rows stay in customer order.
    let spanDays = endDay - startDay
    var dayCounts = [Int](repeating: 0, count: spanDays + 1)
    var stats = GeneratorTruth.Counts(
      rows: 0, customers: p.customers, buyers: 0, leads: 0, convertedLeads: 0, purchaseRows: 0,
      purchaseOccasions: 0, refundRows: 0, revenue: 0, refunded: 0)
    for chunk in chunks {
      for d in chunk.day { dayCounts[Int(d) - startDay + 1] += 1 }
      stats.buyers += chunk.buyers
      stats.leads += chunk.leads
      stats.convertedLeads += chunk.convertedLeads
      stats.purchaseOccasions += chunk.purchaseOccasions
      stats.returns += chunk.returns
    }
    for i in 1..<dayCounts.count { dayCounts[i] += dayCounts[i - 1] }
    let total = dayCounts[spanDays]
    var customer = [Int32](repeating: 0, count: total)
    var day = [Int32](repeating: 0, count: total)
    var amount = [Int64](repeating: 0, count: total)
    var event = [TransactionEvent](repeating: .purchase, count: total)
    for chunk in chunks {
      for r in 0..<chunk.day.count {
        let slot = Int(chunk.day[r]) - startDay
        let position = dayCounts[slot]
        dayCounts[slot] += 1
        customer[position] = chunk.customer[r]
        day[position] = chunk.day[r]
        amount[position] = chunk.amountCents[r]
        event[position] = chunk.event[r]
        switch chunk.event[r] {
        case .purchase:
          stats.purchaseRows += 1
          stats.revenue += Double(chunk.amountCents[r]) / 100
        case .refund:
          stats.refundRows += 1
          stats.refunded -= Double(chunk.amountCents[r]) / 100
        case .lead: break
        }
      }
    }
    stats.rows = total
    stats.revenue = (stats.revenue * 100).rounded() / 100
    stats.refunded = (stats.refunded * 100).rounded() / 100

    var effects = GeneratorTruth.Effects(
      launch: p.launch, dropoutHazardMultiplier: 1 + p.launchChurn,
      leadConversionMultiplier: 1 + p.launchConversion, purchaseRateMultiplier: 1 + p.launchFrequency,
      spendMultiplier: 1 + p.launchSpend)
    if let share = p.controlShare {
      effects.controlShare = share
      effects.controlCustomers = isControl.filter { $0 }.count
    }
    if let regions = p.regions {
      var counts = [Int](repeating: 0, count: regions)
      for r in region { counts[Int(r)] += 1 }
      effects.launches = (0..<regions).map {
        .init(region: GeneratorParameters.regionName($0), launch: p.launchDay(region: $0), customers: counts[$0])
      }
    }
    let truth = GeneratorTruth(
      parameters: p, counts: stats,
      effects: effects,
      meanMonthlyDropoutHazard: p.dropoutAlpha / (p.dropoutAlpha + p.dropoutBeta),
      meanDormancyDays: p.meanDormancyDays,
      acquisitionMonths: p.acquisitionMonths > 0 ? p.acquisitionMonths : p.months,
      acquisitionsPerMonth: acquisitions)
    return SyntheticHistory(
      parameters: p, customer: customer, day: day, amountCents: amount, event: event, isControl: isControl, region: region,
      truth: truth)
  }

  /// Splits `total` into whole parts proportional to `weights` (largest remainder method).
  static func apportion(_ total: Int, weights: [Double]) -> [Int] {
    let sum = weights.reduce(0, +)
    let exact = weights.map { Double(total) * $0 / sum }
    var parts = exact.map { Int($0.rounded(.down)) }
    let remainders = exact.enumerated().map { ($0.offset, $0.element - Double(parts[$0.offset])) }
      .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    var missing = total - parts.reduce(0, +)
    for (i, _) in remainders where missing > 0 {
      parts[i] += 1
      missing -= 1
    }
    return parts
  }
}

/// Rows written so far by all chunks, against a limit.
private final class RowTally: @unchecked Sendable {
  private let lock = NSLock()
  private let limit: Int
  private var total = 0
  init(limit: Int) { self.limit = limit }
  /// Adds `count` rows; false once the total is past the limit.
  func add(_ count: Int) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    total += count
    return total <= limit
  }
  var exceeded: Bool {
    lock.lock()
    defer { lock.unlock() }
    return total > limit
  }
}

/// Rows and counters of one chunk of customers.
struct RowBuffer {
  var customer: [Int32] = []
  var day: [Int32] = []
  var amountCents: [Int64] = []
  var event: [TransactionEvent] = []
  var buyers = 0
  var leads = 0
  var convertedLeads = 0
  var purchaseOccasions = 0
  var returns = 0

  mutating func append(_ c: Int, _ d: Int, _ cents: Int64, _ e: TransactionEvent) {
    customer.append(Int32(c))
    day.append(Int32(d))
    amountCents.append(cents)
    event.append(e)
  }
}

private struct Context: Sendable {
  var p: GeneratorParameters
  let startDay: Int
  let endDay: Int
  let launchDay: Int
  let monthStarts: [Int]
  let customerMonth: [Int32]
  let seasonByDay: [Double]
  let isControl: [Bool]
  let region: [UInt8]
  let regionLaunchDays: [Int]

  func simulateCustomer(_ c: Int, into rows: inout RowBuffer) {
    // A control customer never gets the effects; a region's customers get them from its launch.
    if !isControl.isEmpty && isControl[c] {
      var untreated = self
      untreated.p.launchChurn = 0
      untreated.p.launchConversion = 0
      untreated.p.launchFrequency = 0
      untreated.p.launchSpend = 0
      return untreated.simulateBehaviour(c, launchDay: launchDay, into: &rows)
    }
    simulateBehaviour(c, launchDay: region.isEmpty ? launchDay : regionLaunchDays[Int(region[c])], into: &rows)
  }

  private func simulateBehaviour(_ c: Int, launchDay: Int, into rows: inout RowBuffer) {
    var rng = RandomSource(seed: p.seed, stream: UInt64(c))
    let month = Int(customerMonth[c])
    let monthLength = monthStarts[month + 1] - monthStarts[month]
    let acquisitionDay = monthStarts[month] + Int(rng.uniform() * Double(monthLength))

    // Latent traits are drawn for everyone, leads included, so that a
    // customer's stream does not shift with the lead decision.
    let rate = rng.gamma(shape: p.purchaseRateShape) * p.purchaseRateMeanPerMonth / p.purchaseRateShape
    let hazard = rng.beta(p.dropoutAlpha, p.dropoutBeta)
    let spendLocation = log(p.spendMedian) + p.spendBetweenSigma * rng.normal()

    var firstPurchaseDay = acquisitionDay
    if rng.uniform() < p.leadShare {
      rows.leads += 1
      rows.append(c, acquisitionDay, 0, .lead)
      let multiplier = acquisitionDay >= launchDay ? 1 + p.launchConversion : 1
      let converts = rng.uniform() < min(1, p.leadConversion * multiplier)
      let delay = 1 + Int(rng.exponential() * p.leadConversionDelayDays)
      guard converts, acquisitionDay + delay < endDay else { return }
      rows.convertedLeads += 1
      firstPurchaseDay = acquisitionDay + delay
    }
    rows.buyers += 1

    // Death time under a piecewise-constant hazard that changes at the launch.
    let dailyHazard = -log1p(-min(hazard, 1 - 1e-12)) / SyntheticHistoryGenerator.daysPerMonth
    let postHazard = dailyHazard * (1 + p.launchChurn)
    func deathTime(from start: Double, budget: Double) -> Double {
      if Double(launchDay) <= start {
        return postHazard > 0 ? start + budget / postHazard : .infinity
      }
      let preDays = Double(launchDay) - start
      if budget < dailyHazard * preDays {
        return start + budget / dailyHazard
      }
      let rest = budget - dailyHazard * preDays
      return postHazard > 0 ? Double(launchDay) + rest / postHazard : .infinity
    }
    let budget = rng.exponential()
    let start = Double(firstPurchaseDay)
    var stop = min(deathTime(from: start, budget: budget), Double(endDay))
    // Dormant spells draw from their own stream, so the first alive spell is the same as
    // without them (and the default draws nothing more).
    var spellRNG = RandomSource(seed: p.seed ^ 0x5EED_D0E5_CA11_BAC4, stream: UInt64(c))

    // Purchases: the first at firstPurchaseDay, then a thinned Poisson process.
    // Ageing multiplies the rate by a factor <= 1, so maxRate stays a bound.
    let dailyRate = rate / SyntheticHistoryGenerator.daysPerMonth
    // Regular buying (`purchaseRegularity` k): the process runs k times as fast and every k-th
    // event is a purchase, so the gaps are Erlang-k on the same clock with the same mean.
    let phases = p.purchaseRegularity ?? 1
    let maxRate = dailyRate * (1 + p.purchaseSeasonality) * max(1, 1 + p.launchFrequency) * Double(phases)
    let ageing = p.ageing
    var phase = 0
    var lastPurchaseDay = -1
    var t = start
    var isFirst = true
    while true {
      var d = Int(t)
      if d >= endDay { break }
      if !isFirst && t >= stop {
        // Dropout: permanent, or a dormant spell after which the customer returns with a purchase.
        guard p.wakeRatePerDay > 0, stop < Double(endDay) else { break }
        let wake = stop + spellRNG.exponential() / p.wakeRatePerDay
        guard wake < Double(endDay) else { break }
        stop = min(deathTime(from: wake, budget: spellRNG.exponential()), Double(endDay))
        t = wake
        d = Int(t)
        isFirst = true
        rows.returns += 1
      }
      var accept = isFirst
      if !isFirst {
        let seasonal = seasonByDay[d - startDay]
        let launchFactor = d >= launchDay ? 1 + p.launchFrequency : 1
        var target = dailyRate * seasonal * launchFactor * Double(phases)
        if ageing > 0 { target *= pow(1 + (t - start) / 365, -ageing) }
        accept = rng.uniform() * maxRate < target
        if accept {
          phase += 1
          if phase < phases { accept = false } else { phase = 0 }
        }
      } else {
        phase = 0
      }
      if accept {
        let spendFactor = d >= launchDay ? 1 + p.launchSpend : 1
        let amount = exp(spendLocation + p.spendSigma * rng.normal()) * spendFactor
        let cents = max(1, Int64((amount * 100).rounded()))
        rows.append(c, d, cents, .purchase)
        if d != lastPurchaseDay { rows.purchaseOccasions += 1 }
        lastPurchaseDay = d
        if rng.uniform() < p.refundRate {
          let refundDay = d + 1 + Int(rng.uniform() * 30)
          if refundDay < endDay { rows.append(c, refundDay, -cents, .refund) }
        }
      }
      isFirst = false
      guard maxRate > 0 else { break }
      t += rng.exponential() / maxRate
    }
  }
}

/// How much more or less than the average customer of its state each customer is expected to
/// buy and spend, from its own purchase history: what a chain over states cannot see.
///
/// A chain gives every customer of a state the same future, so within a state heavy buyers are
/// under-predicted and one-time buyers over-predicted. Here each customer's purchase rate and
/// spend per purchase are estimated with empirical-Bayes shrinkage (the gamma-Poisson and
/// normal-normal models behind BG/NBD and gamma-gamma), and the weights are normalised to a mean
/// of 1 within each state, so the per-customer predictions still add up to the chain's.
///
/// ```
/// repeat rate      x_c repeats over t_c periods after the first purchase
///                  lambda_c = (a + x_c) / (a / m + t_c),  m = sum x / sum t,  a = m^2 / Var(lambda) (moments)
/// spend/purchase   s_c = (k mu + n_c mean_c) / (k + n_c),  k = within variance / between variance (moments)
/// weights          purchases: lambda_c / mean over the state;  revenue: lambda_c s_c / mean over the state
/// ```
public struct OwnHistoryWeights: Sendable {
  /// Per customer (1 for customers outside the base or without a purchase).
  public var purchases: [Double]
  /// Per customer: the revenue weight (1 for customers outside the base or without a purchase).
  public var revenue: [Double]
  /// The fitted gamma shape of repeat rates (small: customers differ a lot) and the spend
  /// pseudo-count (purchases a customer needs before its own mean counts half); nil when the
  /// data shows no spread beyond noise.
  public var rateShape: Double?
  /// (see `rateShape`)
  public var spendPseudoCount: Double?

  /// - Parameters:
  ///   - states: per customer, its state at `through` (-1: not in the base).
  ///   - through: the last day of history to read.
  public init(_ table: TransactionTable, states: [Int32], stateCount: Int, period: PeriodKind, through: CalendarDay) {
    let n = table.customerCount
    let last = period.index(of: through)
    var repeats = [Double](repeating: 0, count: n), exposure = [Double](repeating: 0, count: n)
    var occasions = [Double](repeating: 0, count: n), spend = [Double](repeating: 0, count: n), spendSquares = [Double](repeating: 0, count: n)
    var included = [Bool](repeating: false, count: n)
    for c in 0..<n where states[c] >= 0 {
      var first: Int32?
      for r in table.rows(of: c) where table.day[r] <= through.dayNumber && table.event[r] == .purchase {
        if first == nil { first = table.day[r] }
        occasions[c] += 1
        spend[c] += table.amount[r]
        spendSquares[c] += table.amount[r] * table.amount[r]
      }
      guard let first else { continue }
      included[c] = true
      repeats[c] = occasions[c] - 1
      exposure[c] = Double(last - period.index(of: CalendarDay(dayNumber: first)))
    }
    let members = (0..<n).filter { included[$0] }

    // Repeat rate: moments of x/t over customers with exposure.
    let exposed = members.filter { exposure[$0] > 0 }
    let m = exposed.reduce(0) { $0 + repeats[$1] } / max(1e-12, exposed.reduce(0) { $0 + exposure[$1] })
    var shape: Double?
    if exposed.count >= 30 && m > 0 {
      let rates = exposed.map { repeats[$0] / exposure[$0] }
      let mean = rates.reduce(0, +) / Double(rates.count)
      let variance = rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rates.count - 1)
      let noise = m * exposed.reduce(0) { $0 + 1 / exposure[$1] } / Double(exposed.count)
      if variance > noise { shape = min(1e4, max(0.05, m * m / (variance - noise))) }
    }
    var rate = [Double](repeating: 1, count: n)
    if let a = shape {
      for c in members { rate[c] = (a + repeats[c]) / (a / m + exposure[c]) }
    }

    // Spend per purchase: empirical Bayes over the members' purchases.
    var spendPer = [Double](repeating: 1, count: n)
    let (mu, pseudo) = SpendShrinkage.estimate(spending: { (occasions[$0], spend[$0], spendSquares[$0]) }, customers: members)
    if let k = pseudo {
      for c in members where occasions[c] > 0 { spendPer[c] = SpendShrinkage.shrunk(spend: spend[c], occasions: occasions[c], mean: mu, pseudoCount: k) }
    }

    // Normalise within each state.
    var rateSum = [Double](repeating: 0, count: stateCount), valueSum = [Double](repeating: 0, count: stateCount)
    var count = [Double](repeating: 0, count: stateCount)
    for c in members {
      let s = Int(states[c])
      rateSum[s] += rate[c]
      valueSum[s] += rate[c] * spendPer[c]
      count[s] += 1
    }
    purchases = [Double](repeating: 1, count: n)
    revenue = [Double](repeating: 1, count: n)
    for c in members {
      let s = Int(states[c])
      if rateSum[s] > 0 { purchases[c] = rate[c] * count[s] / rateSum[s] }
      if valueSum[s] > 0 { revenue[c] = rate[c] * spendPer[c] * count[s] / valueSum[s] }
    }
    rateShape = shape
    spendPseudoCount = pseudo
  }
}

/// Spend per purchase by empirical Bayes (Bühlmann's credibility, by moments), as behind
/// Gamma-Gamma: a customer's mean spend is pulled toward the base's mean by `k` pseudo-purchases,
/// `k` = the expected within-customer variance / the variance of the customers' means.
///
/// Spend varies in proportion to its level: a customer who spends twice as much per purchase
/// varies twice as much around its own mean (a constant coefficient of variation `v`, as in
/// Gamma-Gamma, where each customer's amounts are Gamma with the same shape and its own scale).
/// So `v^2` is read from the customers with 2+ purchases relative to their level, and the
/// expected within variance is `v^2 E[m^2]` over all customers. The raw within variance of the
/// repeat buyers would stand for every customer's. Repeat buyers spend more per purchase, so it
/// would overstate the one-time buyers' variance and shrink them too hard. On CDNOW it put `k` at
/// 15-28 on 4-5 months of data (4-6 on 12-18 months), and holdout spend per purchase ran 8-10%
/// ahead of the early estimates. Read relative, `k` is 0.8-1.0 at every calibration end and the
/// gap is 0-3%.
///
/// A customer with mean `zbar` over `n` purchases has `E[zbar^2] = m^2 (n + v^2) / n` and
/// `E[sum (z - zbar)^2] = (n - 1) v^2 m^2`. So `v^2` solves `sum (z - zbar)^2 = v^2 sum (n - 1)
/// zbar^2 n / (n + v^2)` over the repeat buyers. Sums, not a mean of per-customer ratios: a
/// customer's deviations and its mean rise together, and the ratios read `v^2` 14% low on a
/// lognormal base. `E[m^2]` is the mean of `zbar^2 n / (n + v^2)`. The spread of the customer
/// means beyond their noise, `v^2 mean(zbar^2 / (n + v^2))`, is the variance of the true means.
/// Nil `pseudoCount`: customers do not differ beyond noise (or there are fewer than 30 repeat
/// buyers, or no positive mean to shrink toward), so everyone gets the base's mean.
enum SpendShrinkage {
  /// - Parameters: `spending` gives a customer's purchases, total spend and sum of squared
  ///   purchase amounts; `customers` are the ones to read.
  static func estimate<Customers: Collection<Int>>(
    spending: (Int) -> (occasions: Double, revenue: Double, squaredAmounts: Double), customers: Customers
  ) -> (mean: Double, pseudoCount: Double?) {
    // One pass, with sums per purchase count: the terms that depend on `v^2` depend on a
    // customer only through `zbar^2` and `n`. Arrays per customer were 40-80 MB at the top of
    // `fit`'s memory with a million customers, and each pass over them reads every row.
    var spendSum = 0.0, occasionSum = 0.0, repeaters = 0, deviations = 0.0
    var buyers = 0, meanSum = 0.0
    /// Per purchase count `n`: the sum of `zbar^2` over the buyers, and of `(n - 1) zbar^2 n`
    /// over the repeat buyers with a positive mean.
    var squaredMeans: [Double: (all: Double, repeat: Double)] = [:]
    for c in customers {
      let (occasions, spend, squares) = spending(c)
      guard occasions > 0 else { continue }
      buyers += 1
      spendSum += spend
      occasionSum += occasions
      let customerMean = spend / occasions
      meanSum += customerMean
      var sums = squaredMeans[occasions] ?? (0, 0)
      sums.all += customerMean * customerMean
      if occasions >= 2, spend > 0 {
        repeaters += 1
        deviations += max(0, squares - spend * customerMean)
        sums.repeat += (occasions - 1) * customerMean * customerMean * occasions
      }
      squaredMeans[occasions] = sums
    }
    let mean = spendSum / max(1, occasionSum)
    guard repeaters >= 30, mean > 0 else { return (mean, nil) }
    // In the order of the purchase counts: a dictionary's own order changes from run to run, and
    // with it the last digits of the sums (the fit from a summary must equal the fit from rows).
    let counts = squaredMeans.sorted { $0.key < $1.key }
    // The fixed point of v^2 = deviations / sum (n - 1) zbar^2 n / (n + v^2). The right side
    // rises with v^2 at a slope below v^2 / (2 + v^2) < 1, so the iteration from 0 climbs to it.
    var v2 = 0.0
    for _ in 0..<100 {
      let scale = counts.reduce(0.0) { $0 + $1.value.repeat / ($1.key + v2) }
      let next = scale > 0 ? deviations / scale : 0
      let settled = abs(next - v2) <= 1e-12 * max(1, next)
      v2 = next
      if settled { break }
    }
    let count = Double(buyers)
    let grand = meanSum / count
    let spread = max(0, counts.reduce(0.0) { $0 + $1.value.all } - count * grand * grand)
    let meanSquare = counts.reduce(0.0) { $0 + $1.value.all * $1.key / ($1.key + v2) }
    let noise = counts.reduce(0.0) { $0 + $1.value.all / ($1.key + v2) }
    let between = spread / max(1, count - 1) - v2 * noise / count
    return (mean, between > 0 ? v2 * (meanSquare / count) / between : nil)
  }

  /// A customer's shrunk mean spend per purchase (never below 0).
  static func shrunk(spend: Double, occasions: Double, mean: Double, pseudoCount k: Double) -> Double {
    max(0, (k * mean + spend) / (k + occasions))
  }
}

/// Spend per purchase by empirical Bayes (normal-normal, by moments), as behind Gamma-Gamma: a
/// customer's mean spend is pulled toward the base's mean by `k` pseudo-purchases,
/// `k` = within-customer variance / between-customer variance.
///
/// The within variance comes from customers with 2+ purchases; the between variance is the spread
/// of customer means beyond what the within variance explains. Nil `pseudoCount`: customers do
/// not differ beyond noise (or fewer than 30 repeat buyers, or no positive mean to shrink toward),
/// so everyone gets the base's mean.
enum SpendShrinkage {
  /// - Parameters: `spending` gives a customer's purchases, total spend and sum of squared
  ///   purchase amounts; `customers` are the ones to read.
  static func estimate<Customers: Collection<Int>>(
    spending: (Int) -> (occasions: Double, revenue: Double, squaredAmounts: Double), customers: Customers
  ) -> (mean: Double, pseudoCount: Double?) {
    // Two passes over the customers, each sum in customer order, rather than arrays of them:
    // with a million customers, arrays of spend, buyers, repeaters and means were 40-80 MB at
    // the top of `fit`'s memory.
    var spendSum = 0.0, occasionSum = 0.0, repeaters = 0, within = 0.0, degrees = 0.0
    var buyers = 0, meanSum = 0.0, inverseOccasions = 0.0
    for c in customers {
      let (occasions, spend, squares) = spending(c)
      guard occasions > 0 else { continue }
      buyers += 1
      spendSum += spend
      occasionSum += occasions
      meanSum += spend / occasions
      inverseOccasions += 1 / occasions
      if occasions >= 2 {
        repeaters += 1
        within += max(0, squares - spend * spend / occasions)
        degrees += occasions - 1
      }
    }
    let mean = spendSum / max(1, occasionSum)
    guard repeaters >= 30, mean > 0 else { return (mean, nil) }
    within /= degrees
    let count = Double(buyers)
    let grand = meanSum / count
    var spread = 0.0
    for c in customers {
      let (occasions, spend, _) = spending(c)
      guard occasions > 0 else { continue }
      spread += (spend / occasions - grand) * (spend / occasions - grand)
    }
    let between = spread / max(1, count - 1) - within * inverseOccasions / count
    return (mean, between > 0 ? within / between : nil)
  }

  /// A customer's shrunk mean spend per purchase (never below 0).
  static func shrunk(spend: Double, occasions: Double, mean: Double, pseudoCount k: Double) -> Double {
    max(0, (k * mean + spend) / (k + occasions))
  }
}

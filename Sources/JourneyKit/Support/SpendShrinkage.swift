/// Spend per purchase by empirical Bayes (normal-normal, by moments), as behind Gamma-Gamma: a
/// customer's mean spend is pulled toward the base's mean by `k` pseudo-purchases,
/// `k` = within-customer variance / between-customer variance.
///
/// The within variance comes from customers with 2+ purchases; the between variance is the spread
/// of customer means beyond what the within variance explains. Nil `pseudoCount`: customers do
/// not differ beyond noise (or fewer than 30 repeat buyers, or no positive mean to shrink toward),
/// so everyone gets the base's mean.
enum SpendShrinkage {
  /// - Parameters: per customer, total spend, sum of squared purchase amounts and purchases;
  ///   `customers` are the ones to read.
  static func estimate<Customers: Collection<Int>>(
    spend: [Double], squares: [Double], occasions: [Double], customers: Customers
  ) -> (mean: Double, pseudoCount: Double?) {
    // Passes over the customers rather than arrays of them: with a million customers, the
    // arrays of buyers, repeaters and means were 40 MB at the top of `fit`'s memory.
    let buyers = customers.lazy.filter { occasions[$0] > 0 }
    let mean = buyers.reduce(0) { $0 + spend[$1] } / max(1, buyers.reduce(0) { $0 + occasions[$1] })
    let repeaters = buyers.filter { occasions[$0] >= 2 }
    guard repeaters.count >= 30, mean > 0 else { return (mean, nil) }
    var within = 0.0, degrees = 0.0
    for c in repeaters {
      within += max(0, squares[c] - spend[c] * spend[c] / occasions[c])
      degrees += occasions[c] - 1
    }
    within /= degrees
    let means = buyers.map { spend[$0] / occasions[$0] }
    let count = Double(buyers.count)
    let grand = means.reduce(0, +) / count
    let between = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / max(1, count - 1)
      - within * buyers.reduce(0) { $0 + 1 / occasions[$1] } / count
    return (mean, between > 0 ? within / between : nil)
  }

  /// A customer's shrunk mean spend per purchase (never below 0).
  static func shrunk(spend: Double, occasions: Double, mean: Double, pseudoCount k: Double) -> Double {
    max(0, (k * mean + spend) / (k + occasions))
  }
}

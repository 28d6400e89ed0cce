import Foundation

/// How a customer's spend per purchase goes with its purchase rate: its mean log amount is normal
/// around `intercept + slope * log(purchase rate a day)`, with variance `between + within / n` for
/// `n` purchases (customers differ by `between` around the line; one purchase's log amount varies
/// by `within` around its customer's mean).
///
/// Gamma-Gamma, and the spend part of this model before it, take spend and buying to be
/// independent. On CDNOW they are not: fitted to 1997-09-30, two-time buyers in the top third by
/// spend made 0.90 purchases each over the next nine months, the bottom third 0.65, all forecast
/// 0.76; revenue came out 4-9% below the transactions' error at the first seven monthly ends.
/// With the link, what a customer spends is evidence of how often it buys, as its purchase days
/// are: it enters each customer's posterior over the grid beside them (Fader, Hardie & Lee's
/// covariates of the purchase rate, with spend as the covariate and its noise modelled). Where
/// spend and buying are unrelated the slope reads about 0 and nothing moves.
public struct SpendLink: Codable, Sendable, Equatable {
  /// Mean log amount at a purchase rate of 1 a day.
  public var intercept: Double
  /// Change of the mean log amount per unit of log purchase rate: customers who buy twice as often
  /// spend `2^slope` times as much per purchase.
  public var slope: Double
  /// Variance of customers' mean log amounts around the line, their own noise left out.
  public var between: Double
  /// Variance of one purchase's log amount around its customer's mean (pooled over customers with
  /// two or more purchases).
  public var within: Double

  public init(intercept: Double, slope: Double, between: Double, within: Double) {
    self.intercept = intercept
    self.slope = slope
    self.between = between
    self.within = within
  }

  /// The log density of a mean log amount `meanLog` over `purchases` purchases at log purchase
  /// rate `logRate`, constants dropped.
  func logDensity(meanLog: Double, purchases: Double, logRate: Double) -> Double {
    let variance = between + within / purchases
    let residual = meanLog - intercept - slope * logRate
    return -0.5 * (residual * residual / variance + Foundation.log(variance))
  }

  /// The smallest `between` the fit keeps: a line that left no spread at all would make one
  /// customer's spend decide its purchase rate.
  static let minimumBetween = 1e-3
}

/// A model's spend link evaluated over grid points, to add to each customer's log posterior.
struct SpendTerms {
  let link: SpendLink
  /// Per grid point of the row: the log of its purchase rate.
  let logRates: [Double]

  /// Nil when the model has no link.
  init?(_ model: ActivityModel, points: [Int]) {
    guard let link = model.spendLink else { return nil }
    self.link = link
    logRates = points.map { Foundation.log(model.rates(ofGridPoint: $0).lambda) }
  }

  /// Adds customer `c`'s spend term to its row of log likelihoods; nothing for a customer with no
  /// positive purchase amount.
  func add(_ h: PurchaseHistories, customer c: Int, into row: inout [Double]) {
    guard let spend = h.logSpend(of: c) else { return }
    // `logDensity` with its constant in the customer (the variance's log) left out: a posterior
    // does not see it, and a million customers times the grid is too many logarithms for `score`.
    let halfPrecision = 0.5 / (link.between + link.within / spend.purchases)
    let centred = spend.mean - link.intercept
    for g in logRates.indices {
      let residual = centred - link.slope * logRates[g]
      row[g] -= halfPrecision * residual * residual
    }
  }
}

extension ActivityModel {
  /// The spend link read from `customers` by EM, the mixing distribution held as fitted (it is read
  /// from purchase days alone, and stays a sound estimate of how the base buys): each customer's
  /// posterior over the grid takes the link's density of its mean log amount, and the line is
  /// refitted by least squares weighted by those posteriors and each customer's precision, the
  /// spread around it from the weighted squared residuals less each customer's own noise.
  /// Nil when no customer has two purchases to read `within` from.
  func fittedSpendLink(_ h: PurchaseHistories, customers: [Int], iterations: Int = 200) -> SpendLink? {
    let read = customers.compactMap { c in h.logSpend(of: c).map { (customer: c, spend: $0) } }
    guard read.count >= 2, let within = h.withinCustomerLogSpendVariance(of: read.map(\.customer)) else { return nil }
    // The link reads the purchase rate alone, so each customer's posterior is needed only over the
    // purchase rates: its likelihood times the weights, summed over the dormancy rates.
    let rates = purchaseRates.count, dormancy = dormancyRates.count
    let logRates = purchaseRates.map { Foundation.log($0) }
    let clock = self.clock(from: h.firstDay, through: h.through.dayNumber + 1)
    let posteriorsOf = ActivityPosteriors(self, h, customers: read.map(\.customer), clock: clock, readingSpend: false)
    let support = posteriorsOf.support
    var logPrior = [Double](repeating: 0, count: read.count * rates)
    var row = [Double](repeating: 0, count: support.count), byRate = [Double](repeating: 0, count: rates)
    var gaps: [Int32] = []
    for (i, (c, _)) in read.enumerated() {
      // Scaled posteriors (the largest 1) summed over the dormancy rates: the log prior of each
      // purchase rate up to a constant in the customer, which the EM's normalization drops.
      _ = posteriorsOf.read(h, customer: c, gaps: &gaps, into: &row)
      for r in 0..<rates { byRate[r] = 0 }
      for (k, g) in support.enumerated() { byRate[g / dormancy] += row[k] }
      for r in 0..<rates { logPrior[i * rates + r] = byRate[r] > 0 ? Foundation.log(byRate[r]) : -.infinity }
    }

    let n = Double(read.count)
    let meanLog = read.reduce(0) { $0 + $1.spend.mean } / n
    let spread = read.reduce(0) { $0 + ($1.spend.mean - meanLog) * ($1.spend.mean - meanLog) } / n
    let noise = read.reduce(0) { $0 + within / $1.spend.purchases } / n
    var link = SpendLink(intercept: meanLog, slope: 0, between: max(SpendLink.minimumBetween, spread - noise), within: within)
    var posterior = [Double](repeating: 0, count: rates)
    for _ in 0..<iterations {
      // Weighted least squares of the mean log amount on the log purchase rate: sums of w, w x,
      // w x^2, w y, w x y with w = posterior / variance; and the posterior's squared residuals.
      var s0 = 0.0, s1 = 0.0, s2 = 0.0, t0 = 0.0, t1 = 0.0, residuals = 0.0
      for (i, (_, spend)) in read.enumerated() {
        var top = -Double.infinity
        for r in 0..<rates {
          posterior[r] = logPrior[i * rates + r] + link.logDensity(meanLog: spend.mean, purchases: spend.purchases, logRate: logRates[r])
          top = max(top, posterior[r])
        }
        var total = 0.0
        for r in 0..<rates { posterior[r] = Foundation.exp(posterior[r] - top); total += posterior[r] }
        let ownNoise = within / spend.purchases
        let precision = 1 / (link.between + ownNoise)
        for r in 0..<rates where posterior[r] > 0 {
          let p = posterior[r] / total, x = logRates[r], y = spend.mean
          let w = p * precision
          s0 += w; s1 += w * x; s2 += w * x * x; t0 += w * y; t1 += w * x * y
          let e = y - link.intercept - link.slope * x
          residuals += p * (e * e - ownNoise)
        }
      }
      let determinant = s0 * s2 - s1 * s1
      guard determinant > 1e-12 * s0 * s2 else { break }
      let next = SpendLink(
        intercept: (s2 * t0 - s1 * t1) / determinant, slope: (s0 * t1 - s1 * t0) / determinant,
        between: max(SpendLink.minimumBetween, residuals / n), within: within)
      let moved = max(abs(next.intercept - link.intercept), abs(next.slope - link.slope), abs(next.between - link.between))
      link = next
      if moved < 1e-7 { break }
    }
    return link
  }
}

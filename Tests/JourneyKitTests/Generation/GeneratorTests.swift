import Foundation
@testable import JourneyKit
import Testing

@Suite("Synthetic history generator")
struct GeneratorTests {
  func parameters(customers: Int = 3_000, seed: UInt64 = 1) -> GeneratorParameters {
    var p = GeneratorParameters()
    p.customers = customers
    p.seed = seed
    return p
  }

  /// More rows than the limit is an error, found while generating (every chunk stops early);
  /// at exactly the rows the parameters write, the history is the one without a limit.
  @Test func rowsBeyondTheLimitAreRefused() throws {
    var p = GeneratorParameters()
    p.customers = 6_000
    p.seed = 3
    let full = try SyntheticHistoryGenerator.generate(p)
    #expect(full.rowCount > 20_000)
    #expect(throws: GeneratorError.tooManyRows(limit: full.rowCount - 1)) {
      try SyntheticHistoryGenerator.generate(p, rowLimit: full.rowCount - 1)
    }
    #expect(throws: GeneratorError.tooManyRows(limit: 5_000)) { try SyntheticHistoryGenerator.generate(p, rowLimit: 5_000) }
    let exact = try SyntheticHistoryGenerator.generate(p, rowLimit: full.rowCount)
    #expect(exact.csvBytes() == full.csvBytes())
    #expect(GeneratorError.tooManyRows(limit: 100_000_000).description.hasPrefix("the history would pass 100,000,000 rows, the limit"))
  }

  @Test func sameSeedSameBytes() throws {
    let a = try SyntheticHistoryGenerator.generate(parameters()).csvBytes()
    let b = try SyntheticHistoryGenerator.generate(parameters()).csvBytes()
    #expect(a == b)
    let c = try SyntheticHistoryGenerator.generate(parameters(seed: 2)).csvBytes()
    #expect(a != c)
  }

  @Test func truthCountsMatchTheRows() throws {
    let h = try SyntheticHistoryGenerator.generate(parameters())
    let t = h.truth.counts
    #expect(t.rows == h.rowCount)
    #expect(Set(h.customer).count == t.customers)
    #expect(t.customers == 3_000)
    #expect(h.event.filter { $0 == .lead }.count == t.leads)
    #expect(h.event.filter { $0 == .purchase }.count == t.purchaseRows)
    #expect(h.event.filter { $0 == .refund }.count == t.refundRows)
    let occasions = Set(zip(h.customer, h.day).enumerated().filter { h.event[$0.offset] == .purchase }.map { "\($0.element.0)-\($0.element.1)" })
    #expect(occasions.count == t.purchaseOccasions)
    let buyers = Set(zip(h.customer, h.event).filter { $0.1 == .purchase }.map(\.0))
    #expect(buyers.count == t.buyers)
    #expect(h.truth.acquisitionsPerMonth.reduce(0, +) == 3_000)
    // Rows are in date order and inside the span.
    #expect(zip(h.day, h.day.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(h.day.first! >= h.parameters.start.dayNumber && h.day.last! < h.parameters.end.dayNumber)
  }

  @Test func everyPurchaseIsPositiveAndEveryRefundNegative() throws {
    let h = try SyntheticHistoryGenerator.generate(parameters())
    for (e, cents) in zip(h.event, h.amountCents) {
      switch e {
      case .purchase: #expect(cents > 0)
      case .refund: #expect(cents < 0)
      case .lead: #expect(cents == 0)
      }
    }
  }

  @Test func csvLooksLikeAnExport() throws {
    let h = try SyntheticHistoryGenerator.generate(parameters(customers: 200))
    let text = String(decoding: h.csvBytes(), as: UTF8.self)
    let lines = text.split(separator: "\n")
    #expect(lines.first == "customer_id,date,amount,event")
    #expect(lines.count == h.rowCount + 1)
    let firstRow = lines[1].split(separator: ",")
    #expect(firstRow.count == 4)
    #expect(firstRow[0].hasPrefix("C") && firstRow[0].count == 8)
    #expect(CalendarDay(iso: String(firstRow[1])) != nil)
    #expect(Double(firstRow[2]) != nil)
  }

  @Test func plantedChurnEffectLowersDropoutAfterLaunch() throws {
    // Compare the share of customers whose last purchase falls well before the end,
    // among customers first buying just before vs after an extreme planted effect.
    var base = parameters(customers: 20_000, seed: 3)
    base.leadShare = 0
    base.refundRate = 0
    base.launch = CalendarDay(year: 2024, month: 1, day: 1)
    var planted = base
    planted.launchChurn = -0.9
    func meanPurchasesPerBuyer(_ p: GeneratorParameters) throws -> Double {
      let h = try SyntheticHistoryGenerator.generate(p)
      return Double(h.truth.counts.purchaseRows) / Double(h.truth.counts.buyers)
    }
    #expect(try meanPurchasesPerBuyer(planted) > 1.3 * meanPurchasesPerBuyer(base))
  }

  @Test func meanPurchaseRateIsRecovered() throws {
    // Without dropout (beta huge), seasonality or leads, purchases per customer-month ≈ the rate.
    var p = parameters(customers: 20_000, seed: 4)
    p.dropoutAlpha = 1e-6
    p.dropoutBeta = 1e6
    p.purchaseSeasonality = 0
    p.leadShare = 0
    p.refundRate = 0
    p.months = 12
    let h = try SyntheticHistoryGenerator.generate(p)
    // Exposure: from each customer's first purchase to the end of the span, in months.
    var firstDay = [Int32: Int32]()
    for (c, d) in zip(h.customer, h.day) where firstDay[c] == nil || d < firstDay[c]! { firstDay[c] = d }
    let endDay = Double(p.end.dayNumber)
    let exposureMonths = firstDay.values.reduce(0.0) { $0 + (endDay - Double($1)) / 30.4375 }
    let repeatPurchases = Double(h.truth.counts.purchaseRows - h.truth.counts.buyers)
    let rate = repeatPurchases / exposureMonths
    #expect(abs(rate - 0.6) < 0.03, "estimated \(rate) purchases per month")
  }

  /// `purchaseRegularity`: order 1 is the default history row for row; order 3 keeps the purchase
  /// rate (purchases per buyer within 6%, over two years where dropout takes most customers) and
  /// spaces each customer's purchases as evenly as Erlang-3 (`PurchaseTiming`: 2.6-3.4, against
  /// 0.95-1.25 at order 1, which whole days round a little high). Fails if the phases are not
  /// counted (order 3 reads 1) or the rate is not scaled with them (three times fewer purchases).
  @Test func regularBuyingSpacesPurchasesAndKeepsTheRate() throws {
    var p = parameters(customers: 4_000, seed: 6)
    p.months = 24
    p.purchaseSeasonality = 0
    let poisson = try SyntheticHistoryGenerator.generate(p)
    var one = p
    one.purchaseRegularity = 1
    let same = try SyntheticHistoryGenerator.generate(one)
    #expect(same.customer == poisson.customer && same.day == poisson.day && same.event == poisson.event)
    var three = p
    three.purchaseRegularity = 3
    let regular = try SyntheticHistoryGenerator.generate(three)
    func timing(_ h: SyntheticHistory) throws -> PurchaseTiming {
      var days: [Int32: [Int32]] = [:]
      for i in h.day.indices where h.event[i] == .purchase && days[h.customer[i], default: []].last != h.day[i] {
        days[h.customer[i], default: []].append(h.day[i])
      }
      return try #require(PurchaseTiming(days: days.values.map { $0.sorted() }))
    }
    let orders = (try timing(poisson).erlangOrder, try timing(regular).erlangOrder)
    print("generated timing read as Erlang order \(orders.0) (Poisson) and \(orders.1) (order 3)")
    #expect(orders.0 > 0.95 && orders.0 < 1.25)
    #expect(orders.1 > 2.6 && orders.1 < 3.4)
    let perBuyer = { (h: SyntheticHistory) in Double(h.truth.counts.purchaseRows) / Double(h.truth.counts.buyers) }
    #expect(abs(perBuyer(regular) / perBuyer(poisson) - 1) < 0.06, "\(perBuyer(regular)) against \(perBuyer(poisson))")
    three.purchaseRegularity = 11
    #expect(throws: GeneratorError.self) { try three.validate() }
  }

  /// Each case: the flag the message must name, and how the parameters are broken.
  static let nonsense: [(flag: String, case: Int)] = [
    ("customers", 0), ("months", 1), ("lead-share", 2), ("launch-churn", 3), ("launch", 4), ("launch", 5),
  ]

  @Test(arguments: nonsense)
  func nonsenseIsRejectedNamingTheFlag(flag: String, case index: Int) {
    var p = GeneratorParameters()
    switch index {
    case 0: p.customers = 0
    case 1: p.months = -1
    case 2: p.leadShare = 1.5
    case 3:
      p.launch = CalendarDay(year: 2024, month: 1, day: 1)
      p.launchChurn = -1.2
    case 4: p.launch = CalendarDay(year: 2030, month: 1, day: 1)
    default: p.launchChurn = -0.2
    }
    #expect {
      try p.validate()
    } throws: { error in
      "\(error)".hasPrefix("--\(flag): ")
    }
  }

  @Test func relativeChanges() {
    #expect(RelativeChange(parsing: "-20%")?.value == -0.2)
    #expect(RelativeChange(parsing: "+10%")?.value == 0.1)
    #expect(RelativeChange(parsing: "-0.2")?.value == -0.2)
    for bad in ["", "%", "abc", "20%%", "nan", "inf%", "1e3%", "--5%"] {
      #expect(RelativeChange(parsing: bad) == nil, "\(bad)")
    }
    #expect(RelativeChange(value: -0.2).description == "-20%")
  }
}

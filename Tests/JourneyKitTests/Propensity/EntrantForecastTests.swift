import Foundation
import Testing
@testable import JourneyKit

/// The customers acquired after the history, forecast from the activity model's mix of customers
/// at their first purchase.
@Suite("Entrant forecast")
struct EntrantForecastTests {
  /// Two kinds of customer, 70% buying 0.05 a day and 30% 0.2 a day, both falling dormant at 0.01
  /// a day and waking at 0.002.
  static func model(ageing: Double? = nil) -> ActivityModel {
    var model = ActivityModel(
      purchaseRates: [0.05, 0.2], dormancyRates: [0.01], weights: [0.7, 0.3], wakeRate: 0.002, spendMean: 25,
      spendPseudoCount: nil, through: CalendarDay(year: 2024, month: 6, day: 30)!, fittedCustomers: 100, logLikelihood: 0)
    model.ageing = ageing
    return model
  }

  static let origin = PeriodKind.week.index(of: CalendarDay(year: 2024, month: 6, day: 30)!)

  /// Expected values from the definitions, computed apart from the tool (Python, scipy): for an
  /// entrant whose first purchase is on day i = 0...6 of its week (each 1/7), with
  /// Q = [[-mu, mu], [omega, -omega]] and P(active at t) = expm(Q t)[A, A],
  /// purchases in (a, b] = lambda * quad(P(active at t), a, b), plus the first purchase in its
  /// week; buying in (a, b] = 1 - p(a) expm(M (b - a)) 1, p(a) = expm(Q a)[A, :],
  /// M = [[-mu - lambda, mu], [omega, -omega]]; both mixed 0.7 / 0.3 over the two rates.
  /// Catches: the first purchase left out or counted twice, an interval offset from the wrong
  /// day, the two kinds mixed by anything but the weights, buying read as purchases.
  @Test func oneEntrantPerWeekFollowsTheDefinition() {
    let outlook = Self.model().entrantOutlook(period: .week, origin: Self.origin, steps: 3)
    let expected: [(e: Int, h: Int, purchases: Double, buying: Double)] = [
      (0, 0, 1.3707090484, 1), (0, 1, 0.6175983658, 0.4039631119), (0, 2, 0.5767689437, 0.3772853946),
      (1, 2, 0.6175983658, 0.4039631119),
    ]
    for x in expected {
      #expect(abs(outlook.purchases[x.e][x.h] - x.purchases) < 1e-8, "purchases, entry \(x.e), week \(x.h)")
      #expect(abs(outlook.buying[x.e][x.h] - x.buying) < 1e-8, "buying, entry \(x.e), week \(x.h)")
    }
    // Nothing before its entry.
    #expect(outlook.purchases[2][0] == 0 && outlook.purchases[2][1] == 0 && outlook.buying[1][0] == 0)
  }

  /// With ageing, an entrant ages from its own first purchase: one acquired in week 2 has in
  /// weeks 2 and 3 what one acquired in week 0 has in weeks 0 and 1. Catches a clock whose tenure
  /// runs from the history's first day, or from the origin, instead.
  @Test func anEntrantAgesFromItsOwnFirstPurchase() {
    let outlook = Self.model(ageing: 0.5).entrantOutlook(period: .week, origin: Self.origin, steps: 4)
    for lag in 0..<2 {
      #expect(abs(outlook.purchases[2][2 + lag] - outlook.purchases[0][lag]) < 1e-12)
      #expect(abs(outlook.buying[2][2 + lag] - outlook.buying[0][lag]) < 1e-12)
    }
    // And ageing slows it: fewer repeat purchases in its second week than without ageing.
    let young = Self.model().entrantOutlook(period: .week, origin: Self.origin, steps: 2)
    #expect(outlook.purchases[0][1] < young.purchases[0][1])
  }

  /// The totals: each period's entrants times their expectations, summed over entry periods, and
  /// revenue at the model's mean spend. 10 entrants in week 0 and 4 in week 1, from the values above.
  @Test func totalsAddTheEntrantsOfEachWeek() {
    let f = EntrantForecast(model: Self.model(), period: .week, origin: Self.origin, acquired: [10, 4, 0])
    #expect(abs(f.purchases[0] - 10 * 1.3707090484) < 1e-7)
    #expect(abs(f.purchases[1] - (10 * 0.6175983658 + 4 * 1.3707090484)) < 1e-7)
    #expect(abs(f.purchases[2] - (10 * 0.5767689437 + 4 * 0.6175983658)) < 1e-7)
    #expect(abs(f.buying[1] - (10 * 0.4039631119 + 4)) < 1e-7)
    #expect(abs(f.revenue[2] - 25 * f.purchases[2]) < 1e-9)
  }
}

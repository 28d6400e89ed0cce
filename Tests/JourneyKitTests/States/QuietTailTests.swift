import Foundation
import Testing
@testable import JourneyKit

/// After a churned customer's last row, the counting walk takes the remaining quiet periods at
/// once instead of one by one. The reference is the walk that visits every period: the counts
/// (occupancy, transitions per period, second-order, rewards, acquisitions, reactivations), the
/// states at the window's end and after it must be the same to the last bit.
@Suite("Quiet tails of churned customers")
struct QuietTailTests {
  static let kinds: [StateSpaceKind] = StateSpaceSelection.Options.builtInCandidates

  /// Every built-in space, churned absorbing or not (the way back keeps second-order counts
  /// going through the tail), with and without a split.
  static var cases: [(StateSpaceKind, Bool, String)] {
    kinds.flatMap { k in [false, true].flatMap { r in ["plain", "split"].map { (k, r, $0) } } }
  }

  /// Fails if the shortcut misses a period's occupancy or transition, a second-order count, a
  /// state at the window's end or after it, or takes customers who are not churned.
  @Test(arguments: cases)
  func quietPeriodsAtOnceCountWhatTheWalkCounts(kind: StateSpaceKind, reactivation: Bool, tableName: String) throws {
    let entry = try #require(BacktestOneWalkTests.tables.first { $0.name == tableName })
    var rules = LifecycleRules.defaults(for: .month)
    rules.reactivation = reactivation
    let levels = entry.split.map { entry.table.attributes[$0]!.levels } ?? []
    let space = StateSpace(kind: kind, period: .month, rules: rules, splitBy: entry.split, splitLevels: levels)
    let window = try FitWindow.make(table: entry.table, period: .month, asOf: day("2024-12-31"))
    let on = window.lastPeriod + 6
    let shortcut = StateAssigner.assign(entry.table, space: space, window: window, walkingOnThrough: on)
    let oneByOne = StateAssigner.assign(entry.table, space: space, window: window, walkingOnThrough: on, quietTails: false)
    #expect(shortcut.counts == oneByOne.counts)
    #expect(shortcut.finalState == oneByOne.finalState)
    #expect(shortcut.afterWindow?.acquisitions == oneByOne.afterWindow?.acquisitions)
    #expect(shortcut.afterWindow?.finalState == oneByOne.afterWindow?.finalState)
    // Second-order counts are kept up to 126 states (all but rfm:5): compared above when kept.
    let states = shortcut.stateSpace.count
    #expect((shortcut.counts.secondOrder != nil) == (states * states * states <= 2_000_000))

    // The check can fail: customers go quiet for good well before the window's end.
    let churned = shortcut.stateSpace.states.indices.filter { shortcut.stateSpace.states[$0].stage == .churned }
    let lastRowPeriods = (0..<entry.table.customerCount).map { c in
      entry.table.rows(of: c).last.map { PeriodKind.month.index(of: CalendarDay(dayNumber: entry.table.day[$0])) } ?? .max
    }
    let tails = shortcut.finalState.indices.filter {
      churned.contains(Int(shortcut.finalState[$0])) && lastRowPeriods[$0] < window.lastPeriod - rules.churnAfterPeriods - 1
    }
    #expect(tails.count > 100)
  }
}

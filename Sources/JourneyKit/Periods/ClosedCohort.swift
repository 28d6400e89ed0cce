import Foundation

/// A base acquired once and then closed: the rule `--acquisition` uses to assume no entrants
/// (`AcquisitionAssumption.closedCohortPeriods`), and the activity model to tell a cohort, whose
/// tenure moves with the calendar, from a base still acquiring customers.
public enum ClosedCohort {
  /// The trailing periods of `totals` (entrants per period, the window's first period first) in
  /// which nobody entered, when they are enough to call the base a closed cohort; nil otherwise.
  /// Enough is either
  /// - a quarter of a year's periods, at least 2 (3 months, 13 weeks, 2 quarters), or
  /// - at least a month's worth (1 month, 4 weeks, 1 quarter) when the flow before could not have
  ///   gone quiet that long by chance (Poisson at the window's mean: under 1 in 1,000), and did not
  ///   pause as long anywhere earlier in the window (a business that pauses and comes back).
  /// The window must have had entrants before them.
  ///
  /// A base acquired once (a launch cohort, a bought list, the CDNOW panel) has no entrants to
  /// extrapolate: the means of its window would invent a flow that stopped. On CDNOW, acquired in
  /// January to March 1997, forecasts from 1997-04-30 and 1997-05-31 with the historical mean
  /// came out +307% and +213%.
  public static func quietPeriods(entrants totals: [Double], period: PeriodKind) -> Int? {
    var quiet = 0
    for t in totals.indices.reversed() {
      if totals[t] > 0 { break }
      quiet += 1
    }
    guard quiet >= 1, quiet < totals.count else { return nil }
    let seasons = period.seasonsPerYear
    if quiet >= max(2, seasons / 4) { return quiet }
    guard quiet >= max(1, seasons / 12) else { return nil }
    let before = Array(totals.dropLast(quiet))
    // The window's first period holds everyone whose history starts there, as in `AcquisitionAssumption.inflow`.
    let flow = before.count > 2 ? Array(before.dropFirst()) : before
    let mean = flow.reduce(0, +) / Double(flow.count)
    guard Double(quiet) * mean >= -Foundation.log(0.001) else { return nil }
    var pause = 0
    for total in before {
      pause = total > 0 ? 0 : pause + 1
      if pause >= quiet { return nil }
    }
    return quiet
  }
}

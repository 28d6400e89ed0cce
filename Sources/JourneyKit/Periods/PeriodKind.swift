/// The length of the periods a history is bucketed into: the step of the Markov chain.
///
/// Periods are numbered on a fixed calendar so that a number means the same
/// period in every data set: months as `year * 12 + month - 1`, quarters as
/// `year * 4 + quarter - 1`, ISO weeks (Monday to Sunday) as weeks since the
/// Monday 1969-12-29.
public enum PeriodKind: String, Codable, Sendable, CaseIterable {
  case week, month, quarter

  /// The number of the period that contains `day`.
  @inline(__always)
  public func index(of day: CalendarDay) -> Int {
    switch self {
    case .week:
      // 1969-12-29 (day -3) was a Monday.
      let shifted = Int(day.dayNumber) + 3
      return shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
    case .month:
      let (y, m, _) = day.components
      return y * 12 + m - 1
    case .quarter:
      let (y, m, _) = day.components
      return y * 4 + (m - 1) / 3
    }
  }

  /// The first day of period `index`.
  public func start(of index: Int) -> CalendarDay {
    switch self {
    case .week: return CalendarDay(dayNumber: Int32(index * 7 - 3))
    case .month: return CalendarDay(year: index / 12, month: index % 12 + 1, day: 1)!
    case .quarter: return CalendarDay(year: index / 4, month: (index % 4) * 3 + 1, day: 1)!
    }
  }

  /// The last day of period `index`.
  public func end(of index: Int) -> CalendarDay { start(of: index + 1).adding(days: -1) }

  /// A short label: `2025-W09`, `2025-03`, `2025-Q1`.
  public func label(of index: Int) -> String {
    switch self {
    case .week:
      // The ISO week-numbering year is the year of the week's Thursday.
      let thursday = start(of: index).adding(days: 3)
      let year = thursday.year
      let firstThursdayWeek = PeriodKind.week.index(of: isoWeekOneThursday(year))
      let week = index - firstThursdayWeek + 1
      return "\(year)-W\(week < 10 ? "0" : "")\(week)"
    case .month:
      let m = index % 12 + 1
      return "\(index / 12)-\(m < 10 ? "0" : "")\(m)"
    case .quarter:
      return "\(index / 4)-Q\(index % 4 + 1)"
    }
  }

  /// The position within the year (month 0-11, quarter 0-3, ISO week 0-52), for seasonal fits.
  public func seasonIndex(of index: Int) -> Int {
    switch self {
    case .week: return min(51, (Int(start(of: index).adding(days: 3).dayNumber) - Int(CalendarDay(year: start(of: index).adding(days: 3).year, month: 1, day: 1)!.dayNumber)) / 7)
    case .month: return index % 12
    case .quarter: return index % 4
    }
  }

  /// Seasons per year.
  public var seasonsPerYear: Int {
    switch self {
    case .week: 52
    case .month: 12
    case .quarter: 4
    }
  }

  /// Approximate length in days, for converting day-based defaults.
  public var approximateDays: Double {
    switch self {
    case .week: 7
    case .month: 30.4375
    case .quarter: 91.3125
    }
  }

  /// Periods in about a year (52, 12, 4).
  public var periodsPerYear: Int { seasonsPerYear }
}

/// The Thursday of ISO week 1 of `year` (the week holding the year's first Thursday).
private func isoWeekOneThursday(_ year: Int) -> CalendarDay {
  let january4 = CalendarDay(year: year, month: 1, day: 4)!
  return january4.adding(days: 4 - january4.isoWeekday)
}

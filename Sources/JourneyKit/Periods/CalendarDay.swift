/// A calendar date without time or time zone, stored as days since 1970-01-01.
///
/// Transaction histories are daily; a plain day number makes period bucketing,
/// sorting and differences integer arithmetic. Conversions use Howard Hinnant's
/// `days_from_civil` / `civil_from_days` algorithms (proleptic Gregorian).
///
/// ```swift
/// CalendarDay(year: 2024, month: 3, day: 1).description   // "2024-03-01"
/// CalendarDay(iso: "2024-02-30")                          // nil: no such day
/// ```
public struct CalendarDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// Days since 1970-01-01 (negative before it).
  public var dayNumber: Int32

  /// The day `dayNumber` days after 1970-01-01.
  public init(dayNumber: Int32) { self.dayNumber = dayNumber }

  /// The day for a valid date; nil when the date does not exist (month 13, 30 February).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...12).contains(month), day >= 1, day <= CalendarDay.daysIn(year: year, month: month),
      (1...9999).contains(year)
    else { return nil }
    self.dayNumber = Int32(CalendarDay.daysFromCivil(year: year, month: month, day: day))
  }

  /// Parses exactly `YYYY-MM-DD`.
  public init?(iso text: String) {
    let bytes = Array(text.utf8)
    guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for i in range {
        let digit = Int(bytes[i]) - 48
        guard (0...9).contains(digit) else { return nil }
        value = value * 10 + digit
      }
      return value
    }
    guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
    self.init(year: y, month: m, day: d)
  }

  /// (year, month 1-12, day 1-31).
  public var components: (year: Int, month: Int, day: Int) {
    CalendarDay.civilFromDays(Int(dayNumber))
  }

  /// The year.
  public var year: Int { components.year }
  /// The month, 1-12.
  public var month: Int { components.month }

  /// ISO 8601 weekday: Monday 1 ... Sunday 7.
  public var isoWeekday: Int {
    // 1970-01-01 was a Thursday (4).
    let w = (Int(dayNumber) + 3) % 7
    return (w < 0 ? w + 7 : w) + 1
  }

  /// `YYYY-MM-DD`.
  public var description: String {
    let (y, m, d) = components
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
  }

  /// The day `days` later (earlier when negative).
  public func adding(days: Int) -> CalendarDay { CalendarDay(dayNumber: dayNumber + Int32(days)) }

  /// The same day-of-month `months` later, clamped to the month's last day.
  public func adding(months: Int) -> CalendarDay {
    let (y, m, d) = components
    let total = y * 12 + (m - 1) + months
    let newYear = total / 12
    let newMonth = total % 12 + 1
    let newDay = Swift.min(d, CalendarDay.daysIn(year: newYear, month: newMonth))
    return CalendarDay(year: newYear, month: newMonth, day: newDay)!
  }

  /// The first day of this day's month.
  public var startOfMonth: CalendarDay {
    let (y, m, _) = components
    return CalendarDay(year: y, month: m, day: 1)!
  }

  /// Earlier days come first.
  public static func < (a: CalendarDay, b: CalendarDay) -> Bool { a.dayNumber < b.dayNumber }

  /// Days from `b` to `a` (negative when `a` is earlier).
  public static func - (a: CalendarDay, b: CalendarDay) -> Int { Int(a.dayNumber) - Int(b.dayNumber) }

  /// Decodes a `YYYY-MM-DD` string.
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let day = CalendarDay(iso: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a YYYY-MM-DD date"))
    }
    self = day
  }

  /// Encodes as a `YYYY-MM-DD` string.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  /// Whether `year` is a Gregorian leap year.
  public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

  /// Days in `month` (1-12) of `year`.
  public static func daysIn(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }

  static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    return (y, m, d)
  }
}

private func pad(_ value: Int, _ width: Int) -> String {
  let s = String(value)
  return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

import Foundation

/// Parsers for single fields, working on raw bytes.
///
/// Ingest never makes a `String` per field: at 10 million rows that alone would
/// cost more than the whole read. Each parser takes a pointer and a length and
/// returns a plain value or a sentinel; the slow paths that build messages run
/// only for bad rows.
enum FieldParsing {
  /// Returned by `day(...)` for text that does not match the format.
  static let invalidDay: Int64 = .min
  /// Returned by `day(...)` for a well-formed date that names no real day.
  static let impossibleDay: Int64 = .min + 1

  /// The day number of a date field, or `invalidDay` / `impossibleDay`.
  @inline(__always)
  static func day(_ p: UnsafePointer<UInt8>, _ count: Int, format: DateFormat) -> Int64 {
    if let tokens = format.tokens { return patternDay(p, count, tokens) }
    return isoDay(p, count)
  }

  /// `YYYY-MM-DD`, optionally followed by `T` or a space and a time (ignored).
  @inline(__always)
  static func isoDay(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int64 {
    guard count >= 10, p[4] == 0x2D, p[7] == 0x2D else { return invalidDay }
    let y0 = UInt(p[0] &- 48), y1 = UInt(p[1] &- 48), y2 = UInt(p[2] &- 48), y3 = UInt(p[3] &- 48)
    let m0 = UInt(p[5] &- 48), m1 = UInt(p[6] &- 48), d0 = UInt(p[8] &- 48), d1 = UInt(p[9] &- 48)
    // A non-digit wraps to a value >= 10; `max` keeps this free of branches.
    guard max(max(max(y0, y1), max(y2, y3)), max(max(m0, m1), max(d0, d1))) < 10 else { return invalidDay }
    if count > 10 && !isTimeSuffix(p + 10, count - 10) { return invalidDay }
    let year = Int(y0 * 1000 + y1 * 100 + y2 * 10 + y3)
    return civilDay(year: year, month: Int(m0 * 10 + m1), day: Int(d0 * 10 + d1))
  }

  /// The day number of a valid date, or `impossibleDay`.
  @inline(__always)
  static func civilDay(year: Int, month: Int, day: Int) -> Int64 {
    guard month >= 1, month <= 12, day >= 1, year >= 1 else { return impossibleDay }
    if day > 28 && day > CalendarDay.daysIn(year: year, month: month) { return impossibleDay }
    return Int64(CalendarDay.daysFromCivil(year: year, month: month, day: day))
  }

  /// A time part after a date: `T14:30:00`, ` 14:30`, `T14:30:00.123+01:00`, `T14:30Z`, and the
  /// 12-hour clock of spreadsheet exports, ` 10:00:00 AM`, ` 2:15 pm`.
  static func isTimeSuffix(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    guard p[0] == UInt8(ascii: "T") || p[0] == UInt8(ascii: " "), count >= 2 else { return false }
    var count = count
    if count >= 4, p[count - 1] | 0x20 == UInt8(ascii: "m"), [UInt8(ascii: "a"), UInt8(ascii: "p")].contains(p[count - 2] | 0x20) {
      count -= 2
    }
    var digits = 0
    for i in 1..<count {
      let b = p[i]
      switch b {
      case 0x30...0x39: digits += 1
      case UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "Z"),
        UInt8(ascii: " "), UInt8(ascii: ","):
        continue
      default: return false
      }
    }
    return digits >= 2
  }

  static func patternDay(_ p: UnsafePointer<UInt8>, _ count: Int, _ tokens: [DateFormat.Token]) -> Int64 {
    var i = 0
    var year = -1, month = -1, day = -1
    func number(min: Int, max: Int) -> Int? {
      var value = 0
      var n = 0
      while n < max, i < count, UInt(p[i] &- 48) < 10 {
        value = value * 10 + Int(p[i] &- 48)
        i += 1
        n += 1
      }
      return n >= min ? value : nil
    }
    for token in tokens {
      switch token {
      case .year4:
        guard let v = number(min: 4, max: 4) else { return invalidDay }
        year = v
      case .year2:
        guard let v = number(min: 2, max: 2) else { return invalidDay }
        year = v >= 69 ? 1900 + v : 2000 + v
      case .month:
        guard let v = number(min: 1, max: 2) else { return invalidDay }
        month = v
      case .day:
        guard let v = number(min: 1, max: 2) else { return invalidDay }
        day = v
      case .ignoredNumber:
        guard number(min: 1, max: 2) != nil else { return invalidDay }
      case .monthName:
        var letters: [UInt8] = []
        while i < count, (p[i] | 0x20) >= UInt8(ascii: "a"), (p[i] | 0x20) <= UInt8(ascii: "z") {
          letters.append(p[i] | 0x20)
          i += 1
        }
        guard let m = monthNumber(letters) else { return invalidDay }
        month = m
      case let .literal(b):
        guard i < count, p[i] == b else { return invalidDay }
        i += 1
      }
    }
    if i < count && !isTimeSuffix(p + i, count - i) { return invalidDay }
    return civilDay(year: year, month: month, day: day)
  }

  private static let monthNames = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december",
  ].map { Array($0.utf8) }

  /// 1-12 for an English month name or its first three letters (`sept` too).
  static func monthNumber(_ lowercased: [UInt8]) -> Int? {
    guard lowercased.count >= 3 else { return nil }
    for (index, name) in monthNames.enumerated() where lowercased.count <= name.count {
      if name.starts(with: lowercased) { return index + 1 }
    }
    return nil
  }

  /// Why a well-formed date is not a day: `there is no month 13`, `2023-02 has 28 days`.
  static func impossibleReason(_ text: String, format: DateFormat) -> String {
    // Re-parse the parts with the slow path to name the problem.
    let bytes = Array(text.utf8)
    var year = 0, month = 0
    if format.tokens == nil, bytes.count >= 10 {
      year = Int(String(decoding: bytes[0..<4], as: UTF8.self)) ?? 0
      month = Int(String(decoding: bytes[5..<7], as: UTF8.self)) ?? 0
    } else if let tokens = format.tokens {
      var i = 0
      for token in tokens {
        switch token {
        case .literal: i += 1
        case .monthName:
          var letters: [UInt8] = []
          while i < bytes.count, (bytes[i] | 0x20) >= 97, (bytes[i] | 0x20) <= 122 {
            letters.append(bytes[i] | 0x20)
            i += 1
          }
          month = monthNumber(letters) ?? 0
        default:
          let maxDigits = token == .year4 ? 4 : 2
          var value = 0
          var n = 0
          while n < maxDigits, i < bytes.count, (48...57).contains(bytes[i]) {
            value = value * 10 + Int(bytes[i]) - 48
            i += 1
            n += 1
          }
          if token == .year4 { year = value }
          if token == .year2 { year = value >= 69 ? 1900 + value : 2000 + value }
          if token == .month { month = value }
        }
      }
    }
    if !(1...12).contains(month) { return "there is no month \(month)" }
    if year < 1 { return "there is no year 0" }
    let days = CalendarDay.daysIn(year: year, month: month)
    return "\(year)-\(month < 10 ? "0" : "")\(month) has \(days) days"
  }

  /// A `--date-format` that would read `value`, when it looks like a common non-ISO date.
  static func suggestedFormat(for value: String) -> String? {
    let text = value.split(whereSeparator: { $0 == " " || $0 == "T" }).first.map(String.init) ?? value
    let chars = Array(text)
    if chars.count == 8, chars.allSatisfy(\.isASCIIDigit) { return "%Y%m%d" }
    for separator in [".", "/", "-"] as [Character] {
      let parts = text.split(separator: separator, omittingEmptySubsequences: false)
      guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else { continue }
      let s = String(separator)
      // No part of a date is longer than 4 digits; longer runs would overflow an Int below.
      guard parts.allSatisfy({ $0.count <= 4 }), let a = Int(parts[0]), let b = Int(parts[1]) else { continue }
      if parts[0].count == 4 { return "%Y\(s)%m\(s)%d" }
      guard parts[2].count == 4 || parts[2].count == 2, parts[0].count <= 2, parts[1].count <= 2 else { continue }
      let year = parts[2].count == 4 ? "%Y" : "%y"
      if a > 12 { return "%d\(s)%m\(s)\(year)" }
      if b > 12 { return "%m\(s)%d\(s)\(year)" }
      // Ambiguous: dots are mostly day-first (Europe), slashes mostly month-first (US).
      return separator == "/" ? "%m/%d/\(year)" : "%d\(s)%m\(s)\(year)"
    }
    return nil
  }

  /// The digits after the decimal mark of a number's text (0 without one), or nil when it has an
  /// exponent (`1e3`), whose decimal digits the text does not show.
  static func fractionDigits(_ p: UnsafePointer<UInt8>, _ count: Int, decimalComma: Bool) -> Int? {
    let mark = decimalComma ? UInt8(ascii: ",") : UInt8(ascii: ".")
    var digits = 0
    var afterMark = false
    for i in 0..<count {
      switch p[i] {
      case UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
      case mark: afterMark = true
      case UInt8(ascii: "0")...UInt8(ascii: "9"): if afterMark { digits += 1 }
      default: break
      }
    }
    return digits
  }

  /// An amount, or nil when the text is not a number. NaN and infinities are returned as such.
  @inline(__always)
  static func amount(_ p: UnsafePointer<UInt8>, _ count: Int, decimalComma: Bool) -> Double? {
    var i = 0
    var end = count
    while i < end, p[i] == 0x20 { i += 1 }
    while end > i, p[end - 1] == 0x20 { end -= 1 }
    guard i < end else { return nil }
    var negative = false
    if p[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    } else if p[i] == UInt8(ascii: "+") {
      i += 1
    }
    let mark = decimalComma ? UInt8(ascii: ",") : UInt8(ascii: ".")
    var mantissa: UInt64 = 0
    var digits = 0
    var fraction = -1
    let start = i
    while i < end {
      let d = p[i] &- 48
      if d < 10 {
        mantissa = mantissa &* 10 &+ UInt64(d)
        digits += 1
        if fraction >= 0 { fraction += 1 }
      } else if p[i] == mark && fraction < 0 {
        fraction = 0
      } else {
        break
      }
      i += 1
    }
    if i == end && digits > 0 && digits <= 15 {
      // Exact: both the mantissa and the power of ten are representable, so one
      // division gives the correctly rounded value, the same as strtod.
      let value = fraction > 0 ? Double(mantissa) / powerOfTen(fraction) : Double(mantissa)
      return negative ? -value : value
    }
    _ = start
    return slowAmount(UnsafeBufferPointer(start: p, count: count), decimalComma: decimalComma)
  }

  /// 10^n for n in 0...15, exactly.
  @inline(__always)
  static func powerOfTen(_ n: Int) -> Double {
    switch n {
    case 1: 10
    case 2: 100
    case 3: 1e3
    case 4: 1e4
    case 5: 1e5
    case 6: 1e6
    case 7: 1e7
    case 8: 1e8
    case 9: 1e9
    case 10: 1e10
    case 11: 1e11
    case 12: 1e12
    case 13: 1e13
    case 14: 1e14
    case 15: 1e15
    default: 1
    }
  }

  /// Exponents, long mantissas, NaN and infinities.
  static func slowAmount(_ bytes: UnsafeBufferPointer<UInt8>, decimalComma: Bool) -> Double? {
    var text = String(decoding: bytes, as: UTF8.self)
    while text.hasPrefix(" ") { text.removeFirst() }
    while text.hasSuffix(" ") { text.removeLast() }
    let lower = text.lowercased()
    let unsigned = lower.hasPrefix("-") || lower.hasPrefix("+") ? String(lower.dropFirst()) : lower
    if unsigned == "nan" { return .nan }
    if unsigned == "inf" || unsigned == "infinity" { return lower.hasPrefix("-") ? -.infinity : .infinity }
    if decimalComma {
      if text.contains(".") { return nil }
      text = text.replacingOccurrences(",", with: ".")
    } else if text.contains(",") {
      return nil
    }
    guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) || "+-.eE".utf8.contains($0) }),
      text.utf8.contains(where: { (48...57).contains($0) })
    else { return nil }
    return Double(text)
  }

  /// The event of a field: 0 purchase, 1 lead, 2 refund; 255 for anything else. Empty is a purchase.
  @inline(__always)
  static func event(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt8 {
    var i = 0
    var end = count
    while i < end, p[i] == 0x20 { i += 1 }
    while end > i, p[end - 1] == 0x20 { end -= 1 }
    let n = end - i
    if n == 0 { return 0 }
    // Compare lowercased words 8 bytes at a time ("purchase" is exactly 8).
    var word: UInt64 = 0
    guard n <= 8 else { return 255 }
    for k in 0..<n { word |= UInt64(p[i + k] | 0x20) << UInt64(8 * k) }
    switch (n, word) {
    case (8, purchaseWord): return 0
    case (4, leadWord): return 1
    case (6, refundWord): return 2
    default: return 255
    }
  }

  // The words as little-endian integers (first letter in the lowest byte); checked in tests.
  static let purchaseWord: UInt64 = 0x6573_6168_6372_7570
  static let leadWord: UInt64 = 0x6461_656C
  static let refundWord: UInt64 = 0x646E_7566_6572

  /// The event a mistyped or differently named event most likely means.
  static func suggestedEvent(for value: String) -> String? {
    let lower = value.lowercased().trimmingCharacters(in: .whitespaces)
    let synonyms: [String: String] = [
      "sale": "purchase", "sales": "purchase", "order": "purchase", "buy": "purchase", "purchased": "purchase",
      "transaction": "purchase", "return": "refund", "returned": "refund", "chargeback": "refund",
      "refunded": "refund", "cancellation": "refund", "signup": "lead", "sign-up": "lead", "registration": "lead",
      "prospect": "lead", "subscribe": "lead",
    ]
    if let word = synonyms[lower] { return word }
    return closestMatch(lower, among: ["purchase", "lead", "refund"])
  }
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
func closestMatch(_ word: String, among candidates: [String]) -> String? {
  let target = Array(word.lowercased())
  var best: (String, Int)? = nil
  for candidate in candidates {
    let distance = editDistance(target, Array(candidate.lowercased()))
    if best == nil || distance < best!.1 { best = (candidate, distance) }
  }
  guard let (candidate, distance) = best else { return nil }
  return distance <= max(1, min(target.count, candidate.count) / 3) ? candidate : nil
}

/// Levenshtein distance between two character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

extension Character {
  var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
  fileprivate func replacingOccurrences(_ target: Character, with replacement: Character) -> String {
    String(map { $0 == target ? replacement : $0 })
  }
}

/// A model that cannot be fitted from the data and options given.
public enum FitError: Error, Equatable, CustomStringConvertible {
  case emptyData
  case windowTooShort(periods: Int, period: PeriodKind, from: CalendarDay, asOf: CalendarDay)
  case noTransitions(window: String)
  case unknownSplitColumn(name: String, available: [String])
  case invalidOption(flag: String, value: String, expected: String)

  /// The message for the user: what went wrong and what to try.
  public var description: String {
    switch self {
    case .emptyData:
      return "the data has no rows to fit; check the file and the --on-error report"
    case let .windowTooShort(_, period, from, asOf) where from > asOf:
      return "the fit window would start \(from) and end \(asOf), before it starts, so it holds no \(period.rawValue); "
        + "give an --as-of after the data's first day (or none) and a --from before its last day (or none)"
    case let .windowTooShort(periods, period, from, asOf):
      return "the fit window from \(from) to \(asOf) holds \(periods) complete \(period.rawValue)(s); "
        + "at least 2 are needed to see a transition; try a shorter --period (e.g. week), an earlier --from or a later --as-of"
    case let .noTransitions(window):
      return "no customer was seen in two consecutive periods of \(window); try a longer window or a shorter --period"
    case let .unknownSplitColumn(name, available):
      let hint = available.isEmpty ? "the input has no extra columns" : "columns available: \(available.joined(separator: ", "))"
      return "--split-by: column '\(name)' is not in the input; \(hint)"
    case let .invalidOption(flag, value, expected):
      return "\(flag): '\(value)' is not valid; expected \(expected)"
    }
  }
}

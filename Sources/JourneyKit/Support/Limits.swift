/// What the tool supports, checked before the work starts: each limit names itself and the
/// way around it in the error, and the README lists them (section "Validation and limits").
public enum Limits {
  /// `generate --customers`: about 560 bytes of memory per customer while generating.
  public static let generatedCustomers = 10_000_000
  /// Rows `generate` writes: about 85 bytes of memory a row while generating (8.5 GB at the
  /// limit). The default process writes about 6.5 rows a customer, 65 million at the customer limit.
  public static let generatedRows = 100_000_000
  /// Periods a forecast, compare, levers or score runs forward.
  public static let horizon = 600
  /// Monte Carlo replicates.
  public static let replicates = 1_000_000
  /// Replicates x periods of the forecasts a command holds at once (x scenarios for a
  /// comparison): every KPI keeps each replicate's value in each period, about 330 bytes a
  /// replicate-period, so the limit is about 4 GB (a million replicates over 12 periods).
  public static let replicatePeriods = 12_000_000
  /// Periods in a scenario's `start`, `duration`, `ramp_up` and `decay`.
  public static let scenarioPeriods = 10_000
  /// Distinct values of a `--split-by` column: each one copies every state.
  public static let splitValues = 200
  /// States of a model (after `--split-by`): matrices, posteriors and counts grow with the square.
  public static let states = 1_500
  /// New customers per period (`--acquisition N`, a model's acquisitions).
  public static let customersPerPeriod = 1e9
  /// Customers in a model's base, in any state.
  public static let customersInState = 1e12
  /// The largest amount of one transaction (either sign): a billion rows of it still sum, and
  /// their squares too, to finite numbers, so totals and variances never overflow to infinity.
  public static let amount = 1e12
  /// Days a date flag (`--as-of`, `--from`, `--launch`, `--start`, ...) may name, and a model may
  /// cover: forecasts and labels beyond them would leave the calendar.
  public static let days = CalendarDay(year: 1900, month: 1, day: 1)!...CalendarDay(year: 2200, month: 12, day: 31)!
  /// The Dirichlet pseudo-count (`--prior`): beyond it the data no longer matters.
  public static let prior = 1e6
  /// Bytes read from standard input or a pipe (`ReaderOptions.maxStreamBytes`).
  public static let standardInputBytes = 8 << 30
  /// Rows of one input file (`ReaderOptions.maxRows`): about 40 MB of memory per million rows
  /// while reading, so the limit is about 40 GB; row numbers are 32-bit below it.
  public static let rows = 1_000_000_000
  /// Distinct customers of one input file (`ReaderOptions.maxCustomers`); customer numbers are
  /// 32-bit below it.
  public static let customers = 200_000_000
  /// Bytes of distinct customer ids of one input file (`ReaderOptions.maxCustomerIDText`):
  /// ids are stored once with 32-bit offsets below it.
  public static let customerIDText = 3 << 30
}

extension Double {
  /// The whole number nearest below, or nil when it is not finite or does not fit an `Int`
  /// (`Int(1e300)` traps; this does not).
  @inlinable
  public var checkedInt: Int? {
    guard isFinite else { return nil }
    let down = rounded(.towardZero)
    guard down >= -9.2e18 && down <= 9.2e18 else { return nil }
    return Int(down)
  }
}

/// Adds finite values and reports the first running total that is no longer finite.
///
/// Sums of amounts are checked where they are made: a total of huge but finite amounts that
/// overflows to infinity is an input error naming the row, not a silent `inf`.
@inlinable
public func checkedSum<S: Sequence>(_ values: S) -> (sum: Double, overflowAt: Int?) where S.Element == Double {
  var sum = 0.0
  for (k, v) in values.enumerated() {
    sum += v
    if !sum.isFinite { return (sum, k) }
  }
  return (sum, nil)
}

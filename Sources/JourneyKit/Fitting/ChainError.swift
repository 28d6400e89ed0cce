/// The chain's own relative error per period and KPI, measured out of sample: the chain alone
/// (no activity model) fitted with the same recipe on the periods before an earlier origin and
/// forecast over the periods after it, with the acquisitions that happened, less the count noise
/// (`OutOfSampleError.excessError`). The backtest measures it before its calibration end; `journey
/// fit` measures it before the model's last period and stores it in the model file, so that a
/// forecast's ranges for what the chain forecasts hold the chain's error, not only its noise.
public struct ChainError: Codable, Sendable, Equatable {
  /// Root mean square of predicted / actual - 1 less the count noise, per period: purchase
  /// occasions, revenue, customers with a purchase in the period, and churn events.
  public var transactions: Double
  /// (see `transactions`)
  public var revenue: Double
  /// (see `transactions`)
  public var active: Double
  /// (see `transactions`); a guess of 10% when `churnedIsAGuess`.
  public var churned: Double
  /// The periods measured on.
  public var periods: Int
  /// No churn event happened in those periods (a short history): the churned error is a guess.
  public var churnedIsAGuess = false
  /// The share of the error's square that stays level over the leads, read from the measured
  /// transactions as the activity model's is (`OutOfSampleError.levelShare`); nil: none (a model
  /// file from before it was read, or one period measured).
  public var levelShare: Double? = nil

  /// The bases over this many customers are measured on a fixed-stride sample of them: relative
  /// errors do not need more, and a second fit of millions would cost as much as the first.
  public static let customerLimit = 50_000

  /// How much of a relative error a range `lead` periods ahead holds: widened to Student's t on
  /// the periods it was measured on and grown with the lead, as the activity model's is
  /// (`OutOfSampleError.widening`, `OutOfSampleError.leadFactor`).
  public func scale(lead: Int) -> Double {
    OutOfSampleError.widening(periods: periods) * growth.leadFactor(lead: lead)
  }

  /// The lead growth of an error measured on leads 1...periods from one origin.
  var growth: OutOfSampleError {
    OutOfSampleError(purchases: transactions, revenue: revenue, buying: active, periods: periods, levelShare: levelShare)
  }
}

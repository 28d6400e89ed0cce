/// The Monte Carlo and bootstrap sizes and the seed each study uses unless told otherwise, named
/// once so that the library's options and the command line's flag defaults cannot drift apart.
///
/// Each is the value its command has always used: changing one changes that command's ranges
/// for a given seed, and the tests and examples that pin them.
public enum MonteCarloDefaults {
  /// The seed of every random study (`--seed`): the same seed gives the same ranges.
  public static let seed: UInt64 = 1
  /// Forecast and scenario comparison replicates (`forecast`, `compare`): the P5-P95 bands.
  public static let forecastReplicates = 1_000
  /// Backtest replicates: the per-period P5-P95 ranges of the holdout prediction.
  public static let backtestReplicates = 200
  /// Rollout evaluation: bootstrap resamples of the before/after KPI intervals.
  public static let evaluationBootstrap = 500
  /// Rollout evaluation: Monte Carlo replicates of the pre-launch counterfactual.
  public static let evaluationReplicates = 500
  /// Rollout design: simulated holdout tests behind the power and minimum detectable effect.
  public static let designReplicates = 200
  /// Rollout design on data: bootstrap resamples of each simulated evaluation (fewer than the
  /// evaluation's: they only set each replicate's standard errors, which vary little).
  public static let designBootstrap = 200
}

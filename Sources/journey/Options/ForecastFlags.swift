import ArgumentParser
import JourneyKit

/// The flags shared by the commands that run the chain forward: forecast, compare, levers, serve.
struct ForecastFlags: ParsableArguments {
  @Option(parsing: .unconditional, help: "Periods to forecast.")
  var horizon: Int = 12

  @Option(help: "New customers: auto (of historical, trend, seasonal and seasonal-trend, the one that forecast the window's own last periods best), historical, trend, seasonal, seasonal-trend, none, or a number per period.")
  var acquisition: String = "auto"

  @Flag(inversion: .prefixedNo, help: "Forecast the purchases, revenue and active count of the customers who have bought from their own histories (the activity model `journey fit` stores), as backtest's default does; off: the chain alone.")
  var ownHistory = true

  func validate() throws {
    guard (1...Limits.horizon).contains(horizon) else {
      throw ValidationError("--horizon: '\(horizon)' must be from 1 to \(Limits.horizon) periods (the limit); forecast further with a longer --period when fitting")
    }
    if let n = AcquisitionAssumption.number(acquisition), !(0...Limits.customersPerPeriod).contains(n) {
      throw ValidationError(
        "--acquisition: '\(acquisition)' must be from 0 to \(Format.number(Limits.customersPerPeriod)) new customers per period (the limit)")
    }
    guard AcquisitionAssumption(parsing: acquisition) != nil else {
      throw ValidationError("--acquisition: '\(acquisition)' is not auto, historical, trend, seasonal, seasonal-trend, none or a number of new customers per period")
    }
  }

  var acquisitionAssumption: AcquisitionAssumption { AcquisitionAssumption(parsing: acquisition)! }
}

/// Monte Carlo flags for forecast and compare.
struct ReplicateFlags: ParsableArguments {
  @Option(parsing: .unconditional, help: "Monte Carlo replicates for the ranges (0 for expected values only).")
  var replicates: Int = MonteCarloDefaults.forecastReplicates

  @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same ranges.")
  var seed: UInt64 = MonteCarloDefaults.seed

  @Flag(inversion: .prefixedNo, help: "Move whole customers at random in the replicates (multinomial); off: replicates differ by parameters only, batched through one dgemm per period.")
  var processNoise = true

  @Flag(inversion: .prefixedNo, help: "Draw transition rows and rewards from their posteriors in the replicates.")
  var parameterUncertainty = true

  func validate() throws {
    guard (0...Limits.replicates).contains(replicates) else {
      throw ValidationError("--replicates: '\(replicates)' must be from 0 to \(Limits.replicates) (the limit); ranges settle long before it, 1000 to 10000 is plenty")
    }
  }

  /// Checks that `runs` forecasts of these replicates over `forecast`'s horizon fit in memory.
  ///
  /// - Throws: `ValidationError` naming both flags, the limit and the way around it.
  func checkVolume(_ forecast: ForecastFlags, runs: Int = 1) throws {
    if let problem = options(forecast).replicatePeriodsProblem(runs: runs) { throw ValidationError(problem.description) }
  }

  /// Forecast options for these flags and the shared forecast flags.
  func options(_ forecast: ForecastFlags) -> ForecastOptions {
    var o = ForecastOptions()
    o.horizon = forecast.horizon
    o.acquisition = forecast.acquisitionAssumption
    o.replicates = replicates
    o.seed = seed
    o.processNoise = processNoise
    o.parameterUncertainty = parameterUncertainty
    o.ownHistory = forecast.ownHistory
    return o
  }
}

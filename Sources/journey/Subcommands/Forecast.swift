import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Forecast customers, churn, conversion, revenue and equity from a fitted model.",
      discussion: """
        Starts from the customers per state at the model's last period, moves them with the
        transition matrix and adds new customers per the acquisition assumption. Replicates
        draw the transition rows from their posterior and move whole customers at random,
        giving P5-P95 ranges for every KPI.

        Example:
          journey forecast --model model.json --horizon 12
          journey forecast --model model.json --horizon 24 --acquisition trend --replicates 2000 --seed 7 --csv forecast.csv
        """
    )

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @Option(help: "Periods to forecast.")
    var horizon: Int = 12

    @Option(help: "Discount rate per period, e.g. 0.8%; default: the model's.")
    var discount: String?

    @Option(help: "New customers: historical, trend, seasonal, none, or a number per period.")
    var acquisition: String = "historical"

    @Option(help: "Monte Carlo replicates for the ranges (0 for the expected path only).")
    var replicates: Int = 1_000

    @Option(help: "Random seed; the same seed gives the same ranges.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Move whole customers at random in the replicates (multinomial); off: replicates differ by parameters only, batched through one dgemm per period.")
    var processNoise = true

    @Flag(inversion: .prefixedNo, help: "Draw transition rows and rewards from their posteriors in the replicates.")
    var parameterUncertainty = true

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write every KPI per period as CSV to this file.")
    var csv: String?

    func validate() throws {
      guard (1...600).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 600 periods") }
      guard (0...1_000_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 0 to 1000000") }
      guard AcquisitionAssumption(parsing: acquisition) != nil else {
        throw ValidationError("--acquisition: '\(acquisition)' is not historical, trend, seasonal, none or a number of new customers per period")
      }
      if let d = discount {
        let value = try change(d, flag: "discount")
        guard value > 0 && value < 1 else { throw ValidationError("--discount: '\(d)' must be above 0% and below 100% per period") }
      }
    }

    func run() throws {
      let fitted = try MarkovModel.load(path: model)
      var options = ForecastOptions()
      options.horizon = horizon
      options.acquisition = AcquisitionAssumption(parsing: acquisition)!
      options.replicates = replicates
      options.seed = seed
      options.processNoise = processNoise
      options.parameterUncertainty = parameterUncertainty
      options.discountPerPeriod = try discount.map { try change($0, flag: "discount") }
      let report = ForecastReport(forecast: try ForecastEngine.run(model: fitted, options: options), model: fitted)
      if let csv { try AtomicFile.write(report.csv(), to: csv) }
      print(json ? try report.json() : report.text(), terminator: json ? "" : "\n")
    }
  }
}

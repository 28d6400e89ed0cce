import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Forecast customers, churn, conversion, revenue and equity from a fitted model.",
      discussion: """
        Starts from the customers per state at the model's last period, moves them with the \
        transition matrix and adds new customers per the acquisition assumption. Replicates \
        draw the transition rows from their posterior and move whole customers at random, \
        giving P5-P95 ranges for every KPI.

        Example:
          journey forecast model.json --horizon 12
          journey forecast --model model.json --acquisition trend --seed 7 --csv f.csv
          journey forecast --model model.json --report forecast.html
        """
    )

    @OptionGroup var model: ModelFileArgument
    @OptionGroup var forecast: ForecastFlags
    @OptionGroup var replicates: ReplicateFlags

    @Option(help: "Discount rate per period, e.g. 0.8%; default: the model's.")
    var discount: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write every KPI per period as CSV to this file.")
    var csv: String?

    @OptionGroup var report: ReportOption

    func validate() throws {
      try model.validate(command: "forecast")
      try replicates.checkVolume(forecast)
      if let d = discount {
        let value = try change(d, flag: "discount")
        guard value > 0 && value < 1 else { throw ValidationError("--discount: '\(d)' must be above 0% and below 100% per period") }
      }
    }

    func run() throws {
      try guardOutputs([("--csv", csv), ("--report", report.report)], inputs: [model.path])
      let fitted = try MarkovModel.load(path: model.path)
      var options = replicates.options(forecast)
      options.discountPerPeriod = try discount.map { try change($0, flag: "discount") }
      let report = ForecastReport(forecast: try ForecastEngine.run(model: fitted, options: options), model: fitted)
      if let csv { try AtomicFile.write(report.csv(), to: csv) }
      try self.report.write { report.document() }
      print(json ? try report.json() : report.text(), terminator: json ? "" : "\n")
    }
  }
}

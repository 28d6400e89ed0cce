import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Levers: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rank the transitions that matter most, in money.",
      discussion: """
        For every transition of the model, the change in revenue over the horizon and in
        customer equity if its probability rose by one percentage point (taken from the
        row's other moves in proportion), computed analytically from the fundamental matrix.

        Example:
          journey levers --model model.json
          journey levers --model model.json --horizon 24 --top 20 --json
        """
    )

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @Option(help: "Periods over which revenue is summed.")
    var horizon: Int = 12

    @Option(help: "New customers over the horizon: historical, trend, seasonal, none, or a number per period.")
    var acquisition: String = "historical"

    @Option(help: "Rows to show.")
    var top: Int = 15

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
      guard (1...600).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 600 periods") }
      guard top >= 1 else { throw ValidationError("--top: '\(top)' must be at least 1") }
      guard AcquisitionAssumption(parsing: acquisition) != nil else {
        throw ValidationError("--acquisition: '\(acquisition)' is not historical, trend, seasonal, none or a number of new customers per period")
      }
    }

    func run() throws {
      let fitted = try MarkovModel.load(path: model)
      let inflow = AcquisitionAssumption(parsing: acquisition)!.inflow(model: fitted, horizon: horizon)
      let analysis = try LeverAnalysis.analyse(model: fitted, horizon: horizon, inflow: inflow)
      print(json ? try JSONOutput.encode(analysis) : analysis.text(top: top, period: fitted.window.period), terminator: json ? "" : "\n")
    }
  }
}

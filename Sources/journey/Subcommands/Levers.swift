import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Levers: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rank the transitions that matter most, in money.",
      discussion: """
        For every transition of the model, the change in revenue over the horizon and in \
        customer equity if its probability rose by one percentage point (taken from the \
        row's other moves in proportion), computed analytically from the fundamental matrix.

        Example:
          journey levers model.json
          journey levers --model model.json --horizon 24 --top 20 --json
        """
    )

    @OptionGroup var model: ModelFileArgument
    @OptionGroup var forecast: ForecastFlags

    @Option(parsing: .unconditional, help: "Rows to show.")
    var top: Int = 15

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
      try model.validate(command: "levers")
      guard top >= 1 else { throw ValidationError("--top: '\(top)' must be at least 1") }
    }

    func run() throws {
      let fitted = try MarkovModel.load(path: model.path)
      let inflow = forecast.acquisitionAssumption.inflow(model: fitted, horizon: forecast.horizon)
      let analysis = try LeverAnalysis.analyse(model: fitted, horizon: forecast.horizon, inflow: inflow)
      print(json ? try JSONOutput.encode(analysis) : analysis.text(top: top, period: fitted.window.period), terminator: json ? "" : "\n")
    }
  }
}

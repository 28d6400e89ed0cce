import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a fitted model: transitions, retention, time to churn, CLV, equity, diagnostics.",
      discussion: """
        Example:
          journey fit transactions.csv --states value -o model.json
          journey show model.json
          journey show model.json --json > summary.json
        """
    )

    @Argument(help: "A model file written by `journey fit`.")
    var model: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
      let summary = ModelSummary(model: try MarkovModel.load(path: model))
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
    }
  }
}

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

    @OptionGroup var model: ModelFileArgument

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
      try model.validate(command: "show")
    }

    func run() throws {
      let summary = ModelSummary(model: try MarkovModel.load(path: model.path))
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
    }
  }
}

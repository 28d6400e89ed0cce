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
    var file: String?

    // The other commands take the model as `--model`: the same spelling works here.
    @Option(name: .customLong("model"), help: ArgumentHelp("The same, as the other commands spell it.", valueName: "model"))
    var modelOption: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
      guard (file == nil) != (modelOption == nil) else {
        throw ValidationError(file == nil ? "give the model file: journey show model.json" : "give the model once: as an argument or with --model, not both")
      }
    }

    func run() throws {
      let summary = ModelSummary(model: try MarkovModel.load(path: file ?? modelOption!))
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
    }
  }
}

import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score every customer: current state, churn risk, expected purchases and revenue, CLV.",
      discussion: """
        Assigns each customer's state at the data's last complete period with the model's frozen \
        state definitions, then looks up what the model expects from that state over the horizon. \
        Writes one CSV row per customer in the base.

        Example:
          journey score transactions.csv --model model.json -o scores.csv
          journey score export.csv --model model.json --horizon 3 -o scores.csv
        """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @Option(parsing: .unconditional, help: "Periods ahead for churn risk, purchases and revenue.")
    var horizon: Int = 12

    @Option(help: "Score as of this day (YYYY-MM-DD); default: the last day with data.")
    var asOf: String?

    @Option(name: [.short, .customLong("output")], help: "CSV file to write.")
    var output: String

    func validate() throws {
      guard (1...600).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 600 periods") }
      if let asOf { _ = try day(asOf, flag: "as-of") }
    }

    func run() throws {
      try guardOutputs([("--output", output)] + input.outputs, inputs: [input.file, model])
      let fitted = try MarkovModel.load(path: model)
      let ingest = try input.read(keeping: fitted.stateSpace.splitBy.map { [$0] } ?? [])
      if let note = fitted.inputChangedNote(table: ingest.table, source: input.file) { printError("warning: \(note)") }
      let scores = try CustomerScores(table: ingest.table, model: fitted, horizon: horizon, asOf: try asOf.map { try day($0, flag: "as-of") })
      try AtomicFile.write(scores.csvBytes(), to: output)
      let unscored = scores.states.count - scores.scoredCount
      printError("wrote \(output): \(scores.scoredCount) customers scored"
        + (unscored > 0 ? "; \(unscored) not yet in the base at the as-of period (their first event is later)" : ""))
    }
  }
}

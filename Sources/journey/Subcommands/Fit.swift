import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fit a customer-journey Markov model to a transaction history.",
      discussion: """
        Buckets each customer's history into periods, gives every customer-period a state, \
        counts the moves between consecutive periods and estimates the transition matrix \
        (with a Dirichlet prior), per-state rewards, lifetime value and diagnostics. The model \
        file is what show, forecast, compare, levers and score read.

        State spaces (--states): lifecycle (lead, new, active, loyal, at_risk, lapsed, churned), \
        value (lifecycle x less/more valuable by trailing spend), rfm or rfm:K (K^3 RFM cells plus \
        lead and churned), or a YAML file of named rules (see scenarios/states-example.yaml). \
        An incomplete last period is left out, and the output says so.

        Example:
          journey fit transactions.csv -o model.json
          journey fit transactions.csv --states value --period quarter -o model.json
          journey fit data.csv --states rfm:4 --split-by channel -o model.json
          journey fit data.csv --states scenarios/states-example.yaml -o m.json
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Model file to write (JSON).")
    var output: String

    @Flag(help: "Print the model summary as JSON instead of tables.")
    var json = false

    func run() throws {
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      let fitted = try ModelFitter.fit(ingest.table, options: model.fitOptions(source: input.file))
      try AtomicFile.write(try fitted.json(), to: output)
      let summary = ModelSummary(model: fitted)
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
      printError("wrote \(output)")
    }
  }
}

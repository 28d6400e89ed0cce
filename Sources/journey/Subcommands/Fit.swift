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
        lead and churned), rf or rf:K (recency x frequency), or a YAML file of named rules (see \
        scenarios/states-example.yaml). --states auto compares lifecycle, value, rfm:3, rfm:5, rf \
        and any --candidate by rolling-origin validation (see journey backtest) and fits the best. \
        An incomplete last period is left out, and the output says so.

        Example:
          journey fit transactions.csv -o model.json
          journey fit transactions.csv --states value --period quarter -o model.json
          journey fit data.csv --states rfm:4 --split-by channel -o model.json
          journey fit data.csv --states scenarios/states-example.yaml -o m.json
          journey fit data.csv --states auto --candidate my-states.yaml -o m.json
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Model file to write (JSON).")
    var output: String

    @Flag(help: "Print the model summary as JSON instead of tables.")
    var json = false

    func run() throws {
      try guardOutputs([("--output", output)] + input.outputs, inputs: [input.file] + model.inputs)
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      var options = try model.fitOptions(source: input.file, allowAuto: true)
      if model.autoStates {
        let visible = options.asOf.map { ingest.table.truncated(through: $0) } ?? ingest.table
        let selection = try StateSpaceSelection.run(visible, fit: options, options: model.selectionOptions())
        options.stateSpace = selection.chosen
        let text = selection.text(period: options.period) + "\n"
        if json { printError(text) } else { print(text) }
      }
      options.activity = true
      let fitted = try ModelFitter.fit(ingest.table, options: options)
      try AtomicFile.write(try fitted.json(), to: output)
      let summary = ModelSummary(model: fitted)
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
      printError("wrote \(output)")
    }
  }
}

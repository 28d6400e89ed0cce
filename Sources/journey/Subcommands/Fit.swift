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

        With --summary FILE the input is a journey-summary/1 file, the per-customer summary \
        `journey sql` computes inside a warehouse; the model is the one the raw rows give.

        Example:
          journey fit transactions.csv -o model.json
          journey fit --summary summary.csv --states rfm:4 -o model.json
          PGPASSWORD=... journey fit --source postgres://crm@db:5432/shop --table sales.orders -o model.json
          journey fit transactions.csv --states value --period quarter -o model.json
          journey fit data.csv --states rfm:4 --split-by channel -o model.json
          journey fit data.csv --states scenarios/states-example.yaml -o m.json
          journey fit data.csv --states auto --candidate my-states.yaml -o m.json
        """
    )

    @Argument(help: ArgumentHelp("Transactions as CSV or TSV with a header row ('-' reads standard input).", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Fit from a journey-summary/1 file (what `journey sql` computes in a warehouse) instead of a transaction file.", valueName: "file"))
    var summary: String?

    @OptionGroup var input: InputFormatOptions
    @OptionGroup var warehouse: SourceOptions
    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Model file to write (JSON).")
    var output: String

    @Flag(help: "Print the model summary as JSON instead of tables.")
    var json = false

    func validate() throws {
      let given = [file, summary, warehouse.source].compactMap { $0 }.count
      guard given > 0 else { throw ValidationError("give a transaction file, a summary (--summary FILE) or a table (--source URL --table NAME)") }
      guard given == 1 else { throw ValidationError("give one input: a transaction file, --summary FILE or --source URL, not several") }
    }

    func run() throws {
      let postgres = try warehouse.postgres()
      let source = postgres.map { "\($0.url.redacted) table \(warehouse.table!)" } ?? summary ?? file ?? "-"
      try guardOutputs([("--output", output)] + input.outputs, inputs: postgres == nil ? [source] + model.inputs : model.inputs)
      let ingest =
        if let postgres {
          try warehouse.readSummary(postgres, format: input, splitBy: model.splitBy)
        } else if let summary {
          try input.readSummary(path: summary, splitBy: model.splitBy)
        } else {
          try input.read(path: source, keeping: model.splitBy.map { [$0] } ?? [])
        }
      var options = try model.fitOptions(source: source, allowAuto: true)
      if model.autoStates {
        let visible = options.asOf.map { ingest.table.truncated(through: $0) } ?? ingest.table
        let selection = try StateSpaceSelection.run(visible, fit: options, options: model.selectionOptions())
        options.stateSpace = selection.chosen
        let text = selection.text(period: options.period) + "\n"
        if json { printError(text) } else { print(text) }
      }
      options.activity = true
      options.reading = input.readSettings()
      var fitted = try ModelFitter.fit(ingest.table, options: options)
      fitted.measureChainError(ingest.table, options: options)
      try AtomicFile.write(try fitted.json(), to: output)
      let summary = ModelSummary(model: fitted)
      print(json ? try JSONOutput.encode(summary) : summary.text(), terminator: json ? "" : "\n")
      printError("wrote \(output)")
    }
  }
}

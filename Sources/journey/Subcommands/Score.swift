import ArgumentParser
import Foundation
import JourneyKit
import JourneyPostgres

extension JourneyCommand {
  struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score every customer: current state, churn risk, expected purchases and revenue, CLV.",
      discussion: """
        Assigns each customer's state at the data's last complete period with the model's frozen \
        state definitions, then looks up what the model expects from that state over the horizon. \
        Writes one CSV row per customer in the base (-o), or with --source a table on the \
        server (--scores-table), replaced in one transaction. A customer with a purchase gets its \
        own figures from the activity model (journey fit stores it): expected purchases and \
        revenue, active_probability, churn risk, and clv, the discounted expected revenue of the \
        periods after the last one scored, over --clv-years.

        Example:
          journey score transactions.csv --model model.json -o scores.csv
          journey score export.csv --model model.json --horizon 3 -o scores.csv
          journey score --source postgres://crm@db/shop --table sales.orders --model model.json --scores-table crm.scores
        """
    )

    @Argument(help: ArgumentHelp("Transactions as CSV or TSV with a header row ('-' reads standard input).", valueName: "file"))
    var file: String?

    @OptionGroup var input: InputFormatOptions
    @OptionGroup var warehouse: SourceOptions

    @Option(help: "A model file written by `journey fit`.")
    var model: String

    @Option(parsing: .unconditional, help: "Periods ahead for churn risk, purchases and revenue.")
    var horizon: Int = 12

    @Option(help: "Score as of this day (YYYY-MM-DD); default: the last day with data.")
    var asOf: String?

    @Option(help: ArgumentHelp("Years of future periods the clv column sums, at the model's discount (100: a lifetime).", valueName: "years"))
    var clvYears: Int = CustomerScores.defaultValueYears

    @Option(name: [.short, .customLong("output")], help: "CSV file to write.")
    var output: String?

    @Option(help: ArgumentHelp("With --source: write the scores into this table on the server (replaced in one transaction).", valueName: "name"))
    var scoresTable: String?

    func validate() throws {
      guard (file == nil) != (warehouse.source == nil) else {
        throw ValidationError("give one input: a transaction file or --source URL --table NAME")
      }
      guard output != nil || scoresTable != nil else { throw ValidationError("--output: give the CSV file to write (or --scores-table with --source)") }
      if scoresTable != nil && warehouse.source == nil { throw ValidationError("--scores-table: only used with --source") }
      guard (1...600).contains(horizon) else { throw ValidationError("--horizon: '\(horizon)' must be from 1 to 600 periods") }
      guard (1...100).contains(clvYears) else { throw ValidationError("--clv-years: '\(clvYears)' must be from 1 to 100 years") }
      if let asOf { _ = try day(asOf, flag: "as-of") }
    }

    func run() throws {
      try guardOutputs([("--output", output)] + input.outputs, inputs: [file, model])
      let fitted = try MarkovModel.load(path: model)
      let splitBy = fitted.stateSpace.splitBy
      let postgres = try warehouse.postgres()
      let source = postgres.map { "\($0.url.redacted) table \(warehouse.table!)" } ?? file!
      let ingest =
        if let postgres {
          try warehouse.readSummary(postgres, format: input, splitBy: splitBy, model: fitted.input.reading)
        } else {
          try input.read(path: source, keeping: splitBy.map { [$0] } ?? [], model: fitted.input.reading)
        }
      if let note = fitted.inputChangedNote(table: ingest.table, source: source) { printError("warning: \(note)") }
      let scores = try CustomerScores(
        table: ingest.table, model: fitted, horizon: horizon, asOf: try asOf.map { try day($0, flag: "as-of") }, valueYears: clvYears)
      if let warning = scores.asOfWarning { printError("warning: \(warning)") }
      let unscored = scores.states.count - scores.scoredCount
      let note = unscored > 0 ? "; \(unscored) not yet in the base at the as-of period (their first event is later)" : ""
      if let output {
        try AtomicFile.write(scores.csvBytes(), to: output)
        printError("wrote \(output): \(scores.scoredCount) customers scored" + note)
      }
      if let postgres, let scoresTable {
        let rows = try postgres.writeScores(scores, to: scoresTable)
        printError("wrote table \(scoresTable) on \(postgres.url.redacted): \(rows) customers scored" + note)
      }
    }
  }
}

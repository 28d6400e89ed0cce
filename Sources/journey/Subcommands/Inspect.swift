import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Profile a transaction history before modelling it.",
      discussion: """
        Reads and validates the file, then shows rows read, merged and rejected; customers; \
        the date range; revenue and refunds; transactions, active and new customers per \
        period, with each first-purchase cohort's repeat rate; customers by number of \
        purchase occasions; the days between purchases; and a suggested period length.

        Same-day purchases of a customer count as one purchase occasion (amounts summed) \
        unless --keep-same-day is given. Bad rows stop the read with file:line:column \
        messages (exit code 65), or are skipped and counted with --on-error skip.

        Example:
          journey inspect transactions.csv
          journey inspect export.csv --delimiter ';' --date-format %d.%m.%Y --decimal-comma
          journey inspect data.csv --on-error skip --rejects rejects.csv --json
        """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Period length for the per-period table.")
    var period: PeriodKind = .month

    @Option(parsing: .unconditional, help: ArgumentHelp("Show only the latest N periods in the terminal table.", valueName: "n"))
    var lastPeriods: Int?

    @Flag(help: "Print the profile as JSON instead of tables.")
    var json = false

    func validate() throws {
      if let lastPeriods, lastPeriods < 1 {
        throw ValidationError("--last-periods: '\(lastPeriods)' is not valid; expected a whole number of 1 or more")
      }
    }

    func run() throws {
      try guardOutputs(input.outputs, inputs: [input.file])
      let profile = DataProfile(try input.read(), period: period)
      if json {
        print(try JSONOutput.encode(profile), terminator: "")
      } else {
        print(profile.text(maxPeriods: lastPeriods), terminator: "")
      }
    }
  }
}

import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run every analysis on built-in sample data.",
      discussion: """
        Generates a sample transaction history with a planted CRM launch effect, writes it
        into the output folder and runs the analyses on it, printing what it wrote where.

        Example:
          journey demo
          journey demo --output /tmp/demo --customers 20000 --seed 3
        """
    )

    @Option(name: [.short, .customLong("output")], help: "Folder for the sample data and results.")
    var output: String = "demo"

    @Option(help: "People entering the sample base.")
    var customers: Int = 5_000

    @Option(help: "Random seed for the sample data.")
    var seed: UInt64 = 7

    func validate() throws {
      guard customers >= 100 && customers <= 10_000_000 else {
        throw ValidationError("--customers: '\(customers)' is out of range; expected 100 to 10000000")
      }
    }

    func run() throws {
      var p = GeneratorParameters()
      p.customers = customers
      p.seed = seed
      p.launch = CalendarDay(year: 2025, month: 3, day: 1)
      p.launchChurn = -0.2
      p.launchConversion = 0.1
      let history = try SyntheticHistoryGenerator.generate(p)
      let csvPath = (output as NSString).appendingPathComponent("transactions.csv")
      try AtomicFile.write(history.csvBytes(), to: csvPath)
      let truthPath = GeneratedFiles.truthPath(forCSV: csvPath)
      try AtomicFile.write(try JSONOutput.encode(history.truth), to: truthPath)
      let c = history.truth.counts
      print("Journey demo")
      print("  sample data   \(csvPath)  (\(c.rows) rows, \(c.customers) customers, \(p.start) to \(p.end.adding(days: -1)))")
      print("  ground truth  \(truthPath)  (planted at \(p.launch!): churn \(RelativeChange(value: p.launchChurn)), lead conversion \(RelativeChange(value: p.launchConversion)))")

      // Inspect: read the sample back as any export would be, and profile it.
      let read = try TransactionReader().read(path: csvPath)
      let profile = DataProfile(read, period: .month)
      let profilePath = (output as NSString).appendingPathComponent("profile.json")
      try AtomicFile.write(try JSONOutput.encode(profile), to: profilePath)
      print("  data profile  \(profilePath)  (journey inspect \(csvPath))")
      print(profile.shortText(), terminator: "")
    }
  }
}

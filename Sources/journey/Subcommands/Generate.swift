import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate a synthetic transaction history with a known ground truth.",
      discussion: """
        Writes CSV rows `customer_id,date,amount,event` (event is purchase, lead or refund) \
        sorted by date, and the truth (parameters, planted effects, exact counts) as JSON \
        beside it (`a.csv` -> `a.truth.json`). The same --seed gives the same bytes.

        Regimes with the traits of real customer bases (off by default): a closed cohort \
        (--acquisition-months), strong heterogeneity (a small --purchase-rate-shape), ageing \
        (--ageing) and dormant spells with returns (--wake-rate). --regime real turns on a \
        CDNOW-like combination: 18 months, acquisitions in the first 3, no leads, shape 0.5, \
        ageing 0.5, wake rate 0.004 per day; flags given beside it override its values.

        Example:
          journey generate --customers 100000 --months 36 --seed 1 -o a.csv
          journey generate --customers 5000 --launch 2025-03-01 --launch-churn -20% -o b.csv
          journey generate --customers 20000 --regime real --seed 7 -o cdnow-like.csv

        A holdout (--control 10%) keeps the effects off a random control group: the CSV gains \
        a `group` column (control or treated) and the control ids go to `a.control.txt`. \
        Staggered launches (--regions 4 --stagger-months 3) spread customers over regions R1..R4 \
        (a `region` column), region k launching 3 x (k-1) months after --launch. The truth JSON \
        records the holdout and each region's launch.
          journey generate --customers 20000 --launch 2025-01-01 --launch-churn -20% --control 10% -o held.csv
          journey generate --customers 20000 --launch 2024-07-01 --launch-churn -20% --regions 4 -o staggered.csv
        """
    )

    @Option(parsing: .unconditional, help: "People entering the base over the span (leads and direct buyers).")
    var customers: Int = 10_000

    @Option(help: "First day of the span (YYYY-MM-DD).")
    var start: String = "2023-01-01"

    @Option(parsing: .unconditional, help: "Length of the span in months (default: 36; 18 with --regime real).")
    var months: Int?

    @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 1

    @Option(help: "A preset: base (the default generator) or real (a CDNOW-like base: closed 3-month cohort, shape 0.5, ageing 0.5, wake rate 0.004, 18 months, no leads).")
    var regime: GeneratorRegime = .base

    @Option(parsing: .unconditional, help: "Mean purchases per customer per month while alive.")
    var purchaseRate: Double = 0.6

    @Option(parsing: .unconditional, help: "Gamma shape of the customers' purchase rates; smaller is more heterogeneous (default: 1.5; 0.5 with --regime real).")
    var purchaseRateShape: Double?

    @Option(parsing: .unconditional, help: "Relative amplitude of the purchase seasonality, peak in December, e.g. 20% (0% for none).")
    var purchaseSeasonality: String = "20%"

    @Option(parsing: .unconditional, help: "Closed cohort: acquisitions only in the first N months of the span (default: 0, every month; 3 with --regime real).")
    var acquisitionMonths: Int?

    @Option(parsing: .unconditional, help: "Ageing: purchase rate times (1 + tenure days/365)^-X (default: 0, none; 0.5 with --regime real).")
    var ageing: Double?

    @Option(parsing: .unconditional, help: "Regular buying: the days between a customer's purchases are Erlang of order K, the same mean, a spread of 1/sqrt(K) of it (default: 1, purchases at random).")
    var purchaseRegularity: Int?

    @Option(parsing: .unconditional, help: "Dormancy with returns: a dropped-out customer wakes with a purchase at this rate per day, mean dormancy 1/rate days (default: 0, dropout is permanent; 0.004 with --regime real).")
    var wakeRate: Double?

    @Option(parsing: .unconditional, help: "Share of entrants who start as leads, a lead event before any purchase (default: 0.3; 0 with --regime real).")
    var leadShare: Double?

    @Option(parsing: .unconditional, help: "Chance that a lead ever buys.")
    var leadConversion: Double = 0.55

    @Option(parsing: .unconditional, help: "Share of purchases refunded later.")
    var refundRate: Double = 0.02

    @Option(parsing: .unconditional, help: "Yearly growth of acquisitions, e.g. 15%.")
    var acquisitionTrend: String = "15%"

    @Option(help: "Date of a CRM launch after which behaviour changes (YYYY-MM-DD).")
    var launch: String?

    @Option(parsing: .unconditional, help: "Change of the churn (dropout) hazard after the launch, e.g. -20%.")
    var launchChurn: String = "0%"

    @Option(parsing: .unconditional, help: "Change of lead conversion after the launch, e.g. +10%.")
    var launchConversion: String = "0%"

    @Option(parsing: .unconditional, help: "Change of purchase frequency after the launch, e.g. +5%.")
    var launchFrequency: String = "0%"

    @Option(parsing: .unconditional, help: "Change of spend per purchase after the launch, e.g. +5%.")
    var launchSpend: String = "0%"

    @Option(parsing: .unconditional, help: "Share of customers held out of the launch as a control group, e.g. 10% (adds a group column).")
    var control: String?

    @Option(parsing: .unconditional, help: "Staggered launches: spread customers over this many regions (adds a region column).")
    var regions: Int?

    @Option(parsing: .unconditional, help: "Months between consecutive regions' launches (with --regions).")
    var staggerMonths: Int = 3

    @Option(name: [.short, .customLong("output")], help: "CSV file to write ('-' for standard output).")
    var output: String

    func validate() throws {
      _ = try parameters()
    }

    func parameters() throws -> GeneratorParameters {
      var p = GeneratorParameters(regime: regime)
      p.customers = customers
      if let months { p.months = months }
      p.seed = seed
      p.purchaseRateMeanPerMonth = purchaseRate
      if let purchaseRateShape { p.purchaseRateShape = purchaseRateShape }
      if let acquisitionMonths { p.acquisitionMonths = acquisitionMonths }
      if let ageing { p.ageing = ageing }
      if let purchaseRegularity { p.purchaseRegularity = purchaseRegularity }
      if let wakeRate { p.wakeRatePerDay = wakeRate }
      if let leadShare { p.leadShare = leadShare }
      p.leadConversion = leadConversion
      p.refundRate = refundRate
      p.start = try day(start, flag: "start")
      p.launch = try launch.map { try day($0, flag: "launch") }
      p.acquisitionTrendPerYear = try change(acquisitionTrend, flag: "acquisition-trend")
      p.purchaseSeasonality = try change(purchaseSeasonality, flag: "purchase-seasonality")
      p.launchChurn = try change(launchChurn, flag: "launch-churn")
      p.launchConversion = try change(launchConversion, flag: "launch-conversion")
      p.launchFrequency = try change(launchFrequency, flag: "launch-frequency")
      p.launchSpend = try change(launchSpend, flag: "launch-spend")
      if let control {
        guard let share = RelativeChange(parsing: control) else {
          throw ValidationError("--control: '\(control)' is not a share; expected a percentage such as 10%")
        }
        p.controlShare = share.value
      }
      p.regions = regions
      p.regionStaggerMonths = staggerMonths
      do {
        try p.validate()
      } catch {
        throw ValidationError(error.description)
      }
      return p
    }

    func run() throws {
      let history = try SyntheticHistoryGenerator.generate(parameters())
      let csv = history.csvBytes()
      let truthJSON = try JSONOutput.encode(history.truth)
      if output == "-" {
        FileHandle.standardOutput.write(Data(csv))
        return
      }
      try AtomicFile.write(csv, to: output)
      let truthPath = GeneratedFiles.truthPath(forCSV: output)
      try AtomicFile.write(truthJSON, to: truthPath)
      if history.parameters.controlShare != nil {
        try AtomicFile.write(history.controlIDs(), to: GeneratedFiles.controlPath(forCSV: output))
      }
      let counts = history.truth.counts
      printError(
        "wrote \(output): \(counts.rows) rows, \(counts.customers) customers (\(counts.buyers) buyers), "
          + "\(history.parameters.start) to \(history.parameters.end.adding(days: -1)); truth in \(truthPath)")
    }
  }
}

extension GeneratorRegime: ExpressibleByArgument {}

func day(_ text: String, flag: String) throws -> CalendarDay {
  guard let value = CalendarDay(iso: text) else {
    throw ValidationError("--\(flag): '\(text)' is not a date; expected YYYY-MM-DD, e.g. 2025-03-01")
  }
  guard Limits.days.contains(value) else {
    throw ValidationError("--\(flag): '\(text)' is out of range; expected a date from \(Limits.days.lowerBound) to \(Limits.days.upperBound)")
  }
  return value
}

func change(_ text: String, flag: String) throws -> Double {
  guard let value = RelativeChange(parsing: text) else {
    throw ValidationError("--\(flag): '\(text)' is not a relative change; expected a percentage such as -20% or +5%")
  }
  return value.value
}

/// A significance level from `--alpha`: the chance of a false verdict the tests allow.
func significanceLevel(_ alpha: Double) throws -> Double {
  guard (0.001...0.2).contains(alpha) else {
    throw ValidationError("--alpha: '\(alpha)' must be from 0.001 to 0.2 (the chance of a false verdict; 0.05 is usual)")
  }
  return alpha
}

/// Prints to standard error: progress and summaries, so standard output stays for data.
func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

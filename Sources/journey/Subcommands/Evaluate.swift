import ArgumentParser
import Foundation
import JourneyKit

extension JourneyCommand {
  struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Judge a CRM rollout: KPIs before and after, changed transitions, lift over the old trend.",
      discussion: """
        Compares the windows before and after the launch (the launch period itself belongs to \
        neither unless the launch is on its first day), tests which states' moves changed, and \
        sets the actual post-launch KPIs against what the pre-launch model projects from the \
        base at the launch with the acquisitions that actually happened.

        Example:
          journey evaluate transactions.csv --launch 2025-03-01
          journey evaluate data.csv --launch 2025-03-01 --pre 12 --post 6 --targets goals.yaml
          journey evaluate transactions.csv --launch 2025-03-01 --report rollout.html
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Launch date of the rollout (YYYY-MM-DD).")
    var launch: String

    @Option(parsing: .unconditional, help: "Complete periods before the launch to compare.")
    var pre: Int = 12

    @Option(parsing: .unconditional, help: "Complete periods after the launch (default: all the data has, at most 12).")
    var post: Int?

    @Option(parsing: .unconditional, help: "Bootstrap resamples for the KPI intervals.")
    var bootstrap: Int = 500

    @Option(parsing: .unconditional, help: "Counterfactual replicates.")
    var replicates: Int = 500

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "A YAML file of targets: [{kpi, direction: increase|decrease, value | change, by}].")
    var targets: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write the KPIs and lifts as CSV to this file.")
    var csv: String?

    @OptionGroup var report: ReportOption

    func validate() throws {
      _ = try day(launch, flag: "launch")
      guard pre >= 3 else { throw ValidationError("--pre: '\(pre)' must be at least 3 periods") }
      if let post, post < 1 { throw ValidationError("--post: '\(post)' must be at least 1 period") }
      guard (50...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap: '\(bootstrap)' must be from 50 to 100000") }
      guard (50...100_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 50 to 100000") }
    }

    func run() throws {
      try guardOutputs([("--csv", csv), ("--report", report.report)] + input.outputs, inputs: [input.file, targets] + model.inputs)
      var options = EvaluationOptions(launch: try day(launch, flag: "launch"))
      options.prePeriods = pre
      options.postPeriods = post
      options.fit = try model.fitOptions(source: input.file, allowAuto: true)
      options.bootstrap = bootstrap
      options.replicates = replicates
      options.seed = seed
      let goals = try targets.map { path -> [EvaluationTarget] in
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--targets: cannot read '\(path)'") }
        return try EvaluationTarget.load(yaml: String(decoding: data, as: UTF8.self), source: path)
      }
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      if model.autoStates {
        // Chosen on the data before the launch only: the choice must not see the effect it judges.
        let before = ingest.table.truncated(through: options.launch.adding(days: -1))
        let selection = try StateSpaceSelection.run(before, fit: options.fit, options: model.selectionOptions())
        options.fit.stateSpace = selection.chosen
        printError("states: \(selection.chosenLabel), chosen on the data before the launch: \(selection.reason)")
      }
      var evaluation = try RolloutEvaluation.run(ingest.table, options: options)
      if let goals { evaluation.check(goals) }
      if let csv { try AtomicFile.write(evaluation.csv(), to: csv) }
      try report.write { EvaluationReport(evaluation: evaluation, ingest: ingest.summary).document() }
      print(json ? try JSONOutput.encode(evaluation) : evaluation.text(), terminator: json ? "" : "\n")
    }
  }
}

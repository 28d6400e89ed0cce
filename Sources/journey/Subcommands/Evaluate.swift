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

        With a control group (--control FILE of held-out customer ids, or --group COLUMN \
        saying control or treated per customer) the rollout is judged by difference in \
        differences per KPI and per move of the chain, with a verdict that controls the false \
        discoveries across all of them, and its effect rolled out to everyone in money:
          journey evaluate held.csv --launch 2025-01-01 --control held.control.txt
          journey evaluate held.csv --launch 2025-01-01 --group group --write-scenario measured.yaml

        A staggered rollout (--launches FILE: `region,launch` then a line `value,YYYY-MM-DD` \
        per group) compares each group, by time since its launch, with the groups not yet \
        launched:
          journey evaluate staggered.csv --launches launches.csv
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Launch date of the rollout (YYYY-MM-DD); with --launches, the dates come from the file.")
    var launch: String?

    @Option(parsing: .unconditional, help: "Complete periods before the launch to compare.")
    var pre: Int = 12

    @Option(parsing: .unconditional, help: "Complete periods after the launch (default: all the data has, at most 12).")
    var post: Int?

    @Option(parsing: .unconditional, help: "Bootstrap resamples for the KPI intervals.")
    var bootstrap: Int = MonteCarloDefaults.evaluationBootstrap

    @Option(parsing: .unconditional, help: "Counterfactual replicates.")
    var replicates: Int = MonteCarloDefaults.evaluationReplicates

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = MonteCarloDefaults.seed

    @Option(parsing: .unconditional, help: "Chance of a false verdict the tests allow; intervals cover 1 - alpha.")
    var alpha: Double = 0.05

    @Option(help: "A file of control-group customer ids, one a line (everyone else is treated).")
    var control: String?

    @Option(help: "A column saying control or treated per customer (read from the customer's first row).")
    var group: String?

    @Option(help: "Staggered launches: a file of `value,YYYY-MM-DD` lines, a launch date per value of a column (a header `region,launch` names the column, or give --group).")
    var launches: String?

    @Option(help: "With a control group: write the measured effect as a scenario YAML for `journey compare`.")
    var writeScenario: String?

    @Option(help: "A YAML file of targets: [{kpi, direction: increase|decrease, value | change, by}].")
    var targets: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Also write the KPIs and lifts as CSV to this file.")
    var csv: String?

    @OptionGroup var report: ReportOption

    func validate() throws {
      if let launch { _ = try day(launch, flag: "launch") }
      if (launch == nil) == (launches == nil) {
        throw ValidationError(launch == nil ? "--launch: missing; give the launch date (YYYY-MM-DD), or --launches FILE for a staggered rollout" : "--launch and --launches: give one date for everyone or a file of dates per group, not both")
      }
      guard pre >= 3 else { throw ValidationError("--pre: '\(pre)' must be at least 3 periods") }
      if let post, post < 1 { throw ValidationError("--post: '\(post)' must be at least 1 period") }
      guard (50...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap: '\(bootstrap)' must be from 50 to 100000") }
      guard (50...100_000).contains(replicates) else { throw ValidationError("--replicates: '\(replicates)' must be from 50 to 100000") }
      _ = try significanceLevel(alpha)
      if control != nil && group != nil {
        throw ValidationError("--control and --group: give one way of saying who is in the control group, not both")
      }
      if launches != nil && control != nil {
        throw ValidationError("--launches and --control: a staggered rollout compares groups not yet launched; give one of them")
      }
      if writeScenario != nil && (control == nil && group == nil || launches != nil) {
        throw ValidationError("--write-scenario: needs a control group (--control FILE or --group COLUMN); without one the effect is not measured")
      }
    }

    func run() throws {
      try guardOutputs([("--csv", csv), ("--report", report.report)] + input.outputs, inputs: [input.file, targets] + model.inputs)
      // A staggered rollout reads its launches from the file; the options' launch is unused there.
      var options = EvaluationOptions(launch: try launch.map { try day($0, flag: "launch") } ?? CalendarDay(year: 2000, month: 1, day: 1)!)
      options.prePeriods = pre
      options.alpha = try significanceLevel(alpha)
      options.postPeriods = post
      options.fit = try model.fitOptions(source: input.file, allowAuto: true)
      options.bootstrap = bootstrap
      options.replicates = replicates
      options.seed = seed
      let goals = try targets.map { path -> [EvaluationTarget] in
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--targets: cannot read '\(path)'") }
        return try EvaluationTarget.load(yaml: String(decoding: data, as: UTF8.self), source: path)
      }
      if let launches {
        return try runStaggered(options, launchesFile: launches)
      }
      if control != nil || group != nil {
        return try runControlled(options)
      }
      let ingest = try input.read(keeping: model.splitBy.map { [$0] } ?? [])
      try RolloutEvaluation.checkWindows(ingest.table, options: options)
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

    /// Each group against the groups not yet launched.
    func runStaggered(_ options: EvaluationOptions, launchesFile: String) throws {
      try guardOutputs([], inputs: [input.file, launchesFile])
      if targets != nil || report.report != nil {
        throw ValidationError("--targets and --report: not yet available with --launches; run without it for them")
      }
      guard let data = FileManager.default.contents(atPath: launchesFile) else {
        throw ValidationError("--launches: cannot read '\(launchesFile)'; expected lines `value,YYYY-MM-DD`")
      }
      let parsed = try StaggeredEvaluation.parseLaunches(String(decoding: data, as: UTF8.self), source: launchesFile)
      guard let column = group ?? parsed.column else {
        throw ValidationError("--launches: '\(launchesFile)' has no header naming the column; add one (e.g. `region,launch`) or give --group COLUMN")
      }
      var options = options
      let ingest = try input.read(keeping: (model.splitBy.map { [$0] } ?? []) + [column])
      if model.autoStates {
        let first = parsed.launches.values.min()!
        let before = ingest.table.truncated(through: first.adding(days: -1))
        let selection = try StateSpaceSelection.run(before, fit: options.fit, options: model.selectionOptions())
        options.fit.stateSpace = selection.chosen
        printError("states: \(selection.chosenLabel), chosen on the data before the first launch: \(selection.reason)")
      }
      let evaluation = try StaggeredEvaluation.run(ingest.table, column: column, launches: parsed.launches, source: launchesFile, options: options)
      print(json ? try JSONOutput.encode(evaluation) : evaluation.text(), terminator: json ? "" : "\n")
    }

    /// Difference in differences against a control group.
    func runControlled(_ options: EvaluationOptions) throws {
      try guardOutputs([("--write-scenario", writeScenario), ("--csv", csv), ("--report", report.report)] + input.outputs, inputs: [input.file, control] + model.inputs)
      if targets != nil {
        throw ValidationError("--targets: not yet available with a control group; run without --control/--group for them")
      }
      var options = options
      let controlIDs = try control.map { path in
        guard let data = FileManager.default.contents(atPath: path) else {
          throw ValidationError("--control: cannot read '\(path)'; expected a file of customer ids, one a line")
        }
        return String(decoding: data, as: UTF8.self)
      }
      let ingest = try input.read(keeping: (model.splitBy.map { [$0] } ?? []) + (group.map { [$0] } ?? []))
      try RolloutEvaluation.checkWindows(ingest.table, options: options)
      if model.autoStates {
        let before = ingest.table.truncated(through: options.launch.adding(days: -1))
        let selection = try StateSpaceSelection.run(before, fit: options.fit, options: model.selectionOptions())
        options.fit.stateSpace = selection.chosen
        printError("states: \(selection.chosenLabel), chosen on the data before the launch: \(selection.reason)")
      }
      let groups: [RolloutGroup]
      if let control, let controlIDs {
        groups = try RolloutGroup.fromControlList(controlIDs, source: control, table: ingest.table)
      } else {
        groups = try RolloutGroup.fromColumn(group!, table: ingest.table)
      }
      let evaluation = try ControlledEvaluation.run(ingest.table, groups: groups, options: options)
      if let csv { try AtomicFile.write(evaluation.csv(), to: csv) }
      if let writeScenario, let yaml = evaluation.rollout?.scenarioYAML { try AtomicFile.write(yaml, to: writeScenario) }
      try report.write { ControlledEvaluationReport(evaluation: evaluation).document() }
      print(json ? try JSONOutput.encode(evaluation) : evaluation.text(), terminator: json ? "" : "\n")
    }
  }
}

import Foundation

/// The planner's workspace (`journey serve`): one model, a folder of scenario files, and the
/// scenarios being edited, compared with the same library calls as `journey compare`.
///
/// Every scenario's forecast depends only on its own file, the model and the forecast options
/// (replicate r draws from stream r of the seed), so forecasts are kept by scenario text: a
/// change to one scenario forecasts that one again and reuses the others. The comparison is
/// then `ScenarioComparison.assemble` over them, exactly what `journey compare` computes from
/// the same files with the same `--horizon`, `--replicates`, `--seed` and flags.
public final class Workspace: @unchecked Sendable {
  /// The model the page forecasts.
  public let model: MarkovModel
  /// Where the model was read from (shown on the page).
  public let modelPath: String
  /// The folder scenarios are read from and saved to.
  public let scenarios: ScenarioFolder
  /// The forecast options every comparison uses (`--horizon`, `--replicates`, `--seed`).
  public let options: ForecastOptions
  /// The transactions the model came from, when given (`--data`): evaluation and backtest open on them.
  public let data: IngestResult?
  /// Where the transactions were read from (nil without `--data`).
  public let dataPath: String?
  /// The model's own forecast (`journey forecast` with the same options).
  public let baselineForecast: Forecast
  /// The levers of the model (`journey levers` with the same horizon and acquisition).
  public let levers: LeverAnalysis

  private let lock = NSLock()
  private var forecasts: [String: Forecast] = [:]
  private var forecastOrder: [String] = []
  /// Forecasts kept; a planner edits a handful of scenarios, each a few versions back. Fewer when
  /// each is large, so that the cache stays within `Limits.replicatePeriods`' memory.
  static let cachedForecasts = 64
  static func forecastsKept(_ options: ForecastOptions) -> Int {
    let each = max(1, options.replicates * options.horizon)
    return max(1, min(cachedForecasts, Limits.replicatePeriods / each))
  }

  /// - Throws: what `ForecastEngine.run` and `LeverAnalysis.analyse` throw for the model.
  public init(model: MarkovModel, modelPath: String, scenarios: ScenarioFolder, options: ForecastOptions, data: IngestResult? = nil, dataPath: String? = nil) throws {
    self.model = model
    self.modelPath = modelPath
    self.scenarios = scenarios
    self.options = options
    self.data = data
    self.dataPath = dataPath
    baselineForecast = try ForecastEngine.run(model: model, options: options)
    levers = try LeverAnalysis.analyse(model: model, horizon: options.horizon, inflow: options.acquisition.inflow(model: model, horizon: options.horizon))
  }

  /// One scenario in the editor: the file it is saved as and its controls.
  public struct EditedScenario: Sendable, Equatable {
    /// File name in the scenarios folder (`winback.yaml`); empty for a scenario not saved yet.
    public var file: String
    /// The editor's values for it.
    public var form: ScenarioForm
    /// A scenario in the editor: its file and its form.
    public init(file: String, form: ScenarioForm) {
      self.file = file
      self.form = form
    }

    /// Whether the planner has filled in anything (a blank "new scenario" card is not compared).
    public var isBlank: Bool { form.fields.values.allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } }

    /// The name the scenario's errors and rows carry as their source.
    var source: String { file.isEmpty ? "(unsaved scenario)" : file }
  }

  /// The comparison of the scenarios in the editor, or why some could not be compared.
  public struct Update: Sendable {
    /// The scenarios in the editor, in order.
    public var scenarios: [EditedScenario]
    /// Per scenario (by its position in `scenarios`): messages by control name; the key "" holds
    /// a message about the scenario as a whole.
    public var errors: [Int: [String: String]]
    /// Positions of the scenarios in the comparison, in its order (the first is the baseline).
    public var compared: [Int]
    /// The comparison (nil when no scenario could be compared).
    public var comparison: ScenarioComparison?
  }

  /// The scenario files of the folder this model can run, baseline first, for the editor to
  /// open with; the others with the reason they cannot be opened.
  public func openingScenarios(limit: Int = 8) -> (open: [EditedScenario], skipped: [(file: String, reason: String)]) {
    var open: [EditedScenario] = []
    var skipped: [(String, String)] = []
    for file in scenarios.files() {
      do {
        let form = try ScenarioForm(yaml: try scenarios.read(file), source: file)
        _ = try ScenarioPlan(try form.scenario(source: file), model: model)
        if open.count < limit { open.append(EditedScenario(file: file, form: form)) } else { skipped.append((file, "more than \(limit) scenarios; open it in place of another")) }
      } catch let error as YAMLFileError {
        skipped.append((file, Self.message(error)))
      } catch {
        skipped.append((file, String(describing: error)))
      }
    }
    // The baseline first, as `journey compare` takes its first file.
    if let k = open.firstIndex(where: { $0.file == "baseline.yaml" }), k > 0 { open.insert(open.remove(at: k), at: 0) }
    return (open, skipped)
  }

  /// Reads, checks and compares the edited scenarios: what `journey compare` would print for
  /// them saved as files, in this order, with this workspace's options.
  public func update(_ edited: [EditedScenario]) -> Update {
    var result = Update(scenarios: edited, errors: [:], compared: [], comparison: nil)
    var plans: [ScenarioPlan] = []
    var names: Set<String> = []
    for (k, item) in edited.enumerated() where !item.isBlank {
      do {
        let plan = try ScenarioPlan(try item.form.scenario(source: item.source), model: model)
        try plan.checkTiming(horizon: options.horizon)
        guard names.insert(plan.scenario.name).inserted else {
          throw YAMLFileError(file: item.source, path: "name", message: "'\(plan.scenario.name)' is the name of another scenario here", hint: "give each scenario its own name")
        }
        plans.append(plan)
        result.compared.append(k)
      } catch {
        record(error, scenario: k, in: &result)
      }
    }
    guard !plans.isEmpty else { return result }
    do {
      let forecasts = try plans.map { try forecast($0) }
      result.comparison = try ScenarioComparison.assemble(plans: plans, forecasts: forecasts, options: options)
    } catch {
      // Margins that cannot be compared name the scenario without one.
      let k = (error as? YAMLFileError).flatMap { e in result.compared.first { edited[$0].source == e.file } } ?? result.compared[0]
      record(error, scenario: k, in: &result)
      result.compared = []
    }
    return result
  }

  private func record(_ error: any Error, scenario k: Int, in result: inout Update) {
    guard let e = error as? YAMLFileError else {
      result.errors[k, default: [:]][""] = String(describing: error)
      return
    }
    let names = Array(result.scenarios[k].form.fields.keys) + Self.alwaysShown
    let control = ScenarioForm.control(for: e.path, among: names) ?? ""
    result.errors[k, default: [:]][control] = Self.message(e)
  }

  /// Controls every editor card has, so a message about them has a place even when empty.
  static let alwaysShown = ["name", "margin", "interventions[0].targets", "interventions[0].effects.churn", "acquisition.change"]

  /// The scenario language's message without the file and line (the control shows where):
  /// `interventions[0].reach: '150%' is not valid; expected a share from 0% to 100%`.
  public static func message(_ e: YAMLFileError) -> String {
    "\(e.path.isEmpty ? "" : "\(e.path): ")\(e.message)" + (e.hint.map { "; \($0)" } ?? "")
  }

  /// The plan's forecast, from the cache when this exact scenario was forecast before.
  private func forecast(_ plan: ScenarioPlan) throws -> Forecast {
    var key = plan.scenario
    key.source = ""
    let text = String(describing: key)
    lock.lock()
    if let cached = forecasts[text] {
      lock.unlock()
      return cached
    }
    lock.unlock()
    let f = try ForecastEngine.run(model: model, options: options, adjustment: plan.adjustment)
    lock.lock()
    defer { lock.unlock() }
    if forecasts[text] == nil {
      forecasts[text] = f
      forecastOrder.append(text)
      if forecastOrder.count > Self.forecastsKept(options) { forecasts[forecastOrder.removeFirst()] = nil }
    }
    return f
  }

  /// Saves one edited scenario into the scenarios folder as YAML, after reading it back and
  /// binding it to the model exactly as `journey compare` would on load.
  /// - Returns: the path written.
  /// - Throws: `YAMLFileError` for a mistake in the scenario (with the control's path);
  ///   `ScenarioFolderError` for a file name outside the folder's rules.
  public func save(_ item: EditedScenario) throws -> String {
    let text = item.form.yaml()
    let file = try scenarios.checkedName(item.file)
    let scenario = try Scenario.load(yaml: text, source: file)
    let plan = try ScenarioPlan(scenario, model: model)
    try plan.checkTiming(horizon: options.horizon)
    return try scenarios.write(text, as: file)
  }

  /// The comparison as the report `journey compare --report` writes (HTML or Markdown).
  public func report(_ comparison: ScenarioComparison, format: ReportFormat) -> String {
    let document = ComparisonReport(comparison: comparison, model: model).document(ingest: data?.summary)
    return format == .html ? document.html() : document.markdown()
  }
}

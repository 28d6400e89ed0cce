import Foundation

/// The workspace as HTML: one server-rendered page with inline CSS, inline SVG charts (the
/// reports' chart kit) and a small inline script that sends the editor's controls on every
/// change and puts the updated comparison in place. Nothing is loaded from elsewhere.
///
/// Every control is named by its scenario's position and its path in the scenario language
/// (`s1.interventions[0].effects.churn`); its message, when it has one, sits right below it in
/// an element with the id `err:` + its name, announced to screen readers.
public struct WorkspacePage: Sendable {
  /// The workspace the page shows.
  public var workspace: Workspace
  /// Sent back with every change and save (`X-Journey-Token`); a page from elsewhere cannot know it.
  public var token: String

  /// The page of `workspace`, guarded by `token`.
  public init(workspace: Workspace, token: String) {
    self.workspace = workspace
    self.token = token
  }

  static let e = SVGCanvas.escape

  /// The whole page for the scenarios in the editor and their comparison.
  public func html(_ update: Workspace.Update, skipped: [(file: String, reason: String)] = [], notice: String? = nil) -> String {
    let w = workspace
    let m = w.model
    let kind = m.window.period
    var out: [String] = []
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    out.append("<title>Journey workspace: \(Self.e(m.input.source))</title>")
    out.append("<style>\n\(ReportDocument.stylesheet)\(Self.stylesheet)</style>\n</head>\n<body>\n<main class=\"workspace\">")
    out.append("<header><h1>Journey workspace</h1><p class=\"subtitle\">Model \(Self.e(w.modelPath)): \(m.stateSpace.count) \(Self.e(m.stateSpace.kind.label)) states, \(Self.e(m.window.description)); "
      + "scenarios from \(Self.e(w.scenarios.path)); forecasts of \(ReportWording.periods(w.options.horizon, kind)) with \(w.options.replicates) replicates (seed \(w.options.seed)\(w.options.processNoise ? "" : ", no process noise")).</p></header>")
    out.append("<nav aria-label=\"Sections\"><a href=\"#editor\">Scenarios</a> <a href=\"#comparison\">Comparison</a> <a href=\"#levers\">Levers</a> <a href=\"#model\">Segments and moves</a> <a href=\"#forecast\">Baseline forecast</a>\(w.data != nil ? " <a href=\"#data\">Evaluation and backtest</a>" : "")</nav>")
    if let notice { out.append("<p class=\"note\" role=\"status\">\(Self.e(notice))</p>") }
    out.append("<div class=\"columns\">")
    out.append(editor(update, skipped: skipped))
    out.append("<section id=\"comparison\" aria-live=\"polite\" aria-label=\"Comparison\">\(comparisonHTML(update))</section>")
    out.append("</div>")
    out.append(leversSection())
    out.append(modelSection())
    out.append(forecastSection())
    if w.data != nil { out.append(dataSection()) }
    out.append("<footer><p>journey serve: numbers from the same library calls as <code>journey compare</code>, <code>journey levers</code> and <code>journey forecast</code> with the options above.</p></footer>")
    out.append("</main>\n<script>\n\(Self.script)</script>\n</body>\n</html>")
    return out.joined(separator: "\n") + "\n"
  }

  // MARK: Editor

  func editor(_ update: Workspace.Update, skipped: [(file: String, reason: String)]) -> String {
    var out = ["<form id=\"editor\" method=\"post\" action=\"/\" aria-label=\"Scenario editor\">"]
    out.append("<input type=\"hidden\" name=\"token\" value=\"\(Self.e(token))\">")
    out.append("<h2>Scenarios</h2>")
    out.append("<p class=\"hint\">The first scenario is the baseline. Every control is a key of the scenario language (scenarios/README.md); the comparison updates as you type. Relative effects are written like -15% or +0.1, shares like 60%, periods as whole numbers.</p>")
    var cards = update.scenarios
    if cards.last.map({ !$0.isBlank }) ?? true { cards.append(Workspace.EditedScenario(file: "", form: ScenarioForm())) }
    for (k, item) in cards.enumerated() {
      out.append(card(k, item, errors: update.errors[k] ?? [:], isNew: item.isBlank && k == cards.count - 1))
    }
    if !skipped.isEmpty {
      out.append("<details class=\"skipped\"><summary>\(skipped.count) file\(skipped.count == 1 ? "" : "s") in the folder not opened</summary><ul>")
      for s in skipped { out.append("<li><code>\(Self.e(s.file))</code>: \(Self.e(s.reason))</li>") }
      out.append("</ul></details>")
    }
    out.append("<div class=\"actions\"><button type=\"submit\" id=\"update\">Update comparison</button> "
      + "<button type=\"submit\" formaction=\"/report.html\" id=\"download-html\">Download report (HTML)</button> "
      + "<button type=\"submit\" formaction=\"/report.md\" id=\"download-md\">Download report (Markdown)</button></div>")
    out.append("</form>")
    return out.joined(separator: "\n")
  }

  func card(_ k: Int, _ item: Workspace.EditedScenario, errors: [String: String], isNew: Bool) -> String {
    let f = item.form
    let prefix = "s\(k)."
    func field(_ path: String, _ label: String, _ help: String, wide: Bool = false) -> String {
      let name = prefix + path
      let message = errors[path]
      let id = Self.e(name)
      return "<div class=\"field\(wide ? " wide" : "")\"><label for=\"\(id)\">\(Self.e(label))</label>"
        + "<input type=\"text\" id=\"\(id)\" name=\"\(id)\" value=\"\(Self.e(f.fields[path] ?? ""))\" aria-describedby=\"help:\(id) err:\(id)\"\(message != nil ? " aria-invalid=\"true\"" : "") autocomplete=\"off\" spellcheck=\"false\">"
        + "<small id=\"help:\(id)\" class=\"help\">\(Self.e(help))</small>"
        + "<span class=\"err\" id=\"err:\(id)\" role=\"alert\">\(Self.e(message ?? ""))</span></div>"
    }
    let title = isNew ? "New scenario" : (f["name"] ?? "Scenario \(k + 1)") + (k == 0 ? " (baseline)" : "")
    var out: [String] = []
    out.append(isNew ? "<details class=\"card new\"><summary>Add a scenario</summary>" : "")
    out.append("<fieldset class=\"card\" id=\"card-\(k)\"><legend>\(Self.e(title))</legend>")
    out.append("<span class=\"err\" id=\"err:\(Self.e(prefix))\" role=\"alert\">\(Self.e(errors[""] ?? ""))</span>")
    out.append("<div class=\"grid\">")
    out.append(field("name", "Name", "shown in the comparison"))
    out.append(field("margin", "Margin", "gross margin, e.g. 35%"))
    out.append(field("description", "Description", "one line for the report", wide: true))
    out.append(field("requires", "Requires", "state space, e.g. lifecycle"))
    let fileName = prefix + "file"
    out.append("<div class=\"field\"><label for=\"\(Self.e(fileName))\">Save as</label><input type=\"text\" id=\"\(Self.e(fileName))\" name=\"\(Self.e(fileName))\" value=\"\(Self.e(item.file))\" aria-describedby=\"err:\(Self.e(fileName))\" autocomplete=\"off\" spellcheck=\"false\"><small class=\"help\">file in the scenarios folder</small><span class=\"err\" id=\"err:\(Self.e(fileName))\" role=\"alert\">\(Self.e(errors["file"] ?? ""))</span></div>")
    out.append("</div>")
    let existing = f.interventionIndices
    let slots = existing + [(existing.max() ?? -1) + 1]
    for (n, i) in slots.enumerated() {
      let p = "interventions[\(i)]"
      let isExtra = n == slots.count - 1
      out.append(isExtra ? "<details><summary>Add an intervention</summary>" : "")
      out.append("<fieldset class=\"intervention\"><legend>\(Self.e(f["\(p).name"] ?? "Intervention \(n + 1)"))</legend><div class=\"grid\">")
      out.append(field("\(p).name", "Intervention name", "e.g. win-back e-mails"))
      out.append(field("\(p).targets", "Targets", "states or stages, comma-separated: \(targetExamples)", wide: true))
      out.append(field("\(p).tier", "Tier", "less_valuable or more_valuable (value models)"))
      out.append(field("\(p).reach", "Reach", "share contacted, e.g. 60%"))
      out.append(field("\(p).start", "Start", "first period, from 1"))
      out.append(field("\(p).duration", "Duration", "periods; empty: to the horizon"))
      out.append(field("\(p).ramp_up", "Ramp-up", "periods to full effect"))
      out.append(field("\(p).decay", "Decay", "periods to fade after the end"))
      out.append("</div><p class=\"group\">Effects on reached customers</p><div class=\"grid\">")
      out.append(field("\(p).effects.churn", "Churn", "relative, e.g. -15%"))
      out.append(field("\(p).effects.conversion", "Conversion", "relative, e.g. +25%"))
      out.append(field("\(p).effects.upgrade", "Upgrade", "relative (value models)"))
      out.append(field("\(p).effects.spend", "Spend", "relative, e.g. +5%"))
      let moves = f.moveIndices(intervention: i)
      for m in moves + [(moves.max() ?? -1) + 1] {
        let mp = "\(p).effects.move[\(m)]"
        out.append(field("\(mp).from", "Move from", "a state or stage"))
        out.append(field("\(mp).to", "Move to", "a state or stage"))
        out.append(field("\(mp).change", "Move change", "absolute, e.g. +0.05"))
      }
      out.append("</div><p class=\"group\">Costs</p><div class=\"grid\">")
      out.append(field("\(p).costs.per_contact", "Per contact", "per contacted customer and period"))
      out.append(field("\(p).costs.fixed_per_period", "Fixed per period", "while it runs"))
      out.append(field("\(p).costs.per_conversion", "Per conversion", "per reached customer who buys"))
      out.append("</div></fieldset>")
      out.append(isExtra ? "</details>" : "")
    }
    out.append("<fieldset class=\"intervention\"><legend>Acquisition</legend><div class=\"grid\">")
    out.append(field("acquisition.change", "Change of new customers", "relative, e.g. +10%"))
    out.append(field("acquisition.cost_per_customer", "Cost per extra customer", "e.g. 30"))
    out.append(field("acquisition.start", "Start", "first period, from 1"))
    out.append(field("acquisition.duration", "Duration", "periods; empty: to the horizon"))
    out.append("</div></fieldset>")
    out.append("<div class=\"actions\"><button type=\"button\" class=\"save\" data-scenario=\"\(k)\" id=\"save-\(k)\">Save as YAML</button> <span class=\"saved\" id=\"saved-\(k)\" role=\"status\"></span></div>")
    out.append("</fieldset>")
    out.append(isNew ? "</details>" : "")
    return out.filter { !$0.isEmpty }.joined(separator: "\n")
  }

  /// Stage names, then a few state names, as examples for the targets control.
  var targetExamples: String {
    let stages = Stage.allCases.filter { s in s != .custom && workspace.model.stateSpace.states.contains { $0.stage == s } }.map(\.rawValue)
    return (stages.isEmpty ? Array(workspace.model.stateNames.prefix(6)) : stages).joined(separator: ", ")
  }

  // MARK: Comparison

  /// The comparison part of the page, replaced on every change: the summary, the table and the
  /// charts of `journey compare --report`, and the comparison itself as JSON (`journey compare --json`).
  public func comparisonHTML(_ update: Workspace.Update) -> String {
    var out = ["<h2>Comparison</h2>"]
    let left = update.scenarios.indices.filter { !update.scenarios[$0].isBlank && !update.compared.contains($0) }
    if !left.isEmpty {
      let names = left.map { "'\(update.scenarios[$0].form["name"] ?? "scenario \($0 + 1)")'" }.joined(separator: ", ")
      out.append("<p class=\"note\" id=\"not-compared\">Not compared until the marked values are fixed: \(Self.e(names)).</p>")
    }
    guard let c = update.comparison else {
      out.append("<p>No scenario can be compared yet.</p>")
      return out.joined(separator: "\n")
    }
    let report = ComparisonReport(comparison: c, model: workspace.model)
    out.append("<ul class=\"summary-list\">" + report.summarySentences().map { "<li>\(Self.e($0))</li>" }.joined() + "</ul>")
    out.append(ReportDocument.html(report.tableSection(), id: "comparison-table"))
    out.append(ReportDocument.html(report.chartsSection(), id: "comparison-charts"))
    let json = ((try? JSONOutput.encode(c)) ?? "{}").replacingOccurrences(of: "</", with: "<\\/")
    out.append("<script type=\"application/json\" id=\"comparison-data\">\(json)</script>")
    return out.joined(separator: "\n")
  }

  // MARK: Model, forecast, levers

  func leversSection() -> String {
    let l = workspace.levers
    let kind = workspace.model.window.period.rawValue
    let rows = l.levers.prefix(12).map { lever in
      [ReportTable.Cell(lever.from), ReportTable.Cell(lever.to), .number(lever.probability) { Format.percent($0) },
       .number(lever.revenuePerPoint) { Format.number($0) }, .number(lever.equityPerPoint) { Format.number($0) }]
    }
    let table = ReportTable(name: "levers", title: "Transitions ranked by revenue over \(l.horizon) \(kind)s per percentage point", columns: ["from", "to", "now", "revenue per point", "equity per point"], rows: Array(rows))
    let section = ReportSection(title: "Levers, in money", blocks: [
      .paragraph("What one percentage point more of each move is worth (taken from the row's other moves in proportion), as journey levers ranks them: the place to aim a scenario."),
      .table(table),
    ])
    return ReportDocument.html(section, id: "levers")
  }

  func modelSection() -> String {
    let m = workspace.model
    let summary = ModelSummary(model: m)
    let rows = summary.states.map { r in
      [ReportTable.Cell(r.state), .number(r.customersNow) { Format.number($0) }, .number(r.churnNext) { Format.percent($0) },
       .number(r.revenuePerPeriod) { Format.number($0, decimals: 2) }, .number(r.lifetimeValue) { Format.number($0, decimals: 2) }]
    }
    let table = ReportTable(name: "segments", title: "Segments now", columns: ["state", "customers now", "churn next \(m.window.period.rawValue)", "revenue per customer-\(m.window.period.rawValue)", "lifetime value"], rows: rows)
    let moves = ForecastReport(forecast: workspace.baselineForecast, model: m).matrixSection()
    return ReportDocument.html(ReportSection(title: "Segments and moves", blocks: [.table(table)] + moves.blocks), id: "model")
  }

  func forecastSection() -> String {
    let report = ForecastReport(forecast: workspace.baselineForecast, model: workspace.model)
    var section = report.customersSection()
    section.title = "Baseline forecast: " + section.title.prefix(1).lowercased() + section.title.dropFirst()
    return ReportDocument.html(section, id: "forecast")
  }

  func dataSection() -> String {
    let path = workspace.dataPath ?? "the data"
    return """
      <section id="data"><h2>Evaluation and backtest</h2>
      <p>On \(Self.e(path)), as journey evaluate and journey backtest run them; each opens as its report.</p>
      <form method="get" action="/evaluation" class="inline"><label for="launch">Launch date</label> <input type="text" id="launch" name="launch" placeholder="2025-03-01" required> <button type="submit">Evaluate the rollout</button></form>
      <form method="get" action="/backtest" class="inline"><label for="calibration-end">Calibration end</label> <input type="text" id="calibration-end" name="calibration_end" placeholder="2025-06-30" required> <button type="submit">Backtest</button></form>
      </section>
      """
  }

  // MARK: Style and script

  static let stylesheet = """
    main.workspace { max-width: 1500px; padding: 8px 24px 40px; }
    main.workspace header h1 { font-size: 22px; margin: 4px 0 0; }
    main.workspace .subtitle { font-size: 13px; margin: 2px 0 4px; }
    main.workspace > nav { font-size: 14px; margin-bottom: 4px; }
    .columns > * { min-width: 0; }
    nav a { margin-right: 14px; }
    .columns { display: grid; grid-template-columns: minmax(400px, 5fr) 7fr; gap: 24px; align-items: start; }
    #editor { max-height: calc(100vh - 24px); overflow-y: auto; position: sticky; top: 12px; padding-right: 6px; }
    .hint, .help { color: #555; }
    .help { display: block; font-size: 11px; line-height: 1.3; }
    fieldset.card { border: 1px solid #C8CDD3; border-radius: 6px; margin: 12px 0; padding: 8px 12px 12px; background: #FAFBFC; }
    fieldset.card > legend { font-weight: 700; font-size: 16px; padding: 0 4px; }
    fieldset.intervention { border: 1px solid #E1E4E8; border-radius: 4px; margin: 10px 0 0; padding: 6px 10px 10px; background: #FFF; }
    fieldset.intervention > legend { font-weight: 600; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 6px 12px; }
    .field.wide { grid-column: 1 / -1; }
    .field label { display: block; font-size: 13px; font-weight: 600; }
    .field input { width: 100%; box-sizing: border-box; font: inherit; font-size: 14px; padding: 3px 6px; border: 1px solid #8A939C; border-radius: 3px; }
    input:focus, button:focus, summary:focus, a:focus { outline: 3px solid #0072B2; outline-offset: 1px; }
    input[aria-invalid="true"] { border: 2px solid #D55E00; background: #FFF6EF; }
    .err { display: block; color: #A33C00; font-size: 12px; font-weight: 600; }
    .err:empty { display: none; }
    p.group { margin: 8px 0 2px; font-weight: 600; font-size: 13px; color: #333; }
    details > summary { cursor: pointer; color: #0072B2; margin: 8px 0; }
    .actions { margin: 10px 0; }
    button { font: inherit; padding: 4px 12px; border: 1px solid #0072B2; border-radius: 4px; background: #0072B2; color: #FFF; cursor: pointer; }
    button.save { background: #FFF; color: #0072B2; }
    .saved { font-size: 13px; }
    #comparison h2:first-child { margin-top: 12px; }
    .summary-list li { margin: 4px 0; }
    form.inline { margin: 8px 0; }
    form.inline input { font: inherit; padding: 3px 6px; }
    @media (max-width: 1000px) { .columns { grid-template-columns: 1fr; } #editor { position: static; max-height: none; } }

    """

  /// Sends the editor on every change (one request at a time; a change made meanwhile is sent
  /// when the answer arrives), puts the comparison and the messages in place, and saves.
  static let script = #"""
    (function () {
      "use strict";
      var form = document.getElementById("editor");
      var token = form.elements.namedItem("token").value;
      var inFlight = false, again = false, updates = 0;
      function body(extra) {
        var data = new URLSearchParams(new FormData(form));
        if (extra) { for (var key in extra) { data.set(key, extra[key]); } }
        return data;
      }
      function showErrors(errors) {
        var shown = form.querySelectorAll(".err");
        for (var i = 0; i < shown.length; i++) { shown[i].textContent = ""; }
        var marked = form.querySelectorAll("[aria-invalid]");
        for (var j = 0; j < marked.length; j++) { marked[j].removeAttribute("aria-invalid"); }
        for (var name in errors) {
          var slot = document.getElementById("err:" + name);
          if (slot) { slot.textContent = errors[name]; }
          var control = document.getElementById(name);
          if (control) { control.setAttribute("aria-invalid", "true"); }
        }
      }
      function update() {
        if (inFlight) { again = true; return; }
        inFlight = true;
        document.body.setAttribute("data-pending", "true");
        fetch("/api/compare", { method: "POST", headers: { "X-Journey-Token": token }, body: body() })
          .then(function (r) { return r.json(); })
          .then(function (answer) {
            document.getElementById("comparison").innerHTML = answer.html;
            showErrors(answer.errors);
            updates += 1;
            document.body.setAttribute("data-updates", String(updates));
          })
          .catch(function (e) { document.getElementById("comparison").setAttribute("data-error", String(e)); })
          .then(function () {
            inFlight = false;
            if (again) { again = false; update(); } else { document.body.setAttribute("data-pending", "false"); }
          });
      }
      form.addEventListener("input", update);
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (button && button.getAttribute("formaction")) { return; }
        event.preventDefault();
        update();
      });
      var buttons = form.querySelectorAll("button.save");
      for (var b = 0; b < buttons.length; b++) {
        buttons[b].addEventListener("click", function (event) {
          var k = event.currentTarget.getAttribute("data-scenario");
          var status = document.getElementById("saved-" + k);
          status.textContent = "Saving...";
          fetch("/api/save", { method: "POST", headers: { "X-Journey-Token": token }, body: body({ save: k }) })
            .then(function (r) { return r.json(); })
            .then(function (answer) {
              status.textContent = answer.saved ? "Saved to " + answer.saved : "Not saved: " + answer.error;
              if (answer.errors) { showErrors(answer.errors); }
            })
            .catch(function (e) { status.textContent = "Not saved: " + e; });
        });
      }
      document.body.setAttribute("data-ready", "true");
    })();

    """#
}

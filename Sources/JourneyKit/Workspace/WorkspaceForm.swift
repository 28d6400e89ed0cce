import Foundation

/// The editor's controls as a browser sends them (`application/x-www-form-urlencoded`), read
/// back into scenarios, and the answers the page's script reads.
public enum WorkspaceForm {
  /// Name-value pairs of a form body, in order (`+` is a space, `%XX` a byte of UTF-8).
  /// Malformed escapes are kept as written rather than guessed at.
  public static func pairs(_ body: String) -> [(name: String, value: String)] {
    body.split(separator: "&", omittingEmptySubsequences: true).map { part in
      let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
      }
      return (decode(pieces[0]), pieces.count > 1 ? decode(pieces[1]) : "")
    }
  }

  /// Scenarios in the editor are numbered from 0 in the order of the page; at most this many.
  public static let maximumScenarios = 12

  /// The edited scenarios of a form: controls `s<k>.<path>` and `s<k>.file`, by k.
  public static func scenarios(_ pairs: [(name: String, value: String)]) -> [Workspace.EditedScenario] {
    var byIndex: [Int: Workspace.EditedScenario] = [:]
    for (name, value) in pairs where name.hasPrefix("s") {
      guard let dot = name.firstIndex(of: "."), let k = Int(name[name.index(after: name.startIndex)..<dot]), (0..<maximumScenarios).contains(k) else { continue }
      let path = String(name[name.index(after: dot)...])
      var item = byIndex[k] ?? Workspace.EditedScenario(file: "", form: ScenarioForm())
      if path == "file" {
        item.file = value.trimmingCharacters(in: .whitespaces)
      } else if !path.isEmpty {
        item.form.fields[path] = value
      }
      byIndex[k] = item
    }
    guard let last = byIndex.keys.max() else { return [] }
    return (0...last).map { byIndex[$0] ?? Workspace.EditedScenario(file: "", form: ScenarioForm()) }
  }

  /// The page script's answer to a change: the comparison's HTML, the messages by control
  /// name (`s1.interventions[0].reach`; `s1.` for the scenario as a whole), and the comparison
  /// itself in the JSON of `journey compare --json`.
  public static func answer(_ update: Workspace.Update, page: WorkspacePage) throws -> String {
    struct Answer: Encodable {
      var html: String
      var errors: [String: String]
      var compared: [String]
      var comparison: ScenarioComparison?
    }
    var errors: [String: String] = [:]
    for (k, messages) in update.errors {
      for (control, message) in messages { errors["s\(k).\(control)"] = message }
    }
    let compared = update.compared.map { update.scenarios[$0].form["name"] ?? "" }
    return try JSONOutput.encode(Answer(html: page.comparisonHTML(update), errors: errors, compared: compared, comparison: update.comparison))
  }
}

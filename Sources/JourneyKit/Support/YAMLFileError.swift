/// A mistake in a YAML file Journey reads (scenarios, state rules, evaluation targets): the file,
/// the line and column when known, the YAML path, what is wrong and what to try.
///
/// ```
/// s.yaml:4:22: interventions[0].effects.churn: '-120%' is below -100%; a probability or amount cannot fall by more than all of it
/// s.yaml:1:9: at states: expected a non-empty list of states
/// ```
public struct YAMLFileError: Error, Equatable, CustomStringConvertible {
  /// How the message names the YAML path: scenarios and targets put it first (`path: message`),
  /// state rules say where (`at path: message`, `at top level: message`).
  public enum PathWording: Sendable, Equatable {
    case prefix, at
  }

  /// The file as named.
  public var file: String
  /// The line of the mistake, 1-based (nil when the file cannot be read or parsed at all).
  public var line: Int?
  /// The column of the mistake, 1-based.
  public var column: Int?
  /// The YAML path, e.g. `interventions[1].effects.churn` or `states[2].when.recency`.
  public var path: String
  /// What is wrong.
  public var message: String
  /// What to try, when there is something.
  public var hint: String?
  /// How `description` names the path.
  public var pathWording = PathWording.prefix

  /// `file:line:column: path: message; hint` (or `... at path: ...` for state rules).
  public var description: String {
    let place = line.map { "\(file):\($0):\(column ?? 1)" } ?? file
    let where_ =
      switch pathWording {
      case .prefix: path.isEmpty ? "" : "\(path): "
      case .at: "at \(path.isEmpty ? "top level" : path): "
      }
    return "\(place): \(where_)\(message)" + (hint.map { "; \($0)" } ?? "")
  }
}

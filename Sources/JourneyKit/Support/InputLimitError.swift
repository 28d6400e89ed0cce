/// Input that goes beyond what the tool supports (see `Limits`): the limit and the way around it.
public struct InputLimitError: Error, Equatable, CustomStringConvertible {
  /// What is too big, e.g. `--split-by: column 'channel' has 1638 values`.
  public var what: String
  /// The limit in words, e.g. `at most 100 values`.
  public var limit: String
  /// The way around it.
  public var hint: String

  /// An error: `what`, the `limit`, and a `hint`.
  public init(what: String, limit: String, hint: String) {
    self.what = what
    self.limit = limit
    self.hint = hint
  }

  /// `what; the limit is limit`, then the hint on its own line.
  public var description: String { "\(what); the limit is \(limit)\n  hint: \(hint)" }
}

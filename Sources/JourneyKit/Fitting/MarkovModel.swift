import Foundation

/// A fitted customer-journey model: what `journey fit` writes and every later command reads.
///
/// The JSON is versioned (`format`) and self-describing: the state definitions and frozen
/// cut points let new data be scored exactly as the fit data was; the counts are the
/// sufficient statistic, so the matrix, its uncertainty and the diagnostics can be
/// recomputed from the file alone.
public struct MarkovModel: Codable, Sendable {
  /// The model file format this version writes and reads.
  public static let currentFormat = "journey-model/1"

  /// A fingerprint of the input the model was fitted on.
  public struct InputFingerprint: Codable, Sendable, Equatable {
    /// The input's path (or a source description, for a warehouse or database).
    public var source: String
    /// Rows read.
    public var rows: Int
    /// Distinct customers.
    public var customers: Int
    /// The first day in the input (nil when empty).
    public var firstDay: CalendarDay?
    /// The last day in the input (nil when empty).
    public var lastDay: CalendarDay?
    /// FNV-1a over the table's columns (customer, day, amount, event), hex.
    public var contentHash: String
    /// How the input was read (nil in model files written before it was kept, and for tables
    /// fitted in process).
    public var reading: ReadSettings? = nil
  }

  /// Per-state rewards, the means a forecast multiplies by occupancy.
  public struct StateRewards: Codable, Sendable, Equatable {
    /// Customer-periods spent in the state over the fit window: the sample size of the means below.
    public var customerPeriods: Double
    /// Mean purchase occasions per customer-period in the state.
    public var occasionsMean: Double
    /// Variance of purchase occasions per customer-period.
    public var occasionsVariance: Double
    /// Mean revenue per customer-period in the state.
    public var revenueMean: Double
    /// Variance of revenue per customer-period.
    public var revenueVariance: Double
  }

  /// Multipliers of purchases and revenue per customer-period in one season.
  public struct SeasonalRewards: Codable, Sendable, Equatable {
    /// Purchase occasions in the season over what the states' means predict (1 = as predicted).
    public var occasions: Double
    /// Revenue in the season over what the states' means predict (1 = as predicted).
    public var revenue: Double
  }

  /// The file format (`currentFormat`).
  public var format: String = MarkovModel.currentFormat
  /// The input the model was fitted on.
  public var input: InputFingerprint
  /// The fit window: its period length and first and last periods.
  public var window: FitWindow
  /// The states, with their definitions and frozen cut points.
  public var stateSpace: StateSpace
  /// The estimator's settings (prior, smoothing).
  public var estimator: EstimatorOptions
  /// The transition matrix, rows summing to 1.
  public var transitionMatrix: [[Double]]
  /// Dirichlet posterior parameters per row (zero rows: absorbing or never left).
  public var posterior: [[Double]]
  /// Seasonal matrices (index = season of the from-period), when fitted.
  public var seasonalMatrices: [[[Double]]]?
  /// Per state: purchases and revenue per customer-period.
  public var rewards: [StateRewards]
  /// Per season (index = season of the period the rewards fall in), when seasons are fitted:
  /// multipliers of every state's purchases and revenue per customer-period. Buyers buy more
  /// often in some months; the matrices alone only say who buys.
  public var seasonalRewards: [SeasonalRewards]? = nil
  /// Transition, occupancy, acquisition and reward counts: the sufficient statistic.
  public var counts: TransitionCounts
  /// Customers per state in the last period of the window: the base a forecast starts from.
  public var currentBase: [Double]
  /// Steady state, absorption, expected time to churn and CLV per state.
  public var analysis: ChainAnalysis
  /// Goodness of fit: Markov-order and stationarity tests, sparse rows.
  public var diagnostics: FitDiagnostics
  /// What the reader should know about the fit (thin rows, short windows).
  public var warnings: [String]
  /// Each bought customer's own purchase rate, dormancy and return (`ActivityModel`): `score`
  /// forecasts customers with a purchase with it. Nil in models fitted without it.
  public var activity: ActivityModel? = nil
  /// The chain's own error out of sample (`ChainError`), measured when `journey fit` ran: a
  /// forecast's ranges add it for the KPIs the chain forecasts. Nil: not measured (models fitted
  /// inside a backtest or an evaluation, older model files, or too short a history).
  public var chainError: ChainError? = nil

  /// The transition matrix as a `Matrix`.
  public var matrix: Matrix { Matrix(rows: transitionMatrix) }

  /// Customers in the base and not churned at the model's last period (leads included).
  public var livingCustomers: Double {
    zip(currentBase, stateSpace.states).reduce(0) { $1.1.stage == .churned ? $0 : $0 + $1.0 }
  }
  /// The state names, in matrix order.
  public var stateNames: [String] { stateSpace.states.map(\.name) }

  /// Reads a model file.
  /// - Throws: `ModelFileError` naming the file and what is wrong.
  public static func load(path: String) throws(ModelFileError) -> MarkovModel {
    guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
    return try load(data: data, path: path)
  }

  /// The model as JSON text.
  public func json() throws -> String { try JSONOutput.encode(self) }
}

/// A model file that cannot be used.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
  case unreadable(path: String)
  case malformed(path: String, detail: String)
  case unsupportedFormat(path: String, format: String)

  /// The message for the user: which file, what is wrong and what to do.
  public var description: String {
    switch self {
    case let .unreadable(path):
      return "\(path): cannot read the model file; check the path (models are written by `journey fit ... -o model.json`)"
    case let .malformed(path, detail):
      return "\(path): not a Journey model: \(detail); refit with `journey fit`"
    case let .unsupportedFormat(path, format):
      return "\(path): model format '\(format)' is not supported (expected \(MarkovModel.currentFormat)); refit with this version of journey"
    }
  }
}

func describe(_ error: DecodingError) -> String {
  /// The field as the file spells it: `counts.per_period[2][0].from`.
  func field(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
    let keys = path + (last.map { [$0] } ?? [])
    let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\(snakeCase($0.stringValue))" }.joined().drop { $0 == "." }
    return text.isEmpty ? "(top level)" : String(text)
  }
  switch error {
  case let .keyNotFound(key, context): return "\(field(context.codingPath, key)): missing"
  case let .typeMismatch(type, context): return "\(field(context.codingPath)): expected \(typeName(type))"
  case let .valueNotFound(type, context): return "\(field(context.codingPath)): null where \(typeName(type)) is expected"
  case let .dataCorrupted(context):
    let detail = context.codingPath.isEmpty && context.underlyingError != nil ? "the file is not valid JSON" : context.debugDescription
    return "\(field(context.codingPath)): \(detail)"
  @unknown default: return "\(error)"
  }
}

private func typeName(_ type: Any.Type) -> String {
  switch type {
  case is Int.Type, is Int32.Type, is Int64.Type: return "a whole number in range"
  case is Double.Type: return "a number"
  case is String.Type: return "a string"
  case is Bool.Type: return "true or false"
  default:
    let name = "\(type)"
    return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "an object" : "a \(name)"
  }
}

/// `currentBase` -> `current_base`, as the file spells keys.
private func snakeCase(_ key: String) -> String {
  var out = ""
  for c in key {
    if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
  }
  return out
}

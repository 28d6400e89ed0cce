import Foundation
import JourneyKit
import Scratch
import Testing

/// Model files that decode but are wrong: each fails on load with the field and the reason.
@Suite("Model file validation")
struct ModelValidationTests {
  static let model: MarkovModel = {
    var g = GeneratorParameters()
    g.customers = 800
    g.months = 18
    g.seed = 5
    return try! ModelFitter.fit(TransactionTable(history: try! SyntheticHistoryGenerator.generate(g)), options: FitOptions())
  }()

  /// The model's JSON as a mutable tree.
  static func tree() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(try model.json().utf8)) as! [String: Any]
  }

  /// Writes `tree` and loads it; the error's description, or nil when it loads.
  static func load(_ tree: [String: Any]) throws -> String? {
    let url = Scratch.path("model", suffix: ".json")
    try JSONSerialization.data(withJSONObject: tree).write(to: url)
    do {
      _ = try MarkovModel.load(path: url.path)
      return nil
    } catch {
      return error.description.replacingOccurrences(of: url.path, with: "model.json")
    }
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var edit: @Sendable (inout [String: Any]) -> Void
    var message: String
    var testDescription: String { name }
  }

  static func nested(_ tree: inout [String: Any], _ key: String, _ edit: (inout [String: Any]) -> Void) {
    var inner = tree[key] as! [String: Any]
    edit(&inner)
    tree[key] = inner
  }

  static let cases: [Case] = [
    Case(name: "short current_base", edit: { t in t["current_base"] = Array((t["current_base"] as! [Any]).prefix(3)) },
      message: "current_base: has 3 entries, expected 7 (one per state)"),
    Case(name: "negative base", edit: { t in var b = t["current_base"] as! [Double]; b[1] = -5; t["current_base"] = b },
      message: "current_base[1]: '-5.0' must be a finite number of 0 or more customers"),
    Case(name: "short posterior", edit: { t in t["posterior"] = Array((t["posterior"] as! [Any]).prefix(2)) },
      message: "posterior: has 2 entries, expected 7 (one per state)"),
    Case(name: "short rewards", edit: { t in t["rewards"] = Array((t["rewards"] as! [Any]).prefix(1)) },
      message: "rewards: has 1 entry, expected 7 (one per state)"),
    Case(name: "empty acquisitions", edit: { t in nested(&t, "counts") { $0["acquisitions"] = [[Double]]() } },
      message: "counts.acquisitions: has 0 entries, expected 18 (one per period)"),
    Case(name: "huge acquisitions", edit: { t in nested(&t, "counts") { c in var a = c["acquisitions"] as! [[Double]]; a[2][0] = 1e300; c["acquisitions"] = a } },
      message: "counts.acquisitions[2][0]: '1e+300' customers is above the limit of 1,000,000,000"),
    Case(name: "negative discount", edit: { t in nested(&t, "analysis") { $0["discount_per_period"] = -0.5 } },
      message: "analysis.discount_per_period: '-0.5' must be from 0 to below 1 (0% to 100% per period)"),
    Case(name: "negative state count", edit: { t in nested(&t, "counts") { $0["state_count"] = -3 } },
      message: "counts.state_count: '-3' differs from the 7 states of state_space"),
    Case(name: "absurd last period", edit: { t in nested(&t, "window") { $0["last_period"] = 1_000_000_000_000_000 } },
      message: "window.last_period: '1000000000000000' is not a month from 1900 to 2200"),
    Case(name: "no states", edit: { t in nested(&t, "state_space") { $0["states"] = [Any]() } },
      message: "state_space.states: is empty; a model has at least one state"),
    Case(name: "row not summing to 1", edit: { t in var p = t["transition_matrix"] as! [[Double]]; p[0][0] += 0.1; t["transition_matrix"] = p },
      message: "transition_matrix[0]: sums to 1.1, not 1; each row of a transition matrix is a probability distribution"),
    Case(name: "renamed state", edit: { t in nested(&t, "state_space") { sp in var st = sp["states"] as! [[String: Any]]; st[2]["name"] = "vip"; sp["states"] = st } },
      message: "state_space.states: do not match the 'lifecycle' state space: states[2] is 'vip', expected 'active'"),
    Case(name: "rfm with a million levels", edit: { t in nested(&t, "state_space") { $0["kind"] = ["rfm": ["levels": 1_000_000]] } },
      message: "state_space.kind: rfm with 1000000 levels; expected 2 to 10"),
    Case(name: "missing rewards", edit: { t in t["rewards"] = nil }, message: "not a Journey model: rewards: missing"),
    Case(name: "wrong type", edit: { t in t["current_base"] = "many" }, message: "not a Journey model: current_base: expected a list"),
    Case(name: "cell out of range", edit: { t in nested(&t, "counts") { c in var pp = c["per_period"] as! [[[String: Any]]]; pp[0][0]["to"] = 99; c["per_period"] = pp } },
      message: "counts.per_period[0][0]: names state"),
  ]

  @Test(arguments: cases)
  func rejected(_ c: Case) throws {
    var t = try Self.tree()
    c.edit(&t)
    let message = try #require(try Self.load(t), "loaded")
    #expect(message.hasPrefix("model.json: not a Journey model: "), "\(message)")
    #expect(message.contains(c.message), "\(message)")
  }

  /// A corrupted activity section fails on load, field by field, instead of crashing `score`.
  @Test func activitySectionIsValidated() throws {
    var g = GeneratorParameters()
    g.customers = 800
    g.months = 26
    g.seed = 5
    var options = FitOptions()
    options.activity = true
    let fitted = try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: options)
    let activity = try #require(fitted.activity)
    try fitted.validate()
    #expect(activity.seasonalIndex?.count == 12)
    #expect(activity.spendLink != nil, "a base with repeat buyers reads a spend link")
    #expect(activity.purchaseTiming != nil, "a base with customers of 5+ purchase days reads their timing")
    let original = try JSONSerialization.jsonObject(with: Data(try fitted.json().utf8)) as! [String: Any]
    let edits: [(String, (inout [String: Any]) -> Void)] = [
      ("activity.weights: has 3 entries, expected 220", { $0["weights"] = [0.2, 0.3, 0.5] }),
      ("activity.weights: sum to '2.0', expected 1", { a in var w = (a["weights"] as! [Double]).map { _ in 0.0 }; w[0] = 2; a["weights"] = w }),
      ("activity.wake_rate: '-1.0' must be a number per day from 0 to 1000", { $0["wake_rate"] = -1.0 }),
      ("activity.wake_rate: '1e+300' must be a number per day from 0 to 1000", { $0["wake_rate"] = 1e300 }),
      ("activity.purchase_rates[0]: '0.0' must be a positive number per day", { a in var r = a["purchase_rates"] as! [Double]; r[0] = 0; a["purchase_rates"] = r }),
      ("activity.dormancy_rates[1]: '1e+300' must be a positive number per day of at most 1000",
       { a in var r = a["dormancy_rates"] as! [Double]; r[1] = 1e300; a["dormancy_rates"] = r }),
      ("activity.spend_mean: '-1e+308' must be an amount from 0 to 1,000,000,000,000", { $0["spend_mean"] = -1e308 }),
      ("activity.spend_pseudo_count: '1e+200' must be a number of purchases from 0 to 1,000,000", { $0["spend_pseudo_count"] = 1e200 }),
      ("activity.seasonal_index[3]: '13.0' must be a positive number of at most 12",
       { a in var r = a["seasonal_index"] as! [Double]; r[3] = 13; a["seasonal_index"] = r }),
      ("activity.seasonal_index: has 2 entries, expected 12", { $0["seasonal_index"] = [1.0, 1.0] }),
      ("activity.ageing: '-0.5' must be an exponent from 0 to 10", { $0["ageing"] = -0.5 }),
      ("activity.ageing: '11.0' must be an exponent from 0 to 10", { $0["ageing"] = 11.0 }),
      ("activity.ageing_floor: '0.0' must be a share above 0 and at most 1", { $0["ageing_floor"] = 0.0; $0["ageing_days"] = 30.0 }),
      ("activity.ageing_days: '-5.0' must be a number of days above 0 and at most 36,500", { $0["ageing_floor"] = 0.5; $0["ageing_days"] = -5.0 }),
      ("activity.ageing_days: is missing beside activity.ageing_floor", { $0["ageing_floor"] = 0.5 }),
      ("activity.ageing_floor: is missing beside activity.ageing_days", { $0["ageing_days"] = 30.0 }),
      ("activity.ageing: must be 0 or absent beside activity.ageing_floor: a model ages by one curve",
       { $0["ageing_floor"] = 0.5; $0["ageing_days"] = 30.0; $0["ageing"] = 0.5 }),
      ("activity.spend_link.between: '0.0' must be a variance above 0 and at most 100",
       { a in var l = a["spend_link"] as! [String: Any]; l["between"] = 0.0; a["spend_link"] = l }),
      ("activity.spend_link.within: '-1.0' must be a variance from 0 to 100",
       { a in var l = a["spend_link"] as! [String: Any]; l["within"] = -1.0; a["spend_link"] = l }),
      ("activity.spend_link.slope: '1e+300' must be a number from -10 to 10",
       { a in var l = a["spend_link"] as! [String: Any]; l["slope"] = 1e300; a["spend_link"] = l }),
      ("activity.spend_link.intercept: '-5000.0' must be a mean log amount from -1000 to 1000",
       { a in var l = a["spend_link"] as! [String: Any]; l["intercept"] = -5000.0; a["spend_link"] = l }),
      ("activity.purchase_timing.log_gap_variance: '-0.5' must be a variance from 0 to 100",
       { a in var t = a["purchase_timing"] as! [String: Any]; t["log_gap_variance"] = -0.5; a["purchase_timing"] = t }),
      ("activity.purchase_timing.customers: '0' must be a number of customers from 1 to 200,000,000",
       { a in var t = a["purchase_timing"] as! [String: Any]; t["customers"] = 0; a["purchase_timing"] = t }),
    ]
    for (message, edit) in edits {
      var t = original
      Self.nested(&t, "activity", edit)
      let error = try #require(try Self.load(t), "loaded with \(message)")
      #expect(error.contains("not a Journey model: " + message), "\(error)")
    }
  }

  /// Foundation names no field when a number does not fit an integer; the message still says what it is.
  @Test func aFractionInACountIsNamedAsSuch() throws {
    var t = try Self.tree()
    t["activity"] = nil
    var input = try #require(t["input"] as? [String: Any])
    input["customers"] = 1.5
    t["input"] = input
    let error = try #require(try Self.load(t))
    #expect(error.contains("not a Journey model: (a number): a whole-number field (a count, a day, a period) holds a fraction"), "\(error)")
  }

  @Test func theFittedModelValidatesAndUnknownFieldsAreIgnored() throws {
    try Self.model.validate()
    var t = try Self.tree()
    t["a_field_from_a_later_version"] = ["x": 1]
    #expect(try Self.load(t) == nil)
  }

  @Test func seasonalMatricesNeedOnePerSeason() throws {
    var g = GeneratorParameters()
    g.customers = 400
    g.months = 14
    g.seed = 2
    var o = FitOptions()
    o.estimator.seasonal = true
    let seasonal = try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: o)
    try seasonal.validate()
    var t = try JSONSerialization.jsonObject(with: Data(try seasonal.json().utf8)) as! [String: Any]
    t["seasonal_matrices"] = Array((t["seasonal_matrices"] as! [Any]).prefix(5))
    let message = try #require(try Self.load(t))
    #expect(message.contains("not a Journey model: seasonal_matrices: has 5 seasons, expected 12 (one per month of the year)"), "\(message)")
  }

  @Test func anotherSchemaVersionIsRefused() throws {
    var t = try Self.tree()
    t["format"] = "journey-model/9"
    #expect(try Self.load(t) == "model.json: model format 'journey-model/9' is not supported (expected journey-model/1); refit with this version of journey")
  }
}

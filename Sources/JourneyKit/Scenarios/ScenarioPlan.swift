/// A scenario bound to a model's states: every target resolved to state indices, every effect
/// checked against the model's matrix, ready to become a `ForecastAdjustment`.
///
/// Renormalisation rule (how an effect keeps each row a probability distribution):
/// - a relative effect on a set of destinations D of row i (`churn`: lapsed and churned states;
///   `conversion`: new, active and loyal states; `upgrade`: the more valuable tier of the same
///   segment) scales the mass m = sum of P[i][D] to m' = m (1 + e), with e = effect x reach x
///   intensity, and scales the other destinations of the row by (1 - m') / (1 - m), so their
///   proportions stay as they were. When the row has no other destination, mass taken from D
///   stays in state i.
/// - an absolute move changes P[i][j] by c x reach x intensity and scales the rest of the row
///   by (1 - P'[i][j]) / (1 - P[i][j]).
/// An effect that would push a probability above 1 or below 0 on the model's own matrix at full
/// strength cannot be honoured and is rejected when the plan is made, alone and together with
/// every other effect acting at the same time (`checkTogether`); on a posterior draw in a
/// replicate, where it may just reach past a bound, it is clipped to the bound.
public struct ScenarioPlan: Sendable {
  /// The scenario planned.
  public let scenario: Scenario
  let space: StateSpace
  let resolved: [ResolvedIntervention]
  /// Per row, the destinations each relative effect acts on (see `churnward`, `purchasing`,
  /// `upgrades`), found once: the forecast asks for them in every step of every parameter draw,
  /// and finding them each time (a pass over the states comparing segment names) was most of
  /// a scenario's forecast on a 127-state model.
  let churnwardSets: [[Int]]
  let purchasingSets: [[Int]]
  let upgradeSets: [[Int]]

  struct ResolvedIntervention: Sendable {
    let intervention: Intervention
    let rows: [Int]
    let moves: [(from: Int, to: Int, change: Double)]
  }

  /// - Throws: `YAMLFileError` for a state space the scenario does not fit, unknown targets
  ///   (with "did you mean"), or an effect the model's matrix cannot honour.
  public init(_ scenario: Scenario, model: MarkovModel) throws {
    self.scenario = scenario
    let space = model.stateSpace
    self.space = space
    let states = space.states
    func sameSegment(_ i: Int, _ j: Int) -> Bool { states[i].segment == states[j].segment }
    churnwardSets = states.indices.map { i in
      states.indices.filter { $0 != i && (states[$0].stage == .lapsed || states[$0].stage == .churned) && sameSegment(i, $0) }
    }
    purchasingSets = states.indices.map { i in states.indices.filter { states[$0].stage.isPurchasing && sameSegment(i, $0) } }
    upgradeSets = states.indices.map { i in
      states[i].tier == "less_valuable" ? states.indices.filter { states[$0].tier == "more_valuable" && sameSegment(i, $0) } : []
    }
    func fail(_ path: String, _ message: String, _ hint: String?) -> YAMLFileError {
      YAMLFileError(file: scenario.source, path: path, message: message, hint: hint)
    }
    if let requires = scenario.requires {
      let has = space.kind.label
      let satisfied = requires == has || (requires == "lifecycle" && space.states.contains { $0.stage != .custom })
      guard satisfied else {
        throw fail("requires", "the scenario needs a '\(requires)' model; this model has '\(has)' states", "refit with `journey fit DATA --states \(requires) -o model.json`")
      }
    }
    let names = space.states.map(\.name)
    let stages = Stage.allCases.filter { $0 != .custom }.map(\.rawValue)
    func resolve(_ target: String, tier: String?, path: String) throws -> [Int] {
      var indices: [Int]
      if let exact = space.index(of: target) {
        indices = [exact]
      } else if let stage = Stage(rawValue: target), stage != .custom {
        indices = space.indices(in: stage)
      } else {
        indices = space.states.indices.filter { space.states[$0].name.split(separator: "|").first.map(String.init) == target }
      }
      if let tier { indices = indices.filter { space.states[$0].tier == tier } }
      guard !indices.isEmpty else {
        let suggestion = closestMatch(target, among: stages + names)
        let missing = tier.map { "no '\(target)' state in tier '\($0)'" } ?? "no state or stage '\(target)' in this model"
        throw fail(path, missing, suggestion.map { "did you mean '\($0)'?" } ?? "the model's states: \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", ..." : "")")
      }
      return indices
    }
    var resolved: [ResolvedIntervention] = []
    for (k, intervention) in scenario.interventions.enumerated() {
      let path = "interventions[\(k)]"
      if let tier = intervention.tier, !StateSpace.tierNames.contains(tier) {
        throw fail("\(path).tier", "unknown tier '\(tier)'", closestMatch(tier, among: StateSpace.tierNames).map { "did you mean '\($0)'?" } ?? "tiers: \(StateSpace.tierNames.joined(separator: ", "))")
      }
      var rows: [Int] = []
      for (t, target) in intervention.targets.enumerated() {
        rows += try resolve(target, tier: intervention.tier, path: "\(path).targets[\(t)]")
      }
      rows = Array(Set(rows)).sorted()
      if intervention.effects.upgrade != nil && !space.states.contains(where: { $0.tier != nil }) {
        throw fail("\(path).effects.upgrade", "the model has no value tiers", "fit with --states value to use upgrades")
      }
      var moves: [(from: Int, to: Int, change: Double)] = []
      for (m, move) in intervention.effects.moves.enumerated() {
        let movePath = "\(path).effects.move[\(m)]"
        let froms = try resolve(move.from, tier: intervention.tier, path: "\(movePath).from")
        let tos = try resolve(move.to, tier: nil, path: "\(movePath).to")
        for f in froms {
          // Pair stage-level moves within the same tier and segment.
          let partners = tos.filter { space.states[$0].tier == space.states[f].tier && space.states[$0].segment == space.states[f].segment }
          for t in (partners.isEmpty ? tos : partners) where t != f { moves.append((f, t, move.change)) }
        }
      }
      resolved.append(ResolvedIntervention(intervention: intervention, rows: rows, moves: moves))
    }
    self.resolved = resolved

    // Check every effect at full strength on the model's matrix.
    let p = model.matrix
    for (k, r) in resolved.enumerated() {
      let e = r.intervention.effects
      let reach = r.intervention.reach
      for i in r.rows where !space.states[i].isAbsorbing {
        for (name, effect, set) in [("churn", e.churn, churnward(i)), ("conversion", e.conversion, purchasing(i)), ("upgrade", e.upgrade, upgrades(i))] {
          guard let effect else { continue }
          let mass = set.reduce(0.0) { $0 + p[i, $1] }
          let after = mass * (1 + effect * reach)
          if after > 1 + 1e-12 {
            let fits = mass > 0 ? (1 / mass - 1) / reach : 0
            throw fail(
              "interventions[\(k)].effects.\(name)",
              "\(RelativeChange(value: effect)) would give '\(space.states[i].name)' a \(Format.number(after, decimals: 2)) chance of moving \(name == "churn" ? "toward churn" : name == "conversion" ? "to a purchase" : "up")",
              "at most \(RelativeChange(value: fits)) fits with reach \(Format.percent(reach, decimals: 0))")
          }
        }
      }
      for (from, to, change) in r.moves {
        let after = p[from, to] + change * reach
        guard after >= -1e-12 && after <= 1 + 1e-12 else {
          throw fail(
            "interventions[\(k)].effects.move",
            "\(space.states[from].name) -> \(space.states[to].name) would become \(Format.number(after, decimals: 3)) (now \(Format.number(p[from, to], decimals: 3)))",
            "a probability must stay between 0 and 1")
        }
      }
    }
    try checkTogether(p)
  }

  /// Checks the interventions together, as the forecast applies them: at the start of each
  /// intervention, every intervention acting then (running or fading) is applied at full strength
  /// in file order, and no probability may leave [0, 1] on the way. Effects that each fit alone
  /// can push a row past 1 together (two churn cuts on at-risk customers, a churn and a
  /// conversion effect on one row); those are rejected here instead of being clipped in silence.
  func checkTogether(_ p: Matrix) throws(YAMLFileError) {
    func lastPeriod(_ i: Intervention) -> Int {
      guard let d = i.duration else { return Int.max }
      return i.start + d - 1 + i.decay
    }
    for start in Set(resolved.map(\.intervention.start)).sorted() {
      let active = resolved.indices.filter { resolved[$0].intervention.start <= start && start <= lastPeriod(resolved[$0].intervention) }
      var m = p
      var applied: [Int] = []
      for k in active {
        let r = resolved[k]
        let e = r.intervention.effects
        let reach = r.intervention.reach
        func fail(_ effect: String, _ what: String) -> YAMLFileError {
          let others = applied.map { "interventions[\($0)] '\(resolved[$0].intervention.name)'" }
          let together = others.isEmpty ? "after its own earlier effects" : "together with \(others.joined(separator: ", "))"
          return YAMLFileError(
            file: scenario.source, path: "interventions[\(k)].effects.\(effect)",
            message: "\(together) in period \(start), \(what)",
            hint: "effects on the same customers at the same time must fit together; make them smaller or let them run at different times")
        }
        for i in r.rows where !space.states[i].isAbsorbing {
          for (name, effect, set) in [("churn", e.churn, churnward(i)), ("conversion", e.conversion, purchasing(i)), ("upgrade", e.upgrade, upgrades(i))] {
            guard let effect else { continue }
            let mass = set.reduce(0.0) { $0 + m[i, $1] }
            let after = mass * (1 + effect * reach)
            if after > 1 + 1e-9 {
              throw fail(name, "\(RelativeChange(value: effect)) would give '\(space.states[i].name)' a \(Format.number(after, decimals: 2)) chance of moving \(name == "churn" ? "toward churn" : name == "conversion" ? "to a purchase" : "up")")
            }
            ScenarioPlan.scale(&m, row: i, set: set, by: effect * reach)
          }
        }
        for (from, to, change) in r.moves where !space.states[from].isAbsorbing {
          let after = m[from, to] + change * reach
          if after < -1e-9 || after > 1 + 1e-9 {
            throw fail("move", "\(space.states[from].name) -> \(space.states[to].name) would become \(Format.number(after, decimals: 3)) (a probability is from 0 to 1)")
          }
          ScenarioPlan.shift(&m, row: from, to: to, by: change * reach)
        }
        applied.append(k)
      }
    }
  }

  /// Checks that every intervention and acquisition change starts within `horizon` periods.
  /// - Throws: `YAMLFileError` for one that would never act.
  public func checkTiming(horizon: Int) throws(YAMLFileError) {
    for (k, r) in resolved.enumerated() where r.intervention.start > horizon {
      throw YAMLFileError(
        file: scenario.source, path: "interventions[\(k)].start",
        message: "period \(r.intervention.start) is after the horizon of \(horizon) periods, so '\(r.intervention.name)' would never act",
        hint: r.intervention.start <= Limits.horizon
          ? "forecast further with --horizon \(r.intervention.start), or start it earlier"
          : "start it earlier; forecasts run at most \(Limits.horizon) periods")
    }
    if let a = scenario.acquisition, a.start > horizon {
      throw YAMLFileError(
        file: scenario.source, path: "acquisition.start",
        message: "period \(a.start) is after the horizon of \(horizon) periods, so the acquisition change would never act",
        hint: a.start <= Limits.horizon
          ? "forecast further with --horizon \(a.start), or start it earlier"
          : "start it earlier; forecasts run at most \(Limits.horizon) periods")
    }
  }

  /// Destinations toward churn from row i: lapsed and churned states of its segment other than i itself.
  func churnward(_ i: Int) -> [Int] { churnwardSets[i] }

  /// Destinations where the customer purchases: new, active and loyal states of its segment.
  func purchasing(_ i: Int) -> [Int] { purchasingSets[i] }

  /// Destinations one tier up from a less valuable row, in its segment.
  func upgrades(_ i: Int) -> [Int] { upgradeSets[i] }

  /// The scenario's transition matrix for forecast step `step` (period step + 1) from `base`.
  public func matrix(step: Int, base: Matrix) -> Matrix {
    var m = base
    let period = step + 1
    for r in resolved {
      let k = r.intervention.intensity(period: period) * r.intervention.reach
      guard k > 0 else { continue }
      let e = r.intervention.effects
      for i in r.rows where !space.states[i].isAbsorbing {
        if let churn = e.churn { ScenarioPlan.scale(&m, row: i, set: churnward(i), by: churn * k) }
        if let conversion = e.conversion { ScenarioPlan.scale(&m, row: i, set: purchasing(i), by: conversion * k) }
        if let upgrade = e.upgrade { ScenarioPlan.scale(&m, row: i, set: upgrades(i), by: upgrade * k) }
      }
      for (from, to, change) in r.moves where !space.states[from].isAbsorbing {
        ScenarioPlan.shift(&m, row: from, to: to, by: change * k)
      }
    }
    return m
  }

  /// Scales the mass of `set` in `row` by (1 + e), the rest of the row by what keeps the sum at 1.
  static func scale(_ m: inout Matrix, row i: Int, set: [Int], by e: Double) {
    let mass = set.reduce(0.0) { $0 + m[i, $1] }
    guard mass > 0, e != 0 else { return }
    let target = min(1, max(0, mass * (1 + e)))
    let rest = 1 - mass
    // The plan's destination sets are increasing: walk them beside the columns (no hashing,
    // which was a large part of building a scenario's matrices); any other set through a Set.
    let increasing = zip(set, set.dropFirst()).allSatisfy { $0 < $1 }
    let inSet = increasing ? [] : Set(set)
    var next = 0
    for j in 0..<m.columnCount {
      let member: Bool
      if increasing {
        member = next < set.count && set[next] == j
        if member { next += 1 }
      } else {
        member = inSet.contains(j)
      }
      if member {
        m[i, j] *= target / mass
      } else if rest > 1e-15 {
        m[i, j] *= (1 - target) / rest
      }
    }
    if rest <= 1e-15 && target < mass { m[i, i] += mass - target }
    Estimator.normalizeRow(&m, i)
  }

  /// Changes P[i][j] by `delta` (clipped to [0, 1]) and rescales the rest of the row.
  static func shift(_ m: inout Matrix, row i: Int, to j: Int, by delta: Double) {
    let old = m[i, j]
    let new = min(1, max(0, old + delta))
    let rest = 1 - old
    for k in 0..<m.columnCount where k != j {
      if rest > 1e-15 { m[i, k] *= (1 - new) / rest }
    }
    m[i, j] = new
    if rest <= 1e-15 && new < old && i != j { m[i, i] += old - new }
    Estimator.normalizeRow(&m, i)
  }

  /// Per state: the spend multiplier in forecast step `step`.
  public func revenueMultiplier(step: Int) -> [Double] {
    var multiplier = [Double](repeating: 1, count: space.count)
    for r in resolved {
      guard let spend = r.intervention.effects.spend else { continue }
      let k = r.intervention.intensity(period: step + 1) * r.intervention.reach
      for i in r.rows { multiplier[i] *= 1 + spend * k }
    }
    return multiplier
  }

  /// The cost of step `step`: per customer in each state at its start, and a fixed amount.
  ///
  /// Contacts cost `reach x customers targeted` while the intervention runs; incentives cost
  /// `reach x customers targeted x chance of purchasing next period` (under the step's matrix).
  public func cost(step: Int, matrix: Matrix) -> (perCustomer: [Double], fixed: Double) {
    var perCustomer = [Double](repeating: 0, count: space.count)
    var fixed = 0.0
    let period = step + 1
    for r in resolved where r.intervention.isRunning(period: period) {
      let c = r.intervention.costs
      fixed += c.fixedPerPeriod
      for i in r.rows {
        let converting = c.perConversion > 0 ? purchasing(i).reduce(0.0) { $0 + matrix[i, $1] } : 0
        perCustomer[i] += r.intervention.reach * (c.perContact + c.perConversion * converting)
      }
    }
    return (perCustomer, fixed)
  }

  /// The scenario as a forecast adjustment.
  public var adjustment: ForecastAdjustment {
    var a = ForecastAdjustment()
    let plan = self
    if resolved.contains(where: { $0.intervention.effects.churn != nil || $0.intervention.effects.conversion != nil || $0.intervention.effects.upgrade != nil || !$0.moves.isEmpty }) {
      a.matrix = { step, base in plan.matrix(step: step, base: base) }
      // `matrix(step:base:)` reads the step only through each intervention's strength.
      a.matrixSignature = { step in plan.resolved.map { $0.intervention.intensity(period: step + 1) * $0.intervention.reach } }
    }
    if resolved.contains(where: { $0.intervention.effects.spend != nil }) {
      a.revenueMultiplier = { step in plan.revenueMultiplier(step: step) }
    }
    if resolved.contains(where: { !$0.rows.isEmpty && $0.intervention.costs != Intervention.Costs() }) {
      a.cost = { step, matrix in plan.cost(step: step, matrix: matrix) }
    }
    if let acquisition = scenario.acquisition {
      a.inflowMultiplier = { step in
        let period = step + 1
        let end = acquisition.duration.map { acquisition.start + $0 - 1 } ?? Int.max
        return period >= acquisition.start && period <= end ? 1 + acquisition.change : 1
      }
      a.costPerExtraEntrant = acquisition.costPerCustomer
    }
    a.margin = scenario.margin
    return a
  }
}

/// The renormalisation rules, open to tests (`@testable import`).
enum ScenarioPlanProbe {
  static func scale(_ m: inout Matrix, row: Int, set: [Int], by e: Double) { ScenarioPlan.scale(&m, row: row, set: set, by: e) }
  static func shift(_ m: inout Matrix, row: Int, to j: Int, by delta: Double) { ScenarioPlan.shift(&m, row: row, to: j, by: delta) }
}

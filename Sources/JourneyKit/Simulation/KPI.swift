/// The numbers a forecast reports per period; the same definitions serve evaluation and backtests.
public enum KPI: String, CaseIterable, Codable, Sendable {
  /// Customers in the base and not churned (leads included), at the end of the period.
  case customers
  /// Customers who purchase in the period (stages new, active, loyal).
  case active
  /// Customers making their first purchase in the period (stage new).
  case newCustomers = "new_customers"
  /// Leads who have not bought yet.
  case leads
  /// Customers who moved into a churned state in the period.
  case churned
  /// churned / non-churned customers at the start of the period.
  case churnRate = "churn_rate"
  /// 1 - churn rate.
  case retentionRate = "retention_rate"
  /// Leads converting to a first purchase / leads at the start of the period.
  case leadConversion = "lead_conversion"
  /// New customers buying again in the next period / new customers at the start of the period.
  case secondPurchaseConversion = "second_purchase_conversion"
  /// Customers moving from a less to a more valuable tier (value states only).
  case upgrades
  /// Customers moving from a more to a less valuable tier (value states only).
  case downgrades
  /// Purchase occasions in the period.
  case purchases
  /// Revenue in the period (purchases minus refunds).
  case revenue
  /// Revenue / purchases.
  case averageOrderValue = "average_order_value"
  /// Revenue summed from the first forecast period.
  case cumulativeRevenue = "cumulative_revenue"
  /// Revenue discounted to the start of the forecast and summed.
  case discountedRevenue = "discounted_revenue"
  /// Customer equity: customers per state times lifetime value per state.
  case equity
  /// What a scenario's interventions and extra acquisition cost in the period.
  case cost
  /// margin x revenue - cost.
  case profit
  /// Profit summed from the first forecast period.
  case cumulativeProfit = "cumulative_profit"
  /// Profit discounted to the start of the forecast and summed (the net present value).
  case discountedProfit = "discounted_profit"

  /// Whether the KPI is a rate (shown as a percentage).
  public var isRate: Bool {
    [.churnRate, .retentionRate, .leadConversion, .secondPurchaseConversion].contains(self)
  }

  /// Whether the KPI is money.
  public var isMoney: Bool {
    [.revenue, .averageOrderValue, .cumulativeRevenue, .discountedRevenue, .equity, .cost, .profit, .cumulativeProfit, .discountedProfit].contains(self)
  }
}

/// The flows between states that KPIs count: which (from, to) pairs belong to each.
struct FlowKinds: Sendable {
  enum Kind: Int, CaseIterable {
    case churn, leadConversion, secondPurchase, upgrade, downgrade
  }
  /// Per kind: the S x S 0/1 membership, row-major.
  let members: [[Bool]]
  /// Per kind, per source state: the member destinations (the same membership, sparse).
  let memberColumns: [[[Int]]]
  /// Per kind: the source states whose population is the rate's denominator.
  let sources: [[Bool]]
  let stateCount: Int

  init(space: StateSpace) {
    let s = space.count
    let states = space.states
    func same(_ i: Int, _ j: Int) -> Bool { states[i].segment == states[j].segment }
    var members = Array(repeating: [Bool](repeating: false, count: s * s), count: Kind.allCases.count)
    var sources = Array(repeating: [Bool](repeating: false, count: s), count: Kind.allCases.count)
    for i in 0..<s {
      // Customers never change split segment, so only same-segment pairs can flow.
      for j in 0..<s where same(i, j) {
        let a = states[i], b = states[j]
        if a.stage != .churned && b.stage == .churned { members[Kind.churn.rawValue][i * s + j] = true }
        if a.stage == .lead && b.stage == .new { members[Kind.leadConversion.rawValue][i * s + j] = true }
        if a.stage == .new && (b.stage == .active || b.stage == .loyal) { members[Kind.secondPurchase.rawValue][i * s + j] = true }
        if a.tier == "less_valuable" && b.tier == "more_valuable" { members[Kind.upgrade.rawValue][i * s + j] = true }
        if a.tier == "more_valuable" && b.tier == "less_valuable" { members[Kind.downgrade.rawValue][i * s + j] = true }
      }
      sources[Kind.churn.rawValue][i] = states[i].stage != .churned
      sources[Kind.leadConversion.rawValue][i] = states[i].stage == .lead
      sources[Kind.secondPurchase.rawValue][i] = states[i].stage == .new
      sources[Kind.upgrade.rawValue][i] = states[i].tier == "less_valuable"
      sources[Kind.downgrade.rawValue][i] = states[i].tier == "more_valuable"
    }
    self.members = members
    self.memberColumns = members.map { m in (0..<s).map { i in (0..<s).filter { m[i * s + $0] } } }
    self.sources = sources
    self.stateCount = s
  }

  /// Per kind: for each source state, the probability of a flow of that kind (`P` masked, row sums).
  /// - Complexity: O(member pairs), not O(S^2) per kind: thousands of states stay cheap.
  func rowProbabilities(_ p: Matrix) -> [[Double]] {
    memberColumns.map { columns in
      columns.enumerated().map { i, js in js.reduce(0.0) { $0 + p[i, $1] } }
    }
  }
}
extension KPI: CodingKeyRepresentable {}

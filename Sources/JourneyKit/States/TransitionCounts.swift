/// The sufficient statistic of a fit: everything after this is small.
///
/// Transitions are counted between consecutive periods of the fit window,
/// `from` period t to period t + 1, over every customer present in t. They are
/// kept per period (sparse) as well as pooled, so time-weighted and seasonal
/// fits need no second pass over the data.
public struct TransitionCounts: Codable, Sendable, Equatable {
  /// Per-state reward statistics over the customer-periods spent in the state.
  public struct Rewards: Codable, Sendable, Equatable {
    /// Customer-periods observed in the state.
    public var customerPeriods: Double
    /// Purchase occasions summed over those customer-periods.
    public var occasionsSum: Double
    /// Their sum of squares.
    public var occasionsSumOfSquares: Double
    /// Revenue summed over those customer-periods.
    public var revenueSum: Double
    /// Its sum of squares.
    public var revenueSumOfSquares: Double

    /// No customer-periods.
    public static let zero = Rewards(customerPeriods: 0, occasionsSum: 0, occasionsSumOfSquares: 0, revenueSum: 0, revenueSumOfSquares: 0)

    /// Mean purchase occasions per customer-period (0 without any).
    public var occasionsMean: Double { customerPeriods > 0 ? occasionsSum / customerPeriods : 0 }
    /// Mean revenue per customer-period (0 without any).
    public var revenueMean: Double { customerPeriods > 0 ? revenueSum / customerPeriods : 0 }
    /// Variance of occasions per customer-period.
    public var occasionsVariance: Double { variance(occasionsSum, occasionsSumOfSquares) }
    /// Variance of revenue per customer-period.
    public var revenueVariance: Double { variance(revenueSum, revenueSumOfSquares) }

    private func variance(_ sum: Double, _ sumOfSquares: Double) -> Double {
      guard customerPeriods > 1 else { return 0 }
      let mean = sum / customerPeriods
      return max(0, (sumOfSquares - customerPeriods * mean * mean) / (customerPeriods - 1))
    }

    mutating func add(_ other: Rewards) {
      customerPeriods += other.customerPeriods
      occasionsSum += other.occasionsSum
      occasionsSumOfSquares += other.occasionsSumOfSquares
      revenueSum += other.revenueSum
      revenueSumOfSquares += other.revenueSumOfSquares
    }
  }

  /// One non-zero cell of a per-period count matrix.
  public struct Cell: Codable, Sendable, Equatable {
    /// The state moved from.
    public var from: Int32
    /// The state moved to.
    public var to: Int32
    /// Customers (or weight) that made the move.
    public var count: Double

    /// A cell.
    public init(from: Int32, to: Int32, count: Double) {
      self.from = from
      self.to = to
      self.count = count
    }
  }

  /// States counted (S).
  public var stateCount: Int
  /// Absolute number of the first period of the window.
  public var firstPeriod: Int
  /// Periods in the window; there are `periodCount - 1` transition steps.
  public var periodCount: Int
  /// Pooled counts n[i][j], row-major S x S.
  public var pooled: [Double]
  /// Per step t (from period firstPeriod + t): the non-zero cells, sorted by (from, to).
  public var perPeriod: [[Cell]]
  /// Per period of the window: customers in each state (the observed distribution).
  public var occupancy: [[Double]]
  /// Per period of the window: customers entering the base, by entry state.
  public var acquisitions: [[Double]]
  /// Per period of the window: customers coming back out of an absorbing state, by the state they
  /// came back to. These moves are not counted as transitions (the state is absorbing), but they
  /// happened, so forecasts can add them back as inflow.
  public var reactivations: [[Double]]
  /// Per state: reward statistics.
  public var rewards: [Rewards]
  /// Pooled second-order counts n[h][i][j] (h = state two periods back), row-major S^3, when
  /// S^3 is small enough to keep (at most 2,000,000 cells); nil otherwise.
  public var secondOrder: [Double]?

  // The second-order table stays out of model files: up to S^3 numbers, needed only by the
  // diagnostics computed at fit time.
  enum CodingKeys: String, CodingKey {
    case stateCount, firstPeriod, periodCount, pooled, perPeriod, occupancy, acquisitions, reactivations, rewards
  }

  /// Empty counts for `stateCount` states over `periodCount` periods; `keepSecondOrder` also keeps the S^3 table when it is small enough.
  public init(stateCount: Int, firstPeriod: Int, periodCount: Int, keepSecondOrder: Bool) {
    self.stateCount = stateCount
    self.firstPeriod = firstPeriod
    self.periodCount = periodCount
    pooled = Array(repeating: 0, count: stateCount * stateCount)
    perPeriod = Array(repeating: [], count: max(0, periodCount - 1))
    let zeros = [Double](repeating: 0, count: stateCount)
    occupancy = Array(repeating: zeros, count: periodCount)
    acquisitions = Array(repeating: zeros, count: periodCount)
    reactivations = Array(repeating: zeros, count: periodCount)
    rewards = Array(repeating: .zero, count: stateCount)
    secondOrder = keepSecondOrder ? Array(repeating: 0, count: stateCount * stateCount * stateCount) : nil
  }

  /// The pooled count of transitions from `i` to `j`.
  public func count(from i: Int, to j: Int) -> Double { pooled[i * stateCount + j] }

  /// Transitions out of each state.
  public var rowTotals: [Double] {
    (0..<stateCount).map { i in (0..<stateCount).reduce(0) { $0 + pooled[i * stateCount + $1] } }
  }

  /// The pooled matrix as a `Matrix`.
  public var pooledMatrix: Matrix { Matrix(rowCount: stateCount, columnCount: stateCount, elements: pooled) }

  /// Counts of step `t` as a dense matrix.
  public func matrix(step t: Int) -> Matrix {
    var m = Matrix(rowCount: stateCount, columnCount: stateCount)
    for cell in perPeriod[t] { m[Int(cell.from), Int(cell.to)] += cell.count }
    return m
  }

  /// Total transitions counted.
  public var totalTransitions: Double { pooled.reduce(0, +) }
}

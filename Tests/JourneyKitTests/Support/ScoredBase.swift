@testable import JourneyKit

/// The generated base the score tests read: 2,000 customers over 24 months (seed 9), fitted
/// with lifecycle states and the activity model, as `journey fit` does. Generated and fitted once
/// for all the tests that read it (a static is built once, on first use).
enum ScoredBase {
  static func fitted() throws -> (table: TransactionTable, model: MarkovModel) {
    try base.get()
  }

  private static let base = Result { () throws -> (table: TransactionTable, model: MarkovModel) in
    var g = GeneratorParameters()
    g.customers = 2_000
    g.months = 24
    g.seed = 9
    let table = try TransactionTable(history: SyntheticHistoryGenerator.generate(g))
    var o = FitOptions()
    o.stateSpace = .lifecycle
    o.activity = true
    return (table, try ModelFitter.fit(table, options: o))
  }
}

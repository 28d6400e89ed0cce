import Foundation
import JourneyKit

/// The deterministic history every data benchmark reads, and its truth.
struct BenchmarkInput {
  let parameters: GeneratorParameters
  let csvPath: String
  let truthPath: String
  var truthRows = 0
  var truthCustomers = 0
  var truthOccasions = 0
  var fileBytes = 0

  init(customers: Int, seed: UInt64, cache: String) {
    var p = GeneratorParameters()
    p.customers = customers
    p.seed = seed
    parameters = p
    csvPath = "\(cache)/history-c\(customers)-s\(seed).csv"
    truthPath = GeneratedFiles.truthPath(forCSV: csvPath)
  }

  func generate() throws {
    let history = try SyntheticHistoryGenerator.generate(parameters)
    try AtomicFile.write(history.csvBytes(), to: csvPath)
    try AtomicFile.write(try JSONOutput.encode(history.truth), to: truthPath)
  }

  /// Reads the truth counts (the CSV itself is read by each benchmark, as its work).
  func load() throws -> BenchmarkInput {
    var loaded = self
    let truth = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: truthPath))) as! [String: Any]
    let counts = truth["counts"] as! [String: Any]
    loaded.truthRows = counts["rows"] as! Int
    loaded.truthCustomers = counts["customers"] as! Int
    loaded.truthOccasions = counts["purchase_occasions"] as! Int
    loaded.fileBytes = (try FileManager.default.attributesOfItem(atPath: csvPath)[.size] as! NSNumber).intValue
    return loaded
  }

  /// The history as a table, read once (not timed by the benchmarks that use it).
  func table() throws -> TransactionTable {
    var options = ReaderOptions()
    options.latestDay = CalendarDay(year: 2100, month: 1, day: 1)!
    return try TransactionReader(options: options).read(path: csvPath).table
  }
}

// Fuzz target: the scenario YAML loader, and binding a loaded scenario to a model (the plan
// checks every effect against the matrix). Any text: a Scenario or a YAMLFileError.
import Foundation
import JourneyKit

let model: MarkovModel = {
  var g = GeneratorParameters()
  g.customers = 300
  g.months = 12
  g.seed = 3
  var o = FitOptions()
  o.stateSpace = .value
  let h = try! SyntheticHistoryGenerator.generate(g)
  let records = (0..<h.rowCount).map { r in
    TransactionRecord(h.customerID(Int(h.customer[r])), CalendarDay(dayNumber: h.day[r]), Double(h.amountCents[r]) / 100, h.event[r])
  }
  return try! ModelFitter.fit(TransactionTable(records: records), options: o)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  do {
    let scenario = try Scenario.load(yaml: text, source: "fuzz.yaml")
    let plan = try ScenarioPlan(scenario, model: model)
    var options = ForecastOptions()
    options.horizon = 4
    options.replicates = 2
    _ = try ForecastEngine.run(model: model, options: options, adjustment: plan.adjustment)
  } catch {
    _ = "\(error)"
  }
  return 0
}

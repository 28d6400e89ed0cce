// Fuzz target: the model loader, and every command's use of a model that loads (summary,
// forecast, levers). Any bytes: a usable model or a ModelFileError, never a crash.
import Foundation
import JourneyKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(UnsafeBufferPointer(start: data, count: size))
  do {
    let model = try MarkovModel.load(data: bytes, path: "fuzz.json")
    _ = ModelSummary(model: model).text()
    var options = ForecastOptions()
    options.horizon = 3
    options.replicates = 2
    _ = try ForecastEngine.run(model: model, options: options)
    _ = try LeverAnalysis.analyse(model: model, horizon: 3, inflow: AcquisitionAssumption.historical.inflow(model: model, horizon: 3))
  } catch {
    _ = "\(error)"
  }
  return 0
}

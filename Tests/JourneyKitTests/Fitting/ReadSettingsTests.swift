import Foundation
import Testing
import JourneyKit

/// `fit` keeps how its input was read in the model file (`input.reading`), for `score` to read
/// the next export the same way; model files written before it was kept still load.
@Suite("How the input was read, kept in the model")
struct ReadSettingsTests {
  static func model(reading: ReadSettings?) throws -> MarkovModel {
    var g = GeneratorParameters()
    g.customers = 300
    g.months = 12
    var o = FitOptions()
    o.reading = reading
    return try ModelFitter.fit(TransactionTable(history: try SyntheticHistoryGenerator.generate(g)), options: o)
  }

  /// Fails if a setting is dropped on the way to the file or back, or written under another key.
  @Test func theSettingsTravelInTheModelFile() throws {
    let settings = ReadSettings(
      customerColumn: "kunde", dateColumn: "datum", amountColumn: "betrag", quantityColumn: "menge", eventColumn: "art",
      delimiter: ";", dateFormat: "%d.%m.%Y", decimalComma: true, keepSameDay: true)
    let json = try Self.model(reading: settings).json()
    #expect(json.contains("\"customer_column\" : \"kunde\"") && json.contains("\"keep_same_day\" : true"))
    #expect(try MarkovModel.load(data: Data(json.utf8), path: "m.json").input.reading == settings)
  }

  /// Fails if a model file without the settings (written before they were kept) is refused.
  @Test func aModelFileWithoutThemStillLoads() throws {
    let json = try Self.model(reading: .defaults).json()
    var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    var input = try #require(object["input"] as? [String: Any])
    #expect(input["reading"] != nil)
    input["reading"] = nil
    object["input"] = input
    let older = try JSONSerialization.data(withJSONObject: object)
    #expect(try MarkovModel.load(data: older, path: "m.json").input.reading == nil)
  }
}

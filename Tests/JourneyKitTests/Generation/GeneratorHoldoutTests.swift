import Foundation
import JourneyKit
import Testing

@Suite("Generator: control group and staggered launches")
struct GeneratorHoldoutTests {
  static func parameters(control: Double? = nil, regions: Int? = nil, churn: Double = -0.5) -> GeneratorParameters {
    var p = GeneratorParameters()
    p.customers = 4_000
    p.seed = 7
    p.launch = CalendarDay(year: 2024, month: 7, day: 1)!
    p.launchChurn = churn
    p.controlShare = control
    p.regions = regions
    return p
  }

  /// Rows per customer id.
  static func rows(_ h: SyntheticHistory) -> [Int32: [String]] {
    var out: [Int32: [String]] = [:]
    for r in 0..<h.rowCount { out[h.customer[r], default: []].append("\(h.day[r]) \(h.amountCents[r]) \(h.event[r])") }
    return out
  }

  @Test func controlCustomersNeverGetTheEffect() throws {
    // The same seed with and without the effect: control customers' rows are identical, treated
    // customers' rows before the launch are identical, and some treated rows after it differ.
    let planted = try SyntheticHistoryGenerator.generate(Self.parameters(control: 0.25))
    let plain = try SyntheticHistoryGenerator.generate(Self.parameters(control: 0.25, churn: 0))
    #expect(planted.isControl == plain.isControl)
    let share = Double(planted.isControl.filter { $0 }.count) / 4_000
    #expect(abs(share - 0.25) < 0.03, "\(share)")
    #expect(planted.truth.effects.controlCustomers == planted.isControl.filter { $0 }.count)
    let a = Self.rows(planted), b = Self.rows(plain)
    let launch = Int32(CalendarDay(year: 2024, month: 7, day: 1)!.dayNumber)
    var treatedDiffer = 0
    for c in 0..<4_000 {
      let x = a[Int32(c)] ?? [], y = b[Int32(c)] ?? []
      if planted.isControl[c] {
        #expect(x == y, "control customer \(c)")
      } else {
        let before = { (rows: [String]) in rows.filter { Int32($0.split(separator: " ")[0])! < launch } }
        // A refund of a pre-launch purchase may land after the launch; purchases before it agree.
        #expect(before(x) == before(y), "treated customer \(c) before the launch")
        if x != y { treatedDiffer += 1 }
      }
    }
    #expect(treatedDiffer > 100)
  }

  @Test func groupColumnFollowsTheControlDraw() throws {
    let h = try SyntheticHistoryGenerator.generate(Self.parameters(control: 0.1))
    let lines = String(decoding: h.csvBytes(), as: UTF8.self).split(separator: "\n")
    #expect(lines[0] == "customer_id,date,amount,event,group")
    let control = Set(h.controlIDs().split(separator: "\n").map(String.init))
    for line in lines.dropFirst().prefix(2_000) {
      let f = line.split(separator: ",")
      #expect((f[4] == "control") == control.contains(String(f[0])))
    }
  }

  @Test func regionsLaunchInTurn() throws {
    let h = try SyntheticHistoryGenerator.generate(Self.parameters(regions: 4))
    let launches = try #require(h.truth.effects.launches)
    #expect(launches.map(\.region) == ["R1", "R2", "R3", "R4"])
    #expect(launches.map(\.launch.description) == ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01"])
    #expect(launches.map(\.customers).reduce(0, +) == 4_000)
    #expect(launches.allSatisfy { abs($0.customers - 1_000) < 120 })
    let header = String(decoding: h.csvBytes().prefix(60), as: UTF8.self)
    #expect(header.hasPrefix("customer_id,date,amount,event,region\n"))
  }

  @Test func regionsMustLaunchInsideTheSpan() {
    var p = Self.parameters(regions: 6)
    p.regionStaggerMonths = 6
    #expect(throws: GeneratorError.self) { try p.validate() }
    #expect((try? p.validate()) == nil)
    do { try p.validate() } catch {
      #expect(error.description == "--stagger-months: '6' is not valid; expected launches inside the span: region R6 would launch 2027-01-01, after its end 2025-12-31; use fewer regions, a shorter stagger or an earlier --launch")
    }
  }

  @Test func defaultTruthHasNoHoldoutFields() throws {
    var p = GeneratorParameters()
    p.customers = 200
    let json = try JSONOutput.encode(try SyntheticHistoryGenerator.generate(p).truth)
    #expect(!json.contains("controlShare") && !json.contains("launches") && !json.contains("regions"))
  }
}

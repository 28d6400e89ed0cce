/// States gathered into the few segments a chart can colour apart: lifecycle stages when the
/// states have them (RFM cells and split segments fold into their stage), else the states
/// themselves, the largest kept and the rest as "other".
struct SegmentGroups: Sendable {
  struct Group: Sendable {
    var name: String
    var states: [Int]
    var isChurned: Bool
  }

  let groups: [Group]

  /// - Parameter weights: per state, how much it matters (customers now), to keep the largest.
  init(space: StateSpace, weights: [Double], maximum: Int = Palette.categorical.count) {
    let states = space.states
    if states.contains(where: { $0.stage != .custom }) {
      groups = Stage.allCases.compactMap { stage in
        let members = states.indices.filter { states[$0].stage == stage }
        return members.isEmpty ? nil : Group(name: stage.rawValue.replacingOccurrences(of: "_", with: " "), states: members, isChurned: stage == .churned)
      }
    } else if states.count <= maximum {
      groups = states.indices.map { Group(name: states[$0].name, states: [$0], isChurned: states[$0].isAbsorbing) }
    } else {
      let ranked = states.indices.sorted { weights[$0] > weights[$1] }
      let kept = ranked.prefix(maximum - 1).sorted()
      groups = kept.map { Group(name: states[$0].name, states: [$0], isChurned: states[$0].isAbsorbing) }
        + [Group(name: "other", states: Array(ranked.dropFirst(maximum - 1)).sorted(), isChurned: false)]
    }
  }

  /// Per group: the sum of `values` over its states.
  func totals(_ values: [Double]) -> [Double] {
    groups.map { $0.states.reduce(0) { $0 + values[$1] } }
  }

  /// The chart colour of group `k`: stages keep the same colour in every chart.
  func colour(_ k: Int) -> String { Palette.series(k) }
}

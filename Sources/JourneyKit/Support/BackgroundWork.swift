import Dispatch

/// A computation started on another thread, whose result is waited for where it is needed: for
/// work that reads what the caller only reads and overlaps what it does next.
final class BackgroundWork<T: Sendable>: @unchecked Sendable {
  private let group = DispatchGroup()
  private let slot = Partials<T>(count: 1)

  init(_ body: @escaping @Sendable () -> T) {
    let slot = self.slot
    DispatchQueue.global().async(group: group) { slot.store(body(), at: 0) }
  }

  /// The result, once the work is done.
  func wait() -> T {
    group.wait()
    return slot.all()[0]
  }
}

import Foundation

/// Results written by concurrent workers, each into its own slot.
final class Partials<T>: @unchecked Sendable {
  private var slots: [T?]
  private let lock = NSLock()
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func store(_ value: T, at index: Int) {
    lock.lock()
    slots[index] = value
    lock.unlock()
  }
  func all() -> [T] {
    lock.lock()
    defer { lock.unlock() }
    return slots.map { $0! }
  }
}

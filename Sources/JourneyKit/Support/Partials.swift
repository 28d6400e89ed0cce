import Foundation

/// Results written by concurrent workers, each into its own slot.
final class Partials<T>: @unchecked Sendable {
  private var slots: [T?]
  private var filled = 0
  private let lock = NSLock()
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  /// Stores one result; returns how many slots are filled now (for progress).
  @discardableResult
  func store(_ value: T, at index: Int) -> Int {
    lock.lock()
    defer { lock.unlock() }
    if slots[index] == nil { filled += 1 }
    slots[index] = value
    return filled
  }
  func all() -> [T] {
    lock.lock()
    defer { lock.unlock() }
    return slots.map { $0! }
  }
}

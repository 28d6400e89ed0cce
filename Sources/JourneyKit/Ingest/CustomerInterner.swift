import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A customer id reduced to what the interner compares: its first 16 bytes as two
/// little-endian words, and a tag holding its length and a 32-bit hash.
///
/// Ids of up to 16 bytes (most numeric ids, `C0000001`, short codes) are compared
/// entirely inside the hash slot, so a lookup costs one cache line.
struct CustomerKey {
  var w0: UInt64
  var w1: UInt64
  /// `length << 32 | hash32`; never 0 for a real key because ids are not empty.
  var tag: UInt64

  /// - Parameter readableUntil: the end of the memory that may be read, so that
  ///   whole 8-byte loads are used when they stay inside it.
  @inline(__always)
  init(_ p: UnsafePointer<UInt8>, _ n: Int, readableUntil: UnsafePointer<UInt8>) {
    let wide = readableUntil - p >= 16
    w0 = CustomerKey.word(p, min(n, 8), wide: wide)
    w1 = n > 8 ? CustomerKey.word(p + 8, min(n - 8, 8), wide: wide) : 0
    var h = CustomerKey.mix(w0 ^ 0x243F_6A88_85A3_08D3, w1 ^ 0x1319_8A2E_0370_7344 ^ UInt64(n))
    if n > 16 {
      // Longer ids: fold in the rest, 8 bytes at a time.
      var k = 16
      while k < n {
        let word = CustomerKey.word(p + k, min(n - k, 8), wide: readableUntil - (p + k) >= 8)
        h = CustomerKey.mix(h ^ word, 0x9E37_79B9_7F4A_7C15)
        k += 8
      }
    }
    tag = UInt64(n) << 32 | (h & 0xFFFF_FFFF)
  }

  @inline(__always)
  static func word(_ p: UnsafePointer<UInt8>, _ n: Int, wide: Bool) -> UInt64 {
    if wide {
      let value = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
      return n >= 8 ? value : value & ((1 &<< UInt64(8 * n)) &- 1)
    }
    var value: UInt64 = 0
    for k in 0..<n { value |= UInt64(p[k]) << UInt64(8 * k) }
    return value
  }

  /// Multiply-fold (as in wyhash): the 128-bit product's halves xor-ed.
  @inline(__always)
  static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let product = a.multipliedFullWidth(by: b)
    return product.high ^ product.low
  }
}

/// Interns customer ids to dense numbers `0, 1, 2, ...` in order of first appearance.
///
/// An open-addressing hash table (linear probing, power-of-two size, at most 75%
/// full) of 32-byte slots that hold the key's first 16 bytes inline. Keys are
/// copied once into an arena in id order, which later becomes `customerIDs`.
///
/// With a million customers the table is far bigger than the caches, and each
/// lookup is a cache miss of about 150 ns. `intern(part:)` therefore first touches
/// the slots of a batch of 64 rows, so that many misses are in flight at once
/// instead of one after another, then resolves the batch from cache; and it reuses
/// the previous row's answer when the id repeats (exports grouped by customer).
final class CustomerInterner {
  struct Slot {
    var w0: UInt64
    var w1: UInt64
    var tag: UInt64
    var id: UInt32
    var arenaOffset: UInt32
  }

  private(set) var slots: UnsafeMutablePointer<Slot>
  private(set) var capacity: Int
  private var mask: Int
  private(set) var count = 0
  /// Key bytes in id order.
  private(set) var arena: [UInt8] = []
  /// Start of each key in `arena`; `count + 1` entries.
  private(set) var arenaStarts: [UInt32] = [0]
  /// Keeps the prefetch loads from being optimised away.
  private var sink: UInt64 = 0

  init(expectedCustomers: Int = 1 << 14) {
    var size = 1 << 10
    while size * 3 / 4 < expectedCustomers { size <<= 1 }
    capacity = size
    mask = size - 1
    slots = CustomerInterner.allocateTable(size)
  }

  deinit { CustomerInterner.freeTable(slots, capacity) }

  /// A zeroed table (all slots empty) in its own mapping, backed by huge pages where
  /// the kernel allows: a random probe into a table of 100 MB then misses the cache
  /// but not also the TLB.
  private static func allocateTable(_ count: Int) -> UnsafeMutablePointer<Slot> {
    let bytes = count * MemoryLayout<Slot>.stride
    let hugePage = 2 << 20
    guard bytes >= hugePage else {
      let table = UnsafeMutablePointer<Slot>.allocate(capacity: count)
      table.initialize(repeating: Slot(w0: 0, w1: 0, tag: 0, id: 0, arenaOffset: 0), count: count)
      return table
    }
    let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    guard let raw, raw != MAP_FAILED else { fatalError("cannot map \(bytes) bytes for the customer table") }
    #if os(Linux)
      _ = madvise(raw, bytes, 14)  // MADV_HUGEPAGE; a hint, failure is harmless
    #endif
    // The kernel zeroes each page at its first write. Left to the interning of the first blocks,
    // that fell on one core while the parsers waited: up to 0.4 s for the 64 MB table of 10M
    // rows on this kind of host (a virtual machine, whose host can be slow to back fresh memory).
    // One write per page, the pages on every core.
    let address = Int(bitPattern: raw), pages = (bytes + hugePage - 1) / hugePage
    DispatchQueue.concurrentPerform(iterations: pages) { p in
      UnsafeMutableRawPointer(bitPattern: address + p * hugePage)!.storeBytes(of: 0, as: UInt8.self)
    }
    return raw.bindMemory(to: Slot.self, capacity: count)
  }

  private static func freeTable(_ table: UnsafeMutablePointer<Slot>, _ count: Int) {
    let bytes = count * MemoryLayout<Slot>.stride
    if bytes >= 2 << 20 {
      munmap(UnsafeMutableRawPointer(table), bytes)
    } else {
      table.deinitialize(count: count)
      table.deallocate()
    }
  }

  /// Customer numbers for every row of `part`, appended to `ids`.
  func intern(part: PartResult, base: UnsafePointer<UInt8>, into ids: inout [Int32]) {
    let n = part.rowCount
    guard n > 0 else { return }
    let batch = 64
    let oldCount = ids.count
    // The table's state lives in locals in the loop (class properties would pay a
    // dynamic exclusivity check per access) and is reloaded after each insertion.
    var table = slots
    var tableMask = mask
    var touched: UInt64 = 0
    ids.append(contentsOf: repeatElement(0, count: n))
    ids.withUnsafeMutableBufferPointer { out in
      let w0s = part.keyW0.pointer
      let w1s = part.keyW1.pointer
      let tags = part.keyTag.pointer
      let locations = part.keyLocation.pointer
              part.scratch.withUnsafeBufferPointer { scratch in
                var lastTag: UInt64 = 0
                var lastW0: UInt64 = 0
                var lastW1: UInt64 = 0
                var lastID: Int32 = -1
                var batchEnd = 0
                for r in 0..<n {
                  if r == batchEnd {
                    // Touch the slots of the next batch in a tight loop of independent
                    // loads: dozens of misses are then in flight together, and the
                    // probes below find their lines in cache.
                    batchEnd = min(n, r &+ batch)
                    for k in r..<batchEnd {
                      // The home slot, and the line after it (two slots per line), where
                      // a probe that collides continues.
                      let home = Int(truncatingIfNeeded: tags[k]) & tableMask
                      touched &+= table[home].tag &+ table[((home | 1) &+ 1) & tableMask].tag
                    }
                  }
                  let tag = tags[r]
                  let w0 = w0s[r]
                  let w1 = w1s[r]
                  if tag == lastTag && w0 == lastW0 && w1 == lastW1 && tag >> 32 <= 16 {
                    out[oldCount + r] = lastID
                    continue
                  }
                  let location = locations[r]
                  let keyBytes =
                    location & PartResult.scratchFlag != 0
                    ? scratch.baseAddress! + Int(location & ~PartResult.scratchFlag)
                    : base + Int(location)
                  let length = Int(tag >> 32)
                  var index = Int(truncatingIfNeeded: tag) & tableMask
                  var id: Int32 = -1
                  while true {
                    let slot = table[index]
                    if slot.tag == 0 { break }
                    if slot.tag == tag && slot.w0 == w0 && slot.w1 == w1
                      && (length <= 16 || equalsArena(Int(slot.arenaOffset), keyBytes, length))
                    {
                      id = Int32(bitPattern: slot.id)
                      break
                    }
                    index = (index + 1) & tableMask
                  }
                  if id < 0 {
                    id = insert(w0: w0, w1: w1, tag: tag, bytes: keyBytes, at: index)
                    table = slots
                    tableMask = mask
                  }
                  out[oldCount + r] = id
                  lastTag = tag
                  lastW0 = w0
                  lastW1 = w1
                  lastID = id
                }
              }
    }
    sink &+= touched
  }

  /// Adds a new key in the empty slot `index`; returns its id.
  private func insert(w0: UInt64, w1: UInt64, tag: UInt64, bytes: UnsafePointer<UInt8>, at index: Int) -> Int32 {
    let length = Int(tag >> 32)
    precondition(arena.count + length < Int(UInt32.max), "customer ids exceed 4 GB of text")
    precondition(count < Int(Int32.max), "more than 2^31 customers")
    let id = UInt32(count)
    let offset = UInt32(arena.count)
    arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    arenaStarts.append(UInt32(arena.count))
    slots[index] = Slot(w0: w0, w1: w1, tag: tag, id: id, arenaOffset: offset)
    count += 1
    if count * 4 > capacity * 3 { grow() }
    return Int32(bitPattern: id)
  }

  private func equalsArena(_ offset: Int, _ bytes: UnsafePointer<UInt8>, _ length: Int) -> Bool {
    arena.withUnsafeBufferPointer { a in
      for k in 0..<length where a[offset + k] != bytes[k] { return false }
      return true
    }
  }

  private func grow() {
    let newCapacity = capacity * 2
    let newMask = newCapacity - 1
    let newSlots = CustomerInterner.allocateTable(newCapacity)
    for k in 0..<capacity where slots[k].tag != 0 {
      var index = Int(truncatingIfNeeded: slots[k].tag) & newMask
      while newSlots[index].tag != 0 { index = (index + 1) & newMask }
      newSlots[index] = slots[k]
    }
    CustomerInterner.freeTable(slots, capacity)
    slots = newSlots
    capacity = newCapacity
    mask = newMask
  }

  /// The ids as strings, in id order. The bytes were validated as UTF-8 when read.
  func strings() -> [String] {
    arena.withUnsafeBufferPointer { a in
      (0..<count).map { id in
        let start = Int(arenaStarts[id])
        let end = Int(arenaStarts[id + 1])
        return String(decoding: UnsafeBufferPointer(rebasing: a[start..<end]), as: UTF8.self)
      }
    }
  }

  /// Frees the table (the arena stays for `strings()`).
  func releaseTable() {
    CustomerInterner.freeTable(slots, capacity)
    slots = CustomerInterner.allocateTable(1)
    capacity = 1
    mask = 0
  }

  var checksum: UInt64 { sink }
}

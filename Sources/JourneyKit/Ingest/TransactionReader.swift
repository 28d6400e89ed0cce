import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What reading produced: the table and an account of every row.
public struct IngestResult: Sendable {
  /// The transactions read, sorted by customer and day.
  public var table: TransactionTable
  /// How the rows were accounted for.
  public var summary: IngestSummary
}

/// An account of a read: every data row is either in the table, merged into another, or rejected.
///
/// `rowsRead == rowsRejected + rowsMerged + table.rowCount`.
public struct IngestSummary: Sendable, Codable, Equatable {
  /// The file as named (`<stdin>` for standard input).
  public var source: String
  /// `,`, `;`, `|`, `tab` or `spaces` (runs of spaces and tabs).
  public var delimiter: String
  /// The header names used for customer, date, amount and event (nil when there is none).
  public var customerColumn: String
  /// The date column's header name.
  public var dateColumn: String
  /// The amount column's header name.
  public var amountColumn: String
  /// The event column's header name (nil: none; rows are purchases, or refunds when negative).
  public var eventColumn: String?
  /// The quantity column's header name, when each row's amount is quantity x the amount column.
  public var quantityColumn: String? = nil
  /// Data rows in the file, blank lines not counted.
  public var rowsRead: Int
  /// Rows skipped as bad (with `--on-error skip`).
  public var rowsRejected: Int
  /// Rejected rows by reason.
  public var rejectedByReason: [String: Int]
  /// Purchase rows folded into an earlier purchase by the same customer on the same day.
  public var rowsMerged: Int
  /// Rows in the table.
  public var rowsKept: Int
  /// Empty lines, which hold no data.
  public var blankLines: Int
  /// Distinct customer ids in the table.
  public var customers: Int
  /// Whether same-day purchases were merged into one occasion.
  public var sameDayPurchasesMerged: Bool
}

/// Reads CSV or TSV transaction exports into a sorted, validated `TransactionTable`.
///
/// The input is read in blocks of `ReaderOptions.blockBytes` (a file or a pipe, never
/// loaded whole); each block is split at line breaks and its parts are parsed in
/// parallel straight from the bytes. Customer ids are interned on one thread while
/// their bytes are still in the block, then the rows are counting-sorted by customer.
///
/// ```swift
/// let result = try TransactionReader().read(path: "transactions.csv")
/// result.table.customerCount    // 1_523_344
/// result.summary.rowsMerged     // 41_201
/// ```
///
/// - Complexity: O(bytes + rows + customers). Memory: the table, about twice over
///   while sorting, plus one block and the id hash table.
public struct TransactionReader: Sendable {
  /// How to read: delimiter, columns, date format, error policy, limits.
  public var options: ReaderOptions

  /// A reader with `options`.
  public init(options: ReaderOptions = ReaderOptions()) {
    self.options = options
  }

  /// Reads a file, or standard input when `path` is `-`.
  ///
  /// - Throws: `InputFailure` with up to `maxProblems` problems, each naming file, line and column.
  public func read(path: String) throws(InputFailure) -> IngestResult {
    try read(path: path, name: path)
  }

  /// Reads a file, naming it `name` in messages and in the result (a temporary copy stands for
  /// its source); `-` reads standard input.
  public func read(path: String, name: String) throws(InputFailure) -> IngestResult {
    if path == "-" {
      return try read(source: FileSource(descriptor: 0, closes: false), name: "<stdin>", sizeHint: 0, isStream: true)
    }
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw InputFailure(.cannotOpen(path: path, reason: String(cString: strerror(errno))))
    }
    var info = stat()
    if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      close(descriptor)
      throw InputFailure(.cannotOpen(path: path, reason: "it is a directory"))
    }
    let size = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
    let isStream = (info.st_mode & S_IFMT) == S_IFIFO || (info.st_mode & S_IFMT) == S_IFCHR || (info.st_mode & S_IFMT) == S_IFSOCK
    return try read(source: FileSource(descriptor: descriptor, closes: true), name: name, sizeHint: size, isStream: isStream)
  }

  /// Reads CSV text from memory; `name` is used in messages.
  public func read(bytes: [UInt8], name: String) throws(InputFailure) -> IngestResult {
    try read(source: MemorySource(bytes: bytes), name: name, sizeHint: bytes.count)
  }

  /// Reads CSV text from memory; `name` is used in messages.
  public func read(text: String, name: String) throws(InputFailure) -> IngestResult {
    try read(bytes: Array(text.utf8), name: name)
  }

  private func read(source: ByteSource, name: String, sizeHint: Int, isStream: Bool = false) throws(InputFailure) -> IngestResult {
    let capacity = max(options.blockBytes, options.maxRowBytes * 2 + 64)
    // Two buffers: while the parts of one block are parsed, the ids of the block
    // before are interned from the other, whose bytes must stay put until then.
    let buffers = [UnsafeMutablePointer<UInt8>.allocate(capacity: capacity), .allocate(capacity: capacity)]
    defer { for b in buffers { b.deallocate() } }
    var buffer = buffers[0]
    var filled = 0
    var atEOF = false
    /// Old Mac files end lines with CR alone: read as they are meant, each CR is a line break.
    var crOnly = false
    /// Columns separated by runs of spaces and tabs: each chunk is rewritten as it is read.
    var whitespace: WhitespaceColumns? = nil
    var bytesRead = 0
    func fill() throws(InputFailure) {
      while !atEOF && filled < capacity {
        let n = try source.read(into: buffer + filled, count: capacity - filled, name: name)
        if n == 0 { atEOF = true }
        if crOnly { for k in filled..<(filled + n) where buffer[k] == 0x0D { buffer[k] = 0x0A } }
        whitespace?.rewrite(buffer, from: filled, to: filled + n)
        filled += n
        bytesRead += n
        if isStream && bytesRead > options.maxStreamBytes {
          throw InputFailure(.cannotRead(
            path: name, reason: "more than \(Format.number(Double(options.maxStreamBytes))) bytes from a stream (the limit); save the stream to a file and read that"))
        }
      }
    }

    // Encoding and header.
    try fill()
    var position = 0
    func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: name, line: line, column: column) }
    if filled >= 4 && (buffer[0], buffer[1], buffer[2], buffer[3]) == (0xFF, 0xFE, 0, 0) {
      throw InputFailure(.wrongEncoding(at(1, 1), encoding: "UTF-32LE"))
    }
    if filled >= 2 && (buffer[0], buffer[1]) == (0xFF, 0xFE) {
      throw InputFailure(.wrongEncoding(at(1, 1), encoding: "UTF-16LE"))
    }
    if filled >= 2 && (buffer[0], buffer[1]) == (0xFE, 0xFF) {
      throw InputFailure(.wrongEncoding(at(1, 1), encoding: "UTF-16BE"))
    }
    if let format = BinaryFormat.detect(UnsafeBufferPointer(start: buffer, count: filled)) {
      throw InputFailure(.binaryFile(at(1, 1), format: format))
    }
    if filled >= 3 && (buffer[0], buffer[1], buffer[2]) == (0xEF, 0xBB, 0xBF) { position = 3 }
    if let firstBreak = (position..<filled).first(where: { buffer[$0] == 0x0D || buffer[$0] == 0x0A }), buffer[firstBreak] == 0x0D,
      firstBreak + 1 < filled, buffer[firstBreak + 1] != 0x0A
    {
      crOnly = true
      for k in position..<filled where buffer[k] == 0x0D { buffer[k] = 0x0A }
    }
    if (position..<filled).allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains(buffer[$0]) }) {
      throw InputFailure(.emptyFile(at(1, 1)))
    }
    var headerEnd = position
    while headerEnd < filled && buffer[headerEnd] != 0x0A { headerEnd += 1 }
    if headerEnd == filled && !atEOF || headerEnd - position > options.maxRowBytes {
      throw InputFailure(.lineTooLong(at(1, 1), limit: options.maxRowBytes))
    }
    var headerLineEnd = headerEnd
    if headerLineEnd > position && buffer[headerLineEnd - 1] == 0x0D { headerLineEnd -= 1 }
    if let nul = (position..<headerLineEnd).first(where: { buffer[$0] == 0 }) {
      throw InputFailure(.nulByte(at(1, 1 + (position..<nul).filter { buffer[$0] & 0xC0 != 0x80 }.count)))
    }
    if let bad = firstInvalidUTF8(buffer, from: position, to: headerLineEnd) {
      throw InputFailure(.invalidUTF8(at(1, 1 + (position..<bad).filter { buffer[$0] & 0xC0 != 0x80 }.count), byte: buffer[bad]))
    }
    let headerText = Array(UnsafeBufferPointer(start: buffer + position, count: min(headerEnd + 1, filled) - position))
    var headerOptions = options
    if options.delimiter == ReaderOptions.whitespace
      || options.delimiter == nil
        && WhitespaceColumns.looksSeparated(UnsafeBufferPointer(start: buffer + position, count: headerLineEnd - position))
    {
      whitespace = WhitespaceColumns()
      whitespace!.rewrite(buffer, from: position, to: filled)
      headerOptions.delimiter = 0x09
    }
    var plan = try CSVHeader.plan(
      line: UnsafeBufferPointer(start: buffer + position, count: headerLineEnd - position), options: headerOptions, file: name)
    plan.separatedByWhitespace = whitespace != nil
    position = min(headerEnd + 1, filled)

    // Data rows, block by block.
    let scanner = RecordScanner(plan: plan, options: options, file: name)
    let stage = InternStage(
      interner: CustomerInterner(expectedCustomers: max(1 << 14, sizeHint / 256)),
      attributes: plan.attributes.isEmpty ? nil : AttributeCollector(plan: plan))
    var pending: (parts: [PartResult], buffer: SendablePointer)? = nil
    var lineBase = 2
    var problems: [InputError] = []
    var stoppedAtLimit = false
    var rejects: [RowProblem] = []
    var rejectCounts: [RejectReason: Int] = [:]
    var records = 0
    var blankLines = 0
    var discardingLongRow = false
    let keepRejectText = options.onError == .skip && options.rejectsPath != nil
    /// The documented limits, checked after every block: a block adds far fewer rows, customers
    /// and id bytes than the 32-bit numbering leaves room for beyond each limit.
    func checkLimits() throws(InputFailure) {
      if records > options.maxRows {
        throw InputFailure(.tooLarge(path: name, what: "rows", limit: options.maxRows))
      }
      if stage.interner.count > options.maxCustomers {
        throw InputFailure(.tooLarge(path: name, what: "customers", limit: options.maxCustomers))
      }
      if stage.interner.arena.count > options.maxCustomerIDText {
        throw InputFailure(.tooLarge(path: name, what: "bytes of customer ids", limit: options.maxCustomerIDText))
      }
    }

    reading: while true {
      if discardingLongRow {
        // The rest of a too-long row: drop bytes up to its line break.
        var j = position
        while j < filled && buffer[j] != 0x0A { j += 1 }
        let end = j < filled ? j + 1 : filled
        if keepRejectText, !rejects.isEmpty {
          rejects[rejects.count - 1].text?.append(contentsOf: UnsafeBufferPointer(start: buffer + position, count: end - position))
        }
        position = end
        if j < filled {
          discardingLongRow = false
          lineBase += 1
        }
      }
      if position < filled && !discardingLongRow {
        var job: (@Sendable () -> Void)? = nil
        if let (parts, bytes) = pending {
          job = { stage.intern(parts, bytes) }
          pending = nil
        }
        let parts = parseBlock(scanner, buffer, start: position, end: filled, atEOF: atEOF, alongside: job)
        for part in parts {
          records += part.records
          blankLines += part.blankLines
          for (reason, count) in part.rejectCounts { rejectCounts[reason, default: 0] += count }
          let base = lineBase
          for problem in part.problems {
            let error = problem.error.relocated { SourceLocation(file: $0.file, line: $0.line + base, column: $0.column) }
            if options.onError == .fail {
              if problems.count < options.maxProblems { problems.append(error) }
            } else if keepRejectText {
              rejects.append(RowProblem(error: error, text: problem.text))
            }
          }
          lineBase += part.lines
        }
        try checkLimits()
        // Rows are only worth keeping while the read can still succeed.
        if problems.isEmpty || options.onError == .skip {
          pending = (parts, SendablePointer(buffer))
        }
        let last = parts[parts.count - 1]
        switch last.stop {
        case .done, .incomplete:
          position = last.end
        case .longLine:
          position = filled
          discardingLongRow = true
        case .problemLimit:
          stoppedAtLimit = true
          break reading
        }
        if options.onError == .fail && problems.count >= options.maxProblems {
          stoppedAtLimit = true
          break reading
        }
      }
      if atEOF { break }
      // Move the unfinished row to the other buffer, and read on.
      let other = buffer == buffers[0] ? buffers[1] : buffers[0]
      if let (parts, bytes) = pending, bytes.value == UnsafePointer(other) {
        stage.intern(parts, bytes)
        pending = nil
      }
      let carry = filled - position
      if carry > 0 { other.update(from: buffer + position, count: carry) }
      buffer = other
      filled = carry
      position = 0
      try fill()
    }
    if let (parts, bytes) = pending, problems.isEmpty {
      stage.intern(parts, bytes)
    }
    try checkLimits()

    if !problems.isEmpty {
      throw InputFailure(problems: problems, stoppedAtLimit: stoppedAtLimit)
    }
    let rejected = rejectCounts.values.reduce(0, +)
    if records == 0 {
      throw InputFailure(.headerOnly(at(2, 1)))
    }
    if rejected == records {
      throw InputFailure(.noValidRows(at(2, 1), rejected: rejected))
    }
    if let rejectsPath = options.rejectsPath, options.onError == .skip {
      var text = headerText
      if text.last != 0x0A { text.append(0x0A) }
      for reject in rejects {
        text.append(contentsOf: Array(("# " + reject.error.message + "\n").utf8))
        // A whitespace-separated row was rewritten in place: its tabs are shown as spaces.
        text.append(contentsOf: whitespace == nil ? reject.text ?? [] : (reject.text ?? []).map { $0 == 0x09 ? 0x20 : $0 })
        if text.last != 0x0A { text.append(0x0A) }
      }
      do {
        try AtomicFile.write(text, to: rejectsPath)
      } catch {
        if case let .cannotWrite(_, reason) = error {
          throw InputFailure(.cannotWriteRejects(path: rejectsPath, reason: reason))
        }
        throw InputFailure(.cannotWriteRejects(path: rejectsPath, reason: "\(error)"))
      }
    }

    stage.interner.releaseTable()
    let ids = stage.interner.strings()
    let customerCount = stage.interner.count
    var (table, merged) = TransactionTable.assemble(
      rows: stage.rows, customerCount: customerCount, customerIDs: ids, mergeSameDay: !options.keepSameDay)
    table.attributes = stage.attributes?.finish(customerCount: customerCount) ?? [:]
    // The row buckets and the sort's scratch are freed; what follows (states, models) should not
    // sit beside their pages.
    returnFreedMemory()

    let summary = IngestSummary(
      source: name, delimiter: plan.delimiterName,
      customerColumn: plan.names[plan.customer], dateColumn: plan.names[plan.date],
      amountColumn: plan.names[plan.amount], eventColumn: plan.event >= 0 ? plan.names[plan.event] : nil,
      quantityColumn: plan.quantity >= 0 ? plan.names[plan.quantity] : nil,
      rowsRead: records, rowsRejected: rejected,
      rejectedByReason: Dictionary(uniqueKeysWithValues: rejectCounts.map { ($0.key.rawValue, $0.value) }),
      rowsMerged: merged, rowsKept: table.rowCount, blankLines: blankLines, customers: customerCount,
      sameDayPurchasesMerged: !options.keepSameDay)
    return IngestResult(table: table, summary: summary)
  }

  /// Parses `start ..< end` in parts, in parallel, and returns them in order.
  ///
  /// Parts are cut just after a line break. A cut inside a quoted field is caught by
  /// comparing where each part's predecessor really stopped with where the part began;
  /// on a mismatch the part is parsed again from the right place.
  ///
  /// - Parameter alongside: work run in parallel with the parsing (interning the previous block);
  ///   the block is then cut into more parts so that both cores stay busy.
  private func parseBlock(
    _ scanner: RecordScanner, _ buffer: UnsafeMutablePointer<UInt8>, start: Int, end: Int, atEOF: Bool,
    alongside job: (@Sendable () -> Void)?
  ) -> [PartResult] {
    let base = UnsafePointer(buffer)
    let size = end - start
    let wanted = options.threads * (job == nil || options.threads == 1 ? 1 : 3)
    let count = max(1, min(wanted, size / options.minimumPartBytes))
    var starts = [start]
    for k in 1..<max(1, count) {
      var cut = start + size * k / count
      while cut < end && base[cut - 1] != 0x0A { cut += 1 }
      starts.append(max(cut, starts[k - 1]))
    }
    let limits = Array(starts.dropFirst()) + [end]
    let partStarts = starts
    let results = PartSlots(count: count)
    let pointer = SendablePointer(base)
    let jobs = count + (job == nil ? 0 : 1)
    DispatchQueue.concurrentPerform(iterations: jobs) { index in
      // The side job goes first: it is the longest.
      if let job {
        if index == 0 { return job() }
      }
      let k = job == nil ? index : index - 1
      results.slots[k] = scanner.parse(
        base: pointer.value, bufferEnd: end, start: partStarts[k], limit: limits[k], atEOF: atEOF)
    }
    var ordered = [results.slots[0]!]
    for k in 1..<count {
      let previous = ordered[ordered.count - 1]
      guard previous.stop == .done else { break }
      if previous.end == starts[k] {
        ordered.append(results.slots[k]!)
      } else if previous.end < limits[k] {
        ordered.append(scanner.parse(base: base, bufferEnd: end, start: previous.end, limit: limits[k], atEOF: atEOF))
      }
    }
    return ordered
  }
}

/// The sequential half of reading: customer ids to numbers, rows into buckets by customer, in file order.
final class InternStage: @unchecked Sendable {
  let interner: CustomerInterner
  let attributes: AttributeCollector?
  let rows = RowBuckets()

  init(interner: CustomerInterner, attributes: AttributeCollector?) {
    self.interner = interner
    self.attributes = attributes
  }

  /// Interns the parts of one block, whose bytes are at `buffer`.
  func intern(_ parts: [PartResult], _ buffer: SendablePointer) {
    for part in parts {
      var ids: [Int32] = []
      ids.reserveCapacity(part.rowCount)
      interner.intern(part: part, base: buffer.value, into: &ids)
      attributes?.collect(part: part, ids: ids, base: buffer.value)
      rows.append(customers: ids, day: part.day.pointer, amount: part.amount.pointer, event: part.event.pointer)
    }
  }
}

/// Per-customer values of the kept categorical columns: the value on the customer's first row by date.
final class AttributeCollector {
  let plan: ColumnPlan
  private var firstDay: [Int32] = []
  private var levelOfCustomer: [[Int32]]
  private var levels: [[String]]
  private var levelIndex: [[String: Int32]]

  init(plan: ColumnPlan) {
    self.plan = plan
    levelOfCustomer = Array(repeating: [], count: plan.attributes.count)
    levels = Array(repeating: [], count: plan.attributes.count)
    levelIndex = Array(repeating: [:], count: plan.attributes.count)
  }

  func collect(part: PartResult, ids: [Int32], base: UnsafePointer<UInt8>) {
    let width = plan.attributes.count
    for r in 0..<ids.count {
      let c = Int(ids[r])
      let day = part.day[r]
      if c == firstDay.count {
        firstDay.append(day)
        for a in 0..<width { levelOfCustomer[a].append(level(a, part, r, base)) }
      } else if day < firstDay[c] {
        firstDay[c] = day
        for a in 0..<width { levelOfCustomer[a][c] = level(a, part, r, base) }
      }
    }
  }

  private func level(_ a: Int, _ part: PartResult, _ r: Int, _ base: UnsafePointer<UInt8>) -> Int32 {
    let packed = part.attributeValues[r * plan.attributes.count + a]
    let location = UInt32(packed >> 32)
    let length = Int(packed & 0xFFFF_FFFF)
    let text: String =
      if location & PartResult.scratchFlag != 0 {
        String(decoding: part.scratch[Int(location & ~PartResult.scratchFlag)...].prefix(length), as: UTF8.self)
      } else {
        String(decoding: UnsafeBufferPointer(start: base + Int(location), count: length), as: UTF8.self)
      }
    if let index = levelIndex[a][text] { return index }
    let index = Int32(levels[a].count)
    levels[a].append(text)
    levelIndex[a][text] = index
    return index
  }

  func finish(customerCount: Int) -> [String: CustomerAttribute] {
    var result: [String: CustomerAttribute] = [:]
    for (a, column) in plan.attributes.enumerated() {
      result[column.name] = CustomerAttribute(levels: levels[a], levelOfCustomer: levelOfCustomer[a])
    }
    return result
  }
}

/// Where bytes come from: a file descriptor (file, pipe, standard input) or memory.
protocol ByteSource {
  /// Reads up to `count` bytes; 0 at the end.
  func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int, name: String) throws(InputFailure) -> Int
}

final class FileSource: ByteSource {
  let descriptor: Int32
  let closes: Bool

  init(descriptor: Int32, closes: Bool) {
    self.descriptor = descriptor
    self.closes = closes
  }

  deinit { if closes { close(descriptor) } }

  func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int, name: String) throws(InputFailure) -> Int {
    while true {
      #if canImport(Glibc)
        let n = Glibc.read(descriptor, buffer, count)
      #else
        let n = Darwin.read(descriptor, buffer, count)
      #endif
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw InputFailure(.cannotRead(path: name, reason: String(cString: strerror(errno))))
    }
  }
}

final class MemorySource: ByteSource {
  let bytes: [UInt8]
  var offset = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int, name: String) throws(InputFailure) -> Int {
    let n = min(count, bytes.count - offset)
    bytes.withUnsafeBufferPointer { source in
      if n > 0 { buffer.update(from: source.baseAddress! + offset, count: n) }
    }
    offset += n
    return n
  }
}

/// Slots written by concurrent parts, each by its own job.
private final class PartSlots: @unchecked Sendable {
  let slots: UnsafeMutablePointer<PartResult?>
  let count: Int
  init(count: Int) {
    self.count = count
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
  }
  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }
}

/// A pointer handed to concurrent jobs that only read through it.
struct SendablePointer: @unchecked Sendable {
  let value: UnsafePointer<UInt8>
  init(_ value: UnsafePointer<UInt8>) { self.value = value }
}

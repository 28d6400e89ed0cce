/// Parses one stretch of a block of CSV bytes into typed row columns.
///
/// A block is split into parts that are parsed in parallel. A part parses every
/// record that *starts* in `start ..< limit`, finishing the last one past `limit`
/// if it has to. Rows come out as columns (day, amount, event) plus the
/// customer key (its first 16 bytes as two words, a 32-bit hash and the length)
/// so that interning later needs no second look at the text for short ids.
///
/// Bad rows become `RowProblem`s with a part-relative line number; the reader
/// turns those into file lines once it knows where the part starts.
struct RecordScanner {
  let plan: ColumnPlan
  let options: ReaderOptions
  let file: String
  let keepRejectText: Bool
  let earliest: Int64
  let latest: Int64

  init(plan: ColumnPlan, options: ReaderOptions, file: String) {
    self.plan = plan
    self.options = options
    self.file = file
    self.keepRejectText = options.onError == .skip && options.rejectsPath != nil
    self.earliest = Int64(options.earliestDay.dayNumber)
    self.latest = Int64(options.latestDay.dayNumber)
  }

  /// What each byte means to the field scanners, one table entry per byte value. Inside quotes
  /// the delimiter is data, so the quoted table has no `.delimiter`.
  private func classTable(quoted: Bool) -> [ByteClass] {
    var table = [ByteClass](repeating: .ordinary, count: 256)
    for b in 0x80...0xFF { table[b] = .nonASCII }
    table[0x0A] = .lineFeed
    table[0x00] = .nul
    table[0x22] = .quote
    if !quoted { table[Int(plan.delimiter)] = .delimiter }
    return table
  }

  /// Parses the records that start in `start ..< limit` of `base[0 ..< bufferEnd]`.
  ///
  /// - Parameter atEOF: the buffer ends at the end of the input, so a last row without a line break is complete.
  func parse(
    base: UnsafePointer<UInt8>, bufferEnd: Int, start: Int, limit: Int, atEOF: Bool
  ) -> PartResult {
    let out = PartResult(start: start, limit: limit)
    // Columns are built in raw growable buffers and handed over at the end: appending
    // to arrays (or to a class's stored arrays) costs uniqueness and exclusivity checks per row.
    let expectedRows = max(16, (limit - start) / 24)
    var keyW0 = RawColumn<UInt64>(capacity: expectedRows)
    var keyW1 = RawColumn<UInt64>(capacity: expectedRows)
    var keyTag = RawColumn<UInt64>(capacity: expectedRows)
    var keyLocations = RawColumn<UInt32>(capacity: expectedRows)
    var days = RawColumn<Int32>(capacity: expectedRows)
    var amounts = RawColumn<Double>(capacity: expectedRows)
    var events = RawColumn<UInt8>(capacity: expectedRows)
    var attributeValues = RawColumn<UInt64>(capacity: plan.attributes.isEmpty ? 1 : expectedRows * plan.attributes.count)
    let isoDates = options.dateFormat.tokens == nil
    let dateTokens = options.dateFormat.tokens ?? []
    let decimalComma = options.decimalComma
    let maxIDBytes = options.maxCustomerIDBytes
    let attributeFields = plan.attributes.map(\.field)
    let customerField = plan.customer
    let dateField = plan.date
    let amountField = plan.amount
    let quantityField = plan.quantity
    let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]
    let eventField = plan.event
    let fieldCount = plan.fieldCount
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let delimiterBytes = ones &* UInt64(plan.delimiter)
    /// High bits set at bytes that are a delimiter, LF, NUL, quote or non-ASCII; the
    /// lowest set bit is exact (the zero-byte test can only misfire above a true hit).
    @inline(__always) func specialBytes(_ w: UInt64) -> UInt64 {
      @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
      return (w & highs) | zeroBytes(w) | zeroBytes(w ^ delimiterBytes) | zeroBytes(w ^ (ones &* 0x0A))
        | zeroBytes(w ^ (ones &* 0x22))
    }
    var records = 0
    var blankLines = 0
    let unquotedClass = classTable(quoted: false)
    let quotedClass = classTable(quoted: true)
    let capacity = plan.fieldCount
    let fieldStart = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    let fieldEnd = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    let fieldEscaped = UnsafeMutablePointer<Bool>.allocate(capacity: capacity)
    defer {
      fieldStart.deallocate()
      fieldEnd.deallocate()
      fieldEscaped.deallocate()
    }
    let delimiter = plan.delimiter
    let maxRow = options.maxRowBytes
    let problemLimit = options.onError == .fail ? options.maxProblems : Int.max

    unquotedClass.withUnsafeBufferPointer { ucls in
      quotedClass.withUnsafeBufferPointer { qcls in
        var i = start
        var line = 0
        rows: while i < limit {
          let recordStart = i
          let recordLine = line
          var fields = 0
          var innerLines = 0
          var sawHigh = false
          var recordEnd = 0  // end of the last field's content, before the line ending
          var next = 0  // first byte after the line ending
          var endedWithNewline = false
          var structural: (offset: Int, kind: StructuralProblem)? = nil
          var incomplete = false
          @inline(__always) func store(_ index: Int, _ s: Int, _ e: Int, _ esc: Bool) {
            if index < capacity {
              fieldStart[index] = s
              fieldEnd[index] = e
              fieldEscaped[index] = esc
            }
          }

          fieldLoop: while true {
            var contentStart = i
            var contentEnd = i
            var escaped = false
            if i < bufferEnd, base[i] == 0x22 {
              // Quoted field (RFC 4180): "" is a quote; line breaks are data.
              let open = i
              i += 1
              contentStart = i
              quoteLoop: while true {
                while i < bufferEnd, qcls[Int(base[i])] == .ordinary { i += 1 }
                if i == bufferEnd {
                  if !atEOF {
                    incomplete = true
                    break fieldLoop
                  }
                  if structural == nil { structural = (open, .unclosedQuote) }
                  contentEnd = i
                  recordEnd = i
                  next = i
                  store(fields, contentStart, contentEnd, true)
                  fields += 1
                  break fieldLoop
                }
                switch qcls[Int(base[i])] {
                case .quote:
                  if i + 1 < bufferEnd, base[i + 1] == 0x22 {
                    escaped = true
                    i += 2
                    continue quoteLoop
                  }
                  if i + 1 == bufferEnd, !atEOF {
                    incomplete = true
                    break fieldLoop
                  }
                  contentEnd = i
                  i += 1
                  break quoteLoop
                case .lineFeed:
                  innerLines += 1
                  i += 1
                case .nul:
                  if structural == nil { structural = (i, .nul) }
                  i += 1
                case .nonASCII, .ordinary, .delimiter:  // ordinary and delimiter bytes were skipped above
                  sawHigh = true
                  i += 1
                }
              }
              // After the closing quote: a delimiter, a line ending or the end of input.
              if i == bufferEnd {
                if !atEOF {
                  incomplete = true
                  break fieldLoop
                }
                store(fields, contentStart, contentEnd, escaped)
                fields += 1
                recordEnd = i
                next = i
                break fieldLoop
              }
              let b = base[i]
              if b == delimiter {
                store(fields, contentStart, contentEnd, escaped)
                fields += 1
                i += 1
                continue fieldLoop
              }
              if b == 0x0A || (b == 0x0D && i + 1 < bufferEnd && base[i + 1] == 0x0A) {
                store(fields, contentStart, contentEnd, escaped)
                fields += 1
                recordEnd = i
                next = b == 0x0A ? i + 1 : i + 2
                endedWithNewline = true
                break fieldLoop
              }
              if b == 0x0D, i + 1 == bufferEnd, !atEOF {
                incomplete = true
                break fieldLoop
              }
              // Text after the closing quote: reject the row, and read on to the next delimiter leniently.
              if structural == nil { structural = (i, .textAfterQuote) }
            }
            // Unquoted field (or the tail after a bad closing quote).
            while true {
              // Eight bytes at a time to the next byte that is not plain text.
              while i &+ 8 <= bufferEnd {
                let special = specialBytes(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                if special != 0 {
                  i &+= special.trailingZeroBitCount &>> 3
                  break
                }
                i &+= 8
              }
              while i < bufferEnd, ucls[Int(base[i])] == .ordinary { i += 1 }
              if i == bufferEnd {
                if !atEOF {
                  incomplete = true
                  break fieldLoop
                }
                contentEnd = i
                if contentEnd > contentStart, base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                store(fields, contentStart, contentEnd, escaped)
                fields += 1
                recordEnd = contentEnd
                next = i
                break fieldLoop
              }
              switch ucls[Int(base[i])] {
              case .delimiter:
                store(fields, contentStart, i, escaped)
                fields += 1
                i += 1
                continue fieldLoop
              case .lineFeed:
                contentEnd = i
                if contentEnd > contentStart, base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                store(fields, contentStart, contentEnd, escaped)
                fields += 1
                recordEnd = contentEnd
                next = i + 1
                endedWithNewline = true
                break fieldLoop
              case .nul:
                if structural == nil { structural = (i, .nul) }
                i += 1
              case .quote:
                i += 1  // a quote inside an unquoted field is kept as text
              case .nonASCII, .ordinary:  // ordinary bytes were skipped above
                sawHigh = true
                i += 1
              }
            }
          }

          // Too long: reject the physical line and resume after its first raw line break.
          let reach = incomplete ? bufferEnd : next
          if reach - recordStart > maxRow {
            out.addProblem(
              .lineTooLong(location(base, recordStart, recordLine, at: recordStart), limit: maxRow),
              text: keepRejectText ? UnsafeBufferPointer(start: base + recordStart, count: min(reach, bufferEnd) - recordStart) : nil)
            records += 1
            var j = recordStart
            while j < bufferEnd, base[j] != 0x0A { j += 1 }
            if j < bufferEnd {
              // The reject text is the physical line.
              if keepRejectText { out.trimLastRejectText(to: j + 1 - recordStart) }
              i = j + 1
              line = recordLine + 1
              if out.problems.count >= problemLimit {
                out.stop = .problemLimit
                break rows
              }
              continue rows
            }
            if atEOF {
              i = bufferEnd
              line = recordLine
              break rows
            }
            out.stop = .longLine
            i = recordStart
            line = recordLine
            break rows
          }
          if incomplete {
            out.stop = .incomplete
            i = recordStart
            line = recordLine
            break rows
          }
          i = next
          line = recordLine + innerLines + (endedWithNewline ? 1 : 0)

          // A blank line holds no data: counted, not a row.
          if fields == 1 && fieldStart[0] == recordStart && fieldEnd[0] == recordStart && structural == nil {
            blankLines += 1
            continue rows
          }
          records += 1

          let rowEnd = next
          func reject(_ error: InputError) -> Bool {
            out.addProblem(
              error, text: keepRejectText ? UnsafeBufferPointer(start: base + recordStart, count: rowEnd - recordStart) : nil)
            return out.problems.count >= problemLimit
          }
          func exact(_ offset: Int) -> SourceLocation { location(base, recordStart, recordLine, at: offset) }
          func loc(_ offset: Int) -> SourceLocation {
            // A quoted field is reported at its opening quote (a field never starts right after a quote otherwise).
            let start = offset > recordStart && base[offset - 1] == 0x22 ? offset - 1 : offset
            return location(base, recordStart, recordLine, at: start)
          }
          func text(_ field: Int) -> String {
            var end = fieldEnd[field]
            // Between whitespace-separated columns, the spaces before the next column are padding, not the value.
            if plan.separatedByWhitespace { while end > fieldStart[field], base[end - 1] == 0x20 { end -= 1 } }
            return String(decoding: UnsafeBufferPointer(start: base + fieldStart[field], count: end - fieldStart[field]), as: UTF8.self)
          }

          if let (offset, kind) = structural {
            let error: InputError =
              switch kind {
              case .nul: .nulByte(exact(offset))
              case .unclosedQuote: .unclosedQuote(exact(offset))
              case .textAfterQuote:
                .textAfterQuote(exact(offset), value: tail(base, from: offset, to: recordEnd, delimiter: delimiter))
              }
            if reject(error) { out.stop = .problemLimit; break rows }
            continue rows
          }
          if sawHigh, let bad = firstInvalidUTF8(base, from: recordStart, to: recordEnd) {
            if reject(.invalidUTF8(exact(bad), byte: base[bad])) { out.stop = .problemLimit; break rows }
            continue rows
          }
          if fields != fieldCount {
            var row = String(decoding: UnsafeBufferPointer(start: base + recordStart, count: recordEnd - recordStart), as: UTF8.self)
            // A whitespace-separated row was rewritten in place: its tabs are shown as spaces.
            if plan.separatedByWhitespace { row = String(row.map { $0 == "\t" ? " " : $0 }) }
            let error = InputError.wrongFieldCount(
              loc(recordStart), row: row, found: fields, expected: plan.fieldCount,
              delimiter: delimiter == 0x09 ? "(\(plan.delimiterName))" : plan.delimiterName)
            if reject(error) { out.stop = .problemLimit; break rows }
            continue rows
          }

          // Customer id: the text, quotes removed, spaces around it trimmed (below).
          let c = customerField
          var keyPointer = base + fieldStart[c]
          var keyLength = fieldEnd[c] - fieldStart[c]
          var keyLocation = UInt32(truncatingIfNeeded: fieldStart[c])
          if fieldEscaped[c] {
            let offset = out.unescape(base + fieldStart[c], keyLength)
            keyLength = out.scratch.count - offset
            keyLocation = UInt32(offset) | PartResult.scratchFlag
            keyPointer = UnsafePointer(out.scratchPointer(offset))
          }
          // Spaces around an id are not part of it, as around amounts and dates: 'abc ' is 'abc'.
          while keyLength > 0, keyPointer[keyLength - 1] == 0x20 || keyPointer[keyLength - 1] == 0x09 { keyLength -= 1 }
          var lead = 0
          while lead < keyLength, keyPointer[lead] == 0x20 || keyPointer[lead] == 0x09 { lead += 1 }
          if lead > 0 {
            keyPointer += lead
            keyLength -= lead
            keyLocation &+= UInt32(lead)
          }
          if keyLength == 0 {
            if reject(.emptyCustomerID(loc(fieldStart[c]))) { out.stop = .problemLimit; break rows }
            continue rows
          }
          if keyLength > maxIDBytes {
            let error = InputError.customerIDTooLong(
              loc(fieldStart[c]), value: text(c), bytes: keyLength, limit: options.maxCustomerIDBytes)
            if reject(error) { out.stop = .problemLimit; break rows }
            continue rows
          }

          // Date.
          let d = dateField
          var ds = fieldStart[d]
          var de = fieldEnd[d]
          while ds < de, base[ds] == 0x20 { ds += 1 }
          while de > ds, base[de - 1] == 0x20 { de -= 1 }
          let day = isoDates ? FieldParsing.isoDay(base + ds, de - ds) : FieldParsing.patternDay(base + ds, de - ds, dateTokens)
          if day < earliest || day > latest {
            let value = text(d)
            let error: InputError =
              if day == FieldParsing.invalidDay {
                .invalidDate(
                  loc(fieldStart[d]), value: value, format: options.dateFormat.pattern,
                  suggestion: FieldParsing.suggestedFormat(for: value))
              } else if day == FieldParsing.impossibleDay {
                .impossibleDate(
                  loc(fieldStart[d]), value: value,
                  reason: FieldParsing.impossibleReason(value.trimmingSpaces, format: options.dateFormat))
              } else {
                .dateOutOfRange(loc(fieldStart[d]), value: value, earliest: options.earliestDay, latest: options.latestDay)
              }
            if reject(error) { out.stop = .problemLimit; break rows }
            continue rows
          }

          // Event.
          var event: UInt8 = 0
          if eventField >= 0 {
            let e = eventField
            event = FieldParsing.event(base + fieldStart[e], fieldEnd[e] - fieldStart[e])
            if event == 255 {
              let value = text(e)
              let error = InputError.unknownEvent(
                loc(fieldStart[e]), value: value, suggestion: FieldParsing.suggestedEvent(for: value))
              if reject(error) { out.stop = .problemLimit; break rows }
              continue rows
            }
          }

          // Amount: negative purchases are refunds; refunds are stored negative; leads carry 0.
          let a = amountField
          let amountPointer = base + fieldStart[a]
          let amountLength = fieldEnd[a] - fieldStart[a]
          var amount: Double
          if let value = FieldParsing.amount(amountPointer, amountLength, decimalComma: decimalComma) {
            guard value.isFinite else {
              if reject(.nonFiniteAmount(loc(fieldStart[a]), value: text(a))) { out.stop = .problemLimit; break rows }
              continue rows
            }
            guard abs(value) <= Limits.amount else {
              if reject(.amountTooLarge(loc(fieldStart[a]), value: text(a), limit: Limits.amount)) { out.stop = .problemLimit; break rows }
              continue rows
            }
            amount = value
          } else if event == 1 && isBlank(amountPointer, amountLength) {
            amount = 0
          } else {
            let error = InputError.invalidAmount(loc(fieldStart[a]), value: text(a), decimalComma: options.decimalComma)
            if reject(error) { out.stop = .problemLimit; break rows }
            continue rows
          }
          // Order lines: the amount column holds a unit price, and the row's amount is quantity x price.
          if quantityField >= 0 && event != 1 {
            let q = quantityField
            guard let quantity = FieldParsing.amount(base + fieldStart[q], fieldEnd[q] - fieldStart[q], decimalComma: decimalComma),
              quantity.isFinite
            else {
              let error = InputError.invalidQuantity(loc(fieldStart[q]), value: text(q), decimalComma: options.decimalComma)
              if reject(error) { out.stop = .problemLimit; break rows }
              continue rows
            }
            amount *= quantity
            guard abs(amount) <= Limits.amount else {
              if reject(.amountTooLarge(loc(fieldStart[q]), value: "\(text(q)) x \(text(a))", limit: Limits.amount)) { out.stop = .problemLimit; break rows }
              continue rows
            }
            // 6 x 2.55 is 15.299999999999999 in binary arithmetic. The product of numbers with d1
            // and d2 decimals has at most d1 + d2, so it is rounded to them: 15.30, the amount a
            // person would have typed (and whole cents, which the table keeps in 4 bytes).
            if let d1 = FieldParsing.fractionDigits(base + fieldStart[q], fieldEnd[q] - fieldStart[q], decimalComma: decimalComma),
              let d2 = FieldParsing.fractionDigits(amountPointer, amountLength, decimalComma: decimalComma), d1 + d2 <= 15
            {
              let scale = powersOfTen[d1 + d2]
              if abs(amount * scale) < 0x1p53 { amount = (amount * scale).rounded() / scale }
            }
          }
          switch event {
          case 0 where amount < 0: event = 2
          case 2 where amount > 0: amount = -amount
          case 1 where amount != 0:
            if reject(.amountOnLead(loc(fieldStart[a]), value: text(a))) { out.stop = .problemLimit; break rows }
            continue rows
          case 1: amount = 0  // also turns -0 into 0
          default: break
          }

          // Accepted.
          let key = CustomerKey(keyPointer, keyLength, readableUntil: keyLocation & PartResult.scratchFlag != 0 ? keyPointer + keyLength : base + bufferEnd)
          keyW0.append(key.w0)
          keyW1.append(key.w1)
          keyTag.append(key.tag)
          keyLocations.append(keyLocation)
          days.append(Int32(truncatingIfNeeded: day))
          amounts.append(amount)
          events.append(event)
          for field in attributeFields {
            var location = UInt64(fieldStart[field])
            var length = fieldEnd[field] - fieldStart[field]
            if fieldEscaped[field] {
              let offset = out.unescape(base + fieldStart[field], length)
              length = out.scratch.count - offset
              location = UInt64(offset) | UInt64(PartResult.scratchFlag)
            }
            attributeValues.append(location << 32 | UInt64(length))
          }
        }
        out.end = i
        out.lines = line
      }
    }
    out.records = records
    out.blankLines = blankLines
    // Key columns only live until interning: they stay raw, never copied.
    // Free the placeholders first: assigning over a RawColumn does not release its buffer
    // (found by the CSV fuzzer's leak check).
    out.keyW0.free()
    out.keyW1.free()
    out.keyTag.free()
    out.keyLocation.free()
    out.keyW0 = keyW0
    out.keyW1 = keyW1
    out.keyTag = keyTag
    out.keyLocation = keyLocations
    out.day = OwnedColumn(days)
    out.amount = OwnedColumn(amounts)
    out.event = OwnedColumn(events)
    out.attributeValues = attributeValues.finish()
    attributeValues.free()
    return out
  }

  /// The file location of byte `offset` of a record that starts at `recordStart` on part-relative line `recordLine`.
  private func location(_ base: UnsafePointer<UInt8>, _ recordStart: Int, _ recordLine: Int, at offset: Int) -> SourceLocation {
    var line = recordLine
    var lineStart = recordStart
    for j in recordStart..<offset where base[j] == 0x0A {
      line += 1
      lineStart = j + 1
    }
    var column = 1
    for j in lineStart..<offset where base[j] & 0xC0 != 0x80 { column += 1 }
    return SourceLocation(file: file, line: line, column: column)
  }

  private func isBlank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    for k in 0..<n where p[k] != 0x20 { return false }
    return true
  }

  private func tail(_ base: UnsafePointer<UInt8>, from: Int, to: Int, delimiter: UInt8) -> String {
    var end = from
    while end < to, base[end] != delimiter { end += 1 }
    return String(decoding: UnsafeBufferPointer(start: base + from, count: end - from), as: UTF8.self)
  }
}

enum StructuralProblem {
  case nul, unclosedQuote, textAfterQuote
}

/// Why a part stopped before its limit.
enum PartStop {
  /// It parsed every record that starts before its limit.
  case done
  /// A record runs past the end of the buffer: read more and parse it again.
  case incomplete
  /// A too-long row runs past the end of the buffer: skip to the next line break.
  case longLine
  /// The problem limit was reached (with `--on-error fail`).
  case problemLimit
}

/// A bad row found by a part: the error (its line relative to the part) and, when kept, the row's text.
struct RowProblem {
  var error: InputError
  var text: [UInt8]?
}

/// What a byte means to the field scanners (`RecordScanner.classTable`). One byte per entry, so
/// a lookup costs what the bare integers it replaces did.
enum ByteClass: UInt8 {
  /// Part of a field: skipped in bulk.
  case ordinary
  /// The field delimiter (outside quotes only).
  case delimiter
  /// `\n`: ends a record (outside quotes), or a line inside a quoted field.
  case lineFeed
  /// A NUL byte: the row is rejected.
  case nul
  /// `"`: opens, closes or (doubled) escapes a quoted field.
  case quote
  /// 0x80-0xFF: part of a multi-byte character; the field's UTF-8 is checked once it is read.
  case nonASCII
}

/// The rows of one part of a block, in columns, and what went wrong.
final class PartResult: @unchecked Sendable {
  /// Marks a key or attribute location as an offset into `scratch` (unescaped text) instead of the block.
  static let scratchFlag: UInt32 = 1 << 31

  var start: Int
  var limit: Int
  var end = 0
  var stop = PartStop.done
  /// Line breaks consumed in `start ..< end`.
  var lines = 0
  /// Data rows seen (accepted or rejected), blank lines excluded.
  var records = 0
  var blankLines = 0

  var keyW0 = RawColumn<UInt64>(capacity: 1)
  var keyW1 = RawColumn<UInt64>(capacity: 1)
  var keyTag = RawColumn<UInt64>(capacity: 1)
  var keyLocation = RawColumn<UInt32>(capacity: 1)
  var day = OwnedColumn<Int32>()
  var amount = OwnedColumn<Double>()
  var event = OwnedColumn<UInt8>()
  /// Per row and kept attribute: location << 32 | length.
  var attributeValues: [UInt64] = []
  /// Unescaped copies of quoted fields that contained `""`.
  var scratch: [UInt8] = []

  var problems: [RowProblem] = []
  var rejectCounts: [RejectReason: Int] = [:]

  init(start: Int, limit: Int) {
    self.start = start
    self.limit = limit
  }

  deinit {
    keyW0.free()
    keyW1.free()
    keyTag.free()
    keyLocation.free()
  }

  var rowCount: Int { day.count }

  func addProblem(_ error: InputError, text: UnsafeBufferPointer<UInt8>?) {
    rejectCounts[error.reason, default: 0] += 1
    problems.append(RowProblem(error: error, text: text.map(Array.init)))
  }

  func trimLastRejectText(to count: Int) {
    if let text = problems[problems.count - 1].text, text.count > count {
      problems[problems.count - 1].text = Array(text[0..<count])
    }
  }

  /// Copies a quoted field's content into `scratch` with `""` turned into `"`; returns its offset.
  func unescape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    let offset = scratch.count
    var k = 0
    while k < n {
      scratch.append(p[k])
      k += p[k] == 0x22 && k + 1 < n && p[k + 1] == 0x22 ? 2 : 1
    }
    // Padding so that 8-byte loads past a short key stay inside the buffer.
    scratch.reserveCapacity(scratch.count + 16)
    return offset
  }

  func scratchPointer(_ offset: Int) -> UnsafeMutablePointer<UInt8> {
    scratch.withUnsafeMutableBufferPointer { $0.baseAddress! + offset }
  }
}

/// The offset of the first byte in `from ..< to` that breaks UTF-8, or nil when all is valid.
func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
  var i = from
  while i < to {
    let b = p[i]
    if b < 0x80 {
      i += 1
      continue
    }
    var need = 0
    var lower: UInt8 = 0x80
    var upper: UInt8 = 0xBF
    switch b {
    case 0xC2...0xDF: need = 1
    case 0xE0:
      need = 2
      lower = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: need = 2
    case 0xED:
      need = 2
      upper = 0x9F
    case 0xF0:
      need = 3
      lower = 0x90
    case 0xF1...0xF3: need = 3
    case 0xF4:
      need = 3
      upper = 0x8F
    default: return i
    }
    guard i + need < to else { return i }
    for k in 1...need {
      let c = p[i + k]
      let (lo, hi) = k == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
      if c < lo || c > hi { return i }
    }
    i += need + 1
  }
  return nil
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    return String(s)
  }
}

/// A `RawColumn` owned by a class, so that parts and blocks can share it and the last
/// owner frees it: the parsed day, amount and event columns go from parser to sort
/// without a copy.
final class OwnedColumn<Element>: @unchecked Sendable {
  private var raw: RawColumn<Element>

  init() { raw = RawColumn(capacity: 1) }
  init(_ raw: RawColumn<Element>) { self.raw = raw }
  deinit { raw.free() }

  var count: Int { raw.count }
  var pointer: UnsafePointer<Element> { raw.pointer }
  subscript(_ index: Int) -> Element { raw.pointer[index] }
}

/// A growable column in manually managed memory, for the parser's inner loop.
///
/// `append` is a bounds test and a store, with none of `Array`'s per-call
/// uniqueness checks. `finish()` moves the values into an `Array` and frees the buffer.
struct RawColumn<Element> {
  private var base: UnsafeMutablePointer<Element>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = max(1, capacity)
    base = .allocate(capacity: self.capacity)
  }

  @inline(__always)
  mutating func append(_ value: Element) {
    if count == capacity { grow() }
    (base + count).initialize(to: value)
    count += 1
  }

  private mutating func grow() {
    let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
    bigger.moveInitialize(from: base, count: count)
    base.deallocate()
    base = bigger
    capacity *= 2
  }

  /// The values, valid until the column is freed or grows.
  var pointer: UnsafePointer<Element> { UnsafePointer(base) }

  /// Releases the memory; the column must not be used afterwards.
  mutating func free() {
    base.deinitialize(count: count)
    base.deallocate()
    count = 0
    capacity = 0
  }

  /// The values as an array; the column must not be used afterwards.
  mutating func finish() -> [Element] {
    let result = [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
      buffer.baseAddress!.moveInitialize(from: base, count: count)
      initialized = count
    }
    // The buffer stays allocated (now empty) so that `free()` remains valid afterwards.
    count = 0
    return result
  }
}

// Fuzz target: the CSV reader and what reads its result (profile). Any bytes: an IngestResult
// or an InputFailure, never a crash. The first byte picks reader options.
import Foundation
import JourneyKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let flags = data[0]
  let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  var options = ReaderOptions()
  options.onError = flags & 1 == 0 ? .fail : .skip
  options.decimalComma = flags & 2 != 0
  options.keepSameDay = flags & 4 != 0
  if flags & 8 != 0, let format = try? DateFormat(pattern: ["%d.%m.%Y", "%m/%d/%y", "%Y%m%d", "%d %b %Y"][Int(flags >> 4) % 4]) { options.dateFormat = format }
  if flags & 128 != 0 { options.attributeColumns = ["channel"] }
  // Order lines: a file whose first line names a quantity column is read as quantity x price.
  if let header = bytes.split(separator: 0x0A, maxSplits: 1).first, String(decoding: header, as: UTF8.self).lowercased().contains("quantity") {
    options.quantityColumn = "quantity"
  }
  do {
    let result = try TransactionReader(options: options).read(bytes: bytes, name: "fuzz.csv")
    _ = DataProfile(result, period: flags & 64 != 0 ? .week : .month).text(maxPeriods: 3)
  } catch {
    _ = error.description
  }
  return 0
}

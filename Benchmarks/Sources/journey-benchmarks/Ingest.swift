import Foundation
import JourneyKit

/// Ingest: read + parse + validate + sort + merge the 10M-row history; checked against the truth.
func benchmarkIngest(_ input: BenchmarkInput, runs: Int) throws {
  var options = ReaderOptions()
  options.latestDay = CalendarDay(year: 2100, month: 1, day: 1)!
  let reader = TransactionReader(options: options)
  var times: [Double] = []
  var cpuTimes: [Double] = []
  var tableBytes = 0
  for run in 1...runs {
    let start = wallSeconds()
    let cpuStart = cpuSeconds()
    let result = try reader.read(path: input.csvPath)
    let seconds = wallSeconds() - start
    let cpu = cpuSeconds() - cpuStart
    times.append(seconds)
    cpuTimes.append(cpu)
    let table = result.table
    precondition(result.summary.rowsRead == input.truthRows, "rows read \(result.summary.rowsRead) != truth \(input.truthRows)")
    precondition(table.customerCount == input.truthCustomers, "customers \(table.customerCount) != truth \(input.truthCustomers)")
    let occasions = table.event.lazy.filter { $0 == .purchase }.count
    precondition(occasions == input.truthOccasions, "purchase occasions \(occasions) != truth \(input.truthOccasions)")
    tableBytes = table.rowCount * (4 + 4 + 8 + 1) + (table.customerCount + 1) * 8
      + table.customerIDs.reduce(0) { $0 + 16 + ($1.utf8.count > 15 ? $1.utf8.count : 0) }
    blackHole += Double(table.rowCount + Int(table.day[table.rowCount / 2]))
    print(String(format: "run %d: %.3f s wall, %.3f s CPU", run, seconds, cpu))
  }
  let medianSeconds = median(times)
  let peak = peakResidentBytes()
  print("ingest \(input.truthRows) rows, \(input.truthCustomers) customers, \(megabytes(input.fileBytes)) file: \(input.csvPath)")
  print(String(format: "  median of %d: %.3f s wall  (%.1f M rows/s), %.3f s CPU", runs, medianSeconds, Double(input.truthRows) / medianSeconds / 1e6, cpuTimes.sorted()[runs / 2]))
  print("  peak RSS (VmHWM): \(megabytes(peak)); columnar table \(megabytes(tableBytes)); ratio \(String(format: "%.2f", Double(peak) / Double(tableBytes)))")
  result("read + parse + sort 10M rows", String(format: "%.2f s", medianSeconds), "<= 1.5 s")
  result("peak memory, ingest", megabytes(peak), "<= 3x table (\(megabytes(tableBytes)))")
  print("  threads: \(options.threads) parse threads; OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset")")
}

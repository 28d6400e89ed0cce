import Foundation
import JourneyKit

#if canImport(Glibc)
  import Glibc
#endif

/// Ingest benchmark: read + parse + validate + sort + merge a generated history.
///
/// Usage:
///   journey-benchmarks [--customers N] [--seed N] [--runs N] [--cache DIR]
///
/// The input is generated once, deterministically, into the cache directory
/// (outside the repository) by a child process, so that the peak memory reported
/// here (VmHWM) is the reader's alone. Each run's result is checked against the
/// generator's truth with `precondition`.

setenv("OPENBLAS_NUM_THREADS", "1", 0)

var customers = 1_530_000  // about 10 million rows with the generator's default parameters
var seed: UInt64 = 1
var runs = 3
var cache = "/tmp/journey-bench-cache"
var arguments = Array(CommandLine.arguments.dropFirst())
var mode = "ingest"
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  switch flag {
  case "--customers": customers = Int(arguments.removeFirst())!
  case "--seed": seed = UInt64(arguments.removeFirst())!
  case "--runs": runs = Int(arguments.removeFirst())!
  case "--cache": cache = arguments.removeFirst()
  case "generate": mode = "generate"
  default:
    FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
    exit(64)
  }
}

var parameters = GeneratorParameters()
parameters.customers = customers
parameters.seed = seed

let csvPath = "\(cache)/history-c\(customers)-s\(seed).csv"
let truthPath = GeneratedFiles.truthPath(forCSV: csvPath)

if mode == "generate" {
  let history = try SyntheticHistoryGenerator.generate(parameters)
  try AtomicFile.write(history.csvBytes(), to: csvPath)
  try AtomicFile.write(try JSONOutput.encode(history.truth), to: truthPath)
  exit(0)
}

if _isDebugAssertConfiguration() {
  print("warning: this is a debug build; numbers are meaningless. Use swift run -c release.")
}

if !FileManager.default.fileExists(atPath: truthPath) {
  print("generating \(csvPath) (once) ...")
  let child = Process()
  child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
  if !FileManager.default.fileExists(atPath: child.executableURL!.path) {
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
  }
  child.arguments = ["generate", "--customers", String(customers), "--seed", String(seed), "--cache", cache]
  try child.run()
  child.waitUntilExit()
  precondition(child.terminationStatus == 0, "generation failed")
}

let truthData = try Data(contentsOf: URL(fileURLWithPath: truthPath))
let truthJSON = try JSONSerialization.jsonObject(with: truthData) as! [String: Any]
let counts = truthJSON["counts"] as! [String: Any]
let truthRows = counts["rows"] as! Int
let truthCustomers = counts["customers"] as! Int
let truthOccasions = counts["purchase_occasions"] as! Int
let fileBytes = (try FileManager.default.attributesOfItem(atPath: csvPath)[.size] as! NSNumber).intValue

/// User plus system CPU time of this process so far.
func cpuSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func wallSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Peak resident set size of this process so far, in bytes (VmHWM).
func peakResidentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kilobytes * 1024
  }
  return 0
}

var options = ReaderOptions()
options.latestDay = CalendarDay(year: 2100, month: 1, day: 1)!
let reader = TransactionReader(options: options)
var times: [Double] = []
var cpuTimes: [Double] = []
var tableBytes = 0
var blackHole = 0
for run in 1...runs {
  let start = wallSeconds()
  let cpuStart = cpuSeconds()
  let result = try reader.read(path: csvPath)
  let seconds = wallSeconds() - start
  let cpu = cpuSeconds() - cpuStart
  times.append(seconds)
  cpuTimes.append(cpu)
  let table = result.table
  precondition(result.summary.rowsRead == truthRows, "rows read \(result.summary.rowsRead) != truth \(truthRows)")
  precondition(table.customerCount == truthCustomers, "customers \(table.customerCount) != truth \(truthCustomers)")
  let occasions = table.event.lazy.filter { $0 == .purchase }.count
  precondition(occasions == truthOccasions, "purchase occasions \(occasions) != truth \(truthOccasions)")
  tableBytes = table.rowCount * (4 + 4 + 8 + 1) + (table.customerCount + 1) * 8
    + table.customerIDs.reduce(0) { $0 + 16 + ($1.utf8.count > 15 ? $1.utf8.count : 0) }
  blackHole &+= table.rowCount &+ Int(table.day[table.rowCount / 2])
  print(String(format: "run %d: %.3f s wall, %.3f s CPU", run, seconds, cpu))
}
let median = times.sorted()[times.count / 2]
let peak = peakResidentBytes()
let mb = { (b: Int) in String(format: "%.0f MB", Double(b) / 1e6) }
print("ingest \(truthRows) rows, \(truthCustomers) customers, \(mb(fileBytes)) file: \(csvPath)")
print(String(format: "  median of %d: %.3f s wall  (%.1f M rows/s), %.3f s CPU", runs, median, Double(truthRows) / median / 1e6, cpuTimes.sorted()[runs / 2]))
print("  peak RSS (VmHWM): \(mb(peak)); columnar table \(mb(tableBytes)); ratio \(String(format: "%.2f", Double(peak) / Double(tableBytes)))")
print("  threads: \(options.threads) parse threads; OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset")")
if blackHole == 42 { print("") }

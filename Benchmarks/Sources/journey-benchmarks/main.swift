import Foundation
import JourneyKit

#if canImport(Glibc)
  import Glibc
#endif

/// Journey's benchmarks: release builds, deterministic inputs, results checked.
///
/// Usage:
///   journey-benchmarks [all|ingest|fit|propagate|forecast|compare|score|backtest|backtest-auto|workspace] [--customers N] [--seed N] [--runs N] [--cache DIR]
///
/// The input history is generated once, deterministically, into the cache directory (outside
/// the repository) by a child process. `all` (the default) runs each benchmark in a child
/// process of its own, so each one's peak memory (VmHWM) is its own.

// One BLAS thread unless told otherwise: OpenBLAS read the environment when it loaded, so set
// it for children and apply it to ourselves too.
setenv("OPENBLAS_NUM_THREADS", "1", 0)
BLASThreads.set(Int(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "1") ?? 1)

var customers = 1_530_000  // about 10 million rows with the generator's default parameters
var seed: UInt64 = 1
var runs = 3
var cache = "/tmp/journey-bench-cache"
var arguments = Array(CommandLine.arguments.dropFirst())
var mode = "all"
let benchmarks = ["ingest", "fit", "propagate", "forecast", "compare", "score", "backtest", "backtest-auto", "workspace"]
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  switch flag {
  case "--customers": customers = Int(arguments.removeFirst())!
  case "--seed": seed = UInt64(arguments.removeFirst())!
  case "--runs": runs = Int(arguments.removeFirst())!
  case "--cache": cache = arguments.removeFirst()
  case "generate", "all": mode = flag
  case let name where benchmarks.contains(name): mode = name
  default:
    FileHandle.standardError.write(Data("unknown argument \(flag); expected one of all, \(benchmarks.joined(separator: ", ")) and --customers, --seed, --runs, --cache\n".utf8))
    exit(64)
  }
}

/// The executable itself, to start children.
let executable: URL = {
  let url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
  return FileManager.default.fileExists(atPath: url.path) ? url : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
}()

/// Runs a benchmark in a child process, echoes its lines and returns its RESULT lines.
@MainActor
@discardableResult
func runChild(_ arguments: [String]) throws -> [[String]] {
  fflush(nil)  // flush every stream: our own lines first, then the child's
  let child = Process()
  child.executableURL = executable
  child.arguments = arguments + ["--customers", String(customers), "--seed", String(seed), "--runs", String(runs), "--cache", cache]
  let pipe = Pipe()
  child.standardOutput = pipe
  try child.run()
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  child.waitUntilExit()
  precondition(child.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed")
  var results: [[String]] = []
  for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
    if line.hasPrefix("RESULT|") {
      results.append(line.split(separator: "|").dropFirst().map(String.init))
    } else {
      print(line)
    }
  }
  return results
}

let input = BenchmarkInput(customers: customers, seed: seed, cache: cache)

if mode == "generate" {
  try input.generate()
  exit(0)
}

if _isDebugAssertConfiguration() {
  print("warning: this is a debug build; numbers are meaningless. Use swift run -c release.")
}
if !FileManager.default.fileExists(atPath: input.truthPath) {
  print("generating \(input.csvPath) (once) ...")
  try runChild(["generate"])
}

switch mode {
case "all":
  print("OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"), \(ProcessInfo.processInfo.activeProcessorCount) cores")
  var table: [[String]] = []
  for name in benchmarks {
    print("")
    print("== \(name)")
    table += try runChild([name])
  }
  print("")
  print("Summary (medians of \(runs) runs):")
  let widths = (0..<3).map { c in ([["work", "measured", "target"]] + table).map { $0.count > c ? $0[c].count : 0 }.max() ?? 0 }
  for row in [["work", "measured", "target"]] + table {
    print("  " + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
  }
case "ingest": try benchmarkIngest(try input.load(), runs: runs)
case "fit": try benchmarkFit(try input.load(), runs: runs)
case "propagate": benchmarkPropagation(runs: runs)
case "forecast": try benchmarkForecast(try input.load(), runs: runs)
case "compare": try benchmarkCompare(try input.load(), runs: runs)
case "score": try benchmarkScore(try input.load(), runs: runs)
case "backtest": try benchmarkBacktest(try input.load(), runs: runs, automatic: false)
case "backtest-auto": try benchmarkBacktest(try input.load(), runs: runs, automatic: true)
case "workspace": try benchmarkWorkspace(try input.load(), runs: runs)
default: break
}
if blackHole == 42 { print("") }

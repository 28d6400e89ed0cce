import Foundation
import JourneyKit

#if canImport(Glibc)
  import Glibc
#endif

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


/// Median of wall times.
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }

/// Runs `body` `runs` times, returns the wall times.
func measure(runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
  var times: [Double] = []
  for _ in 0..<runs {
    let start = wallSeconds()
    try body()
    times.append(wallSeconds() - start)
  }
  return times
}

/// Keeps results alive so the optimizer cannot drop the work that made them.
nonisolated(unsafe) var blackHole = 0.0

/// One line of the summary table `all` prints: the work, the figure, the target.
func result(_ work: String, _ measured: String, _ target: String) {
  print("RESULT|\(work)|\(measured)|\(target)")
}

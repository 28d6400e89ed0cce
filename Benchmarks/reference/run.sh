#!/usr/bin/env bash
# journey against the hand-written C reference reader (issue 16), on the same file, in one run.
#   Benchmarks/reference/run.sh [RUNS]         default 6 alternating runs of each command
# The file is the benchmark history (about 10M rows), generated once into the cache as the Swift
# harness does. Prints each run's wall time, CPU and peak memory, then the medians and the ratios
# journey / C. Release build; the input sits in the page cache after the first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-6}
cache=${CACHE:-/tmp/journey-bench-cache}
mkdir -p "$cache"
swift build -c release --product journey >/dev/null 2>&1
J=$(swift build -c release --show-bin-path)/journey
file=$cache/history-c1530000-s1.csv
[ -f "$file" ] || "$J" generate --customers 1530000 --seed 1 -o "$file" >/dev/null
reader=$cache/reference-reader
cc -O2 -o "$reader" Benchmarks/reference/reader.c
log=$(mktemp)
trap 'rm -f "$log" "$cache"/reference-fit.json' EXIT
measure() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "$label %e %U %S %M" -a -o "$log" "$@" >/dev/null 2>&1
}
cat "$file" >/dev/null  # into the page cache
echo "file: $file ($(stat -c %s "$file") bytes), $runs alternating runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
  measure "C-reader" "$reader" "$file"
  measure "journey-inspect" "$J" inspect "$file"
  measure "journey-fit" "$J" fit "$file" --states lifecycle -o "$cache/reference-fit.json"
done
python3 - "$log" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, wall, user, sys_, kb = line.split()
    runs.setdefault(label, []).append((float(wall), float(user), float(sys_), int(kb)))
med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in runs.items()}
print(f"{'command':18s} {'wall (runs)':>40s} {'median':>8s} {'user':>6s} {'sys':>6s} {'peak MB':>8s}")
for k, v in runs.items():
    m = med[k]
    print(f"{k:18s} {' '.join(f'{x[0]:.2f}' for x in v):>40s} {m[0]:8.2f} {m[1]:6.2f} {m[2]:6.2f} {m[3] / 1024:8.0f}")
c = med["C-reader"]
for k in ("journey-inspect", "journey-fit"):
    print(f"{k} / C reader: wall {med[k][0] / c[0]:.2f}x, peak memory {med[k][3] / c[3]:.2f}x")
PY
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 30), starting from the committed seed corpus
# (Fuzz/Corpus/<target>) plus what earlier runs found (Fuzz/.build/corpus/<target>).
#   Fuzz/run.sh 30                 every target, 30 s each (what CI runs)
#   Fuzz/run.sh 1800 csv model     longer runs of some targets
# A crash stops with exit 1 and leaves the input in Fuzz/.build/crashes/<target>/.
# Builds the targets first when they are missing (Fuzz/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv scenario states targets model)
for t in "${targets[@]}"; do
  [ -x "Fuzz/.build/fuzz-$t" ] || Fuzz/build.sh
done
export OPENBLAS_NUM_THREADS=1
status=0
for t in "${targets[@]}"; do
  corpus="Fuzz/.build/corpus/$t"
  crashes="Fuzz/.build/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  started=$(date +%s)
  if "Fuzz/.build/fuzz-$t" "$corpus" "Fuzz/Corpus/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
    -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 >"Fuzz/.build/$t.log" 2>&1; then
    echo "fuzz-$t: $(($(date +%s) - started)) s, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "Fuzz/.build/$t.log" | grep -o '[0-9]*$') runs, no crash"
  else
    echo "fuzz-$t: CRASH after $(($(date +%s) - started)) s; see Fuzz/.build/$t.log and $crashes/" >&2
    grep -m1 -A12 "ERROR\|Fatal error\|deadly signal" "Fuzz/.build/$t.log" >&2 || tail -20 "Fuzz/.build/$t.log" >&2
    status=1
  fi
done
exit $status

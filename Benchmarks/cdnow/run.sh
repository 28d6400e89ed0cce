#!/usr/bin/env bash
# The CDNOW benchmark: the field's standard public data set (23,570 customers who first bought in
# Q1 1997, purchases to 1998-06-30), the standard protocol (calibration to 1997-09-30, holdout to
# 1998-06-30, monthly), and variants of it (other calibration ends, weeks and quarters).
#
# The data ships in the lifetimes 0.11.3 wheel on PyPI; this script downloads the wheel with pip
# into a cache folder (never into the repository), and runs lifetimes' BG/NBD + Gamma-Gamma beside
# journey on the same protocol, in the same run.
#
# usage: Benchmarks/cdnow/run.sh [JOURNEY_BINARY]      (default: a release build of this checkout)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh" "$@"
lifetimes_venv
if [ ! -f "$cache/cdnow.csv" ]; then
  "$cache/venv/bin/pip" download -q --no-deps lifetimes==0.11.3 -d "$cache/wheel" >&2
  (cd "$cache/wheel" && python3 -m zipfile -e Lifetimes-0.11.3-py3-none-any.whl . )
  # customer id, date YYYYMMDD, CDs, dollars -> customer_id,date,amount
  awk 'NR>1 {printf "%s,%s-%s-%s,%s\n", $1, substr($2,1,4), substr($2,5,2), substr($2,7,2), $4}' \
    "$cache/wheel/lifetimes/datasets/CDNOW_master.txt" | sed '1i customer_id,date,amount' > "$cache/cdnow.csv.tmp"
  mv "$cache/cdnow.csv.tmp" "$cache/cdnow.csv"
fi
data="$cache/cdnow.csv"
# The 2,357-customer sample (a 1-in-10 draw of the same cohort, the data of the BG/NBD paper):
# customer id, old id, date YYYYMMDD, CDs, dollars -> customer_id,date,amount.
if [ ! -f "$cache/cdnow_sample.csv" ]; then
  awk '{printf "%s,%s-%s-%s,%s\n", $1, substr($3,1,4), substr($3,5,2), substr($3,7,2), $5}' \
    "$cache/wheel/lifetimes/datasets/CDNOW_sample.txt" | sed '1i customer_id,date,amount' > "$cache/cdnow_sample.csv.tmp"
  mv "$cache/cdnow_sample.csv.tmp" "$cache/cdnow_sample.csv"
fi
summarise() {  # label, JSON file
  python3 - "$1" "$2" <<'PY'
import json, sys
label, path = sys.argv[1:3]
b = json.load(open(path))
a = {x["kpi"]: x for x in b["holdout"]["accuracy"]}
pc = b["holdout"]["per_customer"]
rows = b["holdout"]["periods"]
inside = [r for r in rows if r.get("predicted_low")]
cover = sum(1 for r in inside for k in ("transactions", "revenue")
            if r["predicted_low"][k] <= r["actual"][k] <= r["predicted_high"][k])
print(f"| {label} | {100*a['transactions']['total_error']:+.1f}% | {100*a['revenue']['total_error']:+.1f}% "
      f"| {pc['rmse']:.3f} | {pc['correlation']:.3f} | {cover}/{2*len(inside)} |")
PY
}
bgnbd() {  # calibration end, holdout end[, data file]
  "$python" "$here/bgnbd.py" "${3:-$data}" "$1" "$2" 2>/dev/null | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
t = d["predicted_transactions"] / d["actual_transactions"] - 1
r = d["predicted_revenue"] / d["actual_revenue"] - 1
rmse, correlation = d["rmse"], d["correlation"]
print(f"| BG/NBD + Gamma-Gamma (lifetimes) | {100*t:+.1f}% | {100*r:+.1f}% | {rmse:.3f} | {correlation:.3f} | - |")'
}
json="$work/backtest.json"
for protocol in "1997-09-30 month" "1997-06-30 month" "1997-12-31 month" "1998-03-31 month" "1997-09-30 week" "1997-09-30 quarter" \
                "1997-12-31 week" "1997-12-31 quarter"; do
  set -- $protocol
  echo
  echo "### calibration to $1, holdout to 1998-06-30, ${2}ly"
  echo
  echo "| model | transactions | revenue | per-customer RMSE | correlation | 90% band holds (periods x KPIs) |"
  echo "|---|---|---|---|---|---|"
  "$journey" backtest "$data" --calibration-end "$1" --period "$2" --per-customer --json "$json" >/dev/null
  summarise "journey backtest (default)" "$json"
  for states in auto lifecycle rf rfm:3; do
    "$journey" backtest "$data" --calibration-end "$1" --period "$2" --per-customer --no-own-history --states "$states" --json "$json" >/dev/null
    summarise "chain alone: --no-own-history --states $states" "$json"
  done
  bgnbd "$1" 1998-06-30
done

# Other calibration ends, 6-month holdouts (or to the end of the data), on the whole cohort and
# on the 2,357-customer sample: the default against BG/NBD, nothing chosen on them.
for file in "$data" "$cache/cdnow_sample.csv"; do
  echo
  echo "### other calibration ends, monthly: $(basename "$file")"
  echo
  echo "| calibration end, holdout months | model | transactions | revenue | per-customer RMSE | correlation | 90% band holds |"
  echo "|---|---|---|---|---|---|---|"
  for protocol in "1997-04-30 6 1997-10-31" "1997-05-31 6 1997-11-30" "1997-06-30 12 1998-06-30" "1997-07-31 6 1998-01-31" \
                  "1997-08-31 6 1998-02-28" "1997-09-30 9 1998-06-30" "1997-10-31 6 1998-04-30" "1997-11-30 6 1998-05-31" \
                  "1997-12-31 6 1998-06-30" "1998-01-31 5 1998-06-30" "1998-02-28 4 1998-06-30" "1998-03-31 3 1998-06-30"; do
    set -- $protocol
    "$journey" backtest "$file" --calibration-end "$1" --holdout-periods "$2" --per-customer --json "$json" >/dev/null
    summarise "$1, $2 | journey (default)" "$json"
    bgnbd "$1" "$3" "$file" | sed "s/^| BG/| $1, $2 | BG/"
  done
done

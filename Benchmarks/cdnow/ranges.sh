#!/usr/bin/env bash
# The 90% ranges of `journey backtest` on CDNOW, every KPI, from many calibration ends: how many of
# the actual period values (transactions, revenue, active and churned customers) fall inside the
# P5-P95 range, by file (the whole cohort and the 2,357-customer sample) and period length.
# Each backtest predicts to the end of the data (1998-06-30): by month from 14 ends (1997-02-28 to
# 1998-03-31), by week from 12, by quarter from 4. Nothing was chosen on these runs; run.sh's
# tables hold the per-customer figures and BG/NBD. The last column is the ranges' mean
# half-width as a share of the forecast (transactions): how wide they are beside how often they hold.
#
# usage: Benchmarks/cdnow/ranges.sh [JOURNEY_BINARY]      (run.sh first: it fetches the data; about 40 s)
set -euo pipefail
source "$(dirname "$0")/../lib.sh" "$@"
cache="${JOURNEY_CDNOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-cdnow}"
for file in cdnow cdnow_sample; do
  [ -f "$cache/$file.csv" ] || { echo "no $cache/$file.csv: run Benchmarks/cdnow/run.sh first, it fetches the data" >&2; exit 1; }
done
months="1997-02-28 1997-03-31 1997-04-30 1997-05-31 1997-06-30 1997-07-31 1997-08-31 1997-09-30 1997-10-31 1997-11-30
        1997-12-31 1998-01-31 1998-02-28 1998-03-31"
weeks="1997-03-31 1997-04-27 1997-05-25 1997-06-29 1997-07-27 1997-08-31 1997-10-26 1997-11-30 1997-12-28 1998-01-25
       1998-02-22 1998-03-29"
quarters="1997-06-30 1997-09-30 1997-12-31 1998-03-31"
for file in cdnow cdnow_sample; do
  for period in month week quarter; do
    case $period in month) ends=$months ;; week) ends=$weeks ;; quarter) ends=$quarters ;; esac
    for end in $ends; do
      "$journey" backtest "$cache/$file.csv" --calibration-end "$end" --period "$period" \
        --json "$work/$file-$period-$end.json" >/dev/null
    done
  done
done
python3 - "$work" <<'PY'
import glob, json, os, sys
kpis = ("transactions", "revenue", "active", "churned")
print("| file | period | ends | values | " + " | ".join(kpis) + " | all | mean abs. transactions error | transactions range half-width |")
print("|---|---|---|---|" + "---|" * (len(kpis) + 3))
for file in ("cdnow", "cdnow_sample"):
    for period in ("month", "week", "quarter"):
        paths = sorted(glob.glob(os.path.join(sys.argv[1], f"{file}-{period}-*.json")))
        inside = dict.fromkeys(kpis, 0)
        values, errors, widths = 0, [], 0.0
        for path in paths:
            holdout = json.load(open(path))["holdout"]
            values += holdout["inside_range"]["periods"]
            widths += holdout["inside_range"]["half_width"]["transactions"] * holdout["inside_range"]["periods"]
            for k in kpis:
                inside[k] += holdout["inside_range"][k]
            errors += [abs(a["total_error"]) for a in holdout["accuracy"] if a["kpi"] == "transactions"]
        cells = " | ".join(f"{inside[k]} ({100 * inside[k] / values:.1f}%)" for k in kpis)
        everything = sum(inside.values())
        print(f"| {file} | {period} | {len(paths)} | {values} | {cells} | {100 * everything / (len(kpis) * values):.1f}% "
              f"| {100 * sum(errors) / len(errors):.1f}% | {100 * widths / values:.1f}% |")
PY

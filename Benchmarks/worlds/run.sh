#!/usr/bin/env bash
# Worlds where the field's models are the truth: transactions drawn from BG/NBD and from
# Pareto/NBD with CDNOW's published parameters (`draw.py`), 10,000 customers over 18 months,
# 12 fitted and 6 held out by month. Closed cohorts (first purchases in the first 12 weeks, as
# CDNOW's) are forecast by journey and by lifetimes' BG/NBD and Pareto/NBD, each with
# Gamma-Gamma, on the same protocol; open bases (first purchases over all 18 months) by journey
# alone, since lifetimes forecasts no entrants. Nothing in journey was chosen on these worlds.
#
# Needs the lifetimes venv that Benchmarks/cdnow/run.sh uses too (`lifetimes_venv` in lib.sh, made
# if missing; nothing is committed).
# usage: Benchmarks/worlds/run.sh [JOURNEY_BINARY] [SEEDS]   (default: a release build; seeds 1-6)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seeds="${2:-1 2 3 4 5 6}"
source "$here/../lib.sh" "$@"
lifetimes_venv

journey_row() {  # data file: transactions, revenue, RMSE, correlation, band
  "$journey" backtest "$1" --calibration-end 2020-12-31 --holdout-periods 6 --per-customer --json "$work/b.json" >/dev/null
  python3 - "$work/b.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
a = {x["kpi"]: x for x in b["holdout"]["accuracy"]}
pc = b["holdout"]["per_customer"]
rows = [r for r in b["holdout"]["periods"] if r.get("predicted_low")]
cover = sum(1 for r in rows for k in ("transactions", "revenue")
            if r["predicted_low"][k] <= r["actual"][k] <= r["predicted_high"][k])
print(f"{100*a['transactions']['total_error']:+.1f}% | {100*a['revenue']['total_error']:+.1f}% | {pc['rmse']:.3f} | {pc['correlation']:.3f} | {cover}/{2*len(rows)}", end="")
PY
}
lifetimes_row() {  # data file, bgnbd|pareto
  "$python" "$here/../cdnow/bgnbd.py" "$1" 2020-12-31 2021-06-30 --model "$2" 2>/dev/null > "$work/l.json"
  python3 - "$work/l.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["predicted_transactions"] / d["actual_transactions"] - 1
r = d["predicted_revenue"] / d["actual_revenue"] - 1
print(f"{100*t:+.1f}% | {100*r:+.1f}% | {d['rmse']:.3f} | {d['correlation']:.3f}", end="")
PY
}

for world in bgnbd pareto; do
  echo
  echo "### drawn from $world, closed cohort (first purchases in 12 weeks)"
  echo
  echo "| seed | journey: transactions | revenue | RMSE | correlation | 90% band | BG/NBD: transactions | revenue | RMSE | correlation | Pareto/NBD: transactions | revenue | RMSE | correlation |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for seed in $seeds; do
    "$python" "$here/draw.py" "$world" "$seed" 10000 18 84 "$work/d.csv"
    echo "| $seed | $(journey_row "$work/d.csv") | $(lifetimes_row "$work/d.csv" bgnbd) | $(lifetimes_row "$work/d.csv" pareto) |"
  done
  echo
  echo "### drawn from $world, open base (first purchases over 18 months)"
  echo
  echo "| seed | journey: transactions | revenue | RMSE | correlation | 90% band |"
  echo "|---|---|---|---|---|---|"
  for seed in $seeds; do
    "$python" "$here/draw.py" "$world" "$seed" 10000 18 540 "$work/d.csv"
    echo "| $seed | $(journey_row "$work/d.csv") |"
  done
done

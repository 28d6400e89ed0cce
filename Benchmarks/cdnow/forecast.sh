#!/usr/bin/env bash
# `journey fit` then `journey forecast`, the path a planner takes, on CDNOW from the 12 monthly
# calibration ends of run.sh's sweep: total purchase occasions and revenue over the holdout against
# the actual, with the bought customers' own histories (the default) and with the chain alone
# (--no-own-history), and how many monthly values (purchases, revenue) fall inside the forecast's
# P5-P95 range; and how many monthly churn events (the lifecycle's, as the backtest counts them)
# fall inside the default forecast's churned range. Acquisition is `none` in both: nobody entered
# after March 1997, and the backtest replays the acquisitions that happened.
#
# usage: Benchmarks/cdnow/forecast.sh [JOURNEY_BINARY]      (run.sh first: it fetches the data)
set -euo pipefail
source "$(dirname "$0")/../lib.sh" "$@"
data="${JOURNEY_CDNOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-cdnow}/cdnow.csv"
[ -f "$data" ] || { echo "no $data: run Benchmarks/cdnow/run.sh first, it fetches the data" >&2; exit 1; }
echo "| calibration end | holdout (months) | actual purchases / revenue | own histories (default) | in range | chain alone | in range | churned in the default's range |"
echo "|---|---|---|---|---|---|---|---|"
for protocol in "1997-04-30 6" "1997-05-31 6" "1997-06-30 12" "1997-07-31 6" "1997-08-31 6" "1997-09-30 9" \
                "1997-10-31 6" "1997-11-30 6" "1997-12-31 6" "1998-01-31 5" "1998-02-28 4" "1998-03-31 3"; do
  set -- $protocol
  "$journey" fit "$data" --as-of "$1" -o "$work/model.json" >/dev/null 2>&1
  "$journey" forecast --model "$work/model.json" --horizon "$2" --acquisition none --csv "$work/own.csv" >/dev/null
  "$journey" forecast --model "$work/model.json" --horizon "$2" --acquisition none --no-own-history --csv "$work/chain.csv" >/dev/null
  # The churn events that followed, as the backtest counts them (by the churn rule every built-in
  # state space shares: the same counts whichever one it and `fit` choose).
  "$journey" backtest "$data" --calibration-end "$1" --holdout-periods "$2" --replicates 0 --json "$work/backtest.json" >/dev/null
  python3 - "$data" "$1" "$2" "$work/own.csv" "$work/chain.csv" "$work/backtest.json" <<'PY'
import csv, json, sys, datetime
data, end, months, own, chain = sys.argv[1], datetime.date.fromisoformat(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
churn = {p["label"]: p["actual"]["churned"] for p in json.load(open(sys.argv[6]))["holdout"]["periods"]}
y, m = end.year, end.month + months
y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
stop = datetime.date(y + (m == 12), m % 12 + 1, 1)   # the day after the holdout
occasions, revenue = set(), 0.0
monthly = {}   # "YYYY-MM" -> [occasions, revenue]
for r in csv.DictReader(open(data)):
    d = datetime.date.fromisoformat(r["date"])
    if end < d < stop:
        month = monthly.setdefault(d.strftime("%Y-%m"), [set(), 0.0])
        month[0].add((r["customer_id"], d))   # same-day purchases are one occasion, as journey merges them
        month[1] += float(r["amount"])
        occasions.add((r["customer_id"], d))
        revenue += float(r["amount"])
def totals(path):
    t = {"purchases": 0.0, "revenue": 0.0}
    inside = 0
    for r in csv.DictReader(open(path)):
        if r["kpi"] not in t: continue
        t[r["kpi"]] += float(r["expected"])
        month = monthly.get(r["period"], [set(), 0.0])
        actual = len(month[0]) if r["kpi"] == "purchases" else month[1]
        inside += float(r["p5"]) <= actual <= float(r["p95"])
    return f"{100 * (t['purchases'] / len(occasions) - 1):+.1f}% / {100 * (t['revenue'] / revenue - 1):+.1f}% | {inside}/{2 * months}"
churned = sum(float(r["p5"]) <= churn[r["period"]] <= float(r["p95"]) for r in csv.DictReader(open(own)) if r["kpi"] == "churned")
print(f"| {end} | {months} | {len(occasions):,} / {revenue:,.0f} | {totals(own)} | {totals(chain)} | {churned}/{months} |")
PY
done

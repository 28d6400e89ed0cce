#!/usr/bin/env bash
# How often backtest's 90% ranges hold the actual values on generated data: for each seed, a
# generated base of 20,000 customers (36 months to 2025-12-31), a backtest calibrated to
# 2025-06-30 (6 monthly holdout periods), and the count of period values (transactions, revenue;
# then active and churned customers) inside the P5-P95 range. A well-made 90% range holds about
# 90% of them.
#
# usage: Benchmarks/bands/run.sh [JOURNEY_BINARY]     seeds: SEEDS="11 12 ..." (default 11-19)
set -euo pipefail
source "$(dirname "$0")/../lib.sh" "$@"
echo "| seed | transactions | revenue | inside the 90% range | active, churned inside | per month: error / range half-width (as % of the forecast) |"
echo "|---|---|---|---|---|---|"
for seed in ${SEEDS:-11 12 13 14 15 16 17 18 19}; do
  "$journey" generate --customers 20000 --seed "$seed" -o "$work/data.csv" >/dev/null 2>&1
  "$journey" backtest "$work/data.csv" --calibration-end 2025-06-30 --json "$work/backtest.json" >/dev/null
  python3 - "$seed" "$work/backtest.json" <<'PY'
import json, sys
seed, path = sys.argv[1:3]
b = json.load(open(path))
a = {x["kpi"]: x for x in b["holdout"]["accuracy"]}
rows = [r for r in b["holdout"]["periods"] if r.get("predicted_low")]
inside = sum(1 for r in rows for k in ("transactions", "revenue")
             if r["predicted_low"][k] <= r["actual"][k] <= r["predicted_high"][k])
months = " ".join(
    f"{100 * (r['predicted']['transactions'] / r['actual']['transactions'] - 1):+.1f} / "
    f"{100 * (r['predicted_high']['transactions'] - r['predicted_low']['transactions']) / 2 / r['predicted']['transactions']:.1f}"
    for r in rows)
kpis = b["holdout"]["inside_range"]
print(f"| {seed} | {100 * a['transactions']['total_error']:+.1f}% | {100 * a['revenue']['total_error']:+.1f}% | {inside}/{2 * len(rows)} "
      f"| {kpis['active']}/{kpis['periods']}, {kpis['churned']}/{kpis['periods']} | {months} |")
PY
done

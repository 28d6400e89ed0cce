#!/usr/bin/env bash
# score's lifetime values against what the customers then spent.
#
# Generated bases whose future is known: 20,000 customers acquired over three years
# (--acquisition-months 36), simulated for 33 years. `journey fit` and `journey score` read the
# first three years (to 2025-12-31); each customer's revenue after that, discounted at the
# model's 10% a year month by month (the first month after the cut counts 1.1^(-1/12)), is what
# its value should have been. Compared over 3 years (--clv-years 3) and 30 years (--clv-years 30;
# the simulation ends there), in total and customer by customer (Pearson correlation), beside
# the chain's answer: each customer at its state's value over the same years (what score writes
# for customers without a purchase).
#
# CDNOW, where 12 months of the future are known: fitted to 1997-06-30, scored with
# --clv-years 1, against the discounted revenue of July 1997 to June 1998 (the data is fetched
# as Benchmarks/cdnow/run.sh does; skipped when it is not there).
#
# usage: Benchmarks/clv/run.sh [JOURNEY_BINARY]      (default: a release build of this checkout)
set -euo pipefail
source "$(dirname "$0")/../lib.sh" "$@"

compare() {  # label, full history, cut day (the last day read), scores file, model, years
  python3 - "$@" <<'PY'
import csv, json, math, sys
label, full, cut, scores, model, years = sys.argv[1:7]
years = int(years)
cy, cm = int(cut[:4]), int(cut[5:7])
realized = {}
for r in csv.DictReader(open(full)):
    if r["date"] <= cut or r.get("event") == "lead":
        continue
    t = (int(r["date"][:4]) - cy) * 12 + int(r["date"][5:7]) - cm
    if t > 12 * years:
        continue
    realized[r["customer_id"]] = realized.get(r["customer_id"], 0) + float(r["amount"]) * 1.1 ** (-t / 12)
m = json.load(open(model))
names = [s["name"] for s in m["state_space"]["states"]]
# The chain's value of each state over the same years: sum_{t=1..T} (P / (1 + d))^t r.
p, d = m["transition_matrix"], m["analysis"]["discount_per_period"]
ahead = [r["revenue_mean"] for r in m["rewards"]]
value = [0.0] * len(ahead)
for _ in range(12 * years):
    ahead = [sum(p[i][j] * ahead[j] for j in range(len(ahead))) / (1 + d) for i in range(len(ahead))]
    value = [v + a for v, a in zip(value, ahead)]
state_value = dict(zip(names, value))
rows = list(csv.DictReader(open(scores)))
own = [float(r["clv"]) for r in rows]
chain = [state_value[r["state"]] for r in rows]
actual = [realized.get(r["customer_id"], 0) for r in rows]
def corr(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))
total = sum(actual)
print(f"| {label} | {years} | {total:,.0f} | {sum(own):,.0f} ({sum(own) / total - 1:+.1%}) | {corr(own, actual):.3f} "
      f"| {sum(chain):,.0f} ({sum(chain) / total - 1:+.1%}) | {corr(chain, actual):.3f} |")
PY
}

echo "| base | years | realized, discounted | score's clv (own) | correlation | state's value (chain) | correlation |"
echo "|---|---|---|---|---|---|---|"
for variant in "default:" "dormancy with returns:--wake-rate 0.004" "ageing:--ageing 0.5" "heterogeneity:--purchase-rate-shape 0.5"; do
  label="${variant%%:*}"
  flags="${variant#*:}"
  # shellcheck disable=SC2086
  "$journey" generate --customers 20000 --months 396 --acquisition-months 36 --seed 901 $flags -o "$work/full.csv" >/dev/null 2>&1
  awk -F, 'NR == 1 || $2 <= "2025-12-31"' "$work/full.csv" > "$work/cut.csv"
  "$journey" fit "$work/cut.csv" -o "$work/model.json" >/dev/null 2>&1
  for years in 3 30; do
    "$journey" score "$work/cut.csv" --model "$work/model.json" --clv-years "$years" -o "$work/scores.csv" >/dev/null 2>&1
    compare "$label" "$work/full.csv" 2025-12-31 "$work/scores.csv" "$work/model.json" "$years"
  done
done

cdnow="${JOURNEY_CDNOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-cdnow}/cdnow.csv"
if [ -f "$cdnow" ]; then
  awk -F, 'NR == 1 || $2 <= "1997-06-30"' "$cdnow" > "$work/cdnow-cut.csv"
  "$journey" fit "$work/cdnow-cut.csv" -o "$work/cdnow-model.json" >/dev/null 2>&1
  "$journey" score "$work/cdnow-cut.csv" --model "$work/cdnow-model.json" --clv-years 1 -o "$work/cdnow-scores.csv" >/dev/null 2>&1
  compare "CDNOW from 1997-06-30" "$cdnow" 1997-06-30 "$work/cdnow-scores.csv" "$work/cdnow-model.json" 1
else
  echo "(CDNOW skipped: run Benchmarks/cdnow/run.sh once to fetch it)"
fi

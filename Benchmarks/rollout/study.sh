#!/usr/bin/env bash
# The acceptance study of issue 18: does `journey evaluate` find a planted rollout effect against a
# control group, cover it with its intervals, and stay quiet when nothing was planted?
#
#   Benchmarks/rollout/study.sh [FIRST_SEED [SEEDS]]     (default: seeds 9101 to 9120)
#
# Per seed: 20,000 customers over 36 months (2023-01 .. 2025-12), launch 2025-01-01 (12 post
# months), 10% random control.
#   planted  dropout hazard -20% on the treated from the launch;
#   null     the same seed with nothing planted (same customers, same control group);
#   alone    nothing planted, evaluated without a control group (before/after and counterfactual);
#   design   `journey design --lever dropout --effect -20%` on the data before the launch, for the planted setting
#            (its power is the whole verdict's, simulated);
#   staggered 4 regions launching 3 months apart from 2024-07-01, dropout hazard $STAGGERED_CHURN
#            (default -40%) and nothing, each region against those not yet launched.
# The planted change of each move is the treated group's after-launch share with the effect minus
# the same without it (the generator gives every customer one random stream, so the two histories
# differ only by the effect): the truth the difference in differences has to cover.
# Runs the release build (swift build -c release --product journey). Takes about 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
first=${1:-9101}
count=${2:-20}
staggered_churn=${STAGGERED_CHURN:--40%}
control=${CONTROL_SHARE:-10%}
# CONTROLLED_ONLY=1 runs only the planted and null arms with a control group (e.g. at another CONTROL_SHARE).
controlled_only=${CONTROLLED_ONLY:-0}
export OPENBLAS_NUM_THREADS=1
bin=.build/release/journey
[ -x "$bin" ] || swift build -c release --product journey
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((seed = first; seed < first + count; seed++)); do
  for arm in planted null; do
    churn=$([ $arm = planted ] && echo -20% || echo 0%)
    "$bin" generate --customers 20000 --months 36 --seed $seed --launch 2025-01-01 --launch-churn=$churn \
      --control "$control" -o "$work/$arm.csv" 2>/dev/null
    "$bin" evaluate "$work/$arm.csv" --states lifecycle --launch 2025-01-01 --control "$work/$arm.control.txt" \
      --seed $seed --json >"$work/$arm-$seed.json" 2>/dev/null
  done
  # The design, as a planner would run it before the launch: on the data up to the launch.
  awk -F, 'NR == 1 || $2 < "2025-01-01"' "$work/null.csv" >"$work/before-$seed.csv"
  "$bin" design --data "$work/before-$seed.csv" --lever dropout --effect -20% --horizon 12 --control "$control" --seed $seed \
    --json >"$work/design-$seed.json" 2>/dev/null
  if [ "$controlled_only" = 1 ]; then echo "seed $seed done" >&2; continue; fi
  "$bin" evaluate "$work/null.csv" --states lifecycle --launch 2025-01-01 --seed $seed --json >"$work/alone-$seed.json" 2>/dev/null
  printf 'region,launch\nR1,2024-07-01\nR2,2024-10-01\nR3,2025-01-01\nR4,2025-04-01\n' >"$work/launches.csv"
  for arm in staggered stagnull; do
    churn=$([ $arm = staggered ] && echo "$staggered_churn" || echo 0%)
    "$bin" generate --customers 20000 --months 36 --seed $seed --launch 2024-07-01 --launch-churn=$churn \
      --regions 4 --stagger-months 3 -o "$work/$arm.csv" 2>/dev/null
    "$bin" evaluate "$work/$arm.csv" --states lifecycle --launches "$work/launches.csv" --seed $seed \
      --json >"$work/$arm-$seed.json" 2>/dev/null
  done
  echo "seed $seed done" >&2
done
python3 - "$work" "$first" "$count" "$staggered_churn" "$control" "$controlled_only" <<'PY'
import json, sys
work, first, count, staggered_churn, control, controlled_only = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6] == "1"
stag_found = stag_null = 0
# The moves the dropout hazard acts on: leaving at_risk and lapsed (a customer who dropped out
# never buys again, so fewer dropouts mean more returns and fewer moves on toward churn).
acts = lambda m: m.startswith("at_risk ->") or m.startswith("lapsed ->")
found = acted = null_flags = alone_flags = active_found = primary_found = primary_null = 0
design_power = []
design_primary = []
rate_cover = {"planted": 0, "null": 0}; rate_values = {"planted": [], "null": []}
covered = pairs = seeds_all_covered = 0
for seed in range(first, first + count):
    p = json.load(open(f"{work}/planted-{seed}.json"))
    n = json.load(open(f"{work}/null-{seed}.json"))
    a = None if controlled_only else json.load(open(f"{work}/alone-{seed}.json"))
    # The verdict: the primary test (the launch base still buying) and every other measure.
    verdict = lambda r: ([r["primary"]["measure"]] if r.get("primary_flagged") else []) + [e["measure"] for e in r["estimates"] if e["flagged"]]
    flagged = verdict(p)
    primary_found += "dormancy_rate" in flagged
    primary_null += bool(n.get("primary_flagged"))
    found += bool(flagged)
    active_found += "active_share" in flagged
    design = json.load(open(f"{work}/design-{seed}.json"))
    design_power.append(design["power"])
    design_primary.append(design.get("primary_power", design["power"]))
    acted += any(acts(m) or m in ("churn_rate", "dormancy_rate") for m in flagged)
    # The rate change the primary test reads: its interval against the planted -20% and against 0.
    for r, truth_rate, key in ((p, -0.2, "planted"), (n, 0.0, "null")):
        rc = (r.get("primary") or {}).get("rate_change")
        if rc: rate_cover[key] += rc["low"] <= truth_rate <= rc["high"]; rate_values[key].append(rc["value"])
    null_flagged = verdict(n)
    null_flags += bool(null_flagged)
    alone = [] if a is None else [l["kpi"] for l in a["lifts"] if l["flagged"]] + [t["from"] for t in a["transitions"] if t["flagged"]]
    alone_flags += bool(alone)
    truth = {e["measure"]: e["treated_after"] for e in n["estimates"]}
    all_in = True
    for e in p["estimates"]:
        if not e["is_move"] or not acts(e["measure"]) or e["measure"] not in truth: continue
        planted = e["treated_after"] - truth[e["measure"]]
        inside = e["effect"]["low"] <= planted <= e["effect"]["high"]
        covered += inside; pairs += 1; all_in &= inside
    seeds_all_covered += all_in
    if not controlled_only:
        sp = verdict(json.load(open(f"{work}/staggered-{seed}.json")))
        sn = verdict(json.load(open(f"{work}/stagnull-{seed}.json")))
        stag_found += bool(sp); stag_null += bool(sn)
        print(f"seed {seed}: staggered flags {sp or '-'}; staggered null flags {sn or '-'}")
    print(f"seed {seed}: planted flags {flagged or '-'}; null flags {null_flagged or '-'}; without control flags {alone or '-'}")
print()
print(f"planted dropout -20%, {control} control: verdict flags something in {found}/{count} seeds; "
      f"flags a measure the dropout acts on in {acted}/{count}")
print(f"interval covers the planted change of a move out of at_risk/lapsed: {covered}/{pairs} move-seeds "
      f"({100*covered/max(1,pairs):.0f}%); all such moves covered in {seeds_all_covered}/{count} seeds")
print(f"active_share flagged in {active_found}/{count}")
print(f"primary test (dormancy_rate) flagged: planted {primary_found}/{count}, nothing planted {primary_null}/{count}")
if design_power:
    print(f"design power of the verdict, asked about dropout -20% on the data before the launch, {control} held out: "
          f"mean {100*sum(design_power)/len(design_power):.0f}% (from {100*min(design_power):.0f}% to {100*max(design_power):.0f}%); "
          f"of the primary test alone: mean {100*sum(design_primary)/len(design_primary):.0f}%")
    print(f"gap, design minus measured: verdict {100*sum(design_power)/len(design_power) - 100*found/count:+.0f} points, "
          f"primary test {100*sum(design_primary)/len(design_primary) - 100*primary_found/count:+.0f} points")
print(f"nothing planted, with control: verdict flags something in {null_flags}/{count} seeds")
for key, truth_rate in (("planted", -0.2), ("null", 0.0)):
    v = rate_values[key]
    if v: print(f"dormancy rate change read by the primary test, {key}: mean {100*sum(v)/len(v):+.1f}% (from {100*min(v):+.1f}% to {100*max(v):+.1f}%); interval covers {100*truth_rate:+.0f}% in {rate_cover[key]}/{len(v)}")
if not controlled_only:
    print(f"nothing planted, without control: a lift or changed move flagged in {alone_flags}/{count} seeds")
    print(f"staggered, dropout {staggered_churn}: verdict flags something in {stag_found}/{count} seeds; nothing planted: {stag_null}/{count}")
PY

#!/usr/bin/env bash
# Any real transaction file beside BG/NBD and Pareto/NBD (lifetimes): `journey backtest` from every
# calibration end given, to the last complete period of the data, and the two models fitted on the
# same calibration, scored on the same customers over the same days. For data other than CDNOW
# (Benchmarks/cdnow/run.sh fetches that one), so that a claim about real data rests on more than
# one data set. Nothing in journey is chosen on these runs.
#
# usage: Benchmarks/realdata/run.sh FILE.csv "END END ..." [PERIOD] [JOURNEY_BINARY]
#   FILE.csv  customer_id,date,amount rows (date YYYY-MM-DD); for data without amounts, give each
#             row an amount of 1 and set NO_SPEND=1, which leaves the Gamma-Gamma out
#   END       calibration ends, YYYY-MM-DD (each the last day of a period)
#   PERIOD    month (default), week or quarter: journey's periods; BG/NBD needs none
#
# Two public data sets it was run on (Benchmarks/README.md, session 41), neither fetched here,
# since neither ships with PyPI or Debian:
#   - BTYDplus's `groceryElog` (CRAN package BTYDplus; 1,525 customers of an online grocer, first
#     purchases in Q1 2006, purchase days to 2007-12-30, no amounts):
#     Rscript -e 'data(groceryElog, package = "BTYDplus"); write.csv(transform(groceryElog, amount = 1), "g.csv", row.names = FALSE)'
#     then rename the header to customer_id,date,amount.
#   - UCI's "Online Retail" (a UK online retailer's invoices, 2010-12-01 to 2011-12-09): one row
#     per invoice, amount = the sum of quantity x unit price, rows without a customer and
#     cancellations ("C" invoices) left out.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$1"; ends="$2"; period="${3:-month}"
shift 2; [ $# -ge 1 ] && shift
source "$here/../lib.sh" "$@"
lifetimes_venv
spend_flag=(); [ -n "${NO_SPEND:-}" ] && spend_flag=(--no-spend)
json="$work/backtest.json"

# One of lifetimes' models (bgnbd or pareto) from calibration end $2 to holdout end $3, as table cells.
reference() {
  "$python" "$here/../cdnow/bgnbd.py" "$data" "$2" "$3" --model "$1" "${spend_flag[@]}" 2>/dev/null | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
error = 100 * (d["predicted_transactions"] / d["actual_transactions"] - 1)
print("%+.1f%% | %.3f | %.3f" % (error, d["rmse"], d["correlation"]))' 2>/dev/null \
    || echo "failed | - | -"
}

echo "| calibration end | periods held out | journey, all customers | journey, customers bought before the end | RMSE | correlation | 90% band holds (transactions) | BG/NBD | RMSE | correlation | Pareto/NBD | journey's model |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for end in $ends; do
  if ! "$journey" backtest "$data" --calibration-end "$end" --period "$period" --per-customer --json "$json" > "$work/out.txt" 2>&1; then
    echo "| $end | journey refused: $(tail -1 "$work/out.txt" | tr '|' '/') |"
    continue
  fi
  # The holdout's last day: the end of journey's last period held out, so that both score the same days.
  read -r holdout_end journey_row < <(python3 - "$json" "$period" "$end" <<'PY'
import calendar, datetime, json, sys
b = json.load(open(sys.argv[1])); period = sys.argv[2]
rows = b["holdout"]["periods"]; start = datetime.date.fromisoformat(rows[-1]["start"])
if period == "week":
    last = start + datetime.timedelta(days=6)
elif period == "quarter":
    m = start.month + 2
    last = datetime.date(start.year, m, calendar.monthrange(start.year, m)[1])
else:
    last = datetime.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
a = {x["kpi"]: x for x in b["holdout"]["accuracy"]}
pc = b["holdout"]["per_customer"]
inside = sum(1 for r in rows if r.get("predicted_low") and r["predicted_low"]["transactions"] <= r["actual"]["transactions"] <= r["predicted_high"]["transactions"])
print(last.isoformat(), f"| {sys.argv[3]} | {len(rows)} | {100 * a['transactions']['total_error']:+.1f}% "
      f"| {100 * (pc['predicted_total'] / pc['actual_total'] - 1):+.1f}% | {pc['rmse']:.3f} | {pc['correlation']:.3f} | {inside} of {len(rows)} |")
PY
)
  bg=$(reference bgnbd "$end" "$holdout_end"); pareto=$(reference pareto "$end" "$holdout_end" | cut -d'|' -f1)
  model=$(head -1 "$work/out.txt" | sed 's/^Backtest: //; s/ states.*//')
  echo "$journey_row $bg | $pareto| $model |"
done

#!/usr/bin/env bash
# Warehouse pushdown against the in-process fit, on the benchmark history (about 10M rows).
#   Benchmarks/warehouse/run.sh [CUSTOMERS ...]      default 1530000 (about 10M rows)
# Needs the engines: .ci/engines.sh start DIR && . DIR/env (PostgreSQL, DuckDB CLI, pyspark).
# For each size: generate (cached), load into each engine (timed apart), then time the query alone,
# the bytes it returns, `fit --summary` on them, `fit --source` (query + transfer + fit) and the
# in-process `fit` of the CSV. /usr/bin/time gives wall seconds and peak memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${JOURNEY_TEST_POSTGRES:?run .ci/engines.sh start DIR and source DIR/env first}"
export PGPASSWORD=$JOURNEY_TEST_POSTGRES_PASSWORD OPENBLAS_NUM_THREADS=1
cache=${CACHE:-/tmp/journey-bench-cache}
mkdir -p "$cache"
swift build -c release --product journey >/dev/null
J=$(swift build -c release --show-bin-path)/journey
t() { local label=$1; shift; /usr/bin/time -f "$label: %e s wall, %M KB peak" "$@"; }
# An array, not a function: /usr/bin/time runs programs, not shell functions.
pg=(psql -q -X -v ON_ERROR_STOP=1 -d "$JOURNEY_TEST_POSTGRES")

for customers in "${@:-1530000}"; do
  file=$cache/warehouse-$customers.csv
  [ -f "$file" ] || "$J" generate --customers "$customers" --seed 1 -o "$file" >/dev/null
  rows=$(($(wc -l <"$file") - 1))
  echo "== $customers customers, $rows rows, $(stat -c %s "$file") bytes"
  out=$cache/warehouse-out-$customers && rm -rf "$out" && mkdir -p "$out"

  t "in-process fit (CSV)" "$J" fit "$file" --states lifecycle -o "$out/file.json" >/dev/null

  t "PostgreSQL load (COPY)" "${pg[@]}" -c "DROP TABLE IF EXISTS bench_tx" \
    -c "CREATE UNLOGGED TABLE bench_tx (customer_id TEXT, date DATE, amount DOUBLE PRECISION, event TEXT)" \
    -c "\\copy bench_tx FROM '$file' CSV HEADER" -c "ANALYZE bench_tx"
  "$J" sql --engine postgres --table bench_tx >"$out/postgres.sql"
  t "PostgreSQL query (psql --csv)" "${pg[@]}" --csv -f "$out/postgres.sql" -o "$out/postgres.csv"
  echo "PostgreSQL summary: $(($(wc -l <"$out/postgres.csv") - 1)) rows, $(stat -c %s "$out/postgres.csv") bytes"
  t "fit --summary (PostgreSQL's)" "$J" fit --summary "$out/postgres.csv" --states lifecycle -o "$out/summary.json" >/dev/null
  t "fit --source (query + transfer + fit)" "$J" fit --source "$JOURNEY_TEST_POSTGRES?sslmode=disable" --table bench_tx \
    --states lifecycle -o "$out/source.json" >/dev/null

  t "DuckDB load" "$JOURNEY_TEST_DUCKDB" "$out/duck.db" -c "CREATE TABLE transactions AS SELECT * FROM read_csv('$file', header = true,
    columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE', 'event': 'VARCHAR'})"
  t "DuckDB query (-csv)" "$JOURNEY_TEST_DUCKDB" "$out/duck.db" -csv -c "$("$J" sql --engine duckdb --table transactions)" >"$out/duckdb.csv"
  echo "DuckDB summary: $(stat -c %s "$out/duckdb.csv") bytes"
  rm -f "$out/duck.db"

  "$J" sql --engine spark --table transactions >"$out/spark.sql"
  t "Spark (JVM start + CSV load and cache + query + Spark's CSV writer)" "$JOURNEY_TEST_SPARK_PYTHON" Tests/warehouse/spark_run.py \
    --spark-writes "$file" "$out" "$out/spark.sql"
  echo "Spark summary: $(cat "$out"/spark/part-*.csv | wc -c) bytes"

  python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def model(name):
    m = json.load(open(f"{out}/{name}.json")); m["input"].pop("source"); m["input"].pop("content_hash"); return m
same = model("file") == model("summary") == model("source")
print("models from the CSV, the PostgreSQL summary and --source identical (apart from the input's name and row-order hash):", same)
PY
done

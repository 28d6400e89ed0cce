"""Runs SQL files in one local Spark session (the JVM starts once), for the warehouse tests.

usage: spark_run.py [--spark-writes] TRANSACTIONS.csv OUT_DIR QUERY.sql...
Loads the CSV (columns among customer_id, date, amount, event, channel) as the view
`transactions` with explicit types (DATE, DOUBLE, else STRING), cached in memory, runs each query
file unchanged and writes OUT_DIR/<name>.csv: the column names as the header, then the rows
(numbers as Python's shortest round-trip repr). Prints each query's seconds to standard error.
With --spark-writes (the benchmark: millions of rows), Spark's own CSV writer writes
OUT_DIR/<name>/part-*.csv instead of collecting the rows through Python.
"""
import csv
import os
import sys
import time

from pyspark.sql import SparkSession

args = sys.argv[1:]
spark_writes = args[0] == "--spark-writes"
if spark_writes:
    args = args[1:]
source, out_dir, queries = args[0], args[1], args[2:]
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g"))
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "4")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
with open(source) as f:
    names = next(csv.reader(f))
types = {"date": "DATE", "amount": "DOUBLE"}
schema = ", ".join(f"`{n}` {types.get(n, 'STRING')}" for n in names)
frame = spark.read.csv(source, header=True, escape='"', schema=schema)
frame.createOrReplaceTempView("transactions")
spark.sql("CACHE TABLE transactions")
for path in queries:
    with open(path) as f:
        sql = f.read()
    started = time.monotonic()
    frame = spark.sql(sql)
    name = os.path.splitext(os.path.basename(path))[0]
    if spark_writes:
        frame.write.mode("overwrite").option("header", True).csv(os.path.join(out_dir, name))
        print(f"{os.path.basename(path)}: {time.monotonic() - started:.2f} s (written by Spark)", file=sys.stderr)
        continue
    rows = frame.collect()
    print(f"{os.path.basename(path)}: {time.monotonic() - started:.2f} s, {len(rows)} rows", file=sys.stderr)
    with open(os.path.join(out_dir, name + ".csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in rows:
            writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
spark.stop()

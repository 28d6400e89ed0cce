"""Runs SQL files in one local Spark session (the JVM starts once), for the warehouse tests.

usage: spark_run.py TRANSACTIONS.csv OUT_DIR QUERY.sql...
Loads the CSV (columns among customer_id, date, amount, event, channel) as the view
`transactions` with explicit types (DATE, DOUBLE, else STRING), cached in memory, runs each query
file unchanged and writes OUT_DIR/<name>.csv: the column names as the header, then the rows
(numbers as Python's shortest round-trip repr). Prints each query's seconds to standard error.
"""
import csv
import os
import sys
import time

from pyspark.sql import SparkSession

source, out_dir, queries = sys.argv[1], sys.argv[2], sys.argv[3:]
spark = (
    SparkSession.builder.master("local[2]")
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
    rows = frame.collect()
    print(f"{os.path.basename(path)}: {time.monotonic() - started:.2f} s, {len(rows)} rows", file=sys.stderr)
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(out_dir, name + ".csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in rows:
            writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
spark.stop()

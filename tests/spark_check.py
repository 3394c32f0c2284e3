"""Runs Spark SQL queries on LakeSail's Sail, a Spark Connect server that is not
SmartView (installed by scripts/sail), for the parity tests of remote::sql.

    python tests/spark_check.py JOB.json

JOB.json holds {"tables": {name: parquet file, or {"text": file} for the engine's
text reader}, "views": [[name, SQL, materialized], ...] (made in order, after the
tables; a materialized one is written to "work" as Parquet and read back),
"queries": {name: SQL}, "out": folder}
and, to run on another Spark Connect server (JVM Spark: scripts/spark), "remote":
its sc:// URL. Without it, a Sail server starts on loopback; each table is registered as a view under its name,
and each query's result is written as `<out>/<name>.parquet` (rows in the query's
order). A query that fails writes `<out>/<name>.error` with the message. Each
query's time goes to standard error.
"""

import json
import os
import sys
import time


def main(job_file):
    with open(job_file) as f:
        job = json.load(f)
    remote = job.get("remote")
    if not remote:
        from pysail.spark import SparkConnectServer

        server = SparkConnectServer("127.0.0.1", 0)
        server.start(background=True)
        host, port = server.listening_address
        remote = f"sc://{host}:{port}"
    from pyspark.sql import SparkSession
    import pyarrow.parquet as pq

    spark = SparkSession.builder.remote(remote).getOrCreate()
    # Timestamps without a zone are read and cut into days in UTC, as Polars does.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    for name, path in job["tables"].items():
        if isinstance(path, dict):
            spark.read.text(path["text"]).createOrReplaceTempView(name)
        else:
            spark.read.parquet(path).createOrReplaceTempView(name)
    for name, sql, materialized in job.get("views", []):
        if materialized:
            path = os.path.join(job["work"], f"{name}.parquet")
            spark.sql(sql).write.mode("overwrite").parquet(path)
            spark.read.parquet(path).createOrReplaceTempView(name)
        else:
            spark.sql(sql).createOrReplaceTempView(name)
    for name, sql in job["queries"].items():
        started = time.monotonic()
        try:
            pq.write_table(spark.sql(sql).toArrow(), os.path.join(job["out"], f"{name}.parquet"))
        except Exception as error:  # the test reports the engine's message
            with open(os.path.join(job["out"], f"{name}.error"), "w") as f:
                f.write(str(error))
        print(f"{name}: {time.monotonic() - started:.2f} s", file=sys.stderr)
    sys.stdout.flush()
    # The server's threads do not end on their own: leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])

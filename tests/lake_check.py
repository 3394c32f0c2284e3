"""Reads SmartView's Delta tables with an engine that is not SmartView, installed by
scripts/duckdb: Python's `deltalake` package (delta-rs, with its DataFusion SQL), or
DuckDB with its Delta extension (PyPI's duckdb-ext-delta, run by the python that
`scripts/duckdb delta-python` prints).

    python tests/lake_check.py deltalake <table folder> <version or "latest"> <SQL>
    python tests/lake_check.py duckdb <table folder> <version or "latest"> <SQL>

Opens the table at that version, runs the SQL over it (the table is `t`), and prints
the result as one JSON object per row, then a line `version N` (DuckDB: the version
asked for). Run by tests/stream.rs, which compares the answers with what SmartView
reads.
"""

import json
import pathlib
import sys


def deltalake_rows(folder, version, sql):
    from deltalake import DeltaTable, QueryBuilder

    table = DeltaTable(folder) if version == "latest" else DeltaTable(folder, version=int(version))
    batches = QueryBuilder().register("t", table).execute(sql).read_all()
    names = batches.schema.names
    columns = [batches.column(i).to_pylist() for i in range(len(names))]
    return [dict(zip(names, row)) for row in zip(*columns)], table.version()


def duckdb_rows(folder, version, sql):
    import duckdb

    # The extension file the duckdb-ext-delta package ships for this DuckDB.
    pattern = f"duckdb_ext/extensions/v{duckdb.__version__}/*/delta.duckdb_extension"
    found = [f for p in sys.path if p for f in pathlib.Path(p).glob(pattern)]
    if not found:
        raise SystemExit(f"no Delta extension for DuckDB {duckdb.__version__} ({pattern})")
    con = duckdb.connect()
    con.execute(f"LOAD '{found[0]}'")
    con.execute(f"ATTACH '{folder}' AS lake_table (TYPE delta)")
    at = "" if version == "latest" else f" AT (VERSION => {int(version)})"
    con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM lake_table{at}")
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()], version


def main(engine, folder, version, sql):
    read = {"deltalake": deltalake_rows, "duckdb": duckdb_rows}[engine]
    rows, read_version = read(folder, version, sql)
    for row in rows:
        print(json.dumps(row, default=str, sort_keys=True))
    print(f"version {read_version}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("deltalake", "duckdb"):
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))

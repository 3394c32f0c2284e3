"""Reads SmartView's Delta tables with an engine that is not SmartView: the Python
`deltalake` package (delta-rs, with its DataFusion SQL), installed by scripts/duckdb.

    python tests/lake_check.py <table folder> <version or "latest"> <SQL>

Opens the table at that version, runs the SQL over it (the table is `t`), and prints
the result as one JSON object per row, then a line `version N`. Run by tests/stream.rs,
which compares the answers with what SmartView reads.
"""

import json
import sys

from deltalake import DeltaTable, QueryBuilder


def main(folder, version, sql):
    table = DeltaTable(folder) if version == "latest" else DeltaTable(folder, version=int(version))
    batches = QueryBuilder().register("t", table).execute(sql).read_all()
    names = batches.schema.names
    columns = [batches.column(i).to_pylist() for i in range(len(names))]
    for row in zip(*columns):
        print(json.dumps(dict(zip(names, row)), default=str, sort_keys=True))
    print(f"version {table.version()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))

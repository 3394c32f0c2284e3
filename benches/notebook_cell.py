"""Times warm notebook cells: a filter-and-show on each validated table (issue 20, item 5).

    scripts/setup-notebooks && scripts/report      (once: the kernel and the tables)
    .venv/bin/python benches/notebook_cell.py [--rounds N]

Runs the SmartView header in a fresh kernel (the kernel's kept build folder must be
warm, as scripts/setup-notebooks leaves it), then, for each of the shipped samples'
validated tables (TV viewing, retail invoice lines, WDI long rows), N cells that scan
the interim Parquet file, filter it, take five rows and show them. Each cell differs
from the one before (a new literal), so evcxr compiles every one. It prints each
cell's time (Jupyter's execute_input to execute_reply, as nbclient records them) and,
per table, the median and worst of the warm cells: all but the first cell of the run,
which loads the kernel library.

The optimisation level is the interactive kernel's (notebooks/kernel/evcxr.toml)
unless SMARTVIEW_KERNEL_OPT_LEVEL says otherwise, as in scripts/rust-kernel.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from notebooks import ROOT, cell_seconds, header_for, run_cells  # noqa: E402

# (table, interim file under data/, filter with `{}` for the literal that changes)
TABLES = [
    ("TV viewing", "interim/tv/viewing.parquet", 'col("event_time").gt(lit({}i32))'),
    ("retail lines", "interim/retail/online_retail.parquet", 'col("Quantity").gt(lit({}i64))'),
    ("WDI long rows", "interim/wdi/wdi.parquet", 'col("year").gt(lit({}i64))'),
]
LITERALS = {"TV viewing": 60_000, "retail lines": 1, "WDI long rows": 1990}


def cell(path: str, predicate: str) -> str:
    return (f'show(&scan_parquet(std::path::Path::new("../data/{path}"))?'
            f".filter({predicate}).limit(5).collect()?)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="cells per table")
    args = parser.parse_args()
    missing = [p for _, p, _ in TABLES if not (ROOT / "data" / p).exists()]
    if missing:
        print(f"no validated table at data/{missing[0]}: run scripts/report first")
        return 1
    sources = [header_for(ROOT / "notebooks")]
    labels = ["header"]
    for name, path, predicate in TABLES:
        for i in range(args.rounds):
            sources.append(cell(path, predicate.format(LITERALS[name] + i)))
            labels.append(name)
    executed, errors, seconds = run_cells(sources)
    if errors:
        print(f"a cell failed:\n{errors[0]}")
        return 1
    print(f"kernel run: {seconds:.1f} s")
    # nbclient records each cell's start and end; NaN if one is missing.
    cell_times = [cell_seconds(c) or math.nan for c in executed.cells]
    for label, s, source in zip(labels, cell_times, sources):
        print(f"{s:8.3f} s  {label:14}  {source.splitlines()[0][:70]}")
    # The first cell after the header loads the kernel library: not a warm cell.
    warm = list(zip(labels, cell_times))[2:]
    for name, _, _ in TABLES:
        times = [s for label, s in warm if label == name]
        print(f"{name:14} warm cells: median {statistics.median(times):.3f} s, "
              f"worst {max(times):.3f} s ({len(times)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

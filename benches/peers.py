"""SmartView against its peers (issue 20): for each domain, the same rules run by
`report` (SmartView), by DuckDB SQL (benches/peers/<domain>.sql, DuckDB's command-line
client) and by Python Polars (benches/peers/<domain>.py, lazy), on the same generated
raw data at each size. The three must produce equal output tables (floats to 1e-9
relative); then each runs `--rounds` times, interleaved, and the best and median wall
time and the peak RSS (the process's own, from wait4) are printed side by side.

Run it with scripts/peers, which installs the peers (PyPI, pinned) and builds the
release binaries first:

    scripts/peers                # TV, retail, Customer 360 and WDI at 1M and 5M rows
    scripts/peers --domains retail --sizes 5000000 --rounds 5

Sizes count the domain's fact rows: viewing rows (TV), invoice lines (retail), content
rows over 30 daily files (Customer 360), long rows (WDI: series × 61 years, empty
values included). DuckDB reads Customer 360's keyword mapping from a CSV copy of
mapping.xlsx, made before the runs: its Excel extension cannot be installed offline.
"""
import argparse
import csv
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
WDI_YEARS = 61

# Per domain: its output tables (compared), datagen's arguments for a size, and the
# raw folder the peers read.
DOMAINS = {
    "retail": {
        "tables": ["quarantine_summary", "invoice_size", "monthly_orders", "monthly_sales",
                   "monthly_customers", "cohort_retention", "rfm", "rfm_segments"],
        "datagen": lambda rows: ["--rows", str(rows), "--files", "2"],
    },
    "tv": {
        "tables": ["quarantine_summary", "program_clashes", "top_markets", "genre_reach",
                   "top_genres", "wealth", "wealthy_market_genres", "program_popularity",
                   "market_potential"],
        "datagen": lambda rows: ["--rows", str(rows), "--files", "2"],
    },
    "customer360": {
        "tables": ["quarantine_summary", "customer_profile", "segment_summary",
                   "search_top_keyword", "search_trend", "customer_360"],
        "datagen": lambda rows: ["--rows", str(rows), "--files", "30"],
    },
    "wdi": {
        "tables": ["country_series", "indicator_panel", "peak_year"],
        "datagen": lambda rows: ["--rows", str(max(1, rows // WDI_YEARS))],
    },
}


def measure(command, log):
    """Runs `command`; returns (wall seconds, peak RSS in MB). Its output goes to
    `log`; a failure stops the benchmark with the log's tail."""
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = Path(log).read_text(errors="replace")[-2000:]
        sys.exit(f"peers: {' '.join(map(str, command))} failed:\n{tail}")
    return wall, usage.ru_maxrss / 1024


def read_table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def same_value(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def compare(reference, other, tables, who):
    """The differences between two runs' output tables (header, row count, values)."""
    problems = []
    for table in tables:
        (h1, r1), (h2, r2) = read_table(reference / f"{table}.csv"), read_table(other / f"{table}.csv")
        if h1 != h2:
            problems.append(f"{who} {table}: columns {h2}, SmartView {h1}")
        elif len(r1) != len(r2):
            problems.append(f"{who} {table}: {len(r2)} rows, SmartView {len(r1)}")
        else:
            for i, (a, b) in enumerate(zip(r1, r2)):
                if len(a) != len(b) or not all(same_value(x, y) for x, y in zip(a, b)):
                    problems.append(f"{who} {table} row {i + 1}: {b}, SmartView {a}")
                    break
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default="tv,retail,customer360,wdi")
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "smartview-peers")
    parser.add_argument("--bin-dir", type=Path, required=True, help="report and datagen")
    parser.add_argument("--duckdb", required=True, help="DuckDB's command-line client")
    args = parser.parse_args()

    results = []
    for domain in args.domains.split(","):
        spec = DOMAINS.get(domain)
        if spec is None:
            sys.exit(f"peers: no peers for {domain} yet (there are: {', '.join(DOMAINS)})")
        for rows in map(int, args.sizes.split(",")):
            work = args.work / f"{domain}-{rows}"
            raw = work / "raw"
            stamp = work / "generated"
            if not stamp.exists():
                subprocess.run(["rm", "-rf", str(work)], check=True)
                raw.mkdir(parents=True)
                generated = subprocess.run([args.bin_dir / "datagen", "--domain", domain, "--out", raw,
                                            *spec["datagen"](rows)], capture_output=True, text=True)
                if generated.returncode != 0:
                    sys.exit(f"peers: datagen failed for {domain}:\n{generated.stderr}")
                stamp.touch()
            outs = {who: work / who for who in ("smartview", "duckdb", "polars")}
            for out in outs.values():
                out.mkdir(exist_ok=True)
            mapping = work / "mapping.csv"
            if domain == "customer360" and not mapping.exists():
                polars.read_excel(raw / "mapping.xlsx").write_csv(mapping)
            sql = (PEERS / f"{domain}.sql").read_text()
            for name, value in [("raw", raw), ("out", outs["duckdb"]), ("mapping", mapping)]:
                sql = sql.replace("{" + name + "}", str(value))
            (work / "peer.sql").write_text(sql)
            commands = {
                "smartview": [args.bin_dir / "report", "--quiet", "--domain", domain, "--raw", raw,
                              "--out", outs["smartview"], "--interim", work / "interim",
                              "--reports", work / "reports"],
                "duckdb": [args.duckdb, "-init", "/dev/null", "-c", f".read {work / 'peer.sql'}"],
                "polars": [sys.executable, PEERS / f"{domain}.py", raw, outs["polars"]],
            }
            timings = {who: [] for who in commands}
            for round_ in range(args.rounds):
                for who, command in commands.items():
                    timings[who].append(measure(command, work / f"{who}.log"))
                if round_ == 0:
                    problems = []
                    for who in ("duckdb", "polars"):
                        problems += compare(outs["smartview"], outs[who], spec["tables"], who)
                    if problems:
                        sys.exit("peers: the outputs differ:\n  " + "\n  ".join(problems))
            for who, runs in timings.items():
                walls = [w for w, _ in runs]
                results.append((domain, rows, who, min(walls), statistics.median(walls),
                                max(rss for _, rss in runs)))
                print(f"{domain:12} {rows:>12,} {who:10} best {min(walls):7.2f} s  "
                      f"median {statistics.median(walls):7.2f} s  peak {results[-1][5]:7.0f} MB",
                      flush=True)
    print("\n| domain | rows | SmartView | DuckDB | Polars | SmartView / faster peer |")
    print("|---|---:|---|---|---|---:|")
    keyed = {(d, r, w): (best, rss) for d, r, w, best, _, rss in results}
    for domain, rows in dict.fromkeys((d, r) for d, r, *_ in results):
        cell = lambda who: "{:.2f} s, {:.0f} MB".format(*keyed[(domain, rows, who)])
        faster = min(keyed[(domain, rows, "duckdb")][0], keyed[(domain, rows, "polars")][0])
        ratio = keyed[(domain, rows, "smartview")][0] / faster
        print(f"| {domain} | {rows:,} | {cell('smartview')} | {cell('duckdb')} | {cell('polars')} | {ratio:.2f} |")


if __name__ == "__main__":
    main()

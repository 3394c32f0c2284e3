"""Checks the movies serving file (spec/movies.md, V9) with a DuckDB that is not its
writer: DuckDB's Python package (scripts/duckdb python) opens a copy of
movies.duckdb moved away from the Parquet outputs, and every view is compared with
the rows worked out here, in plain Python, from the Parquet output tables.

    python tests/serving_check.py <movies output folder>

Exits 0 when every check passes; otherwise prints each failure and exits 1. Run by
tests/movies.rs on the shipped sample.
"""

import math
import pathlib
import re
import shutil
import sys
import tempfile
from collections import defaultdict

import duckdb

TABLES = [
    "quarantine_summary",
    "movies_enriched",
    "movie_genres",
    "genre_revenue",
    "director_revenue",
    "yearly_revenue",
    "match_counts",
]
VIEWS = [
    "executive_summary",
    "rating_vs_revenue",
    "budget_vs_revenue",
    "monthly_revenue",
    "top_directors",
    "revenue_by_genre",
    "director_measures",
    "director_trend",
    "top_movies",
]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def records(connection, sql):
    """The rows of a query as dicts, in the query's order."""
    result = connection.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def same_value(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-6)
    return a == b


def compare(view, actual, expected):
    """Rows in order, columns by name, money to 12 significant digits (sums in
    another order)."""
    if not check(len(actual) == len(expected), f"{view}: {len(actual)} rows, expected {len(expected)}"):
        return
    for i, (a, e) in enumerate(zip(actual, expected)):
        if not check(list(a) == list(e), f"{view}: columns {list(a)}, expected {list(e)}"):
            return
        for column in e:
            if not check(
                same_value(a[column], e[column]),
                f"{view}: row {i} column {column} is {a[column]!r}, expected {e[column]!r}",
            ):
                return


def nulls_last(value):
    return (value is None, value if value is not None else 0)


def fsum(values):
    values = [v for v in values if v is not None]
    return math.fsum(values) if values else None


def mean(values):
    values = [v for v in values if v is not None]
    return math.fsum(values) / len(values) if values else None


def expected_views(parquet):
    movies = parquet["movies_enriched"]
    genres_of = defaultdict(list)
    for row in parquet["movie_genres"]:
        genres_of[row["movie_id"]].append(row["genre"])
    expected = {}

    # Executive summary: a movie once per genre in a genre row, once in a subtotal.
    def measures(year, genre, level, group):
        return {
            "release_year": year,
            "genre": genre,
            "grouping_id": level,
            "movies": len(group),
            "revenue_real": fsum(m["revenue_real"] for m in group),
            "budget_real": fsum(m["budget_real"] for m in group),
            "avg_rating": mean(m["rating"] for m in group),
        }

    by_year_genre, by_year = defaultdict(list), defaultdict(list)
    for m in movies:
        by_year[m["release_year"]].append(m)
        for genre in genres_of.get(m["movie_id"], [None]):
            by_year_genre[(m["release_year"], genre)].append(m)
    summary = [measures(y, g, 0, group) for (y, g), group in by_year_genre.items()]
    summary += [measures(y, None, 1, group) for y, group in by_year.items()]
    summary.append(measures(None, None, 3, movies))
    summary.sort(key=lambda r: (nulls_last(r["release_year"]), r["grouping_id"], nulls_last(r["genre"])))
    expected["executive_summary"] = summary

    by_id = sorted(movies, key=lambda m: m["movie_id"])
    expected["rating_vs_revenue"] = [
        {k: m[k] for k in ["movie_id", "title", "release_year", "rating", "revenue_real"]}
        for m in by_id
        if m["rating"] is not None
    ]
    expected["budget_vs_revenue"] = [
        {k: m[k] for k in ["movie_id", "title", "release_year", "budget_real", "revenue_real", "roi"]}
        for m in by_id
        if m["budget"] > 0
    ]

    by_month = defaultdict(list)
    for m in movies:
        by_month[(m["release_year"], m["release_month"])].append(m)
    expected["monthly_revenue"] = [
        {
            "release_year": year,
            "release_month": month,
            "movies": len(group),
            "revenue_real": fsum(m["revenue_real"] for m in group),
            "budget_real": fsum(m["budget_real"] for m in group),
        }
        for (year, month), group in sorted(by_month.items())
    ]

    expected["top_directors"] = sorted(
        parquet["director_revenue"], key=lambda r: (-r["revenue_real"], r["director"])
    )[:20]
    expected["revenue_by_genre"] = sorted(
        parquet["genre_revenue"], key=lambda r: (-r["revenue_real"], r["genre"])
    )

    by_director, by_director_year = defaultdict(list), defaultdict(list)
    for m in movies:
        by_director[m["director"]].append(m)
        by_director_year[(m["director"], m["release_year"])].append(m)
    expected["director_measures"] = [
        {
            "director": director,
            "movies": len(group),
            "revenue_real": fsum(m["revenue_real"] for m in group),
            "budget_real": fsum(m["budget_real"] for m in group),
            "profit_real": fsum(m["profit_real"] for m in group),
            "avg_rating": mean(m["rating"] for m in group),
            "avg_roi": mean(m["roi"] for m in group),
            "first_year": min(m["release_year"] for m in group),
            "last_year": max(m["release_year"] for m in group),
        }
        for director, group in sorted(by_director.items(), key=lambda item: nulls_last(item[0]))
    ]
    expected["director_trend"] = [
        {
            "director": director,
            "release_year": year,
            "movies": len(group),
            "revenue_real": fsum(m["revenue_real"] for m in group),
            "profit_real": fsum(m["profit_real"] for m in group),
        }
        for (director, year), group in sorted(
            by_director_year.items(), key=lambda item: (nulls_last(item[0][0]), item[0][1])
        )
    ]
    expected["top_movies"] = [
        {
            k: m[k]
            for k in [
                "movie_id", "title", "release_year", "director",
                "revenue_real", "budget_real", "profit_real", "roi",
            ]
        }
        for m in sorted(movies, key=lambda m: (-m["revenue_real"], m["movie_id"]))[:20]
    ]
    return expected


def main(folder):
    folder = pathlib.Path(folder)
    reader = duckdb.connect()
    parquet = {
        table: records(reader, f"SELECT * FROM read_parquet('{folder / (table + '.parquet')}')")
        for table in TABLES
    }
    check(len(parquet["movies_enriched"]) > 0, "movies_enriched is empty: nothing to check")

    declared = re.findall(r"^CREATE VIEW (\w+) AS", (folder / "serving.sql").read_text(), re.M)
    check(declared == VIEWS, f"serving.sql creates {declared}, expected the nine views {VIEWS}")

    with tempfile.TemporaryDirectory() as elsewhere:
        # Moved away from the Parquet files: the file must stand alone.
        database = pathlib.Path(elsewhere) / "movies.duckdb"
        shutil.copy(folder / "movies.duckdb", database)
        connection = duckdb.connect(str(database), read_only=True)
        objects = records(
            connection,
            "SELECT table_name, table_type FROM information_schema.tables ORDER BY table_name",
        )
        check(
            sorted(o["table_name"] for o in objects if o["table_type"] == "VIEW") == sorted(VIEWS),
            f"views in movies.duckdb: {objects}",
        )
        check(
            sorted(o["table_name"] for o in objects if o["table_type"] == "BASE TABLE") == sorted(TABLES),
            f"tables in movies.duckdb: {objects}",
        )
        for table in TABLES:
            # Copies: the same rows in the same order, every value exact.
            rows = records(connection, f'SELECT * FROM "{table}"')
            check(rows == parquet[table], f"table {table} differs from {table}.parquet")
        expected = expected_views(parquet)
        for view in VIEWS:
            compare(view, records(connection, f"SELECT * FROM {view}"), expected[view])
        # What the spec implies beyond the rows: the total counts every movie once.
        total = records(connection, "SELECT * FROM executive_summary WHERE grouping_id = 3")
        check(
            len(total) == 1 and total[0]["movies"] == len(parquet["movies_enriched"]),
            f"the grand total is {total}, expected {len(parquet['movies_enriched'])} movies",
        )
        connection.close()

    if failures:
        for failure in failures:
            print(f"serving check: {failure}")
        return 1
    print(
        f"serving check: DuckDB {duckdb.__version__} (Python) read movies.duckdb: "
        f"{len(TABLES)} tables equal to their Parquet files, {len(VIEWS)} views as expected"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

"""TV T1-T11 in Python Polars (lazy), as a Polars user would write them: the peer of
`report --domain tv` in benches/peers.py. Usage: tv.py RAW OUT. "First" means first
in file order: the scans keep it (a row index)."""
import glob
import sys

import polars as pl

raw, out = sys.argv[1], sys.argv[2]
DEMOGRAPHICS = 45


def read_lines(pattern, separator, names, header):
    """Every field as text; lines with another number of fields, or with bytes that
    are not UTF-8, are returned apart (their counts by reason), as a CSV user would
    split them out."""
    files = sorted(glob.glob(f"{raw}/{pattern}"))
    lines = pl.scan_csv(files, has_header=False, separator="\x01", quote_char=None, encoding="utf8-lossy",
                        infer_schema=False, new_columns=["line"], skip_rows=1 if header else 0)
    # A plain split, but for lines with a quote: those are cut by a pattern that
    # keeps quoted separators (and doubled quotes) inside their field.
    sep = "\\" + separator if separator == "|" else separator
    quoted = pl.col("line").str.extract_all(f'(?:^|{sep})("(?:[^"]|"")*"|[^{sep}"]*)')
    fields = (
        pl.when(pl.col("line").str.contains('"', literal=True))
        .then(quoted.list.eval(pl.element().str.strip_prefix(separator)))
        .otherwise(pl.col("line").str.split(separator))
    )
    lines = lines.with_row_index("rn").filter(pl.col("line").str.len_bytes() > 0)
    # Bytes that are not UTF-8 were read as U+FFFD: such lines are set apart.
    not_utf8 = pl.col("line").str.contains("\ufffd", literal=True)
    bad_text = lines.filter(not_utf8).select(pl.len().alias("n"))
    lines = lines.filter(~not_utf8)
    unquote = lambda f: pl.when(f.str.starts_with('"')).then(
        f.str.slice(1, f.str.len_chars() - 2).str.replace_all('""', '"', literal=True)).otherwise(f)
    good = lines.with_columns(fields.alias("fields")).filter(pl.col("fields").list.len() == len(names)).select(
        "rn", *[unquote(pl.col("fields").list.get(i)).str.strip_chars().alias(name) for i, name in enumerate(names)]
    ).with_columns(pl.col(names).replace("", None))
    bad = pl.concat([
        lines.filter(fields.list.len() != len(names)).select(pl.lit("layout|column_count").alias("reason"), pl.len().alias("n")),
        bad_text.select(pl.lit("layout|invalid_utf8").alias("reason"), "n"),
    ])
    return good, bad


def missing(name):
    return pl.col(name).is_null()


def reasons(checks):
    expr = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, reason in checks[1:]:
        expr = expr.when(condition).then(pl.lit(reason))
    return expr.otherwise(None).alias("reason")


def ymd(name):
    text = pl.col(name)
    return pl.when(text.str.contains(r"^[0-9]{8}$")).then(text.str.strptime(pl.Date, "%Y%m%d", strict=False))


def hms(name):
    value = pl.col(name).cast(pl.Int64, strict=False)
    ok = pl.col(name).str.contains(r"^[0-9]{1,6}$") & (value // 10000 < 24) & (value // 100 % 100 < 60) & (value % 100 < 60)
    return pl.when(ok).then(value)


def is_int(name):
    return pl.col(name).str.contains(r"^[+-]?[0-9]+$")


def between(expr, low, high):
    return (expr < low) | (expr > high)


programs, programs_bad = read_lines("programs*.txt", "|",
                                    ["prog_code", "title", "genre", "air_date", "air_time", "duration"], False)
programs = programs.with_columns(reasons([
    (missing("prog_code"), "prog_code|required"), (missing("title"), "title|required"),
    (missing("genre"), "genre|required"), (missing("air_date"), "air_date|required"),
    (ymd("air_date").is_null(), "air_date|dtype"), (missing("air_time"), "air_time|required"),
    (hms("air_time").is_null(), "air_time|dtype"),
    (~missing("duration") & pl.col("duration").cast(pl.Float64, strict=False).is_null(), "duration|dtype"),
    (between(pl.col("duration").cast(pl.Float64, strict=False), 0, 10080), "duration|range"),
]))
demo_names = [f"c{i}" for i in range(DEMOGRAPHICS)]
demographics, demographics_bad = read_lines("demographics*.txt", "|", demo_names, False)
demographics = demographics.select(
    "rn", pl.col("c0").alias("household_id"), pl.col("c1").alias("household_size"),
    pl.col("c2").alias("num_adults"), pl.col("c19").alias("net_worth"), pl.col("c20").alias("income"),
).with_columns(reasons([
    (missing("household_id"), "household_id|required"),
    (~missing("household_size") & ~is_int("household_size"), "household_size|dtype"),
    (between(pl.col("household_size").cast(pl.Int64, strict=False), 0, 1000), "household_size|range"),
    (~missing("num_adults") & ~is_int("num_adults"), "num_adults|dtype"),
    (between(pl.col("num_adults").cast(pl.Int64, strict=False), 0, 1000), "num_adults|range"),
    (~missing("net_worth") & ~is_int("net_worth"), "net_worth|dtype"),
    (between(pl.col("net_worth").cast(pl.Int64, strict=False), -1e15, 1e15), "net_worth|range"),
    (~missing("income") & ~pl.col("income").is_in(list("123456789ABCD")), "income|one_of"),
]))
reference, reference_bad = read_lines("reference*.csv", ",", [
    "device_id", "dma", "dma_code", "household_id", "zipcode", "household_type", "system_type"], True)
device = r"^[0-9A-Fa-f]{12}$"
reference = reference.with_columns(reasons([
    (missing("device_id"), "device_id|required"), (~pl.col("device_id").str.contains(device), "device_id|regex"),
    (missing("dma"), "dma|required"), (missing("household_id"), "household_id|required"),
]))

# T3: per prog_code the title and the genre seen on the most rows (ties: smallest).
valid_programs = programs.filter(pl.col("reason").is_null())
def chosen(field):
    return (
        valid_programs.group_by("prog_code", field).agg(pl.len().alias("n"))
        .sort(["n", field], descending=[True, False])
        .group_by("prog_code")
        .agg(pl.col(field).first().alias("chosen"), pl.len().alias("variants"), pl.col("n").sum().alias("rows"))
        .with_columns(pl.lit(field).alias("field"))
    )
choices = pl.concat([chosen("title"), chosen("genre")]).collect()
program_table = (
    choices.pivot(on="field", index="prog_code", values="chosen").select("prog_code", "title", "genre")
)
program_clashes = (
    choices.filter(pl.col("variants") > 1)
    .select("prog_code", "field", "chosen", pl.col("variants").cast(pl.Int64), pl.col("rows").cast(pl.Int64))
    .sort("prog_code", "field")
)

# T1 of the viewing with T4's lookup; the large table, streamed into its pairs.
viewing, viewing_bad = read_lines("viewing*.csv", ",", [
    "device_id", "event_date", "event_time", "mso_code", "prog_code", "station_num"], True)
known = pl.col("prog_code").is_in(program_table["prog_code"].implode())
viewing = viewing.select("device_id", "prog_code", reasons([
    (missing("device_id"), "device_id|required"), (~pl.col("device_id").str.contains(device), "device_id|regex"),
    (missing("event_date"), "event_date|required"), (ymd("event_date").is_null(), "event_date|dtype"),
    (~missing("event_time") & hms("event_time").is_null(), "event_time|dtype"),
    (missing("prog_code"), "prog_code|required"), (~known, "prog_code|lookup"),
]))
valid_viewing = viewing.filter(pl.col("reason").is_null())
viewing_reasons = viewing.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len().alias("rows"))
pairs = valid_viewing.group_by("device_id", "prog_code").agg(pl.len().alias("events"))

# T2
demographics_valid = demographics.filter(pl.col("reason").is_null())
levels = {"A": 10, "B": 11, "C": 12, "D": 13}
clean_demographics = (
    demographics_valid.sort("rn").unique("household_id", keep="first", maintain_order=True)
    .select("household_id", pl.col("net_worth").cast(pl.Int64),
            pl.col("income").replace_strict(levels, default=pl.col("income"), return_dtype=pl.String)
            .cast(pl.Int64).alias("income_level"))
)

# T5
cleaned = (
    reference.filter(pl.col("reason").is_null() & (pl.col("dma") != "Unknown"))
    .sort("rn").unique("device_id", keep="first", maintain_order=True)
    .filter(pl.col("dma") == pl.col("dma").min().over("household_id"))
    .filter(pl.col("zipcode").drop_nulls().n_unique().over("household_id") <= 1)
    .join(clean_demographics.select("household_id"), on="household_id", how="semi")
    .select("device_id", "dma", "household_id")
)

summary_parts = [
    programs.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len().alias("rows"))
    .with_columns(pl.lit("programs").alias("table")),
    demographics.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len().alias("rows"))
    .with_columns(pl.lit("demographics").alias("table")),
    reference.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len().alias("rows"))
    .with_columns(pl.lit("reference").alias("table")),
    viewing_reasons.with_columns(pl.lit("viewing").alias("table")),
]
for table, bad in [("programs", programs_bad), ("demographics", demographics_bad),
                   ("reference", reference_bad), ("viewing", viewing_bad)]:
    summary_parts.append(bad.filter(pl.col("n") > 0).select(
        "reason", pl.col("n").alias("rows"), pl.lit(table).alias("table")))
quarantine_summary = (
    pl.concat([p.select("table", "reason", pl.col("rows").cast(pl.Int64)) for p in summary_parts])
    .sort("table", "reason")
)

pairs, clean_demographics, cleaned, quarantine_summary = pl.collect_all(
    [pairs, clean_demographics, cleaned, quarantine_summary], engine="streaming")
pairs, demo, ref = pairs.lazy(), clean_demographics.lazy(), cleaned.lazy()

# T6
top_markets = (
    ref.group_by("dma").agg(pl.col("device_id").n_unique().cast(pl.Int64).alias("devices"),
                            pl.col("household_id").n_unique().cast(pl.Int64).alias("households"))
    .sort(["devices", "dma"], descending=[True, False]).head(10)
)

# T7
genres = (
    program_table.lazy().select("prog_code", pl.col("genre").str.split(",")).explode("genre")
    .with_columns(pl.col("genre").str.strip_chars()).filter(pl.col("genre") != "").unique()
)
genre_reach = (
    pairs.join(ref, on="device_id").join(genres, on="prog_code")
    .group_by("dma", "genre").agg(pl.len().cast(pl.Int64).alias("reach"))
    .sort(["dma", "reach", "genre"], descending=[False, True, False])
    .with_columns((pl.int_range(pl.len()).over("dma") + 1).cast(pl.Int64).alias("genre_rank"))
)

# T8
households = ref.select("dma", "household_id").unique().join(demo, on="household_id")
maxima = demo.select(pl.col("net_worth").max().alias("max_worth"), pl.col("income_level").max().alias("max_level"))
wealth = (
    households.group_by("dma").agg(
        pl.len().cast(pl.Int64).alias("households"),
        pl.col("net_worth").mean().alias("avg_net_worth"),
        pl.col("income_level").mean().alias("avg_income_level"),
    ).join(maxima, how="cross")
    .with_columns((pl.col("avg_net_worth") / pl.col("max_worth") + pl.col("avg_income_level") / pl.col("max_level"))
                  .alias("wealth_score"))
    .drop("max_worth", "max_level")
    .sort(["wealth_score", "dma"], descending=[True, False])
)

# T10
total = pairs.select(pl.col("device_id").n_unique().alias("total"))
program_popularity = (
    pairs.join(program_table.lazy(), on="prog_code").group_by("title")
    .agg(pl.col("device_id").n_unique().cast(pl.Int64).alias("devices"))
    .join(total, how="cross")
    .with_columns((100.0 * pl.col("devices") / pl.col("total")).alias("popularity_index"))
    .sort(["devices", "title"], descending=[True, False])
    .with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("rank"))
    .drop("total")
)

# T11
per_household = (
    ref.join(pairs.group_by("device_id").agg(pl.col("events").sum()), on="device_id", how="left")
    .group_by("dma", "household_id").agg(pl.col("events").fill_null(0).sum(), pl.len().alias("devices"))
    .join(demo, on="household_id")
)
with_income = pl.col("income_level").is_not_null()
x, y = pl.col("income_level").filter(with_income).cast(pl.Float64), pl.col("events").filter(with_income).cast(pl.Float64)
markets = (
    per_household.group_by("dma").agg(
        pl.len().cast(pl.Int64).alias("households"),
        pl.col("devices").sum().cast(pl.Int64).alias("devices"),
        (pl.col("events").sum() / pl.col("devices").sum()).alias("viewing_per_device"),
        pl.when((with_income.sum() >= 2) & (x.var(ddof=0) > 0) & (y.var(ddof=0) > 0))
        .then(pl.corr(x, y)).alias("income_viewing_corr"),
    )
    .filter(pl.col("households") >= 30)
    .join(wealth.select("dma", "wealth_score"), on="dma")
    .sort(["wealth_score", "dma"], descending=[True, False])
    .with_columns(pl.lit("ABCD").str.slice((4 * pl.int_range(pl.len()) // pl.len()), 1).alias("potential_grade"))
)

tables = {"top_markets": top_markets, "genre_reach": genre_reach,
          "top_genres": genre_reach.filter(pl.col("genre_rank") <= 5), "wealth": wealth,
          "program_popularity": program_popularity, "market_potential": markets}
results = dict(zip(tables, pl.collect_all(list(tables.values()))))

# T9: the ten wealthiest markets in turn, each taking its best 11 genres not taken.
taken, picks = set(), []
reach = results["genre_reach"]
for dma, score in results["wealth"].head(10).select("dma", "wealth_score").iter_rows():
    mine = [g for g in reach.filter(pl.col("dma") == dma)["genre"] if g not in taken][:11]
    taken.update(mine)
    picks.append((dma, score, ", ".join(mine)))
results["wealthy_market_genres"] = pl.DataFrame(picks, schema=["dma", "wealth_score", "genres"], orient="row")
results["quarantine_summary"] = quarantine_summary
results["program_clashes"] = program_clashes
for name, frame in results.items():
    frame.write_csv(f"{out}/{name}.csv")

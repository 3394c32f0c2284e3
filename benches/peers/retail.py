"""Retail R1-R8 in Python Polars (lazy), as a Polars user would write them: the peer
of `report --domain retail` in benches/peers.py. Usage: retail.py RAW OUT."""
import sys

import polars as pl

raw, out = sys.argv[1], sys.argv[2]

# R1: every field as text; a line's first failed check is its reason.
text = pl.scan_csv(f"{raw}/online_retail*.csv", infer_schema=False)
t = lambda c: pl.col(c).str.strip_chars()
date = t("InvoiceDate")
typed = text.select(
    pl.col("Invoice"),
    t("Quantity").alias("q_text"),
    t("Quantity").cast(pl.Int64, strict=False).alias("Quantity"),
    date.alias("d_text"),
    pl.coalesce(
        date.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
        date.str.strptime(pl.Datetime("us"), "%m/%d/%Y %H:%M", strict=False),
    ).alias("InvoiceDate"),
    t("Price").alias("p_text"),
    t("Price").cast(pl.Float64, strict=False).alias("Price"),
    t("Customer ID").alias("c_text"),
    t("Customer ID").cast(pl.Float64, strict=False).alias("customer"),
)
empty = lambda c: pl.col(c).is_null() | (pl.col(c) == "")
given = lambda c: pl.col(c).is_not_null() & (pl.col(c) != "")
checks = [
    (pl.col("Invoice").is_null() | (pl.col("Invoice").str.strip_chars() == ""), "Invoice|required"),
    (empty("q_text"), "Quantity|required"),
    (pl.col("Quantity").is_null(), "Quantity|dtype"),
    (pl.col("Quantity").abs() > 1_000_000, "Quantity|range"),
    (empty("d_text"), "InvoiceDate|required"),
    (pl.col("InvoiceDate").is_null(), "InvoiceDate|dtype"),
    (empty("p_text"), "Price|required"),
    (pl.col("Price").is_null() | pl.col("Price").is_nan(), "Price|dtype"),
    (pl.col("Price").abs() > 1_000_000, "Price|range"),
    (given("c_text") & pl.col("customer").is_null(), "Customer ID|dtype"),
    (given("c_text") & ~pl.col("c_text").str.contains(r"^\d+(\.0*)?$"), "Customer ID|regex"),
    ((pl.col("customer") < 0) | (pl.col("customer") > 1e15), "Customer ID|range"),
]
reason = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
for condition, name in checks[1:]:
    reason = reason.when(condition).then(pl.lit(name))
typed = typed.with_columns(reason.otherwise(None).alias("reason"))

summary = (
    typed.filter(pl.col("reason").is_not_null())
    .group_by("reason")
    .agg(pl.len().cast(pl.Int64).alias("rows"))
    .select(pl.lit("online_retail").alias("table"), "reason", "rows")
    .sort("reason")
)

# One row per invoice and month: lines, exact amount in 1/10000 units, last time.
im = (
    typed.filter(pl.col("reason").is_null())
    .group_by(
        "Invoice",
        (pl.col("InvoiceDate").dt.year() * 100 + pl.col("InvoiceDate").dt.month()).alias("yyyymm"),
        pl.col("customer").cast(pl.Int64).alias("customer_id"),
    )
    .agg(
        pl.len().cast(pl.Int64).alias("lines"),
        (pl.col("Quantity").cast(pl.Int128) * (pl.col("Price") * 10000).round().cast(pl.Int128))
        .sum()
        .alias("units"),
        pl.col("InvoiceDate").max().alias("last_at"),
    )
    .with_columns(pl.col("Invoice").str.starts_with("C").alias("cancelled"))
)
im, summary = pl.collect_all([im, summary])
summary.write_csv(f"{out}/quarantine_summary.csv")
lim = im.lazy()
amount = lambda units: (units.cast(pl.Float64) / 10000)

# R2
sizes = lim.group_by("Invoice").agg(pl.col("lines").sum().alias("n"))
# The 0.85 quantile as the inverted CDF: the smallest c with 85% of sizes <= c.
cut = sizes.select(pl.col("n").sort().get((pl.len() * 85 + 99) // 100 - 1).alias("c"))


def summarize(frame, scope):
    return frame.select(
        pl.lit(scope).alias("scope"),
        pl.len().cast(pl.Int64).alias("invoices"),
        pl.col("n").min().cast(pl.Int64).alias("min"),
        pl.col("n").max().cast(pl.Int64).alias("max"),
        pl.col("n").median().alias("median"),
        pl.col("n").mode().min().cast(pl.Int64).alias("mode"),
        pl.col("n").mean().alias("mean"),
    )


trimmed = sizes.join(cut, how="cross").filter(pl.col("n") <= pl.col("c"))
invoice_size = pl.concat([summarize(sizes, "all"), summarize(trimmed, "trimmed")])

# R3, R4
placed = ~pl.col("cancelled")
monthly_orders = (
    lim.group_by("yyyymm")
    .agg(
        pl.col("Invoice").filter(placed).n_unique().cast(pl.Int64).alias("placed"),
        pl.col("Invoice").filter(pl.col("cancelled")).n_unique().cast(pl.Int64).alias("cancelled"),
    )
    .sort("yyyymm")
)
sales = lim.group_by("yyyymm").agg(pl.col("units").sum())
previous = sales.select(
    pl.when(pl.col("yyyymm") % 100 == 12)
    .then(pl.col("yyyymm") + 89)
    .otherwise(pl.col("yyyymm") + 1)
    .alias("yyyymm"),
    pl.col("units").alias("previous"),
)
monthly_sales = (
    sales.join(previous, on="yyyymm", how="left")
    .select(
        "yyyymm",
        amount(pl.col("units")).alias("sales"),
        pl.when(pl.col("previous") != 0)
        .then(
            (pl.col("units") - pl.col("previous")).cast(pl.Float64)
            / pl.col("previous").cast(pl.Float64)
            * 100
        )
        .alias("growth_pct"),
    )
    .sort("yyyymm")
)

# R5, R6
active = lim.filter(placed & pl.col("customer_id").is_not_null()).select("customer_id", "yyyymm").unique()
firsts = active.group_by("customer_id").agg(pl.col("yyyymm").min().alias("cohort"))
months = lim.select("yyyymm").unique()
monthly_customers = (
    months.join(active.group_by("yyyymm").agg(pl.len().cast(pl.Int64).alias("active")), on="yyyymm", how="left")
    .join(
        firsts.group_by("cohort").agg(pl.len().cast(pl.Int64).alias("new")).rename({"cohort": "yyyymm"}),
        on="yyyymm",
        how="left",
    )
    .with_columns(pl.col("active", "new").fill_null(0))
    .with_columns((pl.col("active") - pl.col("new")).alias("existing"))
    .sort("yyyymm")
)
index = lambda m: (m // 100) * 12 + m % 100
last = lim.select(pl.col("yyyymm").max().alias("last"))
cohort_sizes = firsts.group_by("cohort").agg(pl.len().alias("size"))
grid = (
    cohort_sizes.join(last, how="cross")
    .with_columns(pl.int_ranges(0, index(pl.col("last")) - index(pl.col("cohort")) + 1).alias("month_offset"))
    .explode("month_offset")
)
counts = (
    active.join(firsts, on="customer_id")
    .with_columns((index(pl.col("yyyymm")) - index(pl.col("cohort"))).alias("month_offset"))
    .group_by("cohort", "month_offset")
    .agg(pl.len().cast(pl.Int64).alias("customers"))
)
cohort_retention = (
    grid.join(counts, on=["cohort", "month_offset"], how="left")
    .with_columns(pl.col("customers").fill_null(0))
    .select(
        "cohort",
        pl.col("month_offset").cast(pl.Int64),
        "customers",
        (pl.col("customers") / pl.col("size")).alias("retention"),
    )
    .sort("cohort", "month_offset")
)

# R7, R8
ref_date = lim.select((pl.col("last_at").max().dt.date() + pl.duration(days=1)).alias("ref"))
customers = (
    lim.filter(pl.col("customer_id").is_not_null())
    .group_by("customer_id")
    .agg(
        pl.col("last_at").filter(placed).max().alias("last_placed"),
        pl.col("Invoice").filter(placed).n_unique().cast(pl.Int64).alias("frequency"),
        pl.col("units").sum(),
    )
    .filter(pl.col("frequency") > 0)
    .join(ref_date, how="cross")
    .sort("customer_id")
)
def quintile(by):
    # SQL ntile(5): with n rows the first n mod 5 groups hold one row more.
    position = pl.struct(by, "customer_id").rank("ordinal") - 1
    n = pl.len()
    size, extra = n // 5, n % 5
    big = extra * (size + 1)
    return (
        pl.when(position < big)
        .then(position // (size + 1))
        .otherwise(extra + (position - big) // pl.max_horizontal(size, 1))
        + 1
    ).cast(pl.Int64)


segments = [
    ("[1-2][1-2]", "Hibernating"), ("[1-2][3-4]", "At Risk"), ("[1-2]5", "Can't Lose"),
    ("3[1-2]", "About to Sleep"), ("33", "Need Attention"), ("[3-4][4-5]", "Loyal Customers"),
    ("41", "Promising"), ("51", "New Customers"), ("[4-5][2-3]", "Potential Loyalists"),
    ("5[4-5]", "Champions"),
]
code = pl.col("r_score").cast(pl.String) + pl.col("f_score").cast(pl.String)
segment = pl.when(code.str.contains(f"^{segments[0][0]}$")).then(pl.lit(segments[0][1]))
for pattern, name in segments[1:]:
    segment = segment.when(code.str.contains(f"^{pattern}$")).then(pl.lit(name))
rfm = (
    customers.with_columns(
        (pl.col("ref") - pl.col("last_placed").dt.date()).dt.total_days().cast(pl.Int64).alias("recency_days"),
    )
    .with_columns(
        (6 - quintile("recency_days")).alias("r_score"),
        quintile("frequency").alias("f_score"),
        quintile("units").alias("m_score"),
    )
    .with_columns(segment.otherwise(pl.lit("Unknown")).alias("segment"))
    .select(
        "customer_id", "recency_days", "frequency", amount(pl.col("units")).alias("monetary"),
        "r_score", "f_score", "m_score", "segment", "units",
    )
)
rfm_segments = (
    rfm.group_by("segment")
    .agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("recency_days").mean().alias("avg_recency_days"),
        pl.col("frequency").mean().alias("avg_frequency"),
        (pl.col("units").sum().cast(pl.Float64) / 10000 / pl.len()).alias("avg_monetary"),
    )
    .sort(["customers", "segment"], descending=[True, False])
)
tables = {
    "invoice_size": invoice_size,
    "monthly_orders": monthly_orders,
    "monthly_sales": monthly_sales,
    "monthly_customers": monthly_customers,
    "cohort_retention": cohort_retention,
    "rfm": rfm.drop("units").sort("customer_id"),
    "rfm_segments": rfm_segments,
}
for name, frame in zip(tables, pl.collect_all(list(tables.values()))):
    frame.write_csv(f"{out}/{name}.csv")

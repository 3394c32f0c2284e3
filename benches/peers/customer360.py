"""Customer 360 C1-C12 in Python Polars (lazy), as a Polars user would write them: the
peer of `report --domain customer360` in benches/peers.py. Usage: customer360.py RAW
OUT. The trend compares the last two months present."""
import glob
import sys

import polars as pl

raw, out = sys.argv[1], sys.argv[2]
TYPES = ["Truyen_hinh", "Phim_truyen", "The_thao", "Giai_tri", "Thieu_nhi"]
APPS = {"CHANNEL": "Truyen_hinh", "DSHD": "Truyen_hinh", "KPLUS": "Truyen_hinh", "VOD": "Phim_truyen",
        "FIMS": "Phim_truyen", "SPORT": "The_thao", "RELAX": "Giai_tri", "CHILD": "Thieu_nhi"}


def reasons(checks):
    expr = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, reason in checks[1:]:
        expr = expr.when(condition).then(pl.lit(reason))
    return expr.otherwise(None).alias("reason")


def blank(name):
    return pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")


# C1: each line of the daily NDJSON files, decoded to the fields used (as text); the
# date from the file name. A line that is not one whole object is invalid JSON.
files = sorted(glob.glob(f"{raw}/content/*.json"))
lines = pl.scan_csv(files, has_header=False, separator="\x01", quote_char=None, infer_schema=False,
                    new_columns=["line"], include_file_paths="file")
content = (
    lines.with_columns(
        pl.col("file").str.extract(r"([0-9]{8})\.json$").str.strptime(pl.Date, "%Y%m%d").alias("day"),
        pl.col("line").str.contains(r'^\s*\{.*\}\s*$').alias("ok"),
    )
)
source = pl.Struct({"AppName": pl.String, "Contract": pl.String, "Mac": pl.String, "TotalDuration": pl.String})
fields = pl.when(pl.col("ok")).then(pl.col("line")).str.json_decode(pl.Struct({"_source": source})).struct.field("_source")
content = content.with_columns(fields.alias("f")).with_columns(
    *[pl.col("f").struct.field(field).str.strip_chars().alias(name)
      for field, name in [("AppName", "app"), ("Contract", "contract"), ("Mac", "mac"), ("TotalDuration", "duration")]]
).with_columns(reasons([
    (~pl.col("ok"), "layout|invalid_json"),
    (blank("app"), "AppName|required"), (~pl.col("app").is_in(list(APPS)), "AppName|one_of"),
    (blank("contract"), "Contract|required"), (pl.col("contract") == "0", "Contract|none_of"),
    (blank("mac"), "Mac|required"), (blank("duration"), "TotalDuration|required"),
    (~pl.col("duration").str.contains(r"^[+-]?[0-9]+$"), "TotalDuration|dtype"),
    ((pl.col("duration").cast(pl.Int64, strict=False) < 0)
     | (pl.col("duration").cast(pl.Int64, strict=False) > 366 * 86400), "TotalDuration|range"),
]))

# C8
persian, arabic = "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"
dt = pl.col("datetime")
for i in range(10):
    dt = dt.str.replace_all(persian[i], str(i), literal=True).str.replace_all(arabic[i], str(i), literal=True)
search = (
    pl.scan_parquet(f"{raw}/search/*/*.parquet")
    .select(dt.str.strip_chars().alias("dt"), "user_id", pl.col("keyword").str.strip_chars())
    .with_columns(
        pl.when(pl.col("dt").str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?$"))
        .then(pl.coalesce(pl.col("dt").str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S%.f", strict=False),
                          pl.col("dt").str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False),
                          pl.col("dt").str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime)))
        .alias("at")
    )
    .with_columns(reasons([
        (blank("dt"), "datetime|required"), (pl.col("at").is_null(), "datetime|dtype"),
        (blank("user_id"), "user_id|required"), (blank("keyword"), "keyword|required"),
    ]), (pl.col("at").dt.year() * 100 + pl.col("at").dt.month()).alias("month"))
)
mapping = (
    pl.read_excel(f"{raw}/mapping.xlsx").lazy()
    .select(pl.col("search").cast(pl.String).str.strip_chars(), pl.col("category").cast(pl.String))
    .with_columns(reasons([(blank("search"), "search|required"), (blank("category"), "category|required")]))
)
link = (
    pl.scan_csv(f"{raw}/contract_users.csv", infer_schema=False)
    .select(pl.col("contract").str.strip_chars(), pl.col("user_id").str.strip_chars())
    .with_columns(reasons([(blank("contract"), "contract|required"), (blank("user_id"), "user_id|required")]))
)
summary = pl.concat([
    frame.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len().cast(pl.Int64).alias("rows"))
    .select(pl.lit(name).alias("table"), "reason", "rows")
    for name, frame in [("content", content), ("search", search), ("mapping", mapping), ("contract_users", link)]
]).sort("table", "reason")

# C2-C7
valid = content.filter(pl.col("reason").is_null()).select(
    "day", "contract", "mac", pl.col("duration").cast(pl.Int64), pl.col("app").replace_strict(APPS).alias("type"))
totals = valid.group_by("contract").agg(
    *[pl.col("duration").filter(pl.col("type") == t).sum().alias(f"Total_{t}") for t in TYPES],
    pl.col("duration").sum().alias("total_duration"),
    pl.col("mac").n_unique().cast(pl.Int64).alias("total_devices"),
    pl.col("day").n_unique().cast(pl.Int64).alias("active_days"),
)
top = (
    search.filter(pl.col("reason").is_null())
    .group_by("month", "user_id", "keyword").agg(pl.len().cast(pl.Int64).alias("searches"))
    .sort(["searches", "keyword"], descending=[True, False])
    .group_by("month", "user_id").first()
    .join(mapping.filter(pl.col("reason").is_null()).unique("search", keep="first", maintain_order=True)
          .select("search", "category"), left_on="keyword", right_on="search", how="left")
    .with_columns(pl.col("category").fill_null("Unmapped"))
    .select("month", "user_id", "keyword", "searches", "category")
    .sort("month", "user_id")
)
period = valid.select((pl.col("day").max() - pl.col("day").min()).dt.total_days() + 1)
totals, top, period, summary, link = pl.collect_all([totals, top, period, summary, link], engine="streaming")
days = period.item()
bounds = [7, 14, 21, 28] if days <= 31 else [-(-b * days // 31) for b in [7, 14, 21, 28]]

columns = [pl.col(f"Total_{t}") for t in TYPES]
best = pl.max_horizontal(columns)
most_watch = pl.when(columns[0] == best).then(pl.lit(TYPES[0]))
for t, c in zip(TYPES[1:], columns[1:]):
    most_watch = most_watch.when(c == best).then(pl.lit(t))
taste = pl.concat_list([pl.when(c != 0).then(pl.lit(t)) for t, c in zip(TYPES, columns)]).list.drop_nulls().list.join("-")
days_ = pl.col("active_days")
activeness = (pl.when(days_ <= bounds[0]).then(pl.lit("very low")).when(days_ <= bounds[1]).then(pl.lit("low"))
              .when(days_ <= bounds[2]).then(pl.lit("moderate")).when(days_ <= bounds[3]).then(pl.lit("high"))
              .otherwise(pl.lit("very high")))
profile = totals.with_columns(most_watch.alias("most_watch"), taste.alias("customer_taste"),
                              activeness.alias("activeness"))
ordered = profile["total_duration"].sort()
n = len(ordered)
q1, median = ordered[(n + 3) // 4 - 1], ordered[(n + 1) // 2 - 1]
total, level = pl.col("total_duration"), pl.col("activeness")
customer_type = (
    pl.when((level == "very low") & (total < q1)).then(pl.lit("leaving"))
    .when((level == "low") & (total < median)).then(pl.lit("need attention"))
    .when((level == "moderate") & (total < median)).then(pl.lit("normal"))
    .when((level == "moderate") & (total >= median)).then(pl.lit("potential"))
    .when((level == "high") & (total > q1)).then(pl.lit("loyal"))
    .when((level == "very high") & (total > q1)).then(pl.lit("VIP"))
    .otherwise(pl.lit("anomaly"))
)
profile = profile.with_columns(customer_type.alias("customer_type")).select(
    "contract", *[f"Total_{t}" for t in TYPES], "total_duration", "total_devices", "most_watch",
    "customer_taste", "active_days", "activeness", "customer_type").sort("contract")
segment_summary = (
    profile.group_by("customer_type").agg(pl.len().cast(pl.Int64).alias("customers"),
                                          pl.col("total_duration").mean().alias("avg_total_duration"))
    .sort("customer_type")
)

# C11, C12
months = top["month"].unique().sort()
if len(months) >= 2:
    m1, m2 = months[-2], months[-1]
    a = top.filter(pl.col("month") == m1).select("user_id", pl.col("keyword").alias("keyword_m1"),
                                                 pl.col("category").alias("category_m1"))
    b = top.filter(pl.col("month") == m2).select("user_id", pl.col("keyword").alias("keyword_m2"),
                                                 pl.col("category").alias("category_m2"))
    same = pl.col("category_m1") == pl.col("category_m2")
    trend = (
        a.join(b, on="user_id")
        .select("user_id", "keyword_m1", "keyword_m2", "category_m1", "category_m2",
                pl.when(same).then(pl.lit("Unchanged")).otherwise(pl.lit("Changed")).alias("trending_type"),
                pl.when(same).then(pl.lit("Unchanged"))
                .otherwise(pl.col("category_m1") + " -> " + pl.col("category_m2")).alias("previous"))
        .sort("user_id")
    )
else:
    trend = pl.DataFrame(schema={c: pl.String for c in ["user_id", "keyword_m1", "keyword_m2", "category_m1",
                                                        "category_m2", "trending_type", "previous"]})
customer_360 = (
    link.filter(pl.col("reason").is_null()).select("contract", "user_id")
    .join(profile, on="contract").join(trend, on="user_id", how="left")
    .sort("contract", "user_id")
)
for name, frame in {"quarantine_summary": summary, "customer_profile": profile,
                    "segment_summary": segment_summary, "search_top_keyword": top,
                    "search_trend": trend, "customer_360": customer_360}.items():
    frame.write_csv(f"{out}/{name}.csv")

"""WDI W1-W4 in Python Polars (lazy), as a Polars user would write them: the peer of
`report --domain wdi` in benches/peers.py, for Canada's GDP growth. Usage: wdi.py RAW
OUT."""
import glob
import sys

import polars as pl

raw, out = sys.argv[1], sys.argv[2]
INDICATOR, COUNTRY = "NY.GDP.MKTP.KD.ZG", "Canada"

# W1: the World Bank's wide file unpivoted, empty values dropped, bad ones left out.
wide = pl.scan_csv(glob.glob(f"{raw}/WDIData*.csv"), infer_schema=False)
years = [c for c in wide.collect_schema().names() if c.isdigit() and len(c) == 4]
keys = {"Country Name": "countryName", "Country Code": "countryCode",
        "Indicator Name": "indicatorName", "Indicator Code": "indicatorCode"}
value = pl.col("v").str.strip_chars().cast(pl.Float64, strict=False)
wdi = (
    wide.unpivot(index=list(keys), on=years, variable_name="year", value_name="v")
    .rename(keys)
    .filter(value.is_finite() & pl.col("countryName").is_not_null()
            & pl.col("countryCode").is_not_null() & pl.col("indicatorCode").is_not_null())
    .select(pl.col("year").cast(pl.Int32), "countryName", "countryCode", value.alias("value"),
            "indicatorCode", "indicatorName")
)
# W5: the long table kept for SQL, as SmartView keeps it (Parquet); the rules read it.
wdi.sink_parquet(f"{out}/wdi.parquet")
wdi = pl.scan_parquet(f"{out}/wdi.parquet")
indicator = wdi.filter((pl.col("indicatorCode") == INDICATOR) | (pl.col("indicatorName") == INDICATOR))
country_series = (
    indicator.filter((pl.col("countryName") == COUNTRY) | (pl.col("countryCode") == COUNTRY))
    .select("year", "value")
    .sort("year")
)
indicator_panel = indicator.select("countryName", "year", "value").sort("countryName", "year")
peak_year = (
    indicator.filter(pl.col("value") != 0)
    .sort(["value", "year"], descending=[True, False])
    .group_by("countryName")
    .first()
    .select("countryName", "year", "value")
    .sort(["value", "countryName"], descending=[True, False])
)
tables = {"country_series": country_series, "indicator_panel": indicator_panel,
          "peak_year": peak_year}
for name, frame in zip(tables, pl.collect_all(list(tables.values()))):
    frame.write_csv(f"{out}/{name}.csv")

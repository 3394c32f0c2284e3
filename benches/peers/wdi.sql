-- WDI W1–W4 in DuckDB SQL, as a DuckDB user would write them: the peer of
-- `report --domain wdi` in benches/peers.py, for Canada's GDP growth. {raw} and {out}
-- are replaced by the driver.
SET preserve_insertion_order = false;

-- W1: the World Bank's wide file unpivoted, empty values dropped, bad ones left out.
CREATE TEMP TABLE wdi AS
SELECT CAST(year AS INTEGER) AS year, "Country Name" AS countryName,
       "Country Code" AS countryCode, "Indicator Name" AS indicatorName,
       "Indicator Code" AS indicatorCode, TRY_CAST(trim(v) AS DOUBLE) AS indicatorValue
FROM (UNPIVOT (SELECT * FROM read_csv('{raw}/WDIData*.csv', header = true, all_varchar = true))
      ON COLUMNS('^[0-9]{4}$') INTO NAME year VALUE v)
WHERE trim(v) <> '' AND isfinite(TRY_CAST(trim(v) AS DOUBLE))
  AND "Country Name" IS NOT NULL AND "Country Code" IS NOT NULL AND "Indicator Code" IS NOT NULL;

-- W5: the long table kept for SQL, as SmartView keeps it (Parquet).
COPY wdi TO '{out}/wdi.parquet';

CREATE TEMP TABLE indicator AS
SELECT countryName, countryCode, year, indicatorValue AS value FROM wdi
WHERE indicatorCode = 'NY.GDP.MKTP.KD.ZG' OR indicatorName = 'NY.GDP.MKTP.KD.ZG';

COPY (SELECT year, value FROM indicator WHERE countryName = 'Canada' OR countryCode = 'Canada'
      ORDER BY year) TO '{out}/country_series.csv';
COPY (SELECT countryName, year, value FROM indicator ORDER BY countryName, year)
TO '{out}/indicator_panel.csv';
COPY (SELECT countryName, arg_min(year, (-value, year)) AS year, max(value) AS value
      FROM indicator WHERE value <> 0 GROUP BY countryName
      ORDER BY value DESC, countryName) TO '{out}/peak_year.csv';

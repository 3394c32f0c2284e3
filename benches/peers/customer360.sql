-- Customer 360 C1–C12 in DuckDB SQL, as a DuckDB user would write them: the peer of
-- `report --domain customer360` in benches/peers.py. {raw}, {mapping} (a CSV copy of
-- mapping.xlsx: DuckDB's Excel extension cannot be installed offline) and {out} are
-- replaced by the driver. The trend compares the last two months present.
SET preserve_insertion_order = false;
CREATE MACRO blank(t) AS t IS NULL OR trim(t) = '';

-- C1: each line of the daily NDJSON files; the date from the file name.
CREATE TEMP TABLE content AS
WITH lines AS (
    SELECT strptime(regexp_extract(filename, '([0-9]{8})\.json$', 1), '%Y%m%d')::DATE AS day, line
    FROM read_csv('{raw}/content/*.json', columns = {'line': 'VARCHAR'}, header = false,
                  delim = chr(1), quote = '', escape = '', filename = true)
), docs AS (
    SELECT day, json_valid(line) AS ok, CASE WHEN json_valid(line) THEN line END AS doc FROM lines
), fields AS (
    SELECT day, ok,
           trim(doc->>'$._source.AppName') AS app, trim(doc->>'$._source.Contract') AS contract,
           trim(doc->>'$._source.Mac') AS mac, trim(doc->>'$._source.TotalDuration') AS duration
    FROM docs
)
SELECT day, app, contract, mac, TRY_CAST(duration AS BIGINT) AS duration, CASE
        WHEN NOT ok THEN 'layout|invalid_json'
        WHEN blank(app) THEN 'AppName|required'
        WHEN app NOT IN ('CHANNEL', 'DSHD', 'KPLUS', 'VOD', 'FIMS', 'SPORT', 'RELAX', 'CHILD') THEN 'AppName|one_of'
        WHEN blank(contract) THEN 'Contract|required'
        WHEN contract = '0' THEN 'Contract|none_of'
        WHEN blank(mac) THEN 'Mac|required'
        WHEN blank(duration) THEN 'TotalDuration|required'
        WHEN NOT regexp_full_match(duration, '[+-]?[0-9]+') THEN 'TotalDuration|dtype'
        WHEN TRY_CAST(duration AS BIGINT) NOT BETWEEN 0 AND 366 * 86400 THEN 'TotalDuration|range'
    END AS reason
FROM fields;

-- C8: search rows; Persian and Arabic-Indic digits made ASCII before parsing.
CREATE TEMP TABLE search AS
WITH search_rows AS (
    SELECT translate(datetime, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789') AS dt,
           user_id, trim(keyword) AS keyword
    FROM read_parquet('{raw}/search/*/*.parquet')
), parsed AS (
    SELECT *, CASE WHEN regexp_full_match(trim(dt), '[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?')
                   THEN TRY_CAST(trim(dt) AS TIMESTAMP) END AS parsed_at
    FROM search_rows
)
SELECT user_id, keyword, year(parsed_at) * 100 + month(parsed_at) AS month, CASE
        WHEN blank(dt) THEN 'datetime|required'
        WHEN parsed_at IS NULL THEN 'datetime|dtype'
        WHEN blank(user_id) THEN 'user_id|required'
        WHEN blank(keyword) THEN 'keyword|required'
    END AS reason
FROM parsed;

CREATE TEMP TABLE mapping_rows AS
SELECT row_number() OVER () AS rn, trim(search) AS search, category,
       CASE WHEN blank(search) THEN 'search|required' WHEN blank(category) THEN 'category|required' END AS reason
FROM read_csv('{mapping}', header = true, all_varchar = true);
CREATE TEMP TABLE link AS
SELECT trim(contract) AS contract, trim(user_id) AS user_id,
       CASE WHEN blank(contract) THEN 'contract|required' WHEN blank(user_id) THEN 'user_id|required' END AS reason
FROM read_csv('{raw}/contract_users.csv', header = true, all_varchar = true);

COPY (
    SELECT * FROM (
        SELECT 'content' AS "table", reason, count(*) AS rows FROM content WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'search', reason, count(*) FROM search WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'mapping', reason, count(*) FROM mapping_rows WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'contract_users', reason, count(*) FROM link WHERE reason IS NOT NULL GROUP BY ALL
    ) ORDER BY "table", reason
) TO '{out}/quarantine_summary.csv';

-- C2–C7
CREATE TEMP TABLE profile AS
WITH valid AS (
    SELECT day, contract, mac, duration, CASE
        WHEN app IN ('CHANNEL', 'DSHD', 'KPLUS') THEN 'Truyen_hinh' WHEN app IN ('VOD', 'FIMS') THEN 'Phim_truyen'
        WHEN app = 'SPORT' THEN 'The_thao' WHEN app = 'RELAX' THEN 'Giai_tri' ELSE 'Thieu_nhi' END AS type
    FROM content WHERE reason IS NULL
), period AS (SELECT max(day) - min(day) + 1 AS days FROM valid),
totals AS (
    SELECT contract,
           coalesce(sum(duration) FILTER (type = 'Truyen_hinh'), 0) AS Total_Truyen_hinh,
           coalesce(sum(duration) FILTER (type = 'Phim_truyen'), 0) AS Total_Phim_truyen,
           coalesce(sum(duration) FILTER (type = 'The_thao'), 0) AS Total_The_thao,
           coalesce(sum(duration) FILTER (type = 'Giai_tri'), 0) AS Total_Giai_tri,
           coalesce(sum(duration) FILTER (type = 'Thieu_nhi'), 0) AS Total_Thieu_nhi,
           sum(duration) AS total_duration, count(DISTINCT mac) AS total_devices,
           count(DISTINCT day) AS active_days
    FROM valid GROUP BY contract
), named AS (
    SELECT *,
        [Total_Truyen_hinh, Total_Phim_truyen, Total_The_thao, Total_Giai_tri, Total_Thieu_nhi] AS t,
        ['Truyen_hinh', 'Phim_truyen', 'The_thao', 'Giai_tri', 'Thieu_nhi'] AS names
    FROM totals
), scaled AS (
    SELECT named.*, CASE WHEN days > 31 THEN [ceil(b * days / 31) FOR b IN [7, 14, 21, 28]] ELSE [7, 14, 21, 28] END AS bound
    FROM named, period
), levels AS (
    SELECT * EXCLUDE (t, names, bound),
        names[list_position(t, list_max(t))] AS most_watch,
        array_to_string(list_filter(names, lambda n, i: t[i] <> 0), '-') AS customer_taste,
        CASE WHEN active_days <= bound[1] THEN 'very low' WHEN active_days <= bound[2] THEN 'low'
             WHEN active_days <= bound[3] THEN 'moderate' WHEN active_days <= bound[4] THEN 'high'
             ELSE 'very high' END AS activeness
    FROM scaled
), quartiles AS (
    SELECT max(total_duration) FILTER (i = (n + 3) // 4) AS q1, max(total_duration) FILTER (i = (n + 1) // 2) AS median
    FROM (SELECT total_duration, row_number() OVER (ORDER BY total_duration) AS i, count(*) OVER () AS n FROM levels)
)
SELECT levels.*, CASE
        WHEN activeness = 'very low' AND total_duration < q1 THEN 'leaving'
        WHEN activeness = 'low' AND total_duration < median THEN 'need attention'
        WHEN activeness = 'moderate' AND total_duration < median THEN 'normal'
        WHEN activeness = 'moderate' AND total_duration >= median THEN 'potential'
        WHEN activeness = 'high' AND total_duration > q1 THEN 'loyal'
        WHEN activeness = 'very high' AND total_duration > q1 THEN 'VIP'
        ELSE 'anomaly' END AS customer_type
FROM levels, quartiles;
COPY (SELECT contract, Total_Truyen_hinh, Total_Phim_truyen, Total_The_thao, Total_Giai_tri,
             Total_Thieu_nhi, total_duration, total_devices, most_watch, customer_taste,
             active_days, activeness, customer_type
      FROM profile ORDER BY contract) TO '{out}/customer_profile.csv';
COPY (SELECT customer_type, count(*) AS customers, avg(total_duration) AS avg_total_duration
      FROM profile GROUP BY ALL ORDER BY customer_type) TO '{out}/segment_summary.csv';

-- C9, C10
CREATE TEMP TABLE top AS
WITH counted AS (
    SELECT month, user_id, keyword, count(*) AS searches FROM search WHERE reason IS NULL GROUP BY ALL
), mapping AS (
    SELECT search, arg_min(category, rn) AS category FROM mapping_rows WHERE reason IS NULL GROUP BY search
)
SELECT month, user_id, keyword, searches, coalesce(category, 'Unmapped') AS category
FROM (SELECT month, user_id, arg_min(keyword, (-searches, keyword)) AS keyword, max(searches) AS searches
      FROM counted GROUP BY month, user_id) LEFT JOIN mapping ON mapping.search = keyword;
COPY (SELECT * FROM top ORDER BY month, user_id) TO '{out}/search_top_keyword.csv';

-- C11: the last two months present.
CREATE TEMP TABLE trend AS
WITH months AS (SELECT DISTINCT month FROM top ORDER BY month DESC LIMIT 2),
m AS (SELECT min(month) AS m1, max(month) AS m2, count(*) AS n FROM months)
SELECT a.user_id, a.keyword AS keyword_m1, b.keyword AS keyword_m2, a.category AS category_m1,
       b.category AS category_m2,
       CASE WHEN a.category = b.category THEN 'Unchanged' ELSE 'Changed' END AS trending_type,
       CASE WHEN a.category = b.category THEN 'Unchanged' ELSE a.category || ' -> ' || b.category END AS previous
FROM m JOIN top a ON a.month = m.m1 JOIN top b ON b.month = m.m2 AND b.user_id = a.user_id
WHERE m.n = 2;
COPY (SELECT * FROM trend ORDER BY user_id) TO '{out}/search_trend.csv';

-- C12
COPY (
    SELECT l.contract, l.user_id, Total_Truyen_hinh, Total_Phim_truyen, Total_The_thao,
           Total_Giai_tri, Total_Thieu_nhi, total_duration, total_devices, most_watch,
           customer_taste, active_days, activeness, customer_type, t.* EXCLUDE (user_id)
    FROM link l JOIN profile p ON p.contract = l.contract LEFT JOIN trend t ON t.user_id = l.user_id
    WHERE l.reason IS NULL ORDER BY l.contract, l.user_id
) TO '{out}/customer_360.csv';

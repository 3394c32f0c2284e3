-- TV T1–T11 in DuckDB SQL, as a DuckDB user would write them: the peer of
-- `report --domain tv` in benches/peers.py. {raw} and {out} are replaced by the
-- driver. "First" means first in file order: the reads keep insertion order.

-- T1: every field as text; lines with the wrong number of fields or bytes that are
-- not UTF-8 are the reader's rejects; a row's first failed check is its reason.
CREATE TEMP TABLE programs_raw AS
SELECT row_number() OVER () AS rn, * FROM read_csv('{raw}/programs*.txt', delim = '|', header = false,
    quote = '"', escape = '"', all_varchar = true, store_rejects = true,
    rejects_table = 'programs_rejects', rejects_scan = 'programs_scans',
    columns = {'prog_code': 'VARCHAR', 'title': 'VARCHAR', 'genre': 'VARCHAR',
               'air_date': 'VARCHAR', 'air_time': 'VARCHAR', 'duration': 'VARCHAR'});
CREATE TEMP TABLE demographics_raw AS
SELECT row_number() OVER () AS rn, trim(column00) AS household_id, trim(column01) AS household_size,
       trim(column02) AS num_adults, trim(column19) AS net_worth, trim(column20) AS income
FROM read_csv('{raw}/demographics*.txt', delim = '|', header = false, quote = '"', escape = '"',
    all_varchar = true, store_rejects = true, rejects_table = 'demographics_rejects',
    rejects_scan = 'demographics_scans', null_padding = false,
    columns = {'column00': 'VARCHAR', 'column01': 'VARCHAR', 'column02': 'VARCHAR', 'column03': 'VARCHAR', 'column04': 'VARCHAR',
               'column05': 'VARCHAR', 'column06': 'VARCHAR', 'column07': 'VARCHAR', 'column08': 'VARCHAR', 'column09': 'VARCHAR',
               'column10': 'VARCHAR', 'column11': 'VARCHAR', 'column12': 'VARCHAR', 'column13': 'VARCHAR', 'column14': 'VARCHAR',
               'column15': 'VARCHAR', 'column16': 'VARCHAR', 'column17': 'VARCHAR', 'column18': 'VARCHAR', 'column19': 'VARCHAR',
               'column20': 'VARCHAR', 'column21': 'VARCHAR', 'column22': 'VARCHAR', 'column23': 'VARCHAR', 'column24': 'VARCHAR',
               'column25': 'VARCHAR', 'column26': 'VARCHAR', 'column27': 'VARCHAR', 'column28': 'VARCHAR', 'column29': 'VARCHAR',
               'column30': 'VARCHAR', 'column31': 'VARCHAR', 'column32': 'VARCHAR', 'column33': 'VARCHAR', 'column34': 'VARCHAR',
               'column35': 'VARCHAR', 'column36': 'VARCHAR', 'column37': 'VARCHAR', 'column38': 'VARCHAR', 'column39': 'VARCHAR',
               'column40': 'VARCHAR', 'column41': 'VARCHAR', 'column42': 'VARCHAR', 'column43': 'VARCHAR', 'column44': 'VARCHAR'});
CREATE TEMP TABLE reference_raw AS
SELECT row_number() OVER () AS rn, trim(device_id) AS device_id, trim(dma) AS dma,
       trim(household_id) AS household_id, trim(zipcode) AS zipcode
FROM read_csv('{raw}/reference*.csv', header = true, all_varchar = true, store_rejects = true,
    rejects_table = 'reference_rejects', rejects_scan = 'reference_scans');

CREATE MACRO missing(t) AS t IS NULL OR trim(t) = '';
CREATE MACRO is_int(t) AS regexp_full_match(trim(t), '[+-]?[0-9]+');
CREATE MACRO hms(t) AS CASE WHEN regexp_full_match(trim(t), '[0-9]{1,6}')
    AND TRY_CAST(trim(t) AS INTEGER) // 10000 < 24 AND TRY_CAST(trim(t) AS INTEGER) // 100 % 100 < 60
    AND TRY_CAST(trim(t) AS INTEGER) % 100 < 60 THEN TRY_CAST(trim(t) AS INTEGER) END;
CREATE MACRO ymd(t) AS CASE WHEN regexp_full_match(trim(t), '[0-9]{8}')
    THEN CAST(try_strptime(trim(t), '%Y%m%d') AS DATE) END;

CREATE TEMP TABLE programs_checked AS
SELECT rn, trim(prog_code) AS prog_code, trim(title) AS title, trim(genre) AS genre,
       ymd(air_date) AS air_date, hms(air_time) AS air_time,
       CASE
           WHEN missing(prog_code) THEN 'prog_code|required'
           WHEN missing(title) THEN 'title|required'
           WHEN missing(genre) THEN 'genre|required'
           WHEN missing(air_date) THEN 'air_date|required'
           WHEN ymd(air_date) IS NULL THEN 'air_date|dtype'
           WHEN missing(air_time) THEN 'air_time|required'
           WHEN hms(air_time) IS NULL THEN 'air_time|dtype'
           WHEN NOT missing(duration) AND TRY_CAST(trim(duration) AS DOUBLE) IS NULL THEN 'duration|dtype'
           WHEN TRY_CAST(trim(duration) AS DOUBLE) NOT BETWEEN 0 AND 10080 THEN 'duration|range'
       END AS reason
FROM programs_raw;
CREATE TEMP TABLE demographics_checked AS
SELECT rn, household_id, TRY_CAST(net_worth AS BIGINT) AS net_worth, income,
       CASE
           WHEN missing(household_id) THEN 'household_id|required'
           WHEN NOT missing(household_size) AND NOT is_int(household_size) THEN 'household_size|dtype'
           WHEN TRY_CAST(household_size AS BIGINT) NOT BETWEEN 0 AND 1000 THEN 'household_size|range'
           WHEN NOT missing(num_adults) AND NOT is_int(num_adults) THEN 'num_adults|dtype'
           WHEN TRY_CAST(num_adults AS BIGINT) NOT BETWEEN 0 AND 1000 THEN 'num_adults|range'
           WHEN NOT missing(net_worth) AND NOT is_int(net_worth) THEN 'net_worth|dtype'
           WHEN abs(TRY_CAST(net_worth AS HUGEINT)) > 1e15 THEN 'net_worth|range'
           WHEN NOT missing(income) AND income NOT IN ('1','2','3','4','5','6','7','8','9','A','B','C','D') THEN 'income|one_of'
       END AS reason
FROM demographics_raw;
CREATE TEMP TABLE reference_checked AS
SELECT *, CASE
           WHEN missing(device_id) THEN 'device_id|required'
           WHEN NOT regexp_full_match(device_id, '[0-9A-Fa-f]{12}') THEN 'device_id|regex'
           WHEN missing(dma) THEN 'dma|required'
           WHEN missing(household_id) THEN 'household_id|required'
       END AS reason
FROM reference_raw;

-- T3: per prog_code the title and the genre seen on the most rows (ties: smallest).
CREATE TEMP TABLE valid_programs AS SELECT * FROM programs_checked WHERE reason IS NULL;
CREATE TEMP TABLE choices AS
WITH counted AS (
    SELECT prog_code, 'title' AS field, title AS value, count(*) AS n FROM valid_programs GROUP BY ALL
    UNION ALL
    SELECT prog_code, 'genre', genre, count(*) FROM valid_programs GROUP BY ALL
)
SELECT prog_code, field, arg_min(value, (-n, value)) AS chosen, count(*) AS variants, sum(n) AS rows
FROM counted GROUP BY prog_code, field;
CREATE TEMP TABLE program_table AS
SELECT prog_code, max(chosen) FILTER (field = 'title') AS title,
       max(chosen) FILTER (field = 'genre') AS genre
FROM choices GROUP BY prog_code;

-- T1 of the viewing, with T4's lookup; the large table, read once.
CREATE TEMP TABLE viewing AS
WITH checked AS (
    SELECT trim(device_id) AS device_id, trim(prog_code) AS prog_code, CASE
           WHEN missing(device_id) THEN 'device_id|required'
           WHEN NOT regexp_full_match(trim(device_id), '[0-9A-Fa-f]{12}') THEN 'device_id|regex'
           WHEN missing(event_date) THEN 'event_date|required'
           WHEN ymd(event_date) IS NULL THEN 'event_date|dtype'
           WHEN NOT missing(event_time) AND hms(event_time) IS NULL THEN 'event_time|dtype'
           WHEN missing(prog_code) THEN 'prog_code|required'
       END AS reason
    FROM read_csv('{raw}/viewing*.csv', header = true, all_varchar = true, store_rejects = true,
        rejects_table = 'viewing_rejects', rejects_scan = 'viewing_scans')
)
SELECT device_id, prog_code,
       coalesce(reason, CASE WHEN p.prog_code IS NULL THEN 'prog_code|lookup' END) AS reason
FROM checked LEFT JOIN (SELECT prog_code FROM program_table) p USING (prog_code);

-- The reader's rejects: text that is not UTF-8, or another number of fields.
CREATE MACRO rejected(rejects) AS TABLE
SELECT CASE WHEN error_type = 'INVALID ENCODING' THEN 'layout|invalid_utf8' ELSE 'layout|column_count' END AS reason,
       count(DISTINCT (file_id, line)) AS n
FROM query_table(rejects) GROUP BY ALL;
COPY (
    SELECT * FROM (
        SELECT 'programs' AS "table", reason, count(*) AS rows FROM programs_checked WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'demographics', reason, count(*) FROM demographics_checked WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'reference', reason, count(*) FROM reference_checked WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'viewing', reason, count(*) FROM viewing WHERE reason IS NOT NULL GROUP BY ALL
        UNION ALL SELECT 'programs', reason, n FROM rejected('programs_rejects')
        UNION ALL SELECT 'demographics', reason, n FROM rejected('demographics_rejects')
        UNION ALL SELECT 'reference', reason, n FROM rejected('reference_rejects')
        UNION ALL SELECT 'viewing', reason, n FROM rejected('viewing_rejects')
    ) ORDER BY "table", reason
) TO '{out}/quarantine_summary.csv';
COPY (SELECT prog_code, field, chosen, variants, rows FROM choices WHERE variants > 1
      ORDER BY prog_code, field) TO '{out}/program_clashes.csv';

-- T2: the first row of each household; income as a level.
CREATE TEMP TABLE demographics AS
SELECT household_id, net_worth,
       CASE income WHEN 'A' THEN 10 WHEN 'B' THEN 11 WHEN 'C' THEN 12 WHEN 'D' THEN 13
                   ELSE TRY_CAST(income AS BIGINT) END AS income_level
FROM demographics_checked WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY household_id ORDER BY rn) = 1;

-- T5: the cleaned reference, step by step.
CREATE TEMP TABLE reference AS
WITH known AS (SELECT * FROM reference_checked WHERE reason IS NULL AND dma <> 'Unknown'),
first_device AS (SELECT * FROM known QUALIFY row_number() OVER (PARTITION BY device_id ORDER BY rn) = 1),
one_dma AS (SELECT * FROM first_device
            QUALIFY dma = min(dma) OVER (PARTITION BY household_id)),
one_zip AS (SELECT * FROM one_dma
            QUALIFY count(DISTINCT zipcode) OVER (PARTITION BY household_id) <= 1)
SELECT device_id, dma, household_id FROM one_zip
WHERE household_id IN (SELECT household_id FROM demographics);

-- T6
COPY (SELECT dma, count(DISTINCT device_id) AS devices, count(DISTINCT household_id) AS households
      FROM reference GROUP BY dma ORDER BY devices DESC, dma LIMIT 10) TO '{out}/top_markets.csv';

-- T7: distinct (device, program) pairs per market and trimmed genre.
CREATE TEMP TABLE pairs AS
SELECT DISTINCT device_id, prog_code FROM viewing WHERE reason IS NULL;
CREATE TEMP TABLE genre_reach AS
WITH genres AS (
    SELECT DISTINCT prog_code, trim(g) AS genre
    FROM program_table, unnest(string_split(genre, ',')) AS t(g) WHERE trim(g) <> ''
)
SELECT dma, genre, count(*) AS reach,
       row_number() OVER (PARTITION BY dma ORDER BY count(*) DESC, genre) AS genre_rank
FROM pairs JOIN reference USING (device_id) JOIN genres USING (prog_code)
GROUP BY dma, genre;
COPY (SELECT * FROM genre_reach ORDER BY dma, genre_rank) TO '{out}/genre_reach.csv';
COPY (SELECT * FROM genre_reach WHERE genre_rank <= 5 ORDER BY dma, genre_rank) TO '{out}/top_genres.csv';

-- T8
CREATE TEMP TABLE households AS
SELECT DISTINCT r.dma, r.household_id, d.net_worth, d.income_level
FROM reference r JOIN demographics d USING (household_id);
CREATE TEMP TABLE wealth AS
SELECT dma, count(*) AS households, avg(net_worth) AS avg_net_worth,
       avg(income_level) AS avg_income_level,
       avg(net_worth) / (SELECT max(net_worth) FROM demographics)
           + avg(income_level) / (SELECT max(income_level) FROM demographics) AS wealth_score
FROM households GROUP BY dma;
COPY (SELECT * FROM wealth ORDER BY wealth_score DESC, dma) TO '{out}/wealth.csv';

-- T9: the ten wealthiest markets in turn, each taking its best 11 genres not taken.
COPY (
    WITH RECURSIVE wealthy AS (
        SELECT dma, wealth_score, row_number() OVER (ORDER BY wealth_score DESC, dma) AS i
        FROM wealth ORDER BY i LIMIT 10
    ), walk(i, dma, taken, picks) AS (
        SELECT 0, NULL::VARCHAR, []::VARCHAR[], []::VARCHAR[]
        UNION ALL
        SELECT w.i + 1, m.dma, list_concat(w.taken, p.picks), p.picks
        FROM walk w JOIN wealthy m ON m.i = w.i + 1,
        LATERAL (SELECT coalesce(list(genre ORDER BY genre_rank)[1:11], []) AS picks FROM genre_reach g
                 WHERE g.dma = m.dma AND NOT list_contains(w.taken, g.genre)) p
    )
    SELECT walk.dma, wealth_score, array_to_string(picks, ', ') AS genres
    FROM walk JOIN wealthy USING (i) ORDER BY i
) TO '{out}/wealthy_market_genres.csv';

-- T10
COPY (
    WITH total AS (SELECT count(DISTINCT device_id) AS n FROM pairs),
    by_title AS (SELECT title, count(DISTINCT device_id) AS devices
                 FROM pairs JOIN program_table USING (prog_code) GROUP BY title)
    SELECT title, devices, 100.0 * devices / n AS popularity_index,
           row_number() OVER (ORDER BY devices DESC, title) AS rank
    FROM by_title, total ORDER BY rank
) TO '{out}/program_popularity.csv';

-- T11
COPY (
    WITH events AS (
        SELECT device_id, count(*) AS events FROM viewing WHERE reason IS NULL GROUP BY device_id
    ), per_household AS (
        SELECT r.dma, r.household_id, sum(coalesce(e.events, 0)) AS events, count(*) AS devices
        FROM reference r LEFT JOIN events e USING (device_id) GROUP BY ALL
    ), markets AS (
        SELECT p.dma, count(*) AS households, sum(devices) AS devices,
               sum(events) / sum(devices) AS viewing_per_device,
               CASE WHEN count(d.income_level) >= 2
                    AND var_pop(d.income_level) > 0 AND var_pop(events) FILTER (d.income_level IS NOT NULL) > 0
                    THEN corr(d.income_level, events) END AS income_viewing_corr,
               any_value(w.wealth_score) AS wealth_score
        FROM per_household p JOIN demographics d USING (household_id) JOIN wealth w USING (dma)
        GROUP BY p.dma HAVING count(*) >= 30
    )
    SELECT * EXCLUDE (position, n),
           substr('ABCD', CAST(floor(4 * position / n) AS INTEGER) + 1, 1) AS potential_grade
    FROM (SELECT *, row_number() OVER (ORDER BY wealth_score DESC, dma) - 1 AS position,
                 count(*) OVER () AS n FROM markets)
    ORDER BY position
) TO '{out}/market_potential.csv';

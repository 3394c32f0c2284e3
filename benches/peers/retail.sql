-- Retail R1–R8 in DuckDB SQL, as a DuckDB user would write them: the peer of
-- `report --domain retail` in benches/peers.py. {raw} and {out} are replaced by the
-- driver. Output tables as CSV, one per table, in the spec's order and sort.
SET preserve_insertion_order = false;

-- R1: every field as text; a line's first failed check is its reason.
CREATE TEMP TABLE typed AS
WITH raw AS (
    SELECT * FROM read_csv('{raw}/online_retail*.csv', header = true, all_varchar = true,
                           quote = '"', escape = '"', filename = true)
), parsed AS (
    SELECT Invoice,
           trim(Quantity) AS q_text, TRY_CAST(trim(Quantity) AS BIGINT) AS Quantity,
           trim(InvoiceDate) AS d_text,
           coalesce(try_strptime(trim(InvoiceDate), '%Y-%m-%d %H:%M:%S'),
                    try_strptime(trim(InvoiceDate), '%m/%d/%Y %H:%M')) AS InvoiceDate,
           trim(Price) AS p_text, TRY_CAST(trim(Price) AS DOUBLE) AS Price,
           trim("Customer ID") AS c_text, TRY_CAST(trim("Customer ID") AS DOUBLE) AS customer
    FROM raw
)
SELECT *,
    CASE
        WHEN Invoice IS NULL OR trim(Invoice) = '' THEN 'Invoice|required'
        WHEN q_text IS NULL OR q_text = '' THEN 'Quantity|required'
        WHEN Quantity IS NULL THEN 'Quantity|dtype'
        WHEN abs(Quantity) > 1e6 THEN 'Quantity|range'
        WHEN d_text IS NULL OR d_text = '' THEN 'InvoiceDate|required'
        WHEN InvoiceDate IS NULL THEN 'InvoiceDate|dtype'
        WHEN p_text IS NULL OR p_text = '' THEN 'Price|required'
        WHEN Price IS NULL OR isnan(Price) THEN 'Price|dtype'
        WHEN abs(Price) > 1e6 THEN 'Price|range'
        WHEN c_text <> '' AND customer IS NULL THEN 'Customer ID|dtype'
        WHEN c_text <> '' AND NOT regexp_full_match(c_text, '\d+(\.0*)?') THEN 'Customer ID|regex'
        WHEN customer < 0 OR customer > 1e15 THEN 'Customer ID|range'
    END AS reason
FROM parsed;

COPY (SELECT 'online_retail' AS "table", reason, count(*) AS rows FROM typed
      WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason)
TO '{out}/quarantine_summary.csv';

-- One row per invoice and month: lines, exact amount in 1/10000 units, last time.
CREATE TEMP TABLE im AS
SELECT Invoice, year(InvoiceDate) * 100 + month(InvoiceDate) AS yyyymm,
       CAST(customer AS BIGINT) AS customer_id,
       count(*) AS lines,
       sum(Quantity::HUGEINT * round(Price * 10000)::HUGEINT) AS units,
       max(InvoiceDate) AS last_at,
       starts_with(Invoice, 'C') AS cancelled
FROM typed WHERE reason IS NULL
GROUP BY ALL;

-- R2
CREATE TEMP TABLE sizes AS SELECT Invoice, sum(lines) AS n FROM im GROUP BY Invoice;
COPY (
    -- The 0.85 quantile as the inverted CDF: the smallest c with 85% of sizes <= c.
    WITH ordered AS (SELECT n, row_number() OVER (ORDER BY n) AS i, count(*) OVER () AS total FROM sizes),
    cut AS (SELECT n AS c FROM ordered WHERE i = (85 * total + 99) // 100),
    scoped AS (
        SELECT 'all' AS scope, n FROM sizes
        UNION ALL SELECT 'trimmed', n FROM sizes, cut WHERE n <= c
    ), modes AS (
        SELECT scope, n AS mode FROM (
            SELECT scope, n, row_number() OVER (PARTITION BY scope ORDER BY count(*) DESC, n) AS r
            FROM scoped GROUP BY scope, n) WHERE r = 1
    )
    SELECT s.scope, count(*) AS invoices, min(n)::BIGINT AS min, max(n)::BIGINT AS max,
           median(n)::DOUBLE AS median, any_value(mode)::BIGINT AS mode, avg(n) AS mean
    FROM scoped s JOIN modes USING (scope) GROUP BY s.scope ORDER BY s.scope
) TO '{out}/invoice_size.csv';

-- R3
COPY (SELECT yyyymm, count(DISTINCT Invoice) FILTER (NOT cancelled) AS placed,
             count(DISTINCT Invoice) FILTER (cancelled) AS cancelled
      FROM im GROUP BY yyyymm ORDER BY yyyymm) TO '{out}/monthly_orders.csv';

-- R4
COPY (
    WITH s AS (SELECT yyyymm, sum(units) / 10000 AS sales FROM im GROUP BY yyyymm)
    SELECT s.yyyymm, s.sales::DOUBLE AS sales,
           CASE WHEN p.sales <> 0 THEN (s.sales - p.sales) / p.sales * 100 END::DOUBLE AS growth_pct
    FROM s LEFT JOIN s p ON p.yyyymm = CASE WHEN s.yyyymm % 100 = 1 THEN s.yyyymm - 89 ELSE s.yyyymm - 1 END
    ORDER BY s.yyyymm
) TO '{out}/monthly_sales.csv';

-- R5, R6
CREATE TEMP TABLE active AS
SELECT DISTINCT customer_id, yyyymm FROM im WHERE NOT cancelled AND customer_id IS NOT NULL;
CREATE TEMP TABLE firsts AS SELECT customer_id, min(yyyymm) AS cohort FROM active GROUP BY ALL;
COPY (
    WITH a AS (SELECT yyyymm, count(*) AS active FROM active GROUP BY ALL),
    n AS (SELECT cohort AS yyyymm, count(*) AS new FROM firsts GROUP BY ALL),
    m AS (SELECT DISTINCT yyyymm FROM im)
    SELECT m.yyyymm, coalesce(active, 0) AS active, coalesce(new, 0) AS new,
           coalesce(active, 0) - coalesce(new, 0) AS existing
    FROM m LEFT JOIN a USING (yyyymm) LEFT JOIN n USING (yyyymm) ORDER BY m.yyyymm
) TO '{out}/monthly_customers.csv';
COPY (
    WITH idx AS (SELECT customer_id, cohort,
                        (yyyymm // 100 - cohort // 100) * 12 + yyyymm % 100 - cohort % 100 AS k
                 FROM active JOIN firsts USING (customer_id)),
    last AS (SELECT max(yyyymm) AS l FROM im),
    sizes AS (SELECT cohort, count(*) AS size FROM firsts GROUP BY ALL),
    grid AS (SELECT cohort, size, range AS k FROM sizes, last,
             range(0, (l // 100 - cohort // 100) * 12 + l % 100 - cohort % 100 + 1)),
    counts AS (SELECT cohort, k, count(*) AS customers FROM idx GROUP BY ALL)
    SELECT cohort, k AS month_offset, coalesce(customers, 0) AS customers,
           coalesce(customers, 0) / size AS retention
    FROM grid LEFT JOIN counts USING (cohort, k) ORDER BY cohort, month_offset
) TO '{out}/cohort_retention.csv';

-- R7, R8
CREATE TEMP TABLE rfm AS
WITH ref AS (SELECT CAST(max(last_at) AS DATE) + 1 AS ref_date FROM im),
c AS (
    SELECT customer_id,
           max(last_at) FILTER (NOT cancelled) AS last_placed,
           count(DISTINCT Invoice) FILTER (NOT cancelled) AS frequency,
           sum(units) AS units
    FROM im WHERE customer_id IS NOT NULL GROUP BY customer_id
), scored AS (
    SELECT customer_id, ref_date - CAST(last_placed AS DATE) AS recency_days, frequency,
           (units / 10000)::DOUBLE AS monetary, units
    FROM c, ref WHERE frequency > 0
), ranked AS (
    SELECT *, 6 - ntile(5) OVER (ORDER BY recency_days, customer_id) AS r_score,
           ntile(5) OVER (ORDER BY frequency, customer_id) AS f_score,
           ntile(5) OVER (ORDER BY units, customer_id) AS m_score
    FROM scored
)
SELECT customer_id, recency_days::BIGINT AS recency_days, frequency, monetary, units,
       r_score, f_score, m_score,
       CASE
           WHEN regexp_full_match(r_score || f_score, '[1-2][1-2]') THEN 'Hibernating'
           WHEN regexp_full_match(r_score || f_score, '[1-2][3-4]') THEN 'At Risk'
           WHEN regexp_full_match(r_score || f_score, '[1-2]5') THEN 'Can''t Lose'
           WHEN regexp_full_match(r_score || f_score, '3[1-2]') THEN 'About to Sleep'
           WHEN r_score || f_score = '33' THEN 'Need Attention'
           WHEN regexp_full_match(r_score || f_score, '[3-4][4-5]') THEN 'Loyal Customers'
           WHEN r_score || f_score = '41' THEN 'Promising'
           WHEN r_score || f_score = '51' THEN 'New Customers'
           WHEN regexp_full_match(r_score || f_score, '[4-5][2-3]') THEN 'Potential Loyalists'
           WHEN regexp_full_match(r_score || f_score, '5[4-5]') THEN 'Champions'
           ELSE 'Unknown'
       END AS segment
FROM ranked;
COPY (SELECT * EXCLUDE (units) FROM rfm ORDER BY customer_id) TO '{out}/rfm.csv';
COPY (SELECT segment, count(*) AS customers, avg(recency_days) AS avg_recency_days,
             avg(frequency) AS avg_frequency, (sum(units) / 10000 / count(*))::DOUBLE AS avg_monetary
      FROM rfm GROUP BY segment ORDER BY customers DESC, segment) TO '{out}/rfm_segments.csv';

//! The retail rules as lazy transforms (`spec/retail.md`).
//!
//! The validated invoice lines (R1) are first reduced to **invoice months**: one row
//! per (invoice, month, customer) with its line count, its amount and its last
//! timestamp. Every rule R2–R8 is computed from that table, which is about twenty
//! times smaller than the lines, so the fact table is read once, by one streaming
//! aggregation. Amounts are Σ Quantity × Price summed exactly in units of 10⁻⁴
//! ([`fixed_product_units`]: the integer quantity times the price in whole 10⁻⁴
//! units; a price with more than 4 decimals is rounded to 4, half to even) and turned
//! into numbers by one correctly rounded division ([`from_fixed_units`]), so sales and
//! monetary values do not depend on the order the lines are read in or on how the
//! work is split between threads. Means and ratios are exact sums divided once
//! ([`crate::transforms::exact`]).
//!
//! Column meanings used throughout: `cancelled` = the invoice starts with `C`;
//! a *placed* invoice is one that is not cancelled; `customer_id` is the Customer ID
//! as an integer (`13085.0` → 13085), null when the line has none.

use polars::prelude::{
    col, cols, concat, concat_str, len, lit, DataType, Expr, JoinType, LazyFrame, PolarsResult,
    SortMultipleOptions, UnionArgs,
};

use crate::transforms::cohort::COHORT;
use crate::transforms::{
    attach_single_row, checked_sum, cohort_retention, distribution_summary, exact_mean,
    first_full_match, first_months, fixed_product_units, fixed_units_mean, from_fixed_units,
    inverted_cdf_quantile, keeping_left_order, month_key, month_over_month_growth, ntile,
    to_fixed_units, PatternRule, SortKey,
};

/// Decimal places at which amounts are summed exactly.
pub const AMOUNT_DECIMALS: u32 = 4;
/// The percentile above which invoices are dropped for R2's trimmed sizes.
pub const TRIM_PERCENT: u32 = 85;
/// Quintiles: the number of RFM score groups (R7).
pub const SCORE_GROUPS: u32 = 5;
/// The segment of an RFM code no rule matches (R8).
pub const UNKNOWN_SEGMENT: &str = "Unknown";

/// R8's rule table on `r_score‖f_score`, in order; the first full match wins.
pub const RFM_SEGMENTS: [PatternRule; 10] = [
    PatternRule::new("[1-2][1-2]", "Hibernating"),
    PatternRule::new("[1-2][3-4]", "At Risk"),
    PatternRule::new("[1-2]5", "Can't Lose"),
    PatternRule::new("3[1-2]", "About to Sleep"),
    PatternRule::new("33", "Need Attention"),
    PatternRule::new("[3-4][4-5]", "Loyal Customers"),
    PatternRule::new("41", "Promising"),
    PatternRule::new("51", "New Customers"),
    PatternRule::new("[4-5][2-3]", "Potential Loyalists"),
    PatternRule::new("5[4-5]", "Champions"),
];

/// The month column of every monthly table.
pub const MONTH: &str = "yyyymm";
/// The customer column of the customer tables.
pub const CUSTOMER: &str = "customer_id";

/// Whether an invoice number marks a cancellation (a leading `C`).
pub fn is_cancellation(invoice: Expr) -> Expr {
    invoice.str().starts_with(lit("C"))
}

/// The validated `Customer ID` (a whole float such as `13085.0`) as an Int64.
pub fn customer_id(raw: Expr) -> Expr {
    raw.cast(DataType::Int64)
}

/// R1 → invoice months: one row per (`Invoice`, `yyyymm`, `customer_id`) of the
/// validated lines, with `lines` (Int64), `amount_units` (Σ Quantity × Price in
/// 10⁻⁴ units, Int64, exact: see [`fixed_product_units`]), `last_at` (the latest
/// `InvoiceDate`) and `cancelled`.
pub fn invoice_months(lines: LazyFrame) -> LazyFrame {
    lines
        .select([
            col("Invoice"),
            month_key(col("InvoiceDate")).alias(MONTH),
            customer_id(col("Customer ID")).alias(CUSTOMER),
            fixed_product_units(col("Quantity"), col("Price"), AMOUNT_DECIMALS)
                .alias("amount_units"),
            col("InvoiceDate"),
        ])
        .group_by([col("Invoice"), col(MONTH), col(CUSTOMER)])
        .agg([
            len().cast(DataType::Int64).alias("lines"),
            checked_sum(col("amount_units")),
            col("InvoiceDate").max().alias("last_at"),
        ])
        .with_column(is_cancellation(col("Invoice")).alias("cancelled"))
}

/// Placed invoices (not cancelled).
fn placed() -> Expr {
    col("cancelled").not()
}

/// Invoice months of placed invoices with a customer: the customer figures' rows.
fn placed_with_customer(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months.filter(placed().and(col(CUSTOMER).is_not_null()))
}

/// An amount column from summed units: units / 10⁴, correctly rounded (R4, R7).
fn amount(units: Expr) -> Expr {
    from_fixed_units(units, AMOUNT_DECIMALS)
}

/// R2: lines per invoice over every valid line, summarised as `scope`, `invoices`,
/// `min`, `max`, `median`, `mode`, `mean` for `all` invoices and for those whose line
/// count is at most the 0.85 quantile (`trimmed`).
///
/// # Errors
/// When the schema of `invoice_months` cannot be resolved (its input cannot be read, or
/// it lacks `Invoice` or `lines`) or the summed `lines` is not an integer column
/// ([`distribution_summary`]).
pub fn invoice_size(invoice_months: LazyFrame) -> PolarsResult<LazyFrame> {
    invoice_size_of(invoice_lines(invoice_months))
}

/// R2's input: the lines of each invoice, over its invoice months (`lines`, Int64,
/// one row per invoice, unsorted, without the invoice).
pub fn invoice_lines(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months
        .group_by([col("Invoice")])
        .agg([col("lines").sum()])
        .select([col("lines")])
}

/// R2 from [`invoice_lines`]: the `all` and `trimmed` summaries of [`invoice_size`].
/// `sizes` is read five times (the cut-off and two summaries of two parts each):
/// collect it first when it is a plan.
///
/// # Errors
/// When `sizes` has no integer `lines` column ([`distribution_summary`]).
pub fn invoice_size_of(sizes: LazyFrame) -> PolarsResult<LazyFrame> {
    let cutoff = sizes
        .clone()
        .select([inverted_cdf_quantile(col("lines"), TRIM_PERCENT).alias("__cutoff")]);
    let trimmed = attach_single_row(sizes.clone(), cutoff)
        .filter(col("lines").lt_eq(col("__cutoff")))
        .drop(cols(["__cutoff"]));
    let summary = |sizes: LazyFrame, scope: &str| -> PolarsResult<LazyFrame> {
        Ok(distribution_summary(sizes, "lines")?.select([
            lit(scope).alias("scope"),
            col("count").alias("invoices"),
            col("min").cast(DataType::Int64),
            col("max").cast(DataType::Int64),
            col("median"),
            col("mode").cast(DataType::Int64),
            col("mean"),
        ]))
    };
    let parts = vec![summary(sizes, "all")?, summary(trimmed, "trimmed")?];
    concat(parts, UnionArgs::default())
}

/// R3: per month, distinct placed and cancelled invoices.
pub fn monthly_orders(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months
        .group_by([col(MONTH)])
        .agg([
            distinct_invoices(placed()).alias("placed"),
            distinct_invoices(col("cancelled")).alias("cancelled"),
        ])
        .sort([MONTH], Default::default())
}

fn distinct_invoices(which: Expr) -> Expr {
    col("Invoice")
        .filter(which)
        .n_unique()
        .cast(DataType::Int64)
}

/// R4: per month, `sales` = Σ Quantity × Price (cancellations net out), summed
/// exactly in 10⁻⁴ units and divided once (6 × 4.95 is 29.7, not
/// 29.700000000000003), and `growth_pct` against the previous calendar month.
pub fn monthly_sales(invoice_months: LazyFrame) -> LazyFrame {
    let sales = invoice_months
        .group_by([col(MONTH)])
        .agg([amount(checked_sum(col("amount_units"))).alias("sales")])
        .sort([MONTH], Default::default());
    month_over_month_growth(sales, MONTH, "sales", "growth_pct")
}

/// R4's sales over any grouping of the validated lines (for example per product:
/// `StockCode`, `Description`): `keys` then `sales` = Σ Quantity × Price, summed
/// exactly in 10⁻⁴ units and divided once, as [`monthly_sales`] does per month.
/// Unsorted.
pub fn sales_by(lines: LazyFrame, keys: &[&str]) -> LazyFrame {
    lines
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([checked_sum(fixed_product_units(
            col("Quantity"),
            col("Price"),
            AMOUNT_DECIMALS,
        ))
        .alias("sales")])
        .with_column(amount(col("sales")).alias("sales"))
}

/// R5: per month of the data, `active` customers (with a placed invoice), `new` ones
/// (whose first placed month it is) and `existing` = active − new. Months with
/// invoice lines but no such customer show zeros.
pub fn monthly_customers(invoice_months: LazyFrame) -> LazyFrame {
    let placed = placed_with_customer(invoice_months.clone());
    let active = placed.clone().group_by([col(MONTH)]).agg([col(CUSTOMER)
        .n_unique()
        .cast(DataType::Int64)
        .alias("active")]);
    let new = first_months(placed, CUSTOMER, MONTH)
        .group_by([col(COHORT)])
        .agg([len().cast(DataType::Int64).alias("new")])
        .select([col(COHORT).alias(MONTH), col("new")]);
    let on = || [col(MONTH)];
    invoice_months
        .select([col(MONTH)])
        .unique(None, Default::default())
        .join(active, on(), on(), keeping_left_order(JoinType::Left))
        .join(new, on(), on(), keeping_left_order(JoinType::Left))
        .with_columns([
            col("active").fill_null(lit(0i64)),
            col("new").fill_null(lit(0i64)),
        ])
        .with_column((col("active") - col("new")).alias("existing"))
        .sort([MONTH], Default::default())
}

/// R6: cohort retention of the customers' placed months, each cohort followed to
/// the last month of the data (`yyyymm`): `last_month` is [`last_month`]'s one row.
pub fn cohort_table(invoice_months: LazyFrame, last_month: LazyFrame) -> LazyFrame {
    let active = placed_with_customer(invoice_months).select([col(CUSTOMER), col(MONTH)]);
    cohort_retention(active, CUSTOMER, MONTH, last_month, "customers")
}

/// The last month of the data (`yyyymm`), as an aggregation.
pub fn last_month(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months.select([col(MONTH).max()])
}

/// Per customer (non-null id): the last placed day, `frequency` (distinct placed
/// invoices) and `monetary` (Σ over all the customer's lines), customers without a
/// placed invoice included (`frequency` 0).
fn customer_totals(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months
        .filter(col(CUSTOMER).is_not_null())
        .group_by([col(CUSTOMER)])
        .agg([
            col("last_at").filter(placed()).max().alias("__last_placed"),
            distinct_invoices(placed()).alias("frequency"),
            amount(checked_sum(col("amount_units"))).alias("monetary"),
        ])
}

/// Customers with an id but no placed invoice, whom R7 excludes: one row, one Int64
/// column `customers`: those whose R7 `frequency` would be 0, found without counting
/// anyone's distinct invoices.
pub fn customers_without_placed_invoice(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months
        .filter(col(CUSTOMER).is_not_null())
        .group_by([col(CUSTOMER)])
        .agg([col("cancelled").min().alias("__only_cancelled")])
        .filter(col("__only_cancelled"))
        .select([len().cast(DataType::Int64).alias("customers")])
}

/// R7 and R8: `customer_id`, `recency_days`, `frequency`, `monetary`, `r_score`,
/// `f_score`, `m_score`, `segment`, sorted by customer id. Recency is counted from
/// the day after the data's last timestamp; the scores are `ntile(5)` over ascending
/// values with ties broken by customer id (recency reversed: 6 − ntile).
///
/// # Errors
/// Never while planning; a missing column of the invoice months ([`invoice_months`])
/// fails when the plan runs.
pub fn rfm(invoice_months: LazyFrame) -> PolarsResult<LazyFrame> {
    let day = |timestamp: Expr| timestamp.dt().date().cast(DataType::Int32);
    let reference_day = invoice_months
        .clone()
        .select([(day(col("last_at").max()) + lit(1)).alias("__reference_day")]);
    let customers = customer_totals(invoice_months).filter(col("frequency").gt(lit(0i64)));
    let scored = attach_single_row(customers, reference_day).with_column(
        (col("__reference_day") - day(col("__last_placed")))
            .cast(DataType::Int64)
            .alias("recency_days"),
    );
    let by = |value| [SortKey::asc(value), SortKey::asc(CUSTOMER)];
    let scored = ntile(scored, &by("recency_days"), SCORE_GROUPS, "__r_tile")?;
    let scored = ntile(scored, &by("frequency"), SCORE_GROUPS, "f_score")?;
    let scored = ntile(scored, &by("monetary"), SCORE_GROUPS, "m_score")?;
    let code = concat_str(
        [
            col("r_score").cast(DataType::String),
            col("f_score").cast(DataType::String),
        ],
        "",
        false,
    );
    Ok(scored
        .with_column((lit(SCORE_GROUPS as i64 + 1) - col("__r_tile")).alias("r_score"))
        .with_column(first_full_match(code, &RFM_SEGMENTS, UNKNOWN_SEGMENT).alias("segment"))
        .select([
            col(CUSTOMER),
            col("recency_days"),
            col("frequency"),
            col("monetary"),
            col("r_score"),
            col("f_score"),
            col("m_score"),
            col("segment"),
        ])
        .sort([CUSTOMER], Default::default()))
}

/// R8's summary: per segment, `customers` and the mean recency, frequency and
/// monetary value; most customers first, then by segment name. The means are exact
/// sums (integers, and monetary values in 10⁻⁴ units) divided once by the count
/// ([`exact_mean`], [`fixed_units_mean`]), so they do not depend on the order the
/// rows arrive in.
pub fn rfm_segments(rfm: LazyFrame) -> LazyFrame {
    let monetary_units = to_fixed_units(col("monetary"), AMOUNT_DECIMALS);
    rfm.group_by([col("segment")])
        .agg([
            len().cast(DataType::Int64).alias("customers"),
            exact_mean(col("recency_days")).alias("avg_recency_days"),
            exact_mean(col("frequency")).alias("avg_frequency"),
            fixed_units_mean(monetary_units, AMOUNT_DECIMALS).alias("avg_monetary"),
        ])
        .sort(
            ["customers", "segment"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
}

/// Lines without a customer id: kept for sales figures, left out of customer ones.
pub fn lines_without_customer(invoice_months: LazyFrame) -> LazyFrame {
    invoice_months
        .filter(col(CUSTOMER).is_null())
        .select([col("lines").sum().cast(DataType::Int64).alias("lines")])
}

/// What R1 and R7 leave out of the customer figures, counted: `rule` (String, `R1`
/// then `R7`), `left_out` (String, what is left out and where it still counts) and
/// `rows` (Int64: [`lines_without_customer`], [`customers_without_placed_invoice`]).
///
/// # Errors
/// Never while planning; a missing column of the invoice months ([`invoice_months`])
/// fails when the plan runs.
pub fn exclusions(invoice_months: LazyFrame) -> PolarsResult<LazyFrame> {
    let row = |counted: LazyFrame, column: &str, rule: &str, left_out: &str| {
        counted.select([
            lit(rule).alias("rule"),
            lit(left_out).alias("left_out"),
            col(column).alias("rows"),
        ])
    };
    let rows = concat(
        [
            row(
                lines_without_customer(invoice_months.clone()),
                "lines",
                "R1",
                "invoice lines without a Customer ID: in sales and order figures, not in \
                 customer figures",
            ),
            row(
                customers_without_placed_invoice(invoice_months),
                "customers",
                "R7",
                "customers whose invoices are all cancellations: not scored",
            ),
        ],
        UnionArgs::default(),
    )?;
    // Sorted, so that an engine whose union has no order gives the same table.
    Ok(rows.sort(["rule"], SortMultipleOptions::default()))
}

//! The retail report: data quality, orders, sales and growth, customers, cohort
//! retention and RFM segments. Builds a [`Document`] from [`RetailOutputs`]; the
//! charts show the output tables, no rule is recomputed.

use anyhow::Result;
use polars::prelude::{col, DataFrame, IntoLazy, JoinType};

use super::pipeline::RetailOutputs;
use super::tables;
use crate::domains::Domain;
use crate::report::{bar_chart_of, heat_map, line_chart_of, Document, HeatMap, Svg};
use crate::transforms::{exact_mean, keeping_left_order};
use crate::values;

/// Cohorts shown in the retention heat map and table (the first ones).
const COHORTS_SHOWN: usize = 24;

/// The cohort retention table as a cohort × month-offset heat map.
///
/// # Errors
/// When `cohorts` lacks `cohort`, `month_offset` or `retention`, or one cannot be cast to
/// text or numbers (Polars error), or the chart cannot be drawn (the message names its
/// title).
pub fn retention_heat_map(cohorts: &DataFrame) -> Result<Svg> {
    let cohort = values::as_texts(cohorts, "cohort", "")?;
    let offset = values::u64s(cohorts, "month_offset", 0)?;
    let retention = values::f64s(cohorts, "retention")?;
    let mut rows: Vec<String> = cohort.clone();
    rows.dedup();
    rows.truncate(COHORTS_SHOWN);
    let columns = offset.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut cells = vec![vec![None; columns]; rows.len()];
    for ((c, k), r) in cohort.iter().zip(&offset).zip(&retention) {
        if let Some(row) = rows.iter().position(|label| label == c) {
            cells[row][*k as usize] = *r;
        }
    }
    heat_map(&HeatMap {
        title: "Share of each cohort active k months after its first month".into(),
        rows,
        columns: (0..columns).map(|k| k.to_string()).collect(),
        values: cells,
    })
}

/// `rfm_segments` with each segment's mean R, F and M scores (`avg_r`, `avg_f`,
/// `avg_m`, exact integer sums over the count), in the order of `rfm_segments`.
///
/// # Errors
/// When `rfm` lacks `segment`, `r_score`, `f_score` or `m_score`, or `segments` lacks
/// `segment` (Polars error when the join runs).
pub fn segment_profiles(rfm: &DataFrame, segments: &DataFrame) -> Result<DataFrame> {
    let mean = |score: &str, name: &str| exact_mean(col(score)).alias(name);
    let scores = rfm.clone().lazy().group_by([col("segment")]).agg([
        mean("r_score", "avg_r"),
        mean("f_score", "avg_f"),
        mean("m_score", "avg_m"),
    ]);
    Ok(segments
        .clone()
        .lazy()
        .join(
            scores,
            [col("segment")],
            [col("segment")],
            keeping_left_order(JoinType::Left),
        )
        .collect()?)
}

/// Builds the retail report.
///
/// # Errors
/// When an output table lacks a column the report reads or holds it with another dtype
/// (Polars error), or a chart cannot be drawn (the message names its title).
pub fn build(outputs: &RetailOutputs) -> Result<Document> {
    let mut doc = Document::new("Online retail report");
    doc.text(
        "A UK online retailer's invoice lines turned into invoice sizes, monthly orders, sales, \
         customers and cohort retention, and an RFM score and segment per customer (rules R1–R8 of \
         spec/retail.md). Sales count cancellations, so returns net out; customer figures count \
         placed (not cancelled) invoices of lines with a customer id.",
    );
    doc.notes(&outputs.notices);

    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "R1");
    doc.table(
        "What the rules leave out of a figure, counted (R1, R7).",
        &outputs.exclusions,
        10,
    );

    doc.heading("Orders");
    doc.output(
        Domain::Retail.dataset("invoice_size")?,
        "Over all valid lines, and without the invoices above the 0.85 quantile.",
        &outputs.invoice_size,
        2,
    );
    doc.chart(
        "orders",
        "Distinct placed and cancelled invoices per month (R3).",
        line_chart_of(
            &outputs.monthly_orders,
            "yyyymm",
            &["placed", "cancelled"],
            "Orders placed and cancelled by month",
            "invoices",
        )?,
    );
    let monthly_orders = Domain::Retail.dataset("monthly_orders")?;
    doc.output(monthly_orders, "", &outputs.monthly_orders, 120);

    doc.heading("Sales");
    doc.chart(
        "sales",
        "Sales by month: Σ quantity × price, cancellations included (R4).",
        line_chart_of(
            &outputs.monthly_sales,
            "yyyymm",
            &["sales"],
            "Monthly sales",
            "sales",
        )?,
    );
    doc.chart(
        "growth",
        "Change of sales against the previous calendar month, in percent (R4).",
        line_chart_of(
            &outputs.monthly_sales,
            "yyyymm",
            &["growth_pct"],
            "Month-over-month sales growth",
            "growth %",
        )?,
    );
    let monthly_sales = Domain::Retail.dataset("monthly_sales")?;
    doc.output(monthly_sales, "", &outputs.monthly_sales, 120);

    doc.heading("Customers");
    doc.chart(
        "customers",
        "Active customers (a placed invoice in the month) and new ones (their first such month) (R5).",
        line_chart_of(
            &outputs.monthly_customers,
            "yyyymm",
            &["active", "new", "existing"],
            "Active and new customers by month",
            "customers",
        )?,
    );
    let monthly_customers = Domain::Retail.dataset("monthly_customers")?;
    doc.output(monthly_customers, "", &outputs.monthly_customers, 120);

    doc.heading("Retention");
    doc.chart(
        "retention",
        format!(
            "Cohort retention: rows are cohorts (first month), columns months since (R6); the first {COHORTS_SHOWN} cohorts."
        ),
        retention_heat_map(&outputs.cohort_retention)?,
    );
    doc.output(
        Domain::Retail.dataset("cohort_retention")?,
        "First rows.",
        &outputs.cohort_retention,
        30,
    );

    doc.heading("RFM segments");
    doc.chart(
        "rfm-segments",
        "Customers per RFM segment (R8).",
        bar_chart_of(
            &outputs.rfm_segments,
            "segment",
            "customers",
            "Customers by RFM segment",
            11,
        )?,
    );
    doc.table(
        "Segment sizes, their mean recency (days), frequency (invoices) and monetary value, and their mean R, F and M scores (R7, R8).",
        &segment_profiles(&outputs.rfm, &outputs.rfm_segments)?,
        11,
    );
    doc.output(
        Domain::Retail.dataset("rfm")?,
        "First rows.",
        &outputs.rfm,
        10,
    );

    let lines = tables::lines();
    let caption = "online_retail (online_retail*.csv, or the sheets of online_retail*.xlsx)";
    doc.data_dictionary(
        Domain::Retail.datasets(),
        &[(caption.to_string(), &lines.schema)],
    )?;
    Ok(doc)
}

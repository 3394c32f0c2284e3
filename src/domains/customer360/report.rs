//! The Customer 360 report: data quality, segments, viewing, activeness, search
//! interests and how they moved. Builds a [`Document`] from [`Customer360Outputs`];
//! the charts summarise the output tables for display, no rule is recomputed.

use anyhow::Result;
use polars::prelude::{col, len, DataFrame, DataType, IntoLazy, SortMultipleOptions};

use super::pipeline::Customer360Outputs;
use super::rules::{ACTIVENESS, CONTENT_TYPES, CUSTOMER_TYPES, MOST_ACTIVE};
use super::tables;
use crate::domains::Domain;
use crate::report::{
    bar_chart_of, heat_map, stacked_bar_chart, Document, HeatMap, StackedBarChart, Svg,
};
use crate::schema::TableSchema;
use crate::transforms::ratio;
use crate::values;

/// Seconds per hour, for viewing time shown in hours.
const HOUR: f64 = 3600.0;

/// Customers per activeness level, in the order of the levels.
/// Columns: `activeness`, `customers` (Int64).
///
/// # Errors
/// When `profile` lacks the `activeness` column or it is not text (Polars error).
pub fn activeness_distribution(profile: &DataFrame) -> Result<DataFrame> {
    let counts = profile
        .clone()
        .lazy()
        .group_by([col("activeness")])
        .agg([len().cast(DataType::Int64).alias("customers")])
        .collect()?;
    let order: Vec<&str> = ACTIVENESS
        .iter()
        .map(|b| b.label)
        .chain([MOST_ACTIVE])
        .collect();
    in_label_order(&counts, "activeness", &order)
}

/// Each content type's share of customers whose most-watched type it is (one
/// correctly rounded division of integer counts, [`ratio`]).
/// Columns: `most_watch`, `customers` (Int64), `share` (a fraction, 0–1).
///
/// # Errors
/// When `profile` lacks the `most_watch` column (Polars error).
pub fn most_watched_share(profile: &DataFrame) -> Result<DataFrame> {
    Ok(profile
        .clone()
        .lazy()
        .group_by([col("most_watch")])
        .agg([len().cast(DataType::Int64).alias("customers")])
        .with_column(ratio(col("customers"), col("customers").sum()).alias("share"))
        .sort(
            ["customers", "most_watch"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?)
}

/// Users per (month, category) of their top keyword, most users first in each month.
/// Columns: `month`, `category`, `users` (Int64).
///
/// # Errors
/// When `top` lacks the `month` or `category` column (Polars error).
pub fn top_categories_by_month(top: &DataFrame) -> Result<DataFrame> {
    Ok(top
        .clone()
        .lazy()
        .group_by([col("month"), col("category")])
        .agg([len().cast(DataType::Int64).alias("users")])
        .sort(
            ["month", "users", "category"],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .collect()?)
}

/// Users per (category in M, category in M+1), most frequent first.
/// Columns: `category_m1`, `category_m2`, `users` (Int64).
///
/// # Errors
/// When `trend` lacks the `category_m1` or `category_m2` column (Polars error).
pub fn category_transitions(trend: &DataFrame) -> Result<DataFrame> {
    Ok(trend
        .clone()
        .lazy()
        .group_by([col("category_m1"), col("category_m2")])
        .agg([len().cast(DataType::Int64).alias("users")])
        .sort(
            ["users", "category_m1", "category_m2"],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]),
        )
        .collect()?)
}

/// The rows of `counts` in the order of `order`'s labels in `column`, absent labels
/// as 0.
fn in_label_order(counts: &DataFrame, column: &str, order: &[&str]) -> Result<DataFrame> {
    let labels = values::texts(counts, column, "")?;
    let numbers = values::u64s(counts, "customers", 0)?;
    let ordered: Vec<i64> = order
        .iter()
        .map(|label| {
            labels
                .iter()
                .position(|l| l == label)
                .map_or(0, |i| numbers[i] as i64)
        })
        .collect();
    Ok(polars::df!(column => order, "customers" => ordered)?)
}

/// Viewing hours per content type, stacked, for each customer type.
fn viewing_by_segment(profile: &DataFrame) -> Result<Svg> {
    let sums: Vec<_> = CONTENT_TYPES
        .iter()
        .map(|c| col(c.column).sum().cast(DataType::Float64))
        .collect();
    let per_type = profile
        .clone()
        .lazy()
        .group_by([col("customer_type")])
        .agg(sums)
        .collect()?;
    let present = values::texts(&per_type, "customer_type", "")?;
    let labels: Vec<String> = CUSTOMER_TYPES
        .iter()
        .filter(|t| present.iter().any(|p| p == *t))
        .map(|t| t.to_string())
        .collect();
    let mut series = Vec::new();
    for c in CONTENT_TYPES {
        let column = values::f64s(&per_type, c.column)?;
        let hours = labels
            .iter()
            .map(|label| {
                let row = present.iter().position(|p| p == label);
                row.and_then(|r| column[r]).unwrap_or(0.0) / HOUR
            })
            .collect();
        series.push((c.label.to_string(), hours));
    }
    stacked_bar_chart(&StackedBarChart {
        title: "Viewing hours by content type, per customer type".into(),
        labels,
        series,
        value_label: "hours".into(),
    })
}

/// The transition counts as a category × category heat map, each row scaled to its
/// largest cell.
fn transition_heat_map(transitions: &DataFrame, months: (i32, i32)) -> Result<Svg> {
    let from = values::texts(transitions, "category_m1", "(null)")?;
    let to = values::texts(transitions, "category_m2", "(null)")?;
    let mut categories: Vec<String> = from.into_iter().chain(to).collect();
    categories.sort();
    categories.dedup();
    heat_map(&HeatMap::from_long(
        format!(
            "Top search category: {} (rows) → {} (columns)",
            months.0, months.1
        ),
        transitions,
        ["category_m1", "category_m2", "users"],
        &categories,
        &categories,
    )?)
}

/// Builds the Customer 360 report.
///
/// # Errors
/// When an output table lacks a column the report reads or holds it with another dtype
/// (Polars error), or a chart cannot be drawn (the message names its title).
pub fn build(outputs: &Customer360Outputs) -> Result<Document> {
    let mut doc = Document::new("Customer 360 report");
    doc.text(format!(
        "IPTV content logs and search logs turned into per-customer profiles, IQR segments and \
         month-over-month search trends (rules C1–C13 of spec/customer360.md). Activeness bounds \
         are scaled to a period of {} days.",
        outputs.period_days
    ));
    doc.notes(&outputs.notices);

    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "C1, C8");

    doc.heading("Segments");
    doc.chart(
        "segment-sizes",
        "Customers per customer type (C7).",
        bar_chart_of(
            &outputs.segment_summary,
            "customer_type",
            "customers",
            "Customers by segment",
            20,
        )?,
    );
    doc.output(
        Domain::Customer360.dataset("segment_summary")?,
        "",
        &outputs.segment_summary,
        20,
    );
    doc.table(
        "Q1 and median of total_duration over all profiled contracts (inverted CDF), which the segments compare against (C7).",
        &outputs.quartiles,
        1,
    );

    doc.heading("Viewing");
    doc.chart(
        "viewing-by-category",
        "Viewing hours by content type within each customer type (C3).",
        viewing_by_segment(&outputs.customer_profile)?,
    );
    let activeness = activeness_distribution(&outputs.customer_profile)?;
    doc.chart(
        "activeness",
        "Customers per activeness level (C6).",
        bar_chart_of(&activeness, "activeness", "customers", "Activeness", 10)?,
    );
    let most_watched = most_watched_share(&outputs.customer_profile)?;
    doc.chart(
        "most-watched",
        "Share of customers by most-watched content type (C4).",
        bar_chart_of(
            &most_watched,
            "most_watch",
            "share",
            "Most-watched content type",
            10,
        )?,
    );
    doc.table(
        "Customers by most-watched content type (C4).",
        &most_watched,
        10,
    );
    doc.output(
        Domain::Customer360.dataset("customer_profile")?,
        "First rows.",
        &outputs.customer_profile,
        10,
    );

    doc.heading("Search interests");
    let by_month = top_categories_by_month(&outputs.search_top_keyword)?;
    doc.table(
        "Users per category of their top keyword, by month (C9, C10).",
        &by_month,
        60,
    );
    if let Some(months) = outputs.trend_months {
        let transitions = category_transitions(&outputs.search_trend)?;
        doc.chart(
            "category-transitions",
            "Where users' top search category went from one month to the next, each row scaled to its largest cell (C11).",
            transition_heat_map(&transitions, months)?,
        );
        doc.table(
            format!(
                "Category transitions {} → {}: users per pair (C11).",
                months.0, months.1
            ),
            &transitions,
            60,
        );
    }
    doc.output(
        Domain::Customer360.dataset("search_trend")?,
        "First rows.",
        &outputs.search_trend,
        10,
    );
    if let Some(joined) = &outputs.customer_360 {
        let customer_360 = Domain::Customer360.dataset("customer_360")?;
        doc.output(customer_360, "First rows.", joined, 10);
    }

    let (content, search) = (tables::content(), tables::search());
    let (mapping, link) = (tables::mapping(), tables::contract_users());
    let raw_inputs = [
        (
            "content (content/YYYYMMDD.json, fields under _source)",
            &content,
        ),
        ("search (search/YYYYMMDD/*.parquet)", &search),
        ("mapping (mapping.xlsx or mapping.csv)", &mapping.schema),
        (
            "contract_users (contract_users.csv, optional)",
            &link.schema,
        ),
    ];
    let raw_inputs: Vec<(String, &TableSchema)> = raw_inputs
        .into_iter()
        .map(|(caption, schema)| (caption.to_string(), schema))
        .collect();
    doc.data_dictionary(Domain::Customer360.datasets(), &raw_inputs)?;
    Ok(doc)
}

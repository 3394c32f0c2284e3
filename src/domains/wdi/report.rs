//! The WDI report: the chosen country's series, the panel of all countries ranked
//! by their latest value, and each country's peak year. Builds a [`Document`] from
//! [`WdiOutputs`]; the charts show the output tables, no rule is recomputed.

use anyhow::Result;
use polars::prelude::{col, DataFrame, IntoLazy, SortMultipleOptions};

use super::pipeline::{exclusions, WdiOutputs};
use super::tables;
use crate::report::{bar_chart_of, line_chart_of, Document};

/// Countries shown in the ranked view of the panel.
const RANKED: usize = 30;

/// Each country's most recent value in the panel (`countryName`, `year`, `value`),
/// highest first, then by country.
pub fn latest_values(panel: &DataFrame) -> Result<DataFrame> {
    Ok(panel
        .clone()
        .lazy()
        .group_by([col("countryName")])
        .agg([
            col("year").last(),
            col("value")
                .sort_by([col("year")], Default::default())
                .last(),
        ])
        .sort(
            ["value", "countryName"],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true),
        )
        .collect()?)
}

/// Builds the WDI report.
pub fn build(outputs: &WdiOutputs) -> Result<Document> {
    let mut doc = Document::new("World Development Indicators report");
    let indicator = format!("{} ({})", outputs.indicator_name, outputs.indicator);
    doc.text(format!(
        "The World Bank's indicator table in its long layout (W1), asked about {indicator}: the \
         series of {} (W2), the panel of all countries (W3) and each country's peak year (W4). The \
         long table is registered as `wdi` for SQL (W5): `cargo run --release --bin sql -- \"SELECT …\"`.",
        outputs.country
    ));
    for notice in &outputs.notices {
        doc.text(format!("Note: {notice}."));
    }

    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "W1");
    doc.table("Values left out (W1).", &exclusions(outputs)?, 5);

    doc.heading(format!("{} series", outputs.country));
    doc.chart(
        "country-series",
        format!("{indicator} of {} by year (W2).", outputs.country),
        line_chart_of(
            &outputs.country_series,
            "year",
            &["value"],
            &format!("{}: {}", outputs.country, outputs.indicator_name),
            &outputs.indicator,
        )?,
    );
    doc.table(
        format!("{} by year (W2).", outputs.country),
        &outputs.country_series,
        80,
    );

    doc.heading("All countries");
    let latest = latest_values(&outputs.indicator_panel)?;
    doc.chart(
        "panel-latest",
        format!("Each country's most recent value of {indicator}, the highest {RANKED} (W3)."),
        bar_chart_of(
            &latest,
            "countryName",
            "value",
            &format!("Latest {}", outputs.indicator_name),
            RANKED,
        )?,
    );
    doc.table(
        "Most recent value and its year per country (W3).",
        &latest,
        RANKED,
    );
    doc.table("The panel, first rows (W3).", &outputs.indicator_panel, 15);

    doc.heading("Peak years");
    doc.table(
        "Per country, the year of the highest non-zero value, earliest on ties; highest first (W4).",
        &outputs.peak_year,
        60,
    );

    doc.heading("Raw inputs");
    doc.text(
        "The declared long table: how each field is parsed and checked after the wide layout \
         is unpivoted. A row failing a check is quarantined under `column|rule`.",
    );
    doc.table(
        "wdi (WDIData*.csv unpivoted, or wdi*.csv)",
        &tables::long_schema().dictionary()?,
        10,
    );
    Ok(doc)
}

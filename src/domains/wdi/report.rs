//! The WDI report: the chosen country's series, the panel of all countries as a
//! country × year heat map and ranked by their latest value, and each country's peak
//! year. Builds a [`Document`] from
//! [`WdiOutputs`]; the charts show the output tables, no rule is recomputed.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{col, DataFrame, IntoLazy, SortMultipleOptions};

use super::pipeline::{exclusions, WdiOutputs};
use super::tables;
use crate::domains::Domain;
use crate::progress::thousands;
use crate::report::table::format_float;
use crate::report::{heat_map, line_chart, Document, HeatMap, LineChart, Svg};
use crate::values;

/// Countries shown in the ranked table of the panel.
const RANKED: usize = 30;

/// Each country's most recent value in the panel (`countryName`, `year`, `value`),
/// highest first, then by country.
///
/// # Errors
/// When `panel` lacks the `countryName`, `year` or `value` column (Polars error).
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

/// The country series over every year from its first to its last, a missing year
/// left as a gap in the line.
///
/// # Errors
/// When `country_series` lacks `year` or `value`, or one cannot be cast to numbers
/// (Polars error), or the chart cannot be drawn (the message names its title).
pub fn series_chart(outputs: &WdiOutputs) -> Result<Svg> {
    let years = values::u64s(&outputs.country_series, "year", 0)?;
    let found = values::f64s(&outputs.country_series, "value")?;
    let (first, last) = match (years.iter().min(), years.iter().max()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => (0, 0),
    };
    let all_years: Vec<u64> = if years.is_empty() {
        Vec::new()
    } else {
        (first..=last).collect()
    };
    let line = all_years
        .iter()
        .map(|year| years.iter().position(|y| y == year).and_then(|i| found[i]))
        .collect();
    line_chart(&LineChart {
        title: format!("{}: {}", outputs.country, outputs.indicator_name),
        x_labels: all_years.iter().map(u64::to_string).collect(),
        series: vec![("value".into(), line)],
        value_label: outputs.indicator.clone(),
    })
}

/// Countries drawn in the panel's heat map: every country and aggregate of the
/// World Bank's table (about 270) fits; beyond that a heat map stops being readable and
/// its drawing grows with the data, so the first ones alphabetically are drawn and the
/// caption says so.
const HEAT_MAP_COUNTRIES: usize = 400;

/// The panel's heat map cells: one row per country (in the panel's order, the first
/// `shown` countries), one column per year from their first to their last, each value
/// scaled between their lowest (0) and highest (1), a missing year `None`.
#[derive(Debug, PartialEq)]
struct PanelCells {
    rows: Vec<String>,
    /// Countries in the panel, drawn or not.
    countries: usize,
    first_year: u64,
    cells: Vec<Vec<Option<f64>>>,
    low: f64,
    high: f64,
}

/// The [`PanelCells`] of `panel` (`countryName`, `year`, `value`) for its first `shown`
/// countries, in one pass over its rows.
fn panel_cells(panel: &DataFrame, shown: usize) -> Result<PanelCells> {
    let countries = values::texts(panel, "countryName", "(null)")?;
    let years = values::u64s(panel, "year", 0)?;
    let found = values::f64s(panel, "value")?;
    let mut rows: Vec<String> = Vec::new();
    // Each country's row, `None` for a country past the first `shown`.
    let mut row_of: HashMap<&str, Option<usize>> = HashMap::new();
    for country in &countries {
        row_of.entry(country.as_str()).or_insert_with(|| {
            (rows.len() < shown).then(|| {
                rows.push(country.clone());
                rows.len() - 1
            })
        });
    }
    let drawn: Vec<(usize, u64, Option<f64>)> = countries
        .iter()
        .zip(&years)
        .zip(&found)
        .filter_map(|((country, year), value)| {
            row_of[country.as_str()].map(|row| (row, *year, *value))
        })
        .collect();
    let (first, last) = drawn
        .iter()
        .fold(None, |span: Option<(u64, u64)>, (_, year, _)| {
            Some(span.map_or((*year, *year), |(lo, hi)| (lo.min(*year), hi.max(*year))))
        })
        .unwrap_or((0, 0));
    let columns = if drawn.is_empty() {
        0
    } else {
        (last - first + 1) as usize
    };
    let present = drawn
        .iter()
        .filter_map(|(_, _, v)| *v)
        .filter(|v| v.is_finite());
    let (low, high) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = if high > low { high - low } else { 1.0 };
    let mut cells = vec![vec![None; columns]; rows.len()];
    for (row, year, value) in drawn {
        if let Some(value) = value {
            cells[row][(year - first) as usize] = Some((value - low) / span);
        }
    }
    Ok(PanelCells {
        rows,
        countries: row_of.len(),
        first_year: first,
        cells,
        low,
        high,
    })
}

/// The panel as a country × year heat map of its first [`HEAT_MAP_COUNTRIES`]
/// countries: each cell shaded by its value between the drawn values' lowest (white)
/// and highest (dark), a missing year left blank.
///
/// # Errors
/// When `indicator_panel` lacks `countryName` (text), `year` or `value`, or one cannot be
/// cast to numbers (Polars error), or the chart cannot be drawn (the message names its
/// title).
pub fn panel_heat_map(outputs: &WdiOutputs) -> Result<Svg> {
    Ok(panel_heat_map_with_caption(outputs, &outputs.indicator_name)?.0)
}

/// [`panel_heat_map`] and the report's caption for it, which names `indicator` and
/// says when only the first countries are drawn.
fn panel_heat_map_with_caption(outputs: &WdiOutputs, indicator: &str) -> Result<(Svg, String)> {
    let PanelCells {
        rows,
        countries,
        first_year,
        cells,
        low,
        high,
    } = panel_cells(&outputs.indicator_panel, HEAT_MAP_COUNTRIES)?;
    let mut caption = format!(
        "{indicator} of every country by year, shaded from the lowest to the highest value (W3)."
    );
    if rows.len() < countries {
        caption = format!(
            "{indicator} by year of the first {} of the panel's {} countries, alphabetically, \
             shaded from their lowest to their highest value; every country is in \
             `indicator_panel` (W3).",
            rows.len(),
            thousands(countries as u64),
        );
    }
    let columns = cells.first().map_or(0, Vec::len) as u64;
    let chart = heat_map(&HeatMap {
        title: format!(
            "{} by country and year (white {} … dark {})",
            outputs.indicator_name,
            format_float(low),
            format_float(high)
        ),
        rows,
        columns: (first_year..first_year + columns)
            .map(|y| y.to_string())
            .collect(),
        values: cells,
    })?;
    Ok((chart, caption))
}

/// Builds the WDI report.
///
/// # Errors
/// When an output table lacks a column the report reads or holds it with another dtype
/// (Polars error), or a chart cannot be drawn (the message names its title).
pub fn build(outputs: &WdiOutputs) -> Result<Document> {
    let mut doc = Document::new("World Development Indicators report");
    let indicator = format!("{} ({})", outputs.indicator_name, outputs.indicator);
    doc.text(format!(
        "The World Bank's indicator table in its long layout (W1), asked about {indicator}: the \
         series of {} (W2), the panel of all countries (W3) and each country's peak year (W4). The \
         long table is registered as `wdi` for SQL (W5): `cargo run --release --bin sql -- \"SELECT …\"`.",
        outputs.country
    ));
    doc.notes(&outputs.notices);

    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "W1");
    doc.table("Values left out (W1).", &exclusions(outputs)?, 5);

    doc.heading(format!("{} series", outputs.country));
    doc.chart(
        "country-series",
        format!("{indicator} of {} by year (W2).", outputs.country),
        series_chart(outputs)?,
    );
    doc.output(
        Domain::Wdi.dataset("country_series")?,
        &format!("{} by year.", outputs.country),
        &outputs.country_series,
        80,
    );

    doc.heading("All countries");
    let latest = latest_values(&outputs.indicator_panel)?;
    let (heat_map, caption) = panel_heat_map_with_caption(outputs, &indicator)?;
    doc.chart("panel", caption, heat_map);
    doc.table(
        "Most recent value and its year per country (W3).",
        &latest,
        RANKED,
    );
    let panel = Domain::Wdi.dataset("indicator_panel")?;
    doc.output(panel, "First rows.", &outputs.indicator_panel, 15);

    doc.heading("Peak years");
    doc.output(
        Domain::Wdi.dataset("peak_year")?,
        "Per country, the year of the highest non-zero value, earliest on ties; highest first.",
        &outputs.peak_year,
        60,
    );

    let caption = "wdi (WDIData*.csv, WDICSV*.csv or API_*.csv unpivoted to this long \
                   table, or wdi*.csv)";
    doc.data_dictionary(
        Domain::Wdi.datasets(),
        &[(caption.to_string(), &tables::long_schema())],
    )?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::df;

    /// Each value lands in its country's row and its year's column, scaled between
    /// the panel's extremes; a country's rows need not be together, and a year
    /// without a value stays blank.
    #[test]
    fn panel_cells_place_each_value_in_its_country_and_year() -> Result<()> {
        let panel = df!(
            "countryName" => ["B", "A", "B", "A"],
            "year" => [2000i64, 2001, 2002, 2003],
            "value" => [Some(1.0), Some(3.0), Some(2.0), None],
        )?;
        let cells = panel_cells(&panel, 10)?;
        assert_eq!(
            cells,
            PanelCells {
                rows: vec!["B".into(), "A".into()],
                countries: 2,
                first_year: 2000,
                cells: vec![
                    vec![Some(0.0), None, Some(0.5), None],
                    vec![None, Some(1.0), None, None],
                ],
                low: 1.0,
                high: 3.0,
            }
        );
        Ok(())
    }

    /// Past the first `shown` countries nothing is drawn, and the years and the
    /// shading's extremes are those of the countries drawn.
    #[test]
    fn panel_cells_draw_only_the_first_countries() -> Result<()> {
        let panel = df!(
            "countryName" => ["A", "A", "B", "C", "C"],
            "year" => [2001i64, 2002, 2003, 1990, 2010],
            "value" => [Some(2.0), Some(4.0), Some(3.0), Some(-50.0), Some(90.0)],
        )?;
        let cells = panel_cells(&panel, 2)?;
        assert_eq!(
            cells,
            PanelCells {
                rows: vec!["A".into(), "B".into()],
                countries: 3,
                first_year: 2001,
                cells: vec![
                    vec![Some(0.0), Some(1.0), None],
                    vec![None, None, Some(0.5)],
                ],
                low: 2.0,
                high: 4.0,
            }
        );
        Ok(())
    }
}

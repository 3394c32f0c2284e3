//! The TV report: what the run validated and dropped, then each analysis as a chart
//! and its table. Builds a [`Document`] from [`TvOutputs`]; no rule is recomputed.

use anyhow::Result;
use polars::prelude::DataFrame;

use super::pipeline::TvOutputs;
use super::tables;
use crate::report::{bar_chart_of, heat_map, Document, HeatMap, Svg};
use crate::values;

/// Bars shown in the program popularity chart.
const POPULAR_PROGRAMS_SHOWN: usize = 20;

fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    Ok(values::texts(df, column, "(null)")?)
}

/// Genre reach as a DMA × genre heat map, each DMA's row scaled to its top genre,
/// markets in `dma_order` and genres by overall reach.
///
/// # Errors
/// When `genre_reach` lacks `dma`, `genre` or `reach`, or the chart cannot be drawn.
pub fn genre_heat_map(genre_reach: &DataFrame, dma_order: &[String]) -> Result<Svg> {
    let dmas = strings(genre_reach, "dma")?;
    let genres = strings(genre_reach, "genre")?;
    let reach: Vec<f64> = values::f64s(genre_reach, "reach")?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let mut totals: Vec<(String, f64)> = Vec::new();
    for (genre, value) in genres.iter().zip(&reach) {
        match totals.iter_mut().find(|(g, _)| g == genre) {
            Some((_, total)) => *total += value,
            None => totals.push((genre.clone(), *value)),
        }
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let columns: Vec<String> = totals.into_iter().map(|(g, _)| g).collect();
    let mut values = vec![vec![None; columns.len()]; dma_order.len()];
    for ((dma, genre), value) in dmas.iter().zip(&genres).zip(&reach) {
        if let (Some(r), Some(c)) = (
            dma_order.iter().position(|d| d == dma),
            columns.iter().position(|g| g == genre),
        ) {
            values[r][c] = Some(*value);
        }
    }
    for row in &mut values {
        let max = row.iter().flatten().copied().fold(0.0f64, f64::max);
        if max > 0.0 {
            row.iter_mut().flatten().for_each(|v| *v /= max);
        }
    }
    heat_map(&HeatMap {
        title: "Genre reach by market (share of the market's top genre)".into(),
        rows: dma_order.to_vec(),
        columns,
        values,
    })
}

/// Builds the TV report.
///
/// # Errors
/// When an output table lacks a column the report shows, or a chart cannot be drawn.
pub fn build(outputs: &TvOutputs) -> Result<Document> {
    let mut doc = Document::new("TV audience report");
    doc.text(
        "Set-top-box tune events joined to households and markets (DMAs): the largest markets, \
         what they watch, how wealthy they are, which programs are popular and where the market \
         potential lies. Rules T1–T11 of spec/tv.md.",
    );

    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "T1, T4");
    doc.table(
        "Reference rows dropped by each cleaning step, in order (T5).",
        &outputs.reference_cleaning,
        10,
    );
    doc.table(
        &format!(
            "Program codes seen with more than one title or genre: {} clashes; the value on the most rows wins, \
             ties to the smallest (T3; the original analysis broke ties arbitrarily).",
            outputs.program_clashes.height()
        ),
        &outputs.program_clashes,
        20,
    );

    doc.heading("Top markets");
    doc.chart(
        "top-markets",
        "The 10 DMAs with the most devices (T6).",
        bar_chart_of(
            &outputs.top_markets,
            "dma",
            "devices",
            "Devices by market",
            10,
        )?,
    );
    doc.table("Top markets by devices (T6).", &outputs.top_markets, 10);

    doc.heading("Genre reach");
    let top_dmas = strings(&outputs.top_markets, "dma")?;
    doc.chart(
        "genre-reach",
        "Reach of each genre in the top markets, scaled per market to its most reached genre (T7).",
        genre_heat_map(&outputs.genre_reach, &top_dmas)?,
    );
    doc.table(
        "Five most reached genres per market (T7).",
        &outputs.top_genres,
        50,
    );

    doc.heading("Wealth");
    doc.chart(
        "wealth-score",
        "Wealth score by market: mean net worth and mean income level, each over its maximum (T8).",
        bar_chart_of(
            &outputs.wealth,
            "dma",
            "wealth_score",
            "Wealth score by market",
            20,
        )?,
    );
    doc.table("Wealth by market (T8).", &outputs.wealth, 20);
    doc.table(
        "Wealthy markets in wealth order, each with its 11 best genres not taken by a wealthier market (T9).",
        &outputs.wealthy_market_genres,
        10,
    );

    doc.heading("Program popularity");
    doc.chart(
        "program-popularity",
        "Share of all viewing devices that tuned to each title (T10).",
        bar_chart_of(
            &outputs.program_popularity,
            "title",
            "popularity_index",
            "Program popularity index",
            POPULAR_PROGRAMS_SHOWN,
        )?,
    );
    doc.table("Program popularity (T10).", &outputs.program_popularity, 20);

    doc.heading("Market potential");
    doc.table(
        "Markets with at least 30 households, graded A–D by wealth score in quarters (T11). \
         income_viewing_corr is the Pearson correlation of household income level and tune events.",
        &outputs.market_potential,
        50,
    );

    doc.heading("Raw inputs");
    doc.text(
        "The declared schema of each raw table (rule T1): how each column is parsed and checked. \
         A row failing a check is quarantined under `column|rule`; a null always passes value checks.",
    );
    for table in tables::all() {
        let caption = format!(
            "{} ({}, in file-name order)",
            table.schema.name,
            table.file_names()
        );
        doc.table(caption, &table.schema.dictionary()?, 50);
    }
    Ok(doc)
}

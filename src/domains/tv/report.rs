//! The TV report: what the run validated and dropped, then each analysis as a chart
//! and its table. Builds a [`Document`] from [`TvOutputs`]; no rule is recomputed.

use anyhow::Result;
use polars::prelude::{col, DataFrame, DataType, IntoLazy, SortMultipleOptions};

use super::pipeline::TvOutputs;
use super::tables;
use crate::domains::Domain;
use crate::report::{bar_chart_of, heat_map, Document, HeatMap, Svg};
use crate::schema::TableSchema;
use crate::values;

/// Bars shown in the program popularity chart.
const POPULAR_PROGRAMS_SHOWN: usize = 20;

fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    Ok(values::texts(df, column, "(null)")?)
}

/// Genre reach as a DMA × genre heat map, each DMA's row scaled to its top genre,
/// markets in `dma_order` and genres by overall reach (most first, ties by name).
///
/// # Errors
/// When `genre_reach` lacks `dma`, `genre` or `reach`, or the chart cannot be drawn.
pub fn genre_heat_map(genre_reach: &DataFrame, dma_order: &[String]) -> Result<Svg> {
    let genres = genre_reach
        .clone()
        .lazy()
        .group_by([col("genre")])
        .agg([col("reach").cast(DataType::Float64).sum().alias("total")])
        .sort(
            ["total", "genre"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    heat_map(&HeatMap::from_long(
        "Genre reach by market (share of the market's top genre)",
        genre_reach,
        ["dma", "genre", "reach"],
        dma_order,
        &strings(&genres, "genre")?,
    )?)
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

    doc.notes(&outputs.notices);
    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "T1, T4");
    doc.table(
        "Reference rows dropped by each cleaning step, in order (T5).",
        &outputs.reference_cleaning,
        10,
    );
    doc.output(
        Domain::Tv.dataset("program_clashes")?,
        &format!(
            "{} clashes; the value on the most rows wins, ties to the smallest (the original \
             analysis broke ties arbitrarily).",
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
    doc.output(
        Domain::Tv.dataset("top_markets")?,
        "",
        &outputs.top_markets,
        10,
    );

    doc.heading("Genre reach");
    let top_dmas = strings(&outputs.top_markets, "dma")?;
    doc.chart(
        "genre-reach",
        "Reach of each genre in the top markets, scaled per market to its most reached genre (T7).",
        genre_heat_map(&outputs.genre_reach, &top_dmas)?,
    );
    doc.output(
        Domain::Tv.dataset("top_genres")?,
        "The five most reached genres per market.",
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
    doc.output(Domain::Tv.dataset("wealth")?, "", &outputs.wealth, 20);
    doc.output(
        Domain::Tv.dataset("wealthy_market_genres")?,
        "Wealthy markets in wealth order, each with its 11 best genres not taken by a wealthier market.",
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
    doc.output(
        Domain::Tv.dataset("program_popularity")?,
        "",
        &outputs.program_popularity,
        20,
    );

    doc.heading("Market potential");
    doc.output(
        Domain::Tv.dataset("market_potential")?,
        "Markets with at least 30 households, graded A–D by wealth score in quarters. \
         income_viewing_corr is the Pearson correlation of household income level and tune events.",
        &outputs.market_potential,
        50,
    );

    let raw_tables = tables::all();
    let raw_inputs: Vec<(String, &TableSchema)> = raw_tables
        .iter()
        .map(|table| {
            let caption = format!(
                "{} ({}, in file-name order)",
                table.schema.name,
                table.file_names()
            );
            (caption, &table.schema)
        })
        .collect();
    doc.data_dictionary(Domain::Tv.datasets(), &raw_inputs)?;
    Ok(doc)
}

//! The movies report: data quality and what the join left out, revenue by genre in
//! constant dollars, the directors, revenue and budget by year, and the spread of
//! ROI. Builds a [`Document`] from [`MoviesOutputs`]; no rule is recomputed.

use anyhow::Result;
use polars::prelude::{col, len, lit, DataFrame, DataType, IntoLazy};

use super::pipeline::MoviesOutputs;
use super::tables;
use crate::domains::Domain;
use crate::report::{bar_chart_of, line_chart_of, Document};
use crate::schema::TableSchema;
use crate::transforms::first_true;

/// The ROI bands of the distribution, in order: an upper bound (exclusive) and a
/// label; past the last bound, [`TOP_BAND`].
const ROI_BANDS: [(f64, &str); 4] = [
    (0.0, "loss (roi < 0)"),
    (1.0, "0 to 1"),
    (3.0, "1 to 3"),
    (10.0, "3 to 10"),
];
const TOP_BAND: &str = "10 or more";

/// Movies per ROI band (`band`, `movies`), in band order, every band listed; movies
/// without a ROI (no budget) are left out.
///
/// # Errors
/// When `enriched` lacks `roi` (Polars error).
pub fn roi_distribution(enriched: &DataFrame) -> Result<DataFrame> {
    let roi = col("roi");
    let cases = ROI_BANDS
        .iter()
        .map(|(upper, label)| (roi.clone().lt(lit(*upper)), lit(*label)))
        .collect();
    let band = first_true(cases, lit(TOP_BAND));
    let counted = enriched
        .clone()
        .lazy()
        .filter(roi.is_not_null())
        .select([band.alias("band")])
        .group_by([col("band")])
        .agg([len().cast(DataType::UInt32).alias("movies")]);
    let order: Vec<&str> = ROI_BANDS
        .iter()
        .map(|(_, label)| *label)
        .chain([TOP_BAND])
        .collect();
    let bands = polars::prelude::df!("band" => order)?;
    Ok(bands
        .lazy()
        .left_join(counted, col("band"), col("band"))
        .with_column(col("movies").fill_null(lit(0u32)))
        .collect()?)
}

/// Builds the movies report.
///
/// # Errors
/// When an output table lacks a column the report shows, or a chart cannot be drawn.
pub fn build(outputs: &MoviesOutputs) -> Result<Document> {
    let dataset = |name: &str| Domain::Movies.dataset(name);
    let mut doc = Document::new("Movie revenue report");
    doc.text(format!(
        "TMDB and IMDB catalogues matched on title and runtime, in dollars of {}-{:02} \
         (CPI {}): revenue by genre, director and year, and the return on budget. Rules \
         V1–V8 of spec/movies.md; the tables and the nine V9 views are also served to BI \
         tools in movies.duckdb beside them.",
        outputs.base_month / 100,
        outputs.base_month % 100,
        outputs.base_cpi
    ));
    doc.notes(&outputs.notices);
    doc.data_quality(&outputs.table_counts, &outputs.quarantine_summary, "V1");
    doc.output(
        dataset("match_counts")?,
        "TMDB movies without an IMDB match, IMDB movies without a TMDB one, matched \
         movies without revenue, and matched movies whose release month has no CPI.",
        &outputs.match_counts,
        10,
    );

    doc.heading("Genres");
    doc.chart(
        "genre-revenue",
        "Revenue by genre in constant dollars; a movie counts once in each of its genres (V7).",
        bar_chart_of(
            &outputs.genre_revenue,
            "genre",
            "revenue_real",
            "Revenue by genre (constant dollars)",
            20,
        )?,
    );
    doc.output(dataset("genre_revenue")?, "", &outputs.genre_revenue, 30);

    doc.heading("Directors");
    doc.output(
        dataset("director_revenue")?,
        "The 20 with the most revenue.",
        &outputs.director_revenue,
        20,
    );

    doc.heading("Years");
    doc.chart(
        "yearly-revenue",
        "Revenue and budget of the movies released each year, in constant dollars (V7).",
        line_chart_of(
            &outputs.yearly_revenue,
            "release_year",
            &["revenue_real", "budget_real"],
            "Revenue and budget by release year",
            "constant dollars",
        )?,
    );
    doc.output(dataset("yearly_revenue")?, "", &outputs.yearly_revenue, 200);

    doc.heading("Return on budget");
    let roi = roi_distribution(&outputs.movies_enriched)?;
    doc.chart(
        "roi",
        "Movies by return on budget, (revenue − budget) / budget, for movies with a budget (V6).",
        bar_chart_of(&roi, "band", "movies", "Movies by ROI", 10)?,
    );
    doc.table("Movies by ROI band (V6).", &roi, 10);
    doc.output(
        dataset("movies_enriched")?,
        "First rows.",
        &outputs.movies_enriched,
        10,
    );

    let (tmdb, imdb, cpi) = (tables::tmdb(), tables::imdb(), tables::cpi());
    let raw_inputs: Vec<(String, &TableSchema)> = vec![
        (format!("tmdb ({})", tmdb.file_names()), &tmdb.schema),
        (format!("imdb ({})", imdb.file_names()), &imdb.schema),
        (format!("cpi ({})", cpi.file_names()), &cpi.schema),
    ];
    doc.data_dictionary(Domain::Movies.datasets(), &raw_inputs)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_frame_eq;
    use polars::prelude::df;

    #[test]
    fn roi_bands_count_movies_with_a_roi_and_list_every_band() -> Result<()> {
        let enriched =
            df!("roi" => [Some(-0.5), Some(0.0), Some(0.99), Some(2.0), Some(25.0), None])?;
        assert_frame_eq!(
            roi_distribution(&enriched)?,
            df!(
                "band" => ["loss (roi < 0)", "0 to 1", "1 to 3", "3 to 10", "10 or more"],
                "movies" => [1u32, 2, 1, 0, 1],
            )?
        );
        Ok(())
    }
}

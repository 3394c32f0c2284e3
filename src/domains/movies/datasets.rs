//! The movies domain's datasets, each named once: its validated tables (their
//! columns are the raw schemas', in [`super::tables`]) and its output tables with
//! their columns and dtypes (`spec/movies.md`, "Output tables"). A run hands its
//! output tables over collected, in [`MoviesOutputs`].

use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs first, then outputs in the spec's
/// order, then the counts of what V5 leaves out.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "movies_tmdb",
        Location::Valid("tmdb"),
        "TMDB export, validated (V1)",
    ),
    Dataset::new(
        "movies_imdb",
        Location::Valid("imdb"),
        "IMDB catalogue, validated (V1)",
    ),
    Dataset::new(
        "movies_cpi",
        Location::Valid("cpi"),
        "CPI by month, validated (V1)",
    ),
    Dataset::quarantine_summary("movies_quarantine_summary"),
    Dataset::output(
        "movies_enriched",
        "movies_enriched",
        "matched movies in constant dollars (V5, V6)",
        &[
            ("movie_id", "i64"),
            ("title", "str"),
            ("release_date", "date"),
            ("release_year", "i32"),
            ("release_month", "i32"),
            ("runtime", "i64"),
            ("certificate", "str"),
            ("rating", "f64"),
            ("director", "str"),
            ("budget", "i64"),
            ("revenue", "i64"),
            ("cpi", "f64"),
            ("budget_real", "f64"),
            ("revenue_real", "f64"),
            ("profit_real", "f64"),
            ("roi", "f64"),
        ],
    ),
    Dataset::new(
        "movies_enriched_by_year",
        Location::OutputParts("movies_enriched"),
        "movies_enriched partitioned by release_year, Hive layout (V8)",
    ),
    Dataset::output(
        "movie_genres",
        "movie_genres",
        "movie–genre bridge (V7)",
        &[("movie_id", "i64"), ("genre", "str")],
    ),
    Dataset::output(
        "genre_revenue",
        "genre_revenue",
        "revenue by genre, each movie once per genre (V7)",
        &[
            ("genre", "str"),
            ("movies", "u32"),
            ("revenue_real", "f64"),
            ("budget_real", "f64"),
            ("avg_roi", "f64"),
        ],
    ),
    Dataset::output(
        "director_revenue",
        "director_revenue",
        "revenue by director (V7)",
        &[
            ("director", "str"),
            ("movies", "u32"),
            ("revenue_real", "f64"),
            ("profit_real", "f64"),
            ("avg_rating", "f64"),
        ],
    ),
    Dataset::output(
        "yearly_revenue",
        "yearly_revenue",
        "revenue and budget by release year (V7)",
        &[
            ("release_year", "i32"),
            ("movies", "u32"),
            ("revenue_real", "f64"),
            ("budget_real", "f64"),
        ],
    ),
    Dataset::output(
        "match_counts",
        "match_counts",
        "movies left out by the join, the revenue and the CPI (V5)",
        &[("count", "str"), ("rows", "u32")],
    ),
];

/// Every table a movies run produces, collected.
pub struct MoviesOutputs {
    pub quarantine_summary: DataFrame,
    pub movies_enriched: DataFrame,
    pub movie_genres: DataFrame,
    pub genre_revenue: DataFrame,
    pub director_revenue: DataFrame,
    pub yearly_revenue: DataFrame,
    /// `count`, `rows`: what V5 leaves out (see [`super::rules::Matched`]).
    pub match_counts: DataFrame,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` per raw table.
    pub table_counts: DataFrame,
    /// The base month of the constant dollars (yyyymm) and its CPI.
    pub base_month: i32,
    pub base_cpi: f64,
    /// What the readers and the validation found worth saying (such as optional
    /// numbers read as null), for the report.
    pub notices: Vec<String>,
}

impl MoviesOutputs {
    /// The output tables, by name: the spec's, in its order, then `match_counts`.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 7] {
        [
            ("quarantine_summary", &self.quarantine_summary),
            ("movies_enriched", &self.movies_enriched),
            ("movie_genres", &self.movie_genres),
            ("genre_revenue", &self.genre_revenue),
            ("director_revenue", &self.director_revenue),
            ("yearly_revenue", &self.yearly_revenue),
            ("match_counts", &self.match_counts),
        ]
    }
}

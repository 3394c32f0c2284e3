//! The TV domain's datasets, each named once: its validated tables (their
//! columns are the raw schema's, in [`super::tables`]) and its output tables with
//! their columns and dtypes. The SQL catalog, the output lists and the tests that
//! pin every output table's schema take them from here. A run hands its output
//! tables over collected, in [`TvOutputs`].

use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs first, then outputs in the spec's
/// order.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "tv_programs",
        Location::Valid("programs"),
        "program schedule, validated (T1)",
    ),
    Dataset::new(
        "tv_demographics",
        Location::Valid("demographics"),
        "household demographics, validated (T1)",
    ),
    Dataset::new(
        "tv_reference",
        Location::Valid("reference"),
        "device–household–market reference, validated (T1)",
    ),
    Dataset::new(
        "tv_viewing",
        Location::Valid("viewing"),
        "tuning events, validated (T1, T4)",
    ),
    Dataset::quarantine_summary("tv_quarantine_summary"),
    Dataset::output(
        "program_clashes",
        "program_clashes",
        "programs with clashing titles or genres (T3)",
        &[
            ("prog_code", "str"),
            ("field", "str"),
            ("chosen", "str"),
            ("variants", "u32"),
            ("rows", "u32"),
        ],
    ),
    Dataset::output(
        "top_markets",
        "top_markets",
        "markets by devices (T6)",
        &[("dma", "str"), ("devices", "u32"), ("households", "u32")],
    ),
    Dataset::output(
        "genre_reach",
        "genre_reach",
        "devices per market and genre (T7)",
        &[
            ("dma", "str"),
            ("genre", "str"),
            ("reach", "u32"),
            ("genre_rank", "u32"),
        ],
    ),
    Dataset::output(
        "top_genres",
        "top_genres",
        "top genres per market (T7)",
        &[
            ("dma", "str"),
            ("genre", "str"),
            ("reach", "u32"),
            ("genre_rank", "u32"),
        ],
    ),
    Dataset::output(
        "wealth",
        "wealth",
        "wealth score per market (T8)",
        &[
            ("dma", "str"),
            ("households", "u32"),
            ("avg_net_worth", "f64"),
            ("avg_income_level", "f64"),
            ("wealth_score", "f64"),
        ],
    ),
    Dataset::output(
        "wealthy_market_genres",
        "wealthy_market_genres",
        "genres of the wealthiest markets (T9)",
        &[("dma", "str"), ("wealth_score", "f64"), ("genres", "str")],
    ),
    Dataset::output(
        "program_popularity",
        "program_popularity",
        "programs by devices reached (T10)",
        &[
            ("title", "str"),
            ("devices", "u32"),
            ("popularity_index", "f64"),
            ("rank", "u32"),
        ],
    ),
    Dataset::output(
        "market_potential",
        "market_potential",
        "market potential (T11)",
        &[
            ("dma", "str"),
            ("households", "u32"),
            ("devices", "u32"),
            ("viewing_per_device", "f64"),
            ("income_viewing_corr", "f64"),
            ("wealth_score", "f64"),
            ("potential_grade", "str"),
        ],
    ),
];

/// Every table a TV run produces, collected (they are small).
pub struct TvOutputs {
    pub quarantine_summary: DataFrame,
    pub program_clashes: DataFrame,
    pub top_markets: DataFrame,
    pub genre_reach: DataFrame,
    pub top_genres: DataFrame,
    pub wealth: DataFrame,
    pub wealthy_market_genres: DataFrame,
    pub program_popularity: DataFrame,
    pub market_potential: DataFrame,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` per raw table.
    pub table_counts: DataFrame,
    /// `step`, `rows`: what each T5 cleaning step dropped from the reference.
    pub reference_cleaning: DataFrame,
    /// What the readers found worth saying, for the report.
    pub notices: Vec<String>,
}

impl TvOutputs {
    /// The spec's output tables, by name, in the spec's order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 9] {
        [
            ("quarantine_summary", &self.quarantine_summary),
            ("program_clashes", &self.program_clashes),
            ("top_markets", &self.top_markets),
            ("genre_reach", &self.genre_reach),
            ("top_genres", &self.top_genres),
            ("wealth", &self.wealth),
            ("wealthy_market_genres", &self.wealthy_market_genres),
            ("program_popularity", &self.program_popularity),
            ("market_potential", &self.market_potential),
        ]
    }
}

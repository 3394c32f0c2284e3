//! The WDI domain's datasets, each named once: its validated tables (their
//! columns are the raw schema's, in [`super::tables`]) and its output tables with
//! their columns and dtypes. The SQL catalog, the output lists and the tests that
//! pin every output table's schema take them from here. A run hands its output
//! tables over collected, in [`WdiOutputs`].

use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs first, then outputs in the spec's
/// order.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "wdi",
        Location::Valid("wdi"),
        "indicator values, long layout (W1, W5)",
    ),
    Dataset::output(
        "country_series",
        "country_series",
        "one country's indicator by year (W2)",
        &[("year", "i64"), ("value", "f64")],
    ),
    Dataset::output(
        "indicator_panel",
        "indicator_panel",
        "one indicator for every country (W3)",
        &[("countryName", "str"), ("year", "i64"), ("value", "f64")],
    ),
    Dataset::output(
        "peak_year",
        "peak_year",
        "each country's peak year (W4)",
        &[("countryName", "str"), ("year", "i64"), ("value", "f64")],
    ),
];

/// Every table a WDI run produces, collected.
pub struct WdiOutputs {
    pub country_series: DataFrame,
    pub indicator_panel: DataFrame,
    pub peak_year: DataFrame,
    /// `table`, `reason`, `rows` of the quarantined long rows (W1).
    pub quarantine_summary: DataFrame,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined`; rows in are the
    /// non-empty values.
    pub table_counts: DataFrame,
    /// Empty values dropped by W1.
    pub empty_values: u64,
    /// The country and indicator asked for, as given.
    pub country: String,
    pub indicator: String,
    /// The indicator's name in the data (its code when it has no name).
    pub indicator_name: String,
    /// What the run decided that a reader should know.
    pub notices: Vec<String>,
}

impl WdiOutputs {
    /// The spec's output tables, by name, in the spec's order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 3] {
        [
            ("country_series", &self.country_series),
            ("indicator_panel", &self.indicator_panel),
            ("peak_year", &self.peak_year),
        ]
    }
}

//! The wdi domain's datasets, each named once: its validated tables (their columns
//! are the raw schema's, in [`super::tables`]) and its output tables with their columns
//! and dtypes. The SQL catalog, the output lists and the tests that pin every output
//! table's schema take them from here.

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

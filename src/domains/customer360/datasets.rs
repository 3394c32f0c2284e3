//! The Customer 360 domain's datasets, each named once: its validated tables (their
//! columns are the raw schema's, in [`super::tables`]) and its output tables with
//! their columns and dtypes. The SQL catalog, the output lists and the tests that
//! pin every output table's schema take them from here. A run hands its output
//! tables over collected, in [`Customer360Outputs`].

use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs first, then outputs in the spec's
/// order.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "customer360_content",
        Location::ValidParts("content"),
        "content logs, validated (C1)",
    ),
    Dataset::new(
        "customer360_content_quarantine",
        Location::ValidParts("quarantine/content"),
        "content rows that failed validation, with the rule (C1)",
    ),
    Dataset::new(
        "customer360_search",
        Location::Valid("search"),
        "search logs, validated (C8)",
    ),
    Dataset::new(
        "customer360_mapping",
        Location::Valid("mapping"),
        "keyword → category mapping (C10)",
    ),
    Dataset::new(
        "customer360_contract_users",
        Location::Valid("contract_users"),
        "contract–user link (C12)",
    ),
    Dataset::quarantine_summary("customer360_quarantine_summary"),
    Dataset::output(
        "customer_profile",
        "customer_profile",
        "per-contract profile and segment (C2–C7)",
        &[
            ("contract", "str"),
            ("Total_Truyen_hinh", "i64"),
            ("Total_Phim_truyen", "i64"),
            ("Total_The_thao", "i64"),
            ("Total_Giai_tri", "i64"),
            ("Total_Thieu_nhi", "i64"),
            ("total_duration", "i64"),
            ("total_devices", "i64"),
            ("most_watch", "str"),
            ("customer_taste", "str"),
            ("active_days", "i64"),
            ("activeness", "str"),
            ("customer_type", "str"),
        ],
    ),
    Dataset::output(
        "segment_summary",
        "segment_summary",
        "customer types (C7)",
        &[
            ("customer_type", "str"),
            ("customers", "i64"),
            ("avg_total_duration", "f64"),
        ],
    ),
    Dataset::output(
        "search_top_keyword",
        "search_top_keyword",
        "top keyword per user and month (C9, C10)",
        &[
            ("month", "i32"),
            ("user_id", "str"),
            ("keyword", "str"),
            ("searches", "i64"),
            ("category", "str"),
        ],
    ),
    Dataset::output(
        "search_trend",
        "search_trend",
        "search category change between two months (C11)",
        &[
            ("user_id", "str"),
            ("keyword_m1", "str"),
            ("keyword_m2", "str"),
            ("category_m1", "str"),
            ("category_m2", "str"),
            ("trending_type", "str"),
            ("previous", "str"),
        ],
    ),
    Dataset::output(
        "customer_360",
        "customer_360",
        "profile joined to users (C12)",
        &[
            ("contract", "str"),
            ("user_id", "str"),
            ("Total_Truyen_hinh", "i64"),
            ("Total_Phim_truyen", "i64"),
            ("Total_The_thao", "i64"),
            ("Total_Giai_tri", "i64"),
            ("Total_Thieu_nhi", "i64"),
            ("total_duration", "i64"),
            ("total_devices", "i64"),
            ("most_watch", "str"),
            ("customer_taste", "str"),
            ("active_days", "i64"),
            ("activeness", "str"),
            ("customer_type", "str"),
            ("keyword_m1", "str"),
            ("keyword_m2", "str"),
            ("category_m1", "str"),
            ("category_m2", "str"),
            ("trending_type", "str"),
            ("previous", "str"),
        ],
    ),
];

/// Every table a Customer 360 run produces, collected (they are per customer).
pub struct Customer360Outputs {
    pub quarantine_summary: DataFrame,
    pub customer_profile: DataFrame,
    pub segment_summary: DataFrame,
    pub search_top_keyword: DataFrame,
    pub search_trend: DataFrame,
    /// Omitted without a contract–user link.
    pub customer_360: Option<DataFrame>,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` per raw table.
    pub table_counts: DataFrame,
    /// The days the activeness bounds are scaled for (C6).
    pub period_days: i64,
    /// `q1`, `median` of `total_duration` (C7).
    pub quartiles: DataFrame,
    /// The months the trend compares (C11), when two were available.
    pub trend_months: Option<(i32, i32)>,
    /// What the run decided that a reader should know (omitted tables, …).
    pub notices: Vec<String>,
}

impl Customer360Outputs {
    /// The spec's output tables that this run produced, by name, in the spec's order.
    pub fn tables(&self) -> Vec<(&'static str, &DataFrame)> {
        let mut tables = vec![
            ("quarantine_summary", &self.quarantine_summary),
            ("customer_profile", &self.customer_profile),
            ("segment_summary", &self.segment_summary),
            ("search_top_keyword", &self.search_top_keyword),
            ("search_trend", &self.search_trend),
        ];
        if let Some(joined) = &self.customer_360 {
            tables.push(("customer_360", joined));
        }
        tables
    }

    /// The tables C13 loads into the database.
    pub fn database_tables(&self) -> Vec<(&'static str, &DataFrame)> {
        self.tables()
            .into_iter()
            .filter(|(name, _)| {
                matches!(*name, "customer_360" | "customer_profile" | "search_trend")
            })
            .collect()
    }
}

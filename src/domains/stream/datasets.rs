//! The stream domain's datasets, each named once: its validated raw tables, the
//! curated tables (S2, under the names SQL users query: `channels`, `users`,
//! `ad_revenue`, `viewership`), and the output tables of S6 with their columns and
//! dtypes (`spec/stream.md`, "Output tables"), then the counts of the rows each
//! deduplication dropped. The curated tables are Delta Lake tables under
//! `lake/stream/`.

use anyhow::{anyhow, Result};
use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs, curated tables, then outputs in
/// the spec's order and the deduplication counts.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "stream_channel_metadata",
        Location::Valid("channel_metadata"),
        "channel metadata, validated (S2)",
    ),
    Dataset::new(
        "stream_demographics",
        Location::Valid("demographics"),
        "demographics, validated (S2)",
    ),
    Dataset::new(
        "stream_ad_revenue",
        Location::Valid("ad_revenue"),
        "daily ad revenue rows, validated (S2)",
    ),
    Dataset::new(
        "stream_viewership_logs",
        Location::Valid("viewership_logs"),
        "viewing sessions, validated (S2)",
    ),
    Dataset::new(
        "channels",
        Location::Lake("channels"),
        "channels, the first valid row per channel_id (S2, Delta Lake)",
    ),
    Dataset::new(
        "users",
        Location::Lake("users"),
        "user profiles, the first valid row per user_id (S2, Delta Lake)",
    ),
    Dataset::new(
        "ad_revenue",
        Location::Lake("ad_revenue"),
        "ad revenue per channel and date, the last file's row winning (S2, S3, Delta Lake, partitioned by date)",
    ),
    Dataset::new(
        "viewership",
        Location::Lake("viewership"),
        "viewing sessions, the first valid row per session_id, with event_date (S2, Delta Lake, partitioned by event_date)",
    ),
    Dataset::quarantine_summary("stream_quarantine_summary"),
    Dataset::output(
        "channel_minutes",
        "channel_minutes",
        "viewing minutes per channel (S6)",
        &[
            ("channel_id", "str"),
            ("channel_name", "str"),
            ("sessions", "i64"),
            ("total_minutes", "f64"),
        ],
    ),
    Dataset::output(
        "device_engagement",
        "device_engagement",
        "engagement by device (S6)",
        &[("device", "str"), ("sessions", "i64"), ("avg_engagement", "f64")],
    ),
    Dataset::output(
        "daily_ad_revenue",
        "daily_ad_revenue",
        "daily ad revenue per channel (S6)",
        &[("date", "date"), ("channel_id", "str"), ("ad_revenue", "f64")],
    ),
    Dataset::output(
        "gender_completion",
        "gender_completion",
        "completion by gender (S6)",
        &[("gender", "str"), ("sessions", "i64"), ("avg_completion", "f64")],
    ),
    Dataset::output(
        "region_top_genre",
        "region_top_genre",
        "most-watched genre per region (S6)",
        &[("region", "str"), ("genre", "str"), ("total_minutes", "f64")],
    ),
    Dataset::output(
        "top_channels_7d",
        "top_channels_7d",
        "top 5 channels by ad revenue over the last 7 days (S6)",
        &[("rank", "i64"), ("channel_id", "str"), ("ad_revenue", "f64")],
    ),
    Dataset::output(
        "region_peak_hour",
        "region_peak_hour",
        "peak viewing hour per region (S6)",
        &[("region", "str"), ("hour", "i64"), ("sessions", "i64")],
    ),
    Dataset::output(
        "live_by_age_group",
        "live_by_age_group",
        "live viewing by age group (S6)",
        &[
            ("age_group", "str"),
            ("live_sessions", "i64"),
            ("live_minutes", "f64"),
        ],
    ),
    Dataset::output(
        "channel_top_subscription",
        "channel_top_subscription",
        "subscription type bringing the most revenue per channel (S6)",
        &[
            ("channel_id", "str"),
            ("subscription_type", "str"),
            ("ad_revenue", "f64"),
        ],
    ),
    Dataset::output(
        "high_engagement_sessions",
        "high_engagement_sessions",
        "sessions with completion > 90 and duration > 1 minute, per channel (S6)",
        &[
            ("channel_id", "str"),
            ("sessions", "i64"),
            ("high_engagement", "i64"),
            ("share", "f64"),
        ],
    ),
    Dataset::output(
        "above_daily_average",
        "above_daily_average",
        "channels above the day's average ad revenue (S6)",
        &[
            ("date", "date"),
            ("channel_id", "str"),
            ("ad_revenue", "f64"),
            ("day_average", "f64"),
        ],
    ),
    Dataset::output(
        "genre_revenue_completion",
        "genre_revenue_completion",
        "ad revenue against completion by genre (S6)",
        &[
            ("genre", "str"),
            ("sessions", "i64"),
            ("ad_revenue", "f64"),
            ("avg_completion", "f64"),
        ],
    ),
    Dataset::output(
        "buffering_but_engaged",
        "buffering_but_engaged",
        "channels with high buffering but good engagement (S6)",
        &[
            ("channel_id", "str"),
            ("avg_buffer_count", "f64"),
            ("avg_engagement", "f64"),
        ],
    ),
    Dataset::output(
        "region_user_minutes",
        "region_user_minutes",
        "average viewing time per user by region (S6)",
        &[
            ("region", "str"),
            ("users", "i64"),
            ("total_minutes", "f64"),
            ("minutes_per_user", "f64"),
        ],
    ),
    Dataset::output(
        "mobile_vs_smart_tv",
        "mobile_vs_smart_tv",
        "Mobile against Smart TV (S6)",
        &[
            ("device", "str"),
            ("sessions", "i64"),
            ("total_minutes", "f64"),
            ("avg_engagement", "f64"),
            ("avg_completion", "f64"),
        ],
    ),
    Dataset::output(
        "gender_genre",
        "gender_genre",
        "genre popularity by gender (S6)",
        &[
            ("gender", "str"),
            ("genre", "str"),
            ("sessions", "i64"),
            ("total_minutes", "f64"),
        ],
    ),
    Dataset::output(
        "premium_channels",
        "premium_channels",
        "channels popular with Premium subscribers (S6)",
        &[
            ("channel_id", "str"),
            ("premium_sessions", "i64"),
            ("premium_minutes", "f64"),
        ],
    ),
    Dataset::output(
        "dedup_counts",
        "dedup_counts",
        "rows each deduplication dropped: repeated channels, users and sessions, superseded ad revenue (S2)",
        &[("table", "str"), ("reason", "str"), ("rows", "i64")],
    ),
];

/// Every output table a stream run produces, collected, in [`DATASETS`] order
/// (`quarantine_summary` first, `dedup_counts` last).
pub struct StreamOutputs {
    pub tables: Vec<(&'static str, DataFrame)>,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` per raw table.
    pub table_counts: DataFrame,
    /// Sessions per region and hour (`region`, `hour`, `sessions`), for the report's
    /// heat map.
    pub region_hours: DataFrame,
    /// Each Delta table after the run: `table`, `version`, `files` and `rows` of the
    /// latest version.
    pub lake_tables: DataFrame,
    /// The batches of the last live ingest into `viewership`
    /// ([`super::ingest::last_ingest`]); no rows when there was none.
    pub last_ingest: DataFrame,
    /// The rows `stream merge` and `stream ingest` quarantined in the lake
    /// ([`super::merge::lake_quarantine_summary`]).
    pub lake_quarantine: DataFrame,
    /// What the readers found worth saying, for the report.
    pub notices: Vec<String>,
}

impl StreamOutputs {
    /// The output tables, by name.
    pub fn tables(&self) -> Vec<(&'static str, &DataFrame)> {
        self.tables
            .iter()
            .map(|(name, frame)| (*name, frame))
            .collect()
    }

    /// The output table `name`.
    ///
    /// # Errors
    /// When the run wrote no table of that name.
    pub fn table(&self, name: &str) -> Result<&DataFrame> {
        self.tables
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, frame)| frame)
            .ok_or_else(|| anyhow!("the stream run has no output table `{name}`"))
    }
}

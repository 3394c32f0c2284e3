//! The stream domain's raw tables (`spec/stream.md`, "Raw inputs"): channel
//! metadata, demographics, daily ad revenue and the viewing logs, each a declared
//! schema with its file names, lists and ranges. The live events carry the viewing
//! logs' fields.

use crate::io::{RawTable, Source, TextLayout};
use crate::schema::{Column, ColumnType, Prepare, TableSchema};

/// Channel genres, as the metadata and the viewing logs write them.
pub const GENRES: [&str; 6] = ["Entertainment", "News", "Sports", "Kids", "Music", "Movies"];
/// Channel languages.
pub const LANGUAGES: [&str; 8] = [
    "Hindi",
    "English",
    "Tamil",
    "Telugu",
    "Malayalam",
    "Kannada",
    "Marathi",
    "Bengali",
];
/// Genders of the demographics.
pub const GENDERS: [&str; 3] = ["Male", "Female", "Other"];
/// Age groups of the demographics.
pub const AGE_GROUPS: [&str; 6] = ["<18", "18-25", "26-35", "36-45", "46-60", "60+"];
/// Regions, of users and of viewing sessions.
pub const REGIONS: [&str; 7] = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Northeast",
    "Pan-India",
];
/// Subscription types, of users and of viewing sessions.
pub const SUBSCRIPTIONS: [&str; 3] = ["Free", "Basic", "Premium"];
/// Viewing devices.
pub const DEVICES: [&str; 4] = ["Mobile", "Tablet", "Smart TV", "Laptop"];
/// Viewing platforms.
pub const PLATFORMS: [&str; 5] = ["Android", "iOS", "Web", "FireTV", "Roku"];
/// `is_live` as written, read in lower case: `True`/`False` in any case, or `1`/`0`.
pub const LIVE_SPELLINGS: [&str; 4] = ["true", "false", "1", "0"];

/// The viewing logs' columns, in file order (also the fields of a live event).
pub const VIEWING_COLUMNS: [&str; 18] = [
    "session_id",
    "user_id",
    "channel_id",
    "channel_name",
    "show_name",
    "genre",
    "timestamp",
    "duration_minutes",
    "region",
    "subscription_type",
    "device",
    "platform",
    "is_live",
    "ads_watched",
    "ad_revenue",
    "engagement_score",
    "buffer_count",
    "completion_percentage",
];

/// The timestamp layout of the viewing logs (local platform time, no zone).
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A count or an amount no real row reaches: past it a value is broken.
const LIMIT: f64 = 1e12;

/// The stream files: CSV with a header, quotes strictly RFC 4180 (a quote inside an
/// unquoted field is `layout|quoting`, as the spec says).
fn csv(prefix: &'static str) -> Vec<Source> {
    vec![Source::text(
        prefix,
        ".csv",
        TextLayout::CSV_WITH_HEADER.with_strict_quotes(),
    )]
}

/// `channel_metadata*.csv`: `channel_id,channel_name,genre,language,launch_year`.
/// Required: channel_id, channel_name; genre and language from their lists;
/// launch_year an integer 1950–2100.
pub fn channel_metadata() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "channel_metadata",
            vec![
                Column::text("channel_id").required(),
                Column::text("channel_name").required(),
                Column::text("genre").one_of(&GENRES),
                Column::text("language").one_of(&LANGUAGES),
                Column::new("launch_year", ColumnType::Int).range(1950.0, 2100.0),
            ],
        ),
        csv("channel_metadata"),
    )
}

/// `demographics*.csv`: `user_id,gender,age_group,region,subscription_type`.
/// Required: user_id; the others from their lists.
pub fn demographics() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "demographics",
            vec![
                Column::text("user_id").required(),
                Column::text("gender").one_of(&GENDERS),
                Column::text("age_group").one_of(&AGE_GROUPS),
                Column::text("region").one_of(&REGIONS),
                Column::text("subscription_type").one_of(&SUBSCRIPTIONS),
            ],
        ),
        csv("demographics"),
    )
}

/// `ad_revenue*.csv`: `channel_id,channel_name,date,ad_revenue`, all required; date
/// `YYYY-MM-DD`, ad_revenue a float ≥ 0.
pub fn ad_revenue() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "ad_revenue",
            vec![
                Column::text("channel_id").required(),
                Column::text("channel_name").required(),
                Column::new("date", ColumnType::Date("%Y-%m-%d")).required(),
                Column::new("ad_revenue", ColumnType::Float)
                    .required()
                    .range(0.0, LIMIT),
            ],
        ),
        csv("ad_revenue"),
    )
}

/// `viewership_logs*.csv`, the 18 [`VIEWING_COLUMNS`]. Required: session_id, user_id,
/// channel_id, timestamp (`yyyy-MM-dd HH:mm:ss`), duration_minutes (float ≥ 0);
/// is_live `True`/`False` in any case or `1`/`0`; counts integers ≥ 0;
/// engagement_score 0–1; completion_percentage 0–100; lists for genre, region,
/// subscription_type, device and platform.
pub fn viewership_logs() -> RawTable {
    RawTable::new(viewing_schema("viewership_logs"), csv("viewership_logs"))
}

/// The viewing logs' schema under `name` (live events are validated by it too).
pub fn viewing_schema(name: &'static str) -> TableSchema {
    let columns = VIEWING_COLUMNS
        .iter()
        .map(|&column| match column {
            "session_id" | "user_id" | "channel_id" => Column::text(column).required(),
            "genre" => Column::text(column).one_of(&GENRES),
            "timestamp" => {
                Column::new(column, ColumnType::Datetime(&[TIMESTAMP_FORMAT])).required()
            }
            "duration_minutes" => Column::new(column, ColumnType::Float)
                .required()
                .range(0.0, LIMIT),
            "region" => Column::text(column).one_of(&REGIONS),
            "subscription_type" => Column::text(column).one_of(&SUBSCRIPTIONS),
            "device" => Column::text(column).one_of(&DEVICES),
            "platform" => Column::text(column).one_of(&PLATFORMS),
            "is_live" => Column::text(column)
                .prepared(Prepare::Lowercase)
                .one_of(&LIVE_SPELLINGS),
            "ads_watched" | "buffer_count" => {
                Column::new(column, ColumnType::Int).range(0.0, LIMIT)
            }
            "ad_revenue" => Column::new(column, ColumnType::Float).range(0.0, LIMIT),
            "engagement_score" => Column::new(column, ColumnType::Float).range(0.0, 1.0),
            "completion_percentage" => Column::new(column, ColumnType::Float).range(0.0, 100.0),
            _ => Column::text(column),
        })
        .collect();
    TableSchema::new(name, columns)
}

/// The four raw tables, in the order a run validates them.
pub fn all() -> [RawTable; 4] {
    [
        channel_metadata(),
        demographics(),
        ad_revenue(),
        viewership_logs(),
    ]
}

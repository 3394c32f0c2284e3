//! The Customer 360 raw tables: where they live, their layout and their declared
//! schema. This is the one place that names the raw files and their fields.
//!
//! - `content/YYYYMMDD.json`: newline-delimited JSON, fields under `_source`, the
//!   row's `Date` from the file name (C1's checks are declared here);
//! - `search/YYYYMMDD/*.parquet`: one folder per day (C8's checks are declared
//!   here);
//! - `mapping.xlsx` (first sheet) or `mapping.csv`: `search, category`;
//! - `contract_users.csv`: `contract, user_id` (optional).

use crate::io::{JsonField, NdjsonReader, Notices, RawTable, SheetSelection, Source, TextLayout};
use crate::schema::{Column, ColumnType, Prepare, TableSchema};

/// The content logs' folder under the raw folder.
pub const CONTENT_DIR: &str = "content";
/// The search logs' folder under the raw folder.
pub const SEARCH_DIR: &str = "search";
/// The optional contract–user link.
pub const LINK_CSV: &str = "contract_users.csv";

/// The apps C1 knows, each with its content type.
pub const APP_TYPES: [(&str, &str); 8] = [
    ("CHANNEL", "Truyen_hinh"),
    ("DSHD", "Truyen_hinh"),
    ("KPLUS", "Truyen_hinh"),
    ("VOD", "Phim_truyen"),
    ("FIMS", "Phim_truyen"),
    ("SPORT", "The_thao"),
    ("RELAX", "Giai_tri"),
    ("CHILD", "Thieu_nhi"),
];

/// The content logs (C1). Checked in the order of the spec's C1: unknown app,
/// contract `0` or empty, missing Mac, non-integer or negative duration; the date
/// comes from the file name. A line that is not JSON is `layout|invalid_json`.
/// The longest TotalDuration of one log line: a year of seconds. Past it the value is
/// broken, and a contract's sum of durations stays far within 64 bits.
pub const MAX_DURATION_SECONDS: f64 = 366.0 * 86_400.0;

pub fn content() -> TableSchema {
    let apps: Vec<&'static str> = APP_TYPES.iter().map(|(app, _)| *app).collect();
    TableSchema::new(
        "content",
        vec![
            Column::text("AppName").required().one_of(&apps),
            Column::text("Contract").required().none_of(&["0"]),
            Column::text("Mac").required(),
            Column::new("TotalDuration", ColumnType::Int)
                .required()
                .range(0.0, MAX_DURATION_SECONDS),
            Column::new("Date", ColumnType::Date("%Y%m%d")).required(),
        ],
    )
}

/// Reads the content logs' JSON fields; `Date` is a per-file constant. Notices go
/// to `notices`.
pub fn content_reader(batch_rows: usize, notices: &Notices) -> NdjsonReader {
    let field = |column, pointer| JsonField { column, pointer };
    NdjsonReader {
        fields: vec![
            field("AppName", "/_source/AppName"),
            field("Contract", "/_source/Contract"),
            field("Mac", "/_source/Mac"),
            field("TotalDuration", "/_source/TotalDuration"),
        ],
        constant_columns: vec!["Date"],
        batch_rows,
        notices: notices.clone(),
    }
}

/// The search log columns the rules use, read as text from each day's Parquet files,
/// with C8's checks in order: `datetime` (Persian and Arabic-Indic digits read as
/// ASCII) is `yyyy-MM-dd`, optionally ` HH:mm:ss` and a fraction; then a user and a
/// keyword that are not empty once trimmed (the keyword is kept trimmed, the user id
/// as written).
pub fn search() -> TableSchema {
    TableSchema::new(
        "search",
        vec![
            Column::text("eventID"),
            Column::new("datetime", ColumnType::IsoTimestamp)
                .prepared(Prepare::AsciiDigits)
                .required(),
            // C8 quarantines a user id that is empty once trimmed; C9 groups by the
            // id as written.
            Column::text("user_id")
                .checked_prepared(Prepare::Trim)
                .required(),
            Column::text("keyword").prepared(Prepare::Trim).required(),
        ],
    )
}

/// The keyword mapping (C10): the first sheet of `mapping*.xlsx`, else
/// `mapping*.csv`.
pub fn mapping() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "mapping",
            vec![
                Column::text("search").prepared(Prepare::Trim).required(),
                Column::text("category").required(),
            ],
        ),
        vec![
            Source::workbook("mapping", SheetSelection::First),
            Source::text("mapping", ".csv", TextLayout::CSV_WITH_HEADER),
        ],
    )
}

/// The contract–user link (C12), optional.
pub fn contract_users() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "contract_users",
            vec![
                Column::text("contract").required(),
                Column::text("user_id").required(),
            ],
        ),
        vec![Source::text(
            "contract_users",
            ".csv",
            TextLayout::CSV_WITH_HEADER,
        )],
    )
}

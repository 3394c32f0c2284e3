//! The movies serving file (V9): `movies.duckdb` beside the output tables, holding
//! copies of them and the nine views of `serving.sql` that BI tools query, and that
//! SQL also written out as `serving.sql`.

use std::path::Path;

use anyhow::Result;

use crate::io::duckdb::{build_database, DuckDb};
use crate::io::{write_file_atomically, written_file, WrittenFile};

/// The serving database's file name under the domain's output folder.
pub const DATABASE: &str = "movies.duckdb";

/// The file the views' SQL is written to, beside the database.
pub const VIEWS_FILE: &str = "serving.sql";

/// The views' SQL (DuckDB dialect): `CREATE VIEW` statements over the output tables.
pub const VIEWS_SQL: &str = include_str!("serving.sql");

/// The nine views of V9, in the order `serving.sql` creates them.
pub const VIEWS: [&str; 9] = [
    "executive_summary",
    "rating_vs_revenue",
    "budget_vs_revenue",
    "monthly_revenue",
    "top_directors",
    "revenue_by_genre",
    "director_measures",
    "director_trend",
    "top_movies",
];

/// Writes `<dir>/serving.sql` and builds `<dir>/movies.duckdb` from the output
/// tables already written to `<dir>` as Parquet (`tables`, by name) and the views.
/// Returns both files for the manifest (the database's rows are its tables' rows,
/// the SQL file's its views).
///
/// # Errors
/// When a file cannot be written or DuckDB fails on a table or a view; the message
/// names the file and holds DuckDB's error.
pub fn build(duckdb: &DuckDb, dir: &Path, tables: &[&str]) -> Result<Vec<WrittenFile>> {
    let views = dir.join(VIEWS_FILE);
    write_file_atomically(&views, VIEWS_SQL.as_bytes())?;
    let sources: Vec<_> = tables
        .iter()
        .map(|table| (*table, dir.join(format!("{table}.parquet"))))
        .collect();
    let database = build_database(duckdb, dir, DATABASE, &sources, VIEWS_SQL)?;
    Ok(vec![written_file(&views, VIEWS.len() as u64)?, database])
}

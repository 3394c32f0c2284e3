//! Loading output tables into a database: an embedded SQLite file or a MySQL/MariaDB
//! server.
//!
//! [`load_tables`] replaces a set of tables atomically. Each frame is loaded into a
//! staging table (`<name>__staging`) with parameterised, batched multi-row inserts;
//! only when every table is staged are they swapped in:
//!
//! - **SQLite**: everything, swap included, happens in one transaction (SQLite's DDL
//!   is transactional), so a failure rolls the whole load back.
//! - **MySQL/MariaDB**: DDL commits implicitly there, so rows are inserted in one
//!   transaction per table and the swap is a single `RENAME TABLE` statement, which
//!   the server applies atomically to all tables; the old tables are dropped after.
//!   A failure before the rename leaves the previous tables untouched.
//!
//! Column types follow the frame: integers → `BIGINT`, floats → `DOUBLE`, booleans →
//! `BOOLEAN`, text → `TEXT`, dates → `DATE`; other types are an error naming the
//! column.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::{DataFrame, DataType};

/// Where tables are loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseSink {
    /// An SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// A MySQL or MariaDB server: `mysql://user[:password]@host[:port]/database`.
    Mysql(String),
}

impl FromStr for DatabaseSink {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                bail!("`sqlite:` needs a file path, for example sqlite:data/processed/customer360/customer360.sqlite");
            }
            Ok(DatabaseSink::Sqlite(PathBuf::from(path)))
        } else if text.starts_with("mysql://") {
            mysql::Opts::from_url(text)
                .map_err(|e| anyhow!("`{}` is not a usable MySQL URL: {e}", redacted(text)))?;
            Ok(DatabaseSink::Mysql(text.to_string()))
        } else {
            bail!(
                "unknown database sink `{}`. Consider sqlite:PATH or mysql://user:password@host:port/database",
                redacted(text)
            )
        }
    }
}

impl fmt::Display for DatabaseSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseSink::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            DatabaseSink::Mysql(url) => write!(f, "{}", redacted(url)),
        }
    }
}

/// A URL with its password replaced by `***`, for messages.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// Rows per insert statement at most; fewer when the table is wide, so that a
/// statement stays under both databases' placeholder limits.
const BATCH_ROWS: usize = 1000;
const MAX_PLACEHOLDERS: usize = 30_000;

/// A cell ready to be bound to a placeholder.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

/// A frame's column as SQL: its name, declared type and cells.
struct SqlColumn {
    name: String,
    sql_type: SqlType,
    cells: Vec<Cell>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SqlType {
    Integer,
    Double,
    Boolean,
    Text,
    Date,
}

impl SqlType {
    fn of(dtype: &DataType) -> Option<SqlType> {
        Some(match dtype {
            d if d.is_integer() => SqlType::Integer,
            d if d.is_float() => SqlType::Double,
            DataType::Boolean => SqlType::Boolean,
            DataType::String => SqlType::Text,
            DataType::Date => SqlType::Date,
            _ => return None,
        })
    }

    fn sqlite(self) -> &'static str {
        match self {
            SqlType::Integer | SqlType::Boolean => "INTEGER",
            SqlType::Double => "REAL",
            SqlType::Text | SqlType::Date => "TEXT",
        }
    }

    fn mysql(self) -> &'static str {
        match self {
            SqlType::Integer => "BIGINT",
            SqlType::Double => "DOUBLE",
            SqlType::Boolean => "BOOLEAN",
            SqlType::Text => "TEXT",
            SqlType::Date => "DATE",
        }
    }
}

fn sql_columns(table: &str, df: &DataFrame) -> Result<Vec<SqlColumn>> {
    df.columns()
        .iter()
        .map(|column| {
            let name = column.name().to_string();
            let sql_type = SqlType::of(column.dtype()).ok_or_else(|| {
                anyhow!(
                    "table `{table}`: column `{name}` has type {}, which no database column holds. \
                     Consider casting it to text",
                    column.dtype()
                )
            })?;
            let series = column.as_materialized_series();
            let cells: Vec<Cell> = match sql_type {
                SqlType::Integer | SqlType::Boolean => series
                    .cast(&DataType::Int64)?
                    .i64()?
                    .iter()
                    .map(|v| v.map_or(Cell::Null, Cell::Int))
                    .collect(),
                SqlType::Double => series
                    .cast(&DataType::Float64)?
                    .f64()?
                    .iter()
                    .map(|v| v.map_or(Cell::Null, Cell::Float))
                    .collect(),
                SqlType::Text | SqlType::Date => series
                    .cast(&DataType::String)?
                    .str()?
                    .iter()
                    .map(|v| v.map_or(Cell::Null, |s| Cell::Text(s.to_string())))
                    .collect(),
            };
            Ok(SqlColumn {
                name,
                sql_type,
                cells,
            })
        })
        .collect()
}

fn batch_rows(columns: usize) -> usize {
    (MAX_PLACEHOLDERS / columns.max(1)).clamp(1, BATCH_ROWS)
}

fn staging_name(table: &str) -> String {
    format!("{table}__staging")
}

/// `(?, ?, ?), (?, ?, ?)`: placeholders for `rows` rows of `columns` values.
fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// Replaces `tables` (name, frame) in the database atomically; see the module docs.
///
/// # Errors
/// When a table name holds characters other than ASCII letters, digits and `_`, a
/// column's type has no database equivalent (the message names table and column), the
/// database cannot be opened or reached, a statement fails, or a MySQL URL names no
/// database. Except for a bad table name, the message names the sink (password hidden).
pub fn load_tables(sink: &DatabaseSink, tables: &[(&str, &DataFrame)]) -> Result<()> {
    for (name, _) in tables {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("`{name}` cannot be a table name: use letters, digits and `_`");
        }
    }
    match sink {
        DatabaseSink::Sqlite(path) => load_sqlite(path, tables),
        DatabaseSink::Mysql(url) => load_mysql(url, tables),
    }
    .with_context(|| {
        format!("cannot load the tables into {sink}; the previous tables are unchanged")
    })
}

fn load_sqlite(path: &Path, tables: &[(&str, &DataFrame)]) -> Result<()> {
    use rusqlite::types::{ToSqlOutput, Value};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut conn = rusqlite::Connection::open(path)
        .with_context(|| format!("cannot open the SQLite file {}", path.display()))?;
    let tx = conn.transaction()?;
    for (name, df) in tables {
        let columns = sql_columns(name, df)?;
        let staging = staging_name(name);
        let definition: Vec<String> = columns
            .iter()
            .map(|c| format!("\"{}\" {}", c.name, c.sql_type.sqlite()))
            .collect();
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS \"{staging}\"; CREATE TABLE \"{staging}\" ({});",
            definition.join(", ")
        ))?;
        insert_batches(df.height(), &columns, |rows, cells| {
            let sql = format!(
                "INSERT INTO \"{staging}\" VALUES {}",
                placeholders(rows, columns.len())
            );
            let values = cells.into_iter().map(|cell| match cell {
                Cell::Null => ToSqlOutput::Owned(Value::Null),
                Cell::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
                Cell::Float(v) => ToSqlOutput::Owned(Value::Real(*v)),
                Cell::Text(v) => ToSqlOutput::Borrowed(v.as_str().into()),
            });
            tx.prepare(&sql)?
                .execute(rusqlite::params_from_iter(values))
                .with_context(|| format!("cannot insert into `{staging}`"))?;
            Ok(())
        })?;
    }
    for (name, _) in tables {
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS \"{name}\"; ALTER TABLE \"{}\" RENAME TO \"{name}\";",
            staging_name(name)
        ))?;
    }
    tx.commit()?;
    Ok(())
}

fn load_mysql(url: &str, tables: &[(&str, &DataFrame)]) -> Result<()> {
    use mysql::prelude::Queryable;
    use mysql::{Conn, Opts, TxOpts, Value};
    let opts = Opts::from_url(url)?;
    let mut conn = Conn::new(opts)?;
    for (name, df) in tables {
        let columns = sql_columns(name, df)?;
        let staging = staging_name(name);
        let definition: Vec<String> = columns
            .iter()
            .map(|c| format!("`{}` {}", c.name, c.sql_type.mysql()))
            .collect();
        conn.query_drop(format!("DROP TABLE IF EXISTS `{staging}`"))?;
        conn.query_drop(format!(
            "CREATE TABLE `{staging}` ({}) CHARACTER SET utf8mb4",
            definition.join(", ")
        ))?;
        let mut tx = conn.start_transaction(TxOpts::default())?;
        insert_batches(df.height(), &columns, |rows, cells| {
            let sql = format!(
                "INSERT INTO `{staging}` VALUES {}",
                placeholders(rows, columns.len())
            );
            let values: Vec<Value> = cells
                .into_iter()
                .map(|cell| match cell {
                    Cell::Null => Value::NULL,
                    Cell::Int(v) => Value::Int(*v),
                    Cell::Float(v) => Value::Double(*v),
                    Cell::Text(v) => Value::Bytes(v.as_bytes().to_vec()),
                })
                .collect();
            tx.exec_drop(sql, values)
                .with_context(|| format!("cannot insert into `{staging}`"))?;
            Ok(())
        })?;
        tx.commit()?;
    }
    let database: Option<String> = conn.query_first("SELECT DATABASE()")?.flatten();
    let database = database
        .ok_or_else(|| anyhow!("the URL names no database. Consider mysql://user@host/database"))?;
    let mut renames = Vec::new();
    let mut replaced = Vec::new();
    for (name, _) in tables {
        let exists: Option<u64> = conn.exec_first(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            (&database, *name),
        )?;
        if exists.unwrap_or(0) > 0 {
            conn.query_drop(format!("DROP TABLE IF EXISTS `{name}__old`"))?;
            renames.push(format!("`{name}` TO `{name}__old`"));
            replaced.push(format!("`{name}__old`"));
        }
        renames.push(format!("`{}` TO `{name}`", staging_name(name)));
    }
    conn.query_drop(format!("RENAME TABLE {}", renames.join(", ")))?;
    if !replaced.is_empty() {
        conn.query_drop(format!("DROP TABLE {}", replaced.join(", ")))?;
    }
    Ok(())
}

/// Calls `insert(rows, cells)` for consecutive batches of rows, cells in row order.
fn insert_batches(
    height: usize,
    columns: &[SqlColumn],
    mut insert: impl FnMut(usize, Vec<&Cell>) -> Result<()>,
) -> Result<()> {
    let step = batch_rows(columns.len());
    let mut start = 0;
    while start < height {
        let rows = step.min(height - start);
        let mut cells = Vec::with_capacity(rows * columns.len());
        for row in start..start + rows {
            cells.extend(columns.iter().map(|c| &c.cells[row]));
        }
        insert(rows, cells)?;
        start += rows;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks_parse_and_hide_passwords() -> Result<()> {
        assert_eq!(
            "sqlite:out/db.sqlite".parse::<DatabaseSink>()?,
            DatabaseSink::Sqlite("out/db.sqlite".into())
        );
        let mysql: DatabaseSink = "mysql://app:secret@127.0.0.1:3307/bi".parse()?;
        assert_eq!(mysql.to_string(), "mysql://app:***@127.0.0.1:3307/bi");
        let error = "postgres://x"
            .parse::<DatabaseSink>()
            .unwrap_err()
            .to_string();
        assert!(error.contains("sqlite:PATH"), "{error}");
        assert!("sqlite:".parse::<DatabaseSink>().is_err());
        Ok(())
    }

    #[test]
    fn batches_stay_under_the_placeholder_limit() {
        assert_eq!(batch_rows(10), 1000);
        assert_eq!(batch_rows(60), 500);
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}

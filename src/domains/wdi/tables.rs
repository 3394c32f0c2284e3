//! The WDI raw layouts and the declared long table. This is the one place that
//! names the raw files and their fields.
//!
//! - **wide**, `WDIData*.csv`, the World Bank download: `Country Name, Country Code,
//!   Indicator Name, Indicator Code` then one column per year (`1960`, `1961`, …),
//!   every field quoted, names holding commas, and usually a trailing comma (an
//!   unnamed last column, ignored). Each file is unpivoted lazily to the long layout:
//!   one row per (line, year), in line then year order, every row of a line keeping
//!   the line's `source_file`, `line` and `row_nr`.
//! - **long**, `wdi*.csv`: `year, countryName, countryCode, indicatorName,
//!   indicatorCode, indicatorValue`.
//!
//! When both layouts are present, the wide files are read and the long ones ignored
//! with a notice.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{col, concat, LazyFrame, UnionArgs};

use crate::io::{find_table_files, header_columns, scan_delimited, scan_one, Reading, TextLayout};
use crate::schema::{Column, ColumnType, TableSchema, LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};
use crate::transforms::unpivot;

/// The validated long table's name: in quarantines, the interim file and the SQL
/// catalog (W5).
pub const WDI: &str = "wdi";
/// Wide files start with this.
pub const WIDE_PREFIX: &str = "WDIData";
/// Long files start with this.
pub const LONG_PREFIX: &str = "wdi";
/// The value column, whose empty cells W1 drops.
pub const VALUE: &str = "indicatorValue";

/// The wide layout's key columns and their long names, in file order.
pub const WIDE_KEYS: [(&str, &str); 4] = [
    ("Country Name", "countryName"),
    ("Country Code", "countryCode"),
    ("Indicator Name", "indicatorName"),
    ("Indicator Code", "indicatorCode"),
];

/// W1: the long table. Every row names its country and indicator; the year is a
/// whole number and the value a float (empty values are dropped before these
/// checks, and counted).
pub fn long_schema() -> TableSchema {
    TableSchema::new(
        WDI,
        vec![
            Column::new("year", ColumnType::Int)
                .required()
                .range(1000.0, 9999.0),
            Column::text("countryName").required(),
            Column::text("countryCode").required(),
            Column::text("indicatorName"),
            Column::text("indicatorCode").required(),
            Column::new(VALUE, ColumnType::Float).required(),
        ],
    )
}

/// Where the indicator values come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WdiSource {
    /// `WDIData*.csv`, in file-name order.
    Wide(Vec<PathBuf>),
    /// `wdi*.csv`, in file-name order.
    Long(Vec<PathBuf>),
}

impl WdiSource {
    /// The wide files in `raw` when there are any, else the long ones. An error names
    /// the folder and both patterns when there is neither.
    pub fn find(raw: &Path) -> Result<Self> {
        if let Ok(files) = find_table_files(raw, WIDE_PREFIX, ".csv") {
            return Ok(WdiSource::Wide(files));
        }
        find_table_files(raw, LONG_PREFIX, ".csv")
            .map(WdiSource::Long)
            .with_context(|| {
                format!(
                    "no indicator table in {}: expected {WIDE_PREFIX}*.csv (wide) or \
                     {LONG_PREFIX}*.csv (long)",
                    raw.display()
                )
            })
    }

    /// The long files ignored because wide files were found, for a notice.
    pub fn ignored_files(raw: &Path, source: &WdiSource) -> Vec<PathBuf> {
        match source {
            WdiSource::Wide(_) => find_table_files(raw, LONG_PREFIX, ".csv").unwrap_or_default(),
            WdiSource::Long(_) => Vec::new(),
        }
    }

    /// The long layout as raw text columns with their positions, empty values
    /// included, ready for W1; text decoded as `reading` says.
    ///
    /// # Errors
    /// When a file cannot be read or its header is not the layout's.
    pub fn scan(&self, reading: &Reading) -> Result<LazyFrame> {
        let layout = TextLayout::CSV_WITH_HEADER.with_encoding(reading.encoding);
        match self {
            WdiSource::Long(files) => {
                let columns = long_schema().column_names();
                scan_delimited(files, &columns, layout, &reading.notices)
                    .context("cannot read the long indicator table")
            }
            WdiSource::Wide(files) => {
                let mut parts = Vec::with_capacity(files.len());
                for (index, file) in files.iter().enumerate() {
                    parts.push(scan_wide(file, index, layout, reading)?);
                }
                let union = UnionArgs {
                    parallel: false,
                    ..Default::default()
                };
                Ok(concat(parts, union)?)
            }
        }
    }
}

/// One wide file, unpivoted to the long layout's raw text columns.
fn scan_wide(
    file: &Path,
    index: usize,
    layout: TextLayout,
    reading: &Reading,
) -> Result<LazyFrame> {
    let header = header_columns(file, layout)?;
    let keys: Vec<&str> = WIDE_KEYS.iter().map(|(wide, _)| *wide).collect();
    if header.len() < keys.len() || header[..keys.len()] != keys {
        bail!(
            "{}: the header starts `{}`, expected `{}` then one column per year",
            file.display(),
            header
                .iter()
                .take(keys.len())
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
            keys.join(",")
        );
    }
    let years: Vec<&str> = header[keys.len()..]
        .iter()
        .map(String::as_str)
        .filter(|name| name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    if years.is_empty() {
        bail!(
            "{}: no year column (such as `1960`) after `Indicator Code` in the header",
            file.display()
        );
    }
    let columns: Vec<&str> = header.iter().map(String::as_str).collect();
    let wide = scan_one(file, index, &columns, layout, &reading.notices)
        .with_context(|| format!("cannot read the wide indicator table {}", file.display()))?;
    let mut index_columns = vec![SOURCE_FILE, LINE, ROW_NR, LAYOUT_ERROR];
    index_columns.extend(keys.iter().copied());
    let long = unpivot(wide, &index_columns, &years, "year", VALUE)?;
    let mut selected = vec![col(SOURCE_FILE), col(LINE), col(ROW_NR), col(LAYOUT_ERROR)];
    selected.push(col("year"));
    selected.extend(WIDE_KEYS.iter().map(|(wide, long)| col(*wide).alias(*long)));
    selected.push(col(VALUE));
    Ok(long.select(selected))
}

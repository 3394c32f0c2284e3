//! The WDI raw layouts and the declared long table. This is the one place that
//! names the raw files and their fields.
//!
//! - **wide**, the World Bank's downloads: `Country Name, Country Code, Indicator
//!   Name, Indicator Code` then one column per year (`1960`, `1961`, …), every field
//!   quoted, names holding commas. Three names ([`WIDE_FILES`]):
//!   - `WDIData*.csv`, the bulk zip's table until 2023, with a trailing comma on
//!     every line (an unnamed last column, ignored);
//!   - `WDICSV*.csv`, the bulk zip's table since, without the trailing comma;
//!   - `API_*.csv`, the per-indicator download
//!     (`API_NY.GDP.MKTP.KD.ZG_DS2_en_csv_v2_2.csv`), whose header comes after a
//!     preamble (`"Data Source","World Development Indicators",`, a blank line,
//!     `"Last Updated Date",…`, a blank line) and whose lines end with an empty
//!     field. The `Metadata_Country_API_…` and `Metadata_Indicator_API_…` files of
//!     the same zip do not match.
//!
//!   Each file's preamble is found, not assumed: its header is the first of its
//!   first [`HEADER_SEARCH_LINES`] lines whose first field is `Country Name`; the
//!   lines before it are skipped and still counted in `line`. Each file is unpivoted
//!   lazily to the long layout: one row per (line, year) holding a value, in line
//!   then year order, every row of a line keeping the line's `source_file`, `line`
//!   and `row_nr`. Empty cells (nothing, or whitespace only) are left out as they are
//!   unpivoted and counted in the run's [`Reading::dropped_cells`], but on a line
//!   with a layout error, whose every cell is kept for the quarantine.
//! - **long**, `wdi*.csv`: `year, countryName, countryCode, indicatorName,
//!   indicatorCode, indicatorValue` ([`LONG_FILES`]). The World Bank's own names
//!   are never long, although they start with `wdi` too: the data tables above and
//!   the bulk zip's companions `WDICountry.csv`, `WDISeries.csv`,
//!   `WDICountry-Series.csv`, `WDISeries-Time.csv` and `WDIfootnote.csv` (countries,
//!   series and footnotes, not values), which are not read at all.
//!
//! Names match in any case (`wdicsv.csv`, `WDIDATA.CSV`). When both layouts are
//! present, the wide files are read and the long ones ignored with a notice.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{col, concat, LazyFrame, UnionArgs};

use crate::io::delimited::file_name;
use crate::io::{
    first_lines, header_columns, scan_one, split_record, NamePattern, Notices, RawTable, Reading,
    Source, TextLayout, UNNAMED,
};
use crate::schema::{Column, ColumnType, TableSchema, LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};
use crate::transforms::unpivot_dropping_empty;

/// The validated long table's name: in quarantines, the interim file and the SQL
/// catalog (W5).
pub const WDI: &str = "wdi";
/// The wide files: the bulk zip's data table, old (`WDIData`) and new (`WDICSV`)
/// names, and the per-indicator download (`API_`).
pub const WIDE_FILES: [NamePattern; 3] = [
    NamePattern::new("WDIData", ".csv"),
    NamePattern::new("WDICSV", ".csv"),
    NamePattern::new("API_", ".csv"),
];
/// The names the World Bank gives the files of its bulk zip (their starts): they
/// start with `WDI` but are never the long layout.
pub const WORLD_BANK_NAMES: [&str; 5] = [
    "WDIData",
    "WDICSV",
    "WDICountry",
    "WDISeries",
    "WDIfootnote",
];
/// The long files: `wdi*.csv`, except the World Bank's own names.
pub const LONG_FILES: [NamePattern; 1] =
    [NamePattern::new("wdi", ".csv").except(&WORLD_BANK_NAMES)];
/// How many lines from the top of a wide file its header is looked for in.
pub const HEADER_SEARCH_LINES: usize = 10;
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
                .range(1900.0, 2100.0),
            Column::text("countryName").required(),
            Column::text("countryCode").required(),
            Column::text("indicatorName"),
            Column::text("indicatorCode").required(),
            Column::new(VALUE, ColumnType::Float).required().finite(),
        ],
    )
}

/// The indicator table (W1): the wide downloads ([`WIDE_FILES`], unpivoted) when
/// there are any, else the long files ([`LONG_FILES`]). Of the wide names, the first
/// found of `WDICSV*`, `WDIData*` and `API_*` is read; files of the others, and long
/// files beside wide ones, are ignored with a notice. The wide files' empty cells are
/// left out and counted as they are read (see the module's notes); the long files'
/// empty values are included, for W1 to drop and count.
pub fn indicators() -> RawTable {
    RawTable::new(
        long_schema(),
        vec![
            // Each wide name is a source of its own: the bulk table comes as one
            // file, and two copies of it (WDICSV and WDIData) must not both be read.
            wide(WIDE_FILES[1]),
            wide(WIDE_FILES[0]),
            wide(WIDE_FILES[2]),
            Source::Text {
                files: LONG_FILES.to_vec(),
                layout: TextLayout::CSV_WITH_HEADER,
            },
        ],
    )
}

/// Wide files of one name pattern.
fn wide(files: NamePattern) -> Source {
    Source::Custom {
        files: vec![files],
        read: scan_wide_files,
    }
}

/// The wide files, each unpivoted to the long layout's raw text columns, in order.
fn scan_wide_files(files: &[PathBuf], reading: &Reading) -> Result<LazyFrame> {
    let layout = TextLayout::CSV_WITH_HEADER.with_encoding(reading.encoding);
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

/// The bytes of a wide file's chunk: a quarter of the reader's default. Each of its
/// rows becomes one long row per year (about 60), so a default chunk of some 5,000
/// rows would be some 300,000 long rows of six columns in flight per core (see
/// BENCHMARKS.md, "Issue 20, fifth stop").
const WIDE_CHUNK_BYTES: u64 = 1 << 20;

/// One wide file, unpivoted to the long layout's raw text columns; its preamble
/// (the lines before its header) is found by [`preamble_lines`].
fn scan_wide(
    file: &Path,
    index: usize,
    layout: TextLayout,
    reading: &Reading,
) -> Result<LazyFrame> {
    let preamble = preamble_lines(file, layout)?;
    let layout = TextLayout {
        preamble_lines: preamble.unwrap_or(0),
        ..layout
    }
    .with_chunk_bytes(WIDE_CHUNK_BYTES);
    let header = header_columns(file, layout)?;
    let keys: Vec<&str> = WIDE_KEYS.iter().map(|(wide, _)| *wide).collect();
    if header.len() < keys.len() || header[..keys.len()] != keys {
        let searched = if preamble.is_none() {
            format!(
                " (and none of its first {HEADER_SEARCH_LINES} lines starts with `{}`)",
                keys[0]
            )
        } else {
            String::new()
        };
        bail!(
            "{}: the header, line {}, starts `{}`, expected `{}` then one column per \
             year{searched}. Consider checking that the file is a World Bank download in \
             its original layout",
            file.display(),
            layout.preamble_lines + 1,
            header
                .iter()
                .take(keys.len())
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
            keys.join(",")
        );
    }
    let years = year_columns(file, &header[keys.len()..], &reading.notices)?;
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
    let long = unpivot_dropping_empty(
        wide,
        &index_columns,
        &years,
        "year",
        VALUE,
        LAYOUT_ERROR,
        &reading.dropped_cells,
    )?;
    let mut selected = vec![col(SOURCE_FILE), col(LINE), col(ROW_NR), col(LAYOUT_ERROR)];
    selected.push(col("year"));
    selected.extend(WIDE_KEYS.iter().map(|(wide, long)| col(*wide).alias(*long)));
    selected.push(col(VALUE));
    Ok(long.select(selected))
}

/// The year columns among a wide header's columns after its keys. A year column's
/// name is a year, whitespace around it allowed (the year is trimmed when it is
/// validated). Other columns are left out with a notice, but for the unnamed last one
/// a trailing comma makes.
///
/// # Errors
/// When two names are the same year once trimmed (`1960` and ` 1960`): its values
/// would be read twice. The message names the file and both columns' positions.
fn year_columns<'h>(
    file: &Path,
    after_keys: &'h [String],
    notices: &Notices,
) -> Result<Vec<&'h str>> {
    let mut years: Vec<(usize, &str)> = Vec::new();
    let mut others = Vec::new();
    for (position, name) in after_keys.iter().enumerate() {
        let year = name.trim();
        if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) {
            if let Some((first, _)) = years.iter().find(|(_, seen)| seen.trim() == year) {
                let column = |at: usize| at + WIDE_KEYS.len() + 1;
                bail!(
                    "{}: the header names the year `{year}` twice (columns {} and {}). \
                     Consider removing or renaming one of them",
                    file.display(),
                    column(*first),
                    column(position)
                );
            }
            years.push((position, name));
        } else if !(name.starts_with(UNNAMED) && position + 1 == after_keys.len()) {
            others.push(match name.strip_prefix(UNNAMED) {
                Some(_) => format!("{} (unnamed)", position + WIDE_KEYS.len() + 1),
                None => format!("`{name}`"),
            });
        }
    }
    if !others.is_empty() {
        let (s, is, years) = match others.len() {
            1 => ("", "is", "a year"),
            _ => ("s", "are", "years"),
        };
        notices.push(format!(
            "{}: the column{s} {} after `Indicator Code` {is} not {years} and {is} not read",
            file_name(file),
            others.join(", "),
        ));
    }
    Ok(years.into_iter().map(|(_, name)| name).collect())
}

/// The number of lines before a wide file's header: the header is the first of the
/// file's first [`HEADER_SEARCH_LINES`] lines whose first field is `Country Name`
/// (0 in the bulk files, 4 in the per-indicator `API_` files). `None` when there is
/// no such line.
///
/// # Errors
/// When the file cannot be opened or read; the message names it.
fn preamble_lines(file: &Path, layout: TextLayout) -> Result<Option<u64>> {
    let lines = first_lines(file, HEADER_SEARCH_LINES, layout.encoding)?;
    let first_key = WIDE_KEYS[0].0;
    Ok(lines
        .iter()
        .position(|line| {
            split_record(line, layout.separator)
                .first()
                .is_some_and(|field| field == first_key)
        })
        .map(|position| position as u64))
}

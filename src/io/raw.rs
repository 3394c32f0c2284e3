//! Raw tables: a declared schema plus where its files are and how they are laid out.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{col, concat, lit, DataType, LazyFrame, UnionArgs, NULL};

use super::delimited::{scan_delimited, TextLayout};
use super::files::{matching_files, no_file_matching, NamePattern};
use super::reading::Reading;
use crate::schema::{TableSchema, LAYOUT_ERROR, LINE, SOURCE_FILE};

/// A raw input table: its schema, its file-name pattern and its text layout.
pub struct RawTable {
    pub schema: TableSchema,
    /// File names start with this, in any case, for example `viewing`.
    pub prefix: &'static str,
    /// File names end with this, for example `.csv`.
    pub suffix: &'static str,
    pub layout: TextLayout,
    /// Whether `<prefix>*.parquet` files may stand in for the text files.
    pub parquet_allowed: bool,
}

impl RawTable {
    /// Scans the table's files in `dir` as raw text columns ready for
    /// [`crate::schema::validate`]. Text files win when both layouts are present.
    /// Text is decoded as `reading` says; notices go to `reading.notices`.
    ///
    /// # Errors
    /// When no file matches, or one cannot be read (see
    /// [`super::delimited::scan_delimited`]); the message names the table.
    pub fn scan(&self, dir: &Path, reading: &Reading) -> Result<LazyFrame> {
        let columns = self.schema.column_names();
        let layout = self.layout.with_encoding(reading.encoding);
        self.files(dir)
            .and_then(|files| match files {
                TableFiles::Text(files) => {
                    scan_delimited(&files, &columns, layout, &reading.notices)
                }
                TableFiles::Parquet(files) => scan_parquet_as_text(&files, dir, &columns),
            })
            .with_context(|| format!("cannot read the raw table `{}`", self.schema.name))
    }

    /// The total size of the table's files in `dir`: known before they are read, it
    /// lets a pipeline plan passes over a large table.
    pub fn size_bytes(&self, dir: &Path) -> Result<u64> {
        let (TableFiles::Text(files) | TableFiles::Parquet(files)) = self
            .files(dir)
            .with_context(|| format!("cannot read the raw table `{}`", self.schema.name))?;
        files.iter().try_fold(0, |total, file| {
            let metadata = std::fs::metadata(file)
                .with_context(|| format!("cannot read the size of {}", file.display()))?;
            Ok(total + metadata.len())
        })
    }

    /// The text files, else (when allowed) the Parquet files; an error lists the
    /// patterns accepted and the folder's names when there are neither.
    fn files(&self, dir: &Path) -> Result<TableFiles> {
        let text = NamePattern::new(self.prefix, self.suffix);
        let files = matching_files(dir, &[text])?;
        if !files.is_empty() {
            return Ok(TableFiles::Text(files));
        }
        if !self.parquet_allowed {
            return Err(no_file_matching(dir, &[text]));
        }
        let parquet = NamePattern::new(self.prefix, ".parquet");
        let files = matching_files(dir, &[parquet])?;
        if !files.is_empty() {
            return Ok(TableFiles::Parquet(files));
        }
        Err(no_file_matching(dir, &[text, parquet]))
    }
}

/// A raw table's files, in name order.
enum TableFiles {
    Text(Vec<PathBuf>),
    /// `<prefix>*.parquet` files standing in for missing text files.
    Parquet(Vec<PathBuf>),
}

/// Scans Parquet files (in the given order) as text columns, with the same position
/// columns as delimited text: `source_file` is the path relative to `root`, `line`
/// the 1-based row in the file.
pub fn scan_parquet_as_text(files: &[PathBuf], root: &Path, columns: &[&str]) -> Result<LazyFrame> {
    let mut parts = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let name = file
            .strip_prefix(root)
            .map(|relative| relative.to_string_lossy().to_string())
            .unwrap_or_else(|_| file.display().to_string());
        let mut exprs = vec![lit(name).alias(SOURCE_FILE), col(LINE)];
        exprs.extend(columns.iter().map(|c| col(*c).cast(DataType::String)));
        exprs.push(lit(NULL).cast(DataType::String).alias(LAYOUT_ERROR));
        exprs.push(crate::schema::row_nr(index));
        let scan = super::sink::scan_parquet(file)?
            .with_row_index(LINE, Some(1))
            .select(exprs);
        parts.push(scan);
    }
    let union = UnionArgs {
        parallel: false,
        ..Default::default()
    };
    Ok(concat(parts, union)?)
}

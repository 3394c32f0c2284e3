//! Scanning delimited text (pipe files without header, CSV with header) lazily.
//!
//! Every declared column is read as text, so that a bad value becomes a quarantined
//! row rather than a failed read. The scan adds `source_file`, `line` (1-based, the
//! header counted), `row_nr` (position across all files in file-name order) and
//! `__layout_error`, which names a malformed line:
//!
//! - `layout|column_count`: the line has more or fewer fields than declared;
//! - `layout|invalid_utf8`: bytes that are not UTF-8 (read lossily, with the
//!   replacement character U+FFFD in their place).
//!
//! Unquoted layouts (pipe files, plain CSV of codes and numbers) are split by
//! [`super::unquoted`], so field counts are exact: `a|b|` has an empty third field,
//! `a|b` lacks it. Quoted CSV goes through the CSV parser, which keeps quoted
//! separators in their field; there, more fields than declared are caught, but a line
//! short of trailing fields reads them as empty.
//!
//! Blank lines are not records and are skipped (line numbers still count them).
//! Empty fields become nulls after these checks. Files that cannot be used at all
//! (missing, empty, wrong header) are errors naming the file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{
    any_horizontal, col, concat, lit, when, CsvEncoding, DataType, Expr, IdxSize, LazyCsvReader,
    LazyFileListReader, LazyFrame, PlRefPath, PolarsResult, RowIndex, Schema, UnionArgs, NULL,
};
use std::sync::Arc;

use super::unquoted::{scan_unquoted, COLUMN_COUNT, INVALID_UTF8 as INVALID_UTF8_ERROR};
use crate::schema::{LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};

/// Extra column that receives the fields past the declared ones.
const EXTRA_FIELDS: &str = "__extra_fields";
/// Whether a quoted line held bytes that are not UTF-8 (read as U+FFFD).
const INVALID_UTF8: &str = "__invalid_utf8";
/// What the lossy UTF-8 reading puts in place of bytes that are not UTF-8.
const REPLACEMENT_CHARACTER: &str = "\u{FFFD}";

/// How a delimited text file is laid out.
#[derive(Clone, Copy, Debug)]
pub struct TextLayout {
    /// Field separator, for example `b'|'` or `b','`.
    pub separator: u8,
    /// Whether the first line is a header naming the declared columns.
    pub has_header: bool,
    /// Whether fields may be quoted with `"` (CSV); pipe files are read verbatim.
    pub quoted: bool,
}

impl TextLayout {
    /// Headerless pipe-separated text, no quoting.
    pub const PIPE_NO_HEADER: TextLayout = TextLayout {
        separator: b'|',
        has_header: false,
        quoted: false,
    };
    /// Comma-separated values with a header line and `"` quoting.
    pub const CSV_WITH_HEADER: TextLayout = TextLayout {
        separator: b',',
        has_header: true,
        quoted: true,
    };
    /// Comma-separated codes and numbers with a header line, never quoted: read with
    /// exact field counts.
    pub const PLAIN_CSV_WITH_HEADER: TextLayout = TextLayout {
        separator: b',',
        has_header: true,
        quoted: false,
    };
}

/// Scans `files` (in the given order) as one lazy frame of raw text columns.
pub fn scan_delimited(
    files: &[PathBuf],
    columns: &[&str],
    layout: TextLayout,
) -> Result<LazyFrame> {
    let mut parts = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        parts.push(scan_one(file, index, columns, layout)?);
    }
    let union = UnionArgs {
        parallel: false,
        ..Default::default()
    };
    concat(parts, union).context("cannot combine the raw files")
}

/// `row_nr` of a line: the file's position in file-name order in the high 32 bits,
/// the line in the low ones. It orders rows as they stand in the files without a
/// global row count, which would make the streaming engine hold rows back.
pub fn row_nr(file_index: usize) -> Expr {
    (lit((file_index as u64) << 32) + col(LINE).cast(DataType::UInt64)).alias(ROW_NR)
}

/// Scans one file as raw text columns, like [`scan_delimited`]; `index` is the file's
/// position among the table's files, which orders its rows in `row_nr`.
pub fn scan_one(
    file: &Path,
    index: usize,
    columns: &[&str],
    layout: TextLayout,
) -> Result<LazyFrame> {
    check_readable(file)?;
    if layout.has_header {
        check_header(file, columns, layout)?;
    }
    let path = file.to_string_lossy().to_string();
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or(path);
    let source_file = lit(file_name.as_str()).alias(SOURCE_FILE);
    if !layout.quoted {
        // Already split exactly, with nulls and layout errors.
        let fields = scan_unquoted(file, columns, layout.separator, layout.has_header)?;
        let mut exprs = vec![source_file, col(LINE)];
        exprs.extend(columns.iter().map(|c| col(*c)));
        exprs.extend([col(LAYOUT_ERROR), row_nr(index)]);
        return Ok(fields.select(exprs));
    }
    let fields = scan_quoted(file, columns, layout)
        .with_context(|| format!("cannot scan {}", file.display()))?;
    let mut exprs = raw_columns(columns, source_file)?;
    exprs.push(row_nr(index));
    Ok(fields.select(exprs))
}

fn csv_reader(file: &Path, layout: TextLayout, schema: Schema) -> LazyCsvReader {
    let first_data_line: IdxSize = if layout.has_header { 2 } else { 1 };
    LazyCsvReader::new(PlRefPath::new(file.to_string_lossy().as_ref()))
        .with_has_header(false)
        .with_skip_rows(usize::from(layout.has_header))
        .with_schema(Some(Arc::new(schema)))
        .with_truncate_ragged_lines(true)
        .with_encoding(CsvEncoding::LossyUtf8)
        .with_raise_if_empty(false)
        .with_row_index(Some(RowIndex {
            name: LINE.into(),
            offset: first_data_line,
        }))
}

fn text_schema<'a>(names: impl IntoIterator<Item = &'a str>) -> Schema {
    let mut schema = Schema::default();
    for name in names {
        schema.with_column(name.into(), DataType::String);
    }
    schema
}

/// The CSV parser with quoting: the declared columns plus `__extra_fields`.
fn scan_quoted(file: &Path, columns: &[&str], layout: TextLayout) -> PolarsResult<LazyFrame> {
    let schema = text_schema(columns.iter().copied().chain([EXTRA_FIELDS]));
    let fields = csv_reader(file, layout, schema)
        .with_separator(layout.separator)
        .with_quote_char(Some(b'"'))
        .with_missing_is_null(false)
        .finish()?;
    // Fields past the declared ones: present when the extra column is non-empty.
    let extra = when(col(EXTRA_FIELDS).eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(col(EXTRA_FIELDS))
        .alias(EXTRA_FIELDS);
    let invalid_utf8 = any_horizontal(
        columns
            .iter()
            .map(|c| col(*c).str().contains_literal(lit(REPLACEMENT_CHARACTER)))
            .collect::<Vec<_>>(),
    )?
    .alias(INVALID_UTF8);
    Ok(fields.with_columns([extra, invalid_utf8]))
}

/// The quoted reader's declared columns with `""` as null, plus the position and
/// layout columns.
fn raw_columns(columns: &[&str], source_file: Expr) -> PolarsResult<Vec<Expr>> {
    let last = columns.last().copied().unwrap_or(EXTRA_FIELDS);
    let wrong_count = col(EXTRA_FIELDS).is_not_null().or(col(last).is_null());
    let invalid_utf8 = col(INVALID_UTF8).fill_null(lit(false));
    let layout_error = when(wrong_count)
        .then(lit(COLUMN_COUNT))
        .when(invalid_utf8)
        .then(lit(INVALID_UTF8_ERROR))
        .otherwise(lit(NULL).cast(DataType::String));
    let mut exprs = vec![source_file, col(LINE)];
    exprs.extend(columns.iter().map(|c| {
        when(col(*c).eq(lit("")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(col(*c))
            .alias(*c)
    }));
    exprs.push(layout_error.alias(LAYOUT_ERROR));
    Ok(exprs)
}

fn check_readable(file: &Path) -> Result<()> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot open {}", file.display()))?;
    if meta.len() == 0 {
        bail!(
            "{} is empty (0 bytes). Consider removing it or regenerating the raw data",
            file.display()
        );
    }
    Ok(())
}

/// The prefix of the names given to header fields that are empty (a trailing
/// separator, as in the World Bank's files): `__unnamed_<position>`.
pub const UNNAMED: &str = "__unnamed_";

/// The column names of a file's header line (its first line), quotes removed where
/// the layout is quoted; an empty field is named `__unnamed_<position>`. An error
/// names the file.
pub fn header_columns(file: &Path, layout: TextLayout) -> Result<Vec<String>> {
    check_readable(file)?;
    let handle =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut first = Vec::new();
    BufReader::new(handle)
        .read_until(b'\n', &mut first)
        .with_context(|| format!("cannot read the header of {}", file.display()))?;
    let text = String::from_utf8_lossy(&first);
    let line = text
        .trim_start_matches('\u{FEFF}')
        .trim_end_matches(['\n', '\r']);
    Ok(
        split_header(line, char::from(layout.separator), layout.quoted)
            .into_iter()
            .enumerate()
            .map(|(position, name)| {
                if name.is_empty() {
                    format!("{UNNAMED}{position}")
                } else {
                    name
                }
            })
            .collect(),
    )
}

/// The fields of a header line; with `quoted`, a field may be wrapped in `"` and hold
/// the separator or a doubled `""`.
fn split_header(line: &str, separator: char, quoted: bool) -> Vec<String> {
    if !quoted {
        return line.split(separator).map(str::to_string).collect();
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            c if c == separator && !in_quotes => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Checks that the first line names the declared columns, in order.
fn check_header(file: &Path, columns: &[&str], layout: TextLayout) -> Result<()> {
    let found = header_columns(file, layout)?;
    if found != columns {
        let separator = char::from(layout.separator).to_string();
        bail!(
            "{}: line 1 is the header `{}`, expected `{}`. Consider checking that \
             the file is the right table in its original layout",
            file.display(),
            found.join(&separator),
            columns.join(&separator)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::optional_texts;
    use polars::prelude::DataFrame;

    fn scan_text(content: &[u8], columns: &[&str], layout: TextLayout) -> Result<DataFrame> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("table.txt");
        std::fs::write(&path, content)?;
        Ok(scan_delimited(&[path], columns, layout)?.collect()?)
    }

    #[test]
    fn flags_wrong_field_counts_and_keeps_empty_fields_as_null() -> Result<()> {
        let text = b"a|b|c\na|b\na|b|c|d\na||\na|b|c";
        let df = scan_text(text, &["x", "y", "z"], TextLayout::PIPE_NO_HEADER)?;
        assert_eq!(df.height(), 5);
        let errors = optional_texts(&df, LAYOUT_ERROR)?;
        let count = Some("layout|column_count".to_string());
        assert_eq!(errors, [None, count.clone(), count, None, None]);
        assert_eq!(
            optional_texts(&df, "y")?[3],
            None,
            "an empty field reads as null"
        );
        assert_eq!(
            optional_texts(&df, "z")?[4].as_deref(),
            Some("c"),
            "a last line without newline is kept"
        );
        let lines: Vec<_> = df.column(LINE)?.idx()?.into_no_null_iter().collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        Ok(())
    }

    #[test]
    fn crlf_line_ends_and_blank_lines() -> Result<()> {
        let df = scan_text(b"a|b\r\n\nc|d\r\n", &["x", "y"], TextLayout::PIPE_NO_HEADER)?;
        assert_eq!(
            optional_texts(&df, "y")?,
            [Some("b".to_string()), Some("d".to_string())]
        );
        assert_eq!(
            df.column(LINE)?
                .idx()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [1, 3]
        );
        Ok(())
    }

    #[test]
    fn truncated_last_line_is_a_column_count_error() -> Result<()> {
        let df = scan_text(b"a|b|c\na|b", &["x", "y", "z"], TextLayout::PIPE_NO_HEADER)?;
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?[1].as_deref(),
            Some("layout|column_count")
        );
        Ok(())
    }

    #[test]
    fn invalid_utf8_is_flagged_not_fatal() -> Result<()> {
        let df = scan_text(
            b"a|b\xff\xfe|c\nd|e|f\n",
            &["x", "y", "z"],
            TextLayout::PIPE_NO_HEADER,
        )?;
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [Some("layout|invalid_utf8".to_string()), None]
        );
        Ok(())
    }

    #[test]
    fn header_is_checked_and_quoted_commas_stay_in_their_field() -> Result<()> {
        let text = b"id,dma\n1,\"Washington, DC\"\n2,Boise\n";
        let df = scan_text(text, &["id", "dma"], TextLayout::CSV_WITH_HEADER)?;
        assert_eq!(
            optional_texts(&df, "dma")?,
            [
                Some("Washington, DC".to_string()),
                Some("Boise".to_string())
            ]
        );
        assert_eq!(
            df.column(LINE)?
                .idx()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [2, 3]
        );
        let wrong = scan_text(
            b"id,market\n1,x\n",
            &["id", "dma"],
            TextLayout::CSV_WITH_HEADER,
        );
        let message = format!("{:#}", wrong.unwrap_err());
        assert!(
            message.contains("table.txt: line 1 is the header `id,market`, expected `id,dma`"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn empty_and_missing_files_are_errors_naming_the_file() {
        let empty = scan_text(b"", &["x"], TextLayout::PIPE_NO_HEADER).unwrap_err();
        assert!(
            format!("{empty:#}").contains("table.txt is empty"),
            "{empty:#}"
        );
        let missing = scan_delimited(
            &["/nonexistent/programs.txt".into()],
            &["x"],
            TextLayout::PIPE_NO_HEADER,
        )
        .err()
        .expect("a missing file is an error");
        assert!(
            format!("{missing:#}").contains("cannot open /nonexistent/programs.txt"),
            "{missing:#}"
        );
    }

    #[test]
    fn row_numbers_run_across_files_in_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let first = dir.path().join("t1.txt");
        let second = dir.path().join("t2.txt");
        std::fs::write(&first, "a\nb\n")?;
        std::fs::write(&second, "c\n")?;
        let df = scan_delimited(&[first, second], &["x"], TextLayout::PIPE_NO_HEADER)?.collect()?;
        let order: Vec<u64> = df.column(ROW_NR)?.u64()?.into_no_null_iter().collect();
        assert_eq!(
            order,
            [1, 2, (1 << 32) + 1],
            "file index in the high bits, line in the low"
        );
        assert_eq!(
            optional_texts(&df, SOURCE_FILE)?[2].as_deref(),
            Some("t2.txt")
        );
        Ok(())
    }

    #[test]
    fn quoted_headers_are_split_and_empty_names_are_numbered() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("WDIData.csv");
        std::fs::write(
            &path,
            "\u{FEFF}\"Country Name\",\"Say \"\"hi\"\", then\",\"1960\",\r\n\"a\",\"b\",\"1\",\n",
        )?;
        assert_eq!(
            header_columns(&path, TextLayout::CSV_WITH_HEADER)?,
            ["Country Name", "Say \"hi\", then", "1960", "__unnamed_3"]
        );
        Ok(())
    }
}

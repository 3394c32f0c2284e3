//! Scanning delimited text (pipe files without header, CSV with header) lazily.
//!
//! Every declared column is read as text, so that a bad value becomes a quarantined
//! row rather than a failed read. The scan adds `source_file`, `line` (the physical
//! line a record starts on, 1-based, the header counted), `row_nr` (position across
//! all files in file-name order) and `__layout_error`, which names a malformed
//! record:
//!
//! - `layout|column_count`: the record has more or fewer fields than declared;
//! - `layout|invalid_utf8`: bytes that are not UTF-8 (read lossily, with the
//!   replacement character U+FFFD in their place); with a named encoding,
//!   `layout|invalid_encoding` for bytes that do not decode in it.
//!
//! Every layout is read by [`super::chunked`]: RFC 4180 quoting wherever a chunk holds
//! a quote character, exact field counts (`a|b|` has an empty third field, `a|b`
//! lacks it), a byte order mark skipped, `\r\n` accepted, blank lines skipped (line
//! numbers still count them). Empty fields become nulls after these checks. Files
//! that cannot be used at all (missing, empty, wrong header) are errors naming the
//! file; a file with bytes that are not UTF-8 leaves a notice suggesting
//! `--encoding`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use csv_core::{ReadFieldResult, ReaderBuilder};
use encoding_rs::Encoding;
use polars::prelude::{col, concat, lit, LazyFrame, UnionArgs};

use super::files::{check_text_file, quoted_input};
use super::reading::Notices;
use crate::fast::chunked::{scan_chunked, Narrowing, BYTE_ORDER_MARK, CHUNK_BYTES};
use crate::schema::{row_nr, LAYOUT_ERROR, LINE, SOURCE_FILE};

/// How a delimited text file is laid out.
#[derive(Clone, Copy, Debug)]
pub struct TextLayout {
    /// Field separator, for example `b'|'` or `b','`.
    pub separator: u8,
    /// Whether a header line naming the declared columns comes before the records.
    pub has_header: bool,
    /// Lines before the header (or before the first record without one) that are not
    /// part of the table, such as the World Bank's `"Data Source",…` lines; skipped,
    /// still counted in line numbers.
    pub preamble_lines: u64,
    /// The text's encoding when it is not UTF-8 (`None`: UTF-8).
    pub encoding: Option<&'static Encoding>,
    /// Whether a quote inside an unquoted field (`a,b"c,d`) makes the record
    /// `layout|quoting`, as strict RFC 4180 has it; otherwise it is text, as most
    /// readers (csv-core, Spark, DuckDB) take it.
    pub strict_quotes: bool,
    /// The bytes of records a chunk holds, the unit the reader hands the streaming
    /// engine ([`CHUNK_BYTES`] unless the table says otherwise, see
    /// [`TextLayout::with_chunk_bytes`]).
    pub chunk_bytes: u64,
}

impl TextLayout {
    /// Headerless pipe-separated text.
    pub const PIPE_NO_HEADER: TextLayout = TextLayout {
        separator: b'|',
        has_header: false,
        preamble_lines: 0,
        encoding: None,
        strict_quotes: false,
        chunk_bytes: CHUNK_BYTES,
    };
    /// Comma-separated values with a header line.
    pub const CSV_WITH_HEADER: TextLayout = TextLayout {
        separator: b',',
        has_header: true,
        preamble_lines: 0,
        encoding: None,
        strict_quotes: false,
        chunk_bytes: CHUNK_BYTES,
    };

    /// This layout, with text decoded from `encoding` (`None`: UTF-8).
    pub fn with_encoding(self, encoding: Option<&'static Encoding>) -> Self {
        TextLayout { encoding, ..self }
    }

    /// This layout, read in chunks of about `chunk_bytes`: fewer than
    /// [`CHUNK_BYTES`] for a table whose every row becomes many rows downstream (a
    /// wide file unpivoted), so that what a chunk becomes stays a few tens of MB.
    pub const fn with_chunk_bytes(self, chunk_bytes: u64) -> TextLayout {
        TextLayout {
            chunk_bytes,
            ..self
        }
    }

    /// The layout with [`TextLayout::strict_quotes`] on.
    pub const fn with_strict_quotes(self) -> TextLayout {
        TextLayout {
            strict_quotes: true,
            ..self
        }
    }
}

/// Scans `files` (in the given order) as one lazy frame of raw text columns; a file
/// holding bytes that are not UTF-8 (with no encoding named) leaves a notice in
/// `notices`.
///
/// # Errors
/// When a file is missing, empty, unreadable or has the wrong header; the message
/// names it.
pub fn scan_delimited(
    files: &[PathBuf],
    columns: &[&str],
    layout: TextLayout,
    notices: &Notices,
) -> Result<LazyFrame> {
    let mut parts = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        parts.push(scan_one(file, index, columns, layout, notices)?);
    }
    let union = UnionArgs {
        parallel: false,
        ..Default::default()
    };
    concat(parts, union).context("cannot combine the raw files")
}

/// Scans one file as raw text columns, like [`scan_delimited`]; `index` is the file's
/// position among the table's files, which orders its rows in `row_nr`.
///
/// # Errors
/// As [`scan_delimited`].
pub fn scan_one(
    file: &Path,
    index: usize,
    columns: &[&str],
    layout: TextLayout,
    notices: &Notices,
) -> Result<LazyFrame> {
    Ok(scan_one_narrowed(file, index, columns, layout, notices, &Narrowing::default())?.0)
}

/// [`scan_one`], and its rows narrowed as `narrowing` says (the text of some
/// columns only, some lines left out: [`crate::fast::chunked::ChunkedScan::records_narrowed`]),
/// from one first pass over the file: for a query that reads a few columns of it
/// before the whole is read.
///
/// # Errors
/// As [`scan_delimited`].
pub fn scan_one_narrowed(
    file: &Path,
    index: usize,
    columns: &[&str],
    layout: TextLayout,
    notices: &Notices,
    narrowing: &Narrowing,
) -> Result<(LazyFrame, LazyFrame)> {
    let file_name = file_name(file);
    let named = layout.encoding;
    let layout = file_layout(file, layout)?;
    if let (Some(encoding), None) = (named, layout.encoding) {
        notices.push(format!(
            "{file_name} starts with a UTF-8 byte order mark: read as UTF-8, not as {} \
             (--encoding), as the byte order mark decides in the WHATWG Encoding standard",
            encoding.name()
        ));
    }
    check_file(file, columns, layout)?;
    let scan = scan_chunked(file, columns, &layout)?;
    if let Some(line) = scan.first_invalid_utf8_line {
        let advice = if named.is_some() {
            "Its byte order mark says UTF-8 while other bytes are not: consider saving \
             it again in one encoding"
        } else {
            "Consider --encoding with the file's encoding, for example --encoding \
             windows-1252 (Latin-1)"
        };
        notices.push(format!(
            "{file_name} is not UTF-8 (first at line {line}): its lines with such bytes \
             are quarantined as layout|invalid_utf8. {advice}"
        ));
    }
    if let (Some(line), Some(encoding)) = (scan.utf8_despite_encoding_line, layout.encoding) {
        notices.push(format!(
            "{file_name} is valid UTF-8 with text beyond ASCII (first at line {line}), \
             but was read as {} (--encoding): its accented text is probably garbled. \
             Consider running without --encoding for this file",
            encoding.name()
        ));
    }
    let mut exprs = vec![lit(file_name.as_str()).alias(SOURCE_FILE), col(LINE)];
    exprs.extend(columns.iter().map(|c| col(*c)));
    exprs.extend([col(LAYOUT_ERROR), row_nr(index)]);
    Ok((
        scan.records.clone().select(exprs.clone()),
        scan.records_narrowed(narrowing).select(exprs),
    ))
}

/// The checks of a file before its records are read: it can be opened and is not
/// empty, its lines end in `\n` or `\r\n`, `columns` has no name twice, and its
/// header (when the layout has one) names `columns` in order.
///
/// # Errors
/// When a check fails; the message names the file (and the header found).
pub fn check_file(file: &Path, columns: &[&str], layout: TextLayout) -> Result<()> {
    check_readable(file)?;
    check_line_ends(file)?;
    // Columns taken from the file's own header (a wide file's years) may repeat.
    for (position, column) in columns.iter().enumerate() {
        if let Some(first) = columns[..position].iter().position(|c| c == column) {
            bail!(
                "{}: the header names the column `{column}` twice (columns {} and {}). \
                 Consider removing or renaming one of them",
                file.display(),
                first + 1,
                position + 1
            );
        }
    }
    if layout.has_header {
        check_header(file, columns, layout)?;
    }
    Ok(())
}

/// A file's name without its folder, as `source_file` shows it.
pub fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| file.to_string_lossy().to_string())
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
    check_text_file(file)
}

/// The prefix of the names given to header fields that are empty (a trailing
/// separator, as in the World Bank's files): `__unnamed_<position>`.
pub const UNNAMED: &str = "__unnamed_";

/// The first lines of a file (a byte order mark removed, line ends dropped), decoded
/// from `encoding` (lossily); at most `count`, fewer when the file is shorter.
///
/// # Errors
/// When the file cannot be opened or read; the message names it.
pub fn first_lines(
    file: &Path,
    count: usize,
    encoding: Option<&'static Encoding>,
) -> Result<Vec<String>> {
    use std::io::{BufRead, BufReader};
    let handle =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut reader = BufReader::new(handle);
    let mut lines = Vec::with_capacity(count);
    let mut bytes = Vec::new();
    while lines.len() < count {
        bytes.clear();
        let read = reader
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if read == 0 {
            break;
        }
        let mut line: &[u8] = &bytes;
        if lines.is_empty() {
            line = line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(line);
        }
        while let Some(rest) = line
            .strip_suffix(b"\n")
            .or_else(|| line.strip_suffix(b"\r"))
        {
            line = rest;
        }
        lines.push(match encoding {
            Some(encoding) => encoding.decode_without_bom_handling(line).0.into_owned(),
            None => String::from_utf8_lossy(line).into_owned(),
        });
    }
    Ok(lines)
}

/// `layout` for `file`: a file that starts with a UTF-8 byte order mark is read as
/// UTF-8 whatever encoding the layout names (the byte order mark decides, as in the
/// WHATWG Encoding standard's decode and in browsers).
///
/// # Errors
/// When the file cannot be opened or read; the message names it.
pub fn file_layout(file: &Path, layout: TextLayout) -> Result<TextLayout> {
    if layout.encoding.is_none() {
        return Ok(layout);
    }
    let mut start = [0u8; 3];
    let mut handle =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let read = std::io::Read::read(&mut handle, &mut start)
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok(if start[..read].starts_with(BYTE_ORDER_MARK) {
        layout.with_encoding(None)
    } else {
        layout
    })
}

/// The column names of a file's header line (the line after its preamble), quotes
/// removed; an empty field is named `__unnamed_<position>`.
///
/// # Errors
/// When the file is missing, empty or unreadable, or ends before its header; the
/// message names it.
pub fn header_columns(file: &Path, layout: TextLayout) -> Result<Vec<String>> {
    check_readable(file)?;
    let layout = file_layout(file, layout)?;
    let header_line = layout.preamble_lines as usize + 1;
    let lines = first_lines(file, header_line, layout.encoding)?;
    let Some(line) = lines.get(header_line - 1) else {
        bail!(
            "{}: the file ends before its header line {header_line}",
            file.display()
        );
    };
    Ok(split_record(line, layout.separator)
        .into_iter()
        .enumerate()
        .map(|(position, name)| {
            if name.is_empty() {
                format!("{UNNAMED}{position}")
            } else {
                name
            }
        })
        .collect())
}

/// The fields of one line of delimited text, with RFC 4180 quoting (csv-core).
pub fn split_record(line: &str, separator: u8) -> Vec<String> {
    let mut reader = ReaderBuilder::new()
        .delimiter(separator)
        .terminator(csv_core::Terminator::Any(b'\n'))
        .build();
    let mut input = line.as_bytes();
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut output = [0u8; 1024];
    loop {
        let (result, read, wrote) = reader.read_field(input, &mut output);
        input = &input[read..];
        field.extend_from_slice(&output[..wrote]);
        match result {
            ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { record_end } => {
                fields.push(String::from_utf8_lossy(&field).into_owned());
                field.clear();
                if record_end {
                    break;
                }
            }
            ReadFieldResult::End => break,
        }
    }
    fields
}

/// How much of a wrong header an error shows, in characters.
const HEADER_SHOWN: usize = 200;

/// Refuses a file whose first line ends in a carriage return alone (classic Mac OS
/// line ends): every line would run into the next, and the file read as one line.
fn check_line_ends(file: &Path) -> Result<()> {
    use std::io::Read;
    let mut start = Vec::with_capacity(1 << 16);
    std::fs::File::open(file)
        .and_then(|handle| handle.take(1 << 20).read_to_end(&mut start))
        .with_context(|| format!("cannot read {}", file.display()))?;
    let first_line = match memchr::memchr(b'\n', &start) {
        Some(end) => &start[..end],
        None => &start[..],
    };
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    if memchr::memchr(b'\r', first_line).is_some() {
        bail!(
            "{}: line 1 holds a carriage return that is not followed by a line feed \
             (classic Mac OS line ends, `\\r`), so its lines would run together. \
             Consider converting the file's line ends to `\\n` or `\\r\\n`",
            file.display()
        );
    }
    Ok(())
}

/// Checks that the header line names the declared columns, in order.
fn check_header(file: &Path, columns: &[&str], layout: TextLayout) -> Result<()> {
    let found = header_columns(file, layout)?;
    if found != columns {
        let separator = char::from(layout.separator).to_string();
        let shown = quoted_input(&found.join(&separator), HEADER_SHOWN);
        bail!(
            "{}: line {} is the header `{shown}`, expected `{}`. Consider checking that \
             the file is the right table in its original layout",
            file.display(),
            layout.preamble_lines + 1,
            columns.join(&separator)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COLUMN_COUNT, INVALID_UTF8, ROW_NR};
    use crate::values::optional_texts;
    use polars::prelude::{DataFrame, IdxSize};

    fn scan_text(content: &[u8], columns: &[&str], layout: TextLayout) -> Result<DataFrame> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("table.txt");
        std::fs::write(&path, content)?;
        Ok(scan_delimited(&[path], columns, layout, &Notices::default())?.collect()?)
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
            &Notices::default(),
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
        let df = scan_delimited(
            &[first, second],
            &["x"],
            TextLayout::PIPE_NO_HEADER,
            &Notices::default(),
        )?
        .collect()?;
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

    fn lines_of(df: &DataFrame) -> Result<Vec<IdxSize>> {
        Ok(df.column(LINE)?.idx()?.into_no_null_iter().collect())
    }

    /// Issue 14, fault 3: a CSV with every field quoted (header bare) reads like the
    /// same CSV unquoted, in every layout.
    #[test]
    fn every_field_quoted_reads_like_unquoted() -> Result<()> {
        let quoted = b"id,dma,n\n\"a1\",\"Washington, DC\",\"7\"\n\"b2\",\"say \"\"hi\"\"\",\"\"\n";
        let df = scan_text(quoted, &["id", "dma", "n"], TextLayout::CSV_WITH_HEADER)?;
        assert_eq!(
            optional_texts(&df, "id")?,
            [Some("a1".into()), Some("b2".into())]
        );
        assert_eq!(
            optional_texts(&df, "dma")?,
            [Some("Washington, DC".into()), Some("say \"hi\"".into())]
        );
        assert_eq!(optional_texts(&df, "n")?, [Some("7".into()), None]);
        assert_eq!(optional_texts(&df, LAYOUT_ERROR)?, [None, None]);
        let pipe = scan_text(
            b"\"a\"|\"b|c\"\nd|e\n",
            &["x", "y"],
            TextLayout::PIPE_NO_HEADER,
        )?;
        assert_eq!(
            optional_texts(&pipe, "y")?,
            [Some("b|c".into()), Some("e".into())]
        );
        Ok(())
    }

    /// Issue 14, fault 5: a quoted line break, a blank line and trailing blank lines;
    /// reported lines are physical lines.
    #[test]
    fn quoted_line_breaks_and_blank_lines_keep_physical_line_numbers() -> Result<()> {
        let text = b"Invoice,Description,Quantity\r\n1,plain,1\r\n2,\"two\r\nlines\",2\r\n\r\n3,bad,x\r\n\"4\",ok,4\n\n\n";
        let df = scan_text(
            text,
            &["Invoice", "Description", "Quantity"],
            TextLayout::CSV_WITH_HEADER,
        )?;
        assert_eq!(lines_of(&df)?, [2, 3, 6, 7], "no row for a blank line");
        assert_eq!(
            optional_texts(&df, "Description")?[1].as_deref(),
            Some("two\r\nlines"),
            "a quoted line break stays in its field"
        );
        assert_eq!(optional_texts(&df, "Quantity")?[2].as_deref(), Some("x"));
        assert_eq!(
            optional_texts(&df, "Quantity")?[3].as_deref(),
            Some("4"),
            "no \\r kept"
        );
        assert_eq!(optional_texts(&df, LAYOUT_ERROR)?, [None, None, None, None]);
        Ok(())
    }

    /// Quoted records are counted like unquoted ones: short and long records are
    /// `layout|column_count` whether or not a field is quoted.
    #[test]
    fn quoted_records_have_exact_field_counts() -> Result<()> {
        let text = b"a,b,c\n\"1\",2\n\"1\",2,3,4\n\"1\",2,\n";
        let df = scan_text(text, &["a", "b", "c"], TextLayout::CSV_WITH_HEADER)?;
        let count = Some(COLUMN_COUNT.to_string());
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [count.clone(), count, None]
        );
        assert_eq!(optional_texts(&df, "c")?, [None, Some("3".into()), None]);
        Ok(())
    }

    /// Issue 14, fault 7: Latin-1 text is flagged and named in a notice without an
    /// encoding, and read whole with one.
    #[test]
    fn legacy_encodings_are_named_or_decoded() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("online_retail.csv");
        // CRÈME BRÛLÉE and £ in Latin-1.
        std::fs::write(&path, b"d,p\nCR\xC8ME BR\xDBL\xC9E,\xA31\nplain,2\n")?;
        let notices = Notices::default();
        let df = scan_delimited(
            &[path.clone()],
            &["d", "p"],
            TextLayout::CSV_WITH_HEADER,
            &notices,
        )?
        .collect()?;
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [Some(INVALID_UTF8.to_string()), None]
        );
        let said = notices.all();
        assert_eq!(said.len(), 1);
        assert!(
            said[0].starts_with("online_retail.csv is not UTF-8 (first at line 2)")
                && said[0].contains("--encoding"),
            "{said:?}"
        );
        let latin1 = TextLayout::CSV_WITH_HEADER.with_encoding(Some(encoding_rs::WINDOWS_1252));
        let notices = Notices::default();
        let df = scan_delimited(&[path], &["d", "p"], latin1, &notices)?.collect()?;
        assert_eq!(
            optional_texts(&df, "d")?,
            [Some("CRÈME BRÛLÉE".into()), Some("plain".into())]
        );
        assert_eq!(optional_texts(&df, "p")?[0].as_deref(), Some("£1"));
        assert_eq!(optional_texts(&df, LAYOUT_ERROR)?, [None, None]);
        assert!(notices.all().is_empty());
        Ok(())
    }

    /// Lines before the header (the World Bank's `"Data Source",…`) are skipped and
    /// counted.
    #[test]
    fn preamble_lines_come_before_the_header() -> Result<()> {
        let text = b"\xEF\xBB\xBF\"Data Source\",\"WDI\",\n\n\"Last Updated Date\",\"2025-01-28\",\n\n\"a\",\"b\",\n\"1\",\"2\",\n";
        let layout = TextLayout {
            preamble_lines: 4,
            ..TextLayout::CSV_WITH_HEADER
        };
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("API_X_DS2_en_csv_v2_1.csv");
        std::fs::write(&path, text)?;
        assert_eq!(header_columns(&path, layout)?, ["a", "b", "__unnamed_2"]);
        let df = scan_delimited(
            &[path],
            &["a", "b", "__unnamed_2"],
            layout,
            &Notices::default(),
        )?
        .collect()?;
        assert_eq!(lines_of(&df)?, [6]);
        assert_eq!(optional_texts(&df, "b")?, [Some("2".into())]);
        Ok(())
    }

    /// Helper-found fault: a file with classic Mac line ends read as one line.
    #[test]
    fn carriage_return_line_ends_are_refused_by_name() {
        let error = scan_text(b"a,b\r1,2\r3,4\r", &["a", "b"], TextLayout::CSV_WITH_HEADER)
            .map(|df| df.height())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            error.contains("table.txt: line 1 holds a carriage return that is not followed"),
            "{error}"
        );
        let fine = scan_text(b"a,b\r\n1,2\r\n", &["a", "b"], TextLayout::CSV_WITH_HEADER);
        assert_eq!(fine.map(|df| df.height()).ok(), Some(1));
    }

    #[test]
    fn utf8_text_read_with_a_legacy_encoding_is_named() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sales.csv");
        std::fs::write(&path, "d\nplain\nCAFÉ\n")?;
        let notices = Notices::default();
        let latin1 = TextLayout::CSV_WITH_HEADER.with_encoding(Some(encoding_rs::WINDOWS_1252));
        let _scan = scan_delimited(&[path], &["d"], latin1, &notices)?;
        let said = notices.all();
        assert!(
            said.len() == 1
                && said[0].starts_with("sales.csv is valid UTF-8 with text beyond ASCII (first at line 3), but was read as windows-1252"),
            "{said:?}"
        );
        Ok(())
    }

    /// A file that starts with a UTF-8 byte order mark is read as UTF-8 under
    /// `--encoding windows-1252`, with a notice; its header and values are not
    /// garbled. A file beside it without one is read in the named encoding.
    #[test]
    fn a_utf8_byte_order_mark_overrides_the_named_encoding() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let marked = dir.path().join("a.csv");
        std::fs::write(&marked, "\u{feff}café\nCAFÉ\n")?;
        let legacy = dir.path().join("b.csv");
        std::fs::write(&legacy, b"caf\xe9\nCAF\xc9\n")?;
        let notices = Notices::default();
        let latin1 = TextLayout::CSV_WITH_HEADER.with_encoding(Some(encoding_rs::WINDOWS_1252));
        let rows = scan_delimited(&[marked, legacy], &["café"], latin1, &notices)?.collect()?;
        assert_eq!(crate::values::texts(&rows, "café", "")?, ["CAFÉ", "CAFÉ"]);
        let said = notices.all();
        assert!(
            said.len() == 1
                && said[0].starts_with(
                    "a.csv starts with a UTF-8 byte order mark: read as UTF-8, not as windows-1252"
                ),
            "{said:?}"
        );
        // A marked file with bytes that are not UTF-8 is told to be saved in one
        // encoding, not to use the --encoding it was given.
        let mixed = dir.path().join("c.csv");
        std::fs::write(&mixed, b"\xef\xbb\xbfcaf\xc3\xa9\nCAF\xc9\n")?;
        let notices = Notices::default();
        let _rows = scan_delimited(&[mixed], &["café"], latin1, &notices)?.collect()?;
        let said = notices.all();
        assert!(
            said.len() == 2 && said[1].ends_with("consider saving it again in one encoding"),
            "{said:?}"
        );
        Ok(())
    }
}

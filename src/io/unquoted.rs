//! Reading unquoted delimited text (pipe files, plain CSV of codes and numbers) with
//! exact field counts, through Polars' streaming engine.
//!
//! Polars' CSV reader cannot tell a line that lacks its trailing fields from one
//! whose trailing fields are empty, and on stable Rust it counts lines one byte at a
//! time on a single thread. This reader splits the file itself:
//!
//! 1. a first pass over the file finds chunk boundaries (about [`CHUNK_BYTES`] each,
//!    cut after a newline) and the line each chunk starts on;
//! 2. the chunk descriptions are the source of a lazy frame, and a streamable map
//!    reads and splits one chunk per morsel, so the streaming engine parses chunks on
//!    every core while the rest of the query consumes them, and memory holds a few
//!    chunks at a time whatever the file's size.
//!
//! Each line yields the declared columns (empty fields as null), its 1-based `line`
//! (header and blank lines counted) and `__layout_error`:
//! `layout|column_count` when it has more or fewer fields than declared, else
//! `layout|invalid_utf8` when it holds bytes that are not UTF-8 (its fields are then
//! read lossily, with U+FFFD in place of those bytes). Blank lines are skipped, a
//! trailing `\r` is dropped and a last line without newline is kept.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use memchr::{memchr, memchr_iter};
use polars::prelude::{
    concat, df, Column as PlColumn, DataFrame, DataType, IdxCa, IdxSize, IntoColumn, IntoLazy,
    LazyFrame, OptFlags, PolarsError, PolarsResult, Schema, SchemaRef, StringChunkedBuilder,
    UnionArgs, IDX_DTYPE,
};

use crate::schema::{LAYOUT_ERROR, LINE};

/// The bytes a chunk holds before it is cut at the next newline: enough that the
/// per-morsel overhead vanishes, small enough that a few chunks in flight per core
/// stay a few tens of MB.
pub const CHUNK_BYTES: u64 = 4 << 20;

/// The layout error of a line whose field count differs from the declared one.
pub const COLUMN_COUNT: &str = "layout|column_count";
/// The layout error of a line holding bytes that are not UTF-8.
pub const INVALID_UTF8: &str = "layout|invalid_utf8";

/// Names of the chunk description columns, the map's input.
const CHUNK_START: &str = "__chunk_start";
const CHUNK_END: &str = "__chunk_end";
const CHUNK_FIRST_LINE: &str = "__chunk_first_line";

/// A run of whole lines of a file: bytes `start..end`, the first on line
/// `first_line` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: u64,
    pub end: u64,
    pub first_line: u64,
}

/// The byte order mark some tools write at the start of UTF-8 text.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Cuts `file` into chunks of about `chunk_bytes` whole lines each, skipping the
/// first line when `skip_header` (and a byte order mark otherwise). One sequential
/// read; an error names the file.
pub fn plan_chunks(file: &Path, skip_header: bool, chunk_bytes: u64) -> Result<Vec<Chunk>> {
    let mut reader = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut chunks = Vec::new();
    let mut offset = 0u64;
    // Until the header's newline is seen, no chunk starts.
    let mut start: Option<u64> = None;
    let mut line = 1u64;
    let mut first_line = line;
    loop {
        let read = match reader.read(&mut buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read.with_context(|| format!("cannot read {}", file.display()))?,
        };
        if read == 0 {
            break;
        }
        if offset == 0 && !skip_header {
            let mark = buffer[..read].starts_with(BYTE_ORDER_MARK);
            start = Some(if mark {
                BYTE_ORDER_MARK.len() as u64
            } else {
                0
            });
        }
        for newline in memchr_iter(b'\n', &buffer[..read]) {
            let after = offset + newline as u64 + 1;
            line += 1;
            match start {
                None => {
                    start = Some(after);
                    first_line = line;
                }
                Some(from) if after - from >= chunk_bytes => {
                    chunks.push(Chunk {
                        start: from,
                        end: after,
                        first_line,
                    });
                    start = Some(after);
                    first_line = line;
                }
                Some(_) => {}
            }
        }
        offset += read as u64;
    }
    if let Some(from) = start.filter(|&from| from < offset) {
        chunks.push(Chunk {
            start: from,
            end: offset,
            first_line,
        });
    }
    Ok(chunks)
}

/// The schema of what [`split_lines`] returns for `columns`.
pub fn split_schema(columns: &[&str]) -> Schema {
    let mut schema = Schema::default();
    for name in columns {
        schema.with_column((*name).into(), DataType::String);
    }
    schema.with_column(LINE.into(), IDX_DTYPE);
    schema.with_column(LAYOUT_ERROR.into(), DataType::String);
    schema
}

/// Splits whole lines of text (starting on line `first_line`) into the declared
/// `columns`, `line` and `__layout_error`, as described in the module docs.
pub fn split_lines(
    bytes: &[u8],
    first_line: u64,
    columns: &[&str],
    separator: u8,
) -> PolarsResult<DataFrame> {
    let rows_estimate = bytes.len() / 32 + 1;
    let mut fields: Vec<StringChunkedBuilder> = columns
        .iter()
        .map(|name| StringChunkedBuilder::new((*name).into(), rows_estimate))
        .collect();
    let mut lines: Vec<IdxSize> = Vec::with_capacity(rows_estimate);
    let mut errors = StringChunkedBuilder::new(LAYOUT_ERROR.into(), rows_estimate);
    let all_utf8 = std::str::from_utf8(bytes).is_ok();
    let mut line_start = 0;
    let ends = memchr_iter(b'\n', bytes).chain(
        // A last line without newline.
        (bytes.last() != Some(&b'\n') && !bytes.is_empty()).then_some(bytes.len()),
    );
    for (number, end) in (first_line..).zip(ends) {
        let mut line = &bytes[line_start..end];
        line_start = end + 1;
        if let Some(without_cr) = line.strip_suffix(b"\r") {
            line = without_cr;
        }
        if line.is_empty() {
            continue;
        }
        let utf8 = all_utf8 || std::str::from_utf8(line).is_ok();
        let count_ok = split_fields(line, separator, utf8, &mut fields);
        lines.push(IdxSize::try_from(number).map_err(|_| {
            PolarsError::ComputeError(
                format!("line {number} is past the largest line index").into(),
            )
        })?);
        errors.append_option(if !count_ok {
            Some(COLUMN_COUNT)
        } else if !utf8 {
            Some(INVALID_UTF8)
        } else {
            None
        });
    }
    let mut output: Vec<PlColumn> = fields
        .into_iter()
        .map(|builder| builder.finish().into_column())
        .collect();
    output.push(IdxCa::from_vec(LINE.into(), lines).into_column());
    output.push(errors.finish().into_column());
    DataFrame::new_infer_height(output)
}

/// Appends the fields of one non-empty line to `fields` (null for empty and missing
/// ones); returns whether the line had exactly as many fields as declared.
fn split_fields(
    line: &[u8],
    separator: u8,
    utf8: bool,
    fields: &mut [StringChunkedBuilder],
) -> bool {
    let declared = fields.len();
    let mut rest = Some(line);
    let mut count_ok = true;
    for (index, builder) in fields.iter_mut().enumerate() {
        let Some(remaining) = rest else {
            // The line ended before this field.
            builder.append_null();
            count_ok = false;
            continue;
        };
        let (field, after) = match memchr(separator, remaining) {
            Some(at) => (&remaining[..at], Some(&remaining[at + 1..])),
            None => (remaining, None),
        };
        if index + 1 == declared && after.is_some() {
            // A separator after the last declared field: more fields than declared.
            count_ok = false;
        }
        append_field(builder, field, utf8);
        rest = after;
    }
    count_ok
}

fn append_field(builder: &mut StringChunkedBuilder, field: &[u8], utf8: bool) {
    if field.is_empty() {
        builder.append_null();
    } else if utf8 {
        // SAFETY: the line is valid UTF-8 and the field is cut at ASCII separators.
        builder.append_value(unsafe { std::str::from_utf8_unchecked(field) });
    } else {
        builder.append_value(String::from_utf8_lossy(field));
    }
}

/// Reads bytes `chunk.start..chunk.end` of `file` and splits them.
fn read_chunk(
    file: &Path,
    chunk: Chunk,
    columns: &[&str],
    separator: u8,
) -> PolarsResult<DataFrame> {
    thread_local! {
        // Reused between chunks: a fresh buffer each time costs page faults.
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let handle = File::open(file).map_err(|e| io_error(file, e))?;
    BUFFER.with_borrow_mut(|bytes| {
        bytes.resize((chunk.end - chunk.start) as usize, 0);
        handle
            .read_exact_at(bytes, chunk.start)
            .map_err(|e| io_error(file, e))?;
        split_lines(bytes, chunk.first_line, columns, separator)
    })
}

fn io_error(file: &Path, error: std::io::Error) -> PolarsError {
    PolarsError::IO {
        error: Arc::new(error),
        msg: Some(format!("cannot read {}", file.display()).into()),
    }
}

/// The number of chunks the streaming engine works on at once: one per thread.
fn chunks_in_flight() -> usize {
    std::env::var("POLARS_MAX_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
        .max(1)
}

/// Scans `file` lazily as the declared `columns` (text), `line` and
/// `__layout_error`, skipping its first line when `skip_header`.
pub fn scan_unquoted(
    file: &Path,
    columns: &[&str],
    separator: u8,
    skip_header: bool,
) -> Result<LazyFrame> {
    let chunks = plan_chunks(file, skip_header, CHUNK_BYTES)?;
    let schema: SchemaRef = Arc::new(split_schema(columns));
    if chunks.is_empty() {
        return Ok(DataFrame::empty_with_schema(&schema).lazy());
    }
    // The streaming engine splits an in-memory source into one morsel per thread:
    // sources of as many chunks as threads give one chunk per morsel, and the ordered
    // union keeps the file's order.
    let sources = chunks
        .chunks(chunks_in_flight())
        .map(|group| {
            Ok(df!(
                CHUNK_START => group.iter().map(|c| c.start).collect::<Vec<_>>(),
                CHUNK_END => group.iter().map(|c| c.end).collect::<Vec<_>>(),
                CHUNK_FIRST_LINE => group.iter().map(|c| c.first_line).collect::<Vec<_>>(),
            )?
            .lazy())
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let descriptions = concat(
        sources,
        UnionArgs {
            parallel: false,
            ..Default::default()
        },
    )?;
    let path: PathBuf = file.to_path_buf();
    let names: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let output_schema = schema.clone();
    Ok(descriptions.map(
        move |described: DataFrame| {
            let columns: Vec<&str> = names.iter().map(String::as_str).collect();
            let starts = described.column(CHUNK_START)?.u64()?.clone();
            let ends = described.column(CHUNK_END)?.u64()?.clone();
            let first_lines = described.column(CHUNK_FIRST_LINE)?.u64()?.clone();
            let mut parsed = DataFrame::empty_with_schema(&output_schema);
            for ((start, end), first_line) in starts
                .into_no_null_iter()
                .zip(ends.into_no_null_iter())
                .zip(first_lines.into_no_null_iter())
            {
                let chunk = Chunk {
                    start,
                    end,
                    first_line,
                };
                parsed.vstack_mut_owned(read_chunk(&path, chunk, &columns, separator)?)?;
            }
            Ok(parsed)
        },
        OptFlags::STREAMING,
        Some(Arc::new(move |_: &Schema| Ok(schema.clone()))),
        Some("split unquoted lines"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::optional_texts;

    #[test]
    fn splits_exact_field_counts() -> PolarsResult<()> {
        let df = split_lines(
            b"a|b|c\na|b\na|b|c|d\na||\n\r\nx|y|z",
            5,
            &["p", "q", "r"],
            b'|',
        )?;
        let lines: Vec<_> = df.column(LINE)?.idx()?.into_no_null_iter().collect();
        assert_eq!(
            lines,
            [5, 6, 7, 8, 10],
            "the blank line 9 is counted, not kept"
        );
        let count = Some(COLUMN_COUNT.to_string());
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [None, count.clone(), count, None, None]
        );
        assert_eq!(
            optional_texts(&df, "r")?,
            [
                Some("c".into()),
                None,
                Some("c".into()),
                None,
                Some("z".into())
            ]
        );
        assert_eq!(optional_texts(&df, "q")?[3], None, "an empty field is null");
        Ok(())
    }

    #[test]
    fn invalid_utf8_is_read_lossily_and_flagged_after_the_count() -> PolarsResult<()> {
        let df = split_lines(b"a|\xffb\nc|d|e\xfe\nf|g\n", 1, &["p", "q"], b'|')?;
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [
                Some(INVALID_UTF8.to_string()),
                Some(COLUMN_COUNT.to_string()),
                None
            ]
        );
        assert_eq!(optional_texts(&df, "q")?[0].as_deref(), Some("\u{FFFD}b"));
        Ok(())
    }

    #[test]
    fn chunks_cover_every_line_once_after_the_header() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        let body: String = (0..1000).map(|i| format!("{i},x\n")).collect();
        std::fs::write(&path, format!("id,v\n{body}last,y"))?;
        let chunks = plan_chunks(&path, true, 64)?;
        assert!(chunks.len() > 10);
        assert_eq!(chunks[0].start, 5);
        assert_eq!(chunks[0].first_line, 2);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        let total = std::fs::metadata(&path)?.len();
        assert_eq!(chunks.last().map(|c| c.end), Some(total));
        let mut lines = Vec::new();
        for chunk in &chunks {
            let df = read_chunk(&path, *chunk, &["id", "v"], b',')?;
            lines.extend(df.column(LINE)?.idx()?.into_no_null_iter());
        }
        assert_eq!(lines, (2..=1002).collect::<Vec<IdxSize>>());
        Ok(())
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_field() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "\u{FEFF}a|b\nc|d\n")?;
        let chunks = plan_chunks(&path, false, 64)?;
        assert_eq!(
            chunks,
            [Chunk {
                start: 3,
                end: 11,
                first_line: 1
            }],
            "3 + 4 + 4 bytes"
        );
        let df = read_chunk(&path, chunks[0], &["x", "y"], b'|')?;
        assert_eq!(
            optional_texts(&df, "x")?,
            [Some("a".into()), Some("c".into())]
        );
        Ok(())
    }

    #[test]
    fn a_header_alone_has_no_chunks() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id,v\n")?;
        assert!(plan_chunks(&path, true, 64)?.is_empty());
        std::fs::write(&path, "id,v")?;
        assert!(plan_chunks(&path, true, 64)?.is_empty());
        Ok(())
    }
}

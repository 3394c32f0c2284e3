//! Reading delimited text (CSV with or without a header, pipe files) as real exports
//! write it, in chunks, through Polars' streaming engine.
//!
//! 1. A first sequential pass over the file ([`plan_chunks`]) cuts it into chunks of
//!    about [`CHUNK_BYTES`] of whole records, each with the physical line it starts
//!    on. Where a stretch of the file holds no quote character every newline ends a
//!    record and the cut is a `memchr`; so does the newline of a line whose quoting
//!    is well formed ([`quoting_is_well_formed`]); elsewhere (a quoted line break, a
//!    quote left open or closed early) csv-core follows the quoting, so a quoted line
//!    break never splits a record. A record over several lines that is malformed
//!    (see below) is planned again from its second line, as the chunks are read. The
//!    same pass notes the first line that is not UTF-8, for the run's notices.
//! 2. The chunk descriptions are the source of a lazy frame, and a streamable map
//!    reads and splits one chunk per morsel ([`split_chunk`]), so every core parses
//!    chunks while the rest of the query consumes them, and memory holds a few chunks
//!    at a time whatever the file's size.
//!
//! What a file may look like: a UTF-8 byte order mark (skipped); `\n` or `\r\n` line
//! ends; RFC 4180 quoting (a field wrapped in `"` may hold the separator, line breaks
//! and doubled `""`), parsed by csv-core in the chunks that hold a quote character
//! while the others are split on the separator directly; blank lines (skipped);
//! preamble lines before the header ([`TextLayout::preamble_lines`]); a last line
//! without newline; a legacy encoding, when the caller names it
//! ([`TextLayout::encoding`]), decoded per chunk.
//!
//! The Polars behaviours this relies on (see [`crate::fast`]), each pinned by a test
//! that fails if it changes: the streaming engine splits an in-memory source of as many rows as threads
//! into one morsel per row, runs a `map` flagged `STREAMING` per morsel, and keeps the
//! order of an ordered (`parallel: false`) union, so that every chunk is read once and
//! records come out in file order (`the_streaming_engine_reads_every_chunk_once_in_
//! file_order`); and the two sinks and an aggregate of one validation run in one
//! query read the source once (`io::sink`'s
//! `validation_reads_the_raw_file_once_for_both_sinks_and_an_aggregate`).
//!
//! A narrowed read ([`ChunkedScan::records_narrowed`], for a query that looks at a
//! few columns of some lines, such as the day/month decision) builds only some
//! columns and leaves out the unquoted lines holding none of a few bytes, skipping
//! to the next line that holds one (or a quote) with one `memchr` over the chunk.
//!
//! Each record yields the declared columns (empty fields as null), its `line` (the
//! physical line it starts on, 1-based, with preamble, header, blank lines and quoted
//! line breaks counted) and `__layout_error`: [`COLUMN_COUNT`] when it has more or
//! fewer fields than declared, else [`INVALID_UTF8`] when it holds bytes that are not
//! UTF-8 (its fields are then read lossily, with U+FFFD in place of those bytes), or
//! [`INVALID_ENCODING`] when it does not decode in the named encoding; a record whose
//! quotes are not well formed (left open, or closed before other text) is
//! [`MALFORMED_QUOTES`], whatever its field count. Such a record, and a record over
//! several lines with another number of fields than declared, is its first line
//! alone (fields cut as written): reading goes on at its next line, so that a stray
//! quote costs one line and not every line up to the next quote.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use csv_core::{ReadRecordResult, Reader as CsvReader, ReaderBuilder, Terminator};
use memchr::{memchr, memchr2, memchr3, memchr_iter, memrchr};
use polars::prelude::{
    concat, df, Column as PlColumn, DataFrame, DataType, IdxCa, IdxSize, IntoColumn, IntoLazy,
    LazyFrame, OptFlags, PolarsError, PolarsResult, Schema, SchemaRef, StringChunkedBuilder,
    UnionArgs, IDX_DTYPE,
};

use crate::io::delimited::TextLayout;
use crate::schema::{LAYOUT_ERROR, LINE};

pub use crate::schema::{COLUMN_COUNT, INVALID_ENCODING, INVALID_UTF8, MALFORMED_QUOTES};

/// The bytes a chunk holds before it is cut at the next record boundary, unless the
/// layout says otherwise ([`TextLayout::chunk_bytes`]): enough that the per-morsel
/// overhead vanishes, small enough that a few chunks in flight per core stay a few
/// tens of MB.
pub const CHUNK_BYTES: u64 = 4 << 20;

/// Names of the chunk description columns, the map's input.
const CHUNK_START: &str = "__chunk_start";
const CHUNK_END: &str = "__chunk_end";
const CHUNK_FIRST_LINE: &str = "__chunk_first_line";

/// The byte order mark some tools write at the start of UTF-8 text.
pub const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// A run of whole records of a file: bytes `start..end`, the first on line
/// `first_line` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: u64,
    pub end: u64,
    pub first_line: u64,
}

/// What the first pass over a file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkPlan {
    /// The data records' chunks, in file order.
    pub chunks: Vec<Chunk>,
    /// The first line holding bytes that are not UTF-8; `None` when the whole file is
    /// UTF-8, or when an encoding was named.
    pub first_invalid_utf8_line: Option<u64>,
    /// With an encoding named: the first line with text beyond ASCII when the whole
    /// file is valid UTF-8 (so probably UTF-8, and garbled by the encoding).
    pub utf8_despite_encoding_line: Option<u64>,
}

/// The csv-core reader every pass uses: the layout's separator, `"` quoting with
/// doubled quotes, records ended by `\n` (a `\r` before it is dropped from the last
/// field).
fn csv_reader(separator: u8) -> CsvReader {
    ReaderBuilder::new()
        .delimiter(separator)
        .terminator(Terminator::Any(b'\n'))
        .build()
}

/// Cuts `file`, whose records hold `fields` fields, into chunks of about
/// `chunk_bytes` of whole records each, after its byte order mark, preamble lines
/// and header (see [`TextLayout`]). One sequential read, but for going back to the
/// second line of a malformed record over several lines (see the module's notes).
///
/// # Errors
/// When the file cannot be opened or read; the message names it.
pub fn plan_chunks(
    file: &Path,
    layout: &TextLayout,
    fields: usize,
    chunk_bytes: u64,
) -> Result<ChunkPlan> {
    let mut reader = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut planner = Planner::new(layout, fields, chunk_bytes);
    let mut offset = 0u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read.with_context(|| format!("cannot read {}", file.display()))?,
        };
        // A malformed record over several lines is read again from its second line
        // (see `Planner::rewind`), which may lie in an earlier buffer.
        let resume = if read == 0 {
            planner.end_of_input()
        } else {
            planner.feed(&buffer[..read], offset)
        };
        match resume {
            Some(at) => {
                reader
                    .seek(SeekFrom::Start(at))
                    .with_context(|| format!("cannot read {}", file.display()))?;
                offset = at;
            }
            None if read == 0 => break,
            None => offset += read as u64,
        }
    }
    Ok(planner.finish(offset))
}

/// The state of [`plan_chunks`]'s pass.
struct Planner {
    chunk_bytes: u64,
    chunks: Vec<Chunk>,
    /// Preamble and header lines still to skip before the first chunk starts.
    lines_to_skip: u64,
    /// Where the current chunk starts, once the skipped lines are behind.
    start: Option<u64>,
    first_line: u64,
    /// The line of the next byte to read (1 + newlines read so far).
    line: u64,
    csv: CsvReader,
    separator: u8,
    /// Whether csv-core is inside a record (possibly in a quoted field).
    mid_record: bool,
    /// The record csv-core is reading, while it is.
    record: Option<RecordScan>,
    strict_quotes: bool,
    /// The fields a record holds.
    fields: usize,
    sink: Vec<u8>,
    ends: Vec<usize>,
    utf8: Option<Utf8Scan>,
    encoding_named: bool,
}

impl Planner {
    fn new(layout: &TextLayout, fields: usize, chunk_bytes: u64) -> Self {
        Planner {
            fields,
            chunk_bytes,
            chunks: Vec::new(),
            lines_to_skip: layout.preamble_lines + u64::from(layout.has_header),
            start: None,
            first_line: 1,
            line: 1,
            csv: csv_reader(layout.separator),
            separator: layout.separator,
            mid_record: false,
            record: None,
            strict_quotes: layout.strict_quotes,
            sink: vec![0; 1 << 16],
            ends: vec![0; 1 << 10],
            utf8: Some(Utf8Scan {
                track_non_ascii: layout.encoding.is_some(),
                next_line: 1,
                ..Utf8Scan::default()
            }),
            encoding_named: layout.encoding.is_some(),
        }
    }

    /// Plans `buffer`, the file's bytes from `offset`; `Some(at)` when planning goes
    /// on from the earlier offset `at` instead of the buffer's end (a rewind).
    fn feed(&mut self, buffer: &[u8], offset: u64) -> Option<u64> {
        if let Some(utf8) = &mut self.utf8 {
            utf8.feed_at(buffer, offset);
        }
        let mut pos = 0;
        if offset == 0 && buffer.starts_with(BYTE_ORDER_MARK) {
            pos = BYTE_ORDER_MARK.len();
        }
        while self.lines_to_skip > 0 && pos < buffer.len() {
            match memchr(b'\n', &buffer[pos..]) {
                Some(at) => {
                    pos += at + 1;
                    self.line += 1;
                    self.lines_to_skip -= 1;
                }
                None => pos = buffer.len(),
            }
        }
        if self.lines_to_skip > 0 {
            return None;
        }
        if self.start.is_none() {
            self.start = Some(offset + pos as u64);
            self.first_line = self.line;
        }
        while pos < buffer.len() {
            let rest = &buffer[pos..];
            if !self.mid_record {
                // Before the line of the next quote, every newline ends a record.
                let quote = memchr(b'"', rest);
                let unquoted = &rest[..quote.unwrap_or(rest.len())];
                if let Some(last) = memrchr(b'\n', unquoted) {
                    for newline in memchr_iter(b'\n', &unquoted[..=last]) {
                        self.line += 1;
                        self.boundary(offset + (pos + newline + 1) as u64);
                    }
                    pos += last + 1;
                    continue;
                }
                // The line of that quote ends its record when its quoting is well
                // formed: csv-core is then outside any quoted field at its newline.
                // Other lines (a quoted line break, a quote closed early) go to csv-core.
                if let (Some(_), Some(newline)) = (quote, memchr(b'\n', rest)) {
                    if quoting_is_well_formed(&rest[..newline], self.separator, false) {
                        self.line += 1;
                        pos += newline + 1;
                        self.boundary(offset + pos as u64);
                        continue;
                    }
                }
            }
            if !self.mid_record {
                self.record = Some(RecordScan::new(
                    self.line,
                    self.separator,
                    self.strict_quotes,
                ));
            }
            let (result, read, _, _) = self.csv.read_record(rest, &mut self.sink, &mut self.ends);
            let consumed = &rest[..read];
            if let Some(record) = &mut self.record {
                record.feed(consumed, offset + pos as u64);
            }
            self.line += memchr_iter(b'\n', consumed).count() as u64;
            pos += read;
            match result {
                ReadRecordResult::Record => {
                    self.mid_record = false;
                    let end = offset + pos as u64;
                    if let Some(at) = self.rewind(end, false) {
                        match at.checked_sub(offset) {
                            Some(within) => pos = within as usize,
                            None => return Some(at),
                        }
                        continue;
                    }
                    if consumed.last() == Some(&b'\n') {
                        self.boundary(end);
                    }
                }
                ReadRecordResult::End => break,
                // Input used up, or fields longer than the scratch space: the record
                // goes on (what csv-core writes here is not needed).
                _ => self.mid_record = true,
            }
        }
        None
    }

    /// When the record csv-core just read (ending before `end`, or at the end of the
    /// file when `at_end`) runs over several lines and either its quoting is not well
    /// formed or it holds another number of fields than declared (a stray quote
    /// pulled later lines into it, up to a quote that may even close it well), the
    /// offset of its second line, where reading starts again: its first line alone
    /// is the malformed record, as [`split_quoted`] reads it, so that a stray quote
    /// costs one line and not the lines up to the next quote.
    fn rewind(&mut self, end: u64, at_end: bool) -> Option<u64> {
        let record = self.record.take()?;
        let second_line = record.second_line.filter(|&at| at < end)?;
        if record.well_formed(at_end) && record.fields == self.fields {
            return None;
        }
        self.csv.reset();
        self.mid_record = false;
        self.line = record.line + 1;
        self.boundary(second_line);
        Some(second_line)
    }

    /// At the end of the file: a record left unfinished there (a quote left open) is
    /// rewound as [`Planner::rewind`] does; `Some(at)` to read on from `at`.
    fn end_of_input(&mut self) -> Option<u64> {
        if !self.mid_record {
            return None;
        }
        self.rewind(u64::MAX, true)
    }

    /// A record ends just before `after`: the current chunk ends there when full.
    fn boundary(&mut self, after: u64) {
        if let Some(from) = self.start {
            if after - from >= self.chunk_bytes {
                self.chunks.push(Chunk {
                    start: from,
                    end: after,
                    first_line: self.first_line,
                });
                self.start = Some(after);
                self.first_line = self.line;
            }
        }
    }

    fn finish(mut self, size: u64) -> ChunkPlan {
        if let Some(from) = self.start.filter(|&from| from < size) {
            self.chunks.push(Chunk {
                start: from,
                end: size,
                first_line: self.first_line,
            });
        }
        let (invalid, non_ascii) = self.utf8.map(Utf8Scan::finish).unwrap_or_default();
        ChunkPlan {
            chunks: self.chunks,
            first_invalid_utf8_line: invalid.filter(|_| !self.encoding_named),
            utf8_despite_encoding_line: non_ascii
                .filter(|_| self.encoding_named && invalid.is_none()),
        }
    }
}

/// Finds the first line that is not UTF-8, checking whole lines so that a character
/// cut by a buffer boundary is checked whole.
#[derive(Default)]
struct Utf8Scan {
    /// The start of a line whose end is in a later buffer.
    pending: Vec<u8>,
    pending_line: u64,
    first_bad: Option<u64>,
    /// Whether to note the first line with a byte beyond ASCII.
    track_non_ascii: bool,
    first_non_ascii: Option<u64>,
    /// For [`Utf8Scan::feed_at`]: the line of the next byte, and how many bytes of
    /// the file were checked.
    next_line: u64,
    seen: u64,
}

impl Utf8Scan {
    /// Checks the bytes of `buffer` (the file's from `offset`) that were not checked
    /// yet: after a rewind, the planner reads some bytes again.
    fn feed_at(&mut self, buffer: &[u8], offset: u64) {
        let Some(new) = self
            .seen
            .checked_sub(offset)
            .map_or(Some(buffer), |checked| buffer.get(checked as usize..))
        else {
            return;
        };
        if new.is_empty() {
            return;
        }
        self.seen = offset + buffer.len() as u64;
        self.feed(new, self.next_line);
    }

    /// Checks `buffer`, whose first byte is on line `line`.
    fn feed(&mut self, buffer: &[u8], line: u64) {
        if self.first_bad.is_some() {
            return;
        }
        if self.pending.is_empty() {
            self.pending_line = line;
        }
        let (Some(first), Some(last)) = (memchr(b'\n', buffer), memrchr(b'\n', buffer)) else {
            self.pending.extend_from_slice(buffer);
            self.next_line = line;
            return;
        };
        self.pending.extend_from_slice(&buffer[..=first]);
        let pending = std::mem::take(&mut self.pending);
        self.check(&pending, self.pending_line);
        self.check(&buffer[first + 1..=last], line + 1);
        let after = line + memchr_iter(b'\n', &buffer[..=last]).count() as u64;
        self.pending.extend_from_slice(&buffer[last + 1..]);
        self.pending_line = after;
        self.next_line = after;
    }

    fn check(&mut self, bytes: &[u8], line: u64) {
        if self.first_bad.is_some() {
            return;
        }
        if let Err(error) = simdutf8::compat::from_utf8(bytes) {
            let before = &bytes[..error.valid_up_to()];
            self.first_bad = Some(line + memchr_iter(b'\n', before).count() as u64);
        }
        if self.track_non_ascii && self.first_non_ascii.is_none() {
            if let Some(at) = bytes.iter().position(|byte| !byte.is_ascii()) {
                let before = &bytes[..at];
                self.first_non_ascii = Some(line + memchr_iter(b'\n', before).count() as u64);
            }
        }
    }

    /// The first line that is not UTF-8, and the first with a byte beyond ASCII
    /// (when tracked).
    fn finish(mut self) -> (Option<u64>, Option<u64>) {
        let pending = std::mem::take(&mut self.pending);
        self.check(&pending, self.pending_line);
        (self.first_bad, self.first_non_ascii)
    }
}

/// The schema of what [`split_chunk`] returns for `columns`.
pub fn split_schema(columns: &[&str]) -> Schema {
    let mut schema = Schema::default();
    for name in columns {
        schema.with_column((*name).into(), DataType::String);
    }
    schema.with_column(LINE.into(), IDX_DTYPE);
    schema.with_column(LAYOUT_ERROR.into(), DataType::String);
    schema
}

/// Builds the columns of one chunk's records.
struct Records {
    fields: Vec<StringChunkedBuilder>,
    /// Per declared column, whether its text is kept; the others stay empty and
    /// become all-null columns.
    kept: Vec<bool>,
    /// See [`Narrowing::lines_holding`].
    lines_holding: Vec<u8>,
    lines: Vec<IdxSize>,
    errors: StringChunkedBuilder,
}

impl Records {
    fn new(columns: &[&str], narrowing: &ChunkNarrowing, bytes: usize) -> Self {
        let kept = &narrowing.kept;
        let rows_estimate = bytes / 32 + 1;
        Records {
            fields: columns
                .iter()
                .zip(kept)
                .map(|(name, &kept)| {
                    StringChunkedBuilder::new((*name).into(), if kept { rows_estimate } else { 0 })
                })
                .collect(),
            kept: kept.to_vec(),
            lines_holding: narrowing.lines_holding.clone(),
            lines: Vec::with_capacity(rows_estimate),
            errors: StringChunkedBuilder::new(LAYOUT_ERROR.into(), rows_estimate),
        }
    }

    /// Whether an unquoted line is left out by [`Narrowing::lines_holding`].
    fn leaves_out(&self, line: &[u8]) -> bool {
        match self.lines_holding.as_slice() {
            [] => false,
            [a] => memchr(*a, line).is_none(),
            [a, b] => memchr2(*a, *b, line).is_none(),
            [a, b, c] => memchr3(*a, *b, *c, line).is_none(),
            bytes => !line.iter().any(|byte| bytes.contains(byte)),
        }
    }

    /// Whether a narrowed read skips lines it can find with [`Records::next_candidate`]:
    /// one or two bytes to hold.
    fn skips_lines(&self) -> bool {
        matches!(self.lines_holding.len(), 1 | 2)
    }

    /// Where in `text` the first quote character or byte a line must hold is, when
    /// [`Records::skips_lines`]; `None` otherwise, or when `text` holds neither.
    fn next_candidate(&self, text: &[u8]) -> Option<usize> {
        match self.lines_holding.as_slice() {
            [a] => memchr2(b'"', *a, text),
            [a, b] => memchr3(b'"', *a, *b, text),
            _ => None,
        }
    }

    fn push_line(&mut self, line: u64, error: Option<&str>) -> PolarsResult<()> {
        self.lines.push(IdxSize::try_from(line).map_err(|_| {
            PolarsError::ComputeError(format!("line {line} is past the largest line index").into())
        })?);
        self.errors.append_option(error);
        Ok(())
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        let height = self.lines.len();
        let mut output: Vec<PlColumn> = self
            .fields
            .into_iter()
            .zip(self.kept)
            .map(|(builder, kept)| {
                let column = builder.finish();
                if kept {
                    column.into_column()
                } else {
                    PlColumn::full_null(column.name().clone(), height, &DataType::String)
                }
            })
            .collect();
        output.push(IdxCa::from_vec(LINE.into(), self.lines).into_column());
        output.push(self.errors.finish().into_column());
        DataFrame::new_infer_height(output)
    }
}

/// Splits whole records of text (starting on line `first_line`) into the declared
/// `columns`, `line` and `__layout_error`, as described in the module docs; `bytes`
/// are decoded from `layout.encoding` first when one is named.
///
/// # Errors
/// Only when a line number does not fit Polars' row index type.
pub fn split_chunk(
    bytes: &[u8],
    first_line: u64,
    columns: &[&str],
    layout: &TextLayout,
) -> PolarsResult<DataFrame> {
    split_chunk_narrowed(
        bytes,
        first_line,
        columns,
        &ChunkNarrowing::whole(columns.len()),
        layout,
    )
}

/// A [`Narrowing`] as the splitting applies it: whether each declared column is kept.
#[derive(Clone)]
struct ChunkNarrowing {
    kept: Vec<bool>,
    lines_holding: Vec<u8>,
}

impl ChunkNarrowing {
    /// Every column of every record.
    fn whole(columns: usize) -> Self {
        ChunkNarrowing {
            kept: vec![true; columns],
            lines_holding: Vec::new(),
        }
    }
}

/// [`split_chunk`] keeping the text of the columns `narrowing` marks only (the others
/// are all null) and leaving out the unquoted lines it says. Every field of the
/// other lines is still cut, so that their layout errors are the same.
///
/// # Errors
/// As [`split_chunk`].
fn split_chunk_narrowed(
    bytes: &[u8],
    first_line: u64,
    columns: &[&str],
    narrowing: &ChunkNarrowing,
    layout: &TextLayout,
) -> PolarsResult<DataFrame> {
    let mut records = Records::new(columns, narrowing, bytes.len());
    let (text, decode_error): (Cow<[u8]>, Option<&str>) = match layout.encoding {
        Some(encoding) => {
            let (text, _) = encoding.decode_without_bom_handling(bytes);
            match text {
                Cow::Borrowed(text) => (Cow::Borrowed(text.as_bytes()), None),
                Cow::Owned(text) => (Cow::Owned(text.into_bytes()), Some(INVALID_ENCODING)),
            }
        }
        None => (Cow::Borrowed(bytes), Some(INVALID_UTF8)),
    };
    let all_valid = simdutf8::basic::from_utf8(&text).is_ok()
        && !(layout.encoding.is_some() && decoded_with_errors(&text));
    let checks = LineChecks {
        all_valid,
        invalid: decode_error.unwrap_or(INVALID_UTF8),
        encoding: layout.encoding.is_some(),
    };
    // A narrowed read skips to its lines through `split_quoted`, which reads a line
    // without quotes as `split_unquoted` does.
    if memchr(b'"', &text).is_none() && narrowing.lines_holding.is_empty() {
        split_unquoted(&text, first_line, layout.separator, &checks, &mut records)?;
    } else {
        split_quoted(&text, first_line, *layout, &checks, &mut records)?;
    }
    records.finish()
}

/// Whether decoded text holds U+FFFD, which a legacy encoding never decodes to but
/// from malformed bytes.
fn decoded_with_errors(text: &[u8]) -> bool {
    memchr::memmem::find(text, "\u{FFFD}".as_bytes()).is_some()
}

/// How the lines of a chunk are checked for text that does not decode.
struct LineChecks {
    /// Every byte of the chunk decoded: no line needs a check.
    all_valid: bool,
    /// The layout error of a line that did not decode.
    invalid: &'static str,
    /// Whether the text was decoded from a named encoding (malformed bytes are then
    /// U+FFFD in valid UTF-8).
    encoding: bool,
}

impl LineChecks {
    fn is_valid(&self, line: &[u8]) -> bool {
        self.all_valid
            || match std::str::from_utf8(line) {
                Ok(_) => !(self.encoding && decoded_with_errors(line)),
                Err(_) => false,
            }
    }
}

/// The fast path for text without quote characters: every newline ends a record and
/// every separator ends a field.
fn split_unquoted(
    bytes: &[u8],
    first_line: u64,
    separator: u8,
    checks: &LineChecks,
    records: &mut Records,
) -> PolarsResult<()> {
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
        // A blank line (line ends only) is not a record, as in `split_quoted`.
        if line.iter().all(|&byte| byte == b'\r') || records.leaves_out(line) {
            continue;
        }
        let valid = checks.is_valid(line);
        let count_ok = split_fields(line, separator, valid, &mut records.fields, &records.kept);
        records.push_line(number, layout_error(count_ok, valid, checks))?;
    }
    Ok(())
}

fn layout_error(count_ok: bool, valid: bool, checks: &LineChecks) -> Option<&'static str> {
    if !count_ok {
        Some(COLUMN_COUNT)
    } else if !valid {
        Some(checks.invalid)
    } else {
        None
    }
}

/// Appends the fields of one non-empty unquoted line to `fields` (null for empty and
/// missing ones), those that `kept` marks; returns whether the line had exactly as
/// many fields as declared.
fn split_fields(
    line: &[u8],
    separator: u8,
    utf8: bool,
    fields: &mut [StringChunkedBuilder],
    kept: &[bool],
) -> bool {
    let declared = fields.len();
    let mut rest = Some(line);
    let mut count_ok = true;
    for ((index, builder), &keep) in fields.iter_mut().enumerate().zip(kept) {
        let Some(remaining) = rest else {
            // The line ended before this field.
            if keep {
                builder.append_null();
            }
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
        if keep {
            append_field(builder, field, utf8);
        }
        rest = after;
    }
    count_ok
}

fn append_field(builder: &mut StringChunkedBuilder, field: &[u8], utf8: bool) {
    if field.is_empty() {
        builder.append_null();
    } else if utf8 {
        // SAFETY: the record is valid UTF-8 and fields are cut at ASCII bytes (the
        // separator, quotes and line ends), which never sit inside a character.
        builder.append_value(unsafe { std::str::from_utf8_unchecked(field) });
    } else {
        builder.append_value(String::from_utf8_lossy(field));
    }
}

/// The RFC 4180 path, through csv-core: records may hold quoted separators, doubled
/// quotes and line breaks; `line` is the physical line a record starts on. A line
/// without a quote character is cut without csv-core, as [`split_unquoted`] cuts it.
fn split_quoted(
    bytes: &[u8],
    first_line: u64,
    layout: TextLayout,
    checks: &LineChecks,
    records: &mut Records,
) -> PolarsResult<()> {
    let separator = layout.separator;
    let mut csv = csv_reader(separator);
    let mut output = vec![0u8; 1 << 12];
    let mut ends = vec![0usize; records.fields.len() + 1];
    let mut line = first_line;
    let mut pos = 0;
    loop {
        if pos >= bytes.len() {
            return Ok(());
        }
        // A narrowed read jumps to the next line holding a quote or one of its bytes:
        // the lines before it are left out (counted, not cut).
        if let Some(next) = records.next_candidate(&bytes[pos..]) {
            let at = pos + next;
            let line_start = memrchr(b'\n', &bytes[pos..at]).map_or(pos, |i| pos + i + 1);
            line += memchr_iter(b'\n', &bytes[pos..line_start]).count() as u64;
            pos = line_start;
        } else if records.skips_lines() {
            return Ok(());
        }
        let line_end = memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |at| pos + at);
        // A blank line (line ends only) is not a record, as in `split_unquoted`.
        if bytes[pos..line_end].iter().all(|&byte| byte == b'\r') {
            line += u64::from(line_end < bytes.len());
            pos = line_end + 1;
            continue;
        }
        // A line without a quote character is a record of its own, cut as the
        // unquoted path cuts it; csv-core reads the others.
        if memchr(b'"', &bytes[pos..line_end]).is_none() {
            let text = &bytes[pos..line_end];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if records.leaves_out(text) {
                line += u64::from(line_end < bytes.len());
                pos = line_end + 1;
                continue;
            }
            let valid = checks.is_valid(text);
            let count_ok = split_fields(text, separator, valid, &mut records.fields, &records.kept);
            records.push_line(line, layout_error(count_ok, valid, checks))?;
            line += u64::from(line_end < bytes.len());
            pos = line_end + 1;
            continue;
        }
        let record_start = pos;
        let (mut written, mut fields) = (0, 0);
        loop {
            let (result, read, wrote, ended) =
                csv.read_record(&bytes[pos..], &mut output[written..], &mut ends[fields..]);
            pos += read;
            written += wrote;
            fields += ended;
            match result {
                ReadRecordResult::Record | ReadRecordResult::End => break,
                ReadRecordResult::OutputFull => output.resize(output.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                // Input used up: an empty input tells csv-core the record ends here.
                ReadRecordResult::InputEmpty => {}
            }
        }
        let raw = &bytes[record_start..pos];
        let quoting_ok = quoting_is_well_formed(raw, separator, layout.strict_quotes);
        // A malformed record is its first line alone, its fields cut as written: a
        // quote left open or closed early may have pulled later lines into it, and
        // reading starts again on the next line (as the planner does, see
        // `Planner::rewind`), so that a stray quote costs one line. So is a record
        // over several lines with another number of fields than declared: a stray
        // quote closed by a later one that ends a field.
        let first_end = memchr(b'\n', raw).unwrap_or(raw.len());
        let several_lines = first_end + 1 < raw.len();
        let count_ok = fields == records.fields.len();
        if !quoting_ok || (several_lines && !count_ok) {
            let text = &raw[..first_end];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let valid = checks.is_valid(text);
            split_fields(text, separator, valid, &mut records.fields, &records.kept);
            // Its first line alone holds a quote left open: malformed either way.
            records.push_line(line, Some(MALFORMED_QUOTES))?;
            line += u64::from(first_end < raw.len());
            pos = record_start + (first_end + 1).min(raw.len());
            csv.reset();
            continue;
        }
        let valid = checks.is_valid(raw);
        let mut field_ends = ends[..fields].to_vec();
        // A `\r` before the newline belongs to the line end, not the last field (an
        // empty last field has none: the `\r` before it is the previous field's).
        let last_start = fields.checked_sub(2).map_or(0, |before| ends[before]);
        if let Some(last) = field_ends.last_mut() {
            if *last > last_start && output[*last - 1] == b'\r' {
                *last -= 1;
            }
        }
        let mut field_start = 0;
        for ((index, builder), &keep) in records.fields.iter_mut().enumerate().zip(&records.kept) {
            match field_ends.get(index) {
                Some(&end) => {
                    if keep {
                        append_field(builder, &output[field_start..end], valid);
                    }
                    field_start = ends[index];
                }
                None if keep => builder.append_null(),
                None => {}
            }
        }
        let error = if quoting_ok {
            layout_error(count_ok, valid, checks)
        } else {
            Some(MALFORMED_QUOTES)
        };
        records.push_line(line, error)?;
        line += memchr_iter(b'\n', raw).count() as u64;
    }
}

/// The planner's view of one record csv-core reads, possibly over several buffers:
/// where it starts, its line, where its second line starts, and its quoting checked
/// byte by byte as [`quoting_is_well_formed`] checks it whole.
struct RecordScan {
    line: u64,
    /// The offset just after the record's first newline, once read.
    second_line: Option<u64>,
    quoting: QuotingState,
    separator: u8,
    strict: bool,
    well_formed: bool,
    /// Its fields so far: one more than the separators outside quoted fields.
    fields: usize,
}

/// Where a [`RecordScan`] is in the record's quoting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QuotingState {
    FieldStart,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted field: a doubled quote, or the field's end.
    AfterQuote,
    /// After a closing quote and `\r`: only line ends may follow.
    AfterQuoteLineEnd,
}

impl RecordScan {
    fn new(line: u64, separator: u8, strict: bool) -> Self {
        RecordScan {
            line,
            second_line: None,
            quoting: QuotingState::FieldStart,
            separator,
            strict,
            well_formed: true,
            fields: 1,
        }
    }

    /// Reads the record's next bytes, the file's from `offset`.
    fn feed(&mut self, bytes: &[u8], offset: u64) {
        if self.second_line.is_none() {
            self.second_line = memchr(b'\n', bytes).map(|at| offset + at as u64 + 1);
        }
        if !self.well_formed {
            return;
        }
        let (separator, strict) = (self.separator, self.strict);
        for &byte in bytes {
            use QuotingState::*;
            self.quoting = match (self.quoting, byte) {
                (FieldStart, b'"') => Quoted,
                (FieldStart | Unquoted | AfterQuote, b'\n') | (AfterQuoteLineEnd, b'\n') => {
                    FieldStart
                }
                (FieldStart | Unquoted, b) if b == separator => {
                    self.fields += 1;
                    FieldStart
                }
                (FieldStart, _) => Unquoted,
                (Unquoted, b'"') if strict => {
                    self.well_formed = false;
                    return;
                }
                (Unquoted, _) => Unquoted,
                (Quoted, b'"') => AfterQuote,
                (Quoted, _) => Quoted,
                (AfterQuote, b'"') => Quoted,
                (AfterQuote | AfterQuoteLineEnd, b'\r') => AfterQuoteLineEnd,
                (AfterQuote, b) if b == separator => {
                    self.fields += 1;
                    FieldStart
                }
                (AfterQuote | AfterQuoteLineEnd, _) => {
                    self.well_formed = false;
                    return;
                }
            };
        }
    }

    /// Whether the record read so far is well formed; `at_end`: it ends there (the
    /// end of the file), so a quoted field still open is not.
    fn well_formed(&self, at_end: bool) -> bool {
        self.well_formed && !(at_end && self.quoting == QuotingState::Quoted)
    }
}

/// Whether a record's quoting is well formed (RFC 4180): a field that starts with a
/// quote is closed by a quote followed by the separator or the record's end, and
/// holds other quotes only doubled. A quote inside an unquoted field is text, as
/// csv-core reads it, unless `strict` (then the record is not well formed). A quote
/// left open, or closed early, would make csv-core run the record into the next
/// lines, so such a record is quarantined whole as [`MALFORMED_QUOTES`] instead of
/// becoming a row with values of other records.
pub fn quoting_is_well_formed(raw: &[u8], separator: u8, strict: bool) -> bool {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let record = &raw[..end];
    let mut at = 0;
    loop {
        if record.get(at) != Some(&b'"') {
            // An unquoted field runs to the next separator.
            let field_end = memchr(separator, &record[at..]).map(|offset| at + offset);
            if strict && memchr(b'"', &record[at..field_end.unwrap_or(record.len())]).is_some() {
                return false;
            }
            match field_end {
                Some(end) => at = end + 1,
                None => return true,
            }
            continue;
        }
        // A quoted field: find its closing quote, stepping over doubled ones.
        at += 1;
        loop {
            let Some(offset) = memchr(b'"', &record[at..]) else {
                return false;
            };
            at += offset + 1;
            match record.get(at) {
                Some(b'"') => at += 1,
                None => return true,
                Some(&next) if next == separator => {
                    at += 1;
                    break;
                }
                Some(_) => return false,
            }
        }
    }
}

/// Reads bytes `chunk.start..chunk.end` of `file` and splits them.
fn read_chunk(
    file: &Path,
    chunk: Chunk,
    columns: &[&str],
    narrowing: &ChunkNarrowing,
    layout: &TextLayout,
) -> PolarsResult<DataFrame> {
    thread_local! {
        // Reused between chunks: a fresh buffer each time costs page faults.
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    #[cfg(test)]
    tests::count_read(file);
    let handle = File::open(file).map_err(|e| io_error(file, e))?;
    BUFFER.with_borrow_mut(|bytes| {
        bytes.resize((chunk.end - chunk.start) as usize, 0);
        handle
            .read_exact_at(bytes, chunk.start)
            .map_err(|e| io_error(file, e))?;
        split_chunk_narrowed(bytes, chunk.first_line, columns, narrowing, layout)
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

/// A file scanned lazily: its records and what the first pass found.
pub struct ChunkedScan {
    /// The declared `columns` (text), `line` and `__layout_error`.
    pub records: LazyFrame,
    /// See [`ChunkPlan::first_invalid_utf8_line`].
    pub first_invalid_utf8_line: Option<u64>,
    /// See [`ChunkPlan::utf8_despite_encoding_line`].
    pub utf8_despite_encoding_line: Option<u64>,
    /// How `records` are read, for [`ChunkedScan::records_narrowed`]; `None` when the
    /// file holds no records.
    reader: Option<ChunkReader>,
}

/// What a query that reads a few columns of a file, on some of its lines, needs of
/// its records ([`ChunkedScan::records_narrowed`]), since no projection or filter
/// reaches the splitting. The default narrows nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// The declared columns whose text is built; the others are all null. Empty:
    /// every column.
    pub kept: Vec<String>,
    /// When not empty, a line without a quote character that holds none of these
    /// bytes is left out (its line is still counted), for a query that looks only at
    /// values holding one of them. Records with quoted fields are all kept.
    pub lines_holding: Vec<u8>,
}

impl ChunkedScan {
    /// [`ChunkedScan::records`] narrowed as `narrowing` says. Every field of the lines
    /// kept is still cut, so their `line` and `__layout_error` are those of
    /// `records`; the chunks are the same, planned once.
    pub fn records_narrowed(&self, narrowing: &Narrowing) -> LazyFrame {
        match &self.reader {
            Some(reader) => reader.records(ChunkNarrowing {
                kept: reader
                    .columns
                    .iter()
                    .map(|c| narrowing.kept.is_empty() || narrowing.kept.contains(c))
                    .collect(),
                lines_holding: narrowing.lines_holding.clone(),
            }),
            None => self.records.clone(),
        }
    }
}

/// The planned chunks of a file and how to split them.
#[derive(Clone)]
struct ChunkReader {
    /// One row per chunk: its start, end and first line.
    descriptions: LazyFrame,
    path: PathBuf,
    columns: Vec<String>,
    layout: TextLayout,
    schema: SchemaRef,
}

impl ChunkReader {
    /// The records of every chunk, in order, narrowed as `narrowing` says.
    fn records(&self, narrowing: ChunkNarrowing) -> LazyFrame {
        let reader = self.clone();
        let output_schema = self.schema.clone();
        self.descriptions.clone().map(
            move |described: DataFrame| {
                let columns: Vec<&str> = reader.columns.iter().map(String::as_str).collect();
                let starts = described.column(CHUNK_START)?.u64()?.clone();
                let ends = described.column(CHUNK_END)?.u64()?.clone();
                let first_lines = described.column(CHUNK_FIRST_LINE)?.u64()?.clone();
                let mut parsed = DataFrame::empty_with_schema(&reader.schema);
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
                    let records =
                        read_chunk(&reader.path, chunk, &columns, &narrowing, &reader.layout)?;
                    parsed.vstack_mut_owned(records)?;
                }
                Ok(parsed)
            },
            OptFlags::STREAMING,
            Some(Arc::new(move |_: &Schema| Ok(output_schema.clone()))),
            Some("split delimited records"),
        )
    }
}

/// Scans `file` lazily as the declared `columns` (text), `line` and
/// `__layout_error`, laid out as `layout` says, in chunks of about
/// [`TextLayout::chunk_bytes`].
///
/// # Errors
/// When the file cannot be opened or read; the message names it.
pub fn scan_chunked(file: &Path, columns: &[&str], layout: &TextLayout) -> Result<ChunkedScan> {
    scan_chunked_with(file, columns, layout, layout.chunk_bytes)
}

/// [`scan_chunked`] with chunks of about `chunk_bytes`.
fn scan_chunked_with(
    file: &Path,
    columns: &[&str],
    layout: &TextLayout,
    chunk_bytes: u64,
) -> Result<ChunkedScan> {
    let plan = plan_chunks(file, layout, columns.len(), chunk_bytes)?;
    let schema: SchemaRef = Arc::new(split_schema(columns));
    let first_invalid_utf8_line = plan.first_invalid_utf8_line;
    let utf8_despite_encoding_line = plan.utf8_despite_encoding_line;
    if plan.chunks.is_empty() {
        return Ok(ChunkedScan {
            records: DataFrame::empty_with_schema(&schema).lazy(),
            first_invalid_utf8_line,
            utf8_despite_encoding_line,
            reader: None,
        });
    }
    // The streaming engine splits an in-memory source into one morsel per thread:
    // sources of as many chunks as threads give one chunk per morsel, and the ordered
    // union keeps the file's order.
    let sources = plan
        .chunks
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
    let reader = ChunkReader {
        descriptions,
        path: file.to_path_buf(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        layout: *layout,
        schema,
    };
    Ok(ChunkedScan {
        records: reader.records(ChunkNarrowing::whole(columns.len())),
        first_invalid_utf8_line,
        utf8_despite_encoding_line,
        reader: Some(reader),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::values::optional_texts;
    use polars::prelude::{BooleanChunked, Engine};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Chunk reads per file, for the tests that pin how often a file is read.
    static READS: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

    pub(crate) fn count_read(file: &Path) {
        let mut reads = READS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *reads
            .get_or_insert_with(HashMap::new)
            .entry(file.to_path_buf())
            .or_default() += 1;
    }

    pub(crate) fn reads_of(file: &Path) -> usize {
        let reads = READS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        reads
            .as_ref()
            .and_then(|r| r.get(file).copied())
            .unwrap_or(0)
    }

    /// Pins the Polars behaviour the reader relies on: the streaming engine hands out
    /// an in-memory source of as many chunk descriptions as threads one per morsel,
    /// and an ordered union of such sources keeps their order, so that every chunk is
    /// read once and the records come out in file order.
    #[test]
    fn the_streaming_engine_reads_every_chunk_once_in_file_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("many_chunks.csv");
        let body: String = (0..3000).map(|i| format!("{i},x\n")).collect();
        std::fs::write(&path, format!("id,v\n{body}"))?;
        let scan = scan_chunked_with(&path, &["id", "v"], &CSV, 512)?;
        let chunks = plan_chunks(&path, &CSV, 2, 512)?.chunks.len();
        assert!(chunks > 20, "{chunks} chunks");
        let before = reads_of(&path);
        let df = scan
            .records
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        assert_eq!(reads_of(&path) - before, chunks, "each chunk read once");
        assert_eq!(lines_of(&df)?, (2..3002).collect::<Vec<IdxSize>>());
        Ok(())
    }

    /// `body` written after the header `id,text,n`, scanned in chunks of 700 bytes, and
    /// all its records.
    fn scanned(dir: &Path, body: &str) -> Result<(PathBuf, ChunkedScan, DataFrame)> {
        let path = dir.join("narrowed.csv");
        std::fs::write(&path, format!("id,text,n\n{body}"))?;
        let scan = scan_chunked_with(&path, &["id", "text", "n"], &CSV, 700)?;
        let all = streaming(scan.records.clone())?;
        Ok((path, scan, all))
    }

    fn streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
        Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
    }

    /// The records of `all` (read from `path`) that a narrowed read keeps: those
    /// starting on a line that holds a quote or one of `bytes`.
    fn records_holding(path: &Path, all: &DataFrame, bytes: &[u8]) -> Result<DataFrame> {
        let file = std::fs::read_to_string(path)?;
        let physical: Vec<&str> = file.split('\n').collect();
        let holds = all.column(LINE)?.idx()?.into_no_null_iter().map(|line| {
            physical[line as usize - 1]
                .bytes()
                .any(|byte| byte == b'"' || bytes.contains(&byte))
        });
        Ok(all.filter(&BooleanChunked::from_iter(holds))?)
    }

    /// Records keeping one column are the records, with that column's text and the
    /// others null: the same lines and layout errors, quoted or not, short or long.
    /// Leaving out the lines without a byte leaves out exactly the unquoted records
    /// without it.
    #[test]
    fn narrowed_records_are_the_records_with_the_others_null() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let body: String = (0..2000)
            .map(|i| match i % 7 {
                0 => format!("{i},\"a, \"\"quoted\"\" {i}\",{i}\n"),
                1 => format!("{i},short\n"),
                2 => format!("{i},long,{i},extra\n"),
                3 => format!("{i},\"open,{i}\n"),
                4 => "\r\n".to_string(),
                5 => format!("{i},,\n"),
                _ => format!("{i},text {i},{i}\n"),
            })
            .collect();
        let (path, scan, all) = scanned(dir.path(), &body)?;
        let text_only = Narrowing {
            kept: vec!["text".to_string()],
            lines_holding: Vec::new(),
        };
        let kept = streaming(scan.records_narrowed(&text_only))?;
        assert_eq!(kept.get_column_names(), all.get_column_names());
        for name in ["text", LINE, LAYOUT_ERROR] {
            assert!(
                kept.column(name)?.equals_missing(all.column(name)?),
                "{name}"
            );
        }
        for name in ["id", "n"] {
            assert_eq!(kept.column(name)?.null_count(), kept.height(), "{name}");
        }
        assert!(all.column(LAYOUT_ERROR)?.null_count() < all.height());
        assert!(all.column("id")?.null_count() < all.height());

        // The records on a line holding a 7 or a 9, and every record starting on a
        // line with a quote character (csv-core's, which may run over several lines).
        let holding = Narrowing {
            kept: Vec::new(),
            lines_holding: b"79".to_vec(),
        };
        let narrowed = streaming(scan.records_narrowed(&holding))?;
        let all_holding = records_holding(&path, &all, b"79")?;
        assert!(all_holding.height() < all.height() && narrowed.height() > 100);
        assert!(narrowed.equals_missing(&all_holding));
        Ok(())
    }

    /// A narrowed read of a file without quotes, with blank and CRLF lines, leaves out
    /// exactly the lines without its bytes, and numbers the others as the full read.
    #[test]
    fn narrowed_records_of_unquoted_text_are_the_lines_holding_a_byte() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let body: String = (0..3000)
            .map(|i| match i % 5 {
                0 => "\r\n".to_string(),
                1 => format!("{i},a/b,{i}\r\n"),
                2 => format!("{i},x\n"),
                3 => format!("{i},2010-01-0{},{i}\n", i % 9),
                _ => format!("{i},c,{i}/\n"),
            })
            .collect();
        let (path, scan, all) = scanned(dir.path(), &body)?;
        for bytes in [&b"/"[..], b"/9", b"/9x"] {
            let narrowing = Narrowing {
                kept: Vec::new(),
                lines_holding: bytes.to_vec(),
            };
            let narrowed = streaming(scan.records_narrowed(&narrowing))?;
            let all_holding = records_holding(&path, &all, bytes)?;
            assert!(narrowed.height() > 1000 && narrowed.height() < all.height());
            assert!(narrowed.equals_missing(&all_holding), "{bytes:?}");
        }
        Ok(())
    }

    const PIPE: TextLayout = TextLayout::PIPE_NO_HEADER;
    const CSV: TextLayout = TextLayout::CSV_WITH_HEADER;

    fn lines_of(df: &DataFrame) -> PolarsResult<Vec<IdxSize>> {
        Ok(df.column(LINE)?.idx()?.into_no_null_iter().collect())
    }

    #[test]
    fn splits_exact_field_counts() -> PolarsResult<()> {
        let df = split_chunk(
            b"a|b|c\na|b\na|b|c|d\na||\n\r\nx|y|z",
            5,
            &["p", "q", "r"],
            &PIPE,
        )?;
        assert_eq!(
            lines_of(&df)?,
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
        for text in [
            &b"a|\xffb\nc|d|e\xfe\nf|g\n"[..],
            b"a|\xffb\nc|d|e\xfe\n\"f\"|g\n",
        ] {
            let df = split_chunk(text, 1, &["p", "q"], &PIPE)?;
            assert_eq!(
                optional_texts(&df, LAYOUT_ERROR)?,
                [
                    Some(INVALID_UTF8.to_string()),
                    Some(COLUMN_COUNT.to_string()),
                    None
                ]
            );
            assert_eq!(optional_texts(&df, "q")?[0].as_deref(), Some("\u{FFFD}b"));
        }
        Ok(())
    }

    /// The fast path and the quoted path give the same records for text both can
    /// read.
    #[test]
    fn quoted_and_unquoted_paths_agree() -> PolarsResult<()> {
        let text = b"a|b|c\r\na|b\n\na|b|c|d\na||\nx|y|z";
        let fast = split_chunk(text, 1, &["p", "q", "r"], &PIPE)?;
        let mut quoted_text = text.to_vec();
        quoted_text.extend_from_slice(b"\n\"u\"|v|w\n");
        let quoted = split_chunk(&quoted_text, 1, &["p", "q", "r"], &PIPE)?;
        assert_eq!(quoted.head(Some(fast.height())), fast);
        assert_eq!(lines_of(&quoted)?.last(), Some(&7));
        Ok(())
    }

    /// In a chunk with quotes, the lines without one take the unquoted cut and the
    /// others csv-core, line by line: physical line numbers run on across a quoted
    /// line break, CRLF and blank lines, and each line keeps its own layout error.
    #[test]
    fn lines_without_quotes_between_quoted_records_keep_their_lines_and_errors() -> PolarsResult<()>
    {
        let text = b"a,\"b\nc\",d\r\ne,f,g\r\n\r\nh,i\n\"j\",\"k,l\",m\nn,o,p,q\n\xffr,s,t\nu,\"v\"\"w\",x";
        let df = split_chunk(text, 10, &["p", "q", "r"], &CSV)?;
        assert_eq!(lines_of(&df)?, [10, 12, 14, 15, 16, 17, 18]);
        assert_eq!(
            optional_texts(&df, "q")?,
            [
                Some("b\nc".into()),
                Some("f".into()),
                Some("i".into()),
                Some("k,l".into()),
                Some("o".into()),
                Some("s".into()),
                Some("v\"w".into()),
            ]
        );
        assert_eq!(
            optional_texts(&df, "r")?,
            [
                Some("d".into()),
                Some("g".into()),
                None,
                Some("m".into()),
                Some("p".into()),
                Some("t".into()),
                Some("x".into()),
            ]
        );
        let count = Some(COLUMN_COUNT.to_string());
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [
                None,
                None,
                count.clone(),
                None,
                count,
                Some(INVALID_UTF8.to_string()),
                None
            ]
        );
        assert_eq!(optional_texts(&df, "p")?[5].as_deref(), Some("\u{FFFD}r"));
        Ok(())
    }

    /// Records with quoted line breaks are never cut, however small the chunks, and
    /// every record is read once with its physical line.
    #[test]
    fn chunks_cut_between_records_only() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        let mut body = String::from("\u{FEFF}id,v\n");
        let mut expected_lines = Vec::new();
        let mut line = 2;
        for i in 0..300 {
            expected_lines.push(line);
            if i % 7 == 3 {
                body.push_str(&format!("{i},\"two\nlines, \"\"quoted\"\"\"\n"));
                line += 2;
            } else if i % 11 == 5 {
                body.push_str(&format!("{i},plain\r\n\r\n"));
                line += 2;
            } else {
                body.push_str(&format!("{i},plain\n"));
                line += 1;
            }
        }
        std::fs::write(&path, body)?;
        let plan = plan_chunks(&path, &CSV, 2, 64)?;
        assert!(plan.chunks.len() > 20);
        assert_eq!(plan.chunks[0].start, 3 + 5, "after the mark and the header");
        assert_eq!(plan.first_invalid_utf8_line, None);
        let mut lines = Vec::new();
        let mut ids = Vec::new();
        for chunk in &plan.chunks {
            let df = read_chunk(&path, *chunk, &["id", "v"], &ChunkNarrowing::whole(2), &CSV)?;
            assert!(optional_texts(&df, LAYOUT_ERROR)?
                .iter()
                .all(Option::is_none));
            lines.extend(lines_of(&df)?);
            ids.extend(optional_texts(&df, "id")?.into_iter().flatten());
        }
        assert_eq!(lines, expected_lines);
        assert_eq!(ids, (0..300).map(|i| i.to_string()).collect::<Vec<_>>());
        Ok(())
    }

    /// A chunk's records do not depend on whether another of its lines holds a quote:
    /// a line of line ends only (`\r\r\n`) is blank in both paths, a leading `\r` is
    /// text in both, and a quoted field closed early by `\r` before an empty last field
    /// is quarantined instead of panicking.
    #[test]
    fn carriage_returns_read_alike_with_and_without_quotes() -> Result<()> {
        let columns = ["a", "b"];
        let unquoted: &[u8] = b"x,y\n\r\r\n\ry,z\n";
        let mut quoted = unquoted.to_vec();
        quoted.extend_from_slice(b"\"q\",w\n");
        let plain = split_chunk(unquoted, 2, &columns, &CSV)?;
        let with_quote = split_chunk(&quoted, 2, &columns, &CSV)?;
        crate::assert_frame_eq!(plain, with_quote.head(Some(2)));
        assert_eq!(
            optional_texts(&plain, "a")?,
            [Some("x".into()), Some("\ry".into())]
        );
        assert_eq!(lines_of(&plain)?, [2, 4]);

        let closed_early = split_chunk(b"\"q\"\r,\n", 2, &columns, &CSV)?;
        assert_eq!(
            optional_texts(&closed_early, LAYOUT_ERROR)?,
            [Some(MALFORMED_QUOTES.to_string())]
        );
        Ok(())
    }

    /// The planner's cuts on `bytes` fed in buffers of `buffer` bytes, with chunks
    /// of at least `chunk_bytes`.
    fn plan_bytes(bytes: &[u8], chunk_bytes: u64, buffer: usize) -> Vec<Chunk> {
        plan_bytes_with(bytes, chunk_bytes, buffer, &CSV)
    }

    /// [`plan_bytes`] for `layout` (three fields), rewinds followed as
    /// [`plan_chunks`] follows them.
    fn plan_bytes_with(
        bytes: &[u8],
        chunk_bytes: u64,
        buffer: usize,
        layout: &TextLayout,
    ) -> Vec<Chunk> {
        plan_bytes_of(bytes, chunk_bytes, buffer, layout, 3)
    }

    /// [`plan_bytes_with`] for records of `fields` fields.
    fn plan_bytes_of(
        bytes: &[u8],
        chunk_bytes: u64,
        buffer: usize,
        layout: &TextLayout,
        fields: usize,
    ) -> Vec<Chunk> {
        let mut planner = Planner::new(layout, fields, chunk_bytes);
        let mut offset = 0;
        loop {
            let piece = &bytes[offset..(offset + buffer).min(bytes.len())];
            let resume = if piece.is_empty() {
                planner.end_of_input()
            } else {
                planner.feed(piece, offset as u64)
            };
            match resume {
                Some(at) => offset = at as usize,
                None if piece.is_empty() => break,
                None => offset += piece.len(),
            }
        }
        planner.finish(bytes.len() as u64).chunks
    }

    /// Whatever the quoting (well formed, a quoted line break, a quote left open or
    /// closed early, a stray quote in an unquoted field, CRLF, blank lines), reading
    /// the planned chunks one by one gives the records, lines and layout errors of
    /// csv-core reading the whole body in one go: the planner cuts only where
    /// csv-core ends a record, also where it skips csv-core for a well-formed line.
    #[test]
    fn chunks_read_apart_equal_the_whole_body_on_random_quoting() -> Result<()> {
        use rand::{Rng, SeedableRng};
        let tokens: [&[u8]; 10] = [
            b"x", b"yz", b",", b"\"", b"\"\"", b"\n", b"\r\n", b"\",\"", b"\r", b"\n\"",
        ];
        let columns = ["a", "b", "c"];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        for case in 0..400 {
            let mut body = b"a,b,c\n".to_vec();
            for _ in 0..rng.random_range(1..60) {
                body.extend_from_slice(tokens[rng.random_range(0..tokens.len())]);
                if rng.random_bool(0.3) {
                    body.extend_from_slice(b"\n");
                }
            }
            let header = 6;
            let whole = split_chunk(&body[header..], 2, &columns, &CSV)?;
            let buffer = rng.random_range(1..40);
            let mut apart = DataFrame::empty_with_schema(&split_schema(&columns));
            for chunk in plan_bytes(&body, 1, buffer) {
                let bytes = &body[chunk.start as usize..chunk.end as usize];
                apart.vstack_mut_owned(split_chunk(bytes, chunk.first_line, &columns, &CSV)?)?;
            }
            if let Some(difference) = crate::testing::frame_difference(&apart, &whole) {
                panic!(
                    "case {case}, buffers of {buffer}: {:?}: {difference}\n{apart}\n{whole}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
        Ok(())
    }

    /// The same on many short bodies, fed to the planner in buffers of every size
    /// from 1 byte (so that records and rewinds cross buffers), with RFC 4180's
    /// quoting and with strict quotes (a quote inside an unquoted field malformed).
    #[test]
    fn short_bodies_read_apart_equal_the_whole_at_every_buffer_size() -> Result<()> {
        use rand::{Rng, SeedableRng};
        let tokens: [&[u8]; 10] = [
            b"x", b"yz", b",", b"\"", b"\"\"", b"\n", b"\r\n", b"\",\"", b"\r", b"\n\"",
        ];
        let columns = ["a", "b", "c"];
        let strict = TextLayout {
            strict_quotes: true,
            ..CSV
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..1500 {
            let mut body = b"a,b,c\n".to_vec();
            for _ in 0..rng.random_range(1..8) {
                body.extend_from_slice(tokens[rng.random_range(0..tokens.len())]);
                if rng.random_bool(0.3) {
                    body.extend_from_slice(b"\n");
                }
            }
            for layout in [CSV, strict] {
                let whole = split_chunk(&body[6..], 2, &columns, &layout)?;
                for buffer in 1..8 {
                    let mut apart = DataFrame::empty_with_schema(&split_schema(&columns));
                    for chunk in plan_bytes_with(&body, 1, buffer, &layout) {
                        let bytes = &body[chunk.start as usize..chunk.end as usize];
                        apart.vstack_mut_owned(split_chunk(
                            bytes,
                            chunk.first_line,
                            &columns,
                            &layout,
                        )?)?;
                    }
                    if let Some(difference) = crate::testing::frame_difference(&apart, &whole) {
                        panic!(
                            "case {case}, buffers of {buffer}, strict {}: {:?}: {difference}",
                            layout.strict_quotes,
                            String::from_utf8_lossy(&body)
                        );
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_first_line_that_is_not_utf8_is_found_across_buffers() {
        let mut scan = Utf8Scan::default();
        // "é" (C3 A9) cut between two buffers is valid; line 3 holds a lone FF.
        scan.feed(b"ok\nabc\xC3", 1);
        scan.feed(b"\xA9\nx\xFFy\n", 2);
        assert_eq!(scan.finish().0, Some(3));
        let mut clean = Utf8Scan {
            track_non_ascii: true,
            ..Utf8Scan::default()
        };
        clean.feed(b"a\nb\xC3", 1);
        clean.feed(b"\xA9", 2);
        assert_eq!(clean.finish(), (None, Some(2)));
    }

    #[test]
    fn a_header_alone_has_no_chunks() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id,v\n")?;
        assert!(plan_chunks(&path, &CSV, 2, 64)?.chunks.is_empty());
        std::fs::write(&path, "id,v")?;
        assert!(plan_chunks(&path, &CSV, 2, 64)?.chunks.is_empty());
        Ok(())
    }

    #[test]
    fn quoting_is_checked_field_by_field() {
        for (record, ok) in [
            (&b"a,\"b, c\",d\r\n"[..], true),
            (b"\"say \"\"hi\"\"\",\"\"\n", true),
            (b"ab\"c,d\n", true),
            (b"\"two\nlines\",x", true),
            (b"1,\"OPEN,2\n3,\"X\",5\n", false),
            (b"\"never closed,1\n2,3\n", false),
            (b"\"\n", false),
        ] {
            assert_eq!(
                quoting_is_well_formed(record, b',', false),
                ok,
                "{record:?}"
            );
        }
        // Strict: a quote inside an unquoted field is malformed too.
        for (record, ok) in [
            (&b"a,\"b, c\",d\r\n"[..], true),
            (b"ab\"c,d\n", false),
            (b"a,b\"\n", false),
            (b"a,\"b\"\"c\"\n", true),
        ] {
            assert_eq!(quoting_is_well_formed(record, b',', true), ok, "{record:?}");
        }
    }

    /// Helper-found fault: a quote left open in one record must not give a valid row
    /// holding the next record's values.
    #[test]
    fn a_quote_inside_an_unquoted_field_is_text_or_malformed_as_the_layout_says() -> PolarsResult<()>
    {
        let text = b"1,Show \"A\" B,7\n2,\"ok\",8\n";
        let lenient = split_chunk(text, 2, &["id", "text", "n"], &CSV)?;
        assert_eq!(optional_texts(&lenient, LAYOUT_ERROR)?, [None, None]);
        assert_eq!(
            optional_texts(&lenient, "text")?,
            [Some("Show \"A\" B".to_string()), Some("ok".to_string())]
        );
        let strict = split_chunk(text, 2, &["id", "text", "n"], &CSV.with_strict_quotes())?;
        assert_eq!(
            optional_texts(&strict, LAYOUT_ERROR)?,
            [Some(MALFORMED_QUOTES.to_string()), None]
        );
        Ok(())
    }

    /// A stray quote closed by a later quote that ends a field makes a record of well
    /// formed quoting over many lines, with another number of fields: its first line
    /// alone is quarantined, and the lines after it are read. (With the declared
    /// number of fields, such a record cannot be told from a quoted line break.)
    #[test]
    fn a_stray_quote_closed_at_a_field_end_costs_one_line() -> PolarsResult<()> {
        let columns = ["id", "code", "text", "n"];
        let text = b"1,A,\"OPEN,1\n2,A,B,5\n3,B,ok\",7,x\n4,C,D,8\n";
        let df = split_chunk(text, 2, &columns, &CSV)?;
        assert_eq!(lines_of(&df)?, [2, 3, 4, 5]);
        // Line 4 read alone has a quote inside an unquoted field (text) and 5 fields.
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [
                Some(MALFORMED_QUOTES.to_string()),
                None,
                Some(COLUMN_COUNT.to_string()),
                None
            ]
        );
        // Planned in buffers of every size, the chunks read the same records.
        let mut body = b"id,code,text,n\n".to_vec();
        body.extend_from_slice(text);
        for buffer in 1..body.len() {
            let mut apart = DataFrame::empty_with_schema(&split_schema(&columns));
            let layout = TextLayout::CSV_WITH_HEADER;
            for chunk in plan_bytes_of(&body, 1, buffer, &layout, columns.len()) {
                let bytes = &body[chunk.start as usize..chunk.end as usize];
                apart.vstack_mut_owned(split_chunk(bytes, chunk.first_line, &columns, &CSV)?)?;
            }
            assert_eq!(lines_of(&apart)?, [2, 3, 4, 5], "buffers of {buffer}");
            assert_eq!(
                optional_texts(&apart, LAYOUT_ERROR)?,
                optional_texts(&df, LAYOUT_ERROR)?
            );
        }
        Ok(())
    }

    /// A quote left open pulls the next lines into its record up to the next quote;
    /// that record's first line alone is quarantined, and the lines after it are
    /// read as records of their own, the quoted field of line 3 included.
    #[test]
    fn a_quote_left_open_quarantines_its_own_line_only() -> PolarsResult<()> {
        let text = b"1,A,\"OPEN,1\n2,A,\"X\",5\n3,B,ok,7\n";
        let df = split_chunk(text, 2, &["id", "code", "text", "n"], &CSV)?;
        assert_eq!(lines_of(&df)?, [2, 3, 4]);
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [Some(MALFORMED_QUOTES.to_string()), None, None]
        );
        assert_eq!(
            optional_texts(&df, "text")?,
            [
                Some("\"OPEN".to_string()),
                Some("X".to_string()),
                Some("ok".to_string())
            ]
        );
        // Left open to the end of the file: the same, the lines after it read.
        let df = split_chunk(
            b"1,A,\"OPEN,1\n2,A,B,5\n3,B,ok,7",
            2,
            &["id", "code", "text", "n"],
            &CSV,
        )?;
        assert_eq!(lines_of(&df)?, [2, 3, 4]);
        assert_eq!(
            optional_texts(&df, LAYOUT_ERROR)?,
            [Some(MALFORMED_QUOTES.to_string()), None, None]
        );
        // A quoted line break that is well formed stays one record.
        let df = split_chunk(
            b"1,A,\"two\nlines\",1\n2,A,B,5\n",
            2,
            &["id", "code", "text", "n"],
            &CSV,
        )?;
        assert_eq!(lines_of(&df)?, [2, 4]);
        assert_eq!(optional_texts(&df, LAYOUT_ERROR)?, [None, None]);
        Ok(())
    }
}

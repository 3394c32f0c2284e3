//! Newline-delimited JSON (such as an Elasticsearch export) read in batches of raw
//! text columns, ready for [`crate::schema::validate`].
//!
//! Each wanted field is addressed by a JSON pointer (`/_source/Contract`). Its value
//! becomes text: strings as they are, numbers and booleans as written, objects and
//! arrays as JSON (which then fails any typed check); a missing field, `null` or an
//! empty string is null, as an empty field of delimited text is. Every batch carries `source_file`, `line` (1-based), `row_nr` (the file's
//! position in the high 32 bits, the line in the low ones, as in
//! [`crate::io::delimited`]) and `__layout_error`:
//!
//! - `layout|invalid_json`: the line is not a JSON value (its fields are null);
//! - `layout|invalid_utf8`: the line holds bytes that are not UTF-8 (the run's notices
//!   name each such file and its first such line).
//!
//! A UTF-8 byte order mark before the first line is skipped, `\r\n` line ends are
//! accepted, and blank lines are not records and are skipped (line numbers still
//! count them).
//! Lines are parsed on every core; memory holds one batch at a time.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{
    Column, DataFrame, IdxSize, IntoColumn, NamedFrom, PlSmallStr, Scalar, Series, StringChunked,
    StringChunkedBuilder,
};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

use super::files::check_text_file;
use super::reading::Notices;
use crate::fast::chunked::BYTE_ORDER_MARK;
use crate::schema::{
    row_nr_value, INVALID_JSON, INVALID_UTF8, LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE,
};

/// A field to extract: the column it becomes and its JSON pointer.
#[derive(Clone, Copy, Debug)]
pub struct JsonField {
    pub column: &'static str,
    pub pointer: &'static str,
}

/// One NDJSON file and the constant text columns its rows carry (such as the date
/// taken from its name), in the order of the reader's `constant_columns`.
#[derive(Clone, Debug)]
pub struct NdjsonFile {
    pub path: PathBuf,
    pub constants: Vec<String>,
}

/// Reads NDJSON files in batches of raw text columns.
#[derive(Clone, Debug)]
pub struct NdjsonReader {
    pub fields: Vec<JsonField>,
    /// Names of the per-file constant columns, after the fields.
    pub constant_columns: Vec<&'static str>,
    /// Rows per batch handed to the consumer.
    pub batch_rows: usize,
    /// Where each file's first line that is not UTF-8 is noted (the run's
    /// [`crate::io::Reading::notices`]; the default is heard by nobody).
    pub notices: Notices,
}

/// Lines parsed per task on one core.
const LINES_PER_TASK: usize = 16_384;

impl NdjsonReader {
    /// Reads `files` in order and hands each batch to `consume`; returns the rows read.
    /// An error names the file that could not be read.
    ///
    /// The files are read and parsed on a thread of their own, one batch ahead of
    /// `consume`, so that reading the next batch overlaps consuming this one; memory
    /// holds at most three batches (the one consumed, one waiting, one being read).
    ///
    /// # Errors
    /// When a file cannot be opened or read, or `consume` fails on one of its batches;
    /// the message names the file. Reading stops at the first error.
    pub fn read(
        &self,
        files: &[NdjsonFile],
        mut consume: impl FnMut(DataFrame) -> Result<()>,
    ) -> Result<u64> {
        // A batch read, or the reason reading stopped, with the file it came from.
        type Batch = (usize, Result<DataFrame>);
        let (batches, received) = std::sync::mpsc::sync_channel::<Batch>(1);
        std::thread::scope(|scope| {
            let reader = scope.spawn(move || -> u64 {
                let mut rows = 0u64;
                // One buffer for every file: a fresh one per file would fault in
                // (and grow by copying) each file's bytes again.
                let mut batch = LineBatch::default();
                for (index, file) in files.iter().enumerate() {
                    // Sending fails only when the consumer has stopped: so does reading.
                    let mut send = |frame: DataFrame| {
                        batches
                            .send((index, Ok(frame)))
                            .map_err(|_| anyhow::anyhow!("the consumer stopped"))
                    };
                    match self.read_file(index, file, &mut batch, &mut send) {
                        Ok(read) => rows += read,
                        Err(error) => {
                            let _ = batches.send((index, Err(error)));
                            break;
                        }
                    }
                }
                rows
            });
            for (index, batch) in received {
                batch
                    .and_then(&mut consume)
                    .with_context(|| format!("cannot read {}", files[index].path.display()))?;
            }
            reader
                .join()
                .map_err(|_| anyhow::anyhow!("the NDJSON reader thread panicked"))
        })
    }

    fn read_file(
        &self,
        index: usize,
        file: &NdjsonFile,
        batch: &mut LineBatch,
        consume: &mut impl FnMut(DataFrame) -> Result<()>,
    ) -> Result<u64> {
        check_text_file(&file.path)?;
        let mut reader = BufReader::with_capacity(1 << 20, File::open(&file.path)?);
        let name = display_name(&file.path);
        batch.clear();
        let mut line_no: u32 = 0;
        let mut rows = 0u64;
        // Each batch goes on to `consume` once the file's first line that is not UTF-8,
        // if it holds one, is noted.
        let mut noted = false;
        let mut consume = |frame: DataFrame| -> Result<()> {
            if !noted {
                if let Some(line) = first_invalid_utf8_line(&frame)? {
                    self.notices.push(format!(
                        "{name} is not UTF-8 (first at line {line}): its lines with such \
                         bytes are quarantined as layout|invalid_utf8. JSON text is UTF-8 \
                         (RFC 8259): consider exporting the file again as UTF-8"
                    ));
                    noted = true;
                }
            }
            consume(frame)
        };
        loop {
            let start = batch.bytes.len();
            let read = reader.read_until(b'\n', &mut batch.bytes)?;
            if read == 0 {
                break;
            }
            line_no += 1;
            let mut start = start;
            if line_no == 1 && batch.bytes[start..].starts_with(BYTE_ORDER_MARK) {
                start += BYTE_ORDER_MARK.len();
            }
            let mut end = batch.bytes.len();
            while end > start && matches!(batch.bytes[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if batch.bytes[start..end].iter().all(u8::is_ascii_whitespace) {
                batch.bytes.truncate(start);
                continue;
            }
            if rows == 0 && batch.lines.is_empty() {
                self.note_other_json(&name, batch.bytes[start..end].trim_ascii());
            }
            batch.lines.push((start, end, line_no));
            if batch.lines.len() >= self.batch_rows {
                rows += batch.lines.len() as u64;
                consume(self.frame(batch, index, &name, file)?)?;
                batch.clear();
            }
        }
        if !batch.lines.is_empty() {
            rows += batch.lines.len() as u64;
            consume(self.frame(batch, index, &name, file)?)?;
        }
        if rows == 0 {
            self.notices.push(format!(
                "{name} holds no JSON line: no rows were read from it (an export that did \
                 not finish?)"
            ));
        }
        Ok(rows)
    }

    /// A notice when a file's first line shows JSON that is not JSON Lines: one array
    /// (`[` first), or objects over several lines (`{` alone); each of its lines is
    /// then quarantined as `layout|invalid_json`, and the notice says why.
    fn note_other_json(&self, name: &str, first_line: &[u8]) {
        let shape = if first_line.starts_with(b"[") {
            "one JSON array"
        } else if first_line == b"{" {
            "JSON objects over several lines (pretty-printed)"
        } else {
            return;
        };
        self.notices.push(format!(
            "{name} looks like {shape}, not JSON Lines (one object per line): its lines are \
             quarantined as layout|invalid_json. Consider exporting one object per line, \
             for example with `jq -c '.[]'` or `jq -c .`"
        ));
    }

    fn frame(
        &self,
        batch: &LineBatch,
        index: usize,
        name: &str,
        file: &NdjsonFile,
    ) -> Result<DataFrame> {
        let parts: Vec<ParsedLines> = batch
            .lines
            .par_chunks(LINES_PER_TASK)
            .map(|lines| self.parse(&batch.bytes, lines))
            .collect();
        let n = batch.lines.len();
        let lines: Vec<IdxSize> = batch.lines.iter().map(|l| l.2 as IdxSize).collect();
        let row_nrs: Vec<u64> = batch
            .lines
            .iter()
            .map(|l| row_nr_value(index, u64::from(l.2)))
            .collect();
        let mut columns: Vec<Column> = vec![
            Column::new_scalar(SOURCE_FILE.into(), Scalar::from(PlSmallStr::from(name)), n),
            Series::new(LINE.into(), lines).into(),
            Series::new(ROW_NR.into(), row_nrs).into(),
            Series::new(
                LAYOUT_ERROR.into(),
                parts
                    .iter()
                    .flat_map(|p| p.errors.iter().copied())
                    .collect::<Vec<_>>(),
            )
            .into(),
        ];
        let mut fields: Vec<Option<StringChunked>> = vec![None; self.fields.len()];
        for part in parts {
            for (all, chunk) in fields.iter_mut().zip(part.values) {
                match all {
                    Some(all) => all.append_owned(chunk)?,
                    None => *all = Some(chunk),
                }
            }
        }
        for (field, values) in self.fields.iter().zip(fields) {
            let values =
                values.unwrap_or_else(|| StringChunkedBuilder::new(PlSmallStr::EMPTY, 0).finish());
            columns.push(values.with_name(field.column.into()).into_column());
        }
        for (column, value) in self.constant_columns.iter().zip(&file.constants) {
            let value = Scalar::from(PlSmallStr::from(value.as_str()));
            columns.push(Column::new_scalar((*column).into(), value, n));
        }
        Ok(DataFrame::new(n, columns)?)
    }

    fn parse(&self, bytes: &[u8], lines: &[(usize, usize, u32)]) -> ParsedLines {
        let tree = PathTree::of(&self.fields);
        let mut errors = Vec::with_capacity(lines.len());
        let mut builders: Vec<StringChunkedBuilder> = self
            .fields
            .iter()
            .map(|f| StringChunkedBuilder::new(f.column.into(), lines.len()))
            .collect();
        let mut found: Vec<Option<Cow<str>>> = vec![None; self.fields.len()];
        for &(start, end, _) in lines {
            let line = &bytes[start..end];
            found.iter_mut().for_each(|v| *v = None);
            let outcome = match std::str::from_utf8(line) {
                Err(_) => Err(INVALID_UTF8),
                Ok(text) => extract(text, &tree, &mut found).map_err(|_| INVALID_JSON),
            };
            if let Err(reason) = outcome {
                found.iter_mut().for_each(|v| *v = None);
                errors.push(Some(reason));
            } else {
                errors.push(None);
            }
            for (builder, value) in builders.iter_mut().zip(&found) {
                builder.append_option(value.as_deref());
            }
        }
        ParsedLines {
            errors,
            values: builders.into_iter().map(|b| b.finish()).collect(),
        }
    }
}

/// The line of a batch's first record that is not UTF-8, if any.
fn first_invalid_utf8_line(batch: &DataFrame) -> Result<Option<IdxSize>> {
    let errors = batch.column(LAYOUT_ERROR)?.str()?;
    let Some(at) = errors.iter().position(|error| error == Some(INVALID_UTF8)) else {
        return Ok(None);
    };
    Ok(batch.column(LINE)?.idx()?.get(at))
}

/// The lines of one batch: their bytes back to back and (start, end, line number).
#[derive(Default)]
struct LineBatch {
    bytes: Vec<u8>,
    lines: Vec<(usize, usize, u32)>,
}

impl LineBatch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.lines.clear();
    }
}

/// One task's share of a batch: a layout error or null per line, and each field's
/// text per line.
struct ParsedLines {
    errors: Vec<Option<&'static str>>,
    values: Vec<StringChunked>,
}

/// The wanted fields' pointers as a tree of object keys: parsing descends only into
/// the objects that hold a wanted field and skips everything else without building it.
#[derive(Debug, Default)]
struct PathTree {
    children: Vec<(String, PathTree)>,
    /// The field (index into the reader's fields) whose value sits here.
    field: Option<usize>,
}

impl PathTree {
    fn of(fields: &[JsonField]) -> Self {
        Self::of_pointers(fields.iter().map(|f| f.pointer))
    }

    /// The tree of JSON pointers, the `i`th pointer's value being field `i`.
    fn of_pointers<'p>(pointers: impl Iterator<Item = &'p str>) -> Self {
        let mut root = PathTree::default();
        for (index, pointer) in pointers.enumerate() {
            let mut node = &mut root;
            for key in pointer.split('/').skip(1) {
                let key = key.replace("~1", "/").replace("~0", "~");
                let position = match node.children.iter().position(|(k, _)| *k == key) {
                    Some(position) => position,
                    None => {
                        node.children.push((key, PathTree::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[position].1;
            }
            node.field = Some(index);
        }
        root
    }
}

/// Parses one JSON text, storing each wanted field's text in `found` (borrowed from
/// the line when it holds no escapes).
/// The values of the top-level keys `keys` of one JSON object, as text the way the
/// reader gives them (see the module doc), or `None` when the text is not one JSON
/// value.
pub fn json_fields(text: &str, keys: &[&str]) -> Option<Vec<Option<String>>> {
    let pointers: Vec<String> = keys
        .iter()
        .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
        .collect();
    let tree = PathTree::of_pointers(pointers.iter().map(String::as_str));
    let mut found: Vec<Option<Cow<str>>> = vec![None; keys.len()];
    extract(text, &tree, &mut found).ok()?;
    Some(found.into_iter().map(|v| v.map(Cow::into_owned)).collect())
}

fn extract<'a>(
    text: &'a str,
    tree: &PathTree,
    found: &mut [Option<Cow<'a, str>>],
) -> serde_json::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(Extract { tree, found }, &mut deserializer)?;
    deserializer.end()
}

/// Deserializes a value at a node of the [`PathTree`].
struct Extract<'t, 'f, 'de> {
    tree: &'t PathTree,
    found: &'f mut [Option<Cow<'de, str>>],
}

impl<'de> serde::de::DeserializeSeed<'de> for Extract<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if let Some(index) = self.tree.field {
            self.found[index] = deserializer.deserialize_any(Leaf)?;
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

/// A wanted field's value as text: strings as they are (an empty one is null),
/// numbers and booleans as written, objects and arrays as JSON, `null` as null.
struct Leaf;

impl<'de> serde::de::Visitor<'de> for Leaf {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then_some(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then_some(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        )))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(Cow::Owned(value.to_string())))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Some(Cow::Owned(value.to_string())))
    }
}

impl<'de> serde::de::Visitor<'de> for Extract<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(KeyOf(self.tree))? {
            match child {
                Some(node) => map.next_value_seed(Extract {
                    tree: node,
                    found: &mut *self.found,
                })?,
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Reads an object key and finds the child node it leads to, if wanted.
struct KeyOf<'t>(&'t PathTree);

impl<'de, 't> serde::de::DeserializeSeed<'de> for KeyOf<'t> {
    type Value = Option<&'t PathTree>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 't> serde::de::Visitor<'de> for KeyOf<'t> {
    type Value = Option<&'t PathTree>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .children
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, node)| node))
    }
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(batch_rows: usize) -> NdjsonReader {
        NdjsonReader {
            fields: vec![
                JsonField {
                    column: "name",
                    pointer: "/_source/name",
                },
                JsonField {
                    column: "n",
                    pointer: "/_source/n",
                },
            ],
            constant_columns: vec!["day"],
            batch_rows,
            notices: Notices::default(),
        }
    }

    /// The rows read from `contents` (each written as a daily file, in order) and
    /// the notices the reading leaves.
    fn rows_and_notices(contents: &[&[u8]]) -> Result<(u64, Vec<String>)> {
        let dir = tempfile::tempdir()?;
        let mut files = Vec::new();
        for (day, content) in contents.iter().enumerate() {
            let path = dir.path().join(format!("2022060{}.json", day + 1));
            std::fs::write(&path, content)?;
            files.push(NdjsonFile {
                path,
                constants: vec!["day".into()],
            });
        }
        let notices = Notices::default();
        let rows = NdjsonReader {
            notices: notices.clone(),
            ..reader(3)
        }
        .read(&files, |_| Ok(()))?;
        Ok((rows, notices.all()))
    }

    /// An empty file (0 bytes, or blank lines only) gives no rows and a notice naming
    /// it; the file beside it is read.
    #[test]
    fn an_empty_file_is_noted() -> Result<()> {
        let (rows, noted) =
            rows_and_notices(&[b"", b"\n\r\n", b"{\"_source\":{\"name\":\"a\"}}\n"])?;
        assert_eq!(rows, 1);
        assert_eq!(noted.len(), 2, "{noted:?}");
        assert!(
            noted[0].starts_with("20220601.json holds no JSON line"),
            "{noted:?}"
        );
        assert!(
            noted[1].starts_with("20220602.json holds no JSON line"),
            "{noted:?}"
        );
        Ok(())
    }

    /// A JSON array and pretty-printed objects are noted by name (their lines are
    /// quarantined); JSON Lines are not.
    #[test]
    fn json_that_is_not_json_lines_is_noted() -> Result<()> {
        let (_, noted) = rows_and_notices(&[
            b"[{\"_source\":{\"name\":\"a\"}},\n{\"_source\":{}}]\n",
            b"\n{\n  \"_source\": {\"name\": \"a\"}\n}\n",
            b"{\"_source\":{\"name\":\"a\"}}\n",
        ])?;
        assert_eq!(noted.len(), 2, "{noted:?}");
        assert!(
            noted[0].starts_with("20220601.json looks like one JSON array"),
            "{noted:?}"
        );
        assert!(
            noted[1].starts_with("20220602.json looks like JSON objects over several lines"),
            "{noted:?}"
        );
        Ok(())
    }

    #[test]
    fn fields_become_text_with_positions_and_layout_errors() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("20220601.json");
        let mut bytes = b"{\"_source\":{\"name\":\"a\",\"n\":12}}\n\n{\"_source\":{\"name\":\"\",\"n\":1.5}}\r\n{broken\n".to_vec();
        bytes.extend_from_slice(
            b"{\"_source\":{\"name\":\"\xff\"}}\n{\"_source\":{\"name\":null,\"n\":[1]}}",
        );
        std::fs::write(&path, bytes)?;
        let files = [NdjsonFile {
            path,
            constants: vec!["20220601".into()],
        }];
        let mut frames = Vec::new();
        let notices = Notices::default();
        let rows = NdjsonReader {
            notices: notices.clone(),
            ..reader(3)
        }
        .read(&files, |df| {
            frames.push(df);
            Ok(())
        })?;
        assert_eq!(rows, 5, "the blank line is not a row");
        // The line that is not UTF-8 is in the second batch; noted once, as a
        // delimited file's is.
        let noted = notices.all();
        assert_eq!(noted.len(), 1, "{noted:?}");
        assert!(
            noted[0].starts_with("20220601.json is not UTF-8 (first at line 5): its lines"),
            "{noted:?}"
        );
        assert_eq!(
            frames.iter().map(DataFrame::height).collect::<Vec<_>>(),
            [3, 2]
        );
        let mut all = frames[0].clone();
        all.vstack_mut(&frames[1])?;
        let texts = |c| crate::values::texts(&all, c, "<null>");
        assert_eq!(
            texts("name")?,
            ["a", "<null>", "<null>", "<null>", "<null>"]
        );
        assert_eq!(texts("n")?, ["12", "1.5", "<null>", "<null>", "[1]"]);
        assert_eq!(
            texts(LAYOUT_ERROR)?,
            [
                "<null>",
                "<null>",
                "layout|invalid_json",
                "layout|invalid_utf8",
                "<null>"
            ]
        );
        assert_eq!(texts("day")?, ["20220601"; 5]);
        assert_eq!(texts(SOURCE_FILE)?, ["20220601.json"; 5]);
        let lines: Vec<_> = all.column(LINE)?.idx()?.into_no_null_iter().collect();
        assert_eq!(lines, [1, 3, 4, 5, 6], "line numbers count the blank line");
        Ok(())
    }

    /// Issue 14, fault 4: a byte order mark and CRLF line ends give the same rows as
    /// the plain file.
    #[test]
    fn a_byte_order_mark_and_crlf_change_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let plain =
            b"{\"_source\":{\"name\":\"a\",\"n\":1}}\n{\"_source\":{\"name\":\"b\",\"n\":2}}\n";
        let mut marked = b"\xEF\xBB\xBF".to_vec();
        for byte in plain {
            if *byte == b'\n' {
                marked.push(b'\r');
            }
            marked.push(*byte);
        }
        let mut frames = Vec::new();
        for (name, bytes) in [("plain.json", plain.to_vec()), ("marked.json", marked)] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes)?;
            let files = [NdjsonFile {
                path,
                constants: vec!["20220601".into()],
            }];
            let mut all = Vec::new();
            reader(10).read(&files, |df| {
                all.push(df.drop(SOURCE_FILE)?);
                Ok(())
            })?;
            frames.push(all);
        }
        assert_eq!(frames[0], frames[1]);
        let texts = crate::values::texts(&frames[1][0], "name", "<null>")?;
        assert_eq!(texts, ["a", "b"]);
        assert_eq!(
            crate::values::texts(&frames[1][0], LAYOUT_ERROR, "<null>")?,
            ["<null>", "<null>"]
        );
        Ok(())
    }

    #[test]
    fn only_the_wanted_paths_are_read_whatever_else_the_line_holds() {
        let fields = [
            JsonField {
                column: "a",
                pointer: "/_source/a",
            },
            JsonField {
                column: "b",
                pointer: "/x~1y",
            },
        ];
        let tree = PathTree::of(&fields);
        let mut found = vec![None, None];
        let line = r#"{"_id":[1,{"k":null}],"_source":{"z":{"a":0},"a":"v\u00e9"},"x/y":true}"#;
        extract(line, &tree, &mut found).unwrap();
        assert_eq!(
            found,
            [
                Some(Cow::Owned("vé".to_string())),
                Some(Cow::Borrowed("true"))
            ]
        );
        let mut found = vec![None, None];
        extract("[1, 2]", &tree, &mut found).unwrap();
        assert_eq!(
            found,
            [None, None],
            "a line that is not an object holds no field"
        );
        assert!(extract(r#"{"_source":{"a":1}} trailing"#, &tree, &mut found).is_err());
    }

    /// The files are read a batch ahead of the consumer: batches still arrive in file
    /// and line order, a consumer's error names the file of the batch it failed on,
    /// and reading stops there instead of running through the other files.
    #[test]
    fn batches_arrive_in_order_and_a_consumer_error_stops_the_read() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let files: Vec<NdjsonFile> = (1..=3)
            .map(|day| {
                let path = dir.path().join(format!("2022060{day}.json"));
                let lines: String = (0..5)
                    .map(|i| format!("{{\"_source\":{{\"n\":{}}}}}\n", day * 10 + i))
                    .collect();
                std::fs::write(&path, lines)?;
                Ok(NdjsonFile {
                    path,
                    constants: vec![format!("2022060{day}")],
                })
            })
            .collect::<Result<_>>()?;
        let mut seen = Vec::new();
        let rows = reader(2).read(&files, |df| {
            seen.extend(crate::values::texts(&df, "n", "<null>")?);
            Ok(())
        })?;
        assert_eq!(rows, 15);
        let expected: Vec<String> = [10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 30, 31, 32, 33, 34]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(seen, expected);

        let mut consumed = 0;
        let error = reader(2)
            .read(&files, |df| {
                consumed += 1;
                match crate::values::texts(&df, "day", "")?[0].as_str() {
                    "20220602" => anyhow::bail!("the sink is full"),
                    _ => Ok(()),
                }
            })
            .unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("20220602.json"), "{message}");
        assert!(message.contains("the sink is full"), "{message}");
        assert_eq!(
            consumed, 4,
            "three batches of the first file, one of the second"
        );
        Ok(())
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let files = [NdjsonFile {
            path: "/nonexistent/20220601.json".into(),
            constants: vec![],
        }];
        let error = reader(10).read(&files, |_| Ok(())).unwrap_err();
        assert!(
            format!("{error:#}").contains("/nonexistent/20220601.json"),
            "{error:#}"
        );
    }
}

//! Validation on the engine (issue 19, item 2): the raw delimited files are read by
//! the engine's own text reader, every line as a string, and cut into the declared
//! columns in SQL; the declared schema's checks ([`crate::schema::validate_with`],
//! the very plan the local run uses) are translated by [`super::sql`], so the valid
//! rows and the quarantine, with the same `column|rule` reasons, come out of the
//! engine.
//!
//! A file goes through three steps:
//! 1. [`cut_lines_sql`], materialized by the caller (written as Parquet and read
//!    back): each line with its `monotonically_increasing_id` and its fields, cut
//!    once (the regex that cuts quoted fields is the costly part, and an engine
//!    inlines a cut column into every use of it);
//! 2. [`partition_starts_sql`] and [`order_partitions`]: the engine splits a file
//!    into partitions, and the ids count rows within each. Their order in the file
//!    is not the order of their ids (Sail numbered the second half of a file first,
//!    measured), so each partition's first line is found in the file here, by walking
//!    its lines: the partitions tile the file, each starting where the one before
//!    ends. The walk counts newlines, the rest of the work stays on the engine;
//! 3. [`raw_rows_sql`]: the raw rows, `line` being the physical line (1-based, the
//!    header and blank lines counted) and `row_nr` from it.
//!
//! As the local reader ([`crate::io::delimited`]): a byte order mark and a `\r`
//! before the newline are dropped; blank lines are skipped; RFC 4180 quoting (a field
//! wrapped in `"`, a doubled `""` inside it), a quote inside an unquoted field is
//! text unless the layout has strict quotes; empty fields are null; `layout|quoting`
//! for a line whose quotes are not well formed and `layout|column_count` for one
//! with more or fewer fields than declared.
//!
//! Where it differs, by design, each difference said in the README: the engine reads
//! lines, so a quoted field holding a line break (one record over two lines here) is
//! `layout|quoting` on each of its lines there; text must be UTF-8 (no `--encoding`;
//! Sail refuses other bytes, Spark takes them as they are); a quarantined line's raw
//! fields are the line's fields as the SQL reader cuts them.

use anyhow::{bail, Result};
use polars::prelude::{DataType, LazyFrame, Schema, IDX_DTYPE};

use super::sql::{ident, string_literal as literal};
use super::SparkTables;
use crate::io::TextLayout;
use crate::schema::{
    row_nr_value, validate_with, Rule, TableSchema, COLUMN_COUNT, LAYOUT_ERROR, LINE,
    MALFORMED_QUOTES, ROW_NR, SOURCE_FILE,
};

/// The columns of a raw table as the readers give them to validation: `source_file`,
/// `line` (UInt32), the declared columns as text, `__layout_error`, `row_nr`
/// (UInt64); the order of [`crate::io::delimited::scan_one`].
pub fn raw_schema(schema: &TableSchema) -> Schema {
    let mut raw = Schema::default();
    raw.with_column(SOURCE_FILE.into(), DataType::String);
    raw.with_column(LINE.into(), IDX_DTYPE);
    for name in schema.column_names() {
        raw.with_column(name.into(), DataType::String);
    }
    raw.with_column(LAYOUT_ERROR.into(), DataType::String);
    raw.with_column(ROW_NR.into(), DataType::UInt64);
    raw
}

/// The two halves of a table's validation as Spark SQL over the raw rows in the view
/// `raw_view` (of [`raw_schema`]): the valid rows' query and the quarantine's, the
/// same plans as the local run's ([`validate_with`] with `lookups`).
///
/// # Errors
/// When a check has no translation (the message names the table and the check), or
/// the schema reads some column's invalid values as null: their counts, which the
/// run must report, are computed by the local validation only.
pub fn validation_sql(
    schema: &TableSchema,
    raw_view: &str,
    lookups: &[Rule],
) -> Result<(String, String)> {
    if let Some(column) = schema.columns.iter().find(|c| c.null_when_invalid) {
        bail!(
            "`{}`: column {} reads invalid values as null, and their count is only kept \
             by the local validation: validate this table here",
            schema.name,
            column.name
        );
    }
    let mut tables = SparkTables::new();
    let raw: LazyFrame = tables.table(raw_view, raw_schema(schema));
    let halves = validate_with(raw, schema, lookups);
    let valid = tables.to_sql(&format!("{} valid rows", schema.name), halves.valid)?;
    let quarantine = tables.to_sql(&format!("{} quarantine", schema.name), halves.quarantine)?;
    Ok((valid, quarantine))
}

/// Step 1 for the text file in the view `text` (the engine's text reader: one row
/// per line, the column `value`): each line's `id` (`monotonically_increasing_id`:
/// the partition in the high bits, the row within it in the low 33), its `value`
/// (a `\r` before the newline dropped), `f`, its fields as cut (still quoted), and
/// `well_quoted`. The caller materializes it: ids are only stable within one
/// evaluation.
///
/// # Errors
/// When the layout names an encoding (the engine reads UTF-8 only), or its separator
/// is a line break or a quote.
pub fn cut_lines_sql(text: &str, layout: TextLayout) -> Result<String> {
    if let Some(encoding) = layout.encoding {
        bail!(
            "the engine reads UTF-8 text only, not {}: validate here, or convert the \
             file to UTF-8",
            encoding.name()
        );
    }
    let separator = char::from(layout.separator);
    if matches!(separator, '\n' | '\r' | '"') {
        bail!("the separator {separator:?} cannot be read on the engine");
    }
    let s = regex_class_char(separator);
    let unquoted = match layout.strict_quotes {
        true => format!("[^{s}\"]*"),
        false => format!("(?:[^{s}\"][^{s}]*)?"),
    };
    // A quoted field, a doubled quote inside, written without nested repetition so
    // that Java's backtracking engine does not recurse per character.
    let field = format!("(?:\"[^\"]*(?:\"\"[^\"]*)*\"|{unquoted})");
    // Each field followed by a separator, on the line with one more at its end: no
    // match is ever empty, which the engines would step over differently.
    let record = format!("\\A(?:{field}[{s}])*\\z");
    let each_field = format!("({field})[{s}]");
    // A leading byte order mark is dropped on every line here (the local reader drops
    // it on the first only): which line is first is known after step 2.
    let line = format!(
        "regexp_replace(regexp_replace(value, {}, ''), {}, '')",
        literal("\\r\\z"),
        literal("\\A\\x{FEFF}")
    );
    let sep = literal(&separator.to_string());
    // Lines without a quote are split on the separator, much faster than the regex.
    Ok(format!(
        "SELECT id, value, CASE WHEN contains(value, '\"') THEN concat(value, {sep}) RLIKE \
         {record} ELSE TRUE END AS well_quoted, CASE WHEN contains(value, '\"') THEN \
         regexp_extract_all(concat(value, {sep}), {each_field}, 1) ELSE split(value, {split}, \
         -1) END AS f FROM (SELECT {line} AS value, monotonically_increasing_id() AS id FROM \
         {text})",
        record = literal(&record),
        each_field = literal(&each_field),
        split = literal(&format!("[{s}]")),
        text = ident(text),
    ))
}

/// Step 2, on the engine: each partition of the cut lines in the view `cut`
/// ([`cut_lines_sql`], materialized) with its first row's `id` (`first_id`), its row
/// count `n` and its first line (`value`).
pub fn partition_starts_sql(cut: &str) -> String {
    let cut = ident(cut);
    format!(
        "SELECT p.first_id, p.n, c.value FROM (SELECT min(id) AS first_id, count(*) AS n FROM \
         {cut} GROUP BY shiftright(id, 33)) AS p JOIN {cut} AS c ON c.id = p.first_id"
    )
}

/// One partition of a file's lines on the engine: its first row's id, its row count
/// and its first line, as [`partition_starts_sql`] gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionStart {
    pub first_id: i64,
    pub rows: u64,
    pub first_line: String,
}

/// The partitions of [`partition_starts_sql`]'s result.
///
/// # Errors
/// When a column is missing or of another type.
pub fn partition_starts(frame: &polars::prelude::DataFrame) -> Result<Vec<PartitionStart>> {
    let first_ids = frame.column("first_id")?.cast(&DataType::Int64)?;
    let rows = frame.column("n")?.cast(&DataType::UInt64)?;
    let lines = frame.column("value")?.str()?.clone();
    let (first_ids, rows) = (first_ids.i64()?, rows.u64()?);
    (0..frame.height())
        .map(|i| {
            Ok(PartitionStart {
                first_id: first_ids
                    .get(i)
                    .ok_or_else(|| anyhow::anyhow!("a null first id"))?,
                rows: rows.get(i).unwrap_or(0),
                first_line: lines.get(i).unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// Step 2, here: the physical line before each partition's first line (`first_id`,
/// lines before it), found by walking `file`'s lines: the first partition is the one
/// whose first line is the file's first, the next starts where it ends, and so on.
/// Of partitions starting with equal lines the one with the lower id is taken.
///
/// # Errors
/// When `file` cannot be read, or the partitions do not tile it (a partition's first
/// line is not where the one before ends, or the file ends first): the engine read
/// another file, or read it otherwise.
pub fn order_partitions(
    file: &std::path::Path,
    partitions: &[PartitionStart],
) -> Result<Vec<(i64, u64)>> {
    use std::io::BufRead;
    let mut remaining: Vec<&PartitionStart> = partitions.iter().collect();
    remaining.sort_by_key(|p| p.first_id);
    let mut reader = std::io::BufReader::new(
        std::fs::File::open(file)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?,
    );
    let (mut offsets, mut line, mut next_start) = (Vec::new(), 0u64, 0u64);
    let mut bytes = Vec::new();
    while !remaining.is_empty() {
        bytes.clear();
        let read = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        if read == 0 {
            bail!(
                "{}: the engine's partitions hold more lines than the file ({line})",
                file.display()
            );
        }
        if line == next_start {
            let mut text: &[u8] = &bytes;
            text = text.strip_suffix(b"\n").unwrap_or(text);
            text = text.strip_suffix(b"\r").unwrap_or(text);
            text = text
                .strip_prefix(crate::fast::chunked::BYTE_ORDER_MARK)
                .unwrap_or(text);
            let Some(at) = remaining
                .iter()
                .position(|p| p.first_line.as_bytes() == text)
            else {
                bail!(
                    "{}: no partition of the engine's lines starts at line {} (the engine \
                     read the file otherwise)",
                    file.display(),
                    line + 1
                );
            };
            let partition = remaining.remove(at);
            offsets.push((partition.first_id, line));
            next_start = line + partition.rows;
        }
        line += 1;
    }
    Ok(offsets)
}

/// Step 3: the raw rows of one delimited text file over its cut lines in the view
/// `cut`, numbered with `offsets` ([`order_partitions`]): the columns of
/// [`raw_schema`], `source_file` being `file_name` and `row_nr` counting from the
/// file's position `file_index` among the table's files.
///
/// # Errors
/// When `offsets` is empty (a file without lines).
pub fn raw_rows_sql(
    cut: &str,
    offsets: &[(i64, u64)],
    file_name: &str,
    file_index: usize,
    columns: &[&str],
    layout: TextLayout,
) -> Result<String> {
    if offsets.is_empty() {
        bail!("{file_name} has no lines on the engine");
    }
    let skipped = layout.preamble_lines + u64::from(layout.has_header);
    let first_row_nr = row_nr_value(file_index, 0);
    // Each row's line: its position in its partition, after the lines before it.
    let branches: Vec<String> = offsets
        .iter()
        .map(|(first_id, before)| {
            format!(
                "WHEN {} THEN id - {first_id} + {}",
                first_id >> 33,
                before + 1
            )
        })
        .collect();
    let value = |i: usize| {
        format!(
            "nullif(CASE WHEN startswith(get(f, {i}), '\"') THEN replace(substring(get(f, {i}), \
             2, char_length(get(f, {i})) - 2), '\"\"', '\"') ELSE get(f, {i}) END, '') AS {}",
            ident(columns[i])
        )
    };
    let values: Vec<String> = (0..columns.len()).map(value).collect();
    Ok(format!(
        "SELECT {file} AS {source_file}, CAST(line AS INT) AS {line}, {values}, CASE WHEN NOT \
         well_quoted THEN {quoting} WHEN size(f) <> {n} THEN {count} END AS {layout_error}, \
         CAST({first_row_nr} + line AS BIGINT) AS {row_nr} FROM (SELECT CASE shiftright(id, \
         33) {branches} END AS line, value, well_quoted, f FROM {cut}) AS numbered WHERE line \
         > {skipped} AND value <> ''",
        branches = branches.join(" "),
        cut = ident(cut),
        file = literal(file_name),
        source_file = ident(SOURCE_FILE),
        line = ident(LINE),
        values = values.join(", "),
        quoting = literal(MALFORMED_QUOTES),
        n = columns.len(),
        count = literal(COLUMN_COUNT),
        layout_error = ident(LAYOUT_ERROR),
        row_nr = ident(ROW_NR),
    ))
}

/// The rows of every file of a table, in file order: the [`raw_rows_sql`] of each
/// file, as one relation.
pub fn union_sql(parts: &[String]) -> String {
    parts
        .iter()
        .map(|part| format!("SELECT * FROM ({part})"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// A character inside a regex class, escaped when the class would read it otherwise.
fn regex_class_char(c: char) -> String {
    match c {
        '\\' | ']' | '[' | '^' | '-' | '&' => format!("\\{c}"),
        '\t' => "\\t".into(),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(first_id: i64, rows: u64, first_line: &str) -> PartitionStart {
        PartitionStart {
            first_id,
            rows,
            first_line: first_line.into(),
        }
    }

    /// The partitions are placed by where their first lines stand in the file, not
    /// by their ids: Sail numbered a file's second half first.
    #[test]
    fn partitions_are_ordered_by_the_file_not_by_their_ids() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("v.csv");
        // A BOM, `\r\n`, a blank line, and a duplicate of a partition's first line
        // before that partition starts.
        std::fs::write(&file, "\u{feff}h\r\nb\r\na\r\n\r\nb\r\nc\nd\n")?;
        let part = |p: i64| p << 33;
        let partitions = [
            start(part(0), 2, "b"),
            start(part(1), 4, "h"),
            start(part(2), 1, "d"),
        ];
        assert_eq!(
            order_partitions(&file, &partitions)?,
            [(part(1), 0), (part(0), 4), (part(2), 6)]
        );
        // Partitions that do not tile the file are an error, never a guess.
        let gap = [start(part(0), 2, "h"), start(part(1), 3, "b")];
        let error = order_partitions(&file, &gap).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("no partition of the engine's lines starts at line 3")),
            "{error:?}"
        );
        let too_long = [start(part(0), 9, "h"), start(part(1), 1, "x")];
        let error = order_partitions(&file, &too_long)
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("more lines than the file")),
            "{error:?}"
        );
        Ok(())
    }

    /// Each row's line is its place in its partition after the lines before it; the
    /// header and blank lines are counted and left out.
    #[test]
    fn raw_rows_number_lines_from_the_ordered_partitions() -> Result<()> {
        let sql = raw_rows_sql(
            "cut_0",
            &[(1 << 33, 0), (0, 4)],
            "v.csv",
            1,
            &["a", "b"],
            TextLayout::CSV_WITH_HEADER,
        )?;
        assert!(
            sql.contains("CASE shiftright(id, 33) WHEN 1 THEN id - 8589934592 + 1 WHEN 0 THEN id - 0 + 5 END"),
            "{sql}"
        );
        assert!(sql.contains("WHERE line > 1 AND value <> ''"), "{sql}");
        assert!(sql.contains("CAST(4294967296 + line AS BIGINT)"), "{sql}");
        assert!(raw_rows_sql(
            "cut_0",
            &[],
            "v.csv",
            0,
            &["a"],
            TextLayout::CSV_WITH_HEADER
        )
        .is_err());
        Ok(())
    }
}

//! Validation on the engine (issue 19, item 2): the raw delimited files are read by
//! the engine's own text reader, every line as a string, and cut into the declared
//! columns in SQL; the declared schema's checks ([`crate::schema::validate_with`],
//! the very plan the local run uses) are translated by [`super::sql`], so the valid
//! rows and the quarantine, with the same `column|rule` reasons, come out of the
//! engine.
//!
//! What the SQL reader does, as the local reader ([`crate::io::delimited`]) does:
//! `line` is the physical line (1-based, the header and blank lines counted), worked
//! out from each line's `monotonically_increasing_id` (its partition in the high
//! bits, its row in the low 33, partitions in file order) and each partition's row
//! count, so a file split over many partitions is numbered without a global sort.
//! The ids are computed once and materialized ([`numbered_lines_sql`]): an engine may
//! split a file differently each time it reads it (Sail does, measured), and ids
//! from two reads would not agree. A byte order mark and a `\r`
//! before the newline are dropped; blank lines are skipped; RFC 4180 quoting (a
//! field wrapped in `"`, a doubled `""` inside it), a quote inside an unquoted field
//! is text unless the layout has strict quotes; empty fields are null;
//! `layout|quoting` for a line whose quotes are not well formed and
//! `layout|column_count` for one with more or fewer fields than declared.
//!
//! Where it differs, by design, each difference said in the README: the engine reads
//! lines, so a quoted field holding a line break (one record over two lines here) is
//! `layout|quoting` on each of its lines there; text must be UTF-8 (no `--encoding`,
//! and no `layout|invalid_utf8`: the engine's reader takes the bytes as they are); a
//! quarantined line's raw fields are the line's fields as the SQL reader cuts them.

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
/// When a check has no translation (the message names the table and the check).
pub fn validation_sql(
    schema: &TableSchema,
    raw_view: &str,
    lookups: &[Rule],
) -> Result<(String, String)> {
    let mut tables = SparkTables::new();
    let raw: LazyFrame = tables.table(raw_view, raw_schema(schema));
    let halves = validate_with(raw, schema, lookups);
    let valid = tables.to_sql(&format!("{} valid rows", schema.name), halves.valid)?;
    let quarantine = tables.to_sql(&format!("{} quarantine", schema.name), halves.quarantine)?;
    Ok((valid, quarantine))
}

/// The lines of the text file in the view `lines` (the engine's text reader: one row
/// per line, the column `value`), each with `id`, its `monotonically_increasing_id`:
/// the partition in the high bits, the row within it in the low 33, in file order
/// (Spark and Sail alike). The caller materializes it (writes it and reads it back)
/// before [`text_file_sql`] reads it twice: the ids are only stable within one
/// evaluation, and an engine may split the file differently in another (Sail does).
pub fn numbered_lines_sql(lines: &str) -> String {
    format!(
        "SELECT value, monotonically_increasing_id() AS id FROM {}",
        ident(lines)
    )
}

/// The raw rows of one delimited text file as Spark SQL over the view `lines`, its
/// lines numbered once ([`numbered_lines_sql`], materialized): the columns of
/// [`raw_schema`], `source_file` being `file_name` and `row_nr` counting from the
/// file's position `file_index` among the table's files.
///
/// # Errors
/// When the layout names an encoding (the engine reads UTF-8 only), its separator is
/// a line break or a quote, or `lines` is not a plain name (letters, digits, `_`:
/// it also prefixes the query's own names).
pub fn text_file_sql(
    lines: &str,
    file_name: &str,
    file_index: usize,
    columns: &[&str],
    layout: TextLayout,
) -> Result<String> {
    if let Some(encoding) = layout.encoding {
        bail!(
            "{file_name}: the engine reads UTF-8 text only, not {}: validate here, or \
             convert the file to UTF-8",
            encoding.name()
        );
    }
    if lines.is_empty() || !lines.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("the view `{lines}` must be named with letters, digits and `_`");
    }
    let separator = char::from(layout.separator);
    if matches!(separator, '\n' | '\r' | '"') {
        bail!("{file_name}: the separator {separator:?} cannot be read on the engine");
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
    let skipped = layout.preamble_lines + u64::from(layout.has_header);
    let first_row_nr = row_nr_value(file_index, 0);
    let value = |i: usize| {
        format!(
            "nullif(CASE WHEN startswith(get(f, {i}), '\"') THEN replace(substring(get(f, {i}), \
             2, char_length(get(f, {i})) - 2), '\"\"', '\"') ELSE get(f, {i}) END, '') AS {}",
            ident(columns[i])
        )
    };
    let values: Vec<String> = (0..columns.len()).map(value).collect();
    Ok(format!(
        "WITH {p}_numbered AS (SELECT value, id, shiftright(id, 33) AS part FROM {lines}), \
         {p}_parts AS (SELECT part, min(id) AS first_id, count(*) AS n FROM {p}_numbered GROUP BY part), \
         {p}_offsets AS (SELECT part, first_id, coalesce(sum(n) OVER (ORDER BY first_id ROWS \
         BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM {p}_parts), \
         {p}_physical AS (SELECT {p}_numbered.id - {p}_offsets.first_id + {p}_offsets.before + 1 AS line, \
         regexp_replace(value, {line_end}, '') AS text FROM {p}_numbered JOIN {p}_offsets ON \
         {p}_numbered.part = {p}_offsets.part), \
         {p}_records AS (SELECT line, CASE WHEN line = 1 THEN regexp_replace(text, {bom}, '') ELSE \
         text END AS text FROM {p}_physical WHERE line > {skipped}), \
         {p}_cut AS (SELECT line, concat(text, {sep}) RLIKE {record} AS well_quoted, \
         regexp_extract_all(concat(text, {sep}), {each_field}, 1) AS f FROM {p}_records WHERE \
         text <> '') \
         SELECT {file} AS {source_file}, CAST(line AS INT) AS {line}, {values}, CASE WHEN NOT \
         well_quoted THEN {quoting} WHEN size(f) <> {n} THEN {count} END AS {layout_error}, \
         CAST({first_row_nr} + line AS BIGINT) AS {row_nr} FROM {p}_cut",
        p = lines,
        line_end = literal("\\r\\z"),
        bom = literal("\\A\\x{FEFF}"),
        sep = literal(&separator.to_string()),
        record = literal(&record),
        each_field = literal(&each_field),
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

/// The rows of every file of a table, in file order: the [`text_file_sql`] of each
/// `(lines view, file name)`, as one relation.
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

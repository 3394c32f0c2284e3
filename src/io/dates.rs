//! Deciding, per file, the order of day and month of a multi-layout timestamp column
//! (issue 14: a UK export's `05/12/2010` is 5 December, a US export's is May 12).
//!
//! Before a table is validated, each file's values of every column declared with
//! [`Column::day_month`] are read once: a value that parses month-first only
//! (`12/13/2010`) or day-first only (`13/12/2010`) decides its file. A file whose
//! values contradict each other stops the run with an error naming the file and a
//! line of each kind; a file where nothing decides (every `dd/mm` value ≤ 12 on both
//! sides) is read in the declared default order, with a notice. `--date-order`
//! decides for every file without looking.

use anyhow::{bail, Result};
use polars::prelude::{col, lit, DataFrame, Expr, IdxSize, LazyFrame, SortMultipleOptions, NULL};

use super::reading::Reading;
use super::sink::collect_streaming;
use crate::schema::{
    parse_datetime, Column, ColumnType, DateOrder, TableSchema, LINE, SOURCE_FILE,
};

/// `schema` with every multi-layout timestamp column's order decided per file of
/// `raw` (the raw text columns with `source_file` and `line`).
///
/// # Errors
/// When a file holds values that only one order can read and others that only the
/// other order can (the message names the file, the column and a line of each), or
/// when the raw rows cannot be read.
pub fn resolve_day_month(
    raw: &LazyFrame,
    schema: &TableSchema,
    reading: &Reading,
) -> Result<TableSchema> {
    let mut resolved = schema.clone();
    for column in resolved.columns.iter_mut() {
        let (Some(order), ColumnType::Datetime(formats)) = (&mut column.day_month, column.ty)
        else {
            continue;
        };
        if let Some(forced) = reading.date_order {
            order.default = forced;
            order.other_order_files.clear();
            continue;
        }
        let evidence = file_evidence(raw.clone(), column.name, formats)?;
        for file in evidence {
            match (&file.month_first, &file.day_first) {
                (Some(mdy), Some(dmy)) => bail!(
                    "{}: column {} mixes month-first and day-first dates: line {} (`{}`) \
                     reads only month-first, line {} (`{}`) only day-first. Consider \
                     correcting the file, or --date-order mdy|dmy to read every file \
                     one way (the other values are then quarantined)",
                    file.name,
                    column.name,
                    mdy.0,
                    mdy.1,
                    dmy.0,
                    dmy.1
                ),
                (Some(_), None) if order.default == DateOrder::Dmy => {
                    order.other_order_files.push(file.name)
                }
                (None, Some(_)) if order.default == DateOrder::Mdy => {
                    order.other_order_files.push(file.name)
                }
                (None, None) if file.ambiguous > 0 => reading.notices.push(format!(
                    "{}: nothing in column {} tells day-first from month-first dates \
                     ({} values such as `{}` read both ways); read {} as the \
                     specification says. Consider --date-order {} if the file is \
                     the other way",
                    file.name,
                    column.name,
                    file.ambiguous,
                    file.ambiguous_example.as_deref().unwrap_or(""),
                    order.default.name(),
                    order.other().name()
                )),
                _ => {}
            }
        }
    }
    Ok(resolved)
}

/// What one file's values say about their order.
struct FileEvidence {
    name: String,
    /// The first line (and its value) that only month-first reads.
    month_first: Option<(IdxSize, String)>,
    /// The first line (and its value) that only day-first reads.
    day_first: Option<(IdxSize, String)>,
    /// Values that read both ways, to different timestamps.
    ambiguous: u64,
    ambiguous_example: Option<String>,
}

const MONTH_FIRST: &str = "__month_first";
const DAY_FIRST: &str = "__day_first";
const AMBIGUOUS: &str = "__ambiguous";
const VALUE: &str = "__value";

/// Per file: the first value only month-first reads, the first only day-first
/// reads, and how many read both ways differently. One streaming pass.
fn file_evidence(raw: LazyFrame, name: &str, formats: &[&str]) -> Result<Vec<FileEvidence>> {
    let text = col(name).str().strip_chars(lit(NULL));
    let mdy = parse_datetime(text.clone(), formats, DateOrder::Mdy);
    let dmy = parse_datetime(text.clone(), formats, DateOrder::Dmy);
    let month_first = mdy.clone().is_not_null().and(dmy.clone().is_null());
    let day_first = dmy.clone().is_not_null().and(mdy.clone().is_null());
    let ambiguous = mdy.clone().neq(dmy.clone()).fill_null(lit(false));
    let first = |flag: &str, what: Expr, alias: &str| {
        what.filter(col(flag))
            .sort_by(
                [col(LINE).filter(col(flag))],
                SortMultipleOptions::default(),
            )
            .first()
            .alias(alias)
    };
    let evidence = raw
        .select([
            col(SOURCE_FILE),
            col(LINE),
            text.alias(VALUE),
            month_first.alias(MONTH_FIRST),
            day_first.alias(DAY_FIRST),
            ambiguous.alias(AMBIGUOUS),
        ])
        .filter(col(MONTH_FIRST).or(col(DAY_FIRST)).or(col(AMBIGUOUS)))
        .group_by([col(SOURCE_FILE)])
        .agg([
            first(MONTH_FIRST, col(LINE), "mdy_line"),
            first(MONTH_FIRST, col(VALUE), "mdy_value"),
            first(DAY_FIRST, col(LINE), "dmy_line"),
            first(DAY_FIRST, col(VALUE), "dmy_value"),
            col(AMBIGUOUS)
                .sum()
                .cast(polars::prelude::DataType::UInt64)
                .alias("ambiguous"),
            first(AMBIGUOUS, col(VALUE), "ambiguous_value"),
        ])
        .sort([SOURCE_FILE], Default::default());
    let frame = collect_streaming(evidence, &format!("the day/month order of {name}"))?;
    evidence_rows(&frame)
}

fn evidence_rows(frame: &DataFrame) -> Result<Vec<FileEvidence>> {
    let files = frame.column(SOURCE_FILE)?.str()?;
    let mdy_line = frame.column("mdy_line")?.idx()?;
    let mdy_value = frame.column("mdy_value")?.str()?;
    let dmy_line = frame.column("dmy_line")?.idx()?;
    let dmy_value = frame.column("dmy_value")?.str()?;
    let ambiguous = frame.column("ambiguous")?.u64()?;
    let ambiguous_value = frame.column("ambiguous_value")?.str()?;
    let example = |line: Option<IdxSize>, value: Option<&str>| {
        line.map(|line| (line, value.unwrap_or_default().to_string()))
    };
    Ok((0..frame.height())
        .map(|row| FileEvidence {
            name: files.get(row).unwrap_or_default().to_string(),
            month_first: example(mdy_line.get(row), mdy_value.get(row)),
            day_first: example(dmy_line.get(row), dmy_value.get(row)),
            ambiguous: ambiguous.get(row).unwrap_or(0),
            ambiguous_example: ambiguous_value.get(row).map(str::to_string),
        })
        .collect())
}

/// Whether a schema has a column whose day/month order is decided per file.
pub fn has_day_month(schema: &TableSchema) -> bool {
    schema
        .columns
        .iter()
        .any(|c: &Column| c.day_month.is_some())
}

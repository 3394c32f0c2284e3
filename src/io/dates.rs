//! Deciding, per file, the order of day and month of a multi-layout timestamp column
//! (issue 14: a UK export's `05/12/2010` is 5 December, a US export's is May 12).
//!
//! Before a table is validated, [`resolve_day_month`] looks at each file's values of
//! every column declared with [`crate::schema::Column::day_month`]: the first value
//! that parses month-first only (`12/13/2010`) or day-first only (`13/12/2010`)
//! decides its file.
//! The queries stop at the first such value, so a file usually costs a few chunks,
//! not a pass; a file without day/month dates at all (ISO only), or where no value
//! decides, is read to its end once. Where nothing decides, the declared default
//! order is used, with a notice. `--date-order` decides for every file without
//! looking.
//!
//! A file whose values contradict each other is found after validation, from the
//! quarantine ([`check_day_month`]): a value the decided order cannot read but the
//! other can is there under `<col>|dtype`, and stops the run with an error naming
//! the file and a line of each kind.

use anyhow::{bail, Result};
use polars::prelude::{col, lit, DataFrame, Expr, IdxSize, LazyFrame, NULL};

use super::reading::Reading;
use super::sink::collect_streaming;
use crate::fast::chunked::Narrowing;
use crate::schema::{
    parse_datetime, ColumnType, DateOrder, DayMonthOrder, TableSchema, LINE, REASON, SOURCE_FILE,
};

const VALUE: &str = "__value";

/// `schema` with every multi-layout timestamp column's order decided per file:
/// `parts` are the table's raw frames, one per file (see
/// [`super::RawTable::scan_parts`]; [`super::RawTable::scan_parts_narrowed`] by the
/// [`day_month_narrowing`] gives frames of only the columns and lines read here).
///
/// # Errors
/// When a file cannot be read (Polars error, naming the column).
pub fn resolve_day_month(
    parts: &[LazyFrame],
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
        for part in parts {
            decide_file(part, column.name, formats, order, reading)?;
        }
    }
    Ok(resolved)
}

/// What [`resolve_day_month`]'s queries read of `schema`'s raw files: the columns
/// whose day/month order it decides, on the lines holding a character that follows
/// `%m` in one of their formats that swap with the order (see [`could_depend`]; every
/// line when some such format has none, or it is not ASCII).
pub fn day_month_narrowing(schema: &TableSchema) -> Narrowing {
    let mut narrowing = Narrowing::default();
    let mut every_line = false;
    for column in &schema.columns {
        let (Some(_), ColumnType::Datetime(formats)) = (&column.day_month, column.ty) else {
            continue;
        };
        narrowing.kept.push(column.name.to_string());
        match separators(formats) {
            Some(separators) if separators.iter().all(char::is_ascii) => narrowing
                .lines_holding
                .extend(separators.iter().map(|&c| c as u8)),
            _ => every_line = true,
        }
    }
    if every_line {
        narrowing.lines_holding.clear();
    }
    narrowing.lines_holding.sort_unstable();
    narrowing.lines_holding.dedup();
    narrowing
}

/// The first row of `part` where `condition` holds (over `__value`, the trimmed text
/// of column `name`): its file, line and value, and whether `flag` holds there. The
/// streaming engine stops reading at that row.
fn first_where(
    part: &LazyFrame,
    name: &str,
    prefilter: Expr,
    condition: Expr,
    flag: Expr,
) -> Result<Option<(String, IdxSize, String, bool)>> {
    let text = col(name).str().strip_chars(lit(NULL));
    // The cheap prefilter runs first; the dates are parsed on the rows it keeps.
    let first = part
        .clone()
        .select([col(SOURCE_FILE), col(LINE), text.alias(VALUE)])
        .filter(prefilter)
        .with_column(condition.alias(CONDITION))
        .filter(col(CONDITION))
        .limit(1)
        .with_column(flag.alias(FLAG));
    let frame = collect_streaming(first, &format!("the day/month order of {name}"))?;
    let Some((file, line, value)) = example(&frame, 0)? else {
        return Ok(None);
    };
    let flag = frame.column(FLAG)?.bool()?.get(0).unwrap_or(false);
    Ok(Some((file, line, value, flag)))
}

const FLAG: &str = "__flag";
const CONDITION: &str = "__condition";

/// A cheap test that keeps every value whose reading could depend on the order: one
/// holding the character that follows `%m` or `%d` in a format that puts them next to
/// each other (the `/` of `%m/%d/%Y`); every value when some such format has none.
fn could_depend(formats: &[&str]) -> Expr {
    match separators(formats) {
        Some(separators) if !separators.is_empty() => separators
            .into_iter()
            .map(|c| col(VALUE).str().contains_literal(lit(c.to_string())))
            .reduce(|any, next| any.or(next))
            .unwrap_or(lit(false))
            .fill_null(lit(false)),
        Some(_) => lit(false),
        None => lit(true),
    }
}

/// The characters that follow `%m` in the formats that put `%m` and `%d` next to
/// each other (none when no format does); `None` when some such format has none.
fn separators(formats: &[&str]) -> Option<Vec<char>> {
    formats
        .iter()
        .copied()
        .filter(|f| DateOrder::Dmy.format(f) != *f)
        .map(|f| {
            let after = f.find("%m").map(|at| &f[at + 2..])?;
            after.chars().next().filter(|c| *c != '%')
        })
        .collect()
}

/// File, line and value of row `row` of a frame of `source_file`, `line` and
/// `__value`.
fn example(frame: &DataFrame, row: usize) -> Result<Option<(String, IdxSize, String)>> {
    if row >= frame.height() {
        return Ok(None);
    }
    let file = frame
        .column(SOURCE_FILE)?
        .str()?
        .get(row)
        .unwrap_or_default();
    let line = frame.column(LINE)?.idx()?.get(row).unwrap_or_default();
    let value = frame.column(VALUE)?.str()?.get(row).unwrap_or_default();
    Ok(Some((file.to_string(), line, value.to_string())))
}

/// Decides one file's order into `order`, with a notice when nothing decides.
fn decide_file(
    part: &LazyFrame,
    name: &str,
    formats: &[&str],
    order: &mut DayMonthOrder,
    reading: &Reading,
) -> Result<()> {
    let text = col(VALUE);
    let mdy = parse_datetime(text.clone(), formats, DateOrder::Mdy);
    let dmy = parse_datetime(text, formats, DateOrder::Dmy);
    // A value whose reading depends on the order: it parses one way only, or both
    // ways to different timestamps.
    let depends = mdy.clone().neq_missing(dmy.clone());
    let prefilter = could_depend(formats);
    let Some(first) = first_where(part, name, prefilter.clone(), depends, lit(true))? else {
        return Ok(());
    };
    let month_first = mdy.clone().is_not_null().and(dmy.clone().is_null());
    let day_first = dmy.is_not_null().and(mdy.is_null());
    let decisive = month_first.clone().or(day_first);
    match first_where(part, name, prefilter, decisive, month_first)? {
        Some((file, line, value, month_first)) => {
            let decided = if month_first {
                DateOrder::Mdy
            } else {
                DateOrder::Dmy
            };
            if decided != order.default {
                order.other_order_files.push(file.clone());
            }
            order.decided_by.push((file, line as u64, value, decided));
        }
        None => reading.notices.push(format!(
            "{}: nothing in column {name} tells day-first from month-first dates \
             (values such as `{}` read both ways); read {} as the specification \
             says. Consider --date-order {} if the file is the other way",
            first.0,
            first.2,
            order.default.name(),
            order.other().name()
        )),
    }
    Ok(())
}

/// Checks, after validation, that no file holds dates its decided order cannot read
/// but the other can: `quarantine` is the table's quarantine (raw text columns and
/// `reason`), `schema` as [`resolve_day_month`] returned it.
///
/// # Errors
/// When a file mixes day-first and month-first dates: the message names the file,
/// the column, the line that decided the file's order and a line that contradicts
/// it; or when the quarantine cannot be read.
pub fn check_day_month(quarantine: LazyFrame, schema: &TableSchema) -> Result<()> {
    for column in &schema.columns {
        let (Some(order), ColumnType::Datetime(formats)) = (&column.day_month, column.ty) else {
            continue;
        };
        for (file, line, value, decided) in &order.decided_by {
            let other = match decided {
                DateOrder::Dmy => DateOrder::Mdy,
                DateOrder::Mdy => DateOrder::Dmy,
            };
            let text = col(column.name).str().strip_chars(lit(NULL));
            let contradicting = quarantine
                .clone()
                .filter(
                    col(SOURCE_FILE)
                        .eq(lit(file.as_str()))
                        .and(col(REASON).eq(lit(format!("{}|dtype", column.name))))
                        .and(parse_datetime(text.clone(), formats, other).is_not_null()),
                )
                .select([col(SOURCE_FILE), col(LINE), text.alias(VALUE)])
                .sort([LINE], Default::default())
                .limit(1);
            let frame = collect_streaming(contradicting, "the quarantined dates")?;
            if let Some((_, other_line, other_value)) = example(&frame, 0)? {
                let first = |order: DateOrder| match order {
                    DateOrder::Mdy => "month-first",
                    DateOrder::Dmy => "day-first",
                };
                bail!(
                    "{file}: column {} mixes month-first and day-first dates: line {line} \
                     (`{value}`) reads only {}, line {other_line} (`{other_value}`) only {}. \
                     Consider correcting the file, or --date-order mdy|dmy to read every \
                     file one way (the other values are then quarantined)",
                    column.name,
                    first(*decided),
                    first(other),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{df, IntoLazy};

    #[test]
    fn only_values_with_the_day_month_separator_could_depend_on_the_order(
    ) -> polars::prelude::PolarsResult<()> {
        let values = df!(VALUE => [Some("2010-12-01 08:26:00"), Some("1/12/2010 8:26"), None])?;
        let kept = |formats: &[&str]| -> polars::prelude::PolarsResult<usize> {
            Ok(values
                .clone()
                .lazy()
                .filter(could_depend(formats))
                .collect()?
                .height())
        };
        assert_eq!(kept(&["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"])?, 1);
        assert_eq!(kept(&["%Y-%m-%d %H:%M:%S"])?, 0, "year-first never depends");
        assert_eq!(
            kept(&["%m%d%Y"])?,
            3,
            "no separator: every value is looked at"
        );
        Ok(())
    }

    /// The decision reads its columns only, on the lines holding a separator that
    /// follows `%m` in one of their formats; on every line when a format has none.
    #[test]
    fn the_decision_reads_its_columns_on_lines_with_their_separators() {
        use crate::schema::Column;
        let table = |formats: [&'static [&'static str]; 2]| {
            TableSchema::new(
                "t",
                vec![
                    Column::new("id", ColumnType::Text),
                    Column::new("a", ColumnType::Datetime(formats[0])).day_month(DateOrder::Mdy),
                    Column::new("b", ColumnType::Datetime(formats[1])).day_month(DateOrder::Dmy),
                    Column::new("c", ColumnType::Datetime(formats[1])),
                ],
            )
        };
        let narrowing = day_month_narrowing(&table([
            &["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"],
            &["%m.%d.%Y", "%m/%d/%Y"],
        ]));
        assert_eq!(narrowing.kept, ["a", "b"]);
        assert_eq!(narrowing.lines_holding, b"./");
        let narrowing = day_month_narrowing(&table([&["%m/%d/%Y"], &["%m%d%Y"]]));
        assert_eq!(narrowing.kept, ["a", "b"]);
        assert!(narrowing.lines_holding.is_empty(), "every line");
    }
}

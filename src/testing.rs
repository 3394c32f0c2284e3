//! What the tests share: [`assert_frame_eq!`](crate::assert_frame_eq), which compares a
//! result with an expected frame written by hand with `df!`, column names, dtypes,
//! values and order, nulls equal to nulls, and shows both frames when they differ;
//! and [`raw_rows`], raw text rows of a schema as the readers hand them over.

use polars::prelude::{df, Column, DataFrame, IdxSize, IntoLazy, LazyFrame, PolarsResult};

use crate::schema::{TableSchema, LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};

/// Raw rows of `schema` as the reader gives them (all text, from file `f.csv`, lines
/// 2, 3, … in order): `rows[i][j]` is row i's value of the schema's column j, `None`
/// for an empty field (and for a value past the row's end).
///
/// # Errors
/// When the frame cannot be built (a Polars error).
pub fn raw_rows(schema: &TableSchema, rows: &[Vec<Option<&str>>]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    let mut frame = df!(
        SOURCE_FILE => vec!["f.csv"; n],
        LINE => (2..n as IdxSize + 2).collect::<Vec<_>>(),
        ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
        LAYOUT_ERROR => vec![None::<&str>; n],
    )?;
    for (i, name) in schema.column_names().into_iter().enumerate() {
        let values: Vec<Option<&str>> = rows.iter().map(|r| r.get(i).copied().flatten()).collect();
        frame.with_column(Column::new(name.into(), values))?;
    }
    Ok(frame.lazy())
}

/// Why `actual` is not `expected`, or `None` when they are equal: column names in
/// order, then each column's dtype and length, then its values (nulls equal to
/// nulls).
pub fn frame_difference(actual: &DataFrame, expected: &DataFrame) -> Option<String> {
    let names = |df: &DataFrame| -> Vec<String> {
        df.get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    };
    if names(actual) != names(expected) {
        return Some(format!(
            "columns {:?}, expected {:?}",
            names(actual),
            names(expected)
        ));
    }
    for (a, e) in actual.columns().iter().zip(expected.columns()) {
        if a.dtype() != e.dtype() {
            return Some(format!(
                "column `{}` is {}, expected {}",
                a.name(),
                a.dtype(),
                e.dtype()
            ));
        }
        if a.len() != e.len() {
            return Some(format!("{} rows, expected {}", a.len(), e.len()));
        }
        if !a
            .as_materialized_series()
            .equals_missing(e.as_materialized_series())
        {
            return Some(format!("column `{}` holds other values", a.name()));
        }
    }
    None
}

/// Asserts that a frame equals an expected one (see [`frame_difference`]); on failure
/// the message says what differs and shows both frames.
///
/// ```
/// use polars::prelude::*;
/// let out = df!("dma" => ["Austin"], "devices" => [2u32]).unwrap();
/// smartview::assert_frame_eq!(out, df!("dma" => ["Austin"], "devices" => [2u32]).unwrap());
/// ```
#[macro_export]
macro_rules! assert_frame_eq {
    ($actual:expr, $expected:expr $(,)?) => {{
        let actual: &polars::prelude::DataFrame = &$actual;
        let expected: &polars::prelude::DataFrame = &$expected;
        if let Some(difference) = $crate::testing::frame_difference(actual, expected) {
            panic!("frames differ: {difference}\nactual:\n{actual}\nexpected:\n{expected}");
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dtypes_values_and_nulls_are_compared() -> PolarsResult<()> {
        let frame = df!("a" => [Some(1i64), None], "b" => ["x", "y"])?;
        assert_eq!(frame_difference(&frame, &frame.clone()), None);
        let renamed = df!("a" => [Some(1i64), None], "c" => ["x", "y"])?;
        assert!(frame_difference(&frame, &renamed).is_some_and(|d| d.contains("columns")));
        let retyped = df!("a" => [Some(1i32), None], "b" => ["x", "y"])?;
        assert!(frame_difference(&frame, &retyped).is_some_and(|d| d.contains("i32")));
        let null_filled = df!("a" => [Some(1i64), Some(0)], "b" => ["x", "y"])?;
        assert!(frame_difference(&frame, &null_filled).is_some_and(|d| d.contains("`a`")));
        let reordered = df!("a" => [Some(1i64), None], "b" => ["y", "x"])?;
        assert!(frame_difference(&frame, &reordered).is_some());
        Ok(())
    }

    #[test]
    #[should_panic(expected = "frames differ: column `b` holds other values")]
    fn the_macro_panics_with_the_difference() {
        let frame = df!("b" => [1u32]).unwrap_or_default();
        crate::assert_frame_eq!(frame, df!("b" => [2u32]).unwrap_or_default());
    }
}

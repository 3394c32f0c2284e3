//! A frame's column as plain Rust values, for reports, notebooks and tests.
//!
//! Numeric columns are cast first, so any integer or float column reads as `u64` or
//! `f64`; nulls become the given placeholder (text, numbers) or `None` (floats).

use polars::prelude::{DataFrame, DataType, PolarsResult};

/// The text of a column, nulls written as `null_text`.
///
/// # Errors
/// When `column` is missing or not a String column.
pub fn texts(df: &DataFrame, column: &str, null_text: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(column)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or(null_text).to_string())
        .collect())
}

/// The text of a column, nulls as `None`.
///
/// # Errors
/// When `column` is missing or not a String column.
pub fn optional_texts(df: &DataFrame, column: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(column)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// Any column written as text (numbers, dates, …), nulls as `null_text`.
///
/// # Errors
/// When `column` is missing or cannot be cast to String.
pub fn as_texts(df: &DataFrame, column: &str, null_text: &str) -> PolarsResult<Vec<String>> {
    let cast = df.column(column)?.cast(&DataType::String)?;
    Ok(cast
        .str()?
        .iter()
        .map(|v| v.unwrap_or(null_text).to_string())
        .collect())
}

/// A numeric column as `u64`, nulls (and values that do not fit) as `null_value`.
///
/// # Errors
/// When `column` is missing or cannot be cast to UInt64.
pub fn u64s(df: &DataFrame, column: &str, null_value: u64) -> PolarsResult<Vec<u64>> {
    let cast = df.column(column)?.cast(&DataType::UInt64)?;
    Ok(cast
        .u64()?
        .iter()
        .map(|v| v.unwrap_or(null_value))
        .collect())
}

/// A numeric column as `i64`, nulls (and values that do not fit) as `null_value`.
///
/// # Errors
/// When `column` is missing or cannot be cast to Int64.
pub fn i64s(df: &DataFrame, column: &str, null_value: i64) -> PolarsResult<Vec<i64>> {
    let cast = df.column(column)?.cast(&DataType::Int64)?;
    Ok(cast
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(null_value))
        .collect())
}

/// A numeric column as `f64`, nulls as `None`.
///
/// # Errors
/// When `column` is missing or cannot be cast to Float64.
pub fn f64s(df: &DataFrame, column: &str) -> PolarsResult<Vec<Option<f64>>> {
    let cast = df.column(column)?.cast(&DataType::Float64)?;
    Ok(cast.f64()?.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn reads_columns_with_placeholders() -> PolarsResult<()> {
        let df =
            df!("s" => [Some("a"), None], "n" => [Some(3i32), None], "x" => [Some(0.5), None])?;
        assert_eq!(texts(&df, "s", "-")?, ["a", "-"]);
        assert_eq!(u64s(&df, "n", 99)?, [3, 99]);
        assert_eq!(f64s(&df, "x")?, [Some(0.5), None]);
        Ok(())
    }
}

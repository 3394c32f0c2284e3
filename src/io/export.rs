//! Writing a query result in an analyst's format: CSV with a header, JSON (an array
//! of objects, one per row) or Parquet, to any writer (a file or standard output).

use std::io::Write;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use polars::prelude::{AnyValue, CsvWriter, DataFrame, DataType, ParquetWriter, SerWriter};
use serde_json::{Number, Value};

/// A result format, by its command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultFormat {
    Csv,
    Json,
    Parquet,
}

impl FromStr for ResultFormat {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "csv" => Ok(ResultFormat::Csv),
            "json" => Ok(ResultFormat::Json),
            "parquet" => Ok(ResultFormat::Parquet),
            other => bail!("unknown format `{other}`. Consider one of: csv, json, parquet"),
        }
    }
}

/// Writes `df` to `out` in `format`.
///
/// # Errors
/// When Polars cannot encode `df` as CSV or Parquet, a column cannot be cast to text for
/// JSON, or writing to `out` fails.
pub fn write_result(df: &mut DataFrame, format: ResultFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        ResultFormat::Csv => CsvWriter::new(out)
            .include_header(true)
            .finish(df)
            .context("cannot write the CSV result")?,
        ResultFormat::Parquet => {
            ParquetWriter::new(out)
                .finish(df)
                .context("cannot write the Parquet result")?;
        }
        ResultFormat::Json => write_json(df, out)?,
    }
    Ok(())
}

/// A JSON array of row objects, keys in column order. Dates and times are ISO text;
/// non-finite floats are null.
fn write_json(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    // Temporal and nested values as their text, cast by Polars.
    let mut columns = Vec::with_capacity(df.width());
    for column in df.columns() {
        let plain = matches!(
            column.dtype(),
            DataType::Boolean | DataType::String | DataType::Null
        ) || column.dtype().is_primitive_numeric();
        columns.push(if plain {
            column.clone()
        } else {
            column.cast(&DataType::String)?
        });
    }
    // Objects are written field by field so that keys keep the columns' order.
    let keys: Vec<String> = columns
        .iter()
        .map(|column| serde_json::to_string(column.name().as_str()))
        .collect::<Result<_, _>>()?;
    out.write_all(b"[")?;
    for row in 0..df.height() {
        out.write_all(if row > 0 { b",\n{" } else { b"\n{" })?;
        for (index, (key, column)) in keys.iter().zip(&columns).enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key.as_bytes())?;
            out.write_all(b":")?;
            serde_json::to_writer(&mut *out, &json_value(column.get(row)?))?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"\n]\n")?;
    Ok(())
}

fn json_value(value: AnyValue) -> Value {
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Float32(f) => float(f64::from(f)),
        AnyValue::Float64(f) => float(f),
        other => match other.extract::<i64>() {
            Some(i) => Value::Number(i.into()),
            None => match other.extract::<u64>() {
                Some(u) => Value::Number(u.into()),
                None => Value::String(other.to_string()),
            },
        },
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn json_rows_keep_types_and_write_dates_as_text() -> Result<()> {
        let mut df = df!(
            "country" => [Some("Korea, Rep."), None],
            "year" => [1960i64, 1961],
            "value" => [1.5, f64::NAN],
            "peak" => [true, false],
        )?;
        df.with_column(Column::new("day".into(), [0i32, 1]).cast(&DataType::Date)?)?;
        let mut out = Vec::new();
        write_result(&mut df, ResultFormat::Json, &mut out)?;
        let text = String::from_utf8(out.clone())?;
        assert!(
            text.starts_with("[\n{\"country\":\"Korea, Rep.\",\"year\":1960,"),
            "keys in column order: {text}"
        );
        let parsed: Value = serde_json::from_slice(&out)?;
        assert_eq!(
            parsed,
            serde_json::json!([
                {"country": "Korea, Rep.", "year": 1960, "value": 1.5, "peak": true, "day": "1970-01-01"},
                {"country": null, "year": 1961, "value": null, "peak": false, "day": "1970-01-02"},
            ])
        );
        Ok(())
    }

    #[test]
    fn csv_and_parquet_round_trip() -> Result<()> {
        let mut df = df!("a" => [1i64, 2], "b" => ["x,y", "z"])?;
        let mut csv = Vec::new();
        write_result(&mut df, ResultFormat::Csv, &mut csv)?;
        assert_eq!(String::from_utf8(csv)?, "a,b\n1,\"x,y\"\n2,z\n");
        let mut parquet = Vec::new();
        write_result(&mut df, ResultFormat::Parquet, &mut parquet)?;
        let back = ParquetReader::new(std::io::Cursor::new(parquet)).finish()?;
        assert!(back.equals(&df));
        assert!("xml".parse::<ResultFormat>().is_err());
        Ok(())
    }
}

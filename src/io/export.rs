//! Writing a query result in an analyst's format: CSV with a header, JSON (an array
//! of objects, one per row) or Parquet, to any writer (a file or standard output).

use std::io::Write;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use polars::prelude::{CsvWriter, DataFrame, JsonFormat, JsonWriter, ParquetWriter, SerWriter};

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
/// When Polars cannot encode `df` in `format`, or writing to `out` fails.
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

/// A JSON array of row objects, keys in column order, by Polars' JSON writer: dates
/// and times as ISO text, non-finite floats as null. A newline ends the array, as it
/// ends the CSV result, for terminals and `jq`.
fn write_json(df: &mut DataFrame, out: &mut dyn Write) -> Result<()> {
    JsonWriter::new(&mut *out)
        .with_json_format(JsonFormat::Json)
        .finish(df)
        .context("cannot write the JSON result")?;
    out.write_all(b"\n")?;
    Ok(())
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
            text.starts_with("[{\"country\":\"Korea, Rep.\",\"year\":1960,"),
            "keys in column order: {text}"
        );
        assert!(
            text.ends_with("}]\n"),
            "one newline after the array: {text}"
        );
        let parsed: serde_json::Value = serde_json::from_slice(&out)?;
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

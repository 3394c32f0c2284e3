//! W2–W4 on a hand-made long table. W1 (both layouts, the unpivot, empty values,
//! quarantine) is tested end to end in `tests/wdi.rs`.

use anyhow::Result;
use polars::prelude::*;

use super::rules;
use crate::values;

const GROWTH: &str = "NY.GDP.MKTP.KD.ZG";
const GROWTH_NAME: &str = "GDP growth (annual %)";

/// Canada's growth in three years, Korea's in four (a tie at 5.0 and a zero),
/// Chad's only zero, and a population row for Canada that must never mix in.
fn wdi() -> PolarsResult<LazyFrame> {
    let rows: [(&str, &str, &str, i64, f64); 10] = [
        ("Canada", "CAN", GROWTH, 2001, 1.8),
        ("Canada", "CAN", GROWTH, 1999, 5.1),
        ("Canada", "CAN", GROWTH, 2000, 5.2),
        ("Korea, Rep.", "KOR", GROWTH, 1999, 5.0),
        ("Korea, Rep.", "KOR", GROWTH, 1998, -5.1),
        ("Korea, Rep.", "KOR", GROWTH, 2000, 0.0),
        ("Korea, Rep.", "KOR", GROWTH, 2001, 5.0),
        ("Chad", "TCD", GROWTH, 2000, 0.0),
        ("Canada", "CAN", "SP.POP.TOTL", 2000, 30_000_000.0),
        ("Chad", "TCD", "SP.POP.TOTL", 2000, 8_000_000.0),
    ];
    let df = df!(
        "year" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "countryName" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "countryCode" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "indicatorName" => rows.iter().map(|r| if r.2 == GROWTH { GROWTH_NAME } else { "Population, total" }).collect::<Vec<_>>(),
        "indicatorCode" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "indicatorValue" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    )?;
    Ok(df.lazy())
}

fn i64s(df: &DataFrame, column: &str) -> PolarsResult<Vec<u64>> {
    values::u64s(df, column, u64::MAX)
}

#[test]
fn w2_one_country_by_year_by_name_or_code() -> Result<()> {
    let by_name = rules::country_series(wdi()?, "Canada", GROWTH).collect()?;
    assert_eq!(by_name.get_column_names(), ["year", "value"]);
    assert_eq!(i64s(&by_name, "year")?, [1999, 2000, 2001]);
    assert_eq!(
        values::f64s(&by_name, "value")?,
        [Some(5.1), Some(5.2), Some(1.8)]
    );
    let by_code = rules::country_series(wdi()?, "CAN", GROWTH_NAME).collect()?;
    assert!(
        by_code.equals(&by_name),
        "code and indicator name select the same rows"
    );
    Ok(())
}

#[test]
fn w3_every_country_by_country_then_year() -> Result<()> {
    let out = rules::indicator_panel(wdi()?, GROWTH).collect()?;
    assert_eq!(out.get_column_names(), ["countryName", "year", "value"]);
    assert_eq!(
        values::texts(&out, "countryName", "")?,
        [
            "Canada",
            "Canada",
            "Canada",
            "Chad",
            "Korea, Rep.",
            "Korea, Rep.",
            "Korea, Rep.",
            "Korea, Rep."
        ]
    );
    assert_eq!(
        i64s(&out, "year")?,
        [1999, 2000, 2001, 2000, 1998, 1999, 2000, 2001]
    );
    Ok(())
}

#[test]
fn w4_peak_year_earliest_on_ties_without_zeros_or_other_indicators() -> Result<()> {
    // Canada peaks at 5.2 in 2000 (its population is another indicator). Korea ties
    // at 5.0 in 1999 and 2001: the earliest wins. Chad has only a zero: no row.
    let out = rules::peak_year(wdi()?, GROWTH)?.collect()?;
    assert_eq!(out.get_column_names(), ["countryName", "year", "value"]);
    assert_eq!(
        values::texts(&out, "countryName", "")?,
        ["Canada", "Korea, Rep."]
    );
    assert_eq!(i64s(&out, "year")?, [2000, 1999]);
    assert_eq!(values::f64s(&out, "value")?, [Some(5.2), Some(5.0)]);
    Ok(())
}

#[test]
fn w4_a_country_whose_values_are_all_negative_peaks_at_the_least_negative() -> Result<()> {
    let df = df!(
        "year" => [2000i64, 2001, 2002],
        "countryName" => ["Ruritania"; 3],
        "countryCode" => ["RUR"; 3],
        "indicatorName" => [GROWTH_NAME; 3],
        "indicatorCode" => [GROWTH; 3],
        "indicatorValue" => [-3.0, -1.0, 0.0],
    )?;
    let out = rules::peak_year(df.lazy(), GROWTH)?.collect()?;
    assert_eq!(i64s(&out, "year")?, [2001]);
    Ok(())
}

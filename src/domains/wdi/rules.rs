//! W2–W4 on the validated long table (`year`, `countryName`, `countryCode`,
//! `indicatorName`, `indicatorCode`, `indicatorValue`). A country is named by its
//! name or its code (`Canada` or `CAN`), an indicator by its code or its name
//! (`NY.GDP.MKTP.KD.ZG` or `GDP growth (annual %)`).

use polars::prelude::{col, lit, Expr, LazyFrame, PolarsResult, SortMultipleOptions};

use super::tables::VALUE;
use crate::transforms::{top_k_within, SortKey};

/// W2's default country.
pub const DEFAULT_COUNTRY: &str = "Canada";
/// W2–W4's default indicator: GDP growth (annual %).
pub const DEFAULT_INDICATOR: &str = "NY.GDP.MKTP.KD.ZG";

/// Rows of the country named `country` (by name or code).
pub fn is_country(country: &str) -> Expr {
    col("countryName")
        .eq(lit(country))
        .or(col("countryCode").eq(lit(country)))
}

/// Rows of the indicator named `indicator` (by code or name).
pub fn is_indicator(indicator: &str) -> Expr {
    col("indicatorCode")
        .eq(lit(indicator))
        .or(col("indicatorName").eq(lit(indicator)))
}

/// W2: `year`, `value` of one country's indicator, by year.
pub fn country_series(wdi: LazyFrame, country: &str, indicator: &str) -> LazyFrame {
    wdi.filter(is_country(country).and(is_indicator(indicator)))
        .select([col("year"), col(VALUE).alias("value")])
        .sort(["year"], Default::default())
}

/// W3: `countryName`, `year`, `value` of one indicator for every country, by country
/// then year.
pub fn indicator_panel(wdi: LazyFrame, indicator: &str) -> LazyFrame {
    wdi.filter(is_indicator(indicator))
        .select([col("countryName"), col("year"), col(VALUE).alias("value")])
        .sort(["countryName", "year"], Default::default())
}

/// W4: per country, the year of the indicator's highest value (the earliest on
/// ties), zero values left out; `countryName`, `year`, `value`, highest value first,
/// then by country.
///
/// # Errors
/// Never while planning; a missing column (`countryName`, `year`, `indicatorCode`,
/// `indicatorName`, `indicatorValue`) fails when the plan runs.
pub fn peak_year(wdi: LazyFrame, indicator: &str) -> PolarsResult<LazyFrame> {
    let values = wdi
        .filter(is_indicator(indicator).and(col(VALUE).neq(lit(0.0))))
        .select([col("countryName"), col("year"), col(VALUE).alias("value")]);
    let order = [SortKey::desc("value"), SortKey::asc("year")];
    Ok(top_k_within(values, &["countryName"], &order, 1, "__rank")?
        .select([col("countryName"), col("year"), col("value")])
        .sort(
            ["value", "countryName"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        ))
}

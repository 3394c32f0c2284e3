//! The WDI rules wired from the validated long table to the output tables, one lazy
//! plan per output: what the local pipeline ([`super::pipeline`]) collects and what
//! another engine runs ([`crate::remote`]). WDI has no single-machine strategy, so
//! both use this one wiring.

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;
use super::WdiOptions;

/// W2–W4 over the validated long table `wdi`, for the options' country and
/// indicator: `country_series`, `indicator_panel`, `peak_year`.
///
/// # Errors
/// When a rule cannot be planned.
pub fn outputs(wdi: LazyFrame, options: &WdiOptions) -> Result<[(&'static str, LazyFrame); 3]> {
    let (country, indicator) = (options.country(), options.indicator());
    Ok([
        (
            "country_series",
            rules::country_series(wdi.clone(), country, indicator),
        ),
        (
            "indicator_panel",
            rules::indicator_panel(wdi.clone(), indicator),
        ),
        ("peak_year", rules::peak_year(wdi, indicator)?),
    ])
}

//! World Development Indicators (`spec/wdi.md`): the World Bank's indicator table,
//! one value per country, indicator and year, read from the wide download or the
//! long layout, and asked for one country's series, the panel of all countries and
//! each country's peak year. The long table is the catalog's `wdi` (W5).
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the two raw layouts, the wide one unpivoted lazily; the declared schema (W1) |
//! | [`datasets`] | every validated and output table, named once, with its columns |
//! | [`rules`] | W2–W4 as lazy transforms |
//! | [`pipeline`] | the run: read, drop empty values, validate, sink interim, apply rules |
//! | [`plans`] | the rules as one plan per output table, run here and by another engine |
//! | [`datagen`] | synthetic indicator tables in both layouts, with gaps and faults |
//! | [`report`] | the WDI report: the series, the panel, the peak years |

pub mod datagen;
pub mod datasets;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use pipeline::{run, WdiOptions, WdiOutputs, DOMAIN};

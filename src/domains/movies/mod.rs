//! Movie revenue strategy (`spec/movies.md`), being built (issue 17): TMDB and IMDB
//! catalogues and the FRED CPI become inflation-adjusted movie, genre, director and
//! year tables, partitioned output and a DuckDB serving file for BI tools.
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the three raw tables (V1) and the certificate mapping (V3) |
//! | [`datasets`] | every validated and output table, named once, with its columns |
//! | [`rules`] | V2–V7 as lazy transforms |
//! | [`pipeline`] | the run: validate, apply the rules, write the outputs (V8) |
//! | [`plans`] | the rules from the repaired catalogues on, one plan per output table, for another engine |
//! | [`serving`] | the DuckDB serving file and its views (V9) |
//! | [`datagen`] | synthetic catalogues in the real layouts, with faults |
//! | [`report`] | the movies report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod serving;
pub mod tables;

#[cfg(test)]
mod tests;

pub use pipeline::{run, MoviesOptions, MoviesOutputs, DOMAIN};

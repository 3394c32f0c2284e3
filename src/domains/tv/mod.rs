//! TV audience analytics from set-top-box data (`spec/tv.md`).
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the four raw tables: file patterns, layouts, schemas (T1) |
//! | [`datasets`] | every validated and output table, named once, with its columns |
//! | [`rules`] | T2–T11 as lazy transforms |
//! | [`pairs`] | the viewing pair aggregate T7, T10 and T11 share, one part per pass |
//! | [`pipeline`] | the run: validate, sink interim, apply rules, write outputs |
//! | [`plans`] | the rules as one plan per output table, for another engine |
//! | [`datagen`] | synthetic raw data in the real layouts, with injected faults |
//! | [`report`] | the TV report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod pairs;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use pipeline::{run, run_with, TvOptions, TvOutputs, DOMAIN};

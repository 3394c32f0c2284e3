//! Online retail (`spec/retail.md`): a UK online retailer's invoice lines become
//! invoice sizes, monthly orders, sales and customers, cohort retention and RFM
//! scores with segments.
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the raw invoice lines: files (CSV or workbook), declared schema (R1) |
//! | [`datasets`] | every validated and output table, named once, with its columns |
//! | [`rules`] | R1's aggregate to invoice months, R2–R8 as lazy transforms |
//! | [`pipeline`] | the run: read and validate, sink interim, apply rules, write outputs |
//! | [`plans`] | the rules as one plan per output table, for another engine |
//! | [`datagen`] | synthetic invoice lines in the Online Retail II layout, with faults |
//! | [`report`] | the retail report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use pipeline::{run, RetailOutputs, DOMAIN};

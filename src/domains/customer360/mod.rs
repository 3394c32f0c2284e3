//! Customer 360 for an IPTV operator (`spec/customer360.md`): content logs and search
//! logs become per-customer profiles, IQR segments and month-over-month search
//! trends, delivered as files and into a database.
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the four raw tables: layouts, declared schemas, C1 and C8's checks |
//! | [`datasets`] | every validated and output table, named once, with its columns |
//! | [`rules`] | C1–C12 as lazy transforms |
//! | [`logs`] | the daily content logs (bucketed parts) and search logs, validated |
//! | [`pipeline`] | the run: read and validate, sink interim, apply rules, deliver (C13) |
//! | [`plans`] | the rules as one plan per output table, for another engine |
//! | [`datagen`] | synthetic raw data in the real layouts, with injected faults |
//! | [`report`] | the Customer 360 report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod logs;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use pipeline::{default_sink, run, Customer360Options, Customer360Outputs, DOMAIN};

//! Streaming media viewership and ad revenue (`spec/stream.md`), being built (issue
//! 18): a streaming-TV platform's channels, subscribers, daily ad revenue and
//! viewing sessions become curated tables and the seventeen answers of S6. Built so
//! far: the generator (S1), the curated Delta tables with their merges (S2, S3), time
//! travel (S5) and the questions (S6). Watch mode and live ingest (S3, S4) follow.
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the four raw tables and their lists and ranges |
//! | [`datasets`] | every validated, curated and output table, named once |
//! | [`rules`] | the curated tables and the questions of S6, as lazy transforms |
//! | [`pipeline`] | the batch run: validate, curate, merge into the lake, answer, write |
//! | [`merge`] | one raw file merged into its Delta table, once (S3) |
//! | [`datagen`] | synthetic raw files in the real layouts, with faults (S1) |
//! | [`report`] | the stream report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod merge;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use datasets::StreamOutputs;
pub use pipeline::{run, DOMAIN};

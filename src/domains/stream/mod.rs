//! Streaming media viewership and ad revenue (`spec/stream.md`): a streaming-TV platform's channels, subscribers, daily ad revenue and
//! viewing sessions become curated tables and the seventeen answers of S6: the
//! generator (S1), the curated Delta tables with their merges and watch mode (S2,
//! S3), live ingest from NATS JetStream (S4), time travel (S5) and the questions (S6).
//!
//! | module | owns |
//! |---|---|
//! | [`tables`] | the four raw tables and their lists and ranges |
//! | [`datasets`] | every validated, curated and output table, named once |
//! | [`rules`] | the curated tables and the questions of S6, as lazy transforms |
//! | [`pipeline`] | the batch run: validate, curate, merge into the lake, answer, write |
//! | [`plans`] | the questions of S6 as one plan each, run here and by another engine |
//! | [`merge`] | one raw file merged into its Delta table, once (S3) |
//! | [`ingest`] | live events appended to `viewership` in micro-batches, exactly once (S4) |
//! | [`datagen`] | synthetic raw files in the real layouts, with faults (S1) |
//! | [`report`] | the stream report: tables and charts |

pub mod datagen;
pub mod datasets;
pub mod ingest;
pub mod merge;
pub mod pipeline;
pub mod plans;
pub mod report;
pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

pub use datasets::StreamOutputs;
pub use pipeline::{run, DOMAIN};

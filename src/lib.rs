//! SmartView: media and customer analytics as lazy Polars transforms.
//!
//! Raw files are read with a declared schema ([`schema`], [`io`]), validated into
//! typed rows and a quarantine with reasons, sunk to interim Parquet, and turned by
//! each domain's rules ([`domains`]), composed from generic [`transforms`], into
//! named output tables and reports ([`report`]). Notebooks and the binaries call the
//! same functions.
//!
//! | module | owns |
//! |---|---|
//! | [`schema`] | declared table schemas; validation into valid rows + quarantine |
//! | [`catalog`] | every domain's tables under stable SQL names, queried with Polars SQL |
//! | [`io`] | raw layouts in, Parquet/CSV out, atomic writes, manifests |
//! | [`exec`] | partitioned aggregation, folders of parts, validation and rule stages, stages beside each other, memory release |
//! | [`fast`] | the three fenced fast paths beside Polars (chunked text reader, ASCII class matching, whitespace stripping) and the Polars behaviours they rely on |
//! | [`transforms`] | domain-free lazy transforms (dedup, clashes, ranks, picks, stats) |
//! | [`domains`] | one folder per domain: tables, rules, pipeline, data generator, report |
//! | [`report`] | charts (plotters → SVG) and tables assembled into HTML and Markdown |
//! | [`notebook`] | Jupyter (evcxr) display of frames and charts |
//! | [`progress`] | stage timings and peak memory |
//! | [`remote`] | the rules on a Spark Connect engine: plans translated to Spark SQL |
//! | [`testing`] | `assert_frame_eq!`, the frame comparison every test uses |
//! | [`synth`] | deterministic random draws for the synthetic data generators |
//! | [`values`] | a frame's column as plain Rust values |
//! | [`cli`] | exit codes shared by the binaries |

pub mod catalog;
pub mod cli;
pub mod domains;
pub mod exec;
pub mod fast;
pub mod io;
pub mod notebook;
pub mod progress;
pub mod remote;
pub mod report;
pub mod schema;
pub mod synth;
pub mod testing;
pub mod transforms;
pub mod values;

/// What a notebook or a binary usually needs.
pub mod prelude {
    pub use crate::catalog::Catalog;
    pub use crate::domains::{customer360, movies, retail, stream, tv, wdi};
    pub use crate::io::lake::LakeTable;
    pub use crate::io::{scan_parquet, DomainPaths, RawTable};
    pub use crate::progress::Progress;
    pub use crate::schema::{validate, Column, ColumnType, TableSchema, Validation};
    pub use polars::prelude::*;
}

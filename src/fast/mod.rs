//! The three hand-written fast paths beside Polars, fenced here because they rely on
//! Polars behaviours that are observed rather than promised. Each is a measured win
//! (figures in `BENCHMARKS.md`); everything else in SmartView uses Polars as
//! documented.
//!
//! | fast path | instead of | relies on | pinned by |
//! |---|---|---|---|
//! | [`chunked`]: delimited text cut into chunks of whole records, split on every core as the query consumes them | Polars' CSV reader, which cannot give each record its physical line, quarantine a malformed record or read a legacy encoding | the streaming engine hands an in-memory source of as many rows as threads out one row per morsel, runs a `map` flagged `STREAMING` per morsel, and keeps the order of an ordered union | `chunked::tests::the_streaming_engine_reads_every_chunk_once_in_file_order` |
//! | | | the two sinks and an aggregate of one validation run in one query read the source once | `io::sink`'s `validation_reads_the_raw_file_once_for_both_sinks_and_an_aggregate` |
//! | [`regex`]: `^[class]{n,m}$` over ASCII checked byte by byte | `str().contains(pattern, true)` | `str().contains` answers as the regex crate's `is_match` (null for null text), so the two paths agree | `regex::tests::whole_value_classes_match_like_the_regex_engine` |
//! | [`text`]: whitespace stripping (and blank → null) that hands back a column needing none | `str().strip_chars(lit(NULL))` (and a `when`/`then` on `""`), which rebuild every string | `strip_chars(NULL)` strips what `str::trim` strips | `text::tests::whitespace_is_stripped_as_polars_strips_it`, `text::tests::blank_values_trim_to_null_as_polars_would_make_them` |
//!
//! If a Polars upgrade breaks a pin, the fast path goes (Polars' own reader or
//! `str().contains`), not the test.

pub mod chunked;
pub mod regex;
pub mod text;

pub use regex::matches_regex;
pub use text::{strip_whitespace, trim_to_null};

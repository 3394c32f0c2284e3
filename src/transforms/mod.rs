//! Domain-free lazy transforms.
//!
//! Each function maps a `LazyFrame` (plus parameters) to a `LazyFrame`, or builds an
//! `Expr`. None does I/O, collects, or loops over rows; every tie is broken
//! explicitly. The domains compose their rules from these.
//!
//! | module | what it owns |
//! |---|---|
//! | [`dedup`] | keep-first deduplication by an order column |
//! | [`clash`] | clashing-record resolution: most frequent value per key, clash report |
//! | [`rank`] | dense row numbers and top-k within groups with explicit tie-breaks |
//! | [`join`] | attaching a single row of scalars to every row |
//! | [`keys`] | dictionary-encoding text keys as integers for large aggregations |
//! | [`picks`] | exclusive top-k picks: groups in order take items no earlier group took |
//! | [`text`] | splitting delimited lists into trimmed, non-empty items |
//! | [`stats`] | null-safe Pearson correlation, grades by position |

pub mod clash;
pub mod dedup;
pub mod join;
pub mod keys;
pub mod picks;
pub mod rank;
pub mod stats;
pub mod text;

pub use clash::{clash_report, most_frequent};
pub use dedup::keep_first;
pub use join::{attach_single_row, keeping_left_order};
pub use picks::exclusive_picks;
pub use rank::{rank_within, top_k_within, SortKey};
pub use stats::{grade_by_position, pearson_or_null};
pub use text::explode_trimmed;

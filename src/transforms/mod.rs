//! Domain-free lazy transforms.
//!
//! Each function maps a `LazyFrame` (plus parameters) to a `LazyFrame`, or builds an
//! `Expr`. None does I/O, collects, or loops over rows; every tie is broken
//! explicitly. The domains compose their rules from these.
//!
//! | module | what it owns |
//! |---|---|
//! | [`dedup`] | keep-first deduplication by an order column |
//! | [`distinct`] | distinct counts per key as two plain group-bys (pairs, then counts) |
//! | [`clash`] | clashing-record resolution: most frequent value per key, clash report |
//! | [`rank`] | dense row numbers and top-k within groups with explicit tie-breaks |
//! | [`join`] | attaching a single row of scalars to every row |
//! | [`keys`] | dictionary-encoding text keys as integers, splitting a table by key into passes |
//! | [`picks`] | exclusive top-k picks: groups in order take items no earlier group took |
//! | [`text`] | splitting delimited lists into trimmed items; digits of other scripts to ASCII |
//! | [`repair`] | damaged text repaired: mojibake, NFKC, placeholders to null, list literals, name characters |
//! | [`exact`] | float aggregates with the same bits in any row order or thread count: exact sums in fixed units, correctly rounded ratios, exact means and Pearson correlations of integers |
//! | [`stats`] | grades by position, distribution summaries |
//! | [`scoring`] | SQL's `ntile` quantile scores over an explicit total order |
//! | [`cohort`] | cohort matrices: first months, activity and retention by month offset |
//! | [`bucket`] | value → label buckets with inclusive bounds, bounds scaled to a period |
//! | [`segments`] | inverted-CDF quantiles, rule tables by condition or by regex |
//! | [`wide`] | sums pivoted to fixed category columns, arg-max with a tie order, unpivot (dropping empty cells, counted) |
//! | [`trend`] | month keys and arithmetic, month-over-month growth, change between periods |

pub mod bucket;
pub mod clash;
pub mod cohort;
pub mod dedup;
pub mod distinct;
pub mod exact;
pub mod join;
pub mod keys;
pub mod picks;
pub mod rank;
pub mod repair;
pub mod scoring;
pub mod segments;
pub mod stats;
pub mod text;
pub mod trend;
pub mod wide;

pub use bucket::{bucket, scale_buckets, Bucket};
pub use clash::{clash_report, most_frequent};
pub use cohort::{cohort_retention, first_months};
pub use dedup::keep_first;
pub use distinct::distinct_count;
pub use exact::{
    checked_sum, exact_mean, exact_pearson_or_null, fixed_product_units, fixed_units_mean,
    from_fixed_units, order_independent_mean, order_independent_sum, ratio, to_fixed_units,
};
pub use join::{attach_single_row, keeping_left_order};
pub use keys::{key_in_pass, pass_of_key, passes_for};
pub use picks::exclusive_picks;
pub use rank::{rank_within, top_k_within, SortKey};
pub use scoring::{ntile, ntile_of_position};
pub use segments::{
    first_full_match, first_matching, first_true, inverted_cdf_quantile, PatternRule, SegmentRule,
};
pub use stats::{distribution_summary, grade_by_position};
pub use text::{ascii_digits, explode_trimmed};
pub use trend::{
    change_kind, compare_periods, fixed_periods, last_two_periods, month_index, month_key,
    month_over_month_growth, months_between, next_month, transition,
};
pub use wide::{
    arg_max_label, drop_empty, nonzero_labels, pivot_sums, unpivot, unpivot_dropping_empty,
    Category, DroppedCells,
};

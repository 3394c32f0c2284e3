//! Rules C1–C12 of `spec/customer360.md` as lazy transforms over the validated
//! tables. Each function documents the rule it implements and its columns; the
//! generic pieces (pivots, arg-max, buckets, quantiles, top-k, period change) come
//! from [`crate::transforms`].

use polars::prelude::*;

use super::tables::APP_TYPES;
use crate::transforms::{
    arg_max_label, attach_single_row, bucket, change_kind, compare_periods, distinct_count,
    exact_mean, first_matching, first_true, fixed_periods, inverted_cdf_quantile, keep_first,
    keeping_left_order, last_two_periods, month_key, nonzero_labels, pivot_sums, scale_buckets,
    top_k_within, transition, Bucket, Category, SegmentRule, SortKey,
};

/// The five content types in C4's tie order, with their C3 columns.
pub const CONTENT_TYPES: [Category<'static>; 5] = [
    Category {
        value: "Truyen_hinh",
        column: "Total_Truyen_hinh",
        label: "Truyen_hinh",
    },
    Category {
        value: "Phim_truyen",
        column: "Total_Phim_truyen",
        label: "Phim_truyen",
    },
    Category {
        value: "The_thao",
        column: "Total_The_thao",
        label: "The_thao",
    },
    Category {
        value: "Giai_tri",
        column: "Total_Giai_tri",
        label: "Giai_tri",
    },
    Category {
        value: "Thieu_nhi",
        column: "Total_Thieu_nhi",
        label: "Thieu_nhi",
    },
];

/// C6's activeness buckets for a month (31 days); days past the last are `very high`.
pub const ACTIVENESS: [Bucket; 4] = [
    Bucket {
        upper: 7,
        label: "very low",
    },
    Bucket {
        upper: 14,
        label: "low",
    },
    Bucket {
        upper: 21,
        label: "moderate",
    },
    Bucket {
        upper: 28,
        label: "high",
    },
];
/// The label past the last activeness bound.
pub const MOST_ACTIVE: &str = "very high";
/// The period the activeness bounds are written for.
pub const ACTIVENESS_BASE_DAYS: i64 = 31;

/// The customer types of C7, in the order their rules are checked, then `anomaly`.
pub const CUSTOMER_TYPES: [&str; 7] = [
    "leaving",
    "need attention",
    "normal",
    "potential",
    "loyal",
    "VIP",
    "anomaly",
];

/// A search keyword with no mapping (C10).
pub const UNMAPPED: &str = "Unmapped";

/// The profile columns after `contract`, in the spec's order.
pub const PROFILE_COLUMNS: [&str; 12] = [
    "Total_Truyen_hinh",
    "Total_Phim_truyen",
    "Total_The_thao",
    "Total_Giai_tri",
    "Total_Thieu_nhi",
    "total_duration",
    "total_devices",
    "most_watch",
    "customer_taste",
    "active_days",
    "activeness",
    "customer_type",
];

/// The trend columns after `user_id`, in the spec's order.
pub const TREND_COLUMNS: [&str; 6] = [
    "keyword_m1",
    "keyword_m2",
    "category_m1",
    "category_m2",
    "trending_type",
    "previous",
];

/// C1: the content type of an app name (null for an app C1 does not know).
pub fn content_type(app: Expr) -> Expr {
    let cases = APP_TYPES
        .iter()
        .map(|(name, kind)| (app.clone().eq(lit(*name)), lit(*kind)))
        .collect();
    first_true(cases, lit(NULL).cast(DataType::String))
}

/// The three per-contract aggregates of the content rows that C2–C6 combine.
pub struct ContractAggregates {
    /// `contract` and the five `Total_*` columns (C3).
    pub viewing: LazyFrame,
    /// `contract`, `total_devices` (C2).
    pub devices: LazyFrame,
    /// `contract`, `active_days` (C6).
    pub active_days: LazyFrame,
}

/// C2, C3 and C6's aggregates over valid content rows (`Contract`, `Mac`, `AppName`,
/// `TotalDuration`, `Date`). Each streams; collect them one at a time on large data,
/// since run together they share one scan that buffers rows for the slowest.
pub fn contract_aggregates(content: LazyFrame) -> ContractAggregates {
    let content = content.select([
        col("Contract").alias("contract"),
        col("Mac"),
        col("Date"),
        col("TotalDuration").cast(DataType::Int64),
        content_type(col("AppName")).alias("__type"),
    ]);
    ContractAggregates {
        viewing: pivot_sums(
            content.clone(),
            &["contract"],
            "__type",
            "TotalDuration",
            &CONTENT_TYPES,
        ),
        devices: distinct_count(content.clone(), "contract", "Mac", "total_devices"),
        active_days: distinct_count(content, "contract", "Date", "active_days"),
    }
}

/// C2–C6 from the aggregates of [`contract_aggregates`] (the pipeline computes them
/// bucket by bucket): one row per contract with valid content rows. `days` is the
/// length of the period, which scales the activeness bounds when longer than 31 days.
/// Sorted by `contract`; `customer_type` is added by [`segment_customers`].
///
/// # Errors
/// Not in practice: planning fails only on activeness bounds that do not increase or on
/// no content type ([`bucket()`], [`arg_max_label`]), and the constants used here are
/// valid. A missing input column fails when the plan runs.
pub fn profile_contracts(aggregates: ContractAggregates, days: i64) -> PolarsResult<LazyFrame> {
    let totals: Vec<Expr> = CONTENT_TYPES.iter().map(|c| col(c.column)).collect();
    let activeness = scale_buckets(&ACTIVENESS, days, ACTIVENESS_BASE_DAYS);
    Ok(aggregates
        .viewing
        .inner_join(aggregates.devices, col("contract"), col("contract"))
        .inner_join(aggregates.active_days, col("contract"), col("contract"))
        .with_column(polars::lazy::dsl::sum_horizontal(totals, false)?.alias("total_duration"))
        .with_columns([
            arg_max_label(&CONTENT_TYPES)?.alias("most_watch"),
            nonzero_labels(&CONTENT_TYPES, "-").alias("customer_taste"),
            bucket(col("active_days"), &activeness, MOST_ACTIVE)?.alias("activeness"),
        ])
        .sort(["contract"], Default::default()))
}

/// C7: adds `customer_type` from the activeness and the total against Q1 and the
/// median of `total_duration` over all rows (inverted CDF), then puts the columns in
/// the spec's order: `contract`, then [`PROFILE_COLUMNS`].
pub fn segment_customers(activity: LazyFrame) -> LazyFrame {
    let total = || col("total_duration");
    let q1 = || col("__q1");
    let median = || col("__median");
    let is = |label: &str| col("activeness").eq(lit(label.to_string()));
    let rules = [
        SegmentRule::new(is("very low").and(total().lt(q1())), "leaving"),
        SegmentRule::new(is("low").and(total().lt(median())), "need attention"),
        SegmentRule::new(is("moderate").and(total().lt(median())), "normal"),
        SegmentRule::new(is("moderate").and(total().gt_eq(median())), "potential"),
        SegmentRule::new(is("high").and(total().gt(q1())), "loyal"),
        SegmentRule::new(is("very high").and(total().gt(q1())), "VIP"),
    ];
    let mut columns = vec![col("contract")];
    columns.extend(PROFILE_COLUMNS.iter().map(|c| col(*c)));
    let quartiles = duration_quartiles(activity.clone())
        .select([col("q1").alias("__q1"), col("median").alias("__median")]);
    attach_single_row(activity, quartiles)
        .with_column(first_matching(&rules, "anomaly").alias("customer_type"))
        .select(columns)
}

/// The Q1 and median of `total_duration` that C7 compares against, as one row.
pub fn duration_quartiles(profile: LazyFrame) -> LazyFrame {
    profile.select([
        inverted_cdf_quantile(col("total_duration"), 25).alias("q1"),
        inverted_cdf_quantile(col("total_duration"), 50).alias("median"),
    ])
}

/// `segment_summary`: customers and mean `total_duration` per `customer_type` (the
/// exact integer sum over the count, [`exact_mean`]: the same bits in any row order).
pub fn segment_summary(profile: LazyFrame) -> LazyFrame {
    profile
        .group_by([col("customer_type")])
        .agg([
            len().cast(DataType::Int64).alias("customers"),
            exact_mean(col("total_duration")).alias("avg_total_duration"),
        ])
        .sort(["customer_type"], Default::default())
}

/// C8: valid search rows (their `datetime` parsed, `user_id` and `keyword` trimmed
/// by the schema, [`super::tables::search`]) as `month` (yyyymm), `user_id` and
/// `keyword`.
pub fn search_events(valid_search: LazyFrame) -> LazyFrame {
    valid_search.select([month_key(col("datetime")), col("user_id"), col("keyword")])
}

/// C10: the mapping (its `search` keys trimmed by the schema,
/// [`super::tables::mapping`]), the first row kept for a key that appears more than
/// once (by `row_nr`).
///
/// # Errors
/// Never while planning; a missing `search`, `category` or `row_nr` column fails when the
/// plan runs.
pub fn keyword_categories(valid_mapping: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(keep_first(valid_mapping, &["search"], "row_nr")?.select([col("search"), col("category")]))
}

/// C9 and C10: per (month, user_id), the most searched keyword with its count
/// (`searches`), ties to the lexicographically smallest keyword, and its category
/// (`Unmapped` without an exact match). Sorted by month, user_id.
///
/// # Errors
/// Never while planning; a missing column (`month`, `user_id`, `keyword` of `events`;
/// `search`, `category` of `categories`) fails when the plan runs.
pub fn top_keywords(events: LazyFrame, categories: LazyFrame) -> PolarsResult<LazyFrame> {
    let counts = events
        .group_by([col("month"), col("user_id"), col("keyword")])
        .agg([len().cast(DataType::Int64).alias("searches")]);
    let top = top_k_within(
        counts,
        &["month", "user_id"],
        &[SortKey::desc("searches"), SortKey::asc("keyword")],
        1,
        "__rank",
    )?;
    Ok(top
        .join(
            categories,
            [col("keyword")],
            [col("search")],
            keeping_left_order(JoinType::Left),
        )
        .select([
            col("month"),
            col("user_id"),
            col("keyword"),
            col("searches"),
            col("category").fill_null(lit(UNMAPPED)),
        ])
        .sort(["month", "user_id"], Default::default()))
}

/// C11: users whose top keyword is known in both months of `months` (one row:
/// [`fixed_periods`], [`last_two_periods`]), with both keywords and categories,
/// `trending_type` and `previous`. Sorted by user_id.
pub fn search_trend(top: LazyFrame, months: LazyFrame) -> LazyFrame {
    compare_periods(top, "user_id", "month", months, &["keyword", "category"])
        .with_columns([
            change_kind(col("category_m1"), col("category_m2")).alias("trending_type"),
            transition(col("category_m1"), col("category_m2")).alias("previous"),
        ])
        .select(
            std::iter::once(col("user_id"))
                .chain(TREND_COLUMNS.iter().map(|c| col(*c)))
                .collect::<Vec<_>>(),
        )
}

/// C11 between the chosen `months`, else the last two months present (an empty
/// trend with C11's columns when the search logs hold fewer than two).
///
/// # Errors
/// Never in practice (the one row of the chosen months).
pub fn search_trend_of(top: LazyFrame, months: Option<(i32, i32)>) -> PolarsResult<LazyFrame> {
    let months = match months {
        Some((first, second)) => fixed_periods(first, second)?,
        None => last_two_periods(top.clone(), "month"),
    };
    Ok(search_trend(top, months))
}

/// The months present in the top-keyword table (C10), ascending.
///
/// # Errors
/// When `top` has no Int32 `month` column.
pub fn present_months(top: &DataFrame) -> anyhow::Result<Vec<i32>> {
    let months = top
        .column("month")?
        .unique_stable()?
        .sort(Default::default())?;
    Ok(months.i32()?.into_no_null_iter().collect())
}

/// The two months C11 compares: the requested pair (`--months`), which must be
/// present, else the last two present; `None` when fewer than two are present.
///
/// # Errors
/// When a requested month is not present; the message lists those that are.
pub fn choose_months(
    present: &[i32],
    requested: Option<(i32, i32)>,
) -> anyhow::Result<Option<(i32, i32)>> {
    match requested {
        Some((first, second)) => {
            for month in [first, second] {
                if !present.contains(&month) {
                    anyhow::bail!(
                        "the month {month} has no search logs; present: {}. Consider another --months pair",
                        present.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
                    );
                }
            }
            Ok(Some((first, second)))
        }
        None if present.len() >= 2 => Ok(Some((
            present[present.len() - 2],
            present[present.len() - 1],
        ))),
        None => Ok(None),
    }
}

/// C12: one row per distinct link (contract, user_id) whose contract has a profile,
/// with the profile columns, then the trend columns (null when the user has none).
/// Sorted by contract, user_id.
pub fn customer_360(link: LazyFrame, profile: LazyFrame, trend: LazyFrame) -> LazyFrame {
    let mut columns = vec![col("contract"), col("user_id")];
    columns.extend(PROFILE_COLUMNS.iter().map(|c| col(*c)));
    columns.extend(TREND_COLUMNS.iter().map(|c| col(*c)));
    link.select([col("contract"), col("user_id")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .inner_join(profile, col("contract"), col("contract"))
        .left_join(trend, col("user_id"), col("user_id"))
        .select(columns)
        .sort(["contract", "user_id"], Default::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c11_defaults_to_the_last_two_months_and_checks_a_requested_pair() -> anyhow::Result<()> {
        assert_eq!(
            choose_months(&[202205, 202206, 202207], None)?,
            Some((202206, 202207))
        );
        assert_eq!(choose_months(&[202207], None)?, None);
        assert_eq!(
            choose_months(&[202205, 202206, 202207], Some((202205, 202206)))?,
            Some((202205, 202206))
        );
        let error = choose_months(&[202206, 202207], Some((202207, 202208))).unwrap_err();
        assert!(error.to_string().contains("202208"), "{error}");
        Ok(())
    }
}

//! Cohort matrices: each entity's first active month is its cohort, and every
//! cohort is followed month by month to the end of the data.

use polars::prelude::*;

use super::exact::ratio;
use super::join::{attach_single_row, keeping_left_order};
use super::trend::months_between;

/// Column names of a cohort matrix.
pub const COHORT: &str = "cohort";
pub const MONTH_OFFSET: &str = "month_offset";
pub const RETENTION: &str = "retention";

/// `entity`, `cohort`: each entity's first month in `activity`.
pub fn first_months(activity: LazyFrame, entity: &str, month: &str) -> LazyFrame {
    activity
        .group_by([col(entity)])
        .agg([col(month).min().alias(COHORT)])
}

/// The retention matrix of `activity`, rows of (entity, `month` as `yyyymm`) meaning
/// "the entity was active that month" (repeats allowed). For each cohort and every
/// offset k from 0 to the last month − cohort: `count_name` = cohort members active in
/// month cohort + k, and `retention` = that count / the cohort's size. Offset 0 is
/// the whole cohort. `last_month` is one row whose one column is the last month of
/// the data (`yyyymm`, Int32), as an aggregation gives it, so the matrix stays one plan
/// over the data. Columns `cohort`, `month_offset` (Int32), `count_name` (Int64),
/// `retention` (Float64, one correctly rounded division: [`ratio`]), sorted by cohort
/// and offset.
pub fn cohort_retention(
    activity: LazyFrame,
    entity: &str,
    month: &str,
    last_month: LazyFrame,
    count_name: &str,
) -> LazyFrame {
    const SIZE: &str = "__cohort_size";
    const LAST: &str = "__last_month";
    let active = activity
        .select([col(entity), col(month)])
        .unique(None, UniqueKeepStrategy::Any);
    let cohorts = first_months(active.clone(), entity, month);
    let sizes = cohorts
        .clone()
        .group_by([col(COHORT)])
        .agg([len().cast(DataType::Int64).alias(SIZE)]);
    // One row: its max is its value, whatever the engine's row order.
    let last_month = last_month.select([all().as_expr().max().alias(LAST)]);
    let grid = attach_single_row(sizes, last_month)
        .with_column(
            int_ranges(
                lit(0),
                months_between(col(COHORT), col(LAST)) + lit(1),
                lit(1),
                DataType::Int32,
            )
            .alias(MONTH_OFFSET),
        )
        .explode(
            cols([MONTH_OFFSET]),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        );
    let counts = active
        .inner_join(cohorts, col(entity), col(entity))
        .with_column(months_between(col(COHORT), col(month)).alias(MONTH_OFFSET))
        .group_by([col(COHORT), col(MONTH_OFFSET)])
        .agg([len().cast(DataType::Int64).alias(count_name)]);
    grid.join(
        counts,
        [col(COHORT), col(MONTH_OFFSET)],
        [col(COHORT), col(MONTH_OFFSET)],
        keeping_left_order(JoinType::Left),
    )
    .with_column(col(count_name).fill_null(lit(0i64)))
    .with_column(ratio(col(count_name), col(SIZE)).alias(RETENTION))
    .select([
        col(COHORT),
        col(MONTH_OFFSET),
        col(count_name),
        col(RETENTION),
    ])
    .sort([COHORT, MONTH_OFFSET], Default::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cohort_is_followed_to_the_last_month_with_zeros() -> PolarsResult<()> {
        // a, b start in 201011; c in 201012. In 201012 only a returns (b is absent);
        // in 201101 a and c are active. d is active twice in 201101, its first month.
        let activity = df!(
            "who" => ["a", "b", "a", "c", "a", "c", "d", "d", "a"],
            "month" => [201011, 201011, 201012, 201012, 201101, 201101, 201101, 201101, 201011],
        )?;
        let out = cohort_retention(
            activity.lazy(),
            "who",
            "month",
            df!("month" => [201101])?.lazy(),
            "customers",
        )
        .collect()?;
        assert_eq!(
            out.get_column_names(),
            ["cohort", "month_offset", "customers", "retention"]
        );
        let cohorts: Vec<i32> = out.column("cohort")?.i32()?.into_no_null_iter().collect();
        let offsets: Vec<i32> = out
            .column("month_offset")?
            .i32()?
            .into_no_null_iter()
            .collect();
        let counts: Vec<i64> = out
            .column("customers")?
            .i64()?
            .into_no_null_iter()
            .collect();
        let retention: Vec<f64> = out
            .column("retention")?
            .f64()?
            .into_no_null_iter()
            .collect();
        assert_eq!(cohorts, [201011, 201011, 201011, 201012, 201012, 201101]);
        assert_eq!(offsets, [0, 1, 2, 0, 1, 0]);
        assert_eq!(counts, [2, 1, 1, 1, 1, 1]);
        assert_eq!(retention, [1.0, 0.5, 0.5, 1.0, 1.0, 1.0]);
        Ok(())
    }
}

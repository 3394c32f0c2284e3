//! Quantile-based scores: SQL's `ntile`, as positions in an explicit total order.

use polars::prelude::*;

use super::rank::{rank_within, SortKey};

/// SQL's `ntile(buckets)` of the row at 0-based `position` among `count` rows: the
/// rows split into `buckets` groups in order, and with n rows the first n mod
/// `buckets` groups hold one row more than the others (⌊n / buckets⌋). 1-based, Int64;
/// with fewer rows than buckets each row is its own group.
pub fn ntile_of_position(position: Expr, count: Expr, buckets: u32) -> Expr {
    let buckets = lit(buckets.max(1) as i64);
    let position = position.cast(DataType::Int64);
    let count = count.cast(DataType::Int64);
    let short = count.clone().floor_div(buckets.clone());
    let long_groups = count % buckets;
    let long_rows = long_groups.clone() * (short.clone() + lit(1i64));
    // `short` is 0 only when every row sits in a long group, so the second branch
    // never divides by it; the guard keeps the unused branch defined.
    let short_or_one = when(short.clone().gt(lit(0i64)))
        .then(short.clone())
        .otherwise(lit(1i64));
    when(position.clone().lt(long_rows.clone()))
        .then(position.clone().floor_div(short + lit(1i64)))
        .otherwise(long_groups + (position - long_rows).floor_div(short_or_one))
        + lit(1i64)
}

/// Adds `name`: the `ntile(buckets)` of each row when the rows are sorted by `order`
/// (make the last key unique, for example an id, so that ties are broken). The result
/// is sorted by `order`.
///
/// # Errors
/// Never while planning; a missing `order` column fails when the plan runs.
pub fn ntile(
    lf: LazyFrame,
    order: &[SortKey],
    buckets: u32,
    name: &str,
) -> PolarsResult<LazyFrame> {
    const POSITION: &str = "__ntile_position";
    Ok(rank_within(lf, &[], order, POSITION)?
        .with_column(ntile_of_position(col(POSITION) - lit(1u32), len(), buckets).alias(name))
        .drop(cols([POSITION])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ntiles(n: i64, buckets: u32) -> PolarsResult<Vec<i64>> {
        let df = df!("p" => (0..n).collect::<Vec<_>>())?;
        let out = df
            .lazy()
            .select([ntile_of_position(col("p"), len(), buckets).alias("t")])
            .collect()?;
        Ok(out.column("t")?.i64()?.into_no_null_iter().collect())
    }

    #[test]
    fn the_first_n_mod_buckets_groups_get_one_row_more() -> PolarsResult<()> {
        // 7 rows in 5 groups: sizes 2, 2, 1, 1, 1.
        assert_eq!(ntiles(7, 5)?, [1, 1, 2, 2, 3, 4, 5]);
        // 12 rows: sizes 3, 3, 2, 2, 2.
        assert_eq!(ntiles(12, 5)?, [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5]);
        // 10 rows: even groups of 2.
        assert_eq!(ntiles(10, 5)?, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Fewer rows than groups: one row each.
        assert_eq!(ntiles(3, 5)?, [1, 2, 3]);
        assert_eq!(ntiles(1, 5)?, [1]);
        Ok(())
    }

    #[test]
    fn ties_in_the_value_are_broken_by_the_next_key() -> PolarsResult<()> {
        let df = df!(
            "id" => [4i64, 2, 3, 1, 5, 6],
            "value" => [5.0, 5.0, 1.0, 9.0, 5.0, 0.5],
        )?;
        let out = ntile(
            df.lazy(),
            &[SortKey::asc("value"), SortKey::asc("id")],
            3,
            "tile",
        )?
        .sort(["id"], Default::default())
        .collect()?;
        // Order: 6 (0.5), 3 (1.0), 2, 4, 5 (5.0, by id), 1 (9.0) → tiles 1 1 2 2 3 3.
        let tiles: Vec<i64> = out.column("tile")?.i64()?.into_no_null_iter().collect();
        assert_eq!(tiles, [3, 2, 1, 2, 3, 1]);
        Ok(())
    }
}

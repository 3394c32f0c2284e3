//! Distinct counts per key as two plain group-bys: one on the (key, value) pairs,
//! then a count per key. Both are aggregations the streaming engine runs natively;
//! the state it holds is the distinct pairs. (On 30M content rows, plain group-bys
//! like these, collected one at a time, halved the profile stage's peak memory
//! compared with `n_unique` and conditional sums inside one group-by.)

use polars::prelude::*;

/// `key`, `name`: the number of distinct non-null `column` values per `key`.
pub fn distinct_count(lf: LazyFrame, key: &str, column: &str, name: &str) -> LazyFrame {
    lf.select([col(key), col(column)])
        .filter(col(column).is_not_null())
        .group_by([col(key), col(column)])
        .agg([])
        .group_by([col(key)])
        .agg([len().cast(DataType::Int64).alias(name)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_value_once_per_key_and_ignores_nulls() -> PolarsResult<()> {
        let df = df!(
            "k" => ["a", "a", "a", "b", "b"],
            "v" => [Some("x"), Some("x"), Some("y"), None, Some("x")],
        )?;
        let out = distinct_count(df.lazy(), "k", "v", "n")
            .sort(["k"], Default::default())
            .collect()?;
        assert_eq!(
            out.column("n")?
                .i64()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [2, 1]
        );
        Ok(())
    }
}

//! Distinct counts per key that stream: a group-by on the (key, value) pairs, then a
//! count per key, so that memory holds the distinct pairs rather than the rows.
//! (`n_unique` inside a group-by makes Polars' streaming engine fall back to
//! materialising its whole input.)

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

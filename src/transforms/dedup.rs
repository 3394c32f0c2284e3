//! Keep-first deduplication.

use polars::prelude::*;

/// Keeps, for each combination of `keys`, the row with the smallest `order` value
/// (the first occurrence). Rows with a null key are kept as one group per null
/// combination, like any other value.
///
/// # Errors
/// Never while planning; a missing `keys` or `order` column fails when the plan runs.
pub fn keep_first(lf: LazyFrame, keys: &[&str], order: &str) -> PolarsResult<LazyFrame> {
    let keys: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    Ok(lf.filter(col(order).eq(col(order).min().over(keys)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_occurrence_of_each_key() -> PolarsResult<()> {
        let df = df!(
            "row_nr" => [3u32, 0, 1, 2, 4],
            "id" => ["b", "a", "b", "a", "c"],
            "v" => [30, 0, 10, 20, 40],
        )?;
        let out = keep_first(df.lazy(), &["id"], "row_nr")?
            .sort(["row_nr"], Default::default())
            .collect()?;
        assert_eq!(crate::values::texts(&out, "id", "<null>")?, ["a", "b", "c"]);
        assert_eq!(
            out.column("v")?
                .i32()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [0, 10, 40]
        );
        Ok(())
    }
}

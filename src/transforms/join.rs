//! Joins that the DSL has no one-word name for.

use polars::prelude::*;

const ONE: &str = "__single_row_key";

/// Join arguments of kind `how` that keep the left frame's row order.
pub fn keeping_left_order(how: JoinType) -> JoinArgs {
    JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(how)
    }
}

/// Adds the columns of the single-row frame `scalars` to every row of `lf` (a cross
/// join with one row, done as an equi-join on a constant so that it streams).
pub fn attach_single_row(lf: LazyFrame, scalars: LazyFrame) -> LazyFrame {
    lf.with_column(lit(true).alias(ONE))
        .join(
            scalars.with_column(lit(true).alias(ONE)),
            [col(ONE)],
            [col(ONE)],
            keeping_left_order(JoinType::Inner),
        )
        .drop(cols([ONE]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_gets_the_scalars() -> PolarsResult<()> {
        let rows = df!("title" => ["a", "b"], "devices" => [1u32, 3])?;
        let total = df!("total" => [4u32])?;
        let out = attach_single_row(rows.lazy(), total.lazy()).collect()?;
        assert_eq!(out.get_column_names(), ["title", "devices", "total"]);
        assert_eq!(
            out.column("total")?
                .u32()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [4, 4]
        );
        Ok(())
    }
}

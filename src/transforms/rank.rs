//! Row numbers and top-k within groups, with explicit tie-breaks.
//!
//! Ranks are row numbers 1, 2, 3 … (no shared ranks): the sort keys decide the order
//! and the last key should make it total (for example the item's name).

use polars::prelude::*;

/// One sort key: a column and its direction. Nulls sort last either way.
#[derive(Clone, Copy, Debug)]
pub struct SortKey<'a> {
    pub column: &'a str,
    pub descending: bool,
}

impl<'a> SortKey<'a> {
    pub fn asc(column: &'a str) -> Self {
        SortKey {
            column,
            descending: false,
        }
    }
    pub fn desc(column: &'a str) -> Self {
        SortKey {
            column,
            descending: true,
        }
    }
}

fn sorted_by_group_then(lf: LazyFrame, group: &[&str], order: &[SortKey]) -> LazyFrame {
    let mut by: Vec<PlSmallStr> = group.iter().map(|g| (*g).into()).collect();
    let mut descending = vec![false; group.len()];
    for key in order {
        by.push(key.column.into());
        descending.push(key.descending);
    }
    lf.sort(
        by,
        SortMultipleOptions::default()
            .with_order_descending_multi(descending)
            .with_nulls_last(true)
            .with_maintain_order(true),
    )
}

/// Adds `name` (UInt32): the row's position 1, 2, 3 … within its `group` under
/// `order`. The result is sorted by group, then rank.
///
/// # Errors
/// Never while planning; a missing `group` or `order` column fails when the plan runs.
pub fn rank_within(
    lf: LazyFrame,
    group: &[&str],
    order: &[SortKey],
    name: &str,
) -> PolarsResult<LazyFrame> {
    let position = int_range(lit(0), len(), 1, DataType::UInt32) + lit(1u32);
    let position = if group.is_empty() {
        position
    } else {
        position.over(group.iter().map(|g| col(*g)).collect::<Vec<_>>())?
    };
    Ok(sorted_by_group_then(lf, group, order).with_column(position.alias(name)))
}

/// The first `k` rows of each `group` under `order`, with their rank in `name`.
///
/// # Errors
/// As [`rank_within`].
pub fn top_k_within(
    lf: LazyFrame,
    group: &[&str],
    order: &[SortKey],
    k: u32,
    name: &str,
) -> PolarsResult<LazyFrame> {
    Ok(rank_within(lf, group, order, name)?.filter(col(name).lt_eq(lit(k))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_value_descending_then_name() -> PolarsResult<()> {
        let df = df!(
            "dma" => ["X", "X", "X", "Y", "Y"],
            "genre" => ["Drama", "Comedy", "News", "News", "Drama"],
            "reach" => [5u32, 5, 7, 1, 2],
        )?;
        let order = [SortKey::desc("reach"), SortKey::asc("genre")];
        let out = rank_within(df.lazy(), &["dma"], &order, "genre_rank")?.collect()?;
        assert_eq!(
            crate::values::texts(&out, "genre", "<null>")?,
            ["News", "Comedy", "Drama", "Drama", "News"]
        );
        assert_eq!(
            out.column("genre_rank")?
                .u32()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [1, 2, 3, 1, 2]
        );
        Ok(())
    }

    #[test]
    fn top_k_keeps_k_rows_per_group_and_whole_frame_without_group() -> PolarsResult<()> {
        let df = df!("name" => ["a", "b", "c", "d"], "n" => [1, 3, 3, 2])?;
        let order = [SortKey::desc("n"), SortKey::asc("name")];
        let out = top_k_within(df.lazy(), &[], &order, 2, "rank")?.collect()?;
        assert_eq!(crate::values::texts(&out, "name", "<null>")?, ["b", "c"]);
        Ok(())
    }
}

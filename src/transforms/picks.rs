//! Exclusive top-k picks.
//!
//! Groups take turns in a given order; each takes its `k` best items (by rank) among
//! those no earlier group has taken. This is the "each wealthy market claims its own
//! genres" rule, stated for any group and item.

use polars::prelude::*;

use super::rank::{top_k_within, SortKey};

/// Walks the groups of `groups_in_order` (column `group`, in its row order; other
/// columns are ignored, and may hold the keys that order is sorted on; at most
/// `max_groups` of them are walked); each picks up to `k` items of `ranked` (columns
/// `group`, `item`, `rank`), best rank first (ties: item ascending), skipping items
/// taken by earlier groups. Output: `group`, `item`, `pick` (1 … k, the pick order),
/// in walk order. A group with nothing left to pick has no rows.
///
/// The walk is planned, not run: group `i` is row `i` of `groups_in_order`, so the
/// whole rule stays one plan (a frame in a known row order, which an engine with
/// unordered relations can run when that order is a sort).
///
/// # Errors
/// Never while planning; a missing `group`, `item` or `rank` column fails when the plan
/// runs.
pub fn exclusive_picks(
    ranked: LazyFrame,
    group: &str,
    item: &str,
    rank: &str,
    groups_in_order: LazyFrame,
    max_groups: u32,
    k: u32,
) -> PolarsResult<LazyFrame> {
    let order = [SortKey::asc(rank), SortKey::asc(item)];
    let mut taken: Option<LazyFrame> = None;
    let mut parts = Vec::with_capacity(max_groups as usize);
    for position in 0..max_groups {
        let this_group = groups_in_order
            .clone()
            .slice(i64::from(position), 1)
            .select([col(group)]);
        let mut candidates = ranked.clone().semi_join(this_group, col(group), col(group));
        if let Some(taken) = &taken {
            candidates = candidates.anti_join(taken.clone(), col(item), col(item));
        }
        let picks = top_k_within(candidates, &[], &order, k, "pick")?
            .select([col(group), col(item), col("pick")])
            .cache();
        let picked_items = picks.clone().select([col(item)]);
        taken = Some(match taken {
            Some(previous) => concat([previous, picked_items], UnionArgs::default())?.cache(),
            None => picked_items,
        });
        parts.push(picks);
    }
    if parts.is_empty() {
        return Ok(ranked
            .select([col(group), col(item), lit(0u32).alias("pick")])
            .limit(0));
    }
    concat(
        parts,
        UnionArgs {
            parallel: false,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_groups_skip_items_taken_earlier() -> PolarsResult<()> {
        let ranked = df!(
            "dma" => ["X", "X", "X", "Y", "Y", "Y", "Z"],
            "genre" => ["News", "Drama", "Sports", "Drama", "News", "Kids", "News"],
            "rank" => [1u32, 2, 3, 1, 2, 3, 1],
        )?;
        let order = df!("dma" => ["Y", "X", "Z"])?;
        let out = exclusive_picks(ranked.lazy(), "dma", "genre", "rank", order.lazy(), 5, 2)?
            .collect()?;
        // Y takes Drama, News; X has only Sports left; Z's News is gone.
        let expected = df!(
            "dma" => ["Y", "Y", "X"],
            "genre" => ["Drama", "News", "Sports"],
            "pick" => [1u32, 2, 1],
        )?;
        assert!(out.equals(&expected), "{out}");
        Ok(())
    }
}

//! Clashing-record resolution.
//!
//! One key can appear with several values of a field (a program code with two
//! titles). [`most_frequent`] picks, per key, the value seen on the most rows, ties
//! going to the smallest value; [`clash_report`] lists every key that has more than
//! one distinct value, with the chosen value, the number of variants and the key's
//! row count.

use polars::prelude::*;

/// Per key: the value of `field` seen on the most rows (ties: the smallest value).
/// Output columns: `key`, `field`. Null values are not candidates.
pub fn most_frequent(lf: LazyFrame, key: &str, field: &str) -> LazyFrame {
    lf.filter(col(field).is_not_null())
        .group_by([col(key), col(field)])
        .agg([len().alias("__rows")])
        .group_by([col(key)])
        .agg([col(field)
            .sort_by(
                [col("__rows"), col(field)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .first()])
}

/// Every key with more than one distinct non-null value of `field`: `key`, `field`
/// (the field's name), `chosen` (per [`most_frequent`]), `variants` (distinct
/// values) and `rows` (all rows of the key). Sorted by key.
pub fn clash_report(lf: LazyFrame, key: &str, field: &str) -> LazyFrame {
    let stats = lf.clone().group_by([col(key)]).agg([
        col(field)
            .drop_nulls()
            .n_unique()
            .cast(DataType::UInt32)
            .alias("variants"),
        len().cast(DataType::UInt32).alias("rows"),
    ]);
    stats
        .filter(col("variants").gt(lit(1u32)))
        .left_join(
            most_frequent(lf, key, field).select([col(key), col(field).alias("chosen")]),
            col(key),
            col(key),
        )
        .select([
            col(key),
            lit(field).alias("field"),
            col("chosen"),
            col("variants"),
            col("rows"),
        ])
        .sort([key], Default::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs() -> PolarsResult<DataFrame> {
        df!(
            "code" => ["P1", "P1", "P1", "P2", "P2", "P3", "P3", "P3"],
            "title" => [Some("B"), Some("A"), Some("B"), Some("Z"), Some("Y"), Some("Q"), None, Some("Q")],
        )
    }

    #[test]
    fn picks_the_most_frequent_value_and_breaks_ties_by_smallest() -> PolarsResult<()> {
        let out = most_frequent(programs()?.lazy(), "code", "title")
            .sort(["code"], Default::default())
            .collect()?;
        // P1: B twice beats A once; P2: Y and Z once each, Y is smaller; P3: Q (null ignored).
        assert_eq!(
            crate::values::texts(&out, "title", "<null>")?,
            ["B", "Y", "Q"]
        );
        Ok(())
    }

    #[test]
    fn reports_only_keys_with_several_values() -> PolarsResult<()> {
        let out = clash_report(programs()?.lazy(), "code", "title").collect()?;
        let expected = df!(
            "code" => ["P1", "P2"],
            "field" => ["title", "title"],
            "chosen" => ["B", "Y"],
            "variants" => [2u32, 2],
            "rows" => [3u32, 2],
        )?;
        assert!(out.equals_missing(&expected), "{out}");
        Ok(())
    }
}

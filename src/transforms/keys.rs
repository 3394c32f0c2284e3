//! Dictionary-encoding text keys as small integers.
//!
//! A large aggregation on text keys (millions of device × program pairs) hashes and
//! stores every string; on integer keys it needs a fraction of the memory. A
//! dictionary maps each distinct value, in sorted order, to a `UInt32` key, so the
//! keys are the same on every run; [`encode`] and [`decode`] swap a column between
//! its values and its keys, keeping the column's name.

use polars::prelude::*;

/// The dictionary's key column.
pub const KEY: &str = "__key";

/// Every distinct non-null value of `column`, sorted, with its key in `__key`.
pub fn dictionary(lf: LazyFrame, column: &str) -> LazyFrame {
    lf.select([col(column)])
        .filter(col(column).is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
        .sort([column], Default::default())
        .with_row_index(KEY, None)
        .with_column(col(KEY).cast(DataType::UInt32))
}

fn small_right_side() -> JoinArgs {
    JoinArgs::new(JoinType::Inner).with_build_side(Some(JoinBuildSide::PreferRight))
}

/// Replaces the values of `column` by their keys; rows whose value is not in the
/// dictionary are dropped.
pub fn encode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    lf.join(dictionary, [col(column)], [col(column)], small_right_side())
        .with_column(col(KEY).alias(column))
        .drop(cols([KEY]))
}

/// Replaces the keys in `column` by their values.
pub fn decode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    let values = dictionary.select([col(KEY).alias(column), col(column).alias("__value")]);
    lf.join(values, [col(column)], [col(column)], small_right_side())
        .with_column(col("__value").alias(column))
        .drop(cols(["__value"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_sorted_order_and_decodes_back() -> PolarsResult<()> {
        let df = df!("device" => ["b", "a", "b", "c"], "n" => [1, 2, 3, 4])?;
        let dict = dictionary(df.clone().lazy(), "device").collect()?;
        assert_eq!(crate::values::texts(&dict, "device", "-")?, ["a", "b", "c"]);
        let encoded = encode(df.lazy(), dict.clone().lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(encoded.column("device")?.dtype(), &DataType::UInt32);
        assert_eq!(crate::values::u64s(&encoded, "device", 99)?, [1, 0, 1, 2]);
        let decoded = decode(encoded.lazy(), dict.lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(
            crate::values::texts(&decoded, "device", "-")?,
            ["b", "a", "b", "c"]
        );
        Ok(())
    }
}

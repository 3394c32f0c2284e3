//! Statistics as null-safe expressions, and the summary of a distribution.

use polars::prelude::*;

use super::exact::exact_mean;

/// The grade of a 0-based `position` among `count` items: the letter of `grades` at
/// index `floor(len(grades) · position / count)`, so that the grades split the items
/// into equal bands in order (`"ABCD"`: quarters).
pub fn grade_by_position(position: Expr, count: Expr, grades: &str) -> Expr {
    let bands = grades.chars().count() as i64;
    let band = (position.cast(DataType::Int64) * lit(bands)).floor_div(count.cast(DataType::Int64));
    lit(grades).str().slice(band, lit(1))
}

/// One row describing the non-null values of the integer `column`: `count` (Int64),
/// `min`, `max`, `median` (the mean of the two middle values when their number is
/// even), `mode` (the most frequent value, the smallest on ties) and `mean` (the
/// exact sum over the count, [`exact_mean`], so the same bits in any row order).
/// Median and mean are Float64; the others keep the column's type.
///
/// # Errors
/// When `column` is missing or not an integer column.
pub fn distribution_summary(mut lf: LazyFrame, column: &str) -> PolarsResult<LazyFrame> {
    let dtype = lf.collect_schema()?.try_get(column)?.clone();
    polars_ensure!(
        dtype.is_integer(),
        InvalidOperation: "distribution_summary needs an integer column, but `{}` is {}. Consider summarising whole units",
        column, dtype
    );
    let value = col(column);
    let present = lf.filter(value.clone().is_not_null());
    let stats = present.clone().select([
        len().cast(DataType::Int64).alias("count"),
        value.clone().min().alias("min"),
        value.clone().max().alias("max"),
        value
            .clone()
            .cast(DataType::Float64)
            .median()
            .alias("median"),
        exact_mean(value.clone()).alias("mean"),
    ]);
    // The mode from each value's count: most frequent first, then smallest. A group
    // and a sort rather than a window inside an aggregate, which SQL cannot say.
    const FREQUENCY: &str = "__frequency";
    let mode = present
        .group_by([value.clone()])
        .agg([len().alias(FREQUENCY)])
        .select([value
            .sort_by(
                [col(FREQUENCY), col(column)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .first()
            .alias("mode")]);
    Ok(
        concat_lf_horizontal([stats, mode], Default::default())?.select([
            col("count"),
            col("min"),
            col("max"),
            col("median"),
            col("mode"),
            col("mean"),
        ]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_split_positions_into_quarters() -> PolarsResult<()> {
        let df = df!("i" => [0i64, 1, 2, 3, 4, 5, 6])?;
        let out = df
            .lazy()
            .select([grade_by_position(col("i"), lit(7), "ABCD").alias("g")])
            .collect()?;
        // floor(4i/7): 0,0,1,1,2,2,3
        assert_eq!(
            crate::values::texts(&out, "g", "<null>")?,
            ["A", "A", "B", "B", "C", "C", "D"]
        );
        Ok(())
    }

    #[test]
    fn a_distribution_is_summarised_with_the_smallest_mode() -> PolarsResult<()> {
        // 1 and 4 both occur twice: the mode is 1. Six values 1 1 3 4 4 9: the
        // median is (3 + 4) / 2 = 3.5; the mean 22 / 6.
        let df = df!("n" => [Some(4i64), Some(1), Some(9), None, Some(4), Some(1), Some(3)])?;
        let out = distribution_summary(df.lazy(), "n")?.collect()?;
        assert_eq!(
            out.get_column_names(),
            ["count", "min", "max", "median", "mode", "mean"]
        );
        let row = out.get_row(0)?.0;
        assert_eq!(
            row,
            [
                AnyValue::Int64(6),
                AnyValue::Int64(1),
                AnyValue::Int64(9),
                AnyValue::Float64(3.5),
                AnyValue::Int64(1),
                AnyValue::Float64(22.0 / 6.0),
            ]
        );
        Ok(())
    }
}

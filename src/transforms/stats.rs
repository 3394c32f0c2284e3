//! Statistics as null-safe expressions, and the summary of a distribution.

use polars::prelude::*;

/// Pearson correlation of `x` and `y` over the rows where both are non-null; null
/// when fewer than two such rows remain or either side is constant (zero variance).
/// For use in an aggregation context. The pairs are summed in the order of `order`
/// (a key unique within the group), so that the floating-point result does not depend
/// on the order rows arrive in.
pub fn pearson_or_null(x: Expr, y: Expr, order: Expr) -> Expr {
    let both = x.clone().is_not_null().and(y.clone().is_not_null());
    let xs = x
        .sort_by([order.clone()], Default::default())
        .filter(both.clone().sort_by([order.clone()], Default::default()));
    let ys = y
        .sort_by([order.clone()], Default::default())
        .filter(both.sort_by([order], Default::default()));
    let undefined = xs
        .clone()
        .len()
        .lt(lit(2))
        .or(xs.clone().n_unique().lt(lit(2)))
        .or(ys.clone().n_unique().lt(lit(2)));
    when(undefined)
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(pearson_corr(
            xs.cast(DataType::Float64),
            ys.cast(DataType::Float64),
        ))
}

/// The grade of a 0-based `position` among `count` items: the letter of `grades` at
/// index `floor(len(grades) · position / count)`, so that the grades split the items
/// into equal bands in order (`"ABCD"`: quarters).
pub fn grade_by_position(position: Expr, count: Expr, grades: &str) -> Expr {
    let bands = grades.chars().count() as i64;
    let band = (position.cast(DataType::Int64) * lit(bands)).floor_div(count.cast(DataType::Int64));
    lit(grades).str().slice(band, lit(1))
}

/// One row describing the non-null values of `column`: `count` (Int64), `min`,
/// `max`, `median` (the mean of the two middle values when their number is even),
/// `mode` (the most frequent value, the smallest on ties) and `mean`. Median and mean
/// are Float64; the others keep the column's type.
pub fn distribution_summary(lf: LazyFrame, column: &str) -> PolarsResult<LazyFrame> {
    let value = col(column);
    let frequency = len().over([value.clone()])?;
    Ok(lf.filter(value.clone().is_not_null()).select([
        len().cast(DataType::Int64).alias("count"),
        value.clone().min().alias("min"),
        value.clone().max().alias("max"),
        value
            .clone()
            .cast(DataType::Float64)
            .median()
            .alias("median"),
        value
            .clone()
            .filter(frequency.clone().eq(frequency.max()))
            .min()
            .alias("mode"),
        value.cast(DataType::Float64).mean().alias("mean"),
    ]))
}

/// `value` as a whole number of 10^−`decimals` units (Int64), rounded half away from
/// zero. Summing such units is exact, so unlike a float sum the total does not depend
/// on the order rows arrive in; [`from_fixed_units`] turns a sum back into a number.
pub fn to_fixed_units(value: Expr, decimals: u32) -> Expr {
    (value.cast(DataType::Float64) * lit(10f64.powi(decimals as i32)))
        .round(0, RoundMode::HalfAwayFromZero)
        .cast(DataType::Int64)
}

/// A number of 10^−`decimals` units (see [`to_fixed_units`]) as a Float64 value.
pub fn from_fixed_units(units: Expr, decimals: u32) -> Expr {
    units.cast(DataType::Float64) / lit(10f64.powi(decimals as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_is_exact_on_a_line_and_null_when_undefined() -> PolarsResult<()> {
        let df = df!(
            "i" => (0..9).collect::<Vec<i32>>(),
            "g" => ["line", "line", "line", "flat", "flat", "one", "anti", "anti", "anti"],
            "x" => [Some(1.0), Some(2.0), Some(3.0), Some(1.0), Some(2.0), Some(1.0), Some(1.0), Some(2.0), None],
            "y" => [2.0, 4.0, 6.0, 5.0, 5.0, 1.0, 3.0, 1.0, 9.0],
        )?;
        let out = df
            .lazy()
            .group_by([col("g")])
            .agg([pearson_or_null(col("x"), col("y"), col("i")).alias("r")])
            .sort(["g"], Default::default())
            .collect()?;
        let r: Vec<Option<f64>> = out.column("r")?.f64()?.iter().collect();
        // anti: (1,3),(2,1) → −1; flat: y constant → null; line → 1; one: a single pair → null.
        assert_eq!(r.len(), 4);
        assert!((r[0].unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(r[1], None);
        assert!((r[2].unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(r[3], None);
        Ok(())
    }

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

    #[test]
    fn fixed_unit_sums_are_exact_in_any_order() -> PolarsResult<()> {
        // 0.1 + 0.2 is 0.30000000000000004 in floats; in units of 10^-4 it is 0.3.
        let df = df!("q" => [1i64, 2, -3], "p" => [0.1, 0.1, 0.1])?;
        let sum = |df: DataFrame| -> PolarsResult<f64> {
            let out = df
                .lazy()
                .select([from_fixed_units(
                    to_fixed_units(col("q").cast(DataType::Float64) * col("p"), 4).sum(),
                    4,
                )
                .alias("s")])
                .collect()?;
            Ok(out.column("s")?.f64()?.get(0).unwrap_or(f64::NAN))
        };
        assert_eq!(sum(df.clone())?, 0.0);
        assert_eq!(sum(df.head(Some(2)))?, 0.3);
        let halves = df!("v" => [-2.5, 2.5, 0.5])?
            .lazy()
            .select([to_fixed_units(col("v"), 0).alias("u")])
            .collect()?;
        let units: Vec<i64> = halves.column("u")?.i64()?.into_no_null_iter().collect();
        assert_eq!(units, [-3, 3, 1], "halves round away from zero");
        Ok(())
    }
}

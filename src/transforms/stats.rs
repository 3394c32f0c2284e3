//! Statistics as null-safe expressions.

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
}

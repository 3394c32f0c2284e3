//! Month keys and change detection between two periods of a keyed value.

use polars::prelude::*;

/// The month of a date or datetime as the integer `yyyymm`.
pub fn month_key(date: Expr) -> Expr {
    (date.clone().dt().year() * lit(100) + date.dt().month().cast(DataType::Int32))
        .cast(DataType::Int32)
        .alias("month")
}

/// The `yyyymm` month after `month`.
pub fn next_month(month: i32) -> i32 {
    if month % 100 >= 12 {
        (month / 100 + 1) * 100 + 1
    } else {
        month + 1
    }
}

/// Keys present in both periods, with each of `columns` side by side: `<c>_m1` from
/// `first`, `<c>_m2` from `second`. `lf` holds one row per (key, period); the
/// result is sorted by `key`.
pub fn compare_periods(
    lf: LazyFrame,
    key: &str,
    period: &str,
    first: i32,
    second: i32,
    columns: &[&str],
) -> LazyFrame {
    let side = |value: i32, suffix: &str| {
        let mut exprs = vec![col(key)];
        exprs.extend(
            columns
                .iter()
                .map(|c| col(*c).alias(format!("{c}_{suffix}"))),
        );
        lf.clone().filter(col(period).eq(lit(value))).select(exprs)
    };
    side(first, "m1")
        .join(
            side(second, "m2"),
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Inner),
        )
        .sort([key], Default::default())
}

/// `Unchanged` when `before` equals `after`, else `Changed`.
pub fn change_kind(before: Expr, after: Expr) -> Expr {
    when(before.eq_missing(after))
        .then(lit("Unchanged"))
        .otherwise(lit("Changed"))
}

/// `Unchanged` when `before` equals `after`, else `"<before> -> <after>"`.
pub fn transition(before: Expr, after: Expr) -> Expr {
    when(before.clone().eq_missing(after.clone()))
        .then(lit("Unchanged"))
        .otherwise(concat_str([before, lit(" -> "), after], "", false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_the_year() {
        assert_eq!(next_month(202206), 202207);
        assert_eq!(next_month(202212), 202301);
    }

    #[test]
    fn month_keys_of_dates() -> PolarsResult<()> {
        let df = df!("d" => ["2022-06-30", "2023-01-01"])?;
        let out = df
            .lazy()
            .select([month_key(col("d").cast(DataType::Date))])
            .collect()?;
        assert_eq!(
            out.column("month")?
                .i32()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [202206, 202301]
        );
        Ok(())
    }

    #[test]
    fn only_keys_in_both_periods_are_compared() -> PolarsResult<()> {
        let df = df!(
            "user" => ["u2", "u1", "u1", "u2", "u3", "u1"],
            "month" => [202207, 202206, 202207, 202206, 202207, 202205],
            "cat" => ["A", "A", "A", "B", "C", "Z"],
        )?;
        let out = compare_periods(df.lazy(), "user", "month", 202206, 202207, &["cat"])
            .with_columns([
                change_kind(col("cat_m1"), col("cat_m2")).alias("kind"),
                transition(col("cat_m1"), col("cat_m2")).alias("previous"),
            ])
            .collect()?;
        assert_eq!(crate::values::texts(&out, "user", "")?, ["u1", "u2"]);
        assert_eq!(
            crate::values::texts(&out, "kind", "")?,
            ["Unchanged", "Changed"]
        );
        assert_eq!(
            crate::values::texts(&out, "previous", "")?,
            ["Unchanged", "B -> A"]
        );
        Ok(())
    }
}

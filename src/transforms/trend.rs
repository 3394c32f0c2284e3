//! Month keys and their arithmetic, growth over the previous month, and change
//! detection between two periods of a keyed value.

use polars::prelude::*;

use super::exact::ratio;

/// The month of a date or datetime as the integer `yyyymm` (`Int32`, named `month`),
/// null where the input is; its year × 100 + its month, without Polars' per-row
/// calendar conversion. A date or a datetime without a time zone is split into
/// its civil year and month with integer arithmetic on its days since the epoch
/// ([`civil_year_month`]); a zoned datetime takes its local year and month from Polars.
pub fn month_key(date: Expr) -> Expr {
    let mut key = date.map(
        |dates| Ok(month_keys(dates.as_materialized_series())?.into_column()),
        |_, field| Ok(Field::new(field.name().clone(), DataType::Int32)),
    );
    // Named, so that a plan's translation to another engine knows what it computes
    // (`remote::sql`: year × 100 + month).
    if let Expr::AnonymousFunction { fmt_str, .. } = &mut key {
        **fmt_str = PlSmallStr::from_static(MONTH_KEY);
    }
    key.alias("month")
}

/// The plan name of [`month_key`]'s kernel.
pub const MONTH_KEY: &str = "smartview.month_key";

/// [`month_key`] of one column.
fn month_keys(dates: &Series) -> PolarsResult<Int32Chunked> {
    let days_per = |unit: &TimeUnit| match unit {
        TimeUnit::Nanoseconds => 86_400_000_000_000,
        TimeUnit::Microseconds => 86_400_000_000,
        TimeUnit::Milliseconds => 86_400_000,
    };
    let key = |days: i64| {
        let (year, month) = civil_year_month(days);
        // A year past ±21 million (only a millisecond timestamp reaches one) does
        // not fit `yyyymm`: null.
        i32::try_from(year * 100 + i64::from(month)).ok()
    };
    let keys: Int32Chunked = match dates.dtype() {
        DataType::Date => dates
            .date()?
            .phys
            .iter()
            .map(|days| days.and_then(|days| key(i64::from(days))))
            .collect(),
        DataType::Datetime(unit, None) => {
            let per_day = days_per(unit);
            dates
                .datetime()?
                .phys
                .iter()
                .map(|at| at.and_then(|at| key(at.div_euclid(per_day))))
                .collect()
        }
        _ => {
            let years = dates.year()?;
            let months = dates.month()?;
            years
                .iter()
                .zip(months.iter())
                .map(|(year, month)| Some(year? * 100 + i32::from(month?)))
                .collect()
        }
    };
    Ok(keys.with_name(dates.name().clone()))
}

/// The proleptic Gregorian year and month (1–12) of the day `days` after 1970-01-01
/// (negative before it): H. Hinnant's `civil_from_days`, exact for every day of a
/// Polars date or timestamp.
pub fn civil_year_month(days: i64) -> (i64, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32)
}

/// The `yyyymm` month after `month`.
pub fn next_month(month: i32) -> i32 {
    if month % 100 >= 12 {
        (month / 100 + 1) * 100 + 1
    } else {
        month + 1
    }
}

/// The month `yyyymm` as a count of months (year × 12 + month − 1), so that months
/// subtract: `month_index(201101) − month_index(201012) = 1`. Int32.
pub fn month_index(yyyymm: Expr) -> Expr {
    let yyyymm = yyyymm.cast(DataType::Int32);
    yyyymm.clone().floor_div(lit(100)) * lit(12) + yyyymm % lit(100) - lit(1)
}

/// The whole months from `from` to `to`, both `yyyymm`. Int32.
pub fn months_between(from: Expr, to: Expr) -> Expr {
    month_index(to) - month_index(from)
}

/// Adds `name`: the change of `value` from the previous calendar month in percent,
/// (value − previous) / previous × 100. Null when the previous month has no row (the
/// first month, or a gap) or its value is zero or null. `lf` holds one row per
/// `month` (`yyyymm`); its order is kept. The division is [`ratio`]'s, so the bits
/// do not depend on how the rows are split into morsels.
pub fn month_over_month_growth(lf: LazyFrame, month: &str, value: &str, name: &str) -> LazyFrame {
    const INDEX: &str = "__month_index";
    const PREVIOUS: &str = "__previous_value";
    let previous = lf.clone().select([
        (month_index(col(month)) + lit(1)).alias(INDEX),
        col(value).cast(DataType::Float64).alias(PREVIOUS),
    ]);
    let current = col(value).cast(DataType::Float64);
    let growth = ratio(current - col(PREVIOUS), col(PREVIOUS)) * lit(100.0);
    lf.with_column(month_index(col(month)).alias(INDEX))
        .join(
            previous,
            [col(INDEX)],
            [col(INDEX)],
            super::join::keeping_left_order(JoinType::Left),
        )
        .with_column(
            when(col(PREVIOUS).neq(lit(0.0)))
                .then(growth)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(name),
        )
        .drop(cols([INDEX, PREVIOUS]))
}

/// The column names of a pair of periods ([`fixed_periods`], [`last_two_periods`]).
pub const FIRST_PERIOD: &str = "__first_period";
pub const SECOND_PERIOD: &str = "__second_period";

/// The two periods `first` and `second` as one row ([`compare_periods`]).
///
/// # Errors
/// Never in practice (a one-row frame of two Int32 columns).
pub fn fixed_periods(first: i32, second: i32) -> PolarsResult<LazyFrame> {
    Ok(df!(FIRST_PERIOD => [first], SECOND_PERIOD => [second])?.lazy())
}

/// The last two periods present in `lf`'s `period` column as one row, the first
/// null when fewer than two are present: a plan over the data, not a value read
/// from it.
pub fn last_two_periods(lf: LazyFrame, period: &str) -> LazyFrame {
    let periods = lf
        .select([col(period)])
        .unique(None, UniqueKeepStrategy::Any);
    let last = periods
        .clone()
        .select([col(period).max().alias(SECOND_PERIOD)]);
    super::join::attach_single_row(periods, last).select([
        col(period)
            .filter(col(period).lt(col(SECOND_PERIOD)))
            .max()
            .alias(FIRST_PERIOD),
        col(SECOND_PERIOD).max(),
    ])
}

/// Keys present in both periods, with each of `columns` side by side: `<c>_m1` from
/// the first period, `<c>_m2` from the second. `periods` is one row naming them
/// ([`fixed_periods`], [`last_two_periods`]); `lf` holds one row per (key, period);
/// the result is sorted by `key`.
pub fn compare_periods(
    lf: LazyFrame,
    key: &str,
    period: &str,
    periods: LazyFrame,
    columns: &[&str],
) -> LazyFrame {
    const CHOSEN: &str = "__chosen_period";
    let side = |which: &str, suffix: &str| {
        let mut exprs = vec![col(key)];
        exprs.extend(
            columns
                .iter()
                .map(|c| col(*c).alias(format!("{c}_{suffix}"))),
        );
        let chosen = periods.clone().select([col(which).alias(CHOSEN)]);
        super::join::attach_single_row(lf.clone(), chosen)
            .filter(col(period).eq(col(CHOSEN)))
            .select(exprs)
    };
    side(FIRST_PERIOD, "m1")
        .inner_join(side(SECOND_PERIOD, "m2"), col(key), col(key))
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

    /// By hand: the epoch, the day before it, a leap day, the day after a
    /// century's missing leap day, and a day before the common era.
    #[test]
    fn civil_months_by_hand() {
        assert_eq!(civil_year_month(0), (1970, 1));
        assert_eq!(civil_year_month(-1), (1969, 12));
        assert_eq!(civil_year_month(11_016), (2000, 2), "2000-02-29");
        assert_eq!(civil_year_month(-25_508), (1900, 3), "1900-03-01");
        assert_eq!(civil_year_month(-719_163), (0, 12), "0000-12-31");
        assert_eq!(civil_year_month(-719_529), (-1, 12), "-0001-12-31");
    }

    /// The integer path gives Polars' own year × 100 + month on random dates (five
    /// millennia either side of the epoch, leap days and century ends included) and
    /// on datetimes in every unit, before and after midnight and the epoch; a zoned
    /// datetime keeps its local month.
    #[test]
    fn month_keys_equal_polars_year_and_month() -> PolarsResult<()> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        let mut days: Vec<Option<i32>> = (0..20_000)
            .map(|_| Some(rng.random_range(-2_600_000..2_600_000)))
            .collect();
        days.extend([
            Some(0),
            Some(-1),
            Some(11_016),
            Some(-25_508),
            Some(-719_529),
            None,
        ]);
        let micros: Vec<Option<i64>> = (0..20_000)
            .map(|_| Some(rng.random_range(-200_000_000_000_000_000..200_000_000_000_000_000)))
            .chain([
                Some(-1),
                Some(0),
                Some(86_399_999_999),
                Some(86_400_000_000),
                None,
            ])
            .collect();
        let polars_key = |dates: Expr| {
            (dates.clone().dt().year() * lit(100) + dates.dt().month().cast(DataType::Int32))
                .cast(DataType::Int32)
                .alias("month")
        };
        let mut frames = vec![
            Int32Chunked::from_iter_options("d".into(), days.into_iter())
                .into_date()
                .into_series(),
        ];
        for unit in [
            TimeUnit::Nanoseconds,
            TimeUnit::Microseconds,
            TimeUnit::Milliseconds,
        ] {
            let scale = match unit {
                TimeUnit::Nanoseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1_000_000,
            };
            let values = micros.iter().map(|at| at.map(|at| at / scale));
            frames.push(
                Int64Chunked::from_iter_options("d".into(), values)
                    .into_datetime(unit, None)
                    .into_series(),
            );
        }
        let zoned = frames[2].cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::opt_try_new(Some("Asia/Kolkata"))?.unwrap()),
        ))?;
        frames.push(zoned);
        for dates in frames {
            let dtype = dates.dtype().clone();
            let df = DataFrame::new_infer_height(vec![dates.into_column()])?;
            let ours = df.clone().lazy().select([month_key(col("d"))]).collect()?;
            let theirs = df.lazy().select([polars_key(col("d"))]).collect()?;
            if let Some(difference) = crate::testing::frame_difference(&ours, &theirs) {
                panic!("{dtype:?}: {difference}");
            }
        }
        Ok(())
    }

    #[test]
    fn months_count_across_the_year() -> PolarsResult<()> {
        let df = df!("from" => [201012, 201001, 201105], "to" => [201101, 201012, 201105])?;
        let out = df
            .lazy()
            .select([months_between(col("from"), col("to")).alias("n")])
            .collect()?;
        let n: Vec<i32> = out.column("n")?.i32()?.into_no_null_iter().collect();
        assert_eq!(n, [1, 11, 0]);
        Ok(())
    }

    #[test]
    fn growth_is_against_the_previous_calendar_month() -> PolarsResult<()> {
        // 201012 is first; 201101 grows from 200 to 250 (+25%); 201102 falls to 0
        // (−100%); 201103 follows a zero (null); 201105 follows a gap (null).
        let df = df!(
            "month" => [201012, 201101, 201102, 201103, 201105],
            "sales" => [200.0, 250.0, 0.0, 10.0, 30.0],
        )?;
        let out = month_over_month_growth(df.lazy(), "month", "sales", "growth").collect()?;
        assert_eq!(out.get_column_names(), ["month", "sales", "growth"]);
        let growth: Vec<Option<f64>> = out.column("growth")?.f64()?.iter().collect();
        assert_eq!(growth, [None, Some(25.0), Some(-100.0), None, None]);
        Ok(())
    }

    #[test]
    fn only_keys_in_both_periods_are_compared() -> PolarsResult<()> {
        let df = df!(
            "user" => ["u2", "u1", "u1", "u2", "u3", "u1"],
            "month" => [202207, 202206, 202207, 202206, 202207, 202205],
            "cat" => ["A", "A", "A", "B", "C", "Z"],
        )?;
        let periods = fixed_periods(202206, 202207)?;
        let latest = last_two_periods(df.clone().lazy(), "month").collect()?;
        assert_eq!(latest, periods.clone().collect()?);
        let out = compare_periods(df.lazy(), "user", "month", periods, &["cat"])
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

//! Float aggregates that give the same bits whatever the thread count, the morsel
//! size or the order rows arrive in (DESIGN.md: "float aggregates give the same bits
//! whatever the thread count").
//!
//! Two things in Polars make a float result depend on how the work was split:
//!
//! - a float **sum** adds in the order rows arrive, per thread and per morsel, and
//!   floating-point addition is not associative;
//! - a float **division** by a column that is a single value (a literal, or a one-row
//!   morsel) is done as a multiplication by the reciprocal, `x · (1/y)`, which can
//!   differ from `x / y` in the last bit: 297000 / 10⁴ is 29.7, but
//!   297000 · 10⁻⁴ is 29.700000000000003. Whether a streaming morsel holds one row or
//!   several decides which of the two a row gets.
//!
//! The functions here avoid both: sums are taken over integers (exact, so any order
//! gives the same total), amounts are integers of 10^−d units
//! ([`to_fixed_units`], [`fixed_product_units`], [`from_fixed_units`]), and every
//! division is [`ratio`], a correctly rounded IEEE division of each pair of values.
//! Means ([`exact_mean`]) and Pearson correlations ([`exact_pearson_or_null`]) of
//! integer columns are built from exact integer sums and a fixed sequence of float
//! operations. Every function builds an `Expr` of elementwise operations and
//! reductions, so the streaming engine keeps running them as streaming operators.
//!
//! Integer sums are Int64: exact while every partial sum stays within ±9.2·10¹⁸ (for
//! amounts in 10⁻⁴ units, ±9.2·10¹⁴ currency units). Integers are turned into
//! Float64 exactly up to 2⁵³ ≈ 9.0·10¹⁵.

use polars::prelude::*;

/// `numerator / denominator` as Float64, each pair of values divided with one
/// correctly rounded IEEE division (both are cast to Float64 first: exact for
/// integers up to 2⁵³), so that the result does not depend on whether either side
/// arrives as a single value. A side of one value is broadcast to the other's length.
/// Null where either side is null; division by zero gives ±inf or NaN as in IEEE.
/// Unlike Polars' `/`, never computes `x · (1/y)`.
///
/// # Errors
/// When the plan runs: when the two sides have different lengths, neither being 1,
/// or a side cannot be cast to Float64.
pub fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    column_map(
        RATIO,
        divide_columns,
        [numerator, denominator],
        DataType::Float64,
    )
}

/// A kernel `kernel` over `N` expressions, whose output is named as the first and has
/// `dtype` (the shape of [`ratio`], [`checked_sum`] and [`order_independent_sum`]).
///
/// The expression is named `name` in the plan (`smartview.ratio`, …), which is how
/// [`crate::remote::sql`] knows what it computes.
fn column_map<const N: usize>(
    name: &'static str,
    kernel: fn(&mut [Column]) -> PolarsResult<Column>,
    inputs: [Expr; N],
    dtype: DataType,
) -> Expr {
    let mut expr = map_multiple(kernel, inputs, move |_: &Schema, fields: &[Field]| {
        let name = fields.first().map(|f| f.name().clone()).unwrap_or_default();
        Ok(Field::new(name, dtype.clone()))
    });
    if let Expr::AnonymousFunction { fmt_str, .. } = &mut expr {
        **fmt_str = PlSmallStr::from_static(name);
    }
    expr
}

/// The plan names of the kernels of this module (see [`column_map`]).
pub const RATIO: &str = "smartview.ratio";
pub const CHECKED_SUM: &str = "smartview.checked_sum";
pub const ORDER_INDEPENDENT_SUM: &str = "smartview.order_independent_sum";

/// The two inputs of a [`column_map`] kernel, cast to `dtype`, with the first
/// one's name; `what` names the function in the error.
fn two_columns(
    columns: &[Column],
    dtype: &DataType,
    what: &str,
) -> PolarsResult<(PlSmallStr, Series, Series)> {
    polars_ensure!(
        columns.len() == 2,
        ComputeError: "{} takes 2 columns, got {}", what, columns.len()
    );
    Ok((
        columns[0].name().clone(),
        columns[0].cast(dtype)?.as_materialized_series().clone(),
        columns[1].cast(dtype)?.as_materialized_series().clone(),
    ))
}

/// [`ratio`]'s kernel: element-wise `a / b` with broadcasting of a length-1 side.
fn divide_columns(columns: &mut [Column]) -> PolarsResult<Column> {
    let (name, a, b) = two_columns(columns, &DataType::Float64, "ratio")?;
    let (a, b) = (a.f64()?, b.f64()?);
    let divide = |x: Option<f64>, y: Option<f64>| Some(x? / y?);
    let out: Float64Chunked = match (a.len(), b.len()) {
        (n, m) if n == m => a.iter().zip(b.iter()).map(|(x, y)| divide(x, y)).collect(),
        (1, _) => b.iter().map(|y| divide(a.get(0), y)).collect(),
        (_, 1) => a.iter().map(|x| divide(x, b.get(0))).collect(),
        (n, m) => polars_bail!(
            ShapeMismatch: "ratio of `{}` ({} rows) by `{}` ({} rows): the lengths differ. Consider dividing columns of the same frame",
            name, n, columns[1].name(), m
        ),
    };
    Ok(out.with_name(name).into_column())
}

/// The mean of the non-null values of an integer column, as Float64: their exact
/// Int64 sum divided by their count with [`ratio`], so the correctly rounded mean
/// whatever the order rows are summed in. Null when there is no non-null value. For
/// use in an aggregation context (or a `select` over a whole frame).
pub fn exact_mean(value: Expr) -> Expr {
    let count = value.clone().count();
    when(count.clone().eq(lit(0)))
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(ratio(value.cast(DataType::Int64).sum(), count))
}

/// Ten to the power `decimals` as an exact Float64 (`decimals` ≤ 15).
fn scale(decimals: u32) -> f64 {
    10i64.pow(decimals.min(15)) as f64
}

/// `value` as a whole number of 10^−`decimals` units (Int64): value · 10^decimals
/// rounded half to even. A value with at most `decimals` decimals is converted
/// exactly (its binary approximation lands within a few ulps of the whole number); a
/// value with more is rounded to `decimals` decimals, halves to the even unit, as
/// its Float64 value times 10^decimals falls (in 10⁻⁴ units: 0.00005 → 0,
/// 0.00025 → 2, 0.00035 → 4, but 0.00015 → 1, its Float64 being just below the
/// half). `decimals` ≤ 15.
pub fn to_fixed_units(value: Expr, decimals: u32) -> Expr {
    (value.cast(DataType::Float64) * lit(scale(decimals)))
        .round(0, RoundMode::HalfToEven)
        .cast(DataType::Int64)
}

/// `quantity × price` in whole 10^−`decimals` units (Int64), computed exactly: the
/// integer `quantity` (cast to Int64) times `price` in units ([`to_fixed_units`]:
/// a price with more decimals is first rounded to `decimals`, half to even). Sums of
/// such products are exact and so independent of the order rows are added in; turn
/// them back into amounts with [`from_fixed_units`]. Implements the retail spec's
/// "summed exactly (prices have at most 4 decimals)" (R4, R7).
pub fn fixed_product_units(quantity: Expr, price: Expr, decimals: u32) -> Expr {
    quantity.cast(DataType::Int64) * to_fixed_units(price, decimals)
}

/// Σ `units` (an Int64 column, such as amounts in 10^−d units) as an aggregation,
/// checked: the exact sum when it fits in Int64, an error when the plan runs when it
/// does not (Polars' Int64 sum would wrap around to a wrong number). Each value is
/// split into its high and low 32 bits, whose sums cannot overflow (below 2³¹ rows
/// per group), and the two are joined in 128 bits.
///
/// # Errors
/// When the plan runs: `the sum of <column> is x, beyond 64-bit integers`.
pub fn checked_sum(units: Expr) -> Expr {
    let units = units.cast(DataType::Int64);
    let high = units.clone().floor_div(lit(LOW_BITS));
    let low = units - high.clone() * lit(LOW_BITS);
    column_map(
        CHECKED_SUM,
        join_high_and_low,
        [high.sum(), low.sum()],
        DataType::Int64,
    )
}

/// 2³²: [`checked_sum`] splits values into multiples of it and a remainder.
const LOW_BITS: i64 = 1 << 32;

/// [`checked_sum`]'s kernel: Σhigh · 2³² + Σlow, in 128 bits, back to Int64 where
/// it fits.
fn join_high_and_low(columns: &mut [Column]) -> PolarsResult<Column> {
    let (name, high, low) = two_columns(columns, &DataType::Int64, "checked_sum")?;
    let (high, low) = (high.i64()?, low.i64()?);
    let mut sums = Vec::with_capacity(high.len());
    for (h, l) in high.iter().zip(low.iter()) {
        let total = i128::from(h.unwrap_or(0)) * i128::from(LOW_BITS) + i128::from(l.unwrap_or(0));
        match i64::try_from(total) {
            Ok(sum) => sums.push(sum),
            Err(_) => polars_bail!(
                ComputeError: "the sum of `{}` is {total}, beyond 64-bit integers: values out of any plausible range passed validation. Consider checking the input's ranges",
                name
            ),
        }
    }
    Ok(Int64Chunked::from_vec(name, sums).into_column())
}

/// Σ `value` (a float column) as an aggregation that gives the same bits in any row
/// order. Each value is split into exact integer parts ([`SUM_LIMBS`]): its whole part
/// as two 32-bit halves and its fraction as four 32-bit parts (2⁻³², 2⁻⁶⁴, 2⁻⁹⁶ and
/// 2⁻¹²⁸ steps), each with the value's sign. The parts are summed as Int64 (exact
/// in any order), joined exactly, and the total is rounded to Float64 once, to
/// nearest, ties to even. So the result is the Float64 nearest the exact sum of the
/// values (what Python's `math.fsum` gives): exact for every value of magnitude
/// 2⁻⁷⁶ (1.3·10⁻²³) or more (a single 0.8 or 0.0001 sums to itself), and within
/// 2⁻¹²⁸ per value below that. Null values are skipped; an empty or all-null group
/// sums to 0. The parts' sums stay within 64 bits up to 2³¹ rows per group.
///
/// # Errors
/// When the plan runs: a value that is not finite, or of magnitude 2⁶³ or more.
pub fn order_independent_sum(value: Expr) -> Expr {
    let value = value.cast(DataType::Float64);
    let limb = |name: &'static str, kernel: fn(&mut [Column]) -> PolarsResult<Column>| {
        column_map(name, kernel, [value.clone()], DataType::Int64).sum()
    };
    column_map(
        ORDER_INDEPENDENT_SUM,
        join_sum_limbs,
        [
            limb(SUM_LIMBS[0], sum_limb::<0>),
            limb(SUM_LIMBS[1], sum_limb::<1>),
            limb(SUM_LIMBS[2], sum_limb::<2>),
            limb(SUM_LIMBS[3], sum_limb::<3>),
            limb(SUM_LIMBS[4], sum_limb::<4>),
            limb(SUM_LIMBS[5], sum_limb::<5>),
        ],
        DataType::Float64,
    )
}

/// The mean of the non-null values of a float column that gives the same bits in any
/// row order: their [`order_independent_sum`] over their count, one correctly
/// rounded division ([`ratio`]); null when there is no value. For use in an
/// aggregation context.
pub fn order_independent_mean(value: Expr) -> Expr {
    let count = value.clone().count();
    when(count.clone().gt(lit(0)))
        .then(ratio(order_independent_sum(value), count))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// 2³²: the steps of each of [`order_independent_sum`]'s fraction parts.
const FRACTION_STEPS: f64 = 4_294_967_296.0;

/// The plan names of [`order_independent_sum`]'s parts of each value, in order: the
/// whole part's high and low 32 bits, then the fraction's 2⁻³², 2⁻⁶⁴, 2⁻⁹⁶ and 2⁻¹²⁸
/// steps, each exact and with the value's sign.
pub const SUM_LIMBS: [&str; 6] = [
    "smartview.sum_limb.0",
    "smartview.sum_limb.1",
    "smartview.sum_limb.2",
    "smartview.sum_limb.3",
    "smartview.sum_limb.4",
    "smartview.sum_limb.5",
];

/// Part `K` (lₖ) of `value` written as six integers with its sign, `value = (l₀ · 2³²
/// + l₁) + l₂ · 2⁻³² + l₃ · 2⁻⁶⁴ + l₄ · 2⁻⁹⁶ + l₅ · 2⁻¹²⁸` exactly for |value| ≥
/// 2⁻⁷⁶ (below, the last part is floored), each |lᵢ| < 2³². Each step on the magnitude is exact in
/// Float64: |v| − floor(|v|) drops leading bits, scaling by 2³² is exact, so are
/// floor and the subtraction (v − floor(v) of a negative v, 1 − 0.3, would round).
/// Only part `K`'s steps are computed. `None` when the value is not finite or its
/// magnitude is 2⁶³ or more.
#[inline]
fn sum_limb_of<const K: usize>(value: f64) -> Option<i64> {
    let magnitude = value.abs();
    if !(magnitude < 9_223_372_036_854_775_808.0) {
        return None;
    }
    let sign = if value < 0.0 { -1 } else { 1 };
    let whole = magnitude.floor();
    let part = match K {
        0 => (whole as i64) >> 32,
        1 => (whole as i64) & 0xFFFF_FFFF,
        _ => {
            let mut rest = magnitude - whole;
            let mut steps = 0.0;
            for _ in 2..=K {
                let scaled = rest * FRACTION_STEPS;
                steps = scaled.floor();
                rest = scaled - steps;
            }
            steps as i64
        }
    };
    Some(sign * part)
}

/// Part `K` of each value ([`sum_limb_of`]; Int64, null for null).
fn sum_limb<const K: usize>(columns: &mut [Column]) -> PolarsResult<Column> {
    let Some(column) = columns.first() else {
        polars_bail!(ComputeError: "order_independent_sum's parts take 1 column, got none");
    };
    let values = column.cast(&DataType::Float64)?;
    let values = values.f64()?;
    let mut unsummable = None;
    let mut limb = |value: f64| {
        sum_limb_of::<K>(value).unwrap_or_else(|| {
            unsummable.get_or_insert(value);
            0
        })
    };
    let limbs: Int64Chunked = if values.null_count() == 0 {
        let limbs: Vec<i64> = values.into_no_null_iter().map(&mut limb).collect();
        Int64Chunked::from_vec(column.name().clone(), limbs)
    } else {
        values.iter().map(|value| value.map(&mut limb)).collect()
    };
    if let Some(value) = unsummable {
        polars_bail!(
            ComputeError: "cannot sum `{}` exactly: {} is not a finite number below 2⁶³. Consider checking the input's ranges",
            column.name(), value
        );
    }
    Ok(limbs.with_name(column.name().clone()).into_column())
}

/// [`order_independent_sum`]'s kernel: the sums of the six parts ([`sum_limb_of`]),
/// joined exactly and rounded to Float64 once ([`round_fixed_point`]).
fn join_sum_limbs(columns: &mut [Column]) -> PolarsResult<Column> {
    polars_ensure!(
        columns.len() == SUM_LIMBS.len(),
        ComputeError: "order_independent_sum takes {} columns, got {}", SUM_LIMBS.len(), columns.len()
    );
    let name = columns[0].name().clone();
    let parts = columns
        .iter()
        .map(|c| c.cast(&DataType::Int64))
        .collect::<PolarsResult<Vec<_>>>()?;
    let parts = parts
        .iter()
        .map(|c| c.i64())
        .collect::<PolarsResult<Vec<_>>>()?;
    let sums: Float64Chunked = (0..parts[0].len())
        .map(|row| {
            let part = |i: usize| i128::from(parts[i].get(row).unwrap_or(0));
            // Carry each fraction sum's bits above 32 (and its borrows: the parts of
            // negative values are negative) into the part above it.
            let mut carry = 0i128;
            let mut fraction = 0u128;
            for i in (2..SUM_LIMBS.len()).rev() {
                let total = part(i) + carry;
                let shift = 32 * (SUM_LIMBS.len() - 1 - i);
                fraction |= (total.rem_euclid(1 << 32) as u128) << shift;
                carry = total >> 32;
            }
            let whole = (part(0) << 32) + part(1) + carry;
            Some(round_fixed_point(whole, fraction))
        })
        .collect();
    Ok(sums.with_name(name).into_column())
}

/// `whole + fraction / 2¹²⁸` as the nearest Float64 (ties to even): the exact sum
/// [`order_independent_sum`] builds, `whole` being any 128-bit integer.
fn round_fixed_point(whole: i128, fraction: u128) -> f64 {
    // The magnitude as a 256-bit number high · 2¹²⁸ + low.
    let (negative, high, low) = match (whole < 0, fraction) {
        (false, _) => (false, whole.unsigned_abs(), fraction),
        (true, 0) => (true, whole.unsigned_abs(), 0),
        (true, _) => (true, whole.unsigned_abs() - 1, fraction.wrapping_neg()),
    };
    // Narrowed to 128 bits, the bits shifted out kept as a sticky last bit: 128 bits
    // hold the 53 kept, the rounding bit and the sticky one, so the one correctly
    // rounded conversion below rounds as the 256-bit number would.
    let (bits, shift) = if high == 0 {
        (low, 0)
    } else {
        let shift = 128 - high.leading_zeros();
        let lost = low & 1u128.checked_shl(shift).map_or(u128::MAX, |bit| bit - 1) != 0;
        let kept = (high << (128 - shift)) | low.checked_shr(shift).unwrap_or(0);
        (kept | u128::from(lost), shift)
    };
    // u128 → f64 rounds to nearest, ties to even; scaling by a power of two is exact.
    let magnitude = bits as f64 * 2f64.powi(shift as i32 - 128);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// A number of 10^−`decimals` units (see [`to_fixed_units`]) as a Float64 amount:
/// units / 10^decimals with one correctly rounded division ([`ratio`]), so 297000
/// units of 10⁻⁴ are exactly 29.7 (the Float64 nearest 29.7), never
/// 29.700000000000003. Exact to the last bit while |units| ≤ 2⁵³.
pub fn from_fixed_units(units: Expr, decimals: u32) -> Expr {
    ratio(units, lit(scale(decimals)))
}

/// The mean of the non-null `units` (Int64 10^−`decimals` units, see
/// [`to_fixed_units`]) as a Float64 amount: their exact sum divided once by
/// count · 10^decimals, so the correctly rounded mean in any row order. Null when
/// there is no non-null value. For use in an aggregation context.
pub fn fixed_units_mean(units: Expr, decimals: u32) -> Expr {
    let count = units.clone().count().cast(DataType::Int64);
    when(count.clone().eq(lit(0i64)))
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(ratio(
            units.cast(DataType::Int64).sum(),
            count * lit(10i64.pow(decimals.min(15))),
        ))
}

/// Pearson correlation of two integer columns `x` and `y` over the rows where both
/// are non-null, as Float64; null when fewer than two such rows remain or either side
/// is constant (zero variance). For use in an aggregation context.
///
/// The six sums it needs (n, Σx, Σy, Σx², Σy², Σxy) are exact Int64 sums, so they do
/// not depend on the order rows arrive in, and so neither does
/// r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)), whose numerator and variances
/// are computed in Int64 too (exact while they stay below 9.2·10¹⁸) and the rest in
/// one fixed sequence of Float64 operations. Zero variance is detected exactly.
pub fn exact_pearson_or_null(x: Expr, y: Expr) -> Expr {
    let both = x.clone().is_not_null().and(y.clone().is_not_null());
    let only_both = |v: Expr| {
        when(both.clone())
            .then(v.cast(DataType::Int64))
            .otherwise(lit(NULL).cast(DataType::Int64))
    };
    let (x, y) = (only_both(x), only_both(y));
    let n = both.cast(DataType::Int64).sum();
    let sum = |v: Expr| v.sum();
    let spread = |s_vv: Expr, s_v: Expr| n.clone() * s_vv - s_v.clone() * s_v;
    let var_x = spread(sum(x.clone() * x.clone()), sum(x.clone()));
    let var_y = spread(sum(y.clone() * y.clone()), sum(y.clone()));
    let covariance = n.clone() * sum(x.clone() * y.clone()) - sum(x) * sum(y);
    let float = |v: Expr| v.cast(DataType::Float64);
    let undefined = n
        .lt(lit(2i64))
        .or(var_x.clone().eq(lit(0i64)))
        .or(var_y.clone().eq(lit(0i64)));
    when(undefined)
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(ratio(
            float(covariance),
            (float(var_x) * float(var_y)).sqrt(),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(df: &DataFrame, column: &str) -> PolarsResult<Vec<Option<f64>>> {
        Ok(df.column(column)?.f64()?.iter().collect())
    }

    #[test]
    fn ratio_divides_instead_of_multiplying_by_the_reciprocal() -> PolarsResult<()> {
        // 297000 · (1/10⁴) = 29.700000000000003; 297000 / 10⁴ = 29.7.
        let df = df!("u" => [297000i64, 1, 3])?;
        let out = df
            .clone()
            .lazy()
            .select([
                ratio(col("u"), lit(10_000.0)).alias("by_literal"),
                ratio(lit(297000i64), col("u")).alias("literal_by"),
            ])
            .collect()?;
        assert_eq!(
            f64s(&out, "by_literal")?,
            [Some(29.7), Some(0.0001), Some(0.0003)]
        );
        assert_eq!(
            f64s(&out, "literal_by")?,
            [Some(1.0), Some(297000.0), Some(99000.0)]
        );
        let pairs =
            df!("a" => [Some(1.0), None, Some(-1.0), Some(0.0)], "b" => [3.0, 1.0, 0.0, 0.0])?
                .lazy()
                .select([ratio(col("a"), col("b")).alias("r")])
                .collect()?;
        let r = f64s(&pairs, "r")?;
        assert_eq!(r[0], Some(1.0 / 3.0));
        assert_eq!(r[1], None);
        assert_eq!(r[2], Some(f64::NEG_INFINITY));
        assert!(r[3].is_some_and(f64::is_nan));
        Ok(())
    }

    #[test]
    fn ratio_of_different_lengths_is_an_error() -> PolarsResult<()> {
        let df = df!("a" => [1.0, 2.0, 3.0])?;
        let out = df
            .lazy()
            .select([ratio(col("a"), col("a").head(Some(2)))])
            .collect();
        assert!(out.is_err());
        Ok(())
    }

    #[test]
    fn six_times_four_ninety_five_sums_to_exactly_29_7() -> PolarsResult<()> {
        // R4's reported case: in floats 6 × 4.95 = 29.700000000000003.
        let df = df!("m" => [1, 2, 2, 3], "q" => [1i64, 6, 0, -2], "p" => [2.5, 4.95, 1.0, 0.1])?;
        let out = df
            .lazy()
            .group_by([col("m")])
            .agg([
                from_fixed_units(fixed_product_units(col("q"), col("p"), 4).sum(), 4)
                    .alias("sales"),
            ])
            .sort(["m"], Default::default())
            .collect()?;
        assert_eq!(f64s(&out, "sales")?, [Some(2.5), Some(29.7), Some(-0.2)]);
        Ok(())
    }

    #[test]
    fn fixed_unit_sums_are_exact_in_any_order() -> PolarsResult<()> {
        // 0.1 + 0.2 is 0.30000000000000004 in floats; in units of 10^-4 it is 0.3.
        let df = df!("q" => [1i64, 2, -3], "p" => [0.1, 0.1, 0.1])?;
        let sum = |df: DataFrame| -> PolarsResult<Option<f64>> {
            let out = df
                .lazy()
                .select([
                    from_fixed_units(fixed_product_units(col("q"), col("p"), 4).sum(), 4)
                        .alias("s"),
                ])
                .collect()?;
            Ok(out.column("s")?.f64()?.get(0))
        };
        assert_eq!(sum(df.clone())?, Some(0.0));
        assert_eq!(sum(df.head(Some(2)))?, Some(0.3));
        assert_eq!(sum(df.reverse().head(Some(2)))?, Some(-0.1));
        Ok(())
    }

    #[test]
    fn more_than_four_decimals_round_half_to_even() -> PolarsResult<()> {
        let df = df!("p" => [0.00005, 0.00025, 0.00035, 1.23456, -2.5, 4.95])?;
        let out = df
            .lazy()
            .select([
                to_fixed_units(col("p"), 4).alias("units"),
                to_fixed_units(col("p"), 0).alias("whole"),
            ])
            .collect()?;
        let units: Vec<i64> = out.column("units")?.i64()?.into_no_null_iter().collect();
        assert_eq!(units, [0, 2, 4, 12346, -25000, 49500]);
        let whole: Vec<i64> = out.column("whole")?.i64()?.into_no_null_iter().collect();
        assert_eq!(whole, [0, 0, 0, 1, -2, 5], "-2.5 rounds to the even -2");
        Ok(())
    }

    #[test]
    fn integer_means_are_the_exact_sum_over_the_count() -> PolarsResult<()> {
        // 1/3 + 1/3 + 1/3 summed in floats is 1.0000000000000002 in some orders;
        // here the mean of 1, 2, 2 is 5 / 3 divided once.
        let df = df!(
            "g" => ["a", "a", "a", "b", "b", "c"],
            "v" => [Some(1i64), Some(2), Some(2), Some(7), None, None],
        )?;
        let out = df
            .lazy()
            .group_by([col("g")])
            .agg([exact_mean(col("v")).alias("mean")])
            .sort(["g"], Default::default())
            .collect()?;
        assert_eq!(f64s(&out, "mean")?, [Some(5.0 / 3.0), Some(7.0), None]);
        Ok(())
    }

    #[test]
    fn fixed_unit_means_divide_once() -> PolarsResult<()> {
        // 0.1, 0.2 and 0.3 in 10⁻⁴ units sum to 6000; 6000 / (3 · 10⁴) = 0.2.
        let df = df!("u" => [Some(1000i64), Some(2000), Some(3000), None])?;
        let out = df
            .lazy()
            .select([
                fixed_units_mean(col("u"), 4).alias("mean"),
                fixed_units_mean(col("u").filter(col("u").is_null()), 4).alias("none"),
            ])
            .collect()?;
        assert_eq!(f64s(&out, "mean")?, [Some(0.2)]);
        assert_eq!(f64s(&out, "none")?, [None]);
        Ok(())
    }

    #[test]
    fn integer_correlation_is_exact_on_a_line_and_null_when_undefined() -> PolarsResult<()> {
        let df = df!(
            "g" => ["line", "line", "line", "flat", "flat", "one", "anti", "anti", "anti", "some", "some", "some", "some"],
            "x" => [Some(1i64), Some(2), Some(3), Some(1), Some(2), Some(1), Some(1), Some(2), None, Some(1), Some(2), Some(3), Some(4)],
            "y" => [2i64, 4, 6, 5, 5, 1, 3, 1, 9, 1, 3, 2, 4],
        )?;
        let out = df
            .lazy()
            .group_by([col("g")])
            .agg([exact_pearson_or_null(col("x"), col("y")).alias("r")])
            .sort(["g"], Default::default())
            .collect()?;
        // anti: (1,3),(2,1) → −1; flat: y constant → null; line → 1; one: a single
        // pair → null; some: n=4, Σx=10, Σy=10, Σx²=30, Σy²=30, Σxy=29:
        // (4·29 − 100) / √((120 − 100)(120 − 100)) = 16 / 20 = 0.8.
        assert_eq!(
            f64s(&out, "r")?,
            [Some(-1.0), None, Some(1.0), None, Some(16.0 / 20.0)]
        );
        Ok(())
    }

    /// Issue 16, fault 5: two amounts whose sum leaves Int64 are an error, not a
    /// wrapped negative number; a sum whose partial sums wrap but whose total fits is
    /// exact.
    #[test]
    fn a_sum_beyond_64_bits_is_an_error_and_one_within_is_exact() -> PolarsResult<()> {
        let big = 9_000_000_000_000_000_000i64;
        let fits = df!("g" => [1, 1, 1], "u" => [big, big, -big])?
            .lazy()
            .group_by([col("g")])
            .agg([checked_sum(col("u")).alias("u")])
            .collect()?;
        assert_eq!(fits.column("u")?.i64()?.get(0), Some(big));
        let overflow = df!("g" => [1, 1], "u" => [big, big])?
            .lazy()
            .group_by([col("g")])
            .agg([checked_sum(col("u")).alias("u")])
            .collect();
        let message = overflow.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("beyond 64-bit integers"), "{message}");
        Ok(())
    }

    /// The same values in any order give the same bits, which a float sum does not
    /// promise: 0.1 + 0.2 + 0.3 is 0.6000000000000001 left to right and 0.6 right to
    /// left; here both are the Float64 nearest the exact sum of the values (to 2⁻³²).
    #[test]
    fn an_order_independent_sum_is_the_same_in_any_order() -> PolarsResult<()> {
        let sum = |values: Vec<Option<f64>>| -> PolarsResult<Option<f64>> {
            let out = df!("g" => vec![1; values.len()], "v" => values)?
                .lazy()
                .group_by([col("g")])
                .agg([order_independent_sum(col("v")).alias("v")])
                .collect()?;
            Ok(out.column("v")?.f64()?.get(0))
        };
        let forward = sum(vec![Some(0.1), Some(0.2), Some(0.3), None])?;
        let backward = sum(vec![None, Some(0.3), Some(0.2), Some(0.1)])?;
        assert_eq!(forward, backward);
        // 0.1, 0.2 and 0.3 as Float64 add up to 0.60000000000000000555…, nearest 0.6.
        assert_eq!(forward, Some(0.6));
        // One value sums to itself, fractions that 2⁻³² steps cannot hold included.
        assert_eq!(sum(vec![Some(0.8)])?, Some(0.8));
        assert_eq!(sum(vec![Some(-0.8)])?, Some(-0.8));
        assert_eq!(
            sum(vec![Some(16745.6), Some(-16745.6), Some(1e-3)])?,
            Some(1e-3)
        );
        assert_eq!(
            sum(vec![Some(1e12), Some(-2.5), Some(0.25)])?,
            Some(999_999_999_997.75)
        );
        assert_eq!(sum(vec![None, None])?, Some(0.0));
        Ok(())
    }

    /// Values too small for 2⁻⁶⁴ steps (below 2⁻¹²) sum exactly too: one 0.0001 is
    /// its own mean, so it is not above it (it was 9.999999999999999e-5 with two
    /// fraction parts).
    #[test]
    fn small_values_sum_and_average_to_themselves() -> PolarsResult<()> {
        let both = |values: Vec<f64>| -> PolarsResult<(f64, f64)> {
            let out = df!("g" => vec![1; values.len()], "v" => values)?
                .lazy()
                .group_by([col("g")])
                .agg([
                    order_independent_sum(col("v")).alias("sum"),
                    order_independent_mean(col("v")).alias("mean"),
                ])
                .collect()?;
            let get = |c: &str| -> PolarsResult<f64> {
                Ok(out.column(c)?.f64()?.get(0).unwrap_or(f64::NAN))
            };
            Ok((get("sum")?, get("mean")?))
        };
        for value in [1e-4, -1e-4, 3e-7, 1e-20, -2.5e-23, 5e-310] {
            let (sum, mean) = both(vec![value])?;
            if value.abs() >= 2f64.powi(-76) {
                assert_eq!((sum, mean), (value, value), "{value}");
            } else {
                // Below 2⁻⁷⁶, within 2⁻¹²⁸ (its floor in 2⁻¹²⁸ steps).
                assert!((sum - value).abs() <= 2f64.powi(-128), "{value}: {sum}");
            }
        }
        // The Float64 nearest the exact sum (Python's `math.fsum`): 1e-5 + 2e-5 + 3e-5
        // is 6.000000000000001e-5 left to right and 6e-5 right to left; fsum 6e-5.
        assert_eq!(both(vec![1e-5, 2e-5, 3e-5])?.0, 6e-5);
        assert_eq!(both(vec![3e-5, 2e-5, 1e-5])?.0, 6e-5);
        assert_eq!(both(vec![-1e-5, -2e-5, -3e-5])?.0, -6e-5);
        assert_eq!(both(vec![7e-6, 3e-5, 1e-6])?.0, 3.8e-5);
        // A large whole part and a tiny fraction: 2⁵³ + 1.5 is not a Float64; the
        // exact total rounds to the even neighbour 2⁵³ + 2.
        assert_eq!(
            both(vec![9_007_199_254_740_992.0, 1.0, 0.5])?.0,
            9_007_199_254_740_994.0
        );
        // 2⁵³ + 1 + 2⁻⁷⁰ lies just above the tie between 2⁵³ and 2⁵³ + 2: it rounds up,
        // which a sum that dropped the tiny part would not do (the tie goes to 2⁵³).
        assert_eq!(
            both(vec![9_007_199_254_740_992.0, 1.0, 2f64.powi(-70)])?.0,
            9_007_199_254_740_994.0
        );
        assert_eq!(
            both(vec![9_007_199_254_740_992.0, 1.0])?.0,
            9_007_199_254_740_992.0
        );
        // A value that is not finite, or too large for the whole part, is an error.
        for value in [f64::INFINITY, f64::NAN, 1e19] {
            let error = both(vec![1.0, value]).map(|_| ()).unwrap_err().to_string();
            assert!(error.contains("cannot sum `v` exactly"), "{value}: {error}");
        }
        // Negative totals round by magnitude, the same way.
        assert_eq!(
            both(vec![-9_007_199_254_740_992.0, -1.0, -(2f64.powi(-70))])?.0,
            -9_007_199_254_740_994.0
        );
        Ok(())
    }
}

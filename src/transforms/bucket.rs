//! Value → label bucketing with inclusive upper bounds, and bounds scaled to a
//! longer period.

use polars::prelude::*;

use super::segments::first_true;

/// One bucket: values up to and including `upper` (and above the previous bucket's
/// bound) get `label`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub upper: i64,
    pub label: &'static str,
}

/// The label of `value`'s bucket: the first bucket whose `upper` is ≥ the value, else
/// `above` (values past the last bound). `buckets` must be in increasing order of
/// `upper`; a null value gets a null label.
///
/// # Errors
/// When the `upper` bounds of `buckets` do not strictly increase (`InvalidOperation`).
pub fn bucket(value: Expr, buckets: &[Bucket], above: &str) -> PolarsResult<Expr> {
    polars_ensure!(
        buckets.windows(2).all(|w| w[0].upper < w[1].upper),
        InvalidOperation: "bucket bounds must increase: {:?}. Consider sorting them",
        buckets.iter().map(|b| b.upper).collect::<Vec<_>>()
    );
    let mut cases = vec![(value.clone().is_null(), lit(NULL).cast(DataType::String))];
    cases.extend(
        buckets
            .iter()
            .map(|b| (value.clone().lt_eq(lit(b.upper)), lit(b.label))),
    );
    Ok(first_true(cases, lit(above.to_string())))
}

/// `buckets` with each bound scaled from a `base`-day period to a `days`-day one:
/// `ceil(bound × days / base)` when `days > base`, unchanged otherwise.
pub fn scale_buckets(buckets: &[Bucket], days: i64, base: i64) -> Vec<Bucket> {
    buckets
        .iter()
        .map(|b| Bucket {
            upper: if days > base && base > 0 {
                (b.upper * days + base - 1) / base
            } else {
                b.upper
            },
            label: b.label,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKS: [Bucket; 2] = [
        Bucket {
            upper: 7,
            label: "first",
        },
        Bucket {
            upper: 14,
            label: "second",
        },
    ];

    #[test]
    fn bounds_are_inclusive_and_past_the_last_is_above() -> PolarsResult<()> {
        let df = df!("v" => [Some(1i64), Some(7), Some(8), Some(14), Some(15), None])?;
        let out = df
            .lazy()
            .select([bucket(col("v"), &WEEKS, "later")?.alias("b")])
            .collect()?;
        assert_eq!(
            crate::values::texts(&out, "b", "<null>")?,
            ["first", "first", "second", "second", "later", "<null>"]
        );
        Ok(())
    }

    #[test]
    fn bounds_must_increase() {
        let reversed = [WEEKS[1].clone(), WEEKS[0].clone()];
        assert!(bucket(col("v"), &reversed, "x").is_err());
    }

    #[test]
    fn bounds_scale_up_with_ceiling_only_past_the_base() {
        // 7 × 62 / 31 = 14 exactly; 7 × 45 / 31 = 10.16 → 11; 14 × 45 / 31 = 20.3 → 21.
        let uppers = |days| {
            scale_buckets(&WEEKS, days, 31)
                .iter()
                .map(|b| b.upper)
                .collect::<Vec<_>>()
        };
        assert_eq!(uppers(62), [14, 28]);
        assert_eq!(uppers(45), [11, 21]);
        assert_eq!(uppers(31), [7, 14]);
        assert_eq!(uppers(10), [7, 14], "shorter periods keep the bounds");
    }
}

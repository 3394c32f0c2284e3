//! Whitespace stripping that leaves text without surrounding whitespace as it is: the
//! answer of Polars' `str().strip_chars(lit(NULL))` ([`strip_whitespace`]), and of it
//! with blank text made null ([`trim_to_null`]), without copying a column whose
//! values need neither, which is nearly every column of a real export (see the module
//! [`crate::fast`] for what it relies on).

use polars::prelude::*;

/// The plan name of [`strip_whitespace`]'s kernel, which is how
/// [`crate::remote::sql`] translates it.
pub const STRIP_WHITESPACE: &str = "smartview.strip_whitespace";

/// The plan name of [`trim_to_null`]'s kernel, which is how [`crate::remote::sql`]
/// translates it.
pub const TRIM_TO_NULL: &str = "smartview.trim_to_null";

/// `text` (String) without leading and trailing whitespace (Unicode White_Space, as
/// Rust's `str::trim`), null where it is null: the same values as Polars'
/// `text.str().strip_chars(lit(NULL))`. A column none of whose values starts or ends
/// with whitespace is returned as it is instead of being rebuilt string by string;
/// otherwise Polars strips it. Measured on 5M retail lines, where the numbers and
/// timestamps are trimmed before they are parsed: rebuilding their strings took
/// about 6% of the run's CPU samples.
///
/// It relies on Polars' `strip_chars(NULL)` stripping exactly what `str::trim`
/// strips; `whitespace_is_stripped_as_polars_strips_it` compares the two.
pub fn strip_whitespace(text: Expr) -> Expr {
    named_kernel(text, STRIP_WHITESPACE, |strings| {
        if strings.iter().all(|value| value.is_none_or(is_trimmed)) {
            return Ok(None);
        }
        Ok(Some(stripped(strings)?))
    })
}

/// [`strip_whitespace`], and then null where nothing is left: a whitespace-only or
/// empty value is a missing one, as Spark's casts and Polars' `strip_chars` followed
/// by a test for `""` treat it. A column none of whose values is empty or starts or
/// ends with whitespace is returned as it is.
pub fn trim_to_null(text: Expr) -> Expr {
    named_kernel(text, TRIM_TO_NULL, |strings| {
        let kept = |value: &str| !value.is_empty() && is_trimmed(value);
        if strings.iter().all(|value| value.is_none_or(kept)) {
            return Ok(None);
        }
        let trimmed: StringChunked = stripped(strings)?
            .iter()
            .map(|value| value.filter(|value| !value.is_empty()))
            .collect();
        Ok(Some(trimmed.with_name(strings.name().clone())))
    })
}

/// Polars' own stripping of Unicode whitespace at both ends.
fn stripped(strings: &StringChunked) -> PolarsResult<StringChunked> {
    let no_pattern = Column::full_null(PlSmallStr::EMPTY, 1, &DataType::String);
    strings.strip_chars(&no_pattern)
}

/// A String → String map under the plan name `name`: `kernel` answers `None` when
/// the column is to be returned as it is.
fn named_kernel(
    text: Expr,
    name: &'static str,
    kernel: fn(&StringChunked) -> PolarsResult<Option<StringChunked>>,
) -> Expr {
    let mut expr = text.map(
        move |column| match kernel(column.str()?)? {
            None => Ok(column),
            Some(strings) => Ok(strings.into_column()),
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    );
    if let Expr::AnonymousFunction { fmt_str, .. } = &mut expr {
        **fmt_str = PlSmallStr::from_static(name);
    }
    expr
}

/// Whether `value` neither starts nor ends with whitespace. Printable ASCII other than
/// the space at both ends answers at once; other ends are checked by `str::trim`.
fn is_trimmed(value: &str) -> bool {
    let plain = |byte: u8| (b'!'..=b'~').contains(&byte);
    match (value.as_bytes().first(), value.as_bytes().last()) {
        (Some(&first), Some(&last)) if plain(first) && plain(last) => true,
        (None, _) | (_, None) => true,
        _ => value.trim().len() == value.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel against Polars' `strip_chars(NULL)` on values with every kind of
    /// Unicode whitespace at either end, inside, or none, in one column and one value
    /// at a time (a column that needs no stripping takes the kernel's shortcut).
    #[test]
    fn whitespace_is_stripped_as_polars_strips_it() -> PolarsResult<()> {
        let spaces = [
            " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{85}", "\u{a0}", "\u{1680}", "\u{2000}",
            "\u{200a}", "\u{2028}", "\u{2029}", "\u{202f}", "\u{205f}", "\u{3000}",
        ];
        // Not whitespace to `str::trim`: zero-width space, BOM, DEL.
        let not_spaces = ["\u{200b}", "\u{feff}", "\u{7f}", "é", "x"];
        let mut values: Vec<Option<String>> = vec![None, Some(String::new())];
        for space in spaces.iter().chain(&not_spaces) {
            values.extend([
                Some(format!("{space}12")),
                Some(format!("12{space}")),
                Some(format!("1{space}2")),
                Some(format!("{space}{space}")),
                Some((*space).to_string()),
            ]);
        }
        let by_polars = |values: &[Option<String>]| -> PolarsResult<DataFrame> {
            df!("t" => values)?
                .lazy()
                .select([col("t").str().strip_chars(lit(NULL))])
                .collect()
        };
        let by_kernel = |values: &[Option<String>]| -> PolarsResult<DataFrame> {
            df!("t" => values)?
                .lazy()
                .select([strip_whitespace(col("t"))])
                .collect()
        };
        crate::assert_frame_eq!(by_kernel(&values)?, by_polars(&values)?);
        for value in &values {
            let one = [value.clone()];
            crate::assert_frame_eq!(by_kernel(&one)?, by_polars(&one)?);
        }

        let trimmed = vec![Some("13085.0".to_string()), None, Some("a b".to_string())];
        let out = by_kernel(&trimmed)?;
        crate::assert_frame_eq!(out.clone(), by_polars(&trimmed)?);
        assert_eq!(
            out.column("t")?.str()?.iter().collect::<Vec<_>>(),
            [Some("13085.0"), None, Some("a b")]
        );
        Ok(())
    }

    /// `trim_to_null` against Polars' stripping followed by `""` → null, on the same
    /// values as the test above, and its shortcut on a column that needs nothing.
    #[test]
    fn blank_values_trim_to_null_as_polars_would_make_them() -> PolarsResult<()> {
        let by_polars = |values: &[Option<&str>]| -> PolarsResult<DataFrame> {
            let stripped = col("t").str().strip_chars(lit(NULL));
            df!("t" => values)?
                .lazy()
                .select([when(stripped.clone().eq(lit("")))
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(stripped)
                    .alias("t")])
                .collect()
        };
        let by_kernel = |values: &[Option<&str>]| -> PolarsResult<DataFrame> {
            df!("t" => values)?
                .lazy()
                .select([trim_to_null(col("t"))])
                .collect()
        };
        let values = [
            None,
            Some(""),
            Some(" "),
            Some("\t\u{3000}"),
            Some(" 12 "),
            Some("12"),
            Some("1 2"),
            Some("\u{200b}"),
        ];
        crate::assert_frame_eq!(by_kernel(&values)?, by_polars(&values)?);
        for value in values {
            crate::assert_frame_eq!(by_kernel(&[value])?, by_polars(&[value])?);
        }
        let out = by_kernel(&values)?;
        assert_eq!(
            out.column("t")?.str()?.iter().collect::<Vec<_>>(),
            [
                None,
                None,
                None,
                None,
                Some("12"),
                Some("12"),
                Some("1 2"),
                Some("\u{200b}")
            ]
        );
        let plain = [Some("13085.0"), None, Some("a b")];
        assert_eq!(
            by_kernel(&plain)?
                .column("t")?
                .str()?
                .iter()
                .collect::<Vec<_>>(),
            plain
        );
        Ok(())
    }

    #[test]
    fn only_values_with_whitespace_at_an_end_need_stripping() {
        for trimmed in ["", "x", "12.5", "a b", "é", "\u{200b}x", "x\u{feff}"] {
            assert!(is_trimmed(trimmed), "{trimmed:?}");
        }
        for untrimmed in [" x", "x ", "\tx", "x\r\n", "\u{a0}x", "x\u{3000}", " "] {
            assert!(!is_trimmed(untrimmed), "{untrimmed:?}");
        }
    }
}

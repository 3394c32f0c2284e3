//! Text clean-up: splitting delimited lists held in one text column, and mapping
//! digits of other scripts to ASCII. (Regex matching is [`crate::fast::regex`].)

use polars::prelude::*;

/// The first code point of each run of ten decimal digits that [`ascii_digits`] maps
/// to `0`–`9`: Arabic-Indic (U+0660–U+0669) and Persian, or Extended Arabic-Indic
/// (U+06F0–U+06F9).
const DIGIT_ZEROS: [char; 2] = ['\u{0660}', '\u{06F0}'];

/// `text` with Arabic-Indic and Persian digits replaced by ASCII `0`–`9`; other
/// characters are kept. Only rows holding non-ASCII text are rewritten.
pub fn ascii_digits(text: Expr) -> Expr {
    let mut mapped = text.clone();
    for zero in DIGIT_ZEROS {
        for digit in 0..10u32 {
            let Some(foreign) = char::from_u32(zero as u32 + digit) else {
                continue;
            };
            mapped =
                mapped
                    .str()
                    .replace_all(lit(foreign.to_string()), lit(digit.to_string()), true);
        }
    }
    when(
        text.clone()
            .str()
            .contains(lit(r"[^\x00-\x7F]"), true)
            .fill_null(lit(false)),
    )
    .then(mapped)
    .otherwise(text)
}

/// Replaces the list text in `column` (such as `Talk, Comedy,`) by one row per item:
/// split on `separator`, each item trimmed of white space, empty items dropped. A row
/// whose list is null or holds no item disappears.
pub fn explode_trimmed(lf: LazyFrame, column: &str, separator: &str) -> LazyFrame {
    lf.with_column(col(column).str().split(lit(separator)))
        .explode(
            cols([column]),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: true,
            },
        )
        .with_column(col(column).str().strip_chars(lit(NULL)))
        .filter(col(column).is_not_null().and(col(column).neq(lit(""))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_indic_digits_become_ascii() -> PolarsResult<()> {
        let df = df!("t" => [
            Some("۲۰۲۲-۰۶-۰۱ ۱۸:۴۲:۰۷"),
            Some("٢٠٢٢-٠٧-٣١"),
            Some("2022-06-01 x"),
            None,
        ])?;
        let out = df.lazy().select([ascii_digits(col("t"))]).collect()?;
        assert_eq!(
            crate::values::texts(&out, "t", "<null>")?,
            [
                "2022-06-01 18:42:07",
                "2022-07-31",
                "2022-06-01 x",
                "<null>"
            ]
        );
        Ok(())
    }

    #[test]
    fn trims_items_and_drops_empty_ones() -> PolarsResult<()> {
        let df = df!(
            "id" => [1, 2, 3],
            "genre" => [Some("Talk, Comedy"), Some(" News ,,"), None],
        )?;
        let out = explode_trimmed(df.lazy(), "genre", ",").collect()?;
        assert_eq!(
            out.column("id")?
                .i32()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [1, 1, 2]
        );
        assert_eq!(
            crate::values::texts(&out, "genre", "<null>")?,
            ["Talk", "Comedy", "News"]
        );
        Ok(())
    }
}

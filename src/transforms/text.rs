//! Splitting delimited lists held in one text column.

use polars::prelude::*;

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

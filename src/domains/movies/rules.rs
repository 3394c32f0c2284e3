//! The movies rules of `spec/movies.md`, as lazy transforms over the validated
//! tables. So far: V2 (text repair of titles, names and genres, the stars list) and V3
//! (certificates through the declared mapping).

use polars::prelude::*;

use super::tables::CERTIFICATES;
use crate::transforms::repair::{
    list_literal_text, name_characters, nfkc, null_placeholders, repair_mojibake,
};

/// V2 on one text column: mojibake repaired, NFKC, trimmed, and `""`, `[]`, `nan`
/// null.
pub fn clean_text(text: Expr) -> Expr {
    null_placeholders(nfkc(repair_mojibake(text)))
}

/// V2 on a director: [`clean_text`], then only letters, `'`, `.`, `-` and single
/// spaces kept (null when nothing is left).
pub fn clean_director(text: Expr) -> Expr {
    null_placeholders(name_characters(clean_text(text)))
}

/// V2 on IMDB `stars`: the list literal as `A, B`, null when empty.
pub fn clean_stars(text: Expr) -> Expr {
    null_placeholders(list_literal_text(clean_text(text)))
}

/// V3: `lf` with its `certificate` column read through [`CERTIFICATES`] (trimmed
/// first); a spelling not listed is kept as written, a null stays null. Row order
/// is kept.
///
/// # Errors
/// When the mapping frame cannot be built (a Polars error).
pub fn map_certificates(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    let mapping = df!(
        "__spelling" => CERTIFICATES.iter().map(|(spelling, _)| *spelling).collect::<Vec<_>>(),
        "__rating" => CERTIFICATES.iter().map(|(_, rating)| *rating).collect::<Vec<_>>(),
    )?;
    let trimmed = col("certificate").str().strip_chars(lit(NULL));
    Ok(lf
        .with_column(trimmed.alias("certificate"))
        .join(
            mapping.lazy(),
            [col("certificate")],
            [col("__spelling")],
            crate::transforms::keeping_left_order(JoinType::Left),
        )
        .with_column(coalesce(&[col("__rating"), col("certificate")]).alias("certificate"))
        .drop(cols(["__rating"])))
}

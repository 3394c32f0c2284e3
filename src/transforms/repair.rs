//! Repairing the text real catalogues hold damaged, one string at a time: mojibake
//! (UTF-8 bytes that were read as Latin-1), compatibility forms (Unicode NFKC),
//! placeholders that mean nothing (`""`, `[]`, `nan`), Python list literals
//! (`['A', 'B']`) and names with stray characters. Each function maps a String
//! column to a String column, row by row; null stays null.

use polars::prelude::*;
use unicode_normalization::UnicodeNormalization;

/// `text` with each value passed through `repair` (null stays null; `None` from
/// `repair` is null).
fn map_text(text: Expr, repair: fn(&str) -> Option<String>) -> Expr {
    text.map(
        move |column| {
            let strings = column.str()?;
            let repaired: StringChunked =
                strings.iter().map(|value| value.and_then(repair)).collect();
            Ok(repaired.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// Mojibake repair: a value whose characters are all Latin-1 (U+0000–U+00FF) and
/// whose Latin-1 bytes are valid UTF-8 holding something beyond ASCII is replaced by
/// that UTF-8 text (`AmÃ©lie` → `Amélie`); any other value is kept (`Amélie`, whose
/// Latin-1 bytes are not UTF-8, stays). Movies spec V2.
pub fn repair_mojibake(text: Expr) -> Expr {
    map_text(text, |value| Some(mojibake_repaired(value)))
}

fn mojibake_repaired(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    let latin1: Option<Vec<u8>> = value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    match latin1.map(String::from_utf8) {
        Some(Ok(decoded)) => decoded,
        _ => value.to_string(),
    }
}

/// Unicode NFKC normalisation: compatibility forms folded (`ﬁ` → `fi`, full-width
/// `Ａ` → `A`, `①` → `1`) and accents composed. Movies spec V2.
pub fn nfkc(text: Expr) -> Expr {
    map_text(text, |value| Some(value.nfkc().collect()))
}

/// The values that mean "nothing" in the catalogues, after trimming: empty, `[]`
/// (an empty list literal) and `nan` (pandas' missing value).
pub const PLACEHOLDERS: [&str; 3] = ["", "[]", "nan"];

/// `text` trimmed (Unicode whitespace), null where it is then one of
/// [`PLACEHOLDERS`]. Movies spec V2.
pub fn null_placeholders(text: Expr) -> Expr {
    map_text(text, |value| {
        let trimmed = value.trim();
        (!PLACEHOLDERS.contains(&trimmed)).then(|| trimmed.to_string())
    })
}

/// A Python list literal as plain text: `['A', 'B']` → `A, B`, items as written
/// (quotes of either kind, backslash escapes undone, `["Lupita Nyong'o"]` →
/// `Lupita Nyong'o`), joined with `, `; `[]` → empty. A value that is not a list
/// literal loses its brackets and quotes and keeps the rest. Movies spec V2 (IMDB
/// `stars`).
pub fn list_literal_text(text: Expr) -> Expr {
    map_text(text, |value| Some(list_items(value).join(", ")))
}

fn list_items(value: &str) -> Vec<String> {
    let inner = value.trim();
    let inner = inner
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(inner);
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let mut item = String::new();
                while let Some(next) = chars.next() {
                    match next {
                        '\\' => item.extend(chars.next()),
                        q if q == c => break,
                        other => item.push(other),
                    }
                }
                items.push(item.trim().to_string());
            }
            ',' | ' ' => {}
            _ => {
                // An unquoted item: up to the next comma.
                let mut item = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next == ',' {
                        break;
                    }
                    item.push(next);
                    chars.next();
                }
                let item: String = item.chars().filter(|c| !matches!(c, '\'' | '"')).collect();
                items.push(item.trim().to_string());
            }
        }
    }
    items.retain(|item| !item.is_empty());
    items
}

/// A person's name with only letters, `'`, `.`, `-` and single spaces kept (runs of
/// whitespace become one space, the ends trimmed): `Christopher  Nolan (I)` →
/// `Christopher Nolan I`. Movies spec V2 (directors).
pub fn name_characters(text: Expr) -> Expr {
    map_text(text, |value| {
        let kept: String = value
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .filter(|c| c.is_alphabetic() || matches!(c, '\'' | '.' | '-' | ' '))
            .collect();
        Some(kept.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(f: fn(Expr) -> Expr, values: &[Option<&str>]) -> PolarsResult<Vec<Option<String>>> {
        let out = df!("t" => values)?.lazy().select([f(col("t"))]).collect()?;
        Ok(out
            .column("t")?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }

    fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn mojibake_is_repaired_only_when_its_latin1_bytes_are_utf8() -> PolarsResult<()> {
        let values = [
            Some("AmÃ©lie"),     // é written as UTF-8, read as Latin-1
            Some("Ã\u{89}lite"), // É: C3 89, the second a C1 control in Latin-1
            Some("Amélie"),      // already right: E9 alone is not UTF-8
            Some("Â"),           // C2 alone: not UTF-8, kept
            Some("Léon – 1994"), // – is beyond Latin-1: kept
            Some("plain"),
            None,
        ];
        assert_eq!(
            apply(repair_mojibake, &values)?,
            owned(&[
                Some("Amélie"),
                Some("Élite"),
                Some("Amélie"),
                Some("Â"),
                Some("Léon – 1994"),
                Some("plain"),
                None
            ])
        );
        Ok(())
    }

    #[test]
    fn nfkc_folds_compatibility_forms_and_composes_accents() -> PolarsResult<()> {
        let values = [
            Some("ﬁlm"),
            Some("ＡＢＣ"),
            Some("Part ①"),
            Some("e\u{301}"),
            None,
        ];
        assert_eq!(
            apply(nfkc, &values)?,
            owned(&[Some("film"), Some("ABC"), Some("Part 1"), Some("é"), None])
        );
        Ok(())
    }

    #[test]
    fn placeholders_become_null_after_trimming() -> PolarsResult<()> {
        let values = [
            Some(""),
            Some("  "),
            Some("[]"),
            Some("nan"),
            Some(" NaN "),
            Some(" x "),
            None,
        ];
        assert_eq!(
            apply(null_placeholders, &values)?,
            owned(&[None, None, None, None, Some("NaN"), Some("x"), None])
        );
        Ok(())
    }

    #[test]
    fn list_literals_lose_brackets_and_quotes() -> PolarsResult<()> {
        let values = [
            Some("['Tom Hanks', 'Meg Ryan']"),
            Some(r#"["Lupita Nyong'o", 'B']"#),
            Some(r"['It\'s', 'x']"),
            Some("[]"),
            Some("Tom Hanks, Meg Ryan"),
            Some("['A',]"),
            None,
        ];
        assert_eq!(
            apply(list_literal_text, &values)?,
            owned(&[
                Some("Tom Hanks, Meg Ryan"),
                Some("Lupita Nyong'o, B"),
                Some("It's, x"),
                Some(""),
                Some("Tom Hanks, Meg Ryan"),
                Some("A"),
                None
            ])
        );
        Ok(())
    }

    #[test]
    fn names_keep_letters_apostrophes_dots_hyphens_and_single_spaces() -> PolarsResult<()> {
        let values = [
            Some("  Christopher   Nolan (I) "),
            Some("Jean-Pierre Jeunet"),
            Some("M. Night Shyamalan"),
            Some("Conan O'Brien\t2"),
            Some("Bong Joon-ho 봉준호"),
            None,
        ];
        assert_eq!(
            apply(name_characters, &values)?,
            owned(&[
                Some("Christopher Nolan I"),
                Some("Jean-Pierre Jeunet"),
                Some("M. Night Shyamalan"),
                Some("Conan O'Brien"),
                Some("Bong Joon-ho 봉준호"),
                None
            ])
        );
        Ok(())
    }
}

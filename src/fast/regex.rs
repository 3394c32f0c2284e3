//! Whole-value ASCII class matching: a regex check such as `^[0-9A-Fa-f]{12}$`
//! answered byte by byte instead of through the regex engine, the same answer in less
//! than half the time (see the module [`crate::fast`] for what it relies on).

use polars::prelude::*;
use regex_syntax::hir::{Class, HirKind, Look};

/// Whether `text` matches the regular expression `pattern` anywhere, as
/// `str().contains(pattern)` (null for null text). A pattern that is one ASCII
/// character class repeated over the whole value, such as `^[0-9A-Fa-f]{12}$`, is
/// checked byte by byte instead of through the regex engine: the same answer in less
/// than half the time (measured on the 10M ids and times of 5M TV viewing rows).
///
/// It relies on Polars' `str().contains(pattern, strict)` answering as the regex
/// crate's `is_match` does (null for null text); `whole_value_classes_match_like_the_
/// regex_engine` compares the two on patterns and values, and fails if Polars' answer
/// changes.
///
/// The kernel is named `smartview.regex:<pattern>` in the plan
/// ([`WHOLE_VALUE_REGEX`]), which is how [`crate::remote::sql`] translates it.
pub fn matches_regex(text: Expr, pattern: &str) -> Expr {
    match WholeValueClass::parse(pattern) {
        Some(class) => {
            let mut expr = text.map(
                move |column| Ok(class.matches(column.str()?).into_column()),
                |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
            );
            if let Expr::AnonymousFunction { fmt_str, .. } = &mut expr {
                **fmt_str = PlSmallStr::from(format!("{WHOLE_VALUE_REGEX}{pattern}"));
            }
            expr
        }
        None => text.str().contains(lit(pattern.to_string()), true),
    }
}

/// The plan name's prefix of [`matches_regex`]'s kernel; the pattern follows it.
pub const WHOLE_VALUE_REGEX: &str = "smartview.regex:";

/// A pattern `^[class]{min,max}$` over ASCII characters: every byte of the value is in
/// the class and the value's length is within the bounds.
#[derive(Clone, Debug, PartialEq)]
struct WholeValueClass {
    allowed: [bool; 128],
    min: usize,
    max: Option<usize>,
}

impl WholeValueClass {
    fn parse(pattern: &str) -> Option<Self> {
        let hir = regex_syntax::parse(pattern).ok()?;
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let [start, repeated, end] = parts.as_slice() else {
            return None;
        };
        let anchored = matches!(start.kind(), HirKind::Look(Look::Start))
            && matches!(end.kind(), HirKind::Look(Look::End));
        let HirKind::Repetition(repetition) = repeated.kind() else {
            return None;
        };
        let HirKind::Class(Class::Unicode(class)) = repetition.sub.kind() else {
            return None;
        };
        if !anchored {
            return None;
        }
        let mut allowed = [false; 128];
        for range in class.ranges() {
            if !range.end().is_ascii() {
                return None;
            }
            for byte in range.start() as u8..=range.end() as u8 {
                allowed[usize::from(byte)] = true;
            }
        }
        Some(WholeValueClass {
            allowed,
            min: usize::try_from(repetition.min).ok()?,
            max: repetition.max.map(usize::try_from).transpose().ok()?,
        })
    }

    /// An ASCII class matches one byte per character, and no byte of a non-ASCII
    /// character is in it, so counting bytes counts characters.
    fn is_match(&self, value: &str) -> bool {
        let length = value.len();
        length >= self.min
            && self.max.is_none_or(|max| length <= max)
            && value
                .bytes()
                .all(|byte| self.allowed.get(usize::from(byte)) == Some(&true))
    }

    fn matches(&self, text: &StringChunked) -> BooleanChunked {
        text.apply_nonnull_values_generic(DataType::Boolean, |value| self.is_match(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regex_matches(pattern: &str, values: &[Option<&str>]) -> PolarsResult<Vec<Option<bool>>> {
        let df = df!("t" => values)?;
        let out = df
            .lazy()
            .select([matches_regex(col("t"), pattern)])
            .collect()?;
        Ok(out.column("t")?.bool()?.iter().collect())
    }

    #[test]
    fn whole_value_classes_match_like_the_regex_engine() -> PolarsResult<()> {
        let values = [
            Some("0C6CF14C08B8"),
            Some("0c6cf14c08b8"),
            Some("0C6CF14C08B"),
            Some("0C6CF14C08B8A"),
            Some("0C6CF14C08G8"),
            Some("0C6CF14C08B\u{e9}"),
            Some(" 0C6CF14C08B8"),
            Some("0C6CF14C08B8\n"),
            Some(""),
            Some("٣"),
            None,
        ];
        for pattern in [
            r"^[0-9A-Fa-f]{12}$",
            r"^[0-9]{1,6}$",
            r"^[A-F]{0,3}$",
            r"^[a-z0-9_]+$",
            r"^[0-9a-f]*$",
            r"^\d{1,6}$",
            r"[0-9A-F]{12}",
            r"^[0-9A-F]{12}",
        ] {
            let by_engine = {
                let df = df!("t" => values)?;
                let out = df
                    .lazy()
                    .select([col("t").str().contains(lit(pattern), true)])
                    .collect()?;
                out.column("t")?.bool()?.iter().collect::<Vec<_>>()
            };
            assert_eq!(regex_matches(pattern, &values)?, by_engine, "{pattern}");
        }
        Ok(())
    }

    #[test]
    fn only_anchored_ascii_class_runs_take_the_fast_path() {
        let hex = WholeValueClass::parse(r"^[0-9A-Fa-f]{12}$").expect("a class run");
        assert_eq!((hex.min, hex.max), (12, Some(12)));
        assert!(hex.allowed[usize::from(b'a')] && !hex.allowed[usize::from(b'g')]);
        assert_eq!(
            WholeValueClass::parse(r"^[0-9]+$").map(|c| c.max),
            Some(None)
        );
        // Unicode digits, unanchored ends and alternatives go to the regex engine.
        for pattern in [
            r"^\d{1,6}$",
            r"[0-9]{3}",
            r"^[0-9]{3}",
            r"^(ab|cd)$",
            r"^x{3}$",
        ] {
            assert_eq!(WholeValueClass::parse(pattern), None, "{pattern}");
        }
    }
}

//! How a run reads its raw text, set once per run and handed to every reader: the
//! text encoding (`--encoding`), the order of day and month in ambiguous dates
//! (`--date-order`), and what the readers leave for the run's summary: notices, and
//! the count of empty cells they left out.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{bail, Result};
use encoding_rs::Encoding;

use crate::schema::DateOrder;
use crate::transforms::DroppedCells;

/// A run's reading options and the notices its readers leave.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// The encoding of every raw text file; `None` reads UTF-8 (and flags lines that
    /// are not, with a notice per file).
    pub encoding: Option<&'static Encoding>,
    /// The order of day and month in a multi-layout date column (`01/02/2011`);
    /// `None` decides per file from the values (see [`crate::schema::DateOrder`]).
    pub date_order: Option<DateOrder>,
    /// What the readers found worth saying.
    pub notices: Notices,
    /// Empty cells of wide files that readers left out as they unpivoted them
    /// ([`crate::transforms::unpivot_dropping_empty`]), counted as their plans run.
    pub dropped_cells: DroppedCells,
}

impl Reading {
    /// Reading options from the command line's `--encoding LABEL` (a WHATWG label
    /// such as `latin1`, `windows-1252`, `iso-8859-15`, `utf-8`) and `--date-order`.
    ///
    /// # Errors
    /// When the label names no encoding, or one whose bytes do not keep ASCII's
    /// meaning (UTF-16, ISO-2022-JP): separators, quotes and line ends could then not
    /// be found in the raw bytes.
    pub fn new(encoding: Option<&str>, date_order: Option<DateOrder>) -> Result<Self> {
        let encoding = match encoding {
            None => None,
            Some(label) => Some(encoding_for_label(label)?).filter(|e| *e != encoding_rs::UTF_8),
        };
        Ok(Reading {
            encoding,
            date_order,
            notices: Notices::default(),
            dropped_cells: DroppedCells::default(),
        })
    }
}

/// The encoding a WHATWG label names (`latin1` is windows-1252, as in browsers).
///
/// # Errors
/// As [`Reading::new`].
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding> {
    let Some(encoding) = Encoding::for_label(label.trim().as_bytes()) else {
        bail!(
            "`{label}` is not an encoding label. Consider utf-8, windows-1252 (latin1), \
             iso-8859-15, windows-1250, shift_jis or gbk (WHATWG labels)"
        );
    };
    if !encoding.is_ascii_compatible() {
        bail!(
            "encoding {} is not supported for delimited text: its bytes do not keep \
             ASCII's separators and line ends. Consider converting the file to UTF-8",
            encoding.name()
        );
    }
    Ok(encoding)
}

/// Notices shared by the readers of one run, in the order they were left.
#[derive(Clone, Debug, Default)]
pub struct Notices(Arc<Mutex<Vec<String>>>);

impl Notices {
    /// Leaves a notice; the same text twice is kept once.
    pub fn push(&self, notice: String) {
        let mut notices = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !notices.contains(&notice) {
            notices.push(notice);
        }
    }

    /// Every notice left so far.
    pub fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_whatwg_and_refuse_non_ascii_layouts() -> Result<()> {
        let latin1 = Reading::new(Some("latin1"), None)?;
        assert_eq!(latin1.encoding, Some(encoding_rs::WINDOWS_1252));
        assert_eq!(Reading::new(Some("UTF-8"), None)?.encoding, None);
        let unknown = Reading::new(Some("klingon"), None).unwrap_err();
        assert!(format!("{unknown}").contains("`klingon` is not an encoding label"));
        let utf16 = Reading::new(Some("utf-16le"), None).unwrap_err();
        assert!(
            format!("{utf16}").contains("UTF-16LE is not supported"),
            "{utf16}"
        );
        Ok(())
    }

    #[test]
    fn notices_keep_order_and_drop_repeats() {
        let notices = Notices::default();
        notices.clone().push("b".into());
        notices.push("a".into());
        notices.push("b".into());
        assert_eq!(notices.all(), ["b", "a"]);
    }
}

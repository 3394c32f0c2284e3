//! Date-partitioned raw data: one file (`20220601.json`) or one folder
//! (`20220601/`) per day, selected by an inclusive date range.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;

/// An inclusive range of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// The range from `from` to `to`, both `YYYYMMDD`; an error names a bad date.
    ///
    /// # Errors
    /// When `from` or `to` is not a date written `YYYYMMDD` (the message quotes it), or
    /// `to` is before `from`.
    pub fn parse(from: &str, to: &str) -> Result<Self> {
        let range = DateRange {
            from: parse_day(from)?,
            to: parse_day(to)?,
        };
        if range.to < range.from {
            bail!("the date range {from}..{to} ends before it starts. Consider swapping --from and --to");
        }
        Ok(range)
    }

    /// Days in the range, both ends counted.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// Parses `YYYYMMDD`: exactly eight ASCII digits (chrono alone reads `2022061` as
/// 2022-06-01 and `2022 6 1` too).
///
/// # Errors
/// When `text` is not a valid date written `YYYYMMDD`; the message quotes it.
pub fn parse_day(text: &str) -> Result<NaiveDate> {
    let digits = text.len() == 8 && text.bytes().all(|byte| byte.is_ascii_digit());
    digits
        .then(|| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
        .flatten()
        .with_context(|| format!("`{text}` is not a date written YYYYMMDD (for example 20220601)"))
}

/// One day's entry: its date and its file or folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub path: PathBuf,
}

/// The entries of `dir` named `YYYYMMDD<suffix>` (files when `suffix` is non-empty,
/// folders when it is empty), in date order, restricted to `range` when given.
/// Another name in the folder is an error naming it, so that a stray file is noticed
/// rather than read or skipped silently.
///
/// # Errors
/// When `dir` cannot be read; when an entry whose name does not start with `.` is not a
/// `YYYYMMDD<suffix>` file (a `YYYYMMDD` folder when `suffix` is empty), the message
/// naming it; or when no entry is found (within `range`, when given).
pub fn daily_entries(dir: &Path, suffix: &str, range: Option<DateRange>) -> Result<Vec<Day>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?;
    let mut days = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let is_wanted_kind = if suffix.is_empty() {
            entry.path().is_dir()
        } else {
            entry.path().is_file()
        };
        let date = name
            .strip_suffix(suffix)
            .filter(|_| is_wanted_kind)
            .and_then(|stem| parse_day(stem).ok());
        let Some(date) = date else {
            let kind = if suffix.is_empty() {
                "folder YYYYMMDD"
            } else {
                "file YYYYMMDD"
            };
            bail!(
                "{} does not belong in {}: every entry there must be a {kind}{suffix}. \
                 Consider moving it elsewhere",
                name,
                dir.display()
            );
        };
        if range.is_none_or(|r| r.contains(date)) {
            days.push(Day {
                date,
                path: entry.path(),
            });
        }
    }
    if days.is_empty() {
        let within = range
            .map(|r| {
                format!(
                    " from {} to {}",
                    r.from.format("%Y%m%d"),
                    r.to.format("%Y%m%d")
                )
            })
            .unwrap_or_default();
        bail!(
            "no daily entry YYYYMMDD{suffix}{within} in {}. Consider checking the folder and \
             the --from/--to range",
            dir.display()
        );
    }
    days.sort_by_key(|d| d.date);
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_days_in_range_in_date_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        for name in ["20220603.json", "20220601.json", "20220602.json"] {
            std::fs::write(dir.path().join(name), "")?;
        }
        let range = DateRange::parse("20220602", "20220610")?;
        let days = daily_entries(dir.path(), ".json", Some(range))?;
        let names: Vec<_> = days
            .iter()
            .map(|d| d.path.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["20220602.json", "20220603.json"]);
        assert_eq!(range.days(), 9);
        Ok(())
    }

    #[test]
    fn a_stray_name_is_an_error_naming_it() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("20220601.json"), "")?;
        std::fs::write(dir.path().join("notes.json"), "")?;
        let error = daily_entries(dir.path(), ".json", None).unwrap_err();
        assert!(error.to_string().contains("notes.json"), "{error}");
        Ok(())
    }

    #[test]
    fn an_empty_selection_and_a_reversed_range_are_errors() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("20220601"))?;
        assert_eq!(daily_entries(dir.path(), "", None)?.len(), 1);
        let july = DateRange::parse("20220701", "20220731")?;
        assert!(daily_entries(dir.path(), "", Some(july)).is_err());
        assert!(DateRange::parse("20220702", "20220701").is_err());
        assert!(DateRange::parse("2022-07-01", "20220701").is_err());
        // Eight digits exactly, which chrono alone does not ask for.
        for lenient in ["2022071", "2022 7 1", "+20220701", "20220701 "] {
            assert!(DateRange::parse(lenient, "20220731").is_err(), "{lenient}");
        }
        std::fs::create_dir(dir.path().join("2022 6 2"))?;
        assert!(daily_entries(dir.path(), "", None).is_err());
        Ok(())
    }
}

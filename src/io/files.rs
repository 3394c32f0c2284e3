//! Finding a raw table's files.
//!
//! A table is stored as one or more files whose names match a [`NamePattern`]:
//! a prefix and a suffix (`viewing*.csv`), compared without regard to ASCII case,
//! since downloads and copies between systems change it (`WDICSV.csv`,
//! `wdicsv.csv`, `VIEWING.CSV` are the same table), optionally with names that are
//! another table's left out (`wdi*.csv` but not `WDICountry*`). The files are
//! returned in file-name (byte) order, which is the order "first" refers to in every
//! rule. When nothing matches, the error names the folder, the patterns accepted and
//! the first names that are there.

use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Error, Result};

/// How many of a folder's names an error lists.
pub const LISTED_NAMES: usize = 12;

/// A raw table's file names: `<prefix>*<suffix>`, case-insensitive (ASCII), except
/// names starting with one of `except` (also case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamePattern {
    /// Names start with this, for example `viewing`.
    pub prefix: &'static str,
    /// Names end with this, for example `.csv`.
    pub suffix: &'static str,
    /// Names starting with one of these are not the table's, although they match.
    pub except: &'static [&'static str],
}

impl NamePattern {
    /// `<prefix>*<suffix>`, with no exception.
    pub const fn new(prefix: &'static str, suffix: &'static str) -> Self {
        NamePattern {
            prefix,
            suffix,
            except: &[],
        }
    }

    /// This pattern, leaving out names that start with one of `prefixes`.
    pub const fn except(self, prefixes: &'static [&'static str]) -> Self {
        NamePattern {
            except: prefixes,
            ..self
        }
    }

    /// Whether `name` (a file name, without its folder) is one of the table's.
    pub fn matches(&self, name: &str) -> bool {
        name_matches(name, self.prefix, self.suffix, self.except)
    }
}

/// `name` starts with `prefix`, ends with `suffix` and starts with none of `except`,
/// all without regard to ASCII case.
fn name_matches(name: &str, prefix: &str, suffix: &str, except: &[&str]) -> bool {
    let folded = name.to_ascii_lowercase();
    let starts_with = |start: &str| folded.starts_with(&start.to_ascii_lowercase());
    folded.len() >= prefix.len() + suffix.len()
        && starts_with(prefix)
        && folded.ends_with(&suffix.to_ascii_lowercase())
        && !except.iter().any(|other| starts_with(other))
}

/// `prefix*suffix`, then `(not other*, …)` when names are left out.
impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}*{}", self.prefix, self.suffix)?;
        if !self.except.is_empty() {
            let others: Vec<String> = self.except.iter().map(|o| format!("{o}*")).collect();
            write!(f, " (not {})", others.join(", "))?;
        }
        Ok(())
    }
}

/// The files in `dir` whose names start with `prefix` and end with `suffix`, in any
/// case, sorted by name.
///
/// # Errors
/// When the folder cannot be read, or nothing matches: the message names the folder
/// and the pattern, and lists the names that are there.
pub fn find_table_files(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>> {
    let files = files_where(dir, |name| name_matches(name, prefix, suffix, &[]))?;
    if files.is_empty() {
        return Err(no_match(dir, &[format!("{prefix}*{suffix}")]));
    }
    Ok(files)
}

/// The files in `dir` matching any of `patterns`, sorted by name; empty when none
/// does.
///
/// # Errors
/// When the folder cannot be read.
pub fn matching_files(dir: &Path, patterns: &[NamePattern]) -> Result<Vec<PathBuf>> {
    files_where(dir, |name| patterns.iter().any(|p| p.matches(name)))
}

/// The files in `dir` matching any of `patterns`, sorted by name.
///
/// # Errors
/// When the folder cannot be read, or nothing matches (see [`no_file_matching`]).
pub fn find_files(dir: &Path, patterns: &[NamePattern]) -> Result<Vec<PathBuf>> {
    let files = matching_files(dir, patterns)?;
    if files.is_empty() {
        return Err(no_file_matching(dir, patterns));
    }
    Ok(files)
}

/// The error for a folder where none of `patterns` matches: `no file matching
/// <patterns> in <dir>`, the first names that are in the folder (sorted; folders end
/// with `/`), and what to do.
pub fn no_file_matching(dir: &Path, patterns: &[NamePattern]) -> Error {
    let accepted: Vec<String> = patterns.iter().map(ToString::to_string).collect();
    no_match(dir, &accepted)
}

fn no_match(dir: &Path, accepted: &[String]) -> Error {
    let accepted = match accepted {
        [] => String::from("(no pattern)"),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    let present = match folder_names(dir) {
        Ok(names) if names.is_empty() => String::from("the folder is empty"),
        Ok(names) => {
            let more = names.len().saturating_sub(LISTED_NAMES);
            let shown = names
                .into_iter()
                .take(LISTED_NAMES)
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                format!("the folder holds {shown} and {more} more")
            } else {
                format!("the folder holds {shown}")
            }
        }
        Err(error) => format!("the folder cannot be listed ({error})"),
    };
    anyhow!(
        "no file matching {accepted} in {}; {present}. Consider renaming the table's \
         files to one of those names, pointing --raw at the folder holding the raw \
         files, or generating a sample with `cargo run --release --bin datagen`",
        dir.display()
    )
}

/// The names in `dir`, sorted, folders marked with a trailing `/`.
fn folder_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// The files in `dir` whose names pass `keep`, sorted by name. An entry whose name
/// passes but that cannot be read as a file is an error naming it, so that no input
/// is skipped without a word: a folder, a FIFO or other special file, a symbolic
/// link to nothing (dangling, or a loop), or a name that is not UTF-8 (checked as
/// its lossy text, so that `viewing_\xff.csv` counts as a viewing file).
fn files_where(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the raw data folder {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name();
        let shown = name.to_string_lossy();
        if !keep(&shown) {
            continue;
        }
        let path = entry.path();
        let refuse = |what: &str| {
            // The name as text, control characters escaped: it may be anything.
            let shown = quoted_input(&path.to_string_lossy(), 300);
            anyhow!(
                "{shown} matches a raw table's file names but {what}, so it cannot be read. \
                 Consider removing it from {} or renaming it",
                dir.display()
            )
        };
        if name.to_str().is_none() {
            return Err(refuse("its name is not UTF-8"));
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(path),
            Ok(meta) if meta.is_dir() => return Err(refuse("is a folder")),
            Ok(_) => return Err(refuse("is not a regular file (a FIFO, socket or device)")),
            Err(error) => {
                let what = format!("is a symbolic link to nothing readable ({error})");
                return Err(refuse(&what));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `path` is a file (following symbolic links); false when it cannot be
/// read.
pub fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// Whether `dir` or a folder below it holds a file ending in `.<extension>`; false
/// when `dir` cannot be listed.
pub fn has_files_below(dir: &Path, extension: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            has_files_below(&path, extension)
        } else {
            path.extension().is_some_and(|e| e == extension)
        }
    })
}

/// The folders directly in `dir` whose names do not start with `.`, in name order;
/// none when `dir` does not exist.
///
/// # Errors
/// When `dir` exists but cannot be listed; the message names it.
pub fn subfolders(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut folders = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.path().is_dir() {
            folders.push(entry.path());
        }
    }
    folders.sort();
    Ok(folders)
}

/// The whole of a UTF-8 text file.
///
/// # Errors
/// When the file cannot be read or is not UTF-8; the message names it.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Known binary formats by their first bytes, for [`check_text_file`]: name, magic
/// bytes, and what to do instead.
const NOT_TEXT: &[(&str, &[u8], &str)] = &[
    (
        "gzip-compressed",
        b"\x1f\x8b",
        "decompressing it first (gunzip -k)",
    ),
    (
        "zstd-compressed",
        b"\x28\xb5\x2f\xfd",
        "decompressing it first (zstd -d)",
    ),
    (
        "bzip2-compressed",
        b"BZh",
        "decompressing it first (bunzip2 -k)",
    ),
    (
        "xz-compressed",
        b"\xfd7zXZ\x00",
        "decompressing it first (unxz -k)",
    ),
    (
        "zip archive (or Excel workbook)",
        b"PK\x03\x04",
        "extracting it, or saving the sheet as CSV",
    ),
    (
        "Parquet file",
        b"PAR1",
        "giving it a .parquet name where the table reads Parquet",
    ),
    (
        "UTF-16 text (little-endian)",
        b"\xff\xfe",
        "saving it as UTF-8",
    ),
    (
        "UTF-16 text (big-endian)",
        b"\xfe\xff",
        "saving it as UTF-8",
    ),
];

/// Refuses, by name, a raw text file that is not text: a compressed file, an
/// archive or Parquet (recognised by their first bytes), UTF-16, or a file with a NUL
/// byte in its first 4 KiB (binary). Reading such a file as lines would quarantine
/// every row, or fail with a misleading message.
///
/// # Errors
/// When the file cannot be read, or is not text; the message names the file, what it
/// looks like and what to do.
pub fn check_text_file(file: &Path) -> Result<()> {
    use std::io::Read;
    let mut start = Vec::with_capacity(4096);
    File::open(file)
        .and_then(|handle| handle.take(4096).read_to_end(&mut start))
        .with_context(|| format!("cannot read {}", file.display()))?;
    for (kind, magic, instead) in NOT_TEXT {
        if start.starts_with(magic) {
            bail!(
                "{} is a {kind}, not the text SmartView reads for this table. Consider {instead}",
                file.display()
            );
        }
    }
    if let Some(offset) = memchr::memchr(0, &start) {
        bail!(
            "{} holds a NUL byte at byte {offset}: it is binary, not text. Consider checking \
             that it is the table's export itself",
            file.display()
        );
    }
    Ok(())
}

/// `text` as an error message may quote it: at most `max` characters (`…` after a
/// cut), control characters escaped (`\u{1b}`), so that no input floods or drives
/// the terminal.
pub fn quoted_input(text: &str, max: usize) -> String {
    let mut shown: String = text
        .chars()
        .take(max)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    shown
}

/// Creates `dir` and its missing parents.
///
/// # Errors
/// When the folder cannot be created; the message names it.
pub fn create_folder(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// A new file at `path` (replacing one that is there) behind a 1 MiB write buffer,
/// its folder created: for generators that write files line by line.
///
/// # Errors
/// When the folder or the file cannot be created; the message names it.
pub fn create_file(path: &Path) -> Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        create_folder(dir)?;
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(names: &[&str]) -> Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        for name in names {
            std::fs::write(dir.path().join(name), "x\n")?;
        }
        Ok(dir)
    }

    fn names(files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect()
    }

    #[test]
    fn every_tables_names_match_in_any_case_in_name_order() -> Result<()> {
        let dir = folder(&["viewing_2.csv", "VIEWING_1.CSV", "Viewing.Csv", "views.csv"])?;
        let files = find_table_files(dir.path(), "viewing", ".csv")?;
        assert_eq!(
            names(&files),
            ["VIEWING_1.CSV", "Viewing.Csv", "viewing_2.csv"],
            "byte order: upper case first"
        );
        Ok(())
    }

    #[test]
    fn no_match_lists_the_folders_names_sorted_and_the_pattern() -> Result<()> {
        let dir = folder(&["zeta.txt", "Demographics.json", "alpha.csv"])?;
        std::fs::create_dir(dir.path().join("old"))?;
        let error = find_table_files(dir.path(), "demographics", ".txt")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            error.contains("no file matching demographics*.txt in")
                && error.contains("the folder holds Demographics.json, alpha.csv, old/, zeta.txt."),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn no_match_in_a_large_folder_lists_the_first_names_and_counts_the_rest() -> Result<()> {
        let many: Vec<String> = (0..15).map(|i| format!("f{i:02}.txt")).collect();
        let dir = folder(&many.iter().map(String::as_str).collect::<Vec<_>>())?;
        let error = format!(
            "{}",
            no_file_matching(dir.path(), &[NamePattern::new("a", ".csv")])
        );
        assert!(
            error.contains("f00.txt, f01.txt") && error.contains("f11.txt and 3 more"),
            "{error}"
        );
        assert!(!error.contains("f12.txt"), "{error}");
        let empty = tempfile::tempdir()?;
        let error = format!(
            "{}",
            no_file_matching(empty.path(), &[NamePattern::new("a", ".csv")])
        );
        assert!(error.contains("the folder is empty"), "{error}");
        Ok(())
    }

    #[test]
    fn a_pattern_leaves_out_names_starting_with_its_exceptions_in_any_case() -> Result<()> {
        const LONG: NamePattern = NamePattern::new("wdi", ".csv").except(&["WDICountry", "WDICSV"]);
        assert!(LONG.matches("wdi.csv") && LONG.matches("WDI_long.CSV"));
        assert!(!LONG.matches("WDICountry.csv") && !LONG.matches("wdicsv.csv"));
        assert!(!LONG.matches("wdi.csv.bak") && !LONG.matches("my_wdi.csv"));
        assert_eq!(LONG.to_string(), "wdi*.csv (not WDICountry*, WDICSV*)");
        let dir = folder(&["WDICSV.csv", "wdi_b.csv", "API_x.csv", "Metadata_API_x.csv"])?;
        let patterns = [LONG, NamePattern::new("API_", ".csv")];
        assert_eq!(
            names(&find_files(dir.path(), &patterns)?),
            ["API_x.csv", "wdi_b.csv"]
        );
        let error = format!("{}", no_file_matching(dir.path(), &patterns));
        assert!(
            error.contains("no file matching wdi*.csv (not WDICountry*, WDICSV*) or API_*.csv in"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn a_name_needs_room_for_both_prefix_and_suffix() {
        assert!(!NamePattern::new("a.csv", ".csv").matches("a.csv"));
        assert!(NamePattern::new("a", ".csv").matches("a.csv"));
    }

    /// Issue 16, fault 7: input quoted in a message is cut and shows no control
    /// character raw; a compressed or binary file is named with what it is.
    #[test]
    fn quoted_input_is_short_and_printable_and_binary_files_are_named() -> Result<()> {
        assert_eq!(quoted_input("a\u{1b}[31mb\0c", 100), "a\\u{1b}[31mb\\u{0}c");
        assert_eq!(quoted_input(&"x".repeat(500), 3), "xxx…");
        assert_eq!(quoted_input("abc", 3), "abc");
        let dir = tempfile::tempdir()?;
        let cases: [(&str, &[u8], &str); 4] = [
            ("a.csv", b"\x1f\x8b\x08\x00rest", "is a gzip-compressed"),
            ("b.csv", b"\x28\xb5\x2f\xfdrest", "is a zstd-compressed"),
            ("c.csv", b"\xff\xfea\x00b\x00", "is a UTF-16 text"),
            (
                "d.csv",
                b"id,name\n1,x\x002\n",
                "holds a NUL byte at byte 11",
            ),
        ];
        for (name, bytes, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes)?;
            let message = check_text_file(&path).err().map(|e| e.to_string());
            let message = message.unwrap_or_default();
            assert!(
                message.contains(name) && message.contains(expected),
                "{message}"
            );
        }
        std::fs::write(dir.path().join("ok.csv"), "id,name\n1,é\n")?;
        assert!(check_text_file(&dir.path().join("ok.csv")).is_ok());
        Ok(())
    }

    /// Issue 16, fault 4: a matching entry that is not a readable file is named, not
    /// skipped; entries that do not match stay out of it.
    #[test]
    fn a_matching_entry_that_is_not_a_readable_file_is_refused_by_name() -> Result<()> {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::symlink;

        let pattern = [NamePattern::new("viewing", ".csv")];
        let with = |make: &dyn Fn(&Path) -> std::io::Result<()>| -> Result<String> {
            let dir = folder(&["viewing_001.csv", "notes.txt"])?;
            make(dir.path())?;
            Ok(match find_files(dir.path(), &pattern) {
                Ok(files) => format!("read {:?}", names(&files)),
                Err(error) => error.to_string(),
            })
        };
        let folder_error = with(&|d| std::fs::create_dir(d.join("viewing_002.csv")))?;
        assert!(
            folder_error
                .contains("viewing_002.csv matches a raw table's file names but is a folder"),
            "{folder_error}"
        );
        let fifo = with(&|d| {
            let path = std::ffi::CString::new(d.join("viewing_003.csv").as_os_str().as_bytes())?;
            // SAFETY: a valid NUL-terminated path.
            match unsafe { libc::mkfifo(path.as_ptr(), 0o600) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })?;
        assert!(
            fifo.contains("viewing_003.csv") && fifo.contains("FIFO"),
            "{fifo}"
        );
        let dangling = with(&|d| symlink(d.join("gone.csv"), d.join("viewing_004.csv")))?;
        assert!(
            dangling.contains("viewing_004.csv") && dangling.contains("symbolic link to nothing"),
            "{dangling}"
        );
        let looped = with(&|d| symlink(d.join("viewing_005.csv"), d.join("viewing_005.csv")))?;
        assert!(
            looped.contains("viewing_005.csv") && looped.contains("symbolic link"),
            "{looped}"
        );
        let latin1 =
            with(&|d| std::fs::write(d.join(OsStr::from_bytes(b"viewing_\xe9.csv")), "x\n"))?;
        assert!(
            latin1.contains("viewing_\u{FFFD}.csv") && latin1.contains("not UTF-8"),
            "{latin1}"
        );
        let linked = with(&|d| symlink(d.join("viewing_001.csv"), d.join("viewing_006.csv")))?;
        assert_eq!(
            linked, r#"read ["viewing_001.csv", "viewing_006.csv"]"#,
            "a link to a file is read"
        );
        Ok(())
    }
}

/// The total size in bytes of `files`: known before they are read, it lets a pipeline
/// plan passes over a large table.
///
/// # Errors
/// When a file's size cannot be read; the message names it.
pub fn total_bytes<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<u64> {
    files.into_iter().try_fold(0, |total, file| {
        let metadata = std::fs::metadata(file)
            .with_context(|| format!("cannot read the size of {}", file.display()))?;
        Ok(total + metadata.len())
    })
}

/// The files in `dir` whose extension is `extension` (in any case), in name order;
/// empty when there are none.
///
/// # Errors
/// When the folder cannot be listed; the message names it.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let matches = path
            .extension()
            .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(extension));
        if matches && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Removes what is in `dir` (when it exists) and creates it empty: the start of a run
/// that writes a folder of parts.
///
/// # Errors
/// When the folder cannot be removed or created; the message names it.
pub fn clear_folder(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

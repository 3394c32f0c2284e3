//! Finding a raw table's files.
//!
//! A table is stored as one or more files whose names start with a prefix and end
//! with a suffix (`viewing*.csv`). They are returned in file-name order, which is the
//! order "first" refers to in every rule.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The files in `dir` whose names start with `prefix` and end with `suffix`, sorted by
/// name. An error names the folder and the pattern when nothing matches.
pub fn find_table_files(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the raw data folder {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix) && name.ends_with(suffix) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    if files.is_empty() {
        bail!(
            "no file matching {prefix}*{suffix} in {}. Consider pointing --raw at the folder \
             holding the raw files, or generating a sample with `cargo run --release --bin datagen`",
            dir.display()
        );
    }
    files.sort();
    Ok(files)
}

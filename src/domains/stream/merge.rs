//! S3 file by file: one raw file merged into its Delta table in one commit, the file
//! recorded in that same commit (an application transaction named after its name
//! and SHA-256, numbered with its size), so that a file merged once is skipped after.
//! The file is validated like a report run's (its failing rows kept as Parquet in
//! `<lake>/_quarantine/<table>/`), deduplicated within itself, then merged: ad
//! revenue upserted on (channel_id, date), the others inserted on their keys. A file
//! with a record that is not CSV at all (corrupt or cut short) is refused whole.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{col, lit};

use super::pipeline::{CuratedTable, CURATED_TABLES};
use super::rules::Deduplicated;
use super::tables;
use crate::io::lake::{merge, LakeTable, Merged, Record};
use crate::io::sink::sha256_of;
use crate::io::{scan_parquet, validate_table, DomainPaths, RawTable};
use crate::schema::{LINE, REASON};

/// What merging one file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileMerge {
    /// Its rows are in `table` (`merged.version` is `None` when all were there already).
    Merged {
        table: &'static str,
        merged: Merged,
        valid: u64,
        quarantined: u64,
    },
    /// The same file (name, size, SHA-256) was merged before, in a version ≤ `version`.
    Skipped { table: &'static str, version: i64 },
}

/// The curated table a file merges into, and the raw table it is read as, by its
/// name (`ad_revenue_2025-03-10.csv` is ad revenue).
fn table_of(file: &Path) -> Result<(&'static CuratedTable, RawTable)> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    for curated in &CURATED_TABLES {
        if name.starts_with(curated.raw) && name.ends_with(".csv") {
            if let Some(raw) = tables::all()
                .into_iter()
                .find(|t| t.schema.name == curated.raw)
            {
                return Ok((curated, raw));
            }
        }
    }
    bail!(
        "{} is not a stream file: its name starts with none of channel_metadata, \
         demographics, ad_revenue, viewership_logs (and ends with .csv)",
        file.display()
    )
}

/// Merges `file` into its Delta table under `lake` (see the module doc).
///
/// # Errors
/// When the file's name is not a stream table's, it cannot be read, a record is not
/// CSV (corrupt or truncated: the message names the file and the first such line),
/// or the commit fails; the table is then as it was.
pub fn merge_file(lake: &Path, file: &Path) -> Result<FileMerge> {
    let (table_spec, raw) = table_of(file)?;
    let curated = table_spec.name;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let sha256 = sha256_of(file)?;
    let app_id = format!("smartview-file:{name}:{sha256}");
    check_lake(lake)?;

    let folder = lake.join(curated);
    // One writer at a time per table, the table read after the lock is taken.
    let _lock = crate::io::lake::lock(&folder)?;
    if folder.join("_delta_log").is_dir() {
        let table = LakeTable::open(&folder)?;
        if table.transaction(&app_id)?.is_some() {
            return Ok(FileMerge::Skipped {
                table: curated,
                version: table.version(),
            });
        }
    }

    // Validated alone, in a scratch folder holding only this file.
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let paths = DomainPaths::in_folder(scratch.path());
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::copy(file, paths.raw.join(&name))
        .with_context(|| format!("cannot read {}", file.display()))?;
    // Errors name the file as the user gave it, not its scratch copy.
    let copy = paths.raw.join(&name).display().to_string();
    let (count, _) = validate_table(&paths, &raw, &[], Vec::new()).map_err(|error| {
        let message = format!("{error:#}").replace(&copy, &file.display().to_string());
        anyhow::anyhow!("{message}")
    })?;
    if count.rows_quarantined > 0 {
        // A record that is not CSV at all (a quote never closed, fields missing): the
        // file is corrupt or cut short, and none of it is merged.
        let broken = scan_parquet(&paths.quarantine(raw.schema.name))?
            .filter(col(REASON).str().starts_with(lit("layout|")))
            .sort([LINE], Default::default())
            .collect()?;
        if broken.height() > 0 {
            let line = crate::values::i64s(&broken, LINE, 0)?
                .first()
                .copied()
                .unwrap_or(0);
            let reason = crate::values::texts(&broken, REASON, "")?
                .first()
                .cloned()
                .unwrap_or_default();
            bail!(
                "{} is corrupt or truncated: line {line} is {reason} ({} such line(s)); nothing of it \
                 is merged",
                file.display(),
                broken.height()
            );
        }
    }
    let valid = scan_parquet(&paths.valid(raw.schema.name))?;
    let Deduplicated { kept, .. } = table_spec.curate(valid)?;
    let rows = kept.collect()?;
    let mut table = LakeTable::open_or_create(&folder, &rows.schema(), table_spec.partition)?;
    let stem = format!("part-{:05}", table.version() + 1);
    let merged = merge(
        &mut table,
        &rows,
        table_spec.keys,
        table_spec.mode,
        Record {
            transactions: vec![(app_id, size as i64)],
            ..Record::default()
        },
        &stem,
    )?;
    // The failing rows, kept once the file is merged, named by its content too: two
    // files of one name never share a quarantine file.
    if count.rows_quarantined > 0 {
        let kept = quarantine_path(lake, curated, &name, &sha256);
        std::fs::create_dir_all(kept.parent().unwrap_or(lake))?;
        std::fs::copy(paths.quarantine(raw.schema.name), &kept).with_context(|| {
            format!(
                "cannot keep the quarantine of {} in {}",
                file.display(),
                kept.display()
            )
        })?;
    }
    Ok(FileMerge::Merged {
        table: curated,
        merged,
        valid: count.rows_valid,
        quarantined: count.rows_quarantined,
    })
}

/// Checks that `lake` can be the folder of the stream tables: not a file, and not
/// one Delta table (a common slip: `--lake data/lake/stream/viewership`).
///
/// # Errors
/// When it is either, saying what to give instead.
pub fn check_lake(lake: &Path) -> Result<()> {
    if lake.exists() && !lake.is_dir() {
        bail!("the lake {} is a file, not a folder", lake.display());
    }
    if lake.join("_delta_log").is_dir() {
        bail!(
            "{} is a Delta table, not a lake folder of tables. Consider its parent folder",
            lake.display()
        );
    }
    Ok(())
}

/// Where the failing rows of a merged file are kept: `<lake>/_quarantine/<table>/<file
/// name>.<first 12 hex digits of its SHA-256>.parquet`.
pub fn quarantine_path(lake: &Path, table: &str, file_name: &str, sha256: &str) -> PathBuf {
    let short = sha256.get(..12).unwrap_or(sha256);
    lake.join("_quarantine")
        .join(table)
        .join(format!("{file_name}.{short}.parquet"))
}

/// The rows kept in the lake's quarantine by `stream merge` and `stream ingest`
/// (`<lake>/_quarantine/<table>/*.parquet`): `table`, `source` (the merged file's
/// name, or `nats:<stream>` for live events), `reason` (str) and `rows` (i64), sorted
/// by table, source and reason. No rows when nothing was quarantined.
///
/// # Errors
/// When a quarantine file cannot be read.
pub fn lake_quarantine_summary(lake: &Path) -> Result<polars::prelude::DataFrame> {
    use crate::schema::SOURCE_FILE;
    use polars::prelude::{DataType, UnionArgs};
    let mut parts = Vec::new();
    let folder = lake.join("_quarantine");
    let mut tables: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    tables.sort();
    for table in tables.iter().filter(|t| t.is_dir()) {
        let name = table
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(table)
            .with_context(|| format!("cannot list {}", table.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        for file in files {
            parts.push(scan_parquet(&file)?.select([
                lit(name.clone()).alias("table"),
                col(SOURCE_FILE).cast(DataType::String).alias("source"),
                col(REASON),
            ]));
        }
    }
    if parts.is_empty() {
        return Ok(polars::prelude::df!(
            "table" => Vec::<String>::new(),
            "source" => Vec::<String>::new(),
            "reason" => Vec::<String>::new(),
            "rows" => Vec::<i64>::new(),
        )?);
    }
    Ok(polars::prelude::concat(parts, UnionArgs::default())?
        .group_by([col("table"), col("source"), col(REASON)])
        .agg([polars::prelude::len().cast(DataType::Int64).alias("rows")])
        .sort(["table", "source", REASON], Default::default())
        .collect()?)
}

/// What [`watch_once`] did with one inbox file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Landed {
    /// Merged (or found merged before) and moved to `done/`.
    Done(FileMerge),
    /// Refused and moved to `failed/`, the reason in `failed/<name>.error` (a name
    /// already there gets `.1`, `.2`, … in `done/` and `failed/` alike).
    Failed(String),
}

/// One pass of watch mode over `inbox`: every file there (not hidden, names in
/// order) is merged with [`merge_file`], then moved to `inbox/done/`, or, when it is
/// refused, to `inbox/failed/` with the reason beside it in `<name>.error`. A file is
/// moved only after its commit, and a file merged before is skipped, so a pass killed
/// at any moment and run again merges every file exactly once.
///
/// # Errors
/// When the inbox cannot be listed or a file cannot be moved (a merge's own failure
/// is the file's, not the pass's).
pub fn watch_once(inbox: &Path, lake: &Path) -> Result<Vec<(String, Landed)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(inbox)
        .with_context(|| format!("cannot list the inbox {}", inbox.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    let mut landed = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = match merge_file(lake, &file) {
            Ok(merged) => {
                move_into(&file, &inbox.join("done"), &name)?;
                Landed::Done(merged)
            }
            Err(error) => {
                let reason = format!("{error:#}");
                let failed = inbox.join("failed");
                // The reason first: a pass killed in between leaves it beside a file
                // still in the inbox, which the next pass refuses again.
                std::fs::create_dir_all(&failed)
                    .with_context(|| format!("cannot create {}", failed.display()))?;
                let target = free_name(&failed, &name);
                let mut error_file = target.clone().into_os_string();
                error_file.push(".error");
                crate::io::write_file_atomically(
                    Path::new(&error_file),
                    format!("{reason}\n").as_bytes(),
                )?;
                std::fs::rename(&file, &target).with_context(|| {
                    format!("cannot move {} to {}", file.display(), target.display())
                })?;
                Landed::Failed(reason)
            }
        };
        landed.push((name, outcome));
    }
    Ok(landed)
}

/// Moves `file` into `folder` as `name`, or `name.1`, `name.2`, … when a file of that
/// name is there already (an earlier file is never overwritten).
fn move_into(file: &Path, folder: &Path, name: &str) -> Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let target = free_name(folder, name);
    std::fs::rename(file, &target)
        .with_context(|| format!("cannot move {} to {}", file.display(), target.display()))
}

/// `folder/name`, or the first of `folder/name.1`, `folder/name.2`, … that is free.
fn free_name(folder: &Path, name: &str) -> PathBuf {
    let mut target = folder.join(name);
    let mut n = 0;
    while target.exists() {
        n += 1;
        target = folder.join(format!("{name}.{n}"));
    }
    target
}

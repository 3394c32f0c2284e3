//! The daily logs of Customer 360 as validated interim tables: the content logs (C1),
//! read in batches on every core into Parquet parts bucketed by a stable hash of the
//! contract, so that the per-contract aggregates (C2, C3, C6) run one bucket at a
//! time with flat memory; and the search logs (C8), validated in one streaming pass
//! over the daily Parquet folders.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use polars::prelude::{concat, DataFrame, DataType, Engine, IntoLazy, LazyFrame, UnionArgs};

use super::pipeline::Customer360Options;
use super::rules;
use super::tables;
use crate::exec::{self, PartFolder};
use crate::io::{
    bucket_dir, daily_entries, files_with_extension, naming_unreadable_parquet, scan_bucket,
    scan_parquet, scan_parquet_as_text, total_bytes, validate_to_parquet, write_bucketed_parquet,
    write_interim_parquet, DomainPaths, NdjsonFile,
};
use crate::schema::{validate_batch, TableCount};

/// The folder of the valid content's bucketed parts.
pub fn content_parts(paths: &DomainPaths) -> PathBuf {
    paths.interim.join("content")
}

/// The folder of the content quarantine's parts.
pub fn content_quarantine_parts(paths: &DomainPaths) -> PathBuf {
    paths.interim.join("quarantine").join("content")
}

/// C1: reads the selected daily content files in batches, validates each and writes
/// its valid rows and quarantine as Parquet parts. Returns the counts and the period
/// length in days (the `--from/--to` range, else first to last file date).
pub fn validate_content(
    paths: &DomainPaths,
    options: &Customer360Options,
) -> Result<(TableCount, i64, u32)> {
    let days = daily_entries(&paths.raw.join(tables::CONTENT_DIR), ".json", options.range)?;
    let period_days = match options.range {
        Some(range) => range.days(),
        None => (days[days.len() - 1].date - days[0].date).num_days() + 1,
    };
    let files: Vec<NdjsonFile> = days
        .iter()
        .map(|d| NdjsonFile {
            path: d.path.clone(),
            constants: vec![d.date.format("%Y%m%d").to_string()],
        })
        .collect();
    let buckets = content_buckets(&files)?;
    let valid_dir = content_parts(paths);
    let quarantine_dir = content_quarantine_parts(paths);
    for dir in [&valid_dir, &quarantine_dir] {
        PartFolder::new(dir).clear()?;
    }
    let schema = tables::content();
    let mut count = TableCount {
        table: schema.name,
        rows_valid: 0,
        rows_quarantined: 0,
    };
    let mut part = 0usize;
    let mut write_batch = |raw: DataFrame| -> Result<()> {
        let (valid, mut quarantine) = validate_batch(raw.lazy(), &schema, &[])?;
        let valid = valid.drop(crate::schema::ROW_NR)?;
        count.rows_valid += valid.height() as u64;
        count.rows_quarantined += quarantine.height() as u64;
        let name = format!("part-{part:05}.parquet");
        write_bucketed_parquet(&valid, "Contract", buckets, &valid_dir, &name)?;
        write_interim_parquet(&mut quarantine, &quarantine_dir.join(&name))?;
        part += 1;
        Ok(())
    };
    let rows_read = tables::content_reader(options.batch_rows, &paths.reading.notices)
        .read(&files, &mut write_batch)?;
    if rows_read == 0 {
        // Only empty files: an empty quarantine part keeps that folder scannable.
        write_batch(empty_content_batch()?)?;
    }
    if count.rows_valid == 0 {
        // No valid row: an empty part keeps the first bucket scannable.
        let (valid, _) = validate_batch(empty_content_batch()?.lazy(), &schema, &[])?;
        let mut empty = valid.drop(crate::schema::ROW_NR)?;
        let first_bucket = bucket_dir(&valid_dir, 0);
        write_interim_parquet(&mut empty, &first_bucket.join("part-00000.parquet"))?;
    }
    Ok((count, period_days, buckets))
}

/// Raw content bytes per bucket of the valid content (about 6M rows): each bucket is
/// aggregated on its own, so that the aggregation's memory, which grows with the rows
/// it reads, stays flat as the content grows.
const CONTENT_BYTES_PER_BUCKET: u64 = 1 << 30;

/// Buckets for the selected files: a power of two, 1 to 64, from their size.
fn content_buckets(files: &[NdjsonFile]) -> Result<u32> {
    let bytes = total_bytes(files.iter().map(|file| file.path.as_path()))?;
    Ok(bytes
        .div_ceil(CONTENT_BYTES_PER_BUCKET)
        .next_power_of_two()
        .clamp(1, 64) as u32)
}

/// C2, C3 and C6's per-contract aggregates, bucket by bucket (a contract's rows are
/// all in one bucket), each aggregate on its own: run together, they would share one
/// scan that buffers rows for the slowest of them.
pub fn aggregate_contracts(paths: &DomainPaths, buckets: u32) -> Result<rules::ContractAggregates> {
    let mut parts: [Vec<LazyFrame>; 3] = Default::default();
    exec::in_partitions(buckets, |bucket| {
        let Some(content) = scan_bucket(&content_parts(paths), bucket)? else {
            return Ok(());
        };
        let aggregates = rules::contract_aggregates(content);
        for (i, lf) in [
            aggregates.viewing,
            aggregates.devices,
            aggregates.active_days,
        ]
        .into_iter()
        .enumerate()
        {
            let frame = lf
                .collect_with_engine(Engine::Streaming)
                .with_context(|| {
                    format!("rules C2–C6 (contract activity) failed on bucket {bucket}")
                })?
                .unwrap_single();
            parts[i].push(frame.lazy());
        }
        Ok(())
    })?;
    let [viewing, devices, active_days] = parts.map(|frames| concat(frames, UnionArgs::default()));
    Ok(rules::ContractAggregates {
        viewing: viewing?,
        devices: devices?,
        active_days: active_days?,
    })
}

/// A raw content batch without rows, with the reader's columns.
fn empty_content_batch() -> Result<DataFrame> {
    let reader = tables::content_reader(1, &Default::default());
    let mut columns = vec![
        crate::schema::SOURCE_FILE,
        crate::schema::LINE,
        crate::schema::ROW_NR,
        crate::schema::LAYOUT_ERROR,
    ];
    columns.extend(reader.fields.iter().map(|f| f.column));
    columns.extend(reader.constant_columns.iter().copied());
    let mut frame = DataFrame::empty();
    for name in columns {
        let dtype = match name {
            crate::schema::LINE => DataType::UInt32,
            crate::schema::ROW_NR => DataType::UInt64,
            _ => DataType::String,
        };
        frame.with_column(polars::prelude::Column::new_empty(name.into(), &dtype))?;
    }
    Ok(frame)
}

/// C8: validates the search logs from every daily folder's Parquet files in one
/// streaming pass.
pub fn validate_search(paths: &DomainPaths) -> Result<TableCount> {
    let root = paths.raw.join(tables::SEARCH_DIR);
    let mut files = Vec::new();
    for day in daily_entries(&root, "", None)? {
        let day_files = files_with_extension(&day.path, "parquet")?;
        if day_files.is_empty() {
            paths.reading.notices.push(format!(
                "{} holds no Parquet file: that day has no search rows (an export that \
                 did not finish?)",
                day.path.display()
            ));
        }
        files.extend(day_files);
    }
    if files.is_empty() {
        bail!("no Parquet file in the daily folders of {}", root.display());
    }
    let schema = tables::search();
    let raw = scan_parquet_as_text(&files, &root, &schema.column_names())?;
    let name = schema.name;
    validate_to_parquet(
        raw,
        &schema,
        &[],
        &paths.valid(name),
        &paths.quarantine(name),
        &paths.reading.notices,
    )
    .map_err(|error| naming_unreadable_parquet(error, &files))
    .with_context(|| format!("cannot validate the search logs in {}", root.display()))
}

/// Where a validated table's quarantine is: content's in parts, the others in one
/// file.
pub fn quarantine_of(paths: &DomainPaths, table: &str) -> Result<LazyFrame> {
    if table == tables::content().name {
        scan_parquet(&content_quarantine_parts(paths).join("*.parquet"))
    } else {
        scan_parquet(&paths.quarantine(table))
    }
}

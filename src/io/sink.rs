//! Writing tables: streaming Parquet sinks for large validated tables, eager
//! Parquet + CSV twins for output tables, and the `_SUCCESS` manifest; validating a
//! raw table straight into its valid and quarantined Parquet files.
//!
//! Every write goes to a temporary file in the target folder and is renamed into
//! place only when complete, so a killed run leaves the previous files intact.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{
    col, len, lit, CompatLevel, CsvWriter, DataFrame, DataType, Engine, FileWriteFormat, IdxCa,
    IdxSize, IntoLazy, LazyFrame, ParquetCompression, ParquetWriteOptions, ParquetWriter,
    PartitionStrategy, PlRefPath, PlSmallStr, PolarsError, PolarsResult, ScanArgsParquet,
    SerWriter, SinkDestination, SinkTarget, StringChunked, UnifiedSinkArgs,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::paths::DomainPaths;
use super::raw::{naming_unreadable_parquet, RawTable, Source};
use super::reading::Notices;
use crate::schema::{validate_with, Rule, TableCount, TableSchema, Validation};

/// A file written by [`write_table`], for the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    /// File name relative to the table folder.
    pub name: String,
    pub rows: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    // The process id keeps two runs writing the same file (the shared report index)
    // from moving each other's temporary file.
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    Ok(())
}

fn rename_into_place(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).with_context(|| {
        format!(
            "cannot move {} into place as {}",
            tmp.display(),
            path.display()
        )
    })
}

/// Rows per row group of streamed Parquet. Small enough that a sink receiving few
/// rows (a quarantine) flushes often: each buffered row can keep a whole chunk of
/// the input alive, so large row groups would make memory grow with the input.
const INTERIM_ROW_GROUP_ROWS: usize = 16_384;

/// How interim Parquet is written. Uncompressed: interim files are read back at once,
/// and compressing them cost 7% of a TV run's CPU (LZ4; zstd costs several times
/// more) to save a quarter of their size. Strings are encoded from Polars' string
/// views as they are (`CompatLevel::newest`) instead of being copied to Arrow's
/// large strings first (3% of a retail run's CPU): the pages are the same, and the
/// Arrow schema kept in the file names them `Utf8View`, which Polars, DuckDB and
/// DataFusion-based engines read.
fn interim_parquet_format() -> FileWriteFormat {
    FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions {
        compression: ParquetCompression::Uncompressed,
        row_group_size: Some(INTERIM_ROW_GROUP_ROWS),
        compat_level: Some(CompatLevel::newest()),
        ..ParquetWriteOptions::default()
    }))
}

fn parquet_sink(lf: LazyFrame, path: &Path) -> PolarsResult<LazyFrame> {
    lf.sink(
        SinkDestination::File {
            target: SinkTarget::Path(PlRefPath::new(path.to_string_lossy().as_ref())),
        },
        interim_parquet_format(),
        UnifiedSinkArgs::default(),
    )
}

/// The plan that writes `lf` split by the value of its column `key` into Parquet
/// files under `folder`, one folder per value in the Hive layout
/// (`<folder>/<key>=<value>/00000000.parquet`), without the key column; collecting
/// it (for instance as a [`ValidAggregate`], beside the validation's own writes)
/// writes the files and returns an empty frame. One writer per value is open while
/// it runs. The files are not published atomically: this is for parts that the same
/// run writes and reads back.
///
/// # Errors
/// When the plan cannot be built (Polars error).
pub fn partitioned_parquet_sink(
    lf: LazyFrame,
    folder: &Path,
    key: &str,
) -> PolarsResult<LazyFrame> {
    lf.sink(
        SinkDestination::Partitioned {
            base_path: PlRefPath::new(folder.to_string_lossy().as_ref()),
            file_path_provider: None,
            partition_strategy: PartitionStrategy::Keyed {
                keys: vec![col(key)],
                include_keys: false,
                keys_pre_grouped: false,
            },
            max_rows_per_file: 0,
            approximate_bytes_per_file: 0,
        },
        interim_parquet_format(),
        UnifiedSinkArgs::default(),
    )
}

/// Streams each frame to its Parquet file in one run of the streaming engine, without
/// holding whole tables in memory. Frames that share a cached subplan
/// ([`LazyFrame::cache`]) compute it once.
///
/// # Errors
/// When a target's folder cannot be created, the plans fail to run (Polars error; the
/// message lists the targets), or a finished file cannot be moved into place.
pub fn sink_parquet_all(jobs: Vec<(LazyFrame, PathBuf)>) -> Result<()> {
    sink_parquet_and_collect(jobs, Vec::new()).map(|_| ())
}

/// [`sink_parquet_all`] that also collects `results` in the same run, so that an
/// aggregate of a table is computed in the pass that writes the table; returns the
/// collected results in order.
///
/// # Errors
/// As [`sink_parquet_all`]; a failing plan of `results` fails the whole run.
pub fn sink_parquet_and_collect(
    jobs: Vec<(LazyFrame, PathBuf)>,
    results: Vec<LazyFrame>,
) -> Result<Vec<DataFrame>> {
    let Some(first) = jobs.first().map(|(lf, _)| lf).or(results.first()) else {
        return Ok(Vec::new());
    };
    let optimizations = first.get_current_optimizations();
    let mut plans = Vec::with_capacity(jobs.len() + results.len());
    for (lf, path) in &jobs {
        ensure_parent(path)?;
        let sink = parquet_sink(lf.clone(), &temporary_path(path))
            .with_context(|| format!("cannot plan the write of {}", path.display()))?;
        plans.push(sink.logical_plan);
    }
    plans.extend(results.into_iter().map(|lf| lf.logical_plan));
    let targets: Vec<String> = jobs.iter().map(|(_, p)| p.display().to_string()).collect();
    let mut frames = LazyFrame::collect_all_with_engine(plans, Engine::Streaming, optimizations)
        .with_context(|| format!("failed while writing {}", targets.join(", ")))?;
    for (_, path) in &jobs {
        rename_into_place(&temporary_path(path), path)?;
    }
    Ok(frames.split_off(jobs.len()))
}

/// Runs `lf` on the streaming engine and returns the result; an error says `what`
/// could not be computed.
///
/// # Errors
/// When the plan fails to run (Polars error); the message says `what` could not be
/// computed.
pub fn collect_streaming(lf: LazyFrame, what: &str) -> Result<DataFrame> {
    Ok(lf
        .collect_with_engine(Engine::Streaming)
        .with_context(|| format!("cannot compute {what}"))?
        .unwrap_single())
}

/// Validates a raw table (its schema's rules, then `lookups`) and streams its valid
/// rows to `valid` and its quarantined rows to `quarantine` in one pass over the raw
/// rows; returns the two counts. An error names the table.
///
/// # Errors
/// When the validation fails to run or a file cannot be written (as [`sink_parquet_all`];
/// the message names the table), or a written file cannot be read back to count its rows
/// (the message names it).
pub fn validate_to_parquet(
    raw: LazyFrame,
    schema: &TableSchema,
    lookups: &[Rule],
    valid: &Path,
    quarantine: &Path,
    notices: &Notices,
) -> Result<TableCount> {
    validate_to_parquet_and_aggregate(raw, schema, lookups, valid, quarantine, notices, Vec::new())
        .map(|(count, _)| count)
}

/// An aggregate of a table's valid rows, computed as they are written: given the
/// valid rows, its plan (or an error building it).
pub type ValidAggregate<'a> = Box<dyn FnOnce(LazyFrame) -> PolarsResult<LazyFrame> + 'a>;

/// [`validate_to_parquet`] that also computes each of `aggregates` over the valid
/// rows in the same pass over the raw rows, instead of reading the valid rows back;
/// returns the counts and the collected aggregates, in order. Values read as null
/// (columns declared [`crate::schema::Column::null_when_invalid`]) are counted in
/// the same pass and left in `notices`, one per rule that nulled any.
///
/// # Errors
/// As [`validate_to_parquet`]; a failing aggregate fails the whole pass.
pub fn validate_to_parquet_and_aggregate(
    raw: LazyFrame,
    schema: &TableSchema,
    lookups: &[Rule],
    valid: &Path,
    quarantine: &Path,
    notices: &Notices,
    aggregates: Vec<ValidAggregate<'_>>,
) -> Result<(TableCount, Vec<DataFrame>)> {
    let Validation {
        valid: valid_rows,
        quarantine: quarantined_rows,
        nulled,
    } = validate_with(raw, schema, lookups);
    let mut collected = aggregates
        .into_iter()
        .map(|aggregate| aggregate(valid_rows.clone()))
        .collect::<PolarsResult<Vec<_>>>()
        .with_context(|| format!("cannot plan the aggregates of `{}`", schema.name))?;
    let counts_nulled = nulled.is_some();
    collected.extend(nulled);
    let mut aggregated = sink_parquet_and_collect(
        vec![
            (valid_rows, valid.to_path_buf()),
            (quarantined_rows, quarantine.to_path_buf()),
        ],
        collected,
    )
    .with_context(|| format!("cannot validate the raw table `{}`", schema.name))?;
    if counts_nulled {
        if let Some(nulled) = aggregated.pop() {
            nulled_notices(schema.name, &nulled, notices)?;
        }
    }
    let count = TableCount {
        table: schema.name,
        rows_valid: count_rows(valid)?,
        rows_quarantined: count_rows(quarantine)?,
    };
    Ok((count, aggregated))
}

/// A notice per rule of [`Validation::nulled`] that nulled a value: `` `tmdb`: 2
/// values of vote_count failed vote_count|dtype and were read as null (the rows are
/// kept) ``.
fn nulled_notices(table: &str, nulled: &DataFrame, notices: &Notices) -> Result<()> {
    for column in nulled.columns() {
        let values = column.cast(&DataType::Int64)?.i64()?.get(0).unwrap_or(0);
        if values > 0 {
            let rule = column.name().as_str();
            let field = rule.split('|').next().unwrap_or(rule);
            let (noun, verb) = if values == 1 {
                ("value", "was")
            } else {
                ("values", "were")
            };
            notices.push(format!(
                "`{table}`: {values} {noun} of {field} failed {rule} and {verb} read as \
                 null (the rows are kept)"
            ));
        }
    }
    Ok(())
}

/// Validates a domain's raw `table` (its schema's rules, then `lookups`) from the raw
/// folder into `<interim>/<table>.parquet` and its quarantine, in one streaming pass
/// that also computes `aggregates` of the valid rows (see
/// [`validate_to_parquet_and_aggregate`]).
///
/// # Errors
/// When the table's files are missing or unreadable, or the pass fails; the message
/// names the table.
pub fn validate_table(
    paths: &DomainPaths,
    table: &RawTable,
    lookups: &[Rule],
    aggregates: Vec<ValidAggregate<'_>>,
) -> Result<(TableCount, Vec<DataFrame>)> {
    let name = table.schema.name;
    validate_to_parquet_and_aggregate(
        table.scan(&paths.raw, &paths.reading)?,
        &table.schema,
        lookups,
        &paths.valid(name),
        &paths.quarantine(name),
        &paths.reading.notices,
        aggregates,
    )
    .map_err(|error| match table.found(&paths.raw) {
        Ok((chosen, files)) if matches!(table.sources[chosen], Source::Parquet { .. }) => {
            naming_unreadable_parquet(error, &files)
        }
        _ => error,
    })
}

/// `quarantine_summary` (`table`, `reason`, `rows`) over the quarantines of the
/// tables of `counts`, each found by `quarantine_of` (usually
/// `<interim>/quarantine/<table>.parquet`, [`DomainPaths::quarantine`]).
///
/// # Errors
/// When a quarantine cannot be scanned or the summary fails to run.
pub fn summarize_quarantines(
    counts: &[TableCount],
    quarantine_of: impl Fn(&'static str) -> Result<LazyFrame>,
) -> Result<DataFrame> {
    let quarantines = counts
        .iter()
        .map(|count| Ok((count.table, quarantine_of(count.table)?)))
        .collect::<Result<Vec<_>>>()?;
    crate::schema::quarantine_summary(quarantines)?
        .collect()
        .context("cannot summarise the quarantine")
}

/// The bucket, out of `buckets`, of each value of `keys`: a stable FNV-1a hash of its
/// bytes, so that a key always lands in the same bucket (null keys in bucket 0).
pub fn stable_buckets(keys: &StringChunked, buckets: u32) -> Vec<u32> {
    keys.iter()
        .map(|key| crate::transforms::keys::stable_bucket(key, buckets))
        .collect()
}

/// The folder of bucket `bucket` under `dir`: `bucket-007`.
pub fn bucket_dir(dir: &Path, bucket: u32) -> PathBuf {
    dir.join(format!("bucket-{bucket:03}"))
}

/// Writes the rows of `df` as `<dir>/bucket-NNN/<name>`, split by
/// [`stable_buckets`] of its `key` column; buckets without rows get no file. Every
/// key's rows then sit in one bucket, which can be aggregated on its own.
///
/// # Errors
/// When `key` is missing or not a String column, or a bucket's folder or file cannot be
/// created, written or moved into place; the message names the path.
pub fn write_bucketed_parquet(
    df: &DataFrame,
    key: &str,
    buckets: u32,
    dir: &Path,
    name: &str,
) -> Result<()> {
    let keys = df.column(key)?.str()?.clone();
    // One pass sorts the row positions into their buckets, in row order.
    let mut rows: Vec<Vec<IdxSize>> = vec![Vec::new(); buckets.max(1) as usize];
    for (row, bucket) in stable_buckets(&keys, buckets).into_iter().enumerate() {
        let row = IdxSize::try_from(row).context("too many rows for one batch")?;
        rows[bucket as usize].push(row);
    }
    for (bucket, rows) in (0u32..).zip(rows) {
        if rows.is_empty() {
            continue;
        }
        let mut part = df.take(&IdxCa::from_vec(PlSmallStr::EMPTY, rows))?;
        write_interim_parquet(&mut part, &bucket_dir(dir, bucket).join(name))?;
    }
    Ok(())
}

/// Writes a frame built in memory as an interim Parquet part, atomically, creating
/// its folder: LZ4, which writes several times faster than the default zstd, for
/// parts that are read back at once. (Interim tables streamed by
/// [`sink_parquet_all`] are written uncompressed: there the CPU is the bottleneck.)
///
/// # Errors
/// When the folder or file cannot be created, written or moved into place; the
/// message names the path.
pub fn write_interim_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomically(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .finish(df)
            .map(|_| ())
    })
}

/// The Parquet files of bucket `bucket` of a bucketed table in `dir` (see
/// [`write_bucketed_parquet`]) as one lazy frame; `None` when the bucket got no row.
///
/// # Errors
/// When Polars rejects the scan; the message names the folder.
pub fn scan_bucket(dir: &Path, bucket: u32) -> Result<Option<LazyFrame>> {
    let folder = bucket_dir(dir, bucket);
    if !folder.is_dir() {
        return Ok(None);
    }
    scan_parquet(&folder.join("*.parquet")).map(Some)
}

/// Removes `<dir>/<table>.parquet` and `<dir>/<table>.csv` where they exist, so that
/// a table a run does not write is not left from an earlier run.
///
/// # Errors
/// When a file exists but cannot be removed; the message names it.
pub fn remove_table(dir: &Path, table: &str) -> Result<()> {
    for extension in ["parquet", "csv"] {
        let stale = dir.join(format!("{table}.{extension}"));
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    Ok(())
}

/// Scans a Parquet file, or a folder of them (such as a Spark engine writes), lazily.
///
/// # Errors
/// When Polars rejects the scan; the message names the path. A missing or unreadable file
/// is only reported when the frame is collected.
pub fn scan_parquet(path: &Path) -> Result<LazyFrame> {
    // A folder is read as its `*.parquet` files: one written by Spark also holds
    // `_SUCCESS` and checksum files, which Polars would try to read.
    let source = match path.is_dir() {
        true => path.join("*.parquet"),
        false => path.to_path_buf(),
    };
    LazyFrame::scan_parquet(
        PlRefPath::new(source.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .with_context(|| format!("cannot scan {}", path.display()))
}

/// The number of rows of a Parquet file (read from its metadata).
///
/// # Errors
/// When `path` cannot be read as Parquet; the message names it.
pub fn count_rows(path: &Path) -> Result<u64> {
    let counted = scan_parquet(path)?
        .select([len().alias("rows")])
        .collect()
        .with_context(|| format!("cannot count the rows of {}", path.display()))?;
    let rows = counted.column("rows")?.cast(&DataType::UInt64)?;
    Ok(rows.u64()?.get(0).unwrap_or(0))
}

/// Writes `df` as `<dir>/<name>.parquet` and `<dir>/<name>.csv`, each atomically.
/// The frame is made one chunk first: Parquet's row groups and pages follow the
/// chunks, which depend on how many threads produced the frame, and the bytes must
/// not.
///
/// # Errors
/// When a file cannot be created, written, moved into place or read back for its SHA-256;
/// the message names it.
pub fn write_table(df: &mut DataFrame, dir: &Path, name: &str) -> Result<Vec<WrittenFile>> {
    df.rechunk_mut_par();
    let parquet = dir.join(format!("{name}.parquet"));
    let csv = dir.join(format!("{name}.csv"));
    write_atomically(&parquet, |file| {
        ParquetWriter::new(file).finish(df).map(|_| ())
    })?;
    write_atomically(&csv, |file| {
        CsvWriter::new(file).include_header(true).finish(df)
    })?;
    let rows = df.height() as u64;
    Ok(vec![
        written_file(&parquet, rows)?,
        written_file(&csv, rows)?,
    ])
}

/// Writes each named table with [`write_table`] into `dir`, then the `_SUCCESS`
/// manifest listing every file written.
///
/// # Errors
/// As [`write_table`] for each table, then as [`write_manifest`].
pub fn write_tables(dir: &Path, tables: &[(&str, &DataFrame)]) -> Result<()> {
    let mut written = Vec::new();
    for (name, frame) in tables {
        let mut frame = (*frame).clone();
        written.extend(write_table(&mut frame, dir, name)?);
    }
    write_manifest(dir, &written)
}

/// [`write_tables`], plus each of `partitioned` (`name`, frame, column) also written
/// as a Hive-partitioned table with [`write_partitioned`], then the files `derived`
/// builds from the written tables in `dir` (a serving database, its SQL); the
/// `_SUCCESS` manifest, written last, lists every file.
///
/// # Errors
/// As [`write_table`] and [`write_partitioned`] for each table, as `derived`, then as
/// [`write_manifest`].
pub fn write_tables_partitioned(
    dir: &Path,
    tables: &[(&str, &DataFrame)],
    partitioned: &[(&str, &DataFrame, &str)],
    derived: impl FnOnce(&Path) -> Result<Vec<WrittenFile>>,
) -> Result<()> {
    let mut written = Vec::new();
    for (name, frame) in tables {
        let mut frame = (*frame).clone();
        written.extend(write_table(&mut frame, dir, name)?);
    }
    for (name, frame, column) in partitioned {
        written.extend(write_partitioned(frame, dir, name, column)?);
    }
    written.extend(derived(dir)?);
    write_manifest(dir, &written)
}

/// The folder name Hive gives the partition of a null value.
pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Writes `df` as a Hive-partitioned Parquet table,
/// `<dir>/<name>/<column>=<value>/part-0.parquet`: one folder per value of `column`,
/// the column itself kept in the folder names only (as Spark's `partitionBy` writes
/// it; Polars, DuckDB and Spark read it back with hive partitioning), a null value
/// under `<column>=__HIVE_DEFAULT_PARTITION__`. Rows keep their order within a part.
/// Returns the files for the manifest, named by their path under `dir`.
///
/// # Errors
/// When `column` is missing, or a part cannot be written or read back; the message
/// names the file.
pub fn write_partitioned(
    df: &DataFrame,
    dir: &Path,
    name: &str,
    column: &str,
) -> Result<Vec<WrittenFile>> {
    let values = df.column(column)?.cast(&DataType::String)?;
    let keyed = df
        .clone()
        .lazy()
        .with_column(lit(values.as_materialized_series().clone()).alias("__partition"))
        .collect()?;
    let mut written_files = Vec::new();
    for part in keyed.partition_by_stable(["__partition"], true)? {
        let value = part
            .column("__partition")?
            .str()?
            .get(0)
            .map(str::to_string)
            .unwrap_or_else(|| HIVE_NULL_PARTITION.to_string());
        let mut part = part.drop_many(["__partition", column]);
        part.rechunk_mut_par();
        let relative = PathBuf::from(name)
            .join(format!("{column}={value}"))
            .join("part-0.parquet");
        let path = dir.join(&relative);
        write_atomically(&path, |file| {
            ParquetWriter::new(file).finish(&mut part).map(|_| ())
        })?;
        written_files.push(WrittenFile {
            name: relative.to_string_lossy().into_owned(),
            rows: part.height() as u64,
            sha256: sha256_of(&path)?,
        });
    }
    Ok(written_files)
}

fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> PolarsResult<()>,
) -> Result<()> {
    ensure_parent(path)?;
    let tmp = temporary_path(path);
    let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut buffered = BufWriter::new(file);
    write(&mut buffered).with_context(|| format!("cannot write {}", path.display()))?;
    buffered
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(buffered);
    rename_into_place(&tmp, path)
}

pub fn written_file(path: &Path, rows: u64) -> Result<WrittenFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok(WrittenFile {
        name,
        rows,
        sha256: sha256_of(path)?,
    })
}

/// Lower-case hex SHA-256 of a file's bytes.
///
/// # Errors
/// When `path` cannot be opened or read; the message names it.
pub fn sha256_of(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
///
/// # Errors
/// When the parent folder or the temporary file cannot be created, the bytes cannot be
/// written, or the file cannot be moved into place; the message names the path.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |file| {
        file.write_all(bytes).map_err(PolarsError::from)
    })
}

/// Writes `<dir>/_SUCCESS`: one tab-separated line per file (name, rows, SHA-256),
/// sorted by name, under a header line.
///
/// # Errors
/// As [`write_file_atomically`] for `<dir>/_SUCCESS`.
pub fn write_manifest(dir: &Path, files: &[WrittenFile]) -> Result<()> {
    let mut sorted = files.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = String::from("file\trows\tsha256\n");
    for f in &sorted {
        text.push_str(&format!("{}\t{}\t{}\n", f.name, f.rows, f.sha256));
    }
    write_file_atomically(&dir.join("_SUCCESS"), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{df, IntoLazy, NamedFrom};

    /// A folder as Spark writes it (parts, `_SUCCESS`, hidden checksums) reads as its
    /// Parquet parts.
    #[test]
    fn a_folder_reads_as_its_parquet_parts() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let folder = dir.path().join("t.parquet");
        std::fs::create_dir(&folder)?;
        for (part, values) in [
            ("part-00000-x.snappy.parquet", [1i64, 2]),
            ("part-00001-x.snappy.parquet", [3, 4]),
        ] {
            let mut frame = df!("a" => values)?;
            write_interim_parquet(&mut frame, &folder.join(part))?;
        }
        std::fs::write(folder.join("_SUCCESS"), "")?;
        std::fs::write(folder.join("._SUCCESS.crc"), "crc")?;
        std::fs::write(folder.join(".part-00000-x.snappy.parquet.crc"), "crc")?;
        let read = scan_parquet(&folder)?
            .sort(["a"], Default::default())
            .collect()?;
        assert_eq!(read, df!("a" => [1i64, 2, 3, 4])?);
        Ok(())
    }

    #[test]
    fn buckets_are_stable_and_keep_each_key_together() -> Result<()> {
        let keys = StringChunked::new("k".into(), [Some("SGH1"), Some("HNH2"), Some("SGH1"), None]);
        let once = stable_buckets(&keys, 8);
        assert_eq!(once, stable_buckets(&keys, 8), "the same on every run");
        assert_eq!(once[0], once[2], "one key, one bucket");
        assert_eq!(once[3], 0, "a null key goes to bucket 0");
        assert!(once.iter().all(|&b| b < 8));
        assert_eq!(stable_buckets(&keys, 1), [0, 0, 0, 0]);

        let dir = tempfile::tempdir()?;
        let df = df!("k" => ["a", "b", "c", "a", "d", "e"], "v" => [1, 2, 3, 4, 5, 6])?;
        write_bucketed_parquet(&df, "k", 4, dir.path(), "part-0.parquet")?;
        let mut rows = 0;
        let mut seen = Vec::new();
        for bucket in 0..4 {
            let path = bucket_dir(dir.path(), bucket).join("part-0.parquet");
            if !path.exists() {
                continue;
            }
            let part = scan_parquet(&path)?.collect()?;
            rows += part.height();
            for key in crate::values::texts(&part, "k", "")? {
                assert!(
                    !seen.iter().any(|(k, b)| *k == key && *b != bucket),
                    "{key} split"
                );
                seen.push((key, bucket));
            }
        }
        assert_eq!(rows, 6, "every row is written once");
        let all = scan_parquet(&dir.path().join("*/*.parquet"))?.collect()?;
        assert_eq!(
            all.lazy()
                .select([polars::prelude::col("v").sum()])
                .collect()?
                .column("v")?
                .i32()?
                .get(0),
            Some(21)
        );
        Ok(())
    }

    /// Plan test (README, "How a run works"): validating a table writes its valid rows
    /// and its quarantine and computes an aggregate of the valid rows from one read of
    /// the raw file.
    #[test]
    fn validation_reads_the_raw_file_once_for_both_sinks_and_an_aggregate() -> Result<()> {
        use crate::fast::chunked::tests::reads_of;
        use crate::io::{scan_delimited, Notices, TextLayout};
        use crate::schema::{Column, ColumnType};
        let dir = tempfile::tempdir()?;
        let raw = dir.path().join("viewing.csv");
        std::fs::write(&raw, "id,n\na,1\nb,x\nc,3\n")?;
        let schema = TableSchema::new(
            "viewing",
            vec![Column::text("id"), Column::new("n", ColumnType::Int)],
        );
        let scan = scan_delimited(
            &[raw.clone()],
            &["id", "n"],
            TextLayout::CSV_WITH_HEADER,
            &Notices::default(),
        )?;
        let before = reads_of(&raw);
        let (count, aggregates) = validate_to_parquet_and_aggregate(
            scan,
            &schema,
            &[],
            &dir.path().join("valid.parquet"),
            &dir.path().join("quarantine.parquet"),
            &Notices::default(),
            vec![Box::new(|valid: LazyFrame| {
                Ok(valid.select([polars::prelude::col("n").sum()]))
            })],
        )?;
        assert_eq!(reads_of(&raw) - before, 1, "one chunk, read once");
        assert_eq!((count.rows_valid, count.rows_quarantined), (2, 1));
        assert_eq!(aggregates[0].column("n")?.i64()?.get(0), Some(4));
        Ok(())
    }

    /// Values read as null are counted in the validating pass and said in a notice
    /// per rule; the aggregates come back without the counts, and the rows stay.
    #[test]
    fn values_read_as_null_leave_a_notice_per_rule() -> Result<()> {
        use crate::io::{scan_delimited, Notices, TextLayout};
        use crate::schema::{Column, ColumnType};
        let dir = tempfile::tempdir()?;
        let raw = dir.path().join("movies.csv");
        std::fs::write(&raw, "id,votes\na,1\nb,x\nc,-3\nd,y\n,2\n")?;
        let schema = TableSchema::new(
            "movies",
            vec![
                Column::text("id").required(),
                Column::new("votes", ColumnType::Int)
                    .range(0.0, 10.0)
                    .null_when_invalid(),
            ],
        );
        let notices = Notices::default();
        let scan = scan_delimited(
            &[raw],
            &["id", "votes"],
            TextLayout::CSV_WITH_HEADER,
            &notices,
        )?;
        let (count, aggregates) = validate_to_parquet_and_aggregate(
            scan,
            &schema,
            &[],
            &dir.path().join("valid.parquet"),
            &dir.path().join("quarantine.parquet"),
            &notices,
            vec![Box::new(|valid: LazyFrame| {
                Ok(valid.select([polars::prelude::col("votes").count()]))
            })],
        )?;
        assert_eq!((count.rows_valid, count.rows_quarantined), (4, 1));
        assert_eq!(aggregates.len(), 1);
        assert_eq!(
            aggregates[0]
                .column("votes")?
                .cast(&DataType::Int64)?
                .i64()?
                .get(0),
            Some(1)
        );
        assert_eq!(
            notices.all(),
            [
                "`movies`: 2 values of votes failed votes|dtype and were read as null (the \
                 rows are kept)",
                "`movies`: 1 value of votes failed votes|range and was read as null (the \
                 rows are kept)",
            ]
        );
        Ok(())
    }

    /// Plan test: a filter on an interim table is pushed into its Parquet scan, so
    /// the passes over it read only their rows' pages.
    #[test]
    fn filters_on_interim_tables_are_pushed_into_the_parquet_scan() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("lines.parquet");
        let mut df = df!("Invoice" => ["1", "2", "3"], "n" => [1i64, 2, 3])?;
        write_interim_parquet(&mut df, &path)?;
        let filtered =
            scan_parquet(&path)?.filter(polars::prelude::col("n").gt(polars::prelude::lit(1)));
        let plan = filtered.explain(true)?;
        let scan_line = plan
            .lines()
            .position(|line| line.contains("Parquet SCAN"))
            .unwrap_or(usize::MAX);
        assert!(
            !plan.contains("FILTER")
                && plan
                    .lines()
                    .skip(scan_line)
                    .any(|l| l.contains("SELECTION")),
            "the predicate should sit in the scan:\n{plan}"
        );
        Ok(())
    }
}

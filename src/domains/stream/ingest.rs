//! S4 live ingest: viewing events read from the event stream (NATS JetStream, see
//! [`crate::io::events`]) are validated like the viewing logs' lines and appended to
//! the `viewership` Delta table in micro-batches, exactly once.
//!
//! Each batch (up to `max_events` events, or what arrived within `max_wait`) is one
//! commit of `viewership` that holds its new sessions and, as an application
//! transaction (`smartview-nats:<stream>`), the stream sequence of its last event.
//! A restart reads that sequence from the table and resumes after it, so no event is
//! lost or read twice, whatever moment the ingester was killed at. Sessions keep the
//! first valid event per `session_id` (a producer's resend is a `duplicate_session`,
//! dropped like the batch path's, S2). Events that fail validation are kept in
//! `<lake>/_quarantine/viewership/<stream>.<first>-<last>.parquet` with their
//! sequence (`line`) and reason; the file is written before its batch's commit, and
//! one left by a batch that never committed is removed before the next batch, so
//! each bad event is kept once. The commit information (`smartviewIngest`) records
//! the batch's sequences, counts and publication times, from which the report shows
//! the ingest lag and batch sizes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use polars::prelude::{DataFrame, IntoLazy, ParquetWriter};
use serde_json::json;

use super::pipeline::{CuratedTable, CURATED_TABLES};
use super::tables::{viewing_schema, VIEWING_COLUMNS};
use crate::io::events::{raw_frame, Event, EventStream};
use crate::io::lake::{self, merge, Change, LakeTable, Record};
use crate::schema::validate_batch;

/// How batches are cut and when an ingest stops.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// The most events in one batch (one commit).
    pub max_events: usize,
    /// The longest a batch waits for events before it is committed.
    pub max_wait: Duration,
    /// Stop once every event the stream holds is committed and none arrives within
    /// `max_wait` (otherwise ingest until killed).
    pub drain: bool,
}

/// What one committed batch held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchCommit {
    /// The table version it committed.
    pub version: i64,
    pub first_sequence: u64,
    pub last_sequence: u64,
    pub events: u64,
    /// Sessions appended (valid events whose session_id the table did not hold).
    pub inserted: u64,
    /// Valid events whose session was already in the table or earlier in the batch.
    pub duplicates: u64,
    pub quarantined: u64,
    /// From the oldest event's publication to the commit, in milliseconds.
    pub lag_ms: i64,
    /// From the batch's arrival to its commit (validation, merge and commit).
    pub commit_ms: u64,
}

/// The application transaction that holds the last committed sequence of `stream`.
pub fn application_id(stream: &str) -> String {
    format!("smartview-nats:{stream}")
}

fn viewership() -> &'static CuratedTable {
    &CURATED_TABLES[3]
}

/// Ingests the events of `events` into `<lake>/viewership` (see the module doc),
/// calling `on_commit` after each batch's commit.
///
/// # Errors
/// When the stream or the table cannot be read, a batch cannot be written or its
/// commit fails; everything committed before stays, and a restart resumes there.
pub fn ingest(
    lake: &Path,
    events: &EventStream,
    options: &IngestOptions,
    mut on_commit: impl FnMut(&BatchCommit),
) -> Result<()> {
    super::merge::check_lake(lake)?;
    let folder = lake.join(viewership().name);
    let app = application_id(events.stream());
    let run = IngestRun {
        // This ingest's name in its commits: when it started (UTC) and its process.
        id: format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            std::process::id()
        ),
        stream_created: events.created()?,
    };
    let mut position = committed_position(&folder, &app)?;
    // A stream deleted and created again (or a server whose store was wiped) numbers
    // its events from 1 again: resuming after the position committed from the old one
    // would skip the new events without a word.
    if let Some(created) = committed_stream_created(&folder, events.stream())? {
        if created != run.stream_created {
            bail!(
                "the stream {} was created again (at {}; the one {} holds events of was \
                 created at {created}): its sequences start over, so resuming after sequence \
                 {position} would skip events. Consider publishing on a new subject",
                events.stream(),
                run.stream_created,
                folder.display()
            );
        }
    }
    let last = events.last_sequence()?;
    if position > last {
        bail!(
            "{} holds events of the stream {} up to sequence {position}, but the stream ends at \
             {last}: it was purged or its server's store was replaced, and resuming would skip \
             events. Consider publishing on a new subject",
            folder.display(),
            events.stream()
        );
    }
    let mut reader = events.read_from(position + 1)?;
    loop {
        let batch = reader.next_batch(options.max_events, options.max_wait)?;
        if batch.is_empty() {
            if options.drain && position >= events.last_sequence()? {
                return Ok(());
            }
            continue;
        }
        let arrived = Instant::now();
        if let Some(mut commit) = commit_batch(lake, events.stream(), &run, &batch)? {
            commit.commit_ms = arrived.elapsed().as_millis() as u64;
            position = commit.last_sequence;
            on_commit(&commit);
        } else if let Some(last) = batch.last() {
            // Another ingester of the same stream committed these events first.
            position = position.max(last.sequence);
        }
    }
}

/// What an ingest records of itself in each commit.
#[derive(Clone, Debug)]
pub struct IngestRun {
    /// Its name (start time and process), which tells one ingest's batches apart.
    pub id: String,
    /// When the stream read was created ([`EventStream::created`]).
    pub stream_created: String,
}

/// When the stream `stream` the last ingest into the table in `folder` read was
/// created, as its commit recorded it (`None`: no ingest of that stream yet).
fn committed_stream_created(folder: &Path, stream: &str) -> Result<Option<String>> {
    if !folder.join("_delta_log").is_dir() {
        return Ok(None);
    }
    let commits = LakeTable::open(folder)?.commits()?;
    Ok(commits
        .iter()
        .rev()
        .filter_map(|c| c.info.get("smartviewIngest"))
        .find(|i| i.get("stream").and_then(|s| s.as_str()) == Some(stream))
        .and_then(|i| i.get("stream_created"))
        .and_then(|c| c.as_str())
        .map(str::to_string))
}

/// The last sequence of the stream committed into the table in `folder` (0 when none).
fn committed_position(folder: &Path, app: &str) -> Result<u64> {
    if !folder.join("_delta_log").is_dir() {
        return Ok(0);
    }
    let table = LakeTable::open(folder)?;
    Ok(table.transaction(app)?.unwrap_or(0).max(0) as u64)
}

/// Commits the events of `batch` not committed yet (by sequence) as one version of
/// `viewership`: their new sessions and the batch's last sequence, its bad events
/// kept in the quarantine first, `run` recorded in its information. `None` when
/// every event was committed already.
///
/// # Errors
/// As [`ingest`].
pub fn commit_batch(
    lake: &Path,
    stream: &str,
    run: &IngestRun,
    batch: &[Event],
) -> Result<Option<BatchCommit>> {
    let table_spec = viewership();
    let folder = lake.join(table_spec.name);
    let app = application_id(stream);
    // One writer at a time; the position read under the lock decides what is new.
    let _lock = lake::lock(&folder)?;
    // The table's log is read once per batch: for the position, then for the merge.
    let existing = match folder.join("_delta_log").is_dir() {
        true => Some(LakeTable::open(&folder)?),
        false => None,
    };
    let committed = match &existing {
        Some(table) => table.transaction(&app)?.unwrap_or(0).max(0) as u64,
        None => 0,
    };
    let fresh: Vec<Event> = batch
        .iter()
        .filter(|e| e.sequence > committed)
        .cloned()
        .collect();
    let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else {
        return Ok(None);
    };
    let (first_sequence, last_sequence) = (first.sequence, last.sequence);
    remove_uncommitted_quarantines(lake, stream, committed)?;

    let raw = raw_frame(&fresh, &VIEWING_COLUMNS, &format!("nats:{stream}"))?;
    let (valid, mut quarantined) =
        validate_batch(raw.lazy(), &viewing_schema("viewership_logs"), &[])?;
    let rows = table_spec.curate(valid.clone().lazy())?.kept.collect()?;
    if quarantined.height() > 0 {
        write_quarantine(
            &quarantine_path(lake, stream, first_sequence, last_sequence),
            &mut quarantined,
        )?;
    }
    let published = fresh.iter().map(|e| e.published_ms);
    let info = json!({
        "stream": stream,
        "stream_created": run.stream_created,
        "run": run.id,
        "first_sequence": first_sequence,
        "last_sequence": last_sequence,
        "events": fresh.len(),
        "valid": valid.height(),
        "quarantined": quarantined.height(),
        "oldest_published_ms": published.clone().min(),
        "newest_published_ms": published.max(),
    });
    let record = Record {
        transactions: vec![(app, last_sequence as i64)],
        operation: Some("ingest"),
        info: [("smartviewIngest".to_string(), info)]
            .into_iter()
            .collect(),
    };
    let mut table = match existing {
        Some(table) => table,
        None => LakeTable::open_or_create(&folder, &rows.schema(), table_spec.partition)?,
    };
    let stem = format!("ingest-{first_sequence:020}");
    let merged = merge(
        &mut table,
        &rows,
        table_spec.keys,
        table_spec.mode,
        record.clone(),
        &stem,
    )?;
    // A batch with no new session still records how far the stream is read.
    let version = match merged.version {
        Some(version) => version,
        None => table.commit(Change {
            transactions: record.transactions,
            operation: "ingest",
            info: record.info,
            ..Change::default()
        })?,
    };
    let oldest = fresh.iter().map(|e| e.published_ms).min().unwrap_or(0);
    Ok(Some(BatchCommit {
        version,
        first_sequence,
        last_sequence,
        events: fresh.len() as u64,
        inserted: merged.inserted,
        duplicates: valid.height() as u64 - merged.inserted,
        quarantined: quarantined.height() as u64,
        lag_ms: chrono::Utc::now().timestamp_millis() - oldest,
        commit_ms: 0,
    }))
}

/// The folder of the ingest quarantines (the merge quarantines' folder of
/// `viewership`).
fn quarantine_folder(lake: &Path) -> PathBuf {
    lake.join("_quarantine").join(viewership().name)
}

/// Where the bad events of the batch `first..=last` of `stream` are kept:
/// `<lake>/_quarantine/viewership/<stream>.<first>-<last>.parquet`, sequences written
/// with 20 digits so that names sort in stream order.
pub fn quarantine_path(lake: &Path, stream: &str, first: u64, last: u64) -> PathBuf {
    quarantine_folder(lake).join(format!("{stream}.{first:020}-{last:020}.parquet"))
}

/// Removes the quarantine files of `stream` whose batch starts after `committed`: a
/// batch killed between writing its quarantine and its commit left them, and its
/// events are read again.
fn remove_uncommitted_quarantines(lake: &Path, stream: &str, committed: u64) -> Result<()> {
    let folder = quarantine_folder(lake);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(());
    };
    let prefix = format!("{stream}.");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let first = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|first| first.parse::<u64>().ok());
        if first.is_some_and(|first| first > committed) {
            std::fs::remove_file(entry.path()).with_context(|| {
                format!(
                    "cannot remove the uncommitted quarantine {}",
                    entry.path().display()
                )
            })?;
        }
    }
    Ok(())
}

/// Writes `rows` as Parquet at `path` through a temporary file beside it, synced
/// before it is renamed into place.
fn write_quarantine(path: &Path, rows: &mut DataFrame) -> Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let mut scratch = tempfile::NamedTempFile::new_in(folder)
        .with_context(|| format!("cannot write in {}", folder.display()))?;
    ParquetWriter::new(scratch.as_file_mut())
        .finish(rows)
        .with_context(|| format!("cannot write {}", path.display()))?;
    scratch.as_file().sync_all()?;
    scratch
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The ingest batches committed into the `viewership` table in `folder`, oldest
/// first: `version` (i64), `committed_at` (datetime in milliseconds, UTC), `stream`,
/// `run` (the ingest that committed it: its start time and process),
/// `first_sequence`, `last_sequence`, `events`, `valid`, `inserted`, `quarantined`
/// (u64), and `lag_ms` (i64: from the oldest event's publication to the commit) and
/// `min_lag_ms` (from the newest event's). No rows when nothing was ingested.
///
/// # Errors
/// When the table's log cannot be read.
pub fn ingest_batches(folder: &Path) -> Result<DataFrame> {
    let commits = if folder.join("_delta_log").is_dir() {
        LakeTable::open(folder)?.commits()?
    } else {
        Vec::new()
    };
    let mut rows = IngestColumns::default();
    for commit in &commits {
        let Some(batch) = commit.info.get("smartviewIngest") else {
            continue;
        };
        let number = |key: &str| {
            batch
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        let at = commit.timestamp_ms.unwrap_or(0);
        let published = |key: &str| {
            batch
                .get(key)
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(at)
        };
        rows.version.push(commit.version);
        rows.committed_at.push(at);
        rows.stream.push(
            batch
                .get("stream")
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_string(),
        );
        rows.run.push(
            batch
                .get("run")
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_string(),
        );
        rows.first_sequence.push(number("first_sequence"));
        rows.last_sequence.push(number("last_sequence"));
        rows.events.push(number("events"));
        rows.valid.push(number("valid"));
        rows.inserted.push(
            commit
                .info
                .get("smartviewRows")
                .and_then(|r| r.get("inserted"))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        );
        rows.quarantined.push(number("quarantined"));
        rows.lag_ms.push(at - published("oldest_published_ms"));
        rows.min_lag_ms.push(at - published("newest_published_ms"));
    }
    let frame = polars::prelude::df!(
        "version" => rows.version,
        "committed_at" => rows.committed_at,
        "stream" => rows.stream,
        "run" => rows.run,
        "first_sequence" => rows.first_sequence,
        "last_sequence" => rows.last_sequence,
        "events" => rows.events,
        "valid" => rows.valid,
        "inserted" => rows.inserted,
        "quarantined" => rows.quarantined,
        "lag_ms" => rows.lag_ms,
        "min_lag_ms" => rows.min_lag_ms,
    )?;
    use polars::prelude::{col, DataType, TimeUnit, TimeZone};
    Ok(frame
        .lazy()
        .with_column(col("committed_at").cast(DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        )))
        .collect()?)
}

/// The batches of the last ingest into the `viewership` table in `folder` (those of
/// the ingest run that committed last), as [`ingest_batches`] gives them.
///
/// # Errors
/// When the table's log cannot be read.
pub fn last_ingest(folder: &Path) -> Result<DataFrame> {
    use polars::prelude::{col, lit};
    let batches = ingest_batches(folder)?;
    let last = crate::values::texts(&batches, "run", "")?.pop();
    Ok(match last {
        Some(run) => batches.lazy().filter(col("run").eq(lit(run))).collect()?,
        None => batches,
    })
}

#[derive(Default)]
struct IngestColumns {
    version: Vec<i64>,
    committed_at: Vec<i64>,
    stream: Vec<String>,
    run: Vec<String>,
    first_sequence: Vec<u64>,
    last_sequence: Vec<u64>,
    events: Vec<u64>,
    valid: Vec<u64>,
    inserted: Vec<u64>,
    quarantined: Vec<u64>,
    lag_ms: Vec<i64>,
    min_lag_ms: Vec<i64>,
}

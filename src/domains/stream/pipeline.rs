//! The stream pipeline (batch path): raw files → validated tables → curated tables →
//! the seventeen answers of S6.
//!
//! Stages, in order:
//!
//! 1. validate the channel metadata, demographics, ad revenue and viewing logs
//!    (every domain's reading and validation layer), the valid rows streamed to
//!    `<interim>/<table>.parquet` and the failing ones to the quarantine;
//! 2. the curated rows (S2): `channels`, `users` and `viewership` keep the first
//!    valid row per key, `ad_revenue` the last per (channel_id, date), files in name
//!    order; each streamed to `<interim>/`, and the rows each dropped counted in
//!    `dedup_counts`; a table of more than [`ROWS_PER_PASS`] valid rows (the viewing
//!    logs at scale) is deduplicated and merged in passes over disjoint key hashes,
//!    so that memory holds one pass;
//! 3. each merged into its Delta table under `<lake>/` (S2, S3): new keys inserted,
//!    and for `ad_revenue` changed rows updated by rewriting their date partitions;
//!    rows already there with equal values write no version, so a second run on the
//!    same files leaves the tables as they are;
//! 4. the questions of S6 over the tables' latest versions, written with
//!    `quarantine_summary` and `dedup_counts` as Parquet + CSV under `<processed>/`,
//!    with a `_SUCCESS` manifest.

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::{col, df, DataFrame, IntoLazy, LazyFrame};

use super::datasets::StreamOutputs;
use super::rules::{self, Deduplicated};
use super::tables;
use crate::exec::{self, rule};
use crate::io::lake::{self, merge, LakeTable, MergeMode, Record};
use crate::io::{
    count_rows, scan_parquet, sink_parquet_all, summarize_quarantines, write_tables, DomainPaths,
};
use crate::progress::Progress;
use crate::schema::{table_counts, TableCount};
use crate::transforms::keys::key_hash_in_pass;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "stream";

/// One curated table of S2: its name (SQL and lake folder), the raw table it comes
/// from, its key, how a run's rows merge into its Delta table, and its partition
/// column.
pub struct CuratedTable {
    pub name: &'static str,
    pub raw: &'static str,
    pub keys: &'static [&'static str],
    pub mode: MergeMode,
    pub partition: &'static [&'static str],
}

/// The four curated tables, in the order a run writes them.
pub const CURATED_TABLES: [CuratedTable; 4] = [
    CuratedTable {
        name: "channels",
        raw: "channel_metadata",
        keys: &["channel_id"],
        mode: MergeMode::InsertNew,
        partition: &[],
    },
    CuratedTable {
        name: "users",
        raw: "demographics",
        keys: &["user_id"],
        mode: MergeMode::InsertNew,
        partition: &[],
    },
    CuratedTable {
        name: "ad_revenue",
        raw: "ad_revenue",
        keys: &["channel_id", "date"],
        mode: MergeMode::Upsert,
        partition: &["date"],
    },
    CuratedTable {
        name: "viewership",
        raw: "viewership_logs",
        keys: &["session_id"],
        mode: MergeMode::InsertNew,
        partition: &["event_date"],
    },
];

impl CuratedTable {
    /// The table's rows from its raw table's validated rows (the S2 rule of
    /// [`rules`]).
    ///
    /// # Errors
    /// As the rule (never while planning).
    pub fn curate(&self, valid: LazyFrame) -> polars::prelude::PolarsResult<Deduplicated> {
        match self.name {
            "channels" => rules::channels(valid),
            "users" => rules::users(valid),
            "ad_revenue" => rules::ad_revenue(valid),
            _ => rules::viewership(valid),
        }
    }
}

/// The interim file stem of each curated table: its SQL name, but for `ad_revenue`,
/// whose name the validated raw table has.
pub fn curated_stem(table: &str) -> &str {
    match table {
        "ad_revenue" => "curated_ad_revenue",
        other => other,
    }
}

/// The interim file of pass `pass` of a curated table's `passes`:
/// `<interim>/<stem>.parquet` for one pass, `<stem>-part-NNN.parquet` for several.
pub fn curated_part(paths: &DomainPaths, table: &str, pass: u32, passes: u32) -> PathBuf {
    let stem = curated_stem(table);
    match passes {
        1 => paths.valid(stem),
        _ => paths.valid(&format!("{stem}-part-{pass:03}")),
    }
}

/// Runs the batch pipeline and writes its interim, curated and output tables.
///
/// # Errors
/// When a raw table's files are missing or unreadable, a rule fails to run, or a
/// table cannot be written; the message names it.
pub fn run(paths: &DomainPaths, progress: &mut Progress) -> Result<StreamOutputs> {
    run_in_passes(paths, progress, ROWS_PER_PASS)
}

/// Valid rows a curated table's deduplication and merge take at a time: a table with
/// more runs in passes over disjoint sets of keys ([`key_hash_in_pass`]).
pub const ROWS_PER_PASS: u64 = 2_000_000;

/// [`run`] with at most about `rows_per_pass` valid rows per pass of a curated
/// table's deduplication and merge (S2, S3), so that memory does not grow with the
/// viewing logs: the passes split the rows by their key's hash, and each key's rows
/// are in one pass. Upserted tables (ad revenue, a few thousand rows) take one pass.
///
/// # Errors
/// As [`run`].
pub fn run_in_passes(
    paths: &DomainPaths,
    progress: &mut Progress,
    rows_per_pass: u64,
) -> Result<StreamOutputs> {
    let mut counts: Vec<TableCount> = Vec::new();
    for table in tables::all() {
        counts.push(exec::validate(progress, paths, &table, &[], vec![])?.0);
    }
    let valid = |table: &str| scan_parquet(&paths.valid(table));
    let valid_rows = |raw: &str| {
        counts
            .iter()
            .find(|c| c.table == raw)
            .map_or(0, |c| c.rows_valid)
    };
    let passes_of = |table: &CuratedTable| match table.mode {
        MergeMode::InsertNew => {
            u32::try_from(valid_rows(table.raw).div_ceil(rows_per_pass.max(1)).max(1))
                .unwrap_or(u32::MAX)
        }
        MergeMode::Upsert => 1,
    };

    // S2: each table's valid rows deduplicated, pass by pass, into `<interim>/`.
    let mut dropped = Vec::new();
    for table in &CURATED_TABLES {
        let passes = passes_of(table);
        let mut kept_rows = 0;
        let mut reason = "";
        exec::in_partitions(passes, |pass| {
            let rows = valid(table.raw)?.filter(key_hash_in_pass(col(table.keys[0]), pass, passes));
            let curated = table.curate(rows)?;
            reason = curated.reason;
            let part = curated_part(paths, table.name, pass, passes);
            sink_parquet_all(vec![(curated.kept, part.clone())])?;
            kept_rows += count_rows(&part)?;
            Ok(())
        })?;
        dropped.push((table.raw, reason, valid_rows(table.raw) - kept_rows));
    }
    let dedup_counts = df!(
        "table" => dropped.iter().map(|(raw, _, _)| *raw).collect::<Vec<_>>(),
        "reason" => dropped.iter().map(|(_, reason, _)| *reason).collect::<Vec<_>>(),
        "rows" => dropped.iter().map(|(_, _, rows)| *rows as i64).collect::<Vec<_>>(),
    )?;
    progress.done("S2 curated tables", None);

    // S2, S3: each curated table merged into its Delta table on its key.
    let mut state = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for table in &CURATED_TABLES {
        let name = table.name;
        let passes = passes_of(table);
        let part = |pass: u32| curated_part(paths, name, pass, passes);
        let schema = scan_parquet(&part(0))?.collect_schema()?;
        let folder = paths.lake.join(name);
        let _lock = lake::lock(&folder)?;
        let mut lake_table = LakeTable::open_or_create(&folder, &schema, table.partition)?;
        let stem = format!("part-{:05}", lake_table.version() + 1);
        let merged = match table.mode {
            MergeMode::InsertNew => lake::insert_new(
                &mut lake_table,
                passes,
                |pass| Ok(scan_parquet(&part(pass))?.collect()?),
                |pass| key_hash_in_pass(col(table.keys[0]), pass, passes),
                table.keys,
                Record::default(),
                &stem,
            )?,
            MergeMode::Upsert => {
                let rows = scan_parquet(&part(0))?.collect()?;
                merge(
                    &mut lake_table,
                    &rows,
                    table.keys,
                    table.mode,
                    Record::default(),
                    &stem,
                )?
            }
        };
        let stage = match merged.version {
            Some(version) => format!(
                "S3 merge into lake {name}: version {version}, {} inserted, {} updated",
                merged.inserted, merged.updated
            ),
            None => format!(
                "S3 merge into lake {name}: nothing new, still version {}",
                lake_table.version()
            ),
        };
        progress.done(&stage, None);
        state.0.push(name.to_string());
        state.1.push(lake_table.version());
        // Files and rows from the log (each file's numRecords), not by reading the data.
        let files = lake_table.files()?;
        state.2.push(files.len() as u64);
        state
            .3
            .push(files.iter().map(|f| f.rows.unwrap_or(0)).sum::<u64>());
    }
    let lake_tables = df!(
        "table" => state.0,
        "version" => state.1,
        "files" => state.2,
        "rows" => state.3,
    )?;

    // S6 on the tables' latest versions.
    let curated = |name: &str| LakeTable::open(&paths.lake.join(name))?.scan();
    let region_hours = rule(
        progress,
        "S6 sessions by region and hour",
        rules::sessions_by_region_hour(curated("viewership")?),
    )?;
    let outputs = questions(
        curated("channels")?,
        curated("users")?,
        curated("ad_revenue")?,
        curated("viewership")?,
        progress,
    )?;
    let mut tables = vec![(
        "quarantine_summary",
        summarize_quarantines(&counts, |table| scan_parquet(&paths.quarantine(table)))?,
    )];
    tables.extend(outputs);
    tables.push(("dedup_counts", dedup_counts));
    let outputs = StreamOutputs {
        tables,
        table_counts: table_counts(&counts)?,
        region_hours,
        lake_tables,
        last_ingest: super::ingest::last_ingest(&paths.lake.join("viewership"))?,
        lake_quarantine: super::merge::lake_quarantine_summary(&paths.lake)?,
        notices: paths.reading.notices.all(),
    };
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("S6 write outputs", None);
    Ok(outputs)
}

/// The seventeen answers of S6 over the curated tables, by output table name in the
/// spec's order, each computed as one timed stage.
///
/// # Errors
/// When a question fails to plan or run; the message names it.
pub fn questions(
    channels: LazyFrame,
    users: LazyFrame,
    ad_revenue: LazyFrame,
    viewership: LazyFrame,
    progress: &mut Progress,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let plans = super::plans::question_plans(channels, users, ad_revenue, viewership)?;
    plans
        .into_iter()
        .map(|(name, plan)| Ok((name, rule(progress, &format!("S6 {name}"), plan)?)))
        .collect()
}

/// The questions of S6 on in-memory curated tables (tests, notebooks).
///
/// # Errors
/// As [`questions`].
pub fn questions_of(
    channels: &DataFrame,
    users: &DataFrame,
    ad_revenue: &DataFrame,
    viewership: &DataFrame,
) -> Result<Vec<(&'static str, DataFrame)>> {
    questions(
        channels.clone().lazy(),
        users.clone().lazy(),
        ad_revenue.clone().lazy(),
        viewership.clone().lazy(),
        &mut Progress::new(DOMAIN, true),
    )
}

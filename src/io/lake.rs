//! Delta Lake tables on the local disk: the curated tables other engines (Spark,
//! DuckDB, Trino, Python) read as they are, with their history.
//!
//! Polars writes the Parquet files; the `deltalake` crate is the commit protocol
//! around them: a commit adds (and removes) files in one atomic version of the
//! table's `_delta_log`, together with application transactions (`txn`, an id and a
//! number), which is how a writer records what it has already committed (a source
//! file, a stream position) in the same transaction as the rows. Readers always take
//! the file list from the log of a version, never from the folder: a rewritten
//! partition's old files stay on disk for earlier versions.
//!
//! The crate is asynchronous; a [`LakeTable`] drives it on its own single-thread
//! runtime and does every Polars step outside it (Polars must not collect inside a
//! current-thread runtime).

use std::collections::HashMap;
use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add, DataType as DeltaType, Remove, StructField, Transaction};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::DeltaTable;
use polars::prelude::{
    col, concat, lit, DataFrame, DataType, IntoLazy, LazyFrame, ParquetWriter, Schema, UnionArgs,
};

/// One data file of a table version, as its log lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LakeFile {
    /// The path relative to the table's folder (`event_date=2025-03-03/part-….parquet`).
    pub path: String,
    /// The file's partition values by column (`None` for a null partition).
    pub partition_values: HashMap<String, Option<String>>,
    pub size: i64,
    /// Its rows, from the statistics the log holds (`numRecords`), when it has them.
    pub rows: Option<u64>,
}

/// A table's change for one commit: files to add (written by [`LakeTable::write_files`])
/// and files to remove, with the application transactions to record.
#[derive(Default)]
pub struct Change {
    pub add: Vec<Add>,
    pub remove: Vec<LakeFile>,
    /// `(application id, number)`: recorded in the same commit (Delta's `txn`).
    pub transactions: Vec<(String, i64)>,
    /// What the commit does, in SmartView's terms (`append`, `merge`, `ingest`),
    /// recorded in the commit's information as `smartviewOperation`.
    pub operation: &'static str,
    /// Further entries of the commit's information (`commitInfo`), such as what an
    /// ingest batch held.
    pub info: serde_json::Map<String, serde_json::Value>,
}

/// What a [`merge`] records in its commit beside its files: application
/// transactions, the operation (default `insert` or `merge`, by mode) and further
/// commit information.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub transactions: Vec<(String, i64)>,
    pub operation: Option<&'static str>,
    pub info: serde_json::Map<String, serde_json::Value>,
}

/// One commit of a table's log: its version, when it was made (Unix time in
/// milliseconds, UTC), Delta's operation and the commit information's other
/// entries (SmartView's `smartviewOperation`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct CommitRecord {
    pub version: i64,
    pub timestamp_ms: Option<i64>,
    pub operation: Option<String>,
    pub info: HashMap<String, serde_json::Value>,
}

/// A Delta table in a local folder, opened at its latest version or at a given one.
pub struct LakeTable {
    folder: PathBuf,
    table: DeltaTable,
    runtime: Arc<tokio::runtime::Runtime>,
    /// Column names and Polars dtypes, in table order (partition columns included).
    schema: Schema,
    partition_columns: Vec<String>,
}

/// The column a scan names each row's file in, to attach its partition values.
const FILE_COLUMN: &str = "__lake_file";

fn runtime() -> Result<Arc<tokio::runtime::Runtime>> {
    Ok(Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime the Delta Lake client runs on")?,
    ))
}

/// The Delta type of a Polars column dtype.
fn delta_type(name: &str, dtype: &DataType) -> Result<DeltaType> {
    Ok(match dtype {
        DataType::String => DeltaType::STRING,
        DataType::Boolean => DeltaType::BOOLEAN,
        DataType::Int8 => DeltaType::BYTE,
        DataType::Int16 => DeltaType::SHORT,
        DataType::Int32 => DeltaType::INTEGER,
        DataType::Int64 => DeltaType::LONG,
        DataType::Float32 => DeltaType::FLOAT,
        DataType::Float64 => DeltaType::DOUBLE,
        DataType::Date => DeltaType::DATE,
        DataType::Datetime(_, None) => DeltaType::TIMESTAMP_NTZ,
        DataType::Datetime(_, Some(_)) => DeltaType::TIMESTAMP,
        other => bail!("the column `{name}` has the dtype {other}, which SmartView does not store in Delta tables"),
    })
}

/// The Polars dtype of a Delta column type (the inverse of [`delta_type`]).
fn polars_type(name: &str, dtype: &DeltaType) -> Result<DataType> {
    use polars::prelude::TimeUnit;
    let pairs = [
        (DeltaType::STRING, DataType::String),
        (DeltaType::BOOLEAN, DataType::Boolean),
        (DeltaType::BYTE, DataType::Int8),
        (DeltaType::SHORT, DataType::Int16),
        (DeltaType::INTEGER, DataType::Int32),
        (DeltaType::LONG, DataType::Int64),
        (DeltaType::FLOAT, DataType::Float32),
        (DeltaType::DOUBLE, DataType::Float64),
        (DeltaType::DATE, DataType::Date),
        (
            DeltaType::TIMESTAMP_NTZ,
            DataType::Datetime(TimeUnit::Microseconds, None),
        ),
    ];
    pairs
        .into_iter()
        .find(|(delta, _)| delta == dtype)
        .map(|(_, polars)| polars)
        .ok_or_else(|| {
            anyhow!("the Delta column `{name}` has the type {dtype}, which SmartView does not read")
        })
}

fn delta_error(what: String) -> impl FnOnce(deltalake::DeltaTableError) -> anyhow::Error {
    move |error| anyhow!("{what}: {error}")
}

impl LakeTable {
    /// Opens the Delta table in `folder` at its latest version, creating it with
    /// `schema` (columns and dtypes, in order) and `partition_columns` when the folder
    /// holds none.
    ///
    /// # Errors
    /// When the folder cannot be created, the table cannot be read or created, a
    /// column's dtype has no Delta type, or an existing table has other columns.
    pub fn open_or_create(
        folder: &Path,
        schema: &Schema,
        partition_columns: &[&str],
    ) -> Result<Self> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
        let runtime = runtime()?;
        let location = folder.to_string_lossy().into_owned();
        let table = if folder.join("_delta_log").is_dir() {
            let url = deltalake::ensure_table_uri(&location).map_err(delta_error(format!(
                "cannot open the Delta table {location}"
            )))?;
            runtime
                .block_on(deltalake::open_table(url))
                .map_err(delta_error(format!(
                    "cannot open the Delta table {location}"
                )))?
        } else {
            let columns = schema
                .iter()
                .map(|(name, dtype)| {
                    Ok(StructField::new(
                        name.to_string(),
                        delta_type(name, dtype)?,
                        true,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            runtime
                .block_on(
                    CreateBuilder::new()
                        .with_location(location.clone())
                        .with_columns(columns)
                        .with_partition_columns(partition_columns.iter().map(|c| c.to_string()))
                        .with_save_mode(SaveMode::ErrorIfExists)
                        .into_future(),
                )
                .map_err(delta_error(format!(
                    "cannot create the Delta table {location}"
                )))?
        };
        let lake = LakeTable {
            folder: folder.to_path_buf(),
            table,
            runtime,
            schema: schema.clone(),
            partition_columns: partition_columns.iter().map(|c| c.to_string()).collect(),
        };
        let stored: Vec<String> = lake
            .table
            .snapshot()
            .map_err(delta_error(format!(
                "cannot read the Delta table {location}"
            )))?
            .schema()
            .fields()
            .map(|f| f.name().to_string())
            .collect();
        let wanted: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        if stored != wanted {
            bail!(
                "the Delta table {location} has the columns {stored:?}, not {wanted:?}. \
                 Consider another lake folder, or removing this table to rebuild it"
            );
        }
        Ok(lake)
    }

    /// Opens the existing Delta table in `folder` at its latest version, its columns
    /// and partition columns as its log declares them.
    ///
    /// # Errors
    /// When the folder holds no Delta table, or a column has a type SmartView does not
    /// read.
    pub fn open(folder: &Path) -> Result<Self> {
        let location = folder.display().to_string();
        if !folder.join("_delta_log").is_dir() {
            bail!("{location} holds no Delta table (no _delta_log folder)");
        }
        let runtime = runtime()?;
        let url = deltalake::ensure_table_uri(&location).map_err(delta_error(format!(
            "cannot open the Delta table {location}"
        )))?;
        let table = runtime
            .block_on(deltalake::open_table(url))
            .map_err(delta_error(format!(
                "cannot open the Delta table {location}"
            )))?;
        let state = table.snapshot().map_err(delta_error(format!(
            "cannot read the Delta table {location}"
        )))?;
        let mut schema = Schema::default();
        for field in state.schema().fields() {
            schema.with_column(
                field.name().into(),
                polars_type(field.name(), field.data_type())?,
            );
        }
        let partition_columns = state.metadata().partition_columns().to_vec();
        Ok(LakeTable {
            folder: folder.to_path_buf(),
            table,
            runtime,
            schema,
            partition_columns,
        })
    }

    /// The table's folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The version the table is opened at.
    pub fn version(&self) -> i64 {
        self.table.version().unwrap_or(0) as i64
    }

    /// Opens version `version` (time travel).
    ///
    /// # Errors
    /// When the version does not exist or its log cannot be read.
    pub fn load_version(&mut self, version: i64) -> Result<()> {
        let location = self.folder.display().to_string();
        let version = u64::try_from(version)
            .map_err(|_| anyhow!("a table version is 0 or more, not {version}"))?;
        let latest = self
            .runtime
            .block_on(self.table.get_latest_version())
            .map_err(delta_error(format!(
                "cannot read the Delta table {location}"
            )))?;
        if version as i64 > latest as i64 {
            bail!("the Delta table {location} has no version {version}: its versions are 0 to {latest}");
        }
        self.runtime
            .block_on(self.table.load_version(version as _))
            .map_err(delta_error(format!(
                "the Delta table {location} has no version {version}"
            )))
    }

    /// The data files of the opened version.
    ///
    /// # Errors
    /// When the table's state cannot be read.
    pub fn files(&self) -> Result<Vec<LakeFile>> {
        let snapshot = self.table.snapshot().map_err(delta_error(format!(
            "cannot read the Delta table {}",
            self.folder.display()
        )))?;
        let mut files: Vec<LakeFile> = snapshot
            .log_data()
            .iter()
            .map(|file| LakeFile {
                path: file.path().into_owned(),
                partition_values: file.partition_values_map(),
                size: file.size(),
                rows: file.num_records().map(|n| n as u64),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Every version of the table, oldest first: `version` (i64), `timestamp` (the
    /// commit's time, datetime in milliseconds, UTC), `operation` (Delta's, such as `WRITE`),
    /// `smartview_operation` (`insert`, `merge`, …; null for others' commits),
    /// `files` and `rows` of the whole table at that version (u64; rows from the
    /// files' statistics), and `inserted` and `updated`, the rows the commit itself
    /// added and changed (u64; null for commits that are not SmartView merges). The
    /// table is left at its latest version.
    ///
    /// # Errors
    /// When the log cannot be read.
    pub fn history(&mut self) -> Result<DataFrame> {
        // Brings the table to its latest version first.
        let commits = self.commits()?;
        let latest = self.version();
        let mut columns = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let (mut inserted, mut updated) = (Vec::new(), Vec::new());
        for version in 0..=latest {
            self.load_version(version)?;
            let files = self.files()?;
            let commit = commits.iter().find(|c| c.version == version);
            columns.0.push(version);
            columns.1.push(commit.and_then(|c| c.timestamp_ms));
            columns.2.push(commit.and_then(|c| c.operation.clone()));
            columns.3.push(
                commit
                    .and_then(|c| c.info.get("smartviewOperation"))
                    .and_then(|v| v.as_str().map(str::to_string)),
            );
            let rows_changed = |key: &str| {
                commit
                    .and_then(|c| c.info.get("smartviewRows"))
                    .and_then(|r| r.get(key))
                    .and_then(serde_json::Value::as_u64)
            };
            inserted.push(rows_changed("inserted"));
            updated.push(rows_changed("updated"));
            columns.4.push(files.len() as u64);
            columns
                .5
                .push(files.iter().map(|f| f.rows.unwrap_or(0)).sum::<u64>());
        }
        self.load_version(latest)?;
        let history = polars::prelude::df!(
            "version" => columns.0,
            "timestamp" => columns.1,
            "operation" => columns.2,
            "smartview_operation" => columns.3,
            "files" => columns.4,
            "rows" => columns.5,
            "inserted" => inserted,
            "updated" => updated,
        )?;
        // Commit times as timestamps (UTC, milliseconds), as Delta's history shows them.
        Ok(history
            .lazy()
            .with_column(col("timestamp").cast(DataType::Datetime(
                polars::prelude::TimeUnit::Milliseconds,
                Some(polars::prelude::TimeZone::UTC),
            )))
            .collect()?)
    }

    /// Every commit of the table's log, oldest first (brought up to its latest
    /// version first).
    ///
    /// # Errors
    /// When the log cannot be read.
    pub fn commits(&mut self) -> Result<Vec<CommitRecord>> {
        use futures::TryStreamExt;
        let location = self.folder.display().to_string();
        self.runtime
            .block_on(self.table.update_incremental(None))
            .map_err(delta_error(format!(
                "cannot read the Delta table {location}"
            )))?;
        let latest = self.version();
        // The commit information, newest first, one per version.
        let infos: Vec<_> = self
            .runtime
            .block_on(self.table.history(None).try_collect::<Vec<_>>())
            .map_err(delta_error(format!(
                "cannot read the history of {location}"
            )))?;
        let mut commits: Vec<CommitRecord> = infos
            .into_iter()
            .enumerate()
            .map(|(i, info)| CommitRecord {
                version: latest - i as i64,
                timestamp_ms: info.timestamp,
                operation: info.operation,
                info: info.info.into_iter().collect(),
            })
            .collect();
        commits.reverse();
        Ok(commits)
    }

    /// The number an application transaction `app_id` last recorded, if any.
    ///
    /// # Errors
    /// When the log cannot be read.
    pub fn transaction(&self, app_id: &str) -> Result<Option<i64>> {
        let snapshot = self.table.snapshot().map_err(delta_error(format!(
            "cannot read the Delta table {}",
            self.folder.display()
        )))?;
        self.runtime
            .block_on(snapshot.transaction_version(self.table.log_store().as_ref(), app_id))
            .map_err(delta_error(format!(
                "cannot read the transactions of {}",
                self.folder.display()
            )))
    }

    /// The opened version's rows, lazily: each file of the log scanned, its partition
    /// columns added from the log's values, columns in table order. An empty version
    /// is an empty frame of the table's schema.
    ///
    /// # Errors
    /// When a file cannot be scanned.
    pub fn scan(&self) -> Result<LazyFrame> {
        use polars::prelude::{JoinType, PlRefPath, ScanArgsParquet};
        let files = self.files()?;
        if files.is_empty() {
            return Ok(DataFrame::empty_with_schema(&self.schema).lazy());
        }
        // One scan over every file (the log's list, not the folder's), each row with
        // its file, whose partition values the log gives. Absolute paths: the scan
        // names each row's file as it was given, and the join needs one spelling.
        let folder = std::path::absolute(&self.folder)
            .with_context(|| format!("cannot resolve the folder {}", self.folder.display()))?;
        let paths: Vec<String> = files
            .iter()
            .map(|f| folder.join(&f.path).to_string_lossy().into_owned())
            .collect();
        let mut args = ScanArgsParquet {
            include_file_paths: Some(FILE_COLUMN.into()),
            glob: false,
            ..ScanArgsParquet::default()
        };
        args.hive_options.enabled = Some(false);
        let scan = LazyFrame::scan_parquet_files(
            paths.iter().map(|p| PlRefPath::new(p.as_str())).collect(),
            args,
        )
        .with_context(|| format!("cannot scan the Delta table {}", self.folder.display()))?;
        let order: Vec<_> = self.schema.iter_names().map(|n| col(n.clone())).collect();
        if self.partition_columns.is_empty() {
            return Ok(scan.select(order));
        }
        let mut by_file = DataFrame::new_infer_height(vec![polars::prelude::Column::new(
            FILE_COLUMN.into(),
            paths.clone(),
        )])?;
        for column in &self.partition_columns {
            let values: Vec<Option<String>> = files
                .iter()
                .map(|f| f.partition_values.get(column).cloned().flatten())
                .collect();
            by_file.with_column(polars::prelude::Column::new(column.as_str().into(), values))?;
        }
        // Delta writes partition values as text; dates as `YYYY-MM-DD`.
        let typed: Vec<_> = self
            .partition_columns
            .iter()
            .map(|column| {
                let dtype = self.schema.get(column).cloned().unwrap_or(DataType::String);
                let text = col(column.as_str());
                match dtype {
                    DataType::Date => text.str().to_date(polars::prelude::StrptimeOptions {
                        format: Some("%Y-%m-%d".into()),
                        ..Default::default()
                    }),
                    other => text.cast(other),
                }
                .alias(column.as_str())
            })
            .collect();
        let by_file = by_file.lazy().with_columns(typed);
        Ok(scan
            .join(
                by_file,
                [col(FILE_COLUMN)],
                [col(FILE_COLUMN)],
                crate::transforms::keeping_left_order(JoinType::Left),
            )
            .select(order))
    }

    /// Writes `frame` (the table's columns) as Parquet files in the table's folder, one
    /// per partition value (the partition columns kept in the folder names only, as
    /// Delta and Hive lay them out), named after `stem` and unique to this writer;
    /// returns their add actions.
    /// The files are not in the table until a [`LakeTable::commit`] adds them.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn write_files(&self, frame: &DataFrame, stem: &str) -> Result<Vec<Add>> {
        let parts = if self.partition_columns.is_empty() {
            vec![frame.clone()]
        } else {
            frame.partition_by_stable(self.partition_columns.iter().map(|c| c.as_str()), true)?
        };
        let now = chrono::Utc::now().timestamp_millis();
        // Unique to this writer: two writers committing the same version number never
        // write each other's files (the loser's commit is retried or refused by the
        // log, its files never referenced).
        let token = format!(
            "{:x}{:08x}",
            std::process::id(),
            chrono::Utc::now().timestamp_subsec_nanos()
        );
        let mut adds = Vec::with_capacity(parts.len());
        for (index, part) in parts.into_iter().enumerate() {
            let mut values = HashMap::new();
            let mut folder = PathBuf::new();
            for column in &self.partition_columns {
                let value = part
                    .column(column)?
                    .cast(&DataType::String)?
                    .str()?
                    .get(0)
                    .map(str::to_string);
                let shown = value
                    .clone()
                    .unwrap_or_else(|| super::sink::HIVE_NULL_PARTITION.to_string());
                folder.push(format!("{column}={shown}"));
                values.insert(column.clone(), value);
            }
            let relative = folder.join(format!("{stem}-{index:05}-{token}.parquet"));
            let path = self.folder.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create the folder {}", parent.display()))?;
            }
            let mut data = part.drop_many(self.partition_columns.iter().map(|c| c.as_str()));
            let file = std::fs::File::create(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            ParquetWriter::new(file)
                .finish(&mut data)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let size = std::fs::metadata(&path)?.len() as i64;
            adds.push(Add {
                path: relative.to_string_lossy().into_owned(),
                partition_values: values,
                size,
                modification_time: now,
                data_change: true,
                stats: Some(format!("{{\"numRecords\":{}}}", data.height())),
                ..Default::default()
            });
        }
        Ok(adds)
    }

    /// Commits `change` as the table's next version: its files added and removed and
    /// its transactions recorded in one atomic commit; returns the new version. The
    /// table is then at that version.
    ///
    /// # Errors
    /// When the commit fails (another writer committed the same version, or the log
    /// cannot be written); nothing of the change is then in the table.
    pub fn commit(&mut self, change: Change) -> Result<i64> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut actions: Vec<Action> = change.add.into_iter().map(Action::Add).collect();
        for file in change.remove {
            actions.push(Action::Remove(Remove {
                path: file.path,
                data_change: true,
                deletion_timestamp: Some(now),
                extended_file_metadata: Some(true),
                partition_values: Some(file.partition_values),
                size: Some(file.size),
                ..Default::default()
            }));
        }
        let transactions = change
            .transactions
            .into_iter()
            .map(|(app_id, version)| Transaction::new_with_last_update(app_id, version, Some(now)))
            .collect();
        let mut info = change.info;
        info.insert(
            "smartviewOperation".to_string(),
            serde_json::Value::from(change.operation),
        );
        let properties = CommitProperties::default()
            .with_application_transactions(transactions)
            .with_metadata(info);
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: (!self.partition_columns.is_empty())
                .then(|| self.partition_columns.clone()),
            predicate: None,
        };
        let location = self.folder.display().to_string();
        let snapshot = self.table.snapshot().map_err(delta_error(format!(
            "cannot read the Delta table {location}"
        )))?;
        let committed = self
            .runtime
            .block_on(
                CommitBuilder::from(properties)
                    .with_actions(actions)
                    .build(Some(snapshot), self.table.log_store(), operation)
                    .into_future(),
            )
            .map_err(delta_error(format!(
                "cannot commit to the Delta table {location}"
            )))?;
        let version = committed.version();
        self.runtime
            .block_on(self.table.update_incremental(Some(version)))
            .map_err(delta_error(format!(
                "cannot read the Delta table {location}"
            )))?;
        Ok(version as i64)
    }
}

/// Locks the Delta table in `folder` against other SmartView writers until the lock
/// is dropped (`<parent>/.<table>.lock`), waiting for one that holds it: a merge reads
/// the table, then commits what it computed from it, and two merges at once would
/// each miss the other's rows. Open the table after taking the lock.
///
/// # Errors
/// When the lock file cannot be created.
pub fn lock(folder: &Path) -> Result<super::publish::RunLock> {
    if let Some(parent) = folder.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    super::publish::RunLock::acquire(folder, true)
}

/// How [`merge`] brings rows into a table keyed by some columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeMode {
    /// Rows whose key the table does not hold yet are appended; the table's row wins
    /// for the others (the first row of a key is kept, S2).
    InsertNew,
    /// Rows replace the table's row of their key, or are inserted (a later file's row
    /// wins, S3): each partition holding a changed row is rewritten whole
    /// (copy-on-write), its old files removed in the same commit.
    Upsert,
}

/// What a [`merge`] committed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// The new version, `None` when nothing changed (no version is written).
    pub version: Option<i64>,
    /// Rows inserted and rows updated.
    pub inserted: u64,
    pub updated: u64,
}

/// Merges `rows` (the table's columns, one row per key) into `table` on `keys`, as
/// `mode` says, in one commit that also holds `record` (and, in its information,
/// `smartviewRows`: the rows inserted and updated); rows already in the table with
/// equal values change nothing, and a merge that changes nothing writes no version.
/// New files are named after `stem`; rows are written in key order.
///
/// # Errors
/// When the table cannot be read, a file cannot be written or the commit fails (the
/// table is then as it was).
pub fn merge(
    table: &mut LakeTable,
    rows: &DataFrame,
    keys: &[&str],
    mode: MergeMode,
    record: Record,
    stem: &str,
) -> Result<Merged> {
    match mode {
        MergeMode::InsertNew => insert_new(
            table,
            1,
            |_| Ok(rows.clone()),
            |_| lit(true),
            keys,
            record,
            stem,
        ),
        MergeMode::Upsert => upsert(table, rows, keys, record, stem),
    }
}

/// [`merge`] with [`MergeMode::InsertNew`] in `passes` disjoint passes, so that
/// memory holds one pass's rows: `rows_of(pass)` gives the rows of pass `pass` (one
/// row per key), and `in_pass(pass)` is the predicate that selects the table's rows
/// whose keys can be in that pass (such as
/// [`crate::transforms::keys::key_hash_in_pass`] of the key). Each pass's new rows
/// are written as their own files (`<stem>-<pass>`, or `stem` for one pass), and all
/// are added in one commit.
///
/// # Errors
/// As [`merge`]; also an error of `rows_of`. Nothing is committed then (files written
/// by earlier passes stay unreferenced, as a failed commit leaves them).
pub fn insert_new(
    table: &mut LakeTable,
    passes: u32,
    mut rows_of: impl FnMut(u32) -> Result<DataFrame>,
    in_pass: impl Fn(u32) -> polars::prelude::Expr,
    keys: &[&str],
    record: Record,
    stem: &str,
) -> Result<Merged> {
    use polars::prelude::{JoinArgs, JoinType, SortMultipleOptions};
    let key_columns: Vec<_> = keys.iter().map(|k| col(*k)).collect();
    let key_names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let current = table.scan()?;
    let mut add = Vec::new();
    let mut inserted = 0u64;
    for pass in 0..passes {
        let rows = rows_of(pass)?;
        let present = current
            .clone()
            .filter(in_pass(pass))
            .select(key_columns.clone());
        let new = rows
            .lazy()
            .join(
                present,
                key_columns.clone(),
                key_columns.clone(),
                JoinArgs::new(JoinType::Anti),
            )
            .sort(
                key_names.clone(),
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()?;
        if new.height() > 0 {
            inserted += new.height() as u64;
            let stem = match passes {
                1 => stem.to_string(),
                _ => format!("{stem}-{pass:03}"),
            };
            add.extend(table.write_files(&new, &stem)?);
        }
        crate::exec::release_free_memory();
    }
    if add.is_empty() {
        return Ok(Merged::default());
    }
    commit_merge(
        table,
        Change {
            add,
            operation: "insert",
            ..Change::default()
        },
        record,
        inserted,
        0,
    )
}

/// Commits a merge's `change` with `record` and its row counts (see [`merge`]).
fn commit_merge(
    table: &mut LakeTable,
    change: Change,
    record: Record,
    inserted: u64,
    updated: u64,
) -> Result<Merged> {
    let mut info = record.info;
    info.insert(
        "smartviewRows".to_string(),
        serde_json::json!({ "inserted": inserted, "updated": updated }),
    );
    let version = table.commit(Change {
        transactions: record.transactions,
        operation: record.operation.unwrap_or(change.operation),
        info,
        ..change
    })?;
    Ok(Merged {
        version: Some(version),
        inserted,
        updated,
    })
}

/// [`merge`] with [`MergeMode::Upsert`].
fn upsert(
    table: &mut LakeTable,
    rows: &DataFrame,
    keys: &[&str],
    record: Record,
    stem: &str,
) -> Result<Merged> {
    use polars::prelude::{JoinArgs, JoinType, SortMultipleOptions};
    let key_columns: Vec<_> = keys.iter().map(|k| col(*k)).collect();
    let values: Vec<String> = rows
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .filter(|n| !keys.contains(&n.as_str()))
        .collect();
    let current = table.scan()?;
    // Each row with the table's values of its key (`<column>__old`), if it has one.
    let old = current.clone().select(
        key_columns
            .iter()
            .cloned()
            .chain(
                values
                    .iter()
                    .map(|v| col(v.as_str()).alias(format!("{v}__old"))),
            )
            .chain([lit(true).alias("__present")])
            .collect::<Vec<_>>(),
    );
    let differs = values
        .iter()
        .map(|v| col(v.as_str()).eq_missing(col(format!("{v}__old"))).not())
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false));
    let compared = rows
        .clone()
        .lazy()
        .join(
            old,
            key_columns.clone(),
            key_columns.clone(),
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("__present").fill_null(lit(false)).alias("__present"),
            differs.alias("__differs"),
        ])
        .select([
            col("__present").not().alias("__inserted"),
            col("__present").and(col("__differs")).alias("__updated"),
        ])
        .collect()?;
    let inserted = compared.column("__inserted")?.bool()?.clone();
    let updated = compared.column("__updated")?.bool()?.clone();
    let (n_inserted, n_updated) = (
        inserted.sum().unwrap_or(0) as u64,
        updated.sum().unwrap_or(0) as u64,
    );
    let changes = rows.filter(&(&inserted | &updated))?;
    if changes.height() == 0 {
        return Ok(Merged::default());
    }
    let order = || SortMultipleOptions::default().with_maintain_order(true);
    let key_names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let partitions = table.partition_columns.clone();
    if partitions.is_empty() {
        bail!(
            "an upsert rewrites the partitions it changes, and {} has none",
            table.folder.display()
        );
    }
    // The partitions holding a change, rewritten whole: their other rows kept.
    let touched = changes
        .select(partitions.iter().map(|p| p.as_str()))?
        .unique_stable(None, polars::prelude::UniqueKeepStrategy::First, None)?;
    let partition_columns: Vec<_> = partitions.iter().map(|p| col(p.as_str())).collect();
    let kept = current
        .join(
            touched.clone().lazy(),
            partition_columns.clone(),
            partition_columns.clone(),
            JoinArgs::new(JoinType::Semi),
        )
        .join(
            changes.clone().lazy().select(key_columns.clone()),
            key_columns.clone(),
            key_columns.clone(),
            JoinArgs::new(JoinType::Anti),
        );
    let rewritten = concat([kept, changes.clone().lazy()], UnionArgs::default())?
        .sort(key_names, order())
        .collect()?;
    let touched_values: Vec<HashMap<String, Option<String>>> = (0..touched.height())
        .map(|i| {
            partitions
                .iter()
                .map(|p| {
                    let value = touched
                        .column(p)?
                        .cast(&DataType::String)?
                        .str()?
                        .get(i)
                        .map(str::to_string);
                    Ok((p.clone(), value))
                })
                .collect::<Result<_>>()
        })
        .collect::<Result<_>>()?;
    let remove = table
        .files()?
        .into_iter()
        .filter(|f| {
            touched_values.iter().any(|t| {
                partitions
                    .iter()
                    .all(|p| f.partition_values.get(p) == t.get(p))
            })
        })
        .collect();
    let change = Change {
        add: table.write_files(&rewritten, stem)?,
        remove,
        operation: "merge",
        ..Change::default()
    };
    commit_merge(table, change, record, n_inserted, n_updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_frame_eq;
    use chrono::NaiveDate;
    use polars::prelude::{df, SortMultipleOptions};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap_or_default()
    }

    /// `path` (absolute) as a path relative to the working folder.
    fn relative_to_cwd(path: &Path) -> Result<PathBuf> {
        let cwd = std::env::current_dir()?;
        let mut relative: PathBuf = cwd.components().skip(1).map(|_| "..").collect();
        relative.push(path.strip_prefix("/")?);
        Ok(relative)
    }

    fn sorted(lf: LazyFrame) -> Result<DataFrame> {
        Ok(lf
            .sort(["date", "channel_id"], SortMultipleOptions::default())
            .collect()?)
    }

    /// Create, append with a transaction, replace one partition's file, travel back.
    #[test]
    fn commits_add_and_replace_files_atomically_and_every_version_stays_readable() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let folder = dir.path().join("ad_revenue");
        let first = df!(
            "channel_id" => ["CH1", "CH2", "CH1"],
            "date" => [day(3), day(3), day(4)],
            "ad_revenue" => [1.0, 2.0, 3.0],
        )?;
        let mut table = LakeTable::open_or_create(&folder, &first.schema(), &["date"])?;
        assert_eq!((table.version(), table.files()?.len()), (0, 0));
        assert_eq!(
            table.scan()?.collect()?.height(),
            0,
            "an empty table reads as empty"
        );

        let add = table.write_files(&first, "v1")?;
        assert_eq!(add.len(), 2, "one file per date");
        let version = table.commit(Change {
            add,
            transactions: vec![("source/ad_revenue_1.csv".into(), 1)],
            operation: "append",
            ..Change::default()
        })?;
        assert_eq!(version, 1);

        // Reopened from disk: the rows, their partition values, the transaction; the
        // same through a relative path.
        let relative = relative_to_cwd(&folder)?;
        assert_frame_eq!(sorted(LakeTable::open(&relative)?.scan()?)?, first.clone());
        let mut table = LakeTable::open_or_create(&folder, &first.schema(), &["date"])?;
        assert_eq!(table.version(), 1);
        assert_frame_eq!(sorted(table.scan()?)?, first.clone());
        // A count on the streaming engine, as SQL's count(*) runs (a concatenation of
        // one scan per file made Polars 0.55 panic there: "not implemented for dtype
        // UInt128").
        let counted = table
            .scan()?
            .select([polars::prelude::len()])
            .collect_with_engine(polars::prelude::Engine::Streaming)?
            .unwrap_single();
        assert_eq!(counted.column("len")?.u32()?.get(0), Some(3));
        assert_eq!(table.transaction("source/ad_revenue_1.csv")?, Some(1));
        assert_eq!(table.transaction("source/other.csv")?, None);

        // Replace the 2025-03-03 partition: remove its file, add the new one, one commit.
        let old = table
            .files()?
            .into_iter()
            .filter(|f| f.partition_values.get("date") == Some(&Some("2025-03-03".to_string())))
            .collect::<Vec<_>>();
        let replacement = df!("channel_id" => ["CH1", "CH2"], "date" => [day(3), day(3)], "ad_revenue" => [1.0, 5.0])?;
        let add = table.write_files(&replacement, "v2")?;
        assert_eq!(
            table.commit(Change {
                add,
                remove: old,
                operation: "merge",
                ..Change::default()
            })?,
            2
        );
        let now = sorted(table.scan()?)?;
        assert_eq!(
            crate::values::f64s(&now, "ad_revenue")?,
            [Some(1.0), Some(5.0), Some(3.0)]
        );
        assert_eq!(table.files()?.len(), 2, "the old file left the table");

        // The history: create, append, merge, with each version's files and rows.
        let history = table.history()?;
        assert_frame_eq!(
            history.select([
                "version",
                "operation",
                "smartview_operation",
                "files",
                "rows"
            ])?,
            df!(
                "version" => [0i64, 1, 2],
                "operation" => ["CREATE TABLE", "WRITE", "WRITE"],
                "smartview_operation" => [None, Some("append"), Some("merge")],
                "files" => [0u64, 2, 2],
                "rows" => [0u64, 3, 3],
            )?
        );
        assert_eq!(table.version(), 2, "left at the latest version");

        // Version 1 still reads the old file, which stays on disk.
        table.load_version(1)?;
        assert_frame_eq!(sorted(table.scan()?)?, first);
        assert!(table.load_version(7).is_err());

        // Another schema in the same folder is refused by name.
        let other = df!("x" => [1i64])?;
        let error = LakeTable::open_or_create(&folder, &other.schema(), &[])
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("has the columns")));
        Ok(())
    }

    /// S3 on a table of three rows over two dates: an upsert of equal rows writes no
    /// version; a changed and a new row rewrite only their dates; an insert-only merge
    /// keeps the table's row of a key it already holds.
    #[test]
    fn merges_write_only_what_changes_and_rewrite_only_touched_partitions() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let rows = df!(
            "channel_id" => ["CH1", "CH2", "CH1"],
            "date" => [day(3), day(3), day(4)],
            "ad_revenue" => [1.0, 2.0, 3.0],
        )?;
        let keys = ["channel_id", "date"];
        let mut table =
            LakeTable::open_or_create(&dir.path().join("t"), &rows.schema(), &["date"])?;
        let first = merge(
            &mut table,
            &rows,
            &keys,
            MergeMode::Upsert,
            Record::default(),
            "a",
        )?;
        assert_eq!(
            first,
            Merged {
                version: Some(1),
                inserted: 3,
                updated: 0
            }
        );
        let again = merge(
            &mut table,
            &rows,
            &keys,
            MergeMode::Upsert,
            Record::default(),
            "b",
        )?;
        assert_eq!(
            again,
            Merged {
                version: None,
                inserted: 0,
                updated: 0
            },
            "equal rows: no version"
        );

        let day4_files = |table: &LakeTable| -> Result<Vec<String>> {
            Ok(table
                .files()?
                .into_iter()
                .filter(|f| f.path.contains("2025-03-04"))
                .map(|f| f.path)
                .collect())
        };
        let before = day4_files(&table)?;
        let change = df!("channel_id" => ["CH2", "CH3"], "date" => [day(3), day(3)], "ad_revenue" => [5.0, 7.0])?;
        let merged = merge(
            &mut table,
            &change,
            &keys,
            MergeMode::Upsert,
            Record {
                transactions: vec![("file/b.csv".into(), 1)],
                ..Record::default()
            },
            "c",
        )?;
        assert_eq!(
            merged,
            Merged {
                version: Some(2),
                inserted: 1,
                updated: 1
            }
        );
        assert_eq!(
            day4_files(&table)?,
            before,
            "the untouched date keeps its file"
        );
        assert_eq!(table.transaction("file/b.csv")?, Some(1));
        let now = sorted(table.scan()?)?;
        assert_frame_eq!(
            now,
            df!(
                "channel_id" => ["CH1", "CH2", "CH3", "CH1"],
                "date" => [day(3), day(3), day(3), day(4)],
                "ad_revenue" => [1.0, 5.0, 7.0, 3.0],
            )?
        );

        // Insert-only: CH1 on the 3rd is there already (its 1.0 stays), CH9 is new.
        let insert = df!("channel_id" => ["CH1", "CH9"], "date" => [day(3), day(5)], "ad_revenue" => [100.0, 9.0])?;
        let merged = merge(
            &mut table,
            &insert,
            &keys,
            MergeMode::InsertNew,
            Record::default(),
            "d",
        )?;
        assert_eq!(
            merged,
            Merged {
                version: Some(3),
                inserted: 1,
                updated: 0
            }
        );
        let values = crate::values::f64s(&sorted(table.scan()?)?, "ad_revenue")?;
        assert_eq!(
            values,
            [Some(1.0), Some(5.0), Some(7.0), Some(3.0), Some(9.0)]
        );
        Ok(())
    }
}

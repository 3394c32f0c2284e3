//! Reading raw layouts and writing tables.
//!
//! `files` finds a table's raw files (names matched in any case) in file-name order
//! and `daily` a date-partitioned table's files or folders; `delimited`, `ndjson`,
//! `excel` and `raw` read delimited text, newline-delimited JSON, workbooks and
//! Parquet into raw text columns with positions and layout errors (the chunked
//! reader of [`crate::fast::chunked`] splits delimited text for `delimited`);
//! `reading` holds a run's reading options (encoding, date order) and notices, and
//! `dates` decides the day/month order of ambiguous timestamp columns per file; `sink` streams lazy frames to Parquet and
//! writes output tables (Parquet + CSV) atomically with a `_SUCCESS` manifest;
//! `database` loads tables into SQLite or MySQL/MariaDB, `duckdb` builds and
//! queries DuckDB serving files through DuckDB's client, `lake` commits, merges and
//! reads Delta Lake tables; `events` publishes and reads a NATS JetStream stream; `publish` locks a run's
//! folders and switches each one's new version in whole; `export` writes query
//! results as CSV, JSON or Parquet; `paths` names a domain's folders and files. Only
//! this module (with the chunked reader it drives) and the binaries touch the file
//! system; tests use temporary folders, and `progress` reads the process's peak
//! memory from `/proc`.

pub mod daily;
pub mod database;
pub mod dates;
pub mod delimited;
pub mod duckdb;
pub mod events;
pub mod excel;
pub mod export;
pub mod files;
pub mod lake;
pub mod ndjson;
pub mod paths;
pub mod publish;
pub mod raw;
pub mod reading;
pub mod sink;

pub use daily::{daily_entries, DateRange, Day};
pub use database::{load_tables, DatabaseSink};
pub use dates::{check_day_month, day_month_narrowing, resolve_day_month};
pub use delimited::{
    first_lines, header_columns, scan_delimited, scan_one, split_record, TextLayout, UNNAMED,
};
pub use duckdb::{build_database, DuckDb};
pub use excel::{read_all_sheets, read_first_sheet, read_sheets, SheetSelection};
pub use export::{write_result, ResultFormat};
pub use files::{
    check_text_file, clear_folder, create_file, create_folder, files_with_extension, find_files,
    find_table_files, has_files_below, is_file, matching_files, no_file_matching, quoted_input,
    read_text, subfolders, total_bytes, NamePattern,
};
pub use ndjson::{JsonField, NdjsonFile, NdjsonReader};
pub use paths::DomainPaths;
pub use publish::{Publication, RunLock};
pub use raw::{
    first_unreadable_parquet, naming_unreadable_parquet, scan_parquet_as_text, union, CustomReader,
    RawTable, Source,
};
pub use reading::{encoding_for_label, Notices, Reading};
pub use sink::{
    bucket_dir, collect_streaming, count_rows, partitioned_parquet_sink, remove_table, scan_bucket,
    scan_parquet, sink_parquet_all, sink_parquet_and_collect, stable_buckets,
    summarize_quarantines, validate_table, validate_to_parquet, validate_to_parquet_and_aggregate,
    write_bucketed_parquet, write_file_atomically, write_interim_parquet, write_manifest,
    write_partitioned, write_table, write_tables, write_tables_partitioned, written_file,
    ValidAggregate, WrittenFile,
};

//! Reading raw layouts and writing tables.
//!
//! `files` finds a table's raw files in file-name order; `delimited` scans headerless
//! and headed delimited text into raw text columns with positions and layout errors;
//! `sink` streams lazy frames to Parquet and writes output tables (Parquet + CSV)
//! atomically with a `_SUCCESS` manifest. Only this module and the binaries touch the
//! file system.

pub mod delimited;
pub mod files;
pub mod raw;
pub mod sink;

pub use delimited::{scan_delimited, TextLayout};
pub use files::find_table_files;
pub use raw::RawTable;
pub use sink::{
    count_rows, scan_parquet, sink_parquet_all, write_file_atomically, write_manifest, write_table,
    WrittenFile,
};

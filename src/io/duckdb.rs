//! DuckDB database files for BI tools, built and queried through DuckDB's own
//! command-line client (version [`DUCKDB_VERSION`], installed once by
//! `scripts/duckdb`).
//!
//! A serving database holds copies of output tables (loaded from their Parquet files,
//! so the file stands alone when moved) and views over them; Tableau, Power BI,
//! DBeaver or the DuckDB CLI open it directly. The client is a separate process: no
//! DuckDB library is compiled into SmartView (the Rust crate with DuckDB bundled
//! compiles for about 24 minutes here), and a client of the pinned version writes a
//! file that every DuckDB since 1.5 reads. Nothing is downloaded when it runs:
//! extension auto-loading is switched off, and Parquet is built into the client.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use polars::prelude::{DataFrame, ParquetReader, SerReader};

use super::sink::{count_rows, sha256_of, WrittenFile};

/// The DuckDB release serving files are written with (1.5, the current stable line:
/// 2.0.0 fails with an internal error on large scans).
pub const DUCKDB_VERSION: &str = "1.5.6";

/// The environment variable naming a DuckDB client to use instead of the installed one.
pub const DUCKDB_ENV: &str = "SMARTVIEW_DUCKDB";

/// DuckDB's command-line client, found and checked by [`DuckDb::locate`].
#[derive(Clone, Debug)]
pub struct DuckDb {
    client: PathBuf,
}

impl DuckDb {
    /// Finds the client: `$SMARTVIEW_DUCKDB`, else the one `scripts/duckdb` installs
    /// (`$SMARTVIEW_CACHE/tools/duckdb-1.5.6/cli`, the cache defaulting to
    /// `~/.cache/smartview`), else `duckdb` on the `PATH`; then checks that it is
    /// version [`DUCKDB_VERSION`].
    ///
    /// # Errors
    /// When no client is found (the message says how to install one), it does not
    /// run, or it is another version.
    pub fn locate() -> Result<Self> {
        let installed = std::env::var_os("SMARTVIEW_CACHE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/smartview"))
            })
            .map(|cache| cache.join(format!("tools/duckdb-{DUCKDB_VERSION}/cli")));
        let client = if let Some(named) = std::env::var_os(DUCKDB_ENV) {
            PathBuf::from(named)
        } else if let Some(installed) = installed.filter(|path| path.is_file()) {
            installed
        } else if let Some(on_path) = on_path("duckdb") {
            on_path
        } else {
            bail!(
                "the movies serving file needs the DuckDB {DUCKDB_VERSION} command-line client, \
                 and none was found. Consider `scripts/duckdb` (installs it once, from PyPI), or \
                 set {DUCKDB_ENV} to a DuckDB {DUCKDB_VERSION} client"
            );
        };
        Self::checked(client)
    }

    /// The client at `client`, checked to be DuckDB [`DUCKDB_VERSION`].
    ///
    /// # Errors
    /// When it does not run or is another version.
    pub fn checked(client: PathBuf) -> Result<Self> {
        let duckdb = Self { client };
        let version = duckdb.version()?;
        if version != DUCKDB_VERSION {
            bail!(
                "{} is DuckDB {version}, and the serving file is written with DuckDB \
                 {DUCKDB_VERSION}. Consider `scripts/duckdb`, or set {DUCKDB_ENV} to a DuckDB \
                 {DUCKDB_VERSION} client",
                duckdb.client.display()
            );
        }
        Ok(duckdb)
    }

    /// The client's path.
    #[must_use]
    pub fn client(&self) -> &Path {
        &self.client
    }

    /// The client's version (`1.5.6` for `v1.5.6 (Variegata) 069cc9f9b5`).
    ///
    /// # Errors
    /// When the client cannot be started or prints no version.
    pub fn version(&self) -> Result<String> {
        let output = Command::new(&self.client)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot start the DuckDB client {}", self.client.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        match text
            .split_whitespace()
            .next()
            .and_then(|v| v.strip_prefix('v'))
        {
            Some(version) if output.status.success() => Ok(version.to_string()),
            _ => bail!(
                "{} --version printed no DuckDB version: {}",
                self.client.display(),
                text.trim()
            ),
        }
    }

    /// Runs a SQL script against the database file `database` (created when missing;
    /// opened read-only when `read_only`), stopping at the first failing statement.
    /// The user's `~/.duckdbrc` is not read.
    ///
    /// # Errors
    /// When the client cannot be started or a statement fails; the message holds
    /// DuckDB's error and names the database.
    pub fn execute(&self, database: &Path, script: &str, read_only: bool) -> Result<()> {
        let mut command = Command::new(&self.client);
        command.args(["-batch", "-bail", "-init", "/dev/null"]);
        if read_only {
            command.arg("-readonly");
        }
        let mut child = command
            .arg(database)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start the DuckDB client {}", self.client.display()))?;
        let mut stdin = child
            .stdin
            .take()
            .context("the DuckDB client has no input")?;
        let written = stdin
            .write_all(NO_DOWNLOADS.as_bytes())
            .and_then(|()| stdin.write_all(script.as_bytes()));
        drop(stdin);
        let output = child
            .wait_with_output()
            .context("the DuckDB client did not finish")?;
        if !output.status.success() {
            bail!(
                "DuckDB failed on {}: {}",
                database.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        written.with_context(|| format!("cannot send the SQL for {} to DuckDB", database.display()))
    }

    /// Runs one query against `database`, opened read-only, and returns its result.
    /// DuckDB writes the result as Parquet to a temporary file, which Polars reads.
    ///
    /// # Errors
    /// As [`DuckDb::execute`], and when the result cannot be read back.
    pub fn query(&self, database: &Path, sql: &str) -> Result<DataFrame> {
        let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
        let result = scratch.path().join("result.parquet");
        let sql = sql.trim().trim_end_matches(';');
        self.execute(
            database,
            &format!(
                "COPY ({sql}) TO {} (FORMAT parquet);\n",
                string_literal(&result)
            ),
            true,
        )?;
        let file = std::fs::File::open(&result)
            .with_context(|| format!("DuckDB wrote no result to {}", result.display()))?;
        ParquetReader::new(file)
            .finish()
            .with_context(|| format!("cannot read DuckDB's result {}", result.display()))
    }
}

/// Settings sent before every script: no extension is installed or loaded behind
/// the caller's back, so a run never reaches the network.
const NO_DOWNLOADS: &str =
    "SET autoinstall_known_extensions = false;\nSET autoload_known_extensions = false;\n";

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// `text` as a SQL string literal (single quotes, inner quotes doubled).
#[must_use]
pub fn string_literal(text: impl AsRef<Path>) -> String {
    format!("'{}'", text.as_ref().to_string_lossy().replace('\'', "''"))
}

/// `name` as a SQL identifier (double quotes, inner quotes doubled).
#[must_use]
pub fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Builds the DuckDB file `<dir>/<file_name>`: each `(table, parquet file)` is copied
/// in as a table of that name (column names and types as in the file, rows in file
/// order), then `views` (SQL `CREATE VIEW` statements over those tables) runs. The
/// file is built beside its place under its final name (DuckDB names the database
/// after the file) and moved in when complete.
///
/// The same tables and views give the same tables and views, but not the same
/// bytes: DuckDB 1.5.6 leaves the unused tail of some blocks (beside string data)
/// uninitialised, holding whatever its allocator held before, with any thread
/// count and any compression (measured on the movies outputs: a few bytes in the
/// sample's 2 MB file; at 1.2M movies, a changed byte in most blocks). The
/// determinism test compares the files' tables and views instead. Returns the file for the manifest, its rows being the tables' rows.
///
/// # Errors
/// When the client fails on a table or a view (DuckDB's message), or the file cannot
/// be moved into place; the message names the database.
pub fn build_database(
    duckdb: &DuckDb,
    dir: &Path,
    file_name: &str,
    tables: &[(&str, PathBuf)],
    views: &str,
) -> Result<WrittenFile> {
    let scratch = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .tempdir_in(dir)
        .with_context(|| format!("cannot create a temporary folder in {}", dir.display()))?;
    let building = scratch.path().join(file_name);
    let mut script = String::new();
    for (table, parquet) in tables {
        script.push_str(&format!(
            "CREATE TABLE {} AS SELECT * FROM read_parquet({});\n",
            identifier(table),
            string_literal(parquet)
        ));
    }
    script.push_str(views);
    script.push_str("\nCHECKPOINT;\n");
    duckdb.execute(&building, &script, false)?;
    let mut rows = 0;
    for (_, parquet) in tables {
        rows += count_rows(parquet)?;
    }
    let path = dir.join(file_name);
    std::fs::rename(&building, &path).with_context(|| {
        format!(
            "cannot move {} into place as {}",
            building.display(),
            path.display()
        )
    })?;
    Ok(WrittenFile {
        name: file_name.to_string(),
        rows,
        sha256: sha256_of(&path)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{df, ParquetWriter};

    #[test]
    fn literals_and_identifiers_double_their_quotes() {
        assert_eq!(string_literal("/tmp/it's.parquet"), "'/tmp/it''s.parquet'");
        assert_eq!(identifier(r#"a "b""#), r#""a ""b""""#);
    }

    #[test]
    fn a_program_that_is_not_duckdb_is_refused_by_name() {
        let error = DuckDb::checked(PathBuf::from("/bin/true"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("/bin/true --version printed no DuckDB version"),
            "{error}"
        );
        let error = DuckDb::checked(PathBuf::from("/nonexistent/duckdb"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("cannot start the DuckDB client /nonexistent/duckdb"),
            "{error}"
        );
    }

    /// Needs the client (scripts/duckdb); the movies tests need it as well.
    #[test]
    fn a_database_holds_copies_of_its_tables_and_a_failing_view_leaves_no_file() -> Result<()> {
        let duckdb = DuckDb::locate()?;
        let dir = tempfile::tempdir()?;
        let parquet = dir.path().join("it's here.parquet");
        let mut frame = df!("k" => ["a", "b"], "v" => [1i64, 2])?;
        ParquetWriter::new(std::fs::File::create(&parquet)?).finish(&mut frame)?;
        let written = build_database(
            &duckdb,
            dir.path(),
            "t.duckdb",
            &[("odd \"name\"", parquet.clone())],
            "CREATE VIEW total AS SELECT sum(v) AS v FROM \"odd \"\"name\"\"\";",
        )?;
        assert_eq!((written.name.as_str(), written.rows), ("t.duckdb", 2));
        std::fs::remove_file(&parquet)?;
        let total = duckdb.query(&dir.path().join("t.duckdb"), "SELECT * FROM total")?;
        assert_eq!(
            total
                .column("v")?
                .cast(&polars::prelude::DataType::Int64)?
                .i64()?
                .get(0),
            Some(3)
        );

        let error = build_database(
            &duckdb,
            dir.path(),
            "u.duckdb",
            &[],
            "CREATE VIEW x AS SELECT * FROM nowhere;",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("DuckDB failed on") && error.contains("nowhere"),
            "{error}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()?;
        assert_eq!(
            left,
            ["t.duckdb"],
            "no partial file or temporary folder is left"
        );
        Ok(())
    }
}

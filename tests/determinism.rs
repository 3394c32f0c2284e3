//! Output bytes do not depend on thread scheduling (DESIGN.md: "float aggregates give
//! the same bits whatever the thread count"; issue 14, fault 1).
//!
//! For each domain, the `report` binary runs on the committed sample in
//! `data/raw/<domain>` with `POLARS_MAX_THREADS` = 1, 2 and 8, each into its own
//! folders; every output table (Parquet and CSV under the processed folder, and the
//! SQLite file; the tables and views of the DuckDB serving file, whose own bytes
//! DuckDB does not keep stable), every interim table but TV's pair parts (issue 16,
//! fault 8) and
//! every report file must be byte-identical across the three runs. One thread puts every
//! group of a streaming aggregation in one morsel, eight split them into many small
//! ones, so a sum or a division whose bits depend on the morsels shows up here.
//!
//! On a committed sample the report files must also be those committed under
//! `reports/<domain>/`, so that the reports in the repository are what the report
//! command writes from the shipped data (they had gone stale once).
//!
//! The committed samples have too many groups per table for the morsels to differ
//! much; a generated retail set of three months, where each month's group is alone
//! in its morsel with several threads, is what showed issue 14's fault (sales such
//! as 27606.510000000002 with one thread and 27606.51 with two or eight).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Result};
use polars::prelude::{CsvWriter, SerWriter};
use smartview::domains::retail::datagen;
use smartview::io::DuckDb;

/// The thread counts each domain runs with.
const THREADS: [&str; 3] = ["1", "2", "8"];

/// Every file under `root` with the given extensions, by path relative to `root`.
fn files_under(root: &Path, extensions: &[&str]) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                files.insert(
                    path.strip_prefix(root)?.to_path_buf(),
                    std::fs::read(&path)?,
                );
            }
        }
    }
    Ok(files)
}

/// The output tables and the report files of a run, by relative path.
type RunFiles = (BTreeMap<PathBuf, Vec<u8>>, BTreeMap<PathBuf, Vec<u8>>);

/// Runs `report --domain <domain>` on `raw` with `threads` Polars threads, its
/// outputs under `root`.

fn run_report(
    domain: &str,
    raw: &Path,
    threads: &str,
    root: &Path,
    extra: &[&str],
) -> Result<RunFiles> {
    let (processed, reports) = (root.join("processed"), root.join("reports"));
    let output = Command::new(env!("CARGO_BIN_EXE_report"))
        .env("POLARS_MAX_THREADS", threads)
        .args(["--domain", domain, "--quiet"])
        .args(extra)
        .arg("--raw")
        .arg(raw)
        .arg("--out")
        .arg(&processed)
        .arg("--interim")
        .arg(root.join("interim"))
        .arg("--reports")
        .arg(&reports)
        .args(if domain == "stream" {
            vec!["--lake".into(), root.join("lake")]
        } else {
            vec![]
        })
        .output()?;
    ensure!(
        output.status.success(),
        "report --domain {domain} with {threads} threads failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Interim tables too, but for TV's pair parts, whose row order follows the
    // threads (README, "Decisions worth knowing"); the SQLite file of Customer 360,
    // the serving SQL of movies, and the contents of its DuckDB file.
    let mut tables = files_under(&processed, &["parquet", "csv", "sqlite", "sql"])?;
    for path in files_under(&processed, &["duckdb"])?.into_keys() {
        tables.extend(duckdb_contents(&processed.join(path))?);
    }
    for (path, bytes) in files_under(&root.join("interim"), &["parquet"])? {
        if !path.starts_with("viewing_pairs") {
            tables.insert(Path::new("interim").join(path), bytes);
        }
    }
    Ok((tables, files_under(&reports, &["html", "md", "svg"])?))
}

/// Every table and view of a DuckDB file as CSV bytes, under `<file>/<name>.csv`.
/// The file's own bytes vary from build to build where DuckDB leaves them
/// uninitialised (`io::duckdb::build_database`); what it holds must not.
fn duckdb_contents(database: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let duckdb = DuckDb::locate()?;
    let names = duckdb.query(
        database,
        "SELECT table_name FROM information_schema.tables ORDER BY table_name",
    )?;
    let mut contents = BTreeMap::new();
    for name in smartview::values::texts(&names, "table_name", "")? {
        let mut rows = duckdb.query(database, &format!("SELECT * FROM \"{name}\""))?;
        let mut csv = Vec::new();
        CsvWriter::new(&mut csv).finish(&mut rows)?;
        let file = database.file_name().map(PathBuf::from).unwrap_or_default();
        contents.insert(file.join(format!("{name}.csv")), csv);
    }
    ensure!(
        !contents.is_empty(),
        "{} holds no table",
        database.display()
    );
    Ok(contents)
}

/// The files that differ between two runs, with the first differing line of a CSV
/// or Markdown file when there is one.
fn differences(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let mut names: Vec<&PathBuf> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| a.get(*name) != b.get(*name))
        .map(|name| {
            let lines = |files: &BTreeMap<PathBuf, Vec<u8>>| {
                files
                    .get(name)
                    .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                    .unwrap_or_default()
            };
            let (left, right) = (lines(a), lines(b));
            let first = left
                .lines()
                .zip(right.lines())
                .find(|(l, r)| l != r)
                .map(|(l, r)| format!(": `{l}` vs `{r}`"))
                .filter(|_| name.extension().is_some_and(|e| e == "csv" || e == "md"));
            format!("{}{}", name.display(), first.unwrap_or_default())
        })
        .collect()
}

/// The committed sample of `domain`.
fn sample(domain: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/raw")
        .join(domain)
}

/// Runs `domain` on its committed sample with every thread count, asserts identical
/// bytes, and that the report files are the committed ones.
fn assert_sample_outputs_and_committed_reports(domain: &str, extra: &[&str]) -> Result<()> {
    // The run's own index lists this domain only: the domain's folder is compared.
    let reports: BTreeMap<PathBuf, Vec<u8>> =
        assert_same_bytes_for_any_thread_count(domain, &sample(domain), extra)?
            .into_iter()
            .filter(|(path, _)| path.starts_with(domain))
            .collect();
    let committed = files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("reports"),
        &["html", "md", "svg"],
    )?
    .into_iter()
    .filter(|(path, _)| path.starts_with(domain))
    .collect();
    let stale = differences(&committed, &reports);
    assert!(
        stale.is_empty(),
        "reports/{domain} is not what the report command writes from data/raw/{domain}; \
         regenerate it with `scripts/report` and commit it:\n{}",
        stale.join("\n")
    );
    Ok(())
}

/// Runs `domain` on `raw` with every thread count and asserts identical bytes;
/// returns the report files of a run.
fn assert_same_bytes_for_any_thread_count(
    domain: &str,
    raw: &Path,
    extra: &[&str],
) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let dir = tempfile::tempdir()?;
    let mut runs = Vec::new();
    for threads in THREADS {
        let root = dir.path().join(format!("threads-{threads}"));
        runs.push((threads, run_report(domain, raw, threads, &root, extra)?));
    }
    let (_, (tables, reports)) = &runs[0];
    ensure!(!tables.is_empty(), "{domain}: no output table was written");
    ensure!(!reports.is_empty(), "{domain}: no report was written");
    let mut problems = Vec::new();
    for (threads, (other_tables, other_reports)) in &runs[1..] {
        for file in differences(tables, other_tables)
            .into_iter()
            .chain(differences(reports, other_reports))
        {
            problems.push(format!("1 vs {threads} threads: {file}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{domain}: outputs differ with the thread count:\n{}",
        problems.join("\n")
    );
    Ok(runs.swap_remove(0).1 .1)
}

#[test]
fn tv_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("tv", &[])
}

#[test]
fn customer360_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("customer360", &["--sink", "none"])
}

#[test]
fn retail_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("retail", &[])
}

#[test]
fn retail_outputs_of_three_generated_months_are_identical_for_1_2_and_8_threads() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    datagen::generate(
        &raw,
        &datagen::RetailGenConfig {
            lines: 4_000,
            files: 2,
            first_month: chrono::NaiveDate::from_ymd_opt(2011, 1, 1).unwrap_or_default(),
            months: 3,
            customers: None,
            workbook: false,
            seed: 5,
        },
    )?;
    assert_same_bytes_for_any_thread_count("retail", &raw, &[]).map(|_| ())
}

#[test]
fn wdi_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("wdi", &[])
}

#[test]
fn stream_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("stream", &[])
}

#[test]
fn movies_outputs_are_identical_for_1_2_and_8_threads() -> Result<()> {
    assert_sample_outputs_and_committed_reports("movies", &[])
}

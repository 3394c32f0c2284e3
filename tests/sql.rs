//! The SQL catalog and the `sql` command over a data root where the retail and WDI
//! pipelines have run: the same answers in SQL as the rules give, every output
//! format, and errors that name the bad table or column.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use polars::prelude::*;
use smartview::catalog::Catalog;
use smartview::domains::{retail, wdi};
use smartview::io::DomainPaths;
use smartview::progress::Progress;
use smartview::values;

/// A data root with retail and WDI run on generated raw data.
fn data_root(root: &Path) -> Result<(retail::RetailOutputs, wdi::WdiOutputs)> {
    let retail_paths = DomainPaths::under(root, retail::DOMAIN);
    retail::datagen::generate(
        &retail_paths.raw,
        &retail::datagen::RetailGenConfig {
            lines: 5_000,
            files: 1,
            first_month: chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
            months: 12,
            customers: Some(80),
            workbook: false,
            seed: 3,
        },
    )?;
    let wdi_paths = DomainPaths::under(root, wdi::DOMAIN);
    wdi::datagen::generate(
        &wdi_paths.raw,
        &wdi::datagen::WdiGenConfig {
            series: 300,
            first_year: 1990,
            last_year: 2020,
            long: false,
            seed: 3,
        },
    )?;
    let retail = retail::run(&retail_paths, &mut Progress::new("retail", true))?;
    let wdi = wdi::run(
        &wdi_paths,
        &wdi::WdiOptions::default(),
        &mut Progress::new("wdi", true),
    )?;
    Ok((retail, wdi))
}

fn sql_command(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_sql"))
        .arg("--data")
        .arg(root)
        .args(args)
        .output()?)
}

const PEAKS: &str = "SELECT countryName, max(indicatorValue) AS peak FROM wdi \
    WHERE indicatorCode = 'NY.GDP.MKTP.KD.ZG' GROUP BY 1 ORDER BY 1";

#[test]
fn the_catalog_answers_in_sql_what_the_rules_computed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (retail, wdi) = data_root(dir.path())?;
    let mut catalog = Catalog::open(dir.path())?;
    let names = catalog.names();
    for name in [
        "retail_lines",
        "retail_lines_quarantine",
        "retail_invoice_months",
        "rfm",
        "rfm_segments",
        "monthly_sales",
        "retail_quarantine_summary",
        "wdi",
        "wdi_quarantine",
        "peak_year",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(!names.contains(&"tv_viewing"), "TV has not run here");

    // W5: the spec's example; each country's maximum is its W4 peak where positive.
    let peaks = catalog.query(PEAKS)?;
    let by_sql: Vec<(String, Option<f64>)> = values::texts(&peaks, "countryName", "")?
        .into_iter()
        .zip(values::f64s(&peaks, "peak")?)
        .collect();
    let w4_names = values::texts(&wdi.peak_year, "countryName", "")?;
    let w4_values = values::f64s(&wdi.peak_year, "value")?;
    let mut compared = 0;
    for (country, peak) in &by_sql {
        if peak.is_some_and(|p| p > 0.0) {
            let i = w4_names
                .iter()
                .position(|n| n == country)
                .expect("a W4 row");
            assert_eq!(w4_values[i], *peak, "{country}");
            compared += 1;
        }
    }
    assert!(compared > 10, "{compared}");

    // R8 in SQL: segment sizes from the rfm table equal rfm_segments.
    let sizes = catalog.query(
        "SELECT segment, count(*) AS customers FROM rfm \
         GROUP BY segment ORDER BY customers DESC, segment",
    )?;
    assert_eq!(
        values::texts(&sizes, "segment", "")?,
        values::texts(&retail.rfm_segments, "segment", "")?
    );
    assert_eq!(
        values::u64s(&sizes, "customers", 0)?,
        values::u64s(&retail.rfm_segments, "customers", 0)?
    );
    // A join across tables: every rfm customer has lines.
    let joined = catalog.query(
        "SELECT count(DISTINCT r.customer_id) AS n FROM rfm r \
         JOIN retail_invoice_months m ON r.customer_id = m.customer_id",
    )?;
    assert_eq!(values::u64s(&joined, "n", 0)?, [retail.rfm.height() as u64]);
    Ok(())
}

#[test]
fn sql_errors_name_the_bad_table_or_column() -> Result<()> {
    let dir = tempfile::tempdir()?;
    data_root(dir.path())?;
    let mut catalog = Catalog::open(dir.path())?;
    let error = format!("{:#}", catalog.query("SELECT * FROM nosuch").unwrap_err());
    assert!(
        error.contains("unknown table `nosuch`") && error.contains("retail_lines"),
        "{error}"
    );
    let error = format!(
        "{:#}",
        catalog.query("SELECT * FROM tv_viewing").unwrap_err()
    );
    assert!(
        error.contains("`tv_viewing` has no data") && error.contains("--domain tv"),
        "{error}"
    );
    let error = format!(
        "{:#}",
        catalog.query("SELECT no_such_column FROM wdi").unwrap_err()
    );
    assert!(error.contains("no_such_column"), "{error}");
    let error = format!("{:#}", catalog.query("SELEC 1").unwrap_err());
    assert!(error.contains("SQL"), "{error}");
    Ok(())
}

/// A query that Polars 0.55 cannot run panics inside it (its streaming top-k has no
/// 128-bit integers): the catalog answers with an error carrying Polars' message, and
/// the `sql` command exits with 1 and says so, instead of crashing.
#[test]
fn a_query_polars_panics_on_is_an_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    data_root(dir.path())?;
    let query = "SELECT CAST(year AS HUGEINT) AS y FROM wdi ORDER BY y LIMIT 2";
    match Catalog::open(dir.path())?.query(query) {
        // A later Polars that runs it gives the two earliest years.
        Ok(years) => assert_eq!(years.height(), 2),
        Err(error) => {
            let error = format!("{error:#}");
            assert!(error.contains("stopped inside Polars"), "{error}");
        }
    }
    let output = sql_command(dir.path(), &[query])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code() == Some(0)
            || (output.status.code() == Some(1) && stderr.contains("stopped inside Polars")),
        "{:?}: {stderr}",
        output.status
    );
    Ok(())
}

#[test]
fn the_sql_command_prints_and_writes_every_format() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    data_root(root)?;
    let expected = Catalog::open(root)?.query(PEAKS)?;

    let table = sql_command(root, &[PEAKS])?;
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let printed = String::from_utf8(table.stdout)?;
    assert!(
        printed.contains("countryName") && printed.contains("Korea, Rep."),
        "{printed}"
    );

    let csv = sql_command(root, &["--format", "csv", PEAKS])?;
    let text = String::from_utf8(csv.stdout)?;
    assert_eq!(text.lines().next(), Some("countryName,peak"));
    assert_eq!(text.lines().count(), expected.height() + 1);
    assert!(text.contains("\"Korea, Rep.\","), "quoted commas");

    let json = sql_command(root, &["--format", "json", PEAKS])?;
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(rows.as_array().map(Vec::len), Some(expected.height()));
    assert!(rows[0]["countryName"].is_string());

    let file = root.join("peaks.parquet");
    let parquet = sql_command(root, &["--format", "parquet", "--output"])?;
    assert_eq!(parquet.status.code(), Some(2), "--output needs a file");
    let parquet = sql_command(
        root,
        &[
            "--format",
            "parquet",
            "--output",
            file.to_str().unwrap(),
            PEAKS,
        ],
    )?;
    assert!(
        parquet.status.success(),
        "{}",
        String::from_utf8_lossy(&parquet.stderr)
    );
    let back = ParquetReader::new(std::fs::File::open(&file)?).finish()?;
    assert!(back.equals_missing(&expected));
    let no_file = sql_command(root, &["--format", "parquet", PEAKS])?;
    assert_eq!(no_file.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("--output"));

    let listed = sql_command(root, &["--tables"])?;
    let listing = String::from_utf8(listed.stdout)?;
    assert!(listing.contains("retail_lines") && listing.contains("peak_year"));
    // The listing as CSV, like a query's result (--format was ignored before).
    let listed_csv = sql_command(root, &["--tables", "--format", "csv"])?;
    let csv = String::from_utf8(listed_csv.stdout)?;
    let header = csv.lines().next().unwrap_or_default();
    assert!(!header.contains('│') && header.contains(','), "{header}");
    assert!(csv.lines().any(|l| l.starts_with("retail_lines,")), "{csv}");

    let bad = sql_command(root, &["SELECT * FROM retail_linez"])?;
    assert_eq!(bad.status.code(), Some(1));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains("unknown table `retail_linez`"),
        "{message}"
    );
    let bad_format = sql_command(root, &["--format", "xml", PEAKS])?;
    assert_eq!(bad_format.status.code(), Some(2));
    Ok(())
}

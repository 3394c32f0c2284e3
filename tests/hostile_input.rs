//! Issue 16, faults 5 and 7, end to end through the `report` binary: values no real
//! export holds are quarantined instead of summed into wrong numbers; compressed and
//! binary inputs are refused by name with a short, printable message; a table with
//! most of its rows quarantined is a warning, and `--strict` makes it an error that
//! publishes nothing.

use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::Result;
use smartview::values;

const HEADER: &str = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

fn report(raw: &Path, root: &Path, domain: &str, extra: &[&str]) -> Result<Output> {
    Ok(std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", domain, "--raw"])
        .arg(raw)
        .arg("--out")
        .arg(root.join("processed"))
        .arg("--interim")
        .arg(root.join("interim"))
        .arg("--reports")
        .arg(root.join("reports"))
        .args(extra)
        .output()?)
}

fn retail_raw(dir: &Path, lines: &[&str]) -> Result<PathBuf> {
    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw)?;
    let mut text = vec![HEADER.to_string()];
    text.extend(lines.iter().map(|l| l.to_string()));
    std::fs::write(raw.join("online_retail_2010.csv"), text.join("\n") + "\n")?;
    Ok(raw)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fault 5: Price 9e14 × Quantity 1000 on two lines gave monthly sales of
/// −44,674,407,348,862.22; now both lines are `Price|range` and the sales are the
/// other line's.
#[test]
fn amounts_past_any_plausible_range_are_quarantined_not_summed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = retail_raw(
        dir.path(),
        &[
            "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
            "536366,22633,WARMER,1000,2010-12-01 08:28:00,900000000000000,17850.0,United Kingdom",
            "536367,22633,WARMER,1000,2010-12-01 08:29:00,900000000000000,17850.0,United Kingdom",
            "536368,22633,WARMER,1,2010-12-01 08:30:00,inf,17850.0,United Kingdom",
            "536369,22633,WARMER,1,2010-12-01 08:31:00,2.5,9223372036854775808,United Kingdom",
            "536370,22633,WARMER,1,2010-12-01 08:32:00,2.5,1e23,United Kingdom",
        ],
    )?;
    let root = dir.path().join("data");
    let output = report(&raw, &root, "retail", &["--quiet"])?;
    assert!(output.status.success(), "{}", stderr(&output));
    let read = |name: &str| -> Result<polars::prelude::DataFrame> {
        Ok(smartview::io::scan_parquet(&root.join("processed").join(name))?.collect()?)
    };
    let summary = read("quarantine_summary.parquet")?;
    assert_eq!(
        values::texts(&summary, "reason", "")?,
        ["Customer ID|range", "Customer ID|regex", "Price|range"]
    );
    assert_eq!(values::u64s(&summary, "rows", 0)?, [1, 1, 3]);
    let sales = read("monthly_sales.parquet")?;
    assert_eq!(values::f64s(&sales, "sales")?, [Some(15.3)]);
    Ok(())
}

/// Fault 7: a gzip-compressed or binary raw file is named, not read as lines; the
/// message is short and holds no control character.
#[test]
fn compressed_and_binary_inputs_are_refused_by_name() -> Result<()> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/raw/tv");
    for (kind, bytes) in [
        (
            "gzip-compressed",
            b"\x1f\x8b\x08\x00\x1b\x1b\x00\x00junk\n".to_vec(),
        ),
        ("NUL byte", b"P1|title|\x1b[31mred\x00|20151202\n".to_vec()),
    ] {
        let dir = tempfile::tempdir()?;
        let raw = dir.path().join("raw");
        std::fs::create_dir_all(&raw)?;
        for entry in std::fs::read_dir(&sample)? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, raw.join(name))?;
            }
        }
        std::fs::write(raw.join("programs.txt"), &bytes)?;
        let output = report(&raw, &dir.path().join("data"), "tv", &["--quiet"])?;
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{message}");
        assert!(
            message.contains("programs.txt") && message.contains(kind),
            "{message}"
        );
        assert!(message.len() < 1_000, "{message}");
        assert!(
            !message.chars().any(|c| c.is_control() && c != '\n'),
            "{message:?}"
        );
    }
    Ok(())
}

/// A run stopped by a later file still prints what the readers noticed in the files
/// before it: here the first file's bytes that are not UTF-8, then the second file's
/// error. Before, the notice was lost with the run.
#[test]
fn a_failed_run_still_prints_the_earlier_files_notices() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw)?;
    let mut latin1 = format!("{HEADER}\n").into_bytes();
    latin1.extend_from_slice(
        b"536365,85123A,CAF\xc9 MUG,6,2010-12-01 08:26:00,2.55,17850.0,France\n",
    );
    std::fs::write(raw.join("online_retail_2010.csv"), latin1)?;
    std::fs::write(
        raw.join("online_retail_2011.csv"),
        b"\x1f\x8b\x08\x00\x1b\x1b\x00\x00junk\n",
    )?;
    let output = report(&raw, &dir.path().join("data"), "retail", &["--quiet"])?;
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    let notice = message
        .find("[retail] note: online_retail_2010.csv is not UTF-8 (first at line 2)")
        .unwrap_or_else(|| panic!("no notice of the first file: {message}"));
    let error = message
        .find("online_retail_2011.csv")
        .unwrap_or_else(|| panic!("no error naming the second file: {message}"));
    assert!(notice < error, "{message}");
    assert_eq!(message.matches("not UTF-8").count(), 1, "{message}");
    Ok(())
}

/// Fault 7: most rows quarantined is a warning on standard error and in the
/// report; with `--strict` the run fails and publishes nothing.
#[test]
fn a_mostly_quarantined_table_warns_and_strict_publishes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let good = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom";
    let bad = "536366,85123A,HEART,six,2010-12-01 08:26:00,2.55,17850.0,United Kingdom";
    let raw = retail_raw(dir.path(), &[good, bad, bad, bad])?;
    let root = dir.path().join("data");
    let output = report(&raw, &root, "retail", &["--quiet", "--strict"])?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("3 of the 4 rows of `online_retail` are quarantined (75%)"),
        "{}",
        stderr(&output)
    );
    assert!(
        !root.join("processed").exists(),
        "--strict published nothing"
    );
    assert!(!root.join("reports").join("retail").exists());

    let output = report(&raw, &root, "retail", &[])?;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("[retail] warning: 3 of the 4 rows"));
    let html = std::fs::read_to_string(root.join("reports/retail/retail.html"))?;
    assert!(html.contains("Warning: 3 of the 4 rows of `online_retail` are quarantined"));
    Ok(())
}

/// Fault 3: a database that cannot be reached fails the run, and the files of the
/// previous run stay published, whole; nothing of the failed run is left behind.
#[test]
fn a_failed_database_load_publishes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/raw/customer360");
    let root = dir.path().join("data");
    let done = report(&raw, &root, "customer360", &["--quiet"])?;
    assert!(done.status.success(), "{}", stderr(&done));
    let files = |folder: &Path| -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            found.push((path.clone(), std::fs::read(&path)?));
        }
        found.sort();
        Ok(found)
    };
    let before = files(&root.join("processed"))?;
    // Port 9 (discard) on loopback: nothing listens there.
    let sink = "mysql://smartview:secret@127.0.0.1:9/smartview";
    let failed = report(&raw, &root, "customer360", &["--quiet", "--sink", sink])?;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert_eq!(files(&root.join("processed"))?, before);
    for folder in ["processed", "interim", "reports"] {
        let left: Vec<_> = std::fs::read_dir(root.join(folder))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".staging") || name.ends_with(".previous"))
            .collect();
        assert!(left.is_empty(), "{folder}: {left:?}");
    }
    Ok(())
}

/// A trial's findings: `--out` pointing at the raw folder, at a folder holding the
/// user's files, or at the interim folder is refused before anything is written, and
/// nothing of the user's is deleted.
#[test]
fn folders_holding_other_files_are_never_replaced() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let good = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom";
    let raw = retail_raw(dir.path(), &[good])?;
    let run = |out: &Path, interim: &Path| -> Result<Output> {
        Ok(std::process::Command::new(env!("CARGO_BIN_EXE_report"))
            .args(["--domain", "retail", "--quiet", "--raw"])
            .arg(&raw)
            .arg("--out")
            .arg(out)
            .arg("--interim")
            .arg(interim)
            .arg("--reports")
            .arg(dir.path().join("reports"))
            .output()?)
    };
    let interim = dir.path().join("interim");
    let into_raw = run(&raw, &interim)?;
    assert_eq!(into_raw.status.code(), Some(1));
    assert!(
        stderr(&into_raw).contains("the raw files would be deleted"),
        "{}",
        stderr(&into_raw)
    );
    assert!(raw.join("online_retail_2010.csv").exists());

    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine)?;
    std::fs::write(mine.join("notes.docx"), "mine")?;
    let into_mine = run(&mine, &interim)?;
    assert_eq!(into_mine.status.code(), Some(1));
    assert!(
        stderr(&into_mine).contains("holds files SmartView did not write"),
        "{}",
        stderr(&into_mine)
    );
    assert!(mine.join("notes.docx").exists());

    let same = run(&interim, &interim)?;
    assert_eq!(same.status.code(), Some(1));
    assert!(
        stderr(&same).contains("one holds the other"),
        "{}",
        stderr(&same)
    );
    Ok(())
}

//! The stream batch pipeline end to end (issue 18, S1, S2 without the lake, S6):
//! generated raw files keep every row (valid + quarantined = read), each injected
//! fault lands under its reason, each duplicate is counted once, and the report
//! command writes every output table.

use std::process::Command;

use anyhow::Result;
use smartview::domains::stream::{self, datagen};
use smartview::io::{scan_parquet, DomainPaths};
use smartview::progress::Progress;
use smartview::values;

#[test]
fn generated_files_keep_every_row_and_count_each_fault_and_duplicate_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    let injected = datagen::generate(&paths.raw, &datagen::StreamGenConfig::with_sessions(30_000))?;
    let outputs = stream::run(&paths, &mut Progress::new("stream", true))?;

    let counts = &outputs.table_counts;
    let tables = values::texts(counts, "table", "")?;
    let rows_in = values::u64s(counts, "rows_in", 0)?;
    let valid = values::u64s(counts, "rows_valid", 0)?;
    let bad = values::u64s(counts, "rows_quarantined", 0)?;
    assert_eq!(
        tables,
        [
            "channel_metadata",
            "demographics",
            "ad_revenue",
            "viewership_logs"
        ]
    );
    for i in 0..tables.len() {
        assert_eq!(rows_in[i], valid[i] + bad[i], "{}", tables[i]);
        assert_eq!(
            rows_in[i],
            injected.rows[tables[i].as_str()],
            "{} read",
            tables[i]
        );
    }

    // Each quarantined fault under its reason, and nothing else quarantined.
    let summary = outputs.table("quarantine_summary")?;
    let reasons = values::texts(summary, "reason", "")?;
    let rows = values::u64s(summary, "rows", 0)?;
    assert!(!reasons.is_empty());
    for (reason, rows) in reasons.iter().zip(&rows) {
        assert_eq!(
            *rows,
            injected.faults_of("viewership_logs", reason),
            "{reason}"
        );
    }
    let quarantined: u64 = rows.iter().sum();
    assert_eq!(quarantined, bad.iter().sum::<u64>());

    // Each duplicate dropped once, under its reason; the curated tables hold the rest.
    let dedup = outputs.table("dedup_counts")?;
    let dedup_tables = values::texts(dedup, "table", "")?;
    let dedup_reasons = values::texts(dedup, "reason", "")?;
    let dropped = values::u64s(dedup, "rows", 0)?;
    for i in 0..dedup_tables.len() {
        let faults = injected.faults_of(&dedup_tables[i], &dedup_reasons[i]);
        assert!(faults > 0, "{} was injected", dedup_reasons[i]);
        assert_eq!(dropped[i], faults, "{}", dedup_reasons[i]);
    }
    for (curated, raw) in [
        ("channels", 0),
        ("users", 1),
        ("curated_ad_revenue", 2),
        ("viewership", 3),
    ] {
        let kept = scan_parquet(&paths.valid(curated))?.collect()?.height() as u64;
        assert_eq!(kept + dropped[raw], valid[raw], "{curated}");
    }

    // Every session is in channel_minutes once; the 7 days give 50 × 7 revenue rows.
    let sessions: u64 = values::u64s(outputs.table("channel_minutes")?, "sessions", 0)?
        .iter()
        .sum();
    assert_eq!(sessions, valid[3] - dropped[3]);
    assert_eq!(outputs.table("daily_ad_revenue")?.height(), 50 * 7);
    assert_eq!(outputs.table("top_channels_7d")?.height(), 5);
    Ok(())
}

#[test]
fn the_report_command_writes_every_output_table_and_the_report() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    datagen::generate(&raw, &datagen::StreamGenConfig::with_sessions(2_000))?;
    let output = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "stream", "--quiet", "--raw"])
        .arg(&raw)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--interim")
        .arg(dir.path().join("interim"))
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest = std::fs::read_to_string(dir.path().join("out/_SUCCESS"))?;
    for dataset in smartview::domains::Domain::Stream.datasets() {
        if let smartview::catalog::Location::Output(table) = dataset.location {
            assert!(
                manifest.contains(&format!("\n{table}.parquet\t")),
                "{table}"
            );
            assert!(manifest.contains(&format!("\n{table}.csv\t")), "{table}");
        }
    }
    assert!(dir.path().join("reports/stream/stream.html").is_file());
    Ok(())
}

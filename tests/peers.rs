//! The peers benchmark (issue 20, `scripts/peers`) stays honest: at a small size, the
//! TV, retail, Customer 360 and WDI rules written in DuckDB SQL and in Python Polars
//! (`benches/peers/`) give exactly the output tables `report` writes, on generated
//! data with its faults. benches/peers.py stops with the differences otherwise.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};

/// The path a project script prints (it installs its tool when needed).
fn script_output(root: &Path, script: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(root.join(script)).args(args).output()?;
    ensure!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

#[test]
fn the_peers_give_the_output_tables_of_the_report() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = script_output(root, "scripts/peers", &["python"])?;
    let duckdb = script_output(root, "scripts/duckdb", &[])?;
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_report"))
        .parent()
        .context("the report binary has no folder")?;
    assert_eq!(
        Path::new(env!("CARGO_BIN_EXE_datagen")).parent(),
        Some(bin_dir)
    );
    let work = tempfile::tempdir()?;
    let run = Command::new(python)
        .arg(root.join("benches/peers.py"))
        .arg("--bin-dir")
        .arg(bin_dir)
        .args(["--duckdb", &duckdb, "--sizes", "20000", "--rounds", "1"])
        .arg("--work")
        .arg(work.path())
        .output()?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    ensure!(
        run.status.success(),
        "peers: {stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for domain in ["tv", "retail", "customer360", "wdi"] {
        assert!(
            stdout.contains(&format!("| {domain} | 20,000 |")),
            "{domain} missing: {stdout}"
        );
    }
    Ok(())
}

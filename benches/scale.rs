//! Scale benchmark: generates N viewing rows and runs the whole TV report on them.
//!
//! `cargo bench --bench scale -- --rows 5000000` (add `--data DIR` to keep and reuse
//! the generated data). The `report` binary runs as the only child process, so its
//! wall time covers everything an analyst waits for (validation, rules, outputs,
//! report) and its peak resident memory comes from `getrusage(RUSAGE_CHILDREN)`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use smartview::domains::tv::datagen::{generate, TvGenConfig};
use smartview::progress::thousands;

struct Options {
    rows: u64,
    data: Option<PathBuf>,
    files: usize,
}

fn options() -> Result<Options> {
    let mut options = Options {
        rows: 5_000_000,
        data: None,
        files: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => options.rows = args.next().context("--rows takes a number")?.replace('_', "").parse()?,
            "--data" => options.data = Some(args.next().context("--data takes a folder")?.into()),
            "--files" => options.files = args.next().context("--files takes a number")?.parse()?,
            "--bench" => {}, // added by `cargo bench`
            other => bail!("unknown argument `{other}`. Usage: cargo bench --bench scale -- --rows N [--data DIR] [--files N]"),
        }
    }
    Ok(options)
}

fn peak_child_rss_bytes() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if status == 0 {
        usage.ru_maxrss as u64 * 1024
    } else {
        0
    }
}

fn main() -> Result<()> {
    let options = options()?;
    let scratch = tempfile::tempdir()?;
    let data = options
        .data
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    let raw = data.join(format!("raw-{}", options.rows));
    if !raw.join("reference.csv").exists() {
        let started = Instant::now();
        let config = TvGenConfig {
            viewing_rows: options.rows,
            seed: 42,
            viewing_files: options.files,
        };
        generate(&raw, &config)?;
        eprintln!(
            "generated {} viewing rows in {:.1} s (not timed below)",
            thousands(options.rows),
            started.elapsed().as_secs_f64()
        );
    }
    let viewing_bytes: u64 = std::fs::read_dir(&raw)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("viewing"))
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .sum();

    let run = data.join("run");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "tv", "--raw"])
        .arg(&raw)
        .arg("--interim")
        .arg(run.join("interim"))
        .arg("--out")
        .arg(run.join("processed"))
        .arg("--reports")
        .arg(run.join("reports"))
        .stderr(Stdio::inherit())
        .status()
        .context("cannot start the report binary")?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("the report run failed: {status}");
    }
    let peak = peak_child_rss_bytes();
    println!("tv scale benchmark");
    println!("  viewing rows      {:>14}", thousands(options.rows));
    println!(
        "  viewing CSV       {:>11} MB",
        thousands(viewing_bytes / 1_000_000)
    );
    println!("  wall (whole run)  {wall:>14.2} s");
    println!(
        "  throughput        {:>14} rows/s",
        thousands((options.rows as f64 / wall) as u64)
    );
    println!("  peak RSS          {:>11} MB", thousands(peak / 1_000_000));
    Ok(())
}

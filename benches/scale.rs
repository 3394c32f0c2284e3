//! Scale benchmark: generates a domain's fact table at a given size and runs the
//! domain's whole report on it.
//!
//! - TV: `cargo bench --bench scale -- --rows 5000000` (viewing rows);
//! - Customer 360: `cargo bench --bench scale -- --domain customer360 --files 30
//!   --rows 30000000` (content rows over 30 daily files; the database load goes to
//!   the default SQLite file);
//! - retail: `cargo bench --bench scale -- --domain retail --rows 20000000` (invoice
//!   lines, split over `--files` CSV files in time order);
//! - movies: `cargo bench --bench scale -- --domain movies --rows 1200000` (TMDB rows,
//!   the real export's size; the IMDB catalogue and the CPI series come with them,
//!   and the run ends with the DuckDB serving file, so the DuckDB client must be
//!   installed: `scripts/duckdb`).
//!
//! Add `--data DIR` to keep and reuse the generated data. The `report` binary runs as
//! the only child process, so its wall time covers everything an analyst waits for
//! (validation, rules, outputs, database, report), its per-stage times are printed as
//! it goes, and its peak resident memory comes from `getrusage(RUSAGE_CHILDREN)`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use smartview::domains::{customer360, movies, retail, tv};
use smartview::progress::thousands;

struct Options {
    domain: String,
    rows: u64,
    data: Option<PathBuf>,
    files: usize,
}

fn options() -> Result<Options> {
    let mut options = Options {
        domain: "tv".into(),
        rows: 5_000_000,
        data: None,
        files: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--domain" => options.domain = args.next().context("--domain takes tv, customer360, retail or movies")?,
            "--rows" => options.rows = args.next().context("--rows takes a number")?.replace('_', "").parse()?,
            "--data" => options.data = Some(args.next().context("--data takes a folder")?.into()),
            "--files" => options.files = args.next().context("--files takes a number")?.parse()?,
            "--bench" => {}, // added by `cargo bench`
            other => bail!("unknown argument `{other}`. Usage: cargo bench --bench scale -- [--domain tv|customer360|retail|movies] --rows N [--data DIR] [--files N]"),
        }
    }
    Ok(options)
}

/// Bytes of the raw files (or the files in the folder) whose names start with `prefix`.
fn bytes_under(raw: &std::path::Path, prefix: &str) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(raw)? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        if entry.path().is_dir() {
            for file in std::fs::read_dir(entry.path())? {
                total += file?.metadata()?.len();
            }
        } else {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
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
    let raw = data.join(format!(
        "raw-{}-{}-{}",
        options.domain, options.rows, options.files
    ));
    let fact_table = match options.domain.as_str() {
        "tv" => "viewing",
        "customer360" => "content",
        "retail" => "online_retail",
        "movies" => "TMDB",
        other => bail!("unknown domain `{other}`. Consider tv, customer360, retail or movies"),
    };
    if !raw.join("_generated").exists() {
        let started = Instant::now();
        match options.domain.as_str() {
            "tv" => {
                let config = tv::datagen::TvGenConfig {
                    viewing_rows: options.rows,
                    seed: 42,
                    viewing_files: options.files,
                };
                tv::datagen::generate(&raw, &config)?;
            }
            "retail" => {
                let config = retail::datagen::RetailGenConfig {
                    lines: options.rows,
                    files: options.files,
                    first_month: chrono::NaiveDate::from_ymd_opt(2009, 12, 1)
                        .context("a valid date")?,
                    months: 25,
                    customers: None,
                    workbook: false,
                    seed: 42,
                };
                retail::datagen::generate(&raw, &config)?;
            }
            "movies" => {
                let config = movies::datagen::MoviesGenConfig {
                    movies: options.rows,
                    seed: 42,
                };
                movies::datagen::generate(&raw, &config)?;
            }
            _ => {
                let config = customer360::datagen::Customer360GenConfig {
                    content_rows: options.rows,
                    days: options.files as u32,
                    first_day: chrono::NaiveDate::from_ymd_opt(2022, 6, 1)
                        .context("a valid date")?,
                    contracts: None,
                    seed: 42,
                };
                customer360::datagen::generate(&raw, &config)?;
            }
        }
        std::fs::write(raw.join("_generated"), "")?;
        eprintln!(
            "generated {} {fact_table} rows in {:.1} s (not timed below)",
            thousands(options.rows),
            started.elapsed().as_secs_f64()
        );
    }
    let fact_bytes = bytes_under(&raw, fact_table)?;

    let run = data.join("run");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", options.domain.as_str(), "--raw"])
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
    println!("{} scale benchmark", options.domain);
    println!(
        "  {fact_table:<8} rows     {:>14} in {} files",
        thousands(options.rows),
        options.files
    );
    println!(
        "  {fact_table:<8} bytes    {:>11} MB",
        thousands(fact_bytes / 1_000_000)
    );
    println!("  wall (whole run)  {wall:>14.2} s");
    println!(
        "  throughput        {:>14} rows/s",
        thousands((options.rows as f64 / wall) as u64)
    );
    println!("  peak RSS          {:>11} MB", thousands(peak / 1_000_000));
    Ok(())
}

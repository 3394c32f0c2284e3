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
//!   installed: `scripts/duckdb`);
//! - stream: `cargo bench --bench scale -- --domain stream --rows 10000000` (viewing
//!   sessions, with 50 channels, 5,000 users and 7 days), into an empty lake;
//! - stream live ingest: `cargo bench --bench scale -- --domain stream --live 20000
//!   --rows 2000000` publishes that many viewing events at that rate (events a
//!   second) to a NATS JetStream subject (the server scripts/nats starts) while
//!   `stream ingest` appends them to an empty lake; prints the events per second
//!   committed, the batches' lag and commit times, and the peak RSS.
//!
//! Add `--data DIR` to keep and reuse the generated data. The `report` binary runs as
//! the only child process, so its wall time covers everything an analyst waits for
//! (validation, rules, outputs, database, report), its per-stage times are printed as
//! it goes, and its peak resident memory comes from `getrusage(RUSAGE_CHILDREN)`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use smartview::domains::{customer360, movies, retail, stream, tv};
use smartview::progress::thousands;

struct Options {
    domain: String,
    rows: u64,
    data: Option<PathBuf>,
    files: usize,
    /// Live ingest at this many events a second (stream only).
    live: Option<f64>,
    batch_events: u64,
    batch_wait: f64,
}

fn options() -> Result<Options> {
    let mut options = Options {
        domain: "tv".into(),
        rows: 5_000_000,
        data: None,
        files: 1,
        live: None,
        batch_events: 10_000,
        batch_wait: 1.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--domain" => options.domain = args.next().context("--domain takes tv, customer360, retail, movies or stream")?,
            "--rows" => options.rows = args.next().context("--rows takes a number")?.replace('_', "").parse()?,
            "--data" => options.data = Some(args.next().context("--data takes a folder")?.into()),
            "--files" => options.files = args.next().context("--files takes a number")?.parse()?,
            "--live" => options.live = Some(args.next().context("--live takes events per second")?.parse()?),
            "--batch-events" => options.batch_events = args.next().context("--batch-events takes a number")?.parse()?,
            "--batch-wait" => options.batch_wait = args.next().context("--batch-wait takes seconds")?.parse()?,
            "--bench" => {}, // added by `cargo bench`
            other => bail!("unknown argument `{other}`. Usage: cargo bench --bench scale -- [--domain tv|customer360|retail|movies|stream] --rows N [--data DIR] [--files N] [--live EVENTS_PER_S [--batch-events M] [--batch-wait S]]"),
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
    if let Some(rate) = options.live {
        return live_ingest(&options, rate);
    }
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
        "stream" => "viewership_logs",
        other => {
            bail!("unknown domain `{other}`. Consider tv, customer360, retail, movies or stream")
        }
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
            "stream" => {
                let config = stream::datagen::StreamGenConfig::with_sessions(options.rows);
                stream::datagen::generate(&raw, &config)?;
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
    // The stream domain's Delta tables, new for every run (a run on a lake that holds
    // its rows already commits nothing).
    let lake = run.join("lake");
    if lake.exists() {
        std::fs::remove_dir_all(&lake)?;
    }
    let lake_args = match options.domain.as_str() {
        "stream" => vec!["--lake".into(), lake.into_os_string()],
        _ => Vec::new(),
    };
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
        .args(lake_args)
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

/// The `p`-quantile (0–1, nearest rank) of `values`, sorted in place.
fn quantile(values: &mut [i64], p: f64) -> i64 {
    values.sort_unstable();
    let rank = ((values.len() as f64 * p).ceil() as usize).clamp(1, values.len().max(1));
    values.get(rank - 1).copied().unwrap_or(0)
}

/// The live-ingest benchmark (`--live RATE`): publishes `--rows` events at `RATE` a
/// second while `stream ingest` runs, then reads the batches from the table's log.
fn live_ingest(options: &Options, rate: f64) -> Result<()> {
    if options.domain != "stream" {
        bail!("--live is for --domain stream");
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let nats = Command::new(root.join("scripts/nats")).output()?;
    if !nats.status.success() {
        bail!(
            "scripts/nats failed: {}",
            String::from_utf8_lossy(&nats.stderr)
        );
    }
    let url = String::from_utf8(nats.stdout)?.trim().to_string();
    let subject = format!(
        "bench.live.{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let scratch = tempfile::tempdir()?;
    let lake = scratch.path().join("lake");
    let started = Instant::now();
    let mut publisher = Command::new(env!("CARGO_BIN_EXE_datagen"))
        .args(["--domain", "stream", "--rows", &options.rows.to_string()])
        .args([
            "--rate",
            &rate.to_string(),
            "--publish",
            &url,
            "--subject",
            &subject,
        ])
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start datagen --publish")?;
    // The ingester starts once events are there: with --drain it stops when it has
    // read the stream to its end.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let ingest = Command::new(env!("CARGO_BIN_EXE_stream"))
        .arg("--lake")
        .arg(&lake)
        .args(["ingest", "--nats", &url, "--subject", &subject, "--drain"])
        .args(["--max-events", &options.batch_events.to_string()])
        .args(["--max-wait", &options.batch_wait.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start stream ingest")?;
    let wall = started.elapsed().as_secs_f64();
    if !publisher.wait()?.success() || !ingest.status.success() {
        bail!("the publisher or the ingester failed");
    }
    let peak = peak_child_rss_bytes();
    // "… committed in N ms" per batch, from the ingester's lines.
    let mut commit_ms: Vec<i64> = String::from_utf8_lossy(&ingest.stdout)
        .lines()
        .filter_map(|line| {
            line.rsplit("committed in ")
                .next()?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        })
        .collect();
    let batches = stream::ingest::ingest_batches(&lake.join("viewership"))?;
    let events: u64 = smartview::values::u64s(&batches, "events", 0)?.iter().sum();
    let mut lags = smartview::values::i64s(&batches, "lag_ms", 0)?;
    println!("stream live ingest benchmark");
    println!(
        "  events published  {:>14} at {} /s",
        thousands(options.rows),
        thousands(rate as u64)
    );
    println!(
        "  events committed  {:>14} in {} batches (at most {} events, {} s)",
        thousands(events),
        batches.height(),
        options.batch_events,
        options.batch_wait
    );
    println!("  wall              {wall:>14.2} s");
    println!(
        "  throughput        {:>14} events/s",
        thousands((events as f64 / wall) as u64)
    );
    println!("  lag (oldest event of a batch, publication to commit): median {} ms, p95 {} ms, max {} ms",
        quantile(&mut lags, 0.5), quantile(&mut lags, 0.95), quantile(&mut lags, 1.0));
    println!(
        "  batch commit time (arrival to commit): median {} ms, max {} ms",
        quantile(&mut commit_ms, 0.5),
        quantile(&mut commit_ms, 1.0)
    );
    println!("  peak RSS          {:>11} MB", thousands(peak / 1_000_000));
    Ok(())
}

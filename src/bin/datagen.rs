//! `datagen`: writes synthetic raw data for a domain, in the real layouts, or, for
//! the stream domain, publishes viewing sessions as live events (`--publish`).
//!
//! Exit codes: 0 success; 1 the data could not be written; 2 the command line was
//! wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Parser;
use smartview::cli::exit_code;
use smartview::domains::{customer360, movies, retail, stream, tv, wdi, Domain};
use smartview::io::daily::parse_day;
use smartview::progress::thousands;
use smartview::synth::GenSummary;

/// Write deterministic synthetic raw data for a SmartView domain.
///
/// The files have the layouts of the real data sets and carry injected faults at
/// known rates (bad values, malformed lines, clashing and duplicate records), which
/// are listed when the data is written. The same seed and size give the same bytes.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// The domain to generate.
    #[arg(long, value_name = "NAME", value_enum)]
    domain: Domain,

    /// Fact-table rows over all files (tv: viewing rows; customer360: content rows;
    /// retail: invoice lines; wdi: country-indicator series; movies: TMDB rows;
    /// stream: viewing sessions, with 50 channels, 5,000 users and 7 days);
    /// 1 000 to 100 000 000 and more.
    #[arg(long, value_name = "N", default_value_t = 40_000)]
    rows: u64,

    /// Seed of every random draw.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// tv, retail, customer360: number of files the fact table is spread over
    /// (customer360: days, one content file each) [default: 2]. The other domains
    /// write one file per table.
    #[arg(long, value_name = "N")]
    files: Option<usize>,

    /// customer360: contracts [default: one per 25 content rows a day].
    #[arg(long, value_name = "N")]
    contracts: Option<u64>,

    /// customer360: the first content day, YYYYMMDD.
    #[arg(long, value_name = "YYYYMMDD", default_value = "20220601")]
    first_day: String,

    /// retail: customers [default: one per 170 invoice lines].
    #[arg(long, value_name = "N")]
    customers: Option<u64>,

    /// retail: the first month, YYYYMM.
    #[arg(long, value_name = "YYYYMM", default_value = "200912")]
    first_month: String,

    /// retail: calendar months covered.
    #[arg(long, value_name = "N", default_value_t = 25)]
    months: u32,

    /// retail: write one online_retail_II.xlsx workbook (two sheets) instead of CSV.
    #[arg(long)]
    xlsx: bool,

    /// wdi: the first and last year, YYYY-YYYY.
    #[arg(long, value_name = "YYYY-YYYY", default_value = "1960-2020")]
    years: String,

    /// wdi: write the long layout (wdi.csv) instead of the wide download.
    #[arg(long)]
    long: bool,

    /// stream: publish --rows viewing sessions as live events to the NATS server
    /// at URL (nats://127.0.0.1:4222) instead of writing files.
    #[arg(long, value_name = "URL")]
    publish: Option<String>,

    /// stream, with --publish: the subject the events are published on.
    #[arg(long, value_name = "SUBJECT", default_value = "viewership.events")]
    subject: String,

    /// stream, with --publish: events per second (0: as fast as the server takes them).
    #[arg(long, value_name = "R", default_value_t = 1000.0)]
    rate: f64,

    /// stream, with --publish: each event as a CSV line or a JSON object.
    #[arg(long, value_name = "FORMAT", value_enum, default_value = "csv")]
    event_format: stream::datagen::EventFormat,

    /// Output folder [default: data/raw/<domain>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Publishes the stream domain's live events (`--publish`).
fn publish(args: &Args, url: &str) -> Result<GenSummary> {
    if args.domain != Domain::Stream {
        bail!("--publish is for --domain stream (live viewing events)");
    }
    if !args.rate.is_finite() || args.rate < 0.0 {
        bail!(
            "--rate takes events per second, 0 or more; got {}",
            args.rate
        );
    }
    let events = smartview::io::events::EventStream::connect(url, &args.subject)?;
    let started = std::time::Instant::now();
    let mut shown = 0;
    let summary = stream::datagen::publish(
        &events,
        &stream::datagen::StreamGenConfig {
            seed: args.seed,
            ..stream::datagen::StreamGenConfig::with_sessions(args.rows)
        },
        args.rows,
        args.rate,
        args.event_format,
        |sent| {
            let seconds = started.elapsed().as_secs();
            if seconds >= shown + 5 {
                shown = seconds;
                eprintln!("published {} events in {seconds} s", thousands(sent));
            }
        },
    )?;
    eprintln!(
        "published {} events on {} (stream {}) in {:.1} s",
        thousands(args.rows),
        events.subject(),
        events.stream(),
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

fn run(args: &Args) -> Result<()> {
    if let Some(url) = &args.publish {
        let summary = publish(args, url)?;
        eprintln!("injected faults:");
        for (fault, count) in &summary.faults {
            eprintln!("  {fault:<44} {:>10}", thousands(*count));
        }
        return Ok(());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("data/raw").join(args.domain.name()));
    let files = match (args.domain, args.files) {
        (Domain::Tv | Domain::Retail | Domain::Customer360, files) => files.unwrap_or(2),
        (domain, Some(_)) => bail!(
            "--files applies to tv, retail and customer360: {} writes one file per table. \
             Consider leaving --files out",
            domain.name()
        ),
        (_, None) => 1,
    };
    let summary: GenSummary = match args.domain {
        Domain::Tv => tv::datagen::generate(
            &out,
            &tv::datagen::TvGenConfig {
                viewing_rows: args.rows,
                seed: args.seed,
                viewing_files: files,
            },
        )?,
        Domain::Retail => retail::datagen::generate(
            &out,
            &retail::datagen::RetailGenConfig {
                lines: args.rows,
                files,
                first_month: parse_day(&format!("{}01", args.first_month))?,
                months: args.months,
                customers: args.customers,
                workbook: args.xlsx,
                seed: args.seed,
            },
        )?,
        Domain::Wdi => {
            let (first_year, last_year) = parse_years(&args.years)?;
            wdi::datagen::generate(
                &out,
                &wdi::datagen::WdiGenConfig {
                    series: args.rows,
                    first_year,
                    last_year,
                    long: args.long,
                    seed: args.seed,
                },
            )?
        }
        Domain::Movies => movies::datagen::generate(
            &out,
            &movies::datagen::MoviesGenConfig {
                movies: args.rows,
                seed: args.seed,
            },
        )?,
        Domain::Stream => stream::datagen::generate(
            &out,
            &stream::datagen::StreamGenConfig {
                seed: args.seed,
                ..stream::datagen::StreamGenConfig::with_sessions(args.rows)
            },
        )?,
        Domain::Customer360 => customer360::datagen::generate(
            &out,
            &customer360::datagen::Customer360GenConfig {
                content_rows: args.rows,
                days: files as u32,
                first_day: parse_day(&args.first_day)?,
                contracts: args.contracts,
                seed: args.seed,
            },
        )?,
    };
    eprintln!("wrote {}:", out.display());
    for (table, rows) in &summary.rows {
        eprintln!("  {table:<14} {:>14} rows", thousands(*rows));
    }
    eprintln!("injected faults:");
    for (fault, count) in &summary.faults {
        eprintln!("  {fault:<44} {:>10}", thousands(*count));
    }
    Ok(())
}

/// Parses `YYYY-YYYY`.
fn parse_years(text: &str) -> Result<(i32, i32)> {
    let year = |part: &str| -> Result<i32> {
        match part.trim().parse::<i32>() {
            Ok(y) if (1000..=9999).contains(&y) => Ok(y),
            _ => bail!("`{part}` is not a year written YYYY"),
        }
    };
    match text.split_once('-') {
        Some((first, last)) => Ok((year(first)?, year(last)?)),
        None => bail!("--years takes YYYY-YYYY, for example 1960-2020; got `{text}`"),
    }
}

fn main() -> ExitCode {
    smartview::exec::limit_malloc_arenas();
    smartview::cli::exit_quietly_on_broken_pipe();
    let args = Args::parse();
    exit_code(run(&args))
}

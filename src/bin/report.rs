//! `report`: runs the domain pipelines on the raw data and regenerates the reports.
//!
//! Exit codes: 0 success; 1 a run failed (the message names the file, table or rule);
//! 2 the command line was wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Parser;
use smartview::cli::exit_code;
use smartview::domains::{self, tv};
use smartview::progress::{peak_rss_bytes, thousands, Progress};
use smartview::report::write_index;

/// Regenerate SmartView's output tables and reports from the raw data.
///
/// Each domain reads its raw files, validates them (bad rows are quarantined with a
/// reason), writes its output tables as Parquet + CSV with a _SUCCESS manifest, and
/// writes an HTML and a Markdown report. Progress goes to standard error.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Run only this domain (one of: tv). Default: every domain.
    #[arg(long, value_name = "NAME")]
    domain: Option<String>,

    /// The domain's raw input folder [default: data/raw/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    raw: Option<PathBuf>,

    /// Where the domain's output tables go [default: data/processed/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    out: Option<PathBuf>,

    /// Where validated interim tables go [default: data/interim/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    interim: Option<PathBuf>,

    /// Where the HTML and Markdown reports go.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,

    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn run(args: &Args) -> Result<()> {
    let selected: Vec<&str> = match &args.domain {
        Some(name) if domains::ALL.contains(&name.as_str()) => vec![name.as_str()],
        Some(name) => bail!(
            "unknown domain `{name}`. Consider one of: {}",
            domains::ALL.join(", ")
        ),
        None => domains::ALL.to_vec(),
    };
    for domain in selected {
        let mut progress = Progress::new(domain, args.quiet);
        let defaults = tv::TvPaths::under(&PathBuf::from("data"));
        let paths = tv::TvPaths {
            raw: args.raw.clone().unwrap_or(defaults.raw),
            interim: args.interim.clone().unwrap_or(defaults.interim),
            processed: args.out.clone().unwrap_or(defaults.processed),
        };
        let outputs = tv::run(&paths, &mut progress)?;
        tv::report::build(&outputs)?.write(&args.reports, domain)?;
        progress.done("write report", None);
        if !args.quiet {
            let peak = peak_rss_bytes()
                .map(|b| format!(", peak memory {} MB", thousands(b / 1_000_000)))
                .unwrap_or_default();
            eprintln!(
                "[{domain}] done in {:.2} s{peak}: tables in {}, report in {}",
                progress.elapsed().as_secs_f64(),
                paths.processed.display(),
                args.reports.join(format!("{domain}.html")).display()
            );
        }
    }
    write_index(&args.reports)
}

fn main() -> ExitCode {
    // Read local files in prefetched chunks rather than memory-mapping them whole:
    // mapped pages count as resident memory, which would then grow with the input.
    // Set before any Polars call (the configuration is read once); a value the user
    // set wins.
    if std::env::var_os("POLARS_FORCE_ASYNC").is_none() {
        std::env::set_var("POLARS_FORCE_ASYNC", "1");
    }
    let args = Args::parse();
    exit_code(run(&args))
}

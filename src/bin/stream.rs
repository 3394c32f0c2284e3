//! `stream`: the stream domain's Delta Lake tables from the command line:
//! `stream merge FILE…` merges raw files into their tables, one commit per file, a
//! file merged before skipped, and `stream watch INBOX` merges every file that lands
//! (S3); `stream ingest --nats URL` appends live viewing events from a NATS
//! JetStream subject to `viewership` in micro-batches, exactly once through restarts
//! (S4); `stream history TABLE` lists every version of a table with its operation,
//! files and rows (S5).
//!
//! Exit codes: 0 success; 1 the table cannot be read (the message names it); 2 the
//! command line was wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use smartview::cli::exit_code;
use smartview::domains::stream::ingest::{ingest, IngestOptions};
use smartview::domains::stream::merge::{merge_file, watch_once, FileMerge, Landed};
use smartview::io::events::EventStream;
use smartview::io::lake::LakeTable;

/// The stream domain's Delta Lake tables (channels, users, ad_revenue, viewership).
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// The lake folder holding the tables.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "data/lake/stream",
        global = true
    )]
    lake: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Merge raw files into their Delta tables (by name: ad_revenue*.csv into
    /// ad_revenue, viewership_logs*.csv into viewership, …), in the order given, one
    /// commit per file; a file merged before (same name and SHA-256) is skipped.
    Merge {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Merge every file that lands in INBOX, moving it to INBOX/done once committed,
    /// or to INBOX/failed with the reason in <name>.error; polls until stopped.
    Watch {
        inbox: PathBuf,
        /// Seconds between two looks at the inbox.
        #[arg(long, default_value_t = 2.0)]
        interval: f64,
        /// Merge what is there now and stop.
        #[arg(long)]
        once: bool,
    },
    /// Append live viewing events (CSV lines or JSON objects) from a NATS JetStream
    /// subject to the viewership table, one commit per batch holding its rows and
    /// the stream position; a restart resumes after the last commit. Runs until
    /// stopped (or, with --drain, until the stream is read to its end).
    Ingest {
        /// The NATS server, such as nats://127.0.0.1:4222.
        #[arg(long, value_name = "URL")]
        nats: String,
        /// The subject the events are published on (its stream is created when missing).
        #[arg(long, value_name = "SUBJECT", default_value = "viewership.events")]
        subject: String,
        /// The most events in one batch.
        #[arg(long, value_name = "M", default_value_t = 10_000)]
        max_events: usize,
        /// Seconds a batch waits for events before it is committed (at most 3600).
        #[arg(
            long,
            value_name = "N",
            default_value_t = 2.0,
            allow_negative_numbers = true
        )]
        max_wait: f64,
        /// Stop once every event the stream holds is committed.
        #[arg(long)]
        drain: bool,
    },
    /// Every version of TABLE, oldest first: when, the operation, its files and rows.
    History {
        /// channels, users, ad_revenue or viewership.
        table: String,
    },
}

/// One file's merge in a line: the table, the new version or why there is none, and
/// where its quarantined rows went.
fn describe(merged: &FileMerge, lake: &std::path::Path) -> String {
    match merged {
        FileMerge::Skipped { table, version } => {
            format!("already merged into {table} (now at version {version}); skipped")
        }
        FileMerge::Merged {
            table,
            merged,
            valid,
            quarantined,
        } => {
            let outcome = match merged.version {
                Some(version) => format!(
                    "{table} version {version}: {} inserted, {} updated",
                    merged.inserted, merged.updated
                ),
                None => format!("{table} nothing new, no version written"),
            };
            let kept = if *quarantined > 0 {
                format!(
                    "; the quarantined rows are in {}",
                    lake.join("_quarantine").join(table).display()
                )
            } else {
                String::new()
            };
            format!("{valid} valid rows, {quarantined} quarantined; {outcome}{kept}")
        }
    }
}

fn run(args: &Args) -> Result<()> {
    match &args.command {
        Command::Merge { files } => {
            for file in files {
                let merged = merge_file(&args.lake, file)?;
                println!("{}: {}", file.display(), describe(&merged, &args.lake));
            }
        }
        Command::Watch {
            inbox,
            interval,
            once,
        } => loop {
            let mut refused = 0;
            for (name, landed) in watch_once(inbox, &args.lake)? {
                match landed {
                    Landed::Done(merged) => {
                        println!("{name}: {}; moved to done/", describe(&merged, &args.lake))
                    }
                    Landed::Failed(reason) => {
                        refused += 1;
                        println!("{name}: refused, moved to failed/: {reason}");
                    }
                }
            }
            if *once {
                if refused > 0 {
                    anyhow::bail!(
                        "{refused} file(s) refused; their reasons are in {}",
                        inbox.join("failed").display()
                    );
                }
                break;
            }
            std::thread::sleep(std::time::Duration::from_secs_f64(interval.max(0.1)));
        },
        Command::Ingest {
            nats,
            subject,
            max_events,
            max_wait,
            drain,
        } => {
            if *max_events == 0 {
                anyhow::bail!("--max-events must be 1 or more");
            }
            if !(max_wait.is_finite() && *max_wait > 0.0 && *max_wait <= 3600.0) {
                anyhow::bail!("--max-wait takes seconds, above 0 and at most 3600; got {max_wait}");
            }
            smartview::domains::stream::merge::check_lake(&args.lake)?;
            let events = EventStream::connect(nats, subject)?;
            let options = IngestOptions {
                max_events: *max_events,
                max_wait: std::time::Duration::from_secs_f64(*max_wait),
                drain: *drain,
            };
            eprintln!(
                "ingesting {} (stream {}) into {}",
                events.subject(),
                events.stream(),
                args.lake.join("viewership").display()
            );
            ingest(&args.lake, &events, &options, |batch| {
                println!(
                    "viewership version {}: events {}..={} ({}): {} inserted, {} duplicates, \
                     {} quarantined; lag {} ms, committed in {} ms",
                    batch.version,
                    batch.first_sequence,
                    batch.last_sequence,
                    batch.events,
                    batch.inserted,
                    batch.duplicates,
                    batch.quarantined,
                    batch.lag_ms,
                    batch.commit_ms
                );
            })?;
        }
        Command::History { table } => {
            let mut lake = LakeTable::open(&args.lake.join(table))?;
            let history = lake.history()?;
            println!("{history}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    smartview::exec::limit_malloc_arenas();
    smartview::cli::exit_quietly_on_broken_pipe();
    // `history` shows every version, and text in full.
    for (variable, value) in [("POLARS_FMT_MAX_ROWS", "-1"), ("POLARS_FMT_STR_LEN", "60")] {
        if std::env::var_os(variable).is_none() {
            std::env::set_var(variable, value);
        }
    }
    let args = Args::parse();
    exit_code(run(&args))
}

//! `stream`: the stream domain's Delta Lake tables from the command line. So far
//! `stream history TABLE`: every version of a curated table with its operation, files
//! and rows.
//!
//! Exit codes: 0 success; 1 the table cannot be read (the message names it); 2 the
//! command line was wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use smartview::cli::exit_code;
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
    /// Every version of TABLE, oldest first: when, the operation, its files and rows.
    History {
        /// channels, users, ad_revenue or viewership.
        table: String,
    },
}

fn run(args: &Args) -> Result<()> {
    match &args.command {
        Command::History { table } => {
            let mut lake = LakeTable::open(&args.lake.join(table))?;
            let history = lake.history()?;
            println!("{history}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    smartview::cli::exit_quietly_on_broken_pipe();
    let args = Args::parse();
    exit_code(run(&args))
}

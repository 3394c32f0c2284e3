//! `sql`: runs a SQL query over the catalog of every domain's tables and prints the
//! result as a table, or writes it as CSV, JSON or Parquet.
//!
//! Exit codes: 0 success; 1 the query failed (the message names the unknown table or
//! column); 2 the command line was wrong.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use smartview::catalog::Catalog;
use smartview::cli::exit_code;
use smartview::io::{write_result, ResultFormat};

/// Query SmartView's tables with SQL.
///
/// Every domain's validated tables (tv_viewing, retail_lines, wdi, …) and output
/// tables (rfm, monthly_sales, peak_year, …) are registered under stable names once
/// `report` has written them. For example:
///
///   sql "SELECT countryName, max(indicatorValue) FROM wdi
///        WHERE indicatorCode = 'NY.GDP.MKTP.KD.ZG' GROUP BY 1"
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// The query (Polars SQL: SELECT, JOIN, GROUP BY, window functions, …).
    #[arg(value_name = "QUERY", required_unless_present = "tables")]
    query: Option<String>,

    /// List the tables of the catalog (name, domain, columns, …) and exit; with
    /// --format, written like a query's result.
    #[arg(long)]
    tables: bool,

    /// Write the result as csv, json or parquet instead of printing a table.
    #[arg(long, value_name = "FORMAT")]
    format: Option<ResultFormat>,

    /// Where the result goes [default: standard output; parquet needs a file].
    #[arg(long, short, value_name = "FILE", requires = "format")]
    output: Option<PathBuf>,

    /// The data root holding interim/ and processed/.
    #[arg(long, value_name = "DIR", default_value = "data")]
    data: PathBuf,

    /// Rows printed as a table (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_rows: usize,

    /// Time travel: read the Delta table TABLE as of its version N (for example
    /// `--as-of ad_revenue=1`; `stream history TABLE` lists the versions); repeat for
    /// several tables. The others are read at their latest version.
    #[arg(long = "as-of", value_name = "TABLE=N")]
    versions: Vec<String>,
}

fn run(args: &Args) -> Result<()> {
    let mut catalog = Catalog::open(&args.data)?;
    let mut pinned_tables: Vec<&str> = Vec::new();
    for pinned in &args.versions {
        let Some((table, version)) = pinned
            .split_once('=')
            .and_then(|(t, v)| Some((t, v.trim().parse::<i64>().ok()?)))
        else {
            bail!("--as-of takes TABLE=N, such as ad_revenue=1; got `{pinned}`");
        };
        if pinned_tables.contains(&table) {
            bail!("--as-of names the table `{table}` twice; give it one version");
        }
        pinned_tables.push(table);
        catalog.at_version(table, version)?;
    }
    // The table list is a result like a query's: printed whole, or written as --format says.
    let (mut result, max_rows) = if args.tables {
        (catalog.tables()?, usize::MAX)
    } else {
        let query = args.query.as_deref().unwrap_or_default();
        (catalog.query(query)?, args.max_rows)
    };
    match (args.format, &args.output) {
        (None, _) => print_table(&result, max_rows),
        (Some(ResultFormat::Parquet), None) => bail!(
            "--format parquet writes a binary file: add --output FILE (for example result.parquet)"
        ),
        (Some(format), Some(path)) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write_result(&mut result, format, &mut out)?;
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} rows to {}", result.height(), path.display());
        }
        (Some(format), None) => {
            let mut out = std::io::stdout().lock();
            write_result(&mut result, format, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Prints `df` with Polars' table layout, at most `max_rows` rows.
fn print_table(df: &polars::prelude::DataFrame, max_rows: usize) {
    let shown = df.height().min(max_rows);
    println!("{}", df.head(Some(shown)));
    if shown < df.height() {
        println!(
            "… {} more rows (--max-rows to show them)",
            df.height() - shown
        );
    }
}

fn main() -> ExitCode {
    smartview::exec::limit_malloc_arenas();
    smartview::cli::exit_quietly_on_broken_pipe();
    // Show every row and column handed to the printer, and text in full.
    for (variable, value) in [
        ("POLARS_FMT_MAX_ROWS", "-1"),
        ("POLARS_FMT_MAX_COLS", "-1"),
        ("POLARS_FMT_STR_LEN", "60"),
    ] {
        if std::env::var_os(variable).is_none() {
            std::env::set_var(variable, value);
        }
    }
    let args = Args::parse();
    exit_code(run(&args))
}

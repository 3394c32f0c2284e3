//! `report`: runs the domain pipelines on the raw data and regenerates the reports.
//!
//! Exit codes: 0 success; 1 a run failed (the message names the file, table or rule);
//! 2 the command line was wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use polars::prelude::DataFrame;
use smartview::cli::exit_code;
use smartview::domains::{customer360, movies, retail, stream, tv, wdi, Domain};
use smartview::io::{DatabaseSink, DateRange, DomainPaths, Publication, Reading};
use smartview::progress::{peak_rss_bytes, thousands, Progress};
use smartview::remote::ValidateOn;
use smartview::report::write_index;
use smartview::schema::{quarantine_warnings, DateOrder};

/// Regenerate SmartView's output tables and reports from the raw data.
///
/// Each domain reads its raw files, validates them (bad rows are quarantined with a
/// reason), writes its output tables as Parquet + CSV with a _SUCCESS manifest, and
/// writes an HTML and a Markdown report. A domain's output, interim and report
/// folders are published together when all of it has succeeded: readers see the
/// previous complete version until then, and a failed run publishes nothing.
/// Progress goes to standard error.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Run only this domain. Default: every domain.
    #[arg(long, value_name = "NAME", value_enum)]
    domain: Option<Domain>,

    /// The domain's raw input folder [default: data/raw/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    raw: Option<PathBuf>,

    /// Where the domain's output tables go [default: data/processed/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    out: Option<PathBuf>,

    /// Where validated interim tables go [default: data/interim/<domain>].
    #[arg(long, value_name = "DIR", requires = "domain")]
    interim: Option<PathBuf>,

    /// With --domain stream: the Delta Lake folder its curated tables live in, kept
    /// across runs with their history [default: data/lake/stream].
    #[arg(long, value_name = "DIR", requires = "domain")]
    lake: Option<PathBuf>,

    /// Where the reports go: `<DIR>/<domain>/` per domain, and `<DIR>/index.html`.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,

    /// When another run is writing the same folders, wait for it instead of stopping.
    #[arg(long)]
    wait: bool,

    /// Fail (and publish nothing) when a raw table has more than half of its rows
    /// quarantined, instead of warning.
    #[arg(long)]
    strict: bool,

    /// With --domain customer360: first content day to read, YYYYMMDD [default: the first file].
    #[arg(long, value_name = "YYYYMMDD", requires = "to")]
    from: Option<String>,

    /// With --domain customer360: last content day to read, YYYYMMDD [default: the last file].
    #[arg(long, value_name = "YYYYMMDD", requires = "from")]
    to: Option<String>,

    /// With --domain customer360: the two months the search trend compares, as YYYYMM,YYYYMM
    /// [default: the last two months with search logs].
    #[arg(long, value_name = "M1,M2")]
    months: Option<String>,

    /// With --domain customer360: where the customer_360, profile and trend tables are loaded:
    /// sqlite:PATH, mysql://user:password@host:port/database, or none
    /// [default: sqlite:<out>/customer360.sqlite].
    #[arg(long, value_name = "SINK")]
    sink: Option<String>,

    /// With --domain wdi: the country of the series, by name or code [default: Canada].
    #[arg(long, value_name = "COUNTRY")]
    country: Option<String>,

    /// With --domain wdi: the indicator, by code or name [default: NY.GDP.MKTP.KD.ZG, GDP growth].
    #[arg(long, value_name = "INDICATOR")]
    indicator: Option<String>,

    /// With --domain movies: the month whose dollars revenue and budget are turned
    /// into, YYYY-MM [default: the last month with a CPI value].
    #[arg(long, value_name = "YYYY-MM")]
    base_month: Option<String>,

    /// The encoding of the raw text files, as a WHATWG label: latin1 (=
    /// windows-1252), iso-8859-15, windows-1250, shift_jis, gbk, … [default: utf-8;
    /// a file that is not UTF-8 is then named in a notice]
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,

    /// The order of day and month in dates such as 05/12/2010 (retail
    /// InvoiceDate): dmy (UK) or mdy (US) [default: decided per file from the
    /// values that only one order can read; the spec's order where none does]
    #[arg(long, value_name = "ORDER", value_parser = ["dmy", "mdy"])]
    date_order: Option<String>,

    /// Print no progress; notes, warnings and errors still go to standard error.
    #[arg(long, short)]
    quiet: bool,

    /// Where the rules run: local (Polars on this machine) or spark (a Spark Connect
    /// server given by --remote: Spark 4, Databricks, Sail). With spark, the raw files
    /// are validated into --interim where --validate-on says (on the server for TV and
    /// retail, here for the others), which the server must see at the same path; the
    /// rules run there; the output tables come back and are written here. Every domain
    /// but stream. Needs a build with the `spark` feature.
    #[arg(
        long,
        value_enum,
        default_value = "local",
        requires_if("spark", "remote")
    )]
    engine: Engine,

    /// With --engine spark: the server, sc://HOST:PORT, with Spark Connect's
    /// parameters after `/;` (token=…, use_ssl=true, x-databricks-cluster-id=…).
    #[arg(long, value_name = "URL")]
    remote: Option<String>,

    /// With --engine spark: the longest a query may run on the server, in seconds,
    /// before the run stops with an error (settings and tables get 60 s, or this when
    /// shorter).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    engine_timeout: u64,

    /// With --engine spark: where the raw files are validated. engine: the server
    /// reads --raw with its own text reader and writes the validated tables and the
    /// quarantine to --interim (the default for TV and retail's CSV files; --raw and
    /// --interim must be seen by both at the same paths). here: this machine's reader
    /// validates into --interim (the only choice for the other domains so far).
    #[arg(long, value_enum, value_name = "WHERE")]
    validate_on: Option<ValidateOn>,
}

/// Where the rules run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Engine {
    Local,
    Spark,
}

impl Args {
    /// The flags that belong to one domain, each with that domain, when given.
    fn domain_flags(&self) -> Vec<(&'static str, Domain)> {
        let given = [
            ("--from", self.from.is_some(), Domain::Customer360),
            ("--to", self.to.is_some(), Domain::Customer360),
            ("--months", self.months.is_some(), Domain::Customer360),
            ("--sink", self.sink.is_some(), Domain::Customer360),
            ("--country", self.country.is_some(), Domain::Wdi),
            ("--indicator", self.indicator.is_some(), Domain::Wdi),
            ("--base-month", self.base_month.is_some(), Domain::Movies),
            ("--lake", self.lake.is_some(), Domain::Stream),
        ];
        given
            .into_iter()
            .filter(|(_, present, _)| *present)
            .map(|(flag, _, domain)| (flag, domain))
            .collect()
    }

    /// A command-line error (exit code 2) when `--remote` comes without `--engine
    /// spark`, or `--engine spark` without a domain it runs.
    fn check_engine(&self) -> Result<(), clap::Error> {
        let error = |message: String| Args::command().error(ErrorKind::ArgumentConflict, message);
        if self.remote.is_some() && self.engine != Engine::Spark {
            return Err(error(
                "--remote names a Spark server: add --engine spark".into(),
            ));
        }
        if let Some(url) = &self.remote {
            if let Err(why) = smartview::remote::check_url(url) {
                return Err(Args::command().error(
                    ErrorKind::InvalidValue,
                    format!(
                        "--remote {}: {why}",
                        smartview::io::publish::without_credentials(url)
                    ),
                ));
            }
        }
        if self.validate_on.is_some() && self.engine != Engine::Spark {
            return Err(error(
                "--validate-on says where a remote run validates: add --engine spark".into(),
            ));
        }
        if self.validate_on == Some(ValidateOn::Engine)
            && !matches!(self.domain, Some(Domain::Tv | Domain::Retail))
        {
            return Err(error(
                "--validate-on engine validates the TV and retail raw files so far: use \
                 --validate-on here for this domain"
                    .into(),
            ));
        }
        if self.engine == Engine::Spark
            && !matches!(
                self.domain,
                Some(
                    Domain::Tv
                        | Domain::Customer360
                        | Domain::Retail
                        | Domain::Wdi
                        | Domain::Movies
                )
            )
        {
            return Err(error(
                "--engine spark runs every domain but stream so far (its S6 questions \
                 translate and are checked against Sail in the tests; its remote run, over \
                 the Delta tables, is not wired yet)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// A command-line error (exit code 2) when a domain's flag comes without
    /// `--domain` naming that domain, instead of being silently ignored.
    fn check_domain_flags(&self) -> Result<(), clap::Error> {
        for (flag, owner) in self.domain_flags() {
            if self.domain != Some(owner) {
                let given = match self.domain {
                    Some(domain) => format!("--domain {}", domain.name()),
                    None => "every domain".to_string(),
                };
                return Err(Args::command().error(
                    ErrorKind::ArgumentConflict,
                    format!(
                        "{flag} belongs to the {} domain, but the run is for {given}. \
                         Consider --domain {} {flag} …",
                        owner.name(),
                        owner.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn run(args: &Args) -> Result<()> {
    let selected = match args.domain {
        Some(domain) => vec![domain],
        None => Domain::ALL.to_vec(),
    };
    for domain in selected {
        let mut progress = Progress::new(domain.name(), args.quiet);
        let published = domain_paths(args, domain.name())?;
        let report_dir = args.reports.join(domain.name());
        let folders = [
            published.processed.as_path(),
            published.interim.as_path(),
            report_dir.as_path(),
        ];
        check_raw_apart(&published.raw, &folders)?;
        let publication = Publication::begin(&folders, args.wait)?;
        let paths = DomainPaths {
            processed: publication.staging(0).to_path_buf(),
            interim: publication.staging(1).to_path_buf(),
            ..published.clone()
        };
        let report = publication.staging(2);
        let ran = match domain {
            Domain::Tv => run_tv(args, &paths, report, &mut progress),
            Domain::Customer360 => run_customer360(args, &paths, report, &mut progress),
            Domain::Retail => run_retail(args, &paths, report, &mut progress),
            Domain::Wdi => run_wdi(args, &paths, report, &mut progress),
            Domain::Movies => run_movies(args, &paths, report, &mut progress),
            Domain::Stream => run_stream(&paths, report, &mut progress),
        };
        // A run that fails still says what its readers noticed (a file that is not
        // UTF-8 before the one that stopped it): each domain prints its notices last,
        // so they are printed here only when it did not get there.
        let table_counts =
            ran.inspect_err(|_| print_notices(domain.name(), &paths.reading.notices.all()))?;
        let warnings = quarantine_warnings(&table_counts)?;
        if args.strict && !warnings.is_empty() {
            bail!(
                "{} (--strict: nothing of the {} run is published)",
                warnings.join("; "),
                domain.name()
            );
        }
        for warning in &warnings {
            eprintln!("[{}] warning: {warning}", domain.name());
        }
        publication.commit()?;
        write_index(&args.reports)?;
        progress.done("publish", None);
        if !args.quiet {
            let peak = peak_rss_bytes()
                .map(|b| format!(", peak memory {} MB", thousands(b / 1_000_000)))
                .unwrap_or_default();
            eprintln!(
                "[{}] done in {:.2} s{peak}: tables in {}, report in {}",
                domain.name(),
                progress.elapsed().as_secs_f64(),
                published.processed.display(),
                report_dir.join(format!("{}.html", domain.name())).display()
            );
        }
    }
    Ok(())
}

/// The value of `$body`, run with `$engine` bound to the Spark Connect server of
/// `--remote` (connected first, a stage of `$progress`); in a build without the
/// `spark` feature, an error saying how to build one. `$output` is the type of the
/// `Ok` value.
macro_rules! on_spark {
    ($args:expr, $progress:expr, $output:ty, |$engine:ident| $body:expr) => {{
        #[cfg(feature = "spark")]
        let result: Result<$output> = connect($args, $progress).and_then(|$engine| $body);
        #[cfg(not(feature = "spark"))]
        let result: Result<$output> = Err(anyhow::anyhow!(NO_SPARK_CLIENT));
        result?
    }};
}

fn run_tv(
    args: &Args,
    paths: &DomainPaths,
    report: &Path,
    progress: &mut Progress,
) -> Result<DataFrame> {
    let outputs = match args.engine {
        Engine::Local => tv::run(paths, progress)?,
        Engine::Spark => on_spark!(args, progress, tv::TvOutputs, |engine| {
            let validate_on = args.validate_on.unwrap_or(ValidateOn::Engine);
            tv::pipeline::run_on(paths, &engine, validate_on, progress)
        }),
    };
    tv::report::build(&outputs)?.write(report, tv::DOMAIN)?;
    progress.done("write report", None);
    print_notices(tv::DOMAIN, &paths.reading.notices.all());
    Ok(outputs.table_counts)
}

/// The Spark Connect server of `--remote`.
#[cfg(feature = "spark")]
fn connect(args: &Args, progress: &mut Progress) -> Result<smartview::remote::engine::SparkEngine> {
    let url = args.remote.as_deref().unwrap_or_default();
    let timeout = std::time::Duration::from_secs(args.engine_timeout);
    let engine = smartview::remote::engine::SparkEngine::connect(url, timeout)?;
    progress.done(&format!("connect to Spark {}", engine.version()?), None);
    Ok(engine)
}

/// Why `--engine spark` stops in a build without the `spark` feature.
#[cfg(not(feature = "spark"))]
const NO_SPARK_CLIENT: &str = "this build has no Spark Connect client: build it with `cargo \
     build --release --features spark` (protoc needed: scripts/protoc installs it)";

fn run_customer360(
    args: &Args,
    paths: &DomainPaths,
    report: &Path,
    progress: &mut Progress,
) -> Result<DataFrame> {
    let range = match (&args.from, &args.to) {
        (Some(from), Some(to)) => Some(DateRange::parse(from, to)?),
        _ => None,
    };
    let sink = match args.sink.as_deref() {
        None => Some(customer360::default_sink(paths)),
        Some("none") => None,
        Some(text) => Some(text.parse::<DatabaseSink>()?),
    };
    let options = customer360::Customer360Options {
        range,
        months: args.months.as_deref().map(parse_months).transpose()?,
        sink,
        ..Default::default()
    };
    let outputs = match args.engine {
        Engine::Spark => on_spark!(args, progress, customer360::Customer360Outputs, |engine| {
            customer360::pipeline::run_on(paths, &options, &engine, progress)
        }),
        Engine::Local => customer360::run(paths, &options, progress)?,
    };
    customer360::report::build(&outputs)?.write(report, customer360::DOMAIN)?;
    progress.done("write report", None);
    print_notices(customer360::DOMAIN, &outputs.notices);
    Ok(outputs.table_counts)
}

/// Refuses a raw folder that is, or is inside, a folder the run replaces: publishing
/// would delete the raw files.
fn check_raw_apart(raw: &Path, folders: &[&Path]) -> Result<()> {
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let raw_path = std::fs::canonicalize(raw).unwrap_or_else(|_| absolute(raw));
    for folder in folders {
        let folder_path = std::fs::canonicalize(folder).unwrap_or_else(|_| absolute(folder));
        if raw_path.starts_with(&folder_path) {
            bail!(
                "the raw folder {} is inside {}, which the run replaces with its results: \
                 the raw files would be deleted. Consider separate folders",
                raw.display(),
                folder.display()
            );
        }
    }
    Ok(())
}

/// A domain's folders: the flags where given, else `data/…/<domain>`; and how its
/// raw text is read (`--encoding`, `--date-order`).
fn domain_paths(args: &Args, domain: &str) -> Result<DomainPaths> {
    let defaults = DomainPaths::under(&PathBuf::from("data"), domain);
    let date_order = match args.date_order.as_deref() {
        Some("dmy") => Some(DateOrder::Dmy),
        Some(_) => Some(DateOrder::Mdy),
        None => None,
    };
    Ok(DomainPaths {
        raw: args.raw.clone().unwrap_or(defaults.raw),
        interim: args.interim.clone().unwrap_or(defaults.interim),
        processed: args.out.clone().unwrap_or(defaults.processed),
        lake: args.lake.clone().unwrap_or(defaults.lake),
        reading: Reading::new(args.encoding.as_deref(), date_order)?,
    })
}

fn print_notices(domain: &str, notices: &[String]) {
    for notice in notices {
        eprintln!("[{domain}] note: {notice}");
    }
}

fn run_retail(
    args: &Args,
    paths: &DomainPaths,
    report: &Path,
    progress: &mut Progress,
) -> Result<DataFrame> {
    let outputs = match args.engine {
        Engine::Local => retail::run(paths, progress)?,
        Engine::Spark => on_spark!(args, progress, retail::RetailOutputs, |engine| {
            let validate_on = args.validate_on.unwrap_or(ValidateOn::Engine);
            retail::pipeline::run_on(paths, &engine, validate_on, progress)
        }),
    };
    retail::report::build(&outputs)?.write(report, retail::DOMAIN)?;
    progress.done("write report", None);
    print_notices(retail::DOMAIN, &outputs.notices);
    Ok(outputs.table_counts)
}

fn run_wdi(
    args: &Args,
    paths: &DomainPaths,
    report: &Path,
    progress: &mut Progress,
) -> Result<DataFrame> {
    let options = wdi_options(args);
    let outputs = match args.engine {
        Engine::Local => wdi::run(paths, &options, progress)?,
        Engine::Spark => on_spark!(args, progress, wdi::WdiOutputs, |engine| {
            wdi::pipeline::run_on(paths, &options, &engine, progress)
        }),
    };
    wdi::report::build(&outputs)?.write(report, wdi::DOMAIN)?;
    progress.done("write report", None);
    print_notices(wdi::DOMAIN, &outputs.notices);
    Ok(outputs.table_counts)
}

fn run_movies(
    args: &Args,
    paths: &DomainPaths,
    report: &Path,
    progress: &mut Progress,
) -> Result<DataFrame> {
    let options = movies::MoviesOptions {
        base_month: args
            .base_month
            .as_deref()
            .map(parse_year_month)
            .transpose()?,
        ..movies::MoviesOptions::default()
    };
    let outputs = match args.engine {
        Engine::Spark => on_spark!(args, progress, movies::MoviesOutputs, |engine| {
            movies::pipeline::run_on(paths, &options, &engine, progress)
        }),
        Engine::Local => movies::run(paths, &options, progress)?,
    };
    movies::report::build(&outputs)?.write(report, movies::DOMAIN)?;
    progress.done("write report", None);
    print_notices(movies::DOMAIN, &paths.reading.notices.all());
    Ok(outputs.table_counts)
}

fn run_stream(paths: &DomainPaths, report: &Path, progress: &mut Progress) -> Result<DataFrame> {
    let outputs = stream::run(paths, progress)?;
    stream::report::build(&outputs)?.write(report, stream::DOMAIN)?;
    progress.done("write report", None);
    print_notices(stream::DOMAIN, &paths.reading.notices.all());
    Ok(outputs.table_counts)
}

/// The country and indicator of `--country` and `--indicator`.
fn wdi_options(args: &Args) -> wdi::WdiOptions {
    wdi::WdiOptions {
        country: args.country.clone(),
        indicator: args.indicator.clone(),
    }
}

/// Parses `YYYY-MM` to yyyymm.
fn parse_year_month(text: &str) -> Result<i32> {
    let parsed = text.split_once('-').and_then(|(year, month)| {
        let (year, month) = (year.parse::<i32>().ok()?, month.parse::<i32>().ok()?);
        ((1000..=9999).contains(&year) && (1..=12).contains(&month) && text.len() == 7)
            .then_some(year * 100 + month)
    });
    match parsed {
        Some(month) => Ok(month),
        None => {
            bail!("--base-month takes a month written YYYY-MM (for example 2024-01); got `{text}`")
        }
    }
}

/// Parses `YYYYMM,YYYYMM`.
fn parse_months(text: &str) -> Result<(i32, i32)> {
    let month = |part: &str| -> Result<i32> {
        let part = part.trim();
        match part.parse::<i32>() {
            Ok(m) if part.len() == 6 && (1..=12).contains(&(m % 100)) => Ok(m),
            _ => bail!("`{part}` is not a month written YYYYMM (for example 202206)"),
        }
    };
    match text.split_once(',') {
        Some((first, second)) => Ok((month(first)?, month(second)?)),
        None => bail!("--months takes two months, YYYYMM,YYYYMM; got `{text}`"),
    }
}

fn main() -> ExitCode {
    smartview::exec::limit_malloc_arenas();
    smartview::cli::exit_quietly_on_broken_pipe();
    // Read local files in prefetched chunks rather than memory-mapping them whole:
    // mapped pages count as resident memory, which would then grow with the input.
    // Set before any Polars call (the configuration is read once); a value the user
    // set wins.
    if std::env::var_os("POLARS_FORCE_ASYNC").is_none() {
        std::env::set_var("POLARS_FORCE_ASYNC", "1");
    }
    let args = Args::parse();
    if let Err(error) = args.check_domain_flags().and_then(|_| args.check_engine()) {
        error.exit();
    }
    exit_code(run(&args))
}

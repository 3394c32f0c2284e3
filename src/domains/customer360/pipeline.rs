//! The Customer 360 pipeline: raw files → validated interim tables → output tables,
//! delivered as files and into a database.
//!
//! Stages, in order:
//!
//! 1. read the daily content logs (NDJSON) in batches on every core, validate each
//!    batch (C1) and write its valid rows as Parquet parts under
//!    `<interim>/content/bucket-NNN/` (split by a stable hash of the contract, one
//!    bucket per GB of raw content) and its quarantine under
//!    `<interim>/quarantine/content/` (memory holds one batch);
//! 2. validate the search logs (C8) in one streaming pass over the daily Parquet
//!    folders;
//! 3. validate the keyword mapping and the optional contract–user link;
//! 4. profile the contracts (C2–C6) with streaming aggregates over each bucket in
//!    turn (a contract's rows are all in one bucket, so memory stays flat as the
//!    content grows), then segment them (C7);
//! 5. the top keyword per month and user (C9, C10), the trend between two months
//!    (C11) and the joined customer 360 table (C12);
//! 6. deliver (C13): Parquet + CSV per output table under `<processed>/` with a
//!    `_SUCCESS` manifest, and the customer 360, profile and trend tables loaded into
//!    the database sink.
//!
//! [`run_on`] runs stage 4 and C9–C10 on a Spark Connect engine instead.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, Engine, IntoLazy};

use super::logs::{aggregate_contracts, quarantine_of, validate_content, validate_search};
use super::rules;
use super::tables;
use crate::io::{
    load_tables, remove_table, scan_parquet, summarize_quarantines, validate_table,
    write_tables_partitioned, written_file, DatabaseSink, DateRange, DomainPaths,
};
use crate::progress::Progress;
use crate::schema::{table_counts, TableCount};

pub use super::datasets::Customer360Outputs;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "customer360";

/// The default database: an SQLite file beside the output tables.
pub fn default_sink(paths: &DomainPaths) -> DatabaseSink {
    DatabaseSink::Sqlite(paths.processed.join("customer360.sqlite"))
}

/// How a run selects its data and where it delivers.
#[derive(Clone, Debug)]
pub struct Customer360Options {
    /// The content days to read (`--from/--to`); every file when `None`.
    pub range: Option<DateRange>,
    /// The two months (yyyymm) C11 compares; the last two present when `None`.
    pub months: Option<(i32, i32)>,
    /// The database the tables are loaded into; none when `None`.
    pub sink: Option<DatabaseSink>,
    /// Content rows per batch (memory holds one batch).
    pub batch_rows: usize,
}

impl Default for Customer360Options {
    fn default() -> Self {
        Customer360Options {
            range: None,
            months: None,
            sink: None,
            batch_rows: 1_000_000,
        }
    }
}

/// Runs the whole Customer 360 pipeline and writes its interim and output tables.
///
/// # Errors
/// When a raw table is missing or unreadable, a day in `--from/--to` has no file, the
/// requested months have no search logs, a table cannot be written, or the database
/// load fails; the message names the file, table or sink.
pub fn run(
    paths: &DomainPaths,
    options: &Customer360Options,
    progress: &mut Progress,
) -> Result<Customer360Outputs> {
    let validated = validate(paths, options, progress)?;
    let profiles = local_profiles(paths, &validated, progress)?;
    finish(paths, options, validated, profiles, progress)
}

/// The Customer 360 pipeline with C2–C10 on a Spark Connect engine (`report --engine
/// spark`): C1 and C8 validate here into `paths.interim`, which the engine must see
/// at the same path; the contract profiles, segments and top keywords are computed
/// there over every valid row ([`crate::remote::DomainRules::customer360_profiles`]);
/// the trend between the chosen months (C11), the joined table (C12) and the
/// delivery (C13) run here on the engine's results.
///
/// # Errors
/// As [`run`], and when the engine cannot read the validated tables or a query fails
/// on it (the message names the table).
#[cfg(feature = "spark")]
pub fn run_on(
    paths: &DomainPaths,
    options: &Customer360Options,
    engine: &crate::remote::engine::SparkEngine,
    progress: &mut Progress,
) -> Result<Customer360Outputs> {
    let validated = validate(paths, options, progress)?;
    let rules = crate::remote::DomainRules::customer360_profiles(validated.period_days)?;
    let search = tables::search().name;
    let mapping = tables::mapping().schema.name;
    let inputs = [
        (
            tables::content().name,
            super::logs::content_parts(paths),
            "*/*.parquet",
        ),
        (search, paths.valid(search), ""),
        (mapping, paths.valid(mapping), ""),
    ];
    let mut tables = crate::remote::run_rules_over(engine, &rules, &inputs, progress)?;
    let mut take = |name: &str| crate::remote::take(&mut tables, name);
    let profiles = Profiles {
        customer_profile: take("customer_profile")?,
        segment_summary: take("segment_summary")?,
        search_top_keyword: take("search_top_keyword")?,
    };
    finish(paths, options, validated, profiles, progress)
}

/// What the validation (C1, C8 and the small tables) gives the rest of a run.
struct Validated {
    counts: Vec<TableCount>,
    /// The days the activeness bounds are scaled for (C6).
    period_days: i64,
    /// The buckets the valid content is split into by contract.
    buckets: u32,
    /// Whether the contract–user link is there (C12 needs it).
    has_link: bool,
    notices: Vec<String>,
}

/// The output tables that read every content and search row (C2–C10).
struct Profiles {
    customer_profile: DataFrame,
    segment_summary: DataFrame,
    search_top_keyword: DataFrame,
}

/// Stages 1–3: C1, C8, the keyword mapping and the optional contract–user link.
fn validate(
    paths: &DomainPaths,
    options: &Customer360Options,
    progress: &mut Progress,
) -> Result<Validated> {
    let mut counts = Vec::new();
    let mut notices = Vec::new();

    let (content_count, period_days, buckets) = validate_content(paths, options)?;
    progress.done("C1 validate content", Some(content_count.rows_in()));
    counts.push(content_count);

    let search_count = validate_search(paths)?;
    progress.done("C8 validate search", Some(search_count.rows_in()));
    counts.push(search_count);

    counts.push(validate_table(paths, &tables::mapping(), &[], vec![])?.0);
    let link_table = tables::contract_users();
    let has_link = link_table.found(&paths.raw).is_ok();
    if has_link {
        counts.push(validate_table(paths, &link_table, &[], vec![])?.0);
    } else {
        notices.push(format!(
            "customer_360 is omitted: there is no {} in {} to link contracts to users (C12)",
            tables::LINK_CSV,
            paths.raw.display()
        ));
    }
    progress.done("validate mapping and link", None);
    Ok(Validated {
        counts,
        period_days,
        buckets,
        has_link,
        notices,
    })
}

/// Stages 4 and 5's C9–C10 here: the contracts profiled bucket by bucket, segmented,
/// and the top keywords.
fn local_profiles(
    paths: &DomainPaths,
    validated: &Validated,
    progress: &mut Progress,
) -> Result<Profiles> {
    let collected = aggregate_contracts(paths, validated.buckets)?;
    let activity = rules::profile_contracts(collected, validated.period_days)?.collect()?;
    let customer_profile = rules::segment_customers(activity.lazy())
        .collect()
        .context("rule C7 (segments) failed")?;
    let segment_summary = rules::segment_summary(customer_profile.clone().lazy()).collect()?;
    progress.done(
        "C2–C7 profiles and segments",
        Some(customer_profile.height() as u64),
    );

    let categories =
        rules::keyword_categories(scan_parquet(&paths.valid("mapping"))?)?.collect()?;
    let events = rules::search_events(scan_parquet(&paths.valid("search"))?);
    let search_top_keyword = rules::top_keywords(events, categories.lazy())?
        .collect_with_engine(Engine::Streaming)
        .context("rules C9–C10 (top keywords) failed")?
        .unwrap_single();
    progress.done(
        "C9–C10 search keywords",
        Some(search_top_keyword.height() as u64),
    );
    Ok(Profiles {
        customer_profile,
        segment_summary,
        search_top_keyword,
    })
}

/// C11 (the months and the trend), C12 (the joined table) and C13 (delivery) on
/// the profiles and top keywords.
fn finish(
    paths: &DomainPaths,
    options: &Customer360Options,
    validated: Validated,
    profiles: Profiles,
    progress: &mut Progress,
) -> Result<Customer360Outputs> {
    let Validated {
        counts,
        period_days,
        has_link,
        mut notices,
        ..
    } = validated;
    let Profiles {
        customer_profile,
        segment_summary,
        search_top_keyword,
    } = profiles;
    let quartiles = rules::duration_quartiles(customer_profile.clone().lazy()).collect()?;
    let months = rules::present_months(&search_top_keyword)?;
    let trend_months = rules::choose_months(&months, options.months)?;
    if trend_months.is_none() {
        notices.push(format!(
            "search_trend is empty: the search logs hold {} month(s), C11 needs two",
            months.len()
        ));
    }
    let search_trend = rules::search_trend_of(search_top_keyword.clone().lazy(), trend_months)?
        .collect()
        .context("rule C11 (search trend) failed")?;
    progress.done("C11 search trend", Some(search_trend.height() as u64));

    let customer_360 = if has_link {
        let link = scan_parquet(&paths.valid(tables::contract_users().schema.name))?;
        let joined = rules::customer_360(
            link,
            customer_profile.clone().lazy(),
            search_trend.clone().lazy(),
        )
        .collect()
        .context("rule C12 (customer 360) failed")?;
        progress.done("C12 customer 360", Some(joined.height() as u64));
        Some(joined)
    } else {
        None
    };

    let outputs = Customer360Outputs {
        quarantine_summary: summarize_quarantines(&counts, |table| quarantine_of(paths, table))?,
        customer_profile,
        segment_summary,
        search_top_keyword,
        search_trend,
        customer_360,
        table_counts: table_counts(&counts)?,
        period_days,
        quartiles,
        trend_months,
        notices: notices
            .into_iter()
            .chain(paths.reading.notices.all())
            .collect(),
    };
    write_outputs(&paths.processed, &outputs, options.sink.as_ref())?;
    progress.done("C13 write files and load the database", None);
    Ok(outputs)
}

/// Writes the output tables (Parquet + CSV each), loads them into `sink` (C13), and
/// writes the `_SUCCESS` manifest; a SQLite file in `dir` (the default sink) is listed
/// in the manifest, its rows being the tables' rows. The files of an omitted
/// `customer_360` table are removed, so that none is left from an earlier run.
///
/// # Errors
/// When a table or the manifest cannot be written, or the load fails; the message
/// names the file, table or sink.
pub fn write_outputs(
    dir: &Path,
    outputs: &Customer360Outputs,
    sink: Option<&DatabaseSink>,
) -> Result<()> {
    if outputs.customer_360.is_none() {
        remove_table(dir, "customer_360")?;
    }
    write_tables_partitioned(dir, &outputs.tables(), &[], |dir| {
        let Some(sink) = sink else {
            return Ok(Vec::new());
        };
        let tables = outputs.database_tables();
        load_tables(sink, &tables)?;
        match sink {
            DatabaseSink::Sqlite(path) if path.parent() == Some(dir) => {
                let rows = tables.iter().map(|(_, frame)| frame.height() as u64).sum();
                Ok(vec![written_file(path, rows)?])
            }
            _ => Ok(Vec::new()),
        }
    })
}

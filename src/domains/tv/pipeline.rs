//! The TV pipeline: raw files → validated interim tables → output tables.
//!
//! Stages, in order:
//!
//! 1. validate the programs (T1) and sink them to `<interim>/`; resolve the program
//!    table and the deduplicated airings with their weekday (T3,
//!    `program_airings.parquet`);
//! 2. on two threads at once:
//!    - validate the viewing fact table in one streaming pass that also quarantines
//!      unknown programs (T4) and aggregates the valid rows' distinct (device,
//!      program) pairs, which T7, T10 and T11 share. A table of more than about 300 MB
//!      is aggregated in one pass per 300 MB over disjoint sets of devices: the first
//!      during validation, the others over the interim Parquet. The pairs are written
//!      on integer keys (`viewing_pairs/part-NNN.parquet` hold the keys,
//!      `viewing_pairs_devices.parquet` and `viewing_pairs_programs.parquet` their
//!      dictionaries);
//!    - validate the demographics and the reference (T1), clean them (T2, T5) and
//!      run the rules that need nothing else (T3's clash report, T6, T8);
//! 3. the rules on the pairs (T7, T9, T10, T11);
//! 4. the nine output tables as Parquet + CSV under `<processed>/`, with a
//!    `_SUCCESS` manifest.

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, IntoLazy, LazyFrame};

use super::pairs::{
    device_events, pair_parts, program_popularity_by_part, validate_viewing, ViewingAggregate,
    PAIR_PASS_BYTES,
};
use super::rules;
use super::tables;
use crate::exec::{self, rule};
use crate::io::{scan_parquet, sink_parquet_all, summarize_quarantines, write_tables, DomainPaths};
use crate::progress::Progress;
use crate::schema::{table_counts, TableCount};

pub use super::datasets::TvOutputs;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "tv";

/// How a run is carried out (not what it computes: the tables are the same
/// whatever these are).
#[derive(Clone, Debug, Default)]
pub struct TvOptions {
    /// Viewing text per pass of the pair aggregation (default
    /// [`super::pairs::PAIR_PASS_BYTES`]): smaller passes hold fewer pairs in memory at
    /// once, and there are more of them (at most 16).
    pub pair_pass_bytes: Option<u64>,
}

/// Runs the whole TV pipeline with the default [`TvOptions`] and writes its interim
/// and output tables.
///
/// # Errors
/// As [`run_with`].
pub fn run(paths: &DomainPaths, progress: &mut Progress) -> Result<TvOutputs> {
    run_with(paths, &TvOptions::default(), progress)
}

/// Runs the whole TV pipeline and writes its interim and output tables.
///
/// # Errors
/// When a raw table's files are missing or unreadable (the message names the table and
/// lists the file names accepted), a rule fails to run (the message names it, such as
/// `cannot compute T7 genre reach`), or an interim or output file cannot be written or
/// read back (the message names it).
pub fn run_with(
    paths: &DomainPaths,
    options: &TvOptions,
    progress: &mut Progress,
) -> Result<TvOutputs> {
    let (programs_count, _) = exec::validate(progress, paths, &tables::programs(), &[], vec![])?;

    let valid_programs = scan_parquet(&paths.valid("programs"))?;
    let program_table = rules::program_table(valid_programs.clone())
        .collect()
        .context("cannot resolve the program table (T3)")?;
    let airings = rules::program_airings(valid_programs.clone(), program_table.clone().lazy())?;
    sink_parquet_all(vec![(
        airings,
        paths.interim.join("program_airings.parquet"),
    )])
    .context("cannot write the program airings (T3)")?;
    progress.done("resolve programs", Some(program_table.height() as u64));

    // Households and markets do not depend on the viewing: they are validated and
    // cleaned on a second thread while this one works through the fact table, so that
    // the small tables' stages fill the cores the large one leaves idle.
    let mut beside = progress.beside();
    let (viewing, (markets, beside)) = exec::beside(
        || {
            let pass_bytes = options.pair_pass_bytes.unwrap_or(PAIR_PASS_BYTES);
            validate_viewing(paths, &program_table, pass_bytes, progress)
        },
        move || {
            let markets = market_tables(paths, valid_programs, &mut beside);
            (markets, beside)
        },
    )
    .context("the household and market stages stopped unexpectedly")?;
    progress.absorb(beside);
    // Timed on its own, so that the next stage is not charged with it.
    progress.done("wait for the household and market stages", None);
    let (markets, viewing) = (markets?, viewing?);

    let counts = [
        programs_count,
        markets.demographics_count.clone(),
        markets.reference_count.clone(),
        viewing.count.clone(),
    ];
    let program_table = program_table.lazy();
    let outputs = apply_viewing_rules(paths, program_table, markets, &viewing, &counts, progress)?;
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// The TV pipeline with its rules on a Spark Connect engine (`report --engine
/// spark`). T1 validates the raw files where `validate_on` says: on the engine, which
/// reads `paths.raw` with its own reader and writes the validated tables to
/// `paths.interim` ([`crate::remote::validate_on`]), or here, with the local reader;
/// both folders must be seen by the engine at the same paths. T2–T11 run there
/// ([`crate::remote::DomainRules::tv`]); the output tables come back and are written
/// here.
///
/// # Errors
/// As [`run`], and when the engine cannot read the raw or validated tables or a
/// query fails on it (the message names the table).
#[cfg(feature = "spark")]
pub fn run_on(
    paths: &DomainPaths,
    engine: &crate::remote::engine::SparkEngine,
    validate_on: crate::remote::ValidateOn,
    progress: &mut Progress,
) -> Result<TvOutputs> {
    let validate = |table: &crate::io::RawTable,
                    lookups: &[crate::schema::Rule],
                    progress: &mut Progress| match validate_on {
        crate::remote::ValidateOn::Here => {
            exec::validate(progress, paths, table, lookups, vec![]).map(|(count, _)| count)
        }
        crate::remote::ValidateOn::Engine => {
            crate::remote::validate_on(engine, paths, table, lookups, progress)
        }
    };
    let programs = tables::programs();
    let programs_count = validate(&programs, &[], progress)?;
    let program_table = rules::program_table(crate::remote::scan_valid(paths, &programs.schema)?)
        .collect()
        .context("cannot resolve the program table (T3)")?;
    // T4 looks programs up in the program table itself: no integer keys are needed
    // when the pairs are aggregated on the engine.
    let unknown_program = tables::unknown_program(&program_table)?;
    let viewing_count = validate(&tables::viewing(), &[unknown_program], progress)?;
    let demographics_count = validate(&tables::demographics(), &[], progress)?;
    let reference_count = validate(&tables::reference(), &[], progress)?;
    let counts = [
        programs_count,
        demographics_count,
        reference_count,
        viewing_count,
    ];

    let rules = crate::remote::DomainRules::tv()?;
    let mut tables = crate::remote::run_rules_on(engine, &rules, paths, progress)?;
    let mut take = |name: &str| crate::remote::take(&mut tables, name);
    let outputs = TvOutputs {
        top_genres: take("top_genres")?,
        market_potential: take("market_potential")?,
        wealthy_market_genres: take("wealthy_market_genres")?,
        program_popularity: take("program_popularity")?,
        genre_reach: take("genre_reach")?,
        program_clashes: take("program_clashes")?,
        top_markets: take("top_markets")?,
        wealth: take("wealth")?,
        reference_cleaning: take("reference_cleaning")?,
        quarantine_summary: summarize_quarantines(&counts, |table| {
            scan_parquet(&paths.quarantine(table))
        })?,
        table_counts: table_counts(&counts)?,
        notices: paths.reading.notices.all(),
    };
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// The tables that do not need the viewing: validated demographics and reference
/// (T1), cleaned (T2, T5), and the rules on them alone (T3's clash report, T6, T8).
struct MarketTables {
    demographics_count: TableCount,
    reference_count: TableCount,
    demographics: LazyFrame,
    reference: LazyFrame,
    reference_cleaning: DataFrame,
    program_clashes: DataFrame,
    top_markets: DataFrame,
    wealth: DataFrame,
}

fn market_tables(
    paths: &DomainPaths,
    valid_programs: LazyFrame,
    p: &mut Progress,
) -> Result<MarketTables> {
    let (demographics_count, _) = exec::validate(p, paths, &tables::demographics(), &[], vec![])?;
    let (reference_count, _) = exec::validate(p, paths, &tables::reference(), &[], vec![])?;
    let demographics = rules::clean_demographics(scan_parquet(&paths.valid("demographics"))?)?;
    let demographics = rule(p, "T2 demographics", demographics)?.lazy();
    let valid_reference = scan_parquet(&paths.valid("reference"))?;
    let cleaned = rules::clean_reference(valid_reference, demographics.clone())?;
    let [reference, reference_cleaning] =
        exec::rule_outputs(p, "T5 reference", [cleaned.table, cleaned.dropped])?;
    let reference = reference.lazy();
    Ok(MarketTables {
        demographics_count,
        reference_count,
        reference_cleaning,
        program_clashes: rule(
            p,
            "T3 program clashes",
            rules::program_clashes(valid_programs)?,
        )?,
        top_markets: rule(p, "T6 top markets", rules::top_markets(reference.clone())?)?,
        wealth: rule(
            p,
            "T8 wealth",
            rules::wealth(reference.clone(), demographics.clone()),
        )?,
        demographics,
        reference,
    })
}

/// The rules on the pair aggregate (T7, T9, T10, T11), and every output table with
/// the `counts` of the validated tables.
fn apply_viewing_rules(
    paths: &DomainPaths,
    programs: LazyFrame,
    markets: MarketTables,
    viewing: &ViewingAggregate,
    counts: &[TableCount],
    p: &mut Progress,
) -> Result<TvOutputs> {
    let keys = &viewing.keys;
    // The pairs carry integer keys; T7 and T10 see the reference and the programs
    // with the same keys, T11 gets each device's events back under its id.
    let pairs = pair_parts(paths).scan()?;
    let keyed_reference = keys.encode_devices(markets.reference.clone());
    let keyed_programs = keys.encode_programs(programs);
    let genre_reach = rules::genre_reach(pairs.clone(), keyed_reference, keyed_programs.clone())?;
    let genre_reach = rule(p, "T7 genre reach", genre_reach)?;
    let wealthy = rules::wealthy_markets(markets.wealth.clone().lazy()).collect()?;
    let wealthy_market_genres =
        rules::wealthy_market_genres(wealthy.lazy(), genre_reach.clone().lazy())?;
    let wealthy_market_genres = rule(p, "T9 wealthy market genres", wealthy_market_genres)?;
    let popularity = program_popularity_by_part(&pair_parts(paths), keys, keyed_programs)?;
    let program_popularity = rule(p, "T10 program popularity", popularity)?;
    let market_potential = rules::market_potential(
        markets.reference,
        markets.demographics,
        device_events(pairs, keys),
        markets.wealth.clone().lazy(),
    )?;
    Ok(TvOutputs {
        top_genres: rules::top_genres(genre_reach.clone().lazy()).collect()?,
        market_potential: rule(p, "T11 market potential", market_potential)?,
        wealthy_market_genres,
        program_popularity,
        genre_reach,
        program_clashes: markets.program_clashes,
        top_markets: markets.top_markets,
        wealth: markets.wealth,
        reference_cleaning: markets.reference_cleaning,
        quarantine_summary: summarize_quarantines(counts, |table| {
            scan_parquet(&paths.quarantine(table))
        })?,
        table_counts: table_counts(counts)?,
        notices: paths.reading.notices.all(),
    })
}

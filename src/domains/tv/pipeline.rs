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

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{col, DataFrame, Engine, IntoLazy, LazyFrame};

use super::pairs::{
    aggregate_pairs, pair_passes, pairs_of_pass, program_popularity_by_part, PairKeys,
};
use super::rules;
use super::tables;
use crate::exec::{self, PartFolder};
use crate::io::{
    scan_parquet, sink_parquet_all, summarize_quarantines, validate_table, write_tables,
    DomainPaths, RawTable, ValidAggregate,
};
use crate::progress::Progress;
use crate::schema::{table_counts, Rule, TableCount};
use crate::transforms::keys;
use crate::values;

pub use super::datasets::TvOutputs;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "tv";

/// The pair aggregate's parts, one per pass.
fn pair_parts(paths: &DomainPaths) -> PartFolder {
    PartFolder::new(paths.interim.join("viewing_pairs"))
}

/// Runs the whole TV pipeline and writes its interim and output tables.
///
/// # Errors
/// When a raw table's files are missing or unreadable (the message names the table and
/// lists the file names accepted), a rule fails to run (the message names it, such as
/// `rule T7 genre reach failed`), or an interim or output file cannot be written or
/// read back (the message names it).
pub fn run(paths: &DomainPaths, progress: &mut Progress) -> Result<TvOutputs> {
    let (programs_count, _) = validate(paths, &tables::programs(), &[], vec![], progress)?;

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
        || validate_and_aggregate_viewing(paths, &program_table, progress),
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

    let outputs = apply_viewing_rules(
        paths,
        program_table.lazy(),
        markets,
        viewing,
        programs_count,
        progress,
    )?;
    write_outputs(&paths.processed, &outputs)?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// What the viewing stages hand to the rules: the valid viewing's count and the
/// dictionaries of the pair aggregate's keys.
struct ViewingAggregate {
    count: TableCount,
    keys: PairKeys,
}

/// Validates the viewing fact table, quarantining unknown programs (T1, T4), and
/// aggregates its distinct (device, program) pairs.
fn validate_and_aggregate_viewing(
    paths: &DomainPaths,
    program_table: &DataFrame,
    progress: &mut Progress,
) -> Result<ViewingAggregate> {
    // Every program of the program table, with its key in the pair aggregate.
    let programs = keys::dictionary(program_table.clone().lazy(), "prog_code").collect()?;
    let unknown_program = tables::unknown_program(&programs)?;
    // The one aggregate over the fact table that T7, T10 and T11 share, written on
    // integer keys so that the rules read and join compact pairs. Its first pass
    // aggregates the valid rows as they are written.
    let viewing = tables::viewing();
    let passes = pair_passes(viewing.size_bytes(&paths.raw)?);
    let first_pass: ValidAggregate = Box::new(|valid| pairs_of_pass(valid, &programs, 0, passes));
    let (count, mut aggregates) = validate(
        paths,
        &viewing,
        &[unknown_program],
        vec![first_pass],
        progress,
    )?;
    let first_pass_pairs = aggregates
        .pop()
        .context("the viewing validation returned no pair aggregate")?;
    let valid_viewing = scan_parquet(&paths.valid("viewing"))?;
    let keys = aggregate_pairs(
        &pair_parts(paths),
        valid_viewing,
        programs,
        first_pass_pairs,
        passes,
    )?;
    sink_parquet_all(vec![
        (
            keys.devices.clone().lazy(),
            paths.interim.join("viewing_pairs_devices.parquet"),
        ),
        (
            keys.programs.clone().lazy(),
            paths.interim.join("viewing_pairs_programs.parquet"),
        ),
    ])
    .context("cannot write the pair dictionaries")?;
    progress.done("aggregate viewing pairs", Some(count.rows_valid));
    Ok(ViewingAggregate { count, keys })
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
    progress: &mut Progress,
) -> Result<MarketTables> {
    let (demographics_count, _) = validate(paths, &tables::demographics(), &[], vec![], progress)?;
    let (reference_count, _) = validate(paths, &tables::reference(), &[], vec![], progress)?;
    let p = progress;
    let demographics = rules::clean_demographics(scan_parquet(&paths.valid("demographics"))?)?;
    let demographics = collect_rule(demographics, "T2 demographics", p)?.lazy();
    let cleaned = rules::clean_reference(
        scan_parquet(&paths.valid("reference"))?,
        demographics.clone(),
    )?;
    let reference = collect_rule(cleaned.table, "T5 reference", p)?.lazy();
    let reference_cleaning = collect_rule(cleaned.dropped, "T5 cleaning counts", p)?;
    let program_clashes = collect_rule(
        rules::program_clashes(valid_programs)?,
        "T3 program clashes",
        p,
    )?;
    let top_markets = collect_rule(rules::top_markets(reference.clone())?, "T6 top markets", p)?;
    let wealth = collect_rule(
        rules::wealth(reference.clone(), demographics.clone()),
        "T8 wealth",
        p,
    )?;
    Ok(MarketTables {
        demographics_count,
        reference_count,
        demographics,
        reference,
        reference_cleaning,
        program_clashes,
        top_markets,
        wealth,
    })
}

/// Validates one raw table (T1) into the interim folder, reported as
/// `validate <table>`; with `lookups` such as T4's and `aggregates` of the valid rows
/// computed in the same pass.
fn validate(
    paths: &DomainPaths,
    table: &RawTable,
    lookups: &[Rule],
    aggregates: Vec<ValidAggregate>,
    progress: &mut Progress,
) -> Result<(TableCount, Vec<DataFrame>)> {
    let (count, aggregated) = validate_table(paths, table, lookups, aggregates)?;
    progress.done(
        &format!("validate {}", table.schema.name),
        Some(count.rows_in()),
    );
    Ok((count, aggregated))
}

/// Collects one rule's output with the streaming engine (the rules read the large
/// pairs table), naming the rule on failure and timing it.
fn collect_rule(lf: LazyFrame, rule: &str, progress: &mut Progress) -> Result<DataFrame> {
    let frame = lf
        .collect_with_engine(Engine::Streaming)
        .with_context(|| format!("rule {rule} failed"))?
        .unwrap_single();
    progress.done(rule, None);
    Ok(frame)
}

/// The rules on the pair aggregate (T7, T9, T10, T11), and every output table.
fn apply_viewing_rules(
    paths: &DomainPaths,
    programs: LazyFrame,
    markets: MarketTables,
    viewing: ViewingAggregate,
    programs_count: TableCount,
    progress: &mut Progress,
) -> Result<TvOutputs> {
    let p = progress;
    let (reference, demographics, wealth) =
        (markets.reference, markets.demographics, markets.wealth);
    let keys = &viewing.keys;
    // The pairs carry integer keys; T7 and T10 see the reference and the programs
    // with the same keys, T11 gets each device's events back under its id.
    let pairs = pair_parts(paths).scan()?;
    let keyed_reference = keys.encode_devices(reference.clone());
    let keyed_programs = keys.encode_programs(programs);
    let events_per_key = pairs
        .clone()
        .group_by([col("device_id")])
        .agg([col("events").sum().alias("events")]);
    let device_events = keys::decode(events_per_key, keys.devices.clone().lazy(), "device_id");

    let genre_reach = collect_rule(
        rules::genre_reach(pairs.clone(), keyed_reference, keyed_programs.clone())?,
        "T7 genre reach",
        p,
    )?;
    let top_genres = rules::top_genres(genre_reach.clone().lazy()).collect()?;
    let wealthy = rules::wealthy_markets(wealth.clone().lazy()).collect()?;
    let market_order = values::texts(&wealthy, "dma", "")?;
    let wealthy_market_genres = collect_rule(
        rules::wealthy_market_genres(wealthy.lazy(), genre_reach.clone().lazy(), &market_order)?,
        "T9 wealthy market genres",
        p,
    )?;
    let program_popularity = collect_rule(
        program_popularity_by_part(&pair_parts(paths), keys, keyed_programs)?,
        "T10 program popularity",
        p,
    )?;
    let market_potential = collect_rule(
        rules::market_potential(
            reference,
            demographics,
            device_events,
            wealth.clone().lazy(),
        )?,
        "T11 market potential",
        p,
    )?;
    let counts = [
        programs_count,
        markets.demographics_count,
        markets.reference_count,
        viewing.count,
    ];
    Ok(TvOutputs {
        quarantine_summary: summarize_quarantines(&counts, |table| {
            scan_parquet(&paths.quarantine(table))
        })?,
        program_clashes: markets.program_clashes,
        top_markets: markets.top_markets,
        genre_reach,
        top_genres,
        wealth,
        wealthy_market_genres,
        program_popularity,
        market_potential,
        table_counts: table_counts(&counts)?,
        reference_cleaning: markets.reference_cleaning,
    })
}

/// Writes the output tables (Parquet + CSV each) and the `_SUCCESS` manifest.
///
/// # Errors
/// As [`write_tables`]: when a table's Parquet or CSV file or the manifest cannot be
/// written; the message names the file.
pub fn write_outputs(dir: &Path, outputs: &TvOutputs) -> Result<()> {
    write_tables(dir, &outputs.tables())
}

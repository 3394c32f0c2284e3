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
use polars::prelude::{
    col, concat, df, lit, DataFrame, Engine, Expr, IdxSize, IntoLazy, LazyFrame, UnionArgs,
    IDX_DTYPE,
};

use super::rules;
use super::tables;
use crate::exec::{self, PartFolder};
use crate::io::{
    collect_streaming, scan_parquet, sink_parquet_all, validate_to_parquet_and_aggregate,
    write_tables, DomainPaths, RawTable, ValidAggregate,
};
use crate::progress::Progress;
use crate::schema::{self, table_counts, Rule, TableCount};
use crate::transforms::{key_in_pass, keys, passes_for};
use crate::values;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "tv";

/// The pair aggregate's parts, one per pass.
fn pair_parts(paths: &DomainPaths) -> PartFolder {
    PartFolder::new(paths.interim.join("viewing_pairs"))
}

/// Every table a TV run produces, collected (they are small).
pub struct TvOutputs {
    pub quarantine_summary: DataFrame,
    pub program_clashes: DataFrame,
    pub top_markets: DataFrame,
    pub genre_reach: DataFrame,
    pub top_genres: DataFrame,
    pub wealth: DataFrame,
    pub wealthy_market_genres: DataFrame,
    pub program_popularity: DataFrame,
    pub market_potential: DataFrame,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` per raw table.
    pub table_counts: DataFrame,
    /// `step`, `rows`: what each T5 cleaning step dropped from the reference.
    pub reference_cleaning: DataFrame,
}

impl TvOutputs {
    /// The spec's output tables, by name, in the spec's order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 9] {
        [
            ("quarantine_summary", &self.quarantine_summary),
            ("program_clashes", &self.program_clashes),
            ("top_markets", &self.top_markets),
            ("genre_reach", &self.genre_reach),
            ("top_genres", &self.top_genres),
            ("wealth", &self.wealth),
            ("wealthy_market_genres", &self.wealthy_market_genres),
            ("program_popularity", &self.program_popularity),
            ("market_potential", &self.market_potential),
        ]
    }
}

/// Runs the whole TV pipeline and writes its interim and output tables.
///
/// # Errors
/// When a raw table's files are missing or unreadable (the message names the table and
/// lists the file names accepted), a rule fails to run (the message names it, such as
/// `rule T7 genre reach failed`), or an interim or output file cannot be written or
/// read back (the message names it).
pub fn run(paths: &DomainPaths, progress: &mut Progress) -> Result<TvOutputs> {
    let programs_count = validate_and_sink(paths, &tables::programs(), progress)?;

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
    let program_codes = programs
        .column("prog_code")?
        .as_materialized_series()
        .clone();
    // T4: a viewing row whose program is not in the program table.
    let unknown_program = Rule::lookup("prog_code", program_codes);
    // The one aggregate over the fact table that T7, T10 and T11 share, written on
    // integer keys so that the rules read and join compact pairs. Its first pass
    // aggregates the valid rows as they are written.
    let viewing = tables::viewing();
    let passes = pair_passes(viewing.size_bytes(&paths.raw)?);
    let first_pass: ValidAggregate = Box::new(|valid| pairs_of_pass(valid, &programs, 0, passes));
    let (count, mut aggregates) = validate_sink_and_aggregate(
        paths,
        &viewing,
        &[unknown_program],
        vec![first_pass],
        progress,
    )?;
    let first_pass_pairs = aggregates
        .pop()
        .context("the viewing validation returned no pair aggregate")?;
    let keys = aggregate_pairs(paths, programs, first_pass_pairs, passes)?;
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
    let demographics_count = validate_and_sink(paths, &tables::demographics(), progress)?;
    let reference_count = validate_and_sink(paths, &tables::reference(), progress)?;
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

/// Validates one raw table (T1) and sinks its valid rows and quarantine to the interim
/// folder in one streaming pass over the raw files; the stage is reported as
/// `validate <table>`.
fn validate_and_sink(
    paths: &DomainPaths,
    table: &RawTable,
    progress: &mut Progress,
) -> Result<TableCount> {
    validate_sink_and_aggregate(paths, table, &[], Vec::new(), progress).map(|(count, _)| count)
}

/// [`validate_and_sink`] with lookup rules such as T4's, and `aggregates` of the valid
/// rows computed in the same pass; returns them collected, in order.
fn validate_sink_and_aggregate(
    paths: &DomainPaths,
    table: &RawTable,
    lookups: &[Rule],
    aggregates: Vec<ValidAggregate>,
    progress: &mut Progress,
) -> Result<(TableCount, Vec<DataFrame>)> {
    let name = table.schema.name;
    let (count, aggregated) = validate_to_parquet_and_aggregate(
        table.scan(&paths.raw, &paths.reading)?,
        &table.schema,
        lookups,
        &paths.valid(name),
        &paths.quarantine(name),
        aggregates,
    )?;
    progress.done(&format!("validate {name}"), Some(count.rows_in()));
    Ok((count, aggregated))
}

/// The dictionaries that turn the viewing pairs' text keys into integers.
struct PairKeys {
    /// `device_id`, `__key`: every device of the valid viewing.
    devices: DataFrame,
    /// `prog_code`, `__key`: every program of the program table.
    programs: DataFrame,
}

impl PairKeys {
    fn encode_devices(&self, lf: LazyFrame) -> LazyFrame {
        keys::encode(lf, self.devices.clone().lazy(), "device_id")
    }

    fn encode_programs(&self, lf: LazyFrame) -> LazyFrame {
        keys::encode(lf, self.programs.clone().lazy(), "prog_code")
    }
}

/// Viewing text per pass of the pair aggregation, about 5.5M rows. A larger table is
/// aggregated in several passes over disjoint sets of devices, so that the
/// aggregation's memory, which grows with the distinct pairs it holds, stays flat as
/// the table grows. The passes are planned from the files' size, known before they
/// are read, so that the first can run while the table is validated.
const PAIR_PASS_BYTES: u64 = 300 << 20;

/// The digits a device id ends in (lower case): the passes split devices by them.
const HEX_DIGITS: &str = "0123456789abcdef";

/// Passes for `bytes` of viewing files: a power of two, 1 to 16.
fn pair_passes(bytes: u64) -> u32 {
    passes_for(bytes, PAIR_PASS_BYTES, HEX_DIGITS)
}

/// The devices of pass `pass` of `passes`, by their last hex digit in either case
/// (device ids are 12 hex digits, validated in T1).
fn devices_of_pass(pass: u32, passes: u32) -> Expr {
    // Lower-casing the last character alone is cheaper than the whole id.
    let last_digit = col("device_id")
        .str()
        .slice(lit(-1), lit(1))
        .str()
        .to_lowercase();
    key_in_pass(last_digit, HEX_DIGITS, pass, passes)
}

/// The distinct (device, program) pairs of the devices of pass `pass` of `passes`,
/// with their tune events; the programs as their keys in `programs`, the devices as
/// text.
fn pairs_of_pass(viewing: LazyFrame, programs: &DataFrame, pass: u32, passes: u32) -> LazyFrame {
    let viewing_of_pass = viewing
        .select([col("device_id"), col("prog_code")])
        .filter(devices_of_pass(pass, passes));
    rules::viewing_pairs(keys::encode(
        viewing_of_pass,
        programs.clone().lazy(),
        "prog_code",
    ))
}

/// Writes the distinct (device, program) pairs with their tune events, on integer
/// keys, as one Parquet part per pass under `<interim>/viewing_pairs/`, and returns
/// the dictionaries. Pass 0's pairs are given (aggregated during validation); the
/// other passes aggregate the valid viewing of `<interim>/`. Each pass keys its own
/// devices: the device at position i of pass p's sorted dictionary gets key
/// i · passes + p, unique over all passes.
fn aggregate_pairs(
    paths: &DomainPaths,
    programs: DataFrame,
    first_pass_pairs: DataFrame,
    passes: u32,
) -> Result<PairKeys> {
    let parts = pair_parts(paths);
    parts.clear()?;
    let viewing = scan_parquet(&paths.valid("viewing"))?;
    let mut first_pass_pairs = Some(first_pass_pairs);
    let device_parts = exec::in_partitions(passes, |pass| {
        let pairs = match first_pass_pairs.take() {
            Some(pairs) => pairs,
            None => collect_streaming(
                pairs_of_pass(viewing.clone(), &programs, pass, passes),
                "the viewing pairs",
            )?,
        };
        write_pair_part(&parts, pairs, pass, passes)
    })?;
    let devices = concat(device_parts, UnionArgs::default())?
        .sort(["device_id"], Default::default())
        .collect()?;
    Ok(PairKeys { devices, programs })
}

/// Keys the devices of pass `pass`'s pairs and writes them as part `pass` of
/// `parts`; returns the pass's device dictionary.
fn write_pair_part(
    parts: &PartFolder,
    pairs: DataFrame,
    pass: u32,
    passes: u32,
) -> Result<LazyFrame> {
    let devices = keys::dictionary(pairs.clone().lazy(), "device_id")
        .with_column((col(keys::KEY) * lit(passes) + lit(pass)).alias(keys::KEY))
        .collect()?;
    let keyed = keys::encode(pairs.lazy(), devices.clone().lazy(), "device_id");
    sink_parquet_all(vec![(keyed, parts.part(pass))]).context("cannot write the viewing pairs")?;
    Ok(devices.lazy())
}

/// T10 one pair part at a time: the parts hold disjoint devices, so their distinct
/// device counts add up, and memory holds one part's distinct devices at a time
/// rather than the whole aggregate's. Every device of the pairs is in `keys`'s
/// dictionary, so its length is the count of all devices.
fn program_popularity_by_part(
    paths: &DomainPaths,
    keys: &PairKeys,
    programs: LazyFrame,
) -> Result<LazyFrame> {
    let mut title_counts = Vec::new();
    for part in pair_parts(paths).parts()? {
        let counts = rules::title_device_counts(scan_parquet(&part)?, programs.clone())?;
        title_counts.push(collect_streaming(counts, "T10's device counts")?.lazy());
    }
    let titles = concat(title_counts, UnionArgs::default())?
        .group_by([col("title")])
        .agg([col("devices").sum().cast(IDX_DTYPE).alias("devices")]);
    let all = df!("devices" => [IdxSize::try_from(keys.devices.height())?])?.lazy();
    Ok(rules::popularity_from_counts(titles, all)?)
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
        program_popularity_by_part(paths, keys, keyed_programs)?,
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
        quarantine_summary: quarantine_summary(paths, &counts)?,
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

/// `quarantine_summary` over every validated table's quarantine.
fn quarantine_summary(paths: &DomainPaths, counts: &[TableCount]) -> Result<DataFrame> {
    let mut quarantines = Vec::new();
    for count in counts {
        quarantines.push((count.table, scan_parquet(&paths.quarantine(count.table))?));
    }
    schema::quarantine_summary(quarantines)?
        .collect()
        .context("cannot summarise the quarantine")
}

/// Writes the output tables (Parquet + CSV each) and the `_SUCCESS` manifest.
///
/// # Errors
/// As [`write_tables`]: when a table's Parquet or CSV file or the manifest cannot be
/// written; the message names the file.
pub fn write_outputs(dir: &Path, outputs: &TvOutputs) -> Result<()> {
    write_tables(dir, &outputs.tables())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::df;

    #[test]
    fn pair_passes_grow_with_size_in_powers_of_two() {
        let per_pass = PAIR_PASS_BYTES;
        assert_eq!(pair_passes(0), 1);
        assert_eq!(pair_passes(per_pass), 1);
        assert_eq!(pair_passes(per_pass + 1), 2);
        assert_eq!(pair_passes(3 * per_pass), 4);
        assert_eq!(pair_passes(100 * per_pass), 16);
    }

    #[test]
    fn every_device_falls_in_exactly_one_pass() -> polars::prelude::PolarsResult<()> {
        let ids: Vec<String> = "0123456789abcdefABCDEF"
            .chars()
            .map(|d| format!("00000000000{d}"))
            .collect();
        for passes in [1u32, 2, 4, 16] {
            let mut hits = vec![0u32; ids.len()];
            for pass in 0..passes {
                let df = df!("device_id" => ids.clone())?;
                let picked = df.lazy().filter(devices_of_pass(pass, passes)).collect()?;
                for id in crate::values::texts(&picked, "device_id", "")? {
                    hits[ids.iter().position(|i| *i == id).unwrap()] += 1;
                }
            }
            assert!(hits.iter().all(|&h| h == 1), "{passes} passes: {hits:?}");
        }
        Ok(())
    }
}

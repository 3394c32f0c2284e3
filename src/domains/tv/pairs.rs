//! The viewing pair aggregate that T7, T10 and T11 share: the distinct (device,
//! program) pairs of the valid viewing with their tune events, on integer keys, one
//! part per pass over disjoint sets of devices (`<interim>/viewing_pairs/`), and the
//! dictionaries of those keys ([`validate_viewing`]). A pass groups on one packed
//! integer per (device, program) ([`packed_pairs`]), unless two of its devices differ
//! only in case. The first pass runs as the
//! viewing is validated, which also writes each later pass's (device, program) rows
//! to a folder of their own (`<interim>/viewing_by_pass/`), so that a pass reads its
//! devices only. T10 runs one part at a time ([`program_popularity_by_part`]); T11
//! gets each device's events back under its id ([`device_events`]).

use anyhow::{Context, Result};
use polars::prelude::{
    col, concat, df, len, lit, DataFrame, DataType, Expr, Field, IdxSize, IntoLazy, LazyFrame,
    PolarsResult, Schema, UnionArgs, IDX_DTYPE,
};

use super::{rules, tables};
use crate::exec::{self, PartFolder, PassSplit};
use crate::io::{collect_streaming, scan_parquet, sink_parquet_all, DomainPaths, ValidAggregate};
use crate::progress::Progress;
use crate::schema::TableCount;
use crate::transforms::{key_in_pass, keys, pass_of_key, passes_for};

/// The pair aggregate's parts, one per pass: `<interim>/viewing_pairs/`.
pub fn pair_parts(paths: &DomainPaths) -> PartFolder {
    PartFolder::new(paths.interim.join("viewing_pairs"))
}

/// The valid viewing's (device, program) rows of each pass after the first, written
/// as the viewing is validated and removed once the pairs are aggregated:
/// `<interim>/viewing_by_pass/__pass=<p>/`.
fn pass_split(paths: &DomainPaths) -> PassSplit {
    PassSplit::new(
        paths.interim.join("viewing_by_pass"),
        &["device_id", "prog_code"],
    )
}

/// What the viewing stage hands to the rules: the valid viewing's count and the
/// dictionaries of the pair aggregate's keys.
pub struct ViewingAggregate {
    pub count: TableCount,
    pub keys: PairKeys,
}

/// Validates the viewing fact table, quarantining unknown programs (T1, T4), and
/// aggregates its distinct (device, program) pairs into [`pair_parts`]: the first
/// pass as the valid rows are written, which also writes the rows of each later pass
/// apart, for that pass to read. The key dictionaries go to
/// `viewing_pairs_devices.parquet` and `viewing_pairs_programs.parquet`.
///
/// # Errors
/// When the viewing files are missing or unreadable, or a pass or a file fails; the
/// message names it.
pub fn validate_viewing(
    paths: &DomainPaths,
    program_table: &DataFrame,
    pass_bytes: u64,
    progress: &mut Progress,
) -> Result<ViewingAggregate> {
    let programs = keys::dictionary(program_table.clone().lazy(), "prog_code").collect()?;
    let unknown_program = tables::unknown_program(&programs)?;
    let viewing = tables::viewing();
    let passes = pair_passes(viewing.size_bytes(&paths.raw)?, pass_bytes);
    let first_pass: ValidAggregate =
        Box::new(|valid| pairs_of(pass_viewing(valid, 0, passes), &programs));
    let later_passes = pass_split(paths);
    let mut aggregates = vec![first_pass];
    if passes > 1 {
        later_passes.clear()?;
        let split = later_passes.clone();
        let split: ValidAggregate = Box::new(move |valid| {
            split.sink(valid, pass_of_key(col("device_id"), HEX_DIGITS, passes))
        });
        aggregates.push(split);
    }
    let (count, aggregated) =
        exec::validate(progress, paths, &viewing, &[unknown_program], aggregates)?;
    // The split, when there is one, collects nothing.
    let collected = aggregated
        .into_iter()
        .next()
        .context("the viewing validation returned no pair aggregate")?;
    let first_pass_pairs = match finish_pairs(collected, &programs)? {
        Some(pairs) => pairs,
        // Two of the pass's devices differ only in case: the pass again, from the
        // valid viewing written, on the text ids.
        None => collect_streaming(
            text_pairs_of(
                pass_viewing(scan_parquet(&paths.valid(viewing.schema.name))?, 0, passes),
                &programs,
            )?,
            "the viewing pairs",
        )?,
    };
    let keys = aggregate_pairs(
        &pair_parts(paths),
        &later_passes,
        programs,
        first_pass_pairs,
        passes,
    )?;
    later_passes.remove()?;
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

/// Each device's tune events (`device_id`, `events`) from the keyed `pairs`, under
/// the device's id again.
pub fn device_events(pairs: LazyFrame, keys: &PairKeys) -> LazyFrame {
    keys::decode(
        rules::device_events(pairs),
        keys.devices.clone().lazy(),
        "device_id",
    )
}

/// The dictionaries that turn the viewing pairs' text keys into integers.
#[derive(Clone, Debug)]
pub struct PairKeys {
    /// `device_id`, `__key`: every device of the valid viewing.
    pub devices: DataFrame,
    /// `prog_code`, `__key`: every program of the program table.
    pub programs: DataFrame,
}

impl PairKeys {
    /// `lf` with its `device_id` replaced by the device key.
    pub fn encode_devices(&self, lf: LazyFrame) -> LazyFrame {
        keys::encode(lf, self.devices.clone().lazy(), "device_id")
    }

    /// `lf` with its `prog_code` replaced by the program key.
    pub fn encode_programs(&self, lf: LazyFrame) -> LazyFrame {
        keys::encode(lf, self.programs.clone().lazy(), "prog_code")
    }
}

/// Viewing text per pass of the pair aggregation, about 5.5M rows (the default of
/// [`super::TvOptions::pair_pass_bytes`]). A larger table is aggregated in several
/// passes over disjoint sets of devices, so that the aggregation's memory, which
/// grows with the distinct pairs it holds, stays flat as the table grows. The passes
/// are planned from the files' size, known before they are read, so that the first
/// can run while the table is validated.
pub const PAIR_PASS_BYTES: u64 = 300 << 20;

/// The digits a device id ends in (lower case): the passes split devices by them.
const HEX_DIGITS: &str = "0123456789abcdef";

/// Passes for `bytes` of viewing files at about `pass_bytes` each: a power of two, 1
/// to 16.
pub fn pair_passes(bytes: u64, pass_bytes: u64) -> u32 {
    passes_for(bytes, pass_bytes, HEX_DIGITS)
}

/// The devices of pass `pass` of `passes`, by their last hex digit in either case
/// (device ids are 12 hex digits, validated in T1).
fn devices_of_pass(pass: u32, passes: u32) -> Expr {
    key_in_pass(col("device_id"), HEX_DIGITS, pass, passes)
}

/// The rows [`PassSplit::sink`] wrote for pass `pass` (`device_id`, `prog_code`).
///
/// # Errors
/// When the pass's folder cannot be read.
fn pass_rows(split: &PassSplit, pass: u32) -> Result<LazyFrame> {
    split.rows(pass, || {
        // No device of the valid viewing is in this pass.
        Ok(DataFrame::empty_with_schema(&Schema::from_iter([
            Field::new("device_id".into(), DataType::String),
            Field::new("prog_code".into(), DataType::String),
        ]))
        .lazy())
    })
}

/// The (`device_id`, `prog_code`) rows of `viewing` whose device is in pass `pass`
/// of `passes`.
fn pass_viewing(viewing: LazyFrame, pass: u32, passes: u32) -> LazyFrame {
    viewing
        .select([col("device_id"), col("prog_code")])
        .filter(devices_of_pass(pass, passes))
}

/// The distinct (device, program) pairs of `viewing` (`device_id`, `prog_code`),
/// with their tune events; the programs as their keys in `programs`, looked up in a
/// hash map of that dictionary rather than joined with it. The plan groups by one
/// packed integer when there are few enough programs ([`packed_pairs`]); its
/// collected result goes through [`finish_pairs`].
///
/// # Errors
/// When `programs` is not a dictionary of `prog_code` ([`keys::encode_in_memory`]).
fn pairs_of(viewing: LazyFrame, programs: &DataFrame) -> PolarsResult<LazyFrame> {
    let encoded = keys::encode_in_memory(viewing, programs, "prog_code")?;
    Ok(if packs_pairs(programs) {
        packed_pairs(encoded)
    } else {
        rules::viewing_pairs(encoded)
    })
}

/// [`pairs_of`] on the text device ids, whatever the programs.
///
/// # Errors
/// As [`pairs_of`].
fn text_pairs_of(viewing: LazyFrame, programs: &DataFrame) -> PolarsResult<LazyFrame> {
    Ok(rules::viewing_pairs(keys::encode_in_memory(
        viewing,
        programs,
        "prog_code",
    )?))
}

/// The programs a packed pair key holds: their keys take its low 16 bits.
const PACKED_PROGRAMS: usize = 1 << 16;
/// Hex digits of a device id (validated in T1).
const DEVICE_ID_DIGITS: usize = 12;
/// The packed (device, program) key and the device's case bits (see [`packed_pairs`]).
const PAIR: &str = "__pair";
const CASE: &str = "__case";
const CASE_MAX: &str = "__case_max";

/// Whether [`pairs_of`] packs its key for these programs.
fn packs_pairs(programs: &DataFrame) -> bool {
    programs.height() <= PACKED_PROGRAMS
}

/// [`rules::viewing_pairs`] on one `UInt64` key, which a group-by hashes far faster
/// than a (text, integer) pair: the device id's 48-bit value ([`keys::hex_code`]
/// without its case bits) above the program's key. Device ids that differ only in
/// case (`…0a`, `…0A`) share a key, so each pair keeps the smallest and largest case
/// bits of its rows: when they are equal, the pair is one device, whose id the value
/// and the case bits give back ([`finish_pairs`]).
fn packed_pairs(encoded: LazyFrame) -> LazyFrame {
    let code = keys::hex_code(col("device_id"), DEVICE_ID_DIGITS);
    let case_bits = lit(1u64 << DEVICE_ID_DIGITS);
    encoded
        .select([
            ((code.clone() / case_bits.clone()) * lit(PACKED_PROGRAMS as u64)
                + col("prog_code").cast(DataType::UInt64))
            .alias(PAIR),
            (code % case_bits).alias(CASE),
        ])
        .group_by([col(PAIR)])
        .agg([
            len().cast(DataType::UInt64).alias("events"),
            col(CASE).min().alias(CASE),
            col(CASE).max().alias(CASE_MAX),
        ])
}

/// The pairs (`device_id`, `prog_code`, `events`) from the collected result of
/// [`pairs_of`] for `programs`, or `None` when a packed key held two devices that
/// differ only in case: those rows must then be aggregated on the text ids
/// ([`text_pairs_of`]).
///
/// # Errors
/// When the unpacking fails to run (Polars error).
fn finish_pairs(collected: DataFrame, programs: &DataFrame) -> Result<Option<DataFrame>> {
    if !packs_pairs(programs) {
        return Ok(Some(collected));
    }
    let clashes = collected
        .clone()
        .lazy()
        .filter(col(CASE).neq(col(CASE_MAX)))
        .select([len().alias("clashes")])
        .collect()?;
    if crate::values::u64s(&clashes, "clashes", 0)?[0] > 0 {
        return Ok(None);
    }
    let programs = lit(PACKED_PROGRAMS as u64);
    let code = (col(PAIR) / programs.clone()) * lit(1u64 << DEVICE_ID_DIGITS) + col(CASE);
    Ok(Some(
        collected
            .lazy()
            .select([
                keys::hex_text(code, DEVICE_ID_DIGITS).alias("device_id"),
                (col(PAIR) % programs)
                    .cast(DataType::UInt32)
                    .alias("prog_code"),
                col("events"),
            ])
            .collect()?,
    ))
}

/// The pairs of the rows `viewing` plans ([`pairs_of`]), collected on the streaming
/// engine: packed, or on the text ids when the packed key cannot tell two of their
/// devices apart (the rows are then read again).
///
/// # Errors
/// When `viewing` fails, or a plan fails to run.
fn collect_pairs(
    viewing: impl Fn() -> Result<LazyFrame>,
    programs: &DataFrame,
) -> Result<DataFrame> {
    let collected = collect_streaming(pairs_of(viewing()?, programs)?, "the viewing pairs")?;
    match finish_pairs(collected, programs)? {
        Some(pairs) => Ok(pairs),
        None => collect_streaming(text_pairs_of(viewing()?, programs)?, "the viewing pairs"),
    }
}

/// Writes the distinct (device, program) pairs with their tune events, on integer
/// keys, as one Parquet part per pass in `parts`, and returns the dictionaries. Pass
/// 0's pairs are given (aggregated during validation); each later pass aggregates
/// the devices and programs the validation wrote for it in `by_pass`. Each pass keys
/// its own devices: the device at position i of pass p's sorted dictionary gets key
/// i · passes + p, unique over all passes.
///
/// # Errors
/// When a pass fails to run or a part cannot be read or written.
fn aggregate_pairs(
    parts: &PartFolder,
    by_pass: &PassSplit,
    programs: DataFrame,
    first_pass_pairs: DataFrame,
    passes: u32,
) -> Result<PairKeys> {
    parts.clear()?;
    let mut first_pass_pairs = Some(first_pass_pairs);
    let device_parts = exec::in_partitions(passes, |pass| {
        let pairs = match first_pass_pairs.take() {
            Some(pairs) => pairs,
            None => collect_pairs(|| pass_rows(by_pass, pass), &programs)?,
        };
        write_pair_part(parts, pairs, pass, passes)
    })?;
    let devices = concat(device_parts, UnionArgs::default())?
        .sort(["device_id"], Default::default())
        .collect()?;
    Ok(PairKeys { devices, programs })
}

/// Keys the devices of pass `pass`'s pairs and writes them as part `pass` of
/// `parts`, sorted by device key and program so that the part is the same bytes on
/// every run (a group-by and a join emit rows in an order that depends on the
/// threads); returns the pass's device dictionary.
fn write_pair_part(
    parts: &PartFolder,
    pairs: DataFrame,
    pass: u32,
    passes: u32,
) -> Result<LazyFrame> {
    let programs_have_nulls = pairs.column("prog_code")?.null_count() > 0;
    let devices = keys::dictionary(pairs.clone().lazy(), "device_id")
        .with_column((col(keys::KEY) * lit(passes) + lit(pass)).alias(keys::KEY))
        .collect()?;
    let keyed = sort_by_device_and_program(
        keys::encode(pairs.lazy(), devices.clone().lazy(), "device_id"),
        programs_have_nulls,
    );
    sink_parquet_all(vec![(keyed, parts.part(pass))]).context("cannot write the viewing pairs")?;
    Ok(devices.lazy())
}

/// `pairs` keyed (`device_id` and `prog_code` both `UInt32` keys) sorted by device,
/// then program. Without null programs, by one `UInt64` (the device above the
/// program), the same order as sorting by the two columns but a single-key sort,
/// which Polars runs several times faster than one comparing row by row.
fn sort_by_device_and_program(pairs: LazyFrame, programs_have_nulls: bool) -> LazyFrame {
    if programs_have_nulls {
        return pairs.sort(["device_id", "prog_code"], Default::default());
    }
    let device_then_program = (col("device_id").cast(DataType::UInt64) * lit(1u64 << 32))
        + col("prog_code").cast(DataType::UInt64);
    pairs.sort_by_exprs([device_then_program], Default::default())
}

/// T10 one pair part at a time: the parts hold disjoint devices, so their distinct
/// device counts add up, and memory holds one part's distinct devices at a time
/// rather than the whole aggregate's. Every device of the pairs is in `keys`'s
/// dictionary, so its length is the count of all devices.
///
/// # Errors
/// When a part cannot be read or its counts fail to run.
pub fn program_popularity_by_part(
    parts: &PartFolder,
    keys: &PairKeys,
    programs: LazyFrame,
) -> Result<LazyFrame> {
    let mut title_counts = Vec::new();
    for part in parts.parts()? {
        let counts = rules::title_device_counts(scan_parquet(&part)?, programs.clone())?;
        title_counts.push(collect_streaming(counts, "T10's device counts")?.lazy());
    }
    let titles = concat(title_counts, UnionArgs::default())?
        .group_by([col("title")])
        .agg([col("devices").sum().cast(IDX_DTYPE).alias("devices")]);
    let all = df!("devices" => [IdxSize::try_from(keys.devices.height())?])?.lazy();
    Ok(rules::popularity_from_counts(titles, all)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::df;

    #[test]
    fn pair_passes_grow_with_size_in_powers_of_two() {
        let per_pass = PAIR_PASS_BYTES;
        assert_eq!(pair_passes(0, per_pass), 1);
        assert_eq!(pair_passes(per_pass, per_pass), 1);
        assert_eq!(pair_passes(per_pass + 1, per_pass), 2);
        assert_eq!(pair_passes(3 * per_pass, per_pass), 4);
        assert_eq!(pair_passes(100 * per_pass, per_pass), 16);
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

    /// The pairs sorted, for comparing.
    fn sorted(pairs: DataFrame) -> Result<DataFrame> {
        Ok(pairs
            .lazy()
            .sort(["device_id", "prog_code"], Default::default())
            .collect()?)
    }

    /// A pair part is written sorted by device key, then program, whatever order
    /// the pairs come in: the same bytes on every run.
    #[test]
    fn pair_parts_are_written_in_key_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let parts = PartFolder::new(dir.path().join("pairs"));
        parts.clear()?;
        // 600 pairs of 200 devices and 3 programs, in a scrambled order.
        let order: Vec<u32> = (0..600u32).map(|i| (i * 389) % 600).collect();
        let devices: Vec<String> = order
            .iter()
            .map(|i| format!("{:012x}", i / 3 * 7919 % 200))
            .collect();
        let programs: Vec<u32> = order.iter().map(|i| i % 3).collect();
        let events: Vec<u64> = order.iter().map(|i| u64::from(*i)).collect();
        let pairs = df!("device_id" => devices, "prog_code" => programs, "events" => events)?;
        let dictionary = write_pair_part(&parts, pairs, 1, 2)?.collect()?;
        assert_eq!(dictionary.height(), 200);
        let written = scan_parquet(&parts.part(1))?.collect()?;
        let devices = crate::values::u64s(&written, "device_id", u64::MAX)?;
        let programs = crate::values::u64s(&written, "prog_code", u64::MAX)?;
        let keys: Vec<(u64, u64)> = devices.into_iter().zip(programs).collect();
        assert_eq!(keys.len(), 600);
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:?}");
        // Device keys of pass 1 of 2 are odd: position in the sorted ids · 2 + 1.
        assert_eq!(keys[0], (1, 0));
        assert_eq!(keys[599], (199 * 2 + 1, 2));
        Ok(())
    }

    /// The one-key sort gives the order of sorting by device, then program, at the
    /// edges of the `UInt32` keys; with a null program it sorts by the two columns,
    /// the null first within its device.
    #[test]
    fn pairs_sort_by_device_then_program() -> Result<()> {
        let max = u32::MAX;
        let devices = [max, 0, 1, max, 0, 1, 0];
        let programs = [0, max, 0, max, 0, max, 7];
        let pairs = df!("device_id" => devices, "prog_code" => programs)?;
        let order = |pairs: DataFrame, nulls: bool| -> Result<Vec<(u64, u64)>> {
            let out = sort_by_device_and_program(pairs.lazy(), nulls).collect()?;
            let d = crate::values::u64s(&out, "device_id", 99)?;
            let p = crate::values::u64s(&out, "prog_code", 99)?;
            Ok(d.into_iter().zip(p).collect())
        };
        let (m, z) = (u64::from(max), 0);
        let expected = [(z, z), (z, 7), (z, m), (1, z), (1, m), (m, z), (m, m)];
        assert_eq!(order(pairs.clone(), false)?, expected);
        assert_eq!(order(pairs, true)?, expected);
        let with_null = df!(
            "device_id" => [1u32, 0, 1, 0],
            "prog_code" => [Some(5u32), Some(2), None, None],
        )?;
        assert_eq!(order(with_null, true)?, [(z, 99), (z, 2), (1, 99), (1, 5)]);
        Ok(())
    }

    /// The packed pairs equal the pairs on the text ids, worked out by hand: device
    /// `00000000000a` tuned twice to P2 and once to P1, `0000000000f0` once to P2.
    /// When `…0a` and `…0A` both tune to P2, one packed key holds both: the pairs
    /// are then taken on the text ids, and the two devices stay apart.
    #[test]
    fn packed_pairs_equal_the_text_pairs_and_devices_differing_in_case_stay_apart() -> Result<()> {
        let programs =
            keys::dictionary(df!("prog_code" => ["P1", "P2"])?.lazy(), "prog_code").collect()?;
        assert!(packs_pairs(&programs));
        let pairs = |devices: &[&str], progs: &[&str]| {
            let viewing = df!("device_id" => devices, "prog_code" => progs)?;
            collect_pairs(|| Ok(viewing.clone().lazy()), &programs).and_then(sorted)
        };
        let plain = pairs(
            &[
                "00000000000a",
                "0000000000f0",
                "00000000000a",
                "00000000000a",
            ],
            &["P2", "P2", "P1", "P2"],
        )?;
        let expected = df!(
            "device_id" => ["00000000000a", "00000000000a", "0000000000f0"],
            "prog_code" => [0u32, 1, 1],
            "events" => [1u64, 2, 1],
        )?;
        assert_eq!(plain, expected);

        let clash = pairs(
            &["00000000000a", "00000000000A", "00000000000a"],
            &["P2", "P2", "P2"],
        )?;
        let expected = df!(
            "device_id" => ["00000000000A", "00000000000a"],
            "prog_code" => [1u32, 1],
            "events" => [1u64, 2],
        )?;
        assert_eq!(clash, expected);
        let packed = collect_streaming(
            pairs_of(
                df!("device_id" => ["00000000000a", "00000000000A"], "prog_code" => ["P2", "P2"])?
                    .lazy(),
                &programs,
            )?,
            "packed pairs",
        )?;
        assert!(
            finish_pairs(packed, &programs)?.is_none(),
            "one packed key, two devices"
        );
        Ok(())
    }
}

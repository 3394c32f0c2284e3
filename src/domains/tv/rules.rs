//! The TV rules T2–T11 of `spec/tv.md`, as lazy transforms over validated tables.
//!
//! Inputs are the valid rows of the T1 validation (typed, with `row_nr` giving file
//! order). Each function documents the columns it reads and returns; none collects.
//! The pipeline ([`super::pipeline`]) wires them together and writes the outputs.
//! Means, ratios and correlations are exact integer sums combined by a fixed sequence
//! of correctly rounded float operations ([`crate::transforms::exact`]), so they
//! have the same bits whatever the thread count.

use polars::prelude::*;

use crate::schema::ROW_NR;
use crate::transforms::{
    attach_single_row, clash_report, exact_mean, exact_pearson_or_null, exclusive_picks,
    explode_trimmed, grade_by_position, keep_first, keeping_left_order, most_frequent, rank_within,
    ratio, top_k_within, SortKey,
};

/// Markets with fewer cleaned households are not graded (T11).
pub const MIN_HOUSEHOLDS_FOR_POTENTIAL: u32 = 30;
/// How many markets count as top or wealthy markets (T6, T8).
pub const TOP_MARKETS: u32 = 10;
/// How many genres each wealthy market picks (T9).
pub const GENRES_PER_WEALTHY_MARKET: u32 = 11;
/// Genres per market in `top_genres`.
pub const TOP_GENRES: u32 = 5;

/// The DMA value that means "not known" (T5).
pub const UNKNOWN_DMA: &str = "Unknown";

/// T2 `income_level`: `1`–`9` → 1–9, `A`–`D` → 10–13, anything else null.
pub fn income_level(income: Expr) -> Expr {
    let digits = income.clone().cast(DataType::Int32);
    when(income.clone().eq(lit("A")))
        .then(lit(10i32))
        .when(income.clone().eq(lit("B")))
        .then(lit(11i32))
        .when(income.clone().eq(lit("C")))
        .then(lit(12i32))
        .when(income.eq(lit("D")))
        .then(lit(13i32))
        .otherwise(digits)
}

/// T2: demographics deduplicated on `household_id` (first in file order), with
/// `income_level` added. Keeps every validated column.
///
/// # Errors
/// Never while planning; a missing `household_id`, `income` or `row_nr` column fails when
/// the plan runs.
pub fn clean_demographics(demographics: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(keep_first(demographics, &["household_id"], ROW_NR)?
        .with_column(income_level(col("income")).alias("income_level")))
}

/// T3: the program table, one row per `prog_code` with its most frequent `title` and
/// `genre` (ties: smallest), counted over all valid program rows.
/// Output: `prog_code`, `title`, `genre`, sorted by `prog_code`.
pub fn program_table(programs: LazyFrame) -> LazyFrame {
    let titles = most_frequent(programs.clone(), "prog_code", "title");
    let genres = most_frequent(programs, "prog_code", "genre");
    titles
        .inner_join(genres, col("prog_code"), col("prog_code"))
        .select([col("prog_code"), col("title"), col("genre")])
        .sort(["prog_code"], Default::default())
}

/// T3 report: every clashing (`prog_code`, field) with the chosen value, the number
/// of distinct values and the prog_code's valid rows. Sorted by prog_code, field.
///
/// # Errors
/// Never while planning; a missing `prog_code`, `title` or `genre` column fails when the
/// plan runs.
pub fn program_clashes(programs: LazyFrame) -> PolarsResult<LazyFrame> {
    let titles = clash_report(programs.clone(), "prog_code", "title");
    let genres = clash_report(programs, "prog_code", "genre");
    Ok(concat([titles, genres], UnionArgs::default())?
        .sort(["prog_code", "field"], Default::default()))
}

/// T3: the airings with the chosen title and genre of `program_table` (see
/// [`program_table`]), `air_day` (`Mon` … `Sun`) added and exact duplicate rows
/// dropped (first kept). Sorted by file order.
///
/// # Errors
/// Never while planning; a missing column (`row_nr`, `prog_code`, `title`, `genre`,
/// `air_date`, `air_time`, `duration`) or an `air_date` that is not a date fails when the
/// plan runs.
pub fn program_airings(programs: LazyFrame, program_table: LazyFrame) -> PolarsResult<LazyFrame> {
    let airings = programs
        .drop(cols(["title", "genre"]))
        .inner_join(program_table, col("prog_code"), col("prog_code"))
        .select([
            col(ROW_NR),
            col("prog_code"),
            col("title"),
            col("genre"),
            col("air_date"),
            col("air_time"),
            col("air_date").dt().strftime("%a").alias("air_day"),
            col("duration"),
        ]);
    let content = [
        "prog_code",
        "title",
        "genre",
        "air_date",
        "air_time",
        "air_day",
        "duration",
    ];
    Ok(keep_first(airings, &content, ROW_NR)?.sort([ROW_NR], Default::default()))
}

/// The outcome of T5: the cleaned reference and how many rows each step dropped.
pub struct CleanReference {
    /// `device_id`, `dma`, `dma_code`, `household_id`, `zipcode`, `household_type`,
    /// `system_type`, `num_devices`: one row per device.
    pub table: LazyFrame,
    /// `step`, `rows`: the reference rows each cleaning step removed, in step order.
    pub dropped: LazyFrame,
}

/// T5: cleans the validated reference against the cleaned demographics (T2).
///
/// # Errors
/// Never while planning; a missing column (those of [`CleanReference::table`] and
/// `row_nr` in `reference`, `household_id` in `demographics`) fails when the plan runs.
pub fn clean_reference(
    reference: LazyFrame,
    demographics: LazyFrame,
) -> PolarsResult<CleanReference> {
    let known = reference
        .clone()
        .filter(col("dma").neq(lit(UNKNOWN_DMA)))
        .cache();
    let one_per_device = keep_first(known.clone(), &["device_id"], ROW_NR)?.cache();
    let first_dma = one_per_device
        .clone()
        .filter(col("dma").eq(col("dma").min().over([col("household_id")])?))
        .cache();
    let zipcodes = first_dma
        .clone()
        .group_by([col("household_id")])
        .agg([col("zipcode").drop_nulls().n_unique().alias("__zipcodes")]);
    let one_zipcode = first_dma
        .clone()
        .left_join(zipcodes, col("household_id"), col("household_id"))
        .filter(col("__zipcodes").lt_eq(lit(1)))
        .drop(cols(["__zipcodes"]))
        .with_column(
            col("device_id")
                .n_unique()
                .over([col("household_id")])?
                .alias("num_devices"),
        )
        .cache();
    let households = demographics.select([col("household_id")]);
    let table = one_zipcode
        .clone()
        .semi_join(households, col("household_id"), col("household_id"))
        .select([
            col("device_id"),
            col("dma"),
            col("dma_code"),
            col("household_id"),
            col("zipcode"),
            col("household_type"),
            col("system_type"),
            col("num_devices"),
        ])
        .sort(["device_id"], Default::default())
        .cache();

    let stages = [
        ("dma_unknown", &reference, &known),
        ("duplicate_device", &known, &one_per_device),
        ("household_in_several_dmas", &one_per_device, &first_dma),
        ("household_with_several_zipcodes", &first_dma, &one_zipcode),
        ("household_not_in_demographics", &one_zipcode, &table),
    ];
    let dropped = stages
        .into_iter()
        .map(|(step, before, after)| {
            let before = before.clone().select([len().alias("before")]);
            let after = after.clone().select([len().alias("after")]);
            concat_lf_horizontal([before, after], Default::default()).map(|both| {
                both.select([
                    lit(step).alias("step"),
                    (col("before") - col("after")).alias("rows"),
                ])
            })
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let dropped = concat(
        dropped,
        UnionArgs {
            parallel: false,
            ..Default::default()
        },
    )?;
    Ok(CleanReference { table, dropped })
}

/// T6: per DMA, distinct devices and households; the 10 with most devices (ties: dma).
/// Output: `dma`, `devices`, `households`.
///
/// # Errors
/// Never while planning; a missing `dma`, `device_id` or `household_id` column fails when
/// the plan runs.
pub fn top_markets(reference: LazyFrame) -> PolarsResult<LazyFrame> {
    let per_dma = reference.group_by([col("dma")]).agg([
        col("device_id").n_unique().alias("devices"),
        col("household_id").n_unique().alias("households"),
    ]);
    Ok(top_k_within(
        per_dma,
        &[],
        &[SortKey::desc("devices"), SortKey::asc("dma")],
        TOP_MARKETS,
        "__rank",
    )?
    .select([col("dma"), col("devices"), col("households")]))
}

/// Distinct (device, program) pairs of the valid viewing with their tune events:
/// `device_id`, `prog_code`, `events`. The one aggregate over the fact table that
/// T7, T10 and T11 share. The two keys may be the text values or their dictionary
/// keys ([`crate::transforms::keys`]); T7 and T10 only need them to be equal where
/// the values are.
pub fn viewing_pairs(viewing: LazyFrame) -> LazyFrame {
    viewing
        .group_by([col("device_id"), col("prog_code")])
        .agg([len().cast(DataType::UInt64).alias("events")])
}

/// T7: reach of each genre in each DMA, counted over distinct (device, program)
/// pairs of the DMA's devices, genres split on `,` and trimmed.
/// Output: `dma`, `genre`, `reach`, `genre_rank`, sorted by dma, genre_rank.
///
/// # Errors
/// Never while planning; a missing column (`device_id`, `prog_code` of `pairs`;
/// `device_id`, `dma` of `reference`; `prog_code`, `genre` of `programs`) fails when the
/// plan runs.
pub fn genre_reach(
    pairs: LazyFrame,
    reference: LazyFrame,
    programs: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let pairs_per_dma_program = pairs
        .inner_join(
            reference.select([col("device_id"), col("dma")]),
            col("device_id"),
            col("device_id"),
        )
        .group_by([col("dma"), col("prog_code")])
        .agg([len().alias("pairs")]);
    // One row per (program, genre): a genre listed twice on a program counts once.
    let program_genres = explode_trimmed(
        programs.select([col("prog_code"), col("genre")]),
        "genre",
        ",",
    )
    .unique(None, UniqueKeepStrategy::Any);
    let reach = pairs_per_dma_program
        .inner_join(program_genres, col("prog_code"), col("prog_code"))
        .group_by([col("dma"), col("genre")])
        .agg([col("pairs").sum().cast(DataType::UInt32).alias("reach")]);
    rank_within(
        reach,
        &["dma"],
        &[SortKey::desc("reach"), SortKey::asc("genre")],
        "genre_rank",
    )
}

/// `top_genres`: the first five genres of each DMA by T7 rank.
pub fn top_genres(genre_reach: LazyFrame) -> LazyFrame {
    genre_reach.filter(col("genre_rank").lt_eq(lit(TOP_GENRES)))
}

/// T8: wealth score of every DMA over its cleaned households.
/// Output: `dma`, `households`, `avg_net_worth`, `avg_income_level`, `wealth_score`,
/// sorted by wealth_score descending (nulls last), then dma. The means are exact
/// integer sums over the count ([`exact_mean`]); the divisions are [`ratio`]'s.
pub fn wealth(reference: LazyFrame, demographics: LazyFrame) -> LazyFrame {
    let with_maxima = demographics.select([
        col("household_id"),
        col("net_worth"),
        col("income_level"),
        col("net_worth").max().alias("__max_net_worth"),
        col("income_level").max().alias("__max_income_level"),
    ]);
    reference
        .select([col("dma"), col("household_id")])
        .unique(None, UniqueKeepStrategy::Any)
        .inner_join(with_maxima, col("household_id"), col("household_id"))
        .group_by([col("dma")])
        .agg([
            len().alias("households"),
            exact_mean(col("net_worth")).alias("avg_net_worth"),
            exact_mean(col("income_level")).alias("avg_income_level"),
            // Equal on every row (the maxima over all households): any row's value.
            col("__max_net_worth")
                .max()
                .cast(DataType::Float64)
                .alias("__max_nw"),
            col("__max_income_level")
                .max()
                .cast(DataType::Float64)
                .alias("__max_il"),
        ])
        .with_column(
            (ratio(col("avg_net_worth"), col("__max_nw"))
                + ratio(col("avg_income_level"), col("__max_il")))
            .alias("wealth_score"),
        )
        .select([
            col("dma"),
            col("households"),
            col("avg_net_worth"),
            col("avg_income_level"),
            col("wealth_score"),
        ])
        .sort(
            ["wealth_score", "dma"],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true),
        )
}

/// T8: the wealthy markets, the first 10 rows of [`wealth`].
pub fn wealthy_markets(wealth: LazyFrame) -> LazyFrame {
    wealth.limit(TOP_MARKETS)
}

/// T9: walking the wealthy markets in wealth order, each takes its 11 best genres
/// (T7 rank) not taken by an earlier market; `wealthy` is in wealth order, with at
/// most [`TOP_MARKETS`] rows ([`wealthy_markets`]). Output: `dma`, `wealth_score`, `genres` (joined with `, ` in
/// pick order; empty when nothing was left), in wealth order.
///
/// # Errors
/// Never while planning; a missing column (`dma`, `wealth_score` of `wealthy`; `dma`,
/// `genre`, `genre_rank` of `genre_reach`) fails when the plan runs.
pub fn wealthy_market_genres(
    wealthy: LazyFrame,
    genre_reach: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let picks = exclusive_picks(
        genre_reach,
        "dma",
        "genre",
        "genre_rank",
        wealthy.clone(),
        TOP_MARKETS,
        GENRES_PER_WEALTHY_MARKET,
    )?
    .group_by([col("dma")])
    .agg([col("genre")
        .sort_by([col("pick")], Default::default())
        .str()
        .join(", ", true)
        .alias("genres")]);
    Ok(wealthy
        .select([col("dma"), col("wealth_score")])
        .join(
            picks,
            [col("dma")],
            [col("dma")],
            keeping_left_order(JoinType::Left),
        )
        .with_column(col("genres").fill_null(lit(""))))
}

/// T10: per chosen title, distinct devices that tuned to it and their share of all
/// distinct devices in the valid viewing. Output: `title`, `devices`,
/// `popularity_index`, `rank` (by devices descending, ties title), sorted by rank.
///
/// # Errors
/// Never while planning; a missing column (`device_id`, `prog_code` of `pairs`;
/// `prog_code`, `title` of `programs`) fails when the plan runs.
pub fn program_popularity(pairs: LazyFrame, programs: LazyFrame) -> PolarsResult<LazyFrame> {
    let counts = title_device_counts(pairs.clone(), programs)?;
    popularity_from_counts(counts, all_device_count(pairs))
}

/// T10's counts over a set of (device, program) pairs: `title`, `devices` (distinct
/// devices that tuned to the title). Over sets of pairs with disjoint devices, the
/// counts of the whole are the sums of the sets' counts.
///
/// # Errors
/// Never while planning; a missing column (`device_id`, `prog_code` of `pairs`;
/// `prog_code`, `title` of `programs`) fails when the plan runs.
pub fn title_device_counts(pairs: LazyFrame, programs: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(pairs
        .inner_join(
            programs.select([col("prog_code"), col("title")]),
            col("prog_code"),
            col("prog_code"),
        )
        .group_by([col("title")])
        .agg([col("device_id").n_unique().alias("devices")]))
}

/// The distinct devices of a set of pairs, as one row in `devices`; over sets with
/// disjoint devices, the sum of theirs.
pub fn all_device_count(pairs: LazyFrame) -> LazyFrame {
    pairs.select([col("device_id").n_unique().alias("devices")])
}

/// Each device's tune events from the viewing pairs ([`viewing_pairs`]):
/// `device_id`, `events` (their sum), for T11.
pub fn device_events(pairs: LazyFrame) -> LazyFrame {
    pairs
        .group_by([col("device_id")])
        .agg([col("events").sum().alias("events")])
}

/// T10 from [`title_device_counts`] and [`all_device_count`].
///
/// # Errors
/// Never while planning; a missing `title` or `devices` column fails when the plan runs.
pub fn popularity_from_counts(
    title_devices: LazyFrame,
    all_devices: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let all = all_devices.select([col("devices").cast(DataType::Float64).alias("__all")]);
    let with_share = attach_single_row(title_devices, all).with_column(
        ratio(
            lit(100.0) * col("devices").cast(DataType::Float64),
            col("__all"),
        )
        .alias("popularity_index"),
    );
    Ok(rank_within(
        with_share,
        &[],
        &[SortKey::desc("devices"), SortKey::asc("title")],
        "rank",
    )?
    .select([
        col("title"),
        col("devices"),
        col("popularity_index"),
        col("rank"),
    ]))
}

/// T11: market potential of every DMA with at least 30 cleaned households.
/// `device_events` holds `device_id`, `events` (valid tune events per device).
/// Output: `dma`, `households`, `devices`, `viewing_per_device`,
/// `income_viewing_corr`, `wealth_score`, `potential_grade`, sorted by wealth_score
/// descending (nulls last), then dma. `viewing_per_device` is one correctly rounded
/// division ([`ratio`]); the correlation is built from exact integer sums
/// ([`exact_pearson_or_null`]), so neither depends on the order rows arrive in.
///
/// # Errors
/// Never while planning; a missing column (`dma`, `household_id`, `device_id` of
/// `reference`; `household_id`, `income_level` of `demographics`; `device_id`, `events`
/// of `device_events`; `dma`, `wealth_score` of `wealth`) fails when the plan runs.
pub fn market_potential(
    reference: LazyFrame,
    demographics: LazyFrame,
    device_events: LazyFrame,
    wealth: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let devices = reference
        .clone()
        .select([col("dma"), col("household_id"), col("device_id")])
        .left_join(device_events, col("device_id"), col("device_id"))
        .with_column(col("events").fill_null(lit(0u64)));
    let households = devices
        .clone()
        .group_by([col("dma"), col("household_id")])
        .agg([col("events").sum().alias("events")])
        .left_join(
            demographics.select([col("household_id"), col("income_level")]),
            col("household_id"),
            col("household_id"),
        )
        .group_by([col("dma")])
        .agg([
            len().alias("households"),
            exact_pearson_or_null(col("income_level"), col("events")).alias("income_viewing_corr"),
        ]);
    let per_dma = devices.group_by([col("dma")]).agg([
        col("device_id").n_unique().alias("devices"),
        col("events").sum().alias("events"),
    ]);
    let graded = households
        .filter(col("households").gt_eq(lit(MIN_HOUSEHOLDS_FOR_POTENTIAL)))
        .inner_join(per_dma, col("dma"), col("dma"))
        .left_join(
            wealth.select([col("dma"), col("wealth_score")]),
            col("dma"),
            col("dma"),
        )
        .with_column(ratio(col("events"), col("devices")).alias("viewing_per_device"))
        .sort(
            ["wealth_score", "dma"],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true),
        )
        .with_row_index("__position", None);
    Ok(graded
        .with_column(grade_by_position(col("__position"), len(), "ABCD").alias("potential_grade"))
        .select([
            col("dma"),
            col("households"),
            col("devices"),
            col("viewing_per_device"),
            col("income_viewing_corr"),
            col("wealth_score"),
            col("potential_grade"),
        ]))
}

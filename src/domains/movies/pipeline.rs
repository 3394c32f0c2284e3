//! The movies pipeline: raw catalogues → validated interim tables → output tables.
//!
//! Stages, in order:
//!
//! 1. validate the TMDB export, the IMDB catalogue and the CPI series (V1) into
//!    `<interim>/`;
//! 2. repair text, map certificates, filter and deduplicate each catalogue (V2–V4),
//!    join them and the CPI (V5), and turn dollars into the base month's (V6);
//! 3. the genre bridge and the genre, director and yearly tables (V7);
//! 4. the output tables as Parquet + CSV under `<processed>/`, `movies_enriched` also
//!    partitioned by release year (V8), and the DuckDB serving file over them (V9),
//!    with a `_SUCCESS` manifest of every file.
//!
//! [`run_on`] runs stage 2's V3–V6 and stage 3 on a Spark Connect engine instead.

use anyhow::{bail, Context, Result};
use polars::prelude::{concat, DataFrame, IntoLazy, LazyFrame, UnionArgs};

use super::rules;
use super::serving;
use super::tables;
use crate::exec::{self, rule};
use crate::io::{
    scan_parquet, summarize_quarantines, write_tables_partitioned, DomainPaths, DuckDb,
};
use crate::progress::Progress;
use crate::schema::{table_counts, TableCount};
use crate::values;

pub use super::datasets::MoviesOutputs;

/// The domain's name: its folders under the data root and its report.
pub const DOMAIN: &str = "movies";

/// Validated TMDB rows per pass of V2-V6 by default: the real export's 1.2M rows
/// run in one.
pub const TMDB_ROWS_PER_PASS: u64 = 2_000_000;

/// How a run chooses its constant dollars.
#[derive(Clone, Debug, Default)]
pub struct MoviesOptions {
    /// The base month (yyyymm) of the constant dollars (`--base-month`); the last
    /// month with a CPI value when `None` (V6).
    pub base_month: Option<i32>,
    /// Validated TMDB rows per pass of V2-V6 (default [`TMDB_ROWS_PER_PASS`]): fewer
    /// rows per pass hold less in memory and read the validated tables more often.
    pub tmdb_rows_per_pass: Option<u64>,
}

/// Runs the whole movies pipeline and writes its interim and output tables.
///
/// # Errors
/// When the DuckDB client is missing (checked first), a raw table's files are missing
/// or unreadable, the base month has no CPI value, a rule fails to run, or a table or
/// the serving file cannot be written; the message names it.
pub fn run(
    paths: &DomainPaths,
    options: &MoviesOptions,
    progress: &mut Progress,
) -> Result<MoviesOutputs> {
    let duckdb = DuckDb::locate()?;
    let validated = validate(paths, options, progress)?;
    let tables = local_rules(paths, options, &validated, progress)?;
    publish(paths, &duckdb, validated, tables, progress)
}

/// The movies pipeline with its rules on a Spark Connect engine (`report --engine
/// spark`): V1 validates here into `paths.interim`, V2's text repair (Rust code SQL
/// cannot say) writes the repaired catalogues beside the validated tables, and V3–V7
/// run on the engine over them ([`crate::remote::DomainRules::movies`]), which must
/// see `paths.interim` at the same path. The output tables come back; V8 and V9 (the
/// files and the DuckDB serving file) run here.
///
/// # Errors
/// As [`run`], and when the engine cannot read the interim tables or a query fails
/// on it (the message names the table).
#[cfg(feature = "spark")]
pub fn run_on(
    paths: &DomainPaths,
    options: &MoviesOptions,
    engine: &crate::remote::engine::SparkEngine,
    progress: &mut Progress,
) -> Result<MoviesOutputs> {
    use crate::io::sink_parquet_all;
    let duckdb = DuckDb::locate()?;
    let validated = validate(paths, options, progress)?;
    let repaired: [(&str, fn(LazyFrame) -> LazyFrame); 2] = [
        ("tmdb", rules::repaired_tmdb),
        ("imdb", rules::repaired_imdb),
    ];
    let mut jobs = Vec::new();
    for ((name, repair), input) in repaired.into_iter().zip(super::plans::INPUTS) {
        jobs.push((
            repair(scan_parquet(&paths.valid(name))?),
            paths.valid(input),
        ));
    }
    sink_parquet_all(jobs).context("cannot write the repaired catalogues (V2)")?;
    progress.done("V2 text repair", None);
    let rules = crate::remote::DomainRules::movies(Some(validated.base_month))?;
    let mut tables = crate::remote::run_rules_on(engine, &rules, paths, progress)?;
    let mut take = |name: &str| crate::remote::take(&mut tables, name);
    let tables = RuleTables {
        movies_enriched: take("movies_enriched")?,
        movie_genres: take("movie_genres")?,
        genre_revenue: take("genre_revenue")?,
        director_revenue: take("director_revenue")?,
        yearly_revenue: take("yearly_revenue")?,
        match_counts: take("match_counts")?,
    };
    publish(paths, &duckdb, validated, tables, progress)
}

/// What V1 and V6's base month give the rest of a run.
struct Validated {
    counts: Vec<TableCount>,
    /// V6's one row: `base_month`, `base_cpi`.
    base: DataFrame,
    base_month: i32,
    base_cpi: f64,
}

/// The output tables the rules compute (all but the quarantine summary).
struct RuleTables {
    movies_enriched: DataFrame,
    movie_genres: DataFrame,
    genre_revenue: DataFrame,
    director_revenue: DataFrame,
    yearly_revenue: DataFrame,
    match_counts: DataFrame,
}

/// V1 on every raw table, then V6's base month from the validated CPI.
fn validate(
    paths: &DomainPaths,
    options: &MoviesOptions,
    progress: &mut Progress,
) -> Result<Validated> {
    let mut counts = Vec::new();
    for table in tables::all() {
        counts.push(exec::validate(progress, paths, &table, &[], vec![])?.0);
    }
    let cpi = scan_parquet(&paths.valid("cpi"))?;
    let base = rule(
        progress,
        "V6 base month",
        rules::base_cpi(cpi, options.base_month),
    )?;
    let (Some(base_month), Some(base_cpi)) = (
        values::i64s(&base, "base_month", 0)?.first().copied(),
        values::f64s(&base, "base_cpi")?.first().copied().flatten(),
    ) else {
        match options.base_month {
            Some(month) => bail!(
                "the base month {}-{:02} has no CPI value in the CPI file. Consider another \
                 --base-month, or none for the last month with a value",
                month / 100,
                month % 100
            ),
            None => bail!("the CPI file holds no value, so there is no base month for V6"),
        }
    };
    Ok(Validated {
        counts,
        base,
        base_month: i32::try_from(base_month).context("the base month is out of range")?,
        base_cpi,
    })
}

/// V2–V7 here, in passes over disjoint sets of runtimes.
fn local_rules(
    paths: &DomainPaths,
    options: &MoviesOptions,
    validated: &Validated,
    progress: &mut Progress,
) -> Result<RuleTables> {
    let Validated { counts, base, .. } = validated;
    let valid = |table: &str| scan_parquet(&paths.valid(table));
    let cpi = valid("cpi")?;
    // V2-V6 run in passes over disjoint sets of runtimes: the deduplication and the
    // join both match on the runtime, so a pass holds every row it needs, and memory
    // holds one pass's catalogues instead of the whole of both.
    let tmdb_rows = counts
        .iter()
        .find(|c| c.table == "tmdb")
        .map_or(0, |c| c.rows_valid);
    let per_pass = options
        .tmdb_rows_per_pass
        .unwrap_or(TMDB_ROWS_PER_PASS)
        .max(1);
    let passes = tmdb_rows.div_ceil(per_pass).max(1);
    let matched = exec::in_partitions(u32::try_from(passes)?, |pass| {
        let in_pass = |lf: LazyFrame| lf.filter(rules::runtime_in_pass(u64::from(pass), passes));
        let stage = |name: &str| match passes {
            1 => name.to_string(),
            _ => format!("{name} (pass {} of {passes})", pass + 1),
        };
        // Each catalogue is cleaned and deduplicated once: the join and its four
        // counts all read them.
        let tmdb = rules::tmdb_movies(in_pass(valid("tmdb")?))?;
        let tmdb = rule(progress, &stage("V2-V4 TMDB movies"), tmdb)?;
        let imdb = rules::imdb_movies(in_pass(valid("imdb")?))?;
        let imdb = rule(progress, &stage("V2-V4 IMDB movies"), imdb)?;
        let matched = rules::match_catalogues(tmdb.lazy(), imdb.lazy(), cpi.clone())?;
        // Collected once: V6 and V7's bridge both read the matched movies.
        let movies = rule(progress, &stage("V5 matched movies"), matched.movies)?;
        let genres = movies.select(["id", "genres"])?;
        let movies = rules::constant_dollars(movies.lazy(), base.clone().lazy());
        let movies = rule(progress, &stage("V6 constant dollars"), movies)?;
        let counts = rule(progress, &stage("V5 match counts"), matched.counts)?;
        Ok((movies, (genres, counts)))
    })?;
    let (mut movies, rest): (Vec<_>, Vec<_>) = matched.into_iter().unzip();
    let (genres, mut match_counts): (Vec<_>, Vec<_>) = rest.into_iter().unzip();
    let (movies_enriched, match_counts) = if passes == 1 {
        (movies.remove(0), match_counts.remove(0))
    } else {
        (
            rule(
                progress,
                "V5-V6 passes in movie_id order",
                rules::by_movie(movies)?,
            )?,
            rule(
                progress,
                "V5 match counts of the passes",
                rules::summed_counts(match_counts)?,
            )?,
        )
    };
    let enriched = movies_enriched.clone().lazy();
    let genres: Vec<LazyFrame> = genres.into_iter().map(IntoLazy::lazy).collect();
    let movie_genres = rule(
        progress,
        "V7 movie genres",
        rules::movie_genres(concat(genres, UnionArgs::default())?),
    )?;
    Ok(RuleTables {
        genre_revenue: rule(
            progress,
            "V7 genre revenue",
            rules::genre_revenue(movie_genres.clone().lazy(), enriched.clone()),
        )?,
        director_revenue: rule(
            progress,
            "V7 director revenue",
            rules::director_revenue(enriched.clone()),
        )?,
        yearly_revenue: rule(
            progress,
            "V7 yearly revenue",
            rules::yearly_revenue(enriched),
        )?,
        movies_enriched,
        movie_genres,
        match_counts,
    })
}

/// The quarantine summary and the counts beside the rules' tables, then V8 (the
/// files) and V9 (the DuckDB serving file over them).
fn publish(
    paths: &DomainPaths,
    duckdb: &DuckDb,
    validated: Validated,
    tables: RuleTables,
    progress: &mut Progress,
) -> Result<MoviesOutputs> {
    let counts = validated.counts;
    let outputs = MoviesOutputs {
        quarantine_summary: summarize_quarantines(&counts, |table| {
            scan_parquet(&paths.quarantine(table))
        })?,
        table_counts: table_counts(&counts)?,
        movies_enriched: tables.movies_enriched,
        movie_genres: tables.movie_genres,
        genre_revenue: tables.genre_revenue,
        director_revenue: tables.director_revenue,
        yearly_revenue: tables.yearly_revenue,
        match_counts: tables.match_counts,
        base_month: validated.base_month,
        base_cpi: validated.base_cpi,
        notices: paths.reading.notices.all(),
    };
    write_tables_partitioned(
        &paths.processed,
        &outputs.tables(),
        &[("movies_enriched", &outputs.movies_enriched, "release_year")],
        |dir| {
            progress.done("V8 write outputs", None);
            let tables = outputs.tables().map(|(name, _)| name);
            let built = serving::build(duckdb, dir, &tables)?;
            progress.done("V9 serving file", None);
            Ok(built)
        },
    )?;
    Ok(outputs)
}

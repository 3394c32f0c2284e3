//! The movies rules wired from the repaired catalogues and the validated CPI to the
//! output tables as one lazy plan per output, with no local strategy (no passes over
//! runtimes): the form an engine other than the local one runs ([`crate::remote`]).
//!
//! V2's text repair (mojibake, NFKC, name characters) is Rust code that SQL cannot
//! say, so another engine starts from the repaired catalogues
//! ([`rules::repaired_tmdb`], [`rules::repaired_imdb`]); everything after it (V3–V7)
//! is translated. The local pipeline ([`super::pipeline`]) computes the same tables
//! from the same rules.

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;

/// The tables the rules read on another engine: the repaired TMDB and IMDB rows and
/// the validated CPI.
pub const INPUTS: [&str; 3] = ["tmdb_repaired", "imdb_repaired", "cpi"];

/// The movies output tables but `quarantine_summary` (which validation makes), as
/// plans over `table(name)` for each name of [`INPUTS`], with the CPI of
/// `base_month` (yyyymm; the last month with a value when `None`) as the base of the
/// constant dollars.
///
/// # Errors
/// When `table` fails for an input, or a rule cannot be planned.
pub fn output_plans(
    table: &mut dyn FnMut(&str) -> Result<LazyFrame>,
    base_month: Option<i32>,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let cpi = table("cpi")?;
    let matched = rules::match_catalogues(
        rules::deduplicated_tmdb(table("tmdb_repaired")?)?,
        rules::deduplicated_imdb(table("imdb_repaired")?)?,
        cpi.clone(),
    )?;
    let genres = rules::movie_genres(matched.movies.clone());
    let enriched = rules::constant_dollars(matched.movies, rules::base_cpi(cpi, base_month));
    Ok(vec![
        ("movies_enriched", enriched.clone()),
        ("movie_genres", genres.clone()),
        (
            "genre_revenue",
            rules::genre_revenue(genres, enriched.clone()),
        ),
        (
            "director_revenue",
            rules::director_revenue(enriched.clone()),
        ),
        ("yearly_revenue", rules::yearly_revenue(enriched)),
        ("match_counts", matched.counts),
    ])
}

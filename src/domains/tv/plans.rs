//! The TV rules wired from the validated tables to the output tables as one lazy
//! plan per output, with no local strategy (no pair parts, no integer keys, no
//! collected intermediate): the form an engine other than the local one runs
//! ([`crate::remote`]). The local pipeline ([`super::pipeline`]) computes the same
//! tables from the same rules with its single-machine strategies.

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;

/// The validated tables the TV rules read (the T1 valid rows, named as
/// [`crate::io::DomainPaths::valid`] names them).
pub const INPUTS: [&str; 4] = ["programs", "demographics", "reference", "viewing"];

/// The TV output tables but `quarantine_summary` (which validation makes) and those
/// of [`finish_plans`], as plans over the validated tables `valid(name)` for each
/// name of [`INPUTS`].
///
/// # Errors
/// When `valid` fails for a table, or a rule cannot be planned.
pub fn output_plans(
    valid: &mut dyn FnMut(&str) -> Result<LazyFrame>,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let programs = valid("programs")?;
    let demographics = rules::clean_demographics(valid("demographics")?)?;
    let cleaned = rules::clean_reference(valid("reference")?, demographics.clone())?;
    let reference = cleaned.table;
    let program_table = rules::program_table(programs.clone());
    let pairs = rules::viewing_pairs(valid("viewing")?);
    let genre_reach = rules::genre_reach(pairs.clone(), reference.clone(), program_table.clone())?;
    let wealth = rules::wealth(reference.clone(), demographics.clone());
    Ok(vec![
        ("program_clashes", rules::program_clashes(programs)?),
        ("top_markets", rules::top_markets(reference.clone())?),
        ("genre_reach", genre_reach.clone()),
        ("top_genres", rules::top_genres(genre_reach.clone())),
        ("wealth", wealth.clone()),
        // Not an output table: the report's count of what T5 dropped.
        ("reference_cleaning", cleaned.dropped),
        (
            "program_popularity",
            rules::program_popularity(pairs.clone(), program_table)?,
        ),
        (
            "market_potential",
            rules::market_potential(reference, demographics, rules::device_events(pairs), wealth)?,
        ),
    ])
}

/// The TV output tables made from other output tables (`output(name)`):
/// `wealthy_market_genres` (T9), a walk over at most ten markets whose every step
/// depends on all earlier ones, which a SQL engine would inline into a query that
/// doubles with each step.
///
/// # Errors
/// When `output` fails for `wealth` or `genre_reach`, or the rule cannot be planned.
pub fn finish_plans(
    output: &mut dyn FnMut(&str) -> Result<LazyFrame>,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let wealthy = rules::wealthy_markets(output("wealth")?);
    Ok(vec![(
        "wealthy_market_genres",
        rules::wealthy_market_genres(wealthy, output("genre_reach")?)?,
    )])
}

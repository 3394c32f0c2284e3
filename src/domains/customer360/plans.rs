//! The Customer 360 rules wired from the validated tables to the output tables as one
//! lazy plan per output, with no local strategy (no content buckets, no collected
//! intermediate): the form an engine other than the local one runs
//! ([`crate::remote`]). The local pipeline ([`super::pipeline`]) computes the same
//! tables from the same rules.

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;

/// The validated tables the rules read: the content rows (C1), the search rows (C8),
/// the keyword mapping (C10) and the contract–user link (C12).
pub const INPUTS: [&str; 4] = ["content", "search", "mapping", "contract_users"];

/// What a run is asked about: the period's length in days (which scales the
/// activeness bounds, C6) and the two months C11 compares (the last two present when
/// `None`).
#[derive(Clone, Copy, Debug)]
pub struct PlanOptions {
    pub period_days: i64,
    pub months: Option<(i32, i32)>,
}

/// The output tables of C2–C10, which read every content and search row:
/// `customer_profile`, `segment_summary` and `search_top_keyword`, as plans over the
/// validated `valid("content")`, `valid("search")` and `valid("mapping")`, with the
/// activeness bounds scaled for `period_days` (C6).
///
/// # Errors
/// When `valid` fails for a table, or a rule cannot be planned.
pub fn profile_plans(
    valid: &mut dyn FnMut(&str) -> Result<LazyFrame>,
    period_days: i64,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let aggregates = rules::contract_aggregates(valid("content")?);
    let profile = rules::segment_customers(rules::profile_contracts(aggregates, period_days)?);
    let categories = rules::keyword_categories(valid("mapping")?)?;
    let top = rules::top_keywords(rules::search_events(valid("search")?), categories)?;
    Ok(vec![
        ("customer_profile", profile.clone()),
        ("segment_summary", rules::segment_summary(profile)),
        ("search_top_keyword", top),
    ])
}

/// The Customer 360 output tables but `quarantine_summary` (which validation makes),
/// as plans over the validated tables `valid(name)` for each name of [`INPUTS`]: the
/// [`profile_plans`], then `customer_360` and `search_trend` (C11, C12).
///
/// # Errors
/// When `valid` fails for a table, or a rule cannot be planned.
pub fn output_plans(
    valid: &mut dyn FnMut(&str) -> Result<LazyFrame>,
    options: PlanOptions,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let mut plans = profile_plans(valid, options.period_days)?;
    let plan = |name: &str| {
        plans
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, plan)| plan.clone())
            .ok_or_else(|| anyhow::anyhow!("no {name} among the profile plans"))
    };
    let (profile, top) = (plan("customer_profile")?, plan("search_top_keyword")?);
    let trend = rules::search_trend_of(top, options.months)?;
    plans.extend([
        (
            "customer_360",
            rules::customer_360(valid("contract_users")?, profile, trend.clone()),
        ),
        ("search_trend", trend),
    ]);
    Ok(plans)
}

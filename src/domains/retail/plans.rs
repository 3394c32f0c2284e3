//! The retail rules wired from the validated invoice lines to the output tables as
//! one lazy plan per output, with no local strategy (no passes over invoice parts):
//! the form an engine other than the local one runs ([`crate::remote`]). The local
//! pipeline ([`super::pipeline`]) computes the same tables from the same rules.

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;
use super::tables::LINES;

/// The retail output tables but `quarantine_summary` (which validation makes), and the
/// report's `exclusions` ([`rules::exclusions`]), as plans over the validated invoice
/// lines `valid("online_retail")`.
///
/// # Errors
/// When `valid` fails, or a rule cannot be planned.
pub fn output_plans(
    valid: &mut dyn FnMut(&str) -> Result<LazyFrame>,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let months = rules::invoice_months(valid(LINES)?);
    let rfm = rules::rfm(months.clone())?;
    Ok(vec![
        ("invoice_size", rules::invoice_size(months.clone())?),
        ("monthly_orders", rules::monthly_orders(months.clone())),
        ("monthly_sales", rules::monthly_sales(months.clone())),
        (
            "monthly_customers",
            rules::monthly_customers(months.clone()),
        ),
        (
            "cohort_retention",
            rules::cohort_table(months.clone(), rules::last_month(months.clone())),
        ),
        ("rfm_segments", rules::rfm_segments(rfm.clone())),
        ("rfm", rfm),
        ("exclusions", rules::exclusions(months)?),
    ])
}

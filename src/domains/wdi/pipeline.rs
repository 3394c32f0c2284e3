//! The WDI pipeline: raw wide or long files → the validated long table → the three
//! output tables.
//!
//! Stages, in order:
//!
//! 1. find the files (the wide `WDIData*.csv`, `WDICSV*.csv` and `API_*.csv`, else
//!    the long `wdi*.csv`, names in any case; see [`super::tables`]), unpivot the
//!    wide layout lazily, each file after its own preamble, drop the empty values
//!    (counted) and validate the rest (W1), streaming the valid rows to
//!    `<interim>/wdi.parquet` (the catalog's `wdi`, W5) and the quarantine to
//!    `<interim>/quarantine/wdi.parquet`, and keeping the chosen indicator's valid
//!    rows in memory, which is all W2–W4 read;
//! 2. check that the chosen country and indicator have values;
//! 3. W2–W4 on the indicator's rows, written as Parquet + CSV under `<processed>/`
//!    with a `_SUCCESS` manifest.

use anyhow::{bail, Context, Result};
use polars::prelude::{col, df, len, DataFrame, DataType, IntoLazy, LazyFrame};

use super::rules::{self, DEFAULT_COUNTRY, DEFAULT_INDICATOR};
use super::tables::{self, long_schema, VALUE, WDI};
use crate::io::{
    collect_streaming, scan_parquet, validate_to_parquet_and_aggregate, write_tables, DomainPaths,
    ValidAggregate,
};
use crate::progress::Progress;
use crate::schema::{quarantine_summary, table_counts, LAYOUT_ERROR};
use crate::transforms::drop_empty;
use crate::values;

pub use super::datasets::WdiOutputs;

/// The domain's name: its folders and report.
pub const DOMAIN: &str = "wdi";

/// The country and indicator a run is about (`--country`, `--indicator`); the
/// defaults (Canada, GDP growth) when `None`.
#[derive(Clone, Debug, Default)]
pub struct WdiOptions {
    pub country: Option<String>,
    pub indicator: Option<String>,
}

impl WdiOptions {
    pub fn country(&self) -> &str {
        self.country.as_deref().unwrap_or(DEFAULT_COUNTRY)
    }

    pub fn indicator(&self) -> &str {
        self.indicator.as_deref().unwrap_or(DEFAULT_INDICATOR)
    }
}

/// Runs the WDI pipeline and writes its interim and output tables. A country or
/// indicator given in `options` that has no value in the data is an error listing
/// what there is; with the defaults, the tables are empty and a notice says why.
///
/// # Errors
/// When no indicator file is found or one cannot be read, a given `--country` or
/// `--indicator` has no values (the message lists what there is), or a table cannot
/// be written.
pub fn run(
    paths: &DomainPaths,
    options: &WdiOptions,
    progress: &mut Progress,
) -> Result<WdiOutputs> {
    run_with(paths, options, progress, &mut |wdi, progress| {
        let [(_, country_series), (_, indicator_panel), (_, peak_year)] =
            super::plans::outputs(wdi, options)?;
        let tables = [
            collect_streaming(country_series, "country_series (W2)")?,
            collect_streaming(indicator_panel, "indicator_panel (W3)")?,
            collect_streaming(peak_year, "peak_year (W4)")?,
        ];
        progress.done("rules W2-W4", Some(tables[1].height() as u64));
        Ok(tables)
    })
}

/// The WDI pipeline with its rules on a Spark Connect engine (`report --engine
/// spark`): W1 validates here into `paths.interim`, which the engine must see at the
/// same path; W2–W4 run there ([`crate::remote::DomainRules::wdi`]).
///
/// # Errors
/// As [`run`], and when the engine cannot read the validated table or a query fails
/// on it (the message names the table).
#[cfg(feature = "spark")]
pub fn run_on(
    paths: &DomainPaths,
    options: &WdiOptions,
    engine: &crate::remote::engine::SparkEngine,
    progress: &mut Progress,
) -> Result<WdiOutputs> {
    run_with(paths, options, progress, &mut |_, progress| {
        let rules = crate::remote::DomainRules::wdi(options.clone())?;
        let mut tables = crate::remote::run_rules_on(engine, &rules, paths, progress)?;
        let mut take = |name: &str| crate::remote::take(&mut tables, name);
        Ok([
            take("country_series")?,
            take("indicator_panel")?,
            take("peak_year")?,
        ])
    })
}

/// The three W2–W4 tables (`country_series`, `indicator_panel`, `peak_year`) of the
/// validated long table, however they are computed; given the table's rows of the
/// chosen indicator, which is all the rules read of it.
type RuleTables<'a> = dyn FnMut(LazyFrame, &mut Progress) -> Result<[DataFrame; 3]> + 'a;

/// W1 here, keeping the chosen indicator's valid rows as the long table is written,
/// then `rules` on those rows, then the outputs written.
fn run_with(
    paths: &DomainPaths,
    options: &WdiOptions,
    progress: &mut Progress,
    rules: &mut RuleTables<'_>,
) -> Result<WdiOutputs> {
    // Empty values (nothing, or whitespace only) are left out and counted: the wide
    // files' cells as they are unpivoted, the long files' rows here.
    let dropped = &paths.reading.dropped_cells;
    let dropped_before = dropped.get();
    let raw = tables::indicators().scan(&paths.raw, &paths.reading)?;
    let raw = drop_empty(raw, VALUE, LAYOUT_ERROR, dropped);
    // The readers' notices (ignored files, text that is not UTF-8), then the run's.
    let mut notices = paths.reading.notices.all();
    let (country, indicator) = (options.country(), options.indicator());
    // Every rule reads the chosen indicator's rows only: they are kept as the long
    // table is written, instead of read back from it.
    let of_indicator: ValidAggregate =
        Box::new(|valid| Ok(valid.filter(rules::is_indicator(indicator))));
    let (count, kept) = validate_to_parquet_and_aggregate(
        raw,
        &long_schema(),
        &[],
        &paths.valid(WDI),
        &paths.quarantine(WDI),
        &paths.reading.notices,
        vec![of_indicator],
    )?;
    let empty_values = dropped.get() - dropped_before;
    progress.done(
        "validate the long table (W1)",
        Some(count.rows_in() + empty_values),
    );

    let of_indicator = kept
        .into_iter()
        .next()
        .context("the validation returned no rows of the indicator")?
        .lazy();
    let indicator_name = match check_selection(of_indicator.clone(), options, || {
        scan_parquet(&paths.valid(WDI))
    })? {
        Ok(name) => name,
        Err(missing) => {
            notices.push(missing);
            indicator.to_string()
        }
    };
    let [country_series, indicator_panel, peak_year] = rules(of_indicator, progress)?;
    let outputs = WdiOutputs {
        country_series,
        indicator_panel,
        peak_year,
        quarantine_summary: collect_streaming(
            quarantine_summary(vec![(WDI, scan_parquet(&paths.quarantine(WDI))?)])?,
            "the quarantine summary",
        )?,
        table_counts: table_counts(&[count])?,
        empty_values,
        country: country.to_string(),
        indicator: indicator.to_string(),
        indicator_name,
        notices,
    };
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// The indicator's name when the chosen country and indicator both have values,
/// given the indicator's rows of the long table (`of_indicator`) and the whole
/// table (`wdi`, read only when the indicator has no rows). Otherwise: an error
/// when the missing one was given explicitly, else `Err` with a notice. Either
/// message lists some of the countries or indicators present.
fn check_selection(
    of_indicator: LazyFrame,
    options: &WdiOptions,
    wdi: impl FnOnce() -> Result<LazyFrame>,
) -> Result<Result<String, String>> {
    let (country, indicator) = (options.country(), options.indicator());
    let names = collect_streaming(
        of_indicator.clone().select([
            len().alias("rows"),
            col("indicatorName").first().cast(DataType::String),
        ]),
        "the indicator's name",
    )?;
    let missing = if values::u64s(&names, "rows", 0)?[0] == 0 {
        let present = some_values(wdi()?, "indicatorCode")?;
        Some((
            options.indicator.is_some(),
            format!("no value of the indicator `{indicator}` in the data; indicators present include: {present}"),
        ))
    } else {
        let rows = collect_streaming(
            of_indicator
                .clone()
                .filter(rules::is_country(country))
                .select([len().alias("rows")]),
            "the country's rows",
        )?;
        if values::u64s(&rows, "rows", 0)?[0] == 0 {
            let present = some_values(of_indicator, "countryName")?;
            Some((
                options.country.is_some(),
                format!("no value of `{indicator}` for the country `{country}`; countries with it include: {present}"),
            ))
        } else {
            None
        }
    };
    match missing {
        Some((true, message)) => bail!("{message}. Consider --country or --indicator"),
        Some((false, message)) => Ok(Err(message)),
        None => {
            let name = values::texts(&names, "indicatorName", "")?;
            Ok(Ok(name
                .into_iter()
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| indicator.to_string())))
        }
    }
}

/// Up to ten distinct values of `column`, sorted, joined for a message.
fn some_values(wdi: LazyFrame, column: &str) -> Result<String> {
    let distinct = collect_streaming(
        wdi.select([col(column)])
            .unique(None, Default::default())
            .sort([column], Default::default())
            .limit(10),
        "the values present",
    )?;
    let found = values::texts(&distinct, column, "(null)")?;
    Ok(if found.is_empty() {
        "none (the table is empty)".to_string()
    } else {
        // Quoted, since names hold commas (`Korea, Rep.`).
        let quoted: Vec<String> = found.iter().map(|value| format!("`{value}`")).collect();
        quoted.join(", ")
    })
}

/// The exclusions a report shows: W1's dropped empty values.
///
/// # Errors
/// When the frame cannot be built (Polars error; not expected).
pub fn exclusions(outputs: &WdiOutputs) -> Result<DataFrame> {
    Ok(df!(
        "rule" => ["W1"],
        "left_out" => ["empty indicator values (no value for that country, indicator and year)"],
        "rows" => [outputs.empty_values],
    )?)
}

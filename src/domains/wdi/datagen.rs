//! Synthetic World Development Indicators, deterministic for a seed, streamed to
//! disk one series at a time.
//!
//! Shape: real country names and codes (several holding commas, such as
//! `Korea, Rep.`) and regional aggregates, then numbered synthetic countries when
//! more rows are asked for; twelve real indicators. Series start in different years,
//! have scattered missing years and sometimes stop early; some countries have no
//! value at all for a level or share indicator (an all-empty row, as in the
//! download), while every country has its growth and inflation rates. Growth
//! rates follow a random walk around the country's trend with world-wide shocks
//! (1975, 1982, 2009, 2020); levels grow; percentages stay in range. A few growth
//! values are exactly zero.
//!
//! Layouts: wide `WDIData.csv` as downloaded (every field quoted, a trailing comma)
//! or long `wdi.csv`.
//!
//! Faults, counted in [`GenSummary::faults`]: malformed values (`..`, `n/a`, `1.2.3`)
//! quarantined as `indicatorValue|dtype`; empty values are counted as
//! `empty_values` (W1 drops them) and exact zeros as `zero_values`.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::tables::WDI;
use crate::io::{create_file, create_folder};
use crate::synth::{csv_field, GenSummary, Synth};

/// What to generate.
#[derive(Clone, Debug)]
pub struct WdiGenConfig {
    /// Wide rows: (country, indicator) series. Countries are added past the real
    /// ones as needed.
    pub series: u64,
    pub first_year: i32,
    pub last_year: i32,
    /// Write the long layout (`wdi.csv`) instead of the wide download.
    pub long: bool,
    pub seed: u64,
}

/// Real countries and aggregates: name, code.
const COUNTRIES: [(&str, &str); 40] = [
    ("Arab World", "ARB"),
    ("Euro area", "EMU"),
    ("High income", "HIC"),
    ("Sub-Saharan Africa", "SSF"),
    ("World", "WLD"),
    ("Argentina", "ARG"),
    ("Australia", "AUS"),
    ("Bahamas, The", "BHS"),
    ("Brazil", "BRA"),
    ("Canada", "CAN"),
    ("Chile", "CHL"),
    ("China", "CHN"),
    ("Congo, Dem. Rep.", "COD"),
    ("Egypt, Arab Rep.", "EGY"),
    ("France", "FRA"),
    ("Gambia, The", "GMB"),
    ("Germany", "DEU"),
    ("Hong Kong SAR, China", "HKG"),
    ("India", "IND"),
    ("Indonesia", "IDN"),
    ("Iran, Islamic Rep.", "IRN"),
    ("Italy", "ITA"),
    ("Japan", "JPN"),
    ("Kenya", "KEN"),
    ("Korea, Rep.", "KOR"),
    ("Mexico", "MEX"),
    ("Netherlands", "NLD"),
    ("Nigeria", "NGA"),
    ("Norway", "NOR"),
    ("Poland", "POL"),
    ("Saudi Arabia", "SAU"),
    ("South Africa", "ZAF"),
    ("Spain", "ESP"),
    ("Sweden", "SWE"),
    ("Turkiye", "TUR"),
    ("United Kingdom", "GBR"),
    ("United States", "USA"),
    ("Venezuela, RB", "VEN"),
    ("Viet Nam", "VNM"),
    ("Yemen, Rep.", "YEM"),
];

/// How an indicator's values behave.
#[derive(Clone, Copy)]
enum Kind {
    /// A rate around a trend, in percent (growth, inflation).
    Rate { trend: f64, spread: f64 },
    /// A level that grows from a base by a yearly rate.
    Level { base: f64, growth: f64 },
    /// A share in percent, drifting within [low, high].
    Share { low: f64, high: f64 },
}

const INDICATORS: [(&str, &str, Kind); 12] = [
    (
        "GDP growth (annual %)",
        "NY.GDP.MKTP.KD.ZG",
        Kind::Rate {
            trend: 3.0,
            spread: 2.5,
        },
    ),
    (
        "GDP (current US$)",
        "NY.GDP.MKTP.CD",
        Kind::Level {
            base: 2.0e10,
            growth: 0.06,
        },
    ),
    (
        "Population, total",
        "SP.POP.TOTL",
        Kind::Level {
            base: 1.5e7,
            growth: 0.015,
        },
    ),
    (
        "Life expectancy at birth, total (years)",
        "SP.DYN.LE00.IN",
        Kind::Share {
            low: 40.0,
            high: 85.0,
        },
    ),
    (
        "Inflation, consumer prices (annual %)",
        "FP.CPI.TOTL.ZG",
        Kind::Rate {
            trend: 5.0,
            spread: 4.0,
        },
    ),
    (
        "Unemployment, total (% of total labor force) (modeled ILO estimate)",
        "SL.UEM.TOTL.ZS",
        Kind::Share {
            low: 1.0,
            high: 30.0,
        },
    ),
    (
        "CO2 emissions (metric tons per capita)",
        "EN.ATM.CO2E.PC",
        Kind::Level {
            base: 3.0,
            growth: 0.01,
        },
    ),
    (
        "Access to electricity (% of population)",
        "EG.ELC.ACCS.ZS",
        Kind::Share {
            low: 5.0,
            high: 100.0,
        },
    ),
    (
        "Exports of goods and services (% of GDP)",
        "NE.EXP.GNFS.ZS",
        Kind::Share {
            low: 5.0,
            high: 80.0,
        },
    ),
    (
        "Adjusted savings: carbon dioxide damage (current US$)",
        "NY.ADJ.DCO2.CD",
        Kind::Level {
            base: 1.0e8,
            growth: 0.05,
        },
    ),
    (
        "Urban population (% of total population)",
        "SP.URB.TOTL.IN.ZS",
        Kind::Share {
            low: 10.0,
            high: 95.0,
        },
    ),
    (
        "Fertility rate, total (births per woman)",
        "SP.DYN.TFRT.IN",
        Kind::Share {
            low: 1.1,
            high: 7.5,
        },
    ),
];

/// Years of world-wide shocks to growth rates, with their size in points.
const SHOCKS: [(i32, f64); 4] = [(1975, -2.5), (1982, -2.0), (2009, -4.5), (2020, -6.0)];
const BAD_VALUES: [&str; 3] = ["..", "n/a", "1.2.3"];

/// Writes the indicator table under `out` and returns what was written.
///
/// # Errors
/// When `config.last_year` is before `config.first_year`, or `out` or the table file
/// cannot be created or written (the message names the path).
pub fn generate(out: &Path, config: &WdiGenConfig) -> Result<GenSummary> {
    if config.last_year < config.first_year {
        bail!(
            "the last year {} is before the first year {}",
            config.last_year,
            config.first_year
        );
    }
    create_folder(out)?;
    let path = out.join(if config.long {
        "wdi.csv"
    } else {
        "WDIData.csv"
    });
    let mut writer = create_file(&path)?;
    let years: Vec<i32> = (config.first_year..=config.last_year).collect();
    if config.long {
        writeln!(
            writer,
            "year,countryName,countryCode,indicatorName,indicatorCode,indicatorValue"
        )?;
    } else {
        let year_columns: Vec<String> = years.iter().map(|y| format!("\"{y}\"")).collect();
        writeln!(
            writer,
            "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",{},",
            year_columns.join(",")
        )?;
    }
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    let countries = config.series.div_ceil(INDICATORS.len() as u64);
    let mut written = 0u64;
    'countries: for c in 0..countries {
        let (name, code) = country(c as usize);
        // The country's own pace: faster or slower than the indicator's trend.
        let pace = synth.log_normal(1.0, 0.35);
        for (indicator_name, indicator_code, kind) in INDICATORS {
            if written == config.series {
                break 'countries;
            }
            let cells = series(&years, kind, pace, &mut synth, &mut summary);
            if config.long {
                for (year, cell) in years.iter().zip(&cells) {
                    writeln!(
                        writer,
                        "{year},{},{code},{},{indicator_code},{cell}",
                        csv_field(&name),
                        csv_field(indicator_name)
                    )?;
                }
            } else {
                let quoted: Vec<String> = cells.iter().map(|cell| format!("\"{cell}\"")).collect();
                writeln!(
                    writer,
                    "\"{name}\",\"{code}\",\"{indicator_name}\",\"{indicator_code}\",{},",
                    quoted.join(",")
                )?;
            }
            written += 1;
        }
    }
    writer
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    summary.rows.insert(WDI, written * years.len() as u64);
    Ok(summary)
}

/// Country `i`: a real one, then `Country NNNN` with code `XNNNN`.
fn country(i: usize) -> (String, String) {
    match COUNTRIES.get(i) {
        Some((name, code)) => (name.to_string(), code.to_string()),
        None => (format!("Country {i:04}"), format!("X{i:04}")),
    }
}

/// One series' cells as text, one per year: values, empty cells and faults.
fn series(
    years: &[i32],
    kind: Kind,
    pace: f64,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Vec<String> {
    // One series in twelve has no value at all, except growth rates: the headline
    // indicators are there for every country.
    let absent = synth.chance(1.0 / 12.0) && !matches!(kind, Kind::Rate { .. });
    let start = years[0] + synth.below(0, 36) as i32;
    let stop = years[years.len() - 1]
        - if synth.chance(0.2) {
            synth.below(1, 4) as i32
        } else {
            0
        };
    let mut state = match kind {
        Kind::Rate { trend, .. } => trend * pace,
        Kind::Level { base, .. } => base * synth.log_normal(1.0, 1.0),
        Kind::Share { low, high } => low + (high - low) * synth.unit(),
    };
    years
        .iter()
        .map(|&year| {
            let value = next_value(&mut state, kind, pace, year, synth);
            let present = !absent && year >= start && year <= stop && !synth.chance(0.05);
            if !present {
                summary.fault(WDI, "empty_values");
                return String::new();
            }
            if synth.chance(0.002) {
                summary.fault(WDI, "indicatorValue|dtype");
                return synth.pick(&BAD_VALUES).to_string();
            }
            if matches!(kind, Kind::Rate { .. }) && synth.chance(0.004) {
                summary.fault(WDI, "zero_values");
                return "0".to_string();
            }
            format_value(value)
        })
        .collect()
}

/// Moves the series one year on and returns its value.
fn next_value(state: &mut f64, kind: Kind, pace: f64, year: i32, synth: &mut Synth) -> f64 {
    let noise = synth.log_normal(1.0, 1.0).ln(); // a standard normal draw
    match kind {
        Kind::Rate { trend, spread } => {
            let shock: f64 = SHOCKS
                .iter()
                .filter(|(y, _)| *y == year)
                .map(|(_, size)| size)
                .sum();
            // Mean-reverting towards the country's trend.
            *state += 0.5 * (trend * pace - *state) + 0.6 * spread * noise;
            *state + shock
        }
        Kind::Level { growth, .. } => {
            *state *= 1.0 + growth * pace + 0.03 * noise;
            *state
        }
        Kind::Share { low, high } => {
            *state = (*state + 0.02 * (high - low) * noise).clamp(low, high);
            *state
        }
    }
}

/// A value as the download writes it: up to 12 significant digits.
fn format_value(value: f64) -> String {
    let rounded = format!("{value:.12e}").parse::<f64>().unwrap_or(value);
    rounded.to_string()
}

//! The WDI pipeline end to end: the wide download unpivoted (quoted commas, a
//! trailing comma, empty cells dropped and counted, bad values quarantined), the long
//! layout giving the same tables, invariants and faults on generated data, the
//! `--country/--indicator` parameters and their errors, and the command line.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use smartview::domains::wdi::{self, datagen, WdiOptions};
use smartview::io::{scan_parquet, DomainPaths};
use smartview::progress::Progress;
use smartview::synth::GenSummary;
use smartview::values;

fn generate(raw: &Path, series: u64, long: bool) -> Result<GenSummary> {
    datagen::generate(
        raw,
        &datagen::WdiGenConfig {
            series,
            first_year: 1960,
            last_year: 2020,
            long,
            seed: 5,
        },
    )
}

fn run(paths: &DomainPaths, options: &WdiOptions) -> Result<wdi::WdiOutputs> {
    wdi::run(paths, options, &mut Progress::new("wdi", true))
}

const WIDE: &str = "\u{FEFF}\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"1960\",\"1961\",\"1962\",
\"Canada\",\"CAN\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"\",\"3.5\",\"7.1\",
\"Korea, Rep.\",\"KOR\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"6.9\",\"..\",\"3.9\",
\"Korea, Rep.\",\"KOR\",\"Population, total\",\"SP.POP.TOTL\",\"25012374\",\"\",\"\",
";

#[test]
fn w1_the_wide_download_is_unpivoted_with_empties_dropped_and_bad_values_quarantined() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::write(paths.raw.join("WDIData.csv"), WIDE)?;
    let outputs = run(&paths, &WdiOptions::default())?;

    // 3 lines × 3 years = 9 cells: 3 empty (dropped), 1 `..` (quarantined), 5 kept.
    assert_eq!(outputs.empty_values, 3);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_in", 0)?, [6]);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_valid", 0)?, [5]);
    assert_eq!(
        values::texts(&outputs.quarantine_summary, "reason", "")?,
        ["indicatorValue|dtype"]
    );
    let quarantine = scan_parquet(&paths.quarantine("wdi"))?.collect()?;
    assert_eq!(
        values::u64s(&quarantine, "line", 0)?,
        [3],
        "Korea's growth line"
    );
    assert_eq!(values::texts(&quarantine, "year", "")?, ["1961"]);

    let long = scan_parquet(&paths.valid("wdi"))?.collect()?;
    assert_eq!(
        values::texts(&long, "countryName", "")?,
        [
            "Canada",
            "Canada",
            "Korea, Rep.",
            "Korea, Rep.",
            "Korea, Rep."
        ]
    );
    assert_eq!(
        values::u64s(&long, "year", 0)?,
        [1961, 1962, 1960, 1962, 1960]
    );
    assert_eq!(
        values::f64s(&long, "indicatorValue")?,
        [Some(3.5), Some(7.1), Some(6.9), Some(3.9), Some(25012374.0)]
    );

    // W2 for the default Canada and GDP growth; W3 and W4 over both countries.
    assert_eq!(
        values::u64s(&outputs.country_series, "year", 0)?,
        [1961, 1962]
    );
    assert_eq!(
        values::texts(&outputs.indicator_panel, "countryName", "")?,
        ["Canada", "Canada", "Korea, Rep.", "Korea, Rep."]
    );
    assert_eq!(
        values::texts(&outputs.peak_year, "countryName", "")?,
        ["Canada", "Korea, Rep."]
    );
    assert_eq!(values::u64s(&outputs.peak_year, "year", 0)?, [1962, 1960]);
    assert_eq!(outputs.indicator_name, "GDP growth (annual %)");
    Ok(())
}

#[test]
fn the_long_layout_gives_the_same_tables_as_the_wide_one() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wide = DomainPaths::in_folder(&dir.path().join("wide"));
    let long = DomainPaths::in_folder(&dir.path().join("long"));
    let from_wide = generate(&wide.raw, 300, false)?;
    let from_long = generate(&long.raw, 300, true)?;
    assert_eq!(from_wide.faults, from_long.faults, "the same values");
    assert!(long.raw.join("wdi.csv").is_file() && wide.raw.join("WDIData.csv").is_file());
    let options = WdiOptions {
        country: Some("KOR".into()),
        indicator: Some("SP.POP.TOTL".into()),
    };
    let a = run(&wide, &options)?;
    let b = run(&long, &options)?;
    for ((name, left), (_, right)) in a.tables().iter().zip(b.tables().iter()) {
        assert!(left.height() > 0, "{name}");
        assert!(left.equals_missing(right), "{name}:\n{left}\n{right}");
    }
    assert_eq!(a.empty_values, b.empty_values);
    assert!(a.quarantine_summary.equals(&b.quarantine_summary));
    Ok(())
}

#[test]
fn generated_values_are_all_counted_and_bad_ones_quarantined() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    let injected = generate(&paths.raw, 300, false)?;
    let outputs = run(&paths, &WdiOptions::default())?;
    let rows_in = values::u64s(&outputs.table_counts, "rows_in", 0)?[0];
    let valid = values::u64s(&outputs.table_counts, "rows_valid", 0)?[0];
    let bad = values::u64s(&outputs.table_counts, "rows_quarantined", 0)?[0];
    assert_eq!(rows_in, valid + bad);
    assert_eq!(rows_in + outputs.empty_values, injected.rows["wdi"]);
    assert_eq!(
        outputs.empty_values,
        injected.faults_of("wdi", "empty_values")
    );
    assert_eq!(bad, injected.faults_of("wdi", "indicatorValue|dtype"));
    assert!(injected.faults_of("wdi", "zero_values") > 0);

    // Sorted outputs, one peak per country, never a zero.
    let years = values::u64s(&outputs.country_series, "year", 0)?;
    assert!(years.windows(2).all(|w| w[0] < w[1]));
    let peaks = &outputs.peak_year;
    let mut countries = values::texts(peaks, "countryName", "")?;
    let peak_values = values::f64s(peaks, "value")?;
    assert!(peak_values.iter().all(|v| v.is_some_and(|v| v != 0.0)));
    assert!(peak_values.windows(2).all(|w| w[0] >= w[1]));
    let n = countries.len();
    countries.sort();
    countries.dedup();
    assert_eq!(countries.len(), n);
    Ok(())
}

#[test]
fn an_explicit_country_or_indicator_without_values_is_an_error_listing_what_there_is() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::write(paths.raw.join("WDIData.csv"), WIDE)?;
    let ask = |country: &str, indicator: &str| {
        let options = WdiOptions {
            country: Some(country.into()),
            indicator: Some(indicator.into()),
        };
        run(&paths, &options)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default()
    };
    let error = ask("Canada", "NO.SUCH.CODE");
    assert!(
        error.contains("NO.SUCH.CODE") && error.contains("`NY.GDP.MKTP.KD.ZG`, `SP.POP.TOTL`"),
        "{error}"
    );
    let error = ask("Cnada", "NY.GDP.MKTP.KD.ZG");
    assert!(
        error.contains("Cnada") && error.contains("`Canada`, `Korea, Rep.`"),
        "{error}"
    );
    // By code and by name, both work.
    let outputs = run(
        &paths,
        &WdiOptions {
            country: Some("KOR".into()),
            indicator: Some("Population, total".into()),
        },
    )?;
    assert_eq!(values::u64s(&outputs.country_series, "year", 0)?, [1960]);

    // With the defaults, a missing country is a notice and empty tables.
    std::fs::write(
        paths.raw.join("WDIData.csv"),
        WIDE.replace("\"Canada\",\"CAN\"", "\"Chile\",\"CHL\""),
    )?;
    let outputs = run(&paths, &WdiOptions::default())?;
    assert_eq!(outputs.country_series.height(), 0);
    assert!(outputs.notices.iter().any(|n| n.contains("Canada")));
    Ok(())
}

#[test]
fn a_wide_file_without_its_key_columns_is_an_error_naming_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::write(
        paths.raw.join("WDIData.csv"),
        "\"Country\",\"1960\"\n\"Canada\",\"1\"\n",
    )?;
    let error = format!("{:#}", run(&paths, &WdiOptions::default()).err().unwrap());
    assert!(
        error.contains("WDIData.csv") && error.contains("Country Name"),
        "{error}"
    );
    Ok(())
}

#[test]
fn the_report_command_takes_the_country_and_indicator() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 300, false)?;
    let reports = dir.path().join("reports");
    let command = |country: &str| {
        Command::new(env!("CARGO_BIN_EXE_report"))
            .args([
                "--domain",
                "wdi",
                "--quiet",
                "--indicator",
                "FP.CPI.TOTL.ZG",
            ])
            .args(["--country", country])
            .arg("--raw")
            .arg(&raw)
            .arg("--out")
            .arg(dir.path().join("processed"))
            .arg("--interim")
            .arg(dir.path().join("interim"))
            .arg("--reports")
            .arg(&reports)
            .output()
    };
    let ok = command("Japan")?;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let html = std::fs::read_to_string(reports.join("wdi.html"))?;
    assert!(html.contains("Japan") && html.contains("Inflation, consumer prices (annual %)"));
    let bad = command("Atlantis")?;
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Atlantis"));
    Ok(())
}

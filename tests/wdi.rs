//! The WDI pipeline end to end: the wide download unpivoted (quoted commas, a
//! trailing comma, empty cells dropped and counted, bad values quarantined), the long
//! layout giving the same tables, invariants and faults on generated data, the
//! `--country/--indicator` parameters and their errors, and the command line.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
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

/// W1 on cells and year names as spreadsheets leave them: a cell of whitespace only
/// (spaces, a tab, a no-break space) is empty, dropped and counted like `""`, not
/// quarantined; a year name with whitespace around it is still a year; a named column
/// that is not a year is left out with a notice. Before, the blank cells were
/// quarantined and the padded years' values dropped without a word.
#[test]
fn w1_blank_cells_are_empty_and_padded_year_names_are_years() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    let wide = "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\" 1960\",\"1961\u{a0}\",\"1962\",\"Notes\",
\"Canada\",\"CAN\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"   \",\"3.5\",\"\t\",\"revised\",
\"Korea, Rep.\",\"KOR\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"6.9\",\"\u{a0}\",\" 3.9 \",\"\",
";
    std::fs::write(paths.raw.join("WDIData.csv"), wide)?;
    let outputs = run(&paths, &WdiOptions::default())?;

    // 2 lines × 3 years: 3 blank cells dropped, 3 kept, none quarantined.
    assert_eq!(outputs.empty_values, 3);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_in", 0)?, [3]);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_valid", 0)?, [3]);
    assert_eq!(outputs.quarantine_summary.height(), 0);
    let long = scan_parquet(&paths.valid("wdi"))?.collect()?;
    assert_eq!(values::i64s(&long, "year", 0)?, [1961, 1960, 1962]);
    assert_eq!(
        values::f64s(&long, "indicatorValue")?,
        [Some(3.5), Some(6.9), Some(3.9)]
    );
    assert_eq!(
        outputs.notices,
        ["WDIData.csv: the column `Notes` after `Indicator Code` is not a year and is not read"]
    );

    // An unnamed column that is not the trailing comma's, and a DataBank-style name,
    // are named in the notice (by position when unnamed); the year columns are read.
    let wide = "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"1960\",\"\",\"1961 [YR1961]\",\"1962\",
\"Canada\",\"CAN\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"1.0\",\"5.5\",\"2.0\",\"3.0\",
";
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::write(paths.raw.join("WDIData.csv"), wide)?;
    let outputs = run(&paths, &WdiOptions::default())?;
    assert_eq!(
        outputs.notices,
        [
            "WDIData.csv: the columns 6 (unnamed), `1961 [YR1961]` after `Indicator Code` are \
          not years and are not read"
        ]
    );
    assert_eq!(
        values::f64s(&outputs.country_series, "value")?,
        [Some(1.0), Some(3.0)]
    );
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

/// A header naming a year twice is an error naming the file, the column and both
/// positions, not Polars' "duplicate output name" over the plan.
#[test]
fn a_wide_file_naming_a_column_twice_is_an_error_naming_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    // The run's error on a WDICSV.csv whose year columns are `years`, one line.
    let error_with_years = |years: &str| -> Result<String> {
        std::fs::write(
            paths.raw.join("WDICSV.csv"),
            format!(
                "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",{years}\n\
                 \"Canada\",\"CAN\",\"GDP growth\",\"NY.GDP.MKTP.KD.ZG\",\"1\",\"2\",\"3\"\n"
            ),
        )?;
        let run = run(&paths, &WdiOptions::default());
        Ok(format!("{:#}", run.err().context("the run must fail")?))
    };
    let error = error_with_years("\"1960\",\"1961\",\"1961\"")?;
    assert!(
        error.contains("WDICSV.csv")
            && error.contains("the year `1961` twice (columns 6 and 7)")
            && !error.contains("duplicate"),
        "{error}"
    );
    // The same year once trimmed: its values would be read twice.
    let error = error_with_years("\"1960\",\" 1960\",\"1961\"")?;
    assert!(
        error.contains("WDICSV.csv") && error.contains("the year `1960` twice (columns 5 and 6)"),
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
    let html = std::fs::read_to_string(reports.join("wdi").join("wdi.html"))?;
    assert!(html.contains("Japan") && html.contains("Inflation, consumer prices (annual %)"));
    let bad = command("Atlantis")?;
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Atlantis"));
    Ok(())
}

// Issue 14, fault 6: the names and layouts of today's World Bank downloads.

/// `WIDE` as the bulk zip's `WDICSV.csv` writes it in recent versions: no trailing
/// comma, so no unnamed last column.
fn wide_without_trailing_comma() -> String {
    WIDE.replace(",\n", "\n")
}

/// The bulk zip's companion tables, which are not the indicator table.
fn write_bulk_companions(raw: &Path) -> Result<()> {
    std::fs::write(
        raw.join("WDICountry.csv"),
        "\"Country Code\",\"Short Name\",\"Table Name\",\"Long Name\",\n\"CAN\",\"Canada\",\"Canada\",\"Canada\",\n",
    )?;
    std::fs::write(
        raw.join("WDISeries.csv"),
        "\"Series Code\",\"Topic\",\"Indicator Name\",\n\"NY.GDP.MKTP.KD.ZG\",\"Economic Policy & Debt: National accounts: Growth rates\",\"GDP growth (annual %)\"\n",
    )?;
    Ok(())
}

/// The values worked out by hand from `WIDE` (see
/// `w1_the_wide_download_is_unpivoted_with_empties_dropped_and_bad_values_quarantined`).
fn assert_wide_sample_tables(outputs: &wdi::WdiOutputs) -> Result<()> {
    assert_eq!(outputs.empty_values, 3);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_valid", 0)?, [5]);
    assert_eq!(
        values::u64s(&outputs.country_series, "year", 0)?,
        [1961, 1962]
    );
    assert_eq!(
        values::f64s(&outputs.country_series, "value")?,
        [Some(3.5), Some(7.1)]
    );
    assert_eq!(
        values::texts(&outputs.indicator_panel, "countryName", "")?,
        ["Canada", "Canada", "Korea, Rep.", "Korea, Rep."]
    );
    assert_eq!(
        values::u64s(&outputs.indicator_panel, "year", 0)?,
        [1961, 1962, 1960, 1962]
    );
    assert_eq!(
        values::texts(&outputs.peak_year, "countryName", "")?,
        ["Canada", "Korea, Rep."]
    );
    assert_eq!(values::u64s(&outputs.peak_year, "year", 0)?, [1962, 1960]);
    assert_eq!(
        values::f64s(&outputs.peak_year, "value")?,
        [Some(7.1), Some(6.9)]
    );
    Ok(())
}

#[test]
fn w1_the_bulk_zips_wdicsv_gives_the_same_tables_as_wdidata_and_its_companions_are_not_read(
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let old = DomainPaths::in_folder(&dir.path().join("old"));
    let new = DomainPaths::in_folder(&dir.path().join("new"));
    std::fs::create_dir_all(&old.raw)?;
    std::fs::create_dir_all(&new.raw)?;
    std::fs::write(old.raw.join("WDIData.csv"), WIDE)?;
    std::fs::write(new.raw.join("WDICSV.csv"), wide_without_trailing_comma())?;
    write_bulk_companions(&new.raw)?;
    let a = run(&old, &WdiOptions::default())?;
    let b = run(&new, &WdiOptions::default())?;
    assert_wide_sample_tables(&b)?;
    for ((name, left), (_, right)) in a.tables().iter().zip(b.tables().iter()) {
        assert!(left.equals_missing(right), "{name}:\n{left}\n{right}");
    }
    assert!(b.notices.is_empty(), "{:?}", b.notices);
    let quarantine = scan_parquet(&new.quarantine("wdi"))?.collect()?;
    assert_eq!(
        values::texts(&quarantine, "source_file", "")?,
        ["WDICSV.csv"]
    );
    assert_eq!(values::u64s(&quarantine, "line", 0)?, [3]);
    Ok(())
}

/// `API_NY.GDP.MKTP.KD.ZG_DS2_en_csv_v2_2.csv` as downloaded: a byte order mark,
/// CRLF, four preamble lines (two blank) before the header on line 5, and a
/// trailing empty field on every line.
const API_GROWTH: &str = "\u{FEFF}\"Data Source\",\"World Development Indicators\",\r
\r
\"Last Updated Date\",\"2025-01-28\",\r
\r
\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"1960\",\"1961\",\"1962\",\r
\"Aruba\",\"ABW\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"\",\"\",\"2.1\",\r
\"Canada\",\"CAN\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"\",\"3.5\",\"7.1\",\r
\"Korea, Rep.\",\"KOR\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"6.9\",\"..\",\"3.9\",\r
";

/// Another indicator's file with a different preamble: two lines, no blank line,
/// LF line ends, so the header is on line 3.
const API_POPULATION: &str = "\"Data Source\",\"World Development Indicators\",
\"Last Updated Date\",\"2025-01-28\",
\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"1960\",\"1961\",\"1962\",
\"Canada\",\"CAN\",\"Population, total\",\"SP.POP.TOTL\",\"17909009\",\"n/a\",\"\",
";

#[test]
fn w1_per_indicator_api_files_are_read_after_their_own_preamble_with_physical_lines() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    let name = "API_NY.GDP.MKTP.KD.ZG_DS2_en_csv_v2_2.csv";
    std::fs::write(paths.raw.join(name), API_GROWTH)?;
    std::fs::write(
        paths.raw.join("API_SP.POP.TOTL_DS2_en_csv_v2_9.csv"),
        API_POPULATION,
    )?;
    std::fs::write(
        paths.raw.join(format!("Metadata_Country_{name}")),
        "\u{FEFF}\"Country Code\",\"Region\",\"IncomeGroup\",\"SpecialNotes\",\"TableName\",\r\n\"ABW\",\"Latin America & Caribbean\",\"High income\",\"\",\"Aruba\",\r\n",
    )?;
    std::fs::write(
        paths.raw.join(format!("Metadata_Indicator_{name}")),
        "\u{FEFF}\"INDICATOR_CODE\",\"INDICATOR_NAME\",\"SOURCE_NOTE\",\"SOURCE_ORGANIZATION\",\r\n\"NY.GDP.MKTP.KD.ZG\",\"GDP growth (annual %)\",\"Annual percentage growth rate of GDP\",\"World Bank\",\r\n",
    )?;
    let outputs = run(&paths, &WdiOptions::default())?;

    // Growth: 3 lines × 3 years, 3 empty (Aruba 1960, 1961; Canada 1960), Korea's
    // `..` quarantined, 5 kept. Population: 1 line × 3 years, 1 empty, `n/a`
    // quarantined, 1 kept.
    assert_eq!(outputs.empty_values, 4);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_in", 0)?, [8]);
    assert_eq!(values::u64s(&outputs.table_counts, "rows_valid", 0)?, [6]);
    let quarantine = scan_parquet(&paths.quarantine("wdi"))?.collect()?;
    assert_eq!(
        values::texts(&quarantine, "source_file", "")?,
        [name, "API_SP.POP.TOTL_DS2_en_csv_v2_9.csv"]
    );
    assert_eq!(
        values::u64s(&quarantine, "line", 0)?,
        [8, 4],
        "physical lines, each file after its own preamble: Korea's after 4 preamble \
         lines, the header, Aruba and Canada; Canada's after 2 and the header"
    );
    assert_eq!(values::texts(&quarantine, "year", "")?, ["1961", "1961"]);
    assert_eq!(
        values::texts(&quarantine, "indicatorValue", "")?,
        ["..", "n/a"]
    );

    let long = scan_parquet(&paths.valid("wdi"))?.collect()?;
    assert_eq!(
        values::texts(&long, "countryCode", "")?,
        ["ABW", "CAN", "CAN", "KOR", "KOR", "CAN"]
    );
    assert_eq!(
        values::u64s(&long, "year", 0)?,
        [1962, 1961, 1962, 1960, 1962, 1960]
    );
    assert_eq!(
        values::f64s(&long, "indicatorValue")?,
        [
            Some(2.1),
            Some(3.5),
            Some(7.1),
            Some(6.9),
            Some(3.9),
            Some(17909009.0)
        ]
    );

    assert_eq!(
        values::f64s(&outputs.country_series, "value")?,
        [Some(3.5), Some(7.1)]
    );
    assert_eq!(
        values::texts(&outputs.indicator_panel, "countryName", "")?,
        ["Aruba", "Canada", "Canada", "Korea, Rep.", "Korea, Rep."]
    );
    // Highest first: Canada 7.1 (1962), Korea 6.9 (1960), Aruba 2.1 (1962).
    assert_eq!(
        values::texts(&outputs.peak_year, "countryName", "")?,
        ["Canada", "Korea, Rep.", "Aruba"]
    );
    assert_eq!(
        values::u64s(&outputs.peak_year, "year", 0)?,
        [1962, 1960, 1962]
    );
    assert_eq!(outputs.indicator_name, "GDP growth (annual %)");
    Ok(())
}

#[test]
fn w1_official_names_match_whatever_their_case() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // `WIDE` as a per-indicator download: BOM, preamble, CRLF.
    let as_api_download = format!(
        "\u{FEFF}\"Data Source\",\"World Development Indicators\",\n\n\
         \"Last Updated Date\",\"2025-01-28\",\n\n{}",
        WIDE.trim_start_matches('\u{FEFF}')
    )
    .replace('\n', "\r\n");
    let cases = [
        ("wdicsv.csv", wide_without_trailing_comma()),
        ("WDIDATA.CSV", WIDE.to_string()),
        ("api_ny.gdp.mktp.kd.zg_ds2_en_csv_v2_2.csv", as_api_download),
    ];
    for (index, (name, text)) in cases.iter().enumerate() {
        let paths = DomainPaths::in_folder(&dir.path().join(index.to_string()));
        std::fs::create_dir_all(&paths.raw)?;
        std::fs::write(paths.raw.join(name), text)?;
        let outputs = run(&paths, &WdiOptions::default())
            .map_err(|error| anyhow::anyhow!("{name}: {error:#}"))?;
        assert_wide_sample_tables(&outputs)?;
    }
    Ok(())
}

#[test]
fn w1_long_files_are_wdi_star_csv_but_never_the_world_banks_own_file_names() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    write_bulk_companions(&paths.raw)?;
    std::fs::write(
        paths.raw.join("WDIfootnote.csv"),
        "\"CountryCode\",\"SeriesCode\",\"Year\",\"DESCRIPTION\",\n",
    )?;
    std::fs::write(
        paths.raw.join("WDISeries-Time.csv"),
        "\"SeriesCode\",\"Year\",\"DESCRIPTION\",\n",
    )?;
    // Only companions: no indicator table, and the error says what is there.
    let error = format!(
        "{:#}",
        run(&paths, &WdiOptions::default())
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("no error"))
    );
    assert!(
        error.contains("WDICountry.csv")
            && error.contains("WDISeries.csv")
            && error.contains("WDICSV*.csv"),
        "{error}"
    );

    // A long file next to them is read, and they are not.
    std::fs::write(
        paths.raw.join("wdi_long.csv"),
        "year,countryName,countryCode,indicatorName,indicatorCode,indicatorValue\n\
         2001,Canada,CAN,GDP growth (annual %),NY.GDP.MKTP.KD.ZG,1.8\n\
         2000,Canada,CAN,GDP growth (annual %),NY.GDP.MKTP.KD.ZG,5.2\n",
    )?;
    let outputs = run(&paths, &WdiOptions::default())?;
    assert_eq!(
        values::u64s(&outputs.country_series, "year", 0)?,
        [2000, 2001]
    );
    assert_eq!(
        values::f64s(&outputs.country_series, "value")?,
        [Some(5.2), Some(1.8)]
    );
    assert!(outputs.notices.is_empty(), "{:?}", outputs.notices);
    Ok(())
}

#[test]
fn a_folder_without_an_indicator_table_is_an_error_listing_its_files_and_the_names_accepted(
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(paths.raw.join("old"))?;
    std::fs::write(paths.raw.join("population.csv"), "a,b\n1,2\n")?;
    std::fs::write(paths.raw.join("notes.txt"), "WDI downloads\n")?;
    std::fs::write(
        paths
            .raw
            .join("Metadata_Indicator_API_SP.POP.TOTL_DS2_en_csv_v2_9.csv"),
        "\"INDICATOR_CODE\",\"INDICATOR_NAME\",\n",
    )?;
    let error = format!(
        "{:#}",
        run(&paths, &WdiOptions::default())
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("no error"))
    );
    for expected in [
        // The files there, sorted.
        "Metadata_Indicator_API_SP.POP.TOTL_DS2_en_csv_v2_9.csv, notes.txt, old/, population.csv",
        // The names accepted.
        "WDIData*.csv",
        "WDICSV*.csv",
        "API_*.csv",
        "wdi*.csv",
    ] {
        assert!(error.contains(expected), "`{expected}` in: {error}");
    }
    Ok(())
}

/// Issue 19, parity: the WDI output tables translated to Spark SQL (`remote`) and run
/// on LakeSail's Sail over the validated long table equal the local run's tables, on
/// the shipped sample and on a generated download with its gaps, zeros and ties.
#[test]
fn wdi_tables_translated_to_spark_sql_equal_the_local_run_on_sail() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let sample = DomainPaths {
        raw: root.join("data/raw/wdi"),
        ..DomainPaths::in_folder(&dir.path().join("sample"))
    };
    let generated = DomainPaths::in_folder(&dir.path().join("generated"));
    generate(&generated.raw, 400, false)?;
    for (i, paths) in [sample, generated].iter().enumerate() {
        let options = WdiOptions::default();
        let outputs = run(paths, &options)?;
        let rules = smartview::remote::DomainRules::wdi(options)?;
        let work = dir.path().join(format!("engine-{i}"));
        let inputs = rules.local_inputs(paths);
        smartview::testing::assert_domain_parity(root, &work, &rules, &inputs, &outputs.tables())?;
    }
    Ok(())
}

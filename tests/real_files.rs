//! Issue 14: raw files in the shapes real exports and downloads take give the same
//! numbers as the plain files, or a named error or notice: day-first dates (fault 2),
//! every field quoted (3), quoted line breaks and blank lines (5), legacy encodings
//! (7). Each test builds a small input like the one the issue describes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;
use smartview::domains::{retail, tv, wdi};
use smartview::io::{scan_parquet, DomainPaths, Reading};
use smartview::progress::Progress;
use smartview::schema::DateOrder;
use smartview::{assert_frame_eq, values};

const HEADER: &str = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

fn retail_paths(dir: &Path, csv: &[u8], reading: Reading) -> Result<DomainPaths> {
    let paths = DomainPaths {
        reading,
        ..DomainPaths::in_folder(dir)
    };
    std::fs::create_dir_all(&paths.raw)?;
    std::fs::write(paths.raw.join("online_retail_uk.csv"), csv)?;
    Ok(paths)
}

fn run_retail(paths: &DomainPaths) -> Result<retail::RetailOutputs> {
    retail::run(paths, &mut Progress::new("retail", true))
}

fn uk_lines(dates: &[&str]) -> String {
    let mut lines = vec![HEADER.to_string()];
    for (i, date) in dates.iter().enumerate() {
        lines.push(format!(
            "5364{i:02},85123A,WHITE HANGING HEART,6,{date},2.55,17850.0,United Kingdom"
        ));
    }
    lines.join("\n") + "\n"
}

/// The months of a monthly_orders table with their placed invoices.
fn placed_by_month(orders: &DataFrame) -> PolarsResult<DataFrame> {
    orders.select(["yyyymm", "placed"])
}

/// Fault 2: a UK-locale export is read day-first as a whole, decided by the one
/// value that only day-first reads.
#[test]
fn a_day_first_export_is_read_day_first() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = uk_lines(&[
        "01/12/2010 08:26",
        "05/12/2010 09:00",
        "13/12/2010 10:00",
        "09/01/2011 10:00",
    ]);
    let outputs = run_retail(&retail_paths(
        dir.path(),
        csv.as_bytes(),
        Reading::default(),
    )?)?;
    assert_eq!(
        outputs.quarantine_summary.height(),
        0,
        "no line quarantined"
    );
    assert_frame_eq!(
        placed_by_month(&outputs.monthly_orders)?,
        df!("yyyymm" => [201012i32, 201101], "placed" => [3i64, 1])?
    );
    Ok(())
}

/// Fault 2: values that contradict each other stop the run with an error naming the
/// file and a line of each kind.
#[test]
fn a_file_mixing_day_first_and_month_first_dates_is_an_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = uk_lines(&["01/12/2010 08:26", "13/12/2010 10:00", "12/13/2010 10:00"]);
    let paths = retail_paths(dir.path(), csv.as_bytes(), Reading::default())?;
    let error = format!("{:#}", run_retail(&paths).err().expect("an error"));
    assert!(
        error.contains("online_retail_uk.csv: column InvoiceDate mixes month-first and day-first")
            && error.contains("line 4 (`12/13/2010 10:00`)")
            && error.contains("line 3 (`13/12/2010 10:00`)"),
        "{error}"
    );
    // Told the order, the run reads every file that way and quarantines the rest.
    let told = Reading::new(None, Some(DateOrder::Dmy))?;
    let outputs = run_retail(&DomainPaths {
        reading: told,
        ..paths
    })?;
    assert_eq!(
        values::texts(&outputs.quarantine_summary, "reason", "")?,
        ["InvoiceDate|dtype"]
    );
    assert_frame_eq!(
        outputs.monthly_orders.select(["placed"])?,
        df!("placed" => [2i64])?
    );
    Ok(())
}

/// Fault 2: when nothing decides, the spec's month-first order is used and a notice
/// says so; `--date-order dmy` reads the same file day-first.
#[test]
fn undecided_dates_follow_the_spec_with_a_notice() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = uk_lines(&["01/02/2011 08:26", "2011-03-01 09:00:00"]);
    let paths = retail_paths(dir.path(), csv.as_bytes(), Reading::default())?;
    let outputs = run_retail(&paths)?;
    assert_frame_eq!(
        outputs.monthly_orders.select(["yyyymm"])?,
        df!("yyyymm" => [201101i32, 201103])?
    );
    let notice = outputs
        .notices
        .iter()
        .find(|n| n.contains("tells day-first from month-first"))
        .expect("a notice");
    assert!(
        notice.starts_with("online_retail_uk.csv: nothing in column InvoiceDate")
            && notice.contains("`01/02/2011 08:26`")
            && notice.contains("read mdy")
            && notice.contains("--date-order dmy"),
        "{notice}"
    );
    let dmy = Reading::new(None, Some(DateOrder::Dmy))?;
    let outputs = run_retail(&DomainPaths {
        reading: dmy,
        ..paths
    })?;
    assert_frame_eq!(
        outputs.monthly_orders.select(["yyyymm"])?,
        df!("yyyymm" => [201102i32, 201103])?
    );
    Ok(())
}

/// Fault 5: a quoted line break, a blank line and trailing blank lines; the bad row
/// is reported at its physical line and no blank line becomes a row.
#[test]
fn quoted_line_breaks_and_blank_lines_keep_physical_lines() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = [
        HEADER,
        "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "536366,22633,\"HAND WARMER",
        "UNION JACK\",6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom",
        "536367,84879,ASSORTED BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,13047.0,United Kingdom",
        "536368,22960,JAM MAKING SET,6,2010-12-01 08:34:00,4.25,13047.0,United Kingdom",
        "",
        "536369,21756,BATH BUILDING BLOCK,x,2010-12-01 08:35:00,5.95,13047.0,United Kingdom",
        "",
        "",
    ]
    .join("\r\n");
    let paths = retail_paths(dir.path(), csv.as_bytes(), Reading::default())?;
    let outputs = run_retail(&paths)?;
    assert_eq!(
        values::texts(&outputs.quarantine_summary, "reason", "")?,
        ["Quantity|dtype"]
    );
    assert_eq!(values::u64s(&outputs.quarantine_summary, "rows", 0)?, [1]);
    let quarantine = scan_parquet(&paths.quarantine(retail::tables::LINES))?.collect()?;
    assert_frame_eq!(quarantine.select(["line"])?, df!("line" => [8 as IdxSize])?);
    let valid = scan_parquet(&paths.valid(retail::tables::LINES))?.collect()?;
    assert_eq!(
        values::texts(&valid, "Description", "")?[1],
        "HAND WARMER\r\nUNION JACK"
    );
    assert_eq!(valid.height(), 4);
    Ok(())
}

/// Fault 7: a Latin-1 retail file loses its accented lines to `layout|invalid_utf8`
/// with a notice naming it, and reads whole with `--encoding latin1`.
#[test]
fn a_latin1_file_is_named_then_read_whole_with_its_encoding() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut csv = format!("{HEADER}\n").into_bytes();
    csv.extend_from_slice(
        b"536365,22423,CR\xC8ME BR\xDBL\xC9E POTS,2,2010-12-01 08:26:00,12.75,17850.0,United Kingdom\n",
    );
    csv.extend_from_slice(
        b"536366,POST,POSTAGE \xA3,1,2010-12-01 08:28:00,18,17850.0,United Kingdom\n",
    );
    csv.extend_from_slice(
        b"536367,84879,ASSORTED BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,13047.0,United Kingdom\n",
    );
    let paths = retail_paths(dir.path(), &csv, Reading::default())?;
    let outputs = run_retail(&paths)?;
    assert_eq!(
        values::u64s(&outputs.quarantine_summary, "rows", 0)?,
        [2],
        "{}",
        outputs.quarantine_summary
    );
    assert!(
        outputs.notices.iter().any(|n| n
            .starts_with("online_retail_uk.csv is not UTF-8 (first at line 2)")
            && n.contains("--encoding")),
        "{:?}",
        outputs.notices
    );
    let latin1 = Reading::new(Some("latin1"), None)?;
    let outputs = run_retail(&DomainPaths {
        reading: latin1,
        ..paths.clone()
    })?;
    assert_eq!(outputs.quarantine_summary.height(), 0);
    assert!(outputs.notices.iter().all(|n| !n.contains("UTF-8")));
    let valid = scan_parquet(&paths.valid(retail::tables::LINES))?.collect()?;
    assert_eq!(
        values::texts(&valid, "Description", "")?,
        ["CRÈME BRÛLÉE POTS", "POSTAGE £", "ASSORTED BIRD ORNAMENT"]
    );
    Ok(())
}

/// Fault 7: a WDI file in Windows-1252 keeps its countries with `--encoding`.
#[test]
fn a_windows_1252_wdi_file_keeps_its_countries() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths {
        reading: Reading::new(Some("windows-1252"), None)?,
        ..DomainPaths::in_folder(dir.path())
    };
    std::fs::create_dir_all(&paths.raw)?;
    let mut csv =
        b"year,countryName,countryCode,indicatorName,indicatorCode,indicatorValue\n".to_vec();
    csv.extend_from_slice(
        b"2020,C\xF4te d'Ivoire,CIV,GDP growth (annual %),NY.GDP.MKTP.KD.ZG,1.7\n",
    );
    csv.extend_from_slice(
        b"2020,Korea People\x92s Rep.,PRK,GDP growth (annual %),NY.GDP.MKTP.KD.ZG,0.5\n",
    );
    std::fs::write(paths.raw.join("wdi_long.csv"), csv)?;
    let options = wdi::WdiOptions {
        country: Some("CIV".into()),
        indicator: None,
    };
    wdi::run(&paths, &options, &mut Progress::new("wdi", true))?;
    let valid = scan_parquet(&paths.valid(wdi::tables::WDI))?.collect()?;
    assert_eq!(
        values::texts(&valid, "countryName", "")?,
        ["Côte d'Ivoire", "Korea People\u{2019}s Rep."]
    );
    Ok(())
}

/// Every CSV output table of a processed folder, by file name.
fn csv_outputs(folder: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut tables = BTreeMap::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            let name = path.file_name().map(|n| n.to_string_lossy().to_string());
            tables.insert(name.unwrap_or_default(), std::fs::read(&path)?);
        }
    }
    Ok(tables)
}

/// Each field of a CSV line wrapped in double quotes, as some exporters write them.
fn quote_every_field(line: &str) -> String {
    line.split(',')
        .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Fault 3: the TV sample with every viewing field quoted (header bare) gives the
/// same output tables as the sample itself.
#[test]
fn tv_viewing_with_every_field_quoted_gives_the_same_tables() -> Result<()> {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/raw/tv");
    let mut outputs = Vec::new();
    for quoted in [false, true] {
        let dir = tempfile::tempdir()?;
        let paths = DomainPaths::in_folder(dir.path());
        std::fs::create_dir_all(&paths.raw)?;
        for entry in std::fs::read_dir(&sample)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
            let is_viewing = name.to_string_lossy().starts_with("viewing");
            if quoted && is_viewing {
                let text = std::fs::read_to_string(&path)?;
                let mut lines = text.lines();
                let header = lines.next().unwrap_or_default().to_string();
                let quoted_text = std::iter::once(header)
                    .chain(lines.map(quote_every_field))
                    .collect::<Vec<_>>()
                    .join("\r\n")
                    + "\r\n";
                std::fs::write(paths.raw.join(name), quoted_text)?;
            } else {
                std::fs::copy(&path, paths.raw.join(name))?;
            }
        }
        tv::run(&paths, &mut Progress::new("tv", true))?;
        outputs.push(csv_outputs(&paths.processed)?);
    }
    assert!(outputs[0].len() >= 5, "{:?}", outputs[0].keys());
    for (name, plain) in &outputs[0] {
        assert!(
            outputs[1].get(name) == Some(plain),
            "{name} differs when quoted"
        );
    }
    Ok(())
}

/// Helper-found faults: a two-digit year is not read as the year 10, and a retail
/// file with a quote left open quarantines that line alone, instead of making a row
/// of two lines or swallowing the lines up to the next quote.
#[test]
fn two_digit_years_and_open_quotes_are_quarantined() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = [
        HEADER,
        "536365,85123A,WHITE,6,12/1/10 8:26,2.55,17850.0,United Kingdom",
        "536366,22633,\"OPEN,1,2010-12-01 08:28:00,1.85,17850.0,United Kingdom",
        "536367,84879,\"BIRD\",32,2010-12-01 08:34:00,1.69,13047.0,United Kingdom",
        "536368,22960,JAM,6,2010-12-01 08:34:00,4.25,13047.0,United Kingdom",
    ]
    .join("\n");
    let outputs = run_retail(&retail_paths(
        dir.path(),
        csv.as_bytes(),
        Reading::default(),
    )?)?;
    assert_eq!(
        values::texts(&outputs.quarantine_summary, "reason", "")?,
        ["InvoiceDate|dtype", "layout|quoting"]
    );
    // 536367 (its quoted "BIRD" read as the next line's own record) and 536368.
    assert_frame_eq!(
        outputs.monthly_orders.select(["placed"])?,
        df!("placed" => [2i64])?
    );
    Ok(())
}

/// Helper-found fault: the bulk table under both of its names is read once.
#[test]
fn wdicsv_and_wdidata_in_one_folder_are_read_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    let wide = "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2019\",\"2020\"\n\
                \"Canada\",\"CAN\",\"GDP growth (annual %)\",\"NY.GDP.MKTP.KD.ZG\",\"1.9\",\"-5.0\"\n";
    std::fs::write(paths.raw.join("WDICSV.csv"), wide)?;
    std::fs::write(paths.raw.join("WDIData.csv"), wide)?;
    let outputs = wdi::run(
        &paths,
        &wdi::WdiOptions::default(),
        &mut Progress::new("wdi", true),
    )?;
    assert_frame_eq!(
        outputs.country_series.select(["year"])?,
        df!("year" => [2019i64, 2020])?
    );
    assert!(
        outputs
            .notices
            .iter()
            .any(|n| n.contains("WDIData.csv was ignored: the WDICSV*.csv files")),
        "{:?}",
        outputs.notices
    );
    Ok(())
}

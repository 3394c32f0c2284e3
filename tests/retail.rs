//! The retail pipeline end to end: R1 on hand-written CSV (both timestamp layouts,
//! every quarantine reason), invariants and injected faults on generated data, the
//! workbook path giving the same tables as the CSV path, the output files and
//! manifest, bad input, the command line and the generator's determinism.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use polars::prelude::*;
use smartview::domains::retail::{self, datagen};
use smartview::io::{scan_parquet, DomainPaths};
use smartview::progress::Progress;
use smartview::synth::GenSummary;
use smartview::values;

fn generate(raw: &Path, lines: u64, workbook: bool) -> Result<GenSummary> {
    datagen::generate(
        raw,
        &datagen::RetailGenConfig {
            lines,
            files: 2,
            first_month: chrono::NaiveDate::from_ymd_opt(2009, 12, 1).unwrap(),
            months: 13,
            customers: Some(150),
            workbook,
            seed: 11,
        },
    )
}

fn run(paths: &DomainPaths) -> Result<retail::RetailOutputs> {
    retail::run(paths, &mut Progress::new("retail", true))
}

/// Rows quarantined per reason in the summary.
fn quarantined(summary: &DataFrame, reason: &str) -> Result<u64> {
    let reasons = values::texts(summary, "reason", "")?;
    let rows = values::u64s(summary, "rows", 0)?;
    Ok((0..rows.len())
        .filter(|&i| reasons[i] == reason)
        .map(|i| rows[i])
        .sum())
}

const HEADER: &str = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

#[test]
fn r1_reads_both_timestamp_layouts_and_quarantines_bad_values() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    let csv = [
        HEADER,
        "489434,85048,\"LIGHTS, 15CM\",12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom",
        "489435,79323P,PINK CHERRY LIGHTS,4,12/1/2009 7:46,2.1,13085.0,United Kingdom",
        "C489449,22087,PAPER BUNTING,-12,12/1/2009 10:33,2.95,16321.0,Australia",
        "489436,21232,STRAWBERRY MUG,6,2010-01-05 09:00:00,1.25,,United Kingdom",
        "489437,21232,STRAWBERRY MUG,6,2010-13-05 09:00:00,1.25,13085.0,United Kingdom",
        "489438,21232,STRAWBERRY MUG,six,2010-01-05 09:00:00,1.25,13085.0,United Kingdom",
        "489439,21232,STRAWBERRY MUG,6,2010-01-05 09:00:00,N/A,13085.0,United Kingdom",
        "489440,21232,STRAWBERRY MUG,6,2010-01-05 09:00:00,1.25,13085.5,United Kingdom",
        ",21232,STRAWBERRY MUG,6,2010-01-05 09:00:00,1.25,13085.0,United Kingdom",
    ]
    .join("\n");
    std::fs::write(paths.raw.join("online_retail_II.csv"), csv + "\n")?;
    let outputs = run(&paths)?;

    let summary = &outputs.quarantine_summary;
    assert_eq!(
        values::texts(summary, "reason", "")?,
        [
            "Customer ID|regex",
            "InvoiceDate|dtype",
            "Invoice|required",
            "Price|dtype",
            "Quantity|dtype"
        ]
    );
    assert!(values::u64s(summary, "rows", 0)?.iter().all(|&n| n == 1));
    assert_eq!(
        values::texts(summary, "table", "")?,
        vec!["online_retail"; 5]
    );
    let counts = &outputs.table_counts;
    assert_eq!(values::u64s(counts, "rows_in", 0)?, [9]);
    assert_eq!(values::u64s(counts, "rows_valid", 0)?, [4]);

    // The quarantine keeps the raw values, the file and the line.
    let quarantine = scan_parquet(&paths.quarantine("online_retail"))?.collect()?;
    let bad_date = quarantine
        .clone()
        .lazy()
        .filter(col("reason").eq(lit("InvoiceDate|dtype")))
        .collect()?;
    assert_eq!(values::u64s(&bad_date, "line", 0)?, [6]);
    assert_eq!(
        values::texts(&bad_date, "source_file", "")?,
        ["online_retail_II.csv"]
    );

    // Both layouts parse: 2009-12 holds 489434 and 489435 (placed) and C489449.
    let orders = &outputs.monthly_orders;
    assert_eq!(values::u64s(orders, "yyyymm", 0)?, [200912, 201001]);
    assert_eq!(values::u64s(orders, "placed", 0)?, [2, 1]);
    assert_eq!(values::u64s(orders, "cancelled", 0)?, [1, 0]);
    // The line without a customer counts for sales: 12 × 6.95 + 4 × 2.1 − 12 × 2.95 = 56.4,
    // then 6 × 1.25.
    let sales = values::f64s(&outputs.monthly_sales, "sales")?;
    assert_eq!(sales, [Some(56.4), Some(7.5)]);
    // Customer ids are integers; 16321 only cancelled and is not scored.
    assert_eq!(values::u64s(&outputs.rfm, "customer_id", 0)?, [13085]);
    let excluded = values::u64s(&outputs.exclusions, "rows", 0)?;
    assert_eq!(
        excluded,
        [1, 1],
        "one line without a customer, one customer not scored"
    );
    Ok(())
}

#[test]
fn generated_lines_are_all_counted_and_each_fault_lands_under_its_rule() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    let injected = generate(&paths.raw, 40_000, false)?;
    let outputs = run(&paths)?;
    let counts = &outputs.table_counts;
    let rows_in = values::u64s(counts, "rows_in", 0)?[0];
    let valid = values::u64s(counts, "rows_valid", 0)?[0];
    let bad = values::u64s(counts, "rows_quarantined", 0)?[0];
    assert_eq!(rows_in, 40_000);
    assert_eq!(rows_in, valid + bad);
    let mut total = 0;
    for rule in ["InvoiceDate|dtype", "Quantity|dtype", "Price|dtype"] {
        let expected = injected.faults_of("online_retail", rule);
        assert!(expected > 0, "{rule} injected");
        assert_eq!(
            quarantined(&outputs.quarantine_summary, rule)?,
            expected,
            "{rule}"
        );
        total += expected;
    }
    assert_eq!(bad, total, "nothing else is quarantined");

    // Lines without a customer: the generator's count minus those quarantined anyway.
    let without = values::u64s(&outputs.exclusions, "rows", 0)?[0];
    let generated_without = injected.faults_of("online_retail", "no_customer_id");
    assert!(without <= generated_without && without + total >= generated_without);

    // Invariants of the outputs.
    let orders = &outputs.monthly_orders;
    let months = values::u64s(orders, "yyyymm", 0)?;
    assert_eq!(months.len(), 13, "every month of the data: {months:?}");
    assert!(months.windows(2).all(|w| w[0] < w[1]));
    let customers = &outputs.monthly_customers;
    let active = values::u64s(customers, "active", 0)?;
    let new = values::u64s(customers, "new", 0)?;
    let existing = values::u64s(customers, "existing", 0)?;
    for i in 0..active.len() {
        assert_eq!(active[i], new[i] + existing[i]);
    }
    // Every scored customer is new exactly once.
    assert_eq!(new.iter().sum::<u64>(), outputs.rfm.height() as u64);
    let cohorts = &outputs.cohort_retention;
    let offsets = values::u64s(cohorts, "month_offset", 0)?;
    let retention = values::f64s(cohorts, "retention")?;
    for (offset, share) in offsets.iter().zip(&retention) {
        let share = share.unwrap_or(f64::NAN);
        assert!((0.0..=1.0).contains(&share));
        if *offset == 0 {
            assert_eq!(share, 1.0);
        }
    }
    let ids = values::u64s(&outputs.rfm, "customer_id", 0)?;
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    let segment_total: u64 = values::u64s(&outputs.rfm_segments, "customers", 0)?
        .iter()
        .sum();
    assert_eq!(segment_total, ids.len() as u64);
    // Scores are quintiles: each score's count is ⌊n/5⌋ or ⌈n/5⌉.
    let n = ids.len() as u64;
    for score in ["r_score", "f_score", "m_score"] {
        let scores = values::u64s(&outputs.rfm, score, 0)?;
        for s in 1..=5 {
            let count = scores.iter().filter(|&&x| x == s).count() as u64;
            assert!(
                count == n / 5 || count == n.div_ceil(5),
                "{score} {s}: {count} of {n}"
            );
        }
    }
    Ok(())
}

#[test]
fn the_workbook_gives_the_same_tables_as_the_csv_files() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = DomainPaths::in_folder(&dir.path().join("csv"));
    let xlsx = DomainPaths::in_folder(&dir.path().join("xlsx"));
    let from_csv = generate(&csv.raw, 6_000, false)?;
    let from_xlsx = generate(&xlsx.raw, 6_000, true)?;
    assert_eq!(from_csv.faults, from_xlsx.faults, "the same lines");
    assert!(xlsx.raw.join("online_retail_II.xlsx").is_file());
    let a = run(&csv)?;
    let b = run(&xlsx)?;
    for ((name, left), (_, right)) in a.tables().iter().zip(b.tables().iter()) {
        assert!(left.equals_missing(right), "{name}:\n{left}\n{right}");
    }
    // Sheet rows are named in the quarantine: `file.xlsx:Year 2009-2010`.
    let quarantine = scan_parquet(&xlsx.quarantine("online_retail"))?.collect()?;
    let sources = values::texts(&quarantine, "source_file", "")?;
    assert!(!sources.is_empty());
    assert!(
        sources
            .iter()
            .all(|s| s.starts_with("online_retail_II.xlsx:Year ")),
        "{sources:?}"
    );
    Ok(())
}

/// The invoice months aggregated in ten passes over disjoint invoices (the first as
/// the lines are validated, nine reading them back) give the same output tables as
/// one pass, and ten interim parts.
#[test]
fn ten_invoice_month_passes_give_the_tables_of_one() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let one = DomainPaths::in_folder(&dir.path().join("one"));
    generate(&one.raw, 3_000, false)?;
    let ten = DomainPaths {
        raw: one.raw.clone(),
        ..DomainPaths::in_folder(&dir.path().join("ten"))
    };
    let in_one = run(&one)?;
    let in_ten = retail::pipeline::run_in_passes(&ten, 1, &mut Progress::new("retail", true))?;
    for ((name, a), (_, b)) in in_one.tables().iter().zip(in_ten.tables().iter()) {
        if let Some(difference) = smartview::testing::frame_difference(b, a) {
            panic!("{name} in ten passes: {difference}\n{b}\n{a}");
        }
    }
    let parts = |paths: &DomainPaths| -> Result<usize> {
        Ok(std::fs::read_dir(paths.interim.join(retail::pipeline::INVOICE_MONTHS))?.count())
    };
    assert_eq!((parts(&one)?, parts(&ten)?), (1, 10));
    Ok(())
}

#[test]
fn the_output_tables_and_manifest_are_written() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 3_000, false)?;
    let outputs = run(&paths)?;
    let manifest = std::fs::read_to_string(paths.processed.join("_SUCCESS"))?;
    let headers = [
        ("quarantine_summary", "table,reason,rows"),
        ("invoice_size", "scope,invoices,min,max,median,mode,mean"),
        ("monthly_orders", "yyyymm,placed,cancelled"),
        ("monthly_sales", "yyyymm,sales,growth_pct"),
        ("monthly_customers", "yyyymm,active,new,existing"),
        (
            "cohort_retention",
            "cohort,month_offset,customers,retention",
        ),
        (
            "rfm",
            "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment",
        ),
        (
            "rfm_segments",
            "segment,customers,avg_recency_days,avg_frequency,avg_monetary",
        ),
    ];
    for ((name, header), (table, frame)) in headers.iter().zip(outputs.tables()) {
        assert_eq!(*name, table);
        let csv = std::fs::read_to_string(paths.processed.join(format!("{name}.csv")))?;
        assert_eq!(csv.lines().next(), Some(*header), "{name}");
        assert_eq!(csv.lines().count(), frame.height() + 1, "{name}");
        assert!(manifest.contains(&format!("{name}.parquet")), "{name}");
    }
    Ok(())
}

#[test]
fn bad_input_is_an_error_naming_the_file_or_folder() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    std::fs::create_dir_all(&paths.raw)?;
    let error = run(&paths)
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(
        error.contains("online_retail*.csv or online_retail*.xlsx"),
        "{error}"
    );
    std::fs::write(
        paths.raw.join("online_retail.csv"),
        "Invoice,StockCode,Quantity\n1,2,3\n",
    )?;
    let error = run(&paths)
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(
        error.contains("online_retail.csv") && error.contains("header"),
        "{error}"
    );
    std::fs::write(paths.raw.join("online_retail.csv"), "")?;
    let error = run(&paths)
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(error.contains("is empty"), "{error}");
    Ok(())
}

#[test]
fn the_report_command_writes_the_retail_report() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 3_000, false)?;
    let reports = dir.path().join("reports");
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "retail", "--quiet"])
        .arg("--raw")
        .arg(&raw)
        .arg("--out")
        .arg(dir.path().join("processed"))
        .arg("--interim")
        .arg(dir.path().join("interim"))
        .arg("--reports")
        .arg(&reports)
        .status()?;
    assert!(status.success());
    let html = std::fs::read_to_string(reports.join("retail").join("retail.html"))?;
    for section in ["Orders", "Sales", "Customers", "Retention", "RFM segments"] {
        assert!(html.contains(section), "{section}");
    }
    let index = std::fs::read_to_string(reports.join("index.html"))?;
    assert!(index.contains("retail.html"));
    Ok(())
}

#[test]
fn r4_six_times_4_95_is_exactly_29_7_with_one_thread() -> Result<()> {
    // Issue 14: with one Polars thread, February's 6 × 4.95 came out as
    // 29.700000000000003 (the month's 297000 units of 10⁻⁴ multiplied by the
    // reciprocal 10⁻⁴ instead of divided by 10⁴), with more threads as 29.7.
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw)?;
    let csv = [
        HEADER,
        "536365,85123A,WHITE HANGING HEART,2,2011-01-05 08:26:00,2.55,17850.0,United Kingdom",
        "540001,22633,HAND WARMER UNION JACK,6,2011-02-01 09:00:00,4.95,17850.0,United Kingdom",
        "550001,84029G,KNITTED HOT WATER BOTTLE,3,2011-03-02 10:00:00,3.39,13047.0,United Kingdom",
    ]
    .join("\n");
    std::fs::write(raw.join("online_retail_II.csv"), csv + "\n")?;
    let processed = dir.path().join("processed");
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .env("POLARS_MAX_THREADS", "1")
        .args(["--domain", "retail", "--quiet"])
        .arg("--raw")
        .arg(&raw)
        .arg("--out")
        .arg(&processed)
        .arg("--interim")
        .arg(dir.path().join("interim"))
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .status()?;
    assert!(status.success());
    let csv = std::fs::read_to_string(processed.join("monthly_sales.csv"))?;
    assert_eq!(
        csv.lines()
            .map(|l| l.split(',').nth(1).unwrap_or(""))
            .collect::<Vec<_>>(),
        ["sales", "5.1", "29.7", "10.17"],
        "{csv}"
    );
    let sales = scan_parquet(&processed.join("monthly_sales.parquet"))?.collect()?;
    assert_eq!(
        values::f64s(&sales, "sales")?,
        [Some(5.1), Some(29.7), Some(10.17)]
    );
    let rfm = scan_parquet(&processed.join("rfm.parquet"))?.collect()?;
    assert_eq!(values::f64s(&rfm, "monetary")?, [Some(10.17), Some(34.8)]);
    Ok(())
}

#[test]
fn the_generator_is_deterministic_for_a_seed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    generate(&dir.path().join("a"), 2_000, false)?;
    generate(&dir.path().join("b"), 2_000, false)?;
    for file in ["online_retail_01.csv", "online_retail_02.csv"] {
        let a = std::fs::read(dir.path().join("a").join(file))?;
        assert!(!a.is_empty());
        assert_eq!(a, std::fs::read(dir.path().join("b").join(file))?, "{file}");
    }
    let second = std::fs::read_to_string(dir.path().join("a/online_retail_02.csv"))?;
    let first_line = second.lines().nth(1).unwrap_or_default();
    assert!(
        first_line.contains('/'),
        "the second file uses M/d/yyyy H:mm: {first_line}"
    );
    Ok(())
}

/// Issue 19, parity: the retail output tables translated to Spark SQL (`remote`) and
/// run on LakeSail's Sail over the validated lines equal the local run's tables, on
/// the shipped sample and on generated lines with their faults (cancellations, lines
/// without a customer, repeated invoices).
#[test]
fn retail_tables_translated_to_spark_sql_equal_the_local_run_on_sail() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = smartview::remote::DomainRules::of(retail::DOMAIN)?;
    let dir = tempfile::tempdir()?;
    let sample = DomainPaths {
        raw: root.join("data/raw/retail"),
        ..DomainPaths::in_folder(&dir.path().join("sample"))
    };
    let generated = DomainPaths::in_folder(&dir.path().join("generated"));
    generate(&generated.raw, 20_000, false)?;
    for (i, paths) in [sample, generated].iter().enumerate() {
        let outputs = run(paths)?;
        let work = dir.path().join(format!("engine-{i}"));
        let inputs = rules.local_inputs(paths);
        let mut tables = outputs.tables().to_vec();
        tables.push(("exclusions", &outputs.exclusions));
        smartview::testing::assert_domain_parity(root, &work, &rules, &inputs, &tables)?;
    }
    Ok(())
}

/// Issue 19, item 2: the invoice lines validated on a Spark engine (its text reader,
/// R1's checks as SQL, each file's day/month order decided here first) give the local
/// validation's valid rows and quarantine, on the shipped sample, generated lines in
/// both timestamp layouts, and hand-made lines: a day-first file, quoted fields with
/// separators and doubled quotes, a BOM, CRLF, blank lines, bad values under each rule
/// and lines with too few or too many fields.
#[test]
fn r1_on_the_engine_equals_the_local_validation() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let generated = dir.path().join("generated");
    generate(&generated, 20_000, false)?;
    let edges = dir.path().join("edges");
    std::fs::create_dir_all(&edges)?;
    let header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";
    std::fs::write(
        edges.join("online_retail_01.csv"),
        format!(
            "\u{feff}{header}\r\n\
             536365,85123A,\"WHITE HANGING HEART, T-LIGHT\",6,13/12/2010 08:26,2.55,17850.0,United Kingdom\r\n\
             536366,22633,\"HAND WARMER \"\"UNION JACK\"\"\",6,01/12/2010 08:28,1.85,17850.0,United Kingdom\r\n\
             \r\n\
             C536379,D,Discount,-1,01/12/2010 09:41,27.50,14527.0,United Kingdom\r\n\
             536367,84879,BIRD ORNAMENT,x,01/12/2010 08:34,1.69,13047.0,United Kingdom\r\n\
             536368,22960,JAM MAKING SET,3,31/02/2010 08:34,4.25,13047.0,United Kingdom\r\n\
             536369,21756,BATH BUILDING BLOCK,3,02/12/2010 08:35,,13047.0,United Kingdom\r\n\
             536370,22728,ALARM CLOCK,24,02/12/2010 08:45,3.75,12583.0\r\n\
             536371,22086,PAPER CHAIN KIT,80,02/12/2010 09:00,2.55,13748.0,United Kingdom,extra\r\n\
             536372,\"22632,HAND WARMER,6,02/12/2010 09:01,1.85,17850.0,United Kingdom\r\n"
        ),
    )?;
    std::fs::write(
        edges.join("online_retail_02.csv"),
        format!(
            "{header}\n\
             536373,82494L,WOODEN FRAME,6,2010-12-01 09:02:00,2.10,17850.0,United Kingdom\n\
             536374,21258,VICTORIAN SEWING BOX,32,2010-12-01 09:09:00,10.95,15100.0,United Kingdom\n\
             536375,71053,WHITE METAL LANTERN,6,2010-13-01 09:32:00,3.39,,United Kingdom\n\
             \t536376 ,22114,HOT WATER BOTTLE,48,2010-12-01 09:32:00,3.45,15291.0,United Kingdom\n"
        ),
    )?;
    let reading = smartview::io::Reading::new(None, None)?;
    for (i, raw) in [root.join("data/raw/retail"), generated, edges]
        .iter()
        .enumerate()
    {
        let table = retail::tables::lines();
        let parts = table.scan_parts(raw, &reading)?;
        let schema = smartview::io::resolve_day_month(&parts, &table.schema, &reading)?;
        let table = smartview::io::RawTable { schema, ..table };
        let work = dir.path().join(format!("engine-{i}"));
        let (valid, quarantined) =
            smartview::testing::assert_validation_parity(root, &work, &table, raw, &[])?;
        assert!(valid > 0, "no valid line in data set {i}");
        if i > 0 {
            assert!(quarantined > 0, "nothing quarantined in data set {i}");
        }
    }
    Ok(())
}

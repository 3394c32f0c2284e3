//! The Customer 360 pipeline end to end: invariants and injected faults on generated
//! data, the output tables and manifest (C13), the database round trips (SQLite and a
//! real MariaDB server), atomic replacement, bad input, and the command line.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use polars::prelude::*;
use smartview::domains::customer360::{self, datagen, Customer360Options};
use smartview::io::{load_tables, scan_parquet, DatabaseSink, DateRange, DomainPaths};
use smartview::progress::Progress;
use smartview::values;

fn generate(raw: &Path, rows: u64, days: u32) -> Result<smartview::synth::GenSummary> {
    datagen::generate(
        raw,
        &datagen::Customer360GenConfig {
            content_rows: rows,
            days,
            first_day: chrono::NaiveDate::from_ymd_opt(2022, 6, 1).unwrap(),
            contracts: Some(300),
            seed: 7,
        },
    )
}

fn run(
    paths: &DomainPaths,
    options: &Customer360Options,
) -> Result<customer360::Customer360Outputs> {
    customer360::run(paths, options, &mut Progress::new("customer360", true))
}

/// Rows quarantined per (table, reason) in the summary.
fn quarantined(summary: &DataFrame, table: &str, reason: &str) -> Result<u64> {
    let tables = values::texts(summary, "table", "")?;
    let reasons = values::texts(summary, "reason", "")?;
    let rows = values::u64s(summary, "rows", 0)?;
    Ok((0..rows.len())
        .filter(|&i| tables[i] == table && reasons[i] == reason)
        .map(|i| rows[i])
        .sum())
}

#[test]
fn generated_data_keeps_every_row_and_quarantines_each_injected_fault() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    let injected = generate(&paths.raw, 30_000, 10)?;
    let outputs = run(&paths, &Customer360Options::default())?;

    // rows_in = rows_valid + rows_quarantined, and rows_in is every raw row.
    let counts = &outputs.table_counts;
    let tables = values::texts(counts, "table", "")?;
    let rows_in = values::u64s(counts, "rows_in", 0)?;
    let valid = values::u64s(counts, "rows_valid", 0)?;
    let bad = values::u64s(counts, "rows_quarantined", 0)?;
    assert_eq!(tables, ["content", "search", "mapping", "contract_users"]);
    for i in 0..tables.len() {
        assert_eq!(rows_in[i], valid[i] + bad[i], "{}", tables[i]);
        assert_eq!(
            rows_in[i],
            injected.rows[tables[i].as_str()],
            "{} rows read",
            tables[i]
        );
    }

    // Each injected fault lands under the rule that catches it, and nothing else.
    let summary = &outputs.quarantine_summary;
    let quarantined_faults = [
        ("content", "AppName|one_of"),
        ("content", "Contract|none_of"),
        ("content", "Contract|required"),
        ("content", "Mac|required"),
        ("content", "TotalDuration|dtype"),
        ("content", "layout|invalid_json"),
        ("search", "datetime|dtype"),
        ("search", "user_id|required"),
        ("search", "keyword|required"),
        ("contract_users", "user_id|required"),
    ];
    let mut expected_total = 0;
    for (table, reason) in quarantined_faults {
        let faults = injected.faults_of(table, reason);
        assert!(faults > 0, "{table}: {reason} was injected");
        assert_eq!(
            quarantined(summary, table, reason)?,
            faults,
            "{table}: {reason}"
        );
        expected_total += faults;
    }
    assert_eq!(
        values::u64s(summary, "rows", 0)?.iter().sum::<u64>(),
        expected_total
    );
    // Persian and Arabic-Indic digits are valid after normalisation (C8).
    assert!(injected.faults_of("search", "persian_digits") > 0);
    assert!(injected.faults_of("search", "arabic_indic_digits") > 0);

    // Every profiled contract has valid rows; the segment summary adds up.
    let profile = &outputs.customer_profile;
    let customers: u64 = values::u64s(&outputs.segment_summary, "customers", 0)?
        .iter()
        .sum();
    assert_eq!(customers, profile.height() as u64);
    let distinct_contracts = scan_parquet(&paths.interim.join("content/*/*.parquet"))?
        .select([col("Contract").n_unique()])
        .collect()?;
    assert_eq!(
        distinct_contracts
            .column("Contract")?
            .cast(&DataType::UInt64)?
            .u64()?
            .get(0),
        Some(profile.height() as u64)
    );
    // Unmapped keywords and stray spaces reach C10: some top keywords are Unmapped,
    // and no keyword keeps surrounding spaces.
    let keywords = values::texts(&outputs.search_top_keyword, "keyword", "")?;
    assert!(keywords.iter().all(|k| k.trim() == k));
    let categories = values::texts(&outputs.search_top_keyword, "category", "")?;
    assert!(categories.iter().any(|c| c == "Unmapped"));
    assert_eq!(outputs.trend_months, Some((202206, 202207)));
    assert!(outputs.search_trend.height() > 0);
    let joined = outputs
        .customer_360
        .as_ref()
        .context("the link file is generated")?;
    assert!(
        joined.height() >= profile.height(),
        "every profiled contract has a user"
    );
    Ok(())
}

#[test]
fn c13_writes_every_table_with_a_manifest() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 5_000, 3)?;
    run(&paths, &Customer360Options::default())?;
    let expected = [
        ("quarantine_summary", "table,reason,rows"),
        ("customer_profile", "contract,Total_Truyen_hinh,Total_Phim_truyen,Total_The_thao,Total_Giai_tri,Total_Thieu_nhi,total_duration,total_devices,most_watch,customer_taste,active_days,activeness,customer_type"),
        ("segment_summary", "customer_type,customers,avg_total_duration"),
        ("search_top_keyword", "month,user_id,keyword,searches,category"),
        ("search_trend", "user_id,keyword_m1,keyword_m2,category_m1,category_m2,trending_type,previous"),
        ("customer_360", "contract,user_id,Total_Truyen_hinh,Total_Phim_truyen,Total_The_thao,Total_Giai_tri,Total_Thieu_nhi,total_duration,total_devices,most_watch,customer_taste,active_days,activeness,customer_type,keyword_m1,keyword_m2,category_m1,category_m2,trending_type,previous"),
    ];
    let manifest = std::fs::read_to_string(paths.processed.join("_SUCCESS"))?;
    for (table, header) in expected {
        let csv = std::fs::read_to_string(paths.processed.join(format!("{table}.csv")))?;
        assert_eq!(csv.lines().next(), Some(header), "{table}.csv header");
        let parquet = scan_parquet(&paths.processed.join(format!("{table}.parquet")))?.collect()?;
        assert_eq!(
            parquet
                .get_column_names()
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(","),
            header
        );
        for file in [format!("{table}.parquet"), format!("{table}.csv")] {
            assert!(manifest.contains(&file), "{file} is in the manifest");
        }
    }
    Ok(())
}

/// Every row of a frame as text cells, sorted, to compare with a database's rows.
fn frame_rows(df: &DataFrame) -> Result<Vec<Vec<Option<String>>>> {
    let mut columns = Vec::new();
    for column in df.columns() {
        let series = column.as_materialized_series();
        let cells: Vec<Option<String>> = if series.dtype().is_float() {
            series
                .f64()?
                .iter()
                .map(|v| v.map(|f| f.to_string()))
                .collect()
        } else {
            series
                .cast(&DataType::String)?
                .str()?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        columns.push(cells);
    }
    let mut rows: Vec<Vec<Option<String>>> = (0..df.height())
        .map(|r| columns.iter().map(|c| c[r].clone()).collect())
        .collect();
    rows.sort();
    Ok(rows)
}

fn sqlite_rows(path: &Path, table: &str) -> Result<Vec<Vec<Option<String>>>> {
    use rusqlite::types::ValueRef;
    let conn = rusqlite::Connection::open(path)?;
    let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
    let width = statement.column_count();
    let mut rows = Vec::new();
    let mut cursor = statement.query([])?;
    while let Some(row) = cursor.next()? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => None,
                ValueRef::Integer(v) => Some(v.to_string()),
                ValueRef::Real(v) => Some(v.to_string()),
                ValueRef::Text(t) => Some(String::from_utf8(t.to_vec())?),
                ValueRef::Blob(b) => Some(format!("{b:?}")),
            });
        }
        rows.push(cells);
    }
    rows.sort();
    Ok(rows)
}

fn mysql_rows(url: &str, table: &str) -> Result<Vec<Vec<Option<String>>>> {
    use mysql::prelude::Queryable;
    let mut conn = mysql::Conn::new(mysql::Opts::from_url(url)?)?;
    let result: Vec<mysql::Row> = conn.query(format!("SELECT * FROM `{table}`"))?;
    let mut rows: Vec<Vec<Option<String>>> = result
        .into_iter()
        .map(|row| {
            row.unwrap()
                .into_iter()
                .map(|value| match value {
                    mysql::Value::NULL => None,
                    mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).to_string()),
                    mysql::Value::Int(v) => Some(v.to_string()),
                    mysql::Value::UInt(v) => Some(v.to_string()),
                    mysql::Value::Double(v) => Some(v.to_string()),
                    mysql::Value::Float(v) => Some(v.to_string()),
                    other => Some(format!("{other:?}")),
                })
                .collect()
        })
        .collect();
    rows.sort();
    Ok(rows)
}

#[test]
fn c13_sqlite_holds_exactly_the_parquet_rows_and_replaces_them_atomically() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 8_000, 4)?;
    let sink = customer360::default_sink(&paths);
    let options = Customer360Options {
        sink: Some(sink.clone()),
        ..Default::default()
    };
    let outputs = run(&paths, &options)?;
    let DatabaseSink::Sqlite(file) = &sink else {
        unreachable!()
    };
    for table in ["customer_360", "customer_profile", "search_trend"] {
        let parquet = scan_parquet(&paths.processed.join(format!("{table}.parquet")))?.collect()?;
        assert!(parquet.height() > 0, "{table} has rows");
        assert_eq!(sqlite_rows(file, table)?, frame_rows(&parquet)?, "{table}");
    }
    // The SQLite file is one of the folder's files: the manifest lists it with its
    // tables' rows and its hash, like the others.
    let manifest = std::fs::read_to_string(paths.processed.join("_SUCCESS"))?;
    let line = manifest
        .lines()
        .find(|line| line.starts_with("customer360.sqlite\t"))
        .unwrap_or_else(|| panic!("customer360.sqlite is not in the manifest:\n{manifest}"));
    let rows: usize = outputs
        .database_tables()
        .iter()
        .map(|(_, frame)| frame.height())
        .sum();
    assert_eq!(
        line.split('\t').nth(1),
        Some(rows.to_string().as_str()),
        "{line}"
    );
    let sha = smartview::io::sink::sha256_of(file)?;
    assert!(line.ends_with(&sha), "{line} vs {sha}");

    // A load that fails on its second table leaves the first one as it was.
    let replacement = df!("contract" => ["X"])?;
    let unloadable = df!("a" => [1])?
        .lazy()
        .select([col("a").implode(false)])
        .collect()?;
    let error = load_tables(
        &sink,
        &[
            ("customer_profile", &replacement),
            ("search_trend", &unloadable),
        ],
    )
    .unwrap_err();
    assert!(
        format!("{error:#}").contains("previous tables are unchanged"),
        "{error:#}"
    );
    assert_eq!(
        sqlite_rows(file, "customer_profile")?,
        frame_rows(&outputs.customer_profile)?,
        "the failed load changed nothing"
    );
    load_tables(&sink, &[("customer_profile", &replacement)])?;
    assert_eq!(
        sqlite_rows(file, "customer_profile")?,
        [[Some("X".to_string())]]
    );
    Ok(())
}

/// The MariaDB server the test command starts (scripts/mariadb prints its URL).
fn mariadb_url() -> Result<String> {
    std::env::var("SMARTVIEW_TEST_MYSQL_URL").context(
        "SMARTVIEW_TEST_MYSQL_URL is not set: run the tests with scripts/test, which starts a \
         MariaDB server (scripts/mariadb) and sets it",
    )
}

#[test]
fn c13_mariadb_holds_exactly_the_parquet_rows_and_replaces_them_atomically() -> Result<()> {
    let url = mariadb_url()?;
    let sink: DatabaseSink = url.parse()?;
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 8_000, 4)?;
    let options = Customer360Options {
        sink: Some(sink.clone()),
        ..Default::default()
    };
    let outputs = run(&paths, &options)?;
    for table in ["customer_360", "customer_profile", "search_trend"] {
        let parquet = scan_parquet(&paths.processed.join(format!("{table}.parquet")))?.collect()?;
        assert_eq!(mysql_rows(&url, table)?, frame_rows(&parquet)?, "{table}");
    }
    let replacement = df!("contract" => ["X"])?;
    let unloadable = df!("a" => [1])?
        .lazy()
        .select([col("a").implode(false)])
        .collect()?;
    assert!(load_tables(
        &sink,
        &[
            ("customer_profile", &replacement),
            ("search_trend", &unloadable)
        ]
    )
    .is_err());
    assert_eq!(
        mysql_rows(&url, "customer_profile")?,
        frame_rows(&outputs.customer_profile)?
    );
    // A second full load replaces the tables (the swap path with existing tables).
    load_tables(&sink, &[("customer_profile", &replacement)])?;
    assert_eq!(
        mysql_rows(&url, "customer_profile")?,
        [[Some("X".to_string())]]
    );
    Ok(())
}

#[test]
fn the_date_range_selects_content_files_and_scales_activeness() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 6_000, 6)?;
    let all = run(&paths, &Customer360Options::default())?;
    assert_eq!(all.period_days, 6, "first to last file");
    let range = DateRange::parse("20220602", "20220603")?;
    let two_days = run(
        &paths,
        &Customer360Options {
            range: Some(range),
            ..Default::default()
        },
    )?;
    assert_eq!(two_days.period_days, 2);
    let days = values::u64s(&two_days.customer_profile, "active_days", 0)?;
    assert!(days.iter().all(|&d| (1..=2).contains(&d)));
    let long = DateRange::parse("20220601", "20220731")?;
    let long_run = run(
        &paths,
        &Customer360Options {
            range: Some(long),
            ..Default::default()
        },
    )?;
    assert_eq!(
        long_run.period_days, 61,
        "the requested range, not the files"
    );
    Ok(())
}

#[test]
fn bad_input_is_an_error_naming_the_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    generate(&paths.raw, 2_000, 2)?;
    std::fs::write(paths.raw.join("content/notes.txt"), "stray")?;
    let error = format!(
        "{:#}",
        run(&paths, &Customer360Options::default())
            .err()
            .context("must fail")?
    );
    assert!(error.contains("notes.txt"), "{error}");
    std::fs::remove_file(paths.raw.join("content/notes.txt"))?;

    std::fs::remove_file(paths.raw.join("mapping.xlsx"))?;
    let error = format!(
        "{:#}",
        run(&paths, &Customer360Options::default())
            .err()
            .context("must fail")?
    );
    assert!(
        error.contains("mapping") && error.contains(".csv"),
        "{error}"
    );
    std::fs::write(
        paths.raw.join("mapping.csv"),
        "search,category\nnaruto,Anime\n",
    )?;
    let outputs = run(&paths, &Customer360Options::default())?;
    assert!(
        values::texts(&outputs.search_top_keyword, "category", "")?.contains(&"Anime".to_string()),
        "the CSV mapping is used"
    );

    std::fs::remove_file(paths.raw.join("contract_users.csv"))?;
    let outputs = run(&paths, &Customer360Options::default())?;
    assert!(outputs.customer_360.is_none());
    assert!(outputs
        .notices
        .iter()
        .any(|n| n.contains("customer_360 is omitted")));
    assert!(
        !paths.processed.join("customer_360.parquet").exists(),
        "no stale table is left"
    );
    Ok(())
}

#[test]
fn the_report_command_runs_the_domain_from_raw_files() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 3_000, 3)?;
    let reports = dir.path().join("reports");
    let out = dir.path().join("processed");
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "--domain",
            "customer360",
            "--quiet",
            "--months",
            "202206,202207",
        ])
        .arg("--raw")
        .arg(&raw)
        .arg("--out")
        .arg(&out)
        .arg("--interim")
        .arg(dir.path().join("interim"))
        .arg("--reports")
        .arg(&reports)
        .status()?;
    assert!(status.success());
    let html = std::fs::read_to_string(reports.join("customer360").join("customer360.html"))?;
    for section in [
        "Segments",
        "Viewing",
        "Search interests",
        "Category transitions 202206 → 202207",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(out.join("customer360.sqlite").is_file(), "the default sink");
    let bad = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "customer360", "--quiet", "--months", "2022-06"])
        .arg("--raw")
        .arg(&raw)
        .output()?;
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYYMM"));
    Ok(())
}

#[test]
fn generator_is_deterministic_for_a_seed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    generate(&dir.path().join("a"), 2_000, 2)?;
    generate(&dir.path().join("b"), 2_000, 2)?;
    for file in [
        "content/20220601.json",
        "content/20220602.json",
        "contract_users.csv",
        "search/20220715/part-0.parquet",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(file))?,
            std::fs::read(dir.path().join("b").join(file))?,
            "{file}"
        );
    }
    Ok(())
}

/// Issue 19, parity: the Customer 360 output tables translated to Spark SQL
/// (`remote`) and run on LakeSail's Sail over the validated tables equal the local
/// run's tables, on the shipped sample and on generated logs with their faults.
#[test]
fn customer360_tables_translated_to_spark_sql_equal_the_local_run_on_sail() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let sample = DomainPaths {
        raw: root.join("data/raw/customer360"),
        ..DomainPaths::in_folder(&dir.path().join("sample"))
    };
    let generated = DomainPaths::in_folder(&dir.path().join("generated"));
    generate(&generated.raw, 30_000, 40)?;
    for (i, paths) in [sample, generated].iter().enumerate() {
        let outputs = run(paths, &Customer360Options::default())?;
        let rules = smartview::remote::DomainRules::customer360(customer360::plans::PlanOptions {
            period_days: outputs.period_days,
            months: None,
        })?;
        // The valid content is kept in buckets of parts here: one file for the engine.
        let content = paths.interim.join("content.parquet");
        let mut rows = scan_parquet(&paths.interim.join("content/*/*.parquet"))?.collect()?;
        ParquetWriter::new(std::fs::File::create(&content)?).finish(&mut rows)?;
        let inputs: Vec<_> = rules
            .local_inputs(paths)
            .into_iter()
            .map(|(name, file)| {
                (
                    name,
                    if name == "content" {
                        content.clone()
                    } else {
                        file
                    },
                )
            })
            .collect();
        let work = dir.path().join(format!("engine-{i}"));
        smartview::testing::assert_domain_parity(root, &work, &rules, &inputs, &outputs.tables())?;
    }
    Ok(())
}

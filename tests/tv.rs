//! The TV pipeline end to end: validation of hand-made raw files (T1, T4), invariants
//! on generated data, bad input, byte-identical reruns, and the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use polars::prelude::*;
use smartview::domains::tv::{self, datagen};
use smartview::io::DomainPaths;
use smartview::progress::Progress;
use smartview::values;

fn run(paths: &DomainPaths) -> Result<tv::TvOutputs> {
    tv::run(paths, &mut Progress::new("tv", true))
}

/// Generated raw TV files in `raw`: `viewing_rows` over `viewing_files` files.
fn generate(raw: &Path, viewing_rows: u64, seed: u64, viewing_files: usize) -> Result<()> {
    datagen::generate(
        raw,
        &datagen::TvGenConfig {
            viewing_rows,
            seed,
            viewing_files,
        },
    )?;
    Ok(())
}

fn demographic_line(id: &str, edit: impl FnOnce(&mut Vec<String>)) -> String {
    let mut fields: Vec<String> = (0..45).map(|i| format!("{}", i % 10)).collect();
    fields[0] = id.to_string();
    fields[1] = "3".into(); // household_size
    fields[2] = "2".into(); // num_adults
    fields[19] = "250000".into(); // net_worth
    fields[20] = "A".into(); // income
    edit(&mut fields);
    fields.join("|")
}

/// A raw folder where every bad row has exactly one fault.
fn write_hand_made_raw(raw: &Path) -> Result<()> {
    std::fs::create_dir_all(raw)?;
    let mut programs = b"P1|Show A|Drama|20151205|233500|60.0
P1|Show A|Drama|20151206|100000|60.0
P2|Show B|News, Talk|20151205|090000|30.0
P3||Drama|20151205|090000|30.0
P4|Show D|Drama|2015-12-05|090000|30.0
P5|Show E|Drama|20151205|250000|30.0
P6|Show F|Drama|20151205|090000|abc
P7|Show G|Drama|20151205
"
    .to_vec();
    programs.extend_from_slice(b"P8|Caf\xe9|Drama|20151205|090000|30.0\n");
    std::fs::write(raw.join("programs.txt"), programs)?;

    let demographics = [
        demographic_line("h1", |_| {}),
        demographic_line("h2", |f| f[20] = "Z".into()),
        demographic_line("h3", |f| f[19] = "12k".into()),
        demographic_line("h4", |f| {
            f.pop();
        }),
        demographic_line("", |_| {}),
        demographic_line("h5", |f| f[1] = "x".into()),
    ];
    std::fs::write(raw.join("demographics.txt"), demographics.join("\n") + "\n")?;

    std::fs::write(
        raw.join("reference.csv"),
        "device_id,dma,dma_code,household_id,zipcode,household_type,system_type
AAAAAAAAAAAA,\"Washington, DC\",511,h1,20001,R,A
XYZ,Boise,757,h1,83702,R,A
BBBBBBBBBBBB,,757,h1,83702,R,A
CCCCCCCCCCCC,Boise,757,h1,83702,R,A,extra
",
    )?;

    std::fs::write(
        raw.join("viewing.csv"),
        "device_id,event_date,event_time,mso_code,prog_code,station_num
AAAAAAAAAAAA,20151205,93015,M1,P1,10001
aaaaaaaaaaaa,20151206,0,M1,P2,10001
AAAAAAAAAAAA,20151205,93015,M1,P9,10001
GGGGGGGGGGGG,20151205,93015,M1,P1,10001
AAAAAAAAAAAA,20151305,93015,M1,P1,10001
AAAAAAAAAAAA,20151205,96000,M1,P1,10001
AAAAAAAAAAAA,20151205,abc,M1,P1,10001
AAAAAAAAAAAA,20151205,93015,M1,,10001
AAAAAAAAAAAA,20151205,93015,M1,P1
AAAAAAAAAAAA,2015",
    )?;
    Ok(())
}

fn column_strings(df: &DataFrame, name: &str) -> Vec<String> {
    values::texts(df, name, "<null>").unwrap()
}

fn column_u64(df: &DataFrame, name: &str) -> Vec<u64> {
    values::u64s(df, name, u64::MAX).unwrap()
}

#[test]
fn t1_t4_each_fault_is_quarantined_under_its_rule() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    write_hand_made_raw(&paths.raw)?;
    let outputs = run(&paths)?;

    let summary = &outputs.quarantine_summary;
    let got: Vec<(String, String, u64)> = column_strings(summary, "table")
        .into_iter()
        .zip(column_strings(summary, "reason"))
        .zip(column_u64(summary, "rows"))
        .map(|((t, r), n)| (t, r, n))
        .collect();
    let expected = [
        ("demographics", "household_id|required", 1),
        ("demographics", "household_size|dtype", 1),
        ("demographics", "income|one_of", 1),
        ("demographics", "layout|column_count", 1),
        ("demographics", "net_worth|dtype", 1),
        ("programs", "air_date|dtype", 1),
        ("programs", "air_time|dtype", 1),
        ("programs", "duration|dtype", 1),
        ("programs", "layout|column_count", 1),
        ("programs", "layout|invalid_utf8", 1),
        ("programs", "title|required", 1),
        ("reference", "device_id|regex", 1),
        ("reference", "dma|required", 1),
        ("reference", "layout|column_count", 1),
        ("viewing", "device_id|regex", 1),
        ("viewing", "event_date|dtype", 1),
        ("viewing", "event_time|dtype", 2),
        ("viewing", "layout|column_count", 2),
        ("viewing", "prog_code|lookup", 1),
        ("viewing", "prog_code|required", 1),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(t, r, n)| (t.to_string(), r.to_string(), *n))
        .collect();
    assert_eq!(got, expected);

    let counts = &outputs.table_counts;
    assert_eq!(
        column_strings(counts, "table"),
        ["programs", "demographics", "reference", "viewing"]
    );
    assert_eq!(column_u64(counts, "rows_in"), [9, 6, 4, 10]);
    assert_eq!(column_u64(counts, "rows_valid"), [3, 1, 1, 2]);
    assert_eq!(column_u64(counts, "rows_quarantined"), [6, 5, 3, 8]);

    // The valid viewing rows are typed: dates parse, `93015` is 09:30:15.
    let viewing = smartview::io::scan_parquet(&paths.interim.join("viewing.parquet"))?.collect()?;
    assert_eq!(viewing.column("event_date")?.dtype(), &DataType::Date);
    assert_eq!(
        viewing
            .column("event_time")?
            .i32()?
            .iter()
            .collect::<Vec<_>>(),
        [Some(93015), Some(0)]
    );

    // Quarantined rows keep their raw values, file and line.
    let quarantine =
        smartview::io::scan_parquet(&paths.interim.join("quarantine/viewing.parquet"))?
            .collect()?;
    let bad_date = quarantine.filter(
        &quarantine
            .column("reason")?
            .str()?
            .equal("event_date|dtype"),
    )?;
    assert_eq!(column_strings(&bad_date, "event_date"), ["20151305"]);
    assert_eq!(column_strings(&bad_date, "source_file"), ["viewing.csv"]);
    assert_eq!(column_u64(&bad_date, "line"), [6]);
    Ok(())
}

/// Non-blank lines of the files whose names start with `prefix`, headers excluded.
fn raw_rows(raw: &Path, prefix: &str, header: bool) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(raw)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(prefix))
        {
            let bytes = std::fs::read(&path)?;
            let lines = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count() as u64;
            total += lines - u64::from(header);
        }
    }
    Ok(total)
}

fn assert_sorted(name: &str, df: &DataFrame, keys: &[&str], descending: &[bool]) -> Result<()> {
    let sorted = df.sort(
        keys.iter()
            .map(|k| PlSmallStr::from(*k))
            .collect::<Vec<_>>(),
        SortMultipleOptions::default()
            .with_order_descending_multi(descending.to_vec())
            .with_nulls_last(true)
            .with_maintain_order(true),
    )?;
    assert!(
        sorted.equals_missing(df),
        "{name} is not sorted by {keys:?}"
    );
    Ok(())
}

fn assert_unique(name: &str, df: &DataFrame, keys: &[&str]) -> Result<()> {
    let distinct = df
        .select(keys.iter().copied())?
        .unique_stable(None, UniqueKeepStrategy::First, None)?
        .height();
    assert_eq!(distinct, df.height(), "{name} has duplicate {keys:?}");
    Ok(())
}

#[test]
fn generated_data_keeps_every_row_and_sorts_every_output() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    let config = datagen::TvGenConfig {
        viewing_rows: 30_000,
        seed: 7,
        viewing_files: 3,
    };
    let injected = datagen::generate(&paths.raw, &config)?;
    let outputs = run(&paths)?;

    // rows in = rows valid + rows quarantined, rows in counted from the raw files.
    let counts = &outputs.table_counts;
    let tables = column_strings(counts, "table");
    let (rows_in, valid, quarantined) = (
        column_u64(counts, "rows_in"),
        column_u64(counts, "rows_valid"),
        column_u64(counts, "rows_quarantined"),
    );
    for (i, table) in tables.iter().enumerate() {
        let header = table == "viewing" || table == "reference";
        assert_eq!(
            rows_in[i],
            raw_rows(&paths.raw, table, header)?,
            "{table}: rows in"
        );
        assert_eq!(
            rows_in[i],
            valid[i] + quarantined[i],
            "{table}: rows in = valid + quarantined"
        );
        assert_eq!(
            rows_in[i],
            injected.rows[table.as_str()],
            "{table}: rows written"
        );
    }

    // Every injected bad row is quarantined under its rule, and nothing else is.
    let summary = &outputs.quarantine_summary;
    let mut quarantined_by_rule = BTreeMap::new();
    for ((table, reason), rows) in column_strings(summary, "table")
        .into_iter()
        .zip(column_strings(summary, "reason"))
        .zip(column_u64(summary, "rows"))
    {
        quarantined_by_rule.insert(format!("{table}: {reason}"), rows);
    }
    let injected_bad: BTreeMap<String, u64> = injected
        .faults
        .iter()
        .filter(|(name, _)| name.contains('|'))
        .map(|(name, n)| (name.clone(), *n))
        .collect();
    assert_eq!(quarantined_by_rule, injected_bad);
    assert!(
        injected.faults_of("viewing", "prog_code|lookup") > 0,
        "the sample exercises T4"
    );

    // T5 counts what the generator injected where the count is unambiguous.
    let cleaning = &outputs.reference_cleaning;
    assert_eq!(column_strings(cleaning, "step")[0], "dma_unknown");
    assert_eq!(
        column_u64(cleaning, "rows")[0],
        injected.faults_of("reference", "dma_unknown")
    );

    // Outputs are sorted by their spec keys and have no duplicate keys.
    let o = &outputs;
    assert_sorted(
        "quarantine_summary",
        &o.quarantine_summary,
        &["table", "reason"],
        &[false, false],
    )?;
    assert_sorted(
        "program_clashes",
        &o.program_clashes,
        &["prog_code", "field"],
        &[false, false],
    )?;
    assert_unique(
        "program_clashes",
        &o.program_clashes,
        &["prog_code", "field"],
    )?;
    assert_eq!(o.top_markets.height(), 10);
    assert_sorted(
        "top_markets",
        &o.top_markets,
        &["devices", "dma"],
        &[true, false],
    )?;
    assert_sorted(
        "genre_reach",
        &o.genre_reach,
        &["dma", "genre_rank"],
        &[false, false],
    )?;
    assert_unique("genre_reach", &o.genre_reach, &["dma", "genre"])?;
    assert_unique("genre_reach", &o.genre_reach, &["dma", "genre_rank"])?;
    assert_sorted(
        "top_genres",
        &o.top_genres,
        &["dma", "genre_rank"],
        &[false, false],
    )?;
    assert_sorted(
        "wealth",
        &o.wealth,
        &["wealth_score", "dma"],
        &[true, false],
    )?;
    assert_unique("wealth", &o.wealth, &["dma"])?;
    assert_eq!(o.wealthy_market_genres.height(), 10);
    assert_sorted(
        "program_popularity",
        &o.program_popularity,
        &["rank"],
        &[false],
    )?;
    assert_unique("program_popularity", &o.program_popularity, &["title"])?;
    assert_sorted(
        "market_potential",
        &o.market_potential,
        &["wealth_score", "dma"],
        &[true, false],
    )?;
    assert!(
        o.market_potential.height() >= 4,
        "the sample grades several markets"
    );
    assert!(o.program_clashes.height() as u64 >= injected.faults_of("programs", "clashing_title"));

    // The manifest lists every file with its rows and checksum.
    let manifest = std::fs::read_to_string(paths.processed.join("_SUCCESS"))?;
    assert_eq!(manifest.lines().count(), 1 + 2 * 9);
    for line in manifest.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let file = paths.processed.join(fields[0]);
        assert_eq!(
            smartview::io::sink::sha256_of(&file)?,
            fields[2],
            "{}",
            fields[0]
        );
        if fields[0].ends_with(".parquet") {
            assert_eq!(
                smartview::io::count_rows(&file)?.to_string(),
                fields[1],
                "{}",
                fields[0]
            );
        }
    }
    Ok(())
}

/// The full error chain of a run that must fail, for `why`.
fn run_error(paths: &DomainPaths, why: &str) -> String {
    match run(paths) {
        Ok(_) => panic!("{why}"),
        Err(error) => format!("{error:#}"),
    }
}

#[test]
fn bad_input_is_an_error_naming_the_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    write_hand_made_raw(&paths.raw)?;

    std::fs::remove_file(paths.raw.join("demographics.txt"))?;
    let message = run_error(&paths, "a missing table fails the run");
    assert!(
        message.contains("no file matching demographics*.txt in"),
        "{message}"
    );

    write_hand_made_raw(&paths.raw)?;
    std::fs::write(paths.raw.join("programs.txt"), "")?;
    let message = run_error(&paths, "an empty file fails the run");
    assert!(message.contains("programs.txt is empty"), "{message}");

    write_hand_made_raw(&paths.raw)?;
    std::fs::write(
        paths.raw.join("viewing.csv"),
        "device,date\nAAAAAAAAAAAA,20151205\n",
    )?;
    let message = run_error(&paths, "a wrong header fails the run");
    assert!(
        message.contains("viewing.csv: line 1 is the header `device,date`"),
        "{message}"
    );

    let missing = DomainPaths::in_folder(&dir.path().join("nowhere"));
    let message = run_error(&missing, "a missing folder fails the run");
    assert!(
        message.contains("cannot read the raw data folder"),
        "{message}"
    );
    Ok(())
}

#[test]
fn reference_may_come_as_parquet() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::in_folder(dir.path());
    write_hand_made_raw(&paths.raw)?;
    std::fs::remove_file(paths.raw.join("reference.csv"))?;
    let mut reference = df!(
        "device_id" => ["AAAAAAAAAAAA", "XYZ"],
        "dma" => ["Washington, DC", "Boise"],
        "dma_code" => ["511", "757"],
        "household_id" => ["h1", "h1"],
        "zipcode" => ["20001", "83702"],
        "household_type" => ["R", "R"],
        "system_type" => ["A", "A"],
    )?;
    let file = std::fs::File::create(paths.raw.join("reference_2015.parquet"))?;
    ParquetWriter::new(file).finish(&mut reference)?;
    let outputs = run(&paths)?;
    let counts = &outputs.table_counts;
    assert_eq!(column_strings(counts, "table")[2], "reference");
    assert_eq!(column_u64(counts, "rows_valid")[2], 1);
    assert_eq!(
        column_u64(counts, "rows_quarantined")[2],
        1,
        "XYZ fails device_id|regex"
    );
    assert_eq!(
        column_strings(&outputs.top_markets, "dma"),
        ["Washington, DC"]
    );
    Ok(())
}

/// The files of two [`files_under`] listings that are in one only or whose bytes
/// differ, in order, each once.
fn differing_files(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    let mut names: Vec<_> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

fn files_under(root: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.strip_prefix(root)?.to_path_buf(),
                    std::fs::read(&path)?,
                );
            }
        }
    }
    Ok(files)
}

#[test]
fn two_runs_give_byte_identical_tables_and_reports() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 5_000, 3, 1)?;
    let mut runs = Vec::new();
    for name in ["first", "second"] {
        let root = dir.path().join(name);
        let paths = DomainPaths {
            raw: raw.clone(),
            ..DomainPaths::in_folder(&root)
        };
        let outputs = run(&paths)?;
        tv::report::build(&outputs)?.write(&root.join("reports").join("tv"), "tv")?;
        smartview::report::write_index(&root.join("reports"))?;
        runs.push((
            files_under(&root.join("processed"))?,
            files_under(&root.join("reports"))?,
        ));
    }
    assert!(
        runs[0].1.contains_key(Path::new("tv/tv.html"))
            && runs[0].1.contains_key(Path::new("index.html"))
    );
    assert!(runs[0].1.keys().any(|p| p.starts_with("tv/figures")));
    let differing: Vec<_> = [(&runs[0].0, &runs[1].0), (&runs[0].1, &runs[1].1)]
        .into_iter()
        .flat_map(|(a, b)| differing_files(a, b))
        .collect();
    assert!(
        differing.is_empty(),
        "files differ between two runs: {differing:?}"
    );
    Ok(())
}

/// The pair aggregation in 4 and 16 passes over disjoint devices (as a large viewing
/// table runs it, each later pass reading the part of the viewing the validation
/// wrote for it) gives byte-identical output tables to one pass, and leaves no
/// per-pass viewing behind.
#[test]
fn pair_passes_give_the_tables_of_one_pass() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 40_000, 11, 2)?;
    let viewing_bytes: u64 = std::fs::read_dir(&raw)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().contains("viewing"))
        .map(|entry| entry.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut outputs = Vec::new();
    for passes in [1u64, 4, 16] {
        let root = dir.path().join(format!("passes-{passes}"));
        let paths = DomainPaths {
            raw: raw.clone(),
            ..DomainPaths::in_folder(&root)
        };
        let options = tv::TvOptions {
            pair_pass_bytes: Some(viewing_bytes.div_ceil(passes)),
        };
        tv::run_with(&paths, &options, &mut Progress::new("tv", true))?;
        let pair_parts = std::fs::read_dir(paths.interim.join("viewing_pairs"))?.count();
        assert_eq!(pair_parts as u64, passes, "one pair part per pass");
        assert!(
            !paths.interim.join("viewing_by_pass").exists(),
            "the per-pass viewing is removed once aggregated"
        );
        outputs.push(files_under(&paths.processed)?);
    }
    for (passes, many) in [4, 16].iter().zip(&outputs[1..]) {
        let differing = differing_files(&outputs[0], many);
        assert!(
            differing.is_empty(),
            "{passes} passes differ from one: {differing:?}"
        );
    }
    Ok(())
}

/// Device ids that differ only in case are different devices: the pair aggregate,
/// which groups on a packed integer key, must keep them apart (it falls back to the
/// text ids for a pass where they share a key). Some generated viewing lines are
/// repeated with their device id in lower case, in the first and in a later pass; the
/// pair-based tables equal the plain rules on the validated tables.
#[test]
fn devices_differing_only_in_case_are_counted_apart() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 20_000, 5, 1)?;
    let viewing = std::fs::read_dir(&raw)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.to_string_lossy().contains("viewing"))
        .expect("a viewing file");
    let text = std::fs::read_to_string(&viewing)?;
    let lowered: String = text
        .lines()
        .skip(1)
        .filter(|line| line.bytes().take(12).any(|b| b.is_ascii_uppercase()))
        .take(300)
        .map(|line| format!("{}{}\n", line[..12].to_ascii_lowercase(), &line[12..]))
        .collect();
    assert_eq!(lowered.lines().count(), 300);
    std::fs::write(&viewing, text + &lowered)?;
    let viewing_bytes = std::fs::metadata(&viewing)?.len();

    for passes in [1u64, 4] {
        let paths = DomainPaths {
            raw: raw.clone(),
            ..DomainPaths::in_folder(&dir.path().join(format!("passes-{passes}")))
        };
        let options = tv::TvOptions {
            pair_pass_bytes: Some(viewing_bytes.div_ceil(passes)),
        };
        let outputs = tv::run_with(&paths, &options, &mut Progress::new("tv", true))?;
        let mut valid = |name: &str| -> Result<LazyFrame> {
            Ok(smartview::io::scan_parquet(&paths.valid(name))?)
        };
        let plans = tv::plans::output_plans(&mut valid)?;
        let local: BTreeMap<&str, &DataFrame> = outputs.tables().into_iter().collect();
        for (name, plan) in plans {
            let Some(table) = local.get(name) else {
                continue;
            };
            let expected = plan.collect()?;
            let columns: Vec<PlSmallStr> = expected.get_column_names_owned();
            let sort = |df: &DataFrame| df.sort(columns.clone(), Default::default());
            let (table, expected) = (sort(table)?, sort(&expected)?);
            if let Some(difference) = smartview::testing::frame_difference(&table, &expected) {
                panic!("{name} with {passes} passes: {difference}\n{table}\n{expected}");
            }
        }
    }
    Ok(())
}

#[test]
fn report_command_has_help_and_rejects_an_unknown_domain() -> Result<()> {
    let help = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("--help")
        .output()?;
    let text = String::from_utf8(help.stdout)?;
    for flag in ["--domain", "--raw", "--out", "--reports"] {
        assert!(text.contains(flag), "--help lists {flag}:\n{text}");
    }
    let unknown = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "radio"])
        .output()?;
    assert_eq!(unknown.status.code(), Some(2), "a command-line mistake");
    let stderr = String::from_utf8(unknown.stderr)?;
    assert!(
        stderr.contains("invalid value 'radio' for '--domain <NAME>'")
            && stderr.contains("[possible values: tv, customer360, retail, wdi, movies, stream]"),
        "{stderr}"
    );
    Ok(())
}

/// Issue 15: a domain's flag with another domain (or none) is a command-line error,
/// not silently ignored.
#[test]
fn a_domain_flag_with_another_domain_is_a_command_line_error() -> Result<()> {
    for (args, flag, owner) in [
        (
            &["--domain", "tv", "--country", "Korea"][..],
            "--country",
            "wdi",
        ),
        (
            &["--months", "202206,202207"][..],
            "--months",
            "customer360",
        ),
        (
            &["--domain", "retail", "--sink", "none"][..],
            "--sink",
            "customer360",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_report"))
            .args(args)
            .output()?;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr)?;
        assert!(
            stderr.contains(&format!("{flag} belongs to the {owner} domain"))
                && stderr.contains(&format!("Consider --domain {owner} {flag}")),
            "{stderr}"
        );
    }
    Ok(())
}

#[test]
fn generator_is_deterministic_for_a_seed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let config = datagen::TvGenConfig {
        viewing_rows: 2_000,
        seed: 11,
        viewing_files: 2,
    };
    datagen::generate(&dir.path().join("a"), &config)?;
    datagen::generate(&dir.path().join("b"), &config)?;
    assert_eq!(
        files_under(&dir.path().join("a"))?,
        files_under(&dir.path().join("b"))?
    );
    let other = datagen::TvGenConfig { seed: 12, ..config };
    datagen::generate(&dir.path().join("c"), &other)?;
    assert_ne!(
        files_under(&dir.path().join("a"))?,
        files_under(&dir.path().join("c"))?
    );
    Ok(())
}

/// Issue 19, parity: the TV output tables translated to Spark SQL (`remote`) and run
/// on LakeSail's Sail over the validated tables equal the local run's tables, on the
/// shipped sample and on generated data with its injected faults (duplicates,
/// unknown programs, clashing titles, ties).
#[test]
fn tv_tables_translated_to_spark_sql_equal_the_local_run_on_sail() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = smartview::remote::DomainRules::of(tv::DOMAIN)?;
    let dir = tempfile::tempdir()?;
    let sample = DomainPaths {
        raw: root.join("data/raw/tv"),
        ..DomainPaths::in_folder(&dir.path().join("sample"))
    };
    let generated = DomainPaths::in_folder(&dir.path().join("generated"));
    generate(&generated.raw, 20_000, 11, 2)?;
    for (i, paths) in [sample, generated].iter().enumerate() {
        let outputs = run(paths)?;
        let work = dir.path().join(format!("engine-{i}"));
        let inputs = rules.local_inputs(paths);
        let mut local = outputs.tables().to_vec();
        local.push(("reference_cleaning", &outputs.reference_cleaning));
        smartview::testing::assert_domain_parity(root, &work, &rules, &inputs, &local)?;
    }
    Ok(())
}

/// Lines in every shape the readers meet, each table with good rows and a row for
/// each of its rules: a byte order mark, `\r\n`, blank lines, quoted fields with
/// separators and doubled quotes, a quote inside an unquoted field, too few and too
/// many fields, quotes closed early or left open, and a bad value per check.
fn write_edge_raw(raw: &Path) -> Result<()> {
    std::fs::create_dir_all(raw)?;
    std::fs::write(
        raw.join("programs_1.txt"),
        "\u{feff}P1|Show A|Drama|20151205|233500|60.0\r\n\
         P1|\"Show | A\"|Drama|20151206|100000|60\r\n\
         \r\n\
         P2|Show \"B\"|News, Talk|20151205|90000|1e2\n\
         P3||Drama|20151205|090000|30.0\n\
         P4|Show D|Drama|2015-12-05|090000|30.0\n\
         P5|Show E|Drama|20151205|246000|30.0\n\
         P6|Show F|Drama|20151205|090000|abc\n\
         P6b|Show F|Drama|20151205|090000|-1\n\
         P6c|Show F|Drama|20151205|090000|NaN\n\
         P6d|Show F|Drama|20151205|090000|1.5d\n\
         P6e|Show F|Drama|20150229|090000|\n\
         P7|Show G|Drama|20151205\n\
         P8|\"Show H\"x|Drama|20151205|090000|30.0\n\
         P10|\"\"|Drama|20151205|1|+5\n\
         P9|\"Show I|Drama|20151205|090000|30.0\n",
    )?;
    std::fs::write(
        raw.join("programs_2.txt"),
        "P11|Show K|Drama|20160101|000000|.5\nP12|Show L|Drama|20160101|235959|5.\n",
    )?;
    let demographics = [
        demographic_line("h1", |_| {}),
        demographic_line("h2", |f| f[20] = "Z".into()),
        demographic_line("h3", |f| f[19] = "12k".into()),
        demographic_line("h3b", |f| f[19] = "+12".into()),
        demographic_line("h3c", |f| f[19] = "2000000000000000".into()),
        demographic_line("h3d", |f| f[19] = "99999999999999999999".into()),
        demographic_line("h4", |f| {
            f.pop();
        }),
        demographic_line("h4b", |f| f.push("x".into())),
        demographic_line("", |_| {}),
        demographic_line("h5", |f| f[1] = "x".into()),
        demographic_line("h6", |f| f[1] = "1001".into()),
        demographic_line("h7", |f| f[1] = " 7 ".into()),
        demographic_line("h8", |f| f[1] = "7.0".into()),
    ];
    std::fs::write(raw.join("demographics.txt"), demographics.join("\n"))?;
    std::fs::write(
        raw.join("reference.csv"),
        "\u{feff}device_id,dma,dma_code,household_id,zipcode,household_type,system_type\r\n\
         AAAAAAAAAAAA,\"Washington, DC\",511,h1,20001,R,A\r\n\
         XYZ,Boise,757,h1,83702,R,A\r\n\
         BBBBBBBBBBBB,,757,h1,83702,R,A\r\n\
         CCCCCCCCCCCC,Boise,757,h1,83702,R,A,extra\r\n\
         DDDDDDDDDDDD,\"Say \"\"hi\"\"\",757,h1,,,\r\n\
         EEEEEEEEEEE\u{e9},Boise,757,h1,,,\r\n\
         FFFFFFFFFFFF,Bo\"ise,757,h1,,,\r\n",
    )?;
    std::fs::write(
        raw.join("viewing.csv"),
        "device_id,event_date,event_time,mso_code,prog_code,station_num
AAAAAAAAAAAA,20151205,93015,M1,P1,10001
aaaaaaaaaaaa,20151206,0,M1,P2,10001

AAAAAAAAAAAA,20151205,93015,M1,P99,10001
GGGGGGGGGGGG,20151205,93015,M1,P1,10001
AAAAAAAAAAAA,20151305,93015,M1,P1,10001
AAAAAAAAAAAA,20151205,96000,M1,P1,10001
AAAAAAAAAAAA,20151205,abc,M1,P1,10001
AAAAAAAAAAAA,20151205,,M1,P1,
AAAAAAAAAAAA,20151205,93015,M1,,10001
AAAAAAAAAAAA,20151205,93015,M1,P1
AAAAAAAAAAAA,2015",
    )?;
    Ok(())
}

/// Issue 19, item 2: the four TV tables validated on LakeSail's Sail (its text
/// reader, the checks as SQL) give the local validation's valid rows and quarantine,
/// on the shipped sample, generated data and lines in every shape the readers meet.
#[test]
fn tv_validation_on_the_engine_equals_the_local_one() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let generated = dir.path().join("generated");
    generate(&generated, 20_000, 11, 2)?;
    let edges = dir.path().join("edges");
    write_edge_raw(&edges)?;
    let reading = smartview::io::Reading::new(None, None)?;
    for (i, raw) in [root.join("data/raw/tv"), generated, edges]
        .iter()
        .enumerate()
    {
        let programs = tv::tables::programs();
        let valid_programs =
            smartview::schema::validate(programs.scan(raw, &reading)?, &programs.schema)
                .valid
                .collect()?;
        let program_table = tv::rules::program_table(valid_programs.lazy()).collect()?;
        for table in tv::tables::all() {
            let lookups = match table.schema.name {
                "viewing" => vec![tv::tables::unknown_program(&program_table)?],
                _ => vec![],
            };
            let work = dir.path().join(format!("engine-{i}-{}", table.schema.name));
            let (valid, quarantined) =
                smartview::testing::assert_validation_parity(root, &work, &table, raw, &lookups)?;
            assert!(
                valid > 0,
                "{}: no valid row in data set {i}",
                table.schema.name
            );
            if i == 2 {
                assert!(
                    quarantined > 0,
                    "{}: nothing quarantined",
                    table.schema.name
                );
            }
        }
    }
    Ok(())
}

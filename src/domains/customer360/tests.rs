//! Rules C1–C12 on hand-made inputs, expected values worked out by hand.

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use super::rules::*;
use crate::assert_frame_eq;

/// C2–C6 over one content table, as the pipeline runs them over each bucket.
fn contract_activity(content: LazyFrame, days: i64) -> PolarsResult<LazyFrame> {
    profile_contracts(contract_aggregates(content), days)
}
use super::tables;
use crate::io::NdjsonFile;
use crate::schema::{validate, Validation, LINE, REASON, ROW_NR};
use crate::transforms::fixed_periods;
use crate::values::{texts, u64s};

/// Content rows as the validated table holds them.
fn content(rows: &[(&str, &str, &str, i64, &str)]) -> PolarsResult<LazyFrame> {
    let date = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    Ok(df!(
        "Contract" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "Mac" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "AppName" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "TotalDuration" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "Date" => rows.iter().map(|r| date(r.4)).collect::<Vec<_>>(),
    )?
    .lazy())
}

#[test]
fn c1_quarantines_each_fault_with_its_line() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("20220401.json");
    let line = |contract: &str, mac: &str, app: &str, duration: &str| {
        format!(
            r#"{{"_index":"history","_source":{{"Contract":{contract},"Mac":{mac},"AppName":{app},"TotalDuration":{duration}}}}}"#
        )
    };
    let lines = [
        line(r#""SGH1""#, r#""M1""#, r#""KPLUS""#, "60"),
        line(r#""SGH1""#, r#""M1""#, r#""GAME""#, "60"),
        line(r#""0""#, r#""M1""#, r#""VOD""#, "60"),
        line(r#""""#, r#""M1""#, r#""VOD""#, "60"),
        line(r#""SGH2""#, "null", r#""VOD""#, "60"),
        line(r#""SGH2""#, r#""M2""#, r#""VOD""#, r#""12.5""#),
        r#"{"_source":{"Contract":"SGH3""#.to_string(),
        line(r#""SGH2""#, r#""M2""#, r#""SPORT""#, r#""45""#),
        line(r#""SGH2""#, r#""M2""#, r#""SPORT""#, "-5"),
    ];
    let mut file = crate::io::create_file(&path)?;
    std::io::Write::write_all(&mut file, lines.join("\n").as_bytes())?;
    std::io::Write::flush(&mut file)?;
    let files = [NdjsonFile {
        path,
        constants: vec!["20220401".into()],
    }];
    let mut frames = Vec::new();
    tables::content_reader(100, &Default::default()).read(&files, |df| {
        frames.push(df);
        Ok(())
    })?;
    let Validation {
        valid, quarantine, ..
    } = validate(frames.remove(0).lazy(), &tables::content());
    let quarantine = quarantine.collect()?;
    assert_eq!(
        texts(&quarantine, REASON, "")?,
        [
            "AppName|one_of",
            "Contract|none_of",
            "Contract|required",
            "Mac|required",
            "TotalDuration|dtype",
            "layout|invalid_json",
            "TotalDuration|range"
        ]
    );
    assert_eq!(u64s(&quarantine, LINE, 0)?, [2, 3, 4, 5, 6, 7, 9]);
    let valid = valid.collect()?;
    // A quoted integer is an integer.
    assert_frame_eq!(
        valid.select(["Contract", "TotalDuration"])?,
        df!("Contract" => ["SGH1", "SGH2"], "TotalDuration" => [60i64, 45])?
    );
    assert_eq!(
        valid.column("Date")?.dtype(),
        &DataType::Date,
        "the date comes from the file name"
    );
    Ok(())
}

#[test]
fn c1_maps_every_app_to_its_type() -> PolarsResult<()> {
    let apps = [
        "CHANNEL", "DSHD", "KPLUS", "VOD", "FIMS", "SPORT", "RELAX", "CHILD", "GAME",
    ];
    let out = df!("app" => apps)?
        .lazy()
        .select([content_type(col("app")).alias("t")])
        .collect()?;
    assert_eq!(
        texts(&out, "t", "<null>")?,
        [
            "Truyen_hinh",
            "Truyen_hinh",
            "Truyen_hinh",
            "Phim_truyen",
            "Phim_truyen",
            "The_thao",
            "Giai_tri",
            "Thieu_nhi",
            "<null>"
        ]
    );
    Ok(())
}

/// Contract A: 2 devices, TV 100 + 50, film 150 (a tie with TV), 3 days.
/// Contract B: 1 device, sport 10, kids 0 seconds, 1 day.
fn two_contracts() -> PolarsResult<LazyFrame> {
    content(&[
        ("A", "m1", "CHANNEL", 100, "2022-04-01"),
        ("A", "m2", "KPLUS", 50, "2022-04-02"),
        ("A", "m1", "VOD", 150, "2022-04-03"),
        ("B", "m9", "SPORT", 10, "2022-04-01"),
        ("B", "m9", "CHILD", 0, "2022-04-01"),
    ])
}

#[test]
fn c2_to_c6_profile_each_contract() -> PolarsResult<()> {
    let out = contract_activity(two_contracts()?, 30)?.collect()?;
    // C2: distinct Macs. C3: seconds per type, a missing type 0. C4: A ties Truyen_hinh
    // and Phim_truyen at 150 → Truyen_hinh. C5: types with 0 left out. C6: distinct
    // dates, 3 and 1 of 30 days → very low.
    // Every profile column but C7's customer_type, which comes later.
    let profile = std::iter::once("contract").chain(PROFILE_COLUMNS[..11].iter().copied());
    assert_frame_eq!(
        out.select(profile)?,
        df!(
            "contract" => ["A", "B"],
            "Total_Truyen_hinh" => [150i64, 0],
            "Total_Phim_truyen" => [150i64, 0],
            "Total_The_thao" => [0i64, 10],
            "Total_Giai_tri" => [0i64, 0],
            "Total_Thieu_nhi" => [0i64, 0],
            "total_duration" => [300i64, 10],
            "total_devices" => [2i64, 1],
            "most_watch" => ["Truyen_hinh", "The_thao"],
            "customer_taste" => ["Truyen_hinh-Phim_truyen", "The_thao"],
            "active_days" => [3i64, 1],
            "activeness" => ["very low", "very low"],
        )?
    );
    Ok(())
}

#[test]
fn c6_activeness_bounds_and_their_scaling() -> PolarsResult<()> {
    // One contract per active-day count; each row is a distinct day.
    let mut rows = Vec::new();
    let names: Vec<String> = [7, 8, 14, 15, 21, 22, 28, 29]
        .iter()
        .map(|d| format!("c{d:02}"))
        .collect();
    let days: Vec<String> = (0..62)
        .map(|d| {
            (NaiveDate::from_ymd_opt(2022, 4, 1).unwrap() + chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    for (name, count) in names.iter().zip([7, 8, 14, 15, 21, 22, 28, 29]) {
        for day in &days[..count] {
            rows.push((name.as_str(), "m", "VOD", 1i64, day.as_str()));
        }
    }
    let month = contract_activity(content(&rows)?, 31)?.collect()?;
    assert_eq!(
        texts(&month, "activeness", "")?,
        [
            "very low",
            "low",
            "low",
            "moderate",
            "moderate",
            "high",
            "high",
            "very high"
        ]
    );
    // 62 days: the bounds double to 14, 28, 42, 56.
    let two_months = contract_activity(content(&rows)?, 62)?.collect()?;
    assert_eq!(
        texts(&two_months, "activeness", "")?,
        ["very low", "very low", "very low", "low", "low", "low", "low", "moderate"]
    );
    Ok(())
}

/// A profile with the given (activeness, total_duration) rows, contracts c0, c1, …
fn activity(rows: &[(&str, i64)]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    let mut df = df!(
        "contract" => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
        "activeness" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "total_duration" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
    )?;
    for column in PROFILE_COLUMNS {
        if df.column(column).is_err() {
            df.with_column(Column::new_scalar(
                column.into(),
                Scalar::null(DataType::String),
                n,
            ))?;
        }
    }
    Ok(df.lazy())
}

#[test]
fn c7_segments_against_q1_and_the_median() -> PolarsResult<()> {
    // Totals 10, 20, …, 80 (n = 8): Q1 = the 2nd smallest = 20, median = the 4th = 40.
    let rows = [
        ("very low", 10),  // < Q1 → leaving
        ("very low", 20),  // = Q1 → anomaly
        ("low", 30),       // < median → need attention
        ("low", 40),       // = median → anomaly
        ("moderate", 50),  // ≥ median → potential
        ("high", 60),      // > Q1 → loyal
        ("very high", 70), // > Q1 → VIP
        ("moderate", 80),  // ≥ median → potential
    ];
    let out = segment_customers(activity(&rows)?).collect()?;
    assert_eq!(
        texts(&out, "customer_type", "")?,
        [
            "leaving",
            "anomaly",
            "need attention",
            "anomaly",
            "potential",
            "loyal",
            "VIP",
            "potential"
        ]
    );
    let rows = [
        ("moderate", 5),
        ("moderate", 15),
        ("high", 5),
        ("very high", 5),
    ];
    // n = 4: Q1 = the 1st smallest = 5, median = the 2nd = 5.
    let out = segment_customers(activity(&rows)?).collect()?;
    assert_eq!(
        texts(&out, "customer_type", "")?,
        ["potential", "potential", "anomaly", "anomaly"],
        "moderate at the median is potential; high and very high need more than Q1"
    );
    let mut names = vec!["contract"];
    names.extend(PROFILE_COLUMNS);
    assert_eq!(out.get_column_names(), names);
    assert_frame_eq!(
        segment_summary(out.lazy()).collect()?,
        df!(
            "customer_type" => ["anomaly", "potential"],
            "customers" => [2i64, 2],
            "avg_total_duration" => [5.0, 10.0],
        )?
    );
    Ok(())
}

/// Raw search rows as the Parquet reader gives them, one per datetime text.
fn raw_search(
    datetimes: &[Option<&str>],
    users: &[Option<&str>],
    keywords: &[Option<&str>],
) -> PolarsResult<DataFrame> {
    let n = datetimes.len();
    df!(
        crate::schema::SOURCE_FILE => vec!["20220601/part-0.parquet"; n],
        LINE => (1..=n as IdxSize).collect::<Vec<_>>(),
        ROW_NR => (0..n as u64).collect::<Vec<_>>(),
        crate::schema::LAYOUT_ERROR => vec![None::<&str>; n],
        "eventID" => (0..n).map(|i| format!("e{i}")).collect::<Vec<_>>(),
        "datetime" => datetimes,
        "user_id" => users,
        "keyword" => keywords,
    )
}

#[test]
fn c8_parses_normalised_datetimes_and_nothing_else() -> PolarsResult<()> {
    let datetimes = [
        Some("2022-06-01 18:42:07.123"),
        Some("2022-06-01"),
        Some("۲۰۲۲-۰۷-۰۱ ۰۸:۰۰:۰۰"),
        Some("٢٠٢٢-٠٧-٠٢"),
        Some("2022-02-30"),
        Some("2022-06-01 25:00:00"),
        Some("01/06/2022"),
        Some("2022-06-01T18:42:07"),
        Some(""),
    ];
    let n = datetimes.len();
    let raw = raw_search(&datetimes, &vec![Some("u1"); n], &vec![Some("k"); n])?;
    let Validation {
        valid, quarantine, ..
    } = validate(raw.lazy(), &tables::search());
    let events = search_events(valid).collect()?;
    assert_frame_eq!(
        events.select(["month"])?,
        df!("month" => [202206i32, 202206, 202207, 202207])?
    );
    let quarantine = quarantine.collect()?;
    assert_eq!(
        texts(&quarantine, REASON, "")?,
        [
            "datetime|dtype",
            "datetime|dtype",
            "datetime|dtype",
            "datetime|dtype",
            // An empty text is a missing value, as a null is.
            "datetime|required"
        ]
    );
    assert_eq!(
        texts(&quarantine, "datetime", "<null>")?[4],
        "",
        "the raw text is kept"
    );
    Ok(())
}

#[test]
fn c8_quarantines_bad_datetimes_then_empty_users_and_keywords() -> PolarsResult<()> {
    let raw = raw_search(
        &[
            Some("2022-06-01"),
            Some("bad"),
            Some("2022-06-01"),
            Some("2022-06-01"),
            None,
        ],
        &[Some("u1"), None, Some(" "), Some("u1"), Some("u1")],
        &[
            Some(" naruto "),
            Some("x"),
            Some("x"),
            Some("  "),
            Some("x"),
        ],
    )?;
    let Validation {
        valid, quarantine, ..
    } = validate(raw.lazy(), &tables::search());
    let quarantine = quarantine.collect()?;
    assert_eq!(
        texts(&quarantine, REASON, "")?,
        [
            "datetime|dtype",
            "user_id|required",
            "keyword|required",
            "datetime|required"
        ]
    );
    let events = search_events(valid).collect()?;
    // The keyword trimmed.
    assert_frame_eq!(
        events.select(["month", "keyword"])?,
        df!("month" => [202206i32], "keyword" => ["naruto"])?
    );
    Ok(())
}

/// The valid rows of a mapping table with these raw rows.
fn mapping(rows: &[(&str, &str)]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    let raw = df!(
        crate::schema::SOURCE_FILE => vec!["mapping.csv"; n],
        LINE => (2..n as IdxSize + 2).collect::<Vec<_>>(),
        ROW_NR => (0..n as u64).collect::<Vec<_>>(),
        crate::schema::LAYOUT_ERROR => vec![None::<&str>; n],
        "search" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "category" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
    )?;
    Ok(validate(raw.lazy(), &tables::mapping().schema).valid)
}

fn events(rows: &[(i32, &str, &str)]) -> PolarsResult<LazyFrame> {
    Ok(df!(
        "month" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "user_id" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "keyword" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
    )?
    .lazy())
}

#[test]
fn c9_c10_top_keyword_with_ties_and_categories() -> PolarsResult<()> {
    let categories = keyword_categories(mapping(&[
        (" naruto ", "Anime"),
        ("goblin", "K-drama"),
        ("naruto", "C-drama"),
        ("Goblin", "Other"),
    ])?)?;
    let searches = events(&[
        (202206, "u2", "weather"),
        (202206, "u1", "naruto"),
        (202206, "u1", "goblin"),
        (202206, "u1", "goblin"),
        (202206, "u1", "naruto"),
        (202207, "u1", "GOBLIN"),
        (202206, "u3", "weather"),
        (202206, "u3", "naruto"),
    ])?;
    let out = top_keywords(searches, categories)?.collect()?;
    // u1 in June: goblin 2, naruto 2 → goblin (smaller); u3: naruto < weather.
    // naruto: the first mapping row (trimmed) wins; matching is case-sensitive.
    assert_frame_eq!(
        out,
        df!(
            "month" => [202206i32, 202206, 202206, 202207],
            "user_id" => ["u1", "u2", "u3", "u1"],
            "keyword" => ["goblin", "weather", "naruto", "GOBLIN"],
            "searches" => [2i64, 1, 1, 1],
            "category" => ["K-drama", "Unmapped", "Anime", "Unmapped"],
        )?
    );
    Ok(())
}

#[test]
fn c11_trend_between_any_two_months() -> PolarsResult<()> {
    let top = df!(
        "month" => [202205, 202206, 202206, 202207, 202207, 202207],
        "user_id" => ["u1", "u1", "u2", "u1", "u2", "u3"],
        "keyword" => ["a", "b", "c", "d", "e", "f"],
        "searches" => [1i64, 1, 1, 1, 1, 1],
        "category" => ["X", "Anime", "K-drama", "Anime", "C-drama", "Z"],
    )?;
    let out = search_trend(top.clone().lazy(), fixed_periods(202206, 202207)?).collect()?;
    let latest = search_trend_of(top.clone().lazy(), None)?.collect()?;
    assert_eq!(out, latest, "the last two months by default");
    let mut names = vec!["user_id"];
    names.extend(TREND_COLUMNS);
    assert_eq!(out.get_column_names(), names);
    assert_eq!(
        texts(&out, "user_id", "")?,
        ["u1", "u2"],
        "users in both months only"
    );
    assert_eq!(texts(&out, "keyword_m1", "")?, ["b", "c"]);
    assert_eq!(texts(&out, "keyword_m2", "")?, ["d", "e"]);
    assert_eq!(texts(&out, "trending_type", "")?, ["Unchanged", "Changed"]);
    assert_eq!(
        texts(&out, "previous", "")?,
        ["Unchanged", "K-drama -> C-drama"]
    );
    let may_june = search_trend(top.lazy(), fixed_periods(202205, 202206)?).collect()?;
    assert_eq!(texts(&may_june, "previous", "")?, ["X -> Anime"]);
    Ok(())
}

#[test]
fn c12_joins_profiles_and_trends_through_the_link() -> PolarsResult<()> {
    let profile = segment_customers(activity(&[("low", 5), ("high", 9)])?);
    let trend = df!(
        "user_id" => ["u1"],
        "keyword_m1" => ["a"], "keyword_m2" => ["b"],
        "category_m1" => ["X"], "category_m2" => ["Y"],
        "trending_type" => ["Changed"], "previous" => ["X -> Y"],
    )?;
    let link = df!(
        "contract" => ["c1", "c0", "c0", "nobody", "c0"],
        "user_id" => ["u3", "u1", "u2", "u1", "u1"],
    )?;
    let out = customer_360(link.lazy(), profile, trend.lazy()).collect()?;
    assert_eq!(
        texts(&out, "contract", "")?,
        ["c0", "c0", "c1"],
        "no profile → dropped; duplicates once"
    );
    assert_eq!(texts(&out, "user_id", "")?, ["u1", "u2", "u3"]);
    assert_eq!(
        texts(&out, "previous", "<null>")?,
        ["X -> Y", "<null>", "<null>"]
    );
    assert_eq!(out.width(), 2 + PROFILE_COLUMNS.len() + TREND_COLUMNS.len());
    Ok(())
}

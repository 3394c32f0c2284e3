//! The stream rules on hand-made inputs, every expected value worked out by hand:
//! validation of the viewing fields, the curated tables' deduplication, and each of
//! the seventeen questions of S6 on five sessions, two profiles and a week of ad
//! revenue.

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;

use super::pipeline::questions_of;
use super::rules::*;
use super::tables;
use crate::assert_frame_eq;
use crate::schema::{validate, Validation, LINE, REASON, ROW_NR};
use crate::testing::raw_rows;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

#[test]
fn viewing_fields_validate_is_live_in_any_case_and_the_first_bad_column_names_a_row(
) -> PolarsResult<()> {
    let schema = tables::viewership_logs().schema;
    let good = [
        "S1",
        "U1",
        "CH001",
        "One",
        "Show, Ep 1",
        "News",
        "2025-03-09 02:30:00",
        "12.5",
        "North",
        "Premium",
        "Mobile",
        "Android",
        "True",
        "2",
        "0.35",
        "0.5",
        "1",
        "80",
    ];
    let with = |column: usize, value: &'static str| {
        let mut row: Vec<Option<&str>> = good.iter().map(|v| Some(*v)).collect();
        row[column] = (!value.is_empty()).then_some(value);
        row
    };
    let rows = vec![
        with(12, "FALSE"),
        with(12, "1"),
        with(12, "yes"),                // is_live|one_of
        with(6, "2025-03-09T02:30:00"), // timestamp|dtype
        with(7, "-1"),                  // duration_minutes|range
        with(1, ""),                    // user_id|required
        with(15, "1.5"),                // engagement_score|range
        with(10, "Smart Fridge"),       // device|one_of
        with(8, ""),                    // an empty optional field is null
        {
            // Two bad columns: the first in header order names the row.
            let mut row = with(10, "VR");
            row[7] = Some("x");
            row
        },
    ];
    let Validation {
        valid, quarantine, ..
    } = validate(raw_rows(&schema, &rows)?, &schema);
    let valid = valid.collect()?;
    assert_eq!(
        crate::values::texts(&valid, "is_live", "<null>")?,
        ["false", "1", "true"],
        "read in lower case"
    );
    let hour = valid.column("timestamp")?.datetime()?.physical().get(0);
    assert_eq!(
        hour,
        Some(at("2025-03-09 02:30:00").and_utc().timestamp_micros()),
        "no zone, never shifted"
    );
    let reasons = quarantine.sort([LINE], Default::default()).collect()?;
    assert_eq!(
        crate::values::texts(&reasons, REASON, "")?,
        [
            "is_live|one_of",
            "timestamp|dtype",
            "duration_minutes|range",
            "user_id|required",
            "engagement_score|range",
            "device|one_of",
            "duration_minutes|dtype",
        ]
    );
    Ok(())
}

#[test]
fn curated_tables_keep_the_first_row_but_ad_revenue_keeps_the_last() -> PolarsResult<()> {
    let channels_in = df!(
        ROW_NR => [0u32, 1, 2],
        "channel_id" => ["CH1", "CH2", "CH1"],
        "channel_name" => ["One", "Two", "One HD"],
        "genre" => ["News", "Kids", "News"],
        "language" => ["Hindi", "Tamil", "English"],
        "launch_year" => [2001i64, 2002, 2020],
    )?;
    let kept = channels(channels_in.lazy())?.kept.collect()?;
    assert_eq!(
        crate::values::texts(&kept, "channel_name", "")?,
        ["One", "Two"]
    );

    let revenue_in = df!(
        ROW_NR => [0u32, 1, 2, 3],
        "channel_id" => ["CH1", "CH1", "CH2", "CH1"],
        "channel_name" => ["One", "One", "Two", "One"],
        "date" => [date("2025-03-03"), date("2025-03-04"), date("2025-03-03"), date("2025-03-03")],
        "ad_revenue" => [1.0, 2.0, 3.0, 4.0],
    )?;
    let deduplicated = ad_revenue(revenue_in.lazy())?;
    assert_eq!(deduplicated.reason, "superseded");
    assert_frame_eq!(
        deduplicated.kept.collect()?,
        df!(
            "channel_id" => ["CH1", "CH2", "CH1"],
            "channel_name" => ["One", "Two", "One"],
            "date" => [date("2025-03-03"), date("2025-03-03"), date("2025-03-04")],
            "ad_revenue" => [4.0, 3.0, 2.0],
        )?
    );

    let mut sessions = df!(
        ROW_NR => [0u32, 1, 2],
        "timestamp" => [at("2025-03-03 23:59:59"), at("2025-03-04 00:00:00"), at("2025-03-05 10:00:00")],
        "is_live" => [Some("true"), Some("0"), None],
    )?;
    for column in tables::VIEWING_COLUMNS {
        if sessions.column(column).is_err() {
            let values = if column == "session_id" {
                vec!["S1", "S2", "S1"]
            } else {
                vec!["x"; 3]
            };
            sessions.with_column(Column::new(column.into(), values))?;
        }
    }
    let kept = viewership(sessions.lazy())?.kept.collect()?;
    assert_frame_eq!(
        kept.select(["session_id", "is_live", "event_date"])?,
        df!(
            "session_id" => ["S1", "S2"],
            "is_live" => [true, false],
            "event_date" => [date("2025-03-03"), date("2025-03-04")],
        )?
    );
    Ok(())
}

/// Five sessions: CH3 is not among the channels, U2 has no gender, U3 no profile,
/// s4 is 0.5 minutes with no revenue and no live flag, s5 has no genre, region,
/// device or completion.
fn curated() -> PolarsResult<[DataFrame; 4]> {
    let channels = df!(
        "channel_id" => ["CH1", "CH2"],
        "channel_name" => ["One", "Two"],
        "genre" => ["News", "Sports"],
        "language" => ["Hindi", "Tamil"],
        "launch_year" => [2001i64, 2002],
    )?;
    let users = df!(
        "user_id" => ["U1", "U2"],
        "gender" => [Some("Female"), None],
        "age_group" => ["18-25", "26-35"],
        "region" => ["North", "South"],
        "subscription_type" => ["Free", "Premium"],
    )?;
    let revenue = [
        ("CH1", "2025-03-03", 100.0),
        ("CH1", "2025-03-04", 10.0),
        ("CH3", "2025-03-05", 40.0),
        ("CH4", "2025-03-05", 20.0),
        ("CH5", "2025-03-05", 30.0),
        ("CH4", "2025-03-06", 1.0),
        ("CH5", "2025-03-07", 2.0),
        ("CH6", "2025-03-08", 3.0),
        ("CH1", "2025-03-10", 5.0),
        ("CH2", "2025-03-10", 15.0),
    ];
    let ad_revenue = df!(
        "channel_id" => revenue.iter().map(|r| r.0).collect::<Vec<_>>(),
        "channel_name" => revenue.iter().map(|r| r.0).collect::<Vec<_>>(),
        "date" => revenue.iter().map(|r| date(r.1)).collect::<Vec<_>>(),
        "ad_revenue" => revenue.iter().map(|r| r.2).collect::<Vec<_>>(),
    )?;
    let viewership = df!(
        "session_id" => ["s1", "s2", "s3", "s4", "s5"],
        "user_id" => ["U1", "U1", "U2", "U3", "U3"],
        "channel_id" => ["CH1", "CH1", "CH2", "CH3", "CH3"],
        "channel_name" => ["One", "One", "Two", "Three-b", "Three-a"],
        "genre" => [Some("News"), Some("Sports"), Some("Sports"), Some("News"), None],
        "timestamp" => [
            at("2025-03-03 10:15:00"), at("2025-03-03 10:45:00"), at("2025-03-03 11:00:00"),
            at("2025-03-04 11:30:00"), at("2025-03-04 23:59:59"),
        ],
        "duration_minutes" => [10.0, 20.0, 30.0, 0.5, 5.0],
        "region" => [Some("North"), Some("North"), Some("North"), Some("South"), None],
        "subscription_type" => ["Premium", "Free", "Premium", "Basic", "Premium"],
        "device" => [Some("Mobile"), Some("Smart TV"), Some("Mobile"), Some("Tablet"), None],
        "is_live" => [Some(true), Some(false), Some(true), None, Some(true)],
        "ad_revenue" => [Some(1.0), Some(2.0), Some(3.0), None, Some(4.0)],
        "engagement_score" => [Some(0.8), Some(0.4), None, Some(0.9), Some(0.6)],
        "buffer_count" => [1i64, 5, 3, 0, 8],
        "completion_percentage" => [Some(95.0), Some(50.0), Some(91.0), Some(99.0), None],
    )?;
    Ok([channels, users, ad_revenue, viewership])
}

#[test]
fn s6_every_question_on_five_sessions() -> anyhow::Result<()> {
    let [channels, users, ad_revenue, viewership] = curated()?;
    let answers = questions_of(&channels, &users, &ad_revenue, &viewership)?;
    let answer = |name: &str| -> DataFrame {
        answers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, frame)| frame.clone())
            .unwrap_or_default()
    };
    let none = None::<f64>;

    // CH3 is named after its sessions' smallest name; CH1 and CH2 tie on minutes.
    assert_frame_eq!(
        answer("channel_minutes"),
        df!(
            "channel_id" => ["CH1", "CH2", "CH3"],
            "channel_name" => ["One", "Two", "Three-a"],
            "sessions" => [2i64, 1, 2],
            "total_minutes" => [30.0, 30.0, 5.5],
        )?
    );
    // Mobile's mean ignores s3's missing score; s5 has no device.
    assert_frame_eq!(
        answer("device_engagement"),
        df!(
            "device" => ["Tablet", "Mobile", "Smart TV"],
            "sessions" => [1i64, 2, 1],
            "avg_engagement" => [0.9, 0.8, 0.4],
        )?
    );
    assert_eq!(answer("daily_ad_revenue").height(), 10);
    // U2 has no gender and U3 no profile: Unknown, (91 + 99) / 2 with s5's null left out.
    assert_frame_eq!(
        answer("gender_completion"),
        df!(
            "gender" => ["Female", "Unknown"],
            "sessions" => [2i64, 3],
            "avg_completion" => [72.5, 95.0],
        )?
    );
    assert_frame_eq!(
        answer("region_top_genre"),
        df!(
            "region" => ["North", "South"],
            "genre" => ["Sports", "News"],
            "total_minutes" => [50.0, 0.5],
        )?
    );
    // Last date 2025-03-10: the window is 03-04..03-10, so CH1's 100 on 03-03 is out;
    // CH1 and CH2 tie at 15 (CH1 first) and CH6's 3 is sixth.
    assert_frame_eq!(
        answer("top_channels_7d"),
        df!(
            "rank" => [1i64, 2, 3, 4, 5],
            "channel_id" => ["CH3", "CH5", "CH4", "CH1", "CH2"],
            "ad_revenue" => [40.0, 32.0, 21.0, 15.0, 15.0],
        )?
    );
    assert_frame_eq!(
        answer("region_peak_hour"),
        df!(
            "region" => ["North", "South"],
            "hour" => [10i64, 11],
            "sessions" => [2i64, 1],
        )?
    );
    // s4's missing live flag is not live.
    assert_frame_eq!(
        answer("live_by_age_group"),
        df!(
            "age_group" => ["26-35", "18-25", "Unknown"],
            "live_sessions" => [1i64, 1, 1],
            "live_minutes" => [30.0, 10.0, 5.0],
        )?
    );
    // CH3's Basic session has no revenue: 0, below Premium's 4.
    assert_frame_eq!(
        answer("channel_top_subscription"),
        df!(
            "channel_id" => ["CH1", "CH2", "CH3"],
            "subscription_type" => ["Free", "Premium", "Premium"],
            "ad_revenue" => [2.0, 3.0, 4.0],
        )?
    );
    // s1 and s3 qualify; s4 is too short, s5 has no completion.
    assert_frame_eq!(
        answer("high_engagement_sessions"),
        df!(
            "channel_id" => ["CH2", "CH1", "CH3"],
            "sessions" => [1i64, 2, 2],
            "high_engagement" => [1i64, 1, 0],
            "share" => [1.0, 0.5, 0.0],
        )?
    );
    // 03-05: mean (40 + 20 + 30) / 3 = 30, only 40 above; 03-10: mean 10, 15 above.
    assert_frame_eq!(
        answer("above_daily_average"),
        df!(
            "date" => [date("2025-03-05"), date("2025-03-10")],
            "channel_id" => ["CH3", "CH2"],
            "ad_revenue" => [40.0, 15.0],
            "day_average" => [30.0, 10.0],
        )?
    );
    assert_frame_eq!(
        answer("genre_revenue_completion"),
        df!(
            "genre" => ["Sports", "News"],
            "sessions" => [2i64, 2],
            "ad_revenue" => [5.0, 1.0],
            "avg_completion" => [70.5, 97.0],
        )?
    );
    // All sessions: buffer (1+5+3+0+8)/5 = 3.4, engagement (0.8+0.4+0.9+0.6)/4 = 0.675;
    // CH3: 4 > 3.4 and 0.75 ≥ 0.675; CH1 and CH2 buffer 3.
    assert_frame_eq!(
        answer("buffering_but_engaged"),
        df!(
            "channel_id" => ["CH3"],
            "avg_buffer_count" => [4.0],
            "avg_engagement" => [0.75],
        )?
    );
    assert_frame_eq!(
        answer("region_user_minutes"),
        df!(
            "region" => ["North", "South"],
            "users" => [2i64, 1],
            "total_minutes" => [60.0, 0.5],
            "minutes_per_user" => [30.0, 0.5],
        )?
    );
    assert_frame_eq!(
        answer("mobile_vs_smart_tv"),
        df!(
            "device" => ["Mobile", "Smart TV"],
            "sessions" => [2i64, 1],
            "total_minutes" => [40.0, 20.0],
            "avg_engagement" => [0.8, 0.4],
            "avg_completion" => [93.0, 50.0],
        )?
    );
    assert_frame_eq!(
        answer("gender_genre"),
        df!(
            "gender" => ["Female", "Female", "Unknown", "Unknown"],
            "genre" => ["News", "Sports", "News", "Sports"],
            "sessions" => [1i64, 1, 1, 1],
            "total_minutes" => [10.0, 20.0, 0.5, 30.0],
        )?
    );
    assert_frame_eq!(
        answer("premium_channels"),
        df!(
            "channel_id" => ["CH2", "CH1", "CH3"],
            "premium_sessions" => [1i64, 1, 1],
            "premium_minutes" => [30.0, 10.0, 5.0],
        )?
    );

    // Without Smart TV sessions its row is still there: no sessions, 0 minutes.
    let mobile_only = viewership
        .clone()
        .lazy()
        .filter(col("device").eq(lit("Mobile")))
        .collect()?;
    let answers = questions_of(&channels, &users, &ad_revenue, &mobile_only)?;
    let both = answers
        .iter()
        .find(|(n, _)| *n == "mobile_vs_smart_tv")
        .map(|(_, frame)| frame.clone())
        .unwrap_or_default();
    assert_frame_eq!(
        both,
        df!(
            "device" => ["Mobile", "Smart TV"],
            "sessions" => [2i64, 0],
            "total_minutes" => [40.0, 0.0],
            "avg_engagement" => [Some(0.8), none],
            "avg_completion" => [Some(93.0), none],
        )?
    );
    Ok(())
}

/// S4 on hand-made events, without a server: overlapping batches commit each event
/// once, with the last sequence in the same commit; a resend is a duplicate; bad
/// events are kept once with their sequence; a batch of nothing new still records
/// its position; a quarantine left by a batch that never committed is removed.
#[test]
fn ingest_batches_commit_each_event_once_with_the_stream_position() -> anyhow::Result<()> {
    use super::ingest::{commit_batch, ingest_batches, quarantine_path, BatchCommit};
    use crate::io::events::Event;
    use crate::io::lake::LakeTable;
    let dir = tempfile::tempdir()?;
    let lake = dir.path();
    let line = |id: &str, at: &str| {
        format!("{id},U00001,CH001,One,Show,News,{at},10.0,North,Premium,Mobile,Android,true,1,0.5,0.9,0,95")
    };
    let json = |id: &str, duration: &str| {
        format!(
            r#"{{"session_id": "{id}", "user_id": "U00002", "channel_id": "CH002", "timestamp": "2025-03-05 23:59:59", "duration_minutes": {duration}, "is_live": false}}"#
        )
    };
    let event = |sequence: u64, payload: String| Event {
        sequence,
        published_ms: 1_000 * sequence as i64,
        payload: payload.into_bytes(),
    };
    let events = [
        event(1, line("S1", "2025-03-03 10:00:00")),
        event(2, line("S2", "2025-03-04 11:00:00")),
        event(3, "S3,too few".to_string()),
        event(4, line("S1", "2025-03-03 10:00:00")),
        event(5, json("S5", "\"x\"")),
        event(6, json("S6", "7.5")),
        event(7, line("S2", "2025-03-04 11:00:00")),
    ];
    let run = |n: u32| super::ingest::IngestRun {
        id: format!("run-{n}"),
        stream_created: "2026-12-01T00:00:00.000000000Z".to_string(),
    };
    let without_timing = |commit: Option<BatchCommit>| {
        commit.map(|c| {
            (
                c.version,
                c.first_sequence,
                c.last_sequence,
                c.events,
                c.inserted,
                c.duplicates,
                c.quarantined,
            )
        })
    };
    assert_eq!(
        without_timing(commit_batch(lake, "T", &run(1), &events[..3])?),
        Some((1, 1, 3, 3, 2, 0, 1))
    );
    // Events 2 and 3 were committed: only 4..=6 are new; S1 again is a duplicate.
    assert_eq!(
        without_timing(commit_batch(lake, "T", &run(1), &events[1..6])?),
        Some((2, 4, 6, 3, 1, 1, 1))
    );
    assert_eq!(
        without_timing(commit_batch(lake, "T", &run(1), &events[..6])?),
        None
    );
    // A killed batch's quarantine (7..=9, never committed) goes before 7 is read again.
    let orphan = quarantine_path(lake, "T", 7, 9);
    std::fs::write(&orphan, b"not committed")?;
    // Nothing new in 7 (S2 again), yet its position is committed.
    assert_eq!(
        without_timing(commit_batch(lake, "T", &run(2), &events[6..])?),
        Some((3, 7, 7, 1, 0, 1, 0))
    );
    assert!(!orphan.exists(), "the uncommitted quarantine is removed");

    let folder = lake.join("viewership");
    let table = LakeTable::open(&folder)?;
    assert_eq!(table.transaction("smartview-nats:T")?, Some(7));
    let sessions = table
        .scan()?
        .select([col("session_id"), col("event_date"), col("is_live")])
        .sort(["session_id"], Default::default())
        .collect()?;
    let expected = df!(
        "session_id" => ["S1", "S2", "S6"],
        "event_date" => [date("2025-03-03"), date("2025-03-04"), date("2025-03-05")],
        "is_live" => [true, true, false],
    )?;
    assert_frame_eq!(sessions, expected);

    let kept = crate::io::scan_parquet(&lake.join("_quarantine/viewership/*.parquet"))?
        .select([col(LINE), col(REASON)])
        .sort([LINE], Default::default())
        .collect()?;
    let expected = df!(
        LINE => [3u64, 5],
        REASON => ["layout|column_count", "duration_minutes|dtype"],
    )?;
    assert_frame_eq!(kept, expected);

    let batches = ingest_batches(&folder)?;
    let column = |name: &str| -> anyhow::Result<Vec<u64>> {
        Ok(batches.column(name)?.u64()?.iter().flatten().collect())
    };
    assert_eq!(column("first_sequence")?, [1, 4, 7]);
    assert_eq!(column("last_sequence")?, [3, 6, 7]);
    assert_eq!(column("events")?, [3, 3, 1]);
    assert_eq!(column("valid")?, [2, 2, 1]);
    assert_eq!(column("inserted")?, [2, 1, 0]);
    assert_eq!(column("quarantined")?, [1, 1, 0]);
    let last = super::ingest::last_ingest(&folder)?;
    assert_eq!(crate::values::u64s(&last, "first_sequence", 0)?, [7]);

    let summary = super::merge::lake_quarantine_summary(lake)?;
    let expected = df!(
        "table" => ["viewership", "viewership"],
        "source" => ["nats:T", "nats:T"],
        "reason" => ["duration_minutes|dtype", "layout|column_count"],
        "rows" => [1i64, 1],
    )?;
    assert_frame_eq!(summary, expected);
    Ok(())
}

//! Rules T2–T11 on small hand-made frames; every expected value is worked out by hand
//! in the comments.

use polars::prelude::*;

use super::rules::*;
use crate::assert_frame_eq;
use crate::values;

fn f64s(df: &DataFrame, column: &str) -> PolarsResult<Vec<Option<f64>>> {
    values::f64s(df, column)
}

/// `df`'s `columns`, in that order.
fn select(df: &DataFrame, columns: &[&str]) -> PolarsResult<DataFrame> {
    df.select(columns.iter().copied())
}

fn idx(values: &[u32]) -> Vec<IdxSize> {
    values.iter().map(|&v| v as IdxSize).collect()
}

#[test]
fn t2_demographics_keep_first_household_and_map_income() -> PolarsResult<()> {
    let demographics = df!(
        "row_nr" => idx(&[0, 1, 2, 3, 4]),
        "household_id" => ["h1", "h2", "h1", "h3", "h4"],
        "income" => [Some("A"), Some("7"), Some("9"), Some("D"), None],
    )?;
    let out = clean_demographics(demographics.lazy())?
        .sort(["household_id"], Default::default())
        .collect()?;
    // h1 keeps its first row (A → 10, not the later 9); D → 13; empty income → null.
    assert_frame_eq!(
        select(&out, &["household_id", "income_level"])?,
        df!(
            "household_id" => ["h1", "h2", "h3", "h4"],
            "income_level" => [Some(10i32), Some(7), Some(13), None],
        )?
    );
    Ok(())
}

fn clashing_programs() -> PolarsResult<DataFrame> {
    let date = |ymd: (i32, u32, u32)| {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        (chrono::NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).unwrap() - epoch).num_days() as i32
    };
    let mut df = df!(
        "row_nr" => idx(&[0, 1, 2, 3, 4]),
        "prog_code" => ["P1", "P1", "P1", "P2", "P2"],
        "title" => ["B", "A", "B", "Y", "Z"],
        "genre" => ["Drama", "News", "Drama", "Talk", "Comedy"],
        "air_date" => [date((2015, 12, 5)), date((2015, 12, 6)), date((2015, 12, 5)), date((2015, 12, 7)), date((2015, 12, 7))],
        "air_time" => [233500i32, 100000, 233500, 90000, 90000],
        "duration" => [60.0, 30.0, 60.0, 30.0, 30.0],
    )?;
    df.apply("air_date", |s| s.cast(&DataType::Date).unwrap())?;
    Ok(df)
}

#[test]
fn t3_most_frequent_title_and_genre_ties_to_smallest() -> PolarsResult<()> {
    let out = program_table(clashing_programs()?.lazy()).collect()?;
    // P1: B (2 rows) beats A; Drama (2) beats News. P2: Y/Z and Talk/Comedy tie → Y, Comedy.
    assert_frame_eq!(
        select(&out, &["prog_code", "title", "genre"])?,
        df!("prog_code" => ["P1", "P2"], "title" => ["B", "Y"], "genre" => ["Drama", "Comedy"])?
    );
    Ok(())
}

#[test]
fn t3_clash_report_lists_each_clashing_field() -> PolarsResult<()> {
    let out = program_clashes(clashing_programs()?.lazy())?.collect()?;
    let expected = df!(
        "prog_code" => ["P1", "P1", "P2", "P2"],
        "field" => ["genre", "title", "genre", "title"],
        "chosen" => ["Drama", "B", "Comedy", "Y"],
        "variants" => [2u32, 2, 2, 2],
        "rows" => [3u32, 3, 2, 2],
    )?;
    assert_frame_eq!(out, expected);
    Ok(())
}

#[test]
fn t3_airings_get_weekday_and_lose_exact_duplicates() -> PolarsResult<()> {
    let chosen = program_table(clashing_programs()?.lazy());
    let out = program_airings(clashing_programs()?.lazy(), chosen)?.collect()?;
    // Rows 0 and 2 of P1 are the same airing; rows 3 and 4 of P2 become the same once
    // both carry the chosen Y / Comedy. 2015-12-05 was a Saturday.
    assert_frame_eq!(
        select(&out, &["row_nr", "air_day", "title"])?,
        df!(
            "row_nr" => idx(&[0, 1, 3]),
            "air_day" => ["Sat", "Sun", "Mon"],
            "title" => ["B", "B", "Y"],
        )?
    );
    Ok(())
}

#[test]
fn t5_reference_cleaning_in_spec_order() -> PolarsResult<()> {
    let reference = df!(
        "row_nr" => idx(&[0, 1, 2, 3, 4, 5, 6, 7, 8]),
        "device_id" => ["d1", "d2", "d2", "d3", "d4", "d5", "d6", "d7", "d8"],
        "dma" => ["Unknown", "Boise", "Austin", "Austin", "Boise", "Boise", "Boise", "Boise", "Chico"],
        "dma_code" => ["0", "1", "2", "2", "1", "1", "1", "1", "3"],
        "household_id" => ["h1", "h1", "h1", "h1", "h2", "h2", "h3", "h3", "h4"],
        "zipcode" => [Some("z1"), Some("z1"), Some("z1"), Some("z1"), Some("z2"), Some("z3"), Some("z4"), None, Some("z5")],
        "household_type" => ["R"; 9],
        "system_type" => ["A"; 9],
    )?;
    let demographics = df!("household_id" => ["h1", "h2", "h3"])?;
    let cleaned = clean_reference(reference.lazy(), demographics.lazy())?;
    let table = cleaned.table.collect()?;
    // d1 Unknown; d2's second row is a duplicate; h1 keeps Austin (d3) over Boise (d2);
    // h2 has two zipcodes; h3's null zipcode does not count; h4 has no demographics.
    assert_frame_eq!(
        select(&table, &["device_id", "dma", "num_devices"])?,
        df!(
            "device_id" => ["d3", "d6", "d7"],
            "dma" => ["Austin", "Boise", "Boise"],
            "num_devices" => [1u32, 2, 2],
        )?
    );
    assert_frame_eq!(
        cleaned.dropped.collect()?,
        df!(
            "step" => [
                "dma_unknown",
                "duplicate_device",
                "household_in_several_dmas",
                "household_with_several_zipcodes",
                "household_not_in_demographics",
            ],
            "rows" => [1u32, 1, 1, 2, 1],
        )?
    );
    Ok(())
}

#[test]
fn t6_top_ten_markets_by_devices_ties_by_name() -> PolarsResult<()> {
    let (mut dmas, mut devices, mut households) = (Vec::new(), Vec::new(), Vec::new());
    for market in 1..=12u32 {
        // M01 has 12 devices … M11 has 2; M12 has 5, tying M08.
        let count = if market == 12 { 5 } else { 13 - market };
        for device in 0..count {
            dmas.push(format!("M{market:02}"));
            devices.push(format!("M{market:02}-d{device}"));
            households.push(format!("M{market:02}-h{}", device / 2));
        }
    }
    let reference = df!("dma" => dmas, "device_id" => devices, "household_id" => households)?;
    let out = top_markets(reference.lazy())?.collect()?;
    assert_frame_eq!(
        out,
        df!(
            "dma" => ["M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08", "M12", "M09"],
            "devices" => [12u32, 11, 10, 9, 8, 7, 6, 5, 5, 4],
            "households" => [6u32, 6, 5, 5, 4, 4, 3, 3, 3, 2],
        )?
    );
    Ok(())
}

#[test]
fn t7_genre_reach_trims_genres_and_counts_pairs() -> PolarsResult<()> {
    let programs = df!(
        "prog_code" => ["P1", "P2", "P3", "P4"],
        "title" => ["t1", "t2", "t3", "t4"],
        "genre" => ["Talk, Comedy", "Comedy,,News ", "Drama", "News,News"],
    )?;
    let reference = df!("device_id" => ["dA", "dB", "dC"], "dma" => ["X", "X", "Y"])?;
    let pairs = df!(
        "device_id" => ["dA", "dA", "dB", "dC", "dC", "dZ", "dB"],
        "prog_code" => ["P1", "P2", "P2", "P1", "P3", "P1", "P4"],
        "events" => [1u64, 4, 1, 2, 1, 9, 1],
    )?;
    let out = genre_reach(pairs.lazy(), reference.lazy(), programs.lazy())?.collect()?;
    // X: Comedy (dA,P1)(dA,P2)(dB,P2) = 3; News (dA,P2)(dB,P2)(dB,P4) = 3, News listed
    // twice on P4 counts once; Talk (dA,P1) = 1. Comedy/News tie → Comedy first.
    // Y: Comedy, Drama, Talk one pair each → alphabetical. dZ has no market.
    assert_frame_eq!(
        out,
        df!(
            "dma" => ["X", "X", "X", "Y", "Y", "Y"],
            "genre" => ["Comedy", "News", "Talk", "Comedy", "Drama", "Talk"],
            "reach" => [3u32, 3, 1, 1, 1, 1],
            "genre_rank" => [1u32, 2, 3, 1, 2, 3],
        )?
    );
    let top = top_genres(out.lazy()).collect()?;
    assert_eq!(top.height(), 6, "all ranks are ≤ 5");
    Ok(())
}

fn wealth_inputs() -> PolarsResult<(DataFrame, DataFrame)> {
    // Maxima over all households: net worth 400 (h4, h5), income level 10 (h1, h5).
    let demographics = df!(
        "household_id" => ["h1", "h2", "h3", "h4", "h5", "h6", "h7"],
        "net_worth" => [Some(100i64), Some(300), Some(200), Some(400), Some(400), Some(200), None],
        "income_level" => [Some(10i32), Some(2), Some(4), None, Some(10), Some(6), None],
    )?;
    let reference = df!(
        "dma" => ["X", "X", "X", "Y", "Y", "Z", "W"],
        "household_id" => ["h1", "h1", "h2", "h3", "h7", "h5", "h6"],
        "device_id" => ["d1", "d1b", "d2", "d3", "d7", "d5", "d6"],
    )?;
    Ok((reference, demographics))
}

#[test]
fn t8_wealth_score_over_global_maxima() -> PolarsResult<()> {
    let (reference, demographics) = wealth_inputs()?;
    let out = wealth(reference.lazy(), demographics.lazy()).collect()?;
    // Z: 400/400 + 10/10 = 2.0. W: 200/400 + 6/10 = 1.1; X: mean(100, 300)/400 +
    // mean(10, 2)/10 = 1.1 (h1 counted once) → tie, W first. Y: h7's nulls are ignored:
    // 200/400 + 4/10 = 0.9, over 2 households.
    assert_frame_eq!(
        select(
            &out,
            &["dma", "households", "avg_net_worth", "avg_income_level"]
        )?,
        df!(
            "dma" => ["Z", "W", "X", "Y"],
            "households" => [1u32, 1, 2, 2],
            "avg_net_worth" => [400.0, 200.0, 200.0, 200.0],
            "avg_income_level" => [10.0, 6.0, 6.0, 4.0],
        )?
    );
    let scores = f64s(&out, "wealth_score")?;
    for (score, expected) in scores.iter().zip([2.0, 1.1, 1.1, 0.9]) {
        assert!((score.unwrap() - expected).abs() < 1e-12, "{scores:?}");
    }
    assert_eq!(wealthy_markets(out.lazy()).collect()?.height(), 4);
    Ok(())
}

#[test]
fn t9_wealthy_markets_pick_eleven_genres_not_taken_before() -> PolarsResult<()> {
    let mut dmas = Vec::new();
    let mut genres = Vec::new();
    let mut ranks = Vec::new();
    for rank in 1..=12u32 {
        dmas.push("A");
        genres.push(format!("G{rank:02}"));
        ranks.push(rank);
    }
    for (rank, genre) in ["G05", "G12", "G13"].iter().enumerate() {
        dmas.push("B");
        genres.push(genre.to_string());
        ranks.push(rank as u32 + 1);
    }
    let reach = df!("dma" => dmas, "genre" => genres, "genre_rank" => ranks)?;
    let wealthy = df!("dma" => ["A", "B", "C"], "wealth_score" => [3.0, 2.0, 1.0])?;
    let out = wealthy_market_genres(wealthy.lazy(), reach.lazy())?.collect()?;
    // A takes its 11 best (G01–G11); B's G05 is gone, so G12, G13; C has none.
    assert_frame_eq!(
        select(&out, &["dma", "genres"])?,
        df!(
            "dma" => ["A", "B", "C"],
            "genres" => ["G01, G02, G03, G04, G05, G06, G07, G08, G09, G10, G11", "G12, G13", ""],
        )?
    );
    Ok(())
}

#[test]
fn t10_popularity_counts_devices_per_shared_title() -> PolarsResult<()> {
    let programs = df!(
        "prog_code" => ["P1", "P2", "P3", "P4"],
        "title" => ["Alpha", "Alpha", "Beta", "Gamma"],
        "genre" => ["g"; 4],
    )?;
    let pairs = df!(
        "device_id" => ["d1", "d1", "d2", "d3", "d4", "d2"],
        "prog_code" => ["P1", "P2", "P2", "P3", "P1", "P4"],
        "events" => [1u64; 6],
    )?;
    let out = program_popularity(pairs.lazy(), programs.lazy())?.collect()?;
    // 4 devices in all. Alpha: d1 (P1 and P2, once), d2, d4 → 3 → 75. Beta d3, Gamma d2
    // → 25 each, tie broken by title.
    assert_frame_eq!(
        out,
        df!(
            "title" => ["Alpha", "Beta", "Gamma"],
            "devices" => [3u32, 1, 1],
            "popularity_index" => [75.0, 25.0, 25.0],
            "rank" => [1u32, 2, 3],
        )?
    );
    Ok(())
}

#[test]
fn t10_counts_of_device_disjoint_parts_add_up_to_the_whole() -> PolarsResult<()> {
    let programs = df!(
        "prog_code" => ["P1", "P2", "P3"],
        "title" => ["Alpha", "Alpha", "Beta"],
    )?;
    // d1 and d2 in one part, d3 in the other; d1 tunes to Alpha twice.
    let first = df!("device_id" => ["d1", "d1", "d2"], "prog_code" => ["P1", "P2", "P3"])?;
    let second = df!("device_id" => ["d3", "d3"], "prog_code" => ["P2", "P3"])?;
    let mut titles = Vec::new();
    let mut all = Vec::new();
    for part in [first.clone(), second.clone()] {
        titles.push(title_device_counts(
            part.clone().lazy(),
            programs.clone().lazy(),
        )?);
        all.push(all_device_count(part.lazy()));
    }
    let summed = |parts: Vec<LazyFrame>| concat(parts, UnionArgs::default());
    let titles = summed(titles)?
        .group_by([col("title")])
        .agg([col("devices").sum()]);
    let all = summed(all)?.select([col("devices").sum()]);
    let by_part = popularity_from_counts(titles, all)?.collect()?;
    let whole = program_popularity(summed(vec![first.lazy(), second.lazy()])?, programs.lazy())?
        .collect()?;
    // Alpha: d1, d3 of 3 devices; Beta: d2, d3.
    assert_frame_eq!(
        select(&by_part, &["title", "devices"])?,
        df!("title" => ["Alpha", "Beta"], "devices" => [2u32, 2])?
    );
    assert_frame_eq!(by_part, whole);
    Ok(())
}

#[test]
fn t11_market_potential_grades_markets_with_30_households() -> PolarsResult<()> {
    let (mut ref_dma, mut ref_household, mut ref_device) = (Vec::new(), Vec::new(), Vec::new());
    let (mut demo_household, mut demo_income) = (Vec::new(), Vec::new());
    let (mut event_device, mut event_count) = (Vec::new(), Vec::new());
    let mut household = |dma: &str, i: usize, income: Option<i32>, events: Option<u64>| {
        let id = format!("{dma}-h{i}");
        ref_dma.push(dma.to_string());
        ref_household.push(id.clone());
        ref_device.push(format!("{id}-d"));
        demo_household.push(id.clone());
        demo_income.push(income);
        if let Some(events) = events {
            event_device.push(format!("{id}-d"));
            event_count.push(events);
        }
    };
    // Big: 30 households with events = 3 × income level (levels 1…10 three times), plus
    // one with no income level and 7 events. Big2: 30 households, 5 events each.
    // Big3: 30 households that never tuned. Small: 29 households, not graded.
    for i in 0..30 {
        let level = (i % 10) as i32 + 1;
        household("Big", i, Some(level), Some(3 * level as u64));
        household("Big2", i, Some(level), Some(5));
        household("Big3", i, Some(level), None);
    }
    household("Big", 30, None, Some(7));
    for i in 0..29 {
        household("Small", i, Some(1), Some(1));
    }
    // A second device of Big's first household that never tuned.
    ref_dma.push("Big".into());
    ref_household.push("Big-h0".into());
    ref_device.push("Big-h0-idle".into());

    let reference =
        df!("dma" => ref_dma, "household_id" => ref_household, "device_id" => ref_device)?;
    let demographics = df!("household_id" => demo_household, "income_level" => demo_income)?;
    let events = df!("device_id" => event_device, "events" => event_count)?;
    let wealth =
        df!("dma" => ["Big", "Big2", "Big3", "Small"], "wealth_score" => [0.9, 0.9, 1.5, 3.0])?;
    let out = market_potential(
        reference.lazy(),
        demographics.lazy(),
        events.lazy(),
        wealth.lazy(),
    )?
    .collect()?;

    // Order by wealth: Big3 1.5, then Big and Big2 tied at 0.9 → by name.
    // Grades at positions 0, 1, 2 of 3: floor(0) A, floor(4/3) B, floor(8/3) C.
    // Big: 3 × (3 × 55) + 7 = 502 events over 32 devices.
    assert_frame_eq!(
        select(
            &out,
            &[
                "dma",
                "households",
                "devices",
                "viewing_per_device",
                "potential_grade"
            ]
        )?,
        df!(
            "dma" => ["Big3", "Big", "Big2"],
            "households" => [30u32, 31, 30],
            "devices" => [30u32, 32, 30],
            "viewing_per_device" => [0.0, 502.0 / 32.0, 5.0],
            "potential_grade" => ["A", "B", "C"],
        )?
    );
    let corr = f64s(&out, "income_viewing_corr")?;
    assert_eq!(corr[0], None, "no household tuned: zero variance");
    assert!(
        (corr[1].unwrap() - 1.0).abs() < 1e-12,
        "events are 3 × income level: {corr:?}"
    );
    assert_eq!(
        corr[2], None,
        "every household tuned 5 times: zero variance"
    );
    Ok(())
}

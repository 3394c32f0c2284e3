//! Movies V1–V3 on hand-made inputs, every expected value worked out by hand.

use polars::prelude::*;

use super::rules::*;
use super::tables::{self, CERTIFICATES};
use crate::assert_frame_eq;
use crate::schema::{validate, Validation, REASON, ROW_NR};
use crate::testing::raw_rows;
use crate::values;

/// A TMDB row with the V1 fields given and the others empty (an empty field is null,
/// as the reader gives it).
fn tmdb_row<'a>(fields: &[(&str, &'a str)]) -> Vec<Option<&'a str>> {
    tables::TMDB_COLUMNS
        .iter()
        .map(|name| {
            let value = fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
            value.filter(|v| !v.is_empty())
        })
        .collect()
}

/// V1 quarantines a row on its required fields only: an optional number that does
/// not parse or is out of range (vote_average 11, vote_count `many`, popularity
/// `inf`) is read as null and counted, and the movie stays.
#[test]
fn v1_tmdb_types_money_above_2_31_and_quarantines_the_first_bad_column() -> PolarsResult<()> {
    let schema = tables::tmdb().schema;
    let good = [
        ("id", "27205"),
        ("title", "Inception"),
        ("vote_average", "8.364"),
        ("vote_count", "34495"),
        ("status", "Released"),
        ("release_date", "2010-07-15"),
        ("revenue", "825532764"),
        ("runtime", "148"),
        ("budget", "160000000"),
    ];
    let with = |column: &'static str, value: &'static str| {
        let mut fields: Vec<(&'static str, &'static str)> =
            good.iter().copied().filter(|(n, _)| *n != column).collect();
        fields.push((column, value));
        fields
    };
    let big = with("revenue", "2923706026");
    let rows = [
        tmdb_row(&good),
        tmdb_row(&big),
        tmdb_row(&with("revenue", "lots")),
        tmdb_row(&with("runtime", "")),
        // Both bad: the first column in header order (release_date) names the row.
        tmdb_row(&{
            let mut fields = with("release_date", "15/07/2010");
            fields.retain(|(n, _)| *n != "budget");
            fields.push(("budget", "x"));
            fields
        }),
        tmdb_row(&with("vote_average", "11")),
        // A runtime below 1 is read: V4's `runtime > 0` leaves it out.
        tmdb_row(&with("runtime", "-5")),
        tmdb_row(&with("vote_count", "many")),
        tmdb_row(&{
            let mut fields = with("vote_average", "n/a");
            fields.push(("popularity", "inf"));
            fields
        }),
    ];
    let Validation {
        valid,
        quarantine,
        nulled,
    } = validate(raw_rows(&schema, &rows)?, &schema);
    let valid = valid.collect()?;
    assert_frame_eq!(
        valid.select([
            "id",
            "revenue",
            "budget",
            "runtime",
            "vote_average",
            "vote_count"
        ])?,
        df!(
            "id" => [27205i64; 6],
            "revenue" => [825532764i64, 2923706026, 825532764, 825532764, 825532764, 825532764],
            "budget" => [160000000i64; 6],
            "runtime" => [148i64, 148, 148, -5, 148, 148],
            "vote_average" => [Some(8.364), Some(8.364), None, Some(8.364), Some(8.364), None],
            "vote_count" => [Some(34495i64), Some(34495), Some(34495), Some(34495), None, Some(34495)],
        )?
    );
    assert_eq!(
        values::texts(&quarantine.collect()?, REASON, "")?,
        ["revenue|dtype", "runtime|required", "release_date|dtype"]
    );
    let nulled = nulled
        .expect("TMDB nulls invalid optional numbers")
        .collect()?;
    let count = |rule: &str| values::i64s(&nulled, rule, -1);
    assert_eq!(count("vote_average|dtype")?, [1]);
    assert_eq!(count("vote_average|range")?, [1]);
    assert_eq!(count("vote_count|dtype")?, [1]);
    assert_eq!(count("popularity|range")?, [1]);
    Ok(())
}

#[test]
fn v1_imdb_runtime_votes_and_rating_and_cpi_missing_values() -> PolarsResult<()> {
    let schema = tables::imdb().schema;
    let row = |runtime: &'static str, rating: &'static str, votes: &'static str| {
        vec![
            Some("Inception"),
            Some("Action"),
            Some(runtime),
            Some("PG-13"),
            Some(rating),
            Some("['Leonardo DiCaprio']"),
            Some("A thief"),
            Some(votes),
            Some("Christopher Nolan"),
        ]
    };
    let rows = [
        row("148 min", "8.8", "2,345,678"),
        row(" 90 min ", " ", "987"),
        // `1,2` is no number of votes and `N/A` no rating: read as null, row kept.
        row("148", "N/A", "1,2"),
        row("two hours", "7.0", "1"),
    ];
    let Validation {
        valid, quarantine, ..
    } = validate(raw_rows(&schema, &rows)?, &schema);
    assert_frame_eq!(
        valid.collect()?.select(["runtime", "rating", "votes"])?,
        df!(
            "runtime" => [148i64, 90, 148],
            "rating" => [Some(8.8), None, None],
            "votes" => [Some(2345678i64), Some(987), None],
        )?
    );
    assert_eq!(
        values::texts(&quarantine.collect()?, REASON, "")?,
        ["runtime|dtype"]
    );

    let schema = tables::cpi().schema;
    let rows = [
        vec![Some("2010-07-01"), Some("218.011")],
        vec![Some("2010-08-01"), Some(".")],
    ];
    let Validation {
        valid, quarantine, ..
    } = validate(raw_rows(&schema, &rows)?, &schema);
    assert_frame_eq!(
        valid.collect()?.select(["CPIAUCSL"])?,
        df!("CPIAUCSL" => [Some(218.011), None])?
    );
    assert_eq!(
        quarantine.collect()?.height(),
        0,
        "a `.` is a missing value"
    );
    Ok(())
}

/// The CPI holds one positive value per month at most: a month listed again (the
/// first in file order is kept), a day other than the first, and a CPI of 0 or below
/// are quarantined, so that V5 joins a movie to one CPI and V6 divides by a positive
/// one.
#[test]
fn v1_cpi_months_are_unique_first_days_and_values_positive() -> PolarsResult<()> {
    let schema = tables::cpi().schema;
    let rows = [
        vec![Some("2000-03-01"), Some("101.0")],
        vec![Some("2000-04-01"), Some("0")],
        vec![Some("2000-03-01"), Some("999.0")],
        vec![Some("2000-05-15"), Some("102.0")],
        vec![Some("2000-06-01"), Some("-5")],
        vec![Some("2000-07-01"), Some("103.0")],
        vec![Some(" 2000-07-01 "), Some("103.0")],
    ];
    let Validation {
        valid, quarantine, ..
    } = validate(raw_rows(&schema, &rows)?, &schema);
    assert_frame_eq!(
        valid.collect()?.select(["CPIAUCSL"])?,
        df!("CPIAUCSL" => [101.0, 103.0])?
    );
    assert_eq!(
        values::texts(&quarantine.collect()?, REASON, "")?,
        [
            "CPIAUCSL|range",
            "observation_date|duplicate",
            "observation_date|regex",
            "CPIAUCSL|range",
            "observation_date|duplicate"
        ]
    );
    Ok(())
}

#[test]
fn v2_titles_directors_and_stars_are_repaired() -> PolarsResult<()> {
    let raw = df!(
        "title" => [Some("AmÃ©lie"), Some(" ﬁght Club "), Some("nan"), Some("[]"), None],
        "director" => [Some("Jean-Pierre  Jeunet"), Some("David Fincher (I)"), Some("123"), Some(""), None],
        "stars" => [Some("['Audrey Tautou', 'Mathieu Kassovitz']"), Some("['Brad Pitt']"), Some("[]"), Some("nan"), None],
    )?;
    let out = raw
        .lazy()
        .select([
            clean_text(col("title")).alias("title"),
            clean_director(col("director")).alias("director"),
            clean_stars(col("stars")).alias("stars"),
        ])
        .collect()?;
    assert_frame_eq!(
        out,
        df!(
            "title" => [Some("Amélie"), Some("fight Club"), None, None, None],
            "director" => [Some("Jean-Pierre Jeunet"), Some("David Fincher I"), None, None, None],
            "stars" => [Some("Audrey Tautou, Mathieu Kassovitz"), Some("Brad Pitt"), None, None, None],
        )?
    );
    Ok(())
}

#[test]
fn v3_every_certificate_spelling_maps_and_others_are_kept() -> PolarsResult<()> {
    let mut spellings: Vec<Option<&str>> = CERTIFICATES.iter().map(|(s, _)| Some(*s)).collect();
    spellings.extend([Some(" PG-13 "), Some("E"), None]);
    let mut expected: Vec<Option<&str>> = CERTIFICATES.iter().map(|(_, r)| Some(*r)).collect();
    expected.extend([Some("PG-13"), Some("E"), None]);
    let n = spellings.len();
    let out = map_certificates(
        df!("row" => (0..n as u32).collect::<Vec<_>>(), "certificate" => spellings)?.lazy(),
    )?
    .collect()?;
    assert_frame_eq!(
        out,
        df!("row" => (0..n as u32).collect::<Vec<_>>(), "certificate" => expected)?
    );
    // The spec's groups, spelled out: 30 spellings onto 9 ratings.
    let ratings: std::collections::BTreeSet<&str> = CERTIFICATES.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        ratings.into_iter().collect::<Vec<_>>(),
        [
            "12+",
            "15+",
            "18+",
            "Banned",
            "G",
            "NC-17",
            "Not Rated",
            "PG",
            "PG-13",
            "R"
        ]
    );
    Ok(())
}

/// Validated TMDB rows: (id, title, status, runtime, vote_count, release_date,
/// revenue, budget).
type TmdbRow<'a> = (i64, &'a str, &'a str, i64, Option<i64>, &'a str, i64, i64);

fn tmdb(rows: &[TmdbRow]) -> PolarsResult<LazyFrame> {
    let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    Ok(df!(
        "id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "title" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "status" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "runtime" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "vote_count" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "release_date" => rows.iter().map(|r| date(r.5)).collect::<Vec<_>>(),
        "revenue" => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        "budget" => rows.iter().map(|r| r.7).collect::<Vec<_>>(),
        "genres" => vec![None::<&str>; rows.len()],
    )?
    .lazy())
}

/// [`tmdb`] with each row's `genres`.
fn tmdb_with_genres(rows: &[TmdbRow], genres: &[&str]) -> PolarsResult<LazyFrame> {
    let genres = Series::new("genres".into(), genres);
    Ok(tmdb(rows)?.with_column(lit(genres)))
}

/// Validated IMDB rows in file order: (movie, runtime, certificate, rating, director).
fn imdb(rows: &[(&str, i64, &str, Option<f64>, &str)]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    Ok(df!(
        ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
        "movie" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "genre" => vec!["Drama"; n],
        "runtime" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "certificate" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "rating" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "stars" => vec!["['A']"; n],
        "director" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    )?
    .lazy())
}

#[test]
fn v4_filters_first_then_keeps_the_most_voted_lowest_id() -> PolarsResult<()> {
    let rows: [TmdbRow; 7] = [
        (5, "Heat", "Released", 170, Some(10), "1995-12-15", 1, 1),
        (3, "HEAT", "Released", 170, Some(10), "1995-12-15", 1, 1), // ties 5: lower id wins
        (9, "Heat", "Released", 170, None, "1995-12-15", 1, 1),     // no votes: 0
        (7, "Heat", "Rumored", 170, Some(99), "1995-12-15", 1, 1),  // filtered out first
        (8, "Heat", "Released", 120, Some(1), "1995-12-15", 1, 1),  // another runtime
        (4, "nan", "Released", 100, Some(5), "1995-12-15", 1, 1),   // no title
        (6, "Short", "Released", 0, Some(5), "1995-12-15", 1, 1),   // runtime 0
    ];
    let out = tmdb_movies(tmdb(&rows)?)?
        .sort(["id"], Default::default())
        .collect()?;
    assert_frame_eq!(
        out.select(["id", "title"])?,
        df!("id" => [3i64, 8], "title" => ["HEAT", "Heat"])?
    );
    let imdb_rows = [
        ("Heat", 170, "R", Some(8.3), "Michael Mann"),
        ("heat ", 170, "18", Some(1.0), "Someone Else"), // same key, later: dropped
        ("Heat", 170, "R", Some(8.3), "  "),             // no director: filtered first
        ("Alien", 117, "X", None, "Ridley Scott"),
    ];
    let out = imdb_movies(imdb(&imdb_rows)?)?
        .sort([ROW_NR], Default::default())
        .collect()?;
    assert_frame_eq!(
        out.select(["movie", "certificate", "director"])?,
        df!(
            "movie" => ["Heat", "Alien"],
            "certificate" => ["R", "NC-17"],
            "director" => ["Michael Mann", "Ridley Scott"],
        )?
    );
    Ok(())
}

#[test]
fn v5_v6_join_on_title_and_runtime_then_cpi_in_base_month_dollars() -> PolarsResult<()> {
    let tmdb_rows: [TmdbRow; 5] = [
        (
            1,
            "Heat",
            "Released",
            170,
            Some(1),
            "1995-12-15",
            187_436_818,
            60_000_000,
        ),
        (
            2,
            "Alien",
            "Released",
            117,
            Some(1),
            "1979-05-25",
            0,
            11_000_000,
        ),
        (
            3,
            "Up",
            "Released",
            96,
            Some(1),
            "2009-05-29",
            735_099_082,
            0,
        ),
        (
            4,
            "Solo",
            "Released",
            135,
            Some(1),
            "2018-05-25",
            392_924_807,
            275_000_000,
        ),
        (5, "Lonely", "Released", 90, Some(1), "2001-01-01", 5, 5),
    ];
    let imdb_rows = [
        ("HEAT", 170, "R", Some(8.3), "Michael Mann"),
        ("Alien", 117, "R", Some(8.5), "Ridley Scott"),
        ("Up", 96, "PG", Some(8.3), "Pete Docter"),
        ("Solo", 135, "PG-13", Some(6.9), "Ron Howard"),
        ("Heat", 120, "R", None, "Nobody"), // another runtime: unmatched
    ];
    let cpi = df!(
        "observation_date" => [
            chrono::NaiveDate::from_ymd_opt(1995, 12, 1),
            chrono::NaiveDate::from_ymd_opt(2009, 5, 1),
            chrono::NaiveDate::from_ymd_opt(2018, 5, 1),
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            chrono::NaiveDate::from_ymd_opt(2020, 2, 1),
        ],
        "CPIAUCSL" => [Some(153.1), Some(213.856), None, Some(259.0), None],
    )?
    .lazy();
    let matched = match_catalogues(
        tmdb_movies(tmdb(&tmdb_rows)?)?,
        imdb_movies(imdb(&imdb_rows)?)?,
        cpi.clone(),
    )?;
    // Lonely has no IMDB match, IMDB's 120-minute Heat no TMDB one; Alien has no
    // revenue; Solo's month has a `.` CPI.
    assert_frame_eq!(
        matched.counts.collect()?,
        df!(
            "count" => ["unmatched_tmdb", "unmatched_imdb", "no_revenue", "missing_cpi"],
            "rows" => [1u32, 1, 1, 1],
        )?
    );
    // The base month is the last with a value, 2020-01 (259.0; 2020-02 is `.`).
    let base = base_cpi(cpi.clone(), None).collect()?;
    assert_frame_eq!(
        base,
        df!("base_month" => [202001i32], "base_cpi" => [259.0])?
    );
    assert_eq!(
        base_cpi(cpi, Some(202002)).collect()?.height(),
        0,
        "no value"
    );
    let out = constant_dollars(matched.movies, df!("base_cpi" => [259.0])?.lazy()).collect()?;
    assert_eq!(
        out.get_column_names(),
        [
            "movie_id",
            "title",
            "release_date",
            "release_year",
            "release_month",
            "runtime",
            "certificate",
            "rating",
            "director",
            "budget",
            "revenue",
            "cpi",
            "budget_real",
            "revenue_real",
            "profit_real",
            "roi"
        ]
    );
    // Heat: 60M × 259 / 153.1 and 187,436,818 × 259 / 153.1; roi (187436818 − 60M) /
    // 60M. Up: no budget, so no roi.
    let heat_budget = 60_000_000.0 * 259.0 / 153.1;
    let heat_revenue = 187_436_818.0 * 259.0 / 153.1;
    let up_revenue = 735_099_082.0 * 259.0 / 213.856;
    assert_frame_eq!(
        out.select([
            "movie_id",
            "release_year",
            "release_month",
            "director",
            "budget_real",
            "revenue_real",
            "profit_real",
            "roi"
        ])?,
        df!(
            "movie_id" => [1i64, 3],
            "release_year" => [1995i32, 2009],
            "release_month" => [12i32, 5],
            "director" => ["Michael Mann", "Pete Docter"],
            "budget_real" => [heat_budget, 0.0],
            "revenue_real" => [heat_revenue, up_revenue],
            "profit_real" => [heat_revenue - heat_budget, up_revenue],
            "roi" => [Some((187_436_818.0 - 60_000_000.0) / 60_000_000.0), None],
        )?
    );
    Ok(())
}

#[test]
fn v7_the_bridge_takes_the_genres_of_the_kept_tmdb_row() -> PolarsResult<()> {
    // Each id is on two TMDB rows with other genres: id 5's second row loses V4's
    // deduplication (fewer votes), id 6's is not released, id 7's is another title,
    // which IMDB does not list. Only the rows kept and matched give genres.
    let rows: [TmdbRow; 6] = [
        (5, "Heat", "Released", 170, Some(10), "1995-12-15", 100, 10),
        (5, "Heat", "Released", 170, Some(1), "1995-12-15", 100, 10),
        (6, "Up", "Released", 96, Some(1), "2009-05-29", 100, 10),
        (
            6,
            "Up",
            "Post Production",
            96,
            Some(1),
            "2009-05-29",
            100,
            10,
        ),
        (7, "Alien", "Released", 117, Some(1), "1995-12-15", 100, 10),
        (7, "Lonely", "Released", 90, Some(1), "1995-12-15", 100, 10),
    ];
    let genres = ["Action", "Horror", "Comedy", "Western", "Drama", "Music"];
    let imdb_rows = [
        ("Heat", 170, "R", None, "Michael Mann"),
        ("Up", 96, "PG", None, "Pete Docter"),
        ("Alien", 117, "R", None, "Ridley Scott"),
    ];
    let cpi = df!(
        "observation_date" => [
            chrono::NaiveDate::from_ymd_opt(1995, 12, 1),
            chrono::NaiveDate::from_ymd_opt(2009, 5, 1),
        ],
        "CPIAUCSL" => [Some(153.1), Some(213.856)],
    )?
    .lazy();
    let matched = match_catalogues(
        tmdb_movies(tmdb_with_genres(&rows, &genres)?)?,
        imdb_movies(imdb(&imdb_rows)?)?,
        cpi,
    )?;
    assert_frame_eq!(
        movie_genres(matched.movies).collect()?,
        df!("movie_id" => [5i64, 6, 7], "genre" => ["Action", "Comedy", "Drama"])?
    );
    Ok(())
}

#[test]
fn v7_the_genre_bridge_counts_each_movie_once_per_genre() -> PolarsResult<()> {
    // Three matched movies; movie 3 has no genres.
    let movies = df!(
        "id" => [1i64, 2, 3],
        "genres" => [Some("Action, Drama, Action"), Some(" Drama ,, "), None],
    )?
    .lazy();
    let enriched = df!(
        "movie_id" => [1i64, 2, 3],
        "release_year" => [1995i32, 1995, 2009],
        "director" => ["Mann", "Mann", "Docter"],
        "rating" => [Some(8.0), None, Some(7.0)],
        "revenue_real" => [300.0, 100.0, 50.0],
        "budget_real" => [100.0, 100.0, 0.0],
        "profit_real" => [200.0, 0.0, 50.0],
        "roi" => [Some(2.0), Some(0.0), None],
    )?
    .lazy();
    let genres = movie_genres(movies).collect()?;
    // Movie 1's repeated Action counts once; movie 3 has no genre.
    assert_frame_eq!(
        genres,
        df!("movie_id" => [1i64, 1, 2], "genre" => ["Action", "Drama", "Drama"])?
    );
    // Drama: movies 1 and 2 (300 + 100, budgets 100 + 100, roi mean (2 + 0) / 2);
    // Action: movie 1 alone. A movie-level sum would count movie 1 twice.
    assert_frame_eq!(
        genre_revenue(genres.lazy(), enriched.clone()).collect()?,
        df!(
            "genre" => ["Drama", "Action"],
            "movies" => [2 as IdxSize, 1],
            "revenue_real" => [400.0, 300.0],
            "budget_real" => [200.0, 100.0],
            "avg_roi" => [1.0, 2.0],
        )?
    );
    // Mann's rating mean skips the missing one.
    assert_frame_eq!(
        director_revenue(enriched.clone()).collect()?,
        df!(
            "director" => ["Mann", "Docter"],
            "movies" => [2 as IdxSize, 1],
            "revenue_real" => [400.0, 50.0],
            "profit_real" => [200.0, 50.0],
            "avg_rating" => [8.0, 7.0],
        )?
    );
    assert_frame_eq!(
        yearly_revenue(enriched).collect()?,
        df!(
            "release_year" => [1995i32, 2009],
            "movies" => [2 as IdxSize, 1],
            "revenue_real" => [400.0, 50.0],
            "budget_real" => [200.0, 0.0],
        )?
    );
    Ok(())
}

#[test]
fn every_runtime_is_in_exactly_one_pass_negative_ones_too() -> PolarsResult<()> {
    let runtimes = df!("runtime" => [-7i64, -1, 0, 5, 12, 90])?;
    let pass_of = |pass: u64| -> PolarsResult<Vec<i64>> {
        let rows = runtimes
            .clone()
            .lazy()
            .filter(runtime_in_pass(pass, 3))
            .collect()?;
        Ok(rows.column("runtime")?.i64()?.into_no_null_iter().collect())
    };
    // -7 mod 3 = 2, -1 mod 3 = 2, 0, 12 and 90 mod 3 = 0, 5 mod 3 = 2.
    assert_eq!(pass_of(0)?, [0, 12, 90]);
    assert_eq!(pass_of(1)?, Vec::<i64>::new());
    assert_eq!(pass_of(2)?, [-7, -1, 5]);
    assert_eq!(
        runtimes
            .clone()
            .lazy()
            .filter(runtime_in_pass(0, 1))
            .collect()?
            .height(),
        6
    );
    Ok(())
}

#[test]
fn counts_of_passes_add_up_in_their_order() -> PolarsResult<()> {
    let pass = |a: u32, b: u32| df!("count" => ["unmatched_tmdb", "no_revenue"], "rows" => [a, b]);
    let summed = summed_counts(vec![pass(1, 2)?, pass(10, 0)?, pass(100, 5)?])?.collect()?;
    assert_frame_eq!(
        summed,
        df!("count" => ["unmatched_tmdb", "no_revenue"], "rows" => [111u32, 7])?
    );
    Ok(())
}

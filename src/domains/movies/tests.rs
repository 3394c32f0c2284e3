//! Movies V1–V3 on hand-made inputs, every expected value worked out by hand.

use polars::prelude::*;

use super::rules::*;
use super::tables::{self, CERTIFICATES};
use crate::assert_frame_eq;
use crate::schema::{
    validate, TableSchema, Validation, LAYOUT_ERROR, LINE, REASON, ROW_NR, SOURCE_FILE,
};
use crate::values;

/// Raw rows of `schema` as the reader gives them: `values[i]` per column, in order,
/// with `None` for an empty field.
fn raw(schema: &TableSchema, rows: &[Vec<Option<&str>>]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    let mut frame = df!(
        SOURCE_FILE => vec!["f.csv"; n],
        LINE => (2..n as IdxSize + 2).collect::<Vec<_>>(),
        ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
        LAYOUT_ERROR => vec![None::<&str>; n],
    )?;
    for (i, name) in schema.column_names().into_iter().enumerate() {
        let values: Vec<Option<&str>> = rows.iter().map(|r| r[i]).collect();
        frame.with_column(Column::new(name.into(), values))?;
    }
    Ok(frame.lazy())
}

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
    ];
    let Validation { valid, quarantine } = validate(raw(&schema, &rows)?, &schema);
    let valid = valid.collect()?;
    assert_frame_eq!(
        valid.select(["id", "revenue", "budget", "runtime"])?,
        df!(
            "id" => [27205i64, 27205],
            "revenue" => [825532764i64, 2923706026],
            "budget" => [160000000i64, 160000000],
            "runtime" => [148i64, 148],
        )?
    );
    assert_eq!(
        values::texts(&quarantine.collect()?, REASON, "")?,
        [
            "revenue|dtype",
            "runtime|required",
            "release_date|dtype",
            "vote_average|range"
        ]
    );
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
        row("148", "7.0", "1,2"),
        row("two hours", "7.0", "1"),
    ];
    let Validation { valid, quarantine } = validate(raw(&schema, &rows)?, &schema);
    assert_frame_eq!(
        valid.collect()?.select(["runtime", "rating", "votes"])?,
        df!(
            "runtime" => [148i64, 90],
            "rating" => [Some(8.8), None],
            "votes" => [2345678i64, 987],
        )?
    );
    assert_eq!(
        values::texts(&quarantine.collect()?, REASON, "")?,
        ["votes|dtype", "runtime|dtype"]
    );

    let schema = tables::cpi().schema;
    let rows = [
        vec![Some("2010-07-01"), Some("218.011")],
        vec![Some("2010-08-01"), Some(".")],
    ];
    let Validation { valid, quarantine } = validate(raw(&schema, &rows)?, &schema);
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

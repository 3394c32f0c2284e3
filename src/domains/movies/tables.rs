//! The movies domain's raw tables (`spec/movies.md`, V1): the TMDB export, the IMDB
//! catalogue and the FRED CPI series, each a declared schema with its file names,
//! and the certificate spellings of V3 as a declared mapping.

use crate::io::{RawTable, Source, TextLayout};
use crate::schema::{Column, ColumnType, Prepare, TableSchema};

/// The TMDB export's columns, in file order.
pub const TMDB_COLUMNS: [&str; 24] = [
    "id",
    "title",
    "vote_average",
    "vote_count",
    "status",
    "release_date",
    "revenue",
    "runtime",
    "adult",
    "backdrop_path",
    "budget",
    "homepage",
    "imdb_id",
    "original_language",
    "original_title",
    "overview",
    "popularity",
    "poster_path",
    "tagline",
    "genres",
    "production_companies",
    "production_countries",
    "spoken_languages",
    "keywords",
];

/// The first films are of the 1870s; no release is dated past 2100.
const RELEASE_YEARS: (i32, i32) = (1870, 2100);

/// The largest |revenue| or |budget| read, in dollars: the largest real ones are a
/// few billion; past 10¹³ a value is broken, and sums stay within 64 bits.
pub const MONEY_LIMIT: f64 = 1e13;

/// The smallest CPI read: an index value is positive (CPIAUCSL is 21.5 in 1947 and
/// near 320 in 2025).
const CPI_MIN: f64 = 0.001;

/// The longest runtime read, in minutes (the longest films run for days).
const RUNTIME_LIMIT: f64 = 100_000.0;

/// `TMDB_movie_dataset*.csv`: one movie per record, with header; quoted fields may
/// hold commas and line breaks. V1: id, vote_count and runtime integers; revenue and
/// budget 64-bit integers (whole dollars, above 2³¹); release_date a date;
/// vote_average a float. Required: id, title, release_date, revenue, budget, runtime;
/// a row whose required field fails is quarantined. An optional number (vote_average,
/// vote_count, popularity) that does not parse or is out of range is read as null,
/// counted, and its row kept: V1 quarantines on required fields only.
pub fn tmdb() -> RawTable {
    let columns = TMDB_COLUMNS
        .iter()
        .map(|&name| match name {
            "id" => Column::new(name, ColumnType::Int)
                .required()
                .range(0.0, 1e12),
            "title" => Column::text(name).required(),
            "vote_average" => Column::new(name, ColumnType::Float)
                .range(0.0, 10.0)
                .null_when_invalid(),
            "vote_count" => Column::new(name, ColumnType::Int)
                .range(0.0, 1e12)
                .null_when_invalid(),
            "release_date" => Column::new(name, ColumnType::Date("%Y-%m-%d"))
                .required()
                .years(RELEASE_YEARS.0, RELEASE_YEARS.1),
            "revenue" | "budget" => Column::new(name, ColumnType::Int)
                .required()
                .range(-MONEY_LIMIT, MONEY_LIMIT),
            // Below 1 minute the runtime is read, and V4's filter leaves it out.
            "runtime" => Column::new(name, ColumnType::Int)
                .required()
                .range(-RUNTIME_LIMIT, RUNTIME_LIMIT),
            "popularity" => Column::new(name, ColumnType::Float)
                .finite()
                .null_when_invalid(),
            _ => Column::text(name),
        })
        .collect();
    RawTable::new(
        TableSchema::new("tmdb", columns),
        vec![Source::text(
            "TMDB_movie_dataset",
            ".csv",
            TextLayout::CSV_WITH_HEADER,
        )],
    )
}

/// `IMDB*.csv`: `movie,genre,runtime,certificate,rating,stars,description,votes,
/// director`. V1: runtime the number of `105 min`, rating a float (may be empty),
/// votes an integer written `1,234`. Required: movie, runtime; a rating or votes that
/// does not parse or is out of range is read as null and counted, the row kept.
pub fn imdb() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "imdb",
            vec![
                Column::text("movie").required(),
                Column::text("genre"),
                Column::new("runtime", ColumnType::Int)
                    .prepared(Prepare::Unit("min"))
                    .required()
                    .range(0.0, RUNTIME_LIMIT),
                Column::text("certificate"),
                Column::new("rating", ColumnType::Float)
                    .range(0.0, 10.0)
                    .null_when_invalid(),
                Column::text("stars"),
                Column::text("description"),
                Column::new("votes", ColumnType::Int)
                    .prepared(Prepare::NoThousandsSeparators)
                    .range(0.0, 1e12)
                    .null_when_invalid(),
                Column::text("director"),
            ],
        ),
        vec![Source::text("IMDB", ".csv", TextLayout::CSV_WITH_HEADER)],
    )
}

/// `CPI*.csv`: FRED's CPIAUCSL, `observation_date,CPIAUCSL`, one row per month
/// (`YYYY-MM-01`); `.` is FRED's missing value, read as null (the month then has no
/// CPI, V5). A month is read once: a date that is not a month's first day, or a month
/// already listed (the first in file order is kept), is quarantined, so that no
/// movie is joined to two CPI values. An index is positive: a CPI of 0 or below
/// (which would divide by zero or flip the sign of V6's real dollars) is quarantined.
pub fn cpi() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "cpi",
            vec![
                Column::new("observation_date", ColumnType::Date("%Y-%m-%d"))
                    .required()
                    .regex(r"^\d{4}-\d{2}-01$")
                    .years(1900, 2100),
                Column::new("CPIAUCSL", ColumnType::Float)
                    .prepared(Prepare::Missing("."))
                    .range(CPI_MIN, 1e6),
            ],
        )
        .unique_key("observation_date"),
        vec![Source::text("CPI", ".csv", TextLayout::CSV_WITH_HEADER)],
    )
}

/// V3: each certificate spelling and the rating it means; a spelling not listed is
/// kept as written.
pub const CERTIFICATES: &[(&str, &str)] = &[
    ("G", "G"),
    ("U", "G"),
    ("PG", "PG"),
    ("M/PG", "PG"),
    ("TV-PG", "PG"),
    ("PG-13", "PG-13"),
    ("UA 13+", "PG-13"),
    ("13+", "PG-13"),
    ("UA 7+", "PG-13"),
    ("U/A 7+", "PG-13"),
    ("TV-14", "PG-13"),
    ("R", "R"),
    ("M", "R"),
    ("NC-17", "NC-17"),
    ("X", "NC-17"),
    ("18+", "18+"),
    ("18", "18+"),
    ("16+", "18+"),
    ("16", "18+"),
    ("15+", "15+"),
    ("15", "15+"),
    ("12+", "12+"),
    ("12", "12+"),
    ("13", "12+"),
    ("Not Rated", "Not Rated"),
    ("Unrated", "Not Rated"),
    ("Passed", "Not Rated"),
    ("Approved", "Not Rated"),
    ("All", "Not Rated"),
    ("(Banned)", "Banned"),
];

/// Every raw table of the domain, in the order a run reads them.
pub fn all() -> Vec<RawTable> {
    vec![tmdb(), imdb(), cpi()]
}

//! Synthetic movie catalogues in the real layouts (`spec/movies.md`): a TMDB export
//! (`TMDB_movie_dataset_v11.csv`, 24 columns, quoted overviews with commas and line
//! breaks, revenue and budget above 2³¹), an IMDB catalogue (`IMDB_movies.csv`,
//! `105 min` runtimes, `1,234` votes, `['A', 'B']` star lists, every certificate
//! spelling of V3) and FRED's CPI (`CPIAUCSL.csv`, monthly, `.` for a few months).
//!
//! Injected at known rates, each counted in the summary: mojibake titles (repaired by
//! V2), TMDB duplicates (V4), unreleased movies and runtimes of 0 (V4), IMDB rows
//! without a director (V4), movies only one catalogue has (V5), zero revenues and
//! budgets (V5, V6), release months without CPI (V5), and unparseable revenues (V1).
//! The same seed and size give the same bytes.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate};

use super::tables::{CERTIFICATES, TMDB_COLUMNS};
use crate::io::{create_file, create_folder};
use crate::progress::thousands;
use crate::synth::{csv_field, GenSummary, Synth};

/// How much to generate.
#[derive(Clone, Debug)]
pub struct MoviesGenConfig {
    /// TMDB rows (the real export has about 1.2M).
    pub movies: u64,
    pub seed: u64,
}

const ADJECTIVES: [&str; 12] = [
    "Silent", "Last", "Dark", "Golden", "Broken", "Hidden", "Red", "Lost", "Final", "Wild",
    "Frozen", "Secret",
];
const NOUNS: [&str; 12] = [
    "River", "Empire", "Garden", "Signal", "Harbor", "Mirror", "Kingdom", "Voyage", "Storm",
    "Letter", "Summer", "Machine",
];
/// Words with accents: a title holding one is written as mojibake at a known rate.
const ACCENTED: [&str; 4] = ["Amélie", "Café", "Señor", "Élan"];
const GENRES: [&str; 10] = [
    "Action",
    "Adventure",
    "Comedy",
    "Crime",
    "Drama",
    "Fantasy",
    "Horror",
    "Romance",
    "Science Fiction",
    "Thriller",
];
const DIRECTORS: [&str; 8] = [
    "Michael Mann",
    "Jean-Pierre Jeunet",
    "M. Night Shyamalan",
    "Conan O'Brien",
    "Kathryn Bigelow",
    "Bong Joon-ho",
    "Greta Gerwig",
    "Ridley Scott",
];
const STARS: [&str; 6] = [
    "Tom Hanks",
    "Meg Ryan",
    "Lupita Nyong'o",
    "Audrey Tautou",
    "Al Pacino",
    "Cate Blanchett",
];

/// The CPI series: monthly from 1950 to 2024.
const CPI_FIRST_YEAR: i32 = 1950;
const CPI_LAST_YEAR: i32 = 2024;

/// Writes the three catalogues into `out`; returns what was written.
///
/// # Errors
/// When a file cannot be created or written; the message names it.
pub fn generate(out: &Path, config: &MoviesGenConfig) -> Result<GenSummary> {
    create_folder(out)?;
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    let missing_months = write_cpi(out, &mut summary)?;
    write_catalogues(out, config, &missing_months, &mut synth, &mut summary)?;
    Ok(summary)
}

/// `CPIAUCSL.csv`; returns the months (yyyymm) written as `.`.
fn write_cpi(out: &Path, summary: &mut GenSummary) -> Result<Vec<i32>> {
    let mut file = create_file(&out.join("CPIAUCSL.csv"))?;
    writeln!(file, "observation_date,CPIAUCSL")?;
    let mut missing = Vec::new();
    let mut rows = 0u64;
    for year in CPI_FIRST_YEAR..=CPI_LAST_YEAR {
        for month in 1..=12u32 {
            let index = (year - CPI_FIRST_YEAR) * 12 + month as i32 - 1;
            // One month in 97 is missing, as FRED marks a gap.
            if index % 97 == 96 {
                writeln!(file, "{year}-{month:02}-01,.")?;
                missing.push(year * 100 + month as i32);
            } else {
                let cpi = 24.0 * 1.0031f64.powi(index);
                writeln!(file, "{year}-{month:02}-01,{cpi:.3}")?;
            }
            rows += 1;
        }
    }
    file.flush()?;
    summary.rows.insert("cpi", rows);
    Ok(missing)
}

/// One movie as both catalogues know it.
struct Movie {
    title: String,
    runtime: u64,
    release: NaiveDate,
}

/// `TMDB_movie_dataset_v11.csv` and `IMDB_movies.csv`.
fn write_catalogues(
    out: &Path,
    config: &MoviesGenConfig,
    missing_months: &[i32],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let mut tmdb = create_file(&out.join("TMDB_movie_dataset_v11.csv"))?;
    let mut imdb = create_file(&out.join("IMDB_movies.csv"))?;
    writeln!(tmdb, "{}", TMDB_COLUMNS.join(","))?;
    writeln!(
        imdb,
        "movie,genre,runtime,certificate,rating,stars,description,votes,director"
    )?;
    let first_day = NaiveDate::from_ymd_opt(CPI_FIRST_YEAR, 1, 1).unwrap_or_default();
    let days = (NaiveDate::from_ymd_opt(CPI_LAST_YEAR, 12, 31).unwrap_or_default() - first_day)
        .num_days() as u64;
    let mut previous: Option<Movie> = None;
    let (mut tmdb_rows, mut imdb_rows) = (0u64, 0u64);
    for id in 1..=config.movies {
        // A duplicate of the previous movie: same title and runtime, other votes.
        let duplicate = synth.chance(0.02) && previous.is_some();
        let movie = match (&previous, duplicate) {
            (Some(before), true) => {
                summary.fault("tmdb", "duplicate (V4)");
                Movie {
                    title: before.title.clone(),
                    runtime: before.runtime,
                    release: before.release,
                }
            }
            _ => {
                let mut title = format!("{} {} {id}", synth.pick(&ADJECTIVES), synth.pick(&NOUNS));
                if synth.chance(0.05) {
                    title = format!("{} {title}", synth.pick(&ACCENTED));
                }
                Movie {
                    title,
                    runtime: synth.below(70, 200),
                    release: first_day + Duration::days(synth.below(0, days) as i64),
                }
            }
        };
        tmdb_rows += 1;
        write_tmdb(&mut tmdb, id, &movie, missing_months, synth, summary)?;
        // Most movies are in the IMDB catalogue too (a duplicate was written already).
        if !duplicate {
            if synth.chance(0.85) {
                write_imdb(&mut imdb, &movie.title, movie.runtime, synth, summary)?;
                imdb_rows += 1;
            } else {
                summary.fault("tmdb", "unmatched (V5)");
            }
            // A movie only IMDB has.
            if synth.chance(0.03) {
                let title = format!("Unreleased {} {id}", synth.pick(&NOUNS));
                write_imdb(&mut imdb, &title, synth.below(70, 200), synth, summary)?;
                summary.fault("imdb", "unmatched (V5)");
                imdb_rows += 1;
            }
        }
        previous = Some(movie);
    }
    tmdb.flush()?;
    imdb.flush()?;
    summary.rows.insert("tmdb", tmdb_rows);
    summary.rows.insert("imdb", imdb_rows);
    Ok(())
}

/// UTF-8 bytes read as Latin-1: the mojibake V2 repairs (`é` → `Ã©`).
fn mojibake(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

fn write_tmdb(
    file: &mut impl Write,
    id: u64,
    movie: &Movie,
    missing_months: &[i32],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let title = if !movie.title.is_ascii() && synth.chance(0.5) {
        summary.fault("tmdb", "mojibake (V2)");
        mojibake(&movie.title)
    } else {
        movie.title.clone()
    };
    let status = if synth.chance(0.04) {
        summary.fault("tmdb", "not released (V4)");
        "Post Production"
    } else {
        "Released"
    };
    let runtime = if synth.chance(0.01) {
        summary.fault("tmdb", "runtime 0 (V4)");
        0
    } else {
        movie.runtime
    };
    let revenue = if synth.chance(0.15) {
        summary.fault("tmdb", "no_revenue (V5)");
        "0".to_string()
    } else if synth.chance(0.002) {
        summary.fault("tmdb", "revenue|dtype");
        "unknown".to_string()
    } else {
        format!("{:.0}", synth.log_normal(30e6, 1.6).min(3e9))
    };
    let budget = if synth.chance(0.1) {
        summary.fault("tmdb", "budget 0 (V6)");
        0
    } else {
        synth.log_normal(15e6, 1.2).min(4e8) as u64
    };
    let month = movie.release.year() * 100 + movie.release.month() as i32;
    if missing_months.contains(&month) {
        summary.fault("tmdb", "missing_cpi (V5)");
    }
    let genres: Vec<&str> = (0..synth.below(1, 4))
        .map(|_| *synth.pick(&GENRES))
        .collect();
    let overview = if synth.chance(0.2) {
        "A story told twice, with a twist\nand a second line"
    } else {
        "A story, in one line"
    };
    let votes = synth.below(0, 20_000);
    let vote_count = if synth.chance(0.05) {
        String::new()
    } else {
        votes.to_string()
    };
    let fields: [String; 24] = [
        id.to_string(),
        title.clone(),
        format!("{:.3}", synth.unit() * 10.0),
        vote_count,
        status.to_string(),
        movie.release.format("%Y-%m-%d").to_string(),
        revenue,
        runtime.to_string(),
        "False".to_string(),
        String::new(),
        budget.to_string(),
        String::new(),
        format!("tt{:07}", id),
        "en".to_string(),
        title,
        overview.to_string(),
        format!("{:.3}", synth.unit() * 100.0),
        String::new(),
        String::new(),
        genres.join(", "),
        String::new(),
        "United States of America".to_string(),
        "English".to_string(),
        String::new(),
    ];
    let line: Vec<String> = fields.iter().map(|f| csv_field(f).into_owned()).collect();
    writeln!(file, "{}", line.join(","))?;
    Ok(())
}

fn write_imdb(
    file: &mut impl Write,
    title: &str,
    runtime: u64,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    // Every V3 spelling, and one that is not listed (kept as written).
    let certificate = if synth.chance(0.05) {
        "E"
    } else {
        synth.pick(CERTIFICATES).0
    };
    let rating = if synth.chance(0.05) {
        String::new()
    } else {
        format!("{:.1}", 1.0 + synth.unit() * 9.0)
    };
    let director = if synth.chance(0.02) {
        summary.fault("imdb", "no director (V4)");
        String::new()
    } else if synth.chance(0.1) {
        format!("{}  (I)", synth.pick(&DIRECTORS))
    } else {
        synth.pick(&DIRECTORS).to_string()
    };
    let stars = format!(
        "[{}]",
        (0..synth.below(1, 4))
            .map(|_| {
                let star = *synth.pick(&STARS);
                if star.contains('\'') {
                    format!("\"{star}\"")
                } else {
                    format!("'{star}'")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let votes = thousands(synth.below(10, 2_500_000));
    let fields = [
        title.to_string(),
        synth.pick(&GENRES).to_string(),
        format!("{runtime} min"),
        certificate.to_string(),
        rating,
        stars,
        "A description, with a comma".to_string(),
        votes,
        director,
    ];
    let line: Vec<String> = fields.iter().map(|f| csv_field(f).into_owned()).collect();
    writeln!(file, "{}", line.join(","))?;
    Ok(())
}

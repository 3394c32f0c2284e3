//! The movies pipeline end to end (issue 17, V1–V9) on small catalogues in the real
//! layouts, written here: quoted fields with commas and line breaks, revenue above
//! 2³¹, mojibake, duplicates, an unmatched title, a month without CPI.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use polars::prelude::*;
use smartview::assert_frame_eq;
use smartview::domains::movies;
use smartview::io::{scan_parquet, DomainPaths, DuckDb};
use smartview::progress::Progress;

const TMDB_HEADER: &str = "id,title,vote_average,vote_count,status,release_date,revenue,runtime,adult,backdrop_path,budget,homepage,imdb_id,original_language,original_title,overview,popularity,poster_path,tagline,genres,production_companies,production_countries,spoken_languages,keywords";

fn tmdb_line(
    id: i64,
    title: &str,
    votes: &str,
    date: &str,
    revenue: &str,
    runtime: &str,
    budget: &str,
    genres: &str,
) -> String {
    format!(
        "{id},\"{title}\",7.5,{votes},Released,{date},{revenue},{runtime},False,,{budget},,tt{id},en,\"{title}\",\"An overview, with a comma\nand a line break\",10.5,,,\"{genres}\",,,,"
    )
}

fn write_raw(raw: &Path) -> Result<()> {
    std::fs::create_dir_all(raw)?;
    let tmdb = [
        TMDB_HEADER.to_string(),
        tmdb_line(
            1,
            "Heat",
            "100",
            "1995-12-15",
            "187436818",
            "170",
            "60000000",
            "Action, Crime, Drama",
        ),
        tmdb_line(2, "Heat", "5", "1995-12-15", "1", "170", "1", "Action"), // fewer votes: dropped
        tmdb_line(
            3,
            "AmÃ©lie",
            "50",
            "2001-04-25",
            "173921954",
            "122",
            "10000000",
            "Comedy, Romance",
        ),
        tmdb_line(
            4,
            "Avatar",
            "900",
            "2009-12-15",
            "2923706026",
            "162",
            "237000000",
            "Action, Science Fiction",
        ),
        tmdb_line(5, "Nowhere", "1", "2009-12-15", "10", "90", "10", "Drama"), // no IMDB match
        tmdb_line(6, "Bad", "1", "2009-12-15", "lots", "90", "10", "Drama"),   // quarantined
    ];
    std::fs::write(
        raw.join("TMDB_movie_dataset_v11.csv"),
        tmdb.join("\n") + "\n",
    )?;
    let imdb = [
        "movie,genre,runtime,certificate,rating,stars,description,votes,director",
        "Heat,\"Action, Crime\",170 min,R,8.3,\"['Al Pacino', 'Robert De Niro']\",A heist,\"700,000\",Michael Mann",
        // An optional number that does not read is null, its movie kept (V1).
        "Amélie,Comedy,122 min,U/A 7+,N/A,['Audrey Tautou'],Paris,\"780,000\",Jean-Pierre Jeunet",
        "Avatar,Action,162 min,PG-13,7.9,['Sam Worthington'],Pandora,\"1,300,000\",James Cameron",
    ];
    std::fs::write(raw.join("IMDB_movies.csv"), imdb.join("\n") + "\n")?;
    let cpi = [
        "observation_date,CPIAUCSL",
        "1995-12-01,153.5",
        "2001-04-01,176.9",
        "2009-12-01,.",
        "2024-01-01,308.417",
    ];
    std::fs::write(raw.join("CPIAUCSL.csv"), cpi.join("\n") + "\n")?;
    Ok(())
}

#[test]
fn catalogues_become_enriched_movies_in_constant_dollars_partitioned_by_year() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let paths = DomainPaths::under(dir.path(), movies::DOMAIN);
    write_raw(&paths.raw)?;
    let outputs = movies::run(
        &paths,
        &movies::MoviesOptions::default(),
        &mut Progress::new("movies", true),
    )?;
    // Base month: the last with a value, 2024-01 (308.417).
    assert_eq!((outputs.base_month, outputs.base_cpi), (202401, 308.417));
    // Heat (1995-12) and Amélie (repaired, 2001-04) are enriched; Avatar's month has
    // a `.` CPI; Nowhere has no IMDB match; Bad is quarantined.
    let enriched = &outputs.movies_enriched;
    assert_frame_eq!(
        enriched.select([
            "movie_id",
            "title",
            "release_year",
            "certificate",
            "director",
            "revenue"
        ])?,
        df!(
            "movie_id" => [1i64, 3],
            "title" => ["Heat", "Amélie"],
            "release_year" => [1995i32, 2001],
            "certificate" => ["R", "PG-13"],
            "director" => ["Michael Mann", "Jean-Pierre Jeunet"],
            "revenue" => [187_436_818i64, 173_921_954],
        )?
    );
    assert_frame_eq!(
        enriched.select(["rating"])?,
        df!("rating" => [Some(8.3), None])?
    );
    // The notice is printed at the end of the run and written in the report.
    assert_eq!(
        outputs.notices,
        [
            "`imdb`: 1 value of rating failed rating|dtype and was read as null (the rows are \
          kept)"
        ]
    );
    let revenue_real = enriched.column("revenue_real")?.f64()?.get(0);
    assert_eq!(revenue_real, Some(187_436_818.0 * 308.417 / 153.5));
    assert_frame_eq!(
        outputs.match_counts.clone(),
        df!(
            "count" => ["unmatched_tmdb", "unmatched_imdb", "no_revenue", "missing_cpi"],
            "rows" => [1u32, 0, 0, 1],
        )?
    );
    assert_frame_eq!(
        outputs.quarantine_summary.clone(),
        df!("table" => ["tmdb"], "reason" => ["revenue|dtype"], "rows" => [1i64])?
    );
    // V8: one folder per year, the year in the folder name only; listed in _SUCCESS.
    let part = paths
        .processed
        .join("movies_enriched/release_year=1995/part-0.parquet");
    let in_file = ParquetReader::new(std::fs::File::open(&part)?).finish()?;
    assert_eq!(in_file.height(), 1);
    assert!(
        in_file.column("release_year").is_err(),
        "the year is in the path only"
    );
    // A reader with hive partitioning (Polars here; DuckDB and Spark alike) gets it back.
    let heat = scan_parquet(&part)?.collect()?;
    let year = heat.column("release_year")?.cast(&DataType::Int64)?;
    assert_eq!(year.i64()?.get(0), Some(1995));
    let manifest = std::fs::read_to_string(paths.processed.join("_SUCCESS"))?;
    assert!(
        manifest.contains("movies_enriched/release_year=2001/part-0.parquet\t1\t"),
        "{manifest}"
    );
    // The registry names the partitioned table, read as one with its years.
    let by_year = smartview::catalog::path_of(dir.path(), "movies_enriched_by_year")?;
    let by_year = scan_parquet(&by_year)?
        .select([col("movie_id"), col("release_year").cast(DataType::Int32)])
        .sort(["movie_id"], Default::default())
        .collect()?;
    assert_frame_eq!(
        by_year,
        df!("movie_id" => [1i64, 3], "release_year" => [1995i32, 2001])?
    );
    // The bridge counts each movie once per genre: Heat's three, Amélie's two.
    assert_eq!(outputs.movie_genres.height(), 5);
    serving_file_holds_the_tables_and_views(&paths.processed, &outputs)
}

/// V9 on the run above: the serving file stands alone (it is queried after the
/// Parquet outputs are gone), its ROLLUP counts a movie once per genre in the genre
/// rows and once in the subtotals, and both files are in the manifest.
fn serving_file_holds_the_tables_and_views(
    processed: &Path,
    outputs: &movies::MoviesOutputs,
) -> Result<()> {
    let manifest = std::fs::read_to_string(processed.join("_SUCCESS"))?;
    assert!(manifest.contains("\nserving.sql\t9\t"), "{manifest}");
    // Its rows are the tables' rows: 2 + 5 + 5 genres + 2 directors + 2 years + 4
    // counts + 1 quarantine reason.
    assert!(manifest.contains("\nmovies.duckdb\t21\t"), "{manifest}");
    assert_eq!(
        std::fs::read_to_string(processed.join("serving.sql"))?,
        movies::serving::VIEWS_SQL
    );
    let moved = tempfile::tempdir()?;
    let database = moved.path().join("copy.duckdb");
    std::fs::copy(processed.join("movies.duckdb"), &database)?;
    std::fs::remove_dir_all(processed)?;

    let duckdb = DuckDb::locate()?;
    let views = duckdb.query(
        &database,
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY 1",
    )?;
    let mut expected = movies::serving::VIEWS.to_vec();
    expected.sort_unstable();
    assert_eq!(
        smartview::values::texts(&views, "table_name", "")?,
        expected
    );

    let heat = outputs
        .movies_enriched
        .column("revenue_real")?
        .f64()?
        .get(0)
        .unwrap_or_default();
    let amelie = outputs
        .movies_enriched
        .column("revenue_real")?
        .f64()?
        .get(1)
        .unwrap_or_default();
    let summary = duckdb.query(
        &database,
        "SELECT release_year, genre, grouping_id, movies, revenue_real FROM executive_summary",
    )?;
    assert_frame_eq!(
        summary,
        df!(
            "release_year" => [Some(1995i32), Some(1995), Some(1995), Some(1995), Some(2001), Some(2001), Some(2001), None],
            "genre" => [Some("Action"), Some("Crime"), Some("Drama"), None, Some("Comedy"), Some("Romance"), None, None],
            "grouping_id" => [0i64, 0, 0, 1, 0, 0, 1, 3],
            "movies" => [1i64, 1, 1, 1, 1, 1, 1, 2],
            "revenue_real" => [heat, heat, heat, heat, amelie, amelie, amelie, heat + amelie],
        )?
    );
    // The tables are copies of the outputs, rows in order.
    let genres = duckdb.query(&database, "SELECT * FROM movie_genres")?;
    assert_frame_eq!(genres, outputs.movie_genres.clone());
    Ok(())
}

/// V9 read by a DuckDB that is not the writer: DuckDB's Python package
/// (`scripts/duckdb python`) opens the serving file of the shipped sample, moved
/// away from its Parquet files, and tests/serving_check.py compares every table with
/// its Parquet file and every view with rows it works out in plain Python.
#[test]
fn serving_views_read_by_another_duckdb_match_the_parquet_outputs() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let mut paths = DomainPaths::under(dir.path(), movies::DOMAIN);
    paths.raw = root.join("data/raw/movies");
    movies::run(
        &paths,
        &movies::MoviesOptions::default(),
        &mut Progress::new("movies", true),
    )?;
    let python = Command::new(root.join("scripts/duckdb"))
        .arg("python")
        .output()?;
    assert!(
        python.status.success(),
        "scripts/duckdb python failed: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let python = String::from_utf8(python.stdout)?;
    let check = Command::new(python.trim())
        .arg(root.join("tests/serving_check.py"))
        .arg(&paths.processed)
        .output()?;
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    Ok(())
}

/// V4 and V5 match on the runtime, so running V2–V6 in passes over disjoint runtimes
/// (as a large export does) gives exactly the tables of one pass: here the shipped
/// sample's 2,000 TMDB rows in 7 passes of about 300.
#[test]
fn passes_over_runtimes_give_the_tables_of_one_pass() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |rows_per_pass: Option<u64>| -> Result<movies::MoviesOutputs> {
        let dir = tempfile::tempdir()?;
        let mut paths = DomainPaths::under(dir.path(), movies::DOMAIN);
        paths.raw = root.join("data/raw/movies");
        let options = movies::MoviesOptions {
            tmdb_rows_per_pass: rows_per_pass,
            ..movies::MoviesOptions::default()
        };
        movies::run(&paths, &options, &mut Progress::new("movies", true))
    };
    let (once, in_passes) = (run(None)?, run(Some(300))?);
    assert!(
        once.movies_enriched.height() > 1_000,
        "the sample matches most movies"
    );
    for ((name, one), (_, many)) in once.tables().into_iter().zip(in_passes.tables()) {
        assert!(one.equals_missing(many), "{name} differs:\n{one}\n{many}");
    }
    Ok(())
}

/// Issue 19, parity: the movies output tables translated to Spark SQL (`remote`) and
/// run on LakeSail's Sail over the repaired catalogues and the validated CPI equal
/// the local run's tables, on the shipped sample and on generated catalogues with
/// their faults (mojibake, duplicates, missing revenue and CPI months).
#[test]
fn movies_tables_translated_to_spark_sql_equal_the_local_run_on_sail() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let mut sample = DomainPaths::under(&dir.path().join("sample"), movies::DOMAIN);
    sample.raw = root.join("data/raw/movies");
    let generated = DomainPaths::under(&dir.path().join("generated"), movies::DOMAIN);
    movies::datagen::generate(
        &generated.raw,
        &movies::datagen::MoviesGenConfig {
            movies: 5_000,
            seed: 5,
        },
    )?;
    let rules = smartview::remote::DomainRules::movies(None)?;
    for (i, paths) in [sample, generated].iter().enumerate() {
        let outputs = movies::run(
            paths,
            &Default::default(),
            &mut Progress::new("movies", true),
        )?;
        // The text repair runs here (Rust code SQL cannot say): the engine reads the
        // repaired catalogues.
        let mut inputs = Vec::new();
        for (name, repair) in [
            (
                "tmdb",
                movies::rules::repaired_tmdb as fn(LazyFrame) -> LazyFrame,
            ),
            ("imdb", movies::rules::repaired_imdb),
        ] {
            let file = paths.interim.join(format!("{name}_repaired.parquet"));
            let mut rows = repair(scan_parquet(&paths.valid(name))?).collect()?;
            ParquetWriter::new(std::fs::File::create(&file)?).finish(&mut rows)?;
            inputs.push((
                if name == "tmdb" {
                    "tmdb_repaired"
                } else {
                    "imdb_repaired"
                },
                file,
            ));
        }
        inputs.push(("cpi", paths.valid("cpi")));
        let work = dir.path().join(format!("engine-{i}"));
        smartview::testing::assert_domain_parity(root, &work, &rules, &inputs, &outputs.tables())?;
    }
    Ok(())
}

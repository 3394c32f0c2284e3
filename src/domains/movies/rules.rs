//! The movies rules of `spec/movies.md`, as lazy transforms over the validated
//! tables. So far: V2 (text repair of titles, names and genres, the stars list), V3
//! (certificates through the declared mapping), V4 (filters, then deduplication), V5
//! (the join of the catalogues and the CPI, with its counts), V6 (constant dollars)
//! and V7 (the genre bridge and the genre, director and yearly tables).

use polars::prelude::*;

use super::tables::CERTIFICATES;
use crate::transforms::repair::{
    list_literal_text, name_characters, nfkc, null_placeholders, repair_mojibake,
};
use crate::transforms::{
    explode_trimmed, keep_first, month_key, order_independent_mean, order_independent_sum, ratio,
    top_k_within, SortKey,
};

/// The key both catalogues are matched and deduplicated on: the title in lower case
/// (with the runtime, V4 and V5).
const TITLE_KEY: &str = "__title_key";

/// V2 on one text column: mojibake repaired, NFKC, trimmed, and `""`, `[]`, `nan`
/// null.
pub fn clean_text(text: Expr) -> Expr {
    null_placeholders(nfkc(repair_mojibake(text)))
}

/// V2 on a director: [`clean_text`], then only letters, `'`, `.`, `-` and single
/// spaces kept (null when nothing is left).
pub fn clean_director(text: Expr) -> Expr {
    null_placeholders(name_characters(clean_text(text)))
}

/// V2 on IMDB `stars`: the list literal as `A, B`, null when empty.
pub fn clean_stars(text: Expr) -> Expr {
    null_placeholders(list_literal_text(clean_text(text)))
}

/// V3: `lf` with its `certificate` column read through [`CERTIFICATES`] (trimmed
/// first); a spelling not listed is kept as written, a null stays null. Row order
/// is kept.
///
/// # Errors
/// When the mapping frame cannot be built (a Polars error).
pub fn map_certificates(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    let mapping = df!(
        "__spelling" => CERTIFICATES.iter().map(|(spelling, _)| *spelling).collect::<Vec<_>>(),
        "__rating" => CERTIFICATES.iter().map(|(_, rating)| *rating).collect::<Vec<_>>(),
    )?;
    let trimmed = col("certificate").str().strip_chars(lit(NULL));
    Ok(lf
        .with_column(trimmed.alias("certificate"))
        .join(
            mapping.lazy(),
            [col("certificate")],
            [col("__spelling")],
            crate::transforms::keeping_left_order(JoinType::Left),
        )
        .with_column(coalesce(&[col("__rating"), col("certificate")]).alias("certificate"))
        .drop(cols(["__rating"])))
}

/// V2 and V4 on the validated TMDB rows: titles repaired; only `Released` movies with
/// a title and a runtime above 0; then one movie per (lower(title), runtime), the
/// one with the most votes (no vote count counts as 0), ties to the lowest id.
/// Columns: `id`, `title`, `runtime`, `release_date`, `revenue`, `budget`, `genres`
/// (the kept row's, for V7's bridge) and the match key `__title_key`.
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn tmdb_movies(tmdb: LazyFrame) -> PolarsResult<LazyFrame> {
    deduplicated_tmdb(repaired_tmdb(tmdb))
}

/// V2 on the validated TMDB rows: the title repaired ([`clean_text`]), the other
/// columns as they are. The repair is a function of Rust code, which SQL cannot say:
/// another engine starts from these rows ([`super::plans`]).
pub fn repaired_tmdb(tmdb: LazyFrame) -> LazyFrame {
    tmdb.with_column(clean_text(col("title")).alias("title"))
}

/// V4 on the repaired TMDB rows ([`repaired_tmdb`]): see [`tmdb_movies`].
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn deduplicated_tmdb(repaired: LazyFrame) -> PolarsResult<LazyFrame> {
    let released = repaired
        .filter(
            col("status")
                .eq(lit("Released"))
                .and(col("title").is_not_null())
                .and(col("runtime").gt(lit(0))),
        )
        .with_columns([
            col("title").str().to_lowercase().alias(TITLE_KEY),
            col("vote_count").fill_null(lit(0)).alias("__votes"),
        ]);
    let order = [SortKey::desc("__votes"), SortKey::asc("id")];
    let kept = [
        "id",
        "title",
        "runtime",
        "release_date",
        "revenue",
        "budget",
        "genres",
        TITLE_KEY,
    ];
    let kept: Vec<Expr> = kept.into_iter().map(col).collect();
    Ok(top_k_within(released, &[TITLE_KEY, "runtime"], &order, 1, "__pick")?.select(kept))
}

/// V2, V3 and V4 on the validated IMDB rows: movie names, genres, directors and stars
/// repaired, certificates mapped; only rows with a director; then the first row in
/// file order (`row_nr`) per (lower(movie), runtime). Columns: `row_nr`, `movie`, the
/// match key `__title_key`, `runtime`, `certificate`, `rating`, `director`, `genre`
/// (the stars, votes and descriptions, which no later rule reads, are left out).
///
/// # Errors
/// When the mapping or the deduplication cannot be planned (a Polars error).
pub fn imdb_movies(imdb: LazyFrame) -> PolarsResult<LazyFrame> {
    deduplicated_imdb(repaired_imdb(imdb))
}

/// V2 on the validated IMDB rows: movie names, genres, directors and stars repaired,
/// the other columns as they are. As [`repaired_tmdb`], Rust code SQL cannot say.
pub fn repaired_imdb(imdb: LazyFrame) -> LazyFrame {
    imdb.with_columns([
        clean_text(col("movie")).alias("movie"),
        clean_text(col("genre")).alias("genre"),
        clean_director(col("director")).alias("director"),
        clean_stars(col("stars")).alias("stars"),
    ])
}

/// V3 and V4 on the repaired IMDB rows ([`repaired_imdb`]): see [`imdb_movies`].
///
/// # Errors
/// When the mapping or the deduplication cannot be planned (a Polars error).
pub fn deduplicated_imdb(repaired: LazyFrame) -> PolarsResult<LazyFrame> {
    let with_director = map_certificates(repaired)?
        .filter(
            col("director")
                .is_not_null()
                .and(col("movie").is_not_null()),
        )
        .with_column(col("movie").str().to_lowercase().alias(TITLE_KEY));
    let kept = [
        crate::schema::ROW_NR,
        "movie",
        TITLE_KEY,
        "runtime",
        "certificate",
        "rating",
        "director",
        "genre",
    ];
    let kept: Vec<Expr> = kept.into_iter().map(col).collect();
    Ok(keep_first(
        with_director,
        &[TITLE_KEY, "runtime"],
        crate::schema::ROW_NR,
    )?
    .select(kept))
}

/// The CPI by month: `month` (yyyymm) and `cpi`, months with a value only (FRED's
/// `.` is null in the validated table).
pub fn cpi_by_month(cpi: LazyFrame) -> LazyFrame {
    cpi.filter(col("CPIAUCSL").is_not_null()).select([
        month_key(col("observation_date")).alias("month"),
        col("CPIAUCSL").alias("cpi"),
    ])
}

/// V5's outcome: the matched movies with a revenue and a CPI, and how many were left
/// out at each step.
pub struct Matched {
    /// TMDB's and IMDB's columns of each matched movie, with `month` and `cpi`.
    pub movies: LazyFrame,
    /// `count` (`unmatched_tmdb`, `unmatched_imdb`, `no_revenue`, `missing_cpi`) and
    /// `rows` (UInt32), in that order.
    pub counts: LazyFrame,
}

/// V5: TMDB ⋈ IMDB on the lower-case title and the runtime (both deduplicated, V4),
/// then the CPI of the release month. Movies with revenue ≤ 0 are left out
/// (`no_revenue`), then those whose month has no CPI (`missing_cpi`); the movies of
/// either catalogue without a match are counted too.
///
/// # Errors
/// When the counts frame cannot be built (a Polars error).
pub fn match_catalogues(tmdb: LazyFrame, imdb: LazyFrame, cpi: LazyFrame) -> PolarsResult<Matched> {
    let on = || [col(TITLE_KEY), col("runtime")];
    let imdb_side = imdb.select([
        col(TITLE_KEY),
        col("runtime"),
        col("certificate"),
        col("rating"),
        col("director"),
        col("genre").alias("imdb_genre"),
    ]);
    let matched = tmdb.clone().join(
        imdb_side.clone(),
        on(),
        on(),
        JoinArgs::new(JoinType::Inner),
    );
    let unmatched_tmdb =
        tmdb.clone()
            .join(imdb_side.clone(), on(), on(), JoinArgs::new(JoinType::Anti));
    let unmatched_imdb = imdb_side.join(tmdb, on(), on(), JoinArgs::new(JoinType::Anti));
    let with_revenue = matched.clone().filter(col("revenue").gt(lit(0)));
    let no_revenue = matched.filter(col("revenue").gt(lit(0)).not());
    let dated = with_revenue.with_column(month_key(col("release_date")).alias("month"));
    let cpi = cpi_by_month(cpi);
    let movies = dated
        .clone()
        .inner_join(cpi.clone(), col("month"), col("month"));
    let missing_cpi = dated.anti_join(cpi, col("month"), col("month"));
    let count = |name: &str, lf: LazyFrame| {
        lf.select([
            lit(name).alias("count"),
            len().cast(DataType::UInt32).alias("rows"),
        ])
    };
    let counts = concat(
        [
            count("unmatched_tmdb", unmatched_tmdb),
            count("unmatched_imdb", unmatched_imdb),
            count("no_revenue", no_revenue),
            count("missing_cpi", missing_cpi),
        ],
        UnionArgs::default(),
    )?;
    Ok(Matched { movies, counts })
}

/// Rows whose `runtime` falls in pass `pass` of `passes` (runtime mod passes, the
/// remainder taken non-negative; a null runtime is in no pass, and neither catalogue
/// keeps one past V1). V4 and V5 match on the runtime, so running them pass by pass
/// gives the rows they give at once.
pub fn runtime_in_pass(pass: u64, passes: u64) -> Expr {
    let passes = lit(passes as i64);
    (((col("runtime") % passes.clone()) + passes.clone()) % passes).eq(lit(pass as i64))
}

/// The enriched movies of several passes as one table in `movie_id` order (equal ids,
/// in pass order).
///
/// # Errors
/// When the frames do not share a schema (a Polars error).
pub fn by_movie(passes: Vec<DataFrame>) -> PolarsResult<LazyFrame> {
    let frames: Vec<LazyFrame> = passes.into_iter().map(IntoLazy::lazy).collect();
    Ok(concat(frames, UnionArgs::default())?.sort(
        ["movie_id"],
        SortMultipleOptions::default().with_maintain_order(true),
    ))
}

/// V5's counts of several passes added up: `count`, `rows` (UInt32), the counts in
/// their first pass's order.
///
/// # Errors
/// When the frames do not share a schema (a Polars error).
pub fn summed_counts(passes: Vec<DataFrame>) -> PolarsResult<LazyFrame> {
    let frames: Vec<LazyFrame> = passes.into_iter().map(IntoLazy::lazy).collect();
    Ok(concat(frames, UnionArgs::default())?
        .group_by_stable([col("count")])
        .agg([col("rows").sum().cast(DataType::UInt32)]))
}

/// V6's base: the CPI of `base_month` (yyyymm), or of the last month with a value when
/// `None`. One row: `base_month`, `base_cpi`.
pub fn base_cpi(cpi: LazyFrame, base_month: Option<i32>) -> LazyFrame {
    let months = cpi_by_month(cpi);
    let chosen = match base_month {
        Some(month) => months.filter(col("month").eq(lit(month))),
        None => months.filter(col("month").eq(col("month").max())),
    };
    chosen.select([
        col("month").alias("base_month"),
        col("cpi").alias("base_cpi"),
    ])
}

/// V6 and the shape of `movies_enriched`: budget and revenue in dollars of the base
/// month (`× base_cpi / cpi`, each one correctly rounded division; `base` is
/// [`base_cpi`]'s one row), `profit_real`,
/// and `roi` = (revenue − budget) / budget where budget > 0 (else null). Columns:
/// `movie_id`, `title`, `release_date`, `release_year`, `release_month`, `runtime`,
/// `certificate`, `rating`, `director`, `budget`, `revenue`, `cpi`, `budget_real`,
/// `revenue_real`, `profit_real`, `roi`; sorted by `movie_id`.
pub fn constant_dollars(movies: LazyFrame, base: LazyFrame) -> LazyFrame {
    const BASE: &str = "__base_cpi";
    let real = |money: &str| ratio(col(money).cast(DataType::Float64) * col(BASE), col("cpi"));
    let budget = col("budget").cast(DataType::Float64);
    let revenue = col("revenue").cast(DataType::Float64);
    let base = base.select([col("base_cpi").max().alias(BASE)]);
    crate::transforms::attach_single_row(movies, base)
        .with_columns([
            real("budget").alias("budget_real"),
            real("revenue").alias("revenue_real"),
        ])
        .select([
            col("id").alias("movie_id"),
            col("title"),
            col("release_date"),
            col("release_date").dt().year().alias("release_year"),
            col("release_date")
                .dt()
                .month()
                .cast(DataType::Int32)
                .alias("release_month"),
            col("runtime"),
            col("certificate"),
            col("rating"),
            col("director"),
            col("budget"),
            col("revenue"),
            col("cpi"),
            col("budget_real"),
            col("revenue_real"),
            (col("revenue_real") - col("budget_real")).alias("profit_real"),
            when(col("budget").gt(lit(0)))
                .then(ratio(revenue - budget.clone(), budget))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("roi"),
        ])
        .sort(
            ["movie_id"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
}

/// V7's bridge: one row per movie and genre of its TMDB `genres` (split on `,`,
/// trimmed, empty items and repeats dropped): `movie_id`, `genre`, sorted by both.
/// `movies` are V5's matched movies ([`Matched::movies`], columns `id` and `genres`):
/// the genres are those of the TMDB row V4 kept, not of other rows with the same id.
pub fn movie_genres(movies: LazyFrame) -> LazyFrame {
    let genres = movies.select([col("id").alias("movie_id"), col("genres").alias("genre")]);
    explode_trimmed(genres, "genre", ",")
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(["movie_id", "genre"], Default::default())
}

/// V7, `genre_revenue`: per genre of the bridge, each movie counted once: `movies`,
/// `revenue_real`, `budget_real` and `avg_roi` (over the movies with a ROI); sorted
/// by revenue_real descending, then genre.
pub fn genre_revenue(genres: LazyFrame, enriched: LazyFrame) -> LazyFrame {
    genres
        .inner_join(enriched, col("movie_id"), col("movie_id"))
        .group_by([col("genre")])
        .agg([
            len().alias("movies"),
            order_independent_sum(col("revenue_real")).alias("revenue_real"),
            order_independent_sum(col("budget_real")).alias("budget_real"),
            order_independent_mean(col("roi")).alias("avg_roi"),
        ])
        .sort(
            ["revenue_real", "genre"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
}

/// V7, `director_revenue`: per director, `movies`, `revenue_real`, `profit_real` and
/// `avg_rating` (over the movies with a rating); sorted by revenue_real descending,
/// then director.
pub fn director_revenue(enriched: LazyFrame) -> LazyFrame {
    enriched
        .group_by([col("director")])
        .agg([
            len().alias("movies"),
            order_independent_sum(col("revenue_real")).alias("revenue_real"),
            order_independent_sum(col("profit_real")).alias("profit_real"),
            order_independent_mean(col("rating")).alias("avg_rating"),
        ])
        .sort(
            ["revenue_real", "director"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
}

/// V7, `yearly_revenue`: per release year, `movies`, `revenue_real` and
/// `budget_real`; sorted by year.
pub fn yearly_revenue(enriched: LazyFrame) -> LazyFrame {
    enriched
        .group_by([col("release_year")])
        .agg([
            len().alias("movies"),
            order_independent_sum(col("revenue_real")).alias("revenue_real"),
            order_independent_sum(col("budget_real")).alias("budget_real"),
        ])
        .sort(["release_year"], Default::default())
}

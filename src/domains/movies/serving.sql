-- The serving views of the movies domain (spec/movies.md, V9), in DuckDB SQL over the
-- tables of movies.duckdb. Money is in constant dollars of the base month (the *_real
-- columns); a movie counts once wherever it is summed, once per genre only in a
-- genre's own rows (V7). Every view is sorted, ties broken by a key, so a LIMIT
-- always keeps the same rows; every sum and average adds its movies in movie_id
-- order, so its bits do not depend on DuckDB's threads.

-- Movies, revenue, budget and average rating by release year and genre, with each
-- year's subtotal and the grand total (ROLLUP). grouping_id says which row is which,
-- as Spark's grouping_id() does: 0 for a year and genre, 1 for a year's subtotal, 3
-- for the grand total. A movie without a genre has genre NULL and grouping_id 0.
CREATE VIEW executive_summary AS
WITH movie_genre AS (
    SELECT
        m.movie_id,
        m.release_year,
        g.genre,
        m.revenue_real,
        m.budget_real,
        m.rating,
        row_number() OVER (PARTITION BY m.movie_id ORDER BY g.genre) = 1 AS first_of_movie
    FROM movies_enriched AS m
    LEFT JOIN movie_genres AS g ON g.movie_id = m.movie_id
)
SELECT
    release_year,
    genre,
    grouping(release_year, genre) AS grouping_id,
    count(DISTINCT movie_id) AS movies,
    CASE WHEN grouping(genre) = 0 THEN sum(revenue_real ORDER BY movie_id)
         ELSE sum(revenue_real ORDER BY movie_id) FILTER (WHERE first_of_movie) END AS revenue_real,
    CASE WHEN grouping(genre) = 0 THEN sum(budget_real ORDER BY movie_id)
         ELSE sum(budget_real ORDER BY movie_id) FILTER (WHERE first_of_movie) END AS budget_real,
    CASE WHEN grouping(genre) = 0 THEN avg(rating ORDER BY movie_id)
         ELSE avg(rating ORDER BY movie_id) FILTER (WHERE first_of_movie) END AS avg_rating
FROM movie_genre
GROUP BY ROLLUP (release_year, genre)
ORDER BY release_year NULLS LAST, grouping_id, genre NULLS LAST;

-- One point per rated movie: rating against real revenue.
CREATE VIEW rating_vs_revenue AS
SELECT movie_id, title, release_year, rating, revenue_real
FROM movies_enriched
WHERE rating IS NOT NULL
ORDER BY movie_id;

-- One point per movie with a budget: real budget against real revenue, and ROI.
CREATE VIEW budget_vs_revenue AS
SELECT movie_id, title, release_year, budget_real, revenue_real, roi
FROM movies_enriched
WHERE budget > 0
ORDER BY movie_id;

-- Movies, revenue and budget by release month (year and month; a BI tool sums the
-- years for the season).
CREATE VIEW monthly_revenue AS
SELECT
    release_year,
    release_month,
    count(*) AS movies,
    sum(revenue_real ORDER BY movie_id) AS revenue_real,
    sum(budget_real ORDER BY movie_id) AS budget_real
FROM movies_enriched
GROUP BY release_year, release_month
ORDER BY release_year, release_month;

-- The 20 directors with the most real revenue.
CREATE VIEW top_directors AS
SELECT director, movies, revenue_real, profit_real, avg_rating
FROM director_revenue
ORDER BY revenue_real DESC, director
LIMIT 20;

-- Every genre's movies, revenue, budget and average ROI, most revenue first.
CREATE VIEW revenue_by_genre AS
SELECT genre, movies, revenue_real, budget_real, avg_roi
FROM genre_revenue
ORDER BY revenue_real DESC, genre;

-- Every director's measures: movies, money, average rating and ROI, active years.
CREATE VIEW director_measures AS
SELECT
    director,
    count(*) AS movies,
    sum(revenue_real ORDER BY movie_id) AS revenue_real,
    sum(budget_real ORDER BY movie_id) AS budget_real,
    sum(profit_real ORDER BY movie_id) AS profit_real,
    avg(rating ORDER BY movie_id) AS avg_rating,
    avg(roi ORDER BY movie_id) AS avg_roi,
    min(release_year) AS first_year,
    max(release_year) AS last_year
FROM movies_enriched
GROUP BY director
ORDER BY director;

-- Each director's movies, revenue and profit by release year.
CREATE VIEW director_trend AS
SELECT
    director,
    release_year,
    count(*) AS movies,
    sum(revenue_real ORDER BY movie_id) AS revenue_real,
    sum(profit_real ORDER BY movie_id) AS profit_real
FROM movies_enriched
GROUP BY director, release_year
ORDER BY director, release_year;

-- The 20 movies with the most real revenue.
CREATE VIEW top_movies AS
SELECT movie_id, title, release_year, director, revenue_real, budget_real, profit_real, roi
FROM movies_enriched
ORDER BY revenue_real DESC, movie_id
LIMIT 20;

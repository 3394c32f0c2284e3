//! Wide tables over a fixed set of categories: sums pivoted to one column per
//! category, the arg-max over such columns with an explicit tie order, the list
//! of categories a row has, and wide columns unpivoted to rows (every cell, or only
//! those holding a value).

use std::sync::atomic::{self, AtomicU64};

use polars::prelude::*;
use polars_core::utils::try_get_supertype;

use super::segments::first_true;

/// A category of a pivot: rows whose pivot column equals `value` are summed into the
/// column `column`; `label` names the category in arg-max and list results.
#[derive(Clone, Copy, Debug)]
pub struct Category<'a> {
    pub value: &'a str,
    pub column: &'a str,
    pub label: &'a str,
}

/// Sums of `value` per `index` pivoted to one column per category (missing → 0), in
/// the order of `categories`, sorted by `index`. Each row's value is first spread to
/// its category's column, then plain sums aggregate them: a group-by the streaming
/// engine runs natively.
pub fn pivot_sums(
    lf: LazyFrame,
    index: &[&str],
    pivot: &str,
    value: &str,
    categories: &[Category],
) -> LazyFrame {
    let mut spread: Vec<Expr> = index.iter().map(|k| col(*k)).collect();
    spread.extend(categories.iter().map(|c| {
        when(col(pivot).eq(lit(c.value)))
            .then(col(value))
            .otherwise(lit(0))
            .alias(c.column)
    }));
    let sums: Vec<Expr> = categories.iter().map(|c| col(c.column).sum()).collect();
    lf.select(spread)
        .group_by(index.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(sums)
        .sort(index.to_vec(), Default::default())
}

/// The label of the category column holding the row's largest value; ties go to the
/// category listed first. Null when every column is null.
///
/// # Errors
/// When `categories` is empty (`InvalidOperation`).
pub fn arg_max_label(categories: &[Category]) -> PolarsResult<Expr> {
    polars_ensure!(!categories.is_empty(), InvalidOperation: "arg-max over no columns. Consider passing at least one category");
    let columns: Vec<Expr> = categories.iter().map(|c| col(c.column)).collect();
    let largest = polars::lazy::dsl::max_horizontal(columns)?;
    let cases = categories
        .iter()
        .map(|c| (col(c.column).eq(largest.clone()), lit(c.label)))
        .collect();
    Ok(first_true(cases, lit(NULL).cast(DataType::String)))
}

/// The labels of the categories whose column is non-zero, in the order of
/// `categories`, joined with `separator`; the empty string when none is.
pub fn nonzero_labels(categories: &[Category], separator: &str) -> Expr {
    let labels: Vec<Expr> = categories
        .iter()
        .map(|c| {
            when(col(c.column).neq(lit(0)))
                .then(lit(c.label))
                .otherwise(lit(NULL).cast(DataType::String))
        })
        .collect();
    concat_str(labels, separator, true).fill_null(lit(""))
}

/// Wide to long: one row per input row and column of `columns`, holding the `index`
/// columns, `variable` (the column's name, as text) and `value` (its content, in the
/// columns' common type), ordered by input row then by `columns`, as Spark's
/// `unpivot` gives them (Polars' own goes column by column). Streaming and
/// order-preserving: each batch of input rows is turned around on its own by gathers
/// (no per-row lists), so the input is read once and the output order does not
/// depend on the batch size.
///
/// # Errors
/// When `columns` is empty (Polars `ComputeError`). A missing `index` or `columns`
/// column, or columns without a common type, fails when the plan is resolved.
pub fn unpivot(
    lf: LazyFrame,
    index: &[&str],
    columns: &[&str],
    variable: &str,
    value: &str,
) -> PolarsResult<LazyFrame> {
    Unpivot::new(index, columns, variable, value, None).plan(lf)
}

/// [`unpivot`] without its empty cells: those whose value is null or, as text, blank
/// (whitespace only, as `str::trim` sees it), the way DuckDB's `UNPIVOT` leaves out
/// nulls unless told `INCLUDE NULLS`. Rows whose `keep_all` column is not null keep
/// every cell (a row quarantined whole, such as one with a layout error). Each batch
/// adds the cells it leaves out to `dropped`, so once the plan has run, `dropped` has
/// grown by their number. Cheaper than unpivoting every cell and filtering: the index
/// columns are gathered only for the cells kept.
///
/// # Errors
/// As [`unpivot`]; a missing `keep_all` column fails when the plan runs.
pub fn unpivot_dropping_empty(
    lf: LazyFrame,
    index: &[&str],
    columns: &[&str],
    variable: &str,
    value: &str,
    keep_all: &str,
    dropped: &DroppedCells,
) -> PolarsResult<LazyFrame> {
    let dropping = DropEmpty {
        keep_all: keep_all.into(),
        dropped: dropped.clone(),
    };
    Unpivot::new(index, columns, variable, value, Some(dropping)).plan(lf)
}

/// The rows of a long table `lf` whose `value` is not empty, as
/// [`unpivot_dropping_empty`] judges a cell, but for rows whose `keep_all` column is
/// not null, which are kept whatever their value. Each batch adds the rows it leaves
/// out to `dropped`. Streaming and order-preserving; the columns are `lf`'s.
///
/// # Errors
/// None while planning; a missing `value` or `keep_all` column fails when the plan
/// runs.
pub fn drop_empty(lf: LazyFrame, value: &str, keep_all: &str, dropped: &DroppedCells) -> LazyFrame {
    let (value, keep_all, dropped) = (
        PlSmallStr::from(value),
        PlSmallStr::from(keep_all),
        dropped.clone(),
    );
    lf.map(
        move |batch| {
            let filled = filled_cells(
                batch.column(&value)?.as_materialized_series(),
                batch.column(&keep_all)?,
            )?;
            let kept = filled.iter().filter(|&&f| f).count();
            dropped.add((batch.height() - kept) as u64);
            if kept == batch.height() {
                return Ok(batch);
            }
            batch.filter(&BooleanChunked::from_slice(PlSmallStr::EMPTY, &filled))
        },
        OptFlags::STREAMING,
        None,
        Some("DROP EMPTY"),
    )
}

/// The cells [`unpivot_dropping_empty`] and [`drop_empty`] plans left out, counted as
/// they run; clones share the count.
#[derive(Clone, Debug, Default)]
pub struct DroppedCells(Arc<AtomicU64>);

impl DroppedCells {
    /// The cells left out so far.
    pub fn get(&self) -> u64 {
        self.0.load(atomic::Ordering::Relaxed)
    }

    fn add(&self, cells: u64) {
        self.0.fetch_add(cells, atomic::Ordering::Relaxed);
    }
}

/// The names an [`unpivot`] works with, and whether it leaves out empty cells.
#[derive(Clone)]
struct Unpivot {
    index: Vec<PlSmallStr>,
    columns: Vec<PlSmallStr>,
    variable: PlSmallStr,
    value: PlSmallStr,
    drop_empty: Option<DropEmpty>,
}

/// What [`unpivot_dropping_empty`] adds to an [`Unpivot`].
#[derive(Clone)]
struct DropEmpty {
    keep_all: PlSmallStr,
    dropped: DroppedCells,
}

impl Unpivot {
    fn new(
        index: &[&str],
        columns: &[&str],
        variable: &str,
        value: &str,
        drop_empty: Option<DropEmpty>,
    ) -> Self {
        Unpivot {
            index: index.iter().map(|c| PlSmallStr::from(*c)).collect(),
            columns: columns.iter().map(|c| PlSmallStr::from(*c)).collect(),
            variable: variable.into(),
            value: value.into(),
            drop_empty,
        }
    }

    fn plan(self, lf: LazyFrame) -> PolarsResult<LazyFrame> {
        polars_ensure!(!self.columns.is_empty(), ComputeError: "unpivot over no columns. Consider passing at least one column to unpivot");
        let schema_of = self.clone();
        Ok(lf.map(
            move |batch| self.apply(&batch),
            OptFlags::STREAMING,
            Some(Arc::new(move |input: &Schema| schema_of.schema(input))),
            Some("UNPIVOT (row order)"),
        ))
    }

    /// The output schema: the index columns as they are, `variable` text, `value` of
    /// the columns' supertype.
    fn schema(&self, input: &Schema) -> PolarsResult<SchemaRef> {
        let mut out = Schema::with_capacity(self.index.len() + 2);
        for name in &self.index {
            out.insert(name.clone(), input.try_get(name)?.clone());
        }
        out.insert(self.variable.clone(), DataType::String);
        out.insert(self.value.clone(), self.value_type(input)?);
        Ok(Arc::new(out))
    }

    fn value_type(&self, input: &Schema) -> PolarsResult<DataType> {
        let mut common = input.try_get(&self.columns[0])?.clone();
        for name in &self.columns[1..] {
            common = try_get_supertype(&common, input.try_get(name)?)?;
        }
        Ok(common)
    }

    /// One batch turned around: the values stacked column by column (row `i`, column
    /// `k` at `k * height + i`), the cells kept chosen in row then column order, and
    /// the index columns, the column names and the values gathered for them.
    fn apply(&self, batch: &DataFrame) -> PolarsResult<DataFrame> {
        let height = batch.height();
        let width = self.columns.len();
        let dtype = self.value_type(batch.schema())?;
        let mut stacked = Series::new_empty(self.value.clone(), &dtype);
        for name in &self.columns {
            stacked.append(&batch.column(name)?.as_materialized_series().cast(&dtype)?)?;
        }
        let stacked = stacked.rechunk();
        let kept = match &self.drop_empty {
            None => None,
            Some(dropping) => Some((
                dropping,
                filled_cells(&stacked, batch.column(&dropping.keep_all)?)?,
            )),
        };
        let capacity = kept.as_ref().map_or(height * width, |(_, filled)| {
            filled.iter().filter(|&&f| f).count()
        });
        let (mut rows, mut cells, mut names) = (
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
        );
        for row in 0..height {
            for (k, name) in self.columns.iter().enumerate() {
                let cell = k * height + row;
                if kept.as_ref().is_none_or(|(_, filled)| filled[cell]) {
                    rows.push(row as IdxSize);
                    cells.push(cell as IdxSize);
                    names.push(name.as_str());
                }
            }
        }
        if let Some((dropping, _)) = &kept {
            dropping.dropped.add((height * width - cells.len()) as u64);
        }
        let mut out = batch
            .select(self.index.iter().cloned())?
            .take(&IdxCa::from_vec(PlSmallStr::EMPTY, rows))?;
        let names = StringChunked::from_iter_values(self.variable.clone(), names.into_iter());
        let values = stacked.take(&IdxCa::from_vec(PlSmallStr::EMPTY, cells))?;
        out.with_column(names.into_column())?;
        out.with_column(values.into_column())?;
        Ok(out)
    }
}

/// Per cell of `stacked` (a batch's columns one after another: row `row` of column
/// `k` at `k * height + row`, `height` being `keep_all`'s length), whether it holds a
/// value: neither null nor blank text. A row whose `keep_all` is not null counts all
/// its cells as filled.
fn filled_cells(stacked: &Series, keep_all: &Column) -> PolarsResult<Vec<bool>> {
    let mut filled: Vec<bool> = match stacked.dtype() {
        DataType::String => stacked
            .str()?
            .iter()
            .map(|v| v.is_some_and(|text| !text.trim().is_empty()))
            .collect(),
        _ => stacked
            .is_not_null()
            .iter()
            .map(|v| v == Some(true))
            .collect(),
    };
    let height = keep_all.len();
    let keep_rows = keep_all.is_not_null();
    for (row, keep) in keep_rows.iter().enumerate() {
        if keep == Some(true) {
            for cell in (row..filled.len()).step_by(height.max(1)) {
                filled[cell] = true;
            }
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [Category<'static>; 3] = [
        Category {
            value: "TV",
            column: "Total_tv",
            label: "tv",
        },
        Category {
            value: "FILM",
            column: "Total_film",
            label: "film",
        },
        Category {
            value: "KIDS",
            column: "Total_kids",
            label: "kids",
        },
    ];

    #[test]
    fn sums_pivot_to_fixed_columns_with_zero_for_missing() -> PolarsResult<()> {
        let df = df!(
            "id" => ["b", "a", "a", "b", "a"],
            "kind" => ["FILM", "TV", "TV", "FILM", "OTHER"],
            "secs" => [5i64, 1, 2, 7, 100],
        )?;
        let out = pivot_sums(df.lazy(), &["id"], "kind", "secs", &KINDS).collect()?;
        assert_eq!(
            out.get_column_names(),
            ["id", "Total_tv", "Total_film", "Total_kids"]
        );
        let column = |name| -> PolarsResult<Vec<i64>> {
            Ok(out.column(name)?.i64()?.into_no_null_iter().collect())
        };
        assert_eq!(column("Total_tv")?, [3, 0]);
        assert_eq!(column("Total_film")?, [0, 12]);
        assert_eq!(column("Total_kids")?, [0, 0], "OTHER is in no column");
        Ok(())
    }

    #[test]
    fn arg_max_breaks_ties_by_category_order() -> PolarsResult<()> {
        let df = df!(
            "Total_tv" => [1i64, 5, 0, 3],
            "Total_film" => [2i64, 5, 0, 3],
            "Total_kids" => [0i64, 1, 0, 9],
        )?;
        let out = df
            .lazy()
            .select([
                arg_max_label(&KINDS)?.alias("top"),
                nonzero_labels(&KINDS, "-").alias("taste"),
            ])
            .collect()?;
        assert_eq!(
            crate::values::texts(&out, "top", "<null>")?,
            ["film", "tv", "tv", "kids"]
        );
        assert_eq!(
            crate::values::texts(&out, "taste", "<null>")?,
            ["tv-film", "tv-film-kids", "", "tv-film-kids"]
        );
        Ok(())
    }

    #[test]
    fn unpivot_keeps_row_then_column_order_across_streaming_batches() -> PolarsResult<()> {
        // More rows than one streaming batch holds, so the order must not depend on
        // where batches are cut: row r of the output is input row r / 3, column r % 3.
        let rows = 250_000u32;
        let ids: Vec<u32> = (0..rows).collect();
        let df = df!(
            "id" => &ids,
            "a" => ids.iter().map(|i| Some(i64::from(*i))).collect::<Vec<_>>(),
            "b" => ids.iter().map(|i| (i % 7 != 0).then_some(f64::from(*i) + 0.5)).collect::<Vec<_>>(),
            "c" => ids.iter().map(|i| Some(-i64::from(*i))).collect::<Vec<_>>(),
        )?;
        let out = unpivot(df.lazy(), &["id"], &["a", "b", "c"], "column", "v")?
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        assert_eq!(out.get_column_names(), ["id", "column", "v"]);
        assert_eq!(
            out.column("v")?.dtype(),
            &DataType::Float64,
            "i64 and f64 unpivot to f64"
        );
        assert_eq!(out.height(), 3 * rows as usize);
        let id = out.column("id")?.u32()?;
        let column = out.column("column")?.str()?;
        let v = out.column("v")?.f64()?;
        for r in 0..out.height() {
            let (i, k) = ((r / 3) as u32, r % 3);
            let expected = match k {
                0 => Some(f64::from(i)),
                1 => (i % 7 != 0).then_some(f64::from(i) + 0.5),
                _ => Some(-f64::from(i)),
            };
            assert_eq!(id.get(r), Some(i), "row {r}");
            assert_eq!(column.get(r), Some(["a", "b", "c"][k]), "row {r}");
            assert_eq!(v.get(r), expected, "row {r}");
        }
        Ok(())
    }

    /// `unpivot_dropping_empty` of the test frames: `id` and `error` kept, `a` and `b`
    /// unpivoted to `column` and `v`, `error` marking the rows kept whole.
    fn unpivot_ab_dropping_empty(df: LazyFrame, dropped: &DroppedCells) -> PolarsResult<LazyFrame> {
        unpivot_dropping_empty(
            df,
            &["id", "error"],
            &["a", "b"],
            "column",
            "v",
            "error",
            dropped,
        )
    }

    /// Null and blank cells are left out and counted, but for the rows that keep
    /// every cell; the text kept is as written.
    #[test]
    fn empty_cells_are_left_out_and_counted_but_in_rows_kept_whole() -> PolarsResult<()> {
        let df = df!(
            "id" => [1i32, 2, 3],
            "error" => [None, Some("layout"), None],
            "a" => [Some("1.5"), None, None],
            "b" => [Some(" \t"), Some(""), Some("\u{a0}2 ")],
        )?;
        let dropped = DroppedCells::default();
        let plan = unpivot_ab_dropping_empty(df.lazy(), &dropped)?;
        assert_eq!(dropped.get(), 0, "nothing is counted before the plan runs");
        let out = plan.collect()?;
        assert_eq!(crate::values::i64s(&out, "id", 0)?, [1, 2, 2, 3]);
        assert_eq!(
            crate::values::texts(&out, "column", "")?,
            ["a", "a", "b", "b"]
        );
        assert_eq!(
            crate::values::texts(&out, "v", "<null>")?,
            ["1.5", "<null>", "", "\u{a0}2 "]
        );
        assert_eq!(dropped.get(), 2, "1's blank b and 3's null a");
        Ok(())
    }

    /// Across streaming batches, the cells kept are those of the whole unpivot that
    /// are not empty, in the same order, and every other cell is counted once.
    #[test]
    fn dropping_empty_cells_equals_filtering_the_whole_unpivot() -> PolarsResult<()> {
        let rows = 200_000u32;
        let ids: Vec<u32> = (0..rows).collect();
        let text = |m: u32| -> Vec<Option<String>> {
            ids.iter()
                .map(|i| match i % m {
                    0 => None,
                    1 => Some("  ".to_string()),
                    _ => Some(i.to_string()),
                })
                .collect()
        };
        let errors: Vec<Option<&str>> = ids.iter().map(|i| (i % 11 == 0).then_some("x")).collect();
        let df = df!("id" => &ids, "error" => errors, "a" => text(3), "b" => text(5))?;
        let dropped = DroppedCells::default();
        let kept = unpivot_ab_dropping_empty(df.clone().lazy(), &dropped)?
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        let filled = col("v").str().strip_chars(lit(NULL)).neq(lit(""));
        let expected = unpivot(df.lazy(), &["id", "error"], &["a", "b"], "column", "v")?
            .filter(filled.or(col("error").is_not_null()))
            .collect()?;
        assert!(kept.equals_missing(&expected));
        assert_eq!(dropped.get(), 2 * u64::from(rows) - kept.height() as u64);
        assert!(dropped.get() > 100_000, "{}", dropped.get());
        Ok(())
    }

    /// A long table's empty values are left out and counted as an unpivot's cells
    /// are, and a row with a layout error is kept whatever its value.
    #[test]
    fn empty_values_of_a_long_table_are_left_out_and_counted() -> PolarsResult<()> {
        let df = df!(
            "id" => [1i32, 2, 3, 4, 5],
            "error" => [None, None, Some("layout"), None, None],
            "v" => [Some("1.5"), Some("\u{3000}"), None, None, Some(" 2")],
        )?;
        let dropped = DroppedCells::default();
        let out = drop_empty(df.lazy(), "v", "error", &dropped).collect()?;
        assert_eq!(crate::values::i64s(&out, "id", 0)?, [1, 3, 5]);
        assert_eq!(
            crate::values::texts(&out, "v", "<null>")?,
            ["1.5", "<null>", " 2"]
        );
        assert_eq!(dropped.get(), 2);
        Ok(())
    }

    #[test]
    fn unpivot_over_no_columns_is_an_error() {
        let df = df!("id" => [1i32]).expect("frame");
        assert!(unpivot(df.lazy(), &["id"], &[], "column", "v").is_err());
    }

    #[test]
    fn wide_columns_unpivot_to_rows_in_row_then_column_order() -> PolarsResult<()> {
        let df = df!(
            "country" => ["Canada", "Korea, Rep."],
            "1960" => [Some("1.5"), None],
            "1961" => [None, Some("2")],
        )?;
        let out =
            unpivot(df.lazy(), &["country"], &["1960", "1961"], "year", "value")?.collect()?;
        assert_eq!(out.get_column_names(), ["country", "year", "value"]);
        assert_eq!(
            crate::values::texts(&out, "country", "")?,
            ["Canada", "Canada", "Korea, Rep.", "Korea, Rep."]
        );
        assert_eq!(
            crate::values::texts(&out, "year", "")?,
            ["1960", "1961", "1960", "1961"]
        );
        assert_eq!(
            crate::values::texts(&out, "value", "<null>")?,
            ["1.5", "<null>", "<null>", "2"]
        );
        Ok(())
    }
}

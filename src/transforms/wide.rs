//! Wide tables over a fixed set of categories: sums pivoted to one column per
//! category, the arg-max over such columns with an explicit tie order, the list
//! of categories a row has, and wide columns unpivoted to rows.

use polars::prelude::*;

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
/// columns, `variable` (the column's name, as text) and `value` (its content),
/// ordered by input row then by `columns`. Lazy and streaming: each row becomes a
/// list of its cells that is exploded, so the input is read once.
///
/// # Errors
/// When `columns` is empty (Polars `ComputeError`). A missing `index` or `columns` column
/// fails when the plan runs.
pub fn unpivot(
    lf: LazyFrame,
    index: &[&str],
    columns: &[&str],
    variable: &str,
    value: &str,
) -> PolarsResult<LazyFrame> {
    let names = Series::new(variable.into(), columns);
    let cells = concat_list(columns.iter().map(|c| col(*c)).collect::<Vec<_>>())?;
    let mut kept: Vec<Expr> = index.iter().map(|c| col(*c)).collect();
    kept.push(lit(names).implode(false).alias(variable));
    kept.push(cells.alias(value));
    Ok(lf.select(kept).explode(
        cols([variable, value]),
        ExplodeOptions {
            empty_as_null: true,
            keep_nulls: true,
        },
    ))
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

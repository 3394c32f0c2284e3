//! What the tests share: [`assert_frame_eq!`](crate::assert_frame_eq), which compares a
//! result with an expected frame written by hand with `df!`, column names, dtypes,
//! values and order, nulls equal to nulls, and shows both frames when they differ;
//! [`raw_rows`], raw text rows of a schema as the readers hand them over; and
//! [`assert_spark_parity`], the check that a Spark engine gives the local tables.

use polars::prelude::{
    col, df, lit, when, Column, DataFrame, DataType, Expr, IdxSize, IntoLazy, LazyFrame,
    PolarsResult, NULL,
};

use crate::schema::{TableSchema, LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};

/// Raw rows of `schema` as the reader gives them (all text, from file `f.csv`, lines
/// 2, 3, … in order): `rows[i][j]` is row i's value of the schema's column j, `None`
/// for an empty field (and for a value past the row's end).
///
/// # Errors
/// When the frame cannot be built (a Polars error).
pub fn raw_rows(schema: &TableSchema, rows: &[Vec<Option<&str>>]) -> PolarsResult<LazyFrame> {
    let n = rows.len();
    let mut frame = df!(
        SOURCE_FILE => vec!["f.csv"; n],
        LINE => (2..n as IdxSize + 2).collect::<Vec<_>>(),
        ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
        LAYOUT_ERROR => vec![None::<&str>; n],
    )?;
    for (i, name) in schema.column_names().into_iter().enumerate() {
        let values: Vec<Option<&str>> = rows.iter().map(|r| r.get(i).copied().flatten()).collect();
        frame.with_column(Column::new(name.into(), values))?;
    }
    Ok(frame.lazy())
}

/// Why `actual` is not `expected`, or `None` when they are equal: column names in
/// order, then each column's dtype and length, then its values (nulls equal to
/// nulls).
pub fn frame_difference(actual: &DataFrame, expected: &DataFrame) -> Option<String> {
    let names = |df: &DataFrame| -> Vec<String> {
        df.get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    };
    if names(actual) != names(expected) {
        return Some(format!(
            "columns {:?}, expected {:?}",
            names(actual),
            names(expected)
        ));
    }
    for (a, e) in actual.columns().iter().zip(expected.columns()) {
        if a.dtype() != e.dtype() {
            return Some(format!(
                "column `{}` is {}, expected {}",
                a.name(),
                a.dtype(),
                e.dtype()
            ));
        }
        if a.len() != e.len() {
            return Some(format!("{} rows, expected {}", a.len(), e.len()));
        }
        if !a
            .as_materialized_series()
            .equals_missing(e.as_materialized_series())
        {
            return Some(format!("column `{}` holds other values", a.name()));
        }
    }
    None
}

/// Asserts that a frame equals an expected one (see [`frame_difference`]); on failure
/// the message says what differs and shows both frames.
///
/// ```
/// use polars::prelude::*;
/// let out = df!("dma" => ["Austin"], "devices" => [2u32]).unwrap();
/// smartview::assert_frame_eq!(out, df!("dma" => ["Austin"], "devices" => [2u32]).unwrap());
/// ```
#[macro_export]
macro_rules! assert_frame_eq {
    ($actual:expr, $expected:expr $(,)?) => {{
        let actual: &polars::prelude::DataFrame = &$actual;
        let expected: &polars::prelude::DataFrame = &$expected;
        if let Some(difference) = $crate::testing::frame_difference(actual, expected) {
            panic!("frames differ: {difference}\nactual:\n{actual}\nexpected:\n{expected}");
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dtypes_values_and_nulls_are_compared() -> PolarsResult<()> {
        let frame = df!("a" => [Some(1i64), None], "b" => ["x", "y"])?;
        assert_eq!(frame_difference(&frame, &frame.clone()), None);
        let renamed = df!("a" => [Some(1i64), None], "c" => ["x", "y"])?;
        assert!(frame_difference(&frame, &renamed).is_some_and(|d| d.contains("columns")));
        let retyped = df!("a" => [Some(1i32), None], "b" => ["x", "y"])?;
        assert!(frame_difference(&frame, &retyped).is_some_and(|d| d.contains("i32")));
        let null_filled = df!("a" => [Some(1i64), Some(0)], "b" => ["x", "y"])?;
        assert!(frame_difference(&frame, &null_filled).is_some_and(|d| d.contains("`a`")));
        let reordered = df!("a" => [Some(1i64), None], "b" => ["y", "x"])?;
        assert!(frame_difference(&frame, &reordered).is_some());
        Ok(())
    }

    #[test]
    #[should_panic(expected = "frames differ: column `b` holds other values")]
    fn the_macro_panics_with_the_difference() {
        let frame = df!("b" => [1u32]).unwrap_or_default();
        crate::assert_frame_eq!(frame, df!("b" => [2u32]).unwrap_or_default());
    }
}

/// The variable naming another Spark Connect server for the parity tests (an
/// `sc://` URL, such as JVM Spark's from `scripts/spark start`); Sail when unset.
pub const SPARK_REMOTE: &str = "SMARTVIEW_SPARK_REMOTE";

/// Runs Spark SQL queries on a Spark Connect engine that is not SmartView (LakeSail's
/// Sail, installed by `scripts/sail`, or the server [`SPARK_REMOTE`] names, driven
/// by `tests/spark_check.py`) and returns each query's result, in the engine's
/// dtypes and row order.
///
/// `inputs` are the tables the queries read (name, Parquet file). Work files go to
/// `work`. Each query's time on the engine is printed (shown with `--nocapture`).
///
/// # Errors
/// When the engine cannot be installed or run, or a query fails on it (the message
/// holds the engine's error and the query).
pub fn run_on_spark_engine(
    root: &std::path::Path,
    work: &std::path::Path,
    inputs: &[(&str, std::path::PathBuf)],
    queries: &[(&str, String)],
) -> anyhow::Result<Vec<(String, DataFrame)>> {
    run_views_on_spark_engine(root, work, inputs, &[], &[], queries)
}

/// [`run_on_spark_engine`] with text files read by the engine's text reader (each a
/// view of one row per line, the column `value`) and views made from SQL, in order,
/// before the queries run: `(name, SQL, materialized)`, a materialized view being
/// written as Parquet in `work` and read back.
///
/// # Errors
/// As [`run_on_spark_engine`].
pub fn run_views_on_spark_engine(
    root: &std::path::Path,
    work: &std::path::Path,
    inputs: &[(&str, std::path::PathBuf)],
    text_inputs: &[(String, std::path::PathBuf)],
    views: &[(String, String, bool)],
    queries: &[(&str, String)],
) -> anyhow::Result<Vec<(String, DataFrame)>> {
    use anyhow::ensure;
    let out = work.join("engine");
    std::fs::create_dir_all(&out)?;
    let job = work.join("job.json");
    let mut tables: serde_json::Map<String, serde_json::Value> = inputs
        .iter()
        .map(|(n, p)| ((*n).into(), p.display().to_string().into()))
        .collect();
    for (name, path) in text_inputs {
        tables.insert(
            name.clone(),
            serde_json::json!({"text": path.display().to_string()}),
        );
    }
    let sql: serde_json::Map<String, serde_json::Value> = queries
        .iter()
        .map(|(n, q)| ((*n).into(), q.clone().into()))
        .collect();
    let mut spec = serde_json::json!({
        "tables": tables,
        "views": views,
        "work": work.display().to_string(),
        "queries": sql,
        "out": out.display().to_string(),
    });
    if let Some(remote) = std::env::var_os(SPARK_REMOTE) {
        spec["remote"] = remote.to_string_lossy().into();
    }
    std::fs::write(&job, spec.to_string())?;
    let ran = std::process::Command::new(sail_python(root)?)
        .arg(root.join("tests/spark_check.py"))
        .arg(&job)
        .output()?;
    ensure!(
        ran.status.success(),
        "tests/spark_check.py failed: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    print!("{}", String::from_utf8_lossy(&ran.stderr));
    let mut results = Vec::new();
    for (name, query) in queries {
        let error = out.join(format!("{name}.error"));
        ensure!(
            !error.exists(),
            "{name} failed on the engine: {}\n{query}",
            std::fs::read_to_string(&error)?
        );
        let frame = crate::io::scan_parquet(&out.join(format!("{name}.parquet")))?.collect()?;
        results.push((name.to_string(), frame));
    }
    Ok(results)
}

/// The Python environment of LakeSail's Sail with its PySpark client, installed by
/// `scripts/sail` in the clone `root` when needed.
///
/// # Errors
/// When the installation fails (the message holds the script's).
pub fn sail_python(root: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let python = std::process::Command::new(root.join("scripts/sail")).output()?;
    anyhow::ensure!(
        python.status.success(),
        "scripts/sail failed: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    Ok(String::from_utf8(python.stdout)?.trim().into())
}

/// Checks that an engine's result `theirs` for table `name` is the local run's table
/// `ours`: cast to `ours`' dtypes (as a remote run hands its results to the local
/// writers), then compared row for row when `ordered` (the query ends in its
/// `ORDER BY`), as sets of rows otherwise; floats equal to 1e-9 relative.
///
/// # Errors
/// When a column cannot be cast, or the tables differ (the message names the table,
/// the column, the row and both values).
pub fn assert_same_table(
    name: &str,
    ours: &DataFrame,
    theirs: DataFrame,
    ordered: bool,
) -> anyhow::Result<()> {
    use anyhow::{anyhow, ensure};
    let theirs = as_dtypes_of(theirs, ours).map_err(|e| anyhow!("{name}: {e:#}"))?;
    let (ours, theirs) = match ordered {
        true => (ours.clone(), theirs),
        false => (sorted_rows(ours)?, sorted_rows(&theirs)?),
    };
    ensure!(
        ours.height() == theirs.height(),
        "{name}: {} rows here, {} on the engine",
        ours.height(),
        theirs.height()
    );
    let float = polars::prelude::DataType::Float64;
    for (a, b) in ours.columns().iter().zip(theirs.columns()) {
        let (a, b) = (a.as_materialized_series(), b.as_materialized_series());
        if a.dtype().is_float() {
            let (x, y) = (a.cast(&float)?, b.cast(&float)?);
            for (row, (x, y)) in x.f64()?.iter().zip(y.f64()?.iter()).enumerate() {
                let close = match (x, y) {
                    (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                    (None, None) => true,
                    _ => false,
                };
                ensure!(
                    close,
                    "{name}.{} row {row}: {x:?} here, {y:?} on the engine",
                    a.name()
                );
            }
        } else if !a.equals_missing(b) {
            let row = (0..a.len())
                .find(|&i| a.get(i).ok() != b.get(i).ok())
                .unwrap_or(0);
            return Err(anyhow!(
                "{name}.{} row {row}: {:?} here, {:?} on the engine ({})",
                a.name(),
                a.get(row)?,
                b.get(row)?,
                if ordered {
                    "in the query's order"
                } else {
                    "rows sorted"
                }
            ));
        }
    }
    Ok(())
}

/// Whether a translated query fixes its rows' order (ends in its `ORDER BY`).
pub fn is_ordered(query: &str) -> bool {
    query.contains(") AS result ORDER BY ")
}

/// `frame`'s columns named as `like`'s, in its order, cast to its dtypes (strict).
fn as_dtypes_of(frame: DataFrame, like: &DataFrame) -> anyhow::Result<DataFrame> {
    crate::remote::conform(frame, like.schema())
}

/// `frame`'s rows sorted by every column, nulls first.
fn sorted_rows(frame: &DataFrame) -> PolarsResult<DataFrame> {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    frame
        .clone()
        .lazy()
        .sort(names, Default::default())
        .collect()
}

/// The parity check of a domain's rules on a Spark engine: its output tables
/// translated ([`crate::remote::DomainRules`]) and run by
/// [`run_on_spark_engine`] over the validated tables of a local run (`inputs`: each
/// input's name and Parquet file; [`crate::remote::DomainRules::local_inputs`]), the
/// finishing rules run here on the engine's results, all compared with that run's
/// output tables `local` ([`assert_same_table`]; every table must be there, with
/// rows).
///
/// # Errors
/// As [`run_on_spark_engine`] and [`assert_same_table`], and when a table cannot be
/// translated or is missing from `local`.
pub fn assert_domain_parity(
    root: &std::path::Path,
    work: &std::path::Path,
    rules: &crate::remote::DomainRules,
    inputs: &[(&str, std::path::PathBuf)],
    local: &[(&str, &DataFrame)],
) -> anyhow::Result<()> {
    use anyhow::anyhow;
    let mut schemas = Vec::new();
    for (name, file) in inputs {
        let schema = crate::io::scan_parquet(file)?.collect_schema()?;
        schemas.push((*name, schema.as_ref().clone()));
    }
    // A comparison of empty tables proves nothing: the data must give every table.
    for (name, frame) in local {
        anyhow::ensure!(
            frame.height() > 0,
            "the local {name} is empty: nothing to compare"
        );
    }
    let ours = |name: &str| {
        local
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, frame)| *frame)
            .ok_or_else(|| anyhow!("no local table {name} to compare"))
    };
    let queries = rules.spark_sql_over(&schemas)?;
    let results = run_on_spark_engine(root, work, inputs, &queries)?;
    let mut theirs = Vec::new();
    for ((name, query), (_, result)) in queries.iter().zip(results) {
        assert_same_table(name, ours(name)?, result.clone(), is_ordered(query))?;
        theirs.push((*name, as_dtypes_of(result, ours(name)?)?));
    }
    let finished = (rules.finish)(&mut |name| {
        theirs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, frame)| frame.clone().lazy())
            .ok_or_else(|| anyhow!("the finishing rules read {name}, which no query made"))
    })?;
    for (name, plan) in finished {
        assert_same_table(name, ours(name)?, plan.collect()?, true)?;
    }
    Ok(())
}

/// Issue 19, item 2: `table`'s raw files in `raw` validated on a Spark engine (the
/// engine's text reader, the declared checks and `lookups` as SQL:
/// [`crate::remote::validation`]) give the local validation's valid rows and
/// quarantine: every row under the same reason, the same values. A quarantined
/// line's raw fields are compared only when its reason is not a layout rule (the
/// engine cuts a malformed line its own way). Returns the numbers of valid and
/// quarantined rows, for the caller to check that the data exercised both.
///
/// # Errors
/// As [`run_on_spark_engine`] and [`assert_same_table`], and when the table's files
/// are not delimited text or cannot be read here.
pub fn assert_validation_parity(
    root: &std::path::Path,
    work: &std::path::Path,
    table: &crate::io::RawTable,
    raw: &std::path::Path,
    lookups: &[crate::schema::Rule],
) -> anyhow::Result<(usize, usize)> {
    use crate::remote::validation::{
        cut_lines_sql, order_partitions, partition_starts, partition_starts_sql, raw_rows_sql,
        union_sql, validation_sql,
    };
    use crate::schema::REASON;
    let schema = &table.schema;
    let reading = crate::io::Reading::new(None, None)?;
    let local = crate::schema::validate_with(table.scan(raw, &reading)?, schema, lookups);
    let (valid, quarantine) = (local.valid.collect()?, local.quarantine.collect()?);
    let (chosen, files) = table.found(raw)?;
    let crate::io::Source::Text { layout, .. } = &table.sources[chosen] else {
        anyhow::bail!("{} is not read from delimited text", schema.name);
    };
    let columns = schema.column_names();
    // The engine cuts each file's lines (materialized), then gives each partition's
    // start, which is ordered against the file here (remote::validation's steps).
    let (mut text_inputs, mut views, mut starts) = (Vec::new(), Vec::new(), Vec::new());
    for (index, file) in files.iter().enumerate() {
        let (text, cut) = (format!("text_{index}"), format!("cut_{index}"));
        views.push((cut.clone(), cut_lines_sql(&text, *layout)?, true));
        starts.push((format!("starts_{index}"), partition_starts_sql(&cut)));
        text_inputs.push((text, file.clone()));
    }
    let queries: Vec<(&str, String)> = starts
        .iter()
        .map(|(n, q)| (n.as_str(), q.clone()))
        .collect();
    let started = run_views_on_spark_engine(root, work, &[], &text_inputs, &views, &queries)?;
    let (mut cuts, mut parts) = (Vec::new(), Vec::new());
    for (index, (file, (_, frame))) in files.iter().zip(started).enumerate() {
        let offsets = order_partitions(file, &partition_starts(&frame)?)?;
        let cut = format!("cut_{index}");
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        parts.push(raw_rows_sql(
            &cut, &offsets, &name, index, &columns, *layout,
        )?);
        cuts.push((work.join(format!("{cut}.parquet")), cut));
    }
    let cuts: Vec<(&str, std::path::PathBuf)> =
        cuts.iter().map(|(p, n)| (n.as_str(), p.clone())).collect();
    let views = [("raw".to_string(), union_sql(&parts), false)];
    let (valid_sql, quarantine_sql) = validation_sql(schema, "raw", lookups)?;
    let queries = [("valid", valid_sql), ("quarantine", quarantine_sql)];
    let mut results =
        run_views_on_spark_engine(root, &work.join("validation"), &cuts, &[], &views, &queries)?;
    let their_quarantine = results.pop().map(|(_, df)| df).unwrap_or_default();
    let their_valid = results.pop().map(|(_, df)| df).unwrap_or_default();
    assert_same_table(
        &format!("{} valid", schema.name),
        &valid,
        their_valid,
        false,
    )?;
    let blank_layout_rows = |df: DataFrame| -> PolarsResult<DataFrame> {
        let layout = col(REASON).str().starts_with(lit("layout|"));
        let blanked: Vec<Expr> = columns
            .iter()
            .map(|c| {
                when(layout.clone())
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(col(*c))
                    .alias(*c)
            })
            .collect();
        df.lazy().with_columns(blanked).collect()
    };
    let theirs = crate::remote::conform(their_quarantine, quarantine.schema())?;
    assert_same_table(
        &format!("{} quarantine", schema.name),
        &blank_layout_rows(quarantine.clone())?,
        blank_layout_rows(theirs)?,
        false,
    )?;
    Ok((valid.height(), quarantine.height()))
}

//! Jupyter display of frames and charts under the Rust kernel (evcxr).
//!
//! evcxr shows a cell's final value through its `evcxr_display` method. Frames are
//! foreign types, so [`show`] and [`show_lazy`] wrap them in a [`FrameView`], which
//! renders like Python Polars' notebook display: the shape, column names with dtypes,
//! numbers right-aligned with thousands separators, nulls shown as `null`, long
//! frames cut to head and tail rows. A lazy frame collects only the rows it shows.
//! Charts ([`crate::report::Svg`]) display themselves as images. Tables and charts
//! come from [`crate::report`], the same code as the reports. [`validation_report`]
//! checks any raw table against its declared schema and shows what it would keep and
//! quarantine, and why.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{col, len, DataFrame, DataType, IdxSize, IntoLazy, LazyFrame};
use polars::prelude::{PolarsResult, SortMultipleOptions};

use crate::io::RawTable;
use crate::progress::thousands;
use crate::report::table::{html_table, TABLE_CSS};
use crate::schema::{validate, Validation, REASON};

/// The notebook header's last value: which SmartView and Polars the kernel runs.
///
/// evcxr shows the first value of a kernel's life through `Debug` even when the type
/// has a rich display; the header takes that first turn, so that the tables and
/// charts after it show as such. Both displays print the same line.
#[derive(Clone, Copy)]
pub struct KernelReady;

impl std::fmt::Debug for KernelReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmartView {} with Polars {}",
            env!("CARGO_PKG_VERSION"),
            polars::VERSION
        )
    }
}

impl KernelReady {
    /// Jupyter (evcxr) display: the same line as plain text.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self:?}\nEVCXR_END_CONTENT");
    }
}

/// The header's last line (see [`KernelReady`]); it also caps the kernel's malloc
/// arenas as the binaries do ([`crate::exec::limit_malloc_arenas`]).
pub fn ready() -> KernelReady {
    crate::exec::limit_malloc_arenas();
    KernelReady
}

/// Rows a frame shows before it is cut to head and tail.
pub const SHOWN_ROWS: usize = 10;

/// A frame ready for display: its HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameView {
    pub html: String,
}

impl FrameView {
    /// Jupyter (evcxr) rich display: the frame as an HTML table.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html
        );
    }
}

fn view(table: String, note: Option<String>) -> FrameView {
    let note = note
        .map(|n| format!("<p class=\"note\">{n}</p>"))
        .unwrap_or_default();
    FrameView {
        html: format!("<style>{TABLE_CSS}</style><div>{note}{table}</div>"),
    }
}

/// An eager frame for display, at most [`SHOWN_ROWS`] rows (head and tail).
pub fn show(df: &DataFrame) -> FrameView {
    view(html_table(df, SHOWN_ROWS), None)
}

/// A lazy frame for display: collects only its first `rows` rows (plus one, to tell
/// whether there are more).
///
/// # Errors
/// When the plan fails to run (Polars error).
pub fn show_lazy(lf: LazyFrame, rows: usize) -> PolarsResult<FrameView> {
    let head = lf.limit((rows + 1) as IdxSize).collect()?;
    let more = head.height() > rows;
    let shown = head.head(Some(rows));
    let note = more.then(|| format!("first {rows} rows of a lazy frame; more were not collected"));
    Ok(view(html_table(&shown, rows), note))
}

/// Rows per failed rule of a quarantine frame ([`Validation::quarantine`]), most
/// frequent first, ties by rule.
///
/// # Errors
/// When the plan fails to run, for example without a `reason` column.
pub fn rule_counts(quarantine: LazyFrame) -> PolarsResult<DataFrame> {
    quarantine
        .group_by([col(REASON)])
        .agg([len().alias("rows")])
        .sort(
            ["rows", REASON],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()
}

/// A quarantine frame summarised for display as rows per failed rule.
///
/// # Errors
/// As [`rule_counts`].
pub fn quarantine_rules(quarantine: LazyFrame) -> PolarsResult<FrameView> {
    Ok(show(&rule_counts(quarantine)?))
}

/// Quarantined rows shown by [`validation_report`] as examples.
pub const QUARANTINE_EXAMPLES: usize = 5;

/// What validating one raw table keeps and quarantines.
#[derive(Clone, Debug)]
pub struct ValidationReport {
    pub table: String,
    pub rows_valid: u64,
    pub rows_quarantined: u64,
    /// `reason`, `rows`: see [`rule_counts`].
    pub rules: DataFrame,
    /// The first quarantined rows, with their file, line and reason.
    pub examples: DataFrame,
    /// Values of valid rows read as null (columns declared
    /// [`crate::schema::Column::null_when_invalid`]): one Int64 column per rule, one
    /// row; `None` when the schema nulls nothing.
    pub nulled: Option<DataFrame>,
}

impl ValidationReport {
    /// Every raw row is either valid or quarantined.
    pub fn rows_in(&self) -> u64 {
        self.rows_valid + self.rows_quarantined
    }

    /// The report as HTML: counts, rows per failed rule, example rows, and the values
    /// read as null when the schema nulls any.
    pub fn html(&self) -> String {
        let nulled = match &self.nulled {
            Some(counts) => format!(
                "<p>Values read as null, their rows kept (per rule):</p>{}",
                html_table(counts, SHOWN_ROWS)
            ),
            None => String::new(),
        };
        format!(
            "<style>{TABLE_CSS}</style><div><p><b>{}</b>: {} rows read, {} valid, {} quarantined</p>\
             {}<p>First quarantined rows:</p>{}{nulled}</div>",
            self.table,
            thousands(self.rows_in()),
            thousands(self.rows_valid),
            thousands(self.rows_quarantined),
            html_table(&self.rules, SHOWN_ROWS),
            html_table(&self.examples, QUARANTINE_EXAMPLES),
        )
    }

    /// Jupyter (evcxr) rich display.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html()
        );
    }
}

/// Validates a raw table's files in `raw_dir` against its declared schema, without
/// writing anything: counts, rows per failed rule and the first quarantined rows.
/// Lookup rules that need other tables (such as TV's unknown programs) are not
/// applied here; the domain pipeline applies them.
///
/// # Errors
/// When no file of the table is found or one cannot be read or validated; the
/// message names the table.
pub fn validation_report(table: &RawTable, raw_dir: &Path) -> Result<ValidationReport> {
    let name = table.schema.name;
    let Validation {
        valid,
        quarantine,
        nulled,
    } = validate(
        table.scan(raw_dir, &crate::io::Reading::default())?,
        &table.schema,
    );
    let nulled = nulled
        .map(LazyFrame::collect)
        .transpose()
        .with_context(|| format!("cannot count the values of `{name}` read as null"))?;
    let quarantined = quarantine
        .collect()
        .with_context(|| format!("cannot validate the raw table `{name}`"))?;
    let rows_valid = valid
        .select([len().cast(DataType::UInt64).alias("rows")])
        .collect()
        .with_context(|| format!("cannot count the valid rows of `{name}`"))?
        .column("rows")?
        .u64()?
        .get(0)
        .unwrap_or(0);
    Ok(ValidationReport {
        table: name.to_string(),
        rows_valid,
        rows_quarantined: quarantined.height() as u64,
        rules: rule_counts(quarantined.clone().lazy())?,
        examples: quarantined.head(Some(QUARANTINE_EXAMPLES)),
        nulled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn lazy_frames_collect_only_what_they_show() -> PolarsResult<()> {
        let df = df!("n" => (0..100i64).collect::<Vec<_>>())?;
        let view = show_lazy(df.clone().lazy(), 5)?;
        assert!(
            view.html.contains("shape: (5, 1)"),
            "only the head is collected"
        );
        assert!(view.html.contains("first 5 rows of a lazy frame"));
        let small = show_lazy(df.head(Some(3)).lazy(), 5)?;
        assert!(
            !small.html.contains("first 5 rows"),
            "no note when everything is shown"
        );
        Ok(())
    }

    #[test]
    fn eager_frames_show_shape_dtypes_and_nulls() -> PolarsResult<()> {
        let df = df!("market" => [Some("Boise"), None], "devices" => [12_345i64, 7])?;
        let html = show(&df).html;
        assert!(
            html.contains("shape: (2, 2)") && html.contains("<span class=\"dtype\">i64</span>")
        );
        assert!(
            html.contains("<td class=\"num\">12,345</td>")
                && html.contains("<td class=\"null\">null</td>")
        );
        Ok(())
    }

    #[test]
    fn quarantine_rules_counts_rows_per_rule() -> PolarsResult<()> {
        let quarantine = df!(REASON => ["a|dtype", "b|regex", "a|dtype"])?;
        let html = quarantine_rules(quarantine.lazy())?.html;
        let first = html.find("a|dtype").unwrap_or(usize::MAX);
        let second = html.find("b|regex").unwrap_or(0);
        assert!(first < second, "most frequent rule first");
        Ok(())
    }

    #[test]
    fn ready_names_the_versions_in_both_displays() {
        let line = format!("{:?}", ready());
        assert_eq!(
            line,
            format!(
                "SmartView {} with Polars {}",
                env!("CARGO_PKG_VERSION"),
                polars::VERSION
            )
        );
    }

    #[test]
    fn validation_report_counts_rules_and_shows_quarantined_rows() -> anyhow::Result<()> {
        use crate::io::{Source, TextLayout};
        use crate::schema::{Column, ColumnType, TableSchema, LINE};
        use crate::values;

        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("sales_1.csv"),
            "region,amount\nnorth,10\nsouth,x\neast,30\n,40\n",
        )?;
        let table = RawTable::new(
            TableSchema::new(
                "sales",
                vec![
                    Column::text("region").required(),
                    Column::new("amount", ColumnType::Int),
                ],
            ),
            vec![Source::text("sales", ".csv", TextLayout::CSV_WITH_HEADER)],
        );
        let report = validation_report(&table, dir.path())?;
        assert_eq!(
            (report.rows_in(), report.rows_valid, report.rows_quarantined),
            (4, 2, 2)
        );
        assert_eq!(
            values::texts(&report.rules, REASON, "")?,
            ["amount|dtype", "region|required"],
            "one row each: ties by rule"
        );
        assert_eq!(values::u64s(&report.examples, LINE, 0)?, [3, 5]);
        assert!(report
            .html()
            .contains("<b>sales</b>: 4 rows read, 2 valid, 2 quarantined"));
        Ok(())
    }
}

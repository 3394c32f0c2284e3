//! Jupyter display of frames and charts under the Rust kernel (evcxr).
//!
//! evcxr shows a cell's final value through its `evcxr_display` method. Frames are
//! foreign types, so [`show`] and [`show_lazy`] wrap them in a [`FrameView`], which
//! renders like Python Polars' notebook display: the shape, column names with dtypes,
//! numbers right-aligned with thousands separators, nulls shown as `null`, long
//! frames cut to head and tail rows. A lazy frame collects only the rows it shows.
//! Charts ([`crate::report::Svg`]) display themselves as images. Tables and charts
//! come from [`crate::report`], the same code as the reports.

use polars::prelude::{DataFrame, IdxSize, LazyFrame, PolarsResult};

use crate::report::table::{html_table, TABLE_CSS};
use crate::schema::REASON;

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
pub fn show_lazy(lf: LazyFrame, rows: usize) -> PolarsResult<FrameView> {
    let head = lf.limit((rows + 1) as IdxSize).collect()?;
    let more = head.height() > rows;
    let shown = head.head(Some(rows));
    let note = more.then(|| format!("first {rows} rows of a lazy frame; more were not collected"));
    Ok(view(html_table(&shown, rows), note))
}

/// A quarantine frame ([`crate::schema::Validation::quarantine`]) summarised as rows
/// per failed rule, most frequent first.
pub fn quarantine_rules(quarantine: LazyFrame) -> PolarsResult<FrameView> {
    use polars::prelude::{col, len, SortMultipleOptions};
    let counts = quarantine
        .group_by([col(REASON)])
        .agg([len().alias("rows")])
        .sort(
            ["rows", REASON],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    Ok(show(&counts))
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
}

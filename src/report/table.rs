//! Frames as HTML and Markdown tables.
//!
//! Like Python Polars' notebook display: the shape, column names with their dtypes,
//! numbers right-aligned with thousands separators (floats to at most 4 decimals)
//! except in key columns such as years and ids ([`is_key_column`]), nulls shown as
//! `null`, and long frames cut to their head and tail rows.

use polars::prelude::{AnyValue, DataFrame, DataType};

use crate::progress::thousands;

/// The look of tables made by [`html_table`] (class `frame`), for reports and
/// notebooks alike.
pub const TABLE_CSS: &str = "table.frame{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.88rem}\
table.frame caption{caption-side:top;text-align:left;color:#52606d;font-size:.8rem;padding:.2rem 0}\
table.frame th,table.frame td{border:1px solid #d9e2ec;padding:.25rem .55rem;text-align:left!important;vertical-align:top}\
table.frame th{background:#f0f4f8}table.frame .num{text-align:right!important;font-variant-numeric:tabular-nums}\
table.frame .null{color:#9aa5b1;font-style:italic}table.frame .dtype{color:#7b8794;font-weight:normal;\
font-size:.75rem}table.frame tr.gap td{text-align:center;color:#9aa5b1}";

/// A cell as display text.
pub fn format_value(value: &AnyValue) -> String {
    match value {
        AnyValue::Null => "null".into(),
        AnyValue::Float32(v) => format_float(f64::from(*v)),
        AnyValue::Float64(v) => format_float(*v),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        v if v.dtype().is_integer() => format_integer(v),
        v => v.to_string().trim_matches('"').to_string(),
    }
}

/// A cell of the column `column` as display text: as [`format_value`], except that
/// numbers in a key column ([`is_key_column`]) keep their digits ungrouped (`1961`,
/// `202206`, `12346`).
pub fn format_cell(column: &str, value: &AnyValue) -> String {
    match value {
        AnyValue::Float32(_) | AnyValue::Float64(_) if is_key_column(column) => {
            format_value(value).replace(',', "")
        }
        v if v.dtype().is_integer() && is_key_column(column) => v.to_string(),
        v => format_value(v),
    }
}

/// Whether a column holds keys rather than quantities, by the last word of its name
/// (words split at `_`, spaces and lower-to-upper case changes): `year`, `yyyymm`,
/// `month`, `id`, `code`, `key` or `nr`, as in `year`, `cohort_month`, `Customer ID`,
/// `row_nr`.
pub fn is_key_column(column: &str) -> bool {
    let mut words = vec![String::new()];
    let mut previous_lower = false;
    for c in column.chars() {
        if !c.is_alphanumeric() || (previous_lower && c.is_uppercase()) {
            words.push(String::new());
        }
        if let (true, Some(word)) = (c.is_alphanumeric(), words.last_mut()) {
            word.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase();
    }
    let last = words.iter().rev().find(|word| !word.is_empty());
    matches!(
        last.map(String::as_str),
        Some("year" | "yyyymm" | "month" | "id" | "code" | "key" | "nr")
    )
}

fn format_integer(value: &AnyValue) -> String {
    let text = value.to_string();
    match text.strip_prefix('-') {
        Some(digits) => digits
            .parse::<u64>()
            .map(|d| format!("-{}", thousands(d)))
            .unwrap_or(text),
        None => text.parse::<u64>().map(thousands).unwrap_or(text),
    }
}

/// A float for display: thousands separators, at most 4 decimals, no trailing zeros.
pub fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let fixed = format!("{:.4}", v.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let fraction = fraction.trim_end_matches('0');
    let whole = whole
        .parse::<u64>()
        .map(thousands)
        .unwrap_or_else(|_| whole.to_string());
    let sign = if v < 0.0 && (whole != "0" || !fraction.is_empty()) {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
}

/// The row indices to show: all, or the head and tail around a gap.
fn shown_rows(height: usize, max_rows: usize) -> (Vec<usize>, bool) {
    if height <= max_rows {
        return ((0..height).collect(), false);
    }
    let head = max_rows.div_ceil(2);
    let tail = max_rows - head;
    ((0..head).chain(height - tail..height).collect(), true)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A frame as an HTML `<table>` with a shape caption; at most `max_rows` rows.
pub fn html_table(df: &DataFrame, max_rows: usize) -> String {
    let (rows, cut) = shown_rows(df.height(), max_rows);
    let columns = df.columns();
    let mut html = format!(
        "<table class=\"frame\">\n<caption>shape: ({}, {})</caption>\n<thead><tr>",
        thousands(df.height() as u64),
        df.width()
    );
    for column in columns {
        let class = if is_numeric(column.dtype()) {
            " class=\"num\""
        } else {
            ""
        };
        html.push_str(&format!(
            "<th{class}>{}<br><span class=\"dtype\">{}</span></th>",
            escape_html(column.name()),
            escape_html(&column.dtype().to_string())
        ));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for (position, &row) in rows.iter().enumerate() {
        if cut && position == max_rows.div_ceil(2) {
            html.push_str(&format!(
                "<tr class=\"gap\"><td colspan=\"{}\">…</td></tr>\n",
                df.width()
            ));
        }
        html.push_str("<tr>");
        for column in columns {
            let value = column.get(row).unwrap_or(AnyValue::Null);
            let class = match (&value, is_numeric(column.dtype())) {
                (AnyValue::Null, _) => " class=\"null\"",
                (_, true) => " class=\"num\"",
                _ => "",
            };
            html.push_str(&format!(
                "<td{class}>{}</td>",
                escape_html(&format_cell(column.name(), &value))
            ));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// A frame as a Markdown table (numbers right-aligned); at most `max_rows` rows.
pub fn markdown_table(df: &DataFrame, max_rows: usize) -> String {
    let (rows, cut) = shown_rows(df.height(), max_rows);
    let columns = df.columns();
    let cell = |text: String| text.replace('|', "\\|");
    let mut md = String::from("|");
    for column in columns {
        md.push_str(&format!(" {} |", cell(column.name().to_string())));
    }
    md.push_str("\n|");
    for column in columns {
        md.push_str(if is_numeric(column.dtype()) {
            " ---: |"
        } else {
            " --- |"
        });
    }
    md.push('\n');
    for (position, &row) in rows.iter().enumerate() {
        if cut && position == max_rows.div_ceil(2) {
            md.push_str(&format!("|{}\n", " … |".repeat(df.width())));
        }
        md.push('|');
        for column in columns {
            let value = column.get(row).unwrap_or(AnyValue::Null);
            md.push_str(&format!(" {} |", cell(format_cell(column.name(), &value))));
        }
        md.push('\n');
    }
    md.push_str(&format!(
        "\n*{} rows × {} columns*\n",
        thousands(df.height() as u64),
        df.width()
    ));
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn formats_numbers_nulls_and_text() {
        assert_eq!(format_value(&AnyValue::Int64(-1234567)), "-1,234,567");
        assert_eq!(format_value(&AnyValue::UInt32(1000)), "1,000");
        assert_eq!(format_value(&AnyValue::Float64(1234.5)), "1,234.5");
        assert_eq!(format_value(&AnyValue::Float64(0.123456)), "0.1235");
        assert_eq!(format_value(&AnyValue::Float64(-0.00001)), "0");
        assert_eq!(format_value(&AnyValue::Null), "null");
        assert_eq!(format_value(&AnyValue::String("a|b")), "a|b");
    }

    #[test]
    fn key_columns_keep_their_digits_ungrouped() {
        for key in [
            "year",
            "peak_year",
            "yyyymm",
            "cohort_month",
            "Customer ID",
            "row_nr",
            "countryCode",
            "household_id",
        ] {
            assert!(is_key_column(key), "{key}");
        }
        for quantity in [
            "rows",
            "events",
            "months_active",
            "yearly_total",
            "valid",
            "Quantity",
            "idle",
        ] {
            assert!(!is_key_column(quantity), "{quantity}");
        }
        assert_eq!(format_cell("year", &AnyValue::Int32(1961)), "1961");
        assert_eq!(format_cell("yyyymm", &AnyValue::Int64(202206)), "202206");
        assert_eq!(
            format_cell("Customer ID", &AnyValue::Float64(12346.0)),
            "12346"
        );
        assert_eq!(format_cell("rows", &AnyValue::Int64(1961)), "1,961");
        assert_eq!(format_cell("year", &AnyValue::Null), "null");
    }

    #[test]
    fn long_frames_show_head_and_tail() -> PolarsResult<()> {
        let df = df!("n" => (0..10i64).collect::<Vec<_>>(), "s" => (0..10).map(|i| format!("r{i}")).collect::<Vec<_>>())?;
        let html = html_table(&df, 4);
        assert!(html.contains("shape: (10, 2)"));
        assert!(
            html.contains("<td>r1</td>")
                && html.contains("<td>r9</td>")
                && !html.contains("<td>r5</td>")
        );
        assert!(html.contains("<td class=\"num\">0</td>") && html.contains("…"));
        let md = markdown_table(&df, 4);
        assert!(
            md.starts_with("| n | s |\n| ---: | --- |\n| 0 | r0 |"),
            "{md}"
        );
        Ok(())
    }
}

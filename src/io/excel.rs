//! Excel workbooks (`.xlsx`, `.xls`, `.ods`) read with calamine into raw text columns,
//! ready for [`crate::schema::validate`].
//!
//! The first row of the sheet names the columns; the declared columns are looked up
//! by their trimmed header, in any order, and extra columns are ignored. Every cell
//! becomes text as Excel shows it (`12`, `1.5`, `TRUE`); an empty cell is null. Rows
//! carry `source_file` (`mapping.xlsx:Sheet1`), `line` (the sheet's 1-based row),
//! `row_nr` and `__layout_error` (always null: a sheet has no malformed lines), like
//! [`crate::io::delimited`]. Wholly empty rows are skipped. A workbook may be read
//! by its first sheet or by all its sheets, one after the other (the Online Retail II
//! workbook holds one year per sheet).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use calamine::{open_workbook_auto, Data, Range, Reader};
use polars::prelude::{Column, DataFrame, IdxSize, NamedFrom, Series};

use crate::schema::{LAYOUT_ERROR, LINE, ROW_NR, SOURCE_FILE};

/// Reads the first sheet of the workbook at `path`, returning the declared `columns`
/// as text plus the position columns. An error names the file and sheet, and lists
/// the header when a declared column is missing.
///
/// # Errors
/// When the workbook cannot be opened or read, has no sheet, or its header lacks a
/// declared column; the message names the file and sheet.
pub fn read_first_sheet(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    read_sheets(path, columns, 0, SheetSelection::First)
}

/// Reads every sheet of the workbook at `path` (each with the same header), one after
/// the other, like [`read_first_sheet`]. `file_index` orders this workbook among
/// others in `row_nr`, as a file's position does for delimited text.
///
/// # Errors
/// As [`read_first_sheet`], for any of its sheets.
pub fn read_all_sheets(path: &Path, columns: &[&str], file_index: usize) -> Result<DataFrame> {
    read_sheets(path, columns, file_index, SheetSelection::All)
}

/// Which sheets of a workbook hold a table's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetSelection {
    /// The first sheet only.
    First,
    /// Every sheet, one after the other, each with the same header.
    All,
}

/// Reads the `selection` of sheets of the workbook at `path`, like
/// [`read_all_sheets`].
///
/// # Errors
/// When the workbook cannot be opened or read, has no sheet, or a sheet's header
/// lacks a declared column; the message names the file and sheet.
pub fn read_sheets(
    path: &Path,
    columns: &[&str],
    file_index: usize,
    selection: SheetSelection,
) -> Result<DataFrame> {
    let mut workbook = open_workbook_auto(path)
        .with_context(|| format!("cannot open the workbook {}", path.display()))?;
    let mut sheets = workbook.sheet_names();
    if selection == SheetSelection::First {
        sheets.truncate(1);
    }
    let mut all: Option<DataFrame> = None;
    for (sheet_index, sheet) in sheets.iter().enumerate() {
        let range = workbook
            .worksheet_range(sheet)
            .with_context(|| format!("cannot read the sheet `{sheet}` of {}", path.display()))?;
        // The sheet's rows follow the previous sheet's in `row_nr`.
        // A sheet counts as a file: the workbook's position, then the sheet's.
        let row_nr_base = crate::schema::row_nr_value((file_index << 8) | sheet_index, 0);
        let frame = sheet_frame(path, sheet, &range, columns, row_nr_base)?;
        match all.as_mut() {
            Some(rows) => {
                rows.vstack_mut(&frame)?;
            }
            None => all = Some(frame),
        }
    }
    all.ok_or_else(|| anyhow!("the workbook {} has no sheet", path.display()))
}

/// One sheet's declared columns as text, with the position columns.
fn sheet_frame(
    path: &Path,
    sheet: &str,
    range: &Range<Data>,
    columns: &[&str],
    row_nr_base: u64,
) -> Result<DataFrame> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let source = format!("{file_name}:{sheet}");
    let first_row = range.start().map(|(row, _)| row).unwrap_or(0);
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        bail!(
            "the sheet `{sheet}` of {} is empty; expected a header row with {}",
            path.display(),
            columns.join(", ")
        );
    };
    let header: Vec<String> = header
        .iter()
        .map(|c| c.to_string().trim().to_string())
        .collect();
    let positions = columns
        .iter()
        .map(|name| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                anyhow!(
                    "{source} ({}) has no column `{name}` in its header row {}: found [{}]. \
                     Consider renaming the header cell",
                    path.display(),
                    first_row + 1,
                    header.join(", ")
                )
            })
        })
        .collect::<Result<Vec<usize>>>()?;

    let mut lines: Vec<IdxSize> = Vec::new();
    let mut values: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
    for (offset, row) in rows.enumerate() {
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        lines.push((first_row as usize + offset + 2) as IdxSize);
        for (values, &position) in values.iter_mut().zip(&positions) {
            values.push(row.get(position).and_then(cell_text));
        }
    }
    let n = lines.len();
    let row_nrs: Vec<u64> = lines.iter().map(|&l| row_nr_base + l as u64).collect();
    let mut frame: Vec<Column> = vec![
        Series::new(SOURCE_FILE.into(), vec![source.as_str(); n]).into(),
        Series::new(LINE.into(), lines).into(),
        Series::new(ROW_NR.into(), row_nrs).into(),
        Series::new(LAYOUT_ERROR.into(), vec![None::<&str>; n]).into(),
    ];
    for (name, values) in columns.iter().zip(values) {
        frame.push(Series::new((*name).into(), values).into());
    }
    Ok(DataFrame::new(n, frame)?)
}

/// A cell as the text Excel shows; null when empty. Whole numbers have no decimals
/// (`489434`), and a date-time cell is written `yyyy-mm-dd HH:MM:SS`.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::DateTime(datetime) => {
            let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
            Some(format!(
                "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
            ))
        }
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    #[test]
    fn reads_declared_columns_by_header_with_sheet_rows() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("mapping.xlsx");
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "category")?;
        sheet.write(0, 1, " search ")?;
        sheet.write(0, 2, "ignored")?;
        sheet.write(1, 0, "Anime")?;
        sheet.write(1, 1, "naruto")?;
        sheet.write(3, 1, 12.0)?;
        book.save(&path)?;
        let df = read_first_sheet(&path, &["search", "category"])?;
        assert_eq!(
            crate::values::texts(&df, "search", "<null>")?,
            ["naruto", "12"]
        );
        assert_eq!(
            crate::values::texts(&df, "category", "<null>")?,
            ["Anime", "<null>"]
        );
        let lines: Vec<_> = df.column(LINE)?.idx()?.into_no_null_iter().collect();
        assert_eq!(lines, [2, 4], "the empty row 3 is skipped");
        assert_eq!(
            crate::values::texts(&df, SOURCE_FILE, "")?[0],
            "mapping.xlsx:Sheet1"
        );
        Ok(())
    }

    #[test]
    fn all_sheets_are_read_in_order_with_dates_and_whole_numbers_as_text() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("retail.xlsx");
        let mut book = Workbook::new();
        let when = rust_xlsxwriter::ExcelDateTime::parse_from_str("2010-12-01 08:26:00")?;
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let first = book.add_worksheet().set_name("Year 1")?;
        first.write(0, 0, "Invoice")?.write(0, 1, "At")?;
        first.write(1, 0, 489434.0)?;
        first.write_datetime_with_format(1, 1, &when, &format)?;
        let second = book.add_worksheet().set_name("Year 2")?;
        second.write(0, 0, "Invoice")?.write(0, 1, "At")?;
        second.write(1, 0, "C489449")?.write(1, 1, "not a date")?;
        second.write(2, 0, 1.5)?;
        book.save(&path)?;
        let df = read_all_sheets(&path, &["Invoice", "At"], 1)?;
        assert_eq!(
            crate::values::texts(&df, "Invoice", "<null>")?,
            ["489434", "C489449", "1.5"]
        );
        assert_eq!(
            crate::values::texts(&df, "At", "<null>")?,
            ["2010-12-01 08:26:00", "not a date", "<null>"]
        );
        assert_eq!(
            crate::values::texts(&df, SOURCE_FILE, "")?,
            [
                "retail.xlsx:Year 1",
                "retail.xlsx:Year 2",
                "retail.xlsx:Year 2"
            ]
        );
        let row_nrs: Vec<u64> = df.column(ROW_NR)?.u64()?.into_no_null_iter().collect();
        assert!(row_nrs.windows(2).all(|w| w[0] < w[1]), "{row_nrs:?}");
        Ok(())
    }

    #[test]
    fn a_missing_column_names_the_file_and_the_header() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("mapping.xlsx");
        let mut book = Workbook::new();
        book.add_worksheet().write(0, 0, "keyword")?;
        book.save(&path)?;
        let error = read_first_sheet(&path, &["search"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("mapping.xlsx") && error.contains("[keyword]"),
            "{error}"
        );
        Ok(())
    }
}

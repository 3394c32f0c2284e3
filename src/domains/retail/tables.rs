//! The retail raw table: the invoice lines of the public "Online Retail II" data,
//! `online_retail*.csv` (header `Invoice,StockCode,Description,Quantity,InvoiceDate,
//! Price,Customer ID,Country`, quoted fields) or the `online_retail*.xlsx` workbook
//! with one sheet per year and the same header. This is the one place that names the
//! raw files and their fields, and declares R1's checks.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{concat, IntoLazy, LazyFrame, UnionArgs};

use crate::io::{find_table_files, read_all_sheets, RawTable, Reading, TextLayout};
use crate::schema::{Column, ColumnType, DateOrder, TableSchema};

/// The raw table's name, in quarantines and the summary.
pub const LINES: &str = "online_retail";
/// File names start with this.
pub const PREFIX: &str = "online_retail";
/// The two timestamp layouts of `InvoiceDate`, tried in this order. The second is
/// month-first as the spec writes it (`M/d/yyyy H:mm`); a file written day-first by
/// a UK-locale spreadsheet is recognised from its values (see
/// [`crate::io::dates`]).
pub const TIMESTAMP_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"];

/// The invoice lines (R1). A bad timestamp or a non-numeric quantity or price is
/// quarantined; so is a customer id that is not a whole number (it is written as an
/// integer). An empty customer id is allowed: such lines count for sales only.
pub fn lines() -> RawTable {
    RawTable {
        schema: TableSchema::new(
            LINES,
            vec![
                Column::text("Invoice").required(),
                Column::text("StockCode"),
                Column::text("Description"),
                Column::new("Quantity", ColumnType::Int).required(),
                Column::new("InvoiceDate", ColumnType::Datetime(TIMESTAMP_FORMATS))
                    .required()
                    .day_month(DateOrder::Mdy),
                Column::new("Price", ColumnType::Float).required(),
                Column::new("Customer ID", ColumnType::Float).regex(r"^\s*\d+(\.0*)?\s*$"),
                Column::text("Country"),
            ],
        ),
        prefix: PREFIX,
        suffix: ".csv",
        layout: TextLayout::CSV_WITH_HEADER,
        parquet_allowed: false,
    }
}

/// Where the invoice lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineSource {
    /// `online_retail*.csv`, in file-name order.
    Csv(Vec<PathBuf>),
    /// `online_retail*.xlsx`, every sheet of each, in file-name order.
    Workbooks(Vec<PathBuf>),
}

impl LineSource {
    /// The CSV files in `raw` when there are any, else the workbooks. An error names
    /// the folder and both patterns when there is neither.
    pub fn find(raw: &Path) -> Result<Self> {
        if let Ok(files) = find_table_files(raw, PREFIX, ".csv") {
            return Ok(LineSource::Csv(files));
        }
        find_table_files(raw, PREFIX, ".xlsx")
            .map(LineSource::Workbooks)
            .with_context(|| {
                format!(
                    "no invoice lines in {}: expected {PREFIX}*.csv or {PREFIX}*.xlsx",
                    raw.display()
                )
            })
    }

    /// The workbooks ignored because CSV files were found, for a notice.
    pub fn ignored_workbooks(raw: &Path, source: &LineSource) -> Vec<PathBuf> {
        match source {
            LineSource::Csv(_) => find_table_files(raw, PREFIX, ".xlsx").unwrap_or_default(),
            LineSource::Workbooks(_) => Vec::new(),
        }
    }

    /// The raw lines as text columns with their positions, ready for validation.
    /// Workbooks are read into memory (calamine reads a sheet whole); CSV is scanned.
    ///
    /// # Errors
    /// When a file cannot be read; the message names it.
    pub fn scan(&self, reading: &Reading) -> Result<LazyFrame> {
        let table = lines();
        let columns = table.schema.column_names();
        match self {
            LineSource::Csv(files) => crate::io::scan_delimited(
                files,
                &columns,
                table.layout.with_encoding(reading.encoding),
                &reading.notices,
            )
            .context("cannot read the invoice lines"),
            LineSource::Workbooks(files) => {
                let mut parts = Vec::with_capacity(files.len());
                for (index, file) in files.iter().enumerate() {
                    parts.push(read_all_sheets(file, &columns, index)?.lazy());
                }
                Ok(concat(parts, UnionArgs::default())?)
            }
        }
    }
}

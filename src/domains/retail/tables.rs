//! The retail raw table: the invoice lines of the public "Online Retail II" data,
//! `online_retail*.csv` (header `Invoice,StockCode,Description,Quantity,InvoiceDate,
//! Price,Customer ID,Country`, quoted fields) or the `online_retail*.xlsx` workbook
//! with one sheet per year and the same header (CSV files win; a workbook beside them
//! is ignored with a notice). This is the one place that names the raw files and
//! their fields, and declares R1's checks.

use crate::io::{RawTable, SheetSelection, Source, TextLayout};
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

/// The largest |Quantity| of a line: the real data's largest is 80,995 (one
/// order and its cancellation); anything past a million items is a broken value.
pub const QUANTITY_LIMIT: f64 = 1_000_000.0;

/// The largest |Price| of a line: the real data's largest are adjustments and
/// postage of tens of thousands; past a million is a broken value. With
/// [`QUANTITY_LIMIT`] a line is at most 10¹² currency units, so amounts in 10⁻⁴
/// units stay exact (`transforms::checked_sum` guards their sums).
pub const PRICE_LIMIT: f64 = 1_000_000.0;

/// The largest Customer ID: it is read as a float and used as an integer, exact up to
/// 2⁵³; real ids have five digits.
pub const CUSTOMER_ID_LIMIT: f64 = 1e15;

/// The invoice lines (R1): `online_retail*.csv`, else the `online_retail*.xlsx`
/// workbooks (every sheet). A bad timestamp or a non-numeric quantity or price is
/// quarantined; so is a customer id that is not a whole number (it is written as an
/// integer). An empty customer id is allowed: such lines count for sales only.
pub fn lines() -> RawTable {
    RawTable::new(
        TableSchema::new(
            LINES,
            vec![
                Column::text("Invoice").required(),
                Column::text("StockCode"),
                Column::text("Description"),
                Column::new("Quantity", ColumnType::Int)
                    .required()
                    .range(-QUANTITY_LIMIT, QUANTITY_LIMIT),
                Column::new("InvoiceDate", ColumnType::Datetime(TIMESTAMP_FORMATS))
                    .required()
                    .day_month(DateOrder::Mdy),
                Column::new("Price", ColumnType::Float)
                    .required()
                    .range(-PRICE_LIMIT, PRICE_LIMIT),
                Column::new("Customer ID", ColumnType::Float)
                    .regex(r"^\s*\d+(\.0*)?\s*$")
                    .range(0.0, CUSTOMER_ID_LIMIT),
                Column::text("Country"),
            ],
        ),
        vec![
            Source::text(PREFIX, ".csv", TextLayout::CSV_WITH_HEADER),
            Source::workbook(PREFIX, SheetSelection::All),
        ],
    )
}

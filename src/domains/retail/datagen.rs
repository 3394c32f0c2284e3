//! Synthetic invoice lines in the Online Retail II layout, deterministic for a seed
//! and streamed to disk, so that any size fits in memory.
//!
//! Shape: invoices run forward in time over the months asked for, with seasonal
//! sales (a low spring, an autumn rise peaking in November) and slow growth.
//! Customers arrive over time and buy in proportion to a Pareto-distributed appetite
//! (a fifth of them make most of the sales); about a fifth of the invoices have no
//! customer id. Products have Zipf-skewed popularity and log-normal prices; some
//! descriptions hold commas and quotes (quoted in CSV). Invoices have a log-normal
//! number of lines. About 8% of the invoices of customers who bought before are
//! cancellations (`C…`) of one to six lines, with negative quantities of the
//! customer's earlier purchases (about 2% of all lines, as in the public data).
//!
//! Layouts: CSV files `online_retail_NN.csv` split in time order, the even-numbered
//! ones with timestamps `yyyy-MM-dd HH:mm:ss` and the others `M/d/yyyy H:mm`, as in
//! the two public exports; or one workbook `online_retail_II.xlsx` with one sheet per
//! half of the period, dates as Excel date cells.
//!
//! Faults, each counted in [`GenSummary::faults`] under the rule that catches it,
//! at most one per line: unparseable timestamps (`InvoiceDate|dtype`), non-numeric
//! quantities (`Quantity|dtype`) and prices (`Price|dtype`). Lines without a
//! customer id (`no_customer_id`) and cancellation lines (`cancellation_lines`)
//! are counted too; they are valid.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::tables::LINES;
use crate::io::{create_file, create_folder};
use crate::synth::{csv_field, GenSummary, Synth, WeightedIndex};

/// What to generate.
#[derive(Clone, Debug)]
pub struct RetailGenConfig {
    /// Invoice lines over all files, faulty ones included.
    pub lines: u64,
    /// CSV files the lines are split over, in time order (ignored for a workbook).
    pub files: usize,
    /// The first day of the first month.
    pub first_month: NaiveDate,
    /// Calendar months covered.
    pub months: u32,
    /// Customers; one per 170 lines when `None` (as in the public data).
    pub customers: Option<u64>,
    /// Write one `.xlsx` workbook with two sheets instead of CSV files.
    pub workbook: bool,
    pub seed: u64,
}

impl RetailGenConfig {
    /// Customers: as given, else one per 170 lines, 20 to 5 000 000.
    pub fn customers(&self) -> usize {
        self.customers
            .unwrap_or(self.lines / 170)
            .clamp(20, 5_000_000) as usize
    }

    /// Products: one per 250 lines, 30 to 5 000.
    fn products(&self) -> usize {
        (self.lines / 250).clamp(30, 5_000) as usize
    }
}

/// Sales by calendar month, January first: a low spring, an autumn peak.
const SEASON: [f64; 12] = [
    0.75, 0.70, 0.90, 0.80, 0.95, 0.90, 0.90, 0.92, 1.25, 1.40, 1.75, 1.05,
];
/// Monthly growth of the business.
const GROWTH: f64 = 0.01;
/// Rows per workbook sheet that Excel allows, the header included.
const SHEET_ROWS: u64 = 1_048_576;

const COUNTRIES: [(&str, f64); 12] = [
    ("United Kingdom", 88.0),
    ("Germany", 2.0),
    ("France", 1.8),
    ("EIRE", 1.7),
    ("Netherlands", 1.0),
    ("Spain", 0.8),
    ("Belgium", 0.7),
    ("Switzerland", 0.6),
    ("Portugal", 0.5),
    ("Australia", 0.4),
    ("Channel Islands", 0.3),
    ("Unspecified", 0.2),
];
const COLOURS: [&str; 10] = [
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "IVORY",
    "BLACK",
    "VINTAGE",
    "RETRO",
    "SWEETHEART",
];
const THINGS: [&str; 14] = [
    "HANGING HEART T-LIGHT HOLDER",
    "LANTERN",
    "CAKE TINS",
    "LUNCH BAG",
    "JUMBO BAG",
    "TEA CUP AND SAUCER",
    "PHOTO FRAME",
    "DOORMAT",
    "ALARM CLOCK",
    "PARTY BUNTING",
    "CHRISTMAS BAUBLE",
    "STORAGE TIN",
    "WATER BOTTLE",
    "SIGN",
];
const QUANTITIES: [(i64, f64); 9] = [
    (1, 25.0),
    (2, 18.0),
    (3, 8.0),
    (4, 9.0),
    (6, 12.0),
    (12, 16.0),
    (24, 7.0),
    (48, 3.0),
    (144, 1.0),
];
/// Cells the faults put where a value belongs.
const BAD_TIMESTAMPS: [&str; 3] = ["2010-13-01 09:00:00", "31/02/2011 10:15", "not a date"];
const BAD_QUANTITIES: [&str; 3] = ["12x", "one", "1,5"];
const BAD_PRICES: [&str; 3] = ["N/A", "£2.55", "2..5"];

struct Product {
    code: String,
    description: String,
    price: f64,
}

/// A value, or the text a fault put in its place.
enum Cell<T> {
    Value(T),
    Bad(&'static str),
}

/// One invoice line, ready to write.
struct Line<'a> {
    invoice: &'a str,
    product: &'a Product,
    quantity: Cell<i64>,
    at: Cell<NaiveDateTime>,
    price: Cell<f64>,
    customer: Option<u64>,
    country: &'a str,
}

/// The first customer id, as in the public data.
const FIRST_CUSTOMER_ID: u64 = 12_346;
/// The first invoice number, as in the public data.
const FIRST_INVOICE: u64 = 489_434;

/// Writes the invoice lines under `out` and returns what was written.
///
/// # Errors
/// When `config.months` is 0, a workbook is asked for more lines than its two sheets
/// hold, or `out` or a file under it cannot be created or written (the message names the
/// path).
pub fn generate(out: &Path, config: &RetailGenConfig) -> Result<GenSummary> {
    if config.workbook && config.lines > 2 * (SHEET_ROWS - 1) {
        bail!(
            "a workbook holds at most {} lines in its two sheets; generate CSV for {} lines",
            2 * (SHEET_ROWS - 1),
            config.lines
        );
    }
    if config.months == 0 {
        bail!("--months must be at least 1");
    }
    create_folder(out)?;
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    let world = World::new(config, &mut synth);
    let mut sink: Box<dyn LineSink> = if config.workbook {
        Box::new(WorkbookSink::new(out, config)?)
    } else {
        Box::new(CsvSink::new(out, config.files.max(1))?)
    };
    let mut written: u64 = 0;
    let mut invoice_number = FIRST_INVOICE;
    let mut purchases: Vec<Vec<usize>> = vec![Vec::new(); world.customers];
    while written < config.lines {
        // Where this invoice lies in the data, 0 to 1, in time order.
        let fraction = written as f64 / config.lines as f64;
        let at = world.timestamp_at(fraction, &mut synth);
        // Customers arrive over time: 15% are there at the start, all at the end.
        let arrived = (world.customers as f64 * (0.15 + 0.85 * fraction.powf(0.8))).ceil() as usize;
        let customer = if synth.chance(0.2) {
            None
        } else {
            Some(world.appetite.draw_among_first(&mut synth, arrived))
        };
        let cancelling = customer
            .filter(|&c| !purchases[c].is_empty() && synth.chance(0.08))
            .map(|c| c as u64);
        let invoice = match cancelling {
            Some(_) => format!("C{invoice_number}"),
            None => invoice_number.to_string(),
        };
        invoice_number += 1;
        let wanted = match cancelling {
            Some(_) => synth.below(1, 7),
            None => synth.log_normal(12.0, 0.9).round().clamp(1.0, 400.0) as u64,
        };
        let count = wanted.min(config.lines - written);
        let country = match customer {
            Some(c) => world.customer_countries[c],
            None => COUNTRIES[0].0,
        };
        for _ in 0..count {
            let (product, quantity) = match (cancelling, customer) {
                (Some(_), Some(c)) => {
                    let bought = *synth.pick(&purchases[c]);
                    (bought, -world.quantity(&mut synth))
                }
                _ => {
                    let product = world.popularity.draw(&mut synth);
                    if let Some(c) = customer {
                        remember(&mut purchases[c], product, &mut synth);
                    }
                    (product, world.quantity(&mut synth))
                }
            };
            let product = &world.products[product];
            let mut line = Line {
                invoice: &invoice,
                product,
                quantity: Cell::Value(quantity),
                at: Cell::Value(at),
                price: Cell::Value(product.price),
                customer: customer.map(|c| FIRST_CUSTOMER_ID + c as u64),
                country,
            };
            inject_fault(&mut line, &mut synth, &mut summary);
            if line.customer.is_none() {
                summary.fault(LINES, "no_customer_id");
            }
            if cancelling.is_some() {
                summary.fault(LINES, "cancellation_lines");
            }
            sink.write(&line, fraction)?;
            written += 1;
        }
    }
    sink.finish()?;
    summary.rows.insert(LINES, written);
    Ok(summary)
}

/// Keeps up to 50 of a customer's purchased products, for their cancellations.
fn remember(purchases: &mut Vec<usize>, product: usize, synth: &mut Synth) {
    if purchases.len() < 50 {
        purchases.push(product);
    } else {
        let slot = synth.below(0, 50) as usize;
        purchases[slot] = product;
    }
}

/// At most one fault per line, at a rate of 0.05% each.
fn inject_fault(line: &mut Line, synth: &mut Synth, summary: &mut GenSummary) {
    let draw = synth.unit();
    if draw < 0.0005 {
        line.at = Cell::Bad(*synth.pick(&BAD_TIMESTAMPS));
        summary.fault(LINES, "InvoiceDate|dtype");
    } else if draw < 0.0010 {
        line.quantity = Cell::Bad(*synth.pick(&BAD_QUANTITIES));
        summary.fault(LINES, "Quantity|dtype");
    } else if draw < 0.0015 {
        line.price = Cell::Bad(*synth.pick(&BAD_PRICES));
        summary.fault(LINES, "Price|dtype");
    }
}

/// The fixed cast of a generated data set: products, customers, the calendar.
struct World {
    products: Vec<Product>,
    popularity: WeightedIndex,
    customers: usize,
    appetite: WeightedIndex,
    customer_countries: Vec<&'static str>,
    quantities: WeightedIndex,
    /// The first day of each month, one more than the months covered.
    month_starts: Vec<NaiveDate>,
    /// Cumulative share of the lines by the end of each month.
    month_shares: Vec<f64>,
}

impl World {
    fn new(config: &RetailGenConfig, synth: &mut Synth) -> Self {
        let products: Vec<Product> = (0..config.products()).map(|i| product(i, synth)).collect();
        let customers = config.customers();
        let appetite = WeightedIndex::new((0..customers).map(|_| synth.pareto(1.16)));
        let countries = WeightedIndex::new(COUNTRIES.iter().map(|(_, w)| *w));
        let customer_countries = (0..customers)
            .map(|_| COUNTRIES[countries.draw(synth)].0)
            .collect();
        let first = config.first_month.with_day(1).unwrap_or(config.first_month);
        let month_starts: Vec<NaiveDate> = (0..=config.months)
            .map(|k| first + chrono::Months::new(k))
            .collect();
        let weights: Vec<f64> = month_starts[..config.months as usize]
            .iter()
            .enumerate()
            .map(|(k, start)| SEASON[start.month0() as usize] * (1.0 + GROWTH).powi(k as i32))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let month_shares = weights
            .iter()
            .map(|w| {
                running += w / total;
                running
            })
            .collect();
        World {
            popularity: WeightedIndex::zipf(products.len(), 1.0),
            products,
            customers,
            appetite,
            customer_countries,
            quantities: WeightedIndex::new(QUANTITIES.iter().map(|(_, w)| *w)),
            month_starts,
            month_shares,
        }
    }

    /// The timestamp of the line at `fraction` of the data: the month whose share
    /// covers it, a day in proportion within the month, opening hours 7:00–20:00.
    fn timestamp_at(&self, fraction: f64, synth: &mut Synth) -> NaiveDateTime {
        let month = self
            .month_shares
            .partition_point(|&share| share <= fraction)
            .min(self.month_shares.len() - 1);
        let before = if month == 0 {
            0.0
        } else {
            self.month_shares[month - 1]
        };
        let within = ((fraction - before) / (self.month_shares[month] - before)).clamp(0.0, 1.0);
        let start = self.month_starts[month];
        let days = (self.month_starts[month + 1] - start).num_days();
        let day =
            start + Duration::days(((days as f64) * within).floor().min(days as f64 - 1.0) as i64);
        let minute = synth.below(7 * 60, 20 * 60) as i64;
        day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute)
    }

    fn quantity(&self, synth: &mut Synth) -> i64 {
        QUANTITIES[self.quantities.draw(synth)].0
    }
}

/// Product `i`: a stock code like the public data's (`85123A`), a description from
/// a colour and a thing (some with a comma or a quote), a log-normal price.
fn product(i: usize, synth: &mut Synth) -> Product {
    let code = if i % 7 == 3 {
        format!("{}{}", 20_000 + i, ["A", "B", "C"][i % 3])
    } else {
        (20_000 + i).to_string()
    };
    let colour = synth.pick(&COLOURS);
    let thing = synth.pick(&THINGS);
    let description = match i % 23 {
        5 => format!("SET OF 3 {thing}S, {colour} DESIGN"),
        11 => format!("{colour} \"{thing}\""),
        _ => format!("{colour} {thing}"),
    };
    let price = (synth.log_normal(2.5, 0.8).clamp(0.1, 300.0) * 100.0).round() / 100.0;
    Product {
        code,
        description,
        price,
    }
}

/// Where generated lines go.
trait LineSink {
    /// Writes `line`, which lies at `fraction` of the data (0 to 1) in time order.
    fn write(&mut self, line: &Line, fraction: f64) -> Result<()>;
    fn finish(&mut self) -> Result<()>;
}

/// CSV files in time order; file k has ISO timestamps when k is even.
struct CsvSink {
    dir: PathBuf,
    files: usize,
    current: Option<(usize, BufWriter<std::fs::File>)>,
}

const HEADER: &str = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

impl CsvSink {
    fn new(dir: &Path, files: usize) -> Result<Self> {
        Ok(CsvSink {
            dir: dir.to_path_buf(),
            files,
            current: None,
        })
    }

    fn path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("online_retail_{:02}.csv", index + 1))
    }

    fn open(&mut self, index: usize) -> Result<()> {
        self.finish()?;
        let path = self.path(index);
        let mut writer = create_file(&path)?;
        writeln!(writer, "{HEADER}")?;
        self.current = Some((index, writer));
        Ok(())
    }
}

impl LineSink for CsvSink {
    fn write(&mut self, line: &Line, fraction: f64) -> Result<()> {
        let index = ((fraction * self.files as f64) as usize).min(self.files - 1);
        if self.current.as_ref().map(|(i, _)| *i) != Some(index) {
            // Open every file up to this one, so that none is missing.
            let from = self.current.as_ref().map_or(0, |(i, _)| i + 1);
            for skipped in from..index {
                self.open(skipped)?;
            }
            self.open(index)?;
        }
        let Some((_, writer)) = self.current.as_mut() else {
            bail!("no invoice line file is open");
        };
        let at = match &line.at {
            Cell::Value(at) if index % 2 == 0 => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Value(at) => at.format("%-m/%-d/%Y %-H:%M").to_string(),
            Cell::Bad(text) => text.to_string(),
        };
        let quantity = match &line.quantity {
            Cell::Value(q) => q.to_string(),
            Cell::Bad(text) => text.to_string(),
        };
        let price = match &line.price {
            Cell::Value(p) => p.to_string(),
            Cell::Bad(text) => text.to_string(),
        };
        let customer = line.customer.map(|c| format!("{c}.0")).unwrap_or_default();
        writeln!(
            writer,
            "{},{},{},{},{},{},{},{}",
            line.invoice,
            line.product.code,
            csv_field(&line.product.description),
            csv_field(&quantity),
            at,
            csv_field(&price),
            customer,
            line.country
        )
        .context("cannot write the invoice lines")
    }

    fn finish(&mut self) -> Result<()> {
        if let Some((index, mut writer)) = self.current.take() {
            writer
                .flush()
                .with_context(|| format!("cannot write {}", self.path(index).display()))?;
        }
        Ok(())
    }
}

/// One workbook, the first half of the lines in one sheet and the rest in another,
/// each named after its years as in the public file (`Year 2009-2010`).
struct WorkbookSink {
    path: PathBuf,
    book: Workbook,
    sheet_names: [String; 2],
    rows: [u32; 2],
    date_format: Format,
}

impl WorkbookSink {
    fn new(dir: &Path, config: &RetailGenConfig) -> Result<Self> {
        let first = config.first_month.year();
        let middle = (config.first_month + chrono::Months::new(config.months / 2)).year();
        let last = (config.first_month + chrono::Months::new(config.months.max(1) - 1)).year();
        let mut book = Workbook::new();
        let sheet_names = [
            format!("Year {first}-{}", middle.max(first + 1)),
            format!("Year {}-{}", middle, last.max(middle + 1)),
        ];
        for name in &sheet_names {
            let sheet = book.add_worksheet().set_name(name)?;
            for (column, title) in HEADER.split(',').enumerate() {
                sheet.write(0, column as u16, title)?;
            }
        }
        Ok(WorkbookSink {
            path: dir.join("online_retail_II.xlsx"),
            book,
            sheet_names,
            rows: [0, 0],
            date_format: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        })
    }

    fn sheet(&mut self, index: usize) -> Result<&mut Worksheet> {
        Ok(self.book.worksheet_from_name(&self.sheet_names[index])?)
    }
}

impl LineSink for WorkbookSink {
    fn write(&mut self, line: &Line, fraction: f64) -> Result<()> {
        let index = usize::from(fraction >= 0.5);
        self.rows[index] += 1;
        let row = self.rows[index];
        let date_format = self.date_format.clone();
        let sheet = self.sheet(index)?;
        match line.invoice.parse::<f64>() {
            Ok(number) => sheet.write(row, 0, number)?,
            Err(_) => sheet.write(row, 0, line.invoice)?,
        };
        sheet.write(row, 1, line.product.code.as_str())?;
        sheet.write(row, 2, line.product.description.as_str())?;
        match &line.quantity {
            Cell::Value(q) => sheet.write(row, 3, *q as f64)?,
            Cell::Bad(text) => sheet.write(row, 3, *text)?,
        };
        match &line.at {
            Cell::Value(at) => {
                let when =
                    ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)?
                        .and_hms(at.hour() as u16, at.minute() as u8, at.second())?;
                sheet.write_datetime_with_format(row, 4, &when, &date_format)?
            }
            Cell::Bad(text) => sheet.write(row, 4, *text)?,
        };
        match &line.price {
            Cell::Value(p) => sheet.write(row, 5, *p)?,
            Cell::Bad(text) => sheet.write(row, 5, *text)?,
        };
        if let Some(customer) = line.customer {
            sheet.write(row, 6, customer as f64)?;
        }
        sheet.write(row, 7, line.country)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.book
            .save(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

//! The retail pipeline: raw invoice lines → validated interim lines → invoice months
//! → output tables.
//!
//! Stages, in order:
//!
//! 1. find the lines (`online_retail*.csv`, else `online_retail*.xlsx`), validate them
//!    (R1) and stream the valid rows to `<interim>/online_retail.parquet` and the
//!    quarantine to `<interim>/quarantine/online_retail.parquet`;
//! 2. reduce the valid lines to invoice months with streaming aggregations, one pass
//!    per [`BYTES_PER_PASS`] of raw lines over disjoint sets of invoices
//!    (`<interim>/invoice_months/`): the first pass as the lines are validated, the
//!    others reading the valid lines back;
//! 3. the rules R2–R8 on the invoice months;
//! 4. the eight output tables as Parquet + CSV under `<processed>/`, with a
//!    `_SUCCESS` manifest.

use anyhow::{Context, Result};
use polars::prelude::{col, DataFrame, IntoLazy, LazyFrame};

use super::rules;
use super::tables::{self, LINES};
use crate::exec::{self, PartFolder};
use crate::io::{
    check_day_month, collect_streaming, day_month_narrowing, resolve_day_month, scan_parquet,
    union, validate_to_parquet_and_aggregate, write_tables, DomainPaths, RawTable, ValidAggregate,
};
use crate::progress::Progress;
use crate::schema::{quarantine_summary, table_counts, TableCount};
use crate::transforms::{key_in_pass, passes_for};

pub use super::datasets::RetailOutputs;

/// The domain's name: its folders, report and catalog prefix.
pub const DOMAIN: &str = "retail";
/// The interim table of invoice months (see [`rules::invoice_months`]), a folder of
/// one Parquet part per aggregation pass.
pub const INVOICE_MONTHS: &str = "invoice_months";

/// Runs the whole retail pipeline and writes its interim and output tables.
///
/// # Errors
/// When no invoice file is found or one cannot be read, a file mixes day-first and
/// month-first dates, or a table cannot be written; the message names the file.
pub fn run(paths: &DomainPaths, progress: &mut Progress) -> Result<RetailOutputs> {
    run_in_passes(paths, BYTES_PER_PASS, progress)
}

/// [`run`] with one invoice-month pass per `bytes_per_pass` of raw lines: the output
/// tables are the same for any value, which only changes the passes and so memory.
///
/// # Errors
/// As [`run`].
pub fn run_in_passes(
    paths: &DomainPaths,
    bytes_per_pass: u64,
    progress: &mut Progress,
) -> Result<RetailOutputs> {
    let passes = aggregation_passes(tables::lines().size_bytes(&paths.raw)?, bytes_per_pass);
    let mut first_pass = None;
    let count = validate_lines(paths, progress, |table, parts, _| {
        let months: ValidAggregate = Box::new(|valid| Ok(invoice_months_of_pass(valid, 0, passes)));
        let (count, aggregated) = validate_here(paths, table, parts, vec![months])?;
        first_pass = aggregated.into_iter().next();
        Ok(count)
    })?;
    let first_pass = first_pass.context("the validation returned no invoice months")?;
    aggregate_invoice_months(paths, passes, first_pass)?;
    progress.done("aggregate invoice months", Some(count.rows_valid));

    let outputs = apply_rules(paths, count, paths.reading.notices.all())?;
    progress.done("rules R2-R8", Some(outputs.rfm.height() as u64));
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// The retail pipeline with its rules on a Spark Connect engine (`report --engine
/// spark`). R1 validates the lines where `validate_on` says: on the engine, which
/// reads the CSV files in `paths.raw` with its own reader (each file's day/month order
/// decided here first, from its first unambiguous date) and writes the valid lines
/// and the quarantine to `paths.interim` ([`crate::remote::validate_on`]), or here;
/// both folders must be seen by the engine at the same paths. R2–R8 run there on the
/// validated lines ([`crate::remote::DomainRules::retail`]), without the local
/// invoice-month passes; the output tables come back and are written here.
///
/// # Errors
/// As [`run`], and when the engine cannot read the raw files (a workbook is read
/// here only) or the validated lines, or a query fails on it (the message names the
/// table).
#[cfg(feature = "spark")]
pub fn run_on(
    paths: &DomainPaths,
    engine: &crate::remote::engine::SparkEngine,
    validate_on: crate::remote::ValidateOn,
    progress: &mut Progress,
) -> Result<RetailOutputs> {
    let count = validate_lines(
        paths,
        progress,
        |table, parts, progress| match validate_on {
            crate::remote::ValidateOn::Here => {
                validate_here(paths, table, parts, Vec::new()).map(|(count, _)| count)
            }
            crate::remote::ValidateOn::Engine => {
                crate::remote::validate_on(engine, paths, table, &[], progress)
            }
        },
    )?;
    let rules = crate::remote::DomainRules::retail()?;
    let mut tables = crate::remote::run_rules_on(engine, &rules, paths, progress)?;
    let mut take = |name: &str| crate::remote::take(&mut tables, name);
    let outputs = RetailOutputs {
        quarantine_summary: lines_quarantine_summary(paths)?,
        invoice_size: take("invoice_size")?,
        monthly_orders: take("monthly_orders")?,
        monthly_sales: take("monthly_sales")?,
        monthly_customers: take("monthly_customers")?,
        cohort_retention: take("cohort_retention")?,
        rfm: take("rfm")?,
        rfm_segments: take("rfm_segments")?,
        table_counts: table_counts(&[count])?,
        exclusions: take("exclusions")?,
        notices: paths.reading.notices.all(),
    };
    write_tables(&paths.processed, &outputs.tables())?;
    progress.done("write outputs", None);
    Ok(outputs)
}

/// R1: finds the invoice files, resolves each one's day/month order, validates the
/// lines with `validate` (given the table with its resolved schema and the files'
/// raw frames), which writes the valid lines to `paths.valid(LINES)` and the
/// quarantine beside it, then checks that no file mixed the two orders.
fn validate_lines(
    paths: &DomainPaths,
    progress: &mut Progress,
    validate: impl FnOnce(&RawTable, Vec<LazyFrame>, &mut Progress) -> Result<TableCount>,
) -> Result<TableCount> {
    let table = tables::lines();
    // The day/month decision reads the date columns of every file before the whole
    // is read: those columns only, on the lines that could hold a date it reads.
    let (parts, dates) = table.scan_parts_narrowed(
        &paths.raw,
        &paths.reading,
        &day_month_narrowing(&table.schema),
    )?;
    let schema = resolve_day_month(&dates, &table.schema, &paths.reading)?;
    let table = RawTable { schema, ..table };
    let count = validate(&table, parts, progress)?;
    check_day_month(scan_parquet(&paths.quarantine(LINES))?, &table.schema)?;
    progress.done("validate invoice lines (R1)", Some(count.rows_in()));
    Ok(count)
}

/// R1's validation on this machine: the files' raw frames through the resolved
/// schema, with `aggregates` of the valid lines computed as they are written
/// ([`validate_to_parquet_and_aggregate`]).
fn validate_here(
    paths: &DomainPaths,
    table: &RawTable,
    parts: Vec<LazyFrame>,
    aggregates: Vec<ValidAggregate<'_>>,
) -> Result<(TableCount, Vec<DataFrame>)> {
    validate_to_parquet_and_aggregate(
        union(parts)?,
        &table.schema,
        &[],
        &paths.valid(LINES),
        &paths.quarantine(LINES),
        &paths.reading.notices,
        aggregates,
    )
}

/// The quarantine summary of the invoice lines.
fn lines_quarantine_summary(paths: &DomainPaths) -> Result<DataFrame> {
    let quarantine = scan_parquet(&paths.quarantine(LINES))?;
    collect_streaming(
        quarantine_summary(vec![(LINES, quarantine)])?,
        "the quarantine summary",
    )
}

/// Raw lines per pass of the invoice-month aggregation, about 5M lines of CSV. More
/// lines are aggregated in several passes over disjoint sets of invoices, because a
/// streaming group-by's memory grows with the rows it reads. Counted in bytes, known
/// before the lines are read, so that the first pass can run as they are validated.
pub const BYTES_PER_PASS: u64 = 400 << 20;

/// The characters an invoice number ends in: the passes split invoices by them.
const INVOICE_DIGITS: &str = "0123456789";

/// Passes for `bytes` of raw lines: 1, 2, 5 or 10, so that the passes, split by an
/// invoice number's last digit, are of equal size.
fn aggregation_passes(bytes: u64, bytes_per_pass: u64) -> u32 {
    passes_for(bytes, bytes_per_pass, INVOICE_DIGITS)
}

/// The invoice months of the invoices of pass `pass` of `passes`, sorted, so that the
/// interim part is the same bytes on every run.
fn invoice_months_of_pass(lines: LazyFrame, pass: u32, passes: u32) -> LazyFrame {
    let in_pass = key_in_pass(col("Invoice"), INVOICE_DIGITS, pass, passes);
    rules::invoice_months(lines.filter(in_pass)).sort(
        ["Invoice", rules::MONTH, rules::CUSTOMER],
        Default::default(),
    )
}

/// The invoice months' parts, one per pass.
fn invoice_month_parts(paths: &DomainPaths) -> PartFolder {
    PartFolder::new(paths.interim.join(INVOICE_MONTHS))
}

/// Writes the invoice months (R1's aggregate), one part per pass over a set of
/// invoices, to `<interim>/invoice_months/part-NNN.parquet`: the first pass's are
/// given (aggregated as the lines were validated), the others aggregate the valid
/// lines read back.
fn aggregate_invoice_months(paths: &DomainPaths, passes: u32, first_pass: DataFrame) -> Result<()> {
    let mut first_pass = Some(first_pass);
    exec::aggregate_in_partitions(
        &invoice_month_parts(paths),
        passes,
        "the invoice lines to invoice months",
        |pass| match first_pass.take() {
            Some(months) => Ok(months.lazy()),
            None => Ok(invoice_months_of_pass(
                scan_parquet(&paths.valid(LINES))?,
                pass,
                passes,
            )),
        },
    )
}

/// R2–R8 on the interim invoice months, plus the run's counts.
fn apply_rules(
    paths: &DomainPaths,
    count: TableCount,
    notices: Vec<String>,
) -> Result<RetailOutputs> {
    let invoice_months = collect_streaming(
        scan_parquet(&invoice_month_parts(paths).path().join("*.parquet"))?,
        "the invoice months",
    )?
    .lazy();
    let monthly_orders = collect_streaming(
        rules::monthly_orders(invoice_months.clone()),
        "monthly_orders (R3)",
    )?;
    let rfm = collect_streaming(rules::rfm(invoice_months.clone())?, "rfm (R7, R8)")?;
    // R2 reads the lines per invoice five times: grouped once, here, so that the
    // five reads do not each hold a group-by of every invoice (BENCHMARKS.md, issue
    // 20, tenth stop).
    let invoice_lines = collect_streaming(
        rules::invoice_lines(invoice_months.clone()),
        "the lines per invoice (R2)",
    )?;
    Ok(RetailOutputs {
        quarantine_summary: lines_quarantine_summary(paths)?,
        invoice_size: collect_streaming(
            rules::invoice_size_of(invoice_lines.lazy())?,
            "invoice_size (R2)",
        )?,
        monthly_orders,
        monthly_sales: collect_streaming(
            rules::monthly_sales(invoice_months.clone()),
            "monthly_sales (R4)",
        )?,
        monthly_customers: collect_streaming(
            rules::monthly_customers(invoice_months.clone()),
            "monthly_customers (R5)",
        )?,
        cohort_retention: collect_streaming(
            rules::cohort_table(
                invoice_months.clone(),
                rules::last_month(invoice_months.clone()),
            ),
            "cohort_retention (R6)",
        )?,
        rfm_segments: collect_streaming(
            rules::rfm_segments(rfm.clone().lazy()),
            "rfm_segments (R8)",
        )?,
        rfm,
        table_counts: table_counts(&[count])?,
        exclusions: collect_streaming(rules::exclusions(invoice_months)?, "the exclusions")?,
        notices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_divide_the_ten_last_digits_evenly() {
        let passes = |bytes| aggregation_passes(bytes, 5_000_000);
        assert_eq!(passes(0), 1);
        assert_eq!(passes(5_000_000), 1);
        assert_eq!(passes(5_000_001), 2);
        assert_eq!(passes(20_000_000), 5);
        assert_eq!(passes(26_000_000), 10);
        assert_eq!(passes(500_000_000), 10);
    }
}

//! The retail domain's datasets, each named once: its validated tables (their
//! columns are the raw schema's, in [`super::tables`]) and its output tables with
//! their columns and dtypes. The SQL catalog, the output lists and the tests that
//! pin every output table's schema take them from here. A run hands its output
//! tables over collected, in [`RetailOutputs`].

use polars::prelude::DataFrame;

use crate::catalog::{Dataset, Location};

/// Every dataset of the domain: validated inputs first, then outputs in the spec's
/// order.
pub const DATASETS: &[Dataset] = &[
    Dataset::new(
        "retail_lines",
        Location::Valid("online_retail"),
        "invoice lines, validated (R1)",
    ),
    Dataset::new(
        "retail_invoice_months",
        Location::ValidParts("invoice_months"),
        "lines per invoice, month and customer (R1)",
    ),
    Dataset::quarantine_summary("retail_quarantine_summary"),
    Dataset::output(
        "invoice_size",
        "invoice_size",
        "lines per invoice (R2)",
        &[
            ("scope", "str"),
            ("invoices", "i64"),
            ("min", "i64"),
            ("max", "i64"),
            ("median", "f64"),
            ("mode", "i64"),
            ("mean", "f64"),
        ],
    ),
    Dataset::output(
        "monthly_orders",
        "monthly_orders",
        "placed and cancelled invoices by month (R3)",
        &[("yyyymm", "i32"), ("placed", "i64"), ("cancelled", "i64")],
    ),
    Dataset::output(
        "monthly_sales",
        "monthly_sales",
        "sales and growth by month (R4)",
        &[("yyyymm", "i32"), ("sales", "f64"), ("growth_pct", "f64")],
    ),
    Dataset::output(
        "monthly_customers",
        "monthly_customers",
        "active, new and existing customers by month (R5)",
        &[
            ("yyyymm", "i32"),
            ("active", "i64"),
            ("new", "i64"),
            ("existing", "i64"),
        ],
    ),
    Dataset::output(
        "cohort_retention",
        "cohort_retention",
        "cohort retention by month offset (R6)",
        &[
            ("cohort", "i32"),
            ("month_offset", "i32"),
            ("customers", "i64"),
            ("retention", "f64"),
        ],
    ),
    Dataset::output(
        "rfm",
        "rfm",
        "RFM scores and segment per customer (R7, R8)",
        &[
            ("customer_id", "i64"),
            ("recency_days", "i64"),
            ("frequency", "i64"),
            ("monetary", "f64"),
            ("r_score", "i64"),
            ("f_score", "i64"),
            ("m_score", "i64"),
            ("segment", "str"),
        ],
    ),
    Dataset::output(
        "rfm_segments",
        "rfm_segments",
        "RFM segment sizes and means (R8)",
        &[
            ("segment", "str"),
            ("customers", "i64"),
            ("avg_recency_days", "f64"),
            ("avg_frequency", "f64"),
            ("avg_monetary", "f64"),
        ],
    ),
];

/// Every table a retail run produces, collected (they are per month or customer).
pub struct RetailOutputs {
    pub quarantine_summary: DataFrame,
    pub invoice_size: DataFrame,
    pub monthly_orders: DataFrame,
    pub monthly_sales: DataFrame,
    pub monthly_customers: DataFrame,
    pub cohort_retention: DataFrame,
    pub rfm: DataFrame,
    pub rfm_segments: DataFrame,
    /// `table`, `rows_in`, `rows_valid`, `rows_quarantined` for the invoice lines.
    pub table_counts: DataFrame,
    /// `rule`, `left_out`, `rows`: what the rules keep out of a figure, counted.
    pub exclusions: DataFrame,
    /// What the run decided that a reader should know (ignored files, …).
    pub notices: Vec<String>,
}

impl RetailOutputs {
    /// The spec's output tables, by name, in the spec's order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 8] {
        [
            ("quarantine_summary", &self.quarantine_summary),
            ("invoice_size", &self.invoice_size),
            ("monthly_orders", &self.monthly_orders),
            ("monthly_sales", &self.monthly_sales),
            ("monthly_customers", &self.monthly_customers),
            ("cohort_retention", &self.cohort_retention),
            ("rfm", &self.rfm),
            ("rfm_segments", &self.rfm_segments),
        ]
    }
}

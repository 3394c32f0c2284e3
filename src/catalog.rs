//! The SQL catalog: every domain's validated and output tables under stable names,
//! queried with Polars SQL from notebooks and from the `sql` command.
//!
//! [`DATASETS`] is the one list of the names and where each table lives under a data
//! root (`data`): a domain's validated tables in `interim/<domain>/`, its output
//! tables in `processed/<domain>/`. Each validated table kept in one file, `X`, also
//! has its quarantined rows as `X_quarantine`. Output tables keep their spec name, except the
//! `quarantine_summary` every domain has, which is `<domain>_quarantine_summary`.
//!
//! [`Catalog::open`] registers the tables whose files exist (a domain that has not
//! run yet has none) as lazy Parquet scans, so a query reads only what it needs and
//! large tables go through the streaming engine. An unknown table is an error
//! listing the catalog, and a known table without data says which run writes it;
//! an unknown column is an error naming it and the columns there are.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use polars::prelude::{df, DataFrame, Engine, LazyFrame};
use polars::sql::SQLContext;

use crate::io::{scan_parquet, DomainPaths};

/// Where a catalog table's rows are, inside its domain's folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A validated table, `interim/<domain>/<table>.parquet`; its quarantine is
    /// registered too, as `<name>_quarantine`.
    Valid(&'static str),
    /// Every Parquet file under `interim/<domain>/<folder>/` (a bucketed table).
    ValidParts(&'static str),
    /// An output table, `processed/<domain>/<table>.parquet`.
    Output(&'static str),
}

/// One table of the catalog.
#[derive(Clone, Copy, Debug)]
pub struct Dataset {
    /// The SQL name.
    pub name: &'static str,
    pub domain: &'static str,
    pub location: Location,
    /// One line for the table list.
    pub about: &'static str,
}

const fn dataset(
    name: &'static str,
    domain: &'static str,
    location: Location,
    about: &'static str,
) -> Dataset {
    Dataset {
        name,
        domain,
        location,
        about,
    }
}

use Location::{Output, Valid, ValidParts};

const TV: &str = crate::domains::tv::DOMAIN;
const CUSTOMER360: &str = crate::domains::customer360::DOMAIN;
const RETAIL: &str = crate::domains::retail::DOMAIN;
const WDI: &str = crate::domains::wdi::DOMAIN;

/// Every table the catalog knows, by domain: validated inputs first, then outputs.
pub const DATASETS: &[Dataset] = &[
    dataset(
        "tv_programs",
        TV,
        Valid("programs"),
        "program schedule, validated (T1)",
    ),
    dataset(
        "tv_demographics",
        TV,
        Valid("demographics"),
        "household demographics, validated (T1)",
    ),
    dataset(
        "tv_reference",
        TV,
        Valid("reference"),
        "device–household–market reference, validated (T1)",
    ),
    dataset(
        "tv_viewing",
        TV,
        Valid("viewing"),
        "tuning events, validated (T1, T4)",
    ),
    dataset(
        "tv_quarantine_summary",
        TV,
        Output("quarantine_summary"),
        "quarantined rows by table and rule",
    ),
    dataset(
        "program_clashes",
        TV,
        Output("program_clashes"),
        "programs with clashing titles or genres (T3)",
    ),
    dataset(
        "top_markets",
        TV,
        Output("top_markets"),
        "markets by devices (T6)",
    ),
    dataset(
        "genre_reach",
        TV,
        Output("genre_reach"),
        "devices per market and genre (T7)",
    ),
    dataset(
        "top_genres",
        TV,
        Output("top_genres"),
        "top genres per market (T7)",
    ),
    dataset(
        "wealth",
        TV,
        Output("wealth"),
        "wealth score per market (T8)",
    ),
    dataset(
        "wealthy_market_genres",
        TV,
        Output("wealthy_market_genres"),
        "genres of the wealthiest markets (T9)",
    ),
    dataset(
        "program_popularity",
        TV,
        Output("program_popularity"),
        "programs by devices reached (T10)",
    ),
    dataset(
        "market_potential",
        TV,
        Output("market_potential"),
        "market potential (T11)",
    ),
    dataset(
        "customer360_content",
        CUSTOMER360,
        ValidParts("content"),
        "content logs, validated (C1)",
    ),
    dataset(
        "customer360_search",
        CUSTOMER360,
        Valid("search"),
        "search logs, validated (C8)",
    ),
    dataset(
        "customer360_mapping",
        CUSTOMER360,
        Valid("mapping"),
        "keyword → category mapping (C10)",
    ),
    dataset(
        "customer360_contract_users",
        CUSTOMER360,
        Valid("contract_users"),
        "contract–user link (C12)",
    ),
    dataset(
        "customer360_quarantine_summary",
        CUSTOMER360,
        Output("quarantine_summary"),
        "quarantined rows by table and rule",
    ),
    dataset(
        "customer_profile",
        CUSTOMER360,
        Output("customer_profile"),
        "per-contract profile and segment (C2–C7)",
    ),
    dataset(
        "segment_summary",
        CUSTOMER360,
        Output("segment_summary"),
        "customer types (C7)",
    ),
    dataset(
        "search_top_keyword",
        CUSTOMER360,
        Output("search_top_keyword"),
        "top keyword per user and month (C9, C10)",
    ),
    dataset(
        "search_trend",
        CUSTOMER360,
        Output("search_trend"),
        "search category change between two months (C11)",
    ),
    dataset(
        "customer_360",
        CUSTOMER360,
        Output("customer_360"),
        "profile joined to users (C12)",
    ),
    dataset(
        "retail_lines",
        RETAIL,
        Valid("online_retail"),
        "invoice lines, validated (R1)",
    ),
    dataset(
        "retail_invoice_months",
        RETAIL,
        ValidParts("invoice_months"),
        "lines per invoice, month and customer (R1)",
    ),
    dataset(
        "retail_quarantine_summary",
        RETAIL,
        Output("quarantine_summary"),
        "quarantined rows by table and rule",
    ),
    dataset(
        "invoice_size",
        RETAIL,
        Output("invoice_size"),
        "lines per invoice (R2)",
    ),
    dataset(
        "monthly_orders",
        RETAIL,
        Output("monthly_orders"),
        "placed and cancelled invoices by month (R3)",
    ),
    dataset(
        "monthly_sales",
        RETAIL,
        Output("monthly_sales"),
        "sales and growth by month (R4)",
    ),
    dataset(
        "monthly_customers",
        RETAIL,
        Output("monthly_customers"),
        "active, new and existing customers by month (R5)",
    ),
    dataset(
        "cohort_retention",
        RETAIL,
        Output("cohort_retention"),
        "cohort retention by month offset (R6)",
    ),
    dataset(
        "rfm",
        RETAIL,
        Output("rfm"),
        "RFM scores and segment per customer (R7, R8)",
    ),
    dataset(
        "rfm_segments",
        RETAIL,
        Output("rfm_segments"),
        "RFM segment sizes and means (R8)",
    ),
    dataset(
        "wdi",
        WDI,
        Valid("wdi"),
        "indicator values, long layout (W1, W5)",
    ),
    dataset(
        "country_series",
        WDI,
        Output("country_series"),
        "one country's indicator by year (W2)",
    ),
    dataset(
        "indicator_panel",
        WDI,
        Output("indicator_panel"),
        "one indicator for every country (W3)",
    ),
    dataset(
        "peak_year",
        WDI,
        Output("peak_year"),
        "each country's peak year (W4)",
    ),
];

/// A registered table: its SQL name, what it is, and the files it reads.
#[derive(Clone, Debug)]
struct Registered {
    name: String,
    domain: &'static str,
    about: String,
    path: PathBuf,
}

/// The SQL catalog over one data root.
pub struct Catalog {
    root: PathBuf,
    registered: Vec<Registered>,
    context: SQLContext,
}

/// The path a location reads, and whether it has data.
fn resolve(paths: &DomainPaths, location: Location) -> (PathBuf, bool) {
    match location {
        Valid(table) => {
            let path = paths.valid(table);
            let present = path.is_file();
            (path, present)
        }
        ValidParts(folder) => {
            let dir = paths.interim.join(folder);
            let present = has_parquet_below(&dir);
            (dir.join("**").join("*.parquet"), present)
        }
        Output(table) => {
            let path = paths.output(table);
            let present = path.is_file();
            (path, present)
        }
    }
}

fn has_parquet_below(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            has_parquet_below(&path)
        } else {
            path.extension().is_some_and(|e| e == "parquet")
        }
    })
}

impl Catalog {
    /// Registers every table of [`DATASETS`] that has data under `data_root`.
    ///
    /// # Errors
    /// When the scan of a table's Parquet file cannot be planned; the message names the
    /// table.
    pub fn open(data_root: &Path) -> Result<Self> {
        let mut catalog = Catalog {
            root: data_root.to_path_buf(),
            registered: Vec::new(),
            context: SQLContext::new(),
        };
        for dataset in DATASETS {
            let paths = DomainPaths::under(data_root, dataset.domain);
            let (path, present) = resolve(&paths, dataset.location);
            if present {
                catalog.register(dataset.name, dataset.domain, dataset.about, path)?;
            }
            if let Valid(table) = dataset.location {
                let quarantine = paths.quarantine(table);
                if quarantine.is_file() {
                    let name = format!("{}_quarantine", dataset.name);
                    let about = format!(
                        "rows of {} that failed validation, with the rule",
                        dataset.name
                    );
                    catalog.register(&name, dataset.domain, &about, quarantine)?;
                }
            }
        }
        Ok(catalog)
    }

    fn register(
        &mut self,
        name: &str,
        domain: &'static str,
        about: &str,
        path: PathBuf,
    ) -> Result<()> {
        let scan =
            scan_parquet(&path).with_context(|| format!("cannot register the table `{name}`"))?;
        self.context.register(name, scan);
        self.registered.push(Registered {
            name: name.to_string(),
            domain,
            about: about.to_string(),
            path,
        });
        Ok(())
    }

    /// The SQL names of the registered tables, in catalog order.
    pub fn names(&self) -> Vec<&str> {
        self.registered.iter().map(|r| r.name.as_str()).collect()
    }

    /// The registered tables: `table`, `domain`, `about`, `path` (under the data root).
    ///
    /// # Errors
    /// When Polars cannot build the frame; not expected, as every column holds one value
    /// per registered table.
    pub fn tables(&self) -> Result<DataFrame> {
        let relative = |path: &Path| {
            path.strip_prefix(&self.root)
                .unwrap_or(path)
                .display()
                .to_string()
        };
        Ok(df!(
            "table" => self.registered.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "domain" => self.registered.iter().map(|r| r.domain).collect::<Vec<_>>(),
            "about" => self.registered.iter().map(|r| r.about.as_str()).collect::<Vec<_>>(),
            "path" => self.registered.iter().map(|r| relative(&r.path)).collect::<Vec<_>>(),
        )?)
    }

    /// Plans `query` over the catalog, lazily. Errors name the unknown table or
    /// column.
    ///
    /// # Errors
    /// When the query does not parse or cannot be planned. An unknown table is named,
    /// with the registered tables listed or the command that writes it; a missing column
    /// is reported as such.
    pub fn sql(&mut self, query: &str) -> Result<LazyFrame> {
        self.context
            .execute(query)
            .map_err(|error| self.explain(&error.to_string()))
    }

    /// Runs `query` over the catalog with the streaming engine.
    ///
    /// # Errors
    /// As [`Catalog::sql`], and when the plan fails to run (a missing column, an
    /// unreadable Parquet file or another Polars error).
    pub fn query(&mut self, query: &str) -> Result<DataFrame> {
        let plan = self.sql(query)?;
        plan.collect_with_engine(Engine::Streaming)
            .map(|result| result.unwrap_single())
            .map_err(|error| self.explain(&error.to_string()))
    }

    /// A failed query's error in the catalog's terms.
    fn explain(&self, message: &str) -> anyhow::Error {
        if let Some(table) = between(message, "relation '", "' was not found") {
            return self.unknown_table(table);
        }
        if let Some(table) = between(message, "no table or alias named '", "' found") {
            return self.unknown_table(table);
        }
        let message = message.trim();
        if message.contains("unable to find column") || message.contains("ColumnNotFound") {
            return anyhow!("the SQL query names a column that is not there: {message}");
        }
        anyhow!("the SQL query failed: {message}")
    }

    fn unknown_table(&self, table: &str) -> anyhow::Error {
        if let Some(known) = DATASETS.iter().find(|d| d.name == table) {
            return anyhow!(
                "the table `{table}` has no data under {} yet: it is written by \
                 `cargo run --release --bin report -- --domain {}`",
                self.root.display(),
                known.domain
            );
        }
        let names = self.names();
        if names.is_empty() {
            return anyhow!(
                "unknown table `{table}`: the catalog under {} is empty. Run \
                 `cargo run --release --bin report` first",
                self.root.display()
            );
        }
        anyhow!(
            "unknown table `{table}`. Tables in the catalog: {}",
            names.join(", ")
        )
    }
}

/// The text between `start` and `end` in `message`, when both are there.
fn between<'a>(message: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = message.find(start)? + start.len();
    let to = message[from..].find(end)? + from;
    Some(&message[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The output tables a domain's spec file lists under "## Output tables". The
    /// specs are the project's shared contract, beside the checkout in
    /// `../shared/spec/` (or where `SMARTVIEW_SPEC_DIR` says).
    fn spec_outputs(domain: &str) -> Vec<String> {
        let dir = std::env::var_os("SMARTVIEW_SPEC_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec"));
        let spec = dir.join(format!("{domain}.md"));
        let text = std::fs::read_to_string(&spec).unwrap_or_else(|e| {
            panic!(
                "cannot read the spec {}: {e}. The specs sit beside the checkout in \
                 ../shared/spec; set SMARTVIEW_SPEC_DIR when they are elsewhere",
                spec.display()
            )
        });
        text.lines()
            .skip_while(|line| !line.starts_with("## Output tables"))
            .skip(1)
            .take_while(|line| !line.starts_with("## "))
            .filter_map(|line| line.strip_prefix("| "))
            .filter_map(|row| row.split(" |").next())
            .map(str::trim)
            .filter(|name| !name.is_empty() && *name != "table")
            .map(str::to_string)
            .collect()
    }

    /// Every output table of every built domain's spec is in the catalog, under its
    /// spec name (`quarantine_summary` as `<domain>_quarantine_summary`), in that
    /// domain and location.
    #[test]
    fn every_spec_output_table_is_registered() {
        for domain in crate::domains::ALL {
            let outputs = spec_outputs(domain);
            assert!(!outputs.is_empty(), "no output table found in {domain}.md");
            for table in outputs {
                let name = if table == "quarantine_summary" {
                    format!("{domain}_{table}")
                } else {
                    table.clone()
                };
                let registered = DATASETS.iter().find(|d| d.name == name);
                assert!(
                    registered.is_some_and(|d| d.domain == domain
                        && matches!(d.location, Location::Output(t) if t == table)),
                    "{domain}: spec table `{name}` is not registered as an output"
                );
            }
        }
    }

    /// The spec rule a dataset's description names is the rule that produces it in
    /// the spec's rule list (T7 `top_genres`, …).
    #[test]
    fn tv_outputs_name_their_spec_rules() {
        let rule_of = |name: &str| {
            DATASETS
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.about.to_string())
                .unwrap_or_default()
        };
        for (name, rule) in [
            ("program_clashes", "(T3)"),
            ("top_markets", "(T6)"),
            ("genre_reach", "(T7)"),
            ("top_genres", "(T7)"),
            ("wealth", "(T8)"),
            ("wealthy_market_genres", "(T9)"),
            ("program_popularity", "(T10)"),
            ("market_potential", "(T11)"),
        ] {
            assert!(rule_of(name).ends_with(rule), "{name}: {}", rule_of(name));
        }
    }
}

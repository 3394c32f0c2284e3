//! The SQL catalog: every domain's validated and output tables under stable names,
//! queried with Polars SQL from notebooks and from the `sql` command.
//!
//! [`datasets`] gathers every domain's registry (`domains::<name>::datasets`), the one
//! list of the names and where each table lives under a data root (`data`): a domain's validated tables in `interim/<domain>/`, its output
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

use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::PolarsError;
use polars::prelude::{df, DataFrame, Engine, LazyFrame};
use polars::sql::{extract_table_identifiers, SQLContext};

use crate::domains::Domain;
use crate::io::{has_files_below, is_file, scan_parquet, DomainPaths};

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
    /// An output table written Hive-partitioned: every Parquet file under
    /// `processed/<domain>/<folder>/`, the partition columns read from the folder
    /// names (`release_year=1995/`).
    OutputParts(&'static str),
    /// A Delta Lake table, `lake/<domain>/<table>/`, read at its latest version from
    /// its log (see [`crate::io::lake`]).
    Lake(&'static str),
}

/// One dataset of a domain, declared once in the domain's `datasets.rs`: its SQL
/// name, where its rows are, one line on what it is (with the spec rule), and for an
/// output table its columns with their dtypes (Polars' short names: `str`, `i64`,
/// `u32`, `f64`, …), in order.
#[derive(Clone, Copy, Debug)]
pub struct Dataset {
    /// The SQL name.
    pub name: &'static str,
    pub location: Location,
    /// One line for the table list, ending with the spec rule.
    pub about: &'static str,
    /// An output table's columns and dtypes, in order (empty for a validated table,
    /// whose columns are its raw schema's).
    pub columns: &'static [(&'static str, &'static str)],
}

impl Dataset {
    /// A validated table (or a folder of parts).
    pub const fn new(name: &'static str, location: Location, about: &'static str) -> Self {
        Dataset {
            name,
            location,
            about,
            columns: &[],
        }
    }

    /// The `quarantine_summary` every domain writes (`table`, `reason`, `rows`), under
    /// the SQL name `name` (`<domain>_quarantine_summary`).
    pub const fn quarantine_summary(name: &'static str) -> Self {
        Dataset::output(
            name,
            "quarantine_summary",
            "quarantined rows by table and rule",
            &[("table", "str"), ("reason", "str"), ("rows", "i64")],
        )
    }

    /// An output table, `processed/<domain>/<table>.parquet`, with its columns.
    pub const fn output(
        name: &'static str,
        table: &'static str,
        about: &'static str,
        columns: &'static [(&'static str, &'static str)],
    ) -> Self {
        Dataset {
            name,
            location: Location::Output(table),
            about,
            columns,
        }
    }
}

use Location::{Lake, Output, OutputParts, Valid, ValidParts};

/// Every table the catalog knows, domain by domain (each domain's `DATASETS`).
pub fn datasets() -> impl Iterator<Item = (Domain, &'static Dataset)> {
    Domain::ALL
        .into_iter()
        .flat_map(|domain| domain.datasets().iter().map(move |d| (domain, d)))
}

/// Where the dataset `name` of the registry (a SQL name such as `tv_viewing`, or
/// `<name>_quarantine` for a validated table's quarantine) lives under `data_root`,
/// whether or not a run has written it yet: the registry's location, so that
/// notebooks and tools never join file names by hand.
///
/// # Errors
/// When no domain registers `name`; the message lists the names there are.
pub fn path_of(data_root: &Path, name: &str) -> Result<PathBuf> {
    for (domain, dataset) in datasets() {
        let paths = DomainPaths::under(data_root, domain.name());
        if dataset.name == name {
            return Ok(resolve(&paths, dataset.location).0);
        }
        if let Valid(table) = dataset.location {
            if name.strip_suffix("_quarantine") == Some(dataset.name) {
                return Ok(paths.quarantine(table));
            }
        }
    }
    let names: Vec<&str> = datasets().map(|(_, d)| d.name).collect();
    Err(anyhow!(
        "no dataset is named `{name}`. Consider one of: {}",
        names.join(", ")
    ))
}

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
            let present = is_file(&path);
            (path, present)
        }
        ValidParts(folder) => {
            let dir = paths.interim.join(folder);
            let present = has_files_below(&dir, "parquet");
            (dir.join("**").join("*.parquet"), present)
        }
        OutputParts(folder) => {
            let dir = paths.processed.join(folder);
            let present = has_files_below(&dir, "parquet");
            (dir.join("**").join("*.parquet"), present)
        }
        Output(table) => {
            let path = paths.output(table);
            let present = is_file(&path);
            (path, present)
        }
        Lake(table) => {
            let path = paths.lake.join(table);
            let present = path.join("_delta_log").is_dir();
            (path, present)
        }
    }
}

impl Catalog {
    /// Registers every table of [`datasets`] that has data under `data_root`.
    ///
    /// # Errors
    /// When `data_root` is not a folder, or the scan of a table's Parquet file cannot
    /// be planned; the message names the table.
    pub fn open(data_root: &Path) -> Result<Self> {
        if !data_root.is_dir() {
            bail!(
                "the data folder {} does not exist. Consider --data with the folder that \
                 `report` writes into (data/ of the checkout by default)",
                data_root.display()
            );
        }
        let mut catalog = Catalog {
            root: data_root.to_path_buf(),
            registered: Vec::new(),
            context: SQLContext::new(),
        };
        for (domain, dataset) in datasets() {
            let paths = DomainPaths::under(data_root, domain.name());
            let (path, present) = resolve(&paths, dataset.location);
            if present {
                catalog.register(dataset.name, domain.name(), dataset.about, path)?;
            }
            if let Valid(table) = dataset.location {
                let quarantine = paths.quarantine(table);
                if is_file(&quarantine) {
                    let name = format!("{}_quarantine", dataset.name);
                    let about = format!(
                        "rows of {} that failed validation, with the rule",
                        dataset.name
                    );
                    catalog.register(&name, domain.name(), &about, quarantine)?;
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
        let scan = if path.join("_delta_log").is_dir() {
            crate::io::lake::LakeTable::open(&path).and_then(|table| table.scan())
        } else {
            scan_parquet(&path)
        }
        .with_context(|| format!("cannot register the table `{name}`"))?;
        self.context.register(name, scan);
        self.registered.push(Registered {
            name: name.to_string(),
            domain,
            about: about.to_string(),
            path,
        });
        Ok(())
    }

    /// Points the Delta table `name` at its version `version` (time travel): the
    /// queries that follow read that version. The other tables stay at their latest.
    ///
    /// # Errors
    /// When `name` is not registered or not a Delta table (the message lists those
    /// that are), or the table has no such version.
    pub fn at_version(&mut self, name: &str, version: i64) -> Result<()> {
        let lake_tables: Vec<&Registered> = self
            .registered
            .iter()
            .filter(|r| r.path.join("_delta_log").is_dir())
            .collect();
        let Some(table) = lake_tables.iter().find(|r| r.name == name) else {
            let names: Vec<&str> = lake_tables.iter().map(|r| r.name.as_str()).collect();
            bail!(
                "`{name}` is not a Delta table of the catalog, so it has no versions. The Delta \
                 tables are: {}",
                if names.is_empty() {
                    "none yet".to_string()
                } else {
                    names.join(", ")
                }
            );
        };
        let mut lake = crate::io::lake::LakeTable::open(&table.path)?;
        lake.load_version(version)?;
        self.context.register(name, lake.scan()?);
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
        read_only(query)?;
        self.context
            .execute(query)
            .map_err(|error| self.explain(query, &error))
    }

    /// Runs `query` over the catalog with the streaming engine.
    ///
    /// # Errors
    /// As [`Catalog::sql`], and when the plan fails to run (a missing column, an
    /// unreadable Parquet file or another Polars error). A query that makes Polars
    /// panic (an operation it has not implemented for a type, such as `ORDER BY … LIMIT`
    /// on a 128-bit integer in Polars 0.55) is an error with Polars' message, not a
    /// crash.
    pub fn query(&mut self, query: &str) -> Result<DataFrame> {
        let plan = self.sql(query)?;
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plan.collect_with_engine(Engine::Streaming)
        }));
        match run {
            Ok(result) => result
                .map(|result| result.unwrap_single())
                .map_err(|error| self.explain(query, &error)),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_string());
                bail!("the SQL query stopped inside Polars, which does not support what it asks: {message}")
            }
        }
    }

    /// A failed query's error in the catalog's terms: a table the query reads that is
    /// not registered (found by parsing the query, not Polars' message), or a missing
    /// column (by the error's kind).
    fn explain(&self, query: &str, error: &PolarsError) -> anyhow::Error {
        let names = self.names();
        let referenced = extract_table_identifiers(query, false, true).unwrap_or_default();
        if let Some(table) = referenced.iter().find(|t| !names.contains(&t.as_str())) {
            return self.unknown_table(table);
        }
        let message = error.to_string();
        let message = message.trim();
        match error {
            PolarsError::ColumnNotFound(_) => {
                anyhow!("the SQL query names a column that is not there: {message}")
            }
            _ => anyhow!("the SQL query failed: {message}"),
        }
    }

    fn unknown_table(&self, table: &str) -> anyhow::Error {
        if let Some((domain, _)) = datasets().find(|(_, d)| d.name == table) {
            return anyhow!(
                "the table `{table}` has no data under {} yet: it is written by \
                 `scripts/report --domain {}`",
                self.root.display(),
                domain.name()
            );
        }
        let names = self.names();
        if names.is_empty() {
            return anyhow!(
                "unknown table `{table}`: the catalog under {} is empty. Run \
                 `scripts/report` first",
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
/// Checks that `query` is one statement that only reads: a query (`SELECT`, `WITH`,
/// `VALUES`, …), `EXPLAIN` or `SHOW TABLES`. Polars' SQL context would also run
/// `DROP TABLE`, `TRUNCATE`, `DELETE` and `CREATE TABLE` against its registrations,
/// which changes nothing on disk and would only mislead; the catalog refuses them.
///
/// # Errors
/// When `query` is empty, does not parse (the parser's message), holds several
/// statements, or is not a query.
fn read_only(query: &str) -> Result<()> {
    use sqlparser::ast::Statement;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::{Parser, ParserOptions};
    let statements = Parser::new(&GenericDialect)
        .with_options(ParserOptions {
            trailing_commas: true,
            ..Default::default()
        })
        .try_with_sql(query)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|error| anyhow!("the SQL query does not parse: {error}"))?;
    match statements.as_slice() {
        [] => bail!("no SQL query was given. Consider \"SELECT * FROM <table> LIMIT 10\""),
        [Statement::Query(_) | Statement::Explain { .. } | Statement::ShowTables { .. }] => Ok(()),
        [other] => {
            let text = other.to_string();
            let verb = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            bail!(
                "the catalog is read-only: `{verb} …` is not run; only queries (SELECT, WITH, \
                 EXPLAIN, SHOW TABLES) are. The tables are files that `scripts/report` writes"
            )
        }
        _ => bail!(
            "the SQL text holds {} statements; the catalog runs one query at a time",
            statements.len()
        ),
    }
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
    fn only_reading_statements_run_and_a_missing_folder_is_named() -> Result<()> {
        for query in [
            "SELECT 1",
            "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
            "select a, from t", // trailing commas, as Polars parses them
            "EXPLAIN SELECT 1",
            "SHOW TABLES",
            "SELECT 1;",
        ] {
            read_only(query).map_err(|e| anyhow!("{query}: {e}"))?;
        }
        for (query, says) in [
            ("DROP TABLE rfm", "read-only: `DROP TABLE …`"),
            ("DELETE FROM rfm", "read-only: `DELETE FROM …`"),
            ("TRUNCATE TABLE rfm", "read-only"),
            ("CREATE TABLE x AS SELECT 1", "read-only"),
            ("", "no SQL query was given"),
            ("   ;", "no SQL query was given"),
            ("SELECT 1; SELECT 2", "holds 2 statements"),
            ("SELEC 1", "does not parse"),
        ] {
            let error = read_only(query).expect_err(query).to_string();
            assert!(error.contains(says), "{query}: {error}");
        }
        let mut catalog = Catalog::open(Path::new("data"))?;
        let error = catalog
            .query("DROP TABLE rfm")
            .expect_err("refused")
            .to_string();
        assert!(error.contains("read-only"), "{error}");
        let error = Catalog::open(Path::new("/nonexistent/data"))
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("/nonexistent/data does not exist")),
            "{error:?}"
        );
        Ok(())
    }

    #[test]
    fn every_spec_output_table_is_registered() {
        for domain in Domain::ALL {
            let registry = domain.datasets();
            let domain = domain.name();
            let outputs = spec_outputs(domain);
            assert!(!outputs.is_empty(), "no output table found in {domain}.md");
            for table in outputs {
                let name = if table == "quarantine_summary" {
                    format!("{domain}_{table}")
                } else {
                    table.clone()
                };
                let registered = registry.iter().find(|d| d.name == name);
                assert!(
                    registered
                        .is_some_and(|d| matches!(d.location, Location::Output(t) if t == table)),
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
            datasets()
                .find(|(_, d)| d.name == name)
                .map(|(_, d)| d.about.to_string())
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

    #[test]
    fn paths_come_from_the_registry() -> Result<()> {
        let root = Path::new("data");
        assert_eq!(
            path_of(root, "tv_viewing")?,
            root.join("interim/tv/viewing.parquet")
        );
        assert_eq!(
            path_of(root, "tv_viewing_quarantine")?,
            root.join("interim/tv/quarantine/viewing.parquet")
        );
        assert_eq!(
            path_of(root, "customer_profile")?,
            root.join("processed/customer360/customer_profile.parquet")
        );
        let unknown = path_of(root, "tv_radio")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(unknown.starts_with("no dataset is named `tv_radio`. Consider one of: tv_programs"));
        Ok(())
    }
}

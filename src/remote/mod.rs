//! Running the rules on a distributed engine that speaks Spark Connect (issue 19),
//! when one machine is not enough. Polars stays the engine on one machine; the rules,
//! stated once as `LazyFrame → LazyFrame`, are translated, not written twice.
//!
//! | module | owns |
//! |---|---|
//! | [`sql`] | a rule's resolved Polars plan as one Spark SQL query, with the semantic differences made explicit |
//! | `engine` | (feature `spark`) a Spark Connect session: register tables, run queries, results as Polars frames |
//! | [`validation`] | the raw files read by the engine's text reader and the declared schema's checks as SQL: valid rows and quarantine made on the engine |
//!
//! Each domain states its rules once more as plans only where the local pipeline uses
//! a single-machine strategy (pair parts, integer keys, chunked passes): its `plans`
//! module wires the same rule functions from the validated tables to the output
//! tables, one plan per output. [`DomainRules`] lists them for every domain.

#[cfg(feature = "spark")]
pub mod engine;
pub mod sql;
pub mod validation;

use anyhow::{anyhow, Result};
use polars::prelude::{LazyFrame, Schema};

pub use sql::SparkTables;

use crate::schema::{validate, TableSchema};

/// A domain's output tables as plans over the tables `table(name)` hands over.
pub type OutputPlans = Box<
    dyn Fn(&mut dyn FnMut(&str) -> Result<LazyFrame>) -> Result<Vec<(&'static str, LazyFrame)>>,
>;

/// No output table made here from the engine's results.
fn nothing_to_finish() -> OutputPlans {
    Box::new(|_| Ok(Vec::new()))
}

/// One domain's rules, as another engine runs them: the tables they read, the plans
/// of the output tables the engine computes, and those of the output tables computed
/// here from its (small) results.
pub struct DomainRules {
    pub domain: &'static str,
    /// The tables the rules read (the validated tables, or the domain's curated
    /// ones), each with its schema.
    pub inputs: Vec<(&'static str, Schema)>,
    /// The output tables the engine computes, over the inputs.
    pub outputs: OutputPlans,
    /// The output tables computed here, over the engine's output tables: a step
    /// whose plan is small in data but deep in dependencies (a sequential walk),
    /// which SQL engines inline into queries that grow exponentially.
    pub finish: OutputPlans,
}

impl DomainRules {
    /// Every domain's rules, with the domain's default options.
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn all() -> Result<Vec<DomainRules>> {
        use crate::domains::{customer360, wdi};
        Ok(vec![
            Self::tv()?,
            Self::retail()?,
            Self::wdi(wdi::WdiOptions::default())?,
            Self::customer360(customer360::plans::PlanOptions {
                period_days: 30,
                months: None,
            })?,
            Self::movies(None)?,
            Self::stream()?,
        ])
    }

    /// The rules of `domain`, with its default options.
    ///
    /// # Errors
    /// When `domain` is not one of the six (the message lists them).
    pub fn of(domain: &str) -> Result<DomainRules> {
        let all = Self::all()?;
        let names: Vec<&str> = all.iter().map(|d| d.domain).collect();
        let names = names.join(", ");
        all.into_iter()
            .find(|d| d.domain == domain)
            .ok_or_else(|| anyhow!("unknown domain {domain} (the domains: {names})"))
    }

    /// The TV rules (T2–T11), from the four validated tables.
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn tv() -> Result<DomainRules> {
        use crate::domains::tv;
        Ok(DomainRules {
            domain: tv::DOMAIN,
            inputs: valid_schemas(tv::tables::all().into_iter().map(|t| t.schema))?,
            outputs: Box::new(tv::plans::output_plans),
            finish: Box::new(tv::plans::finish_plans),
        })
    }

    /// The retail rules (R2–R8), from the validated invoice lines.
    ///
    /// # Errors
    /// When the declared schema cannot be planned (a Polars error).
    pub fn retail() -> Result<DomainRules> {
        use crate::domains::retail;
        Ok(DomainRules {
            domain: retail::DOMAIN,
            inputs: valid_schemas([retail::tables::lines().schema])?,
            outputs: Box::new(retail::plans::output_plans),
            finish: nothing_to_finish(),
        })
    }

    /// The WDI rules (W2–W4) for the country and indicator of `options`.
    ///
    /// # Errors
    /// When the declared schema cannot be planned (a Polars error).
    pub fn wdi(options: crate::domains::wdi::WdiOptions) -> Result<DomainRules> {
        use crate::domains::wdi;
        Ok(DomainRules {
            domain: wdi::DOMAIN,
            inputs: valid_schemas([wdi::tables::long_schema()])?,
            outputs: Box::new(move |table| {
                Ok(wdi::plans::outputs(table(wdi::tables::WDI)?, &options)?.to_vec())
            }),
            finish: nothing_to_finish(),
        })
    }

    /// The Customer 360 rules (C2–C12) for a period of `options.period_days` days and
    /// the months C11 compares.
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn customer360(
        options: crate::domains::customer360::plans::PlanOptions,
    ) -> Result<DomainRules> {
        use crate::domains::customer360::{plans, tables};
        let mut rules = Self::customer360_profiles(options.period_days)?;
        rules
            .inputs
            .extend(valid_schemas([tables::contract_users().schema])?);
        rules.outputs = Box::new(move |table| plans::output_plans(table, options));
        Ok(rules)
    }

    /// The Customer 360 rules that read every content and search row (C2–C10,
    /// [`crate::domains::customer360::plans::profile_plans`]), for a period of
    /// `period_days` days: what a remote run computes on the engine before C11 and
    /// C12 run here on its results.
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn customer360_profiles(period_days: i64) -> Result<DomainRules> {
        use crate::domains::customer360::{self, plans, tables};
        Ok(DomainRules {
            domain: customer360::DOMAIN,
            inputs: valid_schemas([
                tables::content(),
                tables::search(),
                tables::mapping().schema,
            ])?,
            outputs: Box::new(move |table| plans::profile_plans(table, period_days)),
            finish: nothing_to_finish(),
        })
    }

    /// The movies rules (V3–V7), in dollars of `base_month` (yyyymm; the last month
    /// with a CPI value when `None`), from the repaired catalogues (see
    /// [`crate::domains::movies::plans`]).
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn movies(base_month: Option<i32>) -> Result<DomainRules> {
        use crate::domains::movies::{self, plans, tables};
        let [tmdb, imdb, cpi] = valid_schemas([
            tables::tmdb().schema,
            tables::imdb().schema,
            tables::cpi().schema,
        ])?
        .try_into()
        .map_err(|_| anyhow!("three movies schemas"))?;
        let named = |(_, schema): (&str, Schema), name: &'static str| (name, schema);
        Ok(DomainRules {
            domain: movies::DOMAIN,
            inputs: vec![
                named(tmdb, plans::INPUTS[0]),
                named(imdb, plans::INPUTS[1]),
                named(cpi, plans::INPUTS[2]),
            ],
            outputs: Box::new(move |table| plans::output_plans(table, base_month)),
            finish: nothing_to_finish(),
        })
    }

    /// The stream questions (S6), from the four curated lake tables.
    ///
    /// # Errors
    /// When a declared schema cannot be planned (a Polars error).
    pub fn stream() -> Result<DomainRules> {
        use crate::domains::stream::{self, pipeline::CURATED_TABLES, tables};
        let mut inputs = Vec::new();
        for curated in &CURATED_TABLES {
            let raw = tables::all()
                .into_iter()
                .find(|t| t.schema.name == curated.raw)
                .ok_or_else(|| anyhow!("no raw stream table {}", curated.raw))?;
            let valid = validate(crate::testing::raw_rows(&raw.schema, &[])?, &raw.schema).valid;
            let schema = curated.curate(valid)?.kept.collect_schema()?;
            inputs.push((curated.name, schema.as_ref().clone()));
        }
        Ok(DomainRules {
            domain: stream::DOMAIN,
            inputs,
            outputs: Box::new(|table| {
                stream::plans::question_plans(
                    table("channels")?,
                    table("users")?,
                    table("ad_revenue")?,
                    table("viewership")?,
                )
            }),
            finish: nothing_to_finish(),
        })
    }

    /// Where a local run in `paths` keeps each input's validated rows (Parquet).
    pub fn local_inputs(
        &self,
        paths: &crate::io::DomainPaths,
    ) -> Vec<(&'static str, std::path::PathBuf)> {
        self.inputs
            .iter()
            .map(|(name, _)| (*name, paths.valid(name)))
            .collect()
    }

    /// Each output table's Spark SQL, over tables on the cluster named as the inputs
    /// and holding their rows (as [`Self::inputs`] describes them).
    ///
    /// # Errors
    /// When a plan cannot be built or translated (the message names the table and
    /// what has no translation).
    pub fn spark_sql(&self) -> Result<Vec<(&'static str, String)>> {
        let schemas: Vec<(&str, Schema)> = self
            .inputs
            .iter()
            .map(|(name, schema)| (*name, schema.clone()))
            .collect();
        self.spark_sql_over(&schemas)
    }

    /// As [`Self::spark_sql`], over input tables of the given schemas.
    ///
    /// # Errors
    /// As [`Self::spark_sql`], and when an input has no schema here.
    pub fn spark_sql_over(
        &self,
        schemas: &[(&str, Schema)],
    ) -> Result<Vec<(&'static str, String)>> {
        let mut tables = SparkTables::new();
        let schema_of = |name: &str| schemas.iter().find(|(n, _)| *n == name).map(|(_, s)| s);
        self.placeholder_plans(&mut tables, schema_of)?
            .into_iter()
            .map(|(name, plan)| Ok((name, tables.to_sql(name, plan)?)))
            .collect()
    }

    /// The output tables' plans over placeholders of `tables`, each input of the
    /// schema `schema_of` gives it.
    fn placeholder_plans<'s>(
        &self,
        tables: &mut SparkTables,
        schema_of: impl Fn(&str) -> Option<&'s Schema>,
    ) -> Result<Vec<(&'static str, LazyFrame)>> {
        (self.outputs)(&mut |name| {
            let schema = schema_of(name).ok_or_else(|| {
                anyhow!(
                    "the {} rules read {name}, which is not among the inputs",
                    self.domain
                )
            })?;
            Ok(tables.table(name, schema.clone()))
        })
    }
}

#[cfg(feature = "spark")]
impl DomainRules {
    /// Runs the rules on a Spark Connect `engine` over `inputs` (each input's name,
    /// its path as the cluster sees it, and its schema): registers the inputs as
    /// views, runs each output table's query, brings each result back cast to the
    /// local plan's schema ([`conform`]), then computes the finishing tables here.
    /// Tables come back in the plans' order, the finishing ones last; each query is a
    /// stage of `progress`, timed.
    ///
    /// # Errors
    /// When an input cannot be registered, a plan cannot be translated, a query fails
    /// on the engine, or a result does not fit the local schema (the message names
    /// the table).
    pub fn run_on(
        &self,
        engine: &engine::SparkEngine,
        inputs: &[(&str, String, Schema)],
        progress: &mut crate::progress::Progress,
    ) -> Result<Vec<(&'static str, polars::prelude::DataFrame)>> {
        use anyhow::Context;
        for (name, path, _) in inputs {
            engine.register_parquet(name, path)?;
        }
        progress.done("register the inputs on the engine", None);
        let mut tables = SparkTables::new();
        let schema_of = |name: &str| {
            inputs
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, s)| s)
        };
        let plans = self.placeholder_plans(&mut tables, schema_of)?;
        let mut results = Vec::new();
        for (name, plan) in plans {
            let schema = plan.clone().collect_schema()?;
            let sql = tables.to_sql(name, plan)?;
            let frame = engine
                .query(&sql)
                .and_then(|frame| conform(frame, &schema))
                .with_context(|| format!("{}: cannot compute {name} on the engine", self.domain))?;
            progress.done(
                &format!("{name} on the engine"),
                Some(frame.height() as u64),
            );
            results.push((name, frame));
        }
        let finished = (self.finish)(&mut |name| {
            results
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, frame)| polars::prelude::IntoLazy::lazy(frame.clone()))
                .ok_or_else(|| anyhow!("the finishing rules read {name}, which no query made"))
        })?;
        for (name, plan) in finished {
            let frame = plan
                .collect()
                .with_context(|| format!("{}: cannot compute {name}", self.domain))?;
            progress.done(&format!("{name} here"), Some(frame.height() as u64));
            results.push((name, frame));
        }
        Ok(results)
    }
}

/// Runs `rules` on `engine` over the validated tables of a local run in `paths`
/// ([`DomainRules::local_inputs`]), which the engine must see at the same absolute
/// paths (a shared file system, or a server on this machine).
///
/// # Errors
/// As [`DomainRules::run_on`], and when a validated table cannot be read here.
#[cfg(feature = "spark")]
pub fn run_rules_on(
    engine: &engine::SparkEngine,
    rules: &DomainRules,
    paths: &crate::io::DomainPaths,
    progress: &mut crate::progress::Progress,
) -> Result<Vec<(&'static str, polars::prelude::DataFrame)>> {
    let inputs: Vec<_> = rules
        .local_inputs(paths)
        .into_iter()
        .map(|(name, file)| (name, file, ""))
        .collect();
    run_rules_over(engine, rules, &inputs, progress)
}

/// As [`run_rules_on`], over the Parquet `inputs` given as (name, path, pattern):
/// the files under `path` that match `pattern` (say `*/*.parquet` for a folder of
/// parts in subfolders), or the file or folder `path` itself when `pattern` is empty.
/// The engine must see `path` at the same absolute path.
///
/// # Errors
/// As [`DomainRules::run_on`]; when an input cannot be read here, or its path holds
/// a pattern character.
#[cfg(feature = "spark")]
pub fn run_rules_over(
    engine: &engine::SparkEngine,
    rules: &DomainRules,
    inputs: &[(&str, std::path::PathBuf, &str)],
    progress: &mut crate::progress::Progress,
) -> Result<Vec<(&'static str, polars::prelude::DataFrame)>> {
    let mut registered = Vec::new();
    for (name, path, pattern) in inputs {
        let (local, remote) = match *pattern {
            "" => (path.clone(), engine_path(path)?),
            _ => (
                path.join(pattern),
                format!("{}/{pattern}", engine_path(path)?),
            ),
        };
        let schema = crate::io::scan_parquet(&local)?.collect_schema()?;
        registered.push((*name, remote, schema.as_ref().clone()));
    }
    rules.run_on(engine, &registered, progress)
}

/// Validates `table`'s raw files in `paths.raw` on the `engine` (item 2 of issue 19,
/// [`validation`]): the engine reads each file with its text reader, checks the rows
/// with the declared schema and `lookups` translated to SQL, and writes the valid
/// rows to `paths.valid(table)` and the quarantine to `paths.quarantine(table)`
/// (Parquet folders). The files are listed and their headers checked here, so
/// `paths.raw` and `paths.interim` must be seen by both at the same absolute paths.
/// Returns the table's row counts, read here from the written tables; the stage is
/// timed in `progress`.
///
/// # Errors
/// When the table has no delimited text files, a file fails its checks here (empty,
/// a wrong header), `--encoding` names an encoding other than UTF-8, a check has no
/// translation, or the engine fails (the message names the table).
#[cfg(feature = "spark")]
pub fn validate_on(
    engine: &engine::SparkEngine,
    paths: &crate::io::DomainPaths,
    table: &crate::io::RawTable,
    lookups: &[crate::schema::Rule],
    progress: &mut crate::progress::Progress,
) -> Result<crate::schema::TableCount> {
    use anyhow::Context;
    let name = table.schema.name;
    let count = validate_found_on(engine, paths, table, lookups)
        .with_context(|| format!("cannot validate the raw table `{name}` on the engine"))?;
    progress.done(
        &format!("validate {name} on the engine"),
        Some(count.rows_in()),
    );
    Ok(count)
}

#[cfg(feature = "spark")]
fn validate_found_on(
    engine: &engine::SparkEngine,
    paths: &crate::io::DomainPaths,
    table: &crate::io::RawTable,
    lookups: &[crate::schema::Rule],
) -> Result<crate::schema::TableCount> {
    use crate::io::delimited::{check_file, file_name};
    use anyhow::Context;
    let (schema, name) = (&table.schema, table.schema.name);
    let (chosen, files) = table.found(&paths.raw)?;
    let crate::io::Source::Text { layout, .. } = &table.sources[chosen] else {
        anyhow::bail!(
            "its files ({}) are not delimited text, which is all the engine reads so far:              validate here (--validate-on here)",
            table.sources[chosen].names()
        );
    };
    let layout = layout.with_encoding(paths.reading.encoding);
    let columns = schema.column_names();
    let mut parts = Vec::new();
    for (index, file) in files.iter().enumerate() {
        check_file(file, &columns, layout)?;
        let (text, cut) = (
            format!("text_{name}_{index}"),
            format!("cut_{name}_{index}"),
        );
        engine.register_text(&text, &engine_path(file)?)?;
        // Cut once, written and read back (see validation::cut_lines_sql).
        let cut_path = paths
            .interim
            .join("_lines")
            .join(format!("{name}_{index}.parquet"));
        remove_path(&cut_path)?;
        engine
            .write_parquet(
                &validation::cut_lines_sql(&text, layout)?,
                &engine_path(&cut_path)?,
            )
            .with_context(|| {
                format!(
                    "the engine cannot read {} (its text reader may refuse bytes that are not \
                     UTF-8, which --validate-on here quarantines line by line)",
                    file.display()
                )
            })?;
        engine.register_parquet(&cut, &engine_path(&cut_path)?)?;
        let starts = engine.query(&validation::partition_starts_sql(&cut))?;
        let offsets = validation::order_partitions(file, &validation::partition_starts(&starts)?)?;
        parts.push(validation::raw_rows_sql(
            &cut,
            &offsets,
            &file_name(file),
            index,
            &columns,
            layout,
        )?);
    }
    let raw = format!("raw_{name}");
    engine.register_view(&raw, &validation::union_sql(&parts))?;
    let (valid_sql, quarantine_sql) = validation::validation_sql(schema, &raw, lookups)?;
    let mut rows = Vec::new();
    for (sql, path) in [
        (valid_sql, paths.valid(name)),
        (quarantine_sql, paths.quarantine(name)),
    ] {
        remove_path(&path)?;
        engine.write_parquet(&sql, &engine_path(&path)?)?;
        let count = crate::io::scan_parquet(&path)?
            .select([polars::prelude::len().cast(polars::prelude::DataType::UInt64)])
            .collect()?;
        rows.push(count.column("len")?.u64()?.get(0).unwrap_or(0));
    }
    remove_path(&paths.interim.join("_lines"))?;
    Ok(crate::schema::TableCount {
        table: name,
        rows_valid: rows[0],
        rows_quarantined: rows[1],
    })
}

/// `path` as the engine is handed it: absolute, and free of the characters a Spark
/// engine reads as a pattern.
///
/// # Errors
/// When the path cannot be made absolute or holds `* ? [ ] { }`.
#[cfg(feature = "spark")]
fn engine_path(path: &std::path::Path) -> Result<String> {
    let path = std::path::absolute(path)?;
    // The engines read a path as a pattern: these characters would match others.
    if let Some(c) = path
        .to_string_lossy()
        .chars()
        .find(|c| "*?[]{}".contains(*c))
    {
        anyhow::bail!(
            "{} holds `{c}`, which a Spark engine reads as a pattern: choose folders \
             without * ? [ ] {{ }}",
            path.display()
        );
    }
    Ok(path.display().to_string())
}

/// Removes the file or folder at `path`, if any, before the engine writes there.
#[cfg(feature = "spark")]
fn remove_path(path: &std::path::Path) -> Result<()> {
    use anyhow::Context;
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    removed.with_context(|| format!("cannot replace {}", path.display()))
}

/// Where a remote run validates the raw files (`report --validate-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateOn {
    /// On this machine, with the local reader; the engine reads the validated tables.
    Here,
    /// On the engine, with its text reader (`validate_on`, feature `spark`).
    Engine,
}

/// The validated rows of `schema`'s table in `paths.interim`, in the dtypes the local
/// validation gives them ([`valid_schema`]), whichever engine wrote them (Spark has
/// no unsigned integers: its `row_nr` is a BIGINT).
///
/// # Errors
/// When the table cannot be scanned or its schema planned.
pub fn scan_valid(paths: &crate::io::DomainPaths, schema: &TableSchema) -> Result<LazyFrame> {
    use polars::prelude::col;
    let columns: Vec<_> = valid_schema(schema)?
        .iter()
        .map(|(name, dtype)| col(name.clone()).strict_cast(dtype.clone()))
        .collect();
    Ok(crate::io::scan_parquet(&paths.valid(schema.name))?.select(columns))
}

/// Takes the table `name` out of `tables`.
///
/// # Errors
/// When no table has that name.
pub fn take(
    tables: &mut Vec<(&'static str, polars::prelude::DataFrame)>,
    name: &str,
) -> Result<polars::prelude::DataFrame> {
    let position = tables
        .iter()
        .position(|(n, _)| *n == name)
        .ok_or_else(|| anyhow!("the engine gave no table {name}"))?;
    Ok(tables.swap_remove(position).1)
}

/// An engine's result `frame` as the local plan gives it: `schema`'s columns, in its
/// order, cast to its dtypes (strict: a value that does not fit is an error, never
/// a null).
///
/// # Errors
/// When a column is missing or a value does not fit its dtype.
pub fn conform(
    frame: polars::prelude::DataFrame,
    schema: &Schema,
) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::{col, IntoLazy};
    let columns: Vec<_> = schema
        .iter()
        .map(|(name, dtype)| col(name.clone()).strict_cast(dtype.clone()))
        .collect();
    Ok(frame.lazy().select(columns).collect()?)
}

/// Spark Connect's port when a connection string gives none.
pub const DEFAULT_PORT: u16 = 15002;

/// The `HOST:PORT` of a Spark Connect connection string (`sc://HOST[:PORT][/;…]`,
/// an IPv6 host in brackets).
///
/// # Errors
/// When `url` does not start with `sc://`, puts credentials before the host, has no
/// host, or its port is not a number from 1 to 65535.
pub fn check_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sc://")
        .ok_or_else(|| anyhow!("a connection string starts with sc:// (sc://HOST:PORT)"))?;
    let authority = &rest[..rest.find(['/', ';']).unwrap_or(rest.len())];
    if authority.contains('@') {
        anyhow::bail!(
            "credentials go in parameters (sc://HOST:PORT/;token=…), not before the host"
        );
    }
    let (host, port) = match authority.strip_prefix('[').and_then(|a| a.find(']')) {
        Some(end) => (
            &authority[..end + 2],
            authority[end + 2..].strip_prefix(':'),
        ),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| anyhow!("the port `{text}` is not a number from 1 to 65535"))?,
    };
    if host.is_empty() {
        anyhow::bail!("the connection string names no host");
    }
    Ok(format!("{host}:{port}"))
}

/// Each table's name with the schema of its validated rows ([`valid_schema`]).
fn valid_schemas(
    tables: impl IntoIterator<Item = TableSchema>,
) -> Result<Vec<(&'static str, Schema)>> {
    tables
        .into_iter()
        .map(|t| Ok((t.name, valid_schema(&t)?)))
        .collect()
}

/// The schema of a table's validated rows: what [`validate`] makes of `schema`.
///
/// # Errors
/// When the validation cannot be planned (a Polars error).
pub fn valid_schema(schema: &TableSchema) -> Result<Schema> {
    let raw = crate::testing::raw_rows(schema, &[])?;
    let schema = validate(raw, schema).valid.collect_schema()?;
    Ok(schema.as_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_are_checked_before_connecting() {
        for (url, address) in [
            ("sc://host:15002", "host:15002"),
            ("sc://host", "host:15002"),
            ("sc://host:443/;token=x;use_ssl=true", "host:443"),
            ("sc://[::1]:50051", "[::1]:50051"),
            ("sc://[::1]", "[::1]:15002"),
        ] {
            assert_eq!(check_url(url).ok().as_deref(), Some(address), "{url}");
        }
        for (url, why) in [
            ("127.0.0.1:15002", "starts with sc://"),
            ("http://host:15002", "starts with sc://"),
            ("sc://host:99999", "not a number from 1 to 65535"),
            ("sc://host:abc", "not a number from 1 to 65535"),
            ("sc://host:0", "not a number from 1 to 65535"),
            ("sc://:15002", "names no host"),
            ("sc://user:pw@host:1", "credentials go in parameters"),
        ] {
            let error = check_url(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(why), "{url}: {error}");
        }
    }

    /// Every domain's output tables translate, and their SQL is the committed one
    /// (`tests/golden/spark-sql/<domain>/<table>.sql`; `SMARTVIEW_BLESS=1` writes it
    /// after a deliberate change, to be reviewed in the diff).
    #[test]
    fn every_output_table_translates_to_the_committed_spark_sql() -> Result<()> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/spark-sql");
        let bless = std::env::var_os("SMARTVIEW_BLESS").is_some();
        let mut differ = Vec::new();
        let mut expected = std::collections::BTreeSet::new();
        for rules in DomainRules::all()? {
            for (table, sql) in rules.spark_sql()? {
                let file = root.join(rules.domain).join(format!("{table}.sql"));
                expected.insert(file.clone());
                let sql = format!("{sql}\n");
                if bless {
                    std::fs::create_dir_all(file.parent().unwrap_or(&root))?;
                    std::fs::write(&file, &sql)?;
                } else if std::fs::read_to_string(&file).ok().as_deref() != Some(sql.as_str()) {
                    differ.push(file.display().to_string());
                }
            }
        }
        // A committed file for a table that no longer translates is stale.
        for domain in std::fs::read_dir(&root)? {
            for file in std::fs::read_dir(domain?.path())? {
                let file = file?.path();
                if !expected.contains(&file) {
                    differ.push(format!("{} (no such table)", file.display()));
                }
            }
        }
        assert!(
            differ.is_empty(),
            "the translation differs from the committed SQL (rerun with SMARTVIEW_BLESS=1 \
             after a deliberate change): {differ:?}"
        );
        Ok(())
    }
}

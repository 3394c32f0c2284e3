//! Issue 15: each domain's dataset registry (`domains::<name>::datasets`) is what the
//! runs write. On the shipped sample of every domain, each output table has exactly the
//! registered columns and dtypes, and the domain's output list names the registered
//! output tables in the same order.

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;
use smartview::catalog::{Dataset, Location};
use smartview::domains::{customer360, movies, retail, stream, tv, wdi, Domain};
use smartview::io::{scan_parquet, DomainPaths};
use smartview::progress::Progress;

/// A run of `domain` on its shipped sample, in `dir`; returns the output list's names.
fn run_sample(domain: Domain, dir: &Path) -> Result<Vec<&'static str>> {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/raw")
        .join(domain.name());
    let paths = DomainPaths {
        raw: sample,
        ..DomainPaths::in_folder(dir)
    };
    let mut progress = Progress::new(domain.name(), true);
    let names =
        |tables: Vec<(&'static str, &DataFrame)>| tables.into_iter().map(|(n, _)| n).collect();
    Ok(match domain {
        Domain::Tv => names(tv::run(&paths, &mut progress)?.tables().to_vec()),
        Domain::Retail => names(retail::run(&paths, &mut progress)?.tables().to_vec()),
        Domain::Wdi => {
            let options = wdi::WdiOptions::default();
            names(wdi::run(&paths, &options, &mut progress)?.tables().to_vec())
        }
        Domain::Movies => {
            let options = movies::MoviesOptions::default();
            names(
                movies::run(&paths, &options, &mut progress)?
                    .tables()
                    .to_vec(),
            )
        }
        Domain::Stream => names(stream::run(&paths, &mut progress)?.tables()),
        Domain::Customer360 => {
            let options = customer360::Customer360Options {
                sink: None,
                ..Default::default()
            };
            names(customer360::run(&paths, &options, &mut progress)?.tables())
        }
    })
}

fn outputs(domain: Domain) -> Vec<&'static Dataset> {
    domain
        .datasets()
        .iter()
        .filter(|d| matches!(d.location, Location::Output(_)))
        .collect()
}

#[test]
fn every_output_table_has_its_registered_columns_and_dtypes() -> Result<()> {
    for domain in Domain::ALL {
        let dir = tempfile::tempdir()?;
        let written = run_sample(domain, dir.path())?;
        let registered = outputs(domain);
        let table_of = |d: &Dataset| match d.location {
            Location::Output(table) => table,
            _ => d.name,
        };
        assert_eq!(
            written,
            registered.iter().map(|d| table_of(d)).collect::<Vec<_>>(),
            "{}: the output list and the registry differ",
            domain.name()
        );
        for dataset in registered {
            let file = dir
                .path()
                .join("processed")
                .join(format!("{}.parquet", table_of(dataset)));
            let schema =
                anyhow::Context::with_context(scan_parquet(&file)?.collect_schema(), || {
                    format!("cannot read the schema of {}", file.display())
                })?;
            let found: Vec<(String, String)> = schema
                .iter()
                .map(|(name, dtype)| (name.to_string(), dtype.to_string()))
                .collect();
            let declared: Vec<(String, String)> = dataset
                .columns
                .iter()
                .map(|(name, dtype)| (name.to_string(), dtype.to_string()))
                .collect();
            assert_eq!(found, declared, "{}: {}", domain.name(), dataset.name);
        }
    }
    Ok(())
}

/// Issue 16, faults 5 and 6: every numeric column of every raw table declares a
/// range (at least finiteness) and every date or timestamp column a plausible span of
/// years, so that no value out of any real export's range is read as a number.
#[test]
fn every_numeric_and_temporal_raw_column_declares_its_range() {
    use smartview::schema::{Check, ColumnType, TableSchema};
    let mut schemas: Vec<TableSchema> = tv::tables::all().into_iter().map(|t| t.schema).collect();
    schemas.push(retail::tables::lines().schema);
    schemas.push(customer360::tables::content());
    schemas.push(customer360::tables::search());
    schemas.push(customer360::tables::mapping().schema);
    schemas.push(customer360::tables::contract_users().schema);
    schemas.push(wdi::tables::long_schema());
    schemas.extend(movies::tables::all().into_iter().map(|t| t.schema));
    let mut missing = Vec::new();
    for schema in &schemas {
        for column in &schema.columns {
            let wanted = match column.ty {
                ColumnType::Int | ColumnType::Float => |c: &Check| matches!(c, Check::Range { .. }),
                ColumnType::Date(_) | ColumnType::Datetime(_) | ColumnType::IsoTimestamp => {
                    |c: &Check| matches!(c, Check::Years { .. })
                }
                ColumnType::Text | ColumnType::TimeHms => continue,
            };
            if !column.checks.iter().any(wanted) {
                missing.push(format!("{}.{}", schema.name, column.name));
            }
        }
    }
    assert!(missing.is_empty(), "no declared range: {missing:?}");
}

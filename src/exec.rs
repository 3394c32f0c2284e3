//! How big work runs on one machine, so that domain pipelines stay wiring: a large
//! table aggregated in disjoint key partitions, one part at a time with free memory
//! handed back to the OS between parts ([`in_partitions`]); the folders those parts
//! live in ([`PartFolder`]), and the rows of the later passes, split as the table is
//! validated ([`PassSplit`]); two stages at once on two threads ([`beside`]); and the
//! memory release itself ([`release_free_memory`]); and the two stage kinds every
//! pipeline is made of, each timed in the run's [`Progress`]: validating a raw table
//! ([`validate`]) and computing a rule's output ([`rule`], or its outputs in one run:
//! [`rule_outputs`]). Domain folders call these and never touch the file system,
//! spawn a thread or trim the allocator themselves.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use polars::prelude::{col, concat, lit, DataFrame, Expr, LazyFrame, PolarsResult, UnionArgs};

use crate::io::{
    clear_folder, collect_streaming, files_with_extension, partitioned_parquet_sink, scan_parquet,
    sink_parquet_all, sink_parquet_and_collect, validate_table, DomainPaths, RawTable,
    ValidAggregate,
};
use crate::progress::Progress;
use crate::schema::{Rule, TableCount};

/// Validates one raw table into the interim folder (see [`validate_table`]), timed as
/// the stage `validate <table>`; `lookups` (such as TV's T4) and `aggregates` of the
/// valid rows run in the same pass.
///
/// # Errors
/// As [`validate_table`]: the table's files are missing or unreadable, or the pass
/// fails; the message names the table.
pub fn validate(
    progress: &mut Progress,
    paths: &DomainPaths,
    table: &RawTable,
    lookups: &[Rule],
    aggregates: Vec<ValidAggregate<'_>>,
) -> Result<(TableCount, Vec<DataFrame>)> {
    let (count, aggregated) = validate_table(paths, table, lookups, aggregates)?;
    progress.done(
        &format!("validate {}", table.schema.name),
        Some(count.rows_in()),
    );
    Ok((count, aggregated))
}

/// Computes one rule's output on the streaming engine, timed as the stage `rule`.
///
/// # Errors
/// When the plan fails to run; the message names `rule` (`cannot compute T7 genre
/// reach`).
pub fn rule(progress: &mut Progress, rule: &str, lf: LazyFrame) -> Result<DataFrame> {
    let frame = collect_streaming(lf, rule)?;
    progress.done(rule, Some(frame.height() as u64));
    Ok(frame)
}

/// Computes several outputs of one rule in one run of the streaming engine, timed as
/// the stage `rule` (with the first output's rows): a subplan they share
/// ([`LazyFrame::cache`]) is computed once, where collecting them one by one would
/// compute it again for each.
///
/// # Errors
/// When the plans fail to run; the message names `rule`.
pub fn rule_outputs<const N: usize>(
    progress: &mut Progress,
    rule: &str,
    plans: [LazyFrame; N],
) -> Result<[DataFrame; N]> {
    let frames = sink_parquet_and_collect(Vec::new(), plans.into())
        .with_context(|| format!("cannot compute {rule}"))?;
    let frames: [DataFrame; N] = frames
        .try_into()
        .map_err(|_| anyhow!("{rule}: the engine returned another number of tables"))?;
    progress.done(rule, frames.first().map(|f| f.height() as u64));
    Ok(frames)
}

/// glibc's malloc arenas a process may use ([`limit_malloc_arenas`]).
const MALLOC_ARENAS: i32 = 2;

/// Caps glibc's malloc at [`MALLOC_ARENAS`] arenas (its default is eight per core),
/// unless `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` says otherwise. Freed batches of
/// the streaming engine's threads stay cached in their arenas and fragment them,
/// which raised a run's peak: at 5M rows retail peaked at 450 MB and Customer 360 at
/// 250 MB by default, at 235 MB and 190 MB with two arenas, in the same time
/// (BENCHMARKS.md, issue 20). The binaries call it first, and so does
/// [`crate::notebook::ready`]; elsewhere than glibc it does nothing.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let chosen_by_user = std::env::var_os("MALLOC_ARENA_MAX").is_some()
            || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
        if !chosen_by_user {
            // SAFETY: mallopt only sets a tuning parameter of the allocator.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
            }
        }
    }
}

/// Hands heap memory that is free but still held by the allocator back to the
/// operating system, so that a stage's peak does not stack on the leftovers of the
/// stages before it. (glibc keeps freed memory in per-thread arenas; elsewhere this
/// does nothing.)
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs `part` for each of `parts` partitions in order (0, 1, …), releasing free
/// memory after each, and returns their results in order: an aggregation whose
/// memory grows with the rows it reads runs one disjoint partition of its input at a
/// time (see [`crate::transforms::key_in_pass`]), so its peak is a part's.
///
/// # Errors
/// The first error of a part; the later parts do not run.
pub fn in_partitions<T>(parts: u32, mut part: impl FnMut(u32) -> Result<T>) -> Result<Vec<T>> {
    let mut results = Vec::with_capacity(parts as usize);
    for index in 0..parts {
        results.push(part(index)?);
        release_free_memory();
    }
    Ok(results)
}

/// Aggregates a large table in `parts` disjoint key partitions into `folder`, one
/// part per partition (`part-NNN.parquet`, see [`PartFolder`]): `aggregate(index)`
/// is the plan of partition `index` (usually the input filtered with
/// [`crate::transforms::key_in_pass`], then aggregated), sunk on the streaming engine
/// with free memory released after each part, so that memory holds one partition's
/// groups. The folder is cleared first.
///
/// # Errors
/// When the folder cannot be cleared, or a part fails to run or cannot be written;
/// the message says `what` was aggregated.
pub fn aggregate_in_partitions(
    folder: &PartFolder,
    parts: u32,
    what: &str,
    mut aggregate: impl FnMut(u32) -> Result<LazyFrame>,
) -> Result<()> {
    folder.clear()?;
    in_partitions(parts, |index| {
        sink_parquet_all(vec![(aggregate(index)?, folder.part(index))])
            .with_context(|| format!("cannot aggregate {what} (part {index} of {parts})"))
    })?;
    Ok(())
}

/// Runs `second` on a second thread while `first` runs on this one, and returns both
/// results: stages that do not depend on each other fill the cores a large stage
/// leaves idle.
///
/// # Errors
/// When the second thread panics (its result is then lost).
pub fn beside<A, B>(first: impl FnOnce() -> A, second: impl FnOnce() -> B + Send) -> Result<(A, B)>
where
    B: Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(second);
        let a = first();
        let b = handle
            .join()
            .map_err(|_| anyhow!("a stage running beside another stopped unexpectedly"))?;
        Ok((a, b))
    })
}

/// A folder of Parquet parts, `part-NNN.parquet`, written by one run: cleared at the
/// start of the run that writes it, then read back in name order.
#[derive(Clone, Debug)]
pub struct PartFolder {
    folder: PathBuf,
}

impl PartFolder {
    /// The parts in `folder`.
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        PartFolder {
            folder: folder.into(),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.folder
    }

    /// Removes what an earlier run left in the folder and creates it empty.
    ///
    /// # Errors
    /// When the folder cannot be removed or created; the message names it.
    pub fn clear(&self) -> Result<()> {
        clear_folder(&self.folder)
    }

    /// Where part `index` goes: `<folder>/part-NNN.parquet`.
    pub fn part(&self, index: u32) -> PathBuf {
        self.folder.join(format!("part-{index:03}.parquet"))
    }

    /// The parts that are there, in name order.
    ///
    /// # Errors
    /// When the folder cannot be listed; the message names it.
    pub fn parts(&self) -> Result<Vec<PathBuf>> {
        files_with_extension(&self.folder, "parquet")
    }

    /// Every part as one lazy frame, in name order.
    ///
    /// # Errors
    /// As [`PartFolder::parts`], or when the parts' columns differ.
    pub fn scan(&self) -> Result<LazyFrame> {
        let scans = self
            .parts()?
            .iter()
            .map(|part| scan_parquet(part))
            .collect::<Result<Vec<_>>>()?;
        concat(scans, UnionArgs::default())
            .with_context(|| format!("cannot combine the parts in {}", self.folder.display()))
    }
}

/// The rows of a table's later aggregation passes, written as the table is validated
/// so that each pass reads its own rows instead of the whole table again: one Hive
/// partition per pass under a folder, `<folder>/__pass=<p>/`, for the passes 1 and
/// up (pass 0 is aggregated as the rows stream by). Written by [`PassSplit::sink`],
/// read by [`PassSplit::rows`], removed once every pass has run.
#[derive(Clone, Debug)]
pub struct PassSplit {
    folder: PathBuf,
    columns: Vec<String>,
}

/// The pass column of a [`PassSplit`], named in its folders.
const PASS: &str = "__pass";

impl PassSplit {
    /// A split of `columns` into `folder`.
    pub fn new(folder: impl Into<PathBuf>, columns: &[&str]) -> Self {
        PassSplit {
            folder: folder.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// Removes what an earlier run left in the folder and creates it empty.
    ///
    /// # Errors
    /// When the folder cannot be removed or created; the message names it.
    pub fn clear(&self) -> Result<()> {
        clear_folder(&self.folder)
    }

    /// The plan that writes the split's columns of the rows of `valid` whose `pass`
    /// (a `UInt32` expression, such as [`crate::transforms::pass_of_key`]) is not 0:
    /// run beside the validation as one of its aggregates ([`ValidAggregate`]), it
    /// writes them as the valid rows stream by, one writer per pass, and collects
    /// nothing.
    ///
    /// # Errors
    /// When the plan cannot be built (Polars error).
    pub fn sink(&self, valid: LazyFrame, pass: Expr) -> PolarsResult<LazyFrame> {
        let mut columns = self.column_exprs();
        columns.push(pass.alias(PASS));
        let rows = valid.select(columns).filter(col(PASS).neq(lit(0u32)));
        partitioned_parquet_sink(rows, &self.folder, PASS)
    }

    /// The rows [`PassSplit::sink`] wrote for pass `pass`, or `empty` (the same
    /// columns without rows) when it wrote none: no key of the table is in the pass.
    ///
    /// # Errors
    /// When the pass's folder cannot be read, or `empty` fails.
    pub fn rows(&self, pass: u32, empty: impl FnOnce() -> Result<LazyFrame>) -> Result<LazyFrame> {
        let part = self.folder.join(format!("{PASS}={pass}"));
        if !part.exists() {
            return empty();
        }
        Ok(scan_parquet(&part)?.select(self.column_exprs()))
    }

    fn column_exprs(&self) -> Vec<Expr> {
        self.columns.iter().map(|c| col(c.as_str())).collect()
    }

    /// Removes the folder and its rows, once every pass has read them.
    ///
    /// # Errors
    /// When the folder cannot be removed; the message names it.
    pub fn remove(&self) -> Result<()> {
        if self.folder.exists() {
            std::fs::remove_dir_all(&self.folder)
                .with_context(|| format!("cannot remove {}", self.folder.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_cleared_named_and_listed_in_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let parts = PartFolder::new(dir.path().join("pairs"));
        parts.clear()?;
        std::fs::write(parts.part(1), b"x")?;
        std::fs::write(parts.part(0), b"x")?;
        std::fs::write(parts.path().join("notes.txt"), b"x")?;
        assert_eq!(parts.parts()?, [parts.part(0), parts.part(1)]);
        assert!(parts.part(7).ends_with("part-007.parquet"));
        parts.clear()?;
        assert!(parts.parts()?.is_empty(), "a new run starts empty");
        Ok(())
    }

    /// Each later pass reads back exactly its own rows, a pass without rows reads the
    /// empty frame given, and pass 0's rows are not written.
    #[test]
    fn a_pass_split_gives_each_later_pass_its_rows() -> Result<()> {
        use polars::prelude::{df, IntoLazy};
        let dir = tempfile::tempdir()?;
        let split = PassSplit::new(dir.path().join("by_pass"), &["key", "value"]);
        split.clear()?;
        let valid = df!(
            "key" => ["a", "b", "c", "d", "e", "f"],
            "value" => [1i64, 2, 3, 4, 5, 6],
            "other" => [true; 6],
        )?;
        // Passes 0, 1, 0, 1, 0, 1 of 3: pass 2 has no rows.
        let pass = (col("value") % lit(2i64)).cast(polars::prelude::DataType::UInt32);
        collect_streaming(split.sink(valid.clone().lazy(), pass)?, "the split")?;
        let empty = || {
            Ok(valid
                .clone()
                .lazy()
                .select([col("key"), col("value")])
                .limit(0))
        };
        let rows = |pass| -> Result<DataFrame> {
            Ok(split
                .rows(pass, empty)?
                .sort(["value"], Default::default())
                .collect()?)
        };
        assert_eq!(
            rows(1)?,
            df!("key" => ["a", "c", "e"], "value" => [1i64, 3, 5])?
        );
        assert_eq!(rows(2)?.height(), 0);
        assert_eq!(rows(2)?.get_column_names(), ["key", "value"]);
        assert!(!split.folder.join(format!("{PASS}=0")).exists());
        split.remove()?;
        assert!(!split.folder.exists());
        split.remove()?;
        Ok(())
    }

    #[test]
    fn partitions_run_in_order_and_stop_at_the_first_error() {
        let mut seen = Vec::new();
        let done = in_partitions(3, |part| {
            seen.push(part);
            Ok(part * 10)
        });
        assert_eq!(done.ok(), Some(vec![0, 10, 20]));
        let failed = in_partitions(3, |part| {
            if part == 1 {
                anyhow::bail!("part {part} failed")
            }
            Ok(part)
        });
        assert_eq!(
            failed.err().map(|e| e.to_string()).as_deref(),
            Some("part 1 failed")
        );
        assert_eq!(seen, [0, 1, 2]);
    }

    #[test]
    fn two_stages_run_beside_each_other_and_a_panic_is_an_error() {
        let (a, b) = beside(|| 1, || 2).unwrap_or_default();
        assert_eq!((a, b), (1, 2));
        let panicked = beside(|| 1, || -> i32 { panic!("boom") });
        assert!(panicked.is_err());
    }
}

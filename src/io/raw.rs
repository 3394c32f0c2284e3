//! Raw tables: a declared schema plus the ways its files may be stored, in order of
//! preference ([`Source`]: delimited text, Parquet, workbooks, or a layout the domain
//! reads itself, such as WDI's wide download). The first source with files in the
//! raw folder is read; files of a later source are ignored with a notice; with none,
//! the error lists every name accepted and the names in the folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{
    col, concat, lit, DataType, IntoLazy, LazyFrame, ParquetReader, SerReader, UnionArgs, NULL,
};
use rayon::prelude::*;

use super::delimited::{scan_one_narrowed, TextLayout};
use super::excel::{read_sheets, SheetSelection};
use super::files::{matching_files, no_file_matching, total_bytes, NamePattern};
use super::reading::{Notices, Reading};
use crate::fast::chunked::Narrowing;
use crate::schema::{TableSchema, LAYOUT_ERROR, LINE, SOURCE_FILE};

/// A reader the domain supplies for a layout of its own: the files found (in name
/// order) and the run's reading options to the table's raw text columns with
/// `source_file`, `line`, `row_nr` and `__layout_error`.
pub type CustomReader = fn(&[PathBuf], &Reading) -> Result<LazyFrame>;

/// One way a raw table's rows may be stored: the file names and how to read them.
#[derive(Clone, Debug)]
pub enum Source {
    /// Delimited text.
    Text {
        files: Vec<NamePattern>,
        layout: TextLayout,
    },
    /// Parquet files, every declared column read as text; `source_file` is the path
    /// relative to the raw folder.
    Parquet { files: Vec<NamePattern> },
    /// Excel workbooks whose header row names the declared columns.
    Workbook {
        files: Vec<NamePattern>,
        sheets: SheetSelection,
    },
    /// A layout the domain reads itself.
    Custom {
        files: Vec<NamePattern>,
        read: CustomReader,
    },
}

impl Source {
    /// Delimited text files `<prefix>*<suffix>` (any case) in `layout`.
    pub fn text(prefix: &'static str, suffix: &'static str, layout: TextLayout) -> Self {
        Source::Text {
            files: vec![NamePattern::new(prefix, suffix)],
            layout,
        }
    }

    /// Parquet files `<prefix>*.parquet` (any case).
    pub fn parquet(prefix: &'static str) -> Self {
        Source::Parquet {
            files: vec![NamePattern::new(prefix, ".parquet")],
        }
    }

    /// Workbooks `<prefix>*.xlsx` (any case), the given sheets of each.
    pub fn workbook(prefix: &'static str, sheets: SheetSelection) -> Self {
        Source::Workbook {
            files: vec![NamePattern::new(prefix, ".xlsx")],
            sheets,
        }
    }

    /// The file names this source reads.
    pub fn files(&self) -> &[NamePattern] {
        match self {
            Source::Text { files, .. }
            | Source::Parquet { files }
            | Source::Workbook { files, .. }
            | Source::Custom { files, .. } => files,
        }
    }

    /// The names as a person reads them: `a*.csv, b*.csv or c*.csv`.
    pub fn names(&self) -> String {
        listed(self.files())
    }

    /// Reads `files` of this source as `schema`'s raw text columns: one frame per
    /// file, in order (one for all of them from a custom reader), each with its rows
    /// narrowed as `narrowing` says, which a delimited file gives more cheaply
    /// (elsewhere it is the same frame).
    fn read(
        &self,
        files: &[PathBuf],
        dir: &Path,
        schema: &TableSchema,
        reading: &Reading,
        narrowing: &Narrowing,
    ) -> Result<Vec<(LazyFrame, LazyFrame)>> {
        let columns = schema.column_names();
        let twice = |frame: LazyFrame| (frame.clone(), frame);
        match self {
            Source::Text { layout, .. } => {
                let layout = layout.with_encoding(reading.encoding);
                scan_side_by_side(files, &reading.notices, |index, file, notices| {
                    scan_one_narrowed(file, index, &columns, layout, notices, narrowing)
                })
            }
            Source::Parquet { .. } => Ok(vec![twice(scan_parquet_as_text(files, dir, &columns)?)]),
            Source::Workbook { sheets, .. } => {
                let read = |(index, file): (usize, &PathBuf)| -> Result<_> {
                    Ok(twice(read_sheets(file, &columns, index, *sheets)?.lazy()))
                };
                files.iter().enumerate().map(read).collect()
            }
            Source::Custom { read, .. } => Ok(vec![twice(read(files, reading)?)]),
        }
    }
}

/// `scan` of each of `files` (given its index and a place for its notices), the files
/// side by side on rayon's threads, one per core: a text file's first pass (its
/// checks and chunk plan) reads it whole, sequentially. The frames come back in file
/// order, and each file's notices reach `notices` in file order too, whatever file
/// finished first.
///
/// # Errors
/// The first file's error, in file order.
fn scan_side_by_side<T: Send>(
    files: &[PathBuf],
    notices: &Notices,
    scan: impl Fn(usize, &Path, &Notices) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let scanned: Vec<(Result<T>, Notices)> = files
        .par_iter()
        .enumerate()
        .map(|(index, file)| {
            let own = Notices::default();
            (scan(index, file, &own), own)
        })
        .collect();
    scanned
        .into_iter()
        .map(|(frame, own)| {
            own.all()
                .into_iter()
                .for_each(|notice| notices.push(notice));
            frame
        })
        .collect()
}

/// `a, b or c`.
fn listed(patterns: &[NamePattern]) -> String {
    let names: Vec<String> = patterns.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [rest @ .., last] if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The raw rows of a table's files, in order: the frames of
/// [`RawTable::scan_parts`] as one.
///
/// # Errors
/// When the frames' columns differ (Polars error).
pub fn union(parts: Vec<LazyFrame>) -> Result<LazyFrame> {
    let union = UnionArgs {
        parallel: false,
        ..Default::default()
    };
    concat(parts, union).context("cannot combine the raw files")
}

/// A raw input table: its schema and its sources, in order of preference.
#[derive(Clone, Debug)]
pub struct RawTable {
    pub schema: TableSchema,
    pub sources: Vec<Source>,
}

impl RawTable {
    /// A table stored in one of `sources`, the first with files winning.
    pub fn new(schema: TableSchema, sources: Vec<Source>) -> Self {
        RawTable { schema, sources }
    }

    /// Every file name the table is read from, in order of preference, for captions:
    /// `reference*.csv or reference*.parquet`.
    pub fn file_names(&self) -> String {
        let all: Vec<NamePattern> = self
            .sources
            .iter()
            .flat_map(|s| s.files().iter().copied())
            .collect();
        listed(&all)
    }

    /// Scans the table's files in `dir` as raw text columns ready for
    /// [`crate::schema::validate`]: those of the first source with files, text
    /// decoded as `reading` says. Files of the later sources are ignored, each with a
    /// notice in `reading.notices`.
    ///
    /// # Errors
    /// When no source has files (the message lists the names accepted and those in
    /// the folder), or a file cannot be read; the message names the table.
    pub fn scan(&self, dir: &Path, reading: &Reading) -> Result<LazyFrame> {
        union(self.scan_parts(dir, reading)?)
    }

    /// [`RawTable::scan`] as one frame per file (one for all files of a custom
    /// reader), in order, for work that looks at each file on its own (see
    /// [`super::dates::resolve_day_month`]); [`union`] joins them.
    ///
    /// # Errors
    /// As [`RawTable::scan`].
    pub fn scan_parts(&self, dir: &Path, reading: &Reading) -> Result<Vec<LazyFrame>> {
        Ok(self
            .scan_parts_narrowed(dir, reading, &Narrowing::default())?
            .0)
    }

    /// [`RawTable::scan_parts`], and the same frames narrowed as `narrowing` says (the
    /// text of some columns only, the others null; some lines left out), which
    /// delimited files give without building the rest: for a query that reads a few
    /// columns before the whole table is read, such as the day/month decision. Each
    /// file is planned once for both.
    ///
    /// # Errors
    /// As [`RawTable::scan_parts`].
    pub fn scan_parts_narrowed(
        &self,
        dir: &Path,
        reading: &Reading,
        narrowing: &Narrowing,
    ) -> Result<(Vec<LazyFrame>, Vec<LazyFrame>)> {
        let parts = self
            .scan_found(dir, reading, narrowing)
            .with_context(|| format!("cannot read the raw table `{}`", self.schema.name))?;
        Ok(parts.into_iter().unzip())
    }

    fn scan_found(
        &self,
        dir: &Path,
        reading: &Reading,
        narrowing: &Narrowing,
    ) -> Result<Vec<(LazyFrame, LazyFrame)>> {
        let (chosen, files) = self.found(dir)?;
        let source = &self.sources[chosen];
        for later in &self.sources[chosen + 1..] {
            for ignored in matching_files(dir, later.files())? {
                if !files.contains(&ignored) {
                    reading.notices.push(format!(
                        "{} was ignored: the {} files in the same folder are read instead",
                        ignored.display(),
                        source.names()
                    ));
                }
            }
        }
        source.read(&files, dir, &self.schema, reading, narrowing)
    }

    /// The total size of the table's files in `dir`: known before they are read, it
    /// lets a pipeline plan passes over a large table.
    ///
    /// # Errors
    /// As [`RawTable::scan`] when no file is found, or when a size cannot be read.
    pub fn size_bytes(&self, dir: &Path) -> Result<u64> {
        let (_, files) = self
            .found(dir)
            .with_context(|| format!("cannot read the raw table `{}`", self.schema.name))?;
        total_bytes(files.iter().map(PathBuf::as_path))
    }

    /// The first source with files in `dir`, and those files in name order.
    ///
    /// # Errors
    /// When the folder cannot be read or no source has files: the message lists every
    /// name accepted and the names in the folder.
    pub fn found(&self, dir: &Path) -> Result<(usize, Vec<PathBuf>)> {
        for (index, source) in self.sources.iter().enumerate() {
            let files = matching_files(dir, source.files())?;
            if !files.is_empty() {
                return Ok((index, files));
            }
        }
        let accepted: Vec<NamePattern> = self
            .sources
            .iter()
            .flat_map(|s| s.files().iter().copied())
            .collect();
        Err(no_file_matching(dir, &accepted))
    }
}

/// The first of `files` whose Parquet data does not read, as an error naming it; `None`
/// when every file reads. For the error path of a query over Parquet inputs: the
/// footers are checked before it runs ([`scan_parquet_as_text`]), but a data page
/// that does not decode fails the query, whose error names only its output. Reads
/// each file whole, one at a time.
pub fn first_unreadable_parquet(files: &[PathBuf]) -> Option<anyhow::Error> {
    files.iter().find_map(|file| {
        let read = std::fs::File::open(file)
            .map_err(anyhow::Error::from)
            .and_then(|opened| Ok(ParquetReader::new(opened).finish()?));
        read.err().map(|error| {
            error.context(format!(
                "{} does not read as Parquet: its data is damaged (its footer reads)",
                file.display()
            ))
        })
    })
}

/// For `error` of a query over the Parquet `files`: the error of the first file that
/// does not read ([`first_unreadable_parquet`]), which names the input where the
/// query's names its output; `error` itself when every file reads.
pub fn naming_unreadable_parquet(error: anyhow::Error, files: &[PathBuf]) -> anyhow::Error {
    first_unreadable_parquet(files).unwrap_or(error)
}

/// Scans Parquet files (in the given order) as text columns, with the same position
/// columns as delimited text: `source_file` is the path relative to `root`, `line`
/// the 1-based row in the file.
///
/// # Errors
/// When a file is not Parquet (its footer does not read: empty, cut short, or other
/// data under a `.parquet` name) or lacks a declared column; the message names the
/// file. Each file's footer is read here, before any query runs, so that the error
/// is not reported as one of the query's writes.
pub fn scan_parquet_as_text(files: &[PathBuf], root: &Path, columns: &[&str]) -> Result<LazyFrame> {
    let mut parts = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let schema = super::sink::scan_parquet(file)?
            .collect_schema()
            .with_context(|| format!("cannot read {} as Parquet", file.display()))?;
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|column| schema.get(column).is_none())
            .collect();
        if !missing.is_empty() {
            let found: Vec<&str> = schema.iter_names().map(|name| name.as_str()).collect();
            bail!(
                "{} has no column {} (its columns: {}). Consider writing the table with \
                 the columns {}",
                file.display(),
                missing.join(", "),
                found.join(", "),
                columns.join(", ")
            );
        }
        let name = file
            .strip_prefix(root)
            .map(|relative| relative.to_string_lossy().to_string())
            .unwrap_or_else(|_| file.display().to_string());
        let mut exprs = vec![lit(name).alias(SOURCE_FILE), col(LINE)];
        exprs.extend(columns.iter().map(|c| col(*c).cast(DataType::String)));
        exprs.push(lit(NULL).cast(DataType::String).alias(LAYOUT_ERROR));
        exprs.push(crate::schema::row_nr(index));
        let scan = super::sink::scan_parquet(file)?
            .with_row_index(LINE, Some(1))
            .select(exprs);
        parts.push(scan);
    }
    let union = UnionArgs {
        parallel: false,
        ..Default::default()
    };
    Ok(concat(parts, union)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table() -> RawTable {
        RawTable::new(
            TableSchema::new(
                "sales",
                vec![Column::text("region"), Column::text("amount")],
            ),
            vec![
                Source::text("sales", ".csv", TextLayout::CSV_WITH_HEADER),
                Source::text("sales", ".txt", TextLayout::PIPE_NO_HEADER),
            ],
        )
    }

    /// Files scanned side by side come back in file order with their notices in file
    /// order, however the threads finish (the earlier files here finish last), and the
    /// first failing file's error is the one returned.
    #[test]
    fn files_scanned_side_by_side_keep_file_order() -> Result<()> {
        let files: Vec<PathBuf> = (0..5).map(|i| PathBuf::from(format!("f{i}.csv"))).collect();
        let scan = |failing: Option<usize>| {
            let notices = Notices::default();
            let frames = scan_side_by_side(&files, &notices, |index, file, own| {
                std::thread::sleep(std::time::Duration::from_millis(10 * (5 - index as u64)));
                own.push(format!("{} read", file.display()));
                if failing.is_some_and(|failing| index >= failing) {
                    anyhow::bail!("{} is broken", file.display());
                }
                Ok(polars::df!("file" => [index as u32])?.lazy())
            });
            (frames, notices.all())
        };
        let (frames, notices) = scan(None);
        let order = frames?
            .into_iter()
            .map(|frame| Ok(crate::values::u64s(&frame.collect()?, "file", 0)?[0]))
            .collect::<Result<Vec<_>>>()?;
        assert_eq!(order, [0, 1, 2, 3, 4]);
        let expected: Vec<String> = (0..5).map(|i| format!("f{i}.csv read")).collect();
        assert_eq!(notices, expected);

        let (frames, notices) = scan(Some(2));
        let error = frames.err().context("broken files must fail the scan")?;
        assert_eq!(error.to_string(), "f2.csv is broken");
        assert_eq!(notices, expected[..3]);
        Ok(())
    }

    #[test]
    fn the_first_source_with_files_wins_and_the_others_are_named() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("SALES_2.TXT"), "south|2\n")?;
        let reading = Reading::default();
        let only_text = table().scan(dir.path(), &reading)?.collect()?;
        assert_eq!(crate::values::texts(&only_text, "region", "")?, ["south"]);
        assert!(reading.notices.all().is_empty());

        std::fs::write(dir.path().join("sales_1.csv"), "region,amount\nnorth,1\n")?;
        let reading = Reading::default();
        let csv = table().scan(dir.path(), &reading)?.collect()?;
        assert_eq!(crate::values::texts(&csv, "region", "")?, ["north"]);
        let notices = reading.notices.all();
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].ends_with(
                "SALES_2.TXT was ignored: the sales*.csv files in the same folder are read instead"
            ),
            "{notices:?}"
        );
        assert_eq!(table().file_names(), "sales*.csv or sales*.txt");
        Ok(())
    }

    #[test]
    fn no_source_with_files_is_an_error_listing_every_name_accepted() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("other.csv"), "x\n")?;
        let error = table()
            .scan(dir.path(), &Reading::default())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            error.starts_with(
                "cannot read the raw table `sales`: no file matching sales*.csv or sales*.txt in"
            ) && error.contains("other.csv"),
            "{error}"
        );
        Ok(())
    }

    /// A Parquet input cut short, empty, of other data, or without a declared column
    /// is an error naming the file before anything is read; a good one scans.
    #[test]
    fn a_bad_parquet_input_is_an_error_naming_the_file() -> Result<()> {
        use polars::prelude::{df, ParquetWriter};
        let dir = tempfile::tempdir()?;
        let good = dir.path().join("good.parquet");
        let mut frame = df!("region" => ["north"], "amount" => ["1"])?;
        ParquetWriter::new(std::fs::File::create(&good)?).finish(&mut frame)?;
        let bytes = std::fs::read(&good)?;
        let cut = dir.path().join("cut.parquet");
        std::fs::write(&cut, &bytes[..bytes.len() - 10])?;
        let empty = dir.path().join("empty.parquet");
        std::fs::write(&empty, b"")?;
        let text = dir.path().join("text.parquet");
        std::fs::write(&text, b"region,amount\nnorth,1\n")?;
        let columns = ["region", "amount", "keyword"];
        for file in [&cut, &empty, &text] {
            let error =
                scan_parquet_as_text(&[good.clone(), file.clone()], dir.path(), &columns[..2])
                    .err()
                    .map(|e| format!("{e:#}"))
                    .unwrap_or_default();
            assert!(
                error.starts_with(&format!("cannot read {} as Parquet", file.display())),
                "{error}"
            );
        }
        let error = scan_parquet_as_text(&[good.clone()], dir.path(), &columns)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            error.starts_with(&format!(
                "{} has no column keyword (its columns: region, amount)",
                good.display()
            )),
            "{error}"
        );
        let rows = scan_parquet_as_text(&[good], dir.path(), &columns[..2])?.collect()?;
        assert_eq!(rows.height(), 1);
        Ok(())
    }

    /// A Parquet input whose footer reads but whose data pages are damaged passes the
    /// scan and fails the query; the query's error is then replaced by one naming the
    /// input, and an error over inputs that all read is kept as it is.
    #[test]
    fn damaged_parquet_data_is_named_after_the_query_fails() -> Result<()> {
        use polars::prelude::{df, ParquetCompression, ParquetWriter};
        let dir = tempfile::tempdir()?;
        let good = dir.path().join("good.parquet");
        let damaged = dir.path().join("damaged.parquet");
        let keywords: Vec<String> = (0..2_000).map(|i| format!("keyword {i}")).collect();
        for file in [&good, &damaged] {
            let mut frame = df!("keyword" => keywords.clone())?;
            ParquetWriter::new(std::fs::File::create(file)?)
                .with_compression(ParquetCompression::Uncompressed)
                .finish(&mut frame)?;
        }
        // The page headers and values after the leading `PAR1`; the footer stays.
        let mut bytes = std::fs::read(&damaged)?;
        bytes[4..200].fill(0xAB);
        std::fs::write(&damaged, &bytes)?;
        let files = [good.clone(), damaged.clone()];
        let query = scan_parquet_as_text(&files, dir.path(), &["keyword"])?.collect();
        assert!(query.is_err(), "the damaged pages should fail the query");
        assert!(first_unreadable_parquet(&[good.clone()]).is_none());
        let named = naming_unreadable_parquet(anyhow::anyhow!("writing staging"), &files);
        assert!(
            format!("{named:#}").starts_with(&format!(
                "{} does not read as Parquet: its data is damaged",
                damaged.display()
            )),
            "{named:#}"
        );
        let kept = naming_unreadable_parquet(anyhow::anyhow!("writing staging"), &[good]);
        assert_eq!(format!("{kept:#}"), "writing staging");
        Ok(())
    }
}

//! Declared table schemas and their validation.
//!
//! A [`TableSchema`] is declared once per raw table: column names in file order, the
//! type each column is parsed to, how its text is prepared first ([`Prepare`]),
//! whether it is required, and value checks (allowed values, regex, numeric range). A
//! timestamp column may read day and month in an order decided per file
//! ([`Column::day_month`], [`DateOrder`]). The same declaration drives reading (column
//! order of headerless files, expected header of headed ones), validation and the
//! report's data dictionary.
//!
//! [`validate`] works lazily on a frame of raw text columns (as produced by
//! [`crate::io::delimited`]) and splits it into the typed valid rows and a quarantine
//! frame holding each failing row's raw values, its source file and line, and the
//! first rule it failed. Rule names are stable and flat, in the style
//! `column|rule`:
//!
//! | rule | fails when | a null (empty field) |
//! |---|---|---|
//! | `layout|column_count` | the line has more or fewer fields than declared | – |
//! | `layout|invalid_utf8` | the line holds bytes that are not UTF-8 | – |
//! | `layout|invalid_encoding` | the line does not decode in the named encoding | – |
//! | `layout|quoting` | a quoted field is left open or closed before other text | – |
//! | `layout|invalid_json` | an NDJSON line is not a JSON value | – |
//! | `<col>|required` | a required column is empty or whitespace only | fails |
//! | `<col>|dtype` | the text does not parse as the declared type | passes |
//! | `<col>|one_of` | the value is not among the allowed values | passes |
//! | `<col>|none_of` | the value is one of the excluded values | passes |
//! | `<col>|regex` | the value does not match the pattern | passes |
//! | `<col>|range` | the parsed number lies outside `[min, max]` | passes |
//! | `<col>|lookup` | the value is not among another table's keys ([`Rule::lookup`]) | passes |
//! | `<col>|duplicate` | the value of the table's unique key ([`TableSchema::unique_key`]) is on an earlier row | passes |
//!
//! A row is checked against the rules in declaration order and quarantined under the
//! first rule it fails, so every raw row is counted exactly once:
//! `rows_in = rows_valid + rows_quarantined`.

use polars::prelude::*;

use crate::fast::{matches_regex, strip_whitespace, trim_to_null};
use crate::transforms::text::ascii_digits;

/// Column holding the quarantine reason (the failed rule's name).
pub const REASON: &str = "reason";
/// Column holding the source file's name of a raw row.
pub const SOURCE_FILE: &str = "source_file";
/// Column holding the 1-based line of a raw row in its source file.
pub const LINE: &str = "line";
/// Column ordering a table's raw rows across its files, in file-name order, then
/// line; "first" in the rules always means the smallest `row_nr`.
pub const ROW_NR: &str = "row_nr";
/// The `row_nr` of line `line` of the table's file number `file_index` (in file-name
/// order): the file in the high 32 bits, the line in the low ones, so that rows sort
/// as they stand in the files without a global row count (which would make the
/// streaming engine hold rows back). A workbook's sheets count as files.
pub fn row_nr_value(file_index: usize, line: u64) -> u64 {
    ((file_index as u64) << 32) + line
}

/// [`row_nr_value`] as an expression over the `line` column.
pub fn row_nr(file_index: usize) -> Expr {
    (lit(row_nr_value(file_index, 0)) + col(LINE).cast(DataType::UInt64)).alias(ROW_NR)
}

/// Column set by the reader when a line is malformed as a whole (see the module docs).
pub const LAYOUT_ERROR: &str = "__layout_error";

/// The layout rule of a line with more or fewer fields than declared.
pub const COLUMN_COUNT: &str = "layout|column_count";
/// The layout rule of a line holding bytes that are not UTF-8.
pub const INVALID_UTF8: &str = "layout|invalid_utf8";
/// The layout rule of a line that does not decode in the encoding named for its file.
pub const INVALID_ENCODING: &str = "layout|invalid_encoding";
/// The layout rule of a delimited record whose quotes are not well formed: a quoted
/// field left open (it runs into the next lines) or closed before other text.
pub const MALFORMED_QUOTES: &str = "layout|quoting";
/// The layout rule of an NDJSON line that is not a JSON value.
pub const INVALID_JSON: &str = "layout|invalid_json";

/// The order of day and month in a date written with both as numbers, such as
/// `05/12/2010`: 5 December in the UK (`dmy`), May 12 in the US (`mdy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// Day first (`dd/MM/yyyy`).
    Dmy,
    /// Month first (`MM/dd/yyyy`).
    Mdy,
}

impl DateOrder {
    /// The command line's name: `dmy` or `mdy`.
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::Dmy => "dmy",
            DateOrder::Mdy => "mdy",
        }
    }

    /// `format` written in this order, when it is declared month-first: `%m` and `%d`
    /// swap places for [`DateOrder::Dmy`]. Year-first formats (`%Y-%m-%d`) are never
    /// read day-first and stay as they are.
    pub fn format(self, format: &str) -> String {
        if self == DateOrder::Mdy || format.starts_with("%Y") {
            return format.to_string();
        }
        format
            .replace("%m", "\u{0}")
            .replace("%d", "%m")
            .replace('\u{0}', "%d")
    }
}

/// How a multi-layout timestamp column reads day and month: in the declared default
/// order, except in the files listed, which are read in the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayMonthOrder {
    /// The order of the spec, used where nothing decides.
    pub default: DateOrder,
    /// `source_file` names of the files read in the other order.
    pub other_order_files: Vec<String>,
    /// The value that decided each file's order: file, line, value and the order.
    pub decided_by: Vec<(String, u64, String, DateOrder)>,
}

impl DayMonthOrder {
    /// The order other than the default.
    pub fn other(&self) -> DateOrder {
        match self.default {
            DateOrder::Dmy => DateOrder::Mdy,
            DateOrder::Mdy => DateOrder::Dmy,
        }
    }
}

/// The type a raw text column is parsed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Kept as text.
    Text,
    /// A whole number (surrounding spaces allowed).
    Int,
    /// A floating-point number (surrounding spaces allowed).
    Float,
    /// A calendar date in the given `strftime` format, for example `%Y%m%d`.
    Date(&'static str),
    /// A timestamp (microseconds, no time zone) in the first of these `strftime`
    /// formats that parses it, for example `%Y-%m-%d %H:%M:%S` or `%m/%d/%Y %H:%M`.
    Datetime(&'static [&'static str]),
    /// A time of day written as the integer `HHmmss`, leading zeros optional
    /// (`93015` is 09:30:15); parsed to that integer.
    TimeHms,
    /// An ISO 8601 timestamp (microseconds, no time zone): `yyyy-MM-dd`, optionally
    /// followed by ` HH:mm:ss` and a fraction of a second (dropped). Impossible dates
    /// (`2022-02-30`) do not parse.
    IsoTimestamp,
}

impl ColumnType {
    /// A short human name for data dictionaries.
    pub fn describe(self) -> String {
        match self {
            ColumnType::Text => "text".into(),
            ColumnType::Int => "integer".into(),
            ColumnType::Float => "float".into(),
            ColumnType::Date(fmt) => format!("date ({fmt})"),
            ColumnType::Datetime(formats) => format!("timestamp ({})", formats.join(" or ")),
            ColumnType::TimeHms => "time HHmmss (integer)".into(),
            ColumnType::IsoTimestamp => "timestamp (yyyy-MM-dd[ HH:mm:ss[.fff]])".into(),
        }
    }
}

/// How a column's raw text is prepared before it is checked and parsed: declared
/// with the column, so that its checks, its parsed value and the valid table all see
/// the prepared text (the quarantine keeps the raw text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepare {
    /// Surrounding whitespace removed; text left empty becomes null.
    Trim,
    /// Arabic-Indic and Persian digits mapped to ASCII `0`–`9`.
    AsciiDigits,
    /// A number written with its unit after it (`105 min`) loses the unit: the
    /// text before it, trimmed. A value without the unit is kept as it is.
    Unit(&'static str),
    /// Thousands written with group separators (`1,234,567`) lose them; other text
    /// (`1,2`) is kept as it is, to fail the number's check.
    NoThousandsSeparators,
    /// A source's marker for a missing value (FRED writes `.`) becomes null.
    Missing(&'static str),
    /// Letters in lower case, so that a list check accepts any case (`True`, `TRUE`).
    Lowercase,
}

impl Prepare {
    fn apply(self, text: Expr) -> Expr {
        match self {
            Prepare::Trim => trim_to_null(text),
            Prepare::AsciiDigits => ascii_digits(text),
            Prepare::Unit(unit) => {
                let trimmed = strip_whitespace(text);
                let number = trimmed.clone().str().strip_suffix(lit(unit));
                when(trimmed.clone().str().ends_with(lit(unit)))
                    .then(strip_whitespace(number))
                    .otherwise(trimmed)
            }
            Prepare::Missing(marker) => when(text.clone().eq(lit(marker)))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(text),
            Prepare::Lowercase => text.str().to_lowercase(),
            Prepare::NoThousandsSeparators => {
                let grouped = matches_regex(text.clone(), r"^[0-9]{1,3}(,[0-9]{3})+$");
                when(grouped.fill_null(lit(false)))
                    .then(text.clone().str().replace_all(lit(","), lit(""), true))
                    .otherwise(text)
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Prepare::Trim => "trimmed (empty → null)",
            Prepare::AsciiDigits => "Arabic-Indic and Persian digits read as 0–9",
            Prepare::Unit(_) => "its unit after the number dropped",
            Prepare::NoThousandsSeparators => "thousands separators (1,234) dropped",
            Prepare::Missing(_) => "the source's missing-value marker read as null",
            Prepare::Lowercase => "read in lower case",
        }
    }
}

/// One validation rule: its stable `column|rule` name and the expression that is true
/// on the rows failing it.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub fails: Expr,
}

impl Rule {
    /// `<column>|lookup`: the raw text of `column` is not among `keys` (the keys of
    /// another table, known at run time); a null value passes.
    pub fn lookup(column: &str, keys: Series) -> Self {
        Rule {
            name: format!("{column}|lookup"),
            fails: col(column).is_in(lit(keys).implode(false), false).not(),
        }
    }
}

/// A value check on a column; a null value always passes it.
#[derive(Clone, Debug)]
pub enum Check {
    /// The raw text is one of these values.
    OneOf(Vec<&'static str>),
    /// The raw text is none of these values (placeholders such as `0`).
    NoneOf(Vec<&'static str>),
    /// The raw text matches this regular expression.
    Regex(&'static str),
    /// The parsed number lies in `[min, max]` (NaN never does).
    Range { min: f64, max: f64 },
    /// The parsed date or timestamp's year lies in `[min, max]`: a plausible range,
    /// so that a year 0, 9999 or BC (`-20151202`) is quarantined instead of read.
    Years { min: i32, max: i32 },
}

/// The years a date or timestamp column accepts unless it declares others
/// ([`Column::years`]).
pub const PLAUSIBLE_YEARS: (i32, i32) = (1900, 2100);

impl Check {
    fn rule_suffix(&self) -> &'static str {
        match self {
            Check::OneOf(_) => "one_of",
            Check::NoneOf(_) => "none_of",
            Check::Regex(_) => "regex",
            Check::Range { .. } | Check::Years { .. } => "range",
        }
    }

    fn describe(&self) -> String {
        match self {
            Check::OneOf(values) => format!("one of {}", values.join(", ")),
            Check::NoneOf(values) => format!("none of {}", values.join(", ")),
            Check::Regex(pattern) => format!("matches `{pattern}`"),
            Check::Range { min, max } if *min == -f64::MAX && *max == f64::MAX => {
                "finite".to_string()
            }
            Check::Range { min, max } => format!("in [{min}, {max}]"),
            Check::Years { min, max } => format!("years {min}–{max}"),
        }
    }
}

/// One declared column.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
    pub checks: Vec<Check>,
    /// For a [`ColumnType::Datetime`] whose formats put the month before the day
    /// (`%m/%d/%Y`): the order decided per file (see [`Column::day_month`]).
    pub day_month: Option<DayMonthOrder>,
    /// How the raw text is prepared before the rules, in order.
    pub prepare: Vec<Prepare>,
    /// Whether the valid table keeps the text as written (the rules still see it
    /// prepared): see [`Column::checked_prepared`].
    pub keep_written: bool,
    /// Whether a value failing its dtype or value checks is read as null instead of
    /// quarantining the row: see [`Column::null_when_invalid`].
    pub null_when_invalid: bool,
}

impl Column {
    /// A nullable column of the given type with no checks but, for a date or
    /// timestamp, the [`PLAUSIBLE_YEARS`]. A column of any type but text is
    /// [`Prepare::Trim`]med first, as Spark's casts trim: whitespace around a number,
    /// date or time is not part of it, and a whitespace-only value is a missing one
    /// (null: `required` fails, the value checks pass).
    pub fn new(name: &'static str, ty: ColumnType) -> Self {
        let temporal = matches!(
            ty,
            ColumnType::Date(_) | ColumnType::Datetime(_) | ColumnType::IsoTimestamp
        );
        let (min, max) = PLAUSIBLE_YEARS;
        Column {
            name,
            ty,
            required: false,
            checks: if temporal {
                vec![Check::Years { min, max }]
            } else {
                Vec::new()
            },
            day_month: None,
            prepare: if ty == ColumnType::Text {
                Vec::new()
            } else {
                vec![Prepare::Trim]
            },
            keep_written: false,
            null_when_invalid: false,
        }
    }

    /// Adds a preparation step (see [`Prepare`]), applied before every rule. A step
    /// that repeats the one before it is not applied twice.
    pub fn prepared(mut self, step: Prepare) -> Self {
        if self.prepare.last() != Some(&step) {
            self.prepare.push(step);
        }
        self
    }

    /// Adds a preparation step for the rules only: they see the prepared text (a
    /// whitespace-only id is empty for `required`), the valid table keeps the text as
    /// written. For a text column.
    pub fn checked_prepared(mut self, step: Prepare) -> Self {
        self.prepare.push(step);
        self.keep_written = true;
        self
    }

    /// The text the rules see: the raw column, prepared when the column says so.
    fn value(&self) -> Expr {
        if self.prepare.is_empty() {
            col(self.name)
        } else {
            col(prepared_name(self.name))
        }
    }

    /// The value the checks compare: the parsed twin of a typed column, the
    /// prepared text of a text one.
    fn checked_value(&self) -> Expr {
        if self.ty == ColumnType::Text {
            self.value()
        } else {
            col(parsed_name(self.name))
        }
    }

    /// The prepared text, computed once per row as `__prepared_<col>`.
    fn prepared_text(&self) -> Option<Expr> {
        (!self.prepare.is_empty()).then(|| {
            self.prepare
                .iter()
                .fold(col(self.name), |text, step| step.apply(text))
                .alias(prepared_name(self.name))
        })
    }

    /// A nullable text column.
    pub fn text(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// Marks the column as required: an empty or whitespace-only value fails
    /// `<col>|required`.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Reads a value that fails the column's dtype or value checks as null, keeping
    /// its row, as Spark's permissive reads and `TRY_CAST` do, for an optional field
    /// whose row is worth more than the field. The values nulled are counted per rule
    /// ([`Validation::nulled`]) and the run says so; `required` still quarantines.
    pub fn null_when_invalid(mut self) -> Self {
        self.null_when_invalid = true;
        self
    }

    /// Adds an allowed-values check.
    pub fn one_of(mut self, values: &[&'static str]) -> Self {
        self.checks.push(Check::OneOf(values.to_vec()));
        self
    }

    /// Adds a check that the raw text is none of `values`.
    pub fn none_of(mut self, values: &[&'static str]) -> Self {
        self.checks.push(Check::NoneOf(values.to_vec()));
        self
    }

    /// Adds a regex check on the raw text.
    pub fn regex(mut self, pattern: &'static str) -> Self {
        self.checks.push(Check::Regex(pattern));
        self
    }

    /// Declares a timestamp column whose month-first formats (`%m/%d/%Y %H:%M`) may
    /// be written day-first in some files: each file is read in one order, decided
    /// from its values before validation, `default` where nothing decides.
    pub fn day_month(mut self, default: DateOrder) -> Self {
        self.day_month = Some(DayMonthOrder {
            default,
            other_order_files: Vec::new(),
            decided_by: Vec::new(),
        });
        self
    }

    /// Adds a numeric range check on the parsed value: outside `[min, max]`, or NaN,
    /// fails `<col>|range`.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.checks.push(Check::Range { min, max });
        self
    }

    /// Adds a check that the parsed number is finite (not ±inf or NaN), for a value
    /// with no narrower plausible range.
    pub fn finite(self) -> Self {
        self.range(-f64::MAX, f64::MAX)
    }

    /// The years a date or timestamp column accepts, instead of [`PLAUSIBLE_YEARS`].
    pub fn years(mut self, min: i32, max: i32) -> Self {
        self.checks
            .retain(|check| !matches!(check, Check::Years { .. }));
        self.checks.push(Check::Years { min, max });
        self
    }

    /// The names of the rules that quarantine a row of this column, in the order
    /// they are checked.
    pub fn rule_names(&self) -> Vec<String> {
        self.quarantining_rules()
            .into_iter()
            .map(|rule| rule.name)
            .collect()
    }

    /// The rules whose failure quarantines the row: every rule, or only `required` for
    /// a column read [`Column::null_when_invalid`].
    fn quarantining_rules(&self) -> Vec<Rule> {
        let mut rules = self.rules();
        if self.null_when_invalid {
            rules.retain(|rule| rule.name.ends_with("|required"));
        }
        rules
    }

    /// The rules whose failure nulls the value instead (see
    /// [`Column::null_when_invalid`]); none for other columns.
    fn nulling_rules(&self) -> Vec<Rule> {
        let mut rules = if self.null_when_invalid {
            self.rules()
        } else {
            Vec::new()
        };
        rules.retain(|rule| !rule.name.ends_with("|required"));
        rules
    }

    /// The rules this column contributes, in the order they are checked: each rule's
    /// `column|rule` name and the expression true on the rows that fail it (over the
    /// raw text column and its parsed twin `__parsed_<col>`).
    pub fn rules(&self) -> Vec<Rule> {
        let raw = self.value();
        let parsed = col(parsed_name(self.name));
        let rule = |suffix: &str, fails: Expr| Rule {
            name: format!("{}|{suffix}", self.name),
            fails,
        };
        let mut rules = Vec::new();
        if self.required {
            // Blank is missing: a typed value is trimmed already, a text value is
            // checked trimmed (and kept as written).
            let missing = if self.ty == ColumnType::Text && !self.prepare.contains(&Prepare::Trim) {
                trim_to_null(raw.clone()).is_null()
            } else {
                raw.clone().is_null()
            };
            rules.push(rule("required", missing));
        }
        if self.ty != ColumnType::Text {
            rules.push(rule(
                "dtype",
                raw.clone().is_not_null().and(parsed.clone().is_null()),
            ));
        }
        for check in &self.checks {
            let fails = match check {
                Check::OneOf(values) => {
                    let allowed = Series::new("allowed".into(), values.as_slice());
                    raw.clone().is_in(lit(allowed).implode(false), false).not()
                }
                Check::NoneOf(values) => {
                    let excluded = Series::new("excluded".into(), values.as_slice());
                    raw.clone().is_in(lit(excluded).implode(false), false)
                }
                Check::Regex(pattern) => matches_regex(raw.clone(), pattern).not(),
                Check::Range { min, max } => {
                    let number = if self.ty == ColumnType::Text {
                        raw.clone()
                    } else {
                        parsed.clone()
                    };
                    let value = number.cast(DataType::Float64);
                    let outside = value.clone().lt(lit(*min)).or(value.clone().gt(lit(*max)));
                    outside.or(value.is_nan())
                }
                Check::Years { min, max } => {
                    // Against the years' first days rather than each value's year:
                    // comparisons of integers, without per-row calendar work.
                    let day = parsed.clone().cast(DataType::Date);
                    let before = first_day(*min).map_or(lit(false), |first| day.clone().lt(first));
                    let after =
                        first_day(max.saturating_add(1)).map_or(lit(false), |end| day.gt_eq(end));
                    before.or(after)
                }
            };
            // A null value passes every value check.
            rules.push(rule(check.rule_suffix(), fails.fill_null(lit(false))));
        }
        rules
    }

    /// One line for a data dictionary: type, null rule and checks.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.ty.describe()];
        let checked_only = if self.keep_written {
            " for the checks"
        } else {
            ""
        };
        parts.extend(
            self.prepare
                .iter()
                .map(|step| format!("{}{checked_only}", step.describe())),
        );
        parts.push(if self.required {
            "required".into()
        } else {
            "nullable".into()
        });
        if let Some(order) = &self.day_month {
            parts.push(format!(
                "day/month order decided per file ({} where nothing decides)",
                order.default.name()
            ));
        }
        parts.extend(self.checks.iter().map(Check::describe));
        if self.null_when_invalid {
            parts.push("a value failing these is read as null (counted)".into());
        }
        parts.join("; ")
    }

    /// The parsed value of the prepared (for a typed column, at least trimmed) text,
    /// null where it does not parse.
    fn parsed(&self) -> Expr {
        let raw = self.value();
        match self.ty {
            ColumnType::Text => raw,
            ColumnType::Int => raw.cast(DataType::Int64),
            ColumnType::Float => raw.cast(DataType::Float64),
            ColumnType::Date(format) => match digits_only_width(format) {
                // Without separators the widths must be exact: Polars' `strptime`
                // reads `2015121` as 2015-12-01 and `2015 12 3` as 2015-12-03.
                Some(width) => when(matches_regex(raw.clone(), &format!("^[0-9]{{{width}}}$")))
                    .then(parse_temporal(raw, DataType::Date, format))
                    .otherwise(lit(NULL).cast(DataType::Date)),
                None => parse_temporal(raw, DataType::Date, format),
            },
            ColumnType::Datetime(formats) => match &self.day_month {
                None => parse_datetime(raw, formats, DateOrder::Mdy),
                Some(order) if order.other_order_files.is_empty() => {
                    parse_datetime(raw, formats, order.default)
                }
                Some(order) => {
                    let files = Series::new("files".into(), order.other_order_files.clone());
                    when(col(SOURCE_FILE).is_in(lit(files).implode(false), false))
                        .then(parse_datetime(raw.clone(), formats, order.other()))
                        .otherwise(parse_datetime(raw, formats, order.default))
                }
            },
            ColumnType::TimeHms => parse_time_hms(raw),
            ColumnType::IsoTimestamp => parse_iso_timestamp(raw),
        }
    }
}

/// Parses text as a timestamp (microseconds) in the first of `formats`, read in
/// `order`, that parses it; null where none does. Each format is Polars' `strptime`
/// (exact, not strict), tried only on the values the formats before it left
/// unparsed, so a file in the second layout does not also pay for the first on
/// every row, nor a file in the first for the second. Equal consecutive texts (the
/// lines of one invoice) are parsed once.
///
/// `%Y` takes a year of any number of digits: a year before 1000 (`01/02/10 10:00`
/// read as the year 10) is taken for a two-digit year and does not parse. A second
/// of 60 (`23:59:60`, which the parser would carry into the next minute) does not
/// parse either.
pub fn parse_datetime(text: Expr, formats: &[&str], order: DateOrder) -> Expr {
    let formats: Vec<String> = formats.iter().map(|format| order.format(format)).collect();
    let name = format!("{PARSE_DATETIME}{}", formats.join(FORMAT_SEPARATOR));
    let mut parsed = text.map(
        move |texts| Ok(first_format_timestamps(texts.str()?, &formats)?.into_column()),
        |_, field| {
            Ok(Field::new(
                field.name().clone(),
                DataType::Datetime(TimeUnit::Microseconds, None),
            ))
        },
    );
    // Named, so that a plan's translation to another engine knows what it computes
    // (`remote::sql`).
    if let Expr::AnonymousFunction { fmt_str, .. } = &mut parsed {
        **fmt_str = PlSmallStr::from(name);
    }
    parsed
}

/// The plan name's prefix of [`parse_datetime`]'s kernel; the formats follow it,
/// joined by [`FORMAT_SEPARATOR`].
pub const PARSE_DATETIME: &str = "smartview.datetime:";
/// Between two formats in the plan name of [`parse_datetime`].
pub const FORMAT_SEPARATOR: &str = "\u{1f}";

/// The first year [`parse_datetime`] reads: 1000-01-01 00:00:00 in microseconds
/// since the Unix epoch (so that a year of four digits or more compares as one
/// integer, without working out each timestamp's year).
const FIRST_READ_TIMESTAMP_US: i64 = -30_610_224_000_000_000;

/// [`parse_datetime`] on one column of text.
fn first_format_timestamps(
    texts: &StringChunked,
    formats: &[String],
) -> PolarsResult<DatetimeChunked> {
    // Consecutive rows often share a timestamp (the lines of one invoice): each run of
    // equal texts is parsed once, unless runs are too short to pay for the gather.
    let (firsts, run_lengths) = runs_of_equal_texts(texts);
    let timestamps = if firsts.len() <= texts.len() / 2 {
        let firsts = IdxCa::from_vec(PlSmallStr::EMPTY, firsts);
        let parsed = timestamps_of_each(&texts.take(&firsts)?, formats)?;
        parsed
            .into_iter()
            .zip(run_lengths)
            .flat_map(|(value, length)| std::iter::repeat_n(value, length as usize))
            .collect()
    } else {
        timestamps_of_each(texts, formats)?
    };
    Ok(
        Int64Chunked::from_iter_options(texts.name().clone(), timestamps.into_iter())
            .into_datetime(TimeUnit::Microseconds, None),
    )
}

/// The runs of equal consecutive values of `texts` (nulls equal nulls): the row each
/// starts on, and its length.
fn runs_of_equal_texts(texts: &StringChunked) -> (Vec<IdxSize>, Vec<IdxSize>) {
    let (mut firsts, mut lengths): (Vec<IdxSize>, Vec<IdxSize>) = (Vec::new(), Vec::new());
    let mut previous: Option<Option<&str>> = None;
    for (row, text) in texts.iter().enumerate() {
        match lengths.last_mut() {
            Some(length) if previous == Some(text) => *length += 1,
            _ => {
                firsts.push(row as IdxSize);
                lengths.push(1);
                previous = Some(text);
            }
        }
    }
    (firsts, lengths)
}

/// [`first_format_timestamps`] of every value of `texts`, as microseconds.
fn timestamps_of_each(texts: &StringChunked, formats: &[String]) -> PolarsResult<Vec<Option<i64>>> {
    let ambiguous = StringChunked::from_slice(PlSmallStr::EMPTY, &["raise"]);
    let parse = |texts: &StringChunked, format: &str| {
        texts.as_datetime(
            Some(format),
            TimeUnit::Microseconds,
            true,
            false,
            None,
            &ambiguous,
        )
    };
    let Some((first, others)) = formats.split_first() else {
        return Ok(vec![None; texts.len()]);
    };
    let mut parsed: Vec<Option<i64>> = parse(texts, first)?.phys.iter().collect();
    for format in others {
        let pending: Vec<IdxSize> = parsed
            .iter()
            .zip(texts.iter())
            .enumerate()
            .filter(|(_, (value, text))| value.is_none() && text.is_some())
            .map(|(row, _)| row as IdxSize)
            .collect();
        if pending.is_empty() {
            break;
        }
        let pending = IdxCa::from_vec(PlSmallStr::EMPTY, pending);
        let retried = parse(&texts.take(&pending)?, format)?;
        for (row, value) in pending.into_no_null_iter().zip(retried.phys.iter()) {
            parsed[row as usize] = value;
        }
    }
    for (value, text) in parsed.iter_mut().zip(texts.iter()) {
        if value.is_some_and(|at| at < FIRST_READ_TIMESTAMP_US)
            || text.is_some_and(|text| text.contains(":60"))
        {
            *value = None;
        }
    }
    Ok(parsed)
}

/// 1 January of `year` as a `Date` literal (Polars' `lit` of a `NaiveDate` is a
/// timestamp, which a comparison with a date would cast the date to); `None` past
/// the calendar's range. A date, or a timestamp cast to its date, is in `year` or
/// later when it is on or after this day.
fn first_day(year: i32) -> Option<Expr> {
    let day = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?;
    let days = i32::try_from((day - chrono::NaiveDate::default()).num_days()).ok()?;
    Some(lit(Scalar::new(DataType::Date, AnyValue::Date(days))))
}

/// Whether a timestamp's text holds `:60`, a minute or second that no clock shows
/// (a leap second `23:59:60` included: SmartView's timestamps have none).
fn has_second_60(text: Expr) -> Expr {
    text.str()
        .contains_literal(lit(":60"))
        .fill_null(lit(false))
}

/// Parses text in one `strftime` format exactly; null where it does not parse.
/// The number of digits text in `format` has when the format is numeric fields only,
/// without separators (`%Y%m%d`: 8): each field's width is then fixed. `None` for
/// other formats, whose separators delimit the fields.
fn digits_only_width(format: &str) -> Option<usize> {
    let bytes = format.as_bytes();
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks(2)
        .map(|field| match field {
            [b'%', b'Y'] => Some(4),
            [b'%', b'm' | b'd' | b'H' | b'M' | b'S'] => Some(2),
            _ => None,
        })
        .sum()
}

fn parse_temporal(raw: Expr, to: DataType, format: &str) -> Expr {
    raw.str().strptime(
        to,
        StrptimeOptions {
            format: Some(format.into()),
            strict: false,
            exact: true,
            cache: true,
        },
        lit("raise"),
    )
}

/// The whole-value pattern of [`ColumnType::IsoTimestamp`].
const ISO_TIMESTAMP: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?$";

/// Parses [`ColumnType::IsoTimestamp`] text; null where it does not parse.
fn parse_iso_timestamp(raw: Expr) -> Expr {
    let datetime = DataType::Datetime(TimeUnit::Microseconds, None);
    let well_formed = raw.clone().str().contains(lit(ISO_TIMESTAMP), true);
    let whole_seconds = when(raw.clone().str().len_chars().eq(lit(10)))
        .then(concat_str([raw.clone(), lit(" 00:00:00")], "", false))
        .otherwise(raw.str().slice(lit(0), lit(19)));
    let readable = well_formed
        .fill_null(lit(false))
        .and(has_second_60(whole_seconds.clone()).not());
    when(readable)
        .then(parse_temporal(
            whole_seconds,
            datetime.clone(),
            "%Y-%m-%d %H:%M:%S",
        ))
        .otherwise(lit(NULL).cast(datetime))
}

/// Parses `HHmmss` text (leading zeros optional) to its integer, null when it is not a
/// valid time of day.
fn parse_time_hms(raw: Expr) -> Expr {
    // ASCII digits: the integer cast reads no others.
    let digits = matches_regex(raw.clone(), r"^[0-9]{1,6}$");
    let value = raw.cast(DataType::Int32);
    let valid = digits
        .and((value.clone() / lit(10_000)).lt(lit(24)))
        .and(((value.clone() / lit(100)) % lit(100)).lt(lit(60)))
        .and((value.clone() % lit(100)).lt(lit(60)));
    when(valid)
        .then(value)
        .otherwise(lit(NULL).cast(DataType::Int32))
}

/// A raw table's declaration: its name, its columns in file order and the column
/// whose values must be unique, if any.
#[derive(Clone, Debug)]
pub struct TableSchema {
    pub name: &'static str,
    pub columns: Vec<Column>,
    /// See [`TableSchema::unique_key`].
    pub unique: Option<&'static str>,
}

impl TableSchema {
    pub fn new(name: &'static str, columns: Vec<Column>) -> Self {
        TableSchema {
            name,
            columns,
            unique: None,
        }
    }

    /// Declares `column` the table's key: a row whose value (parsed, for a typed
    /// column) is on an earlier row (smaller `row_nr`) that passes the columns'
    /// rules fails `<column>|duplicate`, so the first valid row in file order is
    /// kept, as every "first" of the rules. The check groups the whole table, for
    /// small tables such as a monthly series.
    ///
    /// # Panics
    /// When the table declares no such column (a mistake in the declaration).
    pub fn unique_key(mut self, column: &'static str) -> Self {
        assert!(
            self.columns.iter().any(|c| c.name == column),
            "{}: the unique key {column} is not a declared column",
            self.name
        );
        self.unique = Some(column);
        self
    }

    /// The declared column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Column names in file order.
    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// Every rule of the table, in the order rows are checked.
    pub fn rule_names(&self) -> Vec<String> {
        let mut rules = vec![COLUMN_COUNT.to_string(), INVALID_UTF8.into()];
        rules.extend(self.columns.iter().flat_map(Column::rule_names));
        rules.extend(self.unique.map(duplicate_rule_name));
        rules
    }

    /// The data dictionary: one row per column with its type, null rule and checks.
    ///
    /// # Errors
    /// When Polars cannot build the frame; not expected, as both columns hold one value
    /// per declared column.
    pub fn dictionary(&self) -> PolarsResult<DataFrame> {
        df!(
            "column" => self.columns.iter().map(|c| c.name).collect::<Vec<_>>(),
            "declared as" => self
                .columns
                .iter()
                .map(|c| match self.unique {
                    Some(key) if key == c.name => {
                        format!("{}; unique (a later row with its value is quarantined)", c.describe())
                    }
                    _ => c.describe(),
                })
                .collect::<Vec<_>>(),
        )
    }
}

/// The two halves of a validated table, both lazy, and the count of values read as
/// null.
pub struct Validation {
    /// Rows that passed every rule: `row_nr` then the declared columns, typed.
    pub valid: LazyFrame,
    /// Rows that failed: `source_file`, `line`, `reason`, then the raw text columns.
    pub quarantine: LazyFrame,
    /// For a schema with columns read [`Column::null_when_invalid`]: one row, one
    /// Int64 column per such rule (`<column>|<rule>`), the valid rows' values that
    /// failed it and were read as null (a value is counted under its first failed
    /// rule). `None` for other schemas.
    pub nulled: Option<LazyFrame>,
}

/// Splits a raw frame into valid typed rows and quarantined raw rows.
///
/// The input holds the declared columns as text plus `source_file`, `line`, `row_nr`
/// and `__layout_error` (see [`crate::io::delimited::scan_delimited`]).
pub fn validate(raw: LazyFrame, schema: &TableSchema) -> Validation {
    validate_with(raw, schema, &[])
}

/// [`validate`] with further rules that need more than the row's own values (such
/// as [`Rule::lookup`]), checked after the schema's, in one pass with them.
/// The two halves share the checked rows as a cached subplan: run in one query
/// (`collect_all`), they and anything else built on them read the raw rows once.
pub fn validate_with(raw: LazyFrame, schema: &TableSchema, lookups: &[Rule]) -> Validation {
    split(checked(raw, schema, lookups).cache(), schema, lookups)
}

/// [`validate_with`] for a batch that fits in memory: the checks run once and the
/// checked rows are split, instead of each half repeating them.
///
/// # Errors
/// When the checks fail to run: `raw` lacks a declared column or a position column
/// (`source_file`, `line`, `row_nr`, `__layout_error`), or a lookup names a missing
/// column (Polars error); or when the schema reads some column's invalid values as
/// null ([`Column::null_when_invalid`]), whose counts only [`validate_with`] returns.
pub fn validate_batch(
    raw: LazyFrame,
    schema: &TableSchema,
    lookups: &[Rule],
) -> PolarsResult<(DataFrame, DataFrame)> {
    if let Some(column) = schema.columns.iter().find(|c| c.null_when_invalid) {
        polars_bail!(
            InvalidOperation: "`{}`: column {} reads invalid values as null; validate the \
            table with validate_with, which counts them", schema.name, column.name
        );
    }
    let checked = checked(raw, schema, lookups).collect()?;
    let Validation {
        valid, quarantine, ..
    } = split(checked.lazy(), schema, lookups);
    Ok((valid.collect()?, quarantine.collect()?))
}

/// Column flagging the rows that fail at least one rule.
const FAILED: &str = "__failed";

/// The raw rows with each typed column parsed once (as `__parsed_<col>`) and
/// `__failed`; the failed rule's name is worked out later, on failing rows only.
fn checked(raw: LazyFrame, schema: &TableSchema, lookups: &[Rule]) -> LazyFrame {
    let prepared: Vec<Expr> = schema
        .columns
        .iter()
        .filter_map(Column::prepared_text)
        .collect();
    let parsed: Vec<Expr> = schema
        .columns
        .iter()
        .filter(|c| c.ty != ColumnType::Text)
        .map(|c| c.parsed().alias(parsed_name(c.name)))
        .collect();
    // Boolean kernels on every row; naming the rule takes a text column per rule.
    let failed = rule_checks(schema, lookups)
        .into_iter()
        .fold(col(LAYOUT_ERROR).is_not_null(), |any, rule| {
            any.or(rule.fails)
        });
    let mut checked = raw.with_columns(prepared).with_columns(parsed);
    if let Some(key) = schema.unique.and_then(|key| schema.column(key)) {
        // Computed before the rows are split: the first row of each key is found
        // among every row that passes the columns' rules, so that a key's first
        // valid row is kept when an earlier one is quarantined for another reason.
        let passes_columns = column_rules(schema)
            .into_iter()
            .fold(col(LAYOUT_ERROR).is_null(), |all, rule| {
                all.and(rule.fails.not())
            });
        checked = checked.with_column(key.checked_value().alias(KEY));
        let firsts = checked
            .clone()
            .filter(col(KEY).is_not_null().and(passes_columns))
            .group_by([col(KEY)])
            .agg([col(ROW_NR).min().alias(FIRST)]);
        checked = checked
            .join(
                firsts,
                [col(KEY)],
                [col(KEY)],
                crate::transforms::keeping_left_order(JoinType::Left),
            )
            .with_column(
                col(ROW_NR)
                    .gt(col(FIRST))
                    .fill_null(lit(false))
                    .alias(DUPLICATE),
            )
            .drop(cols([KEY, FIRST]));
    }
    checked.with_column(failed.alias(FAILED))
}

/// Column flagging the rows whose unique key is on an earlier row, and the two it
/// is computed from: the key's checked value and the first `row_nr` holding it.
const DUPLICATE: &str = "__duplicate";
const KEY: &str = "__unique_key";
const FIRST: &str = "__first_row_nr";

fn duplicate_rule_name(column: &str) -> String {
    format!("{column}|duplicate")
}

/// Splits checked rows into the typed valid rows and the raw quarantined rows, the
/// latter with the first rule each failed in `reason`.
fn split(checked: LazyFrame, schema: &TableSchema, lookups: &[Rule]) -> Validation {
    let mut typed = vec![col(ROW_NR)];
    typed.extend(schema.columns.iter().map(|c| {
        let value = match c.ty {
            ColumnType::Text if c.keep_written => col(c.name),
            ColumnType::Text => c.value(),
            _ => col(parsed_name(c.name)),
        };
        match invalid_value(c) {
            Some(invalid) => when(invalid).then(lit(NULL)).otherwise(value).alias(c.name),
            None => value.alias(c.name),
        }
    }));
    let passed = checked.clone().filter(col(FAILED).not());
    let nulled = nulled_counts(schema).map(|counts| passed.clone().select(counts));
    let valid = passed.select(typed);
    let mut raw_columns = vec![copied_text(SOURCE_FILE), col(LINE), col(REASON)];
    raw_columns.extend(schema.columns.iter().map(|c| copied_text(c.name)));
    let quarantine = checked
        .filter(col(FAILED))
        .with_column(first_failed_rule(schema, lookups).alias(REASON))
        .select(raw_columns);
    Validation {
        valid,
        quarantine,
        nulled,
    }
}

/// True where a column read [`Column::null_when_invalid`] holds a value that fails
/// one of its rules; `None` for other columns.
fn invalid_value(column: &Column) -> Option<Expr> {
    column
        .nulling_rules()
        .into_iter()
        .map(|rule| rule.fails)
        .reduce(Expr::or)
}

/// The counts of [`Validation::nulled`]: per nulling rule, the values failing it and
/// no rule before it; `None` when no column nulls.
fn nulled_counts(schema: &TableSchema) -> Option<Vec<Expr>> {
    let counts: Vec<Expr> = schema
        .columns
        .iter()
        .flat_map(|column| {
            let mut earlier = lit(false);
            column
                .nulling_rules()
                .into_iter()
                .map(move |rule| {
                    let first = rule.fails.clone().and(earlier.clone().not());
                    earlier = earlier.clone().or(rule.fails);
                    first.cast(DataType::Int64).sum().alias(rule.name)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    (!counts.is_empty()).then_some(counts)
}

/// A fresh copy of a text column's strings. Polars' strings are views into shared
/// buffers, and a filter that keeps a few rows of many would keep every buffer those
/// rows point into alive until the Parquet sink fills a row group: measured on 10M
/// invoice lines with 0.05% quarantined, 1 GB instead of 0.4 GB.
fn copied_text(column: &str) -> Expr {
    concat_str([col(column), lit("")], "", false).alias(column)
}

/// Row counts of one validated table: every raw row is either valid or quarantined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub rows_valid: u64,
    pub rows_quarantined: u64,
}

impl TableCount {
    pub fn rows_in(&self) -> u64 {
        self.rows_valid + self.rows_quarantined
    }
}

/// `table`, `rows_in`, `rows_valid`, `rows_quarantined`, one row per table.
///
/// # Errors
/// When Polars cannot build the frame; not expected, as every column holds one value per
/// count.
pub fn table_counts(counts: &[TableCount]) -> PolarsResult<DataFrame> {
    df!(
        "table" => counts.iter().map(|c| c.table).collect::<Vec<_>>(),
        "rows_in" => counts.iter().map(TableCount::rows_in).collect::<Vec<_>>(),
        "rows_valid" => counts.iter().map(|c| c.rows_valid).collect::<Vec<_>>(),
        "rows_quarantined" => counts.iter().map(|c| c.rows_quarantined).collect::<Vec<_>>(),
    )
}

/// A table whose quarantine holds more than this share of its rows is reported as a
/// warning: most of it was not read, which usually means a wrong file or layout.
pub const QUARANTINE_WARNING_SHARE: f64 = 0.5;

/// One warning per table of a `table_counts` frame (see [`table_counts`]) that has
/// no rows, or whose quarantine holds more than [`QUARANTINE_WARNING_SHARE`] of its
/// rows, naming the table and the counts; empty when none does.
///
/// # Errors
/// When the frame lacks `table`, `rows_in` or `rows_quarantined` (Polars error).
pub fn quarantine_warnings(table_counts: &DataFrame) -> PolarsResult<Vec<String>> {
    let tables = table_counts.column("table")?.str()?;
    let rows_in = table_counts.column("rows_in")?.cast(&DataType::UInt64)?;
    let quarantined = table_counts
        .column("rows_quarantined")?
        .cast(&DataType::UInt64)?;
    let mut warnings = Vec::new();
    for ((table, rows), bad) in tables
        .iter()
        .zip(rows_in.u64()?.iter())
        .zip(quarantined.u64()?.iter())
    {
        let (rows, bad) = (rows.unwrap_or(0), bad.unwrap_or(0));
        if rows == 0 {
            warnings.push(format!(
                "`{}` has no rows to validate: its files hold no record, or every record \
                 was left out before validation (see the exclusions), so every figure \
                 built on it is empty",
                table.unwrap_or("")
            ));
        } else if bad as f64 > QUARANTINE_WARNING_SHARE * rows as f64 {
            warnings.push(format!(
                "{bad} of the {rows} rows of `{}` are quarantined ({:.0}%): check that its \
                 files are the right table in its original layout (see quarantine_summary)",
                table.unwrap_or(""),
                100.0 * bad as f64 / rows as f64
            ));
        }
    }
    Ok(warnings)
}

/// `quarantine_summary`: `table`, `reason`, `rows` (Int64, a count as Spark and DuckDB
/// type it) over each named table's quarantine, sorted by table and reason.
///
/// # Errors
/// When `quarantines` is empty (Polars `NoData`). A quarantine without `reason` fails
/// when the plan runs.
pub fn quarantine_summary(quarantines: Vec<(&'static str, LazyFrame)>) -> PolarsResult<LazyFrame> {
    let parts: Vec<LazyFrame> = quarantines
        .into_iter()
        .map(|(table, quarantine)| quarantine.select([lit(table).alias("table"), col(REASON)]))
        .collect();
    Ok(concat(parts, UnionArgs::default())?
        .group_by([col("table"), col(REASON)])
        .agg([len().cast(DataType::Int64).alias("rows")])
        .sort(["table", REASON], Default::default()))
}

fn parsed_name(column: &str) -> String {
    format!("__parsed_{column}")
}

fn prepared_name(column: &str) -> String {
    format!("__prepared_{column}")
}

/// The columns' rules that quarantine a row, in declaration order.
fn column_rules(schema: &TableSchema) -> Vec<Rule> {
    schema
        .columns
        .iter()
        .flat_map(Column::quarantining_rules)
        .collect()
}

/// Every rule of the schema and then every lookup, in the order rows are checked.
/// The layout rules come first and are not listed: the reader names them in
/// `__layout_error`.
fn rule_checks(schema: &TableSchema, lookups: &[Rule]) -> Vec<Rule> {
    let mut checks = column_rules(schema);
    checks.extend(schema.unique.map(|key| Rule {
        name: duplicate_rule_name(key),
        fails: col(DUPLICATE),
    }));
    checks.extend(lookups.iter().map(|rule| Rule {
        name: rule.name.clone(),
        fails: rule.fails.clone().fill_null(lit(false)),
    }));
    checks
}

/// The name of the first rule a row fails, or null.
fn first_failed_rule(schema: &TableSchema, lookups: &[Rule]) -> Expr {
    // The first non-null entry is the first rule the row fails.
    let mut candidates = vec![col(LAYOUT_ERROR)];
    candidates.extend(rule_checks(schema, lookups).into_iter().map(|rule| {
        when(rule.fails)
            .then(lit(rule.name))
            .otherwise(lit(NULL).cast(DataType::String))
    }));
    coalesce(&candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_frame_eq;

    /// An empty table and a mostly quarantined one get a warning each; a table with a
    /// quarantine of half its rows or less gets none.
    #[test]
    fn quarantine_warnings_name_empty_and_mostly_quarantined_tables() -> PolarsResult<()> {
        let counts = table_counts(&[
            TableCount {
                table: "empty",
                rows_valid: 0,
                rows_quarantined: 0,
            },
            TableCount {
                table: "bad",
                rows_valid: 4,
                rows_quarantined: 6,
            },
            TableCount {
                table: "fine",
                rows_valid: 5,
                rows_quarantined: 5,
            },
        ])?;
        let warnings = quarantine_warnings(&counts)?;
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("`empty` has no rows to validate"));
        assert!(warnings[0].contains("or every record was left out before validation"));
        assert!(warnings[1].starts_with("6 of the 10 rows of `bad` are quarantined (60%)"));
        Ok(())
    }

    fn schema() -> TableSchema {
        TableSchema::new(
            "t",
            vec![
                Column::text("id").required().regex("^[a-z]$"),
                Column::new("n", ColumnType::Int).range(0.0, 10.0),
                Column::text("code").one_of(&["A", "B"]),
                Column::new("day", ColumnType::Date("%Y%m%d")),
                Column::new("at", ColumnType::TimeHms),
            ],
        )
    }

    /// The reasons of rows 2–7 of [`raw`], first failed rule each.
    const RAW_REASONS: [&str; 6] = [
        "id|required",
        "id|regex",
        "n|range",
        "day|dtype",
        "at|dtype",
        "layout|column_count",
    ];

    fn reasons(quarantine: &DataFrame) -> PolarsResult<Vec<String>> {
        crate::values::texts(quarantine, REASON, "<null>")
    }

    /// The reasons and lines of the quarantined rows, in order.
    fn reasons_and_lines(quarantine: LazyFrame) -> PolarsResult<(Vec<String>, Vec<IdxSize>)> {
        let quarantine = quarantine.collect()?;
        let lines = quarantine
            .column(LINE)?
            .idx()?
            .into_no_null_iter()
            .collect();
        Ok((reasons(&quarantine)?, lines))
    }

    /// Raw rows of one file `f` holding the text `columns` (name, values of equal
    /// length), with their positions and no layout error.
    fn raw_of(columns: &[(&str, &[&str])]) -> PolarsResult<DataFrame> {
        let n = columns.first().map_or(0, |(_, values)| values.len());
        let mut raw = df!(
            SOURCE_FILE => vec!["f"; n],
            LINE => (1..=n as IdxSize).collect::<Vec<_>>(),
            ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
            LAYOUT_ERROR => vec![None::<&str>; n],
        )?;
        for (name, values) in columns {
            raw.with_column(Series::new((*name).into(), *values).into_column())?;
        }
        Ok(raw)
    }

    fn raw() -> PolarsResult<DataFrame> {
        let n = 7;
        df!(
            SOURCE_FILE => vec!["f.txt"; n],
            LINE => (1..=n as IdxSize).collect::<Vec<_>>(),
            ROW_NR => (0..n as IdxSize).collect::<Vec<_>>(),
            LAYOUT_ERROR => [None, None, None, None, None, None, Some("layout|column_count")],
            "id" => [Some("a"), None, Some("AB"), Some("b"), Some("c"), Some("d"), Some("e")],
            "n" => [Some(" 3 "), Some("x"), Some("x"), Some("11"), None, Some("2"), Some("1")],
            "code" => [Some("A"), None, None, Some("C"), None, Some("B"), None],
            "day" => [Some("20151205"), None, None, None, Some("20151332"), None, None],
            "at" => [Some("93015"), None, None, None, None, Some("236000"), None],
        )
    }

    #[test]
    fn the_first_failed_rule_names_the_row() -> PolarsResult<()> {
        let Validation {
            valid, quarantine, ..
        } = validate(raw()?.lazy(), &schema());
        let quarantine = quarantine.collect()?;
        // Row 2 fails `id|required` before `n|dtype`; row 3 fails `id|regex` before
        // `n|dtype`; row 4 fails `n|range` before `code|one_of`; the rest one rule each.
        assert_eq!(reasons(&quarantine)?, RAW_REASONS);
        assert_eq!(
            quarantine
                .column(LINE)?
                .idx()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [2, 3, 4, 5, 6, 7]
        );
        let valid = valid.collect()?;
        assert_eq!(valid.height(), 1);
        assert_eq!(
            valid.column("n")?.i64()?.get(0),
            Some(3),
            "surrounding spaces are allowed"
        );
        assert_eq!(valid.column("at")?.i32()?.get(0), Some(93015));
        assert_eq!(valid.column("day")?.dtype(), &DataType::Date);
        Ok(())
    }

    /// A key's value on an earlier row, once parsed (` 2000-03-01` is 2000-03-01),
    /// fails `|duplicate`, rows in `row_nr` order whatever order they arrive in; a
    /// missing key and a row failing an earlier rule are not duplicates themselves.
    #[test]
    fn a_unique_key_keeps_the_first_row_in_file_order() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "series",
            vec![
                Column::new("day", ColumnType::Date("%Y-%m-%d")),
                Column::new("value", ColumnType::Float),
            ],
        )
        .unique_key("day");
        assert_eq!(
            schema.rule_names(),
            [
                "layout|column_count",
                "layout|invalid_utf8",
                "day|dtype",
                "day|range",
                "value|dtype",
                "day|duplicate"
            ]
        );
        let raw = raw_of(&[
            (
                "day",
                &[
                    "2000-02-01",
                    "2000-03-01",
                    " 2000-03-01",
                    "",
                    "",
                    "2000-02-01",
                    "2000-04-01",
                    "2000-05-01",
                    "2000-05-01",
                ],
            ),
            // Line 8's 2000-05-01 is quarantined for its value: line 9's is kept.
            ("value", &["1", "2", "3", "4", "5", "x", "7", "y", "9"]),
        ])?;
        // Rows arrive out of file order: line 2 must still be the one kept.
        let shuffled = raw.lazy().sort(
            [LINE],
            SortMultipleOptions::default().with_order_descending(true),
        );
        let Validation {
            valid, quarantine, ..
        } = validate(shuffled, &schema);
        let (reasons, lines) = reasons_and_lines(quarantine.sort([LINE], Default::default()))?;
        assert_eq!(reasons, ["day|duplicate", "value|dtype", "value|dtype"]);
        assert_eq!(lines, [3, 6, 8]);
        let valid = valid.sort([ROW_NR], Default::default()).collect()?;
        assert_eq!(
            valid
                .column("value")?
                .f64()?
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [1.0, 2.0, 4.0, 5.0, 7.0, 9.0]
        );
        Ok(())
    }

    /// A column read `null_when_invalid` keeps every row: a value that does not parse
    /// or is out of range becomes null and is counted under its first failed rule, an
    /// empty one is null and not counted; `required` and the other columns still
    /// quarantine. Rows in = valid + quarantined.
    #[test]
    fn invalid_values_of_a_nulling_column_are_nulled_and_counted() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![
                Column::text("id").required(),
                Column::new("votes", ColumnType::Int)
                    .range(0.0, 100.0)
                    .null_when_invalid(),
                Column::new("score", ColumnType::Float)
                    .required()
                    .range(0.0, 1.0)
                    .null_when_invalid(),
            ],
        );
        let rows = [
            vec![Some("a"), Some("7"), Some("0.5")],
            vec![Some("b"), Some("seven"), Some("2")],
            vec![Some("c"), Some("-1"), Some("x")],
            vec![Some("d"), None, Some("0.1")],
            vec![None, Some("oops"), Some("0.2")],
            vec![Some("f"), Some("1e9"), None],
        ];
        let Validation {
            valid,
            quarantine,
            nulled,
        } = validate(crate::testing::raw_rows(&schema, &rows)?, &schema);
        let valid = valid.collect()?;
        assert_frame_eq!(
            valid.drop(ROW_NR)?,
            df!(
                "id" => ["a", "b", "c", "d"],
                "votes" => [Some(7i64), None, None, None],
                "score" => [Some(0.5), None, None, Some(0.1)],
            )?
        );
        let quarantine = quarantine.collect()?;
        assert_eq!(
            crate::values::texts(&quarantine, REASON, "")?,
            ["id|required", "score|required"]
        );
        assert_eq!(valid.height() + quarantine.height(), rows.len());
        let nulled = nulled.expect("the schema nulls").collect()?;
        assert_frame_eq!(
            nulled,
            df!(
                "votes|dtype" => [1i64],
                "votes|range" => [1i64],
                "score|dtype" => [1i64],
                "score|range" => [1i64],
            )?
        );
        assert_eq!(
            schema.rule_names(),
            [COLUMN_COUNT, INVALID_UTF8, "id|required", "score|required"]
        );
        // The batch validation returns no counts, so it refuses to null uncounted.
        let batch = validate_batch(crate::testing::raw_rows(&schema, &rows)?, &schema, &[]);
        assert!(batch.is_err_and(|e| e.to_string().contains("column votes reads invalid")));
        Ok(())
    }

    #[test]
    fn nulls_pass_value_checks_but_not_required() -> PolarsResult<()> {
        let raw = df!(
            SOURCE_FILE => ["f"], LINE => [1 as IdxSize], ROW_NR => [0 as IdxSize],
            LAYOUT_ERROR => [None::<&str>],
            "id" => ["z"], "n" => [None::<&str>], "code" => [None::<&str>], "day" => [None::<&str>], "at" => [None::<&str>],
        )?;
        let Validation { valid, .. } = validate(raw.lazy(), &schema());
        assert_eq!(valid.collect()?.height(), 1);
        Ok(())
    }

    /// Typed values are trimmed before every rule: whitespace around a number, date,
    /// time or timestamp is not part of it, and a whitespace-only value is missing, so
    /// it fails `required` and passes the value checks (a regex too) as a null does.
    #[test]
    fn blank_typed_values_are_missing_and_padded_ones_parse() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![
                Column::new("q", ColumnType::Int).required(),
                Column::new("customer", ColumnType::Float)
                    .regex(r"^\d+(\.0*)?$")
                    .range(0.0, 1e15),
                Column::new("day", ColumnType::Date("%Y-%m-%d")),
                Column::new("at", ColumnType::TimeHms),
                Column::new("ts", ColumnType::Datetime(&["%Y-%m-%d %H:%M:%S"])),
            ],
        );
        let raw = raw_of(&[
            ("q", &["1", " 2\t", "  ", "3", "4"]),
            ("customer", &["13085.0", "\u{a0}", " 12.0 ", "x", "1"]),
            (
                "day",
                &[
                    "2024-01-02",
                    " 2024-01-03 ",
                    "2024-01-04",
                    "2024-01-05",
                    " ",
                ],
            ),
            ("at", &["100000", " 93015 ", "100000", "100000", "\t"]),
            (
                "ts",
                &[
                    "2024-01-02 10:00:00",
                    " 2024-01-03 10:00:00\r",
                    "",
                    "",
                    "  ",
                ],
            ),
        ])?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        let (reasons, lines) = reasons_and_lines(quarantine)?;
        assert_eq!(reasons, ["q|required", "customer|dtype"]);
        assert_eq!(lines, [3, 4]);
        let valid = valid.collect()?;
        assert_eq!(
            valid.column("q")?.i64()?.to_vec(),
            [Some(1), Some(2), Some(4)]
        );
        assert_eq!(
            valid.column("customer")?.f64()?.to_vec(),
            [Some(13085.0), None, Some(1.0)]
        );
        let days = valid.column("day")?.cast(&DataType::Int32)?;
        assert_eq!(days.i32()?.to_vec(), [Some(19724), Some(19725), None]);
        assert_eq!(
            valid.column("at")?.i32()?.to_vec(),
            [Some(100000), Some(93015), None]
        );
        let ts = valid.column("ts")?.cast(&DataType::Int64)?;
        assert_eq!(
            ts.i64()?.to_vec(),
            [
                Some(1_704_189_600_000_000),
                Some(1_704_276_000_000_000),
                None
            ]
        );
        Ok(())
    }

    /// A required text value of whitespace only is missing (`required`), as the
    /// peers' `trim(x) = ''` has it; the text of the rows kept is as written, and an
    /// optional text column keeps a blank value.
    #[test]
    fn blank_required_text_is_missing() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![Column::text("id").required(), Column::text("note")],
        );
        let raw = raw_of(&[
            ("id", &["a", "   ", "\u{3000}", " b ", "\u{200b}"]),
            ("note", &["x", "y", "z", "\t", " "]),
        ])?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        let (reasons, lines) = reasons_and_lines(quarantine)?;
        assert_eq!(reasons, ["id|required", "id|required"]);
        assert_eq!(lines, [2, 3]);
        let valid = valid.collect()?;
        assert_eq!(
            valid.column("id")?.str()?.iter().collect::<Vec<_>>(),
            [Some("a"), Some(" b "), Some("\u{200b}")]
        );
        assert_eq!(
            valid.column("note")?.str()?.iter().collect::<Vec<_>>(),
            [Some("x"), Some("\t"), Some(" ")]
        );
        Ok(())
    }

    #[test]
    fn lookup_rules_come_after_the_schema_rules() -> PolarsResult<()> {
        let unknown = Rule::lookup("id", Series::new("known".into(), ["a"]));
        assert_eq!(unknown.name, "id|lookup");
        let Validation {
            valid, quarantine, ..
        } = validate_with(raw()?.lazy(), &schema(), &[unknown]);
        assert_eq!(valid.collect()?.height(), 1, "row 1 (id a) is known");
        // Row 3 (id AB) fails `id|regex` first; rows 4–6 fail their own rules first.
        assert_eq!(reasons(&quarantine.collect()?)?, RAW_REASONS);
        let Validation {
            valid, quarantine, ..
        } = validate_with(
            raw()?.lazy(),
            &schema(),
            &[Rule {
                name: "unknown_id".into(),
                fails: col("id").eq(lit("a")),
            }],
        );
        assert_eq!(valid.collect()?.height(), 0);
        let quarantine = quarantine.collect()?;
        assert_eq!(quarantine.column(REASON)?.str()?.get(0), Some("unknown_id"));
        assert_eq!(
            quarantine.column("n")?.str()?.get(0),
            Some(" 3 "),
            "raw text is kept"
        );
        Ok(())
    }

    #[test]
    fn none_of_excludes_placeholder_values() -> PolarsResult<()> {
        let schema = TableSchema::new("t", vec![Column::text("id").required().none_of(&["0"])]);
        let raw = df!(
            SOURCE_FILE => ["f", "f", "f"], LINE => [1 as IdxSize, 2, 3], ROW_NR => [0 as IdxSize, 1, 2],
            LAYOUT_ERROR => [None::<&str>, None, None],
            "id" => [Some("0"), Some("00"), None],
        )?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        assert_eq!(crate::values::texts(&valid.collect()?, "id", "")?, ["00"]);
        assert_eq!(
            reasons(&quarantine.collect()?)?,
            ["id|none_of", "id|required"]
        );
        Ok(())
    }

    #[test]
    fn timestamps_parse_in_the_first_declared_format_that_fits() -> PolarsResult<()> {
        const FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"];
        let schema = TableSchema::new(
            "t",
            vec![Column::new("at", ColumnType::Datetime(FORMATS)).required()],
        );
        let texts = [
            "2010-12-01 08:26:00",
            " 12/1/2010 8:26 ",
            "1/09/2011 14:05",
            "2011-02-29 10:00:00",
            "12/1/2010",
            "13/1/2010 8:26",
        ];
        let raw = raw_of(&[("at", &texts)])?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        let valid = valid
            .select([col("at").dt().to_string("%Y-%m-%d %H:%M:%S")])
            .collect()?;
        assert_eq!(
            crate::values::texts(&valid, "at", "")?,
            [
                "2010-12-01 08:26:00",
                "2010-12-01 08:26:00",
                "2011-01-09 14:05:00"
            ]
        );
        // No 29 February in 2011, no time, no month 13.
        assert_eq!(reasons(&quarantine.collect()?)?, ["at|dtype"; 3]);
        Ok(())
    }

    #[test]
    fn runs_of_equal_texts_cover_every_row_once() {
        let texts = StringChunked::new(
            "t".into(),
            [
                Some("a"),
                Some("a"),
                None,
                None,
                Some("b"),
                Some("a"),
                Some("a"),
                Some("a"),
            ],
        );
        assert_eq!(
            runs_of_equal_texts(&texts),
            (vec![0, 2, 4, 5], vec![2, 2, 1, 3])
        );
        let empty = StringChunked::new("t".into(), Vec::<Option<&str>>::new());
        assert_eq!(runs_of_equal_texts(&empty), (vec![], vec![]));
    }

    /// `parse_datetime` as Polars expressions: every format on every row, coalesced,
    /// then the year and second checks through Polars' calendar functions.
    fn coalesced_datetime(text: Expr, formats: &[&str], order: DateOrder) -> Expr {
        let datetime = DataType::Datetime(TimeUnit::Microseconds, None);
        let parsed = coalesce(
            &formats
                .iter()
                .map(|f| parse_temporal(text.clone(), datetime.clone(), &order.format(f)))
                .collect::<Vec<_>>(),
        );
        when(
            parsed
                .clone()
                .dt()
                .year()
                .gt_eq(lit(1000))
                .and(has_second_60(text).not()),
        )
        .then(parsed)
        .otherwise(lit(NULL).cast(datetime))
    }

    /// Random timestamps in and around both layouts (fields of one to five digits
    /// and out of range, mixed separators, spaces, seconds of 60, years before 1000,
    /// stray letters) parse to exactly what coalescing every format gave, for one
    /// and two formats, in both day/month orders.
    #[test]
    fn timestamps_parse_as_coalescing_every_format_did() -> PolarsResult<()> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let number = |rng: &mut rand_chacha::ChaCha8Rng, low: u32, high: u32| {
            let value = rng.random_range(low..=high);
            match rng.random_range(0..4) {
                0 => format!("{value:02}"),
                1 => format!("{value:04}"),
                _ => value.to_string(),
            }
        };
        let mut texts: Vec<Option<String>> = (0..30_000)
            .map(|_| {
                let (y, m, d) = (
                    number(&mut rng, 0, 2200),
                    number(&mut rng, 0, 13),
                    number(&mut rng, 0, 32),
                );
                let (h, mi, sec) = (
                    number(&mut rng, 0, 25),
                    number(&mut rng, 0, 61),
                    number(&mut rng, 0, 61),
                );
                let separators = ["-", "/", " ", ":", "x", ""];
                let picks: Vec<&str> = (0..4)
                    .map(|_| separators[rng.random_range(0..separators.len())])
                    .collect();
                let text = match rng.random_range(0..6) {
                    0 => format!("{y}-{m}-{d} {h}:{mi}:{sec}"),
                    1 => format!("{m}/{d}/{y} {h}:{mi}"),
                    2 => format!("{m}/{d}/{y}"),
                    3 => format!(
                        "{y}{}{m}{}{d}{}{h}{}{mi}",
                        picks[0], picks[1], picks[2], picks[3]
                    ),
                    4 => format!(" {m}/{d}/{y} {h}:{mi} "),
                    _ => format!("{y}-{m}-{d}T{h}:{mi}:{sec}"),
                };
                (rng.random_range(0..50) > 0).then_some(text)
            })
            .collect();
        // The edges of the year check: the last second before the year 1000, and
        // its first.
        for edge in [
            "0999-12-31 23:59:59",
            "1000-01-01 00:00:00",
            "12/31/0999 23:59",
            "1/1/1000 0:00",
        ] {
            texts.push(Some(edge.to_string()));
        }
        // The same texts in runs of one to six equal rows, as the lines of an invoice
        // share its timestamp: each run is parsed once.
        let in_runs: Vec<Option<String>> = texts
            .iter()
            .flat_map(|text| std::iter::repeat_n(text.clone(), rng.random_range(1..=6)))
            .collect();
        let retail: &[&str] = &["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"];
        let second_first: &[&str] = &["%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"];
        let one: &[&str] = &["%Y-%m-%d %H:%M:%S"];
        for (df, formats) in [df!("t" => texts)?, df!("t" => in_runs)?]
            .iter()
            .flat_map(|df| [retail, second_first, one].map(|formats| (df, formats)))
        {
            for order in [DateOrder::Mdy, DateOrder::Dmy] {
                let ours = df
                    .clone()
                    .lazy()
                    .select([parse_datetime(col("t"), formats, order)])
                    .collect()?;
                let theirs = df
                    .clone()
                    .lazy()
                    .select([coalesced_datetime(col("t"), formats, order)])
                    .collect()?;
                if let Some(difference) = crate::testing::frame_difference(&ours, &theirs) {
                    panic!("{formats:?} {order:?}: {difference}");
                }
                let parsed = ours.column("t")?.len() - ours.column("t")?.null_count();
                assert!(parsed > 300, "{formats:?} {order:?}: only {parsed} parsed");
            }
        }
        Ok(())
    }

    #[test]
    fn the_first_year_read_starts_at_its_first_microsecond() {
        let first = chrono::NaiveDate::from_ymd_opt(1000, 1, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|at| at.and_utc().timestamp_micros());
        assert_eq!(first, Some(FIRST_READ_TIMESTAMP_US));
    }

    /// The year check keeps the first and last instants of its years and nothing
    /// outside them, for dates and timestamps.
    #[test]
    fn year_checks_keep_exactly_their_years() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![
                Column::new("day", ColumnType::Date("%Y%m%d")).required(),
                Column::new("at", ColumnType::Datetime(&["%Y-%m-%d %H:%M:%S"])).required(),
            ],
        );
        let days = [
            "19000101", "21001231", "18991231", "21010101", "20000101", "20000101",
        ];
        let ats = [
            "1900-01-01 00:00:00",
            "2100-12-31 23:59:59",
            "2000-01-01 00:00:00",
            "2000-01-01 00:00:00",
            "1899-12-31 23:59:59",
            "2101-01-01 00:00:00",
        ];
        let raw = raw_of(&[("day", &days), ("at", &ats)])?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        assert_eq!(valid.collect()?.height(), 2);
        assert_eq!(
            reasons(&quarantine.collect()?)?,
            ["day|range", "day|range", "at|range", "at|range"]
        );
        Ok(())
    }

    #[test]
    fn a_batch_validates_to_the_same_rows() -> PolarsResult<()> {
        let (valid, quarantine) = validate_batch(raw()?.lazy(), &schema(), &[])?;
        let lazy = validate(raw()?.lazy(), &schema());
        assert!(valid.equals_missing(&lazy.valid.collect()?));
        assert!(quarantine.equals_missing(&lazy.quarantine.collect()?));
        assert_eq!(reasons(&quarantine)?, RAW_REASONS);
        Ok(())
    }

    /// A date format without separators (`%Y%m%d`) takes exactly its digits: Polars'
    /// `strptime` alone reads `2015121` as 2015-12-01 and `2015 12 3` as 2015-12-03,
    /// silently. A format with separators still takes one-digit months and days.
    #[test]
    fn dates_without_separators_take_exactly_their_digits() -> PolarsResult<()> {
        assert_eq!(digits_only_width("%Y%m%d"), Some(8));
        assert_eq!(digits_only_width("%H%M%S"), Some(6));
        assert_eq!(digits_only_width("%Y-%m-%d"), None);
        assert_eq!(digits_only_width(""), None);
        let schema = TableSchema::new(
            "t",
            vec![
                Column::new("compact", ColumnType::Date("%Y%m%d")),
                Column::new("dashed", ColumnType::Date("%Y-%m-%d")),
            ],
        );
        let raw = raw_of(&[
            (
                "compact",
                &[
                    "20151203",
                    " 20151204 ",
                    "2015121",
                    "2015 12 3",
                    "201512 3",
                    "2015120３",
                    "201512031",
                ],
            ),
            ("dashed", &["2015-1-5", "2015-12-04", "", "", "", "", ""]),
        ])?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        let (reasons, lines) = reasons_and_lines(quarantine)?;
        assert_eq!(reasons, ["compact|dtype"; 5]);
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        let valid = valid.collect()?;
        let days = |column: &str| -> PolarsResult<Vec<Option<i32>>> {
            Ok(valid
                .column(column)?
                .cast(&DataType::Int32)?
                .i32()?
                .to_vec())
        };
        // 2015-12-03 is day 16,772 since 1970-01-01; 2015-01-05 is day 16,440.
        assert_eq!(days("compact")?, [Some(16_772), Some(16_773)]);
        assert_eq!(days("dashed")?, [Some(16_440), Some(16_773)]);
        Ok(())
    }

    #[test]
    fn rule_names_follow_declaration_order() {
        let rules = schema().rule_names();
        assert_eq!(
            rules,
            [
                "layout|column_count",
                "layout|invalid_utf8",
                "id|required",
                "id|regex",
                "n|dtype",
                "n|range",
                "code|one_of",
                "day|dtype",
                "day|range",
                "at|dtype"
            ]
        );
    }

    /// Issue 16, faults 5 and 6: values no real export holds are quarantined under
    /// `column|range` (NaN, ±inf, 64-bit extremes, implausible years) or do not parse
    /// (a second of 60), each on a small frame like the issue's.
    #[test]
    fn implausible_numbers_dates_and_times_are_quarantined() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![
                Column::new("price", ColumnType::Float).range(-1e6, 1e6),
                Column::new("value", ColumnType::Float).finite(),
                Column::new("qty", ColumnType::Int).range(-1e6, 1e6),
                Column::new("day", ColumnType::Date("%Y%m%d")),
                Column::new("at", ColumnType::Datetime(&["%Y-%m-%d %H:%M:%S"])),
                Column::new("iso", ColumnType::IsoTimestamp),
            ],
        );
        let rows: [[&str; 6]; 10] = [
            [
                "2.5",
                "1e300",
                "3",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "inf",
                "1",
                "1",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "NaN",
                "1",
                "1",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1e308",
                "1",
                "1",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1",
                "-inf",
                "1",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1",
                "1",
                "9223372036854775807",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1",
                "1",
                "1",
                "-20151202",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1",
                "1",
                "1",
                "99991231",
                "2010-12-31 23:59:59",
                "2022-06-01",
            ],
            [
                "1",
                "1",
                "1",
                "20151202",
                "2010-12-31 23:59:60",
                "2022-06-01",
            ],
            [
                "1",
                "1",
                "1",
                "20151202",
                "2010-12-31 23:59:59",
                "2022-06-01 23:59:60",
            ],
        ];
        let column = |i: usize| rows.iter().map(|r| r[i]).collect::<Vec<_>>();
        let names = ["price", "value", "qty", "day", "at", "iso"];
        let values: Vec<Vec<&str>> = (0..names.len()).map(column).collect();
        let columns: Vec<(&str, &[&str])> = names
            .iter()
            .zip(&values)
            .map(|(name, values)| (*name, values.as_slice()))
            .collect();
        let raw = raw_of(&columns)?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        assert_eq!(
            valid.collect()?.height(),
            1,
            "only the first row is plausible"
        );
        assert_eq!(
            reasons(&quarantine.collect()?)?,
            [
                "price|range",
                "price|range",
                "price|range",
                "value|range",
                "qty|range",
                // `-20151202` is not eight digits (`dates_without_separators_take_
                // exactly_their_digits`); `99991231` is, but past the plausible years.
                "day|dtype",
                "day|range",
                "at|dtype",
                "iso|dtype",
            ]
        );
        Ok(())
    }

    #[test]
    fn prepared_columns_are_checked_parsed_and_kept_prepared() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "search",
            vec![
                Column::new("at", ColumnType::IsoTimestamp).prepared(Prepare::AsciiDigits),
                Column::text("user").prepared(Prepare::Trim).required(),
            ],
        );
        let raw = df!(
            SOURCE_FILE => ["f"; 6], LINE => [1 as IdxSize, 2, 3, 4, 5, 6],
            ROW_NR => [0 as IdxSize, 1, 2, 3, 4, 5],
            LAYOUT_ERROR => [None::<&str>; 6],
            "at" => [
                Some("\u{06F2}\u{06F0}\u{06F2}\u{06F2}-06-01 18:42:07.123"),
                Some("2022-06-01"),
                Some("2022-02-30"),
                Some("2022-6-01"),
                Some("2022-06-01"),
                None,
            ],
            "user" => [Some(" u1 "), Some("u2"), Some("u3"), Some("u4"), Some("   "), Some("u6")],
        )?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        let valid = valid.collect()?;
        assert_eq!(
            crate::values::texts(&valid, "user", "")?,
            ["u1", "u2", "u6"]
        );
        let at = valid.column("at")?.datetime()?.physical().clone();
        let expected = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .map(|t| t.and_utc().timestamp_micros())
                .ok()
        };
        assert_eq!(
            at.iter().collect::<Vec<_>>(),
            [
                expected("2022-06-01 18:42:07"),
                expected("2022-06-01 00:00:00"),
                None
            ]
        );
        let quarantine = quarantine.collect()?;
        assert_eq!(
            reasons(&quarantine)?,
            ["at|dtype", "at|dtype", "user|required"]
        );
        assert_eq!(
            crate::values::texts(&quarantine, "user", "")?,
            ["u3", "u4", "   "],
            "the quarantine keeps the raw text"
        );
        Ok(())
    }

    #[test]
    fn day_first_formats_swap_day_and_month_but_never_year_first_ones() {
        assert_eq!(DateOrder::Dmy.format("%m/%d/%Y %H:%M"), "%d/%m/%Y %H:%M");
        assert_eq!(DateOrder::Mdy.format("%m/%d/%Y %H:%M"), "%m/%d/%Y %H:%M");
        assert_eq!(
            DateOrder::Dmy.format("%Y-%m-%d %H:%M:%S"),
            "%Y-%m-%d %H:%M:%S"
        );
    }

    #[test]
    fn checked_preparation_keeps_the_text_as_written() -> PolarsResult<()> {
        let schema = TableSchema::new(
            "t",
            vec![Column::text("user")
                .checked_prepared(Prepare::Trim)
                .required()],
        );
        let raw = df!(
            SOURCE_FILE => ["f"; 3], LINE => [1 as IdxSize, 2, 3], ROW_NR => [0 as IdxSize, 1, 2],
            LAYOUT_ERROR => [None::<&str>; 3],
            "user" => [Some(" u1 "), Some("  "), Some("u2")],
        )?;
        let Validation {
            valid, quarantine, ..
        } = validate(raw.lazy(), &schema);
        assert_eq!(
            crate::values::texts(&valid.collect()?, "user", "")?,
            [" u1 ", "u2"]
        );
        assert_eq!(reasons(&quarantine.collect()?)?, ["user|required"]);
        Ok(())
    }
}

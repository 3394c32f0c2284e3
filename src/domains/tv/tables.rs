//! The TV domain's raw tables: where they live, their layout and their declared
//! schema (rule T1), and T4's lookup of the viewing's programs. This is the one place
//! that names the raw files.

use polars::prelude::{DataFrame, PolarsResult};

use crate::io::{RawTable, Source, TextLayout};
use crate::schema::{Column, ColumnType, Rule, TableSchema};

/// Device ids are 12 hexadecimal characters.
const DEVICE_ID_PATTERN: &str = "^[0-9A-Fa-f]{12}$";

/// The 45 demographic columns, in file order.
pub const DEMOGRAPHIC_COLUMNS: [&str; 45] = [
    "household_id",
    "household_size",
    "num_adults",
    "num_generations",
    "adult_range",
    "marital_status",
    "race_code",
    "presence_children",
    "num_children",
    "age_children",
    "age_range_children",
    "dwelling_type",
    "home_owner_status",
    "length_residence",
    "home_market_value",
    "num_vehicles",
    "vehicle_make",
    "vehicle_model",
    "vehicle_year",
    "net_worth",
    "income",
    "gender_individual",
    "age_individual",
    "education_highest",
    "occupation_highest",
    "education_1",
    "occupation_1",
    "age_2",
    "education_2",
    "occupation_2",
    "age_3",
    "education_3",
    "occupation_3",
    "age_4",
    "education_4",
    "occupation_4",
    "age_5",
    "education_5",
    "occupation_5",
    "polit_party_regist",
    "polit_party_input",
    "household_clusters",
    "insurance_groups",
    "financial_groups",
    "green_living",
];

/// Income codes: `1`–`9`, then `A`–`D` for the four highest brackets.
pub const INCOME_CODES: [&str; 13] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D",
];

/// `programs*.txt`: one airing per line, pipe separated, no header.
pub fn programs() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "programs",
            vec![
                Column::text("prog_code").required(),
                Column::text("title").required(),
                Column::text("genre").required(),
                Column::new("air_date", ColumnType::Date("%Y%m%d")).required(),
                Column::new("air_time", ColumnType::TimeHms).required(),
                Column::new("duration", ColumnType::Float).range(0.0, 10_080.0),
            ],
        ),
        vec![Source::text("programs", ".txt", TextLayout::PIPE_NO_HEADER)],
    )
}

/// `demographics*.txt`: one household per line, 45 columns, pipe separated, no header.
pub fn demographics() -> RawTable {
    let columns = DEMOGRAPHIC_COLUMNS
        .iter()
        .map(|&name| match name {
            "household_id" => Column::text(name).required(),
            "household_size" | "num_adults" => {
                Column::new(name, ColumnType::Int).range(0.0, 1_000.0)
            }
            "net_worth" => Column::new(name, ColumnType::Int).range(-1e15, 1e15),
            "income" => Column::text(name).one_of(&INCOME_CODES),
            _ => Column::text(name),
        })
        .collect();
    RawTable::new(
        TableSchema::new("demographics", columns),
        vec![Source::text(
            "demographics",
            ".txt",
            TextLayout::PIPE_NO_HEADER,
        )],
    )
}

/// `viewing*.csv`: one tune event per line, with header. The large fact table.
pub fn viewing() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "viewing",
            vec![
                Column::text("device_id")
                    .required()
                    .regex(DEVICE_ID_PATTERN),
                Column::new("event_date", ColumnType::Date("%Y%m%d")).required(),
                Column::new("event_time", ColumnType::TimeHms),
                Column::text("mso_code"),
                Column::text("prog_code").required(),
                Column::text("station_num"),
            ],
        ),
        vec![Source::text("viewing", ".csv", TextLayout::CSV_WITH_HEADER)],
    )
}

/// `reference*.csv` (or `reference*.parquet`): device → household and market.
pub fn reference() -> RawTable {
    RawTable::new(
        TableSchema::new(
            "reference",
            vec![
                Column::text("device_id")
                    .required()
                    .regex(DEVICE_ID_PATTERN),
                Column::text("dma").required(),
                Column::text("dma_code"),
                Column::text("household_id").required(),
                Column::text("zipcode"),
                Column::text("household_type"),
                Column::text("system_type"),
            ],
        ),
        vec![
            Source::text("reference", ".csv", TextLayout::CSV_WITH_HEADER),
            Source::parquet("reference"),
        ],
    )
}

/// T4: a viewing row whose `prog_code` is not in `programs` (a frame with the program
/// table's `prog_code` column) is quarantined as `prog_code|lookup`.
///
/// # Errors
/// When `programs` has no `prog_code` column.
pub fn unknown_program(programs: &DataFrame) -> PolarsResult<Rule> {
    let codes = programs
        .column("prog_code")?
        .as_materialized_series()
        .clone();
    Ok(Rule::lookup("prog_code", codes))
}

/// All raw tables, in the order the pipeline validates them.
pub fn all() -> Vec<RawTable> {
    vec![programs(), demographics(), reference(), viewing()]
}

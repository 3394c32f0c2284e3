//! Synthetic TV raw data in the real layouts, deterministic for a seed, any size.
//!
//! Writes `programs.txt` and `demographics.txt` (pipe separated, no header, all 45
//! demographic columns), `reference.csv` (quoted CSV, some DMA names hold commas) and
//! `viewing_NNN.csv` (streamed row by row, so 100M+ rows need no memory).
//!
//! Shape: 40 DMAs of Zipf-distributed size, 20 genres, Zipf program popularity,
//! a few heavy-viewing devices and many light ones, 1–4 devices per household. The
//! household panel stops growing at 50 000 households; beyond that more rows mean
//! more viewing per device, and devices return to their own few favourite programs
//! (80% of their tune events), so distinct (device, program) pairs grow far slower
//! than rows, as in real set-top-box data.
//!
//! Faults, each counted in [`GenSummary::faults`] under the name of the rule that
//! handles it. Rows failing validation are extra rows with exactly one fault, so the
//! quarantine counts equal the injected counts:
//!
//! | table | fault | rule | rate |
//! |---|---|---|---|
//! | programs | variant title / genre for a prog_code | T3 clash | 6% / 4% of programs |
//! | programs | genre lists with `, ` and empty items | T7 trim | 30% of programs |
//! | programs | exact duplicate airing | T3 | 3% of airings |
//! | programs | bad air_date, short line, invalid UTF-8 | T1 | extra rows, 0.5% / 0.3% / 0.2% |
//! | demographics | duplicate household (later copy differs) | T2 | 1% |
//! | demographics | bad income code, non-numeric net_worth, short line | T1 | extra rows, 0.3% each |
//! | reference | dma `Unknown` | T5 | 2% of devices |
//! | reference | duplicate device row | T5 | 1% of devices |
//! | reference | household in two DMAs / with two zipcodes | T5 | 1% / 1% of households |
//! | reference | household missing from demographics | T5 | 2% of households |
//! | reference | bad device_id, empty household_id, extra field | T1 | extra rows, 0.2% / 0.1% / 0.1% |
//! | viewing | unknown prog_code | T4 | 0.4% of rows |
//! | viewing | bad device_id, bad date, bad time, no prog_code, short line | T1 | 0.05% / 0.05% / 0.02% / 0.02% / 0.02% |
//! | viewing | device not in the reference | (not a fault of the row) | 1% of rows |

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::tables::DEMOGRAPHIC_COLUMNS;
use crate::io::{create_file, create_folder};
use crate::schema::{COLUMN_COUNT, INVALID_UTF8};
use crate::synth::{csv_field, GenSummary, Synth, WeightedIndex};

/// How much data to generate.
#[derive(Clone, Debug)]
pub struct TvGenConfig {
    /// Viewing rows over all viewing files (faulty rows included).
    pub viewing_rows: u64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of viewing files the rows are spread over (at least 1).
    pub viewing_files: usize,
}

impl TvGenConfig {
    /// Households in proportion to viewing rows (40 rows each), 300 to 50 000: a
    /// panel of households, watched for longer as the rows grow.
    pub fn households(&self) -> usize {
        (self.viewing_rows / 40).clamp(300, 50_000) as usize
    }

    /// Programs in proportion to viewing rows, 150 to 3 000.
    pub fn programs(&self) -> usize {
        (self.viewing_rows / 1_000).clamp(150, 3_000) as usize
    }
}

const DMAS: [&str; 40] = [
    "New York",
    "Los Angeles",
    "Chicago",
    "Philadelphia",
    "Dallas-Ft. Worth",
    "San Francisco-Oakland-San Jose",
    "Washington, DC (Hagerstown, MD)",
    "Houston",
    "Boston (Manchester)",
    "Atlanta",
    "Tampa-St. Petersburg (Sarasota)",
    "Phoenix (Prescott)",
    "Seattle-Tacoma",
    "Detroit",
    "Minneapolis-St. Paul",
    "Miami-Ft. Lauderdale",
    "Denver",
    "Orlando-Daytona Beach-Melbourne",
    "Cleveland-Akron (Canton)",
    "Sacramento-Stockton-Modesto",
    "Charlotte",
    "Portland, OR",
    "Raleigh-Durham (Fayetteville)",
    "St. Louis",
    "Indianapolis",
    "Pittsburgh",
    "Nashville",
    "Baltimore",
    "Salt Lake City",
    "San Diego",
    "San Antonio",
    "Hartford & New Haven",
    "Kansas City",
    "Columbus, OH",
    "Milwaukee",
    "Cincinnati",
    "Greenville-Spartanburg-Asheville-Anderson",
    "West Palm Beach-Ft. Pierce",
    "Austin",
    "Toledo",
];

const GENRES: [&str; 20] = [
    "Drama",
    "Comedy",
    "News",
    "Sports",
    "Reality",
    "Talk",
    "Documentary",
    "Children",
    "Animated",
    "Action",
    "Crime",
    "Romance",
    "Horror",
    "Science fiction",
    "Music",
    "Game show",
    "Cooking",
    "Travel",
    "Western",
    "Mystery",
];

const TITLE_WORDS: [&str; 24] = [
    "Late", "Night", "Show", "City", "Blue", "Kitchen", "Star", "Game", "House", "Family",
    "Street", "River", "Secret", "Golden", "Morning", "Live", "Wild", "Island", "Code", "Empire",
    "Hunters", "Files", "Tonight", "Justice",
];

/// Generates all four raw tables into `out` (created if needed).
///
/// # Errors
/// When `out` or a raw file under it cannot be created or written (the message names the
/// path it could not create).
pub fn generate(out: &Path, config: &TvGenConfig) -> Result<GenSummary> {
    create_folder(out)?;
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    let programs = write_programs(out, config, &mut synth, &mut summary)?;
    let households = write_demographics(out, config, &mut synth, &mut summary)?;
    let devices = write_reference(out, households, &mut synth, &mut summary)?;
    write_viewing(out, config, &programs, &devices, &mut synth, &mut summary)?;
    Ok(summary)
}

fn genre_list(synth: &mut Synth, genre_weights: &WeightedIndex) -> String {
    let count = 1 + synth.skewed_index(3, 1.5);
    let mut genres: Vec<&str> = Vec::new();
    while genres.len() < count {
        let genre = GENRES[genre_weights.draw(synth)];
        if !genres.contains(&genre) {
            genres.push(genre);
        }
    }
    let roll = synth.unit();
    if roll < 0.7 {
        genres.join(",")
    } else if roll < 0.9 {
        genres.join(", ")
    } else {
        format!("{} ,,", genres.join(" , "))
    }
}

/// Writes `programs.txt`; returns the valid prog_codes, most popular first.
fn write_programs(
    out: &Path,
    config: &TvGenConfig,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<Vec<String>> {
    let mut file = create_file(&out.join("programs.txt"))?;
    let genre_weights = WeightedIndex::zipf(GENRES.len(), 0.8);
    let n = config.programs();
    let mut codes = Vec::with_capacity(n);
    let mut rows = 0u64;
    let mut title = String::new();
    for i in 0..n {
        // Episodes of a series share a title: a new title every 1–3 programs.
        if i == 0 || synth.chance(0.5) {
            title = format!(
                "{} {} {}",
                synth.pick(&TITLE_WORDS),
                synth.pick(&TITLE_WORDS),
                synth.pick(&TITLE_WORDS)
            );
        }
        let prefix = synth.pick(&["EP", "SH", "MV"]);
        let code = format!("{prefix}{:012}", 100_000 + i as u64 * 37);
        let genre = genre_list(synth, &genre_weights);
        let duration = synth
            .pick(&["30.0", "60.0", "90.0", "120.0", ""])
            .to_string();
        let airings = 1 + synth.below(0, 4);
        let mut lines = Vec::new();
        for _ in 0..airings {
            let day = 1 + synth.below(0, 28);
            let time = format!(
                "{:02}{:02}00",
                synth.below(0, 24),
                synth.pick(&[0u64, 15, 30, 45])
            );
            lines.push(format!(
                "{code}|{title}|{genre}|201512{day:02}|{time}|{duration}"
            ));
        }
        if synth.chance(0.06) {
            lines.push(format!(
                "{code}|{title} (HD)|{genre}|20151231|200000|{duration}"
            ));
            summary.fault("programs", "clashing_title");
        }
        if synth.chance(0.04) {
            let other = GENRES[genre_weights.draw(synth)];
            lines.push(format!("{code}|{title}|{other}|20151230|210000|{duration}"));
            summary.fault("programs", "clashing_genre");
        }
        if synth.chance(0.03 * airings as f64) {
            let copy = lines[0].clone();
            lines.push(copy);
            summary.fault("programs", "duplicate_airing");
        }
        for line in &lines {
            writeln!(file, "{line}")?;
        }
        rows += lines.len() as u64;
        // Faulty extra rows; the program keeps its valid airings.
        let roll = synth.unit();
        if roll < 0.005 {
            writeln!(file, "{code}|{title}|{genre}|20151345|120000|{duration}")?;
            summary.fault("programs", "air_date|dtype");
            rows += 1;
        } else if roll < 0.008 {
            writeln!(file, "{code}|{title}|{genre}|20151201")?;
            summary.fault("programs", COLUMN_COUNT);
            rows += 1;
        } else if roll < 0.010 {
            file.write_all(format!("{code}|").as_bytes())?;
            file.write_all(b"Caf\xe9 Bonjour")?;
            writeln!(file, "|{genre}|20151202|090000|{duration}")?;
            summary.fault("programs", INVALID_UTF8);
            rows += 1;
        }
        codes.push(code);
    }
    file.flush()?;
    summary.rows.insert("programs", rows);
    Ok(codes)
}

/// Writes `demographics.txt`; returns the number of households.
fn write_demographics(
    out: &Path,
    config: &TvGenConfig,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<usize> {
    let mut file = create_file(&out.join("demographics.txt"))?;
    let households = config.households();
    let mut rows = 0u64;
    let mut write_household = |synth: &mut Synth, id: usize, fault: Option<&str>| -> Result<()> {
        let size = 1 + synth.skewed_index(7, 1.6);
        let adults = 1 + synth.below(0, size.min(4) as u64);
        let net_worth = synth.log_normal(150_000.0, 1.0).round() as u64;
        let income = if synth.chance(0.05) {
            ""
        } else {
            synth.pick(&crate::domains::tv::tables::INCOME_CODES)
        };
        let mut fields: Vec<String> = Vec::with_capacity(DEMOGRAPHIC_COLUMNS.len());
        for name in DEMOGRAPHIC_COLUMNS {
            fields.push(match name {
                "household_id" => household_id(id),
                "household_size" => size.to_string(),
                "num_adults" => adults.to_string(),
                "net_worth" => net_worth.to_string(),
                "income" => income.to_string(),
                "green_living" => synth.pick(&["Y", "N", ""]).to_string(),
                "gender_individual" => synth.pick(&["M", "F", "U"]).to_string(),
                "marital_status" => synth.pick(&["M", "S", "A", "B"]).to_string(),
                "dwelling_type" => synth.pick(&["S", "M", "P"]).to_string(),
                "home_owner_status" => synth.pick(&["O", "R", ""]).to_string(),
                _ => synth.below(0, 10).to_string(),
            });
        }
        match fault {
            Some("income|one_of") => fields[20] = "Z".into(),
            Some("net_worth|dtype") => fields[19] = "n/a".into(),
            Some(COLUMN_COUNT) => {
                fields.pop();
            }
            _ => {}
        }
        writeln!(file, "{}", fields.join("|"))?;
        Ok(())
    };
    for id in 0..households {
        write_household(synth, id, None)?;
        rows += 1;
        if synth.chance(0.01) {
            // A later copy of the household with other values: the first one counts.
            write_household(synth, id, None)?;
            summary.fault("demographics", "duplicate_household");
            rows += 1;
        }
        let roll = synth.unit();
        let fault = if roll < 0.003 {
            Some("income|one_of")
        } else if roll < 0.006 {
            Some("net_worth|dtype")
        } else if roll < 0.009 {
            Some(COLUMN_COUNT)
        } else {
            None
        };
        if let Some(rule) = fault {
            // A faulty row of a household no one else refers to.
            write_household(synth, households * 10 + id, Some(rule))?;
            summary.fault("demographics", rule);
            rows += 1;
        }
    }
    file.flush()?;
    summary.rows.insert("demographics", rows);
    Ok(households)
}

fn household_id(id: usize) -> String {
    format!("{}", 10_000_000 + id)
}

/// Writes `reference.csv`; returns every device id written with a valid id, in order.
fn write_reference(
    out: &Path,
    households: usize,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<Vec<String>> {
    let mut file = create_file(&out.join("reference.csv"))?;
    writeln!(
        file,
        "device_id,dma,dma_code,household_id,zipcode,household_type,system_type"
    )?;
    let dma_weights = WeightedIndex::zipf(DMAS.len(), 1.0);
    let mut devices = Vec::with_capacity(households * 2);
    let mut rows = 0u64;
    // 2% extra households appear only here, not in the demographics.
    let in_reference = households + households / 50;
    for id in 0..in_reference {
        if id >= households {
            summary.fault("reference", "household_not_in_demographics");
        }
        let dma = dma_weights.draw(synth);
        let zipcode = format!("{:05}", 10_000 + dma as u64 * 1_000 + synth.below(0, 1_000));
        let household_type = *synth.pick(&["Residential", "Residential", "MDU"]);
        let system_type = *synth.pick(&["A", "B"]);
        let count = 1 + synth.skewed_index(4, 1.8);
        let two_dmas = count > 1 && synth.chance(0.01);
        let two_zips = count > 1 && synth.chance(0.01);
        if two_dmas {
            summary.fault("reference", "household_in_two_dmas");
        }
        if two_zips {
            summary.fault("reference", "household_with_two_zipcodes");
        }
        for d in 0..count {
            let device = synth.hex(12);
            let mut row_dma = DMAS[dma];
            if d == count - 1 && two_dmas {
                row_dma = DMAS[(dma + 1 + synth.below(0, 5) as usize) % DMAS.len()];
            }
            if synth.chance(0.02) {
                row_dma = "Unknown";
                summary.fault("reference", "dma_unknown");
            }
            let row_zip = if d == count - 1 && two_zips {
                format!("{:05}", 99_000 + synth.below(0, 999))
            } else {
                zipcode.clone()
            };
            let line = format!(
                "{device},{},{},{},{row_zip},{household_type},{system_type}",
                csv_field(row_dma),
                500 + DMAS.iter().position(|x| *x == row_dma).unwrap_or(99),
                household_id(id)
            );
            writeln!(file, "{line}")?;
            rows += 1;
            if synth.chance(0.01) {
                // The same device again later, under another market: the first row counts.
                let other = DMAS[(dma + 7) % DMAS.len()];
                writeln!(
                    file,
                    "{device},{},{},{},{row_zip},{household_type},{system_type}",
                    csv_field(other),
                    600,
                    household_id(id)
                )?;
                summary.fault("reference", "duplicate_device");
                rows += 1;
            }
            devices.push(device);
        }
        let roll = synth.unit();
        if roll < 0.002 {
            writeln!(
                file,
                "NOT-A-DEVICE,{},501,{},{zipcode},Residential,A",
                csv_field(DMAS[dma]),
                household_id(id)
            )?;
            summary.fault("reference", "device_id|regex");
            rows += 1;
        } else if roll < 0.003 {
            writeln!(
                file,
                "{},{},501,,{zipcode},Residential,A",
                synth.hex(12),
                csv_field(DMAS[dma])
            )?;
            summary.fault("reference", "household_id|required");
            rows += 1;
        } else if roll < 0.004 {
            writeln!(
                file,
                "{},{},501,{},{zipcode},Residential,A,EXTRA",
                synth.hex(12),
                csv_field(DMAS[dma]),
                household_id(id)
            )?;
            summary.fault("reference", COLUMN_COUNT);
            rows += 1;
        }
    }
    file.flush()?;
    summary.rows.insert("reference", rows);
    Ok(devices)
}

/// Favourite programs per device.
const FAVOURITES: usize = 8;

/// Streams the viewing rows over `viewing_files` files.
fn write_viewing(
    out: &Path,
    config: &TvGenConfig,
    programs: &[String],
    devices: &[String],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let popularity = WeightedIndex::zipf(programs.len(), 1.1);
    let favourites: Vec<[usize; FAVOURITES]> = devices
        .iter()
        .map(|_| std::array::from_fn(|_| popularity.draw(synth)))
        .collect();
    let files = config.viewing_files.max(1) as u64;
    let per_file = config.viewing_rows.div_ceil(files);
    let mut written = 0u64;
    let mut line = String::with_capacity(128);
    for f in 0..files {
        let mut file = create_file(&out.join(format!("viewing_{:03}.csv", f + 1)))?;
        writeln!(
            file,
            "device_id,event_date,event_time,mso_code,prog_code,station_num"
        )?;
        let rows = per_file.min(config.viewing_rows - written);
        for _ in 0..rows {
            line.clear();
            // Heavy viewers: a skew towards the first devices.
            // Heavy viewers: a skew towards the first devices; 1% of rows come from
            // devices missing from the reference.
            let (device, program) = if synth.chance(0.01) {
                (synth.hex(12), &programs[popularity.draw(synth)])
            } else {
                let index = synth.skewed_index(devices.len(), 2.0);
                let program = if synth.chance(0.8) {
                    favourites[index][synth.below(0, FAVOURITES as u64) as usize]
                } else {
                    popularity.draw(synth)
                };
                (devices[index].clone(), &programs[program])
            };
            let date = 20_151_201 + synth.below(0, 14);
            let seconds = synth.below(0, 86_400);
            let time = (seconds / 3600) * 10_000 + (seconds / 60 % 60) * 100 + seconds % 60;
            let mso = *synth.pick(&["MSO1", "MSO2", "MSO3"]);
            let station = 10_000 + synth.below(0, 500);
            let roll = synth.unit();
            let fault = match roll {
                r if r < 0.004 => Some("prog_code|lookup"),
                r if r < 0.0045 => Some("device_id|regex"),
                r if r < 0.005 => Some("event_date|dtype"),
                r if r < 0.0052 => Some("event_time|dtype"),
                r if r < 0.0054 => Some("prog_code|required"),
                r if r < 0.0056 => Some(COLUMN_COUNT),
                _ => None,
            };
            use std::fmt::Write as _;
            let _ = match fault {
                Some("prog_code|lookup") => write!(
                    line,
                    "{device},{date},{time},{mso},XX{:012},{station}",
                    synth.below(0, 1_000_000)
                ),
                Some("device_id|regex") => write!(
                    line,
                    "{}Z,{date},{time},{mso},{program},{station}",
                    &device[..11]
                ),
                Some("event_date|dtype") => {
                    write!(line, "{device},2015-12-01,{time},{mso},{program},{station}")
                }
                Some("event_time|dtype") => {
                    write!(line, "{device},{date},256100,{mso},{program},{station}")
                }
                Some("prog_code|required") => {
                    write!(line, "{device},{date},{time},{mso},,{station}")
                }
                Some(_) => write!(line, "{device},{date},{time},{mso},{program}"),
                None => write!(line, "{device},{date},{time},{mso},{program},{station}"),
            };
            if let Some(rule) = fault {
                summary.fault("viewing", rule);
            }
            line.push('\n');
            file.write_all(line.as_bytes())?;
        }
        file.flush()?;
        written += rows;
    }
    summary.rows.insert("viewing", written);
    Ok(())
}

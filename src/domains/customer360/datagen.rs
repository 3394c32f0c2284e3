//! Synthetic Customer 360 raw data in the real layouts, deterministic for a seed,
//! streamed to disk so that any size fits in memory.
//!
//! - `content/YYYYMMDD.json`: one NDJSON file per day, Elasticsearch export lines;
//!   a few heavy viewers (Zipf-distributed contracts) and many light ones, each with
//!   one to four devices and a taste for some apps;
//! - `search/YYYYMMDD/part-0.parquet`: one folder per day over two calendar months
//!   starting with the content's month; users keep or change their favourite
//!   category from one month to the next;
//! - `mapping.xlsx`: keyword → category, with a duplicated keyword (the first row
//!   wins) and a keyword written with stray spaces;
//! - `contract_users.csv`: one or two users per contract, a few contracts that never
//!   watch, and a row without a user.
//!
//! Faults, each counted in [`GenSummary::faults`] under the name of the rule that
//! catches it: unknown apps (`AppName|one_of`), contract `0` (`Contract|none_of`),
//! empty contracts (`Contract|required`), missing Macs (`Mac|required`), non-integer
//! durations (`TotalDuration|dtype`), malformed JSON lines (`layout|invalid_json`);
//! in the search logs datetimes with Persian or Arabic-Indic digits (valid after
//! C8's normalisation, counted as `persian_digits` and `arabic_indic_digits`),
//! unparseable datetimes (`datetime|dtype`), null users (`user_id|required`), null
//! keywords (`keyword|required`), keywords with stray spaces (`stray_spaces`) and
//! unmapped keywords (`unmapped_keyword`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::{df, IntoColumn, IntoSeries, ListChunked, NamedFrom, ParquetWriter, Series};
use rust_xlsxwriter::Workbook;

use crate::io::{create_file, create_folder};
use crate::schema::INVALID_JSON;
use crate::synth::{GenSummary, Synth, WeightedIndex};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Customer360GenConfig {
    /// Content rows over all days (malformed lines included).
    pub content_rows: u64,
    /// Daily content files.
    pub days: u32,
    /// The first content day.
    pub first_day: NaiveDate,
    /// Contracts; derived from the rows when `None`.
    pub contracts: Option<u64>,
    pub seed: u64,
}

impl Customer360GenConfig {
    /// Contracts: as given, else one per 25 daily rows, 40 to 2 000 000.
    pub fn contracts(&self) -> usize {
        self.contracts
            .unwrap_or(self.content_rows / self.days.max(1) as u64 / 25)
            .clamp(40, 2_000_000) as usize
    }

    /// Search rows per day: about one per contract per fortnight, at least 20.
    pub fn search_rows_per_day(&self) -> usize {
        (self.contracts() / 14).max(20)
    }
}

/// Apps with their share of plays; the last two are unknown to C1.
const APPS: [(&str, f64); 10] = [
    ("CHANNEL", 30.0),
    ("KPLUS", 10.0),
    ("DSHD", 5.0),
    ("VOD", 20.0),
    ("FIMS", 8.0),
    ("SPORT", 12.0),
    ("RELAX", 8.0),
    ("CHILD", 7.0),
    ("GAME", 0.3),
    ("KARAOKE", 0.2),
];

/// Keyword categories and their keywords, as in the mapping.
const KEYWORDS: [(&str, &[&str]); 6] = [
    (
        "K-drama",
        &[
            "hospital playlist",
            "crash landing on you",
            "goblin",
            "vincenzo",
            "itaewon class",
        ],
    ),
    (
        "Anime",
        &["naruto", "one piece", "attack on titan", "demon slayer"],
    ),
    (
        "C-drama",
        &["eternal love", "nirvana in fire", "the untamed"],
    ),
    (
        "Thai-drama",
        &["f4 thailand", "bad genius", "girl from nowhere"],
    ),
    ("US-drama", &["friends", "breaking bad", "the office"]),
    ("Sports", &["world cup", "premier league", "sea games"]),
];
/// Keywords with no mapping.
const UNMAPPED_KEYWORDS: [&str; 3] = ["weather today", "lottery results", "asdfgh"];
const PERSIAN_ZERO: u32 = 0x06F0;
const ARABIC_INDIC_ZERO: u32 = 0x0660;

/// Writes the four raw tables under `out` and returns what was written.
///
/// # Errors
/// When `out` or a folder or file under it cannot be created or written (most messages
/// name the path).
pub fn generate(out: &Path, config: &Customer360GenConfig) -> Result<GenSummary> {
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    create_folder(out)?;
    let contracts = Contracts::new(config.contracts(), &mut synth);
    write_content(out, config, &contracts, &mut synth, &mut summary)?;
    write_link(out, &contracts, &mut summary)?;
    write_mapping(out, &mut summary)?;
    write_search(out, config, &contracts, &mut synth, &mut summary)?;
    Ok(summary)
}

/// The contracts: ids, devices, app taste and users.
struct Contracts {
    ids: Vec<String>,
    devices: Vec<Vec<String>>,
    taste: Vec<WeightedIndex>,
    users: Vec<Vec<String>>,
    /// Drawn per content row: a few heavy viewers, many light ones.
    viewing: WeightedIndex,
}

impl Contracts {
    fn new(n: usize, synth: &mut Synth) -> Self {
        let prefixes = ["SGH", "HNH", "DNH", "CTH", "BDH"];
        let mut ids = Vec::with_capacity(n);
        let mut devices = Vec::with_capacity(n);
        let mut taste = Vec::with_capacity(n);
        let mut users = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(format!(
                "{}{:06}",
                prefixes[i % prefixes.len()],
                100_000 + i
            ));
            let count = 1 + synth.skewed_index(4, 2.0);
            devices.push((0..count).map(|_| synth.hex(12)).collect());
            taste.push(WeightedIndex::new(
                APPS.iter().map(|(_, w)| w * synth.unit().powi(2)),
            ));
            let user_count = if synth.chance(0.2) { 2 } else { 1 };
            users.push(
                (0..user_count)
                    .map(|u| format!("U{:07}", 2 * i + u))
                    .collect(),
            );
        }
        Contracts {
            ids,
            devices,
            taste,
            users,
            viewing: WeightedIndex::zipf(n, 0.9),
        }
    }
}

fn write_content(
    out: &Path,
    config: &Customer360GenConfig,
    contracts: &Contracts,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let dir = out.join("content");
    let days = config.days.max(1) as u64;
    for day in 0..days {
        let date = config.first_day + Duration::days(day as i64);
        let path = dir.join(format!("{}.json", date.format("%Y%m%d")));
        let rows = config.content_rows / days + u64::from(day < config.content_rows % days);
        let mut file = create_file(&path)?;
        for _ in 0..rows {
            write_content_line(&mut file, contracts, synth, summary)?;
        }
        file.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        *summary.rows.entry("content").or_insert(0) += rows;
    }
    Ok(())
}

fn write_content_line(
    file: &mut impl Write,
    contracts: &Contracts,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let c = contracts.viewing.draw(synth);
    let mut contract = format!("\"{}\"", contracts.ids[c]);
    let mut mac = format!("\"{}\"", synth.pick(&contracts.devices[c]));
    let app = APPS[contracts.taste[c].draw(synth)].0;
    let mut duration = format!(
        "{}",
        synth.log_normal(1500.0, 1.2).round().min(86_400.0) as u64
    );
    let fault = synth.unit();
    let mut malformed = false;
    if app == "GAME" || app == "KARAOKE" {
        summary.fault("content", "AppName|one_of");
    } else if fault < 0.002 {
        contract = "\"0\"".into();
        summary.fault("content", "Contract|none_of");
    } else if fault < 0.003 {
        contract = "\"\"".into();
        summary.fault("content", "Contract|required");
    } else if fault < 0.005 {
        mac = "null".into();
        summary.fault("content", "Mac|required");
    } else if fault < 0.006 {
        duration = "\"12.5\"".into();
        summary.fault("content", "TotalDuration|dtype");
    } else if fault < 0.007 {
        malformed = true;
        summary.fault("content", INVALID_JSON);
    }
    let id = synth.hex(20);
    let line = format!(
        "{{\"_index\":\"history\",\"_type\":\"kplus\",\"_id\":\"{id}\",\"_score\":0,\"_source\":{{\"Contract\":{contract},\"Mac\":{mac},\"AppName\":\"{app}\",\"TotalDuration\":{duration}}}}}"
    );
    if malformed {
        // A line cut short, as in an export interrupted mid-write.
        writeln!(file, "{}", &line[..line.len() / 2])?;
    } else {
        writeln!(file, "{line}")?;
    }
    Ok(())
}

fn write_link(out: &Path, contracts: &Contracts, summary: &mut GenSummary) -> Result<()> {
    let path = out.join("contract_users.csv");
    let mut file = create_file(&path)?;
    writeln!(file, "contract,user_id")?;
    let mut rows = 0u64;
    for (id, users) in contracts.ids.iter().zip(&contracts.users) {
        for user in users {
            writeln!(file, "{id},{user}")?;
            rows += 1;
        }
    }
    // A contract that never watches (no profile, so not in customer_360) and a row
    // without a user.
    writeln!(file, "ZZZ999999,U9999999")?;
    writeln!(file, "{},", contracts.ids[0])?;
    summary.fault("contract_users", "user_id|required");
    summary.rows.insert("contract_users", rows + 2);
    file.flush()?;
    Ok(())
}

fn write_mapping(out: &Path, summary: &mut GenSummary) -> Result<()> {
    let path = out.join("mapping.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "search")?;
    sheet.write(0, 1, "category")?;
    let mut row = 1u32;
    for (category, keywords) in KEYWORDS {
        for keyword in keywords {
            // One keyword written with stray spaces: C10 trims the mapping too.
            let written = if *keyword == "goblin" {
                " goblin "
            } else {
                keyword
            };
            sheet.write(row, 0, written)?;
            sheet.write(row, 1, category)?;
            row += 1;
        }
    }
    // A duplicate: the first row (Anime) wins.
    sheet.write(row, 0, "naruto")?;
    sheet.write(row, 1, "C-drama")?;
    summary.fault("mapping", "duplicate_search");
    book.save(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    summary.rows.insert("mapping", row as u64);
    Ok(())
}

fn write_search(
    out: &Path,
    config: &Customer360GenConfig,
    contracts: &Contracts,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let users: Vec<&String> = contracts.users.iter().flatten().collect();
    // Each user's favourite category per month: kept with probability 0.6.
    let favourite_m1: Vec<usize> = users
        .iter()
        .map(|_| synth.below(0, KEYWORDS.len() as u64) as usize)
        .collect();
    let favourite_m2: Vec<usize> = favourite_m1
        .iter()
        .map(|&f| {
            if synth.chance(0.6) {
                f
            } else {
                synth.below(0, KEYWORDS.len() as u64) as usize
            }
        })
        .collect();
    let searching = WeightedIndex::zipf(users.len(), 0.7);
    let first = config.first_day.with_day(1).unwrap_or(config.first_day);
    let second_month = first + Duration::days(31);
    let end = second_month.with_day(1).unwrap_or(second_month) + Duration::days(31);
    let end = end.with_day(1).unwrap_or(end);
    let per_day = config.search_rows_per_day();
    let mut event = 0u64;
    let mut months = BTreeSet::new();
    let mut day = first;
    while day < end {
        months.insert(day.month());
        let second = day.month() != first.month();
        let mut columns: [Vec<Option<String>>; 9] = Default::default();
        let mut plans: Vec<Series> = Vec::with_capacity(per_day);
        for _ in 0..per_day {
            let u = searching.draw(synth);
            let favourite = if second {
                favourite_m2[u]
            } else {
                favourite_m1[u]
            };
            let category = if synth.chance(0.75) {
                favourite
            } else {
                synth.below(0, KEYWORDS.len() as u64) as usize
            };
            let (_, keywords) = KEYWORDS[category];
            let mut keyword = Some(keywords[synth.skewed_index(keywords.len(), 1.5)].to_string());
            let mut user = Some(users[u].clone());
            let seconds = synth.below(0, 86_400);
            let mut datetime = format!(
                "{} {:02}:{:02}:{:02}.{:03}",
                day.format("%Y-%m-%d"),
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60,
                synth.below(0, 1000)
            );
            let fault = synth.unit();
            if fault < 0.02 {
                datetime = foreign_digits(&datetime, PERSIAN_ZERO);
                summary.fault("search", "persian_digits");
            } else if fault < 0.03 {
                datetime = foreign_digits(&datetime, ARABIC_INDIC_ZERO);
                summary.fault("search", "arabic_indic_digits");
            } else if fault < 0.035 {
                datetime = synth
                    .pick(&["2022-13-45 10:00:00", "yesterday", "01/06/2022 10:00"])
                    .to_string();
                summary.fault("search", "datetime|dtype");
            } else if fault < 0.04 {
                user = None;
                summary.fault("search", "user_id|required");
            } else if fault < 0.045 {
                keyword = None;
                summary.fault("search", "keyword|required");
            } else if fault < 0.075 {
                keyword = keyword.map(|k| format!("  {k} "));
                summary.fault("search", "stray_spaces");
            } else if fault < 0.095 {
                keyword = Some(synth.pick(&UNMAPPED_KEYWORDS).to_string());
                summary.fault("search", "unmapped_keyword");
            } else if fault < 0.10 {
                // A date without a time: valid (C8's time part is optional).
                datetime = day.format("%Y-%m-%d").to_string();
            }
            event += 1;
            let values = [
                Some(format!("E{event:010}")),
                Some(datetime),
                user,
                keyword,
                Some(KEYWORDS[category].0.to_lowercase()),
                Some(synth.pick(&["VNPT", "Viettel", "FPT"]).to_string()),
                Some(
                    synth
                        .pick(&["android", "ios", "smarttv", "web"])
                        .to_string(),
                ),
                Some(synth.pick(&["wifi", "4g", "ethernet"]).to_string()),
                Some("search".to_string()),
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value);
            }
            plans.push(Series::new(
                "".into(),
                ["basic", "sport"][..1 + synth.below(0, 2) as usize].to_vec(),
            ));
        }
        let names = [
            "eventID",
            "datetime",
            "user_id",
            "keyword",
            "category",
            "proxy_isp",
            "platform",
            "networkType",
            "action",
        ];
        let mut frame = df!("eventID" => &columns[0])?;
        for (name, values) in names.iter().zip(&columns).skip(1) {
            frame.with_column(Series::new((*name).into(), values).into_column())?;
        }
        let plans: ListChunked = plans.into_iter().map(Some).collect();
        frame.with_column(
            plans
                .into_series()
                .with_name("userPlansMap".into())
                .into_column(),
        )?;
        let folder = out.join("search").join(day.format("%Y%m%d").to_string());
        let path = folder.join("part-0.parquet");
        ParquetWriter::new(create_file(&path)?).finish(&mut frame)?;
        *summary.rows.entry("search").or_insert(0) += per_day as u64;
        day += Duration::days(1);
    }
    Ok(())
}

/// `text` with its ASCII digits written in the script whose zero is `zero`.
fn foreign_digits(text: &str, zero: u32) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

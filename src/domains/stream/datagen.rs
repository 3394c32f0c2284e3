//! Synthetic raw files of a streaming-TV platform in the real layouts (S1):
//! `channel_metadata.csv` (50 channels by default), `demographics.csv` (about 5,000
//! users), `ad_revenue.csv` (7 days per channel) and `viewership_logs.csv` (N
//! sessions), anchored at a fixed date ([`ANCHOR`]), never the wall clock.
//!
//! Faults at known rates, each counted in the summary under the reason a run gives
//! it: repeated channels, users and sessions (`duplicate_channel`, `duplicate_user`,
//! `duplicate_session`), ad revenue rows repeated later in the file with another
//! amount (`superseded`), values outside their lists or ranges (`device|one_of`,
//! `engagement_score|range`, `completion_percentage|range`), unparseable numbers and
//! times (`duration_minutes|dtype`, `timestamp|dtype`), a missing required field
//! (`user_id|required`), a bad `is_live` (`is_live|one_of`), lines with a field too
//! many (`layout|column_count`), and sessions of users without a profile (counted
//! under gender `Unknown`). Quoted fields hold commas (show names). The same seed
//! and size give the same bytes.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::tables::{
    AGE_GROUPS, DEVICES, GENDERS, GENRES, LANGUAGES, PLATFORMS, REGIONS, SUBSCRIPTIONS,
    VIEWING_COLUMNS,
};
use crate::io::{create_file, create_folder};
use crate::synth::{csv_field, GenSummary, Synth};

/// The first day of ad revenue and viewing: a fixed date, so that the same seed gives
/// the same files on any day.
pub const ANCHOR: (i32, u32, u32) = (2025, 3, 3);

/// How much to generate.
#[derive(Clone, Debug)]
pub struct StreamGenConfig {
    /// Viewing sessions.
    pub sessions: u64,
    pub channels: u32,
    pub users: u32,
    /// Days of ad revenue and viewing from [`ANCHOR`].
    pub days: u32,
    pub seed: u64,
}

impl StreamGenConfig {
    /// The spec's defaults (50 channels, 5,000 users, 7 days) for `sessions` rows.
    pub fn with_sessions(sessions: u64) -> Self {
        StreamGenConfig {
            sessions,
            channels: 50,
            users: 5_000,
            days: 7,
            seed: 42,
        }
    }
}

const SHOWS: [&str; 8] = [
    "Morning Live",
    "The Final Over",
    "Kitchen Stories",
    "Night Desk",
    "Cartoon Hour",
    "Top Hits",
    "Premiere Night",
    "Weekend Special",
];

fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(ANCHOR.0, ANCHOR.1, ANCHOR.2).unwrap_or_default()
}

fn channel_id(index: u32) -> String {
    format!("CH{:03}", index + 1)
}

fn user_id(index: u32) -> String {
    format!("U{:05}", index + 1)
}

/// The channel names and genres, drawn once and shared by every file.
struct Channel {
    name: String,
    genre: &'static str,
}

/// The channels' names and genres: the generator's first draws.
fn draw_channels(config: &StreamGenConfig, synth: &mut Synth) -> Vec<Channel> {
    (0..config.channels)
        .map(|i| Channel {
            name: format!(
                "{} {}",
                synth.pick(&["Star", "Zee", "Sun", "Max", "Prime"]),
                i + 1
            ),
            genre: *synth.pick(&GENRES),
        })
        .collect()
}

/// Writes the four raw files into `out`; returns what was written.
///
/// # Errors
/// When a file cannot be created or written; the message names it.
pub fn generate(out: &Path, config: &StreamGenConfig) -> Result<GenSummary> {
    create_folder(out)?;
    let mut synth = Synth::new(config.seed);
    let mut summary = GenSummary::default();
    let channels = draw_channels(config, &mut synth);
    write_channels(out, &channels, &mut synth, &mut summary)?;
    write_users(out, config.users, &mut synth, &mut summary)?;
    write_ad_revenue(out, config, &channels, &mut synth, &mut summary)?;
    write_viewing(out, config, &channels, &mut synth, &mut summary)?;
    Ok(summary)
}

fn write_channels(
    out: &Path,
    channels: &[Channel],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let mut file = create_file(&out.join("channel_metadata.csv"))?;
    writeln!(file, "channel_id,channel_name,genre,language,launch_year")?;
    let mut rows = 0;
    for (i, channel) in channels.iter().enumerate() {
        let line = format!(
            "{},{},{},{},{}",
            channel_id(i as u32),
            csv_field(&channel.name),
            channel.genre,
            synth.pick(&LANGUAGES),
            synth.below(1975, 2024)
        );
        writeln!(file, "{line}")?;
        rows += 1;
        // A channel listed twice: the second row is dropped.
        if synth.chance(0.05) {
            writeln!(
                file,
                "{},{} HD,{},English,2020",
                channel_id(i as u32),
                channel.name,
                channel.genre
            )?;
            summary.fault("channel_metadata", "duplicate_channel");
            rows += 1;
        }
    }
    file.flush()?;
    summary.rows.insert("channel_metadata", rows);
    Ok(())
}

fn write_users(out: &Path, users: u32, synth: &mut Synth, summary: &mut GenSummary) -> Result<()> {
    let mut file = create_file(&out.join("demographics.csv"))?;
    writeln!(file, "user_id,gender,age_group,region,subscription_type")?;
    let mut rows = 0;
    // The last tenth of the user ids have no profile: their sessions count as Unknown.
    for i in 0..users - users / 10 {
        let gender = if synth.chance(0.02) {
            ""
        } else {
            *synth.pick(&GENDERS)
        };
        let line = format!(
            "{},{gender},{},{},{}",
            user_id(i),
            synth.pick(&AGE_GROUPS),
            synth.pick(&REGIONS),
            synth.pick(&SUBSCRIPTIONS)
        );
        writeln!(file, "{line}")?;
        rows += 1;
        if synth.chance(0.01) {
            writeln!(file, "{},Other,60+,North,Free", user_id(i))?;
            summary.fault("demographics", "duplicate_user");
            rows += 1;
        }
    }
    file.flush()?;
    summary.rows.insert("demographics", rows);
    Ok(())
}

fn write_ad_revenue(
    out: &Path,
    config: &StreamGenConfig,
    channels: &[Channel],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let mut file = create_file(&out.join("ad_revenue.csv"))?;
    writeln!(file, "channel_id,channel_name,date,ad_revenue")?;
    let mut rows = 0;
    let mut corrections = Vec::new();
    for day in 0..config.days {
        let date = anchor() + Duration::days(i64::from(day));
        for (i, channel) in channels.iter().enumerate() {
            let amount = synth.log_normal(20_000.0, 0.8);
            writeln!(
                file,
                "{},{},{date},{amount:.2}",
                channel_id(i as u32),
                csv_field(&channel.name)
            )?;
            rows += 1;
            // A correction later in the file replaces this row.
            if synth.chance(0.03) {
                corrections.push(format!(
                    "{},{},{date},{:.2}",
                    channel_id(i as u32),
                    csv_field(&channel.name),
                    amount * 1.1
                ));
                summary.fault("ad_revenue", "superseded");
            }
        }
    }
    for line in corrections {
        writeln!(file, "{line}")?;
        rows += 1;
    }
    file.flush()?;
    summary.rows.insert("ad_revenue", rows);
    Ok(())
}

fn write_viewing(
    out: &Path,
    config: &StreamGenConfig,
    channels: &[Channel],
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> Result<()> {
    let mut file = create_file(&out.join("viewership_logs.csv"))?;
    writeln!(file, "{}", VIEWING_COLUMNS.join(","))?;
    let mut sessions = Sessions::new("S");
    for _ in 0..config.sessions {
        writeln!(
            file,
            "{}",
            sessions.next_line(config, channels, synth, summary)
        )?;
    }
    file.flush()?;
    summary.rows.insert("viewership_logs", config.sessions);
    Ok(())
}

/// The viewing sessions' lines, one after the other: each a new session (perhaps
/// with a fault) or, now and then, the previous valid session sent again.
struct Sessions {
    /// Session ids are this prefix and a 9-digit number (`S000000001`).
    prefix: &'static str,
    start: NaiveDateTime,
    next: u64,
    previous: Option<String>,
}

impl Sessions {
    fn new(prefix: &'static str) -> Self {
        Sessions {
            prefix,
            start: anchor().and_hms_opt(0, 0, 0).unwrap_or_default(),
            next: 0,
            previous: None,
        }
    }

    fn next_line(
        &mut self,
        config: &StreamGenConfig,
        channels: &[Channel],
        synth: &mut Synth,
        summary: &mut GenSummary,
    ) -> String {
        let n = self.next;
        self.next += 1;
        // A session sent twice: the same line again.
        if let (Some(line), true) = (&self.previous, synth.chance(0.01)) {
            let line = line.clone();
            summary.fault("viewership_logs", "duplicate_session");
            self.previous = None;
            return line;
        }
        let seconds = u64::from(config.days) * 86_400;
        let (line, faulty) = session(
            &format!("{}{:09}", self.prefix, n + 1),
            config,
            channels,
            self.start,
            seconds,
            synth,
            summary,
        );
        // Only a valid session is sent twice, so that the copy counts as a duplicate.
        self.previous = (!faulty).then(|| line.clone());
        line
    }
}

/// Viewing sessions as live events (S1, S4): the viewing logs' lines without a
/// header, session ids `L000000001`, … (apart from the files' `S…`), with the logs'
/// faults and resends at the same rates, for the channels and users of the files
/// [`generate`] writes with the same seed. Endless: take as many as wanted; the
/// faults drawn so far are in [`LiveEvents::summary`].
pub struct LiveEvents {
    config: StreamGenConfig,
    channels: Vec<Channel>,
    synth: Synth,
    sessions: Sessions,
    pub summary: GenSummary,
}

impl LiveEvents {
    pub fn new(config: &StreamGenConfig) -> Self {
        let mut synth = Synth::new(config.seed);
        let channels = draw_channels(config, &mut synth);
        // Live sessions draw from their own sequence, not the files'.
        let synth = Synth::new(config.seed ^ 0x5eed_11fe);
        LiveEvents {
            config: config.clone(),
            channels,
            synth,
            sessions: Sessions::new("L"),
            summary: GenSummary::default(),
        }
    }
}

impl Iterator for LiveEvents {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let line = self.sessions.next_line(
            &self.config,
            &self.channels,
            &mut self.synth,
            &mut self.summary,
        );
        Some(line)
    }
}

/// One session's line, perhaps with one injected fault (counted), and whether it has
/// one.
fn session(
    session_id: &str,
    config: &StreamGenConfig,
    channels: &[Channel],
    start: NaiveDateTime,
    seconds: u64,
    synth: &mut Synth,
    summary: &mut GenSummary,
) -> (String, bool) {
    let channel = synth.below(0, u64::from(config.channels)) as u32;
    let at = start + Duration::seconds(synth.below(0, seconds) as i64);
    let mut fields: Vec<String> = vec![
        session_id.to_string(),
        user_id(synth.below(0, u64::from(config.users)) as u32),
        channel_id(channel),
        channels[channel as usize].name.clone(),
        format!("{}, Ep {}", synth.pick(&SHOWS), synth.below(1, 60)),
        channels[channel as usize].genre.to_string(),
        at.format("%Y-%m-%d %H:%M:%S").to_string(),
        format!("{:.1}", synth.log_normal(25.0, 0.9)),
        synth.pick(&REGIONS).to_string(),
        synth.pick(&SUBSCRIPTIONS).to_string(),
        synth.pick(&DEVICES).to_string(),
        synth.pick(&PLATFORMS).to_string(),
        synth
            .pick(&["True", "False", "true", "FALSE", "1", "0"])
            .to_string(),
        synth.below(0, 12).to_string(),
        format!("{:.2}", synth.unit() * 3.0),
        format!("{:.3}", synth.unit()),
        synth.below(0, 8).to_string(),
        format!("{:.1}", synth.unit() * 100.0),
    ];
    let fault: Option<(usize, &str, &str)> = match synth.below(0, 1000) {
        0..=3 => Some((10, "Smart Fridge", "device|one_of")),
        4..=6 => Some((15, "1.7", "engagement_score|range")),
        7..=8 => Some((17, "140", "completion_percentage|range")),
        9..=10 => Some((7, "twelve", "duration_minutes|dtype")),
        11..=12 => Some((6, "03/05/2025 10:00", "timestamp|dtype")),
        13..=14 => Some((1, "", "user_id|required")),
        15..=16 => Some((12, "yes", "is_live|one_of")),
        // An empty optional field is null, not a fault.
        17..=40 => Some((8, "", "")),
        _ => None,
    };
    let mut faulty = false;
    if let Some((column, value, reason)) = fault {
        fields[column] = value.to_string();
        if !reason.is_empty() {
            summary.fault("viewership_logs", reason);
            faulty = true;
        }
    }
    let mut line: Vec<String> = fields.iter().map(|f| csv_field(f).into_owned()).collect();
    if !faulty && synth.chance(0.001) {
        line.push("extra".to_string());
        summary.fault("viewership_logs", "layout|column_count");
        faulty = true;
    }
    (line.join(","), faulty)
}

/// How live events are written on the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// One CSV line, the viewing logs' 18 fields without a header.
    Csv,
    /// One JSON object, the 18 fields by name (strings; an empty field `null`).
    Json,
}

/// `line` (a viewing log line) as one JSON object; a line with a field too many
/// becomes a JSON text cut short (a `layout|invalid_json` event).
fn json_event(line: &str) -> String {
    let fields = crate::io::delimited::split_record(line, b',');
    if fields.len() != VIEWING_COLUMNS.len() {
        return format!(
            "{{\"session_id\": \"{}\"",
            fields.first().map_or("", |f| f.as_str())
        );
    }
    let object: serde_json::Map<String, serde_json::Value> = VIEWING_COLUMNS
        .iter()
        .zip(fields)
        .map(|(column, field)| {
            let value = if field.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::from(field)
            };
            (column.to_string(), value)
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// Publishes `count` live events ([`LiveEvents`]) on `events` at about `rate` events
/// a second (0: as fast as the server stores them), in slices of a tenth of a
/// second, each stored before the next is sent; calls `progress` with the events
/// published so far after each slice. Returns the faults drawn.
///
/// # Errors
/// When the server does not store an event (the events before it are stored).
pub fn publish(
    events: &crate::io::events::EventStream,
    config: &StreamGenConfig,
    count: u64,
    rate: f64,
    format: EventFormat,
    mut progress: impl FnMut(u64),
) -> Result<GenSummary> {
    let mut live = LiveEvents::new(config);
    let slice = if rate > 0.0 {
        ((rate / 10.0).ceil() as u64).max(1)
    } else {
        10_000
    };
    let started = std::time::Instant::now();
    let mut sent = 0u64;
    while sent < count {
        let n = slice.min(count - sent);
        let payloads: Vec<Vec<u8>> = live
            .by_ref()
            .take(n as usize)
            .map(|line| match format {
                EventFormat::Csv => line.into_bytes(),
                EventFormat::Json => json_event(&line).into_bytes(),
            })
            .collect();
        events.publish(payloads).map_err(|error| {
            anyhow::anyhow!("{error:#} ({sent} events were stored before this slice of {n})")
        })?;
        sent += n;
        progress(sent);
        if rate > 0.0 {
            let due = std::time::Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let mut summary = live.summary;
    if format == EventFormat::Json {
        if let Some(count) = summary
            .faults
            .remove("viewership_logs: layout|column_count")
        {
            summary
                .faults
                .insert("viewership_logs: layout|invalid_json".into(), count);
        }
    }
    summary.rows.insert("live_events", count);
    Ok(summary)
}

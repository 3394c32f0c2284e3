//! The live event stream: a NATS JetStream stream, the persistent log with sequence
//! numbers and replay that Amazon Kinesis is in the original (S4 of the stream
//! domain). Owns the connection, finding (or creating) the stream that holds a
//! subject, publishing events with the server's acknowledgement, and reading events
//! in batches from a stream sequence on.
//!
//! A reader keeps its position itself (the stream domain commits it into its Delta
//! table with the rows): [`EventStream::read_from`] opens an ephemeral consumer that
//! acknowledges nothing and starts at the given sequence, so a restarted reader
//! resumes exactly where its last commit ended.
//!
//! The client is asynchronous; an [`EventStream`] drives it on its own runtime (one
//! worker thread, which keeps the connection served while the caller computes), and
//! every call blocks until it is done.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use polars::prelude::{Column, DataFrame, NamedFrom, PlSmallStr, Scalar, Series};

/// How long connecting, publishing and any request to the server may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Events published before the oldest one's acknowledgement is awaited.
const ACK_WINDOW: usize = 1_000;

/// An event read from the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its stream sequence: 1, 2, … in the order the server stored the events.
    pub sequence: u64,
    /// When the server stored it (Unix time in milliseconds).
    pub published_ms: i64,
    pub payload: Vec<u8>,
}

/// A connection to the stream that holds one subject.
pub struct EventStream {
    runtime: tokio::runtime::Runtime,
    context: jetstream::Context,
    url: String,
    subject: String,
    stream: String,
}

/// The name SmartView gives the stream it creates for `subject`
/// (`viewership.events` → `SMARTVIEW_viewership_events`): stream names may not hold
/// `.`, `*`, `>` or white space.
pub fn stream_name_for(subject: &str) -> String {
    let body: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("SMARTVIEW_{body}")
}

/// Checks that `subject` names one subject: dot-separated tokens, none empty, no
/// white space, and no wildcard (`*`, `>`), which would read or write many.
///
/// # Errors
/// When it does not, saying why.
pub fn check_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.contains(char::is_whitespace) {
        bail!("`{subject}` is not a NATS subject (tokens separated by dots, no spaces)");
    }
    if subject.split('.').any(str::is_empty) {
        bail!("`{subject}` is not a NATS subject: a token between dots is empty");
    }
    if subject.split('.').any(|token| token == "*" || token == ">") {
        bail!(
            "`{subject}` is a wildcard, which names many subjects; events are published and \
             read on one subject, such as viewership.events"
        );
    }
    Ok(())
}

impl EventStream {
    /// Connects to the NATS server at `url` (`nats://127.0.0.1:4222`) and finds the
    /// JetStream stream holding `subject`, creating it (file storage, named by
    /// [`stream_name_for`]) when there is none.
    ///
    /// # Errors
    /// When the server cannot be reached in 10 seconds (the message names the URL),
    /// has no JetStream, or `subject` is not a valid subject.
    pub fn connect(url: &str, subject: &str) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the runtime the NATS client runs on")?;
        check_subject(subject)?;
        let (context, stream) = runtime.block_on(async {
            let client = async_nats::ConnectOptions::new()
                .connection_timeout(REQUEST_TIMEOUT)
                .request_timeout(Some(REQUEST_TIMEOUT))
                .connect(url)
                .await
                .map_err(|e| anyhow!("cannot reach the NATS server at {url}: {e}"))?;
            let context = jetstream::new(client);
            let stream = match context.stream_by_subject(subject).await {
                Ok(name) => name,
                Err(error)
                    if error.kind() == jetstream::context::GetStreamByNameErrorKind::NotFound =>
                {
                    let name = stream_name_for(subject);
                    let mut created = context
                        .get_or_create_stream(stream::Config {
                            name: name.clone(),
                            subjects: vec![subject.to_string()],
                            storage: stream::StorageType::File,
                            ..Default::default()
                        })
                        .await
                        .map_err(|e| {
                            anyhow!("cannot create the JetStream stream {name} on {url}: {e}")
                        })?;
                    // A stream of that name made for another subject (`a.b` and `a_b`
                    // share a name) is not this subject's.
                    let subjects = created
                        .info()
                        .await
                        .map_err(|e| anyhow!("cannot read the stream {name} on {url}: {e}"))?
                        .config
                        .subjects
                        .clone();
                    if !subjects.iter().any(|s| s == subject) {
                        bail!(
                            "the JetStream stream {name} on {url} holds the subjects {subjects:?}, \
                             not `{subject}`; consider another subject name"
                        );
                    }
                    name
                }
                Err(error) => bail!(
                    "cannot find the JetStream stream of `{subject}` on {url} (is JetStream \
                     enabled: nats-server --jetstream?): {error}"
                ),
            };
            Ok::<_, anyhow::Error>((context, stream))
        })?;
        Ok(EventStream {
            runtime,
            context,
            url: url.to_string(),
            subject: subject.to_string(),
            stream,
        })
    }

    /// The name of the JetStream stream read and written.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The subject events are published on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Publishes `payloads` on the subject, in order, and waits until the server has
    /// stored every one; returns their stream sequences.
    ///
    /// # Errors
    /// When the server refuses or does not acknowledge an event in 10 seconds; the
    /// events before it are stored.
    pub fn publish(&self, payloads: Vec<Vec<u8>>) -> Result<Vec<u64>> {
        self.runtime.block_on(async {
            let stored = |ack: Result<jetstream::publish::PublishAck, _>| {
                ack.map(|a| a.sequence)
                    .map_err(|e: jetstream::context::PublishError| {
                        anyhow!(
                            "the NATS server at {} did not store an event of {}: {e}",
                            self.url,
                            self.subject
                        )
                    })
            };
            // Acknowledgements awaited in a window: the client holds at most 5,000
            // unacknowledged events and waits for room beyond.
            let mut pending = std::collections::VecDeque::new();
            let mut sequences = Vec::with_capacity(payloads.len());
            for payload in payloads {
                if pending.len() >= ACK_WINDOW {
                    if let Some(ack) = pending.pop_front() {
                        sequences.push(stored(ack.await)?);
                    }
                }
                let ack = self
                    .context
                    .publish(self.subject.clone(), payload.into())
                    .await
                    .map_err(|e| {
                        anyhow!("cannot publish to {} on {}: {e}", self.subject, self.url)
                    })?;
                pending.push_back(ack);
            }
            for ack in pending {
                sequences.push(stored(ack.await)?);
            }
            Ok(sequences)
        })
    }

    /// When the stream was created (RFC 3339, UTC): a stream deleted and created
    /// again numbers its events from 1 again, and this tells the two apart.
    ///
    /// # Errors
    /// When the server does not answer.
    pub fn created(&self) -> Result<String> {
        let created = self.info()?.created;
        Ok(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            created.year(),
            u8::from(created.month()),
            created.day(),
            created.hour(),
            created.minute(),
            created.second(),
            created.nanosecond()
        ))
    }

    /// Deletes the stream and every event it holds (a reset, as when a server's
    /// store is wiped); the connection is no use after.
    ///
    /// # Errors
    /// When the server refuses.
    pub fn delete(self) -> Result<()> {
        self.runtime.block_on(async {
            self.context
                .delete_stream(&self.stream)
                .await
                .map(|_| ())
                .map_err(|e| {
                    anyhow!(
                        "cannot delete the stream {} on {}: {e}",
                        self.stream,
                        self.url
                    )
                })
        })
    }

    /// The last sequence the stream has stored (0 when it is empty).
    ///
    /// # Errors
    /// When the server does not answer.
    pub fn last_sequence(&self) -> Result<u64> {
        Ok(self.info()?.state.last_sequence)
    }

    /// The stream's information (configuration, creation time, state) from the server.
    fn info(&self) -> Result<stream::Info> {
        self.runtime.block_on(async {
            let failed = |e: &dyn std::fmt::Display| {
                anyhow!(
                    "cannot read the stream {} on {}: {e}",
                    self.stream,
                    self.url
                )
            };
            let mut stream = self
                .context
                .get_stream(&self.stream)
                .await
                .map_err(|e| failed(&e))?;
            let info = stream.info().await.map_err(|e| failed(&e))?;
            Ok(info.clone())
        })
    }

    /// A reader of the stream's events from sequence `start` on (1 is the first).
    ///
    /// # Errors
    /// When the server refuses the consumer.
    pub fn read_from(&self, start: u64) -> Result<EventReader<'_>> {
        let consumer = self.runtime.block_on(async {
            let stream = self.context.get_stream(&self.stream).await.map_err(|e| {
                anyhow!(
                    "cannot read the stream {} on {}: {e}",
                    self.stream,
                    self.url
                )
            })?;
            stream
                .create_consumer(consumer::pull::Config {
                    deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: start.max(1),
                    },
                    ack_policy: consumer::AckPolicy::None,
                    // A reader killed without closing leaves its consumer; the server
                    // drops it after a minute without requests.
                    inactive_threshold: Duration::from_secs(60),
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    anyhow!(
                        "cannot read the stream {} on {}: {e}",
                        self.stream,
                        self.url
                    )
                })
        })?;
        Ok(EventReader {
            events: self,
            consumer,
        })
    }
}

/// Reads a stream's events in order, batch by batch (see [`EventStream::read_from`]).
pub struct EventReader<'a> {
    events: &'a EventStream,
    consumer: consumer::Consumer<consumer::pull::Config>,
}

impl EventReader<'_> {
    /// The next events: up to `max` of them, as many as arrive within `wait` (fewer,
    /// or none, when the stream has no more by then).
    ///
    /// # Errors
    /// When the server cannot be reached.
    pub fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Event>> {
        let events = self.events;
        events.runtime.block_on(async {
            let failed = |e: &dyn std::fmt::Display| {
                anyhow!(
                    "cannot read the stream {} on {}: {e}",
                    events.stream,
                    events.url
                )
            };
            let mut messages = self
                .consumer
                .batch()
                .max_messages(max.max(1))
                .expires(wait.max(Duration::from_millis(10)))
                .messages()
                .await
                .map_err(|e| failed(&e))?;
            let mut batch = Vec::new();
            while let Some(message) = messages.next().await {
                let message = message.map_err(|e| failed(&e))?;
                let info = message.info().map_err(|e| failed(&e))?;
                batch.push(Event {
                    sequence: info.stream_sequence,
                    published_ms: (info.published.unix_timestamp_nanos() / 1_000_000) as i64,
                    payload: message.payload.to_vec(),
                });
            }
            Ok(batch)
        })
    }
}

/// The CSV records in `text` (RFC 4180: a line break inside quotes is data).
fn records_in(text: &str) -> usize {
    let mut reader = csv_core::ReaderBuilder::new()
        .terminator(csv_core::Terminator::Any(b'\n'))
        .build();
    let mut input = text.as_bytes();
    let mut output = [0u8; 4096];
    let mut records = 0;
    loop {
        let (result, read, _) = reader.read_field(input, &mut output);
        input = &input[read..];
        match result {
            csv_core::ReadFieldResult::Field { record_end: true } => records += 1,
            csv_core::ReadFieldResult::End => return records,
            _ => {}
        }
    }
}

/// The raw text frame of `events` for a table whose columns are `columns`, ready
/// for [`crate::schema::validate_batch`]: the columns as text, `source_file`
/// (`source`, such as `nats:SMARTVIEW_viewership_events`), `line` and `row_nr` (both
/// the event's stream sequence, u64) and `__layout_error`.
///
/// A UTF-8 byte order mark before an event is skipped. An event is JSON when its
/// first non-blank character is `{` or `[`: an object's keys are named as the
/// columns (a missing key, `null` or `""` is null, other keys are ignored, as
/// Spark's `from_json` with a schema does; an object or array value becomes its JSON
/// text), and anything but one object is `layout|invalid_json`. Otherwise it is one
/// CSV line without a header (RFC 4180 quoting, an empty field null): a quote inside
/// an unquoted field or text after a closing quote is `layout|quoting`, and a wrong
/// number of fields, or more than one line, `layout|column_count`. Bytes that are not
/// UTF-8 are `layout|invalid_utf8`. A layout error leaves the event's columns null.
///
/// # Errors
/// Never for an event's content (that is a layout error); only when the frame cannot
/// be built.
pub fn raw_frame(events: &[Event], columns: &[&str], source: &str) -> Result<DataFrame> {
    use crate::schema::{
        COLUMN_COUNT, INVALID_JSON, INVALID_UTF8, LAYOUT_ERROR, LINE, MALFORMED_QUOTES, ROW_NR,
        SOURCE_FILE,
    };
    let mut values: Vec<Vec<Option<String>>> =
        vec![Vec::with_capacity(events.len()); columns.len()];
    let mut errors: Vec<Option<&'static str>> = Vec::with_capacity(events.len());
    for event in events {
        let payload = event
            .payload
            .strip_prefix(crate::fast::chunked::BYTE_ORDER_MARK)
            .unwrap_or(&event.payload);
        let (fields, error) = match std::str::from_utf8(payload) {
            Err(_) => (None, Some(INVALID_UTF8)),
            Ok(text) => {
                let text = text.trim_end_matches(['\r', '\n']);
                let start = text.trim_start();
                if start.starts_with('{') {
                    match crate::io::ndjson::json_fields(text, columns) {
                        Some(fields) => (Some(fields), None),
                        None => (None, Some(INVALID_JSON)),
                    }
                } else if start.starts_with('[') {
                    // JSON, but not an object of named fields.
                    (None, Some(INVALID_JSON))
                } else if !crate::fast::chunked::quoting_is_well_formed(text.as_bytes(), b',', true)
                {
                    (None, Some(MALFORMED_QUOTES))
                } else if records_in(text) > 1 {
                    // Several lines in one event: not one record of the columns.
                    (None, Some(COLUMN_COUNT))
                } else {
                    let fields = crate::io::delimited::split_record(text, b',');
                    if fields.len() == columns.len() {
                        let fields = fields.into_iter().map(|f| (!f.is_empty()).then_some(f));
                        (Some(fields.collect()), None)
                    } else {
                        (None, Some(COLUMN_COUNT))
                    }
                }
            }
        };
        errors.push(error);
        match fields {
            Some(fields) => values.iter_mut().zip(fields).for_each(|(v, f)| v.push(f)),
            None => values.iter_mut().for_each(|v| v.push(None)),
        }
    }
    let n = events.len();
    let sequences: Vec<u64> = events.iter().map(|e| e.sequence).collect();
    let mut frame: Vec<Column> = vec![
        Column::new_scalar(
            SOURCE_FILE.into(),
            Scalar::from(PlSmallStr::from(source)),
            n,
        ),
        Series::new(LINE.into(), &sequences).into(),
        Series::new(ROW_NR.into(), &sequences).into(),
        Series::new(LAYOUT_ERROR.into(), errors).into(),
    ];
    for (name, values) in columns.iter().zip(values) {
        frame.push(Series::new((*name).into(), values).into());
    }
    Ok(DataFrame::new(n, frame)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{LAYOUT_ERROR, LINE};

    fn event(sequence: u64, payload: &[u8]) -> Event {
        Event {
            sequence,
            published_ms: 0,
            payload: payload.to_vec(),
        }
    }

    /// CSV lines and JSON objects side by side, each layout error once.
    #[test]
    fn events_become_raw_text_rows_with_their_sequence_and_layout_errors() -> Result<()> {
        let events = [
            event(7, b"S1,\"Show, Ep 1\",\r\n"),
            event(
                8,
                br#"{"id": "S2", "name": 12.50, "live": true, "other": [1]}"#,
            ),
            event(9, br#"{"id": "S3", "name": null, "live": ""}"#),
            event(10, b"S4,\"open,x"),
            event(11, b"S5,x"),
            event(12, br#"{"id": "S6", "#),
            event(13, b"S7,\xff,x"),
            event(14, br#"  {"id": {"a": 1}, "name": "N", "live": false}"#),
        ];
        let frame = raw_frame(&events, &["id", "name", "live"], "nats:T")?;
        let text = |name: &str| crate::values::optional_texts(&frame, name);
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            text("id")?,
            [
                s("S1"),
                s("S2"),
                s("S3"),
                None,
                None,
                None,
                None,
                s(r#"{"a":1}"#)
            ]
        );
        assert_eq!(
            text("name")?,
            [
                s("Show, Ep 1"),
                s("12.5"),
                None,
                None,
                None,
                None,
                None,
                s("N")
            ]
        );
        assert_eq!(
            text("live")?,
            [None, s("true"), None, None, None, None, None, s("false")]
        );
        assert_eq!(
            text(LAYOUT_ERROR)?,
            [
                None,
                None,
                None,
                s("layout|quoting"),
                s("layout|column_count"),
                s("layout|invalid_json"),
                s("layout|invalid_utf8"),
                None
            ]
        );
        let lines: Vec<Option<u64>> = frame.column(LINE)?.u64()?.iter().collect();
        assert_eq!(lines, (7..=14).map(Some).collect::<Vec<_>>());
        assert_eq!(frame.column("source_file")?.str()?.get(0), Some("nats:T"));
        Ok(())
    }

    /// Helper-found faults: a BOM before JSON, a JSON array, two lines in one event
    /// and a quote inside an unquoted field.
    #[test]
    fn odd_events_are_read_or_refused_by_their_layout() -> Result<()> {
        let events = [
            event(1, b"\xEF\xBB\xBF{\"id\": \"S1\", \"name\": \"N\"}"),
            event(2, b"[\"S2\", \"N\", \"true\"]"),
            event(3, b"S3,N,true\nS4,N,false"),
            event(4, b"S5,\"two\nlines\",true"),
            event(5, b"S6,Show \"A\" B,true"),
            event(6, b"\xEF\xBB\xBFS7,N,1\r\n"),
        ];
        let frame = raw_frame(&events, &["id", "name", "live"], "nats:T")?;
        let texts = |name: &str| crate::values::optional_texts(&frame, name);
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            texts(LAYOUT_ERROR)?,
            [
                None,
                s("layout|invalid_json"),
                s("layout|column_count"),
                None,
                s("layout|quoting"),
                None
            ]
        );
        assert_eq!(texts("id")?, [s("S1"), None, None, s("S5"), None, s("S7")]);
        assert_eq!(texts("name")?[3], s("two\nlines"));
        Ok(())
    }

    #[test]
    fn a_subject_is_one_subject() {
        assert!(check_subject("viewership.events").is_ok());
        for bad in ["", "a b", "a..b", "a.", ".a", "a.*", ">", "a.>"] {
            assert!(check_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stream_names_are_made_of_the_subjects_allowed_characters() {
        assert_eq!(
            stream_name_for("viewership.events"),
            "SMARTVIEW_viewership_events"
        );
        assert_eq!(stream_name_for("a.*.>"), "SMARTVIEW_a____");
    }
}

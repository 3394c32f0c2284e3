//! The stream report: data quality and deduplication, viewing minutes per channel,
//! the ad revenue trend, peak hours by region, the device comparison, and every
//! answer of S6. Builds a [`Document`] from [`StreamOutputs`]; no rule is recomputed
//! (the revenue trend only adds up the daily table's channels for its chart).

use anyhow::Result;
use polars::prelude::{col, DataType, IntoLazy};

use super::datasets::StreamOutputs;
use super::tables;
use crate::domains::Domain;
use crate::report::{bar_chart_of, heat_map, line_chart_of, Document, HeatMap};
use crate::schema::TableSchema;
use crate::transforms::order_independent_sum;
use crate::values;

/// Builds the stream report.
///
/// # Errors
/// When an output table lacks a column the report shows, or a chart cannot be drawn.
pub fn build(outputs: &StreamOutputs) -> Result<Document> {
    let dataset = |name: &str| Domain::Stream.dataset(name);
    let table = |name: &str| outputs.table(name);
    let mut doc = Document::new("Streaming viewership and ad revenue report");
    doc.text(
        "A streaming-TV platform's channels, subscribers, daily ad revenue and viewing \
         sessions: the curated tables and the seventeen answers of S6 (spec/stream.md).",
    );
    doc.notes(&outputs.notices);
    doc.data_quality(&outputs.table_counts, table("quarantine_summary")?, "S2");
    doc.output(
        dataset("dedup_counts")?,
        "Valid rows that a later or earlier row of the same key replaced (S2, S3).",
        table("dedup_counts")?,
        10,
    );

    doc.table(
        "The curated Delta tables under lake/stream (S2, S3), at their latest versions: \
         a run merges its files in (new keys inserted, changed ad revenue updated), and \
         a run on files already merged commits nothing.",
        &outputs.lake_tables,
        10,
    );

    live_ingest(&mut doc, outputs)?;

    doc.heading("Channels");
    doc.chart(
        "channel-minutes",
        "Viewing minutes of the 20 most watched channels.",
        bar_chart_of(
            table("channel_minutes")?,
            "channel_id",
            "total_minutes",
            "Viewing minutes per channel",
            20,
        )?,
    );
    doc.output(
        dataset("channel_minutes")?,
        "",
        table("channel_minutes")?,
        20,
    );
    doc.output(
        dataset("premium_channels")?,
        "",
        table("premium_channels")?,
        10,
    );
    doc.output(
        dataset("channel_top_subscription")?,
        "",
        table("channel_top_subscription")?,
        10,
    );
    doc.output(
        dataset("high_engagement_sessions")?,
        "",
        table("high_engagement_sessions")?,
        10,
    );
    doc.output(
        dataset("buffering_but_engaged")?,
        "",
        table("buffering_but_engaged")?,
        10,
    );

    doc.heading("Ad revenue");
    let daily_total = table("daily_ad_revenue")?
        .clone()
        .lazy()
        .group_by_stable([col("date")])
        .agg([order_independent_sum(col("ad_revenue")).alias("ad_revenue")])
        .sort(["date"], Default::default())
        .collect()?;
    doc.chart(
        "ad-revenue-trend",
        "Ad revenue of all channels by date (the ad_revenue table).",
        line_chart_of(
            &daily_total,
            "date",
            &["ad_revenue"],
            "Ad revenue by date",
            "ad revenue",
        )?,
    );
    doc.output(
        dataset("top_channels_7d")?,
        "",
        table("top_channels_7d")?,
        5,
    );
    doc.output(
        dataset("above_daily_average")?,
        "",
        table("above_daily_average")?,
        15,
    );
    doc.output(
        dataset("daily_ad_revenue")?,
        "",
        table("daily_ad_revenue")?,
        15,
    );

    doc.heading("When and where");
    let regions: Vec<String> = tables::REGIONS.iter().map(|r| r.to_string()).collect();
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    doc.chart(
        "peak-hours",
        "Sessions by region and hour of the day (each row scaled to its busiest hour).",
        heat_map(&HeatMap::from_long(
            "Sessions by region and hour",
            &outputs.region_hours,
            ["region", "hour", "sessions"],
            &regions,
            &hours,
        )?)?,
    );
    doc.output(
        dataset("region_peak_hour")?,
        "",
        table("region_peak_hour")?,
        10,
    );
    doc.output(
        dataset("region_top_genre")?,
        "",
        table("region_top_genre")?,
        10,
    );
    doc.output(
        dataset("region_user_minutes")?,
        "",
        table("region_user_minutes")?,
        10,
    );

    doc.heading("Devices");
    doc.output(
        dataset("mobile_vs_smart_tv")?,
        "",
        table("mobile_vs_smart_tv")?,
        2,
    );
    doc.output(
        dataset("device_engagement")?,
        "",
        table("device_engagement")?,
        10,
    );

    doc.heading("Audience");
    doc.output(
        dataset("gender_completion")?,
        "",
        table("gender_completion")?,
        10,
    );
    doc.output(
        dataset("live_by_age_group")?,
        "",
        table("live_by_age_group")?,
        10,
    );
    doc.output(dataset("gender_genre")?, "", table("gender_genre")?, 30);
    doc.output(
        dataset("genre_revenue_completion")?,
        "",
        table("genre_revenue_completion")?,
        10,
    );

    let raw = tables::all();
    let raw_inputs: Vec<(String, &TableSchema)> = raw
        .iter()
        .map(|t| (format!("{} ({})", t.schema.name, t.file_names()), &t.schema))
        .collect();
    doc.data_dictionary(Domain::Stream.datasets(), &raw_inputs)?;
    Ok(doc)
}

/// The live ingest section (S4): the last ingest's batches, their sizes and lag, and
/// what merges and ingests quarantined in the lake.
fn live_ingest(doc: &mut Document, outputs: &StreamOutputs) -> Result<()> {
    doc.heading("Live ingest");
    let batches = &outputs.last_ingest;
    if batches.height() == 0 {
        doc.text(
            "No live events were ingested into this lake (`stream ingest --nats URL` appends \
             them from a NATS JetStream subject).",
        );
    } else {
        let events = values::u64s(batches, "events", 0)?;
        let lags = values::i64s(batches, "lag_ms", 0)?;
        let mut sorted = lags.clone();
        sorted.sort_unstable();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
        let max = sorted.last().copied().unwrap_or(0);
        doc.text(&format!(
            "The last ingest (one `stream ingest` process; batches that other ingesters of \
             the same stream committed meanwhile are not counted here) read the JetStream \
             stream {} and committed {} batches holding {} events, between stream sequences \
             {} and {}, each batch one version of `viewership` with its stream position. The \
             lag \
             is the time from an event's publication to its batch's commit: for the oldest \
             event of each batch, median {median} ms, at most {max} ms.",
            values::texts(batches, "stream", "")?
                .first()
                .cloned()
                .unwrap_or_default(),
            batches.height(),
            events.iter().sum::<u64>(),
            values::u64s(batches, "first_sequence", 0)?
                .first()
                .copied()
                .unwrap_or(0),
            values::u64s(batches, "last_sequence", 0)?
                .last()
                .copied()
                .unwrap_or(0),
        ));
        let per_batch = batches
            .clone()
            .lazy()
            .select([
                col("version"),
                col("events").cast(DataType::Float64),
                col("lag_ms").cast(DataType::Float64),
            ])
            .collect()?;
        doc.chart(
            "ingest-batches",
            "Events per batch of the last ingest, by table version.",
            line_chart_of(&per_batch, "version", &["events"], "Batch sizes", "events")?,
        );
        doc.chart(
            "ingest-lag",
            "Lag of each batch of the last ingest (oldest event's publication to commit).",
            line_chart_of(
                &per_batch,
                "version",
                &["lag_ms"],
                "Ingest lag",
                "milliseconds",
            )?,
        );
        let shown = batches
            .clone()
            .lazy()
            .select(
                [
                    "version",
                    "committed_at",
                    "first_sequence",
                    "last_sequence",
                    "events",
                    "inserted",
                    "quarantined",
                    "lag_ms",
                ]
                .map(col),
            )
            .tail(20)
            .collect()?;
        doc.table("The last ingest's batches (the last 20).", &shown, 20);
    }
    doc.table(
        "Rows quarantined in the lake by `stream merge` (by file) and `stream ingest` \
         (`nats:<stream>`), by reason; their rows are in `lake/stream/_quarantine/`.",
        &outputs.lake_quarantine,
        20,
    );
    Ok(())
}

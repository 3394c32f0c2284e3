//! The stream rules of `spec/stream.md` as lazy transforms: the curated tables from
//! the validated ones (deduplication after validation, S2 and S3's "last row wins"
//! for ad revenue), and the seventeen questions of S6 over the curated tables.
//!
//! Every sum treats null as 0 and every average ignores nulls (null when nothing is
//! left); both give the same bits in any row order ([`order_independent_sum`],
//! [`order_independent_mean`]). Integers are Int64 ("Integers are 64-bit signed"):
//! counts, ranks and hours. A session whose grouping column
//! is null is left out of the tables grouped by it; `gender` and `age_group` come
//! from the users (`Unknown` without a profile or value).

use polars::prelude::*;

use super::tables::VIEWING_COLUMNS;
use crate::schema::ROW_NR;
use crate::transforms::{
    keep_first, order_independent_mean, order_independent_sum, ratio, top_k_within, SortKey,
};

/// The value of `gender` and `age_group` for a session without a profile or value.
pub const UNKNOWN: &str = "Unknown";

/// The rows a curated table keeps (`kept`, lazily) and the `reason` the rows it drops
/// are counted under (the count is the valid rows less the kept ones).
pub struct Deduplicated {
    pub kept: LazyFrame,
    pub reason: &'static str,
}

fn columns(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|name| col(*name)).collect()
}

/// The rows of the group as Int64 (Polars counts in UInt32).
fn row_count() -> Expr {
    len().cast(DataType::Int64)
}

/// `channels`: the first valid row of each channel_id in file order (later ones are
/// `duplicate_channel`). Columns: channel_id, channel_name, genre, language,
/// launch_year.
///
/// # Errors
/// Never while planning (see [`keep_first`]).
pub fn channels(valid: LazyFrame) -> PolarsResult<Deduplicated> {
    let kept = keep_first(valid, &["channel_id"], ROW_NR)?
        .sort([ROW_NR], Default::default())
        .select(columns(&[
            "channel_id",
            "channel_name",
            "genre",
            "language",
            "launch_year",
        ]));
    Ok(Deduplicated {
        kept,
        reason: "duplicate_channel",
    })
}

/// `users`: the first valid row of each user_id in file order, the user's profile
/// (later ones are `duplicate_user`). Columns: user_id, gender, age_group, region,
/// subscription_type.
///
/// # Errors
/// Never while planning (see [`keep_first`]).
pub fn users(valid: LazyFrame) -> PolarsResult<Deduplicated> {
    let kept = keep_first(valid, &["user_id"], ROW_NR)?
        .sort([ROW_NR], Default::default())
        .select(columns(&[
            "user_id",
            "gender",
            "age_group",
            "region",
            "subscription_type",
        ]));
    Ok(Deduplicated {
        kept,
        reason: "duplicate_user",
    })
}

/// `ad_revenue`: the last valid row of each (channel_id, date), files in name order
/// then lines (S2, S3: a later file's row wins; earlier ones are `superseded`).
/// Columns: channel_id, channel_name, date, ad_revenue; sorted by date, channel_id.
///
/// # Errors
/// Never while planning; a missing column fails when the plan runs.
pub fn ad_revenue(valid: LazyFrame) -> PolarsResult<Deduplicated> {
    let last = col(ROW_NR).eq(col(ROW_NR).max().over([col("channel_id"), col("date")])?);
    let kept = valid
        .filter(last)
        .select(columns(&[
            "channel_id",
            "channel_name",
            "date",
            "ad_revenue",
        ]))
        .sort(["date", "channel_id"], Default::default());
    Ok(Deduplicated {
        kept,
        reason: "superseded",
    })
}

/// `viewership`: the first valid row of each session_id in file order (later ones
/// are `duplicate_session`), `is_live` as a boolean (`true`/`1` true, `false`/`0`
/// false, as validated in lower case) and `event_date`, the date of `timestamp`.
/// Columns: the 18 of the logs, then event_date.
///
/// # Errors
/// Never while planning (see [`keep_first`]).
pub fn viewership(valid: LazyFrame) -> PolarsResult<Deduplicated> {
    let live = col("is_live");
    let kept = keep_first(valid, &["session_id"], ROW_NR)?
        .sort([ROW_NR], Default::default())
        .with_columns([
            when(live.clone().is_null())
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(live.eq(lit("true")).or(col("is_live").eq(lit("1"))))
                .alias("is_live"),
            col("timestamp").dt().date().alias("event_date"),
        ])
        .select(
            VIEWING_COLUMNS
                .iter()
                .map(|c| col(*c))
                .chain([col("event_date")])
                .collect::<Vec<_>>(),
        );
    Ok(Deduplicated {
        kept,
        reason: "duplicate_session",
    })
}

/// Sessions with their user's `gender` and `age_group` (`Unknown` when the user has
/// no profile or the field is empty). Row order is kept.
pub fn sessions_with_profile(viewership: LazyFrame, users: LazyFrame) -> LazyFrame {
    let profile = users.select([col("user_id"), col("gender"), col("age_group")]);
    viewership
        .join(
            profile,
            [col("user_id")],
            [col("user_id")],
            crate::transforms::keeping_left_order(JoinType::Left),
        )
        .with_columns([
            col("gender").fill_null(lit(UNKNOWN)),
            col("age_group").fill_null(lit(UNKNOWN)),
        ])
}

fn sorted(lf: LazyFrame, by: &[&str], descending: &[bool]) -> LazyFrame {
    lf.sort(
        by.iter().map(|c| (*c).into()).collect::<Vec<PlSmallStr>>(),
        SortMultipleOptions::default()
            .with_order_descending_multi(descending.to_vec())
            .with_nulls_last(true)
            .with_maintain_order(true),
    )
}

fn minutes() -> Expr {
    order_independent_sum(col("duration_minutes")).alias("total_minutes")
}

/// Viewing minutes per channel: channel_id, channel_name (the channel's, else the
/// smallest of its sessions' names), sessions, total_minutes; sorted by
/// total_minutes descending, channel_id.
pub fn channel_minutes(viewership: LazyFrame, channels: LazyFrame) -> LazyFrame {
    let per_channel = viewership.group_by([col("channel_id")]).agg([
        col("channel_name").min().alias("session_name"),
        row_count().alias("sessions"),
        minutes(),
    ]);
    let named = per_channel
        .join(
            channels.select([col("channel_id"), col("channel_name")]),
            [col("channel_id")],
            [col("channel_id")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("channel_id"),
            coalesce(&[col("channel_name"), col("session_name")]).alias("channel_name"),
            col("sessions"),
            col("total_minutes"),
        ]);
    sorted(named, &["total_minutes", "channel_id"], &[true, false])
}

/// Engagement by device: device, sessions, avg_engagement; sorted by avg_engagement
/// descending (null last), device.
pub fn device_engagement(viewership: LazyFrame) -> LazyFrame {
    let per_device = viewership
        .filter(col("device").is_not_null())
        .group_by([col("device")])
        .agg([
            row_count().alias("sessions"),
            order_independent_mean(col("engagement_score")).alias("avg_engagement"),
        ]);
    sorted(per_device, &["avg_engagement", "device"], &[true, false])
}

/// Daily ad revenue per channel, from the `ad_revenue` table: date, channel_id,
/// ad_revenue; sorted by date, channel_id.
pub fn daily_ad_revenue(ad_revenue: LazyFrame) -> LazyFrame {
    sorted(
        ad_revenue.select([col("date"), col("channel_id"), col("ad_revenue")]),
        &["date", "channel_id"],
        &[false, false],
    )
}

/// Completion by gender: gender, sessions, avg_completion; sorted by gender.
pub fn gender_completion(profiled: LazyFrame) -> LazyFrame {
    let per_gender = profiled.group_by([col("gender")]).agg([
        row_count().alias("sessions"),
        order_independent_mean(col("completion_percentage")).alias("avg_completion"),
    ]);
    sorted(per_gender, &["gender"], &[false])
}

/// The most-watched genre per region (most viewing minutes; ties genre ascending):
/// region, genre, total_minutes; sorted by region.
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn region_top_genre(viewership: LazyFrame) -> PolarsResult<LazyFrame> {
    let per_pair = viewership
        .filter(col("region").is_not_null().and(col("genre").is_not_null()))
        .group_by([col("region"), col("genre")])
        .agg([minutes()]);
    let order = [SortKey::desc("total_minutes"), SortKey::asc("genre")];
    let top = top_k_within(per_pair, &["region"], &order, 1, "__rank")?.select([
        col("region"),
        col("genre"),
        col("total_minutes"),
    ]);
    Ok(sorted(top, &["region"], &[false]))
}

/// The top 5 channels by ad revenue over the last 7 days of the `ad_revenue` table
/// (dates d with max(date) − 6 ≤ d ≤ max(date); ties channel_id ascending): rank
/// (Int64, 1–5), channel_id, ad_revenue; sorted by rank.
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn top_channels_7d(ad_revenue: LazyFrame) -> PolarsResult<LazyFrame> {
    // Dates as days since 1970-01-01, so that "six days before" is integer arithmetic.
    let day = col("date").cast(DataType::Int32);
    let last = day.clone().max();
    let window = day
        .clone()
        .gt_eq(last.clone() - lit(6))
        .and(day.lt_eq(last));
    let per_channel = ad_revenue
        .filter(window)
        .group_by([col("channel_id")])
        .agg([order_independent_sum(col("ad_revenue")).alias("ad_revenue")]);
    let order = [SortKey::desc("ad_revenue"), SortKey::asc("channel_id")];
    let top = top_k_within(per_channel, &[], &order, 5, "rank")?.select([
        col("rank").cast(DataType::Int64),
        col("channel_id"),
        col("ad_revenue"),
    ]);
    Ok(sorted(top, &["rank"], &[false]))
}

/// Sessions per region and hour of day (0–23 of timestamp, Int64), sessions without a
/// region left out: region, hour, sessions; sorted by region, hour.
pub fn sessions_by_region_hour(viewership: LazyFrame) -> LazyFrame {
    let per_hour = viewership
        .filter(col("region").is_not_null())
        .group_by([
            col("region"),
            col("timestamp")
                .dt()
                .hour()
                .cast(DataType::Int64)
                .alias("hour"),
        ])
        .agg([row_count().alias("sessions")]);
    sorted(per_hour, &["region", "hour"], &[false, false])
}

/// The peak viewing hour per region (the hour with the most sessions; ties the
/// earliest hour): region, hour (Int64), sessions; sorted by region.
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn region_peak_hour(viewership: LazyFrame) -> PolarsResult<LazyFrame> {
    let order = [SortKey::desc("sessions"), SortKey::asc("hour")];
    let top = top_k_within(
        sessions_by_region_hour(viewership),
        &["region"],
        &order,
        1,
        "__rank",
    )?
    .select([col("region"), col("hour"), col("sessions")]);
    Ok(sorted(top, &["region"], &[false]))
}

/// Live viewing by age group (is_live sessions only; every age group with one):
/// age_group, live_sessions, live_minutes; sorted by live_minutes descending,
/// age_group.
pub fn live_by_age_group(profiled: LazyFrame) -> LazyFrame {
    let live = profiled
        .filter(col("is_live").fill_null(lit(false)))
        .group_by([col("age_group")])
        .agg([
            row_count().alias("live_sessions"),
            order_independent_sum(col("duration_minutes")).alias("live_minutes"),
        ]);
    sorted(live, &["live_minutes", "age_group"], &[true, false])
}

/// The subscription type bringing the most session ad revenue per channel (by the
/// log's subscription_type; ties subscription_type ascending): channel_id,
/// subscription_type, ad_revenue; sorted by channel_id.
///
/// # Errors
/// When the ranking cannot be planned (a Polars error).
pub fn channel_top_subscription(viewership: LazyFrame) -> PolarsResult<LazyFrame> {
    let per_pair = viewership
        .filter(col("subscription_type").is_not_null())
        .group_by([col("channel_id"), col("subscription_type")])
        .agg([order_independent_sum(col("ad_revenue")).alias("ad_revenue")]);
    let order = [
        SortKey::desc("ad_revenue"),
        SortKey::asc("subscription_type"),
    ];
    let top = top_k_within(per_pair, &["channel_id"], &order, 1, "__rank")?.select([
        col("channel_id"),
        col("subscription_type"),
        col("ad_revenue"),
    ]);
    Ok(sorted(top, &["channel_id"], &[false]))
}

/// Sessions with completion above 90 and duration above 1 minute, per channel:
/// channel_id, sessions, high_engagement (Int64), share (high_engagement /
/// sessions); sorted by share descending, channel_id.
pub fn high_engagement_sessions(viewership: LazyFrame) -> LazyFrame {
    let high = col("completion_percentage")
        .gt(lit(90.0))
        .and(col("duration_minutes").gt(lit(1.0)))
        .fill_null(lit(false));
    let per_channel = viewership
        .group_by([col("channel_id")])
        .agg([
            row_count().alias("sessions"),
            high.cast(DataType::Int64).sum().alias("high_engagement"),
        ])
        .with_column(ratio(col("high_engagement"), col("sessions")).alias("share"));
    sorted(per_channel, &["share", "channel_id"], &[true, false])
}

/// Channels above the day's average ad revenue, from the `ad_revenue` table: date,
/// channel_id, ad_revenue, day_average (the mean over that date's channels), rows
/// with ad_revenue > day_average; sorted by date, ad_revenue descending, channel_id.
///
/// # Errors
/// When the window cannot be planned (a Polars error).
pub fn above_daily_average(ad_revenue: LazyFrame) -> PolarsResult<LazyFrame> {
    let day_average = order_independent_mean(col("ad_revenue")).over([col("date")])?;
    let above = ad_revenue
        .select([col("date"), col("channel_id"), col("ad_revenue")])
        .with_column(day_average.alias("day_average"))
        .filter(col("ad_revenue").gt(col("day_average")));
    Ok(sorted(
        above,
        &["date", "ad_revenue", "channel_id"],
        &[false, true, false],
    ))
}

/// Ad revenue against completion by genre: genre, sessions, ad_revenue (sum),
/// avg_completion; sorted by ad_revenue descending, genre.
pub fn genre_revenue_completion(viewership: LazyFrame) -> LazyFrame {
    let per_genre = viewership
        .filter(col("genre").is_not_null())
        .group_by([col("genre")])
        .agg([
            row_count().alias("sessions"),
            order_independent_sum(col("ad_revenue")).alias("ad_revenue"),
            order_independent_mean(col("completion_percentage")).alias("avg_completion"),
        ]);
    sorted(per_genre, &["ad_revenue", "genre"], &[true, false])
}

/// Channels with high buffering but good engagement: avg_buffer_count above the
/// all-session average buffer_count, and avg_engagement at least the all-session
/// average engagement_score. Columns: channel_id, avg_buffer_count, avg_engagement;
/// sorted by avg_buffer_count descending, channel_id.
pub fn buffering_but_engaged(viewership: LazyFrame) -> LazyFrame {
    let overall = viewership.clone().select([
        order_independent_mean(col("buffer_count").cast(DataType::Float64)).alias("__all_buffer"),
        order_independent_mean(col("engagement_score")).alias("__all_engagement"),
    ]);
    let per_channel = viewership
        .group_by([col("channel_id")])
        .agg([
            order_independent_mean(col("buffer_count").cast(DataType::Float64))
                .alias("avg_buffer_count"),
            order_independent_mean(col("engagement_score")).alias("avg_engagement"),
        ])
        .cross_join(overall, None)
        .filter(
            col("avg_buffer_count")
                .gt(col("__all_buffer"))
                .and(col("avg_engagement").gt_eq(col("__all_engagement"))),
        )
        .select([
            col("channel_id"),
            col("avg_buffer_count"),
            col("avg_engagement"),
        ]);
    sorted(
        per_channel,
        &["avg_buffer_count", "channel_id"],
        &[true, false],
    )
}

/// Average viewing time per user by region: region, users (distinct user_id of the
/// region's sessions, Int64), total_minutes, minutes_per_user; sorted by
/// minutes_per_user descending, region.
pub fn region_user_minutes(viewership: LazyFrame) -> LazyFrame {
    let per_region = viewership
        .filter(col("region").is_not_null())
        .group_by([col("region")])
        .agg([
            col("user_id")
                .n_unique()
                .cast(DataType::Int64)
                .alias("users"),
            minutes(),
        ])
        .with_column(ratio(col("total_minutes"), col("users")).alias("minutes_per_user"));
    sorted(per_region, &["minutes_per_user", "region"], &[true, false])
}

/// Mobile against Smart TV, both rows always: device, sessions, total_minutes (0
/// without sessions), avg_engagement, avg_completion (null without values); sorted
/// by device.
///
/// # Errors
/// When the frame of the two devices cannot be built (a Polars error).
pub fn mobile_vs_smart_tv(viewership: LazyFrame) -> PolarsResult<LazyFrame> {
    let devices = df!("device" => ["Mobile", "Smart TV"])?.lazy();
    let per_device = viewership
        .filter(col("device").is_in(
            lit(Series::new("d".into(), ["Mobile", "Smart TV"])).implode(false),
            false,
        ))
        .group_by([col("device")])
        .agg([
            row_count().alias("sessions"),
            minutes(),
            order_independent_mean(col("engagement_score")).alias("avg_engagement"),
            order_independent_mean(col("completion_percentage")).alias("avg_completion"),
        ]);
    let both = devices
        .join(
            per_device,
            [col("device")],
            [col("device")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("sessions").fill_null(lit(0i64)),
            col("total_minutes").fill_null(lit(0.0)),
        ]);
    Ok(sorted(both, &["device"], &[false]))
}

/// Genre popularity by gender: gender, genre, sessions, total_minutes; sorted by
/// gender, sessions descending, genre.
pub fn gender_genre(profiled: LazyFrame) -> LazyFrame {
    let per_pair = profiled
        .filter(col("genre").is_not_null())
        .group_by([col("gender"), col("genre")])
        .agg([row_count().alias("sessions"), minutes()]);
    sorted(
        per_pair,
        &["gender", "sessions", "genre"],
        &[false, true, false],
    )
}

/// Channels popular with Premium subscribers (sessions whose log subscription_type
/// is Premium): channel_id, premium_sessions, premium_minutes; sorted by
/// premium_minutes descending, channel_id.
pub fn premium_channels(viewership: LazyFrame) -> LazyFrame {
    let premium = viewership
        .filter(col("subscription_type").eq(lit("Premium")))
        .group_by([col("channel_id")])
        .agg([
            row_count().alias("premium_sessions"),
            order_independent_sum(col("duration_minutes")).alias("premium_minutes"),
        ]);
    sorted(premium, &["premium_minutes", "channel_id"], &[true, false])
}

//! The seventeen questions of S6 as one lazy plan each over the four curated lake
//! tables: what the local pipeline ([`super::pipeline::questions`]) collects and
//! what another engine runs ([`crate::remote`]).

use anyhow::Result;
use polars::prelude::LazyFrame;

use super::rules;

/// The S6 answers over the curated tables, by output table name in the spec's order.
///
/// # Errors
/// When a question cannot be planned (a Polars error).
pub fn question_plans(
    channels: LazyFrame,
    users: LazyFrame,
    ad_revenue: LazyFrame,
    viewership: LazyFrame,
) -> Result<Vec<(&'static str, LazyFrame)>> {
    let sessions = viewership.clone();
    let profiled = rules::sessions_with_profile(viewership, users);
    Ok(vec![
        (
            "channel_minutes",
            rules::channel_minutes(sessions.clone(), channels),
        ),
        (
            "device_engagement",
            rules::device_engagement(sessions.clone()),
        ),
        (
            "daily_ad_revenue",
            rules::daily_ad_revenue(ad_revenue.clone()),
        ),
        (
            "gender_completion",
            rules::gender_completion(profiled.clone()),
        ),
        (
            "region_top_genre",
            rules::region_top_genre(sessions.clone())?,
        ),
        (
            "top_channels_7d",
            rules::top_channels_7d(ad_revenue.clone())?,
        ),
        (
            "region_peak_hour",
            rules::region_peak_hour(sessions.clone())?,
        ),
        (
            "live_by_age_group",
            rules::live_by_age_group(profiled.clone()),
        ),
        (
            "channel_top_subscription",
            rules::channel_top_subscription(sessions.clone())?,
        ),
        (
            "high_engagement_sessions",
            rules::high_engagement_sessions(sessions.clone()),
        ),
        (
            "above_daily_average",
            rules::above_daily_average(ad_revenue)?,
        ),
        (
            "genre_revenue_completion",
            rules::genre_revenue_completion(sessions.clone()),
        ),
        (
            "buffering_but_engaged",
            rules::buffering_but_engaged(sessions.clone()),
        ),
        (
            "region_user_minutes",
            rules::region_user_minutes(sessions.clone()),
        ),
        (
            "mobile_vs_smart_tv",
            rules::mobile_vs_smart_tv(sessions.clone())?,
        ),
        ("gender_genre", rules::gender_genre(profiled)),
        ("premium_channels", rules::premium_channels(sessions)),
    ])
}

//! One folder per analytics domain: its raw tables, rules, synthetic data and report.
//! Nothing generic lives here; shared logic is in `transforms`, `io` and `report`.

pub mod customer360;
pub mod tv;

/// The domains the report binary knows, by command-line name.
pub const ALL: [&str; 2] = ["tv", "customer360"];

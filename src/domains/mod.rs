//! One folder per analytics domain: its raw tables, rules, synthetic data and report.
//! Nothing generic lives here; shared logic is in `transforms`, `io` and `report`.

pub mod customer360;
pub mod retail;
pub mod tv;
pub mod wdi;

/// The domains the report binary knows, by command-line name.
pub const ALL: [&str; 4] = ["tv", "customer360", "retail", "wdi"];

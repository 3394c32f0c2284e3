//! Running the rules on a distributed engine that speaks Spark Connect (issue 19),
//! when one machine is not enough. Polars stays the engine on one machine; the rules,
//! stated once as `LazyFrame → LazyFrame`, are translated, not written twice.
//!
//! | module | owns |
//! |---|---|
//! | [`sql`] | a rule's resolved Polars plan as one Spark SQL query, with the semantic differences made explicit |

pub mod sql;

pub use sql::SparkTables;

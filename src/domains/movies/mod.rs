//! Movie revenue strategy (`spec/movies.md`), being built (issue 17): the raw tables
//! (V1) and the first rules (V2 text repair, V3 certificates). The pipeline, output
//! tables, serving file and report follow; the domain is not yet one of
//! [`super::Domain`]'s.

pub mod rules;
pub mod tables;

#[cfg(test)]
mod tests;

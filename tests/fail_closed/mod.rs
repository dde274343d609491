//! Helpers of `tests/fail_closed_fuzz.rs`: the statement checker, the generators, the
//! schema and models, and the oracles.
pub mod checker;
pub mod expect;
pub mod gen;
pub mod models;

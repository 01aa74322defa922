//! benchreport: turn load-test and benchmark logs into trustworthy numbers and a static report.
//!
//! Data flows one way: input files ([`ingest`]) -> runs ([`runs`], [`model`]) -> summaries
//! ([`stats`]) -> rendered outputs ([`render`]). `main.rs` only parses arguments and calls [`cli`].

pub mod capacity;
pub mod cli;
pub mod compare;
pub mod config;
pub mod error;
pub mod history;
pub mod ingest;
pub mod merge;
pub mod model;
pub mod output;
pub mod redact;
pub mod render;
pub mod runs;
pub mod stats;

//! Stage 4, the verdict: every rule of the table decided on its own, with evidence, for a chain
//! read from files or seen in a handshake, and what rustls's own verifier says about it.
//!
//! Takes chains from [`crate::labdir`] files (`verify`) or from [`crate::probe`] (a live
//! handshake); hands back a list of rule results that the CLI and the lab runner render, and
//! [`report::verify`] the whole `verify` report.

pub mod engine;
pub mod outcome;
pub mod report;

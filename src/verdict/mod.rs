//! Stage 4, the verdict: every rule of the table decided on its own, with evidence, for a chain
//! read from files or seen in a handshake, and what rustls's own verifier says about it.
//!
//! Takes chains from [`crate::labdir`] files (`verify`) or from [`crate::probe`] (a live
//! handshake); hands back a list of rule results that the CLI and the lab runner render.
//!
//! - [`engine`]: the dispatch (one check per rule of the table, an exhaustive match), the results
//!   and their text; the public entry points of the stage.
//! - `files`: certificates, CRLs and a lab's trust read from disk.
//! - `path`: the pool of certificates the client has and the best path from the leaf up.
//! - `crypto`: keys, algorithms and signature checks.
//! - one file per rule family: `validity`, `names`, `subtrees` (name constraints), `trust`, `constraints`, `purpose`,
//!   `signature`, `revocation`; live rules are decided in [`crate::probe`].
//! - [`outcome`]: what rustls's own verifier says, for comparison.
//! - [`report`]: the whole `verify` report ([`report::verify`]).

mod constraints;
mod crypto;
mod encoding;
pub mod engine;
mod files;
mod keyid;
mod names;
pub mod outcome;
mod path;
mod purpose;
pub mod report;
mod revocation;
mod signature;
mod subtrees;
mod trust;
mod usage;
mod validity;

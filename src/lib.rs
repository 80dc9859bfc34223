//! pki-lab: a local certificate authority and a catalogue of deliberately broken certificates,
//! each breaking exactly one rule a TLS client checks.
//!
//! Data flows one way: profile (`templates/*.yaml`, [`profile`]) → issued chain ([`issue`],
//! under the CAs of [`ca`]) → files and manifest ([`labdir`], [`manifest`]). The rules are a
//! table in [`rules`]. Time is always an argument, never read behind the caller's back, so
//! tests can pin it.
//!
//! ```no_run
//! use pki_lab::{labdir, profile::Catalogue};
//! let catalogue = Catalogue::builtin()?;
//! let opts = labdir::InitOptions { ca: Default::default(), force: false, renew: false };
//! let report = labdir::init("/tmp/my-lab".as_ref(), &catalogue, &opts, time::OffsetDateTime::now_utc())?;
//! println!("{} scenarios", report.manifest.scenarios.len());
//! # Ok::<(), pki_lab::Error>(())
//! ```

pub mod ca;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod envvars;
pub mod error;
pub mod fsutil;
pub mod gateway;
pub mod http;
pub mod inspect;
pub mod issue;
pub mod keys;
pub mod lab;
pub mod labdir;
pub mod legacy;
pub mod manifest;
pub mod names;
pub mod outcome;
pub mod output;
pub mod p12;
pub mod probe;
pub mod profile;
pub mod rules;
pub mod serve;
pub mod session;
pub mod testing;
pub mod trust;

pub use error::{Error, Result};

//! pki-lab: a local certificate authority and a catalogue of deliberately broken certificates,
//! each breaking exactly one rule a TLS client checks.
//!
//! The stages, in the order data flows through them:
//!
//! 1. [`catalogue`]: scenario templates (`templates/*.yaml`) and the rule table.
//! 2. [`pki`]: keys, the lab's CAs, and each scenario issued from its template.
//! 3. [`labdir`]: the lab directory on disk (every file name once), `init` and the manifest.
//! 4. [`verdict`]: the rule engine that decides each rule with evidence, and rustls's outcome.
//! 5. [`serve`]: a TLS server per scenario, HTTP, session stores and the gateway.
//! 6. [`probe`]: a client that walks the five steps of the handshake and hands the chain and
//!    what it saw to [`verdict`].
//! 7. [`inspect`]: certificates described for people.
//! 8. [`lab`]: exercises that teach each rule and grade the answers.
//! 9. [`truststore`]: the lab root in system, NSS and Java stores; client environment variables.
//!
//! [`testing`] is the API for other projects' tests. `cli` (hidden) is the command line; the
//! lab runner still reaches into it to parse and run a step's command. Time is always an argument, never read behind the caller's back, so
//! tests can pin it.
//!
//! ```no_run
//! use pki_lab::{labdir, catalogue::template::Catalogue};
//! let catalogue = Catalogue::builtin()?;
//! let opts = labdir::InitOptions { ca: Default::default(), force: false, renew: false };
//! let report = labdir::init("/tmp/my-lab".as_ref(), &catalogue, &opts, time::OffsetDateTime::now_utc())?;
//! println!("{} scenarios", report.manifest.scenarios.len());
//! # Ok::<(), pki_lab::Error>(())
//! ```

pub mod catalogue;
pub mod inspect;
pub mod lab;
pub mod labdir;
pub mod pki;
pub mod probe;
pub mod serve;
pub mod truststore;
pub mod verdict;

pub mod error;
pub mod testing;

#[doc(hidden)]
pub mod cli;

pub use error::{Error, Result};

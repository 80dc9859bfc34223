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
//! 8. [`lab`]: exercises that teach each rule and grade the answers; step commands are parsed by
//!    a [`lab::StepParser`] the caller hands in (the command line's: `cli::parse_step`).
//! 9. [`truststore`]: the lab root in system, NSS and Java stores; client environment variables.
//! 10. [`clients`]: the real TLS clients pki-lab measures (curl, Python, Go, Node, Java, GnuTLS,
//!     wget, Chromium, …), one adapter each.
//! 11. [`audit`]: any client run against every scenario, read rule by rule against a policy.
//!
//! `testing` (feature `testing`) is the API for other projects' tests. `cli` (hidden, feature
//! `cli`) is the command line. Time is always an argument, never read behind the caller's back,
//! so tests can pin it.
//!
//! Features (both defaults): `cli`, the command line and its terminal tutor for labs (clap, and
//! the `redis` session store and `p12` output it offers); `testing`, the API for tests. Other projects' tests
//! need only `default-features = false, features = ["testing"]`.
//!
//! ```no_run
//! use pki_lab::{labdir, catalogue::template::Catalogue};
//! let catalogue = Catalogue::builtin()?;
//! let opts = labdir::InitOptions { ca: Default::default(), force: false, renew: false, complete: true };
//! let report = labdir::init("/tmp/my-lab".as_ref(), &catalogue, &opts, time::OffsetDateTime::now_utc())?;
//! println!("{} scenarios", report.manifest.scenarios.len());
//! # Ok::<(), pki_lab::Error>(())
//! ```

pub mod audit;
pub mod catalogue;
pub mod clients;
pub mod inspect;
pub mod lab;
pub mod labdir;
pub mod pki;
pub mod probe;
pub mod serve;
pub mod truststore;
pub mod verdict;

pub mod error;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[cfg(feature = "cli")]
pub mod cli;

pub use error::{Error, Result};

//! What each subcommand does: call the library, print results to stdout and receipts to stderr,
//! return the exit code (0 as expected, 1 a check did not hold, 2 bad input).

#[macro_use]
pub mod output;

mod args;
mod audit;
mod catalogue;
mod completions;
mod env;
mod gateway;
mod init;
mod issue;
mod lab;
mod probe;
mod rules;
mod serve;
mod step;
mod trust;
mod values;
mod verify;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use args::*;
pub use step::parse_step;

use crate::catalogue::rules::RuleId;
use crate::catalogue::template::Expect;
pub(crate) use crate::error::seconds;
use crate::error::{Error, Result};
use crate::labdir;

/// Runs one command; `Ok(code)` is the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let dir = cli.dir.unwrap_or_else(labdir::default_dir);
    let now = clock()?;
    match cli.command {
        Command::Init(args) => init::init(&dir, args, now),
        Command::Scenarios(args) => catalogue::scenarios(&dir, args, now),
        Command::Rules(args) => rules::rules(args),
        Command::Inspect(args) => catalogue::inspect(&dir, args, now),
        Command::Serve(args) => serve::serve(&dir, args, now),
        Command::Probe(args) => probe::probe(&dir, args, now),
        Command::Verify(args) => verify::verify(&dir, args, now),
        Command::Audit(args) => audit::audit(&dir, args, now),
        Command::Gateway(args) => gateway::gateway(&dir, args, now),
        Command::Issue(args) => issue::issue(&dir, args, now),
        Command::Trust(args) => trust::trust(&dir, args),
        Command::Env(args) => env::env(&dir, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Lab(args) => lab::lab(&dir, args, now),
    }
}

/// The lab's manifest once the scenarios `init` left for later are issued, saying so when it
/// issues them (the first command to open a new lab pays for its RSA keys).
pub(crate) fn open_lab(dir: &std::path::Path, now: OffsetDateTime) -> Result<labdir::manifest::Manifest> {
    let manifest = labdir::load_manifest(dir)?;
    if manifest.deferred.is_empty() {
        return Ok(manifest);
    }
    // Under the lock, taken as every command takes it: saying what it recovered.
    let lock = init::lock(dir)?;
    let issued = labdir::complete(&lock, now)?;
    if !issued.is_empty() {
        eprintln!("note: issued the {} scenarios init left for later (RSA keys): {}", issued.len(), issued.join(", "));
    }
    labdir::load_manifest(dir)
}

/// The current time, or `PKI_LAB_NOW` (RFC 3339) so that tests and reproducible runs can pin it.
pub fn clock() -> Result<OffsetDateTime> {
    match std::env::var("PKI_LAB_NOW") {
        Ok(v) if !v.is_empty() => OffsetDateTime::parse(&v, &Rfc3339).map_err(|e| {
            Error::Input(format!(
                "PKI_LAB_NOW: expected an RFC 3339 time such as 2026-11-26T10:00:00Z, found `{v}` ({e})"
            ))
        }),
        _ => Ok(OffsetDateTime::now_utc()),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the async runtime: {e}")))
}

/// One row of the catalogue table.
pub(crate) fn row(name: &str, step: Option<&str>, rule: Option<RuleId>, summary: &str, expect: &Expect) -> Vec<String> {
    let outcome = if rule.is_none() {
        "pass".to_string()
    } else {
        let mut o = format!("openssl {}, rustls {}", expect.openssl_verify, expect.rustls_verify);
        if let Some(h) = &expect.rustls_handshake {
            o = format!("openssl {}, rustls handshake {h}", expect.openssl_verify);
        }
        o
    };
    vec![
        name.to_string(),
        step.unwrap_or("-").to_string(),
        rule.map_or("(control)", RuleId::as_str).to_string(),
        outcome,
        summary.to_string(),
    ]
}

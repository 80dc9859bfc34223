//! `pki-lab verify`: the rule engine on files, offline, at a chosen time.

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::labdir;

#[derive(serde::Serialize)]
struct VerifyReport {
    cert: String,
    host: String,
    at: String,
    verification: Vec<crate::engine::RuleResult>,
    failed: Vec<&'static str>,
    rustls: String,
}

pub(crate) fn verify(dir: &Path, args: VerifyArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::engine;
    let at = match &args.at {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
            Error::Usage(format!("--at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, found `{t}` ({e})"))
        })?,
        None => now,
    };
    let lab = labdir::is_lab(dir).then_some(dir);
    let (presented, trust) =
        engine::verify_files(&args.cert, args.chain.as_deref(), args.ca.as_deref(), &args.crls, lab)?;
    let results = engine::evaluate(&presented, &args.host, &trust, at);
    let unix = rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let rustls = crate::outcome::rustls_verify(&presented, &trust.roots, &trust.crls, &args.host, unix)?;
    let failed = engine::failed(&results);
    let expected: Vec<&str> = args.expect.iter().map(String::as_str).filter(|e| *e != "pass").collect();
    let ok = {
        let (mut a, mut b) = (failed.clone(), expected.clone());
        a.sort_unstable();
        b.sort_unstable();
        a == b
    };
    if args.json {
        let report = VerifyReport {
            cert: args.cert.display().to_string(),
            host: args.host.clone(),
            at: labdir::rfc3339(at),
            verification: results,
            failed,
            rustls,
        };
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Error::Usage(e.to_string()))?);
    } else {
        println!("verify {} for {} at {}", args.cert.display(), args.host, labdir::rfc3339(at));
        print!("{}", engine::render_text(&results));
        if failed.is_empty() {
            println!("verdict  PASS (rustls: {rustls})");
        } else {
            println!("verdict  FAIL {} (rustls: {rustls})", failed.join(", "));
        }
    }
    Ok(if ok { 0 } else { 1 })
}

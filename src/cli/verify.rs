//! `pki-lab verify`: the rule engine on files, offline, at a chosen time.

use std::collections::BTreeSet;
use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalogue::rules::{Expected, RuleId};
use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::labdir;

/// What `pki-lab verify --json` prints.
#[derive(Debug, serde::Serialize)]
pub(crate) struct VerifyReport {
    pub cert: String,
    pub host: String,
    pub at: String,
    pub verification: Vec<crate::verdict::engine::RuleResult>,
    pub failed: Vec<RuleId>,
    pub rustls: String,
}

impl VerifyReport {
    /// The human form.
    pub(crate) fn text(&self) -> String {
        let mut t = format!("verify {} for {} at {}\n", self.cert, self.host, self.at);
        t.push_str(&crate::verdict::engine::render_text(&self.verification));
        if self.failed.is_empty() {
            t.push_str(&format!("verdict  PASS (rustls: {})\n", self.rustls));
        } else {
            t.push_str(&format!("verdict  FAIL {} (rustls: {})\n", RuleId::join(&self.failed, ", "), self.rustls));
        }
        t
    }
}

/// Runs the engine and rustls on the files `args` names, at `--at` or `now`; `lab` lends its
/// root (unless `--ca`) and its other CAs to explain failures.
pub(crate) fn report(lab: Option<&Path>, args: &VerifyArgs, now: OffsetDateTime) -> Result<VerifyReport> {
    use crate::verdict::engine;
    let at = match &args.at {
        Some(t) => OffsetDateTime::parse(t.trim(), &Rfc3339).map_err(|e| {
            Error::Usage(format!("--at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, found `{t}` ({e})"))
        })?,
        None => now,
    };
    let (presented, trust) =
        engine::verify_files(&args.cert, args.chain.as_deref(), args.ca.as_deref(), &args.crls, lab)?;
    let results = engine::evaluate(&presented, &args.host, &trust, at);
    let unix = rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let rustls = crate::verdict::outcome::rustls_verify(&presented, &trust.roots, &trust.crls, &args.host, unix)?;
    Ok(VerifyReport {
        cert: args.cert.display().to_string(),
        host: args.host.clone(),
        at: labdir::rfc3339(at),
        failed: engine::failed(&results),
        verification: results,
        rustls,
    })
}

pub(crate) fn verify(dir: &Path, args: VerifyArgs, now: OffsetDateTime) -> Result<i32> {
    let report = report(labdir::is_lab(dir).then_some(dir), &args, now)?;
    let expected = Expected::failures(&args.expect);
    let failed: BTreeSet<RuleId> = report.failed.iter().copied().collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Error::Usage(e.to_string()))?);
    } else {
        print!("{}", report.text());
    }
    Ok(if failed == expected { 0 } else { 1 })
}

//! `verify`: the rule engine and rustls's verifier on certificate files, offline, at a chosen
//! time, as one report (what `pki-lab verify` prints and a lab's `verify` step observes).

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::catalogue::rules::RuleId;
use crate::error::Result;
use crate::labdir;
use rustls::pki_types::CertificateDer;

use crate::verdict::engine::{self, PathTried, Policy, RuleResult, Trust};

/// The files and the name to verify.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// The leaf (PEM); further certificates in the file count as sent intermediates.
    pub cert: PathBuf,
    /// Intermediates, as a server would send them.
    pub chain: Option<PathBuf>,
    /// Roots to trust; `None`: the lab's.
    pub ca: Option<PathBuf>,
    /// CRLs to check revocation against.
    pub crls: Vec<PathBuf>,
    /// The host name to verify.
    pub host: String,
    /// The most intermediates a path may have (`--max-depth`); `None`: webpki's 6.
    pub max_depth: Option<usize>,
}

/// Rules that are issuance or browser policy rather than path validation: a leaf's lifetime
/// (BR §6.3.2 binds CAs; Apple's 825 days is one client's rule). RFC 5280 validators, webpki and
/// x509-limbo accept a valid chain of any lifetime, so the conformance test does not count these
/// in its verdict; `verify` still reports and fails them.
pub const POLICY_ONLY: &[RuleId] = &[RuleId::ValidityOver398Days, RuleId::ValidityOver825Days];

/// What `pki-lab verify --json` prints.
#[derive(Debug, serde::Serialize)]
pub struct VerifyReport {
    pub cert: String,
    pub host: String,
    pub at: String,
    pub verification: Vec<RuleResult>,
    pub failed: Vec<RuleId>,
    pub rustls: String,
    /// Every path path building tried, in order; one is `chosen` (RFC 4158).
    pub paths: Vec<PathTried>,
    /// Set when path building stopped at its budget with candidates left untried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_budget: Option<String>,
}

impl VerifyReport {
    /// The human form.
    pub fn text(&self) -> String {
        let mut t = format!("verify {} for {} at {}\n", self.cert, self.host, self.at);
        t.push_str(&engine::render_text(&self.verification));
        // One path is the usual case; several mean cross-signs or rival issuers.
        if self.paths.len() > 1 {
            t.push_str(&format!("paths tried: {}\n", self.paths.len()));
            for (n, p) in self.paths.iter().enumerate() {
                let why = if p.failed.is_empty() {
                    "validates".to_string()
                } else {
                    format!("fails {}", RuleId::join(&p.failed, ", "))
                };
                let mark = if p.chosen { "chosen" } else { "dropped" };
                t.push_str(&format!("  #{} {mark}: {} ({}); {why}\n", n + 1, p.certs.join(" <- "), p.end));
            }
        }
        if let Some(note) = &self.path_budget {
            t.push_str(&format!("{note}\n"));
        }
        if self.failed.is_empty() {
            t.push_str(&format!("verdict  PASS (rustls: {})\n", self.rustls));
        } else {
            t.push_str(&format!("verdict  FAIL {} (rustls: {})\n", RuleId::join(&self.failed, ", "), self.rustls));
        }
        t
    }
}

/// Runs the engine and rustls on the files `req` names, at `at`; `lab` lends its root (unless
/// `req.ca`) and its other CAs to explain failures.
pub fn verify(lab: Option<&Path>, req: &VerifyRequest, at: OffsetDateTime) -> Result<VerifyReport> {
    let (presented, trust) = engine::verify_files(&req.cert, req.chain.as_deref(), req.ca.as_deref(), &req.crls, lab)?;
    let policy = Policy { max_depth: req.max_depth };
    verify_ders(&req.cert.display().to_string(), &presented, &trust, &req.host, &policy, at)
}

/// [`verify`] on certificates already in memory: `presented` is the leaf then what the server
/// sent; `label` names the leaf in the report.
pub fn verify_ders(
    label: &str,
    presented: &[CertificateDer<'static>],
    trust: &Trust,
    host: &str,
    policy: &Policy,
    at: OffsetDateTime,
) -> Result<VerifyReport> {
    let evaluation = engine::evaluate_with(presented, host, trust, at, policy);
    let unix = rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let rustls = crate::verdict::outcome::rustls_verify(presented, &trust.roots, &trust.crls, host, unix)?;
    Ok(VerifyReport {
        cert: label.to_string(),
        host: host.to_string(),
        at: labdir::rfc3339(at),
        failed: engine::failed(&evaluation.results),
        verification: evaluation.results,
        rustls,
        paths: evaluation.paths,
        path_budget: evaluation.budget_note,
    })
}

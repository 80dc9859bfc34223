//! `verify`: the rule engine and rustls's verifier on certificate files, offline, at a chosen
//! time, as one report (what `pki-lab verify` prints and a lab's `verify` step observes).

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::catalogue::rules::{Profile, RuleId};
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
    /// Which failures fail the verdict.
    pub profile: Profile,
    /// The most intermediates a path may have (`--max-depth`); `None`: webpki's 6.
    pub max_depth: Option<usize>,
}

/// What `pki-lab verify --json` prints.
#[derive(Debug, serde::Serialize)]
pub struct VerifyReport {
    pub cert: String,
    pub host: String,
    pub at: String,
    pub verification: Vec<RuleResult>,
    /// Every rule that failed, whatever the profile.
    pub failed: Vec<RuleId>,
    pub profile: Profile,
    /// The failed rules that fail the verdict under `profile`: PASS when empty.
    pub rejected: Vec<RuleId>,
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
            t.push_str(&format!(
                "paths tried: {} (A <- B: A is issued by B; [where each certificate came from]; trust store first)\n",
                self.paths.len()
            ));
            for (n, p) in self.paths.iter().enumerate() {
                let why = if p.failed.is_empty() {
                    "validates".to_string()
                } else {
                    format!("fails {}", RuleId::join(&p.failed, ", "))
                };
                let mark = if p.chosen { "chosen" } else { "dropped" };
                let certs: Vec<String> =
                    p.certs.iter().zip(&p.from).map(|(c, from)| format!("{c} [{}]", from.describe())).collect();
                t.push_str(&format!("  #{} {mark}: {} ({}); {why}\n", n + 1, certs.join(" <- "), p.end));
            }
        }
        if let Some(note) = &self.path_budget {
            t.push_str(&format!("{note}\n"));
        }
        let verdict = if self.rejected.is_empty() {
            "PASS".to_string()
        } else {
            format!("FAIL {}", RuleId::join(&self.rejected, ", "))
        };
        // Under the strict default every failure counts; otherwise say what was not counted.
        let mut under = String::new();
        if self.profile != Profile::Strict {
            under = format!(" under {}", self.profile);
            let uncounted: Vec<RuleId> = self.failed.iter().copied().filter(|r| !self.rejected.contains(r)).collect();
            if !uncounted.is_empty() {
                under.push_str(&format!(" (failed, not counted: {})", RuleId::join(&uncounted, ", ")));
            }
        }
        t.push_str(&format!("verdict  {verdict}{under} (rustls: {})\n", self.rustls));
        t
    }

    /// Whether the verdict is PASS.
    pub fn passes(&self) -> bool {
        self.rejected.is_empty()
    }
}

/// `--at` as typed (RFC 3339), or `now` when it is not given.
pub fn parse_at(at: Option<&str>, now: OffsetDateTime) -> Result<OffsetDateTime> {
    match at {
        Some(t) => OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339).map_err(|e| {
            crate::Error::Usage(format!(
                "--at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, found `{t}` ({e})"
            ))
        }),
        None => Ok(now),
    }
}

/// Runs the engine and rustls on the files `req` names, at `at`; `lab` lends its root (unless
/// `req.ca`) and its other CAs to explain failures.
pub fn verify(lab: Option<&Path>, req: &VerifyRequest, at: OffsetDateTime) -> Result<VerifyReport> {
    let (presented, trust) = engine::verify_files(&req.cert, req.chain.as_deref(), req.ca.as_deref(), &req.crls, lab)?;
    let policy = Policy { profile: req.profile, max_depth: req.max_depth };
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
        profile: policy.profile,
        rejected: policy.profile.rejecting(&engine::failed(&evaluation.results)),
        verification: evaluation.results,
        rustls,
        paths: evaluation.paths,
        path_budget: evaluation.budget_note,
    })
}

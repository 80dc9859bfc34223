//! The rule engine: every rule of the catalogue evaluated on its own, with evidence.
//!
//! A TLS library stops at the first failure and names it tersely: rustls reports an untrusted
//! root, a self-signed leaf and a missing intermediate all as `UnknownIssuer`. [`evaluate`]
//! instead builds every path it can from the presented chain (leaf first; cross-signs and rival
//! issuers are each tried, RFC 4158), explains gaps with CAs the client knows but does not trust
//! ([`Trust::known`]), and decides every rule of [`rules::RULES`] separately on each: pass, fail
//! or not applicable, each with evidence a person can read. The first path that fails no rule is
//! kept, else the one that fails fewest; [`evaluate_with`] also returns the record of every path
//! tried. An expired certificate for the wrong host fails both rules.
//!
//! Decisions follow webpki (the verifier inside rustls) where clients agree; where they differ
//! the evidence says so (a missing extendedKeyUsage, a name only in the CN). Signatures are
//! checked with aws-lc-rs, the project's one crypto provider, including legacy algorithms
//! (SHA-1, RSA keys under 2048 bits) so that a weak algorithm or key fails its own rule and not
//! `signature.invalid` as well.
//!
//! ```no_run
//! use pki_lab::verdict::engine;
//! let lab = std::path::Path::new("/tmp/my-lab");
//! let (chain, mut trust) = engine::verify_files(&lab.join("scenarios/expired/chain.pem"), None, None, &[], Some(lab))?;
//! trust.crls = engine::lab_crls(lab)?;
//! let results = engine::evaluate(&chain, "localhost", &trust, time::OffsetDateTime::now_utc());
//! print!("{}", engine::render_text(&results));
//! assert_eq!(engine::failed(&results), [pki_lab::catalogue::rules::RuleId::ValidityExpired]);
//! # Ok::<(), pki_lab::Error>(())
//! ```

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::Serialize;
use time::OffsetDateTime;

pub use super::files::{
    lab_crls, lab_trust, read_certs, read_crls, read_roots, scenario_crls, scenario_of, scenario_trust, verify_files,
};
pub use super::names::{dns_in_subtree, dns_may_reach_subtree, dns_name_matches, ip_in_subtree};
pub use super::path::Source;
use super::{
    constraints::*, encoding::*, keyid::*, names::*, path::*, purpose::*, revocation::*, signature::*, subtrees::*,
    trust::*, usage::*, validity::*,
};
use crate::catalogue::rules::{self, Kind, RuleId, Step};
pub use crate::pki::x509::humanize;

/// The verdict on one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
}

impl Status {
    /// `PASS`, `FAIL` or `N/A`, as the text output prints it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotApplicable => "N/A",
        }
    }
}

/// One rule of [`rules::RULES`], decided over one presented chain.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: RuleId,
    pub step: Step,
    pub status: Status,
    /// Why, in one line a person can read: the certificate, the field, the value.
    pub evidence: String,
}

/// What the client trusts and knows.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Trusted anchors (the lab's `ca.pem` by default).
    pub roots: Vec<CertificateDer<'static>>,
    /// CAs we know but do NOT trust, used only to explain failures (the lab intermediate when a
    /// server omits it, the rogue root, scenario CAs).
    pub known: Vec<CertificateDer<'static>>,
    /// CRLs to check; empty means revocation is not checked (`revocation.revoked` is N/A).
    pub crls: Vec<CertificateRevocationListDer<'static>>,
}

impl Trust {
    /// This trust with `roots` as the only anchors (`--ca`): the roots it had become known, so a
    /// chain to them is still explained ("issued by the lab root, which you do not trust").
    pub fn trusting(mut self, roots: Vec<CertificateDer<'static>>) -> Trust {
        let demoted: Vec<_> = self.roots.drain(..).filter(|r| !roots.contains(r)).collect();
        self.known.retain(|k| !roots.contains(k));
        self.known.splice(0..0, demoted);
        self.roots = roots;
        self
    }
}

/// Evidence of the rules only a live handshake can show.
pub(super) const LIVE_ONLY: &str = "observed only in a live handshake (pki-lab probe)";

/// Path building gives up after this many certificates (unless the policy allows more
/// intermediates, [`depth_limit`]): well beyond webpki's 6 intermediates, so that a chain deeper
/// than a client allows is still found and judged by `chain.max-depth`; the signature-check
/// budget bounds the search anyway.
pub(super) const MAX_DEPTH: usize = 16;

/// Intermediates a path may hold when the policy sets no maximum (webpki's `MAX_SUB_CA_COUNT`).
pub(super) const DEFAULT_MAX_INTERMEDIATES: usize = 6;

/// What the modelled client allows beyond the standards' fixed rules.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The most intermediates a path may have, self-issued ones not counted (limbo's
    /// `max_chain_depth`, OpenSSL's `-verify_depth`); `None`: webpki's 6.
    pub max_depth: Option<usize>,
    /// Which failures fail the verdict (and so which path building prefers).
    pub profile: rules::Profile,
}

/// The rule results over the chosen path, and every path path building tried.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub results: Vec<RuleResult>,
    /// Each candidate path in the order it was tried (RFC 4158): the chosen one is the first
    /// that fails no rule, else the one that fails fewest (a trusted end first). Every candidate
    /// path building found is judged, also those after the chosen one, so that the report says
    /// why each other path would fail.
    pub paths: Vec<PathTried>,
    /// Set when path building stopped at its budget with candidates left untried.
    pub budget_note: Option<String>,
}

/// One candidate path from the leaf up, and why it was kept or dropped.
#[derive(Debug, Clone, Serialize)]
pub struct PathTried {
    /// Each certificate, leaf first (`leaf CN=…`, `intermediate CN=…`, `root CN=…`); each is
    /// issued by the next one.
    pub certs: Vec<String>,
    /// Where each certificate of `certs` came from: sent by the server, the trust store (only
    /// there does a trusted path end), or a CA pki-lab knows.
    pub from: Vec<Source>,
    /// How the path ends: `trusted`, `self-signed`, `issuer-missing` or `too-long`.
    pub end: &'static str,
    /// The rules this path fails (empty: it validates).
    pub failed: Vec<RuleId>,
    pub chosen: bool,
}

/// Evaluates every rule of [`rules::RULES`] over `presented` (leaf first, then whatever the
/// server sent) for `host` at `now`. One result per rule, in table order.
pub fn evaluate(
    presented: &[CertificateDer<'static>],
    host: &str,
    trust: &Trust,
    now: OffsetDateTime,
) -> Vec<RuleResult> {
    evaluate_with(presented, host, trust, now, &Policy::default()).results
}

/// [`evaluate`] under a client `policy`, keeping the record of every path tried.
pub fn evaluate_with(
    presented: &[CertificateDer<'static>],
    host: &str,
    trust: &Trust,
    now: OffsetDateTime,
    policy: &Policy,
) -> Evaluation {
    let pool = match Pool::new(presented, trust) {
        Ok(pool) => pool,
        Err(why) => {
            let results = rules::RULES
                .iter()
                .map(|r| RuleResult {
                    rule: r.id,
                    step: r.step,
                    status: Status::NotApplicable,
                    evidence: format!("cannot evaluate: {why}"),
                })
                .collect();
            return Evaluation { results, paths: Vec::new(), budget_note: None };
        }
    };
    let crls = Crls::parse(&trust.crls);
    let now = now.unix_timestamp();
    let mut paths = Vec::new();
    // (rank, results, index into paths) of the best path so far.
    let mut best: Option<((bool, usize), Vec<RuleResult>, usize)> = None;
    let (candidates, exhausted) = Chain::candidates(&pool, depth_limit(policy));
    let budget_note = exhausted.then(|| format!("path building stopped at its budget ({})", Chain::budget()));
    // Set once a path validates: it is chosen, and the rest are judged for the report only.
    let mut settled = false;
    for chain in candidates {
        let results = decide(&chain, presented, host, &pool, &crls, now, policy);
        let failed = failed(&results);
        let rejecting = policy.profile.rejecting(&failed);
        let rank = (!matches!(chain.end, End::Trusted), rejecting.len());
        let certs = (0..chain.len()).map(|i| chain.label(i)).collect();
        let from = chain.nodes.iter().map(|&n| pool.source(n)).collect();
        paths.push(PathTried { certs, from, end: chain.end.as_str(), failed: failed.clone(), chosen: false });
        if !settled && best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
            best = Some((rank, results, paths.len() - 1));
        }
        settled |= rejecting.is_empty();
    }
    match best {
        Some((_, results, i)) => {
            paths[i].chosen = true;
            Evaluation { results, paths, budget_note }
        }
        // `candidates` always yields at least the leaf on its own.
        None => Evaluation { results: Vec::new(), paths, budget_note },
    }
}

/// Every rule of the table over one candidate path.
fn decide(
    chain: &Chain<'_, '_>,
    presented: &[CertificateDer<'static>],
    host: &str,
    pool: &Pool<'_>,
    crls: &Crls<'_>,
    now: i64,
    policy: &Policy,
) -> Vec<RuleResult> {
    rules::RULES
        .iter()
        .map(|r| {
            // No catch-all arm: a rule added to the table without its check does not compile.
            let outcome = match r.id {
                RuleId::ValidityExpired => validity(chain, now, Bound::NotAfter),
                RuleId::ValidityNotYetValid => validity(chain, now, Bound::NotBefore),
                RuleId::ValidityInverted => validity_inverted(chain),
                RuleId::ValidityOver398Days => leaf_lifetime(chain, 398),
                RuleId::ValidityOver825Days => leaf_lifetime(chain, 825),

                RuleId::NameMismatch => name_mismatch(chain, host),
                RuleId::NameNoSan => name_no_san(chain, host),
                RuleId::NameSanEmpty => san_empty(chain),
                RuleId::NameSanCritical => san_critical(chain),
                RuleId::NameSanSyntax => san_syntax(chain),
                RuleId::NameIpInDns => ip_in_dns(chain),
                RuleId::NameWildcardPosition => wildcard_position(chain),
                RuleId::NameWildcardPublicSuffix => wildcard_public_suffix(chain),
                RuleId::NameCnNotInSan => cn_not_in_san(chain),

                RuleId::TrustUnknownRoot => with_notes(trust_unknown_root(chain), &pool.unparsed),
                RuleId::TrustSelfSigned => trust_self_signed(chain),
                RuleId::TrustAnchorExpired => anchor_expired(chain, now),
                RuleId::TrustAnchorNotCa => anchor_not_ca(chain),

                RuleId::ChainIncomplete => with_notes(chain_incomplete(chain), &pool.unparsed),
                RuleId::ChainDuplicateCertificate => duplicate_certificate(presented),
                RuleId::ChainMaxDepth => max_depth(chain, policy),
                RuleId::ChainIssuerNotCa => issuer_not_ca(chain),
                RuleId::ChainLeafIsCa => leaf_is_ca(chain),
                RuleId::ChainPathLength => path_length(chain),

                RuleId::ChainNameConstraints => name_constraints(chain),
                RuleId::ChainNameConstraintsMalformed => name_constraints_malformed(chain),
                RuleId::ChainNameConstraintsUnsupported => name_constraints_unsupported(chain),
                RuleId::ChainNameConstraintsBudget => name_constraints_budget(chain),

                RuleId::KeyIdAkiMissing => aki_missing(chain),
                RuleId::KeyIdAkiMalformed => aki_malformed(chain),
                RuleId::KeyIdSkiMissing => ski_missing(chain),
                RuleId::KeyIdSkiCritical => ski_critical(chain),

                RuleId::UsageBasicConstraintsCritical => basic_constraints_critical(chain),
                RuleId::UsageKeyCertSignNotCa => keycertsign_not_ca(chain),
                RuleId::UsageCaWithoutKeyCertSign => ca_without_keycertsign(chain),
                RuleId::UsageLeafKeyUsage => leaf_key_usage(chain),

                RuleId::PurposeEku => purpose_eku(chain),
                RuleId::PurposeAnyEku => any_eku(chain),
                RuleId::PurposeEkuMissing => eku_missing(chain),
                RuleId::PurposeEkuCritical => eku_critical(chain),
                RuleId::PurposeCaEku => ca_eku(chain),

                RuleId::SignatureInvalid => signature_invalid(chain),
                RuleId::SignatureAlgorithmMismatch => algorithm_mismatch(chain),
                RuleId::SignatureWeakAlgorithm => weak_algorithm(chain),
                RuleId::SignatureRsaPssParams => rsa_pss_params(chain),
                RuleId::KeyTooWeak => key_too_weak(chain),
                RuleId::KeyAlgorithm => key_algorithm(chain),
                RuleId::KeyRsaModulus => rsa_modulus(chain),

                RuleId::EncodingSerial => serial(chain),
                RuleId::EncodingTime => time_encoding(chain),
                RuleId::EncodingVersion => version(chain),
                RuleId::EncodingDuplicateExtension => duplicate_extension(chain),
                RuleId::EncodingAia => aia(chain),
                RuleId::ExtensionUnknownCritical => unknown_critical(chain),

                RuleId::RevocationRevoked => revocation(chain, crls, now),
                RuleId::RevocationCrlSignature => crl_signature(chain, crls, now),
                RuleId::RevocationCrlSign => crl_sign(chain, crls, now),
                RuleId::RevocationCrlNumber => crl_number(chain, crls, now),
                RuleId::RevocationCrlStale => crl_stale(chain, crls, now),
                RuleId::RevocationCrlScope => crl_scope(chain, crls, now),

                RuleId::HandshakeKeyMismatch | RuleId::ClientCertRequired | RuleId::ClientCertUntrusted => {
                    debug_assert_eq!(r.kind, Kind::Live);
                    (Status::NotApplicable, LIVE_ONLY.to_string())
                }
            };
            RuleResult { rule: r.id, step: r.step, status: outcome.0, evidence: outcome.1 }
        })
        .collect()
}

pub(super) fn with_notes((status, mut evidence): (Status, String), notes: &[String]) -> (Status, String) {
    for note in notes {
        evidence.push_str("; ");
        evidence.push_str(note);
    }
    (status, evidence)
}

/// The ids of the rules that failed, in table order.
pub fn failed(results: &[RuleResult]) -> Vec<RuleId> {
    results.iter().filter(|r| r.status == Status::Fail).map(|r| r.rule).collect()
}

/// One aligned line per rule: id, `PASS`/`FAIL`/`N/A`, evidence.
pub fn render_text(results: &[RuleResult]) -> String {
    let width = rules::RULES.iter().map(|r| r.id.as_str().len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in results {
        let line = format!("{:<width$}  {:<4}  {}", r.rule.as_str(), r.status.label(), r.evidence);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_are_aligned() {
        let results = vec![
            RuleResult {
                rule: RuleId::ValidityExpired,
                step: Step::Verification,
                status: Status::Fail,
                evidence: "leaf CN=x not after …".into(),
            },
            RuleResult {
                rule: RuleId::ExtensionUnknownCritical,
                step: Step::Verification,
                status: Status::NotApplicable,
                evidence: "e".into(),
            },
        ];
        let text = render_text(&results);
        // The longest id in the table sets the column.
        let width = RuleId::all().map(|r| r.as_str().len()).max().expect("rules");
        let expired = RuleId::ValidityExpired;
        let unknown = RuleId::ExtensionUnknownCritical;
        assert_eq!(text, format!("{expired:<width$}  FAIL  leaf CN=x not after …\n{unknown:<width$}  N/A   e\n"));
        assert_eq!(failed(&results), [RuleId::ValidityExpired]);
    }
}

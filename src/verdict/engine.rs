//! The rule engine: every rule of the catalogue evaluated on its own, with evidence.
//!
//! A TLS library stops at the first failure and names it tersely: rustls reports an untrusted
//! root, a self-signed leaf and a missing intermediate all as `UnknownIssuer`. [`evaluate`]
//! instead builds the best path it can from the presented chain (leaf first), explains gaps with
//! CAs the client knows but does not trust ([`Trust::known`]), and then decides every rule of
//! [`rules::RULES`] separately: pass, fail or not applicable, each with evidence a person can
//! read. An expired certificate for the wrong host fails both rules.
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
//! assert_eq!(engine::failed(&results), ["validity.expired"]);
//! # Ok::<(), pki_lab::Error>(())
//! ```

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Name};

use crate::catalogue::rules::{self, Step};
use crate::error::{Error, Result};

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
    pub rule: &'static str,
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

/// Evidence of the rules only a live handshake can show.
const LIVE_ONLY: &str = "observed only in a live handshake (pki-lab probe)";

/// Path building gives up after this many certificates (webpki allows 6 intermediates).
const MAX_DEPTH: usize = 8;

/// Evaluates every rule of [`rules::RULES`] over `presented` (leaf first, then whatever the
/// server sent) for `host` at `now`. One result per rule, in table order.
pub fn evaluate(
    presented: &[CertificateDer<'static>],
    host: &str,
    trust: &Trust,
    now: OffsetDateTime,
) -> Vec<RuleResult> {
    let verdict = |rule: &rules::Rule, (status, evidence): (Status, String)| RuleResult {
        rule: rule.id,
        step: rule.step,
        status,
        evidence,
    };
    let pool = match Pool::new(presented, trust) {
        Ok(pool) => pool,
        Err(why) => {
            return rules::RULES
                .iter()
                .map(|r| verdict(r, (Status::NotApplicable, format!("cannot evaluate: {why}"))))
                .collect();
        }
    };
    let chain = Chain::build(&pool);
    let crls = Crls::parse(&trust.crls);
    let now = now.unix_timestamp();
    rules::RULES
        .iter()
        .map(|r| {
            let outcome = match r.id {
                "validity.expired" => validity(&chain, now, Bound::NotAfter),
                "validity.not-yet-valid" => validity(&chain, now, Bound::NotBefore),
                "name.mismatch" => name_mismatch(&chain, host),
                "name.no-san" => name_no_san(&chain, host),
                "trust.unknown-root" => with_notes(trust_unknown_root(&chain), &pool.unparsed),
                "trust.self-signed" => trust_self_signed(&chain),
                "chain.incomplete" => with_notes(chain_incomplete(&chain), &pool.unparsed),
                "chain.issuer-not-ca" => issuer_not_ca(&chain),
                "chain.leaf-is-ca" => leaf_is_ca(&chain),
                "chain.path-length" => path_length(&chain),
                "chain.name-constraints" => name_constraints(&chain),
                "purpose.eku" => purpose_eku(&chain),
                "signature.invalid" => signature_invalid(&chain),
                "signature.weak-algorithm" => weak_algorithm(&chain),
                "key.too-weak" => key_too_weak(&chain),
                "extension.unknown-critical" => unknown_critical(&chain),
                "revocation.revoked" => revocation(&chain, &crls, now),
                "handshake.key-mismatch" | "client.cert-required" | "client.cert-untrusted" => {
                    (Status::NotApplicable, LIVE_ONLY.to_string())
                }
                _ => (Status::NotApplicable, "the rule engine has no offline check for this rule".to_string()),
            };
            verdict(r, outcome)
        })
        .collect()
}

fn with_notes((status, mut evidence): (Status, String), notes: &[String]) -> (Status, String) {
    for note in notes {
        evidence.push_str("; ");
        evidence.push_str(note);
    }
    (status, evidence)
}

/// The ids of the rules that failed, in table order.
pub fn failed(results: &[RuleResult]) -> Vec<&'static str> {
    results.iter().filter(|r| r.status == Status::Fail).map(|r| r.rule).collect()
}

/// One aligned line per rule: id, `PASS`/`FAIL`/`N/A`, evidence.
pub fn render_text(results: &[RuleResult]) -> String {
    let width = rules::RULES.iter().map(|r| r.id.len()).chain(results.iter().map(|r| r.rule.len())).max().unwrap_or(0);
    let mut out = String::new();
    for r in results {
        let line = format!("{:<width$}  {:<4}  {}", r.rule, r.status.label(), r.evidence);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Files

/// Trust for a lab directory: roots = `<lab>/ca.pem`; known = `ca/*.pem` plus every CA
/// certificate in `scenarios/*/fullchain.pem` (everything after the leaf). No CRLs: see
/// [`lab_crls`].
pub fn lab_trust(lab_dir: &Path) -> Result<Trust> {
    let ca_pem = lab_dir.join("ca.pem");
    if !ca_pem.is_file() {
        return Err(Error::NoLab { dir: lab_dir.to_path_buf() });
    }
    let roots = read_certs(&ca_pem)?;
    let mut known = Vec::new();
    let ca_dir = lab_dir.join("ca");
    if ca_dir.is_dir() {
        for path in sorted_entries(&ca_dir)? {
            if path.extension().is_some_and(|e| e == "pem") && path.is_file() {
                known.extend(read_certs(&path)?);
            }
        }
    }
    let scenarios = lab_dir.join("scenarios");
    if scenarios.is_dir() {
        for dir in sorted_entries(&scenarios)? {
            let full = dir.join("fullchain.pem");
            if full.is_file() {
                known.extend(read_certs(&full)?.into_iter().skip(1));
            }
        }
    }
    let mut seen: HashSet<Vec<u8>> = roots.iter().map(|r| r.to_vec()).collect();
    known.retain(|c| seen.insert(c.to_vec()));
    Ok(Trust { roots, known, crls: Vec::new() })
}

/// The CRLs a lab publishes: `root.crl.pem` and `intermediate.crl.pem`.
pub fn lab_crls(lab_dir: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let mut crls = Vec::new();
    for name in ["root.crl.pem", "intermediate.crl.pem"] {
        crls.extend(read_crls(&lab_dir.join(name))?);
    }
    Ok(crls)
}

/// The library half of `pki-lab verify`: the presented chain (`cert`, then the certificates of
/// `chain` not already in it) and the trust to check it against: the lab's (`lab_dir`), with
/// `ca` replacing its roots if given (the lab root then becomes known but untrusted), plus the
/// CRLs of `crls`. Files may be PEM (several blocks) or a single DER object.
pub fn verify_files(
    cert: &Path,
    chain: Option<&Path>,
    ca: Option<&Path>,
    crls: &[PathBuf],
    lab_dir: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, Trust)> {
    let mut presented = read_certs(cert)?;
    if presented.is_empty() {
        return Err(parse_error(cert, "no certificate found"));
    }
    if let Some(chain) = chain {
        for c in read_certs(chain)? {
            if !presented.contains(&c) {
                presented.push(c);
            }
        }
    }
    let mut trust = match lab_dir {
        Some(dir) => lab_trust(dir)?,
        None => Trust::default(),
    };
    if let Some(ca) = ca {
        let roots = read_certs(ca)?;
        if roots.is_empty() {
            return Err(parse_error(ca, "no certificate found"));
        }
        let demoted: Vec<_> = trust.roots.drain(..).filter(|r| !roots.contains(r)).collect();
        trust.known.retain(|k| !roots.contains(k));
        trust.known.splice(0..0, demoted);
        trust.roots = roots;
    }
    if trust.roots.is_empty() {
        return Err(Error::Usage(
            "no trusted root to verify against\n  hint: pass --ca FILE, or run `pki-lab init` to make a lab".into(),
        ));
    }
    for path in crls {
        trust.crls.extend(read_crls(path)?);
    }
    Ok((presented, trust))
}

/// Every certificate in a PEM file (or the one certificate of a DER file), each checked to parse.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).map_err(Error::io("reading", path))?;
    let certs: Vec<CertificateDer<'static>> = if looks_like_pem(&bytes) {
        CertificateDer::pem_slice_iter(&bytes)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| parse_error(path, &format!("invalid PEM: {e}")))?
    } else {
        vec![CertificateDer::from(bytes)]
    };
    for (i, c) in certs.iter().enumerate() {
        x509_parser::parse_x509_certificate(c)
            .map_err(|e| parse_error(path, &format!("certificate #{} does not parse: {e}", i + 1)))?;
    }
    Ok(certs)
}

/// Every CRL in a PEM file (or the one CRL of a DER file), each checked to parse.
pub fn read_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let bytes = std::fs::read(path).map_err(Error::io("reading", path))?;
    let crls: Vec<CertificateRevocationListDer<'static>> = if looks_like_pem(&bytes) {
        CertificateRevocationListDer::pem_slice_iter(&bytes)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| parse_error(path, &format!("invalid PEM: {e}")))?
    } else {
        vec![CertificateRevocationListDer::from(bytes)]
    };
    if crls.is_empty() {
        return Err(parse_error(path, "no X509 CRL block found"));
    }
    for (i, c) in crls.iter().enumerate() {
        x509_parser::parse_x509_crl(c)
            .map_err(|e| parse_error(path, &format!("CRL #{} does not parse: {e}", i + 1)))?;
    }
    Ok(crls)
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn parse_error(path: &Path, message: &str) -> Error {
    Error::Parse { context: path.display().to_string(), message: message.to_string() }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("reading", dir))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

// ---------------------------------------------------------------------------------------------
// Certificates and path building

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Presented by the server.
    Sent,
    /// A trusted root.
    Root,
    /// Known to pki-lab, not trusted, not sent.
    Known,
}

struct Cert<'a> {
    der: &'a [u8],
    x: X509Certificate<'a>,
    origin: Origin,
}

/// Every certificate the engine can use, parsed once: sent first, then roots, then known; each
/// DER only once.
struct Pool<'a> {
    certs: Vec<Cert<'a>>,
    /// (subject, SPKI) of every trusted root: a sent copy of a root, or a re-issued root with the
    /// same name and key, is trusted too (webpki's anchors are exactly subject + key).
    anchors: Vec<(&'a [u8], &'a [u8])>,
    /// Sent certificates (after the leaf) that do not parse, and why: they cannot be on a path.
    unparsed: Vec<String>,
}

impl<'a> Pool<'a> {
    fn new(presented: &'a [CertificateDer<'static>], trust: &'a Trust) -> std::result::Result<Pool<'a>, String> {
        let leaf = presented.first().ok_or("no certificate was presented")?;
        x509_parser::parse_x509_certificate(leaf).map_err(|e| format!("the leaf certificate does not parse: {e}"))?;
        let mut certs: Vec<Cert<'a>> = Vec::new();
        let mut anchors = Vec::new();
        let mut unparsed = Vec::new();
        let groups = [(presented, Origin::Sent), (&trust.roots[..], Origin::Root), (&trust.known[..], Origin::Known)];
        for (ders, origin) in groups {
            for (n, der) in ders.iter().enumerate() {
                // A certificate that does not parse cannot be on a path; the leaf was checked above.
                let x = match x509_parser::parse_x509_certificate(der) {
                    Ok((_, x)) => x,
                    Err(e) => {
                        if origin == Origin::Sent {
                            unparsed.push(format!("sent certificate #{} does not parse ({e}); ignored", n + 1));
                        }
                        continue;
                    }
                };
                if origin == Origin::Root {
                    anchors.push((x.tbs_certificate.subject.as_raw(), x.tbs_certificate.subject_pki.raw));
                }
                if certs.iter().all(|c| c.der != der.as_ref()) {
                    certs.push(Cert { der, x, origin });
                }
            }
        }
        Ok(Pool { certs, anchors, unparsed })
    }

    fn trusted(&self, i: usize) -> bool {
        let c = &self.certs[i];
        c.origin == Origin::Root
            || self.anchors.iter().any(|(s, k)| *s == c.x.subject().as_raw() && *k == c.x.public_key().raw)
    }
}

/// The outcome of one signature check.
#[derive(Debug, Clone)]
enum Sig {
    Valid,
    /// The signature does not verify; why.
    Invalid(String),
    /// The algorithm cannot be checked here; which one.
    Unsupported(String),
}

/// How path building ended.
#[derive(Debug, Clone)]
enum End {
    /// The last certificate is trusted.
    Trusted,
    /// The last certificate is self-issued and not trusted; its own signature check.
    SelfSigned(Sig),
    /// The last certificate's issuer was not sent, is not trusted and is not known.
    IssuerMissing,
    /// No end within [`MAX_DEPTH`] certificates.
    TooLong,
}

/// The path from the leaf as far up as it goes.
struct Chain<'p, 'a> {
    pool: &'p Pool<'a>,
    /// Indices into the pool; `nodes[0]` is the leaf.
    nodes: Vec<usize>,
    /// `links[i]`: the signature of `nodes[i]` checked with the key of `nodes[i + 1]`.
    links: Vec<Sig>,
    end: End,
}

impl<'p, 'a> Chain<'p, 'a> {
    /// Starting from the leaf, finds each issuer by subject == issuer name and a signature that
    /// verifies (sent certificates first, then trusted roots, then known CAs); stops at a trusted
    /// or self-signed certificate. When no candidate's key verifies, the best name match is
    /// taken anyway so that a bad signature shows as `signature.invalid`, not as a broken path.
    fn build(pool: &'p Pool<'a>) -> Chain<'p, 'a> {
        let mut nodes = vec![0];
        let mut links = Vec::new();
        let end = loop {
            let cur = *nodes.last().unwrap_or(&0);
            if pool.trusted(cur) {
                break End::Trusted;
            }
            let c = &pool.certs[cur].x;
            let self_sig = self_issued(c).then(|| verify_cert(c, c));
            if let Some(sig) = &self_sig
                && !matches!(sig, Sig::Invalid(_))
            {
                break End::SelfSigned(sig.clone());
            }
            if nodes.len() >= MAX_DEPTH {
                break End::TooLong;
            }
            match find_issuer(pool, cur, &nodes) {
                Some((next, sig)) => {
                    nodes.push(next);
                    links.push(sig);
                }
                None => break self_sig.map_or(End::IssuerMissing, End::SelfSigned),
            }
        };
        Chain { pool, nodes, links, end }
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn cert(&self, i: usize) -> &Cert<'a> {
        &self.pool.certs[self.nodes[i]]
    }

    fn x(&self, i: usize) -> &X509Certificate<'a> {
        &self.cert(i).x
    }

    fn leaf(&self) -> &X509Certificate<'a> {
        self.x(0)
    }

    /// The position of the root the path ends at (trusted or not), when it is not the leaf.
    /// Like webpki, the rules that concern a certificate's own content skip it.
    fn anchor(&self) -> Option<usize> {
        match self.end {
            End::Trusted | End::SelfSigned(_) if self.len() > 1 => Some(self.len() - 1),
            _ => None,
        }
    }

    /// Positions of the certificates whose own content is checked: all but the anchor.
    fn checked(&self) -> std::ops::Range<usize> {
        0..self.anchor().unwrap_or(self.len())
    }

    fn self_signed_leaf(&self) -> bool {
        self.len() == 1 && matches!(self.end, End::SelfSigned(_))
    }

    /// `leaf CN=…`, `intermediate CN=…` or `root CN=…`.
    fn label(&self, i: usize) -> String {
        let role = if i == 0 {
            "leaf"
        } else if Some(i) == self.anchor() || (i + 1 == self.len() && matches!(self.end, End::Trusted)) {
            "root"
        } else {
            "intermediate"
        };
        format!("{role} {}", short_name(self.x(i).subject()))
    }

    /// Positions of the CAs on the path that the server did not send (found among known CAs).
    /// An untrusted root at the end does not count: roots are not sent.
    fn missing(&self) -> Vec<usize> {
        (1..self.len())
            .filter(|&i| self.cert(i).origin == Origin::Known)
            .filter(|&i| !(i + 1 == self.len() && matches!(self.end, End::SelfSigned(_))))
            .collect()
    }
}

fn find_issuer(pool: &Pool<'_>, cur: usize, path: &[usize]) -> Option<(usize, Sig)> {
    let child = &pool.certs[cur].x;
    let candidates: Vec<usize> = (0..pool.certs.len())
        .filter(|j| !path.contains(j) && pool.certs[*j].x.subject().as_raw() == child.issuer().as_raw())
        .collect();
    let mut checked = Vec::new();
    for &j in &candidates {
        let sig = verify_cert(child, &pool.certs[j].x);
        if matches!(sig, Sig::Valid) {
            return Some((j, sig));
        }
        checked.push((j, sig));
    }
    // No key verifies: prefer the candidate whose key id matches the child's AKI.
    let aki = authority_key_id(child);
    let best = checked.iter().position(|(j, _)| aki.is_some() && aki == subject_key_id(&pool.certs[*j].x)).unwrap_or(0);
    (!checked.is_empty()).then(|| checked.swap_remove(best))
}

fn self_issued(x: &X509Certificate<'_>) -> bool {
    x.subject().as_raw() == x.issuer().as_raw()
}

fn authority_key_id<'a>(x: &X509Certificate<'a>) -> Option<&'a [u8]> {
    x.extensions().iter().find_map(|e| match e.parsed_extension() {
        x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0),
        _ => None,
    })
}

fn subject_key_id<'a>(x: &X509Certificate<'a>) -> Option<&'a [u8]> {
    x.extensions().iter().find_map(|e| match e.parsed_extension() {
        x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
        _ => None,
    })
}

/// `CN=…` when the name has a common name, else the whole name.
fn short_name(name: &X509Name<'_>) -> String {
    match name.iter_common_name().next().and_then(|cn| cn.as_str().ok()) {
        Some(cn) => format!("CN={cn}"),
        None if name.as_raw().len() <= 2 => "(empty subject)".to_string(),
        None => name.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures and keys

mod oid {
    pub const RSA: &str = "1.2.840.113549.1.1.1";
    pub const MD2_RSA: &str = "1.2.840.113549.1.1.2";
    pub const MD5_RSA: &str = "1.2.840.113549.1.1.4";
    pub const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
    pub const RSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub const SHA256_RSA: &str = "1.2.840.113549.1.1.11";
    pub const SHA384_RSA: &str = "1.2.840.113549.1.1.12";
    pub const SHA512_RSA: &str = "1.2.840.113549.1.1.13";
    pub const SHA1_RSA_OIW: &str = "1.3.14.3.2.29";
    pub const EC: &str = "1.2.840.10045.2.1";
    pub const P256: &str = "1.2.840.10045.3.1.7";
    pub const P384: &str = "1.3.132.0.34";
    pub const P521: &str = "1.3.132.0.35";
    pub const ECDSA_SHA1: &str = "1.2.840.10045.4.1";
    pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    pub const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
    pub const ED25519: &str = "1.3.101.112";
    pub const ED448: &str = "1.3.101.113";
    pub const DSA: &str = "1.2.840.10040.4.1";
    pub const DSA_SHA1: &str = "1.2.840.10040.4.3";
    pub const SHA1: &str = "1.3.14.3.2.26";
    pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
    pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
}

/// Extensions a client understands: a critical one outside this list must make it refuse the
/// certificate. The brief's list (RFC 5280's path-validation extensions) plus the key
/// identifiers and CRL distribution points, which every client parses.
const KNOWN_CRITICAL: &[(&str, &str)] = &[
    ("2.5.29.19", "basicConstraints"),
    ("2.5.29.15", "keyUsage"),
    ("2.5.29.37", "extendedKeyUsage"),
    ("2.5.29.17", "subjectAltName"),
    ("2.5.29.30", "nameConstraints"),
    ("2.5.29.32", "certificatePolicies"),
    ("2.5.29.36", "policyConstraints"),
    ("2.5.29.54", "inhibitAnyPolicy"),
    ("2.5.29.33", "policyMappings"),
    ("2.5.29.14", "subjectKeyIdentifier"),
    ("2.5.29.35", "authorityKeyIdentifier"),
    ("2.5.29.31", "cRLDistributionPoints"),
];

/// A public key, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Rsa(usize),
    Ec(&'static str),
    Ed25519,
    Other(String),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Rsa(bits) => write!(f, "RSA-{bits}"),
            Key::Ec(curve) => write!(f, "EC {curve}"),
            Key::Ed25519 => f.write_str("Ed25519"),
            Key::Other(what) => f.write_str(what),
        }
    }
}

fn key_of(spki: &SubjectPublicKeyInfo<'_>) -> Key {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        oid::RSA | oid::RSA_PSS => match rsa_modulus(spki) {
            Some(modulus) => Key::Rsa(bit_length(modulus)),
            None => Key::Other("RSA (unparsable key)".into()),
        },
        oid::EC => {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
            match curve.as_deref() {
                Some(oid::P256) => Key::Ec("P-256"),
                Some(oid::P384) => Key::Ec("P-384"),
                Some(oid::P521) => Key::Ec("P-521"),
                Some(other) => Key::Other(format!("EC curve {other}")),
                None => Key::Other("EC (no named curve)".into()),
            }
        }
        oid::ED25519 => Key::Ed25519,
        oid::ED448 => Key::Other("Ed448".into()),
        oid::DSA => Key::Other("DSA".into()),
        _ => Key::Other(format!("key algorithm {}", oid_name(&spki.algorithm.algorithm))),
    }
}

/// The RSA modulus of a key.
fn rsa_modulus(spki: &SubjectPublicKeyInfo<'_>) -> Option<Vec<u8>> {
    match spki.parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(rsa) => Some(rsa.modulus.to_vec()),
        _ => None,
    }
}

/// Bits of a big-endian unsigned integer (leading zero octets ignored).
fn bit_length(be: Vec<u8>) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(i) => (be.len() - i - 1) * 8 + (8 - be[i].leading_zeros() as usize),
        None => 0,
    }
}

fn oid_name(o: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    oid2sn(o, oid_registry()).map(str::to_string).unwrap_or_else(|_| o.to_id_string())
}

/// `SHA-256` for the hash OIDs RSASSA-PSS names.
fn hash_name(dotted: &str) -> String {
    match dotted {
        oid::SHA1 => "SHA-1".into(),
        oid::SHA256 => "SHA-256".into(),
        oid::SHA384 => "SHA-384".into(),
        oid::SHA512 => "SHA-512".into(),
        other => other.into(),
    }
}

fn alg_name(alg: &AlgorithmIdentifier<'_>) -> String {
    oid_name(&alg.algorithm)
}

/// The broken hash of a signature algorithm, if it uses one.
fn weak_hash(alg: &AlgorithmIdentifier<'_>) -> Option<&'static str> {
    match alg.algorithm.to_id_string().as_str() {
        oid::MD2_RSA => Some("MD2"),
        oid::MD5_RSA => Some("MD5"),
        oid::SHA1_RSA | oid::SHA1_RSA_OIW | oid::ECDSA_SHA1 | oid::DSA_SHA1 => Some("SHA-1"),
        oid::RSA_PSS => (pss_hash(alg).as_deref() == Some(oid::SHA1)).then_some("SHA-1"),
        _ => None,
    }
}

fn pss_hash(alg: &AlgorithmIdentifier<'_>) -> Option<String> {
    let params = RsaSsaPssParams::try_from(alg.parameters.as_ref()?).ok()?;
    Some(params.hash_algorithm_oid().to_id_string())
}

/// Checks `child`'s signature with `issuer`'s public key.
fn verify_cert(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Sig {
    verify_signed(
        issuer.public_key(),
        &child.signature_algorithm,
        child.tbs_certificate.as_ref(),
        &child.signature_value.data,
    )
}

/// Checks a signature over `message` with `spki`. RSA accepts keys from 1024 bits and SHA-1 is
/// supported, so that weak keys and algorithms fail their own rules rather than this one.
fn verify_signed(
    spki: &SubjectPublicKeyInfo<'_>,
    alg: &AlgorithmIdentifier<'_>,
    message: &[u8],
    signature: &[u8],
) -> Sig {
    use aws_lc_rs::signature as s;
    let key = key_of(spki);
    let sig_oid = alg.algorithm.to_id_string();
    let mismatch = |want: &str| Sig::Invalid(format!("a {} signature cannot come from a {key} key", want));
    let algorithm: &'static dyn s::VerificationAlgorithm = match sig_oid.as_str() {
        oid::SHA1_RSA | oid::SHA1_RSA_OIW | oid::SHA256_RSA | oid::SHA384_RSA | oid::SHA512_RSA | oid::RSA_PSS => {
            let Key::Rsa(bits) = key else { return mismatch("RSA") };
            match sig_oid.as_str() {
                oid::SHA1_RSA | oid::SHA1_RSA_OIW => &s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                oid::SHA256_RSA => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                oid::SHA512_RSA => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                oid::SHA384_RSA if bits >= 2048 => &s::RSA_PKCS1_2048_8192_SHA384,
                oid::RSA_PSS if bits >= 2048 => match pss_hash(alg).as_deref() {
                    Some(oid::SHA256) => &s::RSA_PSS_2048_8192_SHA256,
                    Some(oid::SHA384) => &s::RSA_PSS_2048_8192_SHA384,
                    Some(oid::SHA512) => &s::RSA_PSS_2048_8192_SHA512,
                    other => {
                        return Sig::Unsupported(format!(
                            "RSASSA-PSS with hash {}",
                            other.map(hash_name).unwrap_or_else(|| "SHA-1 (default)".into())
                        ));
                    }
                },
                _ => return Sig::Unsupported(format!("{} with an RSA-{bits} key", alg_name(alg))),
            }
        }
        oid::ECDSA_SHA1 | oid::ECDSA_SHA256 | oid::ECDSA_SHA384 | oid::ECDSA_SHA512 => {
            let Key::Ec(curve) = key else { return mismatch("ECDSA") };
            match (curve, sig_oid.as_str()) {
                ("P-256", oid::ECDSA_SHA1) => &s::ECDSA_P256_SHA1_ASN1,
                ("P-256", oid::ECDSA_SHA256) => &s::ECDSA_P256_SHA256_ASN1,
                ("P-256", oid::ECDSA_SHA384) => &s::ECDSA_P256_SHA384_ASN1,
                ("P-256", oid::ECDSA_SHA512) => &s::ECDSA_P256_SHA512_ASN1,
                ("P-384", oid::ECDSA_SHA256) => &s::ECDSA_P384_SHA256_ASN1,
                ("P-384", oid::ECDSA_SHA384) => &s::ECDSA_P384_SHA384_ASN1,
                ("P-384", oid::ECDSA_SHA512) => &s::ECDSA_P384_SHA512_ASN1,
                ("P-521", oid::ECDSA_SHA1) => &s::ECDSA_P521_SHA1_ASN1,
                ("P-521", oid::ECDSA_SHA256) => &s::ECDSA_P521_SHA256_ASN1,
                ("P-521", oid::ECDSA_SHA384) => &s::ECDSA_P521_SHA384_ASN1,
                ("P-521", oid::ECDSA_SHA512) => &s::ECDSA_P521_SHA512_ASN1,
                _ => return Sig::Unsupported(format!("{} with an {key} key", alg_name(alg))),
            }
        }
        oid::ED25519 => {
            if key != Key::Ed25519 {
                return mismatch("Ed25519");
            }
            &s::ED25519
        }
        _ => return Sig::Unsupported(alg_name(alg)),
    };
    match s::UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data).verify(message, signature) {
        Ok(()) => Sig::Valid,
        Err(_) => Sig::Invalid(format!("the {} signature does not verify", alg_name(alg))),
    }
}

// ---------------------------------------------------------------------------------------------
// Time

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    NotBefore,
    NotAfter,
}

/// `2026-11-25T10:21Z`.
fn fmt_time(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]Z");
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

/// `in 3 days`, `1 day ago`, `5 minutes ago`: `delta` seconds from now, rounded to the nearest
/// whole unit (a day from 23.5 hours on, so "expired a day ago" reads as one day).
pub fn humanize(delta: i64) -> String {
    let a = delta.unsigned_abs();
    if a == 0 {
        return "now".to_string();
    }
    let (n, unit) = if a >= 86_400 - 1_800 {
        ((a + 43_200) / 86_400, "day")
    } else if a >= 3_600 - 30 {
        ((a + 1_800) / 3_600, "hour")
    } else if a >= 60 {
        ((a + 30) / 60, "minute")
    } else {
        (a, "second")
    };
    let s = if n == 1 { "" } else { "s" };
    if delta > 0 { format!("in {n} {unit}{s}") } else { format!("{n} {unit}{s} ago") }
}

fn validity(chain: &Chain<'_, '_>, now: i64, bound: Bound) -> (Status, String) {
    let mut fails = Vec::new();
    // The certificate closest to its bound, for the pass evidence.
    let mut closest: Option<(i64, usize)> = None;
    for i in chain.checked() {
        let v = chain.x(i).validity();
        let (at, broken, word) = match bound {
            Bound::NotAfter => (v.not_after.timestamp(), now > v.not_after.timestamp(), "not after"),
            Bound::NotBefore => (v.not_before.timestamp(), now < v.not_before.timestamp(), "not before"),
        };
        if broken {
            fails.push(format!("{} {word} {}, {}", chain.label(i), fmt_time(at), humanize(at - now)));
        }
        if closest.is_none_or(|(c, _)| (at - now).abs() < (c - now).abs()) {
            closest = Some((at, i));
        }
    }
    let anchor = match chain.anchor() {
        Some(a) => format!("; {} not checked (a root's dates are not, as in webpki)", chain.label(a)),
        None => String::new(),
    };
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let n = chain.checked().len();
    let detail = match closest {
        Some((at, i)) => {
            let word = if bound == Bound::NotAfter { "soonest notAfter" } else { "latest notBefore" };
            format!("; {word}: {} {}, {}", chain.label(i), fmt_time(at), humanize(at - now))
        }
        None => String::new(),
    };
    (Status::Pass, format!("{n} certificate{} checked{detail}{anchor}", plural(n)))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

// ---------------------------------------------------------------------------------------------
// Names

/// A subjectAltName entry the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum San {
    Dns(String),
    Ip(IpAddr),
    Other(String),
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
            San::Other(o) => f.write_str(o),
        }
    }
}

enum Sans {
    Absent,
    Malformed(String),
    Names(Vec<San>),
}

fn sans(x: &X509Certificate<'_>) -> Sans {
    match x.subject_alternative_name() {
        Ok(None) => Sans::Absent,
        Err(e) => Sans::Malformed(e.to_string()),
        Ok(Some(ext)) => Sans::Names(
            ext.value
                .general_names
                .iter()
                .map(|g| match g {
                    GeneralName::DNSName(d) => San::Dns(d.to_string()),
                    GeneralName::IPAddress(b) => ip_from(b).map_or_else(|| San::Other(format!("IP:{b:02x?}")), San::Ip),
                    other => San::Other(other.to_string()),
                })
                .collect(),
        ),
    }
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The host as the client would match it: an IP address, or a lower-case DNS name without a
/// trailing dot.
enum Host {
    Ip(IpAddr),
    Dns(String),
}

fn parse_host(host: &str) -> Option<Host> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(Host::Ip(ip));
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (name.len() <= 253 && name.split('.').all(valid_label)).then_some(Host::Dns(name))
}

/// Does the presented DNS name `san` (possibly a wildcard) match the reference `host`?
/// RFC 6125 as webpki applies it: case-insensitive; a wildcard only as the whole leftmost label,
/// matching exactly one label, with at least two labels after it.
pub fn dns_name_matches(san: &str, host: &str) -> bool {
    let san = san.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if san.ends_with('.') || san.is_empty() {
        return false;
    }
    match san.strip_prefix("*.") {
        Some(rest) => {
            let labels: Vec<&str> = rest.split('.').collect();
            if rest.contains('*') || labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
                return false;
            }
            match host.split_once('.') {
                Some((first, tail)) => !first.is_empty() && first != "*" && tail == rest,
                None => false,
            }
        }
        None => !san.contains('*') && san == host,
    }
}

/// Is `name` inside the DNS subtree `base` (RFC 5280 4.2.1.10)? `example.com` covers itself
/// and its subdomains, `.example.com` only its subdomains, the empty base everything. A wildcard
/// SAN is compared as written (`*.example.com` lies in `example.com`, not in `a.example.com`),
/// as webpki does for permitted subtrees.
pub fn dns_in_subtree(name: &str, base: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        name.len() > base.len() && name.ends_with(&base)
    } else {
        name == base || name.ends_with(&format!(".{base}"))
    }
}

/// Could `name` reach into the excluded DNS subtree `base`? As [`dns_in_subtree`], and a
/// wildcard SAN also counts when one of its expansions would (`*.example.com` vs
/// `a.example.com`; webpki's fix for CVE-2025-61727).
pub fn dns_may_reach_subtree(name: &str, base: &str) -> bool {
    if dns_in_subtree(name, base) {
        return true;
    }
    let Some(rest) = name.strip_prefix("*.") else { return false };
    !base.starts_with('.')
        && base.split_once('.').is_some_and(|(label, tail)| !label.is_empty() && tail.eq_ignore_ascii_case(rest))
}

/// Is `ip` inside the IP subtree `base` (address followed by mask, 8 or 32 octets)? Addresses
/// of the other family never are.
pub fn ip_in_subtree(ip: IpAddr, base: &[u8]) -> bool {
    let octets: Vec<u8> = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if base.len() != octets.len() * 2 {
        return false;
    }
    let (addr, mask) = base.split_at(octets.len());
    octets.iter().zip(addr).zip(mask).all(|((o, a), m)| o & m == a & m)
}

/// `10.0.0.0/8` for an IP subtree.
fn fmt_ip_subtree(base: &[u8]) -> String {
    let half = base.len() / 2;
    let prefix: u32 = base[half..].iter().map(|b| b.count_ones()).sum();
    match ip_from(&base[..half]) {
        Some(ip) => format!("{ip}/{prefix}"),
        None => format!("IP:{base:02x?}"),
    }
}

fn list_names(names: &[San], max: usize) -> String {
    let mut out: Vec<String> = names.iter().take(max).map(San::to_string).collect();
    if names.len() > max {
        out.push(format!("… ({} more)", names.len() - max));
    }
    out.join(", ")
}

fn name_mismatch(chain: &Chain<'_, '_>, host: &str) -> (Status, String) {
    let names = match sans(chain.leaf()) {
        Sans::Absent => {
            return (Status::NotApplicable, "the leaf has no subjectAltName (see name.no-san)".to_string());
        }
        Sans::Malformed(e) => return (Status::Fail, format!("the leaf's subjectAltName does not parse: {e}")),
        Sans::Names(names) => names,
    };
    let Some(reference) = parse_host(host) else {
        return (Status::Fail, format!("host `{host}` is neither a DNS name nor an IP address"));
    };
    let hit = names.iter().find(|san| match (san, &reference) {
        (San::Dns(d), Host::Dns(h)) => dns_name_matches(d, h),
        (San::Ip(ip), Host::Ip(h)) => ip == h,
        _ => false,
    });
    match hit {
        Some(san) => (Status::Pass, format!("host `{host}` matches {san}")),
        None => {
            let kind = if matches!(reference, Host::Ip(_)) { "IP address" } else { "DNS name" };
            (
                Status::Fail,
                format!(
                    "{kind} `{host}` is not among the leaf's {} name{}: {}",
                    names.len(),
                    plural(names.len()),
                    list_names(&names, 6)
                ),
            )
        }
    }
}

fn name_no_san(chain: &Chain<'_, '_>, host: &str) -> (Status, String) {
    match sans(chain.leaf()) {
        Sans::Names(names) => {
            (Status::Pass, format!("the leaf has a subjectAltName with {} name{}", names.len(), plural(names.len())))
        }
        Sans::Malformed(_) => {
            (Status::Pass, "the leaf has a subjectAltName (it does not parse: see name.mismatch)".into())
        }
        Sans::Absent => {
            let cns: Vec<&str> = chain.leaf().subject().iter_common_name().filter_map(|a| a.as_str().ok()).collect();
            let matches = |cn: &str| match parse_host(host) {
                Some(Host::Dns(h)) => dns_name_matches(cn, &h),
                Some(Host::Ip(ip)) => cn.parse::<IpAddr>().is_ok_and(|c| c == ip),
                None => false,
            };
            let evidence = match cns.iter().find(|cn| matches(cn)) {
                Some(cn) => format!(
                    "no subjectAltName; host `{host}` appears only in CN={cn} (OpenSSL, curl and Python accept that; rustls and Go do not)"
                ),
                None if cns.is_empty() => format!("no subjectAltName, and no CN to match `{host}` either"),
                None => format!("no subjectAltName; CN={} does not match `{host}` either", cns.join(", CN=")),
            };
            (Status::Fail, evidence)
        }
    }
}

fn name_constraints(chain: &Chain<'_, '_>) -> (Status, String) {
    let names: Vec<San> = match sans(chain.leaf()) {
        Sans::Names(n) => n.into_iter().filter(|s| !matches!(s, San::Other(_))).collect(),
        _ => Vec::new(),
    };
    let mut fails = Vec::new();
    let mut constrained = Vec::new();
    for j in 1..chain.len() {
        let nc: NameConstraints<'_> = match chain.x(j).name_constraints() {
            Ok(None) => continue,
            Ok(Some(ext)) => ext.value.clone(),
            Err(e) => {
                fails.push(format!("the nameConstraints of {} do not parse: {e}", chain.label(j)));
                continue;
            }
        };
        constrained.push(chain.label(j));
        let subtrees = |s: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| -> (Vec<String>, Vec<Vec<u8>>) {
            let mut dns = Vec::new();
            let mut ip = Vec::new();
            for t in s.iter().flatten() {
                match &t.base {
                    GeneralName::DNSName(d) => dns.push(d.to_string()),
                    GeneralName::IPAddress(b) => ip.push(b.to_vec()),
                    _ => {}
                }
            }
            (dns, ip)
        };
        let (perm_dns, perm_ip) = subtrees(&nc.permitted_subtrees);
        let (excl_dns, excl_ip) = subtrees(&nc.excluded_subtrees);
        let permitted_list =
            || perm_dns.iter().cloned().chain(perm_ip.iter().map(|b| fmt_ip_subtree(b))).collect::<Vec<_>>().join(", ");
        for name in &names {
            let (outside, excluded) = match name {
                San::Dns(d) => (
                    !perm_dns.is_empty() && !perm_dns.iter().any(|b| dns_in_subtree(d, b)),
                    excl_dns.iter().find(|b| dns_may_reach_subtree(d, b)).cloned(),
                ),
                San::Ip(ip) => (
                    !perm_ip.is_empty() && !perm_ip.iter().any(|b| ip_in_subtree(*ip, b)),
                    excl_ip.iter().find(|b| ip_in_subtree(*ip, b)).map(|b| fmt_ip_subtree(b)),
                ),
                San::Other(_) => (false, None),
            };
            if outside {
                fails.push(format!(
                    "{name} is outside the permitted subtrees of {} ({})",
                    chain.label(j),
                    permitted_list()
                ));
            }
            if let Some(base) = excluded {
                fails.push(format!("{name} is inside the excluded subtree {base} of {}", chain.label(j)));
            }
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if constrained.is_empty() {
        return (Status::Pass, "no CA on the path has nameConstraints".to_string());
    }
    if names.is_empty() {
        return (
            Status::Pass,
            format!(
                "the leaf has no DNS or IP subjectAltName to check against {} (the CN is not checked, as in webpki)",
                constrained.join(", ")
            ),
        );
    }
    (
        Status::Pass,
        format!(
            "all {} DNS/IP name{} of the leaf lie within the name constraints of {}",
            names.len(),
            plural(names.len()),
            constrained.join(", ")
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Trust

fn trust_unknown_root(chain: &Chain<'_, '_>) -> (Status, String) {
    let last = chain.len() - 1;
    match &chain.end {
        End::Trusted if last == 0 => (Status::Pass, "the leaf itself is a trusted certificate".to_string()),
        End::Trusted => (Status::Pass, format!("the path ends at trusted {}", chain.label(last))),
        End::SelfSigned(_) if last == 0 => (
            Status::NotApplicable,
            "the leaf is self-signed: there is no root above it (see trust.self-signed)".to_string(),
        ),
        End::SelfSigned(_) => {
            let how = if chain.cert(last).origin == Origin::Sent {
                "sent by the server"
            } else {
                "not sent; pki-lab knows it"
            };
            (
                Status::Fail,
                format!("the path ends at {}, a self-signed root that is not trusted ({how})", chain.label(last)),
            )
        }
        End::IssuerMissing => {
            (Status::Fail, format!("no certificate for issuer `{}` was sent or is trusted", chain.x(last).issuer()))
        }
        End::TooLong => (Status::Fail, format!("no trusted root within {MAX_DEPTH} certificates")),
    }
}

fn trust_self_signed(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    match &chain.end {
        End::Trusted if chain.len() == 1 && self_issued(chain.leaf()) => {
            (Status::Pass, format!("leaf {leaf} signs itself but is trusted directly"))
        }
        End::SelfSigned(sig) if chain.len() == 1 => match sig {
            Sig::Valid => (
                Status::Fail,
                format!(
                    "leaf {leaf} is issued by itself and its signature verifies with its own key; it is not a trusted root"
                ),
            ),
            Sig::Unsupported(alg) => (
                Status::Fail,
                format!(
                    "leaf {leaf} is issued by itself (its {alg} signature cannot be checked); it is not a trusted root"
                ),
            ),
            Sig::Invalid(_) => (
                Status::NotApplicable,
                format!(
                    "leaf {leaf} names itself as issuer, but its signature does not verify with its own key (see signature.invalid)"
                ),
            ),
        },
        _ if chain.len() > 1 => (Status::Pass, format!("the leaf is issued by {}", short_name(chain.x(1).subject()))),
        _ => (Status::Pass, format!("the leaf is issued by `{}`, not by itself", chain.leaf().issuer())),
    }
}

fn chain_incomplete(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.self_signed_leaf() {
        return (Status::NotApplicable, "the leaf is self-signed: there is no intermediate to send".to_string());
    }
    let missing = chain.missing();
    let named = |v: &[usize]| v.iter().map(|&i| short_name(chain.x(i).subject())).collect::<Vec<_>>().join(", ");
    let last = chain.len() - 1;
    match (&chain.end, missing.is_empty()) {
        (End::Trusted, false) => {
            let first = missing[0];
            (
                Status::Fail,
                format!(
                    "the server did not send {} (issuer of {}); pki-lab knows it, and with it the path reaches trusted {}",
                    named(&missing),
                    chain.label(first - 1),
                    chain.label(last)
                ),
            )
        }
        (End::Trusted, true) => {
            let n = chain.len().saturating_sub(2);
            let what = if last == 0 {
                "the leaf is trusted directly".to_string()
            } else {
                format!(
                    "the server sent every certificate between the leaf and the root ({n} intermediate{})",
                    plural(n)
                )
            };
            (Status::Pass, what)
        }
        (End::SelfSigned(_), true) => {
            (Status::Pass, format!("the server sent every certificate below {}", chain.label(last)))
        }
        (End::SelfSigned(_) | End::TooLong | End::IssuerMissing, false) => (
            Status::NotApplicable,
            format!(
                "the server did not send {} (pki-lab knows it), but the path does not reach a trusted root anyway (see trust.unknown-root)",
                named(&missing)
            ),
        ),
        (End::IssuerMissing, true) => (
            Status::NotApplicable,
            format!(
                "issuer `{}` is unknown: cannot tell a missing intermediate from an untrusted root (see trust.unknown-root)",
                chain.x(last).issuer()
            ),
        ),
        (End::TooLong, true) => (Status::NotApplicable, "the path does not end (see trust.unknown-root)".to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Basic constraints

fn basic_constraints(x: &X509Certificate<'_>) -> std::result::Result<Option<(bool, Option<u32>)>, String> {
    x.basic_constraints()
        .map(|bc| bc.map(|b| (b.value.ca, b.value.path_len_constraint)))
        .map_err(|e| format!("basicConstraints do not parse: {e}"))
}

fn issuer_not_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.len() == 1 {
        let why = match chain.end {
            End::Trusted => "the leaf is itself trusted: no issuer on the path".to_string(),
            End::SelfSigned(_) => "the leaf signs itself: no issuer CA on the path".to_string(),
            _ => format!("issuer `{}` not found: nothing to check", chain.leaf().issuer()),
        };
        return (Status::NotApplicable, why);
    }
    let mut fails = Vec::new();
    let mut notes = Vec::new();
    for j in 1..chain.len() {
        match basic_constraints(chain.x(j)) {
            Ok(Some((true, _))) => {}
            Ok(Some((false, _))) => {
                fails.push(format!("{} has basicConstraints CA:FALSE yet signs {}", chain.label(j), chain.label(j - 1)))
            }
            Ok(None) if Some(j) == chain.anchor() => {
                notes.push(format!("{} has no basicConstraints (accepted as a trust anchor)", chain.label(j)))
            }
            Ok(None) => fails.push(format!(
                "{} has no basicConstraints (so it is not a CA) yet signs {}",
                chain.label(j),
                chain.label(j - 1)
            )),
            Err(e) => fails.push(format!("{}: {e}", chain.label(j))),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let n = chain.len() - 1;
    let mut evidence = format!("{n} issuer{} on the path, each with CA:TRUE", plural(n));
    for note in notes {
        evidence.push_str(&format!("; {note}"));
    }
    (Status::Pass, evidence)
}

fn leaf_is_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    match basic_constraints(chain.leaf()) {
        Ok(Some((true, len))) => {
            let len = len.map(|n| format!(", pathlen:{n}")).unwrap_or_default();
            (
                Status::Fail,
                format!(
                    "leaf {leaf} has basicConstraints CA:TRUE{len}; a CA certificate cannot be a server's end entity"
                ),
            )
        }
        Ok(Some((false, _))) => (Status::Pass, format!("leaf {leaf} has basicConstraints CA:FALSE")),
        Ok(None) => (Status::Pass, format!("leaf {leaf} has no basicConstraints: an end entity")),
        Err(e) => (Status::Fail, format!("leaf {leaf}: {e}")),
    }
}

fn path_length(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.len() == 1 {
        return (Status::NotApplicable, "no CA on the path above the leaf".to_string());
    }
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for j in 1..chain.len() {
        let Ok(Some((_, Some(n)))) = basic_constraints(chain.x(j)) else { continue };
        let below: Vec<usize> = (1..j).filter(|&i| !self_issued(chain.x(i))).collect();
        let count = below.len();
        if count > n as usize {
            let names = below.iter().map(|&i| short_name(chain.x(i).subject())).collect::<Vec<_>>().join(", ");
            fails.push(format!(
                "{} has pathLenConstraint {n} but {count} CA{} below it ({names})",
                chain.label(j),
                plural(count)
            ));
        } else {
            seen.push(format!("{} pathlen:{n} with {count} below", chain.label(j)));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if seen.is_empty() {
        return (Status::Pass, "no CA on the path has a pathLenConstraint".to_string());
    }
    (Status::Pass, seen.join("; "))
}

// ---------------------------------------------------------------------------------------------
// Purpose

fn purpose_eku(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    let eku = match chain.leaf().extended_key_usage() {
        Ok(None) => {
            return (
                Status::Pass,
                format!(
                    "leaf {leaf} has no extendedKeyUsage: any purpose is allowed (webpki, OpenSSL and Go accept this)"
                ),
            );
        }
        Ok(Some(ext)) => ext.value,
        Err(e) => return (Status::Fail, format!("leaf {leaf}: extendedKeyUsage does not parse: {e}")),
    };
    if eku.server_auth {
        return (Status::Pass, format!("leaf {leaf} extendedKeyUsage includes serverAuth"));
    }
    if eku.any {
        return (
            Status::Pass,
            format!(
                "leaf {leaf} extendedKeyUsage has anyExtendedKeyUsage (OpenSSL accepts it; rustls/webpki require serverAuth itself)"
            ),
        );
    }
    let mut present: Vec<String> = [
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n.to_string())
    .collect();
    present.extend(eku.other.iter().map(oid_name));
    if present.is_empty() {
        return (Status::Fail, format!("leaf {leaf} has an empty extendedKeyUsage: no purpose is allowed"));
    }
    (Status::Fail, format!("leaf {leaf} extendedKeyUsage allows {} only, not serverAuth", present.join(", ")))
}

// ---------------------------------------------------------------------------------------------
// Signatures, algorithms, keys, extensions

/// Every signature on the path with the certificate it belongs to: each link, and a self-signed
/// leaf's own signature. A root's self-signature is not checked (as in webpki).
fn signatures<'c>(chain: &'c Chain<'_, '_>) -> Vec<(usize, &'c Sig)> {
    let mut out: Vec<(usize, &Sig)> = chain.links.iter().enumerate().collect();
    if let (End::SelfSigned(sig), 1) = (&chain.end, chain.len()) {
        out.push((0, sig));
    }
    out
}

fn signature_invalid(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut ok = 0;
    let mut notes = Vec::new();
    for (i, sig) in signatures(chain) {
        let signer = if i + 1 < chain.len() { chain.label(i + 1) } else { "its own key".to_string() };
        match sig {
            Sig::Valid => ok += 1,
            Sig::Invalid(why) => fails.push(format!("{}: {why} with the key of {signer}", chain.label(i))),
            Sig::Unsupported(alg) => notes.push(format!("{} not checked: {alg} is not supported", chain.label(i))),
        }
    }
    if matches!(chain.end, End::IssuerMissing | End::TooLong) {
        let last = chain.len() - 1;
        notes.push(format!("{} not checked: its issuer was not found", chain.label(last)));
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let tail = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
    if ok == 0 {
        return (Status::NotApplicable, format!("no signature could be checked{tail}"));
    }
    (Status::Pass, format!("{ok} signature{} on the path verif{}{tail}", plural(ok), if ok == 1 { "ies" } else { "y" }))
}

fn weak_algorithm(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut algs = Vec::new();
    for i in chain.checked() {
        let alg = &chain.x(i).signature_algorithm;
        let name = alg_name(alg);
        if let Some(hash) = weak_hash(alg) {
            fails.push(format!("{} is signed with {name} ({hash}, broken for signatures)", chain.label(i)));
        } else if !algs.contains(&name) {
            algs.push(name);
        }
    }
    for (i, sig) in signatures(chain) {
        if let Sig::Unsupported(alg) = sig
            && weak_hash(&chain.x(i).signature_algorithm).is_none()
        {
            fails.push(format!("{} is signed with {alg}, which TLS clients do not accept", chain.label(i)));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let anchor = if chain.anchor().is_some() { " (the root's self-signature is not checked)" } else { "" };
    (Status::Pass, format!("signed with {}{anchor}", algs.join(", ")))
}

fn key_too_weak(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut keys = Vec::new();
    for i in 0..chain.len() {
        let key = key_of(chain.x(i).public_key());
        match key {
            Key::Rsa(bits) if bits < 2048 => {
                fails.push(format!("{} has an RSA-{bits} key (at least 2048 bits needed)", chain.label(i)))
            }
            _ => keys.push(format!("{} {key}", chain.label(i).split(' ').next().unwrap_or("cert"))),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    (Status::Pass, format!("keys: {}", keys.join(", ")))
}

fn unknown_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in 0..chain.len() {
        for ext in chain.x(i).extensions().iter().filter(|e| e.critical) {
            let id = ext.oid.to_id_string();
            if !KNOWN_CRITICAL.iter().any(|(known, _)| *known == id) {
                fails.push(format!("{} has critical extension {id}, which clients do not know", chain.label(i)));
            }
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let mut seen: Vec<&str> = Vec::new();
    for i in 0..chain.len() {
        for ext in chain.x(i).extensions().iter().filter(|e| e.critical) {
            let id = ext.oid.to_id_string();
            if let Some((_, name)) = KNOWN_CRITICAL.iter().find(|(known, _)| *known == id)
                && !seen.contains(name)
            {
                seen.push(name);
            }
        }
    }
    if seen.is_empty() {
        return (Status::Pass, "no critical extensions on the path".to_string());
    }
    (Status::Pass, format!("every critical extension is known ({})", seen.join(", ")))
}

// ---------------------------------------------------------------------------------------------
// Revocation

struct Crls<'a> {
    parsed: Vec<CertificateRevocationList<'a>>,
    given: usize,
    notes: Vec<String>,
}

impl<'a> Crls<'a> {
    fn parse(ders: &'a [CertificateRevocationListDer<'static>]) -> Crls<'a> {
        let mut parsed = Vec::new();
        let mut notes = Vec::new();
        for (i, der) in ders.iter().enumerate() {
            match x509_parser::parse_x509_crl(der) {
                Ok((_, crl)) => parsed.push(crl),
                Err(e) => notes.push(format!("CRL #{} does not parse ({e}); ignored", i + 1)),
            }
        }
        Crls { parsed, given: ders.len(), notes }
    }
}

fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |s: &[u8]| s.iter().position(|b| *b != 0).map_or(0, |i| i);
    a[strip(a)..] == b[strip(b)..]
}

fn revocation(chain: &Chain<'_, '_>, crls: &Crls<'_>, now: i64) -> (Status, String) {
    if crls.given == 0 {
        return (Status::NotApplicable, "no CRL given (--crl)".to_string());
    }
    let mut fails = Vec::new();
    let mut checked = Vec::new();
    let mut notes = crls.notes.clone();
    for i in chain.checked() {
        let x = chain.x(i);
        if i + 1 >= chain.len() {
            let why = if self_issued(x) { "it signs itself" } else { "its issuer was not found" };
            notes.push(format!("{} not checked: {why}", chain.label(i)));
            continue;
        }
        let issuer = chain.x(i + 1);
        let mut from_issuer = Vec::new();
        for crl in crls.parsed.iter().filter(|c| c.issuer().as_raw() == x.issuer().as_raw()) {
            let sig = verify_signed(
                issuer.public_key(),
                &crl.signature_algorithm,
                crl.tbs_cert_list.as_ref(),
                &crl.signature_value.data,
            );
            match sig {
                Sig::Valid => from_issuer.push(crl),
                _ => notes.push(format!(
                    "a CRL names {} as issuer but is not signed by its key; ignored",
                    short_name(issuer.subject())
                )),
            }
        }
        if from_issuer.is_empty() {
            notes.push(format!("no CRL from {} for {}", short_name(issuer.subject()), chain.label(i)));
            continue;
        }
        checked.push(format!("{} (CRL of {})", chain.label(i), short_name(issuer.subject())));
        for crl in &from_issuer {
            if let Some(next) = crl.next_update()
                && next.timestamp() < now
            {
                notes.push(format!(
                    "the CRL of {} is past its nextUpdate {} (rustls ignores that by default)",
                    short_name(issuer.subject()),
                    fmt_time(next.timestamp())
                ));
            }
            for r in crl.iter_revoked_certificates() {
                if same_serial(r.raw_serial(), x.raw_serial()) {
                    let at = r.revocation_date.timestamp();
                    let reason = r.reason_code().map(|(_, code)| format!(", reason {code}")).unwrap_or_default();
                    fails.push(format!(
                        "{} (serial {}) is revoked since {}, {}{reason}, in the CRL of {}",
                        chain.label(i),
                        x.raw_serial_as_string(),
                        fmt_time(at),
                        humanize(at - now),
                        short_name(issuer.subject())
                    ));
                }
            }
        }
    }
    let tail = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if checked.is_empty() {
        return (Status::NotApplicable, format!("no certificate on the path could be checked{}", tail));
    }
    (Status::Pass, format!("not listed: {}{tail}", checked.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees_cover_the_name_and_its_subdomains_and_a_leading_dot_only_subdomains() {
        assert!(dns_in_subtree("example.com", "example.com"));
        assert!(dns_in_subtree("www.example.com", "example.com"));
        assert!(dns_in_subtree("a.b.example.com", "example.com"));
        assert!(dns_in_subtree("WWW.Example.COM", "example.com"));
        assert!(!dns_in_subtree("badexample.com", "example.com"));
        assert!(!dns_in_subtree("example.com.evil", "example.com"));
        assert!(!dns_in_subtree("example.com", ".example.com"));
        assert!(dns_in_subtree("www.example.com", ".example.com"));
        assert!(!dns_in_subtree("www.badexample.com", ".example.com"));
        assert!(dns_in_subtree("anything.at.all", ""));
        // The lab root's constraints.
        assert!(dns_in_subtree("localhost", "localhost"));
        assert!(dns_in_subtree("expired.localhost", "localhost"));
        assert!(dns_in_subtree("wrong-host.test", "test"));
        assert!(!dns_in_subtree("www.example.com", "example"));
        assert!(!dns_in_subtree("www.example.com", "localhost"));
        // Wildcards are compared as written for permitted subtrees ...
        assert!(dns_in_subtree("*.example.com", "example.com"));
        assert!(!dns_in_subtree("*.example.com", "a.example.com"));
        // ... and may reach into an excluded one.
        assert!(dns_may_reach_subtree("*.example.com", "a.example.com"));
        assert!(!dns_may_reach_subtree("*.example.com", "b.a.example.com"));
        assert!(!dns_may_reach_subtree("*.example.com", ".a.example.com"));
        assert!(!dns_may_reach_subtree("www.example.com", "a.example.com"));
    }

    #[test]
    fn ip_subtrees_are_address_and_mask_of_one_family() {
        let ten8 = [10, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_in_subtree("10.1.2.3".parse().expect("ip"), &ten8));
        assert!(!ip_in_subtree("11.1.2.3".parse().expect("ip"), &ten8));
        let lo = [127, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_in_subtree("127.0.0.1".parse().expect("ip"), &lo));
        let host32 = [192, 168, 1, 7, 255, 255, 255, 255];
        assert!(ip_in_subtree("192.168.1.7".parse().expect("ip"), &host32));
        assert!(!ip_in_subtree("192.168.1.8".parse().expect("ip"), &host32));
        let mut v6 = [0u8; 32];
        v6[15] = 1;
        v6[16..].fill(0xff);
        assert!(ip_in_subtree("::1".parse().expect("ip"), &v6));
        assert!(!ip_in_subtree("::2".parse().expect("ip"), &v6));
        // fc00::/7
        let mut ula = [0u8; 32];
        ula[0] = 0xfc;
        ula[16] = 0xfe;
        assert!(ip_in_subtree("fd12::5".parse().expect("ip"), &ula));
        assert!(!ip_in_subtree("fe80::1".parse().expect("ip"), &ula));
        // Families never mix: an IPv4 address is not inside an IPv6 range and vice versa.
        assert!(!ip_in_subtree("127.0.0.1".parse().expect("ip"), &v6));
        assert!(!ip_in_subtree("::1".parse().expect("ip"), &lo));
        assert_eq!(fmt_ip_subtree(&ten8), "10.0.0.0/8");
        assert_eq!(fmt_ip_subtree(&ula), "fc00::/7");
    }

    #[test]
    fn wildcards_match_exactly_one_leftmost_label() {
        assert!(dns_name_matches("*.example.com", "www.example.com"));
        assert!(dns_name_matches("*.Example.com", "WWW.example.COM."));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        // At least two labels after the wildcard; only a whole-label wildcard, only leftmost.
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("*.localhost", "a.localhost"));
        assert!(!dns_name_matches("w*.example.com", "www.example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        // Plain names: exact, case-insensitive; an absolute presented name never matches.
        assert!(dns_name_matches("localhost", "localhost"));
        assert!(dns_name_matches("LocalHost", "localhost."));
        assert!(!dns_name_matches("localhost.", "localhost"));
        assert!(!dns_name_matches("wrong-host.test", "localhost"));
    }

    #[test]
    fn humanize_rounds_to_the_nearest_unit() {
        assert_eq!(humanize(-86_400 - 5), "1 day ago");
        assert_eq!(humanize(86_400 - 5), "in 1 day");
        assert_eq!(humanize(-3 * 86_400), "3 days ago");
        assert_eq!(humanize(7_200), "in 2 hours");
        assert_eq!(humanize(-90), "2 minutes ago");
        assert_eq!(humanize(-1), "1 second ago");
        assert_eq!(humanize(0), "now");
        assert_eq!(fmt_time(0), "1970-01-01T00:00Z");
    }

    #[test]
    fn bit_length_ignores_leading_zeros() {
        assert_eq!(bit_length(vec![0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(vec![0x01, 0x00]), 9);
        assert_eq!(bit_length(vec![0x00]), 0);
        assert!(same_serial(&[0x00, 0x91, 0x02], &[0x91, 0x02]));
        assert!(!same_serial(&[0x91, 0x02], &[0x91, 0x03]));
    }

    #[test]
    fn text_lines_are_aligned() {
        let results = vec![
            RuleResult {
                rule: "validity.expired",
                step: Step::Verification,
                status: Status::Fail,
                evidence: "leaf CN=x not after …".into(),
            },
            RuleResult {
                rule: "extension.unknown-critical",
                step: Step::Verification,
                status: Status::NotApplicable,
                evidence: "e".into(),
            },
        ];
        let text = render_text(&results);
        assert_eq!(
            text,
            "validity.expired            FAIL  leaf CN=x not after …\nextension.unknown-critical  N/A   e\n"
        );
        assert_eq!(failed(&results), ["validity.expired"]);
    }
}

//! Describes certificates for people: `pki-lab inspect`.
//!
//! [`describe`] turns one DER certificate into a [`Described`], a plain, serializable summary
//! (the JSON form of `pki-lab inspect --json`); [`describe_pem_bundle`] does the same for every
//! `CERTIFICATE` block of a PEM file, in order; [`render_text`] lays a chain out for a terminal,
//! like `openssl x509 -text` but showing only what a person checking a TLS setup needs.
//! [`describe_input`] takes a whole file as `inspect` reads it: certificates or CRLs, PEM or DER,
//! told apart by their content (never by the file name); [`describe_crl`] and
//! [`render_crls_text`] do for a CRL what the others do for a certificate.
//!
//! Nothing here panics on hostile input: every failure is an `Err(String)` that says what was
//! expected and what was found.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, GeneralSubtree, KeyUsage, ParsedExtension};
use x509_parser::nom;
use x509_parser::objects::{oid_registry, oid2abbrev, oid2sn};
use x509_parser::oid_registry::Oid;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::{AttributeTypeAndValue, SubjectPublicKeyInfo, X509Name};

use crate::pki::x509::{
    Key, Sig, bit_length, ec_curve_oid, eku_names, hex_colon, hex_colon_upper, humanize_span, key_of, oid, oid_name,
    sha256_fingerprint, verify_cert,
};

/// How many SANs [`render_text`] shows before summarising the rest.
const TEXT_SAN_LIMIT: usize = 10;

/// Width of the label column in [`render_text`] (the longest label is "name constr").
const LABEL_WIDTH: usize = 12;

/// Whether a certificate is inside its validity period at the time it was described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidityStatus {
    /// `not_before <= now <= not_after`. JSON: `"valid"`.
    Valid,
    /// `now > not_after`. JSON: `"expired"`.
    Expired,
    /// `now < not_before`. JSON: `"not-yet-valid"`.
    NotYetValid,
}

impl ValidityStatus {
    /// The JSON spelling: `"valid"`, `"expired"` or `"not-yet-valid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidityStatus::Valid => "valid",
            ValidityStatus::Expired => "expired",
            ValidityStatus::NotYetValid => "not-yet-valid",
        }
    }
}

impl std::fmt::Display for ValidityStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name constraints extension (RFC 5280 4.2.1.10), as general-name strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameConstraintsDescribed {
    /// Permitted subtrees, e.g. `"DNS:localhost"`, `"IP:127.0.0.0/8"`, `"IP:::1/128"`. An IP
    /// address with a non-contiguous mask is shown as `"IP:10.0.0.0/255.0.255.0"`.
    pub permitted: Vec<String>,
    /// Excluded subtrees, in the same form as `permitted`.
    pub excluded: Vec<String>,
}

/// One extension of the certificate, whether or not this module understands it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionDescribed {
    /// Dotted OID, e.g. `"2.5.29.17"`.
    pub oid: String,
    /// Short name from x509-parser's OID registry (e.g. `"subjectAltName"`), or `"unknown"`.
    pub name: String,
    /// The extension's critical flag.
    pub critical: bool,
}

/// A person-readable summary of one certificate. Serializes to JSON with exactly these
/// snake_case keys, in this order; the keys are part of pki-lab's output contract.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    /// Subject distinguished name, RFC 4514 style: most specific RDN first, `", "` between
    /// RDNs, `"+"` inside a multi-valued RDN, special characters backslash-escaped, e.g.
    /// `"CN=valid.localhost"` or `"CN=pki-lab Root CA, OU=test, O=pki-lab"`. Empty if the
    /// certificate has an empty subject.
    pub subject: String,
    /// Issuer distinguished name, in the same form as `subject`.
    pub issuer: String,
    /// Serial number as lowercase hex bytes joined by colons, without the DER sign byte
    /// (like `openssl x509 -text`), e.g. `"f1:e2:d3:c4:b5:a6:97:88"`.
    pub serial: String,
    /// Start of the validity period, RFC 3339 in UTC, e.g. `"2026-11-26T10:21:37Z"`.
    pub not_before: String,
    /// End of the validity period, RFC 3339 in UTC.
    pub not_after: String,
    /// `"valid"`, `"expired"` or `"not-yet-valid"`, relative to the `now` given to [`describe`].
    pub validity_status: ValidityStatus,
    /// The status in words, rounded to the nearest whole unit as the rules' evidence is:
    /// `"expires in 90 days"`, `"expired 1 day ago"` or `"valid from 1 day from now"`.
    pub validity_note: String,
    /// Subject equals issuer and the signature verifies with the certificate's own key. When
    /// the signature algorithm is one this module cannot verify (e.g. DSA), equal names
    /// alone decide.
    pub self_signed: bool,
    /// Basic constraints say `CA:TRUE`. False when the extension is absent.
    pub is_ca: bool,
    /// Basic constraints path length constraint, if any.
    pub path_len: Option<u32>,
    /// Subject alternative names, in certificate order: `"DNS:localhost"`, `"IP:127.0.0.1"`,
    /// `"IP:::1"`, `"email:ops@localhost"`, `"URI:https://localhost/"`, `"DirName:CN=x"`,
    /// `"RID:1.2.3"`, `"othername:<oid>"`. All of them, however many.
    pub sans: Vec<String>,
    /// Public key: `"ECDSA P-256"`, `"ECDSA P-384"`, `"ECDSA P-521"`, `"Ed25519"`, `"Ed448"`,
    /// `"RSA 2048 bits"`, `"RSA-PSS 3072 bits"`, ...
    pub key: String,
    /// Signature algorithm, OpenSSL's name: `"ecdsa-with-SHA256"`, `"sha256WithRSAEncryption"`,
    /// `"ED25519"`, `"rsassaPss"`; a dotted OID when unknown.
    pub signature_algorithm: String,
    /// Key usage bits that are set, RFC 5280 names: `"digitalSignature"`, `"nonRepudiation"`,
    /// `"keyEncipherment"`, `"dataEncipherment"`, `"keyAgreement"`, `"keyCertSign"`,
    /// `"cRLSign"`, `"encipherOnly"`, `"decipherOnly"`. Empty when the extension is absent.
    pub key_usage: Vec<String>,
    /// Extended key usages: `"serverAuth"`, `"clientAuth"`, `"codeSigning"`,
    /// `"emailProtection"`, `"timeStamping"`, `"OCSPSigning"`, `"anyExtendedKeyUsage"`, and any
    /// other purpose as a dotted OID. Empty when the extension is absent.
    pub extended_key_usage: Vec<String>,
    /// Name constraints; `None` when the extension is absent.
    pub name_constraints: Option<NameConstraintsDescribed>,
    /// Authority key identifier (key id part), uppercase hex with colons.
    pub authority_key_id: Option<String>,
    /// Subject key identifier, uppercase hex with colons.
    pub subject_key_id: Option<String>,
    /// CRL distribution points: the URIs as-is (`"http://127.0.0.1:8080/ca.crl"`); any other
    /// kind of name in the general-name form of `sans`.
    pub crl_distribution_points: Vec<String>,
    /// Every extension in certificate order, known or not.
    pub extensions: Vec<ExtensionDescribed>,
    /// Dotted OIDs of critical extensions this module (x509-parser) does not understand. A
    /// client that does not understand them either must reject the certificate.
    pub unknown_critical_extensions: Vec<String>,
    /// Other oddities worth a person's attention: an extension that does not parse, one that
    /// appears twice, subject == issuer with a signature that does not verify with its own key.
    pub warnings: Vec<String>,
    /// SHA-256 of the DER certificate, uppercase hex with colons.
    pub sha256_fingerprint: String,
}

/// The JSON keys of [`Described`], in order (the lab's `--expect` paths are built from them).
pub const DESCRIBED_FIELDS: &[&str] = &[
    "subject",
    "issuer",
    "serial",
    "not_before",
    "not_after",
    "validity_status",
    "validity_note",
    "self_signed",
    "is_ca",
    "path_len",
    "sans",
    "key",
    "signature_algorithm",
    "key_usage",
    "extended_key_usage",
    "name_constraints",
    "authority_key_id",
    "subject_key_id",
    "crl_distribution_points",
    "extensions",
    "unknown_critical_extensions",
    "warnings",
    "sha256_fingerprint",
];

/// Describes one DER-encoded certificate, judging its validity period at `now`.
///
/// The input must be exactly one certificate: trailing bytes are an error.
pub fn describe(der: &[u8], now: OffsetDateTime) -> Result<Described, String> {
    let cert = parse_der(der)?;
    let tbs = &cert.tbs_certificate;

    let subject = name_string(tbs.subject());
    let issuer = name_string(tbs.issuer());
    let not_before_dt = tbs.validity().not_before.to_datetime();
    let not_after_dt = tbs.validity().not_after.to_datetime();
    let (validity_status, validity_note) = validity_at(not_before_dt, not_after_dt, now);

    let mut warnings = Vec::new();
    let mut unknown_critical_extensions = Vec::new();
    let mut extensions = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut is_ca = false;
    let mut path_len = None;
    let mut sans = Vec::new();
    let mut key_usage = Vec::new();
    let mut extended_key_usage = Vec::new();
    let mut name_constraints = None;
    let mut authority_key_id = None;
    let mut subject_key_id = None;
    let mut crl_distribution_points = Vec::new();

    for ext in tbs.extensions() {
        let oid = ext.oid.to_id_string();
        let name = oid2sn(&ext.oid, oid_registry()).unwrap_or("unknown").to_string();
        extensions.push(ExtensionDescribed { oid: oid.clone(), name: name.clone(), critical: ext.critical });
        if seen.contains(&oid) {
            // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
            // particular extension". Only the first one is described.
            warnings.push(format!("extension {name} ({oid}) appears more than once; only the first is shown"));
            continue;
        }
        seen.push(oid.clone());
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => {
                is_ca = bc.ca;
                path_len = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => key_usage = key_usage_names(ku),
            ParsedExtension::ExtendedKeyUsage(eku) => extended_key_usage = eku_names(eku),
            ParsedExtension::SubjectAlternativeName(san) => {
                sans = san.general_names.iter().map(general_name_string).collect();
            }
            ParsedExtension::NameConstraints(nc) => {
                name_constraints = Some(NameConstraintsDescribed {
                    permitted: subtree_strings(nc.permitted_subtrees.as_deref()),
                    excluded: subtree_strings(nc.excluded_subtrees.as_deref()),
                });
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|k| hex_colon_upper(k.0));
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => subject_key_id = Some(hex_colon_upper(ski.0)),
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    match &point.distribution_point {
                        Some(DistributionPointName::FullName(names)) => {
                            crl_distribution_points.extend(names.iter().map(|n| match n {
                                GeneralName::URI(uri) => (*uri).to_string(),
                                other => general_name_string(other),
                            }));
                        }
                        Some(DistributionPointName::NameRelativeToCRLIssuer(rdn)) => {
                            let parts: Vec<String> = rdn.iter().map(attribute_string).collect();
                            crl_distribution_points.push(format!("relative:{}", parts.join("+")));
                        }
                        None => {}
                    }
                }
            }
            ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                unknown_critical_extensions.push(oid.clone());
            }
            ParsedExtension::ParseError { error } => {
                let critical = if ext.critical { "critical " } else { "" };
                warnings.push(format!("{critical}extension {name} ({oid}) does not parse: {error}"));
            }
            _ => {}
        }
    }

    if tbs.signature != cert.signature_algorithm {
        warnings.push(format!(
            "the signature algorithm inside the signed part ({}) differs from the outer one ({})",
            signature_algorithm_name(&tbs.signature.algorithm),
            signature_algorithm_name(&cert.signature_algorithm.algorithm)
        ));
    }

    let names_equal = tbs.subject().as_raw() == tbs.issuer().as_raw() || subject == issuer;
    let self_signed = if names_equal {
        match verify_own_signature(&cert) {
            Some(true) | None => true,
            Some(false) => {
                warnings.push(
                    "subject equals issuer but the signature does not verify with the \
                     certificate's own key: self-issued, not self-signed"
                        .to_string(),
                );
                false
            }
        }
    } else {
        false
    };

    Ok(Described {
        subject,
        issuer,
        serial: serial_string(tbs.raw_serial()),
        not_before: rfc3339(not_before_dt),
        not_after: rfc3339(not_after_dt),
        validity_status,
        validity_note,
        self_signed,
        is_ca,
        path_len,
        sans,
        key: key_string(tbs.public_key()),
        signature_algorithm: signature_algorithm_name(&cert.signature_algorithm.algorithm),
        key_usage,
        extended_key_usage,
        name_constraints,
        authority_key_id,
        subject_key_id,
        crl_distribution_points,
        extensions,
        unknown_critical_extensions,
        warnings,
        sha256_fingerprint: sha256_fingerprint(der),
    })
}

/// Describes every `CERTIFICATE` block of a PEM text, in order. Other blocks (keys, CRLs) are
/// skipped; text outside blocks is ignored. Fails on a malformed block, on a certificate that
/// does not parse, or when there is no `CERTIFICATE` block at all.
pub fn describe_pem_bundle(pem_text: &str, now: OffsetDateTime) -> Result<Vec<Described>, String> {
    let mut described = Vec::new();
    let mut other_labels: Vec<String> = Vec::new();
    for pem in pem_blocks(pem_text.as_bytes()) {
        let (block, pem) = pem?;
        if pem.label == "CERTIFICATE" {
            let d = describe(&pem.contents, now)
                .map_err(|e| format!("certificate [{}] (PEM block {block}): {e}", described.len()))?;
            described.push(d);
        } else if !other_labels.contains(&pem.label) {
            other_labels.push(pem.label);
        }
    }
    if described.is_empty() {
        return Err(format!(
            "no CERTIFICATE block found in the PEM text: expected \"-----BEGIN CERTIFICATE-----\", \
             found {}",
            found_instead(&other_labels)
        ));
    }
    Ok(described)
}

/// Whether a CRL is current at the time it was described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrlStatus {
    /// `this_update <= now`, and `now <= next_update` (or no next update). JSON: `"current"`.
    Current,
    /// `now > next_update`: a client should fetch a newer one. JSON: `"stale"`.
    Stale,
    /// `now < this_update`. JSON: `"not-yet-valid"`.
    NotYetValid,
}

/// One entry of a CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedDescribed {
    /// Serial number of the revoked certificate, in the form of [`Described::serial`].
    pub serial: String,
    /// When it was revoked, RFC 3339 in UTC.
    pub revoked_at: String,
    /// The reason code's RFC 5280 name (`"keyCompromise"`, `"superseded"`, ...), if given.
    pub reason: Option<String>,
}

/// A person-readable summary of one CRL. Serializes to JSON with exactly these snake_case keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DescribedCrl {
    /// Issuer distinguished name, in the form of [`Described::subject`].
    pub issuer: String,
    /// When it was issued (`thisUpdate`), RFC 3339 in UTC.
    pub this_update: String,
    /// When the next one is due (`nextUpdate`), if given.
    pub next_update: Option<String>,
    /// `"current"`, `"stale"` or `"not-yet-valid"`, relative to the `now` given to
    /// [`describe_crl`].
    pub status: CrlStatus,
    /// The status in words: `"next update in 7 days"`, `"stale: next update was due 2 days ago"`,
    /// `"not yet valid: issued 1 hour from now"`, `"no next update given"`.
    pub status_note: String,
    /// The CRL number extension, in decimal.
    pub crl_number: Option<String>,
    /// Authority key identifier (key id part), uppercase hex with colons: the issuer's SKI.
    pub authority_key_id: Option<String>,
    /// Signature algorithm, in the form of [`Described::signature_algorithm`].
    pub signature_algorithm: String,
    /// Every revoked certificate, in CRL order.
    pub revoked: Vec<RevokedDescribed>,
    /// SHA-256 of the DER CRL, uppercase hex with colons.
    pub sha256_fingerprint: String,
}

/// What a file handed to `inspect` holds. JSON: the array of its certificates or of its CRLs.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Inspected {
    /// A chain (or one certificate), in file order.
    Certificates(Vec<Described>),
    /// One CRL or several, in file order.
    Crls(Vec<DescribedCrl>),
}

const EXPECTED_INPUT: &str = "expected certificates or CRLs, as PEM text (\"-----BEGIN CERTIFICATE-----\", \
                              \"-----BEGIN X509 CRL-----\") or DER (one certificate or CRL, first byte 0x30)";

/// Describes a whole input file, told apart by its content: PEM (certificates if it has any
/// `CERTIFICATE` block, else its `X509 CRL` blocks) or DER (one certificate, else one CRL).
pub fn describe_input(bytes: &[u8], now: OffsetDateTime) -> Result<Inspected, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let found = if bytes.is_empty() { "an empty file" } else { "only white space" };
        return Err(format!("{EXPECTED_INPUT}, found {found}"));
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return describe_pem_input(bytes, now);
    }
    if bytes[0] == 0x30 {
        let as_cert = match describe(bytes, now) {
            Ok(d) => return Ok(Inspected::Certificates(vec![d])),
            Err(e) => e,
        };
        let as_crl = match describe_crl(bytes, now) {
            Ok(d) => return Ok(Inspected::Crls(vec![d])),
            Err(e) => e,
        };
        return Err(format!(
            "{EXPECTED_INPUT}, found {} bytes of DER that are neither: as a certificate, {as_cert}; as a CRL, {as_crl}",
            bytes.len()
        ));
    }
    Err(format!("{EXPECTED_INPUT}, found {}", sample(bytes)))
}

/// The start of bytes that are neither PEM nor DER, in words.
fn sample(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(24)];
    match std::str::from_utf8(head) {
        Ok(text) if text.chars().all(|c| !c.is_control() || c.is_ascii_whitespace()) => {
            let more = if bytes.len() > head.len() { "…" } else { "" };
            format!("text that is not PEM: \"{}{more}\"", text.trim_end().escape_default())
        }
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("{} bytes of binary data beginning {}", bytes.len(), hex.join(" "))
        }
    }
}

/// [`describe_input`] for PEM text.
fn describe_pem_input(bytes: &[u8], now: OffsetDateTime) -> Result<Inspected, String> {
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    let mut other_labels: Vec<String> = Vec::new();
    for pem in pem_blocks(bytes) {
        let (block, pem) = pem?;
        match pem.label.as_str() {
            "CERTIFICATE" => certs.push(
                describe(&pem.contents, now)
                    .map_err(|e| format!("certificate [{}] (PEM block {block}): {e}", certs.len()))?,
            ),
            "X509 CRL" => crls.push(
                describe_crl(&pem.contents, now)
                    .map_err(|e| format!("CRL [{}] (PEM block {block}): {e}", crls.len()))?,
            ),
            _ if !other_labels.contains(&pem.label) => other_labels.push(pem.label),
            _ => {}
        }
    }
    if !certs.is_empty() {
        return Ok(Inspected::Certificates(certs));
    }
    if !crls.is_empty() {
        return Ok(Inspected::Crls(crls));
    }
    Err(format!(
        "no CERTIFICATE or X509 CRL block found in the PEM text: expected \"-----BEGIN CERTIFICATE-----\" \
         or \"-----BEGIN X509 CRL-----\", found {}",
        found_instead(&other_labels)
    ))
}

/// Each PEM block of `bytes` with its number (from 1); a malformed block is an error saying
/// what a block should look like.
fn pem_blocks(bytes: &[u8]) -> impl Iterator<Item = Result<(usize, Pem), String>> + '_ {
    Pem::iter_from_buffer(bytes).enumerate().map(|(i, pem)| {
        pem.map(|p| (i + 1, p)).map_err(|e| {
            format!(
                "PEM block {} is malformed ({e}): expected \"-----BEGIN <label>-----\", base64 \
                 lines and \"-----END <label>-----\"",
                i + 1
            )
        })
    })
}

/// What a PEM text held instead of the blocks wanted: the other labels seen, or nothing.
fn found_instead(other_labels: &[String]) -> String {
    if other_labels.is_empty() {
        "no PEM block at all".to_string()
    } else {
        format!("only {}", other_labels.join(", "))
    }
}

/// Describes one DER-encoded CRL, judging whether it is current at `now`.
pub fn describe_crl(der: &[u8], now: OffsetDateTime) -> Result<DescribedCrl, String> {
    const EXPECTED: &str = "expected a DER-encoded X.509 CRL";
    let crl = match CertificateRevocationList::from_der(der) {
        Ok(([], crl)) => crl,
        Ok((rest, _)) => {
            return Err(format!(
                "{EXPECTED} and nothing else, found {} trailing byte(s) after a {}-byte CRL",
                rest.len(),
                der.len() - rest.len()
            ));
        }
        Err(nom::Err::Incomplete(_)) => {
            return Err(format!("{EXPECTED}, found {} bytes of a truncated one", der.len()));
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
            return Err(format!("{EXPECTED}, found a malformed one: {e}"));
        }
    };
    let this_update = crl.last_update().to_datetime();
    let next_update = crl.next_update().map(|t| t.to_datetime());
    let (status, status_note) = if now < this_update {
        let wait = (this_update - now).whole_seconds();
        (CrlStatus::NotYetValid, format!("not yet valid: issued {} from now", humanize_span(wait)))
    } else {
        match next_update {
            Some(next) if now > next => {
                let ago = (now - next).whole_seconds();
                (CrlStatus::Stale, format!("stale: next update was due {} ago", humanize_span(ago)))
            }
            Some(next) => {
                let left = (next - now).whole_seconds();
                (CrlStatus::Current, format!("next update in {}", humanize_span(left)))
            }
            None => (CrlStatus::Current, "no next update given".to_string()),
        }
    };
    let mut authority_key_id = None;
    for ext in crl.extensions() {
        if let ParsedExtension::AuthorityKeyIdentifier(aki) = ext.parsed_extension() {
            authority_key_id = aki.key_identifier.as_ref().map(|k| hex_colon_upper(k.0));
        }
    }
    let revoked = crl
        .iter_revoked_certificates()
        .map(|r| RevokedDescribed {
            serial: serial_string(r.raw_serial()),
            revoked_at: rfc3339(r.revocation_date.to_datetime()),
            reason: r.reason_code().map(|(_, code)| reason_name(code.0)),
        })
        .collect();
    Ok(DescribedCrl {
        issuer: name_string(crl.issuer()),
        this_update: rfc3339(this_update),
        next_update: next_update.map(rfc3339),
        status,
        status_note,
        crl_number: crl.crl_number().map(|n| n.to_string()),
        authority_key_id,
        signature_algorithm: signature_algorithm_name(&crl.signature_algorithm.algorithm),
        revoked,
        sha256_fingerprint: sha256_fingerprint(der),
    })
}

/// RFC 5280 5.3.1's name of a CRL reason code.
fn reason_name(code: u8) -> String {
    let name = match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        other => return format!("unknown reason {other}"),
    };
    name.to_string()
}

/// Renders what [`describe_input`] found as text.
pub fn render_inspected(inspected: &Inspected) -> String {
    match inspected {
        Inspected::Certificates(chain) => render_text(chain),
        Inspected::Crls(crls) => render_crls_text(crls),
    }
}

/// Renders CRLs as aligned human text, one block per CRL. Only the first 10 entries are listed.
pub fn render_crls_text(crls: &[DescribedCrl]) -> String {
    let mut out = String::new();
    for (index, c) in crls.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let issuer = if c.issuer.is_empty() { "(empty issuer)" } else { &c.issuer };
        let _ = writeln!(out, "[{index}] CRL issued by {issuer}");
        let next = c.next_update.as_deref().map(short_time).unwrap_or_else(|| "(none)".to_string());
        line(&mut out, "updated", &format!("{} .. {next} ({})", short_time(&c.this_update), c.status_note));
        if let Some(n) = &c.crl_number {
            line(&mut out, "number", n);
        }
        line(&mut out, "signature", &c.signature_algorithm);
        if let Some(aki) = &c.authority_key_id {
            line(&mut out, "AKI", aki);
        }
        let count = match c.revoked.len() {
            0 => "none".to_string(),
            1 => "1 certificate".to_string(),
            n => format!("{n} certificates"),
        };
        line(&mut out, "revoked", &count);
        for r in c.revoked.iter().take(TEXT_SAN_LIMIT) {
            let reason = r.reason.as_deref().map(|r| format!(", {r}")).unwrap_or_default();
            line(&mut out, "", &format!("serial {} at {}{reason}", r.serial, short_time(&r.revoked_at)));
        }
        if c.revoked.len() > TEXT_SAN_LIMIT {
            line(&mut out, "", &format!("… and {} more", c.revoked.len() - TEXT_SAN_LIMIT));
        }
        line(&mut out, "sha256", &c.sha256_fingerprint);
    }
    out
}

/// Renders a chain (leaf first) as aligned human text, one block per certificate, blocks
/// separated by a blank line. Lines for absent extensions are left out, except `basic`, which
/// says `(none)`. Only the first 10 SANs are listed.
pub fn render_text(chain: &[Described]) -> String {
    let mut out = String::new();
    for (index, d) in chain.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        render_one(&mut out, index, d, chain.get(index + 1));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Parsing

fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    const EXPECTED: &str = "expected a DER-encoded X.509 certificate";
    let Some(&first) = der.first() else {
        return Err(format!("{EXPECTED}, found empty input"));
    };
    if der.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Err(format!("{EXPECTED}, found PEM text (\"-----BEGIN ...\"); read it as a PEM bundle instead"));
    }
    if first != 0x30 {
        let shown = if first.is_ascii_graphic() {
            format!("0x{first:02x} ('{}')", char::from(first))
        } else {
            format!("0x{first:02x}")
        };
        return Err(format!("{EXPECTED} (an ASN.1 SEQUENCE, first byte 0x30), found first byte {shown}"));
    }
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok((rest, _)) => Err(format!(
            "{EXPECTED} and nothing else, found {} trailing byte(s) after a {}-byte certificate",
            rest.len(),
            der.len() - rest.len()
        )),
        Err(nom::Err::Incomplete(_)) => Err(format!("{EXPECTED}, found {} bytes of a truncated one", der.len())),
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(format!("{EXPECTED}, found a malformed one: {e}")),
    }
}

/// Verifies the certificate's signature with its own public key. `None` when the algorithm
/// pair is not one aws-lc-rs can check here (DSA, unusual curves, RSA keys outside 1024..=8192
/// bits).
fn verify_own_signature(cert: &X509Certificate<'_>) -> Option<bool> {
    if let Key::Rsa(bits) = key_of(cert.public_key())
        && !(1024..=8192).contains(&bits)
    {
        return None;
    }
    match verify_cert(cert, cert) {
        Sig::Valid => Some(true),
        Sig::Invalid(_) => Some(false),
        Sig::Unsupported(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Field formatting

fn validity_at(not_before: OffsetDateTime, not_after: OffsetDateTime, now: OffsetDateTime) -> (ValidityStatus, String) {
    if now < not_before {
        let wait = (not_before - now).whole_seconds();
        (ValidityStatus::NotYetValid, format!("valid from {} from now", humanize_span(wait)))
    } else if now > not_after {
        let ago = (now - not_after).whole_seconds();
        (ValidityStatus::Expired, format!("expired {} ago", humanize_span(ago)))
    } else {
        let left = (not_after - now).whole_seconds();
        (ValidityStatus::Valid, format!("expires in {}", humanize_span(left)))
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string())
}

fn serial_string(raw: &[u8]) -> String {
    // Drop the 0x00 DER puts in front of a positive number whose top bit is set.
    let digits = match raw {
        [0, next, ..] if next & 0x80 != 0 => &raw[1..],
        _ => raw,
    };
    hex_colon(digits)
}

fn name_string(name: &X509Name<'_>) -> String {
    let rdns: Vec<&_> = name.iter_rdn().collect();
    let parts: Vec<String> = rdns
        .iter()
        .rev()
        .map(|rdn| {
            let attrs: Vec<String> = rdn.iter().map(attribute_string).collect();
            attrs.join("+")
        })
        .collect();
    parts.join(", ")
}

fn attribute_string(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type();
    let key = oid2abbrev(oid, oid_registry()).map(str::to_string).unwrap_or_else(|_| oid.to_id_string());
    let value = attr.attr_value();
    use x509_parser::asn1_rs::Tag;
    let text = match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString
        | Tag::GeneralString
        | Tag::GraphicString
        | Tag::VideotexString
        | Tag::T61String => Some(String::from_utf8_lossy(value.data).into_owned()),
        Tag::BmpString => value.as_bmpstring().ok().map(|s| s.string()),
        _ => None,
    };
    match text {
        Some(text) => format!("{key}={}", escape_rfc4514(&text)),
        None => format!("{key}=#{}", hex::encode(value.data)),
    }
}

fn escape_rfc4514(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            for b in c.to_string().bytes() {
                let _ = write!(out, "\\{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn key_string(spki: &SubjectPublicKeyInfo<'_>) -> String {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        oid::RSA => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => format!("RSA {} bits", bit_length(rsa.modulus)),
            _ => "RSA (malformed key)".to_string(),
        },
        oid::RSA_PSS => match RSAPublicKey::from_der(&spki.subject_public_key.data) {
            Ok((_, rsa)) => format!("RSA-PSS {} bits", bit_length(rsa.modulus)),
            Err(_) => "RSA-PSS (malformed key)".to_string(),
        },
        oid::EC => match ec_curve_oid(spki).as_deref() {
            Some(oid::P256) => "ECDSA P-256".to_string(),
            Some(oid::P384) => "ECDSA P-384".to_string(),
            Some(oid::P521) => "ECDSA P-521".to_string(),
            Some(oid::SECP256K1) => "ECDSA secp256k1".to_string(),
            Some(other) => format!("ECDSA curve {other}"),
            None => "ECDSA (curve not named)".to_string(),
        },
        oid::ED25519 => "Ed25519".to_string(),
        oid::ED448 => "Ed448".to_string(),
        oid::X25519 => "X25519".to_string(),
        oid::X448 => "X448".to_string(),
        oid::DSA => "DSA".to_string(),
        _ => match oid2sn(&spki.algorithm.algorithm, oid_registry()) {
            Ok(name) => name.to_string(),
            Err(_) => format!("unknown key algorithm {alg}"),
        },
    }
}

fn signature_algorithm_name(oid: &Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    match dotted.as_str() {
        oid::ED25519 => "ED25519".to_string(),
        oid::ED448 => "ED448".to_string(),
        oid::RSA_PSS => "rsassaPss".to_string(),
        _ => oid_name(oid),
    }
}

fn key_usage_names(ku: &KeyUsage) -> Vec<String> {
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn general_name_string(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => format!("IP:{}", ip_string(bytes)),
        GeneralName::RFC822Name(email) => format!("email:{email}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::DirectoryName(dn) => format!("DirName:{}", name_string(dn)),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        GeneralName::OtherName(oid, _) => format!("othername:{}", oid.to_id_string()),
        GeneralName::X400Address(_) => "X400Name:<unsupported>".to_string(),
        GeneralName::EDIPartyName(_) => "EdiPartyName:<unsupported>".to_string(),
        GeneralName::Invalid(tag, bytes) => {
            format!("invalid:[{}]{}", tag.0, hex_colon(bytes))
        }
    }
}

fn ip_string(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        Ipv6Addr::from(v6).to_string()
    } else {
        format!("<invalid {}-byte address {}>", bytes.len(), hex_colon(bytes))
    }
}

fn subtree_strings(subtrees: Option<&[GeneralSubtree<'_>]>) -> Vec<String> {
    subtrees
        .unwrap_or_default()
        .iter()
        .map(|subtree| match &subtree.base {
            GeneralName::IPAddress(bytes) => format!("IP:{}", ip_cidr(bytes)),
            other => general_name_string(other),
        })
        .collect()
}

/// Address and mask (RFC 5280 4.2.1.10: 8 bytes for IPv4, 32 for IPv6) as CIDR.
fn ip_cidr(bytes: &[u8]) -> String {
    let half = bytes.len() / 2;
    if bytes.len() != 8 && bytes.len() != 32 {
        return format!("<invalid {}-byte address and mask {}>", bytes.len(), hex_colon(bytes));
    }
    let (addr, mask) = bytes.split_at(half);
    match prefix_length(mask) {
        Some(prefix) => format!("{}/{prefix}", ip_string(addr)),
        None => format!("{}/{}", ip_string(addr), ip_string(mask)),
    }
}

/// The prefix length of a contiguous netmask, `None` for a mask like 255.0.255.0.
fn prefix_length(mask: &[u8]) -> Option<u32> {
    let mut ones = 0;
    let mut zero_seen = false;
    for byte in mask {
        for bit in (0..8).rev() {
            if byte >> bit & 1 == 1 {
                if zero_seen {
                    return None;
                }
                ones += 1;
            } else {
                zero_seen = true;
            }
        }
    }
    Some(ones)
}

// ---------------------------------------------------------------------------------------------
// Text rendering

fn render_one(out: &mut String, index: usize, d: &Described, next: Option<&Described>) {
    let role = match (d.is_ca, d.self_signed) {
        (true, true) => "root CA",
        (true, false) => "intermediate CA",
        (false, true) => "self-signed leaf",
        (false, false) => "leaf",
    };
    let subject = if d.subject.is_empty() { "(empty subject)" } else { &d.subject };
    let _ = writeln!(out, "[{index}] {subject} ({role})");

    let issuer = if d.issuer.is_empty() { "(empty issuer)" } else { &d.issuer };
    line(out, "issuer", issuer);
    if let Some(next) = next
        && next.subject != d.issuer
    {
        line(out, "chain", &format!("issuer does not match the subject of [{}] ({})", index + 1, next.subject));
    }
    line(out, "serial", &d.serial);
    line(
        out,
        "validity",
        &format!("{} .. {} ({})", short_time(&d.not_before), short_time(&d.not_after), d.validity_note),
    );
    if !d.sans.is_empty() || has_extension(d, oid::SAN) {
        let shown = d.sans.iter().take(TEXT_SAN_LIMIT).cloned();
        let mut text = shown.collect::<Vec<_>>().join(", ");
        if d.sans.len() > TEXT_SAN_LIMIT {
            let _ = write!(text, ", … and {} more", d.sans.len() - TEXT_SAN_LIMIT);
        }
        line(out, "SANs", &(text + critical_suffix(d, oid::SAN)));
    }
    line(out, "key", &d.key);
    line(out, "signature", &d.signature_algorithm);
    let basic = if has_extension(d, oid::BASIC_CONSTRAINTS) {
        let mut text = if d.is_ca { "CA:TRUE" } else { "CA:FALSE" }.to_string();
        if let Some(len) = d.path_len {
            let _ = write!(text, ", pathlen:{len}");
        }
        text + critical_suffix(d, oid::BASIC_CONSTRAINTS)
    } else {
        "(none)".to_string()
    };
    line(out, "basic", &basic);
    if has_extension(d, oid::KEY_USAGE) {
        let text = d.key_usage.join(", ") + critical_suffix(d, oid::KEY_USAGE);
        line(out, "key usage", &text);
    }
    if has_extension(d, oid::EXT_KEY_USAGE) {
        let text = d.extended_key_usage.join(", ") + critical_suffix(d, oid::EXT_KEY_USAGE);
        line(out, "ext usage", &text);
    }
    if let Some(nc) = &d.name_constraints {
        let mut label = "name constr";
        let critical = critical_suffix(d, oid::NAME_CONSTRAINTS);
        if !nc.permitted.is_empty() {
            let text = format!("permitted {}{critical}", nc.permitted.join(", "));
            line(out, label, &text);
            label = "";
        }
        if !nc.excluded.is_empty() {
            let text = format!("excluded {}{critical}", nc.excluded.join(", "));
            line(out, label, &text);
        }
    }
    if let Some(aki) = &d.authority_key_id {
        line(out, "AKI", aki);
    }
    if let Some(ski) = &d.subject_key_id {
        line(out, "SKI", ski);
    }
    if !d.crl_distribution_points.is_empty() {
        line(out, "CRL DP", &d.crl_distribution_points.join(", "));
    }
    for oid in &d.unknown_critical_extensions {
        line(out, "critical", &format!("unknown critical extension {oid}"));
    }
    for warning in &d.warnings {
        line(out, "warning", warning);
    }
    line(out, "sha256", &d.sha256_fingerprint);
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "    {label:<LABEL_WIDTH$}{value}");
}

fn has_extension(d: &Described, oid: &str) -> bool {
    d.extensions.iter().any(|e| e.oid == oid)
}

fn critical_suffix(d: &Described, oid: &str) -> &'static str {
    if d.extensions.iter().any(|e| e.oid == oid && e.critical) { " (critical)" } else { "" }
}

/// `"2026-11-26T09:12:00Z"` -> `"2026-11-26 09:12 UTC"`; anything unparsable is shown as-is.
fn short_time(rfc3339_text: &str) -> String {
    OffsetDateTime::parse(rfc3339_text, &Rfc3339)
        .ok()
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
                .ok()
        })
        .unwrap_or_else(|| rfc3339_text.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    // Generated once with the openssl command line (OpenSSL 3.0): a P-384 root, a P-256
    // intermediate (pathlen 0, name constraints, CRL DP) signed by it, a P-256 leaf signed by
    // the intermediate, a self-signed RSA-2048 cert, a self-signed Ed25519 cert carrying an
    // unknown critical extension (1.3.6.1.4.1.55738.1.1), and a leaf valid only in January 2020.
    const ROOT_P384: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB5DCCAWqgAwIBAgIBATAKBggqhkjOPQQDAzA7MRAwDgYDVQQKDAdwa2ktbGFi\n\
MQ0wCwYDVQQLDAR0ZXN0MRgwFgYDVQQDDA9wa2ktbGFiIFJvb3QgQ0EwHhcNMjYx\n\
MTI2MTAyMTM3WhcNNDYxMTIxMTAyMTM3WjA7MRAwDgYDVQQKDAdwa2ktbGFiMQ0w\n\
CwYDVQQLDAR0ZXN0MRgwFgYDVQQDDA9wa2ktbGFiIFJvb3QgQ0EwdjAQBgcqhkjO\n\
PQIBBgUrgQQAIgNiAATAeAZgGsobjeSuS+jpntizrcIKnJ69/qJsF29cXXnvgLoZ\n\
Iwo/ivwfOAUV489rINQSatnXC7aJFTfR5Ryp5Uip6AZE6yJzscblTAgXHvB80wfO\n\
faEPIf6T7y0Q8LN0qJSjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD\n\
AgEGMB0GA1UdDgQWBBQ1ccR3WbwB02OngP4rap+6PUxOVjAKBggqhkjOPQQDAwNo\n\
ADBlAjACnzhvSrd0H6eaScAV16dPQa4G5AW/9giH+8DX/UUGmA6Sqs4fHo5FJ8tn\n\
ueXMpkcCMQDhlfagNvBE3jpoSNPJani6tN6H8OKhkphZRPcqt2Uiej1qRxciNOOB\n\
6kJ0a3WVtPU=\n\
-----END CERTIFICATE-----\n\
";

    const INTERMEDIATE_P256: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIClzCCAhygAwIBAgIEChssPTAKBggqhkjOPQQDAzA7MRAwDgYDVQQKDAdwa2kt\n\
bGFiMQ0wCwYDVQQLDAR0ZXN0MRgwFgYDVQQDDA9wa2ktbGFiIFJvb3QgQ0EwHhcN\n\
MjYxMTI2MTAyMTM3WhcNNDYwMTI1MTAyMTM3WjBDMRAwDgYDVQQKDAdwa2ktbGFi\n\
MQ0wCwYDVQQLDAR0ZXN0MSAwHgYDVQQDDBdwa2ktbGFiIEludGVybWVkaWF0ZSBD\n\
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPsI8lirWiUUdyDVPYkxh7bU+kuc\n\
dbGMRfMaxEO3S0BR0llJrKSWwIoKgScw11AFOrkw7b4UU/7o/hC63jllZOOjggEE\n\
MIIBADASBgNVHRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4E\n\
FgQUgACuTY5Ns70BTae84+D2VkFYmQEwHwYDVR0jBBgwFoAUNXHEd1m8AdNjp4D+\n\
K2qfuj1MTlYwaQYDVR0eAQH/BF8wXaA9MAuCCWxvY2FsaG9zdDAKhwh/AAAA/wAA\n\
ADAihyAAAAAAAAAAAAAAAAAAAAAB/////////////////////6EcMA6CDC5leGFt\n\
cGxlLmNvbTAKhwgKAAAA/wAAADAvBgNVHR8EKDAmMCSgIqAghh5odHRwOi8vMTI3\n\
LjAuMC4xOjgwODAvcm9vdC5jcmwwCgYIKoZIzj0EAwMDaQAwZgIxAKi2syZ9JVLl\n\
AN/rQ1z0xPs7Lo+soKFtEjeZxXl4/K84Ae1pfqLxjy78mGI37MnO8wIxANSX5edV\n\
kQ+B1YjbFPZpvhH5aPTK1gLeEyQZFJP8tyPCbzfaupVULo3nDqrwVJrqYA==\n\
-----END CERTIFICATE-----\n\
";

    const LEAF_P256: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIICXjCCAgSgAwIBAgIJAPHi08S1ppeIMAoGCCqGSM49BAMCMEMxEDAOBgNVBAoM\n\
B3BraS1sYWIxDTALBgNVBAsMBHRlc3QxIDAeBgNVBAMMF3BraS1sYWIgSW50ZXJt\n\
ZWRpYXRlIENBMB4XDTI2MTEyNjEwMjEzN1oXDTQzMDUwMTEwMjEzN1owGjEYMBYG\n\
A1UEAwwPdmFsaWQubG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n\
G5r5//qSSQSj+uoysmRS2qWRwyVad9CfPekUDYlwK5aM3sFT7PRxr6nyBrpl+R1C\n\
mAc+phM0F1SM7WNUqXrCw6OCAQgwggEEMAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQD\n\
AgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMGAGA1UdEQRZMFeCCWxvY2FsaG9zdIIP\n\
dmFsaWQubG9jYWxob3N0hwR/AAABhxAAAAAAAAAAAAAAAAAAAAABgQ1vcHNAbG9j\n\
YWxob3N0hhJodHRwczovL2xvY2FsaG9zdC8wHQYDVR0OBBYEFLZRqnm/hArw6kay\n\
37UgrVE6/AxZMB8GA1UdIwQYMBaAFIAArk2OTbO9AU2nvOPg9lZBWJkBMDAGA1Ud\n\
HwQpMCcwJaAjoCGGH2h0dHA6Ly8xMjcuMC4wLjE6ODA4MC9pbnRlci5jcmwwCgYI\n\
KoZIzj0EAwIDSAAwRQIgF/n7ThcLpThE1Pjy2rLf+eC8H7kDrGC7GnYleiaNTXwC\n\
IQCqpa/D/3CcciYjeRBoE6762/7vm/YhW0Kq6wkBIpMbzg==\n\
-----END CERTIFICATE-----\n\
";

    const RSA_2048: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIDYTCCAkmgAwIBAgIDEtaHMA0GCSqGSIb3DQEBCwUAMD0xCzAJBgNVBAYTAkRF\n\
MRYwFAYDVQQKDA1FeGFtcGxlLCBJbmMuMRYwFAYDVQQDDA1yc2EubG9jYWxob3N0\n\
MB4XDTI2MTEyNjEwMjEzN1oXDTQzMDUwMTEwMjEzN1owPTELMAkGA1UEBhMCREUx\n\
FjAUBgNVBAoMDUV4YW1wbGUsIEluYy4xFjAUBgNVBAMMDXJzYS5sb2NhbGhvc3Qw\n\
ggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQClcvGTfxuXOXOSRMnSa4+V\n\
h3Q+vTXZbcOZM7YtiqH0Akw2p8RfnaZSc4Obwa/8jzGTFIdBsm43RQ7KOUmaTC9G\n\
lIaWjPkm1JJfoBM0J4Ma4OdTyUGOvKeWtgt/U7W9ER3+XLo04elTDfAwTLR5YQuO\n\
+EuturDwzfvab9FJ50eLK5vrtL1tahZ9eVimRMsemMZ9COL/ZQ5r+oMqa8ecWfAJ\n\
xHHDJZsMZchD90PLs2F2fMv5CHHAb2gswaVCxEAqL/HCKNLv+lLbhBLS0lpkLM3Y\n\
++vtAPu9zIx8JQ6FTMUiEQBT3JD6qBauBYXkcjgRs9Ds7oEWJjdagwiuJfw/w+03\n\
AgMBAAGjajBoMAwGA1UdEwEB/wQCMAAwHwYDVR0lBBgwFgYIKwYBBQUHAwIGCisG\n\
AQQBgjcKAwQwGAYDVR0RBBEwD4INcnNhLmxvY2FsaG9zdDAdBgNVHQ4EFgQUGQIb\n\
Ryxcbr9oQDdQ9/E3MpGFEgowDQYJKoZIhvcNAQELBQADggEBAJs3uP7R/lWAMWGN\n\
8m2DUKPaLXRLT33nPvSeY2NrVNFkU6MR3JrcUtS95cW22zzGl0jqWIEsxGtZmIlm\n\
HoqLtxmxcWsn1uKNejQ7HuXCxd5ya2ka1Ds1qmturFJMvFV4v6VAvfaCszBkYqpU\n\
6CbkpKe9E5Psbw4104FgsYJez/ndANhukgSHubvlRynjExV/eV+Aqq226BHn7ZHN\n\
xK+0FcViplGn2ps2VshMVNB+cog+pbQB+akYN8VlpYQSHeNAAk3RIwPIl9U38B5b\n\
JhwteugjAm82IKKrTuV46DFZqa0ipa6wUrhCdY9eF/+LNmCrlZJT9NAu9lZxorO7\n\
yebf5b4=\n\
-----END CERTIFICATE-----\n\
";

    const ED25519_UNKNOWN_CRITICAL: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBODCB66ADAgECAgEHMAUGAytlcDAXMRUwEwYDVQQDDAxlZC5sb2NhbGhvc3Qw\n\
HhcNMjYxMTI2MTAyMTM3WhcNNDMwNTAxMTAyMTM3WjAXMRUwEwYDVQQDDAxlZC5s\n\
b2NhbGhvc3QwKjAFBgMrZXADIQBAITCNsqvqsWcXT43xNQVfg7d6VRP+tHsn8P10\n\
z82kOqNcMFowFwYDVR0RBBAwDoIMZWQubG9jYWxob3N0MAsGA1UdDwQEAwIHgDAT\n\
BgorBgEEAYOzOgEBAQH/BAIFADAdBgNVHQ4EFgQUGrS6/sIN6vKvorTknpEkHSBT\n\
ddQwBQYDK2VwA0EA17Pnlwoe6AXyGqcEC+KTPl+9RvJqoBUsCcmahYO9gg32YPJp\n\
aJJgopq9LkfwHT5K0GZhNafhfa9hHfYJw1M6Ag==\n\
-----END CERTIFICATE-----\n\
";

    const EXPIRED_2020: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB0DCCAXWgAwIBAgIBQjAKBggqhkjOPQQDAjBDMRAwDgYDVQQKDAdwa2ktbGFi\n\
MQ0wCwYDVQQLDAR0ZXN0MSAwHgYDVQQDDBdwa2ktbGFiIEludGVybWVkaWF0ZSBD\n\
QTAeFw0yMDAxMDEwMDAwMDBaFw0yMDAyMDEwMDAwMDBaMBwxGjAYBgNVBAMMEWV4\n\
cGlyZWQubG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExUAibeAK\n\
XwxzjWayGoooxUSj/06tqpkzRf1KohzwpgHNm/qMhM0TkKarV1Mc4/X/jk0jMvGP\n\
5cJYbEUy0hnR0KOBgDB+MAkGA1UdEwQCMAAwHAYDVR0RBBUwE4IRZXhwaXJlZC5s\n\
b2NhbGhvc3QwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHwYDVR0jBBgwFoAUgACuTY5N\n\
s70BTae84+D2VkFYmQEwHQYDVR0OBBYEFHI1EFRUmup9DEW+jlgz0JRCJg5rMAoG\n\
CCqGSM49BAMCA0kAMEYCIQCS8Ah4/Na4rkyeW9NPf2AEEa+zG/euE8CV1cRh5dHx\n\
JwIhAN7++3Aqd6Jl2MYWVS2+BZIQb0LOeJnwFNGed7aD+e40\n\
-----END CERTIFICATE-----\n\
";

    /// A moment when every certificate above except the 2020 one is valid.
    const NOW: OffsetDateTime = datetime!(2027-01-01 00:00:00 UTC);

    fn der_of(pem: &str) -> Vec<u8> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
        pem.contents
    }

    fn one(pem: &str) -> Described {
        describe(&der_of(pem), NOW).unwrap()
    }

    #[test]
    fn leaf_fields() {
        let d = one(LEAF_P256);
        assert_eq!(d.subject, "CN=valid.localhost");
        assert_eq!(d.issuer, "CN=pki-lab Intermediate CA, OU=test, O=pki-lab");
        assert_eq!(d.serial, "f1:e2:d3:c4:b5:a6:97:88");
        assert_eq!(d.not_before, "2026-11-26T10:21:37Z");
        assert_eq!(d.not_after, "2043-05-01T10:21:37Z");
        assert_eq!(d.validity_status, ValidityStatus::Valid);
        assert_eq!(d.key, "ECDSA P-256");
        assert_eq!(d.signature_algorithm, "ecdsa-with-SHA256");
        assert_eq!(
            d.sans,
            [
                "DNS:localhost",
                "DNS:valid.localhost",
                "IP:127.0.0.1",
                "IP:::1",
                "email:ops@localhost",
                "URI:https://localhost/"
            ]
        );
        assert!(d.sans.contains(&"IP:127.0.0.1".to_string()));
        assert_eq!(d.key_usage, ["digitalSignature"]);
        assert_eq!(d.extended_key_usage, ["serverAuth"]);
        assert!(!d.is_ca);
        assert_eq!(d.path_len, None);
        assert!(!d.self_signed);
        assert!(d.name_constraints.is_none());
        assert_eq!(d.authority_key_id.as_deref(), Some("80:00:AE:4D:8E:4D:B3:BD:01:4D:A7:BC:E3:E0:F6:56:41:58:99:01"));
        assert_eq!(d.subject_key_id.as_deref(), Some("B6:51:AA:79:BF:84:0A:F0:EA:46:B2:DF:B5:20:AD:51:3A:FC:0C:59"));
        assert_eq!(d.crl_distribution_points, ["http://127.0.0.1:8080/inter.crl"]);
        assert_eq!(
            d.sha256_fingerprint,
            "26:14:DD:F0:52:E4:59:D7:B4:81:0C:5D:96:DE:81:4B:F1:1E:47:33:7C:B2:9F:97:93:42:6B:CE:6F:DB:E5:1F"
        );
        let exts: Vec<(&str, &str, bool)> =
            d.extensions.iter().map(|e| (e.oid.as_str(), e.name.as_str(), e.critical)).collect();
        assert_eq!(
            exts,
            [
                ("2.5.29.19", "basicConstraints", false),
                ("2.5.29.15", "keyUsage", true),
                ("2.5.29.37", "extendedKeyUsage", false),
                ("2.5.29.17", "subjectAltName", false),
                ("2.5.29.14", "subjectKeyIdentifier", false),
                ("2.5.29.35", "authorityKeyIdentifier", false),
                ("2.5.29.31", "crlDistributionPoints", false),
            ]
        );
        assert!(d.unknown_critical_extensions.is_empty());
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn intermediate_with_pathlen_and_name_constraints() {
        let d = one(INTERMEDIATE_P256);
        assert_eq!(d.subject, "CN=pki-lab Intermediate CA, OU=test, O=pki-lab");
        assert_eq!(d.issuer, "CN=pki-lab Root CA, OU=test, O=pki-lab");
        assert_eq!(d.serial, "0a:1b:2c:3d");
        assert!(d.is_ca);
        assert_eq!(d.path_len, Some(0));
        assert!(!d.self_signed);
        assert_eq!(d.key, "ECDSA P-256");
        assert_eq!(d.signature_algorithm, "ecdsa-with-SHA384");
        assert_eq!(d.key_usage, ["keyCertSign", "cRLSign"]);
        assert!(d.extended_key_usage.is_empty());
        let nc = d.name_constraints.as_ref().unwrap();
        assert_eq!(nc.permitted, ["DNS:localhost", "IP:127.0.0.0/8", "IP:::1/128"]);
        assert!(nc.permitted.contains(&"IP:127.0.0.0/8".to_string()));
        assert_eq!(nc.excluded, ["DNS:.example.com", "IP:10.0.0.0/8"]);
        assert_eq!(d.crl_distribution_points, ["http://127.0.0.1:8080/root.crl"]);
        assert_eq!(d.authority_key_id.as_deref(), Some("35:71:C4:77:59:BC:01:D3:63:A7:80:FE:2B:6A:9F:BA:3D:4C:4E:56"));
    }

    #[test]
    fn root_is_self_signed_p384() {
        let d = one(ROOT_P384);
        assert_eq!(d.subject, "CN=pki-lab Root CA, OU=test, O=pki-lab");
        assert_eq!(d.subject, d.issuer);
        assert!(d.self_signed);
        assert!(d.is_ca);
        assert_eq!(d.path_len, None);
        assert_eq!(d.key, "ECDSA P-384");
        assert_eq!(d.signature_algorithm, "ecdsa-with-SHA384");
        assert_eq!(d.serial, "01");
        assert_eq!(d.authority_key_id, None);
        assert!(d.crl_distribution_points.is_empty());
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn rsa_2048() {
        let d = one(RSA_2048);
        assert_eq!(d.key, "RSA 2048 bits");
        assert_eq!(d.signature_algorithm, "sha256WithRSAEncryption");
        assert_eq!(d.subject, "CN=rsa.localhost, O=Example\\, Inc., C=DE");
        assert!(d.self_signed);
        assert!(!d.is_ca);
        assert_eq!(d.serial, "12:d6:87");
        assert_eq!(d.extended_key_usage, ["clientAuth", "1.3.6.1.4.1.311.10.3.4"]);
        assert_eq!(d.sans, ["DNS:rsa.localhost"]);
    }

    #[test]
    fn ed25519_with_unknown_critical_extension() {
        let d = one(ED25519_UNKNOWN_CRITICAL);
        assert_eq!(d.key, "Ed25519");
        assert_eq!(d.signature_algorithm, "ED25519");
        assert!(d.self_signed);
        assert!(!d.is_ca);
        assert_eq!(d.unknown_critical_extensions, ["1.3.6.1.4.1.55738.1.1"]);
        assert!(d.extensions.contains(&ExtensionDescribed {
            oid: "1.3.6.1.4.1.55738.1.1".to_string(),
            name: "unknown".to_string(),
            critical: true,
        }));
        let text = render_text(std::slice::from_ref(&d));
        assert!(text.contains("    critical    unknown critical extension 1.3.6.1.4.1.55738.1.1\n"));
        // No basic constraints extension at all.
        assert!(text.contains("    basic       (none)\n"), "{text}");
    }

    #[test]
    fn broken_self_signature_is_self_issued_not_self_signed() {
        let mut der = der_of(ED25519_UNKNOWN_CRITICAL);
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let d = describe(&der, NOW).unwrap();
        assert_eq!(d.subject, d.issuer);
        assert!(!d.self_signed);
        assert!(d.warnings.iter().any(|w| w.contains("self-issued, not self-signed")));
    }

    #[test]
    fn validity_status_and_note() {
        let der = der_of(EXPIRED_2020);
        let d = describe(&der, NOW).unwrap();
        assert_eq!(d.validity_status, ValidityStatus::Expired);
        assert_eq!(d.not_before, "2020-01-01T00:00:00Z");
        assert_eq!(d.not_after, "2020-02-01T00:00:00Z");

        let d = describe(&der, datetime!(2020-02-02 00:00:00 UTC)).unwrap();
        assert_eq!(d.validity_status, ValidityStatus::Expired);
        assert_eq!(d.validity_note, "expired 1 day ago");

        let d = describe(&der, datetime!(2019-12-30 22:00:00 UTC)).unwrap();
        assert_eq!(d.validity_status, ValidityStatus::NotYetValid);
        assert_eq!(d.validity_note, "valid from 1 day from now");

        let d = describe(&der, datetime!(2020-01-31 23:59:15 UTC)).unwrap();
        assert_eq!(d.validity_status, ValidityStatus::Valid);
        assert_eq!(d.validity_note, "expires in 45 seconds");

        // The leaf expires 2043-05-01 10:21:37 UTC: 89 days 23.5 hours is 90 days.
        let d = describe(&der_of(LEAF_P256), datetime!(2043-01-31 10:51:37 UTC)).unwrap();
        assert_eq!(d.validity_note, "expires in 90 days");

        // Both ends are inclusive (RFC 5280 4.1.2.5).
        let d = describe(&der, datetime!(2020-02-01 00:00:00 UTC)).unwrap();
        assert_eq!(d.validity_status, ValidityStatus::Valid);
        assert_eq!(d.validity_note, "expires in 0 seconds");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = describe(b"garbage", NOW).unwrap_err();
        assert_eq!(
            err,
            "expected a DER-encoded X.509 certificate (an ASN.1 SEQUENCE, first byte 0x30), \
             found first byte 0x67 ('g')"
        );
        let err = describe(b"", NOW).unwrap_err();
        assert_eq!(err, "expected a DER-encoded X.509 certificate, found empty input");
        let err = describe(LEAF_P256.as_bytes(), NOW).unwrap_err();
        assert!(err.contains("found PEM text"), "{err}");

        let der = der_of(LEAF_P256);
        for cut in [1, 2, 10, der.len() / 2, der.len() - 1] {
            let err = describe(&der[..cut], NOW).unwrap_err();
            assert!(err.starts_with("expected a DER-encoded X.509 certificate"), "{err}");
        }
        let mut trailing = der.clone();
        trailing.extend_from_slice(b"\n\n");
        let err = describe(&trailing, NOW).unwrap_err();
        assert!(err.contains("found 2 trailing byte(s)"), "{err}");

        // A SEQUENCE that is not a certificate.
        let err = describe(&[0x30, 0x03, 0x02, 0x01, 0x01], NOW).unwrap_err();
        assert!(err.contains("malformed"), "{err}");

        // Every single-byte corruption either parses or fails cleanly.
        for i in 0..der.len() {
            let mut bad = der.clone();
            bad[i] ^= 0xff;
            let _ = describe(&bad, NOW);
        }
    }

    #[test]
    fn pem_bundle_in_order_skipping_other_blocks() {
        let text = format!(
            "leaf first\n{LEAF_P256}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\
             {INTERMEDIATE_P256}{ROOT_P384}trailing words\n"
        );
        let chain = describe_pem_bundle(&text, NOW).unwrap();
        let subjects: Vec<&str> = chain.iter().map(|d| d.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "CN=valid.localhost",
                "CN=pki-lab Intermediate CA, OU=test, O=pki-lab",
                "CN=pki-lab Root CA, OU=test, O=pki-lab"
            ]
        );

        // CRLF line endings work too.
        let crlf = LEAF_P256.replace('\n', "\r\n");
        assert_eq!(describe_pem_bundle(&crlf, NOW).unwrap().len(), 1);
    }

    #[test]
    fn pem_bundle_errors() {
        let err = describe_pem_bundle("", NOW).unwrap_err();
        assert_eq!(
            err,
            "no CERTIFICATE block found in the PEM text: expected \"-----BEGIN CERTIFICATE-----\", \
             found no PEM block at all"
        );
        let err =
            describe_pem_bundle("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", NOW).unwrap_err();
        assert!(err.starts_with("no CERTIFICATE block found in "), "{err}");
        assert!(err.ends_with("found only PRIVATE KEY"), "{err}");

        let err = describe_pem_bundle("-----BEGIN CERTIFICATE-----\n!!notbase64!!\n-----END CERTIFICATE-----\n", NOW)
            .unwrap_err();
        assert!(err.starts_with("PEM block 1 is malformed"), "{err}");

        let err = describe_pem_bundle("-----BEGIN CERTIFICATE-----\nMIIB5DCCAWqg\n", NOW).unwrap_err();
        assert!(err.starts_with("PEM block 1 is malformed"), "{err}");

        let text = format!("{LEAF_P256}-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n");
        let err = describe_pem_bundle(&text, NOW).unwrap_err();
        assert!(err.starts_with("certificate [1] (PEM block 2): expected a DER-encoded"), "{err}");
    }

    #[test]
    fn render_leaf_block_exactly() {
        let d = describe(&der_of(LEAF_P256), datetime!(2043-01-31 10:51:37 UTC)).unwrap();
        let expected = "\
[0] CN=valid.localhost (leaf)
    issuer      CN=pki-lab Intermediate CA, OU=test, O=pki-lab
    serial      f1:e2:d3:c4:b5:a6:97:88
    validity    2026-11-26 10:21 UTC .. 2043-05-01 10:21 UTC (expires in 90 days)
    SANs        DNS:localhost, DNS:valid.localhost, IP:127.0.0.1, IP:::1, email:ops@localhost, URI:https://localhost/
    key         ECDSA P-256
    signature   ecdsa-with-SHA256
    basic       CA:FALSE
    key usage   digitalSignature (critical)
    ext usage   serverAuth
    AKI         80:00:AE:4D:8E:4D:B3:BD:01:4D:A7:BC:E3:E0:F6:56:41:58:99:01
    SKI         B6:51:AA:79:BF:84:0A:F0:EA:46:B2:DF:B5:20:AD:51:3A:FC:0C:59
    CRL DP      http://127.0.0.1:8080/inter.crl
    sha256      26:14:DD:F0:52:E4:59:D7:B4:81:0C:5D:96:DE:81:4B:F1:1E:47:33:7C:B2:9F:97:93:42:6B:CE:6F:DB:E5:1F
";
        assert_eq!(render_text(&[d]), expected);
    }

    #[test]
    fn render_chain() {
        let text = format!("{LEAF_P256}{INTERMEDIATE_P256}{ROOT_P384}");
        let chain = describe_pem_bundle(&text, NOW).unwrap();
        let out = render_text(&chain);
        assert!(out.starts_with("[0] CN=valid.localhost (leaf)\n"), "{out}");
        assert!(out.contains("\n\n[1] CN=pki-lab Intermediate CA, OU=test, O=pki-lab (intermediate CA)\n"));
        assert!(out.contains("\n\n[2] CN=pki-lab Root CA, OU=test, O=pki-lab (root CA)\n"));
        assert!(out.contains("    basic       CA:TRUE, pathlen:0 (critical)\n"));
        assert!(out.contains(
            "    name constr permitted DNS:localhost, IP:127.0.0.0/8, IP:::1/128 (critical)\n\
             \x20               excluded DNS:.example.com, IP:10.0.0.0/8 (critical)\n"
        ));
        assert!(!out.contains("chain       "), "{out}");

        // Out of order: the leaf's issuer is not the next certificate's subject.
        let wrong = [chain[0].clone(), chain[2].clone()];
        let out = render_text(&wrong);
        assert!(out.contains(
            "    chain       issuer does not match the subject of [1] (CN=pki-lab Root CA, OU=test, O=pki-lab)\n"
        ));
        assert_eq!(render_text(&[]), "");
    }

    #[test]
    fn long_san_lists_are_cut_in_text_only() {
        let mut d = one(LEAF_P256);
        d.sans = (0..1000).map(|i| format!("DNS:host{i}.localhost")).collect();
        let text = render_text(std::slice::from_ref(&d));
        assert!(text.contains(
            "    SANs        DNS:host0.localhost, DNS:host1.localhost, DNS:host2.localhost, \
             DNS:host3.localhost, DNS:host4.localhost, DNS:host5.localhost, DNS:host6.localhost, \
             DNS:host7.localhost, DNS:host8.localhost, DNS:host9.localhost, … and 990 more\n"
        ));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["sans"].as_array().unwrap().len(), 1000);
    }

    #[test]
    fn json_keys_are_stable() {
        let d = one(INTERMEDIATE_P256);
        let json = serde_json::to_value(&d).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = DESCRIBED_FIELDS.to_vec();
        // serde_json's map is sorted unless its preserve_order feature is on.
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted_keys, expected);
        assert_eq!(json["validity_status"], "valid");
        assert_eq!(json["path_len"], 0);
        assert_eq!(json["name_constraints"]["permitted"][1], "IP:127.0.0.0/8");
        assert_eq!(json["extensions"][0]["name"], "basicConstraints");
        assert_eq!(json["extensions"][0]["critical"], true);

        let expired = one(EXPIRED_2020);
        let json = serde_json::to_value(&expired).unwrap();
        assert_eq!(json["validity_status"], "expired");
        assert_eq!(json["path_len"], serde_json::Value::Null);
        assert_eq!(json["name_constraints"], serde_json::Value::Null);
        let early = describe(&der_of(EXPIRED_2020), datetime!(2019-01-01 00:00:00 UTC)).unwrap();
        assert_eq!(serde_json::to_value(&early).unwrap()["validity_status"], "not-yet-valid");
    }

    #[test]
    fn ip_and_cidr_forms() {
        assert_eq!(ip_cidr(&[10, 0, 0, 0, 255, 0, 0, 0]), "10.0.0.0/8");
        assert_eq!(ip_cidr(&[192, 168, 1, 0, 255, 255, 255, 0]), "192.168.1.0/24");
        assert_eq!(ip_cidr(&[0, 0, 0, 0, 0, 0, 0, 0]), "0.0.0.0/0");
        assert_eq!(ip_cidr(&[10, 0, 0, 0, 255, 0, 255, 0]), "10.0.0.0/255.0.255.0");
        let mut v6 = [0u8; 32];
        v6[0] = 0xfd;
        v6[16] = 0xff;
        assert_eq!(ip_cidr(&v6), "fd00::/8");
        assert_eq!(ip_cidr(&[1, 2, 3]), "<invalid 3-byte address and mask 01:02:03>");
        assert_eq!(ip_string(&[127, 0, 0, 1]), "127.0.0.1");
        assert_eq!(ip_string(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), "::1");
        assert_eq!(ip_string(&[1, 2]), "<invalid 2-byte address 01:02>");
    }

    #[test]
    fn rfc4514_escaping_and_helpers() {
        assert_eq!(escape_rfc4514("Example, Inc."), "Example\\, Inc.");
        assert_eq!(escape_rfc4514("#1 a+b "), "\\#1 a\\+b\\ ");
        assert_eq!(escape_rfc4514(" x"), "\\ x");
        assert_eq!(escape_rfc4514("a\nb"), "a\\0ab");
        assert_eq!(escape_rfc4514(""), "");
        assert_eq!(serial_string(&[0x00, 0x80, 0x01]), "80:01");
        assert_eq!(serial_string(&[0x00]), "00");
        assert_eq!(serial_string(&[0x00, 0x7f]), "00:7f");
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(short_time("2026-11-26T09:12:59Z"), "2026-11-26 09:12 UTC");
        assert_eq!(short_time("not a time"), "not a time");
    }
    #[test]
    fn input_is_told_apart_by_its_content() {
        let now = datetime!(2026-12-01 00:00 UTC);
        let pem = ROOT_P384.as_bytes();
        let der = Pem::iter_from_buffer(pem).next().unwrap().unwrap().contents;
        for input in [pem, der.as_slice()] {
            match describe_input(input, now) {
                Ok(Inspected::Certificates(c)) => assert_eq!(c[0].subject, "CN=pki-lab Root CA, OU=test, O=pki-lab"),
                other => panic!("{other:?}"),
            }
        }
        let refused = |input: &[u8]| describe_input(input, now).expect_err("refused");
        for (input, found) in [
            (&b""[..], "found an empty file"),
            (b" \n\t", "found only white space"),
            (b"hello world\n", "found text that is not PEM: \"hello world\""),
            (b"\x00\x01\x02", "found 3 bytes of binary data beginning 00 01 02"),
            (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "found only PRIVATE KEY"),
        ] {
            let e = refused(input);
            assert!(e.contains(found), "{e}");
        }
        assert!(refused(b"hello").starts_with(EXPECTED_INPUT));
        // DER that is neither says what both readers found.
        let e = refused(&[0x30, 0x00]);
        assert!(e.contains("as a certificate, expected a DER-encoded X.509 certificate"), "{e}");
        assert!(e.contains("as a CRL, expected a DER-encoded X.509 CRL"), "{e}");
        assert_eq!(reason_name(1), "keyCompromise");
        assert_eq!(reason_name(7), "unknown reason 7");
    }
}

//! Keys, signature algorithms and signature checks: the helpers are [`crate::pki::x509`]'s,
//! shared with `inspect`; what is the rules' own is here.

pub(super) use crate::pki::x509::{Key, alg_name, key_of, oid_name, verify_cert, verify_signed, weak_hash};

/// Extensions a client understands: a critical one outside this list must make it refuse the
/// certificate. The brief's list (RFC 5280's path-validation extensions) plus the key
/// identifiers and CRL distribution points, which every client parses.
pub(super) const KNOWN_CRITICAL: &[(&str, &str)] = &[
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
    // Known, so that a critical one is encoding.aia's failure and not this rule's too.
    ("1.3.6.1.5.5.7.1.1", "authorityInfoAccess"),
];

/// Every copy of the extension `oid` in `x` (more than one is `encoding.duplicate-extension`'s
/// failure; the other rules look at each copy).
pub(super) fn exts<'x, 'a>(
    x: &'x x509_parser::certificate::X509Certificate<'a>,
    oid: &str,
) -> Vec<&'x x509_parser::extensions::X509Extension<'a>> {
    x.extensions().iter().filter(|e| e.oid.to_id_string() == oid).collect()
}

/// Fail with every finding joined, or pass with `pass`.
pub(super) fn decide(fails: Vec<String>, pass: impl FnOnce() -> String) -> (super::engine::Status, String) {
    if fails.is_empty() {
        (super::engine::Status::Pass, pass())
    } else {
        (super::engine::Status::Fail, fails.join("; "))
    }
}

/// Dotted OIDs of the extensions the rule families read (the rest are in [`crate::pki::x509::oid`]).
pub(super) mod ext_oid {
    pub const SKI: &str = "2.5.29.14";
    pub const KEY_USAGE: &str = "2.5.29.15";
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    pub const CRL_NUMBER: &str = "2.5.29.20";
    pub const ISSUING_DP: &str = "2.5.29.28";
    pub const CRL_DP: &str = "2.5.29.31";
    pub const AKI: &str = "2.5.29.35";
    pub const EKU: &str = "2.5.29.37";
    pub const AIA: &str = "1.3.6.1.5.5.7.1.1";
}

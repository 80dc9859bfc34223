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
];

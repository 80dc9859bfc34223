//! The rules a TLS client checks, as one table read top to bottom.
//!
//! Each scenario of the catalogue breaks at most one of these (its `breaks:` field names the id).
//! The ids are stable: the manifest, the labs and `probe --expect` use them. [`RuleId`] is the
//! only place an id is spelled; everything else names a variant, so a typo does not compile and
//! `verdict::engine` must decide every rule (its match has no catch-all arm).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::suggest;

/// The five steps of the handshake as pki-lab teaches it (see README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Hello,
    Certificate,
    Verification,
    KeyExchange,
    SecureCommunication,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Hello => "hello",
            Step::Certificate => "certificate",
            Step::Verification => "verification",
            Step::KeyExchange => "key-exchange",
            Step::SecureCommunication => "secure-communication",
        }
    }
}

/// Where a rule is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// From files alone: `verify`, and `probe` on the chain the server sent.
    Offline,
    /// Only in a live handshake: `probe` (the key a server signs with, what it asks of clients).
    Live,
}

/// How binding a rule is: what a standard requires, or what only some clients apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A MUST of an IETF standard for the validator (RFC 5280 §6, RFC 9525, RFC 8446).
    Must,
    /// A CA/Browser Forum Baseline Requirement: publicly trusted CAs must not issue this.
    Baseline,
    /// Applied by some clients only (a browser policy, a library's choice).
    SomeClients,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Must => "must",
            Class::Baseline => "baseline",
            Class::SomeClients => "some-clients",
        }
    }
}

/// One check a client makes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, `group.name`.
    pub id: RuleId,
    pub step: Step,
    pub kind: Kind,
    pub class: Class,
    /// Where the rule is written (`RFC 5280 §4.2.1.9`, `BR §7.1.2.7`, …).
    pub source: &'static str,
    /// What the client checks, in one line.
    pub check: &'static str,
}

/// Declares [`RuleId`] and [`RULES`] from one list, so the two cannot drift apart.
macro_rules! rules {
    ($($variant:ident = $id:literal, $step:ident, $kind:ident, $class:ident, $source:literal, $check:literal;)*) => {
        /// A rule's identity. Serialises to (and parses from) its stable `group.name` id.
        /// Variants are in table order, so sorting ids sorts them in the order clients meet them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant,)*
        }

        impl RuleId {
            /// The stable id, `group.name`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }

        /// Every rule, in the order a client meets them.
        pub const RULES: &[Rule] = &[
            $(Rule {
                id: RuleId::$variant,
                step: Step::$step,
                kind: Kind::$kind,
                class: Class::$class,
                source: $source,
                check: $check,
            },)*
        ];
    };
}

rules! {
    // Validity (RFC 5280 §4.1.2.5).
    ValidityExpired = "validity.expired", Verification, Offline, Must, "RFC 5280 §4.1.2.5, §6.1.3 (a)(2)",
        "every certificate in the path is used before its notAfter";
    ValidityNotYetValid = "validity.not-yet-valid", Verification, Offline, Must, "RFC 5280 §4.1.2.5, §6.1.3 (a)(2)",
        "every certificate in the path is used after its notBefore";
    ValidityInverted = "validity.inverted", Verification, Offline, Must, "RFC 5280 §4.1.2.5",
        "every certificate's notBefore is not after its notAfter";
    ValidityOver398Days = "validity.over-398-days", Verification, Offline, Baseline, "BR §6.3.2",
        "the leaf's lifetime is at most 398 days";
    ValidityOver825Days = "validity.over-825-days", Verification, Offline, SomeClients, "Apple TLS policy (2019); BR §6.3.2 before 2020",
        "the leaf's lifetime is at most 825 days";
    // Service identity (RFC 9525, RFC 5280 §4.2.1.6, BR §7.1.2.7.12).
    NameMismatch = "name.mismatch", Verification, Offline, Must, "RFC 9525 §6.3, §6.4",
        "the host name matches a DNS or IP entry of the leaf's subjectAltName";
    NameNoSan = "name.no-san", Verification, Offline, Must, "RFC 9525 §6.2.1; BR §7.1.2.7.12",
        "the leaf has a subjectAltName (the subject CN alone is not a name)";
    NameSanEmpty = "name.san-empty", Verification, Offline, Must, "RFC 5280 §4.2.1.6",
        "a subjectAltName extension holds at least one name";
    NameSanCritical = "name.san-critical", Verification, Offline, Must, "RFC 5280 §4.2.1.6",
        "subjectAltName is critical when the subject is empty, and not critical otherwise";
    NameSanSyntax = "name.san-syntax", Verification, Offline, Baseline, "RFC 5280 §4.2.1.6; RFC 1034 §3.5; BR §7.1.2.7.12",
        "every dNSName is a preferred-syntax host name (LDH labels, A-labels, no underscore)";
    NameIpInDns = "name.ip-in-dns", Verification, Offline, Baseline, "BR §7.1.2.7.12; RFC 9525 §6.4",
        "IP addresses appear only as iPAddress entries, never as a dNSName";
    NameWildcardPosition = "name.wildcard-position", Verification, Offline, Must, "RFC 9525 §6.3; BR §7.1.2.7.12",
        "a wildcard is the whole leftmost label (`*.example.com`), never partial or deeper";
    NameWildcardPublicSuffix = "name.wildcard-public-suffix", Verification, Offline, Baseline, "BR §3.2.2.6",
        "a wildcard never covers a whole public suffix (`*.co.uk`)";
    NameCnNotInSan = "name.cn-not-in-san", Verification, Offline, Baseline, "BR §7.1.4.3",
        "a subject CN that names a subjectAltName value is its exact copy (A-label, canonical IP text)";
    // Trust anchors (RFC 5280 §6.1, RFC 5937).
    TrustUnknownRoot = "trust.unknown-root", Verification, Offline, Must, "RFC 5280 §6.1.1 (d)",
        "the chain ends at a root the client trusts";
    TrustSelfSigned = "trust.self-signed", Verification, Offline, Must, "RFC 5280 §6.1.1 (d)",
        "the leaf is issued by a CA, not signed by itself";
    TrustAnchorExpired = "trust.anchor-expired", Verification, Offline, SomeClients, "RFC 5937 §3; RFC 5280 §6.1.1 (d)",
        "the trust anchor itself is within its validity (OpenSSL checks; RFC 5280 and webpki do not)";
    TrustAnchorNotCa = "trust.anchor-not-ca", Verification, Offline, SomeClients, "RFC 5937 §3; RFC 5280 §4.1.2.6, §4.2.1.3, §4.2.1.9",
        "the trust anchor is a CA: non-empty subject, critical CA:TRUE, keyCertSign if keyUsage is present";
    // Path building (RFC 5280 §6.1, RFC 4158, RFC 8446 §4.4.2).
    ChainIncomplete = "chain.incomplete", Verification, Offline, SomeClients, "RFC 8446 §4.4.2; RFC 5280 §4.2.2.1 (AIA fetching)",
        "the server sends the intermediates between its leaf and the root";
    ChainDuplicateCertificate = "chain.duplicate-certificate", Certificate, Offline, SomeClients, "RFC 8446 §4.4.2",
        "the server sends each certificate once";
    ChainMaxDepth = "chain.max-depth", Verification, Offline, SomeClients, "RFC 4158 §2.5; webpki (6 intermediates), OpenSSL -verify_depth",
        "the path has no more certificates than the client's maximum depth";
    ChainIssuerNotCa = "chain.issuer-not-ca", Verification, Offline, Must, "RFC 5280 §6.1.4 (k)",
        "every issuer in the path has basicConstraints CA:TRUE";
    ChainLeafIsCa = "chain.leaf-is-ca", Verification, Offline, Baseline, "BR §7.1.2.7.8",
        "the leaf is an end entity, not a CA certificate";
    ChainPathLength = "chain.path-length", Verification, Offline, Must, "RFC 5280 §4.2.1.9, §6.1.4 (l)(m)",
        "no CA has more non-self-issued CAs below it than its pathLenConstraint allows";
    // Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c)).
    ChainNameConstraints = "chain.name-constraints", Verification, Offline, Must, "RFC 5280 §4.2.1.10, §6.1.3 (b)(c)",
        "every name below a CA lies inside its permitted and outside its excluded subtrees";
    ChainNameConstraintsMalformed = "chain.name-constraints-malformed", Verification, Offline, Must, "RFC 5280 §4.2.1.10",
        "name constraints are only in CAs and well formed (not empty, DNS without a leading dot, IP and prefix mask, minimum 0, no maximum)";
    ChainNameConstraintsUnsupported = "chain.name-constraints-unsupported", Verification, Offline, Must, "RFC 5280 §4.2.1.10, §6.1.3 (b)",
        "a constraint on a name form the client cannot check makes the path fail";
    ChainNameConstraintsBudget = "chain.name-constraints-budget", Verification, Offline, SomeClients, "webpki (250,000 comparisons); RFC 4158 §3.3",
        "checking names against constraints stays within the client's work budget";
    // Key identifiers (RFC 5280 §4.2.1.1, §4.2.1.2).
    KeyIdAkiMissing = "keyid.aki-missing", Verification, Offline, Must, "RFC 5280 §4.2.1.1",
        "every certificate but a self-signed root has an authorityKeyIdentifier";
    KeyIdAkiMalformed = "keyid.aki-malformed", Verification, Offline, Must, "RFC 5280 §4.2.1.1",
        "authorityKeyIdentifier is not critical and carries a keyIdentifier";
    KeyIdSkiMissing = "keyid.ski-missing", Verification, Offline, Must, "RFC 5280 §4.2.1.2",
        "every CA certificate has a subjectKeyIdentifier";
    KeyIdSkiCritical = "keyid.ski-critical", Verification, Offline, Must, "RFC 5280 §4.2.1.2",
        "subjectKeyIdentifier is not critical";
    // Basic constraints and key usage (RFC 5280 §4.2.1.3, §4.2.1.9).
    UsageBasicConstraintsCritical = "usage.basic-constraints-critical", Verification, Offline, Must, "RFC 5280 §4.2.1.9",
        "a CA's basicConstraints is marked critical";
    UsageKeyCertSignNotCa = "usage.keycertsign-not-ca", Verification, Offline, Must, "RFC 5280 §4.2.1.3, §4.2.1.9",
        "keyCertSign is set only in certificates with basicConstraints CA:TRUE";
    UsageCaWithoutKeyCertSign = "usage.ca-without-keycertsign", Verification, Offline, Must, "RFC 5280 §6.1.4 (n)",
        "every issuing CA whose keyUsage is present has keyCertSign";
    UsageLeafKeyUsage = "usage.leaf-key-usage", Verification, Offline, Must, "RFC 5280 §4.2.1.3; RFC 8446 §4.4.2.2; BR §7.1.2.7.11",
        "the leaf's keyUsage fits its key (digitalSignature to sign; keyEncipherment only for RSA)";
    // Extended key usage (RFC 5280 §4.2.1.12, BR §7.1.2.7.10).
    PurposeEku = "purpose.eku", Verification, Offline, Must, "RFC 5280 §4.2.1.12",
        "the leaf's extendedKeyUsage, when present, allows serverAuth (anyExtendedKeyUsage counts, as RFC 5280 says)";
    PurposeAnyEku = "purpose.any-eku", Verification, Offline, Baseline, "BR §7.1.2.7.10",
        "anyExtendedKeyUsage is not accepted in place of serverAuth";
    PurposeEkuMissing = "purpose.eku-missing", Verification, Offline, Baseline, "BR §7.1.2.7.10",
        "the leaf has an extendedKeyUsage (webpki and OpenSSL accept none as any purpose)";
    PurposeEkuCritical = "purpose.eku-critical", Verification, Offline, Baseline, "BR §7.1.2.7.10",
        "extendedKeyUsage is not critical";
    PurposeCaEku = "purpose.ca-eku", Verification, Offline, SomeClients, "webpki and Go (EKU chaining); BR §7.1.2.10.6",
        "every CA's extendedKeyUsage, when present, includes serverAuth";
    // Signatures, keys and algorithms (RFC 5280 §4.1.1.2, BR §6.1.5, §7.1.3).
    SignatureInvalid = "signature.invalid", Verification, Offline, Must, "RFC 5280 §6.1.3 (a)(1)",
        "each signature in the path verifies with its issuer's public key";
    SignatureAlgorithmMismatch = "signature.algorithm-mismatch", Verification, Offline, Must, "RFC 5280 §4.1.1.2",
        "the signatureAlgorithm outside equals the signature field inside tbsCertificate";
    SignatureWeakAlgorithm = "signature.weak-algorithm", Verification, Offline, Baseline, "BR §7.1.3.2",
        "signatures use an accepted algorithm (no SHA-1, no MD5)";
    SignatureRsaPssParams = "signature.rsa-pss-params", Verification, Offline, Baseline, "BR §7.1.3.2; RFC 4055 §3.1",
        "RSA-PSS parameters are well formed (one hash throughout, salt as long as the hash)";
    KeyTooWeak = "key.too-weak", Verification, Offline, Baseline, "BR §6.1.5",
        "public keys are strong enough (RSA at least 2048 bits)";
    KeyAlgorithm = "key.algorithm", Verification, Offline, Baseline, "BR §6.1.5, §7.1.3.1",
        "public keys are RSA, ECDSA P-256/P-384/P-521 or Ed25519 (no DSA, no P-192)";
    KeyRsaModulus = "key.rsa-modulus", Verification, Offline, Baseline, "BR §6.1.5, §6.1.6",
        "an RSA modulus is a multiple of 8 bits and its exponent odd and at least 3";
    // Encoding and fields (RFC 5280 §4.1, §4.2).
    EncodingSerial = "encoding.serial", Verification, Offline, Must, "RFC 5280 §4.1.2.2",
        "serial numbers are positive, non-zero and at most 20 octets";
    EncodingTime = "encoding.time", Verification, Offline, Must, "RFC 5280 §4.1.2.5",
        "validity dates through 2049 are UTCTime, from 2050 GeneralizedTime";
    EncodingVersion = "encoding.version", Verification, Offline, Must, "RFC 5280 §4.1.2.1",
        "a certificate with extensions is version 3";
    EncodingDuplicateExtension = "encoding.duplicate-extension", Verification, Offline, Must, "RFC 5280 §4.2",
        "no extension appears twice in one certificate";
    EncodingAia = "encoding.aia", Verification, Offline, Must, "RFC 5280 §4.2.2.1, §4.2.1.13",
        "authorityInfoAccess and cRLDistributionPoints are well formed and not critical";
    ExtensionUnknownCritical = "extension.unknown-critical", Verification, Offline, Must, "RFC 5280 §4.2",
        "no certificate in the path, root included, has a critical extension the client does not know";
    // Revocation (RFC 5280 §5, §6.3).
    RevocationRevoked = "revocation.revoked", Verification, Offline, Must, "RFC 5280 §6.3.3 (i)",
        "no certificate in the path is listed in its issuer's CRL";
    RevocationCrlSignature = "revocation.crl-signature", Verification, Offline, Must, "RFC 5280 §6.3.3 (g)",
        "each CRL verifies with its issuer's public key";
    RevocationCrlSign = "revocation.crl-sign", Verification, Offline, Must, "RFC 5280 §6.3.3 (f)",
        "a CRL issuer whose keyUsage is present has cRLSign";
    RevocationCrlNumber = "revocation.crl-number", Verification, Offline, Must, "RFC 5280 §5.2.3",
        "a CRL has a non-critical cRLNumber";
    RevocationCrlStale = "revocation.crl-stale", Verification, Offline, Must, "RFC 5280 §6.3.3 (a)(2), §5.1.2.4-5",
        "the CRL's thisUpdate has passed and its nextUpdate has not";
    RevocationCrlScope = "revocation.crl-scope", Verification, Offline, Must, "RFC 5280 §6.3.3 (b), §5.2.5",
        "each CRL used covers the certificate (issuer and issuingDistributionPoint scope)";
    // Live only: the handshake itself (RFC 8446 §4.4).
    HandshakeKeyMismatch = "handshake.key-mismatch", KeyExchange, Live, Must, "RFC 8446 §4.4.3",
        "CertificateVerify is signed by the key of the presented certificate";
    ClientCertRequired = "client.cert-required", Verification, Live, Must, "RFC 8446 §4.3.2, §4.4.2.4",
        "(server side) the client presents a certificate when asked";
    ClientCertUntrusted = "client.cert-untrusted", Verification, Live, Must, "RFC 8446 §4.4.2.4",
        "(server side) the client's certificate chains to a root the server trusts";
}

impl RuleId {
    /// This rule's row of [`RULES`].
    pub fn rule(self) -> &'static Rule {
        // The table is declared in variant order, so the discriminant is the index.
        &RULES[self as usize]
    }

    pub fn step(self) -> Step {
        self.rule().step
    }

    pub fn kind(self) -> Kind {
        self.rule().kind
    }

    /// The group, the part before the dot (`validity`, `name`, …).
    pub fn group(self) -> &'static str {
        self.as_str().split_once('.').map_or(self.as_str(), |(group, _)| group)
    }

    /// Ids joined by `sep`, for one line of text.
    pub fn join<'a>(ids: impl IntoIterator<Item = &'a RuleId>, sep: &str) -> String {
        ids.into_iter().map(|r| r.as_str()).collect::<Vec<_>>().join(sep)
    }

    /// Every id, in table order.
    pub fn all() -> impl Iterator<Item = RuleId> {
        RULES.iter().map(|r| r.id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so `{:<20}` aligns ids in tables.
        f.pad(self.as_str())
    }
}

/// Compares with the stable id, so tests can say `assert_eq!(failed, ["validity.expired"])`.
impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An id that is not in the table; its message suggests the closest one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule {
    pub given: String,
    pub suggestion: Option<RuleId>,
}

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown rule `{}`", self.given)?;
        if let Some(s) = self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRule {}

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<RuleId, UnknownRule> {
        RuleId::all().find(|r| r.as_str() == s).ok_or_else(|| UnknownRule {
            given: s.to_string(),
            suggestion: suggest(s, RuleId::all().map(RuleId::as_str)).and_then(|s| s.parse().ok()),
        })
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RuleId, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One value of `--expect`: `pass` (no rule fails), or a rule that must fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Pass,
    Fails(RuleId),
}

impl Expected {
    /// Whether `failed` is exactly the set of rules `expect` names (`pass` names none), in any
    /// order: what `--expect` means for probe and verify alike.
    pub fn holds(expect: &[Expected], failed: &[RuleId]) -> bool {
        let want: std::collections::BTreeSet<RuleId> = expect
            .iter()
            .filter_map(|e| match e {
                Expected::Pass => None,
                Expected::Fails(rule) => Some(*rule),
            })
            .collect();
        want == failed.iter().copied().collect()
    }
}

impl FromStr for Expected {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Expected, UnknownRule> {
        if s == "pass" { Ok(Expected::Pass) } else { s.parse().map(Expected::Fails) }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Pass => f.write_str("pass"),
            Expected::Fails(rule) => rule.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_grouped_and_in_table_order() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(RULES.iter().all(|r| r.id.as_str().split_once('.').is_some()));
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id as usize, i);
            assert_eq!(r.id.rule().id, r.id);
        }
    }

    #[test]
    fn ids_round_trip_through_serde_and_from_str() {
        for id in RuleId::all() {
            let json = serde_json::to_string(&id).expect("serialise");
            assert_eq!(json, format!("\"{}\"", id.as_str()));
            assert_eq!(serde_json::from_str::<RuleId>(&json).expect("parse"), id);
            assert_eq!(id.as_str().parse::<RuleId>(), Ok(id));
        }
        let err = "validity.expird".parse::<RuleId>().expect_err("a typo");
        assert_eq!(err.to_string(), "unknown rule `validity.expird`; did you mean `validity.expired`?");
        assert_eq!("nothing".parse::<RuleId>().expect_err("no such rule").suggestion, None);
    }
}

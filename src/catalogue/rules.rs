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

/// One check a client makes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, `group.name`.
    pub id: RuleId,
    pub step: Step,
    pub kind: Kind,
    /// What the client checks, in one line.
    pub check: &'static str,
}

/// Declares [`RuleId`] and [`RULES`] from one list, so the two cannot drift apart.
macro_rules! rules {
    ($($variant:ident = $id:literal, $step:ident, $kind:ident, $check:literal;)*) => {
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
            $(Rule { id: RuleId::$variant, step: Step::$step, kind: Kind::$kind, check: $check },)*
        ];
    };
}

rules! {
    ValidityExpired = "validity.expired", Verification, Offline,
        "every certificate in the path is used before its notAfter";
    ValidityNotYetValid = "validity.not-yet-valid", Verification, Offline,
        "every certificate in the path is used after its notBefore";
    NameMismatch = "name.mismatch", Verification, Offline,
        "the host name matches a DNS or IP entry of the leaf's subjectAltName";
    NameNoSan = "name.no-san", Verification, Offline,
        "the leaf has a subjectAltName (the subject CN alone is not a name)";
    TrustUnknownRoot = "trust.unknown-root", Verification, Offline,
        "the chain ends at a root the client trusts";
    TrustSelfSigned = "trust.self-signed", Verification, Offline,
        "the leaf is issued by a CA, not signed by itself";
    ChainIncomplete = "chain.incomplete", Verification, Offline,
        "the server sends the intermediates between its leaf and the root";
    ChainIssuerNotCa = "chain.issuer-not-ca", Verification, Offline,
        "every issuer in the path has basicConstraints CA:TRUE";
    ChainLeafIsCa = "chain.leaf-is-ca", Verification, Offline,
        "the leaf is an end entity, not a CA certificate";
    ChainPathLength = "chain.path-length", Verification, Offline,
        "no CA has more CAs below it than its pathLenConstraint allows";
    ChainNameConstraints = "chain.name-constraints", Verification, Offline,
        "every name of the leaf lies inside its issuers' permitted subtrees";
    PurposeEku = "purpose.eku", Verification, Offline,
        "the leaf's extendedKeyUsage allows serverAuth";
    SignatureInvalid = "signature.invalid", Verification, Offline,
        "each signature in the path verifies with its issuer's public key";
    SignatureWeakAlgorithm = "signature.weak-algorithm", Verification, Offline,
        "signatures use an accepted algorithm (no SHA-1, no MD5)";
    KeyTooWeak = "key.too-weak", Verification, Offline,
        "public keys are strong enough (RSA at least 2048 bits)";
    ExtensionUnknownCritical = "extension.unknown-critical", Verification, Offline,
        "no extension marked critical is unknown to the client";
    RevocationRevoked = "revocation.revoked", Verification, Offline,
        "no certificate in the path is listed in its issuer's CRL";
    HandshakeKeyMismatch = "handshake.key-mismatch", KeyExchange, Live,
        "CertificateVerify is signed by the key of the presented certificate";
    ClientCertRequired = "client.cert-required", Verification, Live,
        "(server side) the client presents a certificate when asked";
    ClientCertUntrusted = "client.cert-untrusted", Verification, Live,
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

//! The rules a TLS client checks, as one table read top to bottom.
//!
//! Each scenario of the catalogue breaks at most one of these (its `breaks:` field names the id).
//! The ids are stable: the manifest, the labs and `probe --expect` use them.

use serde::Serialize;

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

/// One check a client makes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, `group.name`.
    pub id: &'static str,
    pub step: Step,
    /// What the client checks, in one line.
    pub check: &'static str,
}

/// Every rule, in the order a client meets them.
pub const RULES: &[Rule] = &[
    rule("validity.expired", Step::Verification, "every certificate in the path is used before its notAfter"),
    rule("validity.not-yet-valid", Step::Verification, "every certificate in the path is used after its notBefore"),
    rule("name.mismatch", Step::Verification, "the host name matches a DNS or IP entry of the leaf's subjectAltName"),
    rule("name.no-san", Step::Verification, "the leaf has a subjectAltName (the subject CN alone is not a name)"),
    rule("trust.unknown-root", Step::Verification, "the chain ends at a root the client trusts"),
    rule("trust.self-signed", Step::Verification, "the leaf is issued by a CA, not signed by itself"),
    rule("chain.incomplete", Step::Verification, "the server sends the intermediates between its leaf and the root"),
    rule("chain.issuer-not-ca", Step::Verification, "every issuer in the path has basicConstraints CA:TRUE"),
    rule("chain.leaf-is-ca", Step::Verification, "the leaf is an end entity, not a CA certificate"),
    rule("chain.path-length", Step::Verification, "no CA has more CAs below it than its pathLenConstraint allows"),
    rule(
        "chain.name-constraints",
        Step::Verification,
        "every name of the leaf lies inside its issuers' permitted subtrees",
    ),
    rule("purpose.eku", Step::Verification, "the leaf's extendedKeyUsage allows serverAuth"),
    rule("signature.invalid", Step::Verification, "each signature in the path verifies with its issuer's public key"),
    rule("signature.weak-algorithm", Step::Verification, "signatures use an accepted algorithm (no SHA-1, no MD5)"),
    rule("key.too-weak", Step::Verification, "public keys are strong enough (RSA at least 2048 bits)"),
    rule("extension.unknown-critical", Step::Verification, "no extension marked critical is unknown to the client"),
    rule("revocation.revoked", Step::Verification, "no certificate in the path is listed in its issuer's CRL"),
    rule(
        "handshake.key-mismatch",
        Step::KeyExchange,
        "CertificateVerify is signed by the key of the presented certificate",
    ),
    rule("client.cert-required", Step::Verification, "(server side) the client presents a certificate when asked"),
    rule(
        "client.cert-untrusted",
        Step::Verification,
        "(server side) the client's certificate chains to a root the server trusts",
    ),
];

const fn rule(id: &'static str, step: Step, check: &'static str) -> Rule {
    Rule { id, step, check }
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Position in [`RULES`], used to list the catalogue in the order rules are met.
pub fn position(id: &str) -> Option<usize> {
    RULES.iter().position(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_grouped() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(RULES.iter().all(|r| r.id.split_once('.').is_some()));
    }
}

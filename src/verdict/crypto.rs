//! Keys, signature algorithms and signature checks: the helpers are [`crate::pki::x509`]'s,
//! shared with `inspect`; what is the rules' own is here.

pub(super) use crate::pki::x509::{Key, alg_name, key_of, verify_cert, verify_signed, weak_hash};

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

/// Chains for the rule families' unit tests: a root, an intermediate and a leaf made with rcgen
/// as conformant as the lab's, and DER surgery (re-signed) for what rcgen cannot write.
#[cfg(test)]
pub(super) mod testkit {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        SigningKey,
    };
    use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
    use time::{Duration, OffsetDateTime};

    use crate::catalogue::rules::RuleId;
    use crate::verdict::engine::{self, RuleResult, Status, Trust};

    pub fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("a 2026 instant")
    }

    pub struct Ca {
        pub der: CertificateDer<'static>,
        pub key: KeyPair,
        pub params: CertificateParams,
    }

    impl Ca {
        pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
            Issuer::new(self.params.clone(), &self.key)
        }
    }

    pub fn ca_params(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        p.not_before = now() - Duration::days(365);
        p.not_after = now() + Duration::days(3650);
        p.use_authority_key_identifier_extension = true;
        p
    }

    pub fn root_with(edit: impl FnOnce(&mut CertificateParams)) -> Ca {
        let key = KeyPair::generate().expect("key");
        let mut params = ca_params("Test Root");
        edit(&mut params);
        let der = params.self_signed(&key).expect("self-sign").der().clone();
        Ca { der, key, params }
    }

    pub fn root() -> Ca {
        root_with(|_| {})
    }

    pub fn ca(parent: &Ca, edit: impl FnOnce(&mut CertificateParams)) -> Ca {
        let key = KeyPair::generate().expect("key");
        let mut params = ca_params("Test Intermediate");
        edit(&mut params);
        let der = params.signed_by(&key, &parent.issuer()).expect("sign").der().clone();
        Ca { der, key, params }
    }

    pub fn leaf_params() -> CertificateParams {
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        p.distinguished_name.push(DnType::CommonName, "localhost");
        p.not_before = now() - Duration::hours(1);
        p.not_after = now() + Duration::days(90);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        p
    }

    pub fn leaf(parent: &Ca, edit: impl FnOnce(&mut CertificateParams)) -> CertificateDer<'static> {
        leaf_with_key(parent, &KeyPair::generate().expect("key"), edit)
    }

    pub fn leaf_with_key(
        parent: &Ca,
        key: &KeyPair,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> CertificateDer<'static> {
        let mut p = leaf_params();
        edit(&mut p);
        p.signed_by(key, &parent.issuer()).expect("sign").der().clone()
    }

    /// Root, intermediate and leaf, all conformant.
    pub struct Pki {
        pub root: Ca,
        pub inter: Ca,
        pub leaf: CertificateDer<'static>,
    }

    pub fn pki() -> Pki {
        let root = root();
        let inter = ca(&root, |_| {});
        let leaf = leaf(&inter, |_| {});
        Pki { root, inter, leaf }
    }

    /// Every rule over `[leaf, inter]` with `root` trusted, at [`now`].
    pub fn eval(
        chain: &[CertificateDer<'static>],
        root: &CertificateDer<'static>,
        crls: &[CertificateRevocationListDer<'static>],
    ) -> Vec<RuleResult> {
        let trust = Trust { roots: vec![root.clone()], known: vec![], crls: crls.to_vec() };
        engine::evaluate(chain, "localhost", &trust, now())
    }

    /// Asserts that exactly `want` fails, and returns its evidence.
    pub fn only(results: &[RuleResult], want: &[RuleId]) -> String {
        assert_eq!(engine::failed(results), want, "{}", engine::render_text(results));
        match want.first() {
            Some(rule) => results.iter().find(|r| r.rule == *rule).map(|r| r.evidence.clone()).unwrap_or_default(),
            None => String::new(),
        }
    }

    pub fn status(results: &[RuleResult], rule: RuleId) -> (Status, String) {
        let r = results.iter().find(|r| r.rule == rule).expect("every rule has a result");
        (r.status, r.evidence.clone())
    }

    // --- DER surgery -----------------------------------------------------------------------

    /// The TLVs one after another in `input`.
    pub fn tlvs(mut input: &[u8]) -> Vec<Vec<u8>> {
        use x509_parser::asn1_rs::{Any, FromDer};
        let mut out = Vec::new();
        while !input.is_empty() {
            let (rest, _) = Any::from_der(input).expect("a TLV");
            out.push(input[..input.len() - rest.len()].to_vec());
            input = rest;
        }
        out
    }

    /// The content of one TLV.
    pub fn content(tlv: &[u8]) -> Vec<u8> {
        use x509_parser::asn1_rs::{Any, FromDer};
        Any::from_der(tlv).expect("a TLV").1.data.to_vec()
    }

    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let be: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | be.len() as u8);
            out.extend(be);
        }
        out.extend_from_slice(content);
        out
    }

    pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// One extension: its OID TLV, criticality and the value inside the OCTET STRING.
    #[derive(Clone)]
    pub struct Ext {
        pub oid: Vec<u8>,
        pub critical: bool,
        pub value: Vec<u8>,
    }

    pub const AKI: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x23];
    pub const SKI: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x0e];
    pub const BC: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x13];
    pub const EKU: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x25];
    pub const CRL_NUMBER: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x14];

    /// Re-signs a certificate or CRL (SEQUENCE { tbs, algorithm, signature }) with `key` after
    /// `edit` changed the TBS fields; `alg` replaces the outer algorithm when given.
    pub fn resign(der: &[u8], key: &KeyPair, alg: Option<Vec<u8>>, edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        let outer = tlvs(&content(der));
        let mut fields = tlvs(&content(&outer[0]));
        edit(&mut fields);
        let tbs = seq(&fields);
        let sig = key.sign(&tbs).expect("sign");
        let mut bits = vec![0];
        bits.extend(sig);
        seq(&[tbs, alg.unwrap_or_else(|| outer[1].clone()), tlv(0x03, &bits)])
    }

    /// Re-signs after `edit` changed the extensions (of a certificate, or a CRL's crlExtensions).
    pub fn resign_exts(der: &[u8], key: &KeyPair, edit: impl FnOnce(&mut Vec<Ext>)) -> Vec<u8> {
        resign(der, key, None, |fields| {
            let last = fields.last_mut().expect("fields");
            let tag = last[0];
            assert!(tag == 0xa3 || tag == 0xa0, "no extensions to edit");
            let mut exts: Vec<Ext> = tlvs(&content(&content(last)))
                .iter()
                .map(|e| {
                    let parts = tlvs(&content(e));
                    let critical = parts.len() == 3 && parts[1] == [0x01, 0x01, 0xff];
                    Ext { oid: parts[0].clone(), critical, value: content(parts.last().expect("value")) }
                })
                .collect();
            edit(&mut exts);
            let list: Vec<Vec<u8>> = exts
                .iter()
                .map(|e| {
                    let mut parts = vec![e.oid.clone()];
                    if e.critical {
                        parts.push(vec![0x01, 0x01, 0xff]);
                    }
                    parts.push(tlv(0x04, &e.value));
                    seq(&parts)
                })
                .collect();
            *last = tlv(tag, &seq(&list));
        })
    }

    pub fn der(v: Vec<u8>) -> CertificateDer<'static> {
        CertificateDer::from(v)
    }
}

//! `usage.*`: basicConstraints and keyUsage (RFC 5280 §4.2.1.3, §4.2.1.9).

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{BasicConstraints, KeyUsage, ParsedExtension, X509Extension};

use super::engine::*;
use super::{crypto::*, path::*, validity::plural};

/// The first basicConstraints and whether it is critical.
pub(super) fn basic_constraints<'x>(x: &'x X509Certificate<'_>) -> Option<(&'x BasicConstraints, bool)> {
    exts(x, ext_oid::BASIC_CONSTRAINTS).into_iter().find_map(|e: &X509Extension<'_>| match e.parsed_extension() {
        ParsedExtension::BasicConstraints(bc) => Some((bc, e.critical)),
        _ => None,
    })
}

/// The first keyUsage that parses.
pub(super) fn key_usage<'x>(x: &'x X509Certificate<'_>) -> Option<&'x KeyUsage> {
    exts(x, ext_oid::KEY_USAGE).into_iter().find_map(|e: &X509Extension<'_>| match e.parsed_extension() {
        ParsedExtension::KeyUsage(ku) => Some(ku),
        _ => None,
    })
}

fn is_ca(x: &X509Certificate<'_>) -> bool {
    basic_constraints(x).is_some_and(|(bc, _)| bc.ca)
}

/// Positions of the issuing CAs whose own content is checked (not the leaf, not the anchor).
fn issuers(chain: &Chain<'_, '_>) -> std::ops::Range<usize> {
    1..chain.checked().end.max(1)
}

pub(super) fn basic_constraints_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut cas = 0;
    for i in chain.checked() {
        if let Some((bc, critical)) = basic_constraints(chain.x(i))
            && bc.ca
        {
            cas += 1;
            if !critical {
                fails.push(format!("{}: basicConstraints CA:TRUE is not marked critical", chain.label(i)));
            }
        }
    }
    if cas == 0 {
        return (Status::NotApplicable, "no CA certificate on the path apart from the root".to_string());
    }
    decide(fails, || format!("{cas} CA certificate{}: basicConstraints critical", plural(cas)))
}

pub(super) fn keycertsign_not_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in chain.checked() {
        let x = chain.x(i);
        if key_usage(x).is_some_and(|ku| ku.key_cert_sign()) && !is_ca(x) {
            let bc = match basic_constraints(x) {
                Some(_) => "basicConstraints CA:FALSE",
                None => "no basicConstraints",
            };
            fails.push(format!("{} has keyUsage keyCertSign with {bc}", chain.label(i)));
        }
    }
    decide(fails, || "keyCertSign appears only in CA certificates".to_string())
}

pub(super) fn ca_without_keycertsign(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut checked = 0;
    // An issuer without CA:TRUE is chain.issuer-not-ca's failure.
    for i in issuers(chain).filter(|&i| is_ca(chain.x(i))) {
        let x = chain.x(i);
        if let Some(ku) = key_usage(x) {
            checked += 1;
            if !ku.key_cert_sign() {
                fails.push(format!("{} signs certificates but its keyUsage ({ku}) lacks keyCertSign", chain.label(i)));
            }
        }
    }
    if fails.is_empty() && checked == 0 {
        return (Status::NotApplicable, "no issuing CA below the root has a keyUsage".to_string());
    }
    decide(fails, || format!("{checked} issuing CA{} with keyCertSign", plural(checked)))
}

pub(super) fn leaf_key_usage(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = chain.leaf();
    let who = chain.label(0);
    let Some(ku) = key_usage(leaf) else {
        return (Status::Pass, format!("{who} has no keyUsage: any use of its key is allowed"));
    };
    let key = key_of(leaf.public_key());
    let mut fails = Vec::new();
    // TLS 1.3 (and ECDHE in 1.2) has the server sign its handshake.
    if !ku.digital_signature() {
        fails.push(format!("{who} keyUsage ({ku}) lacks digitalSignature, which a TLS server key signs with"));
    }
    if !matches!(key, Key::Rsa(_)) {
        for (on, bit) in [(ku.key_encipherment(), "keyEncipherment"), (ku.data_encipherment(), "dataEncipherment")] {
            if on {
                fails.push(format!("{who} keyUsage has {bit}, which a {key} key cannot do (RSA key transport only)"));
            }
        }
    }
    decide(fails, || format!("{who} keyUsage ({ku}) fits its {key} key"))
}

#[cfg(test)]
mod tests {
    use rcgen::{KeyPair, KeyUsagePurpose as Ku, PKCS_RSA_SHA256};

    use super::super::crypto::testkit::*;
    use crate::catalogue::rules::RuleId;
    use crate::verdict::engine::Status;

    #[test]
    fn a_ca_whose_basic_constraints_are_not_critical_fails_that_rule_only() {
        let p = pki();
        let inter = resign_exts(&p.inter.der, &p.root.key, |exts| {
            exts.iter_mut().filter(|e| e.oid == BC).for_each(|e| e.critical = false)
        });
        let e = only(&eval(&[p.leaf.clone(), der(inter)], &p.root.der, &[]), &[RuleId::UsageBasicConstraintsCritical]);
        assert_eq!(e, "intermediate CN=Test Intermediate: basicConstraints CA:TRUE is not marked critical");
        let r = eval(&[p.leaf.clone(), p.inter.der.clone()], &p.root.der, &[]);
        assert_eq!(status(&r, RuleId::UsageBasicConstraintsCritical).0, Status::Pass);
    }

    #[test]
    fn key_cert_sign_in_a_leaf_fails_keycertsign_not_ca() {
        let p = pki();
        let leaf = leaf(&p.inter, |l| l.key_usages.push(Ku::KeyCertSign));
        let e = only(&eval(&[leaf, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::UsageKeyCertSignNotCa]);
        assert_eq!(e, "leaf CN=localhost has keyUsage keyCertSign with no basicConstraints");
    }

    #[test]
    fn a_ca_with_key_usage_but_no_key_cert_sign_fails_ca_without_keycertsign() {
        let root = root();
        let inter = ca(&root, |c| c.key_usages = vec![Ku::DigitalSignature, Ku::CrlSign]);
        let leaf = leaf(&inter, |_| {});
        let e = only(&eval(&[leaf, inter.der.clone()], &root.der, &[]), &[RuleId::UsageCaWithoutKeyCertSign]);
        assert!(
            e.starts_with("intermediate CN=Test Intermediate signs certificates but its keyUsage (")
                && e.ends_with("lacks keyCertSign"),
            "{e}"
        );
    }

    #[test]
    fn the_leaf_key_usage_must_fit_its_key() {
        let p = pki();
        // keyEncipherment is RSA key transport: an EC key cannot do it.
        let ec = leaf(&p.inter, |l| l.key_usages.push(Ku::KeyEncipherment));
        let e = only(&eval(&[ec, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::UsageLeafKeyUsage]);
        assert_eq!(
            e,
            "leaf CN=localhost keyUsage has keyEncipherment, which a EC P-256 key cannot do (RSA key transport only)"
        );
        // Without digitalSignature a TLS 1.3 server cannot sign its handshake.
        let no_sign = leaf(&p.inter, |l| l.key_usages = vec![Ku::KeyAgreement]);
        let e = only(&eval(&[no_sign, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::UsageLeafKeyUsage]);
        assert!(e.contains("lacks digitalSignature"), "{e}");
        // Control: an RSA key may have both.
        let rsa = KeyPair::generate_for(&PKCS_RSA_SHA256).expect("RSA key");
        let ok = leaf_with_key(&p.inter, &rsa, |l| l.key_usages.push(Ku::KeyEncipherment));
        let r = eval(&[ok, p.inter.der.clone()], &p.root.der, &[]);
        only(&r, &[]);
        assert!(status(&r, RuleId::UsageLeafKeyUsage).1.ends_with("fits its RSA-2048 key"));
    }
}

//! `keyid.*`: authority and subject key identifiers (RFC 5280 §4.2.1.1-2).

use x509_parser::extensions::ParsedExtension;

use super::engine::*;
use super::{crypto::*, path::*, validity::plural};

/// Self-signed (not merely self-issued): the one certificate RFC 5280 lets omit the AKI.
fn self_signed(x: &x509_parser::certificate::X509Certificate<'_>) -> bool {
    self_issued(x) && matches!(verify_cert(x, x), Sig::Valid)
}

pub(super) fn aki_missing(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut with = 0;
    let mut exempt = Vec::new();
    for i in chain.checked() {
        let x = chain.x(i);
        if self_signed(x) {
            exempt.push(chain.label(i));
        } else if exts(x, ext_oid::AKI).is_empty() {
            fails.push(format!("{} has no authorityKeyIdentifier", chain.label(i)));
        } else {
            with += 1;
        }
    }
    if fails.is_empty() && with == 0 {
        return (
            Status::NotApplicable,
            format!("{} is self-signed: it may omit the authorityKeyIdentifier", exempt.join(", ")),
        );
    }
    decide(fails, || {
        format!(
            "{with} certificate{} carr{} an authorityKeyIdentifier",
            plural(with),
            if with == 1 { "ies" } else { "y" }
        )
    })
}

pub(super) fn aki_malformed(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = 0;
    for i in chain.checked() {
        let x = chain.x(i);
        for ext in exts(x, ext_oid::AKI) {
            seen += 1;
            let who = chain.label(i);
            if ext.critical {
                fails.push(format!("{who}: authorityKeyIdentifier is critical (it must not be)"));
            }
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) if aki.key_identifier.is_none() => {
                    let form =
                        if aki.authority_cert_issuer.is_some() { "issuer name and serial only" } else { "empty" };
                    fails.push(format!("{who}: authorityKeyIdentifier has no keyIdentifier ({form})"));
                }
                ParsedExtension::AuthorityKeyIdentifier(_) => {}
                ParsedExtension::ParseError { error } => {
                    fails.push(format!("{who}: authorityKeyIdentifier does not parse: {error}"))
                }
                _ => fails.push(format!("{who}: authorityKeyIdentifier does not parse")),
            }
        }
    }
    if seen == 0 {
        return (Status::NotApplicable, "no authorityKeyIdentifier on the path".to_string());
    }
    decide(fails, || format!("{seen} authorityKeyIdentifier{} not critical, with a keyIdentifier", plural(seen)))
}

pub(super) fn ski_missing(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut cas = 0;
    for i in chain.checked() {
        let x = chain.x(i);
        if !x.is_ca() {
            continue;
        }
        cas += 1;
        if exts(x, ext_oid::SKI).is_empty() {
            fails.push(format!("{} is a CA without a subjectKeyIdentifier", chain.label(i)));
        }
    }
    if cas == 0 {
        return (Status::NotApplicable, "no CA certificate on the path apart from the root".to_string());
    }
    decide(fails, || {
        format!("{cas} CA certificate{} carr{} a subjectKeyIdentifier", plural(cas), if cas == 1 { "ies" } else { "y" })
    })
}

pub(super) fn ski_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = 0;
    for i in chain.checked() {
        for ext in exts(chain.x(i), ext_oid::SKI) {
            seen += 1;
            if ext.critical {
                fails.push(format!("{}: subjectKeyIdentifier is critical (it must not be)", chain.label(i)));
            }
        }
    }
    if seen == 0 {
        return (Status::NotApplicable, "no subjectKeyIdentifier on the path".to_string());
    }
    decide(fails, || format!("{seen} subjectKeyIdentifier{} not critical", plural(seen)))
}

#[cfg(test)]
mod tests {
    use super::super::crypto::testkit::*;
    use crate::catalogue::rules::RuleId;

    #[test]
    fn a_conformant_chain_fails_no_rule_and_carries_every_key_identifier() {
        let p = pki();
        let r = eval(&[p.leaf.clone(), p.inter.der.clone()], &p.root.der, &[]);
        only(&r, &[]);
        assert_eq!(status(&r, RuleId::KeyIdAkiMissing).1, "2 certificates carry an authorityKeyIdentifier");
        assert_eq!(status(&r, RuleId::KeyIdSkiMissing).1, "1 CA certificate carries a subjectKeyIdentifier");
    }

    #[test]
    fn a_leaf_without_aki_fails_aki_missing_only() {
        let p = pki();
        let leaf = leaf(&p.inter, |l| l.use_authority_key_identifier_extension = false);
        let e = only(&eval(&[leaf, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyIdAkiMissing]);
        assert_eq!(e, "leaf CN=localhost has no authorityKeyIdentifier");
    }

    #[test]
    fn a_critical_aki_or_one_without_key_identifier_fails_aki_malformed() {
        let p = pki();
        let critical = resign_exts(&p.leaf, &p.inter.key, |exts| {
            exts.iter_mut().filter(|e| e.oid == AKI).for_each(|e| e.critical = true)
        });
        let e = only(&eval(&[der(critical), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyIdAkiMalformed]);
        assert_eq!(e, "leaf CN=localhost: authorityKeyIdentifier is critical (it must not be)");
        let empty = resign_exts(&p.leaf, &p.inter.key, |exts| {
            exts.iter_mut().filter(|e| e.oid == AKI).for_each(|e| e.value = vec![0x30, 0x00])
        });
        let e = only(&eval(&[der(empty), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyIdAkiMalformed]);
        assert_eq!(e, "leaf CN=localhost: authorityKeyIdentifier has no keyIdentifier (empty)");
    }

    #[test]
    fn a_ca_without_ski_fails_ski_missing_and_a_critical_ski_fails_ski_critical() {
        let p = pki();
        let inter = resign_exts(&p.inter.der, &p.root.key, |exts| exts.retain(|e| e.oid != SKI));
        let e = only(&eval(&[p.leaf.clone(), der(inter)], &p.root.der, &[]), &[RuleId::KeyIdSkiMissing]);
        assert_eq!(e, "intermediate CN=Test Intermediate is a CA without a subjectKeyIdentifier");
        let inter = resign_exts(&p.inter.der, &p.root.key, |exts| {
            exts.iter_mut().filter(|e| e.oid == SKI).for_each(|e| e.critical = true)
        });
        let e = only(&eval(&[p.leaf.clone(), der(inter)], &p.root.der, &[]), &[RuleId::KeyIdSkiCritical]);
        assert_eq!(e, "intermediate CN=Test Intermediate: subjectKeyIdentifier is critical (it must not be)");
    }
}

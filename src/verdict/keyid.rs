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

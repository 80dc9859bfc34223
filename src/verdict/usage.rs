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

//! `signature.*`, `key.too-weak`, `extension.unknown-critical`: what the client can check of each certificate's crypto and extensions.

use super::engine::*;
use super::{crypto::*, path::*, validity::*};

/// Every signature on the path with the certificate it belongs to: each link, and a self-signed
/// leaf's own signature. A root's self-signature is not checked (as in webpki).
pub(super) fn signatures<'c>(chain: &'c Chain<'_, '_>) -> Vec<(usize, &'c Sig)> {
    let mut out: Vec<(usize, &Sig)> = chain.links.iter().enumerate().collect();
    if let (End::SelfSigned(sig), 1) = (&chain.end, chain.len()) {
        out.push((0, sig));
    }
    out
}

pub(super) fn signature_invalid(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut ok = 0;
    let mut notes = Vec::new();
    for (i, sig) in signatures(chain) {
        let signer = if i + 1 < chain.len() { chain.label(i + 1) } else { "its own key".to_string() };
        match sig {
            Sig::Valid => ok += 1,
            Sig::Invalid(why) => fails.push(format!("{}: {why} with the key of {signer}", chain.label(i))),
            Sig::Unsupported(alg) => notes.push(format!("{} not checked: {alg} is not supported", chain.label(i))),
        }
    }
    if matches!(chain.end, End::IssuerMissing | End::TooLong) {
        let last = chain.len() - 1;
        notes.push(format!("{} not checked: its issuer was not found", chain.label(last)));
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let tail = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
    if ok == 0 {
        return (Status::NotApplicable, format!("no signature could be checked{tail}"));
    }
    (Status::Pass, format!("{ok} signature{} on the path verif{}{tail}", plural(ok), if ok == 1 { "ies" } else { "y" }))
}

pub(super) fn weak_algorithm(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut algs = Vec::new();
    for i in chain.checked() {
        let alg = &chain.x(i).signature_algorithm;
        let name = alg_name(alg);
        if let Some(hash) = weak_hash(alg) {
            fails.push(format!("{} is signed with {name} ({hash}, broken for signatures)", chain.label(i)));
        } else if !algs.contains(&name) {
            algs.push(name);
        }
    }
    for (i, sig) in signatures(chain) {
        if let Sig::Unsupported(alg) = sig
            && weak_hash(&chain.x(i).signature_algorithm).is_none()
        {
            fails.push(format!("{} is signed with {alg}, which TLS clients do not accept", chain.label(i)));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let anchor = if chain.anchor().is_some() { " (the root's self-signature is not checked)" } else { "" };
    (Status::Pass, format!("signed with {}{anchor}", algs.join(", ")))
}

pub(super) fn key_too_weak(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut keys = Vec::new();
    for i in 0..chain.len() {
        let key = key_of(chain.x(i).public_key());
        match key {
            Key::Rsa(bits) if bits < 2048 => {
                fails.push(format!("{} has an RSA-{bits} key (at least 2048 bits needed)", chain.label(i)))
            }
            _ => keys.push(format!("{} {key}", chain.label(i).split(' ').next().unwrap_or("cert"))),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    (Status::Pass, format!("keys: {}", keys.join(", ")))
}

pub(super) fn unknown_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in 0..chain.len() {
        for ext in chain.x(i).extensions().iter().filter(|e| e.critical) {
            let id = ext.oid.to_id_string();
            if !KNOWN_CRITICAL.iter().any(|(known, _)| *known == id) {
                fails.push(format!("{} has critical extension {id}, which clients do not know", chain.label(i)));
            }
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let mut seen: Vec<&str> = Vec::new();
    for i in 0..chain.len() {
        for ext in chain.x(i).extensions().iter().filter(|e| e.critical) {
            let id = ext.oid.to_id_string();
            if let Some((_, name)) = KNOWN_CRITICAL.iter().find(|(known, _)| *known == id)
                && !seen.contains(name)
            {
                seen.push(name);
            }
        }
    }
    if seen.is_empty() {
        return (Status::Pass, "no critical extensions on the path".to_string());
    }
    (Status::Pass, format!("every critical extension is known ({})", seen.join(", ")))
}

pub(super) fn algorithm_mismatch(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn rsa_pss_params(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn key_algorithm(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn rsa_modulus(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

// ---------------------------------------------------------------------------------------------

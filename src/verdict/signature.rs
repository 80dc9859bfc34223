//! `signature.*`, `key.too-weak`, `extension.unknown-critical`: what the client can check of each certificate's crypto and extensions.

use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::AlgorithmIdentifier;

use super::engine::*;
use super::{crypto::*, path::*, validity::*};
use crate::pki::x509::{bit_length, hash_name, oid};

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
    if matches!(chain.end, End::IssuerMissing | End::TooLong(_)) {
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

pub(super) fn algorithm_mismatch(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in 0..chain.len() {
        let x = chain.x(i);
        let (outer, inner) = (&x.signature_algorithm, &x.tbs_certificate.signature);
        if outer != inner {
            let params = |a: &AlgorithmIdentifier<'_>| match &a.parameters {
                Some(p) => format!("{} with parameters {}", alg_name(a), hex::encode(p.data)),
                None => format!("{} without parameters", alg_name(a)),
            };
            fails.push(format!(
                "{}: signatureAlgorithm is {} but tbsCertificate.signature is {}",
                chain.label(i),
                params(outer),
                params(inner)
            ));
        }
    }
    let n = chain.len();
    decide(fails, || format!("{n} certificate{}: signatureAlgorithm equals tbsCertificate.signature", plural(n)))
}

const MGF1: &str = "1.2.840.113549.1.1.8";

/// What is wrong with one RSASSA-PSS AlgorithmIdentifier (RFC 4055 §3.1 and the BR's three
/// encodings): the same hash for the message and MGF1, a salt as long as the hash, trailer 1.
fn pss_problems(alg: &AlgorithmIdentifier<'_>) -> Vec<String> {
    let Some(any) = alg.parameters.as_ref() else {
        return vec!["RSASSA-PSS without parameters (SHA-1 by default; the BR require them spelled out)".into()];
    };
    let params = match RsaSsaPssParams::try_from(any) {
        Ok(p) => p,
        Err(e) => return vec![format!("RSASSA-PSS parameters do not parse: {e}")],
    };
    let hash = params.hash_algorithm_oid().to_id_string();
    let mut out = Vec::new();
    let len = match hash.as_str() {
        oid::SHA256 => Some(32),
        oid::SHA384 => Some(48),
        oid::SHA512 => Some(64),
        // SHA-1 is signature.weak-algorithm's to report.
        oid::SHA1 => Some(20),
        other => {
            out.push(format!("RSASSA-PSS hash {} is not SHA-256, SHA-384 or SHA-512", hash_name(other)));
            None
        }
    };
    match params.mask_gen_algorithm() {
        Ok(mgf) if mgf.mgf.to_id_string() != MGF1 => {
            out.push(format!("mask generation function {} is not MGF1", mgf.mgf.to_id_string()))
        }
        Ok(mgf) if mgf.hash.to_id_string() != hash => out.push(format!(
            "MGF1 uses {} but the message hash is {}",
            hash_name(&mgf.hash.to_id_string()),
            hash_name(&hash)
        )),
        Ok(_) => {}
        Err(e) => out.push(format!("mask generation function does not parse: {e}")),
    }
    if let Some(len) = len
        && params.salt_length() != len
    {
        out.push(format!("salt length {} is not the {len} octets of {}", params.salt_length(), hash_name(&hash)));
    }
    if params.trailer_field() != 1 {
        out.push(format!("trailerField {} is not 1", params.trailer_field()));
    }
    out
}

pub(super) fn rsa_pss_params(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for i in 0..chain.len() {
        let x = chain.x(i);
        let spki = &x.public_key().algorithm;
        let places = [("signatureAlgorithm", &x.signature_algorithm), ("subjectPublicKeyInfo", spki)];
        for (field, alg) in places {
            if alg.algorithm.to_id_string() != oid::RSA_PSS {
                continue;
            }
            seen.push(format!("{} {field}", chain.label(i)));
            // An RSA-PSS key may leave its parameters out (RFC 4055 §1.2): any PSS then.
            if field == "subjectPublicKeyInfo" && alg.parameters.is_none() {
                continue;
            }
            for p in pss_problems(alg) {
                fails.push(format!("{} {field}: {p}", chain.label(i)));
            }
        }
    }
    if seen.is_empty() {
        return (Status::NotApplicable, "no RSASSA-PSS on the path".to_string());
    }
    decide(fails, || format!("RSASSA-PSS parameters well formed: {}", seen.join(", ")))
}

pub(super) fn key_algorithm(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut keys = Vec::new();
    for i in 0..chain.len() {
        match key_of(chain.x(i).public_key()) {
            key @ (Key::Rsa(_) | Key::Ec(_) | Key::Ed25519) => keys.push(format!("{} {key}", role(chain, i))),
            Key::Other(what) => fails.push(format!(
                "{} has a {what} key; allowed are RSA, ECDSA P-256, P-384, P-521 and Ed25519",
                chain.label(i)
            )),
        }
    }
    decide(fails, || format!("keys on the allow-list: {}", keys.join(", ")))
}

pub(super) fn rsa_modulus(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for i in 0..chain.len() {
        let spki = chain.x(i).public_key();
        let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() else { continue };
        let who = chain.label(i);
        let bits = bit_length(rsa.modulus);
        seen.push(format!("{} RSA-{bits}", role(chain, i)));
        if !bits.is_multiple_of(8) {
            fails.push(format!("{who}: RSA modulus of {bits} bits is not a multiple of 8"));
        }
        if rsa.modulus.last().is_some_and(|b| b % 2 == 0) {
            fails.push(format!("{who}: RSA modulus is even"));
        }
        let e = rsa.exponent;
        let odd = e.last().is_some_and(|b| b % 2 == 1);
        if !odd || bit_length(e) < 2 {
            fails.push(format!("{who}: RSA public exponent 0x{} is not odd and at least 3", hex::encode(e)));
        }
    }
    if seen.is_empty() {
        return (Status::NotApplicable, "no RSA key on the path".to_string());
    }
    decide(fails, || format!("RSA moduli a multiple of 8 bits, exponents odd and at least 3: {}", seen.join(", ")))
}

/// `leaf`, `intermediate` or `root`, for short evidence.
fn role(chain: &Chain<'_, '_>, i: usize) -> String {
    chain.label(i).split(' ').next().unwrap_or("cert").to_string()
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use x509_parser::prelude::FromDer;

    use super::super::crypto::testkit::*;
    use super::*;
    use crate::catalogue::rules::RuleId;

    const ECDSA_SHA384: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    const MD5_RSA: &[u8] = &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04, 0x05, 0x00];

    #[test]
    fn an_inner_algorithm_other_than_the_outer_fails_algorithm_mismatch() {
        let p = pki();
        let leaf = resign(&p.leaf, &p.inter.key, None, |f| f[2] = ECDSA_SHA384.to_vec());
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::SignatureAlgorithmMismatch]);
        assert_eq!(
            e,
            "leaf CN=localhost: signatureAlgorithm is ecdsa-with-SHA256 without parameters but tbsCertificate.signature is ecdsa-with-SHA384 without parameters"
        );
    }

    #[test]
    fn an_md5_signature_fails_weak_algorithm() {
        let p = pki();
        let leaf = resign(&p.leaf, &p.inter.key, Some(MD5_RSA.to_vec()), |f| f[2] = MD5_RSA.to_vec());
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::SignatureWeakAlgorithm]);
        assert_eq!(e, "leaf CN=localhost is signed with md5WithRSAEncryption (MD5, broken for signatures)");
    }

    /// SubjectPublicKeyInfo of an EC key on the named curve `curve` (a dotted-OID's DER).
    fn ec_spki(curve: &[u8], point_len: usize) -> Vec<u8> {
        let alg = seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), tlv(0x06, curve)]);
        let mut bits = vec![0, 4];
        bits.extend(vec![7; point_len - 1]);
        seq(&[alg, tlv(0x03, &bits)])
    }

    fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let alg = seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]), vec![0x05, 0x00]]);
        let mut bits = vec![0];
        bits.extend(seq(&[tlv(0x02, modulus), tlv(0x02, exponent)]));
        seq(&[alg, tlv(0x03, &bits)])
    }

    #[test]
    fn a_p192_key_is_off_the_allow_list() {
        let p = pki();
        let p192 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01];
        let leaf = resign(&p.leaf, &p.inter.key, None, |f| f[6] = ec_spki(&p192, 49));
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyAlgorithm]);
        assert_eq!(
            e,
            "leaf CN=localhost has a EC curve 1.2.840.10045.3.1.1 key; allowed are RSA, ECDSA P-256, P-384, P-521 and Ed25519"
        );
    }

    #[test]
    fn rsa_moduli_are_whole_octets_and_exponents_odd() {
        let p = pki();
        let mut odd_size = vec![0x0f];
        odd_size.extend(vec![0xff; 256]);
        let leaf = resign(&p.leaf, &p.inter.key, None, |f| f[6] = rsa_spki(&odd_size, &[0x01, 0x00, 0x01]));
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyRsaModulus]);
        assert_eq!(e, "leaf CN=localhost: RSA modulus of 2052 bits is not a multiple of 8");
        let mut good = vec![0x00, 0x80];
        good.extend(vec![0xff; 255]);
        let leaf = resign(&p.leaf, &p.inter.key, None, |f| f[6] = rsa_spki(&good, &[0x02]));
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::KeyRsaModulus]);
        assert_eq!(e, "leaf CN=localhost: RSA public exponent 0x02 is not odd and at least 3");
        // Control: 2048 bits, exponent 65537.
        let leaf = resign(&p.leaf, &p.inter.key, None, |f| f[6] = rsa_spki(&good, &[0x01, 0x00, 0x01]));
        only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[]);
    }

    /// RSASSA-PSS AlgorithmIdentifier: `hash`, MGF1 with `mgf_hash`, `salt` octets.
    fn pss(hash: u8, mgf_hash: u8, salt: u8) -> Vec<u8> {
        let sha2 = |n: u8| seq(&[tlv(0x06, &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n]), vec![0x05, 0x00]]);
        let mgf1 = seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08]), sha2(mgf_hash)]);
        let params = seq(&[tlv(0xa0, &sha2(hash)), tlv(0xa1, &mgf1), tlv(0xa2, &tlv(0x02, &[salt]))]);
        seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]), params])
    }

    fn problems(der: &[u8]) -> Vec<String> {
        let (_, alg) = AlgorithmIdentifier::from_der(der).expect("AlgorithmIdentifier");
        pss_problems(&alg)
    }

    #[test]
    fn rsa_pss_parameters_use_one_hash_and_a_salt_as_long() {
        assert!(problems(&pss(1, 1, 32)).is_empty(), "SHA-256, MGF1-SHA-256, salt 32 is the BR's encoding");
        assert!(problems(&pss(3, 3, 64)).is_empty());
        assert_eq!(problems(&pss(1, 3, 32)), ["MGF1 uses SHA-512 but the message hash is SHA-256"]);
        assert_eq!(problems(&pss(2, 2, 32)), ["salt length 32 is not the 48 octets of SHA-384"]);
        let bare = seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a])]);
        assert_eq!(
            problems(&bare),
            ["RSASSA-PSS without parameters (SHA-1 by default; the BR require them spelled out)"]
        );
    }

    #[test]
    fn an_unknown_critical_extension_in_the_trusted_root_fails_too() {
        let mut ext = rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55738, 9], vec![0x05, 0x00]);
        ext.set_criticality(true);
        let root = root_with(|r| r.custom_extensions = vec![ext]);
        let inter = ca(&root, |_| {});
        let leaf = leaf(&inter, |_| {});
        let e = only(&eval(&[leaf, inter.der.clone()], &root.der, &[]), &[RuleId::ExtensionUnknownCritical]);
        assert_eq!(e, "root CN=Test Root has critical extension 1.3.6.1.4.1.55738.9, which clients do not know");
    }
}

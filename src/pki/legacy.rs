//! Signers the main crypto library (aws-lc-rs) refuses to be: RSA-1024 keys and SHA-1
//! signatures. They exist only to make the `weak-key` and `sha1-signature` scenarios, whose whole
//! point is that clients must refuse them.

use std::sync::Arc;

use rsa::pkcs1v15::{Signature as Pkcs1Signature, SigningKey as Pkcs1SigningKey, VerifyingKey as Pkcs1VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pss::{BlindedSigningKey, Signature as PssSignature, VerifyingKey as PssVerifyingKey};
use rsa::rand_core::OsRng;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _, Verifier as _};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use rustls::SignatureScheme;

use crate::error::{Error, Result};

/// DER encoding of the sha256WithRSAEncryption OID (1.2.840.113549.1.1.11).
const SHA256_WITH_RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
/// … and of sha1WithRSAEncryption (1.2.840.113549.1.1.5): the same length, one byte apart.
const SHA1_WITH_RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];

fn err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

/// A new RSA-1024 key: (PKCS#8 DER of the private key, SubjectPublicKeyInfo DER).
pub fn generate_rsa1024() -> Result<(Vec<u8>, Vec<u8>)> {
    generate_rsa(1024)
}

/// A new RSA key of exactly `bits` bits, odd sizes included (the rsa-modulus scenario's 2049).
pub fn generate_rsa(bits: usize) -> Result<(Vec<u8>, Vec<u8>)> {
    let what = format!("an RSA-{bits} key");
    let key = RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| err(&format!("generating {what}"), e))?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| err(&format!("encoding {what}"), e))?.as_bytes().to_vec();
    let spki = key.to_public_key().to_public_key_der().map_err(|e| err(&format!("encoding {what}"), e))?.into_vec();
    Ok((pkcs8, spki))
}

/// An RSASSA-PSS signature (SHA-256, MGF1-SHA-256) of `message` with `salt` octets of salt,
/// by the RSA key `pkcs8`: aws-lc-rs signs PSS only with the salt as long as the hash.
pub fn sign_rsa_pss(pkcs8: &[u8], salt: usize, message: &[u8]) -> Result<Vec<u8>> {
    let key =
        RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| err("an RSA-PSS signature needs an RSA issuer key", e))?;
    Ok(BlindedSigningKey::<rsa::sha2::Sha256>::new_with_salt_len(key, salt).sign_with_rng(&mut OsRng, message).to_vec())
}

/// Re-signs a certificate that rcgen signed with sha256WithRSAEncryption so that it carries a
/// sha1WithRSAEncryption signature instead, made with the issuer's RSA key (PKCS#8 DER).
///
/// The OIDs have the same length and an RSA signature the modulus's, so every length in the DER
/// stays the same: the algorithm identifiers (in the TBS and outside it) and the signature bytes
/// at the end are replaced in place.
pub fn resign_sha1(cert: &[u8], issuer_pkcs8: &[u8]) -> Result<Vec<u8>> {
    let key = RsaPrivateKey::from_pkcs8_der(issuer_pkcs8)
        .map_err(|e| err("the issuer of a SHA-1 signature must have an RSA key", e))?;
    let sig_len = key.size();
    let positions: Vec<usize> = cert
        .windows(SHA256_WITH_RSA.len())
        .enumerate()
        .filter(|(_, w)| *w == SHA256_WITH_RSA)
        .map(|(i, _)| i)
        .collect();
    if positions.len() != 2 || cert.len() < sig_len + 8 {
        return Err(Error::Internal(format!(
            "re-signing with SHA-1: expected a certificate signed with sha256WithRSAEncryption (2 algorithm identifiers), found {}",
            positions.len()
        )));
    }
    let mut out = cert.to_vec();
    for p in positions {
        out[p..p + SHA1_WITH_RSA.len()].copy_from_slice(SHA1_WITH_RSA);
    }
    // The TBS certificate is the first element inside the outer SEQUENCE.
    let (tbs_start, tbs_len) =
        tbs_span(&out).ok_or_else(|| Error::Input("re-signing with SHA-1: malformed certificate".into()))?;
    let signer = Pkcs1SigningKey::<sha1::Sha1>::new(key);
    let signature = signer.sign(&out[tbs_start..tbs_start + tbs_len]).to_vec();
    let end = out.len();
    out[end - sig_len..].copy_from_slice(&signature);
    Ok(out)
}

/// Offset and total length (header included) of the TBS element.
fn tbs_span(der: &[u8]) -> Option<(usize, usize)> {
    let outer_header = header_len(der)?;
    let tbs = der.get(outer_header..)?;
    let (h, body) = (header_len(tbs)?, content_len(tbs)?);
    Some((outer_header, h + body))
}

fn header_len(d: &[u8]) -> Option<usize> {
    let first = *d.get(1)?;
    Some(if first < 0x80 { 2 } else { 2 + usize::from(first & 0x7f) })
}

fn content_len(d: &[u8]) -> Option<usize> {
    let first = *d.get(1)?;
    if first < 0x80 {
        return Some(usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    d.get(2..2 + n).map(|b| b.iter().fold(0usize, |acc, x| (acc << 8) | usize::from(*x)))
}

/// An ECDSA key on secp256k1, a curve aws-lc-rs signs with but rcgen cannot name: only for the
/// CA of the `key.algorithm` scenario, a strong key that is off the allow-list. rcgen writes the
/// P-256 curve OID into a certificate for it (its SubjectPublicKeyInfo is fixed by the
/// algorithm), which [`crate::pki::defects::replace_spki`] puts right; the key identifiers and
/// the signatures it makes (ecdsa-with-SHA256) are its own.
pub struct Secp256k1Key {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    spki: Vec<u8>,
}

impl Secp256k1Key {
    pub fn generate() -> Result<Secp256k1Key> {
        use aws_lc_rs::signature::{ECDSA_P256K1_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
        let pair = EcdsaKeyPair::generate(&ECDSA_P256K1_SHA256_ASN1_SIGNING)
            .map_err(|e| err("generating a secp256k1 key", e))?;
        // SEQUENCE { SEQUENCE { id-ecPublicKey, secp256k1 }, BIT STRING (uncompressed point) }
        const PREFIX: &[u8] = &[
            0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04,
            0x00, 0x0a, 0x03, 0x42, 0x00,
        ];
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            return Err(Error::Internal(format!("a secp256k1 public key of {} octets, not 65", point.len())));
        }
        let spki = [PREFIX, point].concat();
        Ok(Secp256k1Key { pair, spki })
    }

    /// The SubjectPublicKeyInfo DER, with the secp256k1 curve OID.
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }
}

impl rcgen::PublicKeyData for Secp256k1Key {
    fn subject_public_key_info(&self) -> Vec<u8> {
        self.spki.clone()
    }

    fn der_bytes(&self) -> &[u8] {
        use aws_lc_rs::signature::KeyPair;
        self.pair.public_key().as_ref()
    }

    /// The signature algorithm it writes (ecdsa-with-SHA256); the curve in it is P-256's.
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for Secp256k1Key {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        Ok(self.pair.sign(&rng, msg).map_err(|_| rcgen::Error::RingUnspecified)?.as_ref().to_vec())
    }
}

/// A server key rustls's provider will not load (RSA under 2048 bits), signing the handshake
/// with RSA-PSS (TLS 1.3) or PKCS#1 v1.5 (TLS 1.2) through the RustCrypto `rsa` crate.
#[derive(Debug)]
pub struct WeakRsaKey {
    key: RsaPrivateKey,
}

impl WeakRsaKey {
    pub fn from_pkcs8(der: &[u8]) -> Option<WeakRsaKey> {
        RsaPrivateKey::from_pkcs8_der(der).ok().map(|key| WeakRsaKey { key })
    }
}

impl rustls::sign::SigningKey for WeakRsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        [SignatureScheme::RSA_PSS_SHA256, SignatureScheme::RSA_PKCS1_SHA256]
            .into_iter()
            .find(|s| offered.contains(s))
            .map(|scheme| Box::new(WeakRsaSigner { key: self.key.clone(), scheme }) as Box<dyn rustls::sign::Signer>)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct WeakRsaSigner {
    key: RsaPrivateKey,
    scheme: SignatureScheme,
}

impl rustls::sign::Signer for WeakRsaSigner {
    fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, rustls::Error> {
        Ok(match self.scheme {
            SignatureScheme::RSA_PSS_SHA256 => BlindedSigningKey::<rsa::sha2::Sha256>::new(self.key.clone())
                .sign_with_rng(&mut OsRng, message)
                .to_vec(),
            _ => Pkcs1SigningKey::<rsa::sha2::Sha256>::new(self.key.clone()).sign(message).to_vec(),
        })
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// Loads a server key, with [`WeakRsaKey`] for the RSA keys the provider refuses.
pub fn load_signing_key(
    provider: &rustls::crypto::CryptoProvider,
    der: rustls::pki_types::PrivateKeyDer<'static>,
) -> std::result::Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
    let raw = der.secret_der().to_vec();
    match provider.key_provider.load_private_key(der) {
        Ok(k) => Ok(k),
        // Under 2048 bits, or a modulus that is not whole octets (2049 bits), which aws-lc-rs refuses.
        Err(e) => match WeakRsaKey::from_pkcs8(&raw) {
            Some(k) if k.key.size() < 256 || !k.key.n().bits().is_multiple_of(8) => Ok(Arc::new(k)),
            _ => Err(e),
        },
    }
}

/// Verifies a handshake signature made with a small RSA key (which aws-lc-rs refuses to check),
/// `spki` being the certificate's SubjectPublicKeyInfo DER.
pub fn verify_weak_rsa(
    spki: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> std::result::Result<(), String> {
    let key = RsaPublicKey::from_public_key_der(spki).map_err(|e| format!("not an RSA key: {e}"))?;
    let bad = |_| "signature mismatch".to_string();
    match scheme {
        SignatureScheme::RSA_PSS_SHA256 => {
            let sig = PssSignature::try_from(signature).map_err(bad)?;
            PssVerifyingKey::<rsa::sha2::Sha256>::new(key).verify(message, &sig).map_err(bad)
        }
        SignatureScheme::RSA_PKCS1_SHA256 => {
            let sig = Pkcs1Signature::try_from(signature).map_err(bad)?;
            Pkcs1VerifyingKey::<rsa::sha2::Sha256>::new(key).verify(message, &sig).map_err(bad)
        }
        other => Err(format!("unsupported scheme {other:?} for a small RSA key")),
    }
}

/// Verifies an RSASSA-PSS signature with MGF1 over the message hash `hash` (a dotted SHA-2 OID)
/// and `salt` octets of salt, as a certificate may state them; `pkcs1` is the RSAPublicKey DER
/// (the SubjectPublicKeyInfo's BIT STRING). aws-lc-rs checks only a salt as long as the hash.
pub fn verify_rsa_pss(
    pkcs1: &[u8],
    hash: &str,
    salt: usize,
    message: &[u8],
    signature: &[u8],
) -> std::result::Result<(), String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    let key = RsaPublicKey::from_pkcs1_der(pkcs1).map_err(|e| format!("not an RSA key: {e}"))?;
    let sig = PssSignature::try_from(signature).map_err(|_| "signature mismatch".to_string())?;
    let checked = match hash {
        crate::pki::x509::oid::SHA256 => {
            PssVerifyingKey::<rsa::sha2::Sha256>::new_with_salt_len(key, salt).verify(message, &sig)
        }
        crate::pki::x509::oid::SHA384 => {
            PssVerifyingKey::<rsa::sha2::Sha384>::new_with_salt_len(key, salt).verify(message, &sig)
        }
        crate::pki::x509::oid::SHA512 => {
            PssVerifyingKey::<rsa::sha2::Sha512>::new_with_salt_len(key, salt).verify(message, &sig)
        }
        other => return Err(format!("unsupported RSASSA-PSS hash {other}")),
    };
    checked.map_err(|_| "signature mismatch".to_string())
}

#[cfg(test)]
mod tests {
    use x509_parser::prelude::FromDer;

    use super::*;

    #[test]
    fn a_weak_key_signs_what_the_weak_verifier_accepts() {
        let (pkcs8, spki) = generate_rsa1024().expect("key");
        let key = WeakRsaKey::from_pkcs8(&pkcs8).expect("loads");
        assert_eq!(key.key.size(), 128);
        use rustls::sign::SigningKey;
        let signer = key.choose_scheme(&[SignatureScheme::RSA_PSS_SHA256]).expect("pss");
        let sig = signer.sign(b"hello").expect("signs");
        assert_eq!(verify_weak_rsa(&spki, SignatureScheme::RSA_PSS_SHA256, b"hello", &sig), Ok(()));
        assert!(verify_weak_rsa(&spki, SignatureScheme::RSA_PSS_SHA256, b"other", &sig).is_err());
    }

    #[test]
    fn a_secp256k1_key_signs_what_aws_lc_verifies_with_its_spki() {
        use rcgen::{PublicKeyData, SigningKey};
        let key = Secp256k1Key::generate().expect("key");
        let sig = key.sign(b"tbs").expect("signs");
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(key.spki()).expect("spki parses");
        assert_eq!(crate::pki::x509::ec_curve_oid(&spki).as_deref(), Some(crate::pki::x509::oid::SECP256K1));
        assert_eq!(key.subject_public_key_info(), key.spki());
        let alg = &aws_lc_rs::signature::ECDSA_P256K1_SHA256_ASN1;
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(alg, key.der_bytes());
        assert!(public.verify(b"tbs", &sig).is_ok());
        assert!(public.verify(b"other", &sig).is_err());
    }

    #[test]
    fn a_pss_signature_verifies_with_the_salt_it_was_made_with_only() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let (pkcs8, spki) = generate_rsa1024().expect("key");
        let pkcs1 = RsaPublicKey::from_public_key_der(&spki).expect("spki").to_pkcs1_der().expect("pkcs1");
        let sha256 = crate::pki::x509::oid::SHA256;
        let sig = sign_rsa_pss(&pkcs8, 20, b"tbs").expect("signs");
        assert_eq!(verify_rsa_pss(pkcs1.as_bytes(), sha256, 20, b"tbs", &sig), Ok(()));
        assert!(verify_rsa_pss(pkcs1.as_bytes(), sha256, 32, b"tbs", &sig).is_err(), "another salt length");
        assert!(verify_rsa_pss(pkcs1.as_bytes(), sha256, 20, b"other", &sig).is_err(), "another message");
    }
}

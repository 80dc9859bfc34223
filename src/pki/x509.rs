//! Helpers for certificates shared by the rule engine ([`crate::verdict`]) and the descriptions
//! for people ([`crate::inspect`]): the OIDs they match on and their names, keys, signature
//! algorithms and signature checks (aws-lc-rs, including legacy algorithms), how far away a date
//! is in words, and hex forms of serials, key identifiers and fingerprints.

use x509_parser::certificate::X509Certificate;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// Dotted OIDs the helpers match on (strings, so that they can be `match` patterns; the names
/// come from x509-parser's `oid_registry`, see [`oid_name`]).
pub mod oid {
    pub const RSA: &str = "1.2.840.113549.1.1.1";
    pub const MD2_RSA: &str = "1.2.840.113549.1.1.2";
    pub const MD5_RSA: &str = "1.2.840.113549.1.1.4";
    pub const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
    pub const RSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub const MGF1: &str = "1.2.840.113549.1.1.8";
    pub const SHA256_RSA: &str = "1.2.840.113549.1.1.11";
    pub const SHA384_RSA: &str = "1.2.840.113549.1.1.12";
    pub const SHA512_RSA: &str = "1.2.840.113549.1.1.13";
    pub const SHA1_RSA_OIW: &str = "1.3.14.3.2.29";
    pub const EC: &str = "1.2.840.10045.2.1";
    pub const P256: &str = "1.2.840.10045.3.1.7";
    pub const P384: &str = "1.3.132.0.34";
    pub const P521: &str = "1.3.132.0.35";
    pub const ECDSA_SHA1: &str = "1.2.840.10045.4.1";
    pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    pub const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
    pub const ED25519: &str = "1.3.101.112";
    pub const ED448: &str = "1.3.101.113";
    pub const DSA: &str = "1.2.840.10040.4.1";
    pub const DSA_SHA1: &str = "1.2.840.10040.4.3";
    pub const SHA1: &str = "1.3.14.3.2.26";
    pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
    pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
    pub const SECP256K1: &str = "1.3.132.0.10";
    pub const X25519: &str = "1.3.101.110";
    pub const X448: &str = "1.3.101.111";
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    pub const KEY_USAGE: &str = "2.5.29.15";
    pub const EXT_KEY_USAGE: &str = "2.5.29.37";
    pub const SAN: &str = "2.5.29.17";
    pub const NAME_CONSTRAINTS: &str = "2.5.29.30";
}

/// A public key, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Rsa(usize),
    Ec(&'static str),
    Ed25519,
    Other(String),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Rsa(bits) => write!(f, "RSA-{bits}"),
            Key::Ec(curve) => write!(f, "EC {curve}"),
            Key::Ed25519 => f.write_str("Ed25519"),
            Key::Other(what) => f.write_str(what),
        }
    }
}

pub fn key_of(spki: &SubjectPublicKeyInfo<'_>) -> Key {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        oid::RSA | oid::RSA_PSS => match rsa_modulus(spki) {
            Some(modulus) => Key::Rsa(bit_length(&modulus)),
            None => Key::Other("RSA (unparsable key)".into()),
        },
        oid::EC => match ec_curve_oid(spki).as_deref() {
            Some(oid::P256) => Key::Ec("P-256"),
            Some(oid::P384) => Key::Ec("P-384"),
            Some(oid::P521) => Key::Ec("P-521"),
            Some(oid::SECP256K1) => Key::Other("EC secp256k1".into()),
            Some(other) => Key::Other(format!("EC curve {other}")),
            None => Key::Other("EC (no named curve)".into()),
        },
        oid::ED25519 => Key::Ed25519,
        oid::ED448 => Key::Other("Ed448".into()),
        oid::DSA => Key::Other("DSA".into()),
        _ => Key::Other(format!("key algorithm {}", oid_name(&spki.algorithm.algorithm))),
    }
}

/// The RSA modulus of a key.
pub fn rsa_modulus(spki: &SubjectPublicKeyInfo<'_>) -> Option<Vec<u8>> {
    match spki.parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(rsa) => Some(rsa.modulus.to_vec()),
        _ => None,
    }
}

/// Bits of a big-endian unsigned integer (leading zero octets ignored).
pub fn bit_length(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(i) => (be.len() - i - 1) * 8 + (8 - be[i].leading_zeros() as usize),
        None => 0,
    }
}

/// The named curve of an EC key, as a dotted OID.
pub fn ec_curve_oid(spki: &SubjectPublicKeyInfo<'_>) -> Option<String> {
    spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string())
}

pub fn oid_name(o: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    oid2sn(o, oid_registry()).map(str::to_string).unwrap_or_else(|_| o.to_id_string())
}

/// The purposes an extendedKeyUsage names, in RFC 5280 order, unknown ones as dotted OIDs.
pub fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut names: Vec<String> = [
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
        (eku.any, "anyExtendedKeyUsage"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect();
    names.extend(eku.other.iter().map(oid_name));
    names
}

/// `SHA-256` for the hash OIDs RSASSA-PSS names.
pub fn hash_name(dotted: &str) -> String {
    match dotted {
        oid::SHA1 => "SHA-1".into(),
        oid::SHA256 => "SHA-256".into(),
        oid::SHA384 => "SHA-384".into(),
        oid::SHA512 => "SHA-512".into(),
        other => other.into(),
    }
}

pub fn alg_name(alg: &AlgorithmIdentifier<'_>) -> String {
    oid_name(&alg.algorithm)
}

/// The broken hash of a signature algorithm, if it uses one.
pub fn weak_hash(alg: &AlgorithmIdentifier<'_>) -> Option<&'static str> {
    match alg.algorithm.to_id_string().as_str() {
        oid::MD2_RSA => Some("MD2"),
        oid::MD5_RSA => Some("MD5"),
        oid::SHA1_RSA | oid::SHA1_RSA_OIW | oid::ECDSA_SHA1 | oid::DSA_SHA1 => Some("SHA-1"),
        oid::RSA_PSS => (pss_hash(alg).as_deref() == Some(oid::SHA1)).then_some("SHA-1"),
        _ => None,
    }
}

pub fn pss_hash(alg: &AlgorithmIdentifier<'_>) -> Option<String> {
    let params = RsaSsaPssParams::try_from(alg.parameters.as_ref()?).ok()?;
    Some(params.hash_algorithm_oid().to_id_string())
}

/// The outcome of one signature check.
#[derive(Debug, Clone)]
pub enum Sig {
    Valid,
    /// The signature does not verify; why.
    Invalid(String),
    /// The algorithm cannot be checked here; which one.
    Unsupported(String),
}

/// Checks `child`'s signature with `issuer`'s public key.
pub fn verify_cert(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Sig {
    verify_signed(
        issuer.public_key(),
        &child.signature_algorithm,
        child.tbs_certificate.as_ref(),
        &child.signature_value.data,
    )
}

/// Checks a signature over `message` with `spki`. RSA accepts keys from 1024 bits and SHA-1 is
/// supported, so that weak keys and algorithms fail their own rules rather than this one.
pub fn verify_signed(
    spki: &SubjectPublicKeyInfo<'_>,
    alg: &AlgorithmIdentifier<'_>,
    message: &[u8],
    signature: &[u8],
) -> Sig {
    use aws_lc_rs::signature as s;
    let key = key_of(spki);
    let sig_oid = alg.algorithm.to_id_string();
    let mismatch = |want: &str| Sig::Invalid(format!("a {} signature cannot come from a {key} key", want));
    let algorithm: &'static dyn s::VerificationAlgorithm = match sig_oid.as_str() {
        oid::SHA1_RSA | oid::SHA1_RSA_OIW | oid::SHA256_RSA | oid::SHA384_RSA | oid::SHA512_RSA | oid::RSA_PSS => {
            let Key::Rsa(bits) = key else { return mismatch("RSA") };
            match sig_oid.as_str() {
                oid::SHA1_RSA | oid::SHA1_RSA_OIW => &s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                oid::SHA256_RSA => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                oid::SHA512_RSA => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                oid::SHA384_RSA if bits >= 2048 => &s::RSA_PKCS1_2048_8192_SHA384,
                oid::RSA_PSS => return verify_pss(spki, alg, bits, message, signature),
                _ => return Sig::Unsupported(format!("{} with an RSA-{bits} key", alg_name(alg))),
            }
        }
        // secp256k1 is off the allow-list (key.algorithm), not unverifiable: aws-lc-rs checks it.
        oid::ECDSA_SHA256 if ec_curve_oid(spki).as_deref() == Some(oid::SECP256K1) => &s::ECDSA_P256K1_SHA256_ASN1,
        oid::ECDSA_SHA1 | oid::ECDSA_SHA256 | oid::ECDSA_SHA384 | oid::ECDSA_SHA512 => {
            let Key::Ec(curve) = key else { return mismatch("ECDSA") };
            match (curve, sig_oid.as_str()) {
                ("P-256", oid::ECDSA_SHA1) => &s::ECDSA_P256_SHA1_ASN1,
                ("P-256", oid::ECDSA_SHA256) => &s::ECDSA_P256_SHA256_ASN1,
                ("P-256", oid::ECDSA_SHA384) => &s::ECDSA_P256_SHA384_ASN1,
                ("P-256", oid::ECDSA_SHA512) => &s::ECDSA_P256_SHA512_ASN1,
                ("P-384", oid::ECDSA_SHA256) => &s::ECDSA_P384_SHA256_ASN1,
                ("P-384", oid::ECDSA_SHA384) => &s::ECDSA_P384_SHA384_ASN1,
                ("P-384", oid::ECDSA_SHA512) => &s::ECDSA_P384_SHA512_ASN1,
                ("P-521", oid::ECDSA_SHA1) => &s::ECDSA_P521_SHA1_ASN1,
                ("P-521", oid::ECDSA_SHA256) => &s::ECDSA_P521_SHA256_ASN1,
                ("P-521", oid::ECDSA_SHA384) => &s::ECDSA_P521_SHA384_ASN1,
                ("P-521", oid::ECDSA_SHA512) => &s::ECDSA_P521_SHA512_ASN1,
                _ => return Sig::Unsupported(format!("{} with an {key} key", alg_name(alg))),
            }
        }
        oid::ED25519 => {
            if key != Key::Ed25519 {
                return mismatch("Ed25519");
            }
            &s::ED25519
        }
        _ => return Sig::Unsupported(alg_name(alg)),
    };
    match s::UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data).verify(message, signature) {
        Ok(()) => Sig::Valid,
        Err(_) => Sig::Invalid(format!("the {} signature does not verify", alg_name(alg))),
    }
}

/// An RSASSA-PSS signature checked with the parameters its AlgorithmIdentifier states: the BR's
/// encodings (one hash throughout, the salt as long as it) by aws-lc-rs, any other salt length by
/// the `rsa` crate, so that odd parameters fail `signature.rsa-pss-params` and not this check.
fn verify_pss(
    spki: &SubjectPublicKeyInfo<'_>,
    alg: &AlgorithmIdentifier<'_>,
    bits: usize,
    message: &[u8],
    signature: &[u8],
) -> Sig {
    use aws_lc_rs::signature as s;
    let Some(params) = alg.parameters.as_ref().and_then(|p| RsaSsaPssParams::try_from(p).ok()) else {
        return Sig::Unsupported("RSASSA-PSS without parameters (SHA-1 by default)".into());
    };
    let hash = params.hash_algorithm_oid().to_id_string();
    let mgf_same =
        params.mask_gen_algorithm().is_ok_and(|m| m.mgf.to_id_string() == oid::MGF1 && m.hash.to_id_string() == hash);
    let (standard, hash_len): (&'static dyn s::VerificationAlgorithm, usize) = match hash.as_str() {
        oid::SHA256 => (&s::RSA_PSS_2048_8192_SHA256, 32),
        oid::SHA384 => (&s::RSA_PSS_2048_8192_SHA384, 48),
        oid::SHA512 => (&s::RSA_PSS_2048_8192_SHA512, 64),
        other => return Sig::Unsupported(format!("RSASSA-PSS with hash {}", hash_name(other))),
    };
    if !mgf_same || params.trailer_field() != 1 {
        return Sig::Unsupported("RSASSA-PSS with a mask generation other than MGF1 over the message hash".into());
    }
    let salt = params.salt_length() as usize;
    let valid = if salt == hash_len && bits >= 2048 {
        s::UnparsedPublicKey::new(standard, &spki.subject_public_key.data).verify(message, signature).is_ok()
    } else {
        crate::pki::legacy::verify_rsa_pss(&spki.subject_public_key.data, &hash, salt, message, signature).is_ok()
    };
    if valid { Sig::Valid } else { Sig::Invalid(format!("the {} signature does not verify", alg_name(alg))) }
}

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// `in 3 days`, `1 day ago`, `5 minutes ago`, `now`: `delta` seconds from now in words, as
/// [`humanize_span`] rounds them.
pub fn humanize(delta: i64) -> String {
    match delta {
        0 => "now".to_string(),
        d if d > 0 => format!("in {}", humanize_span(d)),
        d => format!("{} ago", humanize_span(d)),
    }
}

/// `3 days`, `2 hours`, `45 seconds`, `20 years`: a span of seconds (the sign ignored), rounded
/// to the nearest whole unit, the largest unit it rounds to at least one of (a day from 23.5
/// hours on, so "expired a day ago" reads as one day; a year is 365 days, from 364.5 on).
pub fn humanize_span(seconds: i64) -> String {
    let a = seconds.unsigned_abs();
    let (n, unit) = if a >= YEAR - DAY / 2 {
        ((a + YEAR / 2) / YEAR, "year")
    } else if a >= DAY - 1_800 {
        ((a + DAY / 2) / DAY, "day")
    } else if a >= 3_600 - 30 {
        ((a + 1_800) / 3_600, "hour")
    } else if a >= 60 {
        ((a + 30) / 60, "minute")
    } else {
        (a, "second")
    };
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{s}")
}

/// `0a:1b:2c`: lower-case hex bytes joined by colons (serials, as `openssl x509 -text`).
pub fn hex_colon(bytes: &[u8]) -> String {
    colons(&hex::encode(bytes))
}

/// `0A:1B:2C`: upper-case hex bytes joined by colons (key identifiers, fingerprints).
pub fn hex_colon_upper(bytes: &[u8]) -> String {
    colons(&hex::encode_upper(bytes))
}

/// The SHA-256 fingerprint of a DER object, upper-case hex with colons.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    hex_colon_upper(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// A colon between every two hex digits.
fn colons(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() * 3 / 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            out.push(':');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_ignores_leading_zeros() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0x00]), 0);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn humanize_rounds_to_the_nearest_unit() {
        assert_eq!(humanize(-86_400 - 5), "1 day ago");
        assert_eq!(humanize(86_400 - 5), "in 1 day");
        assert_eq!(humanize(-3 * 86_400), "3 days ago");
        assert_eq!(humanize(7_200), "in 2 hours");
        assert_eq!(humanize(-90), "2 minutes ago");
        assert_eq!(humanize(-1), "1 second ago");
        assert_eq!(humanize(0), "now");
        // 44 hours is two days, never "1 day 20 hours".
        assert_eq!(humanize(-44 * 3_600), "2 days ago");
    }

    #[test]
    fn humanize_span_units() {
        assert_eq!(humanize_span(0), "0 seconds");
        assert_eq!(humanize_span(45), "45 seconds");
        assert_eq!(humanize_span(3_569), "59 minutes");
        assert_eq!(humanize_span(3_570), "1 hour");
        assert_eq!(humanize_span(84_599), "23 hours");
        assert_eq!(humanize_span(84_600), "1 day");
        assert_eq!(humanize_span(89 * 86_400 + 23 * 3_600), "90 days");
        assert_eq!(humanize_span(364 * 86_400), "364 days");
        assert_eq!(humanize_span(365 * 86_400), "1 year");
        assert_eq!(humanize_span(-20 * 365 * 86_400), "20 years");
        assert_eq!(humanize_span(i64::MIN), "292471208678 years");
        assert_eq!(humanize_span(i64::MAX), "292471208678 years");
    }

    #[test]
    fn hex_forms() {
        assert_eq!(hex_colon(&[0x0a, 0x1b, 0xff]), "0a:1b:ff");
        assert_eq!(hex_colon_upper(&[0x0a, 0x1b, 0xff]), "0A:1B:FF");
        assert_eq!(hex_colon(&[0x00]), "00");
        assert_eq!(hex_colon(&[]), "");
    }
}

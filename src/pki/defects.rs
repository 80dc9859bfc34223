//! Defects rcgen will not write (a zero serial, a duplicated extension, version 1 with
//! extensions, …), made as edits of a signed certificate's tbsCertificate and re-signed with the
//! issuer's key. Only the scenarios that break these rules use it.
//!
//! The DER handled here is what rcgen wrote: definite lengths and one-byte tags, so a small
//! TLV reader is enough and no general ASN.1 library is needed.

use rcgen::{KeyPair, SigningKey};

use crate::catalogue::template::{CrlDefect, Defect, Extension};
use crate::error::{Error, Result};

fn malformed(what: &str) -> Error {
    Error::Internal(format!("editing a certificate: {what}"))
}

/// One DER element: its tag and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tlv {
    tag: u8,
    content: Vec<u8>,
}

impl Tlv {
    fn new(tag: u8, content: Vec<u8>) -> Tlv {
        Tlv { tag, content }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.tag];
        let len = self.content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend(&self.content);
        out
    }

    /// The elements inside a constructed element.
    fn children(&self) -> Result<Vec<Tlv>> {
        parse_all(&self.content)
    }

    fn from_children(tag: u8, children: &[Tlv]) -> Tlv {
        Tlv::new(tag, children.iter().flat_map(Tlv::encode).collect())
    }
}

/// Reads one element from the front of `d`; returns it and the rest.
fn parse_one(d: &[u8]) -> Result<(Tlv, &[u8])> {
    let (&tag, rest) = d.split_first().ok_or_else(|| malformed("unexpected end"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed("multi-byte tag"));
    }
    let (&first, rest) = rest.split_first().ok_or_else(|| malformed("no length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(malformed("bad length"));
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), &rest[n..])
    };
    if rest.len() < len {
        return Err(malformed("element longer than its container"));
    }
    Ok((Tlv::new(tag, rest[..len].to_vec()), &rest[len..]))
}

fn parse_all(mut d: &[u8]) -> Result<Vec<Tlv>> {
    let mut out = Vec::new();
    while !d.is_empty() {
        let (t, rest) = parse_one(d)?;
        out.push(t);
        d = rest;
    }
    Ok(out)
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;

/// The DER content octets of a dotted OID.
fn oid_content(dotted: &str) -> Result<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| a.parse().map_err(|_| Error::Input(format!("`{dotted}` is not a dotted OID"))))
        .collect::<Result<_>>()?;
    let [a, b, rest @ ..] = arcs.as_slice() else {
        return Err(Error::Input(format!("`{dotted}` is not a dotted OID (at least 2 arcs)")));
    };
    let mut out = Vec::new();
    for arc in std::iter::once(a * 40 + b).chain(rest.iter().copied()) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            groups.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        out.extend(groups.into_iter().rev());
    }
    Ok(out)
}

fn hex_bytes(s: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(s.replace([' ', ':'], ""))
        .map_err(|e| Error::Input(format!("{what}: expected hex octets such as `3000`, found `{s}` ({e})")))
}

/// Applies `defects` to the certificate `der` and signs the result with `signer`, the issuer's
/// key (for a self-signed certificate, its own). The outer signatureAlgorithm is kept.
pub fn apply(der: &[u8], defects: &[Defect], signer: &KeyPair) -> Result<Vec<u8>> {
    if defects.is_empty() {
        return Ok(der.to_vec());
    }
    let (cert, _) = parse_one(der)?;
    let [tbs, mut alg, _sig] = <[Tlv; 3]>::try_from(cert.children()?).map_err(|_| malformed("not a certificate"))?;
    let mut fields = tbs.children()?;
    let pss_salt = defects.iter().find_map(|d| match d {
        Defect::RsaPss { salt } => Some(*salt),
        _ => None,
    });
    if let Some(salt) = pss_salt {
        alg = rsa_pss_algorithm(salt)?;
        let i = position(&fields, "serial", |t| t.tag == INTEGER)? + 1;
        fields[i] = alg.clone();
    }
    for d in defects {
        edit(&mut fields, &alg, d)?;
    }
    let tbs = Tlv::from_children(SEQUENCE, &fields).encode();
    let signature = match pss_salt {
        Some(salt) => crate::pki::legacy::sign_rsa_pss(signer.serialized_der(), usize::from(salt), &tbs)?,
        None => signer.sign(&tbs).map_err(Error::rcgen("re-signing an edited certificate"))?,
    };
    let mut bits = vec![0u8];
    bits.extend(signature);
    let mut body = tbs;
    body.extend(alg.encode());
    body.extend(Tlv::new(BIT_STRING, bits).encode());
    Ok(Tlv::new(SEQUENCE, body).encode())
}

/// Applies `defects` to the CRL `der`: cRLNumber edits are re-signed with `signer` (the
/// issuer's key), then a tampered signature has its last bit flipped. `IgnoreCrlSign` is made
/// at signing time ([`crate::pki::issue`]), not here.
pub fn apply_crl(der: &[u8], defects: &[CrlDefect], signer: &KeyPair) -> Result<Vec<u8>> {
    let (crl, _) = parse_one(der)?;
    let [tbs, alg, _sig] = <[Tlv; 3]>::try_from(crl.children()?).map_err(|_| malformed("not a CRL"))?;
    let crl_number = Tlv::new(OID, oid_content("2.5.29.20")?);
    let edit = |exts: &mut Vec<Tlv>, critical: Option<bool>| -> Result<()> {
        let i = exts
            .iter()
            .position(|e| e.children().is_ok_and(|c| c.first() == Some(&crl_number)))
            .ok_or_else(|| malformed("the CRL has no cRLNumber"))?;
        match critical {
            None => {
                exts.remove(i);
                Ok(())
            }
            Some(c) => set_critical(&mut exts[i], c),
        }
    };
    let mut out = der.to_vec();
    let edits: Vec<Option<bool>> = defects
        .iter()
        .filter_map(|d| match d {
            CrlDefect::NoCrlNumber => Some(None),
            CrlDefect::CrlNumberCritical => Some(Some(true)),
            CrlDefect::TamperSignature | CrlDefect::IgnoreCrlSign => None,
        })
        .collect();
    if !edits.is_empty() {
        let mut fields = tbs.children()?;
        // crlExtensions is [0] EXPLICIT in tbsCertList (the version there is a bare INTEGER).
        let i = position(&fields, "crlExtensions", |t| t.tag == VERSION)?;
        let [list] = <[Tlv; 1]>::try_from(fields[i].children()?).map_err(|_| malformed("crlExtensions [0]"))?;
        let mut exts = list.children()?;
        for e in edits {
            edit(&mut exts, e)?;
        }
        fields[i] = Tlv::from_children(VERSION, &[Tlv::from_children(SEQUENCE, &exts)]);
        let tbs = Tlv::from_children(SEQUENCE, &fields).encode();
        let signature = signer.sign(&tbs).map_err(Error::rcgen("re-signing an edited CRL"))?;
        let mut bits = vec![0u8];
        bits.extend(signature);
        let mut body = tbs;
        body.extend(alg.encode());
        body.extend(Tlv::new(BIT_STRING, bits).encode());
        out = Tlv::new(SEQUENCE, body).encode();
    }
    if defects.contains(&CrlDefect::TamperSignature) {
        // The signature BIT STRING ends the CRL; its last byte is signature material.
        if let Some(last) = out.last_mut() {
            *last ^= 0x01;
        }
    }
    Ok(out)
}

/// The certificate `der` with `spki` as its subjectPublicKeyInfo, re-signed with `signer` (the
/// issuer's key): for a key rcgen cannot describe (secp256k1, [`crate::pki::legacy::Secp256k1Key`]).
pub fn replace_spki(der: &[u8], spki: &[u8], signer: &KeyPair) -> Result<Vec<u8>> {
    let (cert, _) = parse_one(der)?;
    let [tbs, alg, _sig] = <[Tlv; 3]>::try_from(cert.children()?).map_err(|_| malformed("not a certificate"))?;
    let mut fields = tbs.children()?;
    // version?, serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    let i = if fields.first().is_some_and(|t| t.tag == VERSION) { 6 } else { 5 };
    let (new, rest) = parse_one(spki)?;
    if !rest.is_empty() || fields.get(i).is_none_or(|t| t.tag != SEQUENCE) {
        return Err(malformed("no subjectPublicKeyInfo to replace"));
    }
    fields[i] = new;
    let tbs = Tlv::from_children(SEQUENCE, &fields).encode();
    let mut bits = vec![0u8];
    bits.extend(signer.sign(&tbs).map_err(Error::rcgen("re-signing a certificate with a new key"))?);
    let mut body = tbs;
    body.extend(alg.encode());
    body.extend(Tlv::new(BIT_STRING, bits).encode());
    Ok(Tlv::new(SEQUENCE, body).encode())
}

/// Index of the first field with `tag` (the serial, the validity, …) or an error.
fn position(fields: &[Tlv], what: &str, pred: impl Fn(&Tlv) -> bool) -> Result<usize> {
    fields.iter().position(pred).ok_or_else(|| malformed(&format!("no {what} in tbsCertificate")))
}

fn edit(fields: &mut Vec<Tlv>, outer_alg: &Tlv, defect: &Defect) -> Result<()> {
    match defect {
        Defect::Serial(hex) => {
            let i = position(fields, "serial", |t| t.tag == INTEGER)?;
            fields[i] = Tlv::new(INTEGER, hex_bytes(hex, "defects: serial")?);
        }
        Defect::GeneralizedTime => {
            let i = position(fields, "validity", |t| {
                t.tag == SEQUENCE && t.children().is_ok_and(|c| c.iter().all(|e| e.tag == UTC_TIME))
            })?;
            let times: Vec<Tlv> = fields[i]
                .children()?
                .into_iter()
                .map(|t| {
                    // UTCTime YYMMDDHHMMSSZ, with YY < 50 meaning 20YY (RFC 5280 §4.1.2.5.1).
                    let century: &[u8] = if t.content.first().is_some_and(|d| *d < b'5') { b"20" } else { b"19" };
                    Tlv::new(GENERALIZED_TIME, [century, &t.content].concat())
                })
                .collect();
            fields[i] = Tlv::from_children(SEQUENCE, &times);
        }
        Defect::Version1 => fields.retain(|t| t.tag != VERSION),
        // Made in `apply`, which signs.
        Defect::RsaPss { .. } => {}
        Defect::InnerSignatureAlgorithm => {
            // The AlgorithmIdentifier right after the serial.
            let i = position(fields, "serial", |t| t.tag == INTEGER)? + 1;
            fields[i] = other_algorithm(outer_alg)?;
        }
        Defect::Add { oid, der, critical } => {
            let value = hex_bytes(der, "defects: add")?;
            let ext = extension(oid_content(oid)?, *critical, value);
            extensions(fields, |exts| {
                exts.push(ext);
                Ok(())
            })?;
        }
        Defect::Duplicate(which) => edit_extension(fields, *which, |exts, i| {
            exts.insert(i + 1, exts[i].clone());
            Ok(())
        })?,
        Defect::Remove(which) => edit_extension(fields, *which, |exts, i| {
            exts.remove(i);
            Ok(())
        })?,
        Defect::Critical(which) => edit_extension(fields, *which, |exts, i| set_critical(&mut exts[i], true))?,
        Defect::NotCritical(which) => edit_extension(fields, *which, |exts, i| set_critical(&mut exts[i], false))?,
        Defect::Replace { extension: which, der } => {
            let value = hex_bytes(der, "defects: replace")?;
            edit_extension(fields, *which, |exts, i| {
                let mut parts = exts[i].children()?;
                let last = parts.last_mut().ok_or_else(|| malformed("empty extension"))?;
                *last = Tlv::new(OCTET_STRING, value.clone());
                exts[i] = Tlv::from_children(SEQUENCE, &parts);
                Ok(())
            })?
        }
    }
    Ok(())
}

fn extension(oid: Vec<u8>, critical: bool, value: Vec<u8>) -> Tlv {
    let mut parts = vec![Tlv::new(OID, oid)];
    if critical {
        parts.push(Tlv::new(BOOLEAN, vec![0xff]));
    }
    parts.push(Tlv::new(OCTET_STRING, value));
    Tlv::from_children(SEQUENCE, &parts)
}

fn set_critical(ext: &mut Tlv, critical: bool) -> Result<()> {
    let parts = ext.children()?;
    let (oid, value) = match parts.as_slice() {
        [oid, value] | [oid, _, value] => (oid.content.clone(), value.content.clone()),
        _ => return Err(malformed("an extension that is not OID, [critical,] value")),
    };
    *ext = extension(oid, critical, value);
    Ok(())
}

/// Runs `f` on the list of extensions (created empty when absent) and writes it back.
fn extensions(fields: &mut Vec<Tlv>, f: impl FnOnce(&mut Vec<Tlv>) -> Result<()>) -> Result<()> {
    let i = match fields.iter().position(|t| t.tag == EXTENSIONS) {
        Some(i) => i,
        None => {
            fields.push(Tlv::from_children(EXTENSIONS, &[Tlv::new(SEQUENCE, vec![])]));
            fields.len() - 1
        }
    };
    let [list] = <[Tlv; 1]>::try_from(fields[i].children()?).map_err(|_| malformed("extensions [3]"))?;
    let mut exts = list.children()?;
    f(&mut exts)?;
    fields[i] = Tlv::from_children(EXTENSIONS, &[Tlv::from_children(SEQUENCE, &exts)]);
    Ok(())
}

/// Runs `f` with the index of extension `which`, which must be present.
fn edit_extension(
    fields: &mut Vec<Tlv>,
    which: Extension,
    f: impl FnOnce(&mut Vec<Tlv>, usize) -> Result<()>,
) -> Result<()> {
    let oid = Tlv::new(OID, oid_content(which.oid())?);
    extensions(fields, |exts| {
        let i = exts
            .iter()
            .position(|e| e.children().is_ok_and(|c| c.first() == Some(&oid)))
            .ok_or_else(|| Error::Input(format!("defects: the certificate has no {which:?} extension to edit")))?;
        f(exts, i)
    })
}

/// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and `salt` octets of salt (RFC 4055 §3.1).
fn rsa_pss_algorithm(salt: u8) -> Result<Tlv> {
    let null = Tlv::new(0x05, vec![]);
    let sha256 = Tlv::from_children(SEQUENCE, &[Tlv::new(OID, oid_content("2.16.840.1.101.3.4.2.1")?), null]);
    let mgf1 = Tlv::from_children(SEQUENCE, &[Tlv::new(OID, oid_content("1.2.840.113549.1.1.8")?), sha256.clone()]);
    let salt = Tlv::new(INTEGER, if salt >= 0x80 { vec![0, salt] } else { vec![salt] });
    let params = Tlv::from_children(
        SEQUENCE,
        &[Tlv::from_children(0xa0, &[sha256]), Tlv::from_children(0xa1, &[mgf1]), Tlv::from_children(0xa2, &[salt])],
    );
    Ok(Tlv::from_children(SEQUENCE, &[Tlv::new(OID, oid_content("1.2.840.113549.1.1.10")?), params]))
}

/// An AlgorithmIdentifier other than `alg`, of the same family where possible.
fn other_algorithm(alg: &Tlv) -> Result<Tlv> {
    const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    const RSA_SHA256: &str = "1.2.840.113549.1.1.11";
    const RSA_SHA384: &str = "1.2.840.113549.1.1.12";
    let outer = alg.children()?.into_iter().next().ok_or_else(|| malformed("empty AlgorithmIdentifier"))?;
    let is = |dotted: &str| oid_content(dotted).is_ok_and(|c| c == outer.content);
    let (other, null_params) = if is(ECDSA_SHA256) {
        (ECDSA_SHA384, false)
    } else if is(RSA_SHA256) {
        (RSA_SHA384, true)
    } else if is(ECDSA_SHA384) {
        (ECDSA_SHA256, false)
    } else {
        (RSA_SHA256, true)
    };
    let mut parts = vec![Tlv::new(OID, oid_content(other)?)];
    if null_params {
        parts.push(Tlv::new(0x05, vec![]));
    }
    Ok(Tlv::from_children(SEQUENCE, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_encode_as_der() {
        assert_eq!(oid_content("2.5.29.17").expect("oid"), [0x55, 0x1d, 0x11]);
        assert_eq!(
            oid_content("1.2.840.113549.1.1.11").expect("oid"),
            [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]
        );
        assert!(oid_content("2").is_err());
    }

    #[test]
    fn long_elements_round_trip() {
        let t = Tlv::new(OCTET_STRING, vec![7; 300]);
        let der = t.encode();
        assert_eq!(&der[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(parse_one(&der).expect("parses").0, t);
    }
}

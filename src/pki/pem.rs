//! Reading certificates and CRLs: PEM text (several blocks) or a file of PEM or DER. The one
//! loader for the engine (`verify`), `probe --crl`, `serve` and the lab's own files.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};

use crate::error::{Error, Result};

/// Every certificate in PEM text, in order (other blocks are skipped). `source` names the text
/// in errors.
pub fn parse_certs(pem: &str, source: &str) -> Result<Vec<CertificateDer<'static>>> {
    pem_blocks(pem.as_bytes(), source)
}

/// Every certificate in a PEM file (or the one certificate of a DER file), each checked to parse.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    certs_from_bytes(&crate::labdir::fsutil::read(path)?, &path.display().to_string())
}

/// [`read_certs`] on bytes already read; `source` names them in errors.
pub fn certs_from_bytes(bytes: &[u8], source: &str) -> Result<Vec<CertificateDer<'static>>> {
    let fail = |m: String| Error::Parse { context: source.to_string(), message: m };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail("the file is empty; expected PEM certificates or one DER certificate".into()));
    }
    let certs: Vec<CertificateDer<'static>> =
        if looks_like_pem(bytes) { pem_blocks(bytes, source)? } else { vec![CertificateDer::from(bytes.to_vec())] };
    for (i, c) in certs.iter().enumerate() {
        x509_parser::parse_x509_certificate(c)
            .map_err(|e| fail(format!("certificate #{} does not parse: {}", i + 1, der_words(&e, "certificate"))))?;
    }
    Ok(certs)
}

/// Every CRL in a PEM file (or the one CRL of a DER file), each checked to parse; at least one.
pub fn read_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    crls_from_bytes(&crate::labdir::fsutil::read(path)?, &path.display().to_string())
}

/// [`read_crls`] on bytes already read; `source` names them in errors.
pub fn crls_from_bytes(bytes: &[u8], source: &str) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let fail = |m: String| Error::Parse { context: source.to_string(), message: m };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail("the file is empty; expected PEM CRLs or one DER CRL".into()));
    }
    let crls: Vec<CertificateRevocationListDer<'static>> = if looks_like_pem(bytes) {
        pem_blocks(bytes, source)?
    } else {
        vec![CertificateRevocationListDer::from(bytes.to_vec())]
    };
    if crls.is_empty() {
        return Err(fail("no CRL found (no `-----BEGIN X509 CRL-----` block)".into()));
    }
    for (i, c) in crls.iter().enumerate() {
        x509_parser::parse_x509_crl(c)
            .map_err(|e| fail(format!("CRL #{} does not parse: {}", i + 1, der_words(&e, "CRL"))))?;
    }
    Ok(crls)
}

/// Whether bytes hold a PEM block (rather than DER).
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// A parse error about a file.
pub fn parse_error(path: &Path, message: &str) -> Error {
    Error::Parse { context: path.display().to_string(), message: message.to_string() }
}

/// The blocks of one kind (certificates or CRLs), in order.
fn pem_blocks<T: PemObject>(bytes: &[u8], source: &str) -> Result<Vec<T>> {
    T::pem_slice_iter(bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Parse { context: source.to_string(), message: format!("invalid PEM: {}", pem_words(&e)) })
}

/// A PEM error in words (the library's own text shows byte arrays and Rust names).
fn pem_words(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { end_marker } => {
            format!("a block has no end line (`-----END {}-----`)", String::from_utf8_lossy(end_marker))
        }
        E::IllegalSectionStart { line } => {
            let line = String::from_utf8_lossy(line);
            format!("a malformed BEGIN line `{}`", line.chars().take(80).collect::<String>())
        }
        E::Base64Decode(_) => "a block's contents are not valid base64".into(),
        E::Io(e) => e.to_string(),
        E::NoItemsFound => "no block of the expected kind".into(),
        E::SectionTooLarge => "a block is larger than 256 MB".into(),
        _ => "not valid PEM".into(),
    }
}

/// Why DER does not parse as a `what` (certificate or CRL), in words rather than parser names.
fn der_words(e: &x509_parser::nom::Err<x509_parser::error::X509Error>, what: &str) -> String {
    use x509_parser::error::X509Error;
    match e {
        x509_parser::nom::Err::Incomplete(_) => format!("the {what} is cut short (the DER encoding ends early)"),
        x509_parser::nom::Err::Error(x) | x509_parser::nom::Err::Failure(x) => match x {
            X509Error::Der(_) | X509Error::NomError(_) | X509Error::Generic => format!(
                "not a DER-encoded {what} (the bytes are not the ASN.1 structure of one); expected PEM (-----BEGIN …-----) or DER"
            ),
            // The rest are words already: "invalid date", "invalid X.509 name", …
            other => other.to_string(),
        },
    }
}

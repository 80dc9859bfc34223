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
    let bytes = crate::labdir::fsutil::read(path)?;
    let certs: Vec<CertificateDer<'static>> = if looks_like_pem(&bytes) {
        pem_blocks(&bytes, &path.display().to_string())?
    } else {
        vec![CertificateDer::from(bytes)]
    };
    for (i, c) in certs.iter().enumerate() {
        x509_parser::parse_x509_certificate(c)
            .map_err(|e| parse_error(path, &format!("certificate #{} does not parse: {e}", i + 1)))?;
    }
    Ok(certs)
}

/// Every CRL in a PEM file (or the one CRL of a DER file), each checked to parse; at least one.
pub fn read_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let bytes = crate::labdir::fsutil::read(path)?;
    let crls: Vec<CertificateRevocationListDer<'static>> = if looks_like_pem(&bytes) {
        pem_blocks(&bytes, &path.display().to_string())?
    } else {
        vec![CertificateRevocationListDer::from(bytes)]
    };
    if crls.is_empty() {
        return Err(parse_error(path, "no X509 CRL block found"));
    }
    for (i, c) in crls.iter().enumerate() {
        x509_parser::parse_x509_crl(c)
            .map_err(|e| parse_error(path, &format!("CRL #{} does not parse: {e}", i + 1)))?;
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
        .map_err(|e| Error::Parse { context: source.to_string(), message: format!("invalid PEM: {e}") })
}
